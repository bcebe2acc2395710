"""The tables of :mod:`experiments.aggregate` (their columns are documented there): every run
and year, one row per run with its changes against its reference, the summary per arm, year and
key metric, the effects and the wide table per arm, and the difference between two arms.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from experiments.aggregate_runs import BASELINE, CONTEXT_KEYS, Run, format_value
from experiments.aggregate_stats import add_ci, mean_ci
from sim.record import first_year_met

__all__ = ["HEADLINE_MEASURES", "STANDARDS", "arm_difference", "arms_table", "effects_table",
           "key_metrics", "param_name", "per_run_table", "runs_table", "summary_table"]

#: standards whose first year of passing is reported: name -> timeseries verdict column
STANDARDS: dict[str, str] = {
    "quality": "quality_passed",
    "basic": "basic_passed",
    "quality_primary": "quality_passed_primary",
    "quality_junior": "quality_passed_junior",
    "basic_primary": "basic_passed_primary",
    "basic_junior": "basic_passed_junior",
}

#: measures reported in the wide arms table (the rest are in effects)
HEADLINE_MEASURES = ("mean_achievement", "urban_rural_gap", "between_school_share", "ses_gap")

#: metrics summarised per arm and year (columns that exist in the runs)
_KEY_NAMES = (
    "students", "teachers", "mean_achievement", "sd_achievement", "urban_rural_gap", "ses_gap",
    "between_school_share", "ses_dissimilarity", "achievement_urban", "achievement_town",
    "achievement_rural", "teacher_effectiveness_urban", "teacher_effectiveness_town",
    "teacher_effectiveness_rural", "backbone_per_100_urban", "backbone_per_100_town",
    "backbone_per_100_rural", "attrition_rate_rural", "vacancies", "mean_class_size",
    "pupils_in_noncomplying_schools", "quality_passed", "basic_passed", "gini_funds",
    "gini_equipment", "gini_qualified_teachers", "mcloone_funds",
    "theil_funds_between_tier_share", "spending_yuan",
)
_KEY_PATTERNS = (r"^cv_", r"^quality_(cv_)?passed_", r"^basic_passed_", r"^basic_mean_cv_",
                 r"^quality_schools_complying_", r"^cost_")


def key_metrics(columns: Any) -> list[str]:
    """The timeseries columns summarised per arm and year, in a stable order."""
    cols = list(columns)
    out = [c for c in _KEY_NAMES if c in cols]
    out += [c for c in cols if c not in out and any(re.match(p, c) for p in _KEY_PATTERNS)]
    return out


def _param_series(values: list[Any]) -> pd.Series:
    """One parameter column: numbers → float/int, bools → bool, anything else → str."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pd.Series(values, dtype="boolean")
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        if all(isinstance(v, int) for v in present) and len(present) == len(values):
            return pd.Series(values, dtype="int64")
        return pd.Series([math.nan if v is None else float(v) for v in values], dtype=float)
    # text: let pandas choose its string dtype (the one a parquet round trip gives back)
    return pd.Series([None if v is None else format_value(v) if not isinstance(v, str) else v
                      for v in values])


def _run_params(r: Run, keys: list[str]) -> dict[str, Any]:
    return {k: (getattr(r, k) if k in CONTEXT_KEYS else r.overrides.get(k)) for k in keys}


def runs_table(runs: list[Run], names: dict[str, str]) -> pd.DataFrame:
    """One row per run and year (``runs``): identity, the parameters (columns ``names``) and
    the run's timeseries."""
    frames = []
    for r in runs:
        ts = r.ts.copy()
        for c in ts.columns:
            if ts[c].dtype == bool:
                ts[c] = ts[c].astype("boolean")
        frames.append(ts)
    ts_all = pd.concat(frames, ignore_index=True)
    lengths = [len(r.ts) for r in runs]
    ident = {"run_id": np.repeat([r.run_id for r in runs], lengths),
             "arm": np.repeat([r.arm for r in runs], lengths),
             "seed": np.repeat([r.seed for r in runs], lengths).astype("int64")}
    head = pd.DataFrame(ident)
    for k, name in names.items():
        col = _param_series([_run_params(r, [k])[k] for r in runs])
        head[name] = pd.Series(np.repeat(col.to_numpy(), lengths)).astype(col.dtype)
    cols = ["year"] + [c for c in ts_all.columns if c != "year"]
    return pd.concat([head, ts_all[cols]], axis=1)


