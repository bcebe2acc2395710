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
    from experiments.calibration.ranges import RANGES

    return {r.name: r.label for r in RANGES}


def _g3(x) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:.3g}" if abs(x) >= 0.001 or x == 0 else f"{x:.1e}"


def _f3(x) -> str:
    return "–" if x is None else f"{x:.3f}"


def _idx(rows: list[dict], outcome: str) -> dict[str, dict]:
    return {r["parameter"]: r for r in rows if r["outcome"] == outcome}


def _noise(sa: dict) -> dict[str, dict]:
    return {r["outcome"]: r for r in sa["noise"]}


def clearly_above_noise(sa: dict, outcome: str) -> list[str]:
    """Parameters whose μ* 95% interval lies above the re-seeded μ* (what re-drawing the seed
    alone gives), largest μ* first."""
    ref = _noise(sa)[outcome]["reseed_mu_star"] or 0.0
    rows = sorted(_idx(sa["morris"], outcome).values(), key=lambda r: -r["mu_star"])
    return [r["parameter"] for r in rows
            if r["mu_star"] - (r["mu_star_conf"] or 0.0) > ref]


def sobol_significant(sa: dict, outcome: str) -> list[str]:
    """Parameters whose first-order index's 95% interval excludes 0, largest S1 first."""
    rows = sorted(_idx(sa["sobol"], outcome).values(), key=lambda r: -(r["S1"] or 0))
    return [r["parameter"] for r in rows
            if r["S1"] is not None and r["S1"] - (r["S1_conf"] or 0) > 0]


GAP_OUTCOMES = ("urban_rural_gap", "ses_gap", "between_school_share")
FIRST_PASS = "first_pass_cv_primary"
BACKBONE = "cv_primary_backbone_teachers_per_100"
SHORT = {"urban_rural_gap": "urban–rural gap", "ses_gap": "SES gap",
         "between_school_share": "between-school share", BACKBONE: "backbone CV, primary",
         FIRST_PASS: "first CV pass"}


def render_sensitivity_intro() -> str:
    sa = sensitivity_values()
    k = len(sa["parameters"])
    return (f"Which of the model's uncertain behavioural parameters move its headline results, "
            f"and by how much? A Morris screening over {k} parameters, then Sobol indices for "
            f"the {len(sa['selected_for_sobol'])} that matter most, every model run a job of an "
            "`edusim` Hydra multirun. Everything below, tables and figures, comes from the docs job "
            "`sensitivity` (`make docs JOBS=sensitivity`), which runs the first of\n")


def render_ranges_table() -> str:
    """The 'What was varied' table, from experiments.calibration.ranges (the designs' input)."""
    from experiments.calibration.ranges import RANGES, parameter_info

    lines = ["| parameter (label in the figures) | default | range | unit | reason for the "
             "range |", "|:---|---:|:---|:---|:---|"]

    def num(x: float) -> str:
        return f"{x:g}".replace("-", "−")

    for r in RANGES:
        info = parameter_info(r.name)
        lines.append(f"| `{r.name}` ({r.label}) | {num(float(info['default']))} | "
                     f"{num(r.low)} – {num(r.high)} | {info['unit']} | "
                     f"{r.reason} |")
    return "\n".join(lines) + "\n"


