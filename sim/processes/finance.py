"""School finance, once a year after teacher careers (vectorised over schools).

1. **Operating funds** (生均公用经费): the national benchmark per level × the tier's funds
   ratio; schools under ``small_school_floor`` pupils are funded as if they had that many.
   ``stock_share`` of them pays for the upkeep of the school's own equipment, multimedia
   rooms, computers and books: it replaces what wore out this year (depreciation) and
   never more, so operating money does not add stock (the rest is running costs).
2. **The county's capital budget** ``B = capital_budget_per_pupil × pupils of the county``
   (yuan a year) pays, in this order:

   a. the per-pupil stock formula: ``capital_per_student`` of the tier × pupils, scaled down
      to ``B`` when the budget is short. ``formula_base_share`` of it is allocated as each
      school's *base* — the wear its operating money did not replace, in proportion to it
      and at most that (incremental budgeting: a school keeps what it has) — and the rest
      (with what the bases did not need) per pupil by the tier rates, which adds stock
      split by ``equipment_share`` / ``multimedia_share`` / ``computer_share`` /
      ``book_share``;
   b. capital projects for building area and sports grounds with what is left
      (:mod:`sim.processes.facilities`: shortfall against the 2017 standard, land cap,
      priority rule, ``project_years`` to build).

   Money the budget does not need is not spent. With ``surplus_transfer`` > 0 the county
   then hands surplus space to other uses
   (:func:`sim.processes.facilities.transfer_surplus`). Buildings and sports grounds do not
   depreciate; they change only by projects, by seats added for growing enrolment
   (:mod:`sim.processes.enrolment`, booked as ``capacity_expansion``, outside this budget),
   by merges and by surplus space handed over.
3. **Costs** of the year (``model.costs``): ``operating_funds`` (all operating funds),
   ``capital_programme`` (the formula actually paid), ``capital_projects`` (projects
   started this year), ``surplus_conversion`` (only while surplus space is handed over),
   ``salaries`` and ``rural_allowance``. Policies book their own money (``policy_<name>``),
   outside the county budget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.processes import facilities
from sim.vocabulary import RURAL

if TYPE_CHECKING:
    from sim.state import CountyState

__all__ = ["capital_formula", "county_capital_budget", "school_funds", "step"]

#: the depreciating stocks: column, depreciation field, unit-cost field (None: 1 yuan),
#: share field of the per-pupil formula
DEPRECIATING = (
    ("equipment_value", "equipment_depreciation", None, "equipment_share"),
    ("multimedia_rooms", "multimedia_depreciation", "multimedia_room_cost", "multimedia_share"),
    ("computers", "computer_depreciation", "computer_cost", "computer_share"),
    ("books", "book_depreciation", "book_cost", "book_share"),
)


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


def county_capital_budget(model: CountyState) -> float:
    """This year's county capital budget (yuan): ``capital_budget_per_pupil`` × pupils of
    the open schools."""
    sch = model.schools
    pupils = float(model.section_enrolment().sum(axis=1)[sch.open].sum())
    return model.cfg.finance.capital_budget_per_pupil * pupils


def capital_formula(model: CountyState) -> np.ndarray:
    """What the per-pupil stock formula asks for each school before the budget limit:
    ``capital_per_student`` of its tier × its pupils (0 for closed schools)."""
    sch = model.schools
    rate = np.array(model.cfg.finance.capital_per_student.as_tuple())[sch.tier]
    return rate * model.section_enrolment().sum(axis=1) * sch.open


def step(model: CountyState, rng: np.random.Generator) -> None:
    fc = model.cfg.finance
    sch = model.schools
    facilities.deliver(model)
    funds = school_funds(model)

    # wear of this year (yuan) per depreciating stock, and the upkeep paid by operating funds
    units = [1.0 if unit is None else float(getattr(fc, unit)) for _, _, unit, _ in DEPRECIATING]
    wear = np.column_stack([
        getattr(fc, dep) * sch.column(col) * u
        for (col, dep, _, _), u in zip(DEPRECIATING, units, strict=True)])
    wear_total = wear.sum(axis=1)
    upkeep = np.minimum(fc.stock_share * funds, wear_total)

    # the county budget: the per-pupil formula first (scaled to the budget), then projects
    budget = county_capital_budget(model)
    asked = capital_formula(model)
    pot = min(float(asked.sum()), budget)
    scale = pot / asked.sum() if asked.sum() > 0 else 0.0
    uncovered = np.where(sch.open, wear_total - upkeep, 0.0)
    base_pot = fc.formula_base_share * pot
    base = (uncovered * min(1.0, base_pot / uncovered.sum()) if uncovered.sum() > 0
            else np.zeros(sch.n))
    increment = asked * scale * (pot - float(base.sum())) / pot if pot > 0 else np.zeros(sch.n)
    model.facilities.formula_paid = base + increment
    formula_paid = float(base.sum() + increment.sum())

    # stocks: wear off, replaced in proportion to each stock's wear, increment added by shares
    replaced = np.divide(upkeep + base, wear_total, out=np.zeros(sch.n), where=wear_total > 0)
    for (col, dep, _, share), u, k in zip(DEPRECIATING, units, range(4), strict=True):
        stock = sch.column(col)
        stock[:] = (stock * (1 - getattr(fc, dep)) + replaced * wear[:, k] / u
                    + getattr(fc, share) * increment / u)
    sch.funds[:] = funds

    projects = facilities.start_projects(model, budget - formula_paid)
    conversion = facilities.transfer_surplus(model)

    t = model.teachers
    tc = model.cfg.teachers
    rural = sch.tier[t.school] == RURAL
    salaries = tc.base_salary * t.n
    allowance = tc.base_salary * model.rural_allowance() * int(rural.sum())
    costs = model.costs
    costs["operating_funds"] = costs.get("operating_funds", 0.0) + float(funds.sum())
    costs["capital_programme"] = costs.get("capital_programme", 0.0) + formula_paid
    costs["capital_projects"] = costs.get("capital_projects", 0.0) + projects
    if model.cfg.finance.surplus_transfer > 0:
        costs["surplus_conversion"] = costs.get("surplus_conversion", 0.0) + conversion
    costs["salaries"] = costs.get("salaries", 0.0) + float(salaries)
    costs["rural_allowance"] = costs.get("rural_allowance", 0.0) + float(allowance)
