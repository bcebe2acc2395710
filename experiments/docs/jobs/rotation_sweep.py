"""The README's worked example: the teacher-rotation sweep and its figures."""

from __future__ import annotations

TITLE = ("edusim +sweep=rotation_rate years=15, then edusim-figures "
         "(README: Experiments and sweeps, Gallery)")

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = [
    "configs/sweep/rotation_rate.yaml",
    "experiments/aggregate*.py",
    "experiments/figure*.py",
    "sim/labels.py",
]

RATE = "policies.teacher_rotation.rate"
TIERS = ("urban", "town", "rural")


def run(ctx) -> dict:
    import pandas as pd

    from experiments.aggregate import mean_ci

    sweep = ctx.scratch / "rotation"
    ctx.sh("edusim", "+sweep=rotation_rate", "years=15", f"hydra.sweep.dir={sweep}",
           label="sweep")
    ctx.sh("edusim-figures", str(sweep), label="figures")
    ctx.image(sweep / "figures" / "policy_comparison.png", "rotation_policy_comparison.png")
    ctx.image(sweep / "figures" / "trajectories.png", "rotation_trajectories.png")

    arms = pd.read_csv(sweep / "aggregate" / "arms.csv")
    runs = pd.read_parquet(sweep / "aggregate" / "runs.parquet",
                           columns=["run_id", "arm", "seed", "year"])

    # per run, the last year's achievement by tier against the same-seed baseline the run
    # wrote beside it (the reference arms.csv uses)
    tier_changes: dict[str, dict[str, list[float]]] = {}
    urban_share: dict[str, list[float]] = {}
    for run_id, arm in runs[["run_id", "arm"]].drop_duplicates().itertuples(index=False):
        ts = pd.read_parquet(sweep / str(run_id) / "timeseries.parquet").iloc[-1]
        base = pd.read_parquet(sweep / str(run_id) / "baseline_timeseries.parquet").iloc[-1]
        per_tier = tier_changes.setdefault(arm, {t: [] for t in TIERS})
        for t in TIERS:
            per_tier[t].append(float(ts[f"achievement_{t}"] - base[f"achievement_{t}"]))
        urban_share.setdefault(arm, []).append(
            float(base["students_urban"] / base["students"]))

    def ci(row, name: str, digits: int) -> list[float]:
        return [round(float(row[f"{name}_{k}"]), digits) for k in ("mean", "ci_low", "ci_high")]

    out_arms = []
    for _, row in arms.iterrows():
        arm = row["arm"]
        tiers = {t: round(mean_ci(tier_changes[arm][t])["mean"], 4) for t in TIERS}
        out_arms.append({
            "rate": float(row[RATE]),
            "n_runs": int(row["n_runs"]),
            "reference": row["reference"],
            "cost_m": [round(x / 1e6, 2) for x in ci(row, "total_policy_cost_yuan", 0)],
            "change_mean_achievement": ci(row, "change_mean_achievement", 4),
            "change_urban_rural_gap": ci(row, "change_urban_rural_gap", 4),
            "gain_per_m_urban_rural_gap": (
                None if pd.isna(row["gain_per_million_yuan_urban_rural_gap_mean"])
                else ci(row, "gain_per_million_yuan_urban_rural_gap", 5)),
            "achievement_change_by_tier": tiers,
            "baseline_urban_pupil_share": round(sum(urban_share[arm]) / len(urban_share[arm]),
                                                3),
        })
    out_arms.sort(key=lambda a: a["rate"])
    return {
        "years": int(arms["years"].iloc[0]),
        "seeds": int(arms["n_runs"].iloc[0]),
        "n_arms": len(arms),
        "n_runs": int(arms["n_runs"].sum()),
        "arms": out_arms,
    }


def _duration(seconds: float) -> str:
    s = round(seconds)
    return f"{s} s" if s < 90 else f"{s // 60} min {s % 60} s"


def _pct(rate: float) -> str:
    return f"{rate:.0%}"


def _rates(arms: list[dict]) -> str:
    names = [_pct(a["rate"]) for a in arms]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def render_intro() -> str:
    """The worked example's opening paragraph, with the sweep's size and measured time."""
    from experiments.docs.render import measured_on, values

    v = values("rotation_sweep")
    t = v["timings_s"]
    return (
        "**Worked example: from a clean checkout to a policy-brief figure.** The first command "
        f"sets everything up, the second runs {v['n_runs']} simulations ({v['n_arms']} rotation "
        f"rates × {v['seeds']} seeds, {v['years']} years each), and the third draws the "
        f"figures. The sweep took {_duration(t['sweep'])} and the figures "
        f"{_duration(t['figures'])}, measured {measured_on('rotation_sweep')}:\n")