def param_name(key: str, ts_columns: Any) -> str:
    """The column of a parameter: its key, or ``param.<key>`` where that would collide with a
    timeseries or identity column."""
    taken = set(ts_columns) | {"run_id", "arm", "seed", "last_year", "reference"}
    return f"param.{key}" if key in taken else key


def _first_pass(ts: pd.DataFrame, column: str) -> float:
    year = first_year_met(ts, column)
    return math.nan if year is None else float(year)


def _policy_cost(summary: dict[str, Any]) -> float:
    vs = summary.get("vs_baseline") or {}
    if vs.get("total_policy_cost_yuan") is not None:
        return float(vs["total_policy_cost_yuan"])
    pols = summary.get("policies") or {}
    return float(sum(float(p.get("total_cost_yuan") or 0.0) for p in pols.values()))


def _effect_measures() -> list[tuple[str, str, bool]]:
    """(column, label, is an equity measure where lower = more equal)."""
    from sim.results import EQUITY_MEASURES

    return ([("mean_achievement", "mean achievement (quality, year-0 SD)", False)]
            + [(k, label, True) for k, label in EQUITY_MEASURES])


def per_run_table(runs: list[Run], names: dict[str, str],
                  ref_arm: str | None = None) -> pd.DataFrame:
    """One row per run (``per_run``, see :mod:`experiments.aggregate`). With ``ref_arm`` every run is compared with the
    same-seed run of that arm, and gains are per million yuan of extra county spending."""
    measures = _effect_measures()
    base_runs: dict[int, Run] = {}
    for r in runs:
        if (r.arm == ref_arm) if ref_arm is not None else (r.arm == BASELINE
                                                           and not r.has_policies):
            base_runs.setdefault(r.seed, r)
    rows = []
    for r in runs:
        row: dict[str, Any] = {"run_id": r.run_id, "arm": r.arm, "seed": r.seed}
        row.update({names[k]: v for k, v in _run_params(r, list(names)).items()})
        row["last_year"] = int(r.ts["year"].iloc[-1])
        for std, col in STANDARDS.items():
            row[f"first_pass_{std}"] = _first_pass(r.ts, col)
        cost = _policy_cost(r.summary)
        row["total_policy_cost_yuan"] = cost
        last = r.ts.iloc[-1]
        ref_row: pd.Series | None = None
        ref_ts: pd.DataFrame | None = None
        ref_values: dict[str, float] = {}
        partner = base_runs.get(r.seed)
        if ref_arm is not None:
            same = partner is not None and partner.years == r.years \
                and partner.region == r.region
            reference = "self" if r.arm == ref_arm else ref_arm if same else "none"
            ref_ts = partner.ts if same and partner is not None else None
        elif r.arm == BASELINE and not r.has_policies:
            reference, ref_ts = "self", r.ts
        elif partner is not None and partner.years == r.years and partner.region == r.region:
            reference, ref_ts = "baseline arm", partner.ts
        elif r.base_ts is not None and int(r.base_ts["year"].iloc[-1]) == row["last_year"]:
            reference, ref_ts = "same-seed baseline", r.base_ts
        elif r.summary.get("vs_baseline"):
            reference = "same-seed baseline"
            vs = r.summary["vs_baseline"]
            ref_values["mean_achievement"] = vs["mean_achievement"]["baseline"]
            for k, m in (vs.get("equity") or {}).items():
                ref_values[k] = m["baseline"]
        else:
            reference = "none"
        if ref_ts is not None:
            ref_row = ref_ts.iloc[-1]
            ref_values = {k: ref_row.get(k) for k, _, _ in measures}
        row["reference"] = reference
        if ref_ts is not None and "spending_yuan" in r.ts and "spending_yuan" in ref_ts:
            spend = float(r.ts["spending_yuan"].sum() - ref_ts["spending_yuan"].sum())
        else:
            spend = math.nan
        # the cost behind the gains: the policies' own cost, or (named reference arm) the
        # extra county spending compared with the reference run
        basis = cost if ref_arm is None else spend
        for k, _, equity in measures:
            a, b = last.get(k), ref_values.get(k)
            change = float(a) - float(b) if a is not None and b is not None else math.nan
            row[f"change_{k}"] = change
            if equity:
                row[f"gain_per_million_yuan_{k}"] = (-change / (basis / 1e6) if basis > 0
                                                     else math.nan)
        row["change_total_spending_yuan"] = spend
        rows.append(row)
    df = pd.DataFrame(rows)
    for k, name in names.items():
        col = _param_series([_run_params(r, [k])[k] for r in runs])
        df[name] = pd.Series(col.to_numpy()).astype(col.dtype)
    return df


