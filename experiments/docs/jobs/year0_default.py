"""The default county in year 0, seed 3: the orientation numbers of docs/ODD.md §5.6.

Two commands a user can run: ``edusim region=default years=0 seed=3`` (its
``timeseries.parquet`` and ``schools.parquet`` give pupils, teachers, the gaps, teaching
points and backbone teachers), and a two-line script on the public API
(``sim.EducationModel(rng=3, region="default").resource_index()``) for the mean resource index
by tier, which the run's outputs do not hold.
"""

from __future__ import annotations

import json

TITLE = "The default county in year 0, seed 3 (docs/ODD.md §5.6)"

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = []

SEED = 3
RUN = ["edusim", "region=default", "years=0", f"seed={SEED}", "figures=false"]

#: mean resource index (§7.1) of the open schools with pupils, by tier, printed as JSON (a
#: school without pupils has no requirement, and its index would be a meaningless 1)
RESOURCE_SCRIPT = (
    "import json; import numpy as np; from sim import EducationModel; "
    "from sim.config import TIERS; "
    f"m = EducationModel(rng={SEED}, region='default'); s = m.schools.to_frame(); "
    "ri = np.asarray(m.resource_index()); "
    "used = s['open'].to_numpy() & (m.section_enrolment().sum(axis=1) > 0); "
    "print(json.dumps({'students': int(m.timeseries()['students'].iloc[0]), "
    "**{t: float(ri[(s['tier'].to_numpy() == k) & used].mean()) "
    "for k, t in enumerate(TIERS)}}))"
)


def run(ctx) -> dict:
    import pandas as pd

    from sim.config import TIERS
    from sim.standards import MIN_STUDENTS

    out = ctx.scratch / "run"
    ctx.sh(*RUN, f"hydra.run.dir={out}", label="year-0 run")
    ts = pd.read_parquet(out / "timeseries.parquet").iloc[0]
    schools = pd.read_parquet(out / "schools.parquet")
    pupils_per_school = schools.groupby("school_id")["students"].sum()
    backbone = {}
    for level in ("primary", "junior"):
        sub = schools[schools["level"] == level].groupby("tier")[
            ["backbone_teachers", "students"]].sum()
        backbone[level] = {t: round(100 * float(sub.at[t, "backbone_teachers"])
                                    / float(sub.at[t, "students"]), 4) for t in TIERS}
    proc = ctx.sh("python", "-c", RESOURCE_SCRIPT, label="resource index")
    resource = json.loads(proc.stdout.strip().splitlines()[-1])
    if resource.pop("students") != int(ts["students"]):
        raise RuntimeError("year0_default: the Python API and the edusim run disagree on the "
                           "number of pupils (not the same county)")
    return {
        "command": " ".join(RUN),
        "seed": SEED,
        "pupils": int(ts["students"]),
        "teachers": int(ts["teachers"]),
        "schools_open": int(ts["schools_open"]),
        "schools_with_pupils": int((pupils_per_school > 0).sum()),
        "teaching_points": int(((pupils_per_school > 0)
                                & (pupils_per_school < MIN_STUDENTS)).sum()),
        "teaching_point_below": MIN_STUDENTS,
        "resource_index": {t: round(float(resource[t]), 4) for t in TIERS},
        "urban_rural_gap": round(float(ts["urban_rural_gap"]), 4),
        "between_school_share": round(float(ts["between_school_share"]), 4),
        "backbone_per_100": backbone,
    }


def render_odd() -> str:
    """The bullets of docs/ODD.md §5.6."""
    from experiments.docs.render import values

    v = values("year0_default")
    ri, bb = v["resource_index"], v["backbone_per_100"]
    tp = v["teaching_points"]
    tp_text = (f"{tp} teaching point{'s' if tp != 1 else ''} (schools with fewer than "
               f"{v['teaching_point_below']} pupils)" if tp else
               f"no teaching point (no school with pupils has fewer than "
               f"{v['teaching_point_below']})")
    pupils = round(v["pupils"], -2)
    teachers = round(v["teachers"], -2)
    empty = v["schools_open"] - v["schools_with_pupils"]
    empty_text = f" ({empty} of them without pupils in year 0)" if empty else ""
    return (
        f"- About {pupils:,.0f} pupils and {teachers:,.0f} teachers in {v['schools_open']} "
        f"schools{empty_text}; {tp_text}.\n"
        f"- Mean resource index (§7.1) of the schools with pupils: urban {ri['urban']:.2f}, town {ri['town']:.2f}, "
        f"rural {ri['rural']:.2f}.\n"
        f"- Urban–rural achievement gap about {v['urban_rural_gap']:.2f} SD; between-school "
        f"share of variance about {v['between_school_share']:.2f}.\n"
        f"- Backbone teachers per 100 pupils: urban {bb['primary']['urban']:.2f} / town "
        f"{bb['primary']['town']:.2f} / rural {bb['primary']['rural']:.2f} in primary "
        f"sections,\n  and {bb['junior']['urban']:.2f} / {bb['junior']['town']:.2f} / "
        f"{bb['junior']['rural']:.2f} in junior sections.\n"
        f"\nMade by `{v['command']}` (outputs `timeseries.parquet`, `schools.parquet`) and, for "
        f"the resource index, `EducationModel(rng={v['seed']}, region=\"default\")."
        f"resource_index()` (job `year0_default`).\n"
    )
