"""Closing a teacher-quality gap: hiring, mobility and attrition (Goldhaber et al. 2023).

Goldhaber, Quince & Theobald simulated how fast the teacher-quality gap between
advantaged and disadvantaged schools closes when one flow at a time is equalised. Their
ordering (DOMAIN.md §5): equalising hiring *and* mobility closes the gap within about 5
years, hiring alone within about 10, attrition alone barely closes it.

In the model the gap is the urban minus rural mean teacher effectiveness
(``teacher_effectiveness_urban − teacher_effectiveness_rural``, pupil SD per year; urban
schools are the advantaged ones). Starting from the county's year-0 gap, four arms run with
the same seeds (common random numbers):

* ``baseline``: the default flows;
* ``hiring_mobility``: hiring equalised (every tier hires like urban schools: the same
  effectiveness, qualification mix and fill rate of vacancies) **and** mobility equalised
  (no up-tier transfers, so moves no longer drain the most effective rural teachers);
* ``hiring``: hiring equalised only;
* ``attrition``: attrition equalised only (every tier leaves at the urban rate, and the
  rural allowance no longer matters for exits).

The gap counts as closed in the first year it falls to 10% of its year-0 value or below
(``closed_share``); "never" within the run is reported as such.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim import EducationModel
from sim.config import SimConfig
from sim.vocabulary import TIER_NAMES

__all__ = ["ARMS", "PUBLISHED_ORDER", "arm_overrides", "run", "years_to_close"]

ARMS = ("baseline", "hiring_mobility", "hiring", "attrition")
#: the published ordering of years to close the gap (fastest first)
PUBLISHED_ORDER = ("hiring_mobility", "hiring", "attrition")


def arm_overrides(arm: str) -> dict[str, Any]:
    """Config overrides (dotted names) that equalise the arm's flows at urban levels."""
    tc = SimConfig().teachers
    hiring = {
        "teachers.hire_skill_mean.town": tc.hire_skill_mean.urban,
        "teachers.hire_skill_mean.rural": tc.hire_skill_mean.urban,
        "teachers.hire_fill.town": tc.hire_fill.urban,
        "teachers.hire_fill.rural": tc.hire_fill.urban,
        "teachers.hire_qualification": {k: list(tc.hire_qualification["urban"])
                                        for k in TIER_NAMES},
    }
    mobility = {"teachers.transfer_request.town": 0.0, "teachers.transfer_request.rural": 0.0}
    attrition = {"teachers.attrition.town": tc.attrition.urban,
                 "teachers.attrition.rural": tc.attrition.urban,
                 "teachers.rural_allowance": 0.0}
    return {"baseline": {}, "hiring_mobility": {**hiring, **mobility}, "hiring": hiring,
            "attrition": attrition}[arm]


def years_to_close(gap: np.ndarray, closed_share: float = 0.10) -> int | None:
    """First year (index) at which ``gap`` is at or below ``closed_share`` of ``gap[0]``."""
    hit = np.flatnonzero(gap <= closed_share * gap[0])
    return int(hit[0]) if len(hit) else None


def run(seeds: int = 10, years: int = 25, region: str = "default",
        closed_share: float = 0.10) -> tuple[pd.DataFrame, dict[str, Any]]:
    """All arms over ``seeds`` seeds. Returns the tidy trajectories (arm, seed, year, gap)
    and the summary: per arm the mean gap path, the years to close the mean gap, and per
    seed the years to close."""
    rows = []
    for arm in ARMS:
        over = arm_overrides(arm)
        for seed in range(seeds):
            cfg = SimConfig()
            cfg.region.preset = region
            for key, value in over.items():
                cfg.set(key, value)
            ts = EducationModel(cfg, rng=seed).run(years).timeseries()
            gap = (ts["teacher_effectiveness_urban"] - ts["teacher_effectiveness_rural"]).to_numpy()
            rows += [{"arm": arm, "seed": seed, "year": int(y), "gap": float(g)}
                     for y, g in zip(ts["year"], gap, strict=True)]
    tidy = pd.DataFrame(rows)
    summary: dict[str, Any] = {"seeds": seeds, "years": years, "region": region,
                               "closed_share": closed_share, "arms": {}}
    for arm in ARMS:
        sub = tidy[tidy["arm"] == arm]
        mean = sub.groupby("year")["gap"].mean().to_numpy()
        per_seed = [years_to_close(g["gap"].to_numpy(), closed_share)
                    for _, g in sub.groupby("seed")]
        summary["arms"][arm] = {
            "gap_year0": float(mean[0]),
            "gap_year5": float(mean[min(5, len(mean) - 1)]),
            "gap_year10": float(mean[min(10, len(mean) - 1)]),
            "gap_last": float(mean[-1]),
            "share_closed_by_year10": float(1 - mean[min(10, len(mean) - 1)] / mean[0]),
            "years_to_close_mean_gap": years_to_close(mean, closed_share),
            "years_to_halve_mean_gap": years_to_close(mean, 0.5),
            "years_to_close_per_seed": per_seed,
        }
    order = sorted(PUBLISHED_ORDER, key=lambda a: (
        summary["arms"][a]["years_to_close_mean_gap"] or 10 ** 6,
        summary["arms"][a]["gap_last"]))
    summary["model_order"] = order
    summary["published_order"] = list(PUBLISHED_ORDER)
    summary["ordering_reproduced"] = order == list(PUBLISHED_ORDER)
    return tidy, summary
