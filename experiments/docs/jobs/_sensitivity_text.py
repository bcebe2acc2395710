"""The Markdown of docs/calibration.md §5 (the sensitivity analysis), rendered from the
stored results of the ``sensitivity`` docs job (``render_*``, called by the cog blocks), and
the small number formats the calibration text shares. Kept apart from the job so that
rewording a sentence does not make the stored result stale (the cog check still compares
every block with what these functions give).
"""

from __future__ import annotations

import math

# ---- number formats (shared with experiments.docs.jobs._calibration_text) -----------------

def number(x: float, spec: str) -> str:
    """A number formatted with ``spec``, with a true minus sign."""
    return format(x, spec).replace("-", "−")


def percent(x: float) -> str:
    return f"{100 * x:.0f}%"


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"



# ---- calibration.md §5 (values of the sensitivity job) -------------------------------------

def sensitivity_values() -> dict:
    from experiments.docs.render import values

    return values("sensitivity")


def _labels() -> dict[str, str]:
    from experiments.calibration.sensitivity_figures import labels

    return labels()


def _g3(x) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return number(x, ".3g") if abs(x) >= 0.001 or x == 0 else number(x, ".1e")


def _idx(rows: list[dict], outcome: str) -> dict[str, dict]:
    return {r["parameter"]: r for r in rows if r["outcome"] == outcome}


def _noise(sa: dict) -> dict[str, dict]:
    return {r["outcome"]: r for r in sa["noise"]}


def clearly_above_noise(sa: dict, outcome: str) -> list[str]:
    """Parameters whose μ* 95% interval lies above the outcome's seed-noise floor (the μ* a
    parameter with no effect would get from the seeds alone), largest μ* first."""
    ref = _noise(sa)[outcome]["noise_mu_star"] or 0.0
    rows = sorted(_idx(sa["morris"], outcome).values(), key=lambda r: -r["mu_star"])
    return [r["parameter"] for r in rows
            if r["mu_star"] - (r["mu_star_conf"] or 0.0) > ref]


def sobol_significant(sa: dict, outcome: str) -> list[str]:
    """Parameters whose first-order index's 95% interval excludes 0, largest S1 first (none
    where seed noise is the whole of the outcome's variance)."""
    rows = sorted(_idx(sa["sobol"], outcome).values(), key=lambda r: -(r["S1"] or 0))
    return [r["parameter"] for r in rows
            if r["S1"] is not None and r["S1"] - (r["S1_conf"] or 0) > 0
            and (r["noise_share"] or 0) < 1]


GAP_OUTCOMES = ("urban_rural_gap", "ses_gap", "between_school_share")
FIRST_PASS = "first_pass_cv_primary"
BACKBONE = "cv_primary_backbone_teachers_per_100"
SHORT = {"urban_rural_gap": "urban–rural gap", "ses_gap": "SES gap",
         "between_school_share": "between-school share", BACKBONE: "backbone CV, primary",
         FIRST_PASS: "first CV pass"}
UNIT = {"urban_rural_gap": "SD", "ses_gap": "SD", "between_school_share": "",
        BACKBONE: "", FIRST_PASS: "years"}


def _policy(sa: dict) -> str:
    return sa["scenario"]["experiment"].replace("_", " ")


def render_sensitivity_intro() -> str:
    sa = sensitivity_values()
    s = sa["scenario"]
    k = len(sa["parameters"])
    return (f"Which of our uncertain assumptions move **the effect of a policy**, and by how "
            f"much? For {_policy(sa)} at its defaults, a Morris screening over {k} parameters "
            "(the uncertain behavioural parameters and the policy's own), then Sobol indices "
            f"for the {len(sa['selected_for_sobol'])} that matter most. Every design point runs "
            f"on {s['seeds']} seeds, each with and without the policy (same seed, same "
            "parameters: common random numbers), and every index is reported with its seed "
            "noise. Everything below, tables and figures, comes from the docs job "
            "`sensitivity` (`make docs JOBS=sensitivity`), which runs the first of\n")


