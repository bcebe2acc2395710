"""The default county against published figures: the targets table of docs/calibration.md
§0 and the README's realism summary, as ``python -m experiments.calibration.realism`` makes
them (20 seeds, 20 years; the targets, their sources, bands and roles are in
``experiments/calibration/targets.py``).
"""

from __future__ import annotations

import json

from experiments.docs.store import rounded

TITLE = "Realism targets: the default county against published figures (docs/calibration.md §0)"

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = [
    "experiments/calibration/realism.py",
    "experiments/calibration/targets.py",
    "configs/experiment/county_plan.yaml",
]

COMMAND = ["python", "-m", "experiments.calibration.realism"]


def run(ctx) -> dict:
    out = ctx.scratch / "realism"
    ctx.sh(*COMMAND, "--out", str(out), label="realism targets")
    ctx.image(out / "img" / "calibration" / "realism.png", "calibration/realism.png")
    result = json.loads((out / "realism.json").read_text(encoding="utf-8"))
    for row in result["targets"]:  # sources and notes live in targets.py, not in the record
        for key in ("source", "note", "label", "published", "unit"):
            row.pop(key, None)
    result["command"] = " ".join(COMMAND)
    return rounded(result, 4)


def _rows() -> list[dict]:
    """The stored rows joined with the targets' text (label, published, source, note)."""
    from experiments.calibration.targets import by_key
    from experiments.docs.render import values

    targets = by_key()
    rows = []
    for r in values("realism")["targets"]:
        t = targets[r["key"]]
        rows.append({**r, "target": t})
    return rows


def _value(x: float | None, unit: str) -> str:
    if x is None:
        return "—"
    if unit in ("share", "year-0 SD", "CV", "correlation", "per 100 pupils"):
        return f"{x:.2f}"
    return f"{x:.3g}" if abs(x) < 10 else f"{x:.1f}"


ROLE_TEXT = {"tune": "tuned", "holdout": "held out", "check": "check"}


def _verdict(r: dict) -> str:
    t, m = r["target"], r["model"]["mean"]
    if m is None:
        return "no value"
    if r["inside"]:
        return "inside"
    side = "above" if m > t.high else "below"
    return f"**{side}** the band"


def render_table() -> str:
    """docs/calibration.md §0: one row per target."""
    from experiments.docs.render import table

    rows = []
    for r in _rows():
        t, m = r["target"], r["model"]
        ci = m["ci95"]
        model = _value(m["mean"], t.unit) + (f" (±{ci:.2g})" if ci else "")
        rows.append({"target": t.label, "published": t.published,
                     "band": f"{t.low:g} to {t.high:g} ({t.unit})", "model": model,
                     "role": ROLE_TEXT[t.role], "verdict": _verdict(r),
                     "source": t.source})
    return table(rows, [("target", "target"), ("published", "published"),
                        ("band", "band"), ("model", "model (95% CI)"), ("role", "role"),
                        ("verdict", "verdict"), ("source", "source")])


def render_summary() -> str:
    """One sentence per role: how many targets lie inside their bands, and which do not."""
    from experiments.docs.render import values

    v = values("realism")
    rows = _rows()
    lines = [f"Measured over {v['seeds']} seeds of {v['years']} years on the built-in "
             f"{v['region']} county (`{v['command']}`)."]
    for role, words in (("tune", "targets used to set defaults"),
                        ("holdout", "held-out targets"), ("check", "checks")):
        sub = [r for r in rows if r["target"].role == role]
        if not sub:
            continue
        inside = sum(r["inside"] for r in sub)
        outside = [r["target"].label for r in sub if not r["inside"]]
        text = f"{inside} of {len(sub)} {words} lie inside their bands"
        if outside:
            text += ": " + "; ".join(outside) + (" does not." if len(outside) == 1
                                                 else " do not.")
        else:
            text += "."
        lines.append(text[0].upper() + text[1:])
    return "\n".join(lines) + "\n"


