"""What the naive reference model and the numpy floor share: the starting state, copied
from a freshly built :class:`sim.EducationModel`, and the parameter values, read from its
config (so all three run the same county with the same numbers)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from sim.standards import FACILITY_STANDARDS_PER_STUDENT
from sim.vocabulary import TIER_NAMES

TIERS = TIER_NAMES

#: tier bonus (urban, town, rural; student SD) of the simplified county-wide backbone ranking
#: that the floor and naive models keep (the main model designates by school quotas, where a
#: tier bonus would not change who is chosen)
BENCH_VISIBILITY = np.array([0.06, 0.03, 0.0])
URBAN, TOWN, RURAL = 0, 1, 2
PRIMARY, JUNIOR, NINE_YEAR = 0, 1, 2


def _tier(value: Any) -> np.ndarray:
    return np.array(value.as_tuple(), dtype=float)


def params(model) -> SimpleNamespace:
    """The parameter values of ``model`` that the simplified rules use."""
    c = model.cfg
    dem, learn, tc, fc = c.demography, c.learning, c.teachers, c.finance
    rot = c.policies.get("teacher_rotation") if c.policies else None
    from sim.policies.teacher_rotation import TeacherRotationConfig

    rc = TeacherRotationConfig(**(rot or {}))
    return SimpleNamespace(
        # demography
        birth_trend=_tier(dem.birth_trend), out_migration=dem.out_migration,
        to_urban=dem.rural_to_urban_migration, to_town=dem.rural_to_town_migration,
        migrant_entry=_tier(dem.migrant_entry_share), migrant_arrivals=dem.migrant_arrivals,
        left_behind=_tier(dem.left_behind_share), ses_mean=_tier(dem.ses_mean),
        ses_sd=dem.ses_sd, migrant_ses_shift=dem.migrant_ses_shift,
        # learning
        rho=learn.persistence, w_teacher=learn.teacher_effect_weight,
        vacancy_effect=learn.vacancy_effect, resource_effect=learn.resource_effect,
        resource_cap=learn.resource_cap, peer_effect=learn.peer_effect,
        ses_effect=learn.ses_effect, lb_effect=learn.left_behind_effect,
        entry_ses=learn.entry_ses_gradient, entry_lb=learn.entry_left_behind,
        noise_sd=learn.noise_sd,
        # classes and staffing
        max_class=(c.enrolment.max_class_size_primary, c.enrolment.max_class_size_junior),
        per_post=(tc.students_per_post_primary, tc.students_per_post_junior),
        min_posts_per_class=tc.min_posts_per_class,
        core_per_class=(tc.core_per_class_primary, tc.core_per_class_junior),
        # teachers
        novice_penalty=tc.novice_penalty, experience_tau=tc.experience_tau,
        training_gain=tc.training_effect * _tier(tc.training_hours) / 72.0,
        training_tau=tc.training_tau,
        retirement_age=tc.retirement_age, attrition=_tier(tc.attrition),
        pay_semi_elasticity=tc.pay_semi_elasticity, rural_allowance=tc.rural_allowance,
        transfer_request=_tier(tc.transfer_request), transfer_slope=tc.transfer_skill_slope,
        min_years_transfer=tc.min_years_before_transfer, hire_fill=_tier(tc.hire_fill),
        hire_qual_cum=np.cumsum([tc.hire_qualification[k] for k in TIERS], axis=1),
        hire_skill_mean=_tier(tc.hire_skill_mean), qualification_skill=tc.qualification_skill,
        skill_sd=tc.skill_sd, specialist_fill=_tier(tc.specialist_fill),
        backbone_target=tc.backbone_target, backbone_visibility=BENCH_VISIBILITY,
        backbone_min_experience=tc.backbone_min_experience, base_salary=tc.base_salary,
        # finance (only the stocks that enter the resource index)
        funds=(fc.per_student_funds_primary, fc.per_student_funds_junior),
        small_school_floor=fc.small_school_floor, funds_ratio=_tier(fc.funds_ratio),
        capital=_tier(fc.capital_per_student), stock_share=fc.stock_share,
        equipment_share=fc.equipment_share, multimedia_share=fc.multimedia_share,
        equipment_dep=fc.equipment_depreciation, multimedia_dep=fc.multimedia_depreciation,
        room_cost=fc.multimedia_room_cost, standards=FACILITY_STANDARDS_PER_STUDENT.copy(),
        # teacher rotation at the official quotas (urban -> rural)
        rotation=rot is not None, rot_rate=rc.rate * rc.fidelity,
        rot_eligibility=rc.eligibility_years, rot_backbone=rc.backbone_share,
        rot_term=rc.term_years, rot_continuity=rc.continuity_cost,
        rot_refusal=rc.refusal_base, rot_refusal_km=rc.refusal_distance_km,
        rot_allowance=rc.allowance_yuan,
    )


def initial_state(model) -> dict[str, Any]:
    """Copies of the year-0 state of ``model`` (pupils, teachers, schools, zones, norms)."""
    s, t, sch = model.students, model.teachers, model.schools
    return {
        "pupil": {k: s.column(k).copy() for k in ("school", "grade", "zone", "ses",
                                                  "achievement", "left_behind", "migrant")},
        "teacher": {k: t.column(k).copy() for k in (
            "school", "post_school", "section", "subject", "qualification", "backbone",
            "age", "experience", "years_at_school", "skill")},
        "school": {k: sch.column(k).copy() for k in (
            "level", "tier", "open", "building_area", "sports_area", "equipment_value",
            "multimedia_rooms")},
        "zone_tier": model.zone_tier.copy(), "zone_weight": model.zone_weight.copy(),
        "zone_cohort0": model.zone_cohort0.copy(),
        "catch_primary": model.catch_primary.copy(), "catch_junior": model.catch_junior.copy(),
        "school_dist": model.school_dist.copy(), "quota_scale": model.quota_scale.copy(),
        "grade_mean0": model.grade_mean0.copy(), "grade_sd0": model.grade_sd0.copy(),
        "mean_school_side": float(model.mean_school_side),
    }