def render_ranges_table() -> str:
    """The 'What was varied' table: the screened parameters and their priors."""
    from experiments.calibration.ranges import RANGES, parameter_info

    lines = ["| parameter (label in the figures) | default | range | prior | reason |",
             "|:---|---:|:---|:---|:---|"]

    def num(x: float) -> str:
        return number(x, "g")

    for r in RANGES:
        info = parameter_info(r.name)
        d = r.prior
        lines.append(f"| `{r.name}` ({r.label}) | {num(float(info['default']))} | "
                     f"{num(r.low)} – {num(r.high)} {info['unit']} | "
                     f"{d.prior.text(d.unit)} | {r.reason} |")
    return "\n".join(lines) + "\n"


def render_sensitivity_designs() -> str:
    from experiments.docs.render import measured_on

    sa = sensitivity_values()
    s, runs, pts, w = sa["scenario"], sa["runs"], sa["points"], sa["wall_seconds"]
    k = len(sa["parameters"])
    ks = len(sa["selected_for_sobol"])
    total = runs["morris"] + runs["sobol"]
    seeds = f"{s['first_seed']}–{s['first_seed'] + s['seeds'] - 1}"
    return (
        f"- **Scenario**: the {s['region']} county, {s['years']} simulated years, "
        f"`+experiment={s['experiment']}` (the policy at its defaults). Each design point "
        f"runs on seeds {seeds} ({s['seeds']} seeds), each seed with the policy and without "
        "it, with the point's parameters in both runs.\n"
        "- **Outcomes**: the policy's **effect** (the run with the policy minus its same-seed "
        "baseline, at the last simulated year) on the urban–rural achievement gap, the SES "
        "top–bottom quartile gap (both in year-0 SD), the between-school share of achievement "
        "variance, the primary backbone-teacher CV, and the **first year in which every "
        "primary CV of the 2017 standard is within its limit** (a run that never passes "
        f"counts as year {s['years'] + 1}, *years + 1*; a negative effect is an earlier pass). "
        "A negative effect on a gap, share or CV narrows it.\n"
        "- **Design space**: each parameter moves over the quantiles 0 to 1 of its prior (the "
        "table above), so μ* is in outcome units per prior range.\n"
        "- **Seed noise**, from the seeds of every point: the index each seed alone gives "
        "varies; its standard error over the seeds is shown beside every index (`± …` in the "
        "tables, orange in the figures). The *noise floor* of an outcome is the μ* a parameter "
        "with no effect would get from the seed noise of the points' means (2/√π · se / Δ, "
        "Δ = 2/3, the shaded band in the Morris figure); with common random numbers the "
        "points share part of their noise, so it is an upper bound.\n"
        f"- **Morris** (SALib `sample.morris`, 4 levels, r = {s['morris_r']} trajectories): "
        f"{s['morris_r']} × ({k} + 1) = {pts['morris']} points × {s['seeds']} seeds × 2 "
        f"= **{runs['morris']:,} runs**.\n"
        f"- **Sobol** (SALib `sample.sobol`, scrambled Sobol' sequence, N = {s['sobol_n']}, no "
        f"second-order indices) for the {ks} parameters with the largest μ* relative to each "
        f"outcome's largest, net of the noise floor (`select_top`): {s['sobol_n']} × ({ks} + 2) "
        f"= {pts['sobol']} points × {s['seeds']} × 2 = **{runs['sobol']:,} runs**. 95% "
        "intervals from 1,000 bootstrap resamples.\n"
        f"- **Wall time**: the {total:,} runs took {minutes(w['total'])} ({w['total']:,.0f} s: "
        f"Morris {w['morris']:,.0f} s, Sobol {w['sobol']:,.0f} s) with {sa['workers']} worker "
        f"processes, {measured_on('sensitivity')}; about {w['total'] / total:.2f} s of wall "
        "time per run. Re-running into the same `--out` resumes: finished points are read "
        "back; a folder of another scenario is refused.\n")


