"""examples/published_county/README.md: what the table holds (counts and per-pupil values
read from the CSV), the official tests on it (``edusim-evaluate``, ``edusim-check-county``) and
its 20-year baseline run (``edusim region=file ...``), with the sentences that state results.

The document figures the README quotes (D-004's building programme, Shunde's school counts,
D-001's 0.30 target) are inputs and are held here as constants next to the sentence that uses
them; every number computed from ``schools.csv`` or from a command's output is stored by
``run`` and rendered from the stored values.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

TITLE = "examples/published_county: table counts, official tests, 20-year baseline"

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = [
    "examples/published_county/schools.csv",
    "sim/evaluation/*.py",
    "sim/county_table/*.py",
    "sim/run_figure.py",
    "sim/results.py",
]

TABLE = "examples/published_county/schools.csv"
EVALUATE = ["edusim-evaluate", TABLE, "--standard", "both"]
#: D-001 l.261's local target (0.30) for the junior CVs, as the README suggests trying it
LOCAL_TARGET = 0.30
EVALUATE_TARGET = ["edusim-evaluate", TABLE, "--level", "junior", "--threshold",
                   f"{LOCAL_TARGET:.2f}", "--json"]
CHECK = ["edusim-check-county", TABLE]
YEARS = 20
#: the run directory the README shows (the job runs in its own scratch directory)
SHOWN_RUN_DIR = "/tmp/pubcounty"
#: the years of the trajectory table
TRAJECTORY_YEARS = (0, 5, 10, 15, 20)
LEVELS = ("primary", "junior")

# Document figures used by the county size check (inputs, quoted in the README's sentence):
# D-004 l.271 (Qingpu) new buildings 121,000 m² = 37.5 % and repaired 163,000 m² = 50.5 % of
# the total; D-004 XX小学 teaching and auxiliary area 9,122.83 m² of 11,133.41 m² in all.
QINGPU_NEW_M2, QINGPU_NEW_SHARE = 121_000, 0.375
QINGPU_REPAIRED_M2, QINGPU_REPAIRED_SHARE = 163_000, 0.505
P01_TEACHING_M2, P01_WHOLE_M2 = 9122.83, 11133.41
# D-004 l.720 (Shunde 2008): 43 junior and 162 primary schools.
SHUNDE_JUNIOR, SHUNDE_PRIMARY = 43, 162


def run_command(run_dir: str) -> list[str]:
    return ["edusim", "region=file", f"region.path={TABLE}", f"years={YEARS}",
            f"hydra.run.dir={run_dir}", "progress=false"]


# ---------------------------------------------------------------------------------- inputs

def _size(rows: list[dict]) -> dict:
    pupils = [int(r["students"]) for r in rows]
    return {"n": len(rows), "min": min(pupils), "max": max(pupils),
            "mean": sum(pupils) / len(pupils), "total": sum(pupils),
            "first": rows[0]["school_id"], "last": rows[-1]["school_id"]}


def _inputs(root: Path) -> dict:
    """Counts and per-pupil values read from the CSV (derived inputs, not model results)."""
    with open(root / TABLE, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    ids = [r["school_id"] for r in rows]
    nine_year = sorted({i for i in ids if ids.count(i) > 1})
    points = [r for r in rows if r["school_id"].startswith("T")]
    central = [r for r in rows if r["tier"] != "urban" and not r["school_id"].startswith("T")]
    # township letter: the second character of the central schools' and points' ids
    townships: dict[str, dict] = {}
    for r in central:
        t = townships.setdefault(r["school_id"][1], {"tier": r["tier"], "points": 0})
        if r["level"] == "primary":
            t["name"] = r["name"].split()[0]
    for r in points:
        townships[r["school_id"][1]]["points"] += 1
    seat_p = [r for r in rows if r["tier"] == "urban" and r["level"] == "primary"]
    seat_j = [r for r in rows if r["tier"] == "urban" and r["level"] == "junior"]
    juniors = [r for r in rows if r["level"] == "junior"]
    pe_arts = sorted(juniors, key=lambda r: int(r["pe_arts_teachers"]) / int(r["students"]))
    n_rural_j = sum(r["tier"] == "rural" for r in juniors)
    with_points = [t for t in townships.values() if t["points"]]
    return {
        "rows": len(rows),
        "schools": len(set(ids)),
        "nine_year": nine_year,
        "levels": {lv: sum(r["level"] == lv for r in rows) for lv in LEVELS},
        "tiers": {t: sum(r["tier"] == t for r in rows) for t in ("urban", "town", "rural")},
        "pupils": sum(int(r["students"]) for r in rows),
        "seat_primary": _size(seat_p),
        "seat_junior": _size(seat_j),
        "seat_junior_share": _size(seat_j)["total"] / _size(seat_p)["total"],
        "central": {f"{tier}_{lv}": _size([r for r in central
                                           if r["tier"] == tier and r["level"] == lv])
                    for tier in ("town", "rural") for lv in LEVELS},
        "points": {**_size(points), "under_50": sum(int(r["students"]) < 50 for r in points)},
        "townships": {
            "n": len(townships),
            "town": sum(t["tier"] == "town" for t in townships.values()),
            "rural": sum(t["tier"] == "rural" for t in townships.values()),
            "with_points": len(with_points),
            "points_min": min(t["points"] for t in with_points),
            "points_max": max(t["points"] for t in with_points),
            "without_points": sorted(k for k, t in townships.items() if not t["points"]),
        },
        "building_area_m2": sum(float(r["building_area_m2"]) for r in rows),
        # the juniors weakest on PE/arts teachers per pupil: are they the rural ones?
        "rural_juniors": n_rural_j,
        "weakest_pe_arts_are_rural": all(r["tier"] == "rural" for r in pe_arts[:n_rural_j]),
        "per_pupil": [
            {"id": r["school_id"], "level": r["level"], "tier": r["tier"],
             "building": round(float(r["building_area_m2"]) / int(r["students"]), 4),
             "sports": round(float(r["sports_area_m2"]) / int(r["students"]), 4),
             "equipment": round(float(r["equipment_value_yuan"]) / int(r["students"]), 2)}
            for r in rows if r["school_id"] != "P01"],
    }


# ------------------------------------------------------------------------------ evaluation

def _labels() -> dict:
    from sim.standards import INDICATORS

    return {name: ind.label for name, ind in INDICATORS.items()}


def _evaluation(report: dict) -> dict:
    """The year-0 verdicts of ``edusim-evaluate --json``, per level and standard."""
    out = {}
    for res in report["results"]:
        key = f"{res['level']}_{res['standard']}"
        entry = {"passed": res["passed"], "limit": res["limit"], "mean_cv": res["mean_cv"],
                 "n_included": res["n_included"], "n_rows": res["n_rows"]}
        if res["standard"] == "quality":
            cv = res["cv"]
            worst = max(cv, key=lambda k: cv[k])
            bad = [s for s in res["schools"] if not s["excluded"] and not s["complies"]]
            missed: dict[str, int] = {}
            for s in bad:
                for name in (m.strip() for m in s["missed"].split(",") if m.strip()):
                    missed[name] = missed.get(name, 0) + 1
            entry.update({
                "cv_passed": res["cv_passed"],
                "above_limit": res["above_limit"],
                "max_cv": cv[worst], "max_cv_indicator": worst,
                "cv": cv,
                "non_compliant": len(bad),
                "non_compliant_tiers": {t: sum(s["tier"] == t for s in bad)
                                        for t in ("urban", "town", "rural")},
                "missed": dict(sorted(missed.items(), key=lambda kv: -kv[1])),
            })
        out[key] = entry
    return out


# ------------------------------------------------------------------------------- the run

def _baseline(run_dir: Path, limits: dict) -> dict:
    import pandas as pd

    ts = pd.read_parquet(run_dir / "timeseries.parquet").set_index("year")
    schools = pd.read_parquet(run_dir / "schools.parquet")
    first, last = int(ts.index.min()), int(ts.index.max())
    cv_cols = {lv: [c for c in ts.columns if c.startswith(f"cv_{lv}_")] for lv in LEVELS}

    def series(col: str) -> list:
        return [None if pd.isna(v) else round(float(v), 5) for v in ts[col]]

    cv = {lv: {c[len(f"cv_{lv}_"):]: series(c) for c in cv_cols[lv]} for lv in LEVELS}
    above = {lv: {name: [y for y, v in zip(ts.index, vals, strict=True) if v is not None
                         and v > limits[lv] * (1 + 1e-9)]
                  for name, vals in cv[lv].items()} for lv in LEVELS}
    for lv in LEVELS:  # the stated failing CVs must agree with the run's own verdict
        failing = [n for n, yrs in above[lv].items() if last in yrs]
        if bool(ts.loc[last, f"quality_cv_passed_{lv}"]) == bool(failing):
            raise RuntimeError(f"year-{last} {lv} CV verdict disagrees with the CVs")
    prim = schools[schools["level"] == "primary"]
    sports = {}
    for year in (first, last):
        sub = prim[prim["year"] == year].groupby("tier")[["sports_area_m2", "students"]].sum()
        sports[str(year)] = {t: float(sub.loc[t, "sports_area_m2"] / sub.loc[t, "students"])
                             for t in sub.index}
    keep = ["students", "students_urban", "students_town", "students_rural",
            "backbone_per_100_urban", "backbone_per_100_rural", "urban_rural_gap", "ses_gap",
            "pupils_in_noncomplying_schools", "quality_passed", "basic_passed"]
    keep += [f"{k}_{lv}" for lv in LEVELS
             for k in ("quality_schools_complying", "quality_cv_passed", "basic_mean_cv")]
    return {
        "first_year": first, "last_year": last,
        "series": {c: series(c) for c in keep},
        "cv": cv,
        "cv_above_limit_years": {lv: {k: [int(y) for y in v] for k, v in above[lv].items() if v}
                                 for lv in LEVELS},
        "primary_sports_m2_per_pupil": sports,
    }


def run(ctx) -> dict:
    labels = _labels()
    evaluate = ctx.sh(*EVALUATE).stdout
    report = json.loads(ctx.sh(*EVALUATE, "--json").stdout)
    evaluation = _evaluation(report)
    target = json.loads(ctx.sh(*EVALUATE_TARGET).stdout)["results"][0]
    check = ctx.sh(*CHECK).stdout
    run_dir = ctx.scratch / "pubcounty"
    proc = ctx.sh(*run_command(str(run_dir)))
    limits = {lv: evaluation[f"{lv}_quality"]["limit"] for lv in LEVELS}
    baseline = _baseline(run_dir, limits)
    image = ctx.image(run_dir / "equity.png", "published_county_baseline.png")
    return {
        "inputs": _inputs(ctx.root),
        "labels": labels,
        "evaluate": {"command": " ".join(EVALUATE), "output": evaluate},
        "evaluation": evaluation,
        "local_target": {"command": " ".join(EVALUATE_TARGET), "limit": target["limit"],
                         "cv_passed": target["cv_passed"], "passed": target["passed"],
                         "above_limit": target["above_limit"]},
        "check": {"command": " ".join(CHECK), "output": check},
        "run": {"command": " ".join(run_command(SHOWN_RUN_DIR)),
                "output": proc.stdout.replace(str(run_dir), SHOWN_RUN_DIR).strip("\n") + "\n"},
        "baseline": baseline,
        "image": image,
    }


# ------------------------------------------------------------------------------- helpers

def _v() -> dict:
    from experiments.docs.render import values

    return values("published_county")


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _range(part: dict) -> str:
    return f"{_n(part['min'])}–{_n(part['max'])}"


def _ids(part: dict) -> str:
    return f"`{part['first']}`–`{part['last']}`"


def _change(a: float, b: float, up: str, down: str, same: str, tol: float) -> str:
    if abs(b - a) < tol:
        return same
    return up if b > a else down


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _signed(share: float) -> str:
    return f"{share:+.0%}".replace("-", "−")


def _fence(text: str) -> str:
    return "```\n" + text.strip("\n") + "\n```\n"


# --------------------------------------------------------------------------------- blocks

def render_counts() -> str:
    """The sentence with the table's row, school, level, tier and pupil counts."""
    i = _v()["inputs"]
    lv, t = i["levels"], i["tiers"]
    return (f"There are {i['rows']} rows and {i['schools']} schools: {lv['primary']} primary rows "
            f"and {lv['junior']} junior rows; {t['urban']} urban, {t['town']} town and "
            f"{t['rural']} rural rows; {_n(i['pupils'])} pupils. No grades or tiers table is "
            f"given, so the model synthesises those (see its notes below).\n")