def summary_table(runs_df: pd.DataFrame, params_of_arm: pd.DataFrame,
                  arm_sequence: list[str]) -> pd.DataFrame:
    """Long table of each key metric per arm and year (``summary``): n, mean, sd and 95%
    interval across seeds, arms in the order of ``arm_sequence``."""
    metrics = key_metrics(runs_df.columns)
    data = runs_df[["arm", "year"] + metrics].copy()
    for c in metrics:
        data[c] = pd.to_numeric(data[c].astype("Float64"), errors="coerce").astype(float)
    long = data.melt(id_vars=["arm", "year"], var_name="metric", value_name="value")
    g = long.groupby(["arm", "year", "metric"], sort=False)["value"]
    stats = g.agg(n="count", mean="mean", sd="std").reset_index()
    stats = stats[stats["n"] > 0]
    stats = add_ci(stats)
    arm_rank = {a: i for i, a in enumerate(dict.fromkeys(arm_sequence))}
    metric_rank = {m: i for i, m in enumerate(metrics)}
    stats = stats.assign(_a=stats["arm"].map(arm_rank), _m=stats["metric"].map(metric_rank))
    stats = stats.sort_values(["_a", "_m", "year"]).drop(columns=["_a", "_m"])
    stats = stats.merge(params_of_arm.reset_index(), on="arm", how="left")
    cols = ["arm", *params_of_arm.columns, "year", "metric", "n", "mean", "sd", "ci_low",
            "ci_high"]
    stats["n"] = stats["n"].astype("int64")
    stats["year"] = stats["year"].astype("int64")
    return stats[cols].reset_index(drop=True)


def effects_table(per_run: pd.DataFrame, with_reference: bool = False) -> pd.DataFrame:
    """Long table of the per-run effects per arm (``effects``): policy cost, changes and gains
    per million yuan, each with n, mean, sd and 95% interval across seeds; with
    ``with_reference`` a ``reference`` column."""
    measures = _effect_measures()
    labels = {k: label for k, label, _ in measures}
    labels["total_spending_yuan"] = "county spending summed over the years (yuan)"
    items: list[tuple[str, str, str]] = []  # kind, measure, per_run column
    items.append(("total_policy_cost_yuan", "total_policy_cost_yuan", "total_policy_cost_yuan"))
    for k, _, _ in measures:
        items.append(("change", k, f"change_{k}"))
    items.append(("change", "total_spending_yuan", "change_total_spending_yuan"))
    for k, _, equity in measures:
        if equity:
            items.append(("gain_per_million_yuan", k, f"gain_per_million_yuan_{k}"))
    rows = []
    for arm, grp in per_run.groupby("arm", sort=False):
        refs = sorted(set(grp["reference"]))
        ref = {"reference": refs[0] if len(refs) == 1 else "mixed: " + ", ".join(refs)} \
            if with_reference else {}
        for kind, measure, col in items:
            if col not in grp:
                continue
            stats = mean_ci(grp[col])
            rows.append({"arm": arm, **ref, "kind": kind, "measure": measure,
                         "label": labels.get(measure, "total policy cost (yuan)"), **stats})
    df = pd.DataFrame(rows)
    df["n"] = df["n"].astype("int64")
    return df


