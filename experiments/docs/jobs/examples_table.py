"""examples/README.md: the contents of ``examples/county_schools.csv`` (counts read from the
file) and what the official tests make of it (``edusim-evaluate ... --standard both``)."""

from __future__ import annotations

import csv
import json

TITLE = "examples/county_schools.csv: its contents and the official tests (examples/README.md)"

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = [
    "examples/county_schools.csv",
    "sim/evaluation/*.py",
]

TABLE = "examples/county_schools.csv"
EVALUATE = ["edusim-evaluate", TABLE, "--standard", "both", "--json"]
LEVELS = ("primary", "junior")
TIERS = ("urban", "town", "rural")


def _contents(root) -> dict:
    with open(root / TABLE, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    ids = [r["school_id"] for r in rows]
    nine = sorted({i for i in ids if ids.count(i) > 1})
    return {
        "rows": len(rows),
        "levels": {lv: {t: sum(r["level"] == lv and r["tier"] == t for r in rows)
                        for t in TIERS} for lv in LEVELS},
        "nine_year": [{"id": i, "tier": next(r["tier"] for r in rows if r["school_id"] == i)}
                      for i in nine],
        "small": [{"id": r["school_id"], "level": r["level"], "pupils": int(r["students"]),
                   "teaching_point": "teaching point" in r["name"].lower()}
                  for r in rows if int(r["students"]) < 50],
    }


def run(ctx) -> dict:
    from sim.standards import INDICATORS

    report = json.loads(ctx.sh(*EVALUATE).stdout)
    results = {}
    for res in report["results"]:
        entry = {"passed": res["passed"], "limit": res["limit"], "mean_cv": res["mean_cv"],
                 "n_included": res["n_included"], "excluded": res["excluded_schools"]}
        if res["standard"] == "quality":
            bad = [s for s in res["schools"] if not s["excluded"] and not s["complies"]]
            entry.update({
                "above_limit": {k: res["cv"][k] for k in res["above_limit"]},
                "non_compliant": len(bad),
                "missing_two_or_more": {t: sum(s["tier"] == t and 7 - s["n_met"] >= 2
                                               for s in bad) for t in TIERS},
                # pupil-weighted sports area per pupil by tier (why its CV is high)
                "sports_m2_per_pupil": {
                    t: (sum(s["sports_area_m2_per_student"] * s["students"] for s in grp)
                        / sum(s["students"] for s in grp))
                    for t in TIERS
                    if (grp := [s for s in res["schools"]
                                if s["tier"] == t and not s["excluded"]])},
            })
        results[f"{res['level']}_{res['standard']}"] = entry
    return {"command": " ".join(EVALUATE), "contents": _contents(ctx.root),
            "labels": {k: i.label for k, i in INDICATORS.items()}, "results": results}


def _v() -> dict:
    from experiments.docs.render import values

    return values("examples_table")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def render_contents() -> str:
    """The list of what the table holds, counted from the CSV."""
    v = _v()
    c = v["contents"]
    left_out = {lv: set(v["results"][f"{lv}_quality"]["excluded"]) for lv in LEVELS}
    lines = [f"Contents ({c['rows']} rows):", ""]
    small = {lv: [s for s in c["small"] if s["level"] == lv] for lv in LEVELS}
    for lv in LEVELS:
        n = c["levels"][lv]
        line = (f"- {sum(n.values())} {lv} rows: {n['urban']} urban, {n['town']} town, "
                f"{n['rural']} rural")
        if small[lv]:
            pts = _join([f"`{s['id']}`"
                         + (" (a teaching point)" if s["teaching_point"] else "")
                         + f" with {s['pupils']} pupils"
                         + ("" if s["id"] in left_out[lv] else ", still evaluated")
                         for s in small[lv]])
            line += f" (of which under 50 pupils: {pts}"
            if all(s["id"] in left_out[lv] for s in small[lv]):
                line += "; left out of the county computation"
            line += ")"
        lines.append(line + ";")
    nine = c["nine_year"]
    if nine:
        lines.append(f"- {len(nine)} nine-year school{'s' if len(nine) > 1 else ''} ("
                     + ", ".join(f"`{n['id']}` {n['tier']}" for n in nine)
                     + "), each as a primary and a junior row with the same `school_id`;")
    lines.append("- all optional columns (`teachers`, `teachers_mid_title`, `computers`, "
                 "`books`, `x`, `y`).")
    return "\n".join(lines) + "\n"


def render_verdict() -> str:
    """What the official tests make of the table, every verdict and number from the run."""
    v = _v()
    r, lab = v["results"], v["labels"]
    q = {lv: r[f"{lv}_quality"] for lv in LEVELS}
    b = {lv: r[f"{lv}_basic"] for lv in LEVELS}
    failed = [lv for lv in LEVELS if not q[lv]["passed"]]
    if len(failed) == 2:
        head = "fails the 2017 high-quality test at both levels"
    elif failed:
        head = f"fails the 2017 high-quality test at {failed[0]} level only"
    else:
        head = "passes the 2017 high-quality test at both levels"
    reasons = []
    above: dict[str, list[str]] = {}
    for lv in LEVELS:
        for k in q[lv]["above_limit"]:
            above.setdefault(k, []).append(lv)
    for k, lvs in above.items():
        where = "both levels" if len(lvs) == 2 else f"{lvs[0]} level"
        cvs = ", ".join(f"{lv} {q[lv]['above_limit'][k]:.3f} against {q[lv]['limit']:.2f}"
                        for lv in lvs)
        extra = ""
        if k == "sports_area_m2_per_student" and "primary" in lvs:
            sp = q["primary"]["sports_m2_per_pupil"]
            if sp.get("rural", 0) > sp.get("urban", 0):
                extra = (f"; rural primary schools have {sp['rural']:.1f} m² per pupil against "
                         f"{sp['urban']:.1f} in urban ones")
        reasons.append(f"the difference coefficient of {lab[k]} exceeds the limit at {where} "
                       f"({cvs}{extra})")
    for lv in LEVELS:
        if q[lv]["non_compliant"]:
            two = q[lv]["missing_two_or_more"]
            miss = _join([f"{n} {t}" for t, n in two.items() if n]) if any(two.values()) else ""
            reasons.append(f"{q[lv]['non_compliant']} of {q[lv]['n_included']} {lv} schools do "
                           "not meet the school standards"
                           + (f" ({miss} schools miss two or more of the seven)" if miss else ""))
    text = f"With these figures the county {head}"
    text += (": " + "; ".join(reasons) + ".") if reasons else "."
    b_ok = all(b[lv]["passed"] for lv in LEVELS)
    ease = all(b[lv]["mean_cv"] <= b[lv]["limit"] / 2 for lv in LEVELS)
    text += (f" It {'passes' if b_ok else 'does not pass'} the 2012 basic test"
             + (" comfortably" if b_ok and ease else "") + " (mean of the 8 CVs "
             + ", ".join(f"{b[lv]['mean_cv']:.3f} {lv} against {b[lv]['limit']:.2f}"
                         for lv in LEVELS)
             + f"; from `{v['command']}`).")
    return text + "\n"