def _signed(x: float, spec: str) -> str:
    return format(x, "+" + spec).replace("-", "−")


def _interval(values: list[float], spec: str, unit: str, scale: float = 1.0) -> str:
    mean, lo, hi = (x * scale for x in values)
    lo, hi = sorted((lo, hi))
    return (f"{mean:{spec}}{unit} (95% interval {lo:{spec}} to {hi:{spec}})"
            .replace("-", "−"))


def _clauses(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def render_findings() -> str:
    """The paragraph under the comparison figure: every claim chosen from the stored arms."""
    from experiments.docs.render import values

    v = values("rotation_sweep")
    arms = [a for a in v["arms"] if a["rate"] > 0]
    year = v["years"]
    parts = []

    # 1. the urban-rural gap
    narrow = [a for a in arms if a["change_urban_rural_gap"][2] < 0]
    widen = [a for a in arms if a["change_urban_rural_gap"][1] > 0]
    gaps = [a["change_urban_rural_gap"][0] for a in arms]
    lo, hi = arms[0], arms[-1]
    if len(narrow) == len(arms):
        steady = all(b < a for a, b in zip(gaps, gaps[1:], strict=False))
        further = ("and each higher rate narrows it further" if steady
                   else "though not steadily more at higher rates")
        parts.append(
            f"In year {year}, every rate above 0% narrows the urban–rural gap against the "
            f"same-seed baseline, {further}: by "
            f"{_interval(lo['change_urban_rural_gap'], '.2f', ' SD', -1)} at "
            f"{_pct(lo['rate'])} of eligible teachers a year, and by "
            f"{_interval(hi['change_urban_rural_gap'], '.2f', ' SD', -1)} at "
            f"{_pct(hi['rate'])}.")
    else:
        said = []
        for group, verb in ((narrow, "narrow"), (widen, "widen")):
            if group:
                said.append(f"{_rates(group)} {verb} it")
        parts.append(
            f"In year {year}, the rates change the urban–rural gap against the same-seed "
            f"baseline as follows: {'; '.join(said) or 'no rate changes it clearly'} (95% "
            f"intervals; the others are indistinguishable from no change).")

    # 2. mean achievement
    below = [a for a in arms if a["change_mean_achievement"][2] < 0]
    above = [a for a in arms if a["change_mean_achievement"][1] > 0]
    unclear = [a for a in arms if a not in below and a not in above]
    said = []
    if above:
        said.append(f"rises above the baseline at {_rates(above)}")
    if unclear:
        said.append(f"is not clearly different from it at {_rates(unclear)}")
    if below:
        first = below[0]
        from_on = all(a in below for a in arms if a["rate"] >= first["rate"])
        said.append(f"falls below it from {_pct(first['rate'])} on"
                    if from_on and first is not arms[-1] else f"falls below it at {_rates(below)}")
    text = "Mean achievement " + _clauses(said) + " (95% intervals)."
    if below:
        tiers = first["achievement_change_by_tier"]
        text += (
            f" At {_pct(first['rate'])} it falls by "
            f"{_interval(first['change_mean_achievement'], '.3f', ' SD', -1)}; on average over "
            f"the seeds, urban pupils' achievement changes by {_signed(tiers['urban'], '.3f')} "
            f"SD, town pupils' by {_signed(tiers['town'], '.3f')} and rural pupils' by "
            f"{_signed(tiers['rural'], '.3f')}, and urban schools teach "
            f"{first['baseline_urban_pupil_share']:.0%} of the pupils.")
    else:
        text += " At no rate tried does it fall below the baseline."
    parts.append(text)

    # 3. cost-effectiveness
    gains = [a for a in arms if a["gain_per_m_urban_rural_gap"] is not None]
    if len(gains) >= 2:
        g = [a["gain_per_m_urban_rural_gap"][0] for a in gains]
        if all(b < a for a, b in zip(g, g[1:], strict=False)):
            trend = "falls as the rate rises"
        elif all(b > a for a, b in zip(g, g[1:], strict=False)):
            trend = "rises with the rate"
        else:
            trend = "does not change steadily with the rate"
        a0, a1 = gains[0], gains[-1]
        parts.append(
            f"The narrowing of the gap bought per million yuan of policy cost {trend}: "
            f"{_interval(a0['gain_per_m_urban_rural_gap'], '.4f', ' SD')} at {_pct(a0['rate'])} "
            f"({a0['cost_m'][0]:.1f} million yuan over the {year} years) against "
            f"{_interval(a1['gain_per_m_urban_rural_gap'], '.4f', ' SD')} at {_pct(a1['rate'])} "
            f"({a1['cost_m'][0]:.1f} million yuan).")
    return " ".join(parts) + "\n"
