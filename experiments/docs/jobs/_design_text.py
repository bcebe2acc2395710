"""The README's "Policy design" paragraphs, rendered from the stored results of the design jobs
(design_default, design_published, design_default_2017, design_strict): every number, and
every word that states a direction or an outcome, comes from the values."""

from __future__ import annotations

import shlex

from experiments.docs.render import measured_on, result, values

#: condition columns in words (with the unit their limit is in)
_COLUMNS = {
    "urban_rural_gap": ("the urban–rural gap", " SD"),
    "cv_junior_backbone_teachers_per_100": ("the junior backbone-teacher CV", ""),
    "cv_primary_backbone_teachers_per_100": ("the primary backbone-teacher CV", ""),
    "cv_primary_building_area_m2_per_student": ("the primary building-area CV", ""),
    "quality_cv_passed": ("every 2017 CV within its limit at both levels", None),
    "quality_cv_passed_junior": ("every junior 2017 CV within its limit", None),
    "quality_cv_passed_primary": ("every primary 2017 CV within its limit", None),
}
_OPS = {"<=": "≤", ">=": "≥", "<": "<", ">": ">", "==": "="}

_STANDARDS = {
    "quality_cv_passed_primary": "the primary schools' 2017 CV test",
    "quality_cv_passed_junior": "the junior schools' 2017 CV test",
    "quality_passed": "the whole 2017 high-quality balance test",
    "basic_passed": "the 2012 basic balance test",
}

_TIER_WORDS = {"urban": "city schools", "town": "town schools", "rural": "village schools"}


def _condition(text: str) -> str:
    parts = text.split()
    name = parts[0]
    words, unit = _COLUMNS.get(name, (f"`{name}`", ""))
    if len(parts) == 3 and unit is not None:
        return f"{words} {_OPS.get(parts[1], parts[1])} {parts[2]}{unit}"
    return words if len(parts) == 1 else f"`{text}`"


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _feasible_count(r: dict) -> str:
    k = r["feasible_trials"]
    if k == 0:
        return "none was feasible"
    return f"{k} {'was' if k == 1 else 'were'} feasible"


def _year(y) -> str:
    return format(y, "g")


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def _pm(mean: float, half, spec: str) -> str:
    if half is None:
        return format(mean, spec)
    return f"{format(mean, spec)} ± {format(half, spec.lstrip('+'))}"


def _mix_list(mix: list[str]) -> str:
    return "\n".join(f"- {m}" for m in mix) + "\n"


def _best_text(r: dict, cheapest: str) -> str:
    """The cheapest feasible mix: its cost, its levers (a list), its equity gain and quality
    change, and the first pass year of each official standard."""
    b = r["best"]
    y = r["target_year"]
    gain = b["equity_gain"]
    if r["equity_measure"] == "urban_rural_gap":
        eq = (f"the urban–rural gap {'narrows' if gain > 0 else 'widens'} by "
              f"{_pm(abs(gain), b['equity_gain_ci95'], '.2f')} SD")
    else:
        eq = f"`{r['equity_measure']}` gain {_pm(gain, b['equity_gain_ci95'], '+.3f')}"
    q = b["quality_change"]
    by_year: dict[float, list[str]] = {}
    never = []
    for s, words in _STANDARDS.items():
        fy = b["first_pass_year"].get(s)
        if fy is None:
            never.append(words)
        else:
            by_year.setdefault(fy, []).append(words)
    passes = [f"{_and(w)} in year {_year(fy)}" for fy, w in sorted(by_year.items())]
    standards = []
    if passes:
        standards.append(f"the county first passes {'; '.join(passes)}")
    if never:
        standards.append(f"it never passes {_and(never).replace(' and ', ' or ')} within "
                         f"the {y} years")
    return (f"{cheapest} (trial {b['trial']}, meeting the target in {b['seeds_met']} of "
            f"{r['seeds']} seeds) costs **{_pm(b['cost_m'], b['cost_ci95'], '.1f')} million "
            f"yuan** over {y} years (mean ± 95% interval over seeds):\n\n"
            f"{_mix_list(b['mix'])}\n"
            f"That is the policies' own money, what the search minimises; the county's extra "
            f"spending against the same-seed baseline, every cost line (so also salaries and "
            f"allowances that move with the policies), is "
            f"{_pm(b['county_m'], b['county_ci95'], '.1f')} million yuan. "
            f"Against the same-seed baseline {eq}, and mean achievement changes by "
            f"{_pm(q, b['quality_change_ci95'], '+.2f')} SD. With this mix "
            f"{'; '.join(standards)} (median over seeds of the first year a test is met).\n")


