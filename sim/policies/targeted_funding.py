"""Targeted funding (经费倾斜 / 薄弱学校改造 / 标准化建设): extra money for rural, under-equipped
or weak schools, spent on buildings, equipment and multimedia rooms (with a build lag) or on
a pay supplement for their teachers.

Each year, after the core school finance (so the money adds to the stocks the core has just
bought and depreciated):

1. **targeting** (``formula``) — which schools get money and in what proportion:

   * ``"tier"`` — the open schools of the ``tiers`` (``"rural"`` or ``"rural_town"``), in
     proportion to their pupils;
   * ``"shortfall"`` — the open schools below the 2017 standard (MOE 2017, 教督〔2017〕6号)
     in building area, equipment value or multimedia rooms, in proportion to the money they
     need to reach it::

         need_s = Σ_k max(standard_sk − stock_sk − pipeline_sk, 0) × unit_cost_k

     with ``standard_sk`` = (1 + ``target_margin``) × pupils × the level's per-pupil standard
     (building 4.5 / 5.8 m², equipment 2000 / 2500 yuan, 2.3 / 2.4 rooms per 100 pupils,
     primary / junior; the margin, 0 by default, is the county's planning buffer), unit
     costs ``building_cost_per_m2``, 1 yuan, ``finance.multimedia_room_cost``; money already
     committed but not yet delivered (``pipeline``) counts as stock. With ``sports_grounds``
     on, a fourth item counts: the sports ground (7.5 / 10.2 m² per pupil) a school lacks,
     counting the county's projects (:mod:`sim.processes.facilities`) and this policy's
     pipeline as built, at ``finance.sports_cost_per_m2``, plus ``land_cost_per_m2`` for each
     m² beyond the school's site (``model.facilities.land_cap``, counting land already
     bought). A school's capital money is capped at its need (money that would overshoot the
     standard is not committed);
   * ``"weakness"`` — the bottom ``weak_share`` of open schools by ``strength_measure``
     (:meth:`EducationModel.school_strength`) plus every school flagged ``designated_weak``
     (by the weak-school programme), in proportion to their pupils.
     ``weak_share = 0`` targets the designated schools only.

2. **money** — the year's budget ``B = fidelity × budget_yuan`` when ``budget_yuan`` is set,
   otherwise ``B = fidelity × yuan_per_pupil × pupils of the targeted schools``; each targeted
   school gets ``m_s = B × w_s / Σw`` (its weight ``w_s`` from step 1).

3. **capital vs pay** — ``capital_share × m_s`` goes to capital, the rest to teacher pay.
   This split is *the* design choice of the lever: doc 001 §4 criticises funding that goes
   mostly to buildings (教育资金…大量用于学校基础设施建设) and crowds out teacher quality, so
   keep ``capital_share`` below 1 to buy teachers as well as facilities.

   * **Capital** is split between buildings, equipment and multimedia rooms by the
     weights ``building_share`` / ``equipment_share`` / ``multimedia_share`` (normalised to
     sum 1; ``capital_split="shares"``) or by each school's own shortfall per item
     (``capital_split="need"``, falling back to the weights where a school has none). Money
     committed in year *t* becomes stock in year *t + lag* (``build_lag_years`` for equipment
     and multimedia rooms, ``building_lag_years`` for buildings): the policy keeps the
     pipeline (yuan per school and item, by due year). On delivery ``building_area +=
     yuan / building_cost_per_m2``, ``equipment_value += yuan``, ``multimedia_rooms += yuan /
     multimedia_room_cost``. With ``sports_grounds`` on, sports grounds are a fourth item
     (weight ``sports_share``; lag ``building_lag_years``): their money buys ground on the
     school's own site first (up to its land cap, ``finance.sports_cost_per_m2`` per m²),
     then ground with land (``sports_cost_per_m2 + land_cost_per_m2`` per m²); on delivery
     ``sports_area +=`` the ground and ``land_cap +=`` the land, so the county's own
     projects may use it later. Depreciation of the stocks continues in the core finance
     process (buildings do not depreciate there). Money due at a school that has closed goes
     to the nearest open school teaching its level (where its pupils went).
   * **Pay** is a supplement ``σ_s = pay_s / (teachers_s × base_salary)`` (share of base
     salary) for the teachers at the school. Like the rural allowance
     (:mod:`sim.processes.careers`) it lowers their attrition and transfer-request
     probabilities in the next careers step by ``exp(−pay_semi_elasticity × σ_s)``
     (``teachers.pay_semi_elasticity``).

4. **who pays** (``mode``):

   * ``"extra"`` — new money from outside the county's normal budget: everything committed
     (capital + pay) is booked as the policy's cost in the year it is committed;
   * ``"reallocate"`` — budget-neutral (调整经费支出结构, doc 001 §2): the same amount is taken
     from the non-targeted schools' capital programme (``finance.capital_per_student``) of
     the year, pro rata to it (at most all of it; the budget is scaled down otherwise). The
     stocks those schools bought with it this year are undone in the core's proportions
     (``finance.equipment_share`` …), so county spending is unchanged and the transfer is no
     cost of the policy.

Reported each year: ``committed_yuan`` (capital + pay), ``capital_committed_yuan``,
``pay_yuan``, ``delivered_yuan`` (capital that became stock this year), ``pipeline_yuan``
(committed, not yet delivered), ``reallocated_yuan`` (taken from non-targeted schools),
``targeted_schools``, ``targeted_pupils``, ``pay_supplement_share`` (mean σ over the targeted
schools' teachers), ``rural_urban_money_ratio`` (per-pupil operating funds + capital
programme + this policy's money in rural vs urban schools; doc 002 reports rural per-pupil
public funds raised to ≥ 90% of the urban standard) and ``equipment_completeness``
(pupil-weighted mean of min(equipment / standard, 1); doc 002: 配齐率 95%). With
``sports_grounds`` on also ``sports_committed_yuan`` (part of the capital), and for what came
into use this year ``sports_area_delivered_m2`` and ``land_bought_m2`` (added to the land
caps); their yuan are in ``delivered_yuan`` and ``pipeline_yuan`` too.

Defaults: 200 yuan per rural pupil a year (``formula="tier"``), 70% of it capital, split
in proportion to each school's own facility gaps (``capital_split="need"``; weights 0.2
buildings, 0.5 equipment, 0.3 multimedia rooms where a school has none), 30% as pay; lags
of 1 year (equipment, rooms) and 2 years (buildings). There are no budget figures in the
documents: the 200 yuan are meant to bring rural per-pupil public money (operating funds +
capital programme) in the default county to the ≥ 90% of the urban level reported by doc
002. The ratio they give (``rural_urban_money_ratio``) and the other measured effects of the
defaults: the table that follows this text in ``docs/policies.md``, made by the
``policy_effects`` docs job. ``formula="shortfall"`` is the 标准化建设 variant: it follows the
gaps wherever they are (in a growing county often urban building area). ``sports_grounds``
is off by default: without it the policy never adds sports ground, and a school's ground can
only grow within its site through the county's own projects.

Timing: capital that could only arrive after ``end_year`` is not committed (the policy does
not act after its end), so in its last years only the pay part is spent. The pay supplement
committed in year *t* acts on the careers step of year *t + 1*.

Interactions: ``formula="weakness"`` targets the schools designated by
``weak_school_program`` (``designated_weak``); the pay supplement multiplies with the rural
allowance and ``rural_incentives``; in ``"reallocate"`` mode the schools that lose capital are
usually urban, which can raise their shortfalls in later years.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.policies.base import Policy, PolicyConfig, register, weakest_schools
from sim.priors import PLUS_MINUS_50, uniform
from sim.processes.careers import pay_response
from sim.processes.facilities import pipeline_area
from sim.schema import ConfigError, param
from sim.standards import FACILITY_STANDARDS_PER_STUDENT
from sim.vocabulary import NINE_YEAR, RURAL, TOWN, URBAN, one_of

if TYPE_CHECKING:
    from sim.state import CountyState

#: capital items: 0 buildings (m²), 1 equipment (yuan), 2 multimedia rooms
ITEMS = ("building", "equipment", "multimedia")
#: columns of FACILITY_STANDARDS_PER_STUDENT / the schools table for the three items
_STANDARD_COLUMN = (0, 2, 3)
_STOCK_COLUMN = ("building_area", "equipment_value", "multimedia_rooms")
#: the fourth item when ``sports_grounds`` is on (m² of sports ground, with its land)
SPORTS = 3


@dataclass
class TargetedFundingConfig(PolicyConfig):
    mode: str = param(
        "extra", choices=("extra", "reallocate"),
        source="doc 002 (special transfer payments: new money); doc 001 §2 (调整教育经费的支出"
               "结构: reallocation)",
        doc="extra: new money, booked as cost; reallocate: taken from non-targeted schools' "
            "capital programme pro rata (county spending unchanged, no cost)")
    yuan_per_pupil: float = param(
        200.0, "yuan per targeted pupil per year", 0.0, 1e5,
        source="doc 002 (rural per-pupil public funds ≥ 90% of the urban standard): 200 yuan "
               "are meant to lift rural per-pupil operating + capital money to ≥ 90% of urban "
               "in the default county (the measured ratio: policy_effects table)",
        doc="yearly money per pupil of the targeted schools (ignored when budget_yuan is set)")
    budget_yuan: float | None = param(
        None, "yuan per year", 0.0, 1e11,
        source="assumption (a county's fixed special fund; doc 004 Qingpu: ≈ 300 m yuan for "
               "two new schools)",
        doc="fixed total per year, replacing yuan_per_pupil × targeted pupils (None: per pupil; "
            "0: nothing)",
        no_prior="the lever's intensity, chosen by the user")
    formula: str = param(
        "tier", choices=("tier", "shortfall", "weakness"),
        source="doc 002 (重点补齐农村及薄弱学校短板); doc 001 §1 (向农村倾斜); doc 001 §2 (薄弱学校)",
        doc="which schools get money and in what proportion: rural tier(s) by pupils; "
            "shortfall against the 2017 facility standards by money needed; weak schools by "
            "pupils")
    tiers: str = param(
        "rural", choices=("rural", "rural_town"),
        source="doc 001 §1 (在财政拨款…向农村倾斜)", doc="targeted tiers when formula='tier'")
    weak_share: float = param(
        0.33, "share of open schools", 0.0, 1.0,
        source="doc 001 §2 (1/3 of schools designated relatively weak)",
        doc="bottom share by strength_measure targeted when formula='weakness' (plus the "
            "designated_weak schools; 0: those only)")
    strength_measure: str = param(
        "composite", choices=("achievement", "teachers", "resources", "composite"),
        source="assumption (as teacher_rotation)",
        doc="school-strength measure for formula='weakness'")
    capital_share: float = param(
        0.7, "share of the money", 0.0, 1.0,
        source="assumption; doc 001 §4 warns that money spent mostly on buildings crowds out "
               "teacher quality, so keep it below 1",
        doc="share of each school's money spent on capital; the rest is a pay supplement for "
            "its teachers",
        prior=uniform(0.4, 1.0, "assumption: ±0.3 around the default, at most 1 (all capital)"))
    building_share: float = param(
        0.2, "weight", 0.0, 1.0, source="assumption (doc 002: equipment gaps filled first)",
        doc="weight of buildings in the capital money (weights normalised to sum 1)",
        prior=PLUS_MINUS_50)
    equipment_share: float = param(
        0.5, "weight", 0.0, 1.0,
        source="assumption (doc 002: 教學儀器設備配齊率 raised to 95%)",
        doc="weight of teaching equipment in the capital money",
        prior=PLUS_MINUS_50)
    multimedia_share: float = param(
        0.3, "weight", 0.0, 1.0,
        source="assumption (doc 002: smart classrooms in every school)",
        doc="weight of networked multimedia rooms in the capital money",
        prior=PLUS_MINUS_50)
    capital_split: str = param(
        "need", choices=("need", "shares"),
        source="doc 002 (重点补齐…短板: fill each school's gaps first)",
        doc="split capital money by the weights above, or by each school's own shortfall per "
            "item (weights where it has none)")
    build_lag_years: int = param(
        1, "years", 0, 10,
        source="assumption (procurement within the following school year)",
        doc="years from committing money to equipment and multimedia rooms in place",
        prior=uniform(0, 2, "assumption: in place within the year to two years"))
    building_lag_years: int = param(
        2, "years", 0, 10, source="assumption (design, tender and construction: 1-3 years)",
        doc="years from committing money to buildings in use",
        prior=uniform(1, 3, "source text: design, tender and construction take 1-3 years"))
    building_cost_per_m2: float = param(
        5_000.0, "yuan per m²", 1.0, 1e6,
        source="assumption (as enrolment.expansion_cost_per_seat: 25,000 yuan ≈ 5 m² at "
               "5,000 yuan/m²)",
        doc="construction cost of school building area",
        prior=uniform(0.5, 1.5, "assumption: ±50% around the default (area bought per yuan)",
                      relative=True))
    sports_grounds: bool = param(
        False,
        source="doc 002 (标准化建设: one standard for town and country, rural and weak schools' "
               "gaps filled first); doc 004 (Qingpu: 16 new synthetic sports fields in a year; "
               "a school reaching the assessment standard at 8.89 m² of sports ground per "
               "pupil); off by default (assumption: the lever the documented counties used, "
               "not part of the default policy)",
        doc="also fund sports grounds against the 2017 standard (7.5 / 10.2 m² per pupil), "
            "with the land a school lacks for them")
    sports_share: float = param(
        0.2, "weight", 0.0, 1.0,
        source="assumption (as building_share; used only when sports_grounds is on)",
        doc="weight of sports grounds in the capital money when sports_grounds is on",
        prior=PLUS_MINUS_50)
    land_cost_per_m2: float = param(
        1_500.0, "yuan per m²", 0.0, 1e6,
        source="assumption (county-town land allocated for education: 500-3,000 yuan/m²; "
               "no figure in the documents)",
        doc="cost of land bought beyond a school's site (finance.land_headroom) for sports "
            "grounds when sports_grounds is on",
        prior=uniform(500.0, 3000.0, "source text: county-town land 500-3,000 yuan/m²"))
    target_margin: float = param(
        0.0, "share of the standard", 0.0, 1.0,
        source="assumption (a county building for the 2017 standard plans above it, because "
               "equipment depreciates and enrolment grows before the inspection; no figure in "
               "the documents: 0 = exactly the standard, 0.1-0.2 plausible)",
        doc="shortfall money (formula='shortfall', capital_split='need') aims at (1 + this) × "
            "the 2017 standard of each item, sports grounds included",
        prior=uniform(0.0, 0.2, "source text: 0 = exactly the standard, 0.1-0.2 plausible"))


@register("targeted_funding", position=90)
class TargetedFunding(Policy):
    Config = TargetedFundingConfig
    intensity_fields = ("yuan_per_pupil", "budget_yuan")
    writes_pupils = False  # its enrolment hooks leave the pupils' table as it is

    def __init__(self, config: TargetedFundingConfig) -> None:
        super().__init__(config)
        c = config
        weights = (c.building_share, c.equipment_share, c.multimedia_share)
        if c.sports_grounds is True:
            weights += (c.sports_share,)
        if all(isinstance(w, (int, float)) for w in weights) and sum(weights) <= 0:
            raise ConfigError(
                "invalid configuration:\n  policies.targeted_funding.building_share: "
                "building_share + equipment_share + multimedia_share (+ sports_share with "
                "sports_grounds) must be > 0")

    # ---- state -------------------------------------------------------------------------
    def setup(self, model: CountyState) -> None:
        n = model.schools.n
        #: committed capital not yet in place: due year → (schools × 3) yuan per item
        self.pipeline: dict[int, np.ndarray] = {}
        #: sports grounds committed, not yet in use: due year → (schools × 3) [yuan, m² of
        #: ground, m² of land beyond the site] (only when ``sports_grounds`` is on)
        self.sports_pipeline: dict[int, np.ndarray] = {}
        #: pay supplement per school (share of base salary) for the next careers step
        self.supplement = np.zeros(n)
        self.targeted = np.zeros(n, dtype=bool)
        self._money = np.zeros(n)
        self._taken = np.zeros(n)
        self._stats: dict[str, float] = {}

    def _weights(self) -> np.ndarray:
        c = self.config
        w = [c.building_share, c.equipment_share, c.multimedia_share]
        if c.sports_grounds:
            w.append(c.sports_share)
        w = np.array(w, dtype=float)
        return w / w.sum()

    def _unit_costs(self, model: CountyState) -> np.ndarray:
        return np.array([self.config.building_cost_per_m2, 1.0,
                         model.cfg.finance.multimedia_room_cost])

    def shortfall_yuan(self, model: CountyState) -> np.ndarray:
        """Money each school needs to reach (1 + ``target_margin``) × the 2017 standards of
        building area, equipment and multimedia rooms: (schools × 3) yuan, counting the
        undelivered pipeline as stock;
        0 for closed schools. With ``sports_grounds`` a fourth column: the sports ground
        (:meth:`sports_need`) at ``finance.sports_cost_per_m2`` plus its land at
        ``land_cost_per_m2``."""
        sch = model.schools
        need = (model.section_enrolment() @ FACILITY_STANDARDS_PER_STUDENT)[:, _STANDARD_COLUMN]
        need = need * (1.0 + self.config.target_margin)
        cost = self._unit_costs(model)
        have = np.column_stack([sch.column(c) for c in _STOCK_COLUMN])
        for arr in getattr(self, "pipeline", {}).values():
            have = have + arr / cost
        short = np.maximum(need - have, 0.0) * cost
        if self.config.sports_grounds:
            ground, land = self.sports_need(model)
            sports = (ground * model.cfg.finance.sports_cost_per_m2
                      + land * self.config.land_cost_per_m2)
            short = np.column_stack([short, sports])
        short[~sch.open] = 0.0
        return short

    def _sports_have(self, model: CountyState) -> tuple[np.ndarray, np.ndarray]:
        """(sports ground in place or under construction, land cap incl. land in the
        pipeline) per school, m²: the county's projects and this policy's pipeline count."""
        ground = model.schools.sports_area + pipeline_area(model)[:, 1]
        cap = model.facilities.land_cap.copy()
        for arr in getattr(self, "sports_pipeline", {}).values():
            ground = ground + arr[:, 1]
            cap = cap + arr[:, 2]
        return ground, cap

    def sports_need(self, model: CountyState) -> tuple[np.ndarray, np.ndarray]:
        """m² of sports ground each school lacks to reach the 2017 standard and m² of land
        it must buy for it (the part beyond its land cap); pipelines count as built."""
        std = (model.section_enrolment() @ FACILITY_STANDARDS_PER_STUDENT[:, 1]
               * (1.0 + self.config.target_margin))
        have, cap = self._sports_have(model)
        ground = np.maximum(std - have, 0.0)
        land = np.maximum(np.maximum(std, have) - np.maximum(cap, have), 0.0)
        return ground, land

    def _sports_purchase(self, model: CountyState, yuan: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
        """What ``yuan`` per school buys: m² of sports ground, first on the school's own
        site (``finance.sports_cost_per_m2``), beyond it with land (+ ``land_cost_per_m2``);
        and the m² of land among them."""
        c = model.cfg.finance.sports_cost_per_m2
        have, cap = self._sports_have(model)
        room = np.maximum(cap - have, 0.0)
        beyond = yuan / c > room
        on_site = np.where(beyond, room, yuan / c)
        land = np.where(beyond, (yuan - room * c) / (c + self.config.land_cost_per_m2), 0.0)
        return on_site + land, land

    def targeting(self, model: CountyState, short: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Targeted schools (bool) and their allocation weights (0 elsewhere)."""
        c = self.config
        sch = model.schools
        pupils = model.section_enrolment().sum(axis=1).astype(float)
        open_ = sch.open & (pupils > 0)
        if c.formula == "tier":
            tiers = (RURAL,) if c.tiers == "rural" else (RURAL, TOWN)
            target = open_ & one_of(sch.tier, tiers)
            weight = pupils
        elif c.formula == "shortfall":
            short = self.shortfall_yuan(model) if short is None else short
            weight = short.sum(axis=1)
            target = open_ & (weight > 0)
        else:
            target = open_ & sch.designated_weak
            if c.weak_share > 0:
                target |= weakest_schools(model, c.weak_share, c.strength_measure)
            weight = pupils
        return target, np.where(target, weight, 0.0)

    # ---- yearly action -----------------------------------------------------------------
    def after_finance(self, model: CountyState) -> None:
        c = self.config
        sch = model.schools
        n = sch.n
        stats = {"committed_yuan": 0.0, "capital_committed_yuan": 0.0, "pay_yuan": 0.0,
                 "delivered_yuan": 0.0, "reallocated_yuan": 0.0, "targeted_schools": 0.0,
                 "targeted_pupils": 0.0, "pay_supplement_share": 0.0}
        pupils = model.section_enrolment().sum(axis=1).astype(float)
        self.supplement = np.zeros(n)
        self._money = np.zeros(n)
        self._taken = np.zeros(n)
        self.targeted = np.zeros(n, dtype=bool)

        intensity = c.budget_yuan if c.budget_yuan is not None else c.yuan_per_pupil
        if c.sports_grounds:
            stats.update(sports_committed_yuan=0.0, sports_area_delivered_m2=0.0,
                         land_bought_m2=0.0)
        if intensity > 0 and c.fidelity > 0:
            self._commit(model, pupils, stats)
        stats["delivered_yuan"] = self._deliver(model)
        stats["pipeline_yuan"] = float(sum(a.sum() for a in self.pipeline.values()))
        if c.sports_grounds:
            ground, land, yuan = self._deliver_sports(model)
            stats["delivered_yuan"] += yuan
            stats["sports_area_delivered_m2"] = ground
            stats["land_bought_m2"] = land
            stats["pipeline_yuan"] += float(sum(a[:, 0].sum()
                                                for a in self.sports_pipeline.values()))
        stats["rural_urban_money_ratio"] = self._money_ratio(model, pupils)
        stats["equipment_completeness"] = self._completeness(model, pupils)
        self._stats = stats

    def _commit(self, model: CountyState, pupils: np.ndarray, stats: dict) -> None:
        c = self.config
        sch = model.schools
        fc = model.cfg.finance
        short = self.shortfall_yuan(model)
        target, weight = self.targeting(model, short)
        if not target.any() or weight.sum() <= 0:
            return
        if c.budget_yuan is not None:
            budget = float(c.budget_yuan)
        else:
            budget = c.yuan_per_pupil * float(pupils[target].sum())
        budget *= c.fidelity
        money = budget * weight / weight.sum()
        capital = c.capital_share * money
        if c.formula == "shortfall":
            capital = np.minimum(capital, short.sum(axis=1))
        # capital by item, without what could only arrive after the policy ends
        lags = [c.building_lag_years, c.build_lag_years, c.build_lag_years]
        if c.sports_grounds:
            lags.append(c.building_lag_years)
        lags = np.array(lags)
        k = len(lags)
        arrives = np.ones(k) if c.end_year is None else (model.year + lags <= c.end_year) * 1.0
        if c.capital_split == "need":
            tot = short.sum(axis=1, keepdims=True)
            split = np.where(tot > 0, short / np.where(tot > 0, tot, 1.0), self._weights())
        else:
            split = np.broadcast_to(self._weights(), (sch.n, k))
        by_item = capital[:, None] * split * arrives
        t = model.teachers
        staff = np.bincount(t.school, minlength=sch.n)
        pay = np.where(staff > 0, (1.0 - c.capital_share) * money, 0.0)

        taken = 0.0
        if c.mode == "reallocate":
            core_capital = (np.array(fc.capital_per_student.as_tuple())[sch.tier]
                            * pupils * sch.open)
            donors = np.where(target, 0.0, core_capital)
            available = float(donors.sum())
            total = float(by_item.sum() + pay.sum())
            if total > available:
                scale = available / total if total > 0 else 0.0
                by_item, pay = by_item * scale, pay * scale
                total = available
            if total > 0:
                taken_s = donors * (total / available)
                self._undo_core_purchases(model, taken_s)
                self._taken = taken_s
                taken = float(taken_s.sum())

        # capital → pipeline by item and due year
        capital = by_item.sum(axis=1)
        for item, lag in enumerate(lags[:3]):
            if not by_item[:, item].any():
                continue
            arr = self.pipeline.setdefault(model.year + int(lag), np.zeros((sch.n, 3)))
            arr[:, item] += by_item[:, item]
        if c.sports_grounds and by_item[:, SPORTS].any():
            ground, land = self._sports_purchase(model, by_item[:, SPORTS])
            due = model.year + int(lags[SPORTS])
            arr = self.sports_pipeline.setdefault(due, np.zeros((sch.n, 3)))
            arr += np.column_stack([by_item[:, SPORTS], ground, land])
            stats["sports_committed_yuan"] = float(by_item[:, SPORTS].sum())

        # pay supplement (share of base salary) of the school's teachers
        base = model.cfg.teachers.base_salary
        self.supplement = np.divide(pay, staff * base, out=np.zeros(sch.n),
                                    where=(staff > 0) & (base > 0))
        self._money = capital + pay
        self.targeted = target
        committed = float(capital.sum() + pay.sum())
        if c.mode == "extra":
            self.spend(committed)
        on_target = target[t.school]
        stats.update({
            "committed_yuan": committed,
            "capital_committed_yuan": float(capital.sum()),
            "pay_yuan": float(pay.sum()),
            "reallocated_yuan": taken,
            "targeted_schools": float(target.sum()),
            "targeted_pupils": float(pupils[target].sum()),
            "pay_supplement_share": (float(self.supplement[t.school[on_target]].mean())
                                     if on_target.any() else 0.0),
        })

    def _undo_core_purchases(self, model: CountyState, taken: np.ndarray) -> None:
        """Remove what ``taken`` yuan of this year's core capital bought (core proportions)."""
        fc = model.cfg.finance
        sch = model.schools
        for col, share, unit in (("equipment_value", fc.equipment_share, 1.0),
                                 ("multimedia_rooms", fc.multimedia_share, fc.multimedia_room_cost),
                                 ("computers", fc.computer_share, fc.computer_cost),
                                 ("books", fc.book_share, fc.book_cost)):
            stock = sch.column(col)
            stock[:] = np.maximum(stock - share * taken / unit, 0.0)

    def _deliver(self, model: CountyState) -> float:
        """Move the pipeline due by this year into the stocks; returns the yuan delivered."""
        sch = model.schools
        due = sorted(y for y in self.pipeline if y <= model.year)
        if not due:
            return 0.0
        arr = np.zeros((sch.n, 3))
        for y in due:
            arr += self.pipeline.pop(y)
        for i in np.flatnonzero(~sch.open & (arr.sum(axis=1) > 0)):
            j = self._successor(model, int(i))
            if j >= 0:
                arr[j] += arr[i]
            arr[i] = 0.0
        cost = self._unit_costs(model)
        for k, col in enumerate(_STOCK_COLUMN):
            sch.column(col)[:] += arr[:, k] / cost[k]
        return float(arr.sum())

    def _deliver_sports(self, model: CountyState) -> tuple[float, float, float]:
        """Sports grounds due by this year into use, their land added to the land cap;
        returns (m² of ground, m² of land, yuan) delivered."""
        sch = model.schools
        due = sorted(y for y in self.sports_pipeline if y <= model.year)
        if not due:
            return 0.0, 0.0, 0.0
        arr = np.zeros((sch.n, 3))
        for y in due:
            arr += self.sports_pipeline.pop(y)
        for i in np.flatnonzero(~sch.open & (arr[:, 0] > 0)):
            j = self._successor(model, int(i))
            if j >= 0:
                arr[j] += arr[i]
            arr[i] = 0.0
        sch.sports_area[:] += arr[:, 1]
        model.facilities.land_cap[:] += arr[:, 2]
        return float(arr[:, 1].sum()), float(arr[:, 2].sum()), float(arr[:, 0].sum())

    @staticmethod
    def _successor(model: CountyState, i: int) -> int:
        """Nearest open school teaching the closed school ``i``'s level (-1 if none)."""
        sch = model.schools
        covers = sch.open & ((sch.level == sch.level[i]) | (sch.level == NINE_YEAR))
        if not covers.any():
            covers = sch.open
        if not covers.any():
            return -1
        return int(np.argmin(np.where(covers, model.school_dist[i], np.inf)))

    def _money_ratio(self, model: CountyState, pupils: np.ndarray) -> float:
        from sim.processes.finance import school_funds

        fc = model.cfg.finance
        sch = model.schools
        money = (school_funds(model)
                 + np.array(fc.capital_per_student.as_tuple())[sch.tier] * pupils * sch.open
                 + self._money)
        money = money - self._taken
        per = {}
        for tier in (URBAN, RURAL):
            m = sch.open & (sch.tier == tier)
            per[tier] = money[m].sum() / pupils[m].sum() if pupils[m].sum() > 0 else np.nan
        if not np.isfinite(per[URBAN]) or per[URBAN] <= 0:
            return np.nan
        return float(per[RURAL] / per[URBAN])

    @staticmethod
    def _completeness(model: CountyState, pupils: np.ndarray) -> float:
        sch = model.schools
        need = model.section_enrolment() @ FACILITY_STANDARDS_PER_STUDENT[:, 2]
        ok = sch.open & (need > 0)
        if not ok.any():
            return np.nan
        ratio = np.minimum(sch.equipment_value[ok] / need[ok], 1.0)
        return float(np.average(ratio, weights=pupils[ok]))

    # ---- effects on the core processes -------------------------------------------------
    def _pay_factor(self, model: CountyState) -> np.ndarray | None:
        if not self.supplement.any():
            return None
        return pay_response(model, self.supplement[model.teachers.school])

    def attrition_multiplier(self, model: CountyState) -> np.ndarray | None:
        return self._pay_factor(model)

    def transfer_multiplier(self, model: CountyState) -> np.ndarray | None:
        return self._pay_factor(model)

    def report(self, model: CountyState) -> dict[str, float]:
        return dict(self._stats)
