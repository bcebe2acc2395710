"""The global sensitivity analysis of docs/calibration.md §5: Morris screening, seed-noise
reference and Sobol indices, as ``python -m experiments.calibration.sensitivity`` makes them.

The job runs the full analysis (626 model runs, about 35 min on 2 cores) into its scratch
directory, copies the two figures to ``docs/img/calibration/`` and stores the index tables,
the noise reference, the outcome ranges over the design runs and the wall times. The Markdown
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
    "experiments/calibration/ranges.py",
    "experiments/calibration/parameters.py",
    "configs/sensitivity/*.yaml",
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
    noise = pd.read_csv(out / "noise" / "reference.csv")
    outcomes = [o["key"] for o in problem["outcomes"]]
    design_runs = {stage: pd.read_csv(out / stage / "outcomes.csv")
                   for stage in ("morris", "noise", "sobol")}

    def spread(df) -> dict:
        return {k: {"min": rounded(df[k].min(), 5), "max": rounded(df[k].max(), 5),
                    "var": rounded(df[k].var(ddof=1), 5) if len(df) > 1 else None}
                for k in outcomes}

    noise_runs = design_runs["noise"].sort_values("seed")
    return {
        "quick": quick,
        "command": f"python -m {MODULE}" + (" --quick" if quick else ""),
        "scenario": summary["scenario"],
        "outcomes": problem["outcomes"],
        "parameters": [{"name": n, "low": rounded(lo, 5), "high": rounded(hi, 5)}
                       for n, (lo, hi) in zip(problem["names"], problem["problem"]["bounds"],
                                                  strict=True)],
        "runs": summary["runs"],
        "wall_seconds": summary["wall_seconds"],
        "cpus": summary["cpus"],
        "selected_for_sobol": summary["selected_for_sobol"],
        "noise_dominated_outcomes": summary["noise_dominated_outcomes"],
        "share_never_passing": {k: rounded(v, 5) for k, v in summary["share_never_passing"].items()},
        "morris": _records(morris, ["outcome", "parameter", "mu", "mu_star", "mu_star_conf",
                                    "sigma", "mu_star_rel"]),
        "sobol": _records(sobol, ["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf",
                                  "noise_share"]),
        "noise": _records(noise, ["outcome", "n_seeds", "mean", "sd", "reseed_mu_star"]),
        "noise_runs": {"seeds": [int(s) for s in noise_runs["seed"]],
                       **{k: [rounded(v, 5) for v in noise_runs[k]] for k in outcomes}},
        "spread": {stage: spread(df) for stage, df in design_runs.items()},
    }


def figure_paths() -> list[Path]:
    """Where the job puts its figures (relative to the repository root)."""
    return [Path("docs/img/calibration") / name for name in FIGURES]