def render_sensitivity_designs() -> str:
    from experiments.docs.render import measured_on

    sa = sensitivity_values()
    s, runs, w = sa["scenario"], sa["runs"], sa["wall_seconds"]
    k = len(sa["parameters"])
    ks = len(sa["selected_for_sobol"])
    total = runs["morris"] + runs["noise"] + runs["sobol"]
    return (
        f"- **Scenario**: the {s['region']} county, {s['years']} simulated years, teacher "
        f"rotation at its defaults (`+sensitivity={s['group']}`), no baseline comparison. Every "
        f"design run uses **seed {s['seed']}**, so the runs share their random numbers as far "
        "as the model's streams allow (common random numbers); this is an approximation, "
        "because a changed parameter can change how many draws a step takes.\n"
        "- **Outcomes** (last simulated year unless said otherwise): the urban–rural "
        "achievement gap, the SES top–bottom quartile gap (both in year-0 SD), the "
        "between-school share of achievement variance, the primary backbone-teacher CV, and "
        "the **first year in which every primary CV of the 2017 standard is within its limit** "
        "(`first_year_standard_met[\"quality_cv_primary\"]`). A run that never passes is counted "
        f"as year {s['years'] + 1} (*years + 1*), i.e. as later than any passing run.\n"
        f"- **Seed-noise reference**: the default parameter values under seeds "
        f"{s['seed']}–{s['seed'] + s['noise_seeds'] - 1} ({runs['noise']} runs). Its "
        "\"re-seeded μ*\" is the μ* a parameter would get if each of its Morris steps only "
        "re-drew the seed (mean |difference| over seed pairs / the Morris step 2/3): the shaded "
        "band in the Morris figure. With common random numbers the noise in the design runs is "
        "smaller than this.\n"
        f"- **Morris** (SALib `sample.morris`, 4 levels, r = {s['morris_r']} trajectories): "
        f"{s['morris_r']} × ({k} + 1) = **{runs['morris']} runs**. μ* is in outcome units per "
        "parameter range: for a linear effect, the change of the outcome from the low to the "
        "high end of the range.\n"
        f"- **Sobol** (SALib `sample.sobol`, scrambled Sobol' sequence, N = {s['sobol_n']}, no "
        f"second-order indices) for the {ks} parameters with the largest μ* relative to each "
        f"outcome's largest, net of the seed noise (`select_top`): {s['sobol_n']} × ({ks} + 2) "
        f"= **{runs['sobol']} runs**. 95% intervals from 1,000 bootstrap resamples.\n"
        f"- **Wall time**: the {total:,} runs ({runs['morris']} + {runs['noise']} + "
        f"{runs['sobol']}) took {minutes(w['total'])} ({w['total']:,.0f} s: Morris "
        f"{w['morris']:,.0f} s, noise {w['noise']:,.0f} s, Sobol {w['sobol']:,.0f} s), "
        f"{measured_on('sensitivity')}; about {w['total'] / total:.1f} s of wall time per run, "
        "Hydra's per-job overhead included. Re-running into the same `--out` resumes: finished "
        "runs are skipped.\n")


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
            "backbone CV, primary | first CV pass (year) |")
    lines = [head, "|:---|---:|---:|---:|---:|---:|"]
    for p in shown:
        cells = []
        for o in outcomes:
            r = idx[o][p]
            m = _g3(r["mu_star"])
            cells.append((f"**{m}**" if p in above[o] else m) + f" ({_g3(r['sigma'])})")
        lines.append(f"| {labels.get(p, p)} | " + " | ".join(cells) + " |")
    if rest:
        lines.append(f"| the other {len(rest)} (largest) | " + " | ".join(
            "≤ " + _g3(max(idx[o][p]["mu_star"] for p in rest)) for o in outcomes) + " |")
    lines.append("| *re-seeded μ* (seed noise)* | " + " | ".join(
        f"*{_g3(noise[o]['reseed_mu_star'])}*" for o in outcomes) + " |")
    lines.append(f"| *SD over {noise[outcomes[0]]['n_seeds']:.0f} seeds at the defaults* | "
                 + " | ".join(f"*{_g3(noise[o]['sd'])}*" for o in outcomes) + " |")
    sp = sa["spread"]["morris"]
    years = sa["scenario"]["years"]

    def rng(o: str) -> str:
        lo, hi = sp[o]["min"], sp[o]["max"]
        if o == FIRST_PASS:
            return f"{lo:.0f} – " + ("never" if hi > years else f"{hi:.0f}")
        return f"{_g3(lo)} – {_g3(hi)}"

    lines.append(f"| *range over the {sa['runs']['morris']} runs* | "
                 + " | ".join(rng(o) for o in outcomes) + " |")
    bold = [(o, p) for o in outcomes for p in order if p in above[o]]  # a fixed order
    mixed = [(o, p) for o, p in bold if abs(idx[o][p]["mu"]) < 0.9 * idx[o][p]["mu_star"]]
    steady = [(o, p) for o, p in bold if (o, p) not in mixed]
    signs = {("positive" if idx[o][p]["mu"] > 0 else "negative") for o, p in steady}
    note = "\nBold: μ*'s 95% interval lies above the re-seeded μ* (clearly above the seed noise)."
    if steady:
        note += (" " + ("Every" if not mixed else f"{len(steady)} of the {len(bold)}")
                 + " effects in bold have |μ| ≥ 0.9 μ* (the same sign in nearly every "
                 "trajectory)")
        if signs == {"positive"}:
            note += (" and are **positive**: a larger value of the parameter widens the gap, "
                     "raises the share or the CV")
        elif signs == {"negative"}:
            note += " and are **negative**"
        note += "."
    if mixed:
        note += (" Effects in bold whose sign changes between trajectories (|μ| < 0.9 μ*): "
                 + "; ".join(f"{labels.get(p, p)} on the {SHORT[o]}" for o, p in mixed) + ".")
    return "\n".join(lines) + "\n" + note + "\n"