def render_morris_table() -> str:
    sa = sensitivity_values()
    labels = _labels()
    outcomes = [o["key"] for o in sa["outcomes"]]
    noise = _noise(sa)
    above = {o: set(clearly_above_noise(sa, o)) for o in outcomes}
    rel = {}
    for r in sa["morris"]:
        rel[r["parameter"]] = max(rel.get(r["parameter"], 0.0), r["mu_star_rel"] or 0.0)
    order = sorted(rel, key=lambda p: -rel[p])
    shown = [p for p in order if any(p in above[o] for o in outcomes)]
    shown += [p for p in order if p not in shown][:max(0, 8 - len(shown))]
    rest = [p for p in order if p not in shown]
    idx = {o: _idx(sa["morris"], o) for o in outcomes}
    head = ("| parameter | urban–rural gap (SD) | SES gap (SD) | between-school share | "
            "backbone CV, primary | first CV pass (years) |")
    lines = [head, "|:---|---:|---:|---:|---:|---:|"]
    for p in shown:
        cells = []
        for o in outcomes:
            r = idx[o][p]
            m = _g3(r["mu_star"])
            cells.append((f"**{m}**" if p in above[o] else m)
                         + f" ± {_g3(r['mu_star_seed_se'])} ({_g3(r['sigma'])})")
        lines.append(f"| {labels.get(p, p)} | " + " | ".join(cells) + " |")
    if rest:
        lines.append(f"| the other {len(rest)} (largest) | " + " | ".join(
            "≤ " + _g3(max(idx[o][p]["mu_star"] for p in rest)) for o in outcomes) + " |")
    lines.append("| *noise floor (μ* of no effect)* | " + " | ".join(
        f"*{_g3(noise[o]['noise_mu_star'])}*" for o in outcomes) + " |")
    lines.append("| *seed SD of one run's effect* | "
                 + " | ".join(f"*{_g3(noise[o]['seed_sd'])}*" for o in outcomes) + " |")
    sp = sa["spread"]["morris"]
    lines.append(f"| *mean effect over the {sa['points']['morris']} points* | "
                 + " | ".join(f"*{_g3(sp[o]['mean'])}*" for o in outcomes) + " |")
    lines.append("| *range of the points' seed-mean effects* | "
                 + " | ".join(f"{_g3(sp[o]['min'])} – {_g3(sp[o]['max'])}" for o in outcomes)
                 + " |")
    bold = [(o, p) for o in outcomes for p in order if p in above[o]]  # a fixed order
    mixed = [(o, p) for o, p in bold if abs(idx[o][p]["mu"]) < 0.9 * idx[o][p]["mu_star"]]
    note = ("\nBold: μ*'s 95% interval lies above the noise floor (clearly beyond the seed "
            "noise).")
    if bold:
        steady = [(o, p) for o, p in bold if (o, p) not in mixed]
        if steady:
            note += (" Same sign in nearly every trajectory (|μ| ≥ 0.9 μ*): "
                     + "; ".join(f"{labels.get(p, p)} on the {SHORT[o]} "
                                 f"(μ {number(idx[o][p]['mu'], '+.3g')})" for o, p in steady)
                     + ".")
        if mixed:
            note += (" Sign changes between trajectories (|μ| < 0.9 μ*): "
                     + "; ".join(f"{labels.get(p, p)} on the {SHORT[o]}" for o, p in mixed)
                     + ".")
    else:
        note += " No parameter moves any effect clearly beyond the seed noise."
    return "\n".join(lines) + "\n" + note + "\n"


def render_morris_caption() -> str:
    sa = sensitivity_values()
    return (f"μ* of each parameter for the policy's effect on each outcome, ± its seed noise (σ "
            "in brackets), the parameters that matter first; last rows: the noise floor, the "
            "seed-to-seed SD of one run's effect, and the effects themselves. Only the rows "
            f"that matter are shown; `OUT/morris/indices.csv` has all {len(sa['parameters'])} "
            "(with μ and the bootstrap interval of μ*).\n")


