"""One draw of an uncertainty analysis: the policy run and its same-seed baseline on every
seed, with the drawn parameters, reduced to the numbers the analysis reads.

A worker process gets plain dicts (the composed model configuration and the draw's dotted
overrides), builds :class:`sim.config.SimConfig` directly (no Hydra composition per run) and
returns one row per seed and arm.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from experiments.uncertainty.design import apply_overrides
from sim.record import first_year_met
from sim.results import EQUITY_MEASURES

__all__ = ["MEASURES", "STANDARD_COLUMNS", "run_draw", "run_draws"]

#: the measures an analysis reports: column, label, +1 when higher is better, -1 lower
MEASURES: tuple[tuple[str, str, int], ...] = (
    ("mean_achievement", "mean achievement (year-0 SD)", 1),
    *((key, label, -1) for key, label in EQUITY_MEASURES),
)

#: the official tests: column of the yearly record, label
STANDARD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("quality_passed", "2017 quality standard passed"),
    ("basic_passed", "2012 basic standard passed"),
)


def _row(model, arm: str, first: tuple[str, ...] = ()) -> dict[str, Any]:
    ts = model.timeseries()
    last = ts.iloc[-1]
    row: dict[str, Any] = {"arm": arm}
    for key, _, _ in MEASURES:
        row[key] = float(last[key]) if key in last else math.nan
    simulated = ts[ts["year"] > 0]  # a first passing year is a simulated year, not year 0
    for key in (*(k for k, _ in STANDARD_COLUMNS), *first):
        year = first_year_met(simulated, key)
        row[f"first_{key}"] = math.nan if year is None else float(year)
    costs = [c for c in ts.columns if c.startswith("cost_policy_")]
    row["policy_cost_yuan"] = float(np.nansum(ts[costs].to_numpy(dtype=float))) if costs else 0.0
    return row


def run_draw(base: dict[str, Any], overrides: dict[str, Any], draw: int,
             seeds: list[int], years: int, first: tuple[str, ...] = ()
             ) -> list[dict[str, Any]]:
    """Rows (draw, seed, arm, measures at the last year, first passing years, policy cost)
    of the policy run and the baseline (the same configuration without policies) on each
    seed. ``first``: more boolean columns of the yearly record whose first passing year is
    wanted (``first_<column>``, NaN if never)."""
    from sim import EducationModel
    from sim.config import SimConfig

    cfg = apply_overrides(base, overrides)
    policy_cfg = SimConfig.from_dict(cfg)
    baseline_cfg = SimConfig.from_dict({**cfg, "policies": {}})
    rows = []
    for seed in seeds:
        for arm, sim_cfg in (("policy", policy_cfg), ("baseline", baseline_cfg)):
            model = EducationModel(sim_cfg, rng=seed).run(years)
            rows.append({"draw": draw, "seed": seed, **_row(model, arm, first)})
    return rows


def _work(args: tuple) -> list[dict[str, Any]]:
    return run_draw(*args)


def run_draws(tasks: list[tuple], save: Callable[[list[dict[str, Any]]], None],
              workers: int) -> None:
    """Run :func:`run_draw` with each task's arguments, in this process (``workers`` <= 1) or
    in a pool of ``workers`` processes, calling ``save`` with a draw's rows as soon as it
    finishes (so an interrupted analysis keeps what it finished)."""
    if workers <= 1:
        for task in tasks:
            save(_work(task))
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(workers) as ex:
        for fut in as_completed([ex.submit(_work, t) for t in tasks]):
            save(fut.result())
