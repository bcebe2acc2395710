"""Teacher careers, once a year after learning (vectorised over teachers).

1. **ageing** — age, experience and years at the school grow by one;
2. **training** — skill grows with the tier's training hours (``training_effect`` per 72 h,
   the official 360 h / 5 years), less with each year of experience (``training_tau``), so
   that a teacher's lifetime gain is bounded; the default effect is 0 (Loyalka et al. 2019:
   the national programme had no effect on pupils' achievement);
3. **exits** — retirement at ``retirement_age``; attrition with the tier's base rate,
   lowered by pay: ``p = attrition_tier · exp(−pay_semi_elasticity · allowance)`` where the
   allowance is ``rural_allowance`` in rural schools and 0 elsewhere;
4. **transfers** — town and rural teachers with at least ``min_years_before_transfer``
   years at their school ask to move up (more effective ones more often; pay lowers the
   urge like attrition); urban vacancies are filled first from the best applicants, then
   town vacancies from rural applicants; key schools' vacancies come first
   (``school_effects.key_transfer_priority``);
5. **hiring** — each school-section's vacancies (staffing quota 编制 minus staff) are filled
   with the tier's probability; new hires' qualification and effectiveness depend on tier
   (a key school's hires are ``school_effects.key_teacher_skill`` stronger), and a school short of PE/arts teachers offers its vacancies to specialists first, up to
   its shortfall, each found with the tier's probability; optionally
   (``specialist_extra_posts`` > 0) a school still short then gets extra specialist posts
   above its quota;
6. **qualification upgrades, title promotion and backbone designation** — backbone (骨干)
   titles by county selection with quotas per school section, reviewed every
   ``backbone_review_years`` years (:mod:`sim.processes.backbone`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.arrays import rank_within, sigmoid
from sim.processes import school_effects
from sim.processes.backbone import designate_backbone, post_unit
from sim.standards import QUALITY_STANDARDS
from sim.vocabulary import RURAL, TIER_NAMES, TOWN, URBAN, one_of

if TYPE_CHECKING:
    from sim.state import CountyState


def pay_response(model: CountyState, extra_pay: np.ndarray | float) -> np.ndarray | float:
    """The one pay mechanism of the model: exit and transfer propensities (and a rotated
    teacher's refusal) are multiplied by ``exp(−pay_semi_elasticity × extra pay)``, the extra
    pay as a share of base salary. The rural allowance and policies' pay all act through it."""
    return np.exp(-model.cfg.teachers.pay_semi_elasticity * np.asarray(extra_pay, dtype=float))


def pay_factor(model: CountyState, tier: np.ndarray) -> np.ndarray:
    """Multiplier on exit and transfer propensities from the rural allowance."""
    return pay_response(model, np.where(tier == RURAL, model.rural_allowance(), 0.0))


def step(model: CountyState, rng: np.random.Generator) -> None:
    t = model.teachers
    tc = model.cfg.teachers
    flows = model.flows

    # 1-2. ageing and training
    t.age[:] += 1
    t.experience[:] += 1
    t.years_at_school[:] += 1
    tier = model.schools.tier[t.school]
    t.skill[:] += training_gain(model, tier)

    # 3. exits
    staff_by_tier = np.bincount(tier, minlength=3)
    retire = t.age >= tc.retirement_age
    p_leave = (np.array(tc.attrition.as_tuple())[tier] * pay_factor(model, tier)
               * model.policy_product("attrition_multiplier"))
    p_leave = np.minimum(p_leave, 1.0)
    quit_ = ~retire & (rng.random(t.n) < p_leave)
    for name, mask in (("retirements", retire), ("attrition", quit_)):
        by_tier = np.bincount(tier[mask], minlength=3)
        flows[name] = int(mask.sum())
        for k, tname in enumerate(TIER_NAMES):
            flows[f"{name}_{tname}"] = int(by_tier[k])
    for k, tname in enumerate(TIER_NAMES):
        flows[f"staff_start_{tname}"] = int(staff_by_tier[k])
    model.remove_teachers(retire | quit_)

    # 4. transfers toward higher tiers
    _transfers(model, rng)

    # 5. hiring
    _hire(model, rng)
    if tc.specialist_extra_posts > 0:
        _recruit_specialists(model, rng)

    # 6. upgrades, promotions, backbone designation
    t = model.teachers
    tier = model.schools.tier[t.school]
    up = (t.qualification < 2) & (rng.random(t.n) < tc.upgrade_rate)
    t.qualification[up] += 1
    u = rng.random(t.n)
    to_mid = (t.title == 0) & (t.experience >= 5) & (u < np.array(tc.promotion_mid.as_tuple())[tier])
    to_senior = (t.title == 1) & (t.experience >= 12) & (
        u < np.array(tc.promotion_senior.as_tuple())[tier])
    t.title[to_mid] = 1
    t.title[to_senior] = 2
    designate_backbone(model)


def training_gain(model: CountyState, tier: np.ndarray) -> np.ndarray:
    """This year's effectiveness gain of every teacher from the core in-service training:
    ``training_effect × hours / 72 × exp(−experience / training_tau)`` with the tier's hours
    (diminishing with experience, so a teacher's lifetime gain is bounded by about
    ``training_tau + 0.5`` times a novice's yearly gain)."""
    tc = model.cfg.teachers
    if tc.training_effect == 0.0:
        return np.zeros(model.teachers.n)
    hours = np.array(tc.training_hours.as_tuple())[tier]
    return (tc.training_effect * hours / 72.0
            * np.exp(-model.teachers.experience / tc.training_tau))


def _transfers(model: CountyState, rng: np.random.Generator) -> None:
    t = model.teachers
    tc = model.cfg.teachers
    tier = model.schools.tier[t.school]
    eff = model.teacher_effectiveness()
    base = np.array(tc.transfer_request.as_tuple())[tier]
    logit = np.log(np.maximum(base, 1e-12) / np.maximum(1 - base, 1e-12))
    p = (sigmoid(logit + tc.transfer_skill_slope * (eff - eff.mean())) * pay_factor(model, tier)
         * model.policy_product("transfer_multiplier"))
    p = np.where(base > 0, p, 0.0)
    ask = (t.years_at_school >= tc.min_years_before_transfer) & (rng.random(t.n) < p)
    moved_total = 0
    for dest_tier, from_tiers in ((URBAN, (TOWN, RURAL)), (TOWN, (RURAL,))):
        applicants = np.flatnonzero(ask & one_of(tier, from_tiers))
        if len(applicants) == 0:
            continue
        slots_school, slots_section = school_effects.order_transfer_slots(
            model, *model.vacancy_slots(rng, tiers=(dest_tier,)))  # key schools first
        k = min(len(applicants), len(slots_school))
        if k == 0:
            continue
        # receiving schools pick the most effective applicants (with noise)
        score = eff[applicants] + 0.05 * rng.standard_normal(len(applicants))
        chosen = applicants[np.argsort(-score)[:k]]
        t.school[chosen] = slots_school[:k]
        t.post_school[chosen] = slots_school[:k]
        t.section[chosen] = slots_section[:k]
        t.years_at_school[chosen] = 0
        t.class_key[chosen] = -1  # classes are assigned again at next year's enrolment
        ask[chosen] = False
        moved_total += k
    model.flows["transfers"] = moved_total


def _hire(model: CountyState, rng: np.random.Generator) -> None:
    tc = model.cfg.teachers
    sch = model.schools
    slots_school, slots_section = model.vacancy_slots(rng)
    if len(slots_school) == 0:
        model.flows["hires"] = 0
        return
    tier = sch.tier[slots_school]
    filled = rng.random(len(slots_school)) < np.array(tc.hire_fill.as_tuple())[tier]
    school, section, tier = slots_school[filled], slots_section[filled], tier[filled]
    n = len(school)
    model.flows["hires"] = n
    model.flows["unfilled_vacancies"] = int((~filled).sum())
    if n == 0:
        return
    # PE/arts specialists where the school is below the 0.9 per 100 pupils standard: a
    # school's vacancies go to specialists first, up to its shortfall, each found with the
    # tier's probability
    specialist = specialist_slots(model, school) & (
        rng.random(n) < np.array(tc.specialist_fill.as_tuple())[tier])
    subject = np.where(specialist, 1 + (rng.random(n) < 0.5), 0).astype(np.int8)
    _add_hires(model, rng, school, section, tier, subject)


def _add_hires(model: CountyState, rng: np.random.Generator, school: np.ndarray,
               section: np.ndarray, tier: np.ndarray, subject: np.ndarray) -> None:
    """Add new teachers at ``school``/``section`` with the given subjects; qualification,
    effectiveness and age are drawn per tier as for every hire."""
    tc = model.cfg.teachers
    n = len(school)
    qualification = draw_qualification(rng, tier, tc.hire_qualification)
    skill = (np.array(tc.hire_skill_mean.as_tuple())[tier]
             + tc.qualification_skill * (qualification - 2)
             + tc.skill_sd * rng.standard_normal(n)
             + model.policy_sum("hire_skill_shift", school)
             + school_effects.teacher_skill_shift(model, school))
    age = rng.integers(22, 27, size=n)
    model.add_teachers({
        "school": school, "section": section, "subject": subject,
        "qualification": qualification, "title": 0, "backbone": False, "age": age,
        "experience": 0, "years_at_school": 0, "skill": skill,
        "home_zone": model.school_zone[school], "class_key": -1, "post_school": school,
    })


#: the 2017 standard of PE and arts teachers per 100 pupils (the same at both levels)
PE_ARTS_STANDARD = QUALITY_STANDARDS["primary"]["pe_arts_teachers_per_100"]


def _pe_arts_gap(model: CountyState, margin: float = 0.0) -> np.ndarray:
    """PE/arts teachers each school and section lacks for the 2017 standard (negative above
    it): (1 + ``margin``) × 0.9 per 100 pupils minus the PE/arts teachers whose post it
    holds (a school recruits for its own establishment: a teacher rotated in leaves at the end
    of the term, one of its own away on rotation comes back), shape (schools, 2)."""
    t = model.teachers
    have = np.bincount(post_unit(model)[t.subject > 0],
                       minlength=model.schools.n * 2).reshape(-1, 2)
    return (1.0 + margin) * PE_ARTS_STANDARD * model.section_enrolment() / 100.0 - have


def specialist_slots(model: CountyState, school: np.ndarray) -> np.ndarray:
    """Which of this year's filled vacancies (their ``school``) are offered to a PE/arts
    specialist: at each school, as many as it is short of the 2017 standard of 0.9 per 100
    pupils (rounded up; counting the specialists whose post it holds), in the order of the
    vacancies."""
    n_sch = model.schools.n
    pupils = model.section_enrolment().sum(axis=1)
    t = model.teachers
    have = np.bincount(t.post_school[t.subject > 0], minlength=n_sch)  # its own posts
    need = np.maximum(np.ceil(PE_ARTS_STANDARD * pupils / 100.0 - have - 1e-9), 0).astype(np.int64)
    order = np.argsort(school, kind="stable")
    rank = np.empty(len(school), dtype=np.int64)
    rank[order] = rank_within(school[order])
    return rank < need[np.minimum(school, n_sch - 1)]


def _recruit_specialists(model: CountyState, rng: np.random.Generator) -> None:
    """Specialist recruitment beyond the quota (``specialist_extra_posts`` > 0): after hiring,
    each open school with a section below (1 + ``specialist_margin``) × the PE/arts standard
    (counting the specialists whose post it holds) opens ``specialist_extra_posts`` × each
    section's shortfall (rounded up) extra posts in that section, each filled
    by a PE or arts specialist with the tier's ``specialist_fill``. The section's quota scale
    is raised so that its quota grows by the posts filled (unfilled ones lapse): the new
    teachers are not overstaffing, and the posts then follow the section's enrolment like the
    rest of its quota."""
    tc = model.cfg.teachers
    sch = model.schools
    gap = _pe_arts_gap(model, tc.specialist_margin)
    # the official indicator is per section (a nine-year school's surplus of junior
    # specialists does not cover its primary shortfall): posts per section
    short = np.maximum(gap, 0.0) * sch.open[:, None]
    posts = np.maximum(np.ceil(tc.specialist_extra_posts * short - 1e-9), 0).astype(np.int64)
    unit = np.repeat(np.arange(2 * sch.n), posts.ravel())
    school, section = unit // 2, (unit % 2).astype(np.int8)
    tier = sch.tier[school]
    filled = rng.random(len(school)) < np.array(tc.specialist_fill.as_tuple())[tier]
    school, section, tier = school[filled], section[filled], tier[filled]
    n = len(school)
    model.flows["specialists_recruited"] = n
    if n == 0:
        return
    # the quota grows by the posts filled: scale = (quota + filled) / unscaled quota
    quota, scale = model.staffing_quota(), model.quota_scale
    model.quota_scale = np.ones_like(scale)
    base = model.staffing_quota()
    model.quota_scale = scale
    added = np.bincount(school * 2 + section, minlength=sch.n * 2).reshape(-1, 2)
    grow = added > 0
    scale[grow] = (quota[grow] + added[grow]) / base[grow]
    subject = (1 + (rng.random(n) < 0.5)).astype(np.int8)
    _add_hires(model, rng, school, section, tier, subject)


def draw_qualification(rng: np.random.Generator, tier: np.ndarray,
                   shares: dict[str, list[float]]) -> np.ndarray:
    """Draw qualification levels 0-3 from the tier's shares."""
    cum = np.cumsum(np.array([shares["urban"], shares["town"], shares["rural"]]), axis=1)
    u = rng.random(len(tier))
    return np.minimum((u[:, None] > cum[tier]).sum(axis=1), 3).astype(np.int8)


__all__ = ["designate_backbone", "draw_qualification", "pay_factor", "step", "training_gain"]