def render_sobol_table() -> str:
    sa = sensitivity_values()
    labels = _labels()
    outcomes = [o["key"] for o in sa["outcomes"]]
    idx = {o: _idx(sa["sobol"], o) for o in outcomes}
    sig = {o: set(sobol_significant(sa, o)) for o in outcomes}
    lines = ["First-order (S1) and total (ST) indices of the seed-mean effect, each with its "
             "95% bootstrap half-width and, in brackets, its seed noise; last row: the share "
             "of the effect's variance over the design that is seed noise (a parameter with "
             "no effect gets an ST of about that share).", "",
             "| parameter | urban–rural gap | SES gap | between-school share | backbone CV, "
             "primary | first CV pass |", "|:---|:---|:---|:---|:---|:---|"]

    def f2(x) -> str:
        return "–" if x is None else number(x, ".2f")

    for p in sa["selected_for_sobol"]:
        cells = []
        for o in outcomes:
            r = idx[o][p]
            s1 = f2(r["S1"])
            cells.append((f"**{s1}**" if p in sig[o] else s1)
                         + f" ± {f2(r['S1_conf'])} [{f2(r['S1_seed_se'])}] / {f2(r['ST'])} ± "
                           f"{f2(r['ST_conf'])} [{f2(r['ST_seed_se'])}]")
        lines.append(f"| {labels.get(p, p)} | " + " | ".join(cells) + " |")

    def share(o: str) -> str:
        ns = next(iter(idx[o].values()))["noise_share"]
        return "–" if ns is None else ("≥ 1" if ns >= 1 else f"{ns:.2f}")

    lines.append("| *seed-noise share of the variance* | "
                 + " | ".join(f"*{share(o)}*" for o in outcomes) + " |")
    lines += ["", "Bold: S1 whose interval excludes 0 (not where seed noise is the whole "
              "variance). Negative S1 are estimation noise (the true index is ≥ 0)."]
    return "\n".join(lines) + "\n"


def parameter_names(params: list[str], code: bool = True) -> str:
    items = [f"`{p}`" if code else _labels().get(p, p) for p in params]
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def sensitivity_findings() -> dict:
    """The findings the reading, the users' advice and the README quote, from the values."""
    sa = sensitivity_values()
    outcomes = [o["key"] for o in sa["outcomes"]]
    above = {o: clearly_above_noise(sa, o) for o in outcomes}
    sig = {o: sobol_significant(sa, o) for o in outcomes}
    gap_params = list(dict.fromkeys(p for o in GAP_OUTCOMES for p in above[o]))
    any_params = list(dict.fromkeys(p for o in outcomes for p in above[o]))
    sobol = {o: _idx(sa["sobol"], o) for o in outcomes}
    noise_share = {o: next(iter(sobol[o].values()))["noise_share"] for o in outcomes}
    names = [p["name"] for p in sa["parameters"]]
    return {"above": above, "sig": sig, "gap_params": gap_params, "any_params": any_params,
            "sobol": sobol, "noise_share": noise_share, "noise": _noise(sa),
            "morris": {o: _idx(sa["morris"], o) for o in outcomes},
            "years": sa["scenario"]["years"], "all_params": names,
            "policy_params": [p for p in names if p.startswith("policies.")],
            "spread": sa["spread"]["morris"]}


def first_pass_by_chance(f: dict) -> bool:
    """The effect on the first-pass year is "dominated by chance" when seed noise accounts
    for at least half of its variance over the Sobol design, or its noise floor is at least
    any parameter's Morris μ* (assumption: half as the threshold of "dominated")."""
    n = f["noise_share"][FIRST_PASS]
    floor = f["noise"][FIRST_PASS]["noise_mu_star"]
    largest = max(r["mu_star"] for r in f["morris"][FIRST_PASS].values())
    return (n is not None and n >= 0.5) or floor >= largest


