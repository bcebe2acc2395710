"""One draw of an uncertainty analysis: the policy run and its same-seed baseline on every
seed, with the drawn parameters, reduced to the numbers the analysis reads.

A worker process gets plain dicts (the composed model configuration and the draw's dotted
overrides), builds :class:`sim.config.SimConfig` directly (no Hydra composition per run) and
returns one row per seed and arm.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from experiments.uncertainty.design import apply_overrides
from sim.record import first_year_met
from sim.results import EQUITY_MEASURES

__all__ = ["MEASURES", "STANDARD_COLUMNS", "run_draw"]

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


def _row(model, arm: str) -> dict[str, Any]:
    ts = model.timeseries()
    last = ts.iloc[-1]
    row: dict[str, Any] = {"arm": arm}
    for key, _, _ in MEASURES:
        row[key] = float(last[key]) if key in last else math.nan
    for key, _ in STANDARD_COLUMNS:
        first = first_year_met(ts[ts["year"] > 0], key)  # a simulated year, not year 0
        row[f"first_{key}"] = math.nan if first is None else float(first)
    costs = [c for c in ts.columns if c.startswith("cost_policy_")]
    row["policy_cost_yuan"] = float(np.nansum(ts[costs].to_numpy(dtype=float))) if costs else 0.0
    return row


def run_draw(base: dict[str, Any], overrides: dict[str, Any], draw: int,
             seeds: list[int], years: int) -> list[dict[str, Any]]:
    """Rows (draw, seed, arm, measures at the last year, first passing years, policy cost)
    of the policy run and the baseline (the same configuration without policies) on each
    seed."""
    from sim import EducationModel
    from sim.config import SimConfig

    cfg = apply_overrides(base, overrides)
    policy_cfg = SimConfig.from_dict(cfg)
    baseline_cfg = SimConfig.from_dict({**cfg, "policies": {}})
    rows = []
    for seed in seeds:
        for arm, sim_cfg in (("policy", policy_cfg), ("baseline", baseline_cfg)):
            model = EducationModel(sim_cfg, rng=seed).run(years)
            rows.append({"draw": draw, "seed": seed, **_row(model, arm)})
    return rows
