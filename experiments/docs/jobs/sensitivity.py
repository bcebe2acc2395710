"""The global sensitivity analysis of docs/calibration.md §5: Morris screening and Sobol
indices of teacher rotation's effects, each with its seed noise, as ``python -m
experiments.calibration.sensitivity`` makes them.

The job runs the full analysis into its scratch directory (the run count and wall time are
stored with the result), copies the two figures to ``docs/img/calibration/`` and stores the
index tables, the seed-noise floors, the effects' ranges over the design points and the wall
times. The Markdown
of calibration.md §5 is rendered from these values by ``experiments.docs.jobs._calibration_text``
(``render_sensitivity_*``), next to the pattern checks.

For development only, ``EDUSIM_DOCS_SENSITIVITY_QUICK=1`` runs the ``--quick`` smoke-test
scenario instead; the stored result must come from the full analysis (``quick`` is stored).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from experiments.docs.store import rounded

TITLE = "Morris and Sobol sensitivity analysis (docs/calibration.md §5)"

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = [
    "experiments/calibration/sensitivity.py",
    "experiments/calibration/sensitivity_indices.py",
    "experiments/calibration/sensitivity_figures.py",
    "experiments/calibration/ranges.py",
    "experiments/calibration/parameters.py",
    "experiments/uncertainty/runner.py",
    "experiments/uncertainty/design.py",
    "configs/experiment/teacher_rotation.yaml",
    "configs/policy/teacher_rotation.yaml",
]

MODULE = "experiments.calibration.sensitivity"
FIGURES = ("sensitivity_morris.png", "sensitivity_sobol.png")


def _records(df, keep: list[str]) -> list[dict]:
    rows = []
    for rec in df[keep].to_dict("records"):
        rows.append({k: (v if isinstance(v, str) else rounded(v, 5)) for k, v in rec.items()})
    return rows


def run(ctx) -> dict:
    import pandas as pd

    quick = os.environ.get("EDUSIM_DOCS_SENSITIVITY_QUICK") == "1"
    out = ctx.scratch / "sensitivity"
    figures = ctx.scratch / "figures"
    args = ["python", "-m", MODULE, "--out", str(out), "--figures", str(figures), "--quiet"]
    if quick:
        args.append("--quick")
    ctx.sh(*args, label="analysis")
    for name in FIGURES:
        ctx.image(figures / name, f"calibration/{name}")

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    problem = json.loads((out / "morris" / "problem.json").read_text(encoding="utf-8"))
    morris = pd.read_csv(out / "morris" / "indices.csv")
    sobol = pd.read_csv(out / "sobol" / "indices.csv")
    noise = pd.read_csv(out / "noise" / "floor.csv")
    outcomes = [o["key"] for o in problem["outcomes"]]
    values = pd.read_csv(out / "morris" / "values.csv")

    def spread(stage: str) -> dict:
        eff = pd.read_csv(out / stage / "effects.csv")
        mean = eff.groupby("row")[outcomes].mean()
        return {k: {"min": rounded(mean[k].min(), 5), "max": rounded(mean[k].max(), 5),
                    "mean": rounded(mean[k].mean(), 5),
                    "share_negative": rounded((mean[k] < 0).mean(), 5)} for k in outcomes}

    return {
        "quick": quick,
        "command": f"python -m {MODULE}" + (" --quick" if quick else ""),
        "scenario": summary["scenario"],
        "policy": summary["policy"],
        "outcomes": problem["outcomes"],
        "parameters": [{"name": n, "low": rounded(values[n].min(), 5),
                        "high": rounded(values[n].max(), 5), "prior": problem["priors"][n]}
                       for n in problem["problem"]["names"]],
        "points": summary["points"],
        "runs": summary["runs"],
        "wall_seconds": summary["wall_seconds"],
        "cpus": summary["cpus"],
        "workers": summary["workers"],
        "selected_for_sobol": summary["selected_for_sobol"],
        "noise_dominated_outcomes": summary["noise_dominated_outcomes"],
        "share_never_passing": {k: rounded(v, 5) for k, v in summary["share_never_passing"].items()},
        "morris": _records(morris, ["outcome", "parameter", "mu", "mu_star", "mu_star_conf",
                                    "sigma", "mu_star_rel", "mu_star_seed_se",
                                    "noise_mu_star"]),
        "sobol": _records(sobol, ["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf",
                                  "S1_seed_se", "ST_seed_se", "noise_share"]),
        "noise": _records(noise, ["outcome", "seeds", "seed_sd", "se_of_mean", "noise_mu_star",
                                  "mean_effect"]),
        "spread": {stage: spread(stage) for stage in ("morris", "sobol")},
    }


def figure_paths() -> list[Path]:
    """Where the job puts its figures (relative to the repository root)."""
    return [Path("docs/img/calibration") / name for name in FIGURES]