def render_sensitivity_reading() -> str:
    sa = sensitivity_values()
    f = sensitivity_findings()
    above, sobol, ns, morris, sp = (f["above"], f["sobol"], f["noise_share"], f["morris"],
                                    f["spread"])
    bullets = []

    # 1. the effects on the gaps
    parts = []
    for o in GAP_OUTCOMES:
        eff = (f"mean effect {_g3(sp[o]['mean'])} {UNIT[o]}".rstrip()
               + f", negative at {percent(sp[o]['share_negative'])} of the points")
        a = above[o]
        if not a:
            parts.append(f"the {SHORT[o]} ({eff}) depends on no parameter beyond the seed noise")
            continue
        s1 = ", ".join(f"`{p}` (μ* {_g3(morris[o][p]['mu_star'])}"
                       + (f", S1 ≈ {number(sobol[o][p]['S1'], '.2f')}" if p in sobol[o]
                          else "") + ")" for p in a)
        parts.append(f"the {SHORT[o]} ({eff}) on {s1}")
    text = (f"**{_policy(sa).capitalize()}'s effect on the two achievement gaps and the "
            "between-school share**: " + "; ".join(parts) + ". ")
    shares = [f"{100 * min(ns[o], 1):.0f}% ({SHORT[o]})" for o in GAP_OUTCOMES
              if ns[o] is not None]
    if shares:
        text += ("Seed noise is " + ", ".join(shares) + " of these effects' variance over "
                 "the Sobol design, even with the mean of "
                 f"{sa['scenario']['seeds']} seeds per point.")
    bullets.append(text)

    # 2. the policy's own parameters
    own = f["policy_params"]
    matter = [p for p in own if p in f["any_params"]]
    if own:
        if matter:
            bullets.append(f"**The policy's own parameters**: {parameter_names(matter)} move "
                           "an effect beyond the seed noise; " + parameter_names(
                               [p for p in own if p not in matter]) + " do not, within their "
                           "priors.")
        else:
            bullets.append(f"**The policy's own parameters** ({parameter_names(own)}) move no "
                           "effect beyond the seed noise within their priors: at this "
                           "design size, the effect's spread does not come from these "
                           "assumptions.")

    # 3. backbone CV
    b = above[BACKBONE]
    up = 1 - sp[BACKBONE]["share_negative"]
    text = (f"**The effect on the backbone-teacher CV** (mean {_g3(sp[BACKBONE]['mean'])}, "
            f"range {_g3(sp[BACKBONE]['min'])} to {_g3(sp[BACKBONE]['max'])} over the points; "
            f"the policy {'raises' if up >= 0.5 else 'lowers'} the CV at "
            f"{percent(up if up >= 0.5 else 1 - up)} of them"
            + (", i.e. it makes the official backbone indicator less equal" if up >= 0.9
               else "") + ")")
    if b:
        m = morris[BACKBONE][b[0]]
        text += (f": {parameter_names(b)} stand{'s' if len(b) == 1 else ''} out beyond the "
                 f"seed noise (`{b[0]}`: μ {number(m['mu'], '+.3f')}, μ* {m['mu_star']:.3f}).")
    else:
        text += ": no parameter stands out beyond the seed noise."
    bullets.append(text)

    # 4. first pass
    fl = f["noise"][FIRST_PASS]["noise_mu_star"]
    max_mu = max(r["mu_star"] for r in morris[FIRST_PASS].values())
    never = sa["share_never_passing"]
    text = ("**The effect on the first year of passing the primary CV test "
            + ("is dominated by chance.**" if first_pass_by_chance(f)
               else "depends on the parameters more than on the seeds.**"))
    text += (f" Across the Morris runs {percent(never['morris_policy'])} with the policy and "
             f"{percent(never['morris_baseline'])} without it never pass in {f['years']} "
             f"years; the noise floor is {fl:.2f} years against a largest μ* of "
             f"{max_mu:.2f}.")
    bullets.append(text)
    return "\n".join("- " + b for b in bullets) + "\n"


def render_sensitivity_users() -> str:
    sa = sensitivity_values()
    f = sensitivity_findings()
    text = (f"**For users.** When citing {_policy(sa)}'s effect, ")
    if f["any_params"]:
        text += ("the assumptions to vary first are " + parameter_names(f["any_params"])
                 + ": within their priors they move an effect beyond the seed noise. ")
    else:
        text += "no single assumption moves an effect beyond the seed noise. "
    text += ("`edusim-uncertainty` varies every prior at once and reports the effect with "
             "its 90% interval and the probability that it helps (README, \"How sure are "
             "we?\"); report that, over many seeds, rather than one run's effect or a "
             "first-pass year.")
    return text + "\n"


def render_sensitivity_limits() -> str:
    sa = sensitivity_values()
    s = sa["scenario"]
    return (f"**Limits.** One policy and one county ({s['region']} county, {_policy(sa)} at "
            f"its defaults, {s['years']} years) and {s['seeds']} seeds per design point; "
            f"Morris with r = {s['morris_r']} and Sobol with N = {s['sobol_n']} give rankings, "
            "not precise indices (see the intervals and the seed noise); the priors of the "
            "\"assumption\" parameters are themselves assumptions (mostly half to twice the "
            f"default); parameters outside the {len(sa['parameters'])} (initial conditions, "
            "finance) were not varied here; `edusim-uncertainty` varies all of them for any "
            "policy.\n")
