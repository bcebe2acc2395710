"""School finance, once a year after teacher careers (vectorised over schools).

Each school receives per-pupil operating funds (生均公用经费: the national benchmark per
level × the tier's funds ratio; schools under ``small_school_floor`` pupils are funded as
if they had that many) and the county's capital programme per pupil. ``stock_share`` of the
operating funds plus all capital money buy the stocks behind the official indicators,
split by ``equipment_share`` / ``multimedia_share`` / ``computer_share`` / ``book_share``,
after the year's depreciation. Buildings and sports grounds are maintained (no net
depreciation) and only change when the county adds seats or merges schools. Teachers' pay
(base salary + rural allowance) is counted as county spending.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.vocabulary import RURAL

if TYPE_CHECKING:
    from sim.state import CountyState


def school_funds(model: CountyState) -> np.ndarray:
    """Operating funds of every school this year (yuan)."""
    fc = model.cfg.finance
    sch = model.schools
    n_sec = model.section_enrolment()  # schools × 2
    total = n_sec.sum(axis=1)
    floor_scale = np.where((total > 0) & (total < fc.small_school_floor),
                           fc.small_school_floor / np.maximum(total, 1), 1.0)
    per = n_sec[:, 0] * fc.per_student_funds_primary + n_sec[:, 1] * fc.per_student_funds_junior
    funds = per * floor_scale * np.array(fc.funds_ratio.as_tuple())[sch.tier]
    return np.where(sch.open, funds, 0.0)


def step(model: CountyState, rng: np.random.Generator) -> None:
    fc = model.cfg.finance
    sch = model.schools
    funds = school_funds(model)
    capital = (np.array(fc.capital_per_student.as_tuple())[sch.tier]
               * model.section_enrolment().sum(axis=1) * sch.open)
    budget = fc.stock_share * funds + capital
    sch.equipment_value[:] = (sch.equipment_value * (1 - fc.equipment_depreciation)
                              + fc.equipment_share * budget)
    sch.multimedia_rooms[:] = (sch.multimedia_rooms * (1 - fc.multimedia_depreciation)
                               + fc.multimedia_share * budget / fc.multimedia_room_cost)
    sch.computers[:] = (sch.computers * (1 - fc.computer_depreciation)
                        + fc.computer_share * budget / fc.computer_cost)
    sch.books[:] = sch.books * (1 - fc.book_depreciation) + fc.book_share * budget / fc.book_cost
    sch.funds[:] = funds

    t = model.teachers
    tc = model.cfg.teachers
    rural = sch.tier[t.school] == RURAL
    salaries = tc.base_salary * t.n
    allowance = tc.base_salary * model.rural_allowance() * int(rural.sum())
    model.costs["operating_funds"] = model.costs.get("operating_funds", 0.0) + float(funds.sum())
    model.costs["capital_programme"] = model.costs.get("capital_programme", 0.0) + float(capital.sum())
    model.costs["salaries"] = model.costs.get("salaries", 0.0) + float(salaries)
    model.costs["rural_allowance"] = model.costs.get("rural_allowance", 0.0) + float(allowance)