def render_structure() -> str:
    """The table of how the county is put together: sizes read from the CSV, sources as
    written (D-004/D-001 quotes are inputs)."""
    i = _v()["inputs"]
    c, p, tw = i["central"], i["points"], i["townships"]
    sp, sj = i["seat_primary"], i["seat_junior"]
    no_points = ", ".join(tw["without_points"]) or "none"
    rows = [
        {"part": "county seat, primary", "rows": _ids(sp),
         "sizes": f"{_range(sp)} (mean {_n(sp['mean'])})",
         "where": "`P01` is doc 004's school (1,963). The others sit around the city mean of "
                  "3,000,000 / 1,550 = 1,935 pupils per school (D-004 l.243 «本市共有义务教育阶段"
                  "学校1550所,学生总数约300万人», the city has 1,550 compulsory schools and about 3 "
                  "million pupils). `P08` is a new build, still filling up."},
        {"part": "county seat, junior", "rows": _ids(sj), "sizes": _range(sj),
         "where": "assumption: 3 grades against 6, so junior enrolment is about half of primary "
                  f"({i['seat_junior_share']:.0%} here). `J05` is the new junior school (D-004 "
                  "l.253 Qingpu: «建设一所初级中学和一所小学», one new junior and one new primary "
                  "school)."},
        {"part": f"{tw['n']} townships ({tw['town']} 镇 = `town`, {tw['rural']} 乡 = `rural`)",
         "rows": "one central primary `P?1` and one central junior `J?1` each",
         "sizes": f"town: {_range(c['town_primary'])} / {_range(c['town_junior'])}; "
                  f"rural: {_range(c['rural_primary'])} / {_range(c['rural_junior'])}",
         "where": "D-004 l.255 «每个乡镇都建有一所中心初中、一所中心小学» (every township has one "
                  "central junior and one central primary school). Township F's two central "
                  "schools are one nine-year school (`NF`, two rows), since D-001 l.321 counts "
                  "them among junior schools: «新建改(扩)建初中学校8所(含九年一贯制学校)» (8 junior "
                  "schools built or expanded, nine-year schools included). The number of "
                  "townships and their sizes are assumptions."},
        {"part": "teaching points (教学点)", "rows": f"`T??` ({p['n']})",
         "sizes": f"{_range(p)}; {p['under_50']} of them under 50",
         "where": "D-004 l.255 «绝大多数乡镇都保留一至二个教学点» (most townships keep one or two "
                  f"teaching points). Here {tw['with_points']} of the {tw['n']} townships have "
                  f"{tw['points_min']}–{tw['points_max']} (without any: township {no_points}). "
                  "Sizes are assumptions. Points under 50 pupils are left out of the county "
                  "tests (2017 rule)."},
    ]
    from experiments.docs.render import table

    return table(rows, [("part", "part"), ("rows", "rows"), ("sizes", "sizes (pupils)"),
                        ("where", "where the structure comes from")])