def _infeasible_text(r: dict) -> str:
    """An infeasible search: the closest trial, with its mix as a list."""
    c = r["closest"]
    if c["seeds_met"] == 0:
        return "the target is **infeasible** with these levers: no mix met it in any seed.\n"
    return (f"the target is **infeasible** with these levers. The closest mix (trial "
            f"{c['trial']}) met it in {c['seeds_met']} of {r['seeds']} seeds:\n\n"
            f"{_mix_list(c['mix'])}")


def _baseline_text(r: dict) -> str:
    """What the same-seed baseline does: the numeric conditions' columns in the target year,
    and in how many seeds it meets the target in year 0 and in the target year."""
    b = r["baseline"]
    y = r["target_year"]
    parts = []
    for col, v in b["columns"].items():
        words, unit = _COLUMNS.get(col, (f"`{col}`", ""))
        parts.append(f"{words} is {v['target_year']:.2f}{unit or ''}")
    cols = (f"in year {y} {_and(parts)} (mean over seeds); " if parts else "")
    k0, k = b["seeds_met_year0"], b["seeds_met_target_year"]
    n = r["seeds"]
    if k0 == k == 0:
        met = f"it meets the target in no seed, in year 0 or in year {y}"
    elif k0 == k:
        met = f"it meets the target in {k} of {n} seeds both in year 0 and in year {y}"
    else:
        met = (f"it meets the target in {k0} of {n} seeds in year 0 but in {k} of {n} in "
               f"year {y}")
    return f"Without any lever (the same-seed baseline), {cols}{met}."


def _target(r: dict) -> str:
    return (f"The target: in year {r['target_year']}, "
            f"{_and([_condition(c) for c in r['conditions']])}, in at least {r['seeds_needed']} "
            f"of {r['seeds']} seeds, without lowering mean achievement")


def _search_head(job: str, r: dict) -> str:
    return (f"{_feasible_count(r)}; the search took {_minutes(r['seconds'])} "
            f"({measured_on(job)})")


def _outcome(r: dict, cheapest: str) -> str:
    if r["feasible"]:
        return _best_text(r, cheapest)
    return _infeasible_text(r)[0].upper() + _infeasible_text(r)[1:]


def _side_search(job: str, key: str, intro: str) -> str:
    r = values(job)[key]
    cmd = result(job)["commands"][0].rsplit(" hydra.sweep.dir=", 1)[0]
    head = (f"{intro} (`{cmd}`): of {_count(r['trials'], 'trial', 'trials')}, "
            f"{_search_head(job, r)}")
    if r["feasible"]:
        return head + ". " + _best_text(r, "The cheapest")
    return head + "; " + _infeasible_text(r)


def _search_limit(r: dict, strict: dict) -> str:
    """A note when the stricter search found a cheaper mix than the canonical one: that mix
    meets the looser target too, so the canonical search missed it."""
    s = strict["default_county_strict"]
    if not (r["feasible"] and s["feasible"] and s["best"]["cost_m"] < r["best"]["cost_m"]):
        return ""
    return ("\nThis mix is cheaper than the canonical search's and meets the looser target "
            f"too: {r['trials']} trials do not find the cheapest mix reliably (a search is a "
            "sample of mixes); raise `design.n_trials`, or run several searches into one study "
            "(`design.storage`), before quoting a cost as the lowest.\n")


