"""The three headline levers over the priors: ``edusim-uncertainty`` for teacher rotation,
school groups and targeted funding at their defaults on the default county (the README's
effects with 90% intervals and probabilities, and docs/calibration.md's variance
decomposition).

Each lever: ``DRAWS`` parameter sets drawn from the priors of the model and of the lever,
each run with and without the lever on ``SEEDS`` seeds for ``YEARS`` years (common random
numbers). The job keeps the effects table, the seed share and the five largest first-order
indices per headline measure, and the importance figures.
"""

from __future__ import annotations

import csv
import json

from experiments.docs.store import rounded

TITLE = ("edusim-uncertainty for rotation, school groups and targeted funding, default county "
         "(README, docs/calibration.md §6)")

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = [
    "experiments/uncertainty/*.py",
    "configs/uncertainty.yaml",
    "configs/experiment/teacher_rotation.yaml",
    "configs/experiment/school_groups.yaml",
    "configs/experiment/targeted_funding.yaml",
]

LEVERS = ("teacher_rotation", "school_groups", "targeted_funding")
DRAWS = 128
SEEDS = 2
YEARS = 20
#: measures quoted (column of effects.csv / variance.csv)
HEADLINE = ("mean_achievement", "urban_rural_gap", "between_school_share",
            "pupils_in_noncomplying_schools")
TOP = 5


def _read(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _num(x: str):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def run(ctx) -> dict:
    levers = {}
    for lever in LEVERS:
        out = ctx.scratch / lever
        ctx.sh("edusim-uncertainty", f"+experiment={lever}", f"uncertainty.draws={DRAWS}",
               f"uncertainty.seeds={SEEDS}", f"years={YEARS}", "progress=false",
               f"hydra.run.dir={out}", label=lever)
        folder = out / "uncertainty"
        effects = [{k: (_num(v) if k not in ("measure", "label", "better") else v)
                    for k, v in row.items()} for row in _read(folder / "effects.csv")]
        variance: dict[str, dict] = {}
        for row in _read(folder / "variance.csv"):
            m = row["measure"]
            if m not in HEADLINE:
                continue
            entry = variance.setdefault(m, {"seeds": None, "top": [], "noise_floor": None})
            if row["source"] == "seeds":
                entry["seeds"] = _num(row["S1"])
            elif len(entry["top"]) < TOP:
                entry["noise_floor"] = _num(row.get("noise_floor"))
                entry["top"].append({"parameter": row["source"], "S1": _num(row["S1"]),
                                     "ci95": _num(row["ci95"])})
        meta = json.loads((folder / "analysis.json").read_text(encoding="utf-8"))
        ctx.image(folder / "importance.png", f"uncertainty/{lever}_importance.png")
        ctx.image(folder / "effects.png", f"uncertainty/{lever}_effects.png")
        levers[lever] = {"effects": [e for e in effects
                                     if e["measure"] in HEADLINE + ("quality_passed",)],
                         "variance": variance, "parameters": len(meta["parameters"])}
    return rounded({"draws": DRAWS, "seeds": SEEDS, "years": YEARS, "levers": levers}, 4)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def render_readme() -> str:
    """The README's table: each lever's effect on the headline measures with its 90% interval
    over priors and seeds and the probability that it helps."""
    from experiments.docs.render import values
    from sim.labels import policy_name

    v = values("uncertainty")
    lines = [f"Each lever at its defaults on the default county after {v['years']} years, "
             f"{v['draws']} parameter sets drawn from the priors × {v['seeds']} seeds, each "
             "against the same-seed, same-draw baseline (`make docs JOBS=uncertainty`):", "",
             "| lever | measure | median effect | 90% interval | probability it helps |",
             "|:---|:---|---:|:---:|---:|"]
    for lever, r in v["levers"].items():
        for e in r["effects"]:
            if e["measure"] == "quality_passed":
                continue
            lines.append(f"| {policy_name(lever)} | {e['label']} ({e['better']} is better) | "
                         f"{e['median']:+.3f} | {e['p05']:+.3f} to {e['p95']:+.3f} | "
                         f"{_pct(e['prob_improves'])} |")
    passes = []
    for lever, r in v["levers"].items():
        q = next((e for e in r["effects"] if e["measure"] == "quality_passed"), None)
        if q is not None:
            passes.append(f"{policy_name(lever)} {_pct(q['prob_pass_policy'])} (without it "
                          f"{_pct(q['prob_pass_baseline'])})")
    lines += ["", f"Probability of passing the 2017 standard by year {v['years']}: "
              + "; ".join(passes) + "."]
    return "\n".join(lines) + "\n"


def render_variance() -> str:
    """docs/calibration.md: per lever and headline measure, the seed share and the largest
    first-order indices, with a reading of which assumptions matter."""
    from experiments.docs.render import values
    from sim.labels import policy_name

    v = values("uncertainty")
    out = []
    for lever, r in v["levers"].items():
        out.append(f"**{policy_name(lever)}** ({r['parameters']} uncertain parameters):\n")
        for m, entry in r["variance"].items():
            label = next((e["label"] for e in r["effects"] if e["measure"] == m), m)
            top = entry["top"]
            floor = entry.get("noise_floor")
            clear = [t for t in top if t["S1"] is not None and floor is not None
                     and t["S1"] > floor]
            shown = ", ".join(f"`{t['parameter']}` {t['S1']:.2f} (±{t['ci95']:.2f})"
                              for t in top)
            reading = ("above the noise floor "
                       f"{floor:.2f}: " + ", ".join(f"`{t['parameter']}`" for t in clear)) \
                if clear else (f"none above the noise floor {floor:.2f}: no single assumption "
                               "drives it" if floor is not None else "too few draws")
            seeds = entry["seeds"]
            out.append(f"- {label}: seed noise {_pct(seeds)} of the run-to-run variance; "
                       f"largest indices {shown}; {reading}.")
        out.append("")
    return "\n".join(out)