def render_size_check() -> str:
    """The county size check: the table's building area against Qingpu's (D-004 l.271)."""
    i = _v()["inputs"]
    total = (QINGPU_NEW_M2 / QINGPU_NEW_SHARE + QINGPU_REPAIRED_M2 / QINGPU_REPAIRED_SHARE) / 2
    ratio = P01_TEACHING_M2 / P01_WHOLE_M2
    whole = i["building_area_m2"] / ratio
    share = whole / total
    size = ("about the same physical size as" if 0.6 <= share <= 1.1
            else "a smaller physical size than" if share < 0.6 else "a larger physical size than")
    rest = (f"The remaining {1 - share:.0%} is assumed to be kindergartens. " if share < 1
            else "")
    return (
        "County size check (derived, not a fitted value): D-004 l.271 (Qingpu), «新建校舍12.1万"
        "平方米,占校舍总面积的37.5%;维修、改造校舍16.3万平方米,占校舍总面积的50.5%», gives new "
        f"school buildings of {_n(QINGPU_NEW_M2)} m² = {QINGPU_NEW_SHARE:.1%} of the total, and "
        f"repaired buildings of {_n(QINGPU_REPAIRED_M2)} m² = {QINGPU_REPAIRED_SHARE:.1%}. Both "
        f"imply a total school floor area of about {round(total, -2):,.0f} m², kindergartens "
        "included. Here the teaching and auxiliary area of `schools.csv` sums to "
        f"{round(i['building_area_m2'], -1):,.0f} m². Using doc 004 XX小学's ratio of teaching "
        f"to whole building area ({P01_TEACHING_M2:,.2f} / {P01_WHOLE_M2:,.2f} ≈ {ratio:.2f}; "
        "the whole area is printed garbled as \"III33.41\", read here as 11133.41), that is "
        f"about {round(whole, -3):,.0f} m² of whole school building, roughly {share:.0%} of "
        f"Qingpu's total. {rest}So the county has {size} the one doc 004 describes.\n")