def render_morris_caption() -> str:
    sa = sensitivity_values()
    return (f"μ* of each parameter for each outcome (σ in brackets), the parameters that matter "
            "first; last rows: what re-drawing the seed alone gives. Only the rows that matter "
            f"are shown; `OUT/morris/indices.csv` has all {len(sa['parameters'])} (with μ and the "
            "bootstrap interval of μ*).\n")


def render_sobol_table() -> str:
    sa = sensitivity_values()
    labels = _labels()
    outcomes = [o["key"] for o in sa["outcomes"]]
    idx = {o: _idx(sa["sobol"], o) for o in outcomes}
    sig = {o: set(sobol_significant(sa, o)) for o in outcomes}
    lines = [f"First-order (S1) and total (ST) indices with their 95% bootstrap half-widths; "
             f"last row: the variance of the {sa['runs']['noise']} seed-noise runs over the "
             f"variance of the {sa['runs']['sobol']} design runs.", "",
             "| parameter | urban–rural gap | SES gap | between-school share | backbone CV, "
             "primary | first CV pass |", "|:---|:---|:---|:---|:---|:---|"]

    def f2(x) -> str:
        return "–" if x is None else f"{x:.2f}".replace("-", "−")

    for p in sa["selected_for_sobol"]:
        cells = []
        for o in outcomes:
            r = idx[o][p]
            s1 = f2(r["S1"])
            cells.append((f"**{s1}**" if p in sig[o] else s1)
                         + f" ± {f2(r['S1_conf'])} / {f2(r['ST'])} ± {f2(r['ST_conf'])}")
        lines.append(f"| {labels.get(p, p)} | " + " | ".join(cells) + " |")

    def share(o: str) -> str:
        ns = next(iter(idx[o].values()))["noise_share"]
        return "–" if ns is None else ("≥ 1" if ns >= 1 else f"{ns:.2f}")

    lines.append("| *seed-noise variance / design variance* | "
                 + " | ".join(f"*{share(o)}*" for o in outcomes) + " |")
    lines += ["", "Bold: S1 whose interval excludes 0. Negative S1 are estimation noise (the "
              "true index is ≥ 0)."]
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
    sobol = {o: _idx(sa["sobol"], o) for o in outcomes}
    noise_share = {o: next(iter(sobol[o].values()))["noise_share"] for o in outcomes}
    noise = _noise(sa)
    morris = {o: _idx(sa["morris"], o) for o in outcomes}
    fp = sa["noise_runs"][FIRST_PASS]
    years = sa["scenario"]["years"]
    return {"above": above, "sig": sig, "gap_params": gap_params, "sobol": sobol,
            "noise_share": noise_share, "noise": noise, "morris": morris,
            "first_pass_runs": fp, "years": years,
            "never_default": sum(1 for y in fp if y is not None and y > years),
            "all_params": [p["name"] for p in sa["parameters"]]}


def first_pass_by_chance(f: dict) -> bool:
    """The first-pass year is "dominated by chance" when re-drawing the seed accounts for at
    least half of its variance over the Sobol design, or moves it more than any parameter's
    Morris μ* (assumption: half as the threshold of "dominated")."""
    n = f["noise_share"][FIRST_PASS]
    reseed = f["noise"][FIRST_PASS]["reseed_mu_star"]
    largest = max(r["mu_star"] for r in f["morris"][FIRST_PASS].values())
    return (n is not None and n >= 0.5) or reseed >= largest


