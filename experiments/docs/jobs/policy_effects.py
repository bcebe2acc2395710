"""Every policy at its defaults on the default county, against the same-seed run without
policies: the "Measured on the default county" tables of docs/policies.md.

One sweep: the nine registered policies, each at its defaults (``+experiment=NAME`` is
``+policy=NAME``: configs/experiment/NAME.yaml only switches configs/policy/NAME.yaml on), and a
``baseline`` arm (no policy), 10 seeds × 8 years. ``edusim-aggregate`` pairs every policy run
with the baseline run of the same seed (common random numbers: the same-seed baseline a single
``edusim +policy=NAME`` run computes, run once per seed instead of once per policy and seed,
so ``compare_baseline=false``) and gives the changes at year 8 with their 95% intervals across
seeds (``effects.csv``). The policies' own yearly reports (adoption, member–lead gap …) are
columns of the policy runs only (``runs.parquet``); the job summarises them per seed and gives
their mean with the same 95% t-interval (:func:`experiments.aggregate.mean_ci`).
"""

from __future__ import annotations

import shlex

from experiments.docs.store import rounded

TITLE = "every policy at its defaults vs the same-seed baseline, default county (policies.md)"

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = [
    "experiments/aggregate*.py",
    "configs/experiment/*.yaml",
]

SEEDS = 10
YEARS = 8

#: changes at the last year against the same-seed baseline (edusim-aggregate effects.csv):
#: measure, label, unit, format, words for (lower, higher)
STANDARD = [
    ("mean_achievement", "mean achievement", "year-0 SD", "+.3f", ("lower", "higher")),
    ("urban_rural_gap", "urban–rural achievement gap", "year-0 SD", "+.3f",
     ("narrower", "wider")),
    ("ses_gap", "SES top–bottom quartile gap", "year-0 SD", "+.3f", ("narrower", "wider")),
    ("pupils_in_noncomplying_schools", "pupils in schools below the 2017 standard", "share",
     "+.3f", ("fewer", "more")),
]

#: further changes against the same-seed baseline that a policy's documentation discusses
EXTRA_STANDARD = {
    "enrolment_rules": [
        ("ses_dissimilarity", "SES segregation across schools", "dissimilarity index", "+.4f",
         ("lower", "higher")),
        ("between_school_share", "between-school share of achievement variance", "share",
         "+.4f", ("lower", "higher")),
    ],
    "class_assignment": [
        ("between_school_share", "between-school share of achievement variance", "share",
         "+.4f", ("lower", "higher")),
    ],
}

#: the policy's own yearly report (policy runs only): column, label, unit, statistic, format.
#: statistic: "mean" (over the policy's years 1..8), "first" (year 1), "last" (year 8),
#: "sum" (years 1..8); "paired_mean": mean over years 1..8 of (policy − same-seed baseline),
#: for a core column both runs have.
OWN = {
    "class_assignment": [
        ("class_assignment.class_effect_var_within_raw",
         "within-section variance of the classes' own teacher effects", "(SD/yr)²", "last",
         ".5f"),
        ("class_assignment.class_effect_var_within",
         "the same, of the effective (balanced-team) teacher effects", "(SD/yr)²", "last",
         ".5f"),
        ("class_assignment.participating_teachers", "participating teachers", "teachers",
         "last", ",.0f"),
    ],
    "enrolment_rules": [
        ("enrolment_rules.choosers", "choosers (non-catchment entrants)", "pupils per year",
         "mean", ",.0f"),
        ("enrolment_rules.beyond_max_travel_share", "pupils beyond the travel limit", "share",
         "last", ".3f"),
    ],
    "remote_classrooms": [
        ("remote_classrooms.connected", "connected (receiving) schools", "schools", "last",
         ",.0f"),
        ("remote_classrooms.mean_adoption", "mean adoption of the connected schools", "share",
         "mean", ".3f"),
        ("remote_classrooms.mean_effect", "yearly gain of their pupils", "student SD per year",
         "mean", "+.4f"),
    ],
    "rural_incentives": [
        ("rural_incentives.rural_attrition_multiplier",
         "the policy's factor on rural teachers' attrition", "factor", "mean", ".3f"),
        ("attrition_rate_rural", "rural teacher attrition rate", "share",
         "paired_mean", "+.4f"),
        ("rural_incentives.directed_serving", "directed graduates serving", "teachers", "last",
         ",.0f"),
    ],
    "school_groups": [
        ("school_groups.member_lead_gap", "member − lead achievement gap",
         "year-0 SD", "first", "+.3f"),
        ("school_groups.member_lead_gap", "member − lead achievement gap",
         "year-0 SD", "last", "+.3f"),
        ("school_groups.member_lead_teacher_gap",
         "member − lead teacher-effectiveness gap", "student SD/yr", "first", "+.3f"),
        ("school_groups.member_lead_teacher_gap",
         "member − lead teacher-effectiveness gap", "student SD/yr", "last", "+.3f"),
    ],
    "targeted_funding": [
        ("targeted_funding.rural_urban_money_ratio",
         "rural / urban per-pupil public money", "ratio", "last", ".1%"),
        ("targeted_funding.equipment_completeness", "equipment completeness", "share", "last",
         ".3f"),
    ],
    "teacher_rotation": [
        ("teacher_rotation.rotated", "teachers rotated", "teachers per year", "mean", ",.0f"),
        ("teacher_rotation.refused", "refusals (teachers who left instead)", "teachers", "sum", ",.0f"),
        ("teacher_effectiveness_rural", "rural teacher effectiveness",
         "student SD/yr", "paired_mean", "+.4f"),
    ],
    "teacher_training": [
        ("teacher_training.trained", "teachers trained", "teachers per year", "mean", ",.0f"),
        ("teacher_training.gain_stock_mean", "mean accumulated gain, all teachers",
         "student SD/yr", "last", "+.4f"),
    ],
    "weak_school_program": [
        ("weak_school_program.designated", "designated schools", "schools", "last", ",.0f"),
        ("weak_school_program.achievement_gap", "others − designated achievement gap",
         "year-0 SD", "first", "+.3f"),
        ("weak_school_program.achievement_gap", "others − designated achievement gap",
         "year-0 SD", "last", "+.3f"),
    ],
}


