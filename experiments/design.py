"""``edusim-design``: find the cheapest mix of levers that brings a county to a target.

    edusim-design +target=default_county                  # canonical example
    edusim-design +target=default_county hydra.sweeper.n_trials=80
    edusim-design +target=default_county hydra/launcher=ray_cluster ...
    edusim-design-report multirun/design/DATE/TIME        # tables and figures again

A *target* (``configs/target/``) states the question a county brings: which levers may be
used and over which ranges (Hydra's Optuna sweeper searches them: ``hydra.sweeper.params``),
the conditions to meet in the target year (``design.conditions``, e.g. every 2017 CV within
its limit), in how many of the seeds (``design.min_pass_share``), that mean achievement may
not fall below the same-seed baseline (``design.quality_floor``), and the objective:

* ``min_cost`` — the lowest total policy cost up to the target year among feasible mixes;
* ``max_equity_gain`` — the largest gain in ``design.equity_measure`` against the baseline
  among feasible mixes whose cost stays within ``design.budget_million_yuan``.

**One trial** (:func:`evaluate`) runs the mix on every seed of ``design.seeds`` and compares
each run with the same-seed baseline (common random numbers: the levers change only what
they touch). A mix is *feasible* when the share of seeds meeting every condition in the
target year is at least ``min_pass_share`` and the mean achievement change is at least
``quality_floor`` (and, for ``max_equity_gain``, the mean cost is within the budget). The
value given to the optimiser is the objective for a feasible mix, and a penalty above any
feasible value, growing with the shortfall, for an infeasible one, so the search is pulled
towards feasibility. Each trial writes ``design_result.json`` (its mix, per-seed results,
means with 95% intervals, first-pass years, yearly cost profile, verdict) and then
``COMPLETE``; a trial whose folder already holds the same finished evaluation is read back,
not run again, and the sampler's fixed seed makes a re-run suggest the same mixes in the
same order, so an interrupted optimisation resumes like any sweep. Same-seed baselines are
computed once per sweep and cached in ``baselines/``.

**The report** (:func:`report`, run at the end of the sweep and by ``edusim-design-report``)
writes ``design/`` in the sweep folder: ``trials.csv``, ``best.csv`` (feasible mixes by
objective), ``pareto.csv`` (feasible mixes not dominated in cost, equity gain and quality
change), ``front.png``, ``cost_profile.png`` and ``brief.md`` with the table a policy brief
can quote and the command that reproduces the best mix. A target that no trial met is
reported as **infeasible**, with the closest trial, never as a best-effort success.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.aggregate import mean_halfwidth
from sim.config import ConfigError, SimConfig, param
from sim.policies import build_policies
from sim.record import first_year_met
from sim.results import atomic_write, json_safe
from sim.terminal import command

__all__ = ["DesignConfig", "check_design", "evaluate", "levers_to_policies", "main",
           "parse_condition", "report", "report_main"]

RESULT = "design_result.json"
OBJECTIVES = ("min_cost", "max_equity_gain")
#: official standards whose first-pass year is reported for every mix
STANDARDS = ("quality_cv_passed_primary", "quality_cv_passed_junior", "quality_cv_passed",
             "quality_passed", "basic_passed")
_COND = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(?:(<=|>=|<|>|==)\s*(-?[\d.]+(?:e-?\d+)?))?\s*$")
#: penalty base of an infeasible mix (million yuan; above any plausible county budget)
PENALTY = 1.0e5


@dataclass
class DesignConfig:
    """The question: target year, conditions, constraints, objective, seeds and levers."""

    objective: str = param("min_cost", choices=OBJECTIVES,
                           doc="min_cost: cheapest feasible mix; max_equity_gain: largest "
                               "equity gain within the budget")
    target_year: int = param(10, "simulated year", 1, 100,
                             doc="the year in which the conditions must hold")
    conditions: list[str] = field(
        default_factory=lambda: ["quality_cv_passed"],
        metadata={"unit": "", "lo": None, "hi": None, "choices": None, "source": "",
                  "doc": "timeseries conditions that must hold in the target year: a "
                         "boolean column (quality_cv_passed: every 2017 CV within its limit "
                         "at both levels) or 'column <= number'"})
    min_pass_share: float = param(0.8, "share of seeds", 0.0, 1.0,
                                  doc="share of seeds in which every condition must hold")
    quality_floor: float = param(0.0, "year-0 SD", -1.0, 1.0,
                                 doc="lowest allowed mean change of mean achievement against "
                                     "the same-seed baseline in the target year")
    budget_million_yuan: float | None = param(
        None, "million yuan", 0.0, 1e6,
        doc="max_equity_gain: the highest allowed mean total cost up to the target year")
    equity_measure: str = param(
        "urban_rural_gap", doc="timeseries column whose fall is the equity gain "
                               "(urban_rural_gap, ses_gap, between_school_share, a cv_ column)")
    seeds: list[int] = field(
        default_factory=lambda: [0, 1, 2, 3, 4],
        metadata={"unit": "seeds", "lo": None, "hi": None, "choices": None, "source": "",
                  "doc": "seeds every trial runs (common random numbers across trials)"})
    levers: dict[str, Any] = field(
        default_factory=dict,
        metadata={"unit": "", "lo": None, "hi": None, "choices": None, "source": "",
                  "doc": "{policy: {enabled: bool, parameter: value}}; the sweeper sets them"})


# ------------------------------------------------------------------------------------------
# the question
# ------------------------------------------------------------------------------------------
def parse_condition(text: str) -> tuple[str, str | None, float | None]:
    """``"quality_cv_passed"`` or ``"urban_rural_gap <= 0.45"`` -> (column, op, value)."""
    m = _COND.match(str(text))
    if not m:
        raise ConfigError(f"design.conditions: {text!r} is not 'column' or "
                          "'column <= number' (operators <=, >=, <, >, ==)")
    col, op, value = m.groups()
    return col, op, (float(value) if value is not None else None)


def _mask(ts: pd.DataFrame, cond: tuple[str, str | None, float | None]) -> np.ndarray:
    """Whether ``cond`` holds in each row of ``ts`` (a missing value never holds)."""
    col, op, value = cond
    x = ts[col]
    if op is None:
        return x.fillna(False).astype(bool).to_numpy()
    x = x.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return {"<=": x <= value + 1e-12, ">=": x >= value - 1e-12, "<": x < value,
                ">": x > value, "==": np.abs(x - value) <= 1e-12}[op]


def _holds(row: pd.Series, cond: tuple[str, str | None, float | None]) -> bool:
    return bool(_mask(row.to_frame().T, cond)[0])


def check_design(design: dict[str, Any]) -> list[str]:
    """Problems of a ``design`` block, each naming its field and the allowed values."""
    problems = []
    known = {f for f in DesignConfig.__dataclass_fields__}
    for key in design:
        if key not in known:
            problems.append(f"design.{key}: unknown field (known: {', '.join(sorted(known))})")
    d = {**_design_defaults(), **design}
    if d.get("objective") not in OBJECTIVES:
        problems.append(f"design.objective: {d.get('objective')!r} is not one of "
                        f"{', '.join(OBJECTIVES)}")
    ty = d.get("target_year")
    if isinstance(ty, bool) or not isinstance(ty, int) or not 1 <= ty <= 100:
        problems.append(f"design.target_year: {ty!r} is outside the allowed range [1, 100] "
                        "simulated year")
    for name, lo, hi in (("min_pass_share", 0.0, 1.0), ("quality_floor", -1.0, 1.0)):
        v = d.get(name)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
            problems.append(f"design.{name}: {v!r} is outside the allowed range [{lo}, {hi}]")
    budget = d.get("budget_million_yuan")
    if d.get("objective") == "max_equity_gain" and budget is None:
        problems.append("design.budget_million_yuan: required for objective max_equity_gain "
                        "(a number ≥ 0, million yuan)")
    if budget is not None and (not isinstance(budget, (int, float)) or budget < 0):
        problems.append(f"design.budget_million_yuan: {budget!r} must be a number ≥ 0")
    seeds = d.get("seeds") or []
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                            for s in seeds):
        problems.append(f"design.seeds: {seeds!r} must be a non-empty list of integers ≥ 0")
    elif len(set(seeds)) != len(seeds):
        problems.append(f"design.seeds: {seeds!r} has repeated seeds")
    for i, text in enumerate(d.get("conditions") or []):
        try:
            parse_condition(text)
        except ConfigError as err:
            problems.append(str(err).replace("design.conditions", f"design.conditions[{i}]"))
    if not d.get("conditions"):
        problems.append("design.conditions: at least one condition is needed")
    try:
        levers_to_policies(d.get("levers") or {})
    except ConfigError as err:
        problems += [line.strip() for line in str(err).splitlines()
                     if line.strip() and not line.startswith("invalid configuration")]
    return problems


def levers_to_policies(levers: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{policy: {enabled: bool, param: value}}`` -> the ``policies`` config of the levers
    that are enabled (validated: unknown policies or parameters and out-of-range values raise one
    ConfigError naming ``design.levers.NAME.FIELD`` with its allowed range)."""
    from sim.policies.base import build_policies

    out: dict[str, dict[str, Any]] = {}
    problems = []
    for name, spec in (levers or {}).items():
        spec = dict(spec or {})
        on = spec.pop("enabled", True)
        if not isinstance(on, bool):
            problems.append(f"design.levers.{name}.enabled: expected true or false, got {on!r}")
            continue
        if on:
            out[name] = {k: (int(v) if isinstance(v, float) and k.endswith("_year") else v)
                         for k, v in spec.items()}
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    try:
        build_policies(out)
    except ConfigError as err:
        raise ConfigError(str(err).replace("policies.", "design.levers.")) from None
    return out