def render_sensitivity_reading() -> str:
    sa = sensitivity_values()
    f = sensitivity_findings()
    above, sig, sobol, ns = f["above"], f["sig"], f["sobol"], f["noise_share"]
    noise, morris = f["noise"], f["morris"]
    bullets = []

    # 1. the gaps
    parts = []
    for o in GAP_OUTCOMES:
        a = above[o]
        if not a:
            parts.append(f"the {SHORT[o]} depends on no parameter beyond the seed noise")
            continue
        s1 = ", ".join(f"`{p}` (μ* {_g3(morris[o][p]['mu_star'])}"
                       + (f", S1 ≈ {sobol[o][p]['S1']:.2f}" if p in sobol[o] else "") + ")"
                       for p in a)
        parts.append(f"the {SHORT[o]} on {s1}")
    s1_sum = {o: sum(max(0.0, r["S1"] or 0.0) for r in sobol[o].values()) for o in GAP_OUTCOMES}
    text = ("**The two achievement gaps and the between-school share**, with μ* clearly above "
            "the seed noise: " + "; ".join(parts) + ". ")
    others = [p for p in f["all_params"] if p not in f["gap_params"]]
    text += (f"No other parameter ({len(others)} of {len(f['all_params'])}) moves these three "
             "outcomes beyond the seed noise within the ranges tried. ")
    text += ("The sums of the positive first-order indices are "
             + ", ".join(f"{s1_sum[o]:.2f} ({SHORT[o]})" for o in GAP_OUTCOMES)
             + "; seed noise is " + ", ".join(
                 f"{100 * ns[o]:.0f}%" for o in GAP_OUTCOMES if ns[o] is not None)
             + " of these outcomes' variance in the Sobol design, which the estimator books as "
             "interaction (ST above S1).")
    bullets.append(text)

    # 2. the rotation-specific parameters
    rot = ["policies.teacher_rotation.refusal_base", "teachers.attrition.rural",
           "teachers.transfer_request.rural", "teachers.pay_semi_elasticity",
           "enrolment.choice_rate", "enrolment.choice_ses_slope"]
    rot = [p for p in rot if p in f["all_params"]]
    matter = [p for p in rot if p in f["gap_params"]]
    if not matter:
        bullets.append("**The rotation, career, pay and choice parameters hardly matter for the "
                       "gaps**: " + parameter_names(rot) + " all have μ* within the seed noise for the "
                       "three gap measures.")
    else:
        bullets.append("**Of the rotation, career, pay and choice parameters**, " + parameter_names(matter)
                       + " move the gaps beyond the seed noise; " + parameter_names(
                           [p for p in rot if p not in matter]) + " do not.")

    # 3. backbone CV
    b = above[BACKBONE]
    st = [r["ST"] for r in sobol[BACKBONE].values() if r["ST"] is not None]
    text = "**The backbone-teacher CV, and with it whether and when the 2017 CV test is passed"
    if b:
        lead = b[0]
        m = morris[BACKBONE][lead]
        text += (f"**: {parameter_names(b)} stand{'s' if len(b) == 1 else ''} out beyond the seed noise "
                 f"(`{lead}`: μ {number(m['mu'], '+.3f')}, μ* {m['mu_star']:.3f}"
                 + (f", S1 ≈ {sobol[BACKBONE][lead]['S1']:.2f}" if lead in sobol[BACKBONE]
                    else "") + ").")
    else:
        text += "**: no parameter stands out beyond the seed noise."
    irregular = [p for p, r in morris[BACKBONE].items()
                 if p not in b and r["sigma"] > r["mu_star"] > 0]
    if irregular:
        text += (f" {len(irregular)} other parameters have σ > μ* (effects that change sign "
                 "and size from one trajectory to the next)")
        if st:
            text += (f", and in the Sobol stage the total indices range from {min(st):.2f} to "
                     f"{max(st):.2f}, the first-order ones of "
                     + parameter_names([p for p in sobol[BACKBONE] if p not in sig[BACKBONE]], False)
                     + " indistinguishable from 0")
        text += (": the CV reacts to many changes of the inputs in an irregular way. The "
                 "likeliest cause is that a changed parameter changes which teachers are drawn "
                 "for rotation, designation and attrition, so the common random numbers are "
                 "lost; the result behaves like noise, not like a smooth interaction.")
    bullets.append(text)

    # 4. first pass
    fp = [y for y in f["first_pass_runs"] if y is not None]
    years = f["years"]
    never = f["never_default"]
    passing = sorted(y for y in fp if y <= years)
    nr = noise[FIRST_PASS]
    max_mu = max(r["mu_star"] for r in morris[FIRST_PASS].values())
    chance = first_pass_by_chance(f)
    n = ns[FIRST_PASS]
    over = [p for p, r in sorted(morris[FIRST_PASS].items(), key=lambda kv: -kv[1]["mu_star"])
            if r["mu_star"] > nr["reseed_mu_star"]]
    text = ("**The first year of passing the primary CV test "
            + ("is dominated by chance.**" if chance else "depends on the parameters more than "
               "on the seed.**"))
    when = ", ".join(str(int(y)) for y in passing)
    when = when.rsplit(", ", 1)[0] + " and " + when.rsplit(", ", 1)[1] if len(passing) > 1 \
        else when
    text += (f" At the default values, {len(passing)} of the {len(fp)} seeds "
             f"{'passes' if len(passing) == 1 else 'pass'}"
             + (f" (in year{'s' if len(passing) > 1 else ''} {when})" if passing else "")
             + f" and {never} never {'passes' if never == 1 else 'pass'} in {years} years; "
             f"across the Morris runs {percent(sa['share_never_passing']['morris'])} never pass. ")
    if n is not None:
        text += ("The seed-noise variance is at least as large as the design's" if n >= 1
                 else f"The seed-noise variance is {n:.0%} of the design's")
        text += "; "
    if over:
        text += (f"only {parameter_names(over, False)} ha{'s' if len(over) == 1 else 've'} a μ* "
                 f"above the re-seeded μ* ({nr['reseed_mu_star']:.1f} years; largest μ* "
                 f"{max_mu:.1f}).")
    else:
        text += (f"re-drawing the seed moves the outcome more (re-seeded μ* "
                 f"{nr['reseed_mu_star']:.1f} years) than any parameter (largest μ* "
                 f"{max_mu:.1f}).")
    if chance:
        text += (" No parameter can be ranked for it from one seed per design point." if not over
                 else " Rankings for it from one seed per design point are unreliable.")
    bullets.append(text)
    return "\n".join("- " + b for b in bullets) + "\n"


