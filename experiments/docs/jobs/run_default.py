"""`make run`: the default county, 20 years, no policy (README "Two commands" and Gallery)."""

from __future__ import annotations

import json

TITLE = "edusim with no overrides, i.e. `make run` (README: Two commands, Gallery)"

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = [
    "sim/run_figure.py",
    "sim/results.py",
    "sim/labels.py",
]

IMAGE = "equity_default.png"


def run(ctx) -> dict:
    import pandas as pd

    out = ctx.scratch / "run"
    ctx.sh("edusim", f"hydra.run.dir={out}", label="edusim")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    ts = pd.read_parquet(out / "timeseries.parquet").sort_values("year")
    ctx.image(out / "equity.png", IMAGE)
    first, last = summary["first_year"], summary["last_year"]
    merges = ts[ts["schools_merged"] > 0]
    met = summary["first_year_standard_met"]

    def pair(key: str, digits: int = 3) -> list:
        return [round(float(first[key]), digits), round(float(last[key]), digits)]

    return {
        "seed": summary["seed"],
        "years": summary["years"],
        "region": summary["region"],
        "policies": sorted(summary["config"].get("policies") or {}),
        "has_baseline": (out / "baseline_timeseries.parquet").exists(),
        "schools": [int(ts["schools_open"].iloc[0]), int(ts["schools_open"].iloc[-1])],
        "schools_merged": int(ts["schools_merged"].sum()),
        "merge_years": [int(y) for y in merges["year"]],
        "merge_below": int(summary["config"]["enrolment"]["merge_below"]),
        "pupils": [int(first["students"]), int(last["students"])],
        "teachers": [int(first["teachers"]), int(last["teachers"])],
        "mean_achievement": pair("mean_achievement"),
        "urban_rural_gap": pair("urban_rural_gap"),
        "pupils_below_2017": pair("pupils_in_noncomplying_schools"),
        "first_met_2017": met.get("quality"),
        "first_met_2012": met.get("basic"),
    }


def _n(x: int) -> str:
    return f"{x:,}"


def render_intro() -> str:
    """The paragraph that introduces `make run` and its output files."""
    from experiments.docs.render import values

    v = values("run_default")
    if v["policies"]:
        raise ValueError(f"docs job run_default ran with policies {v['policies']}; "
                         "`make run` runs none")
    s0, s1 = v["schools"]
    years = v["years"]
    merged = ""
    if v["schools_merged"]:
        why = ("without pupils" if v["merge_below"] <= 1
               else f"with fewer than {v['merge_below']} pupils")
        when = v["merge_years"]
        when_text = (f"year {when[0]}" if len(when) == 1
                     else "years " + ", ".join(map(str, when)))
        merged = (f" Of these, {v['schools_merged']} schools {why} merge into the nearest school in "
                  f"{when_text}, leaving {s1}.")
    return (
        f"`make run` simulates the default county for {years} years with no policy, with seed "
        f"{v['seed']}. In year 0 the county has {s0} schools, {_n(v['teachers'][0])} teachers "
        f"and {_n(v['pupils'][0])} pupils.{merged} In year {years} it has "
        f"{_n(v['teachers'][1])} teachers and {_n(v['pupils'][1])} pupils. The run prints a "
        "summary table and writes its results to `outputs/DATE/TIME/`:\n")


def _change(a: float, b: float, up: str, down: str, spec: str = ".2f",
            unit: str = "") -> str:
    def num(v: float) -> str:  # no "-0.00" for a value that rounds to zero
        text = f"{v:{spec}}"
        return text[1:] if text.startswith("-") and float(text) == 0 else text

    if num(a) == num(b):
        return f"stays at {num(a)}{unit}"

    return f"{up if b > a else down} from {num(a)} to {num(b)}{unit}"


def render_caption() -> str:
    """What the figure below the file table shows, in numbers from the run."""
    from experiments.docs.render import values

    v = values("run_default")
    met = v["first_met_2017"]
    met_text = ("the 2017 high-quality standard is never met" if met is None
                else f"the 2017 high-quality standard is first met in year {met}")
    base = ("" if v["has_baseline"] else
            " A run without policies has no baseline, so the figure has no dashed lines.")
    return (
        f"The figure is this run's `equity.png`. Over the {v['years']} years, mean achievement "
        f"{_change(*v['mean_achievement'], 'rises', 'falls', unit=' year-0 SD')}, the "
        f"urban–rural gap {_change(*v['urban_rural_gap'], 'widens', 'narrows', unit=' SD')} "
        f"and the share of pupils in schools below the 2017 standard "
        f"{_change(*v['pupils_below_2017'], 'rises', 'falls', spec='.0%')}; {met_text}.{base}\n")