# ------------------------------------------------------------------------------------------
# one trial
# ------------------------------------------------------------------------------------------
def _key(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _atomic_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(json_safe(obj), indent=1) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _timeseries(sim: dict[str, Any], seed: int, years: int,
                cache: Path | None) -> pd.DataFrame:
    from sim.model import EducationModel

    path = None
    if cache is not None:
        path = cache / f"seed{seed}_{_key([sim, years])}.parquet"
        if path.exists():
            return pd.read_parquet(path)
    ts = EducationModel(SimConfig.from_dict(sim), rng=int(seed)).run(int(years)).timeseries()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, ts.to_parquet)
    return ts


def evaluate(cfg: dict[str, Any], out_dir: Path | None = None,
             baseline_cache: Path | None = None) -> dict[str, Any]:
    """Evaluate one mix (``cfg``: a composed run config with a ``design`` block) on every
    seed against the same-seed baseline; returns the trial's result (also written to
    ``out_dir/design_result.json`` when given; read back if it is already there)."""
    from experiments.run import RUN_KEYS

    cfg = json.loads(json.dumps(cfg, default=str))
    design = {**_design_defaults(), **(cfg.pop("design", None) or {})}
    problems = check_design(design)
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    sim = {k: v for k, v in cfg.items() if k not in RUN_KEYS and k != "design"}
    sim["policies"] = {}
    policies = levers_to_policies(design["levers"])
    checked = SimConfig.from_dict({**sim, "policies": policies})  # the model's own fields
    build_policies(checked.policies)  # and the policies' parameters
    years = int(design["target_year"])
    key = _key({"sim": sim, "policies": policies, "design": {
        k: design[k] for k in ("target_year", "conditions", "min_pass_share", "quality_floor",
                               "budget_million_yuan", "equity_measure", "seeds",
                               "objective")}})
    if out_dir is not None:
        done = out_dir / RESULT
        if (out_dir / "COMPLETE").exists() and done.exists():
            try:
                old = json.loads(done.read_text())
                if old.get("key") == key:
                    old["cached"] = True
                    return old
            except ValueError:
                pass
    conditions = [parse_condition(c) for c in design["conditions"]]
    equity = design["equity_measure"]
    per_seed = []
    profiles = []
    for seed in design["seeds"]:
        base = _timeseries(sim, seed, years, baseline_cache)
        run = (base if not policies else
               _timeseries({**sim, "policies": policies}, seed, years, None))
        for col, _, _ in conditions + [(equity, None, None), ("mean_achievement", None, None)]:
            if col not in run.columns:
                raise ConfigError(f"design: unknown timeseries column {col!r} (e.g. "
                                  "quality_cv_passed, quality_cv_passed_junior, "
                                  "urban_rural_gap, cv_primary_backbone_teachers_per_100)")
        last, last_base = run.iloc[years], base.iloc[years]
        cost_cols = [c for c in run.columns if c.startswith("cost_policy_")]
        yearly = run.loc[run["year"].between(1, years), ["year"] + cost_cols].fillna(0.0)
        profiles.append(yearly.set_index("year"))
        masks = [_mask(run, c) for c in conditions]
        met = [bool(m[years]) for m in masks]
        per_seed.append({
            "seed": int(seed),
            "met": all(met),
            "conditions_met": met,
            "cost_million_yuan": float(yearly[cost_cols].to_numpy().sum() / 1e6)
            if cost_cols else 0.0,
            "equity": float(last[equity]), "equity_baseline": float(last_base[equity]),
            "equity_gain": float(last_base[equity] - last[equity]),
            "quality_change": float(last["mean_achievement"] - last_base["mean_achievement"]),
            "first_year_conditions_met": first_year_met(run, np.logical_and.reduce(masks)),
            "first_year": {s: first_year_met(run, _mask(run, (s, None, None)))
                           for s in STANDARDS if s in run.columns},
            "first_year_baseline": {s: first_year_met(base, _mask(base, (s, None, None)))
                                    for s in STANDARDS if s in base.columns},
        })
    pass_share = float(np.mean([r["met"] for r in per_seed]))
    cost = mean_halfwidth([r["cost_million_yuan"] for r in per_seed])
    gain = mean_halfwidth([r["equity_gain"] for r in per_seed])
    quality = mean_halfwidth([r["quality_change"] for r in per_seed])
    profile = (pd.concat(profiles).groupby(level=0).mean() / 1e6) if profiles else pd.DataFrame()
    budget = design["budget_million_yuan"]
    shortfall = {
        "pass_share": max(0.0, design["min_pass_share"] - pass_share),
        "quality": max(0.0, design["quality_floor"] - quality["mean"]),
        "budget": (max(0.0, cost["mean"] - budget) / max(budget, 1.0)
                   if design["objective"] == "max_equity_gain" and budget is not None else 0.0),
    }
    feasible = all(v <= 1e-12 for v in shortfall.values())
    violation = shortfall["pass_share"] + 10 * shortfall["quality"] + shortfall["budget"]
    if design["objective"] == "min_cost":
        value = cost["mean"] if feasible else PENALTY * (1.0 + violation)
    else:
        value = -gain["mean"] if feasible else PENALTY * (1.0 + violation)
    result = {
        "key": key,
        "objective": design["objective"], "value": float(value), "feasible": feasible,
        "shortfall": shortfall,
        "policies": policies, "levers": design["levers"], "target_year": years,
        "conditions": design["conditions"], "seeds": list(design["seeds"]),
        "pass_share": pass_share, "min_pass_share": design["min_pass_share"],
        "cost_million_yuan": cost, "equity_measure": equity, "equity_gain": gain,
        "quality_change": quality, "quality_floor": design["quality_floor"],
        "budget_million_yuan": budget,
        "first_year_conditions_met_median": _median(
            [r["first_year_conditions_met"] for r in per_seed]),
        "first_year_median": {s: _median([r["first_year"].get(s) for r in per_seed])
                              for s in STANDARDS},
        "cost_profile_million_yuan": {
            str(int(y)): {c.removeprefix("cost_policy_"): float(v) for c, v in row.items()}
            for y, row in profile.iterrows()},
        "per_seed": per_seed,
        "region": sim.get("region", {}),
        "cached": False,
    }
    result = json_safe(result)
    if out_dir is not None:
        _atomic_json(out_dir / RESULT, result)
        (out_dir / "COMPLETE").write_text("")
    return result