def policy_names() -> list[str]:
    from sim.policies import policy_order

    return list(policy_order())


def sweep_command(scratch) -> list[str]:
    arms = ",".join(["baseline", *policy_names()])
    return ["edusim", "--multirun", f"+experiment={arms}", f"seed=range({SEEDS})",
            f"years={YEARS}", "compare_baseline=false", f"hydra.sweep.dir={scratch}/sweep"]


def _stat(values) -> dict:
    from experiments.aggregate import mean_ci

    ci = mean_ci(values)
    return {"n": int(ci["n"]), "mean": rounded(ci["mean"], 6), "ci_low": rounded(ci["ci_low"], 6),
            "ci_high": rounded(ci["ci_high"], 6)}


def _per_seed(runs, arm: str, base, column: str, stat: str) -> list[float]:
    """One value per seed of ``arm`` for one column of the policy's report."""
    out = []
    for seed, ts in runs[runs["arm"] == arm].groupby("seed"):
        ts = ts.sort_values("year")
        years = ts[ts["year"] >= 1]
        if stat == "paired_mean":
            b = base[base["seed"] == seed].sort_values("year")
            b = b[b["year"] >= 1]
            out.append(float(years[column].to_numpy().mean() - b[column].to_numpy().mean()))
            continue
        col = years[column].astype(float)
        value = {"mean": col.mean, "sum": col.sum, "first": lambda c=col: c.iloc[0],
                 "last": lambda c=col: c.iloc[-1]}[stat]()
        out.append(float(value))
    return out


def run(ctx) -> dict:
    import pandas as pd

    sweep = ctx.scratch / "sweep"
    ctx.sh(*sweep_command(ctx.scratch), label="sweep")
    ctx.sh("edusim-aggregate", str(sweep), "--quiet", label="aggregate")
    agg = sweep / "aggregate"
    effects = pd.read_csv(agg / "effects.csv")
    runs = pd.read_parquet(agg / "runs.parquet")
    base = runs[runs["arm"] == "baseline"]
    base_last = base[base["year"] == base["year"].max()]
    per_run = pd.read_csv(agg / "per_run.csv")

    policies = {}
    for name in policy_names():
        arm = f"experiment={name}"
        mine = effects[effects["arm"] == arm]
        refs = set(per_run.loc[per_run["arm"] == arm, "reference"])
        if refs != {"baseline arm"}:
            raise RuntimeError(f"{arm}: compared with {refs}, not the same-seed baseline arm")

        def effect(kind: str, measure: str, mine=mine) -> dict:
            row = mine[(mine["kind"] == kind) & (mine["measure"] == measure)].iloc[0]
            return {"n": int(row["n"]), "mean": rounded(row["mean"], 6),
                    "ci_low": rounded(row["ci_low"], 6), "ci_high": rounded(row["ci_high"], 6)}

        changes = []
        for key, label, unit, spec, words in STANDARD + EXTRA_STANDARD.get(name, []):
            changes.append({"measure": key, "label": label, "unit": unit, "format": spec,
                            "words": list(words),
                            "baseline": rounded(base_last[key].astype(float).mean(), 6),
                            "change": effect("change", key)})
        own = []
        for column, label, unit, stat, spec in OWN.get(name, []):
            own.append({"column": column, "label": label, "unit": unit, "statistic": stat,
                        "format": spec, **_stat(_per_seed(runs, arm, base, column, stat))})
        policies[name] = {
            "arm": arm,
            "seeds": sorted(int(s) for s in runs.loc[runs["arm"] == arm, "seed"].unique()),
            "changes": changes,
            "cost_yuan": effect("total_policy_cost_yuan", "total_policy_cost_yuan"),
            "own": own,
        }
    return {"seeds": SEEDS, "years": YEARS, "region": "default",
            "sweep": shlex.join(sweep_command("SCRATCH")),
            "aggregate": "edusim-aggregate SCRATCH/sweep", "policies": policies}


