"""Facilities: the year-0 stocks of the synthetic county, each school's land, and the
county's capital projects for buildings and sports grounds.

**Year 0** (:func:`draw_initial_stocks`, stream ``facilities``). Each stock ``k`` of a school
(building, sports ground, equipment, multimedia rooms, computers, books) is what its pupils
need at the standard × its tier's ratio (``finance.initial_stock``) × a school factor
``exp(σ_k·(√ρ·w_s + √(1−ρ)·e_sk) − σ_k²/2)``: ``σ_k`` is the stock's own dispersion
(``finance.dispersion_<stock>``, calibrated to the published 2012 county CVs), ``w_s`` a
school-level "wealth" factor shared by all of a school's stocks and ``ρ``
(``finance.stock_wealth_correlation``) the share of the log-variance it carries; the
``−σ_k²/2`` keeps each tier's mean ratio at ``initial_stock``. :func:`staffing_factor` is the
same kind of factor for the year-0 staffing (stream ``staffing``).

**Land** (:func:`setup`, every county). A school's site does not grow by itself: its sports
ground can reach at most ``land_cap`` = year-0 sports area × (1 + ``finance.land_headroom``
of its tier). A loaded county's table gives no site area, so the cap is synthesised the
same way (and said in ``model.synthesis_notes``).

**Surplus space handed over** (:func:`transfer_surplus`, a county strategy, off unless
``finance.surplus_transfer`` > 0). Space a school's pupils do not need stays with the school:
a school that has lost pupils has ever more building and ground per pupil, which raises the
county's 2017 CVs. Counties hand such space to other uses, above all village kindergartens
(State Council 2010, 国发〔2010〕41号: surplus school buildings after layout adjustment are
first converted into kindergartens; Yunnan 2011-2015: 1,376 kindergartens in 1.04 m m² of
idle rural school buildings, and kindergartens attached to 2,083 rural primary schools).
Each year every open school with pupils hands over ``surplus_transfer`` of its building and
sports area above ``surplus_above`` × what its pupils need at the 2017 standard; the area
no longer counts as the school's (nor does that land for its sports ground), its seats fall
with its building (never below what the remaining building holds at the standard, nor
below its pupils), and the conversion costs ``surplus_conversion_cost_per_m2`` per m² of
building (booked as ``surplus_conversion``).

**Capital projects** (:func:`start_projects`, called by :mod:`sim.processes.finance` with
what the county's capital budget has left after the per-pupil stock formula). Every open
school below the 2017 standard (MOE 2017) in building area or sports area, counting what it
already has in the pipeline, is a candidate; the sports shortfall is limited by its land.
``finance.project_priority`` orders them: ``"shortfall"`` funds the largest shortfall per
pupil (as a share of the standard) first, each in full, until the money runs out (the last
one gets what is left); ``"pupils"`` shares the money among the candidates in proportion to
their pupils, each capped at its shortfall. A project costs ``building_cost_per_m2`` or
``sports_cost_per_m2`` per m², is booked when it starts, and adds its area only
``project_years`` later (:func:`deliver`); area due at a school that has closed is left
there, like its other buildings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.standards import FACILITY_STANDARDS_PER_STUDENT
from sim.vocabulary import TIER_NAMES

if TYPE_CHECKING:
    from sim.state import CountyState

__all__ = ["STOCKS", "FacilityState", "deliver", "dispersions", "draw_initial_stocks",
           "pipeline_area", "setup", "staffing_factor", "start_projects", "transfer_surplus"]

#: the stocks with a year-0 dispersion parameter, in the order of ``model.split_adj``
STOCKS = ("building", "sports", "equipment", "multimedia", "computers", "books")


@dataclass
class FacilityState:
    """Per-school land and the capital projects under construction."""

    #: most sports-ground area each school's site allows (m²)
    land_cap: np.ndarray
    #: due year → (schools × 2) m² of building and sports area under construction
    pipeline: dict[int, np.ndarray] = field(default_factory=dict)
    #: yuan of the per-pupil stock formula each school got this year (base + increment)
    formula_paid: np.ndarray | None = None


def dispersions(fc) -> np.ndarray:
    """The six log-SDs ``finance.dispersion_<stock>`` in :data:`STOCKS` order."""
    return np.array([getattr(fc, f"dispersion_{k}") for k in STOCKS], dtype=float)


def school_factors(rng: np.random.Generator, n: int, sigma: np.ndarray,
                   rho: float) -> np.ndarray:
    """(n × len(sigma)) mean-one log-normal factors sharing a school factor (share ``rho``
    of each log-variance)."""
    wealth = rng.standard_normal((n, 1))
    own = rng.standard_normal((n, len(sigma)))
    z = np.sqrt(rho) * wealth + np.sqrt(1.0 - rho) * own
    return np.exp(sigma[None, :] * z - sigma[None, :] ** 2 / 2)


def draw_initial_stocks(model: CountyState, n_sec: np.ndarray) -> None:
    """The synthetic county's year-0 stocks from the pupils per school and section
    ``n_sec`` (schools × 2), stream ``facilities``."""
    fc = model.cfg.finance
    sch = model.schools
    rng = model.stream("facilities")
    ratios = np.array([fc.initial_stock[t] for t in TIER_NAMES])[sch.tier]  # S×4
    factor = school_factors(rng, sch.n, dispersions(fc), fc.stock_wealth_correlation)
    need = n_sec @ FACILITY_STANDARDS_PER_STUDENT  # S×4: stock that exactly meets the standard
    stock = need * ratios * factor[:, :4]
    sch.building_area[:], sch.sports_area[:] = stock[:, 0], stock[:, 1]
    sch.equipment_value[:], sch.multimedia_rooms[:] = stock[:, 2], stock[:, 3]
    # computers: the reference level scaled by the tier's equipment ratio; books: by
    # the tier's book_ratio
    sch.computers[:] = ((n_sec @ np.array([1.0, 1.25])) * fc.computers_per_100 / 100
                        * ratios[:, 2] * factor[:, 4])
    sch.books[:] = ((n_sec @ np.array([1.0, 1.3])) * fc.books_per_student
                    * np.array(fc.book_ratio.as_tuple())[sch.tier] * factor[:, 5])


def staffing_factor(model: CountyState, quota: np.ndarray) -> np.ndarray:
    """Per-school log-normal factor on the year-0 staffing share (log-SD
    ``finance.staffing_dispersion``; stream ``staffing``), scaled so that its mean weighted
    by the schools' staffing ``quota`` (schools × 2) is 1: the county's year-0 staff total
    does not move, only its spread across schools."""
    sigma = model.cfg.finance.staffing_dispersion
    f = np.exp(sigma * model.stream("staffing").standard_normal(model.schools.n))
    w = quota.sum(axis=1)
    return f * w.sum() / (f * w).sum() if (f * w).sum() > 0 else np.ones(model.schools.n)


def setup(model: CountyState) -> None:
    """Each school's land cap from its year-0 sports ground, and an empty pipeline."""
    fc = model.cfg.finance
    sch = model.schools
    headroom = np.array(fc.land_headroom.as_tuple())[sch.tier]
    model.facilities = FacilityState(land_cap=sch.sports_area * (1.0 + headroom))
    if model.cfg.region.path:
        model.synthesis_notes.append(
            "land: the table gives no site area; each school's sports ground may grow to its "
            "year-0 area × (1 + finance.land_headroom of its tier)")