def render_plan() -> str:
    """The ``county_plan`` mix: how often it reaches the 2017 standard by year 15 and what it
    costs beyond the same-seed baseline."""
    import math

    from experiments.docs.render import values

    v = values("realism")
    extra = v["extra"]
    first = [f for f in extra["county_plan_first_pass"] if f is not None and math.isfinite(f)]
    by15 = sorted(int(f) for f in first if f <= 15)
    n = len(extra["county_plan_first_pass"])
    years = ", ".join(str(y) for y in by15) if by15 else "none"
    later = len(first) - len(by15)
    total, per = extra["county_plan_extra_yuan"], extra["county_plan_extra_yuan_per_pupil_year"]
    pol, sal = extra["county_plan_policy_yuan"], extra["county_plan_extra_salaries_yuan"]
    text = (f"**What reaching the 2017 standard takes.** The `county_plan` mix "
            "(`configs/experiment/county_plan.yaml`: school groups, rotation as two-way "
            "exchange, shortfall funding of facilities and sports grounds, the rural teacher "
            "package, backbone titles steered to every school, a PE/arts recruitment drive, "
            "surplus school space handed over to other uses such as village kindergartens) "
            f"passed the standard by year 15 in {len(by15)} of {n} seeds (first passing years: "
            f"{years})")
    text += (f"; {later} more passed by year {v['years']}. " if later else ". ")
    text += (f"With no policy the county passed in {seeds_passing(extra['baseline_first_pass'])} of "
             f"{len(extra['baseline_first_pass'])} seeds within {v['years']} years.\n\n")
    text += (f"- **Cost**, years 1-15: {total['mean'] / 1e6:,.0f} m yuan "
             f"(±{total['ci95'] / 1e6:,.0f}) more than the same-seed baseline, "
             f"{per['mean']:,.0f} yuan per pupil a year: {pol['mean'] / 1e6:,.0f} m yuan of the "
             f"policies' own money and {sal['mean'] / 1e6:,.0f} m yuan of extra salaries "
             "(more teachers: the PE/arts posts, fewer vacancies), the rest the county's "
             "own budget lines moving with it.\n")
    without = extra.get("county_plan_without_surplus_first_pass")
    if without is not None:
        bld = extra["county_plan_surplus_building_m2"]["mean"]
        spo = extra["county_plan_surplus_sports_m2"]["mean"]
        conv = extra["county_plan_surplus_conversion_yuan"]["mean"]
        text += (f"- **Surplus space**: {bld:,.0f} m² of school building and {spo:,.0f} m² of "
                 f"sports ground handed over in years 1-15 (conversion {conv / 1e6:,.1f} m "
                 "yuan, in the county's lines). Without it the same mix passed by year 15 in "
                 f"{seeds_passing(without, 15)} of {len(without)} seeds: in a county whose rural "
                 "schools lose pupils, the building and sports-ground CVs decide.\n")
        paces = extra.get("county_plan_surplus_pace_first_pass") or {}
        if paces:
            text += ("- **Its pace is an assumption** (half the surplus a year): at other "
                     "paces the mix passed by year 15 in "
                     + "; ".join(f"{seeds_passing(f, 15)} of {len(f)} seeds ({_share_words(p)})"
                                 for p, f in paces.items()) + ".\n")
    return text


def _share_words(pace: str) -> str:
    """A yearly share of the surplus in words ("0.25" -> "25% of it a year")."""
    p = float(pace)
    return "all of it each year" if p >= 1 else f"{p:.0%} of it a year"


def seeds_passing(first: list, by: float = float("inf")) -> int:
    """Seeds whose first passing year is known (and at most ``by``)."""
    import math

    return sum(1 for f in first if f is not None and math.isfinite(f) and f <= by)