# ---------------------------------------------------------------------------------------------
# rendering (docs/policies.md, via experiments.make_parameter_docs)


def _fmt(x, spec: str) -> str:
    if x is None:
        return "–"
    text = format(x, spec)
    if not any(ch in "123456789" for ch in text.split("e")[0]):
        text = format(0.0, spec.lstrip("+"))  # rounds to 0: no sign
    return "−" + text[1:] if text.startswith("-") else text


def _interval(s: dict, spec: str) -> str:
    if s.get("ci_low") is None:
        return "–"
    return f"{_fmt(s['ci_low'], spec)} to {_fmt(s['ci_high'], spec)}"


def _reading(change: dict, words: list[str]) -> str:
    """The direction the interval supports, in words."""
    lo, hi = change.get("ci_low"), change.get("ci_high")
    if lo is None or hi is None:
        return "–"
    if hi < 0:
        return words[0]
    if lo > 0:
        return words[1]
    return "no clear change"


def render_method() -> str:
    """How the tables were made: the commands, seeds and years (once, near the top)."""
    from experiments.docs.render import provenance, values

    v = values("policy_effects")
    return (
        f"Each policy's section ends with a table **measured on the default county**: the "
        f"policy at its defaults (`+policy=NAME`) over {v['seeds']} seeds × {v['years']} "
        f"years, each run compared with the run of the same seed without policies (common "
        f"random numbers). Changes are policy − baseline in year {v['years']} (for gaps and "
        f"shares, negative = narrower / fewer), as the mean over seeds with its 95% "
        f"t-interval; \"reading\" says which way the interval points (\"no clear change\" when "
        f"it includes 0). The policy's own report is a column of the policy runs only (no "
        f"baseline value): it is summarised per seed, then averaged the same way. Commands (SCRATCH a scratch directory; `+experiment=NAME` "
        f"switches `+policy=NAME` on at its defaults):\n\n"
        f"```bash\n{v['sweep']}\n{v['aggregate']}\n```\n\n" + provenance("policy_effects"))


def render_policy(name: str) -> str:
    """The "Measured on the default county" table of one policy."""
    from experiments.docs.render import provenance, values

    v = values("policy_effects")
    if name not in v["policies"]:
        raise KeyError(f"docs/results/policy_effects.json has no policy {name!r}: run "
                       f"`make docs JOBS=policy_effects`")
    p = v["policies"][name]
    rows = []
    for c in p["changes"]:
        rows.append({
            "measure": f"{c['label']} ({c['unit']})",
            "baseline": _fmt(c["baseline"], c["format"].lstrip("+")),
            "change": _fmt(c["change"]["mean"], c["format"]),
            "ci": _interval(c["change"], c["format"]),
            "reading": _reading(c["change"], c["words"]),
        })
    cost = p["cost_yuan"]
    rows.append({"measure": f"policy cost over {v['years']} years (million yuan)",
                 "baseline": "0",
                 "change": _fmt(cost["mean"] / 1e6, ",.1f"),
                 "ci": _interval({k: (x / 1e6 if isinstance(x, float) else x)
                                  for k, x in cost.items()}, ",.1f"),
                 "reading": ""})
    from experiments.docs.render import table

    text = (f"Against the same-seed baseline, year {v['years']} ({len(p['seeds'])} seeds):\n\n"
            + table(rows, [("measure", "measure"), ("baseline", "baseline"),
                           ("change", "change"), ("ci", "95% interval"),
                           ("reading", "reading")], "lrrrl"))
    if p["own"]:
        stat_words = {"mean": f"mean over years 1–{v['years']}", "first": "year 1",
                      "last": f"year {v['years']}", "sum": f"total, years 1–{v['years']}",
                      "paired_mean": f"mean over years 1–{v['years']}, policy − baseline"}
        own_rows = [{"measure": f"{o['label']} ({o['unit']})",
                     "statistic": stat_words[o["statistic"]],
                     "value": _fmt(o["mean"], o["format"]),
                     "ci": _interval(o, o["format"])} for o in p["own"]]
        text += ("\nThe policy's own report (policy runs):\n\n"
                 + table(own_rows, [("measure", "measure"), ("statistic", "statistic"),
                                    ("value", "mean"), ("ci", "95% interval")], "llrr"))
    return text + "\n" + provenance("policy_effects")