def pipeline_area(model: CountyState) -> np.ndarray:
    """(schools × 2) m² of building and sports area under construction."""
    out = np.zeros((model.schools.n, 2))
    for arr in model.facilities.pipeline.values():
        out += arr
    return out


def shortfalls(model: CountyState) -> np.ndarray:
    """(schools × 2) m² of building and sports area each open school lacks to reach the
    2017 standard, counting its pipeline as built; sports limited by its land."""
    sch = model.schools
    need = model.section_enrolment() @ FACILITY_STANDARDS_PER_STUDENT[:, :2]
    have = np.column_stack([sch.building_area, sch.sports_area]) + pipeline_area(model)
    short = np.maximum(need - have, 0.0)
    short[:, 1] = np.minimum(short[:, 1], np.maximum(model.facilities.land_cap - have[:, 1], 0))
    short[~sch.open] = 0.0
    return short


def start_projects(model: CountyState, money: float) -> float:
    """Start the year's building and sports projects with at most ``money`` yuan (see the
    module docstring); returns the yuan committed (booked as ``capital_projects``)."""
    fc = model.cfg.finance
    if money <= 0:
        return 0.0
    short = shortfalls(model)
    cost = short * np.array([fc.building_cost_per_m2, fc.sports_cost_per_m2])
    if cost.sum() <= 0:
        return 0.0
    spend = np.zeros_like(cost)
    if fc.project_priority == "shortfall":
        need = model.section_enrolment() @ FACILITY_STANDARDS_PER_STUDENT[:, :2]
        rel = np.divide(short, need, out=np.zeros_like(short), where=need > 0)
        flat = np.flatnonzero(cost.reshape(-1) > 0)
        order = flat[np.argsort(-rel.reshape(-1)[flat], kind="stable")]
        c = cost.reshape(-1)[order]
        before = np.cumsum(c) - c  # money taken by the projects ahead in the queue
        spend.reshape(-1)[order] = np.minimum(c, np.maximum(money - before, 0.0))
    else:
        pupils = model.section_enrolment().sum(axis=1).astype(float)
        spend = _share_capped(np.where(cost > 0, pupils[:, None], 0.0), cost, money)
    area = np.divide(spend, np.array([fc.building_cost_per_m2, fc.sports_cost_per_m2]))
    due = model.year + int(fc.project_years)
    pipe = model.facilities.pipeline
    pipe[due] = pipe.get(due, np.zeros_like(area)) + area
    return float(spend.sum())


