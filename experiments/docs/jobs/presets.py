"""The size presets of the synthetic county as built (README: County presets)."""

from __future__ import annotations

import json

TITLE = "each region preset built with seed 0 through the Python API (README: County presets)"

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = []

SEED = 0

#: builds each preset with the public API, steps one year (to see which schools close), and
#: prints what the README's table quotes as JSON
PROGRAM = """\
import json
from sim import EducationModel
from sim.config import REGION_PRESETS
out = {}
for region, sizes in REGION_PRESETS.items():
    model = EducationModel(region=region, rng=SEED)
    y0 = model.timeseries().iloc[0]
    empty = [school.level for school in model.school_agents if school.enrolment == 0]
    model.step()
    y1 = model.timeseries().iloc[-1]
    out[region] = {"n_schools": sizes["n_schools"], "n_students": sizes["n_students"],
                   "schools": int(y0["schools_open"]), "pupils": int(y0["students"]),
                   "teachers": int(y0["teachers"]), "schools_without_pupils": len(empty),
                   "levels_without_pupils": sorted(set(empty)),
                   "schools_closed_in_year_1": int(y0["schools_open"] - y1["schools_open"])}
print(json.dumps(out))
""".replace("SEED", str(SEED))


def run(ctx) -> dict:
    proc = ctx.sh("python", "-c", PROGRAM)
    return {"seed": SEED, "presets": json.loads(proc.stdout.strip().splitlines()[-1])}


def render_table() -> str:
    """The table of presets and the sentence saying how it was built."""
    from experiments.docs.render import table, values

    v = values("presets")
    rows, closes = [], True
    for name, p in v["presets"].items():
        schools = str(p["schools"])
        if p["schools_without_pupils"]:
            schools += f", {p['schools_without_pupils']} of them without pupils"
        closes &= p["schools_closed_in_year_1"] == p["schools_without_pupils"]
        rows.append({"preset": f"`{name}`", "schools": schools,
                     "pupils": f"{p['pupils']:,} ({p['n_students']:,})",
                     "teachers": f"{p['teachers']:,}"})
    text = table(rows, [("preset", "preset"), ("schools", "schools"),
                        ("pupils", "pupils (the preset's target)"),
                        ("teachers", "teachers (from staffing norms)")], "llrr")
    empty = [f"`{n}`" for n, p in v["presets"].items() if p["schools_without_pupils"]]
    levels = sorted({lv for p in v["presets"].values() for lv in p["levels_without_pupils"]})
    note = ""
    if empty:
        fate = ("they close in year 1, merged into the nearest school" if closes
                else "not all of them close in year 1")
        kinds = " and ".join(lv.replace("_", "-") for lv in levels)
        where = empty[0] if len(empty) == 1 else ", ".join(empty[:-1]) + " and " + empty[-1]
        note = f" The build leaves some {kinds} schools of {where} without pupils; {fate}."
    return (text + f"\nThe county as built in year 0 with seed {v['seed']} (the default), "
            f"by `EducationModel(region=PRESET, rng={v['seed']})`; other seeds draw another "
            f"county of the same preset.{note}\n")