def render_sensitivity_users() -> str:
    f = sensitivity_findings()
    gp = f["gap_params"]
    ses = f["noise"]["ses_gap"]
    ses_top = max(r["mu_star"] for r in f["morris"]["ses_gap"].values())
    ratio = ses_top / ses["sd"] if ses["sd"] else None
    text = ("**For users.** When citing an equity result of the model, vary at least "
            + parameter_names(gp) + " over the ranges above: within the ranges tried they are the "
            "parameters that move the gaps beyond the seed noise")
    if ratio is not None:
        text += (f" (the largest moves the SES gap {ratio:.0f} times as much as the "
                 "seed-to-seed SD)")
    text += (". The other parameters can stay at their defaults for these outcomes. Do not cite "
             "a first-pass year, or a pass/fail verdict of the 2017 CV test, from single runs: "
             "report the share of seeds that pass (`edusim-aggregate`'s `first_pass_*_share`) "
             "over many seeds")
    b = f["above"][BACKBONE]
    if b:
        text += f", and treat {parameter_names(b[:1])} as the key uncertain input of that verdict"
    return text + ".\n"


def render_sensitivity_limits() -> str:
    sa = sensitivity_values()
    s = sa["scenario"]
    return (f"**Limits.** One scenario ({s['region']} county, teacher rotation at its defaults, "
            f"{s['years']} years) and one seed per design point; Morris with r = {s['morris_r']} "
            f"and Sobol with N = {s['sobol_n']} give rankings, not precise indices (see the "
            "intervals); the ranges of the \"assumption\" parameters are themselves assumptions "
            f"(mostly half to twice the default); parameters outside the "
            f"{len(sa['parameters'])} (initial conditions, finance, other policies' parameters) "
            "were not varied.\n")


