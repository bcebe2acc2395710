"""The README's canonical design search on the default county (``+target=default_county``),
its figures, and the rotation run that shows where backbone teachers end up.

The other design jobs (design_published, design_default_2017, design_strict) run their
searches with :func:`search` of this module."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from experiments.docs.store import rounded

TITLE = "edusim-design +target=default_county, its figures, and rotation at 20% (README)"

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = [
    "experiments/design*.py",
    "configs/target/default_county.yaml",
    "configs/optimise.yaml",
    "sim/labels.py",
]

#: while developing only: run the small ``smoke`` target instead (a stored result must come
#: from the full job)
SMOKE = os.environ.get("EDUSIM_DOCS_DESIGN_SMOKE") == "1"

#: the rotation run of the README's backbone-teacher sentence
ROTATION_RATE = 0.2
ROTATION_YEARS = 10
TIERS = (("urban", "city"), ("town", "town"), ("rural", "village"))

STANDARD_WORDS = {
    "quality_cv_passed_primary": "the primary schools' 2017 CV test",
    "quality_cv_passed_junior": "the junior schools' 2017 CV test",
    "quality_cv_passed": "every 2017 CV at both levels",
    "quality_passed": "the whole 2017 high-quality balance test",
    "basic_passed": "the 2012 basic balance test",
}


def _value(v) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def mix_words(policies: dict) -> list[str]:
    """Each policy of a mix in words: its name, its settings (sim.labels, with units) and its
    start year ("teacher rotation: rate 0.1 (share of eligible teachers per year), from year
    2")."""
    from sim.labels import policy_name, setting_label

    parts = []
    for name, params in (policies or {}).items():
        params = dict(params or {})
        start = params.pop("start_year", None)
        settings = [setting_label(f"policies.{name}.{k}", _value(v)).removeprefix(
            policy_name(name) + " ") for k, v in params.items()]
        if start is not None:
            settings.append(f"from year {int(start)}")
        text = policy_name(name) + (": " + ", ".join(settings) if settings else "")
        parts.append(text)
    return parts or ["no policy"]


def _trial_result(sweep: Path, trial: int) -> dict:
    from experiments.design import RESULT

    return json.loads((sweep / str(trial) / RESULT).read_text(encoding="utf-8"))


def _baseline(sweep: Path, first: dict) -> dict:
    """The same-seed baselines of a search (cached in ``SWEEP_DIR/baselines/``): in how many
    seeds they meet every condition in year 0 and in the target year, and the mean over seeds
    of each numeric condition's column in those years."""
    import numpy as np
    import pandas as pd

    from experiments.design import parse_condition

    conds = [parse_condition(c) for c in first["conditions"]]
    years = (0, int(first["target_year"]))
    met = {y: 0 for y in years}
    cols: dict[str, dict[int, list[float]]] = {c: {y: [] for y in years}
                                               for c, op, _ in conds if op is not None}
    for seed in first["seeds"]:
        found = sorted((sweep / "baselines").glob(f"seed{seed}_*.parquet"))
        if len(found) != 1:
            raise RuntimeError(f"{sweep}/baselines: {len(found)} baselines of seed {seed}")
        ts = pd.read_parquet(found[0]).set_index("year")
        for y in years:
            row = ts.loc[y]
            ok = True
            for col, op, value in conds:
                x = row[col]
                if op is None:
                    ok &= bool(x) if not pd.isna(x) else False
                    continue
                cols[col][y].append(float(x))
                ok &= bool({"<=": x <= value + 1e-12, ">=": x >= value - 1e-12,
                            "<": x < value, ">": x > value,
                            "==": abs(x - value) <= 1e-12}[op]) if not pd.isna(x) else False
            met[y] += int(ok)
    return {"seeds_met_year0": met[years[0]], "seeds_met_target_year": met[years[1]],
            "columns": {c: {"year0": rounded(np.mean(v[years[0]]), None),
                            "target_year": rounded(np.mean(v[years[1]]), None)}
                        for c, v in cols.items()}}


def search(ctx, target: str, *overrides: str, key: str | None = None) -> dict:
    """Run ``edusim-design +target=TARGET [OVERRIDES]`` into the scratch folder and return what
    the docs quote of its report (``SWEEP_DIR/design/``)."""
    key = key or target
    if SMOKE:
        target, overrides = "smoke", ()
    sweep = ctx.scratch / key
    args = ["edusim-design", f"+target={target}", *overrides, f"hydra.sweep.dir={sweep}"]
    ctx.sh(*args, label=f"design_{key}")
    design = sweep / "design"
    summary = json.loads((design / "summary.json").read_text(encoding="utf-8"))
    first = _trial_result(sweep, 0)
    out = {
        "command": " ".join(["edusim-design", f"+target={target}", *overrides]),
        "target_year": int(first["target_year"]),
        "conditions": list(first["conditions"]),
        "seeds": len(first["seeds"]),
        "min_pass_share": float(first["min_pass_share"]),
        "seeds_needed": math.ceil(first["min_pass_share"] * len(first["seeds"]) - 1e-9),
        "equity_measure": first["equity_measure"],
        "trials": int(summary["trials"]),
        "feasible_trials": int(summary["feasible_trials"]),
        "feasible": bool(summary["feasible"]),
        "seconds": ctx.timings[f"design_{key}"],
        "baseline": _baseline(sweep, first),
        "design_dir": design,
    }
    if summary["feasible"]:
        t = _trial_result(sweep, int(summary["best"]["trial"]))
        out["best"] = {
            "trial": int(summary["best"]["trial"]),
            "mix": mix_words(t["policies"]),
            "cost_m": rounded(t["cost_million_yuan"]["mean"], None),
            "cost_ci95": rounded(t["cost_million_yuan"]["ci95"], None),
            "county_m": rounded(t["county_spending_million_yuan"]["mean"], None),
            "county_ci95": rounded(t["county_spending_million_yuan"]["ci95"], None),
            "equity_gain": rounded(t["equity_gain"]["mean"], None),
            "equity_gain_ci95": rounded(t["equity_gain"]["ci95"], None),
            "quality_change": rounded(t["quality_change"]["mean"], None),
            "quality_change_ci95": rounded(t["quality_change"]["ci95"], None),
            "pass_share": float(t["pass_share"]),
            "seeds_met": int(sum(r["met"] for r in t["per_seed"])),
            "first_year_met": rounded(t["first_year_conditions_met_median"], None),
            "first_pass_year": {s: rounded(v, None) for s, v in t["first_year_median"].items()},
        }
    else:
        t = _trial_result(sweep, int(summary["closest"]["trial"]))
        out["closest"] = {
            "trial": int(summary["closest"]["trial"]),
            "mix": mix_words(t["policies"]),
            "pass_share": float(t["pass_share"]),
            "seeds_met": int(sum(r["met"] for r in t["per_seed"])),
            "quality_change": rounded(t["quality_change"]["mean"], None),
        }
    return out


def _rotation(ctx) -> dict:
    """Backbone teachers per 100 pupils by tier at the end of a run with rotation at 20%."""
    import pandas as pd

    run_dir = ctx.scratch / "rotation"
    extra = ["region=tiny"] if SMOKE else []
    years = 2 if SMOKE else ROTATION_YEARS
    ctx.sh("edusim", f"+policies.teacher_rotation.rate={ROTATION_RATE}", f"years={years}",
           *extra, "figures=false", f"hydra.run.dir={run_dir}", label="rotation_run")
    ts = pd.read_parquet(run_dir / "timeseries.parquet")
    last, first = ts.iloc[-1], ts.iloc[0]
    return {
        "command": (f"edusim +policies.teacher_rotation.rate={ROTATION_RATE} years={years}"
                    + "".join(f" {e}" for e in extra)),
        "rate": ROTATION_RATE, "years": years, "year": int(last["year"]),
        "backbone_per_100": {t: float(last[f"backbone_per_100_{t}"]) for t, _ in TIERS},
        "backbone_per_100_year0": {t: float(first[f"backbone_per_100_{t}"]) for t, _ in TIERS},
    }


def run(ctx) -> dict:
    res = search(ctx, "default_county")
    design = res.pop("design_dir")
    ctx.image(design / "front.png", "design_front.png")
    res["cost_profile_image"] = (design / "cost_profile.png").exists()
    if res["cost_profile_image"]:
        ctx.image(design / "cost_profile.png", "design_cost_profile.png")
    return {"default_county": res, "rotation": _rotation(ctx), "smoke": SMOKE}
