"""Schools: merging small schools and the catchment areas that follow from the open schools.

Runs at the start of each year, before enrolment (see ``EducationModel.step``): open schools
that ended last year below ``enrolment.merge_below`` pupils (always: schools left without
pupils) merge into the nearest open school that teaches all of their grades. Their pupils,
teachers and movable stocks (equipment, multimedia rooms, computers, books) move; buildings
and grounds stay behind. When a school closes, every catchment zone is assigned again
(:func:`update_catchments`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.region import catchments
from sim.vocabulary import NINE_YEAR, PRIMARY

if TYPE_CHECKING:
    from sim.state import CountyState

__all__ = ["MOVABLE_STOCKS", "merge_small_schools", "update_catchments"]

#: the stocks that move with a merged school's pupils
MOVABLE_STOCKS = ("equipment_value", "multimedia_rooms", "computers", "books")


def merge_small_schools(model: CountyState) -> None:
    """Merge open schools below ``enrolment.merge_below`` pupils (always: schools left
    without pupils) into the nearest open school that teaches all of their grades, smallest
    first; books ``schools_merged``."""
    sch = model.schools
    enrol = model.section_enrolment().sum(axis=1)
    small = np.flatnonzero(sch.open & (enrol < max(model.cfg.enrolment.merge_below, 1)))
    merged = 0
    for i in small[np.argsort(enrol[small])]:
        covers = sch.open & (np.arange(sch.n) != i) & (
            (sch.level == sch.level[i]) | (sch.level == NINE_YEAR))
        if not covers.any():
            continue
        j = int(np.argmin(np.where(covers, model.school_dist[i], np.inf)))
        s, t = model.students, model.teachers
        moving = s.school == i
        with model.writable("students", columns=("school",)):
            s.school[moving] = j
        tm = t.school == i
        t.school[tm] = j
        t.post_school[t.post_school == i] = j
        t.years_at_school[tm] = 0
        if sch.level[j] != NINE_YEAR and sch.level[i] != NINE_YEAR:
            t.section[tm] = 0 if sch.level[j] == PRIMARY else 1
        for col in MOVABLE_STOCKS:
            sch.column(col)[j] += sch.column(col)[i]
            sch.column(col)[i] = 0.0
        sch.capacity[j] += int(moving.sum())
        sch.capacity[i] = 0
        sch.open[i] = False
        merged += 1
    if merged:
        update_catchments(model)
    model.flows["schools_merged"] = merged


def update_catchments(model: CountyState) -> None:
    """Catchment school of every zone for primary and junior grades, from the open schools."""
    model.catch_primary, model.catch_junior = catchments(
        model.zone_dist, model.schools.level, model.schools.open, model.zone_own_school)