def render_default() -> str:
    """The default county's paragraphs: the canonical target and the two related searches."""
    r = values("design_default")["default_county"]
    strict = values("design_strict")
    official = values("design_default_2017")["default_county_2017"]
    conds = [_condition(c) for c in official["conditions"]]
    parts = [
        f"**Canonical example (default county).** {_target(r)} (`+target=default_county`). "
        f"{_baseline_text(r)} Of {r['trials']} trials over rotation, school groups, targeted "
        f"funding and rural incentives (on/off, intensities, start years), "
        f"{_search_head('design_default', r)}.\n",
        _outcome(r, "The cheapest feasible mix"),
        _side_search("design_strict", "default_county_strict",
                     f"The stricter target of an urban–rural gap ≤ "
                     f"{strict['gap_limit']:.2f} SD") + _search_limit(r, strict),
        _side_search("design_default_2017", "default_county_2017",
                     f"The official question, {_and(conds)} by year {official['target_year']}"),
    ]
    if not official["feasible"]:
        parts.append(_plan_pointer())
    return "\n".join(parts)


def _plan_pointer() -> str:
    """Where the 2017 test is reached after all: the ``county_plan`` mix (realism job)."""
    from experiments.docs.jobs.realism import seeds_passing

    first = values("realism")["extra"]["county_plan_first_pass"]
    by15 = seeds_passing(first, 15)
    return ("The four policy levers searched here leave the building and sports-ground CVs "
            "over their limits where rural schools lose pupils. The `county_plan` experiment "
            "adds county strategies the search does not vary (backbone titles steered to "
            "every school, a PE/arts recruitment drive, surplus school space handed over to "
            f"other uses) and passes the whole 2017 test by year 15 in {by15} of {len(first)} "
            "seeds ([what it costs]"
            "(#evidence-behind-the-defaults-and-how-far-to-trust-the-model)).\n")


def render_images() -> str:
    """The default county's figures (the cost profile only when a mix was feasible)."""
    r = values("design_default")["default_county"]
    out = "![Policy mixes searched for the default county](docs/img/design_front.png)\n"
    if r.get("cost_profile_image"):
        out += "\n![Yearly cost of the cheapest feasible mix](docs/img/design_cost_profile.png)\n"
    return out


def render_rotation() -> str:
    """Where backbone teachers end up under rotation at 20%: the three tiers' figures, and
    the direction words chosen from them."""
    r = values("design_default")["rotation"]
    now, then = r["backbone_per_100"], r["backbone_per_100_year0"]
    order = sorted(now, key=lambda t: -now[t])
    moves = []
    for t in order:
        a, b = then[t], now[t]
        verb = "rise" if round(b, 1) > round(a, 1) else "fall" if round(b, 1) < round(a, 1) \
            else "stay"
        moves.append(f"{verb} from {a:.1f} to {b:.1f} in {_TIER_WORDS[t]}" if verb != "stay"
                     else f"stay at {b:.1f} in {_TIER_WORDS[t]}")
    top0 = max(then, key=then.get)
    ratio0 = max(then.values()) / min(then.values())
    ratio = max(now.values()) / min(now.values())
    spread = ("narrower than" if round(ratio, 1) < round(ratio0, 1) else
              "wider than" if round(ratio, 1) > round(ratio0, 1) else "as wide as")
    lead = (f"{_TIER_WORDS[order[0]]} still have the most" if order[0] == top0
            else f"{_TIER_WORDS[order[0]]} have the most (in year 0, {_TIER_WORDS[top0]} had)")
    cmd = shlex.join(r["command"].split())
    return (f"Where backbone teachers go under rotation (default direction: urban schools "
            f"send, rural schools receive, town schools neither send nor receive): at a "
            f"{r['rate']:.0%} rate (`{cmd}`), from year 0 to year {r['year']} backbone "
            f"teachers per 100 pupils {_and(moves)}. In year {r['year']} {lead}; the tier "
            f"with the most has {ratio:.1f} times as many per pupil as "
            f"the tier with the fewest (year 0: {ratio0:.1f} times), a spread {spread} "
            f"at the start.\n")


def render_published() -> str:
    """The published example county's paragraphs."""
    r = values("design_published")["published_county"]
    return "\n".join([
        f"**Canonical example (the published example county).** {_target(r)} "
        f"(`+target=published_county`). {_baseline_text(r)} Of {r['trials']} trials, "
        f"{_search_head('design_published', r)}.\n",
        _outcome(r, "The cheapest feasible mix found")])