def _median(values: list[int | None]) -> float | None:
    """Median first-pass year over seeds, a seed that never passed counting as never
    (None when at least half never passed)."""
    inf = [math.inf if v is None else v for v in values]
    m = float(np.median(inf)) if inf else math.inf
    return None if not math.isfinite(m) else m


def _design_defaults() -> dict[str, Any]:
    d = DesignConfig()
    return {k: getattr(d, k) for k in DesignConfig.__dataclass_fields__}


# ------------------------------------------------------------------------------------------
# the report
# ------------------------------------------------------------------------------------------
def _trials(sweep_dir: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted(sweep_dir.glob(f"*/{RESULT}"), key=lambda p: _job_num(p.parent.name)):
        try:
            r = json.loads(path.read_text())
        except ValueError:
            continue
        r["trial"] = _job_num(path.parent.name)
        out.append(r)
    return out


def _job_num(name: str) -> int:
    return int(name) if name.isdigit() else 10 ** 9


def _mix_label(policies: dict[str, Any]) -> str:
    if not policies:
        return "no policy"
    parts = []
    for name, params in policies.items():
        inner = ", ".join(f"{k} {v:.3g}" if isinstance(v, float)
                          else f"{k} {v}" for k, v in params.items())
        parts.append(f"{name} ({inner})" if inner else name)
    return "; ".join(parts)


def pareto(df: pd.DataFrame) -> pd.DataFrame:
    """Feasible trials not dominated in (lower cost, higher equity gain, higher quality
    change)."""
    f = df[df["feasible"]].reset_index(drop=True)
    keep = []
    x = f[["cost", "equity_gain", "quality_change"]].to_numpy(dtype=float)
    for i in range(len(f)):
        better_or_equal = ((x[:, 0] <= x[i, 0]) & (x[:, 1] >= x[i, 1]) & (x[:, 2] >= x[i, 2]))
        strictly = ((x[:, 0] < x[i, 0]) | (x[:, 1] > x[i, 1]) | (x[:, 2] > x[i, 2]))
        if not (better_or_equal & strictly).any():
            keep.append(i)
    return f.iloc[keep].sort_values("cost").reset_index(drop=True)


def report(sweep_dir: str | os.PathLike, quiet: bool = False) -> dict[str, Any]:
    """Tables, figures and the brief of a finished (or partly finished) design sweep."""
    sweep_dir = Path(sweep_dir)
    trials = _trials(sweep_dir)
    if not trials:
        raise FileNotFoundError(f"{sweep_dir}: no trial results ({RESULT}) found")
    out = sweep_dir / "design"
    out.mkdir(parents=True, exist_ok=True)
    rows = [{
        "trial": t["trial"], "mix": _mix_label(t["policies"]), "feasible": t["feasible"],
        "pass_share": t["pass_share"], "cost": t["cost_million_yuan"]["mean"],
        "cost_ci95": t["cost_million_yuan"]["ci95"],
        "equity_gain": t["equity_gain"]["mean"], "equity_gain_ci95": t["equity_gain"]["ci95"],
        "quality_change": t["quality_change"]["mean"],
        "quality_change_ci95": t["quality_change"]["ci95"],
        "first_year_met": t["first_year_conditions_met_median"], "value": t["value"],
        **{f"first_{s}": t["first_year_median"].get(s) for s in STANDARDS},
        "policies": json.dumps(t["policies"], sort_keys=True),
    } for t in trials]
    df = pd.DataFrame(rows)
    df.to_csv(out / "trials.csv", index=False)
    objective = trials[0]["objective"]
    feasible = df[df["feasible"]]
    if objective == "min_cost":
        best = feasible.sort_values(["cost", "equity_gain"], ascending=[True, False])
    else:
        best = feasible.sort_values(["equity_gain", "cost"], ascending=[False, True])
    best = best.drop_duplicates("policies")
    best.to_csv(out / "best.csv", index=False)
    front = pareto(df) if len(feasible) else df.iloc[:0]
    front.to_csv(out / "pareto.csv", index=False)
    by_trial = {t["trial"]: t for t in trials}
    summary: dict[str, Any] = {"sweep_dir": str(sweep_dir), "trials": len(df),
                               "feasible_trials": int(len(feasible)),
                               "objective": objective, "feasible": bool(len(feasible))}
    if len(best):
        top = by_trial[int(best.iloc[0]["trial"])]
        summary["best"] = {k: top[k] for k in ("trial", "policies", "cost_million_yuan",
                                               "equity_gain", "quality_change", "pass_share",
                                               "first_year_median",
                                               "first_year_conditions_met_median", "seeds",
                                               "target_year", "conditions")}
        summary["best"]["trial"] = int(best.iloc[0]["trial"])
    else:
        closest = df.sort_values(["value"]).iloc[0]
        summary["closest"] = {"trial": int(closest["trial"]), "mix": closest["mix"],
                              "pass_share": float(closest["pass_share"]),
                              "quality_change": float(closest["quality_change"])}
    _figures(df, front, best, by_trial, out, trials[0])
    (out / "brief.md").write_text(_brief(df, best, front, by_trial, summary, trials[0],
                                         sweep_dir), encoding="utf-8")
    _atomic_json(out / "summary.json", json_safe(summary))
    if not quiet:
        print((out / "brief.md").read_text(encoding="utf-8"))
    return summary


def _rerun_command(t: dict[str, Any], seed: int) -> str:
    region = t.get("region") or {}
    parts = [".venv/bin/edusim", f"seed={seed}", f"years={t['target_year']}"]
    if region.get("path"):
        parts += ["region=file", f"region.path={region['path']}"]
    elif region.get("preset"):
        parts.append(f"region={region['preset']}")
    for name, params in t["policies"].items():
        if params:
            parts += [f"+policies.{name}.{k}={v}" for k, v in params.items()]
        else:
            parts.append(f"'+policies.{name}={{}}'")
    return " ".join(parts)


def _brief(df, best, front, by_trial, summary, first, sweep_dir) -> str:
    cond = ", ".join(first["conditions"])
    head = [f"# Policy design: {first['objective'].replace('_', ' ')}", "",
            f"Target: {cond} in year {first['target_year']}, in at least "
            f"{first['min_pass_share']:.0%} of {len(first['seeds'])} seeds "
            f"({', '.join(map(str, first['seeds']))}); mean achievement change against the "
            f"same-seed baseline ≥ {first['quality_floor']:+.2f} SD"
            + (f"; mean cost ≤ {first['budget_million_yuan']:g} million yuan"
               if first["objective"] == "max_equity_gain" else "") + ".",
            f"Trials: {len(df)}, feasible: {int(df['feasible'].sum())}. Sweep: `{sweep_dir}`.",
            ""]
    if not len(best):
        c = summary["closest"]
        return "\n".join(head + [
            "**INFEASIBLE: no mix of the searched levers met the target.** The target may "
            "need levers or ranges outside this search, a later year, or a looser condition.",
            "",
            f"Closest trial {c['trial']}: {c['mix']} — conditions met in "
            f"{c['pass_share']:.0%} of seeds, quality change {c['quality_change']:+.3f} SD.",
            ""])
    lines = head + [
        "| rank | mix | cost (million yuan, 95% CI) | seeds meeting the target | "
        f"{first['equity_measure']} gain | quality change (SD) | first year met (median) |",
        "|---|---|---|---|---|---|---|"]
    for rank, (_, r) in enumerate(best.head(5).iterrows(), 1):
        fy = "—" if pd.isna(r["first_year_met"]) else f"{r['first_year_met']:g}"
        lines.append(f"| {rank} | {r['mix']} | {r['cost']:.1f} ± {r['cost_ci95']:.1f} | "
                     f"{r['pass_share']:.0%} | {r['equity_gain']:+.3f} ± "
                     f"{r['equity_gain_ci95']:.3f} | {r['quality_change']:+.3f} ± "
                     f"{r['quality_change_ci95']:.3f} | {fy} |")
    top = by_trial[int(best.iloc[0]["trial"])]
    fy = top["first_year_median"]
    lines += ["", "First-pass year of each official standard for the best mix (median over "
              "seeds; — = not within the run): " + ", ".join(
                  f"{s.replace('_passed', '').replace('_', ' ')} "
                  f"{'—' if fy.get(s) is None else f'{fy[s]:g}'}" for s in STANDARDS) + ".",
              ""]
    profile = top["cost_profile_million_yuan"]
    if profile and any(profile.values()):
        names = sorted({n for v in profile.values() for n in v})
        lines += ["Yearly cost of the best mix (million yuan, mean over seeds):", ""]
        lines.append("| year | " + " | ".join(names) + " |")
        lines.append("|---|" + "---|" * len(names))
        for year, v in profile.items():
            lines.append(f"| {year} | " + " | ".join(f"{v.get(n, 0.0):.2f}" for n in names)
                         + " |")
    lines += ["", f"Pareto front (cost, equity gain, quality change): {len(front)} mixes in "
              "`design/pareto.csv`; every trial in `design/trials.csv`.", "",
              "Reproduce the best mix for one seed (and its baseline) with:", "", "```bash",
              _rerun_command(top, top["seeds"][0]), "```", ""]
    return "\n".join(lines)


def _figures(df, front, best, by_trial, out: Path, first) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.7, 3.6), layout="constrained")
    ax = fig.add_subplot()
    bad = df[~df["feasible"]]
    ax.scatter(bad["cost"], bad["equity_gain"], s=14, color="0.75", label="infeasible")
    good = df[df["feasible"]]
    if len(good):
        sc = ax.scatter(good["cost"], good["equity_gain"], s=22, c=good["quality_change"],
                        cmap="RdBu", vmin=-max(0.05, good["quality_change"].abs().max()),
                        vmax=max(0.05, good["quality_change"].abs().max()),
                        edgecolors="0.2", linewidths=0.4, label="feasible")
        bar = fig.colorbar(sc, ax=ax, pad=0.01)
        bar.set_label("quality change (year-0 SD)", fontsize=8)
    if len(front):
        ax.plot(front["cost"], front["equity_gain"], color="#1b7837", linewidth=1,
                marker="o", markersize=6, markerfacecolor="none", label="Pareto front")
    if len(best):
        b = best.iloc[0]
        ax.scatter([b["cost"]], [b["equity_gain"]], s=120, marker="*", color="#e66101",
                   zorder=5, label="best mix")
    ax.set_xlabel(f"total policy cost to year {first['target_year']} (million yuan)")
    ax.set_ylabel(f"{first['equity_measure']} gain vs baseline")
    title = "Policy mixes searched" + ("" if len(good) else " — no mix met the target")
    ax.set_title(title, loc="left", fontsize=9)
    ax.grid(True, color="0.9")
    ax.legend(loc="best", fontsize=7.5, frameon=True, framealpha=0.9)
    fig.savefig(out / "front.png", dpi=150)
    top = by_trial[int(best.iloc[0]["trial"])] if len(best) else None
    if top is not None and any(top["cost_profile_million_yuan"].values()):
        profile = pd.DataFrame(top["cost_profile_million_yuan"]).T.fillna(0.0)
        fig = Figure(figsize=(6.7, 2.8), layout="constrained")
        ax = fig.add_subplot()
        years = profile.index.astype(int)
        bottom = np.zeros(len(profile))
        for name in profile.columns:
            ax.bar(years, profile[name], bottom=bottom, label=name)
            bottom += profile[name].to_numpy()
        ax.set_xlabel("simulated year")
        ax.set_ylabel("million yuan")
        ax.set_title(f"Yearly cost of the best mix (trial {top['trial']})", loc="left",
                     fontsize=9)
        ax.legend(fontsize=7.5, frameon=False)
        ax.grid(True, axis="y", color="0.9")
        fig.savefig(out / "cost_profile.png", dpi=150)