#: the defaults set to bring the model inside a "tune" target's band (parameter, target key)
TUNED: tuple[tuple[str, str], ...] = (
    ("school_effects.persistent_sd", "between_school_share_g9"),
    ("school_effects.key_effect", "between_school_share_g9"),
    ("teachers.skill_mean", "urban_rural_gap_g79"),
    ("teachers.hire_skill_mean", "urban_rural_gap_g79"),
    ("learning.left_behind_effect", "left_behind_within_gap_g79"),
    ("learning.entry_left_behind", "left_behind_within_gap_g79"),
    ("finance.dispersion_building", "cv2012_primary_building"),
    ("finance.dispersion_sports", "cv2012_primary_sports"),
    ("finance.dispersion_equipment", "cv2012_primary_equipment"),
    ("finance.dispersion_computers", "basic_cv_primary"),
    ("finance.dispersion_books", "basic_cv_primary"),
    ("finance.staffing_dispersion", "cv2012_primary_ratio"),
    ("teachers.backbone_target", "backbone_per_100_primary_y11"),
)


def _default(name: str) -> str:
    from sim.config import ByTier, SimConfig

    node = SimConfig()
    for part in name.split("."):
        node = getattr(node, part)
    if isinstance(node, ByTier):
        return f"urban {node.urban:g} / town {node.town:g} / rural {node.rural:g}"
    return f"{node:g}"


def render_tuning() -> str:
    """The retuning log's entries for the realism targets: each tuned default, its current
    value (from the schema) and the target it was set to."""
    from experiments.calibration.targets import by_key

    targets = by_key()
    lines = []
    for name, key in TUNED:
        t = targets[key]
        lines.append(f"- `{name}` = {_default(name)}: set so that the default county lands "
                     f"inside the band of \"{t.label}\" ({t.published}, {t.source}; §0).")
    return "\n".join(lines) + "\n"


def _indicator_words(col: str) -> str:
    from sim.standards import INDICATORS

    level, name = col.removeprefix("cv_").split("_", 1)
    return f"{level} {INDICATORS[name].label}"


def render_disagreements() -> str:
    """Where the model is outside a band: the measured value and the reason recorded in
    ``KNOWN_DISAGREEMENTS`` (with the diagnostics the job measured alongside)."""
    from collections import Counter

    from experiments.calibration.targets import KNOWN_DISAGREEMENTS
    from experiments.docs.render import values

    v = values("realism")
    extra = v["extra"]
    out = []
    for r in _rows():
        if r["inside"]:
            continue
        t, m = r["target"], r["model"]
        reason = KNOWN_DISAGREEMENTS.get(t.key, "not yet explained")
        line = (f"- **{t.label}**: model {_value(m['mean'], t.unit)} (±{m['ci95']:.2g}) "
                f"against the band {t.low:g} to {t.high:g} {t.unit}. "
                f"{reason[0].upper()}{reason[1:]}.")
        if t.key == "trend_20y":
            s = extra["trend_20y_static_demography"]
            line += (f" Measured: {s['mean']:+.3f} SD (±{s['ci95']:.2g}) without shifts between "
                     "tiers.")
        if t.key == "county_plan_pass_share_15y":
            counts = Counter(c for seed in extra["county_plan_over_limit_y15"] if seed
                             for c in seed.split(";"))
            n = len(extra["county_plan_over_limit_y15"])
            over = "; ".join(f"{_indicator_words(c)} in {k} of {n} seeds"
                             for c, k in counts.most_common())
            p, j = (extra[f"county_plan_complying_{lv}_y15"]["mean"] for lv in
                    ("primary", "junior"))
            line += (f" In year 15 the CVs over their limits are: {over}; "
                     f"{p:.0%} of primary and {j:.0%} of junior schools meet 6 of the 7 "
                     "school standards.")
        out.append(line)
    if not out:
        return "Every target lies inside its band.\n"
    return "**Where the model disagrees** (reported, not tuned away):\n\n" + "\n".join(out) + "\n"