def arms_table(per_run: pd.DataFrame, effects: pd.DataFrame, params_of_arm: pd.DataFrame,
               keys: list[str]) -> pd.DataFrame:
    """One row per arm (``arms``): parameters, seeds, reference, first years of passing and
    the headline effects with their intervals."""
    rows = []
    for arm, grp in per_run.groupby("arm", sort=False):
        row: dict[str, Any] = {"arm": arm}
        row.update(params_of_arm.loc[arm].to_dict())
        row["n_runs"] = len(grp)
        row["seeds"] = ",".join(str(s) for s in sorted(grp["seed"]))
        refs = sorted(set(grp["reference"]))
        row["reference"] = refs[0] if len(refs) == 1 else "mixed: " + ", ".join(refs)
        row["last_year"] = int(grp["last_year"].max())
        for std in STANDARDS:
            years = grp[f"first_pass_{std}"].to_numpy(dtype=float)
            med = float(np.median(np.where(np.isnan(years), np.inf, years)))
            row[f"first_pass_{std}_median"] = med if math.isfinite(med) else math.nan
            row[f"first_pass_{std}_share"] = float(np.mean(~np.isnan(years)))
        eff = effects[effects["arm"] == arm].set_index(["kind", "measure"])
        c = eff.loc[("total_policy_cost_yuan", "total_policy_cost_yuan")]
        row.update({"total_policy_cost_yuan_mean": c["mean"],
                    "total_policy_cost_yuan_ci_low": c["ci_low"],
                    "total_policy_cost_yuan_ci_high": c["ci_high"]})
        for kind in ("change", "gain_per_million_yuan"):
            for m in HEADLINE_MEASURES:
                if (kind, m) not in eff.index:
                    continue
                e = eff.loc[(kind, m)]
                row[f"{kind}_{m}_mean"] = e["mean"]
                row[f"{kind}_{m}_ci_low"] = e["ci_low"]
                row[f"{kind}_{m}_ci_high"] = e["ci_high"]
        rows.append(row)
    df = pd.DataFrame(rows)
    for k in params_of_arm.columns:
        df[k] = df[k].astype(params_of_arm[k].dtype)
    return df


def arm_difference(runs: pd.DataFrame, per_run: pd.DataFrame, arm_a: str,
                   arm_b: str) -> pd.DataFrame:
    """A − B per seed that both arms have with the same last year (the first run of each arm
    and seed), for the last-year measures of the effects table, the policy cost and the
    county spending summed over the years: one row per measure with ``n`` (pairs), ``mean``,
    ``sd`` and the 95% t-interval (:func:`mean_ci`)."""
    measures = [(k, label) for k, label, _ in _effect_measures()]
    pr = per_run.drop_duplicates(["arm", "seed"]).set_index(["arm", "seed"])
    last = runs.sort_values("year").groupby("run_id", sort=False).tail(1).set_index("run_id")
    spend = (runs.groupby("run_id")["spending_yuan"].sum() if "spending_yuan" in runs
             else pd.Series(dtype=float))

    def values(arm: str, seed: int) -> dict[str, float]:
        rid = pr.loc[(arm, seed), "run_id"]
        out = {k: float(last.loc[rid, k]) if k in last and pd.notna(last.loc[rid, k])
               else math.nan for k, _ in measures}
        out["total_policy_cost_yuan"] = float(pr.loc[(arm, seed), "total_policy_cost_yuan"])
        out["total_spending_yuan"] = float(spend.get(rid, math.nan))
        out["_year"] = float(pr.loc[(arm, seed), "last_year"])
        return out

    seeds_a = set(pr.loc[arm_a].index) if arm_a in pr.index.get_level_values(0) else set()
    seeds_b = set(pr.loc[arm_b].index) if arm_b in pr.index.get_level_values(0) else set()
    diffs: list[dict[str, float]] = []
    for seed in sorted(seeds_a & seeds_b):
        va, vb = values(arm_a, seed), values(arm_b, seed)
        if va["_year"] == vb["_year"]:
            diffs.append({k: va[k] - vb[k] for k in va if k != "_year"})
    labels = dict(measures)
    labels["total_policy_cost_yuan"] = "total policy cost (yuan)"
    labels["total_spending_yuan"] = "county spending summed over the years (yuan)"
    rows = []
    for k, label in labels.items():
        stats = mean_ci([d[k] for d in diffs]) if diffs else mean_ci([])
        rows.append({"arm_a": arm_a, "arm_b": arm_b, "measure": k, "label": label, **stats})
    df = pd.DataFrame(rows)
    df["n"] = df["n"].astype("int64")
    return df