def render_unusable() -> str:
    """The list of published figures not usable as table values, with the table's own counts
    and the junior CVs against D-001's 0.30 target."""
    v = _v()
    i, ev, tgt, lab = v["inputs"], v["evaluation"], v["local_target"], v["labels"]
    shunde = SHUNDE_PRIMARY / SHUNDE_JUNIOR
    ours = i["levels"]["primary"] / i["levels"]["junior"]
    jq = ev["junior_quality"]
    below = "below" if jq["max_cv"] < LOCAL_TARGET else "not all below"
    if tgt["cv_passed"]:
        verdict = f"all 7 junior CVs pass at {tgt['limit']:.2f}"
    else:
        verdict = (f"{len(tgt['above_limit'])} junior CV(s) fail at {tgt['limit']:.2f} ("
                   + ", ".join(lab[k] for k in tgt["above_limit"]) + ")")
    verdict += ("" if tgt["passed"] else
                ", while the verdict still fails on the schools that do not comply")
    weakest = ("are the weakest" if i["weakest_pe_arts_are_rural"] else "are not all the weakest")
    return (
        f"- D-004 l.720, Shunde 2008: «初中43所,小学162所» ({SHUNDE_JUNIOR} junior and "
        f"{SHUNDE_PRIMARY} primary schools). Also «在校学生357343人,其中在园在托幼儿59230人» "
        "(357,343 students, of whom 59,230 in kindergarten or nursery). Compulsory-school pupils "
        "cannot be separated from senior-high pupils, so this only gives a ratio of primary to "
        f"junior *schools* of {shunde:.1f}. Here the ratio of rows is {i['levels']['primary']} : "
        f"{i['levels']['junior']} ≈ {ours:.1f}. It is {'lower' if ours < shunde else 'higher'} "
        "because the Qingpu layout (one central school of each level per township) is followed "
        "instead.\n"
        "- D-001 l.261 «到2025年,区域内初中资源配置优质均衡校际差异系数均小于0.30» (by 2025, every "
        "between-school difference coefficient of junior resource allocation below 0.30). This "
        f"is a local target, not a reported level. The junior CVs here are {below} it (maximum "
        f"{jq['max_cv']:.3f}, {lab[jq['max_cv_indicator']]}): "
        f"`edusim-evaluate {TABLE} --level junior --threshold {LOCAL_TARGET:.2f}` says "
        f"{verdict}.\n"
        "- D-001 l.353, the 1/3 \"relatively weak\" junior schools: here the "
        f"{i['rural_juniors']} rural juniors ({i['rural_juniors']} of {i['levels']['junior']}) "
        f"{weakest} on PE/arts teachers per pupil. D-002's outcome rates (equipment completion "
        "95 %; senior titles + 15 percentage points) name no place or base year.\n")


