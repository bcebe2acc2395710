"""Rural teacher incentives (乡村教师支持计划): an extra rural allowance, teacher housing
(周转房), directed-training graduates (公费定向师范生) and, optionally, faster title promotion.

Doc 002 reports the package as «乡村教师周转房覆盖率80%, 津补贴标准提高50%, 教师流失率下降至
5%的历史低位» and requires directed-training graduates to serve grassroots schools for at
least 5 years. The policy has four levers; each one is an intensity (all zero: the run is
the baseline). Every lever acts on *rural teachers*: teachers whose current school is rural.

**(a) Extra allowance.** ``extra_allowance`` (share of base salary, on top of the core
``teachers.rural_allowance``) acts exactly like the core's pay term in
:mod:`sim.processes.careers`: the attrition and up-tier transfer propensities of every rural
teacher are multiplied by ::

    m_pay = exp(−pay_semi_elasticity × extra_allowance × fidelity)

so that the core's ``exp(−ε · rural_allowance)`` becomes ``exp(−ε · (rural_allowance +
extra))``. The default 0.05 is +50% of the core's default allowance (0.10 of base salary),
doc 002's «津补贴标准提高50%». It is *not* tied to ``teachers.rural_allowance``: if that is
changed, set ``extra_allowance = 0.5 × rural_allowance`` to keep the meaning "+50%".

**(b) Housing.** A share ``housing_coverage × fidelity`` of rural teachers live in school
staff housing; a housed teacher's attrition and transfer propensities are multiplied by
``housing_factor``. Who is housed is stable across years: each teacher gets a fixed uniform
number ``u_i`` (a hash of the teacher id keyed by a number drawn once from the policy's
own random stream), and a rural teacher is housed when ``u_i < housing_coverage ×
fidelity``; raising the coverage only adds teachers, a teacher who leaves the rural tier
leaves the housing. *Calibration target (doc 002, not a hard-coded fact)*: with the core
defaults (rural attrition 8% × exp(−2 × 0.10) = 6.55%), the allowance +50% gives
6.55% × exp(−2 × 0.05) = 5.93%; doc 002's 5% with 80% housed needs
``0.2 + 0.8 · housing_factor = 5.0 / 5.93``, i.e. ``housing_factor ≈ 0.80`` (the default).
Directed graduates (below) lower realised attrition further as they accumulate.

**(c) Directed-training graduates.** Each year, a share ``directed_share × fidelity`` of
the teachers newly hired by rural schools (drawn from the policy's stream among this
year's rural hires, after the core hiring) are directed graduates. Choice made here: the
graduates are marked individually rather than shifting every rural hire by the mean
(``hire_skill_shift``) — a marked graduate's effectiveness rises by ``quality_gain`` and
their qualification becomes at least a bachelor degree (本科: four-year normal-university
programme). A graduate hired in year h owes ``service_years`` school years (h+1 … h+S):
while serving, their attrition and transfer multipliers are 0 (they neither leave nor ask
to move up); from the careers step of year h+S on they are ordinary rural teachers.

**(d) Faster title promotion (optional, off by default).** After the core promotions,
rural teachers eligible for the next title (junior → intermediate after 5 years,
intermediate → senior after 12, as in the core) are promoted with the extra yearly
probability ``promotion_boost × fidelity`` (doc 002: «在职称评审…给予政策倾斜»). Titles feed
the official mid-title indicator (2012 test); they do not change effectiveness.

The multipliers combine: a rural teacher's attrition and transfer factor is
``m_pay × (housing_factor if housed) × (0 if a serving directed graduate)``; urban and town
teachers always get 1.

**Costs (yuan per year).** allowance: ``extra_allowance × fidelity × base_salary ×`` rural
teachers; housing: ``housing_cost_yuan ×`` housed teachers (annualised build + upkeep);
directed training: ``subsidy_yuan × study_years`` per graduate, booked in the year they are
hired (the cost of the cohort's publicly funded study); promotion: ``title_pay_step ×
base_salary`` per year for every teacher holding a title the policy brought forward (an
upper bound: it treats the promotion as extra rather than earlier).

**Report.** ``rural_attrition_multiplier`` (mean attrition factor of the rural teachers this
year, before the core's own allowance), ``housed``, ``directed_hired`` (this year),
``directed_serving``, ``extra_promotions`` and the cost parts ``cost_allowance``,
``cost_housing``, ``cost_directed``, ``cost_promotion``.

**Interactions.** Multipliers multiply those of other policies (teacher_rotation sets the
transfer factor of rotated teachers to 0). Urban teachers rotated into a rural school count
as rural teachers while there (like the core allowance). teacher_rotation's
``new_hire_urban_years`` moves new rural hires to urban schools *after* this policy has
marked them (POLICY_ORDER), so directed graduates can be among the trainees; they keep
their protection while away. Protection acts only while the policy is active (after
``end_year`` serving graduates become ordinary teachers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.policies.base import Policy, PolicyConfig, register
from sim.priors import PLUS_MINUS_50, uniform
from sim.processes.careers import pay_response
from sim.schema import param
from sim.vocabulary import RURAL

if TYPE_CHECKING:
    from sim.state import CountyState


@dataclass
class RuralIncentivesConfig(PolicyConfig):
    extra_allowance: float = param(
        0.05, "share of base salary", 0.0, 2.0,
        source="doc 002 (津补贴标准提高50%): +50% of the core's default rural_allowance 0.10",
        doc="extra rural allowance on top of teachers.rural_allowance; lowers attrition and "
            "transfer requests by exp(−pay_semi_elasticity × extra)")
    housing_coverage: float = param(
        0.80, "share of rural teachers", 0.0, 1.0,
        source="doc 002 (乡村教师周转房覆盖率80%)",
        doc="share of rural teachers living in school staff housing (周转房)")
    housing_factor: float = param(
        0.80, "factor on attrition and transfer propensities", 0.0, 1.0,
        source="assumption, calibrated to doc 002 (rural attrition 5% with allowance +50% and "
               "80% housed; see the module docstring)",
        doc="multiplier on a housed teacher's attrition and transfer propensities",
        prior=uniform(0.6, 1.0, "calibrated 0.8 (doc 002); assumption: no effect (1) to twice "
                                "the cut"))
    housing_cost_yuan: float = param(
        6_000.0, "yuan per housed teacher per year", 0.0, 1e6,
        source="assumption (a ~35 m² unit at ~3,000 yuan/m² over 20 years, plus upkeep)",
        doc="annualised cost of one housed teacher",
        no_prior="a cost: moves the policy's cost, not its effect")
    directed_share: float = param(
        0.30, "share of new rural hires", 0.0, 1.0,
        source="assumption (doc 002 and doc 001: recruitment through directed training and "
               "the special-post scheme, no share given)",
        doc="share of the teachers newly hired by rural schools who are directed graduates",
        no_prior="the lever's intensity, chosen by the user")
    service_years: int = param(
        5, "school years", 1, 20,
        source="doc 002 (公费定向培养, 服务基层学校至少5年)",
        doc="years a directed graduate must serve: no attrition and no transfer meanwhile")
    quality_gain: float = param(
        0.02, "student SD per year", 0.0, 0.5,
        source="assumption (selected normal-university entrants; about 1/6 SD of teacher "
               "value added, Hanushek & Rivkin 2010 scale)",
        doc="effectiveness advantage of a directed graduate over an ordinary rural hire",
        prior=PLUS_MINUS_50)
    subsidy_yuan: float = param(
        10_000.0, "yuan per student per year of study", 0.0, 1e6,
        source="assumption (公费师范生: tuition, accommodation and a living allowance paid)",
        doc="public cost of one directed-training student per year of study",
        no_prior="a cost: moves the policy's cost, not its effect")
    study_years: int = param(4, "years", 1, 6, source="four-year normal-university programme",
                             doc="years of publicly funded study per graduate")
    promotion_boost: float = param(
        0.0, "probability per year", 0.0, 1.0,
        source="doc 002 (职称评审政策倾斜); size assumption, off by default",
        doc="extra yearly probability that an eligible rural teacher is promoted")
    title_pay_step: float = param(
        0.10, "share of base salary", 0.0, 1.0,
        source="assumption (one title step raises pay by roughly 10%)",
        doc="yearly pay rise of a policy-promoted teacher (promotion cost)",
        no_prior="a cost: moves the policy's cost, not its effect")


def _unit_hash(ids: np.ndarray, key: int) -> np.ndarray:
    """A fixed uniform number in [0, 1) per id (splitmix64 of ``id xor key``)."""
    x = np.asarray(ids).astype(np.uint64) ^ np.uint64(key)
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(2 ** 53)


@register("rural_incentives", position=60)
class RuralIncentives(Policy):
    Config = RuralIncentivesConfig
    intensity_fields = ("extra_allowance", "housing_coverage", "directed_share",
                        "promotion_boost")
    writes_pupils = False  # its enrolment hooks leave the pupils' table as it is

    def setup(self, model: CountyState) -> None:
        t = model.teachers
        if "directed_service_end" not in t.schema:
            # last school year a directed graduate owes (0: not a directed graduate)
            t.add_column("directed_service_end", np.int16, 0)
            t.add_column("incentive_promoted", np.bool_, False)
        self._key = int(self.rng(model).integers(0, 2 ** 62))
        self._stats: dict[str, float] = {}
        self._mult_mean = 1.0

    # ---- who is what -------------------------------------------------------------------
    def rural(self, model: CountyState) -> np.ndarray:
        """Teachers whose current school is rural."""
        return model.schools.tier[model.teachers.school] == RURAL

    def housed(self, model: CountyState) -> np.ndarray:
        """Rural teachers living in staff housing (stable draw per teacher)."""
        cover = self.config.housing_coverage * self.config.fidelity
        t = model.teachers
        if cover <= 0:
            return np.zeros(t.n, dtype=bool)
        return self.rural(model) & (_unit_hash(t.id, self._key) < cover)

    def serving(self, model: CountyState) -> np.ndarray:
        """Directed graduates still owing service in the current year's careers step."""
        return model.teachers.directed_service_end > model.year

    # ---- effects on the core processes -------------------------------------------------
    def _multiplier(self, model: CountyState) -> np.ndarray | None:
        c = self.config
        extra = c.extra_allowance * c.fidelity
        housed = self.housed(model)
        serving = self.serving(model)
        if extra <= 0 and not housed.any() and not serving.any():
            return None
        rural = self.rural(model)
        m = np.ones(model.teachers.n)
        if extra > 0:
            m[rural] *= pay_response(model, extra)
        m[housed] *= c.housing_factor
        m[serving] = 0.0
        return m

    def attrition_multiplier(self, model: CountyState) -> np.ndarray | None:
        m = self._multiplier(model)
        rural = self.rural(model)
        self._mult_mean = float(m[rural].mean()) if m is not None and rural.any() else 1.0
        return m

    def transfer_multiplier(self, model: CountyState) -> np.ndarray | None:
        return self._multiplier(model)

    # ---- yearly action -----------------------------------------------------------------
    def after_careers(self, model: CountyState) -> None:
        c = self.config
        t = model.teachers
        tc = model.cfg.teachers
        rng = self.rng(model)
        rural = self.rural(model)
        stats = {"directed_hired": 0.0, "extra_promotions": 0.0}

        # (c) directed graduates among this year's rural hires
        share = c.directed_share * c.fidelity
        cost_directed = 0.0
        if share > 0:
            new = np.flatnonzero(rural & (t.experience == 0) & (t.directed_service_end == 0)
                                 & (t.post_school == t.school))
            pick = new[rng.random(len(new)) < share]
            t.directed_service_end[pick] = model.year + c.service_years
            t.skill[pick] += c.quality_gain
            t.qualification[pick] = np.maximum(t.qualification[pick], 2)
            stats["directed_hired"] = float(len(pick))
            cost_directed = c.subsidy_yuan * c.study_years * len(pick)

        # (d) faster title promotion
        boost = c.promotion_boost * c.fidelity
        if boost > 0:
            u = rng.random(t.n)
            to_mid = rural & (t.title == 0) & (t.experience >= 5) & (u < boost)
            to_senior = rural & (t.title == 1) & (t.experience >= 12) & (u < boost)
            t.title[to_mid] = 1
            t.title[to_senior] = 2
            t.incentive_promoted[to_mid | to_senior] = True
            stats["extra_promotions"] = float((to_mid | to_senior).sum())

        # costs
        base = tc.base_salary
        housed = self.housed(model)
        parts = {
            "cost_allowance": c.extra_allowance * c.fidelity * base * float(rural.sum()),
            "cost_housing": c.housing_cost_yuan * float(housed.sum()),
            "cost_directed": float(cost_directed),
            "cost_promotion": c.title_pay_step * base * float(t.incentive_promoted.sum()),
        }
        self.spend(sum(parts.values()))
        stats.update(parts)
        stats["housed"] = float(housed.sum())
        self._stats = stats

    def report(self, model: CountyState) -> dict[str, float]:
        t = model.teachers
        return {"rural_attrition_multiplier": self._mult_mean,
                "directed_serving": float((t.directed_service_end > model.year).sum()),
                **self._stats}