def _share_capped(weight: np.ndarray, cap: np.ndarray, money: float) -> np.ndarray:
    """``money`` shared in proportion to ``weight``, no entry above its ``cap`` (what a
    capped entry does not take is shared among the others again)."""
    out = np.zeros_like(cap)
    left = money
    open_ = weight > 0
    while left > 1e-9 * max(money, 1.0) and open_.any():
        w = np.where(open_, weight, 0.0)
        give = left * w / w.sum()
        room = cap - out
        take = np.minimum(give, room)
        out += take
        left -= float(take.sum())
        open_ &= (cap - out) > 1e-9
    return out


def deliver(model: CountyState) -> None:
    """Add the area of the projects due this year to their schools' stocks."""
    pipe = model.facilities.pipeline
    sch = model.schools
    for year in sorted(y for y in pipe if y <= model.year):
        arr = pipe.pop(year)
        sch.building_area[:] += arr[:, 0]
        sch.sports_area[:] += arr[:, 1]


def transfer_surplus(model: CountyState) -> float:
    """Hand over the year's share of every open school's surplus building and sports area
    (see the module docstring); returns the conversion cost (yuan, booked as
    ``surplus_conversion``). Does nothing while ``finance.surplus_transfer`` is 0."""
    fc = model.cfg.finance
    if fc.surplus_transfer <= 0:
        return 0.0
    sch = model.schools
    n_sec = model.section_enrolment()
    pupils = n_sec.sum(axis=1)
    need = n_sec @ FACILITY_STANDARDS_PER_STUDENT[:, :2]  # schools × [building, sports] m²
    have = np.column_stack([sch.building_area, sch.sports_area])
    surplus = np.maximum(have - fc.surplus_above * need, 0.0)
    surplus[~(sch.open & (pupils > 0))] = 0.0
    moved = fc.surplus_transfer * surplus
    if not moved.any():
        return 0.0
    sch.building_area[:] -= moved[:, 0]
    sch.sports_area[:] -= moved[:, 1]
    land = model.facilities.land_cap
    land[:] = np.maximum(land - moved[:, 1], sch.sports_area)
    # seats: what the remaining building holds at the standard's area per pupil, at most the
    # seats it had, at least its pupils
    gave = moved[:, 0] > 0
    holds = np.floor(sch.building_area[gave] * pupils[gave] / need[gave, 0]).astype(np.int64)
    sch.capacity[gave] = np.minimum(sch.capacity[gave], np.maximum(holds, pupils[gave]))
    model.flows["surplus_building_m2"] = float(moved[:, 0].sum())
    model.flows["surplus_sports_m2"] = float(moved[:, 1].sum())
    return float(moved[:, 0].sum() * fc.surplus_conversion_cost_per_m2)