def render_evaluate() -> str:
    return _fence(_v()["evaluate"]["output"])


def render_check() -> str:
    return _fence(_v()["check"]["output"])


def render_run() -> str:
    """The baseline's command and its printed report."""
    r = _v()["run"]
    return f"`{r['command']}`\n\n" + _fence(r["output"])


def render_trajectory() -> str:
    """Selected years of the baseline run (timeseries.parquet)."""
    from experiments.docs.render import table

    b = _v()["baseline"]
    s, cv = b["series"], b["cv"]
    rows = []
    for y in TRAJECTORY_YEARS:
        rows.append({
            "year": y,
            "pupils": _n(s["students"][y]),
            "bb": f"{s['backbone_per_100_urban'][y]:.2f} / {s['backbone_per_100_rural'][y]:.2f}",
            "p": (f"{cv['primary']['backbone_teachers_per_100'][y]:.2f} / "
                  f"{cv['primary']['sports_area_m2_per_student'][y]:.2f}"),
            "j": (f"{cv['junior']['backbone_teachers_per_100'][y]:.2f} / "
                  f"{cv['junior']['sports_area_m2_per_student'][y]:.2f}"),
            "comply": (f"{s['quality_schools_complying_primary'][y]:.0%} / "
                       f"{s['quality_schools_complying_junior'][y]:.0%}"),
            "below": f"{s['pupils_in_noncomplying_schools'][y]:.1%}",
        })
    return table(rows, [("year", "year"), ("pupils", "pupils"),
                        ("bb", "backbone per 100 pupils, urban / rural"),
                        ("p", "primary CV: backbone / sports area (limit 0.50)"),
                        ("j", "junior CV: backbone / sports area (limit 0.45)"),
                        ("comply", "schools complying, primary / junior"),
                        ("below", "pupils in schools below the 2017 standard")],
                 align="rrrrrrr")


