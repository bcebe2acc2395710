"""``edusim-design``: find the cheapest mix of levers that brings a county to a target.

    edusim-design +target=default_county                  # canonical example
    edusim-design +target=default_county design.n_trials=80 hydra.sweep.dir=multirun/design/a
    edusim-design +target=default_county design.objective=pareto   # cost against equity gain
    optuna-dashboard sqlite:///multirun/design/a/study.db            # watch the search
    edusim-design-report multirun/design/a                           # tables and figures again

A *target* (``configs/target/``) states the question a county brings: which levers may be
used and over which ranges (``design.space``, searched by an Optuna study:
:mod:`experiments.design_search`), the conditions to meet in the target year
(``design.conditions``, e.g. every 2017 CV within its limit), in how many of the seeds
(``design.min_pass_share``), that mean achievement may not fall below the same-seed baseline
(``design.quality_floor``), and the objective:

* ``min_cost`` — the lowest total policy cost up to the target year among feasible mixes;
* ``max_equity_gain`` — the largest gain in ``design.equity_measure`` against the baseline
  among feasible mixes whose cost stays within ``design.budget_million_yuan``;
* ``pareto`` — both at once: the feasible mixes no other feasible mix beats on cost and on
  equity gain (feasibility, and the budget if one is given, as constraints of the study).

The cost is the policies' own money (``cost_policy_*``). Each trial also reports the extra
county spending against the same-seed baseline (``county_spending_million_yuan``: every cost
line, the policies' own money included, so also salaries and allowances that move with a
policy): the search does not minimise it, the brief shows it for the best mix.

**One trial** (:func:`evaluate`) runs the mix on every seed of ``design.seeds`` and compares
each run with the same-seed baseline (common random numbers: the levers change only what
they touch). A mix is *feasible* when the share of seeds meeting every condition in the
target year is at least ``min_pass_share`` and the mean achievement change is at least
``quality_floor`` (and, with a budget for ``max_equity_gain`` or ``pareto``, the mean cost is
within it). For the single objectives the value given to the optimiser is the objective for a
feasible mix, and a penalty above any feasible value, growing with the shortfall, for an
infeasible one, so the search is pulled towards feasibility. Each trial writes
``design_result.json`` (its mix, per-seed results, means with 95% intervals, first-pass
years, yearly cost profile, verdict, shortfalls) and then ``COMPLETE`` into its folder
``SWEEP_DIR/N``; a folder that already holds the same finished evaluation is read back, not
run again. The search settings (``design.n_trials``, ``design.n_jobs``, ``design.sampler``,
``design.sampler_seed``, ``design.storage``, ...) and how a search resumes or is shared by
several processes or machines are described in :mod:`experiments.design_search`. Same-seed
baselines are computed once per output folder and cached in ``baselines/``.

**Robust design.** With ``design.prior_draws`` = N > 0 every trial also draws N parameter
sets from the priors of the model and of the question's levers (:mod:`experiments.uncertainty`:
the same Sobol draws, ``prior_seed``, in every trial, whether a lever is on or off) and runs
each seed in each set against the same-set, same-seed baseline; ``min_pass_share`` is then
the probability, over the priors and the seeds, that the mix meets the target, and
``prior_widen`` widens every prior. The report then also evaluates the best mix with the
priors 1.5 and 2 times wider (``design/widen_*.json``): how its pass probability and cost hold
up if our assumptions are less certain than declared.

**Before the first trial**, with nothing written yet, :mod:`experiments.design_checks`
checks the question, the search settings, the model's settings, every setting the search can
suggest, the county and the output folder (the ``ValidateDesign`` callback of
configs/optimise.yaml); any problem stops the command with one message naming each field
(exit 2). A relative ``region.path`` (and the other :data:`REGION_PATHS`) is read from the
folder the command was run from, as ``edusim`` reads it; each trial gets it as an absolute
path (:func:`resolve_region_paths`). A trial that fails all the same stops the search with one
line, ``trial N failed: ...`` (exit 1), is marked failed in the study and leaves ``FAILED``
(the message and the traceback) in its folder.

**After the last trial**, :mod:`experiments.design_report` writes the report (tables,
figures and ``brief.md`` in ``design/`` of the output folder; ``edusim-design-report`` for a
folder given again).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.aggregate import mean_halfwidth
from sim.behaviour import BEHAVIOUR, stamp
from sim.config import ConfigError, SimConfig, param
from sim.policies import build_policies
from sim.record import first_year_met
from sim.results import atomic_write, county_spending, json_safe
from sim.schema import collection

__all__ = ["MAX_SEED", "OBJECTIVES", "PENALTY", "REGION_PATHS", "RESULT", "STANDARDS",
           "DesignConfig", "atomic_json", "check_design", "design_defaults",
           "evaluate", "lever_column", "levers_to_policies", "main", "one_line",
           "parse_condition", "resolve_region_paths"]

RESULT = "design_result.json"
OBJECTIVES = ("min_cost", "max_equity_gain", "pareto")
#: official standards whose first-pass year is reported for every mix
STANDARDS = ("quality_cv_passed_primary", "quality_cv_passed_junior", "quality_cv_passed",
             "quality_passed", "basic_passed")
_COND = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(?:(<=|>=|<|>|==)\s*(-?[\d.]+(?:e-?\d+)?))?\s*$")
#: penalty base of an infeasible mix (million yuan; above any plausible county budget)
PENALTY = 1.0e5
#: the largest seed (the range of edusim's ``seed``, experiments.run.RunConfig)
MAX_SEED = 2**63 - 1
#: the region fields that name a file; a relative one is read from the directory the command
#: was run from (as ``edusim region.path=...`` reads it)
REGION_PATHS = ("path", "teachers_path", "grades_path", "tiers_path")


@dataclass
class DesignConfig:
    """The question: target year, conditions, constraints, objective, seeds and levers."""

    objective: str = param("min_cost", choices=OBJECTIVES,
                           doc="min_cost: cheapest feasible mix; max_equity_gain: largest "
                               "equity gain within the budget; pareto: the feasible mixes "
                               "not beaten on both cost and equity gain")
    target_year: int = param(10, "simulated year", 1, 100,
                             doc="the year in which the conditions must hold")
    conditions: list[str] = collection(
        lambda: ["quality_cv_passed"],
        doc="timeseries conditions that must hold in the target year: a boolean column "
            "(quality_cv_passed: every 2017 CV within its limit at both levels) or "
            "'column <= number'")
    min_pass_share: float = param(0.8, "share of seeds", 0.0, 1.0,
                                  doc="share of seeds in which every condition must hold")
    quality_floor: float = param(0.0, "year-0 SD", -1.0, 1.0,
                                 doc="lowest allowed mean change of mean achievement against "
                                     "the same-seed baseline in the target year")
    budget_million_yuan: float | None = param(
        None, "million yuan", 0.0, 1e6,
        doc="max_equity_gain (required) and pareto (optional): the highest allowed mean "
            "total cost up to the target year")
    equity_measure: str = param(
        "urban_rural_gap", doc="timeseries column whose fall is the equity gain "
                               "(urban_rural_gap, ses_gap, between_school_share, a cv_ column)")
    seeds: list[int] = collection(
        lambda: [0, 1, 2, 3, 4], "seeds",
        doc="seeds every trial runs (common random numbers across trials)")
    prior_draws: int = param(
        0, "parameter sets", 0, 10_000,
        doc="parameter sets drawn from the priors of the model and of the levers "
            "(edusim-uncertainty's draws); every seed runs with each, the same sets in every "
            "trial, and min_pass_share is then a probability over the priors and the seeds "
            "(0: the parameters in force only)")
    prior_widen: float = param(1.0, "factor", 0.0, 10.0,
                               doc="multiplies every prior's spread around its median")
    prior_seed: int = param(0, "", 0, 2**31 - 1, doc="seed of the Sobol draws")
    levers: dict[str, Any] = collection(
        dict, doc="{policy: {enabled: bool, parameter: value}}; the search sets them")
    # how to search (experiments.design_search); not part of the question
    space: dict[str, Any] = collection(
        dict, doc="{dotted setting: choice(...), interval(lo, hi), range(a, b[, step]) or a "
                  "fixed value}: the settings the study searches (design.levers.NAME.FIELD "
                  "or a model setting)")
    n_trials: int = param(40, "trials", 1, 100_000,
                          doc="trials of the study (finished ones count when resuming)")
    n_jobs: int = param(1, "processes", 1, 256,
                        doc="local worker processes (1: the search repeats itself exactly)")
    sampler: str = param("tpe", choices=("tpe", "nsga2", "random"),
                         doc="Optuna sampler: TPE, NSGA-II or random")
    sampler_seed: int = param(0, "", 0, 2**31 - 1,
                              doc="seed of the sampler (a serial search repeats itself)")
    n_startup_trials: int = param(10, "trials", 0, 100_000,
                                  doc="TPE: random trials before it models the results")
    storage: str | None = param(
        None, doc="Optuna storage URL (default: sqlite:///SWEEP_DIR/study.db); several "
                  "processes or machines given the same storage and study work on one study")
    study_name: str | None = param(None, doc="name of the study (default: the target's name)")


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
    d = {**design_defaults(), **design}
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
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float))
                               or not 0 <= budget < math.inf):  # NaN fails this, as inf
        problems.append(f"design.budget_million_yuan: {budget!r} must be a finite number ≥ 0 "
                        "(million yuan)")
    for name, lo, hi in (("prior_draws", 0, 10_000), ("prior_seed", 0, 2**31 - 1),
                         ("n_trials", 1, 100_000), ("n_jobs", 1, 256),
                         ("sampler_seed", 0, 2**31 - 1), ("n_startup_trials", 0, 100_000)):
        v = d.get(name)
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            problems.append(f"design.{name}: {v!r} is outside the allowed range [{lo}, {hi}] "
                            "(an integer)")
    if d.get("sampler") not in ("tpe", "nsga2", "random"):
        problems.append(f"design.sampler: {d.get('sampler')!r} is not one of tpe, nsga2, random")
    for name in ("storage", "study_name"):
        v = d.get(name)
        if v is not None and (not isinstance(v, str) or not v.strip()):
            problems.append(f"design.{name}: {v!r} must be a non-empty string or null")
    if not isinstance(d.get("space"), dict):
        problems.append(f"design.space: {d.get('space')!r} must be a mapping of dotted "
                        "settings to choice(...), interval(...), range(...) or a value")
    w = d.get("prior_widen")
    if isinstance(w, bool) or not isinstance(w, (int, float)) or not 0.0 < w <= 10.0:
        problems.append(f"design.prior_widen: {w!r} is outside the allowed range (0, 10]")
    seeds = d.get("seeds") or []
    if not isinstance(seeds, list) or not seeds or not all(
            isinstance(s, int) and not isinstance(s, bool) and 0 <= s <= MAX_SEED for s in seeds):
        problems.append(f"design.seeds: {seeds!r} must be a non-empty list of integers in "
                        f"[0, {MAX_SEED}]")
    elif len(set(seeds)) != len(seeds):
        problems.append(f"design.seeds: {seeds!r} has repeated seeds")
    conditions = d.get("conditions") or []
    if not isinstance(conditions, list):
        problems.append(f"design.conditions: {conditions!r} must be a list of conditions")
        conditions = []
    for i, text in enumerate(conditions):
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
    if not isinstance(levers or {}, dict):
        raise ConfigError(f"design.levers: expected a mapping {{policy: {{enabled: bool, "
                          f"parameter: value}}}}, got {levers!r}")
    for name, spec in (levers or {}).items():
        if spec is not None and not isinstance(spec, dict):
            problems.append(f"design.levers.{name}: expected a mapping of parameters "
                            f"({{enabled: bool, parameter: value}}), got {spec!r}")
            continue
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


def atomic_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` atomically (its folder made if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(json_safe(obj), indent=1) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _timeseries(sim: dict[str, Any], seed: int, years: int,
                cache: Path | None) -> pd.DataFrame:
    from sim.model import EducationModel

    path = None
    if cache is not None:
        path = cache / f"seed{seed}_{_key([sim, years, BEHAVIOUR])}.parquet"
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
    design = {**design_defaults(), **(cfg.pop("design", None) or {})}
    problems = check_design(design)
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    sim = {k: v for k, v in cfg.items() if k not in RUN_KEYS and k != "design"}
    sim["policies"] = {}
    policies = levers_to_policies(design["levers"])
    checked = SimConfig.from_dict({**sim, "policies": policies})  # the model's own fields
    build_policies(checked.policies)  # and the policies' parameters
    years = int(design["target_year"])
    key = _key({"model": BEHAVIOUR, "sim": sim, "policies": policies, "design": {
        k: design[k] for k in ("target_year", "conditions", "min_pass_share", "quality_floor",
                               "budget_million_yuan", "equity_measure", "seeds",
                               "objective", "prior_draws", "prior_widen", "prior_seed")}})
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
    worlds = prior_worlds(sim, design)
    for (draw, sim_w, pol_over), seed in ((w, s) for w in worlds for s in design["seeds"]):
        pol_w = _with_policy_overrides(policies, pol_over)
        base = _timeseries(sim_w, seed, years, baseline_cache)
        run = (base if not pol_w else
               _timeseries({**sim_w, "policies": pol_w}, seed, years, None))
        for col, _, _ in conditions + [(equity, None, None), ("mean_achievement", None, None)]:
            if col in run.columns:
                continue
            if col != equity and lever_column(col, design["levers"]):
                # a column of a lever this mix leaves off: it spent nothing, and its other
                # measures are missing (a missing value never meets a condition)
                run = run.assign(**{col: 0.0 if col.startswith("cost_policy_") else np.nan})
                continue
            raise ConfigError(f"design: {col!r} is not a timeseries column (e.g. "
                              "quality_cv_passed, quality_cv_passed_junior, "
                              "urban_rural_gap, cv_primary_backbone_teachers_per_100)")
        last, last_base = run.iloc[years], base.iloc[years]
        cost_cols = [c for c in run.columns if c.startswith("cost_policy_")]
        yearly = run.loc[run["year"].between(1, years), ["year"] + cost_cols].fillna(0.0)
        profiles.append(yearly.set_index("year"))
        masks = [_mask(run, c) for c in conditions]
        met = [bool(m[years]) for m in masks]
        per_seed.append({
            "seed": int(seed), "draw": draw,
            "met": all(met),
            "conditions_met": met,
            "cost_million_yuan": float(yearly[cost_cols].to_numpy().sum() / 1e6)
            if cost_cols else 0.0,
            "county_spending_million_yuan": (county_spending(run, years)
                                             - county_spending(base, years)) / 1e6,
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
    county = mean_halfwidth([r["county_spending_million_yuan"] for r in per_seed])
    gain = mean_halfwidth([r["equity_gain"] for r in per_seed])
    quality = mean_halfwidth([r["quality_change"] for r in per_seed])
    profile = (pd.concat(profiles).groupby(level=0).mean() / 1e6) if profiles else pd.DataFrame()
    budget = design["budget_million_yuan"]
    shortfall = {
        "pass_share": max(0.0, design["min_pass_share"] - pass_share),
        "quality": max(0.0, design["quality_floor"] - quality["mean"]),
        "budget": (max(0.0, cost["mean"] - budget) / max(budget, 1.0)
                   if design["objective"] != "min_cost" and budget is not None else 0.0),
    }
    feasible = all(v <= 1e-12 for v in shortfall.values())
    violation = shortfall["pass_share"] + 10 * shortfall["quality"] + shortfall["budget"]
    if design["objective"] in ("min_cost", "pareto"):
        value = cost["mean"] if feasible else PENALTY * (1.0 + violation)
    else:
        value = -gain["mean"] if feasible else PENALTY * (1.0 + violation)
    result = {
        "key": key, "edusim": stamp(),
        "objective": design["objective"], "value": float(value), "feasible": feasible,
        "shortfall": shortfall,
        "policies": policies, "levers": design["levers"], "target_year": years,
        "conditions": design["conditions"], "seeds": list(design["seeds"]),
        "prior_draws": int(design["prior_draws"]), "prior_widen": float(design["prior_widen"]),
        "pass_share": pass_share, "min_pass_share": design["min_pass_share"],
        "cost_million_yuan": cost, "county_spending_million_yuan": county,
        "equity_measure": equity, "equity_gain": gain,
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
        atomic_json(out_dir / RESULT, result)
        (out_dir / "COMPLETE").write_text("")
    return result


def prior_worlds(sim: dict[str, Any], design: dict[str, Any]
                 ) -> list[tuple[int | None, dict[str, Any], dict[str, Any]]]:
    """The parameter sets a trial runs: ``[(None, sim, {})]`` without ``prior_draws``, else
    one per draw: (draw, the model configuration with the drawn model parameters, the drawn
    parameters of the levers as dotted ``policies.NAME.PARAM`` overrides). The draws come
    from the priors of the model and of every lever of the question (on or off), so every
    trial runs the same sets (common random numbers across trials)."""
    n = int(design.get("prior_draws") or 0)
    if n <= 0:
        return [(None, sim, {})]
    from experiments.uncertainty.design import (
        apply_overrides,
        draw_overrides,
        draw_points,
        uncertain_parameters,
    )

    levers = {name: {k: v for k, v in (spec or {}).items() if k != "enabled"}
              for name, spec in (design.get("levers") or {}).items()}
    params = uncertain_parameters({**sim, "policies": levers},
                                  widen=float(design.get("prior_widen", 1.0)))
    worlds = []
    for i, point in enumerate(draw_points(n, len(params), int(design.get("prior_seed", 0)))):
        over = draw_overrides(params, point)
        model = {k: v for k, v in over.items() if not k.startswith("policies.")}
        worlds.append((i, apply_overrides(sim, model),
                       {k: v for k, v in over.items() if k.startswith("policies.")}))
    return worlds


def _with_policy_overrides(policies: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """The mix's policies with the drawn parameters of the levers it switches on."""
    if not over:
        return policies
    from experiments.uncertainty.design import apply_overrides

    on = {k: v for k, v in over.items() if k.split(".")[1] in policies}
    return apply_overrides({"policies": policies}, on)["policies"]


