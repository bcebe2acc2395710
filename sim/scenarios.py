"""Built-in scenario configurations that tests, calibration checks and users share."""

from __future__ import annotations

from sim.config import SimConfig

__all__ = ["identical_schools_config"]


def identical_schools_config(preset: str = "tiny") -> SimConfig:
    """A county whose three tiers are identical in every parameter (and schools equal in
    size and stocks): nothing but chance distinguishes its schools."""
    cfg = SimConfig()
    cfg.region.preset = preset
    same = {
        "region.student_share": {"urban": 1 / 3, "town": 1 / 3, "rural": 1 / 3},
        "region.school_share": {"urban": 1 / 3, "town": 1 / 3, "rural": 1 / 3},
        "region.size_dispersion": {"urban": 0.0, "town": 0.0, "rural": 0.0},
        "region.nine_year_share": {"urban": 0.0, "town": 0.0, "rural": 0.0},
        "region.junior_share": {"urban": 0.25, "town": 0.25, "rural": 0.25},
        "demography.birth_trend": {"urban": 0.0, "town": 0.0, "rural": 0.0},
        "demography.rural_to_urban_migration": 0.0,
        "demography.rural_to_town_migration": 0.0,
        "demography.migrant_entry_share": {"urban": 0.0, "town": 0.0, "rural": 0.0},
        "demography.migrant_arrivals": 0.0,
        "demography.left_behind_share": {"urban": 0.1, "town": 0.1, "rural": 0.1},
        "demography.ses_mean": {"urban": 0.0, "town": 0.0, "rural": 0.0},
        "enrolment.capacity_headroom": {"urban": 1.3, "town": 1.3, "rural": 1.3},
        "enrolment.choice_rate": 0.0,
        "enrolment.district_move_rate": 0.0,
        "teachers.initial_staffing": {"urban": 1.0, "town": 1.0, "rural": 1.0},
        "teachers.skill_mean": {"urban": 0.0, "town": 0.0, "rural": 0.0},
        "teachers.hire_skill_mean": {"urban": 0.0, "town": 0.0, "rural": 0.0},
        "teachers.training_hours": {"urban": 72.0, "town": 72.0, "rural": 72.0},
        "teachers.attrition": {"urban": 0.04, "town": 0.04, "rural": 0.04},
        "teachers.rural_allowance": 0.0,
        "teachers.transfer_request": {"urban": 0.0, "town": 0.0, "rural": 0.0},
        "teachers.hire_fill": {"urban": 1.0, "town": 1.0, "rural": 1.0},
        "teachers.pe_arts_share": {"urban": 0.15, "town": 0.15, "rural": 0.15},
        "teachers.specialist_fill": {"urban": 0.8, "town": 0.8, "rural": 0.8},
        "teachers.initial_backbone": {"urban": 0.14, "town": 0.14, "rural": 0.14},
        "teachers.promotion_mid": {"urban": 0.1, "town": 0.1, "rural": 0.1},
        "teachers.promotion_senior": {"urban": 0.05, "town": 0.05, "rural": 0.05},
        "finance.funds_ratio": {"urban": 1.0, "town": 1.0, "rural": 1.0},
        "finance.capital_per_student": {"urban": 300.0, "town": 300.0, "rural": 300.0},
        "finance.dispersion_building": 0.0,
        "finance.dispersion_sports": 0.0,
        "finance.dispersion_equipment": 0.0,
        "finance.dispersion_multimedia": 0.0,
        "finance.dispersion_computers": 0.0,
        "finance.dispersion_books": 0.0,
        "finance.staffing_dispersion": 0.0,
        "finance.book_ratio": {"urban": 1.0, "town": 1.0, "rural": 1.0},
        "finance.land_headroom": {"urban": 0.2, "town": 0.2, "rural": 0.2},
        "school_effects.persistent_sd": 0.0,
        "school_effects.transient_sd": 0.0,
        "school_effects.key_share": {"urban": 0.0, "town": 0.0, "rural": 0.0},
    }
    for key, value in same.items():
        cfg.set(key, value)
    q = [0.02, 0.2, 0.7, 0.08]
    cfg.teachers.hire_qualification = {t: list(q) for t in ("urban", "town", "rural")}
    cfg.teachers.initial_qualification = {t: list(q) for t in ("urban", "town", "rural")}
    cfg.finance.initial_stock = {t: [1.1, 1.1, 1.1, 1.1] for t in ("urban", "town", "rural")}
    return cfg.validate()