# ------------------------------------------------------------------------------------------
# Hydra callbacks and entry points
# ------------------------------------------------------------------------------------------
def search_space_problems(config: Any) -> list[str]:
    """Check the design block and every lever setting the sweeper can suggest: each
    numeric search range is tried at both ends (with the other settings as configured),
    so an out-of-range bound is reported before any trial runs."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, RangeSweep
    from omegaconf import OmegaConf

    design = OmegaConf.to_container(config.design, resolve=True)
    problems = check_design(design)
    params = dict(OmegaConf.select(config, "hydra.sweeper.params") or {})
    parser = OverridesParser.create()
    for override in OmegaConf.select(config, "hydra.overrides.task") or []:
        # search ranges given on the command line (design.levers.X.rate=interval(0,0.3))
        key, _, text = str(override).partition("=")
        if key.startswith("design.") and re.match(r"^\s*(interval|range|choice)\(", text):
            params[key] = text
    for key, text in params.items():
        if not str(key).startswith("design."):
            continue
        parts = str(key).split(".")
        try:
            value = parser.parse_override(f"{key}={text}").value()
        except Exception as err:  # Hydra's own words
            problems.append(f"hydra.sweeper.params.{key}: {str(err).splitlines()[0]}")
            continue
        if isinstance(value, IntervalSweep):
            candidates = [value.start, value.end]
        elif isinstance(value, RangeSweep):
            stop = value.stop - (value.step or 1)
            candidates = [value.start, stop]
        elif isinstance(value, ChoiceSweep):
            candidates = list(value.list)
        else:
            candidates = [value]
        for v in candidates:
            trial = json.loads(json.dumps(design))
            node = trial
            for p in parts[1:-1]:
                node = node.setdefault(p, {})
            node[parts[-1]] = v
            if parts[1] == "levers" and len(parts) == 4 and parts[3] != "enabled":
                trial["levers"][parts[2]]["enabled"] = True
            for problem in check_design(trial):
                text_p = f"{problem} (search range of {key}: {text})"
                if text_p not in problems:
                    problems.append(text_p)
    return problems


try:
    from hydra.experimental.callback import Callback as _Callback
except ImportError:  # pragma: no cover - Hydra is a dependency
    _Callback = object  # type: ignore[assignment,misc]


class ValidateDesign(_Callback):
    """Before the first trial: the design block and the whole search space are valid."""

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        problems = search_space_problems(config)
        if problems:
            print("edusim-design: invalid design (no trial was started):\n  "
                  + "\n  ".join(problems), file=sys.stderr)
            sys.exit(2)
        print(f"[edusim-design] {config.hydra.sweeper.n_trials} trials into "
              f"{config.hydra.sweep.dir}", file=sys.stderr, flush=True)


class DesignReport(_Callback):
    """After the last trial: the report (tables, figures, brief) in the sweep folder."""

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        summary = report(Path(str(config.hydra.sweep.dir)), quiet=False)
        verdict = "a feasible mix was found" if summary["feasible"] else "INFEASIBLE target"
        print(f"[edusim-design] {verdict}; report in {config.hydra.sweep.dir}/design",
              file=sys.stderr, flush=True)
def main() -> None:
    import hydra
    from hydra.core.config_store import ConfigStore
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import DictConfig, OmegaConf

    from experiments.run import CONFIG_DIR, RunConfig

    @dataclass
    class DesignRunConfig(RunConfig):
        design: DesignConfig = field(default_factory=DesignConfig)

    ConfigStore.instance().store(name="edusim_design_schema", node=DesignRunConfig)

    @hydra.main(config_path=CONFIG_DIR, config_name="optimise", version_base="1.3")
    def _task(cfg: DictConfig) -> float:
        hc = HydraConfig.get()
        out_dir = Path(hc.runtime.output_dir)
        container = OmegaConf.to_container(cfg, resolve=True)
        try:
            result = evaluate(container, out_dir, Path(hc.sweep.dir) / "baselines")
        except ConfigError as err:
            print(f"edusim-design: {err}", file=sys.stderr)
            raise
        state = "feasible" if result["feasible"] else "infeasible"
        print(f"[edusim-design] trial {hc.job.num}: {state}, "
              f"{result['pass_share']:.0%} of seeds meet the target, cost "
              f"{result['cost_million_yuan']['mean']:.1f} million yuan"
              f"{' (cached)' if result['cached'] else ''}", file=sys.stderr, flush=True)
        return result["value"]

    _task()


@command("edusim-design-report")
def report_main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="edusim-design-report",
                                 description="Tables, figures and brief of a design sweep.")
    ap.add_argument("sweep_dir", type=Path)
    args = ap.parse_args(argv)
    try:
        summary = report(args.sweep_dir)
    except FileNotFoundError as err:
        print(f"edusim-design-report: {err}", file=sys.stderr)
        return 2
    return 0 if summary["feasible"] else 1


if __name__ == "__main__":
    main()