def lever_column(col: str, levers: Any) -> bool:
    """Whether ``col`` is a timeseries column of one of the levers (``NAME.measure`` or
    ``cost_policy_NAME``), present only in runs where that lever is on."""
    return any(col == f"cost_policy_{name}" or col.startswith(f"{name}.")
               for name in (levers or {}))


def _median(values: list[int | None]) -> float | None:
    """Median first-pass year over seeds, a seed that never passed counting as never
    (None when at least half never passed)."""
    inf = [math.inf if v is None else v for v in values]
    m = float(np.median(inf)) if inf else math.inf
    return None if not math.isfinite(m) else m


def design_defaults() -> dict[str, Any]:
    """The ``design`` block's defaults (:class:`DesignConfig`) as a plain dict."""
    d = DesignConfig()
    return {k: getattr(d, k) for k in DesignConfig.__dataclass_fields__}


# ------------------------------------------------------------------------------------------
# the trial's configuration and its failure
# ------------------------------------------------------------------------------------------
def resolve_region_paths(cfg: dict[str, Any], cwd: str | os.PathLike) -> dict[str, Any]:
    """``cfg`` with every relative ``region.*path`` (:data:`REGION_PATHS`) made absolute
    against ``cwd``, the directory the command was run from (where ``edusim region.path=...``
    reads it too), so that every trial, in whatever process or machine, reads the same file."""
    region = cfg.get("region")
    if not isinstance(region, dict):
        return cfg
    region = dict(region)
    for name in REGION_PATHS:
        value = region.get(name)
        if isinstance(value, str) and value and not Path(value).is_absolute():
            region[name] = str(Path(cwd) / value)
    return {**cfg, "region": region}


def one_line(err: BaseException) -> str:
    """``err`` as one line for the terminal: at most three of its lines, joined; the type's
    name in front unless it is a ConfigError (whose lines already name their fields)."""
    lines = [ln.strip() for ln in str(err).splitlines()
             if ln.strip() and ln.strip() != "invalid configuration:"]
    text = "; ".join(lines[:3]) + (f"; … ({len(lines) - 3} more)" if len(lines) > 3 else "")
    return text if isinstance(err, ConfigError) else f"{type(err).__name__}: {text}"


# ------------------------------------------------------------------------------------------
# the entry point
# ------------------------------------------------------------------------------------------
def main() -> None:
    """Console entry point (``edusim-design``): :func:`experiments.design_command.main`."""
    from experiments.design_command import main as search_main

    search_main()


if __name__ == "__main__":
    main()