def render_image() -> str:
    v = _v()
    return (f"![The 20-year baseline of the published county: achievement, gaps, teacher "
            f"effectiveness, backbone teachers by tier and the official CVs of both levels]"
            f"(../../{v['image']})\n")


def _year0(ev: dict, lab: dict, level: str) -> str:
    q = ev[f"{level}_quality"]
    if q["cv_passed"]:
        return (f"{level}: largest CV {q['max_cv']:.2f}, {lab[q['max_cv_indicator']]}, "
                f"against {q['limit']:.2f}")
    return (f"{level}: above {q['limit']:.2f} are "
            + _join([f"{lab[k]} {q['cv'][k]:.2f}" for k in q["above_limit"]]))


def _compliance(ev: dict, lab: dict, level: str) -> str:
    q = ev[f"{level}_quality"]
    if not q["non_compliant"]:
        return f"every {level} school complies"
    tiers = _join([f"{n} {t}" for t, n in q["non_compliant_tiers"].items() if n])
    missed = _join([f"{lab[k]} ({n})" for k, n in q["missed"].items()])
    return (f"{q['non_compliant']} of {q['n_included']} {level} schools do not comply ({tiers}), "
            f"missing {missed}")


def render_findings() -> str:
    """'What the baseline shows': every number and direction from the stored values."""
    v = _v()
    ev, lab, b = v["evaluation"], v["labels"], v["baseline"]
    s, cv = b["series"], b["cv"]
    y0, yn = b["first_year"], b["last_year"]
    lim = {lv: ev[f"{lv}_quality"]["limit"] for lv in LEVELS}
    out = []
    # year 0
    cv_ok = [lv for lv in LEVELS if ev[f"{lv}_quality"]["cv_passed"]]
    passes = "passes both 2017 CV tests" if len(cv_ok) == 2 else (
        f"passes the 2017 CV test only at {cv_ok[0]} level" if cv_ok else
        "fails the 2017 CV tests at both levels")
    out.append(f"In year 0 the county {passes} ("
               + "; ".join(_year0(ev, lab, lv) for lv in LEVELS) + ").")
    bad = [lv for lv in LEVELS if ev[f"{lv}_quality"]["non_compliant"]]
    if bad:
        lead = "It still fails" if len(cv_ok) == 2 else "It also fails"
        out.append(f"{lead} the 2017 test at {_join(bad)} level on school compliance: "
                   + "; ".join(_compliance(ev, lab, lv) for lv in bad) + ".")
    basic = [ev[f"{lv}_basic"] for lv in LEVELS]
    out.append("The 2012 basic test " + ("passes" if all(x["passed"] for x in basic) else
                                         "does not pass at every level")
               + " (mean of the 8 CVs: " + "; ".join(
                   f"{lv} {x['mean_cv']:.3f} against {x['limit']:.2f}"
                   for lv, x in zip(LEVELS, basic, strict=True)) + ").")
    # enrolment and backbone teachers
    st = s["students"]
    out.append(f"Over {yn} years with no policy change, enrolment "
               f"{_change(st[y0], st[yn], 'rises', 'falls', 'stays', 0.5)} by "
               f"{abs(st[yn] / st[y0] - 1):.0%} ({_n(st[y0])} → {_n(st[yn])} pupils); by tier, "
               + ", ".join(f"{t} {_signed(s[f'students_{t}'][yn] / s[f'students_{t}'][y0] - 1)}"
                           for t in ("urban", "town", "rural")) + ".")
    bu, br = s["backbone_per_100_urban"], s["backbone_per_100_rural"]
    out.append("Backbone teachers per 100 pupils "
               f"{_change(br[y0], br[yn], 'rise', 'fall', 'stay about level', 0.01)} in rural "
               f"schools ({br[y0]:.2f} → {br[yn]:.2f}) and "
               f"{_change(bu[y0], bu[yn], 'rise', 'fall', 'stay about level', 0.01)} in urban "
               f"ones ({bu[y0]:.2f} → {bu[yn]:.2f}).")
    # the CVs
    sp = b["primary_sports_m2_per_pupil"]
    sc = [cv[lv]["sports_area_m2_per_student"] for lv in LEVELS]
    rural = s["students_rural"]
    empty = " as they empty" if rural[yn] < rural[y0] else ""
    verbs = [_change(c[y0], c[yn], "rise", "fall", "stay about level", 0.01) for c in sc]
    if verbs[0] == verbs[1]:
        cvs = (f"The sports-ground-area CVs {verbs[0]} (primary {sc[0][y0]:.2f} → "
               f"{sc[0][yn]:.2f}, junior {sc[1][y0]:.2f} → {sc[1][yn]:.2f})")
    else:
        cvs = (f"The primary sports-ground-area CV {verbs[0][:-1] + 's'} ({sc[0][y0]:.2f} → "
               f"{sc[0][yn]:.2f}) and the junior one {verbs[1][:-1] + 's'} ({sc[1][y0]:.2f} → "
               f"{sc[1][yn]:.2f})")
    r0, rn = sp[str(y0)]["rural"], sp[str(yn)]["rural"]
    most = (", which had the most sports ground per pupil,"
            if r0 == max(sp[str(y0)].values()) else "")
    have = _change(r0, rn, "have more", "have less", "keep about as much", 0.05)
    out.append(f"{cvs}; the rural primary schools{most} {have} per pupil{empty} ({r0:.1f} → "
               f"{rn:.1f} m² per pupil; urban {sp[str(y0)]['urban']:.1f} → "
               f"{sp[str(yn)]['urban']:.1f} m²).")
    fail_last = {lv: [k for k, yrs in b["cv_above_limit_years"][lv].items() if yn in yrs]
                 for lv in LEVELS}
    parts = []
    for lv in LEVELS:
        if fail_last[lv]:
            parts.append(f"at {lv} level on " + _join(
                [f"the CV of {lab[k]} ({cv[lv][k][yn]:.2f} > {lim[lv]:.2f})"
                 for k in fail_last[lv]]))
    if parts:
        out.append(f"In year {yn} the 2017 CV test fails " + _join(parts) + ".")
    else:
        out.append(f"In year {yn} every 2017 CV is within its limit.")
    earlier = []
    for lv in LEVELS:
        for k, yrs in b["cv_above_limit_years"][lv].items():
            if k in fail_last[lv]:
                continue
            vals = cv[lv][k]
            peak = max(range(len(vals)), key=lambda y: vals[y] or 0)
            span = f"year {yrs[0]}" if len(yrs) == 1 else f"from year {yrs[0]} to {yrs[-1]}"
            earlier.append(f"the {lv} CV of {lab[k]} is above {lim[lv]:.2f} in {len(yrs)} of "
                           f"the {yn} years ({span}, highest {vals[peak]:.2f} in year {peak}) "
                           f"and ends at {vals[yn]:.2f}")
    if earlier:
        out.append("Along the way " + "; ".join(earlier) + ".")
    comply = [s[f"quality_schools_complying_{lv}"] for lv in LEVELS]
    out.append("The share of schools complying with the school standards goes from "
               + " and ".join(f"{c[y0]:.0%} to {c[yn]:.0%} ({lv})"
                              for lv, c in zip(LEVELS, comply, strict=True)) + ".")
    below = s["pupils_in_noncomplying_schools"]
    peak = max(range(len(below)), key=lambda y: below[y])
    peak_text = (f", after a high of {below[peak]:.1%} in year {peak}"
                 if peak not in (y0, yn) else "")
    out.append("The share of pupils in schools below the 2017 standard "
               f"{_change(below[y0], below[yn], 'rises', 'falls', 'stays about level', 0.005)} "
               f"from {below[y0]:.1%} in year 0 to {below[yn]:.1%} in year {yn}{peak_text}.")
    gaps = []
    for key, name, unit in (("urban_rural_gap", "urban–rural achievement gap", " SD"),
                            ("ses_gap", "SES quartile gap", " SD")):
        g = s[key]
        gaps.append(f"the {name} "
                    f"{_change(g[y0], g[yn], 'widens', 'narrows', 'stays about where it was', 0.02)}"
                    f" ({g[y0]:.2f} → {g[yn]:.2f}{unit})")
    out.append(_join(gaps)[0].upper() + _join(gaps)[1:] + ".")
    met = [y for y, ok in enumerate(s["quality_passed"]) if ok]
    basic_ok = all(s["basic_passed"])
    quality = (f"is not met in any of the {yn + 1} years (years 0–{yn})" if not met else
               f"is first met in year {met[0]}")
    bas = ("stays met in every year" if basic_ok else
           f"fails in {sum(not x for x in s['basic_passed'])} of the {yn + 1} years")
    out.append(f"So the 2017 high-quality test {quality}, while the 2012 basic test {bas} "
               f"(mean CV in year {yn}: " + ", ".join(
                   f"{lv} {s[f'basic_mean_cv_{lv}'][yn]:.2f}" for lv in LEVELS) + ").")
    out.append("These dynamics come from the model's default behaviour rules, not from the "
               "documents.")
    return "**What the baseline shows.** " + " ".join(out) + "\n"


def render_per_pupil() -> str:
    """The per-pupil building area, sports area and equipment of every row but P01."""
    from experiments.docs.render import table

    rows = [{"school": f"`{r['id']}` {r['level']} {r['tier']}", "building": f"{r['building']:.2f}",
             "sports": f"{r['sports']:.2f}", "equipment": f"{r['equipment']:.0f}"}
            for r in _v()["inputs"]["per_pupil"]]
    return table(rows, [("school", "school"), ("building", "building"), ("sports", "sports"),
                        ("equipment", "equipment")], align="lrrr")
