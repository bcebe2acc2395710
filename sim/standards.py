"""The official county balance standards (MOE 2012 and 2017): their indicators, per-school
minimums, CV limits and rules, and the columns of the school table they are computed from.

Every number of the two standards is defined here, once; :mod:`sim.evaluation` applies them
to a table of schools, and the model derives its per-pupil facility standards from them
(:data:`FACILITY_STANDARDS_PER_STUDENT`). Sources: docs/sources.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.vocabulary import LEVELS, TIER_NAMES

__all__ = [
    "BASIC_COLUMNS", "BASIC_INDICATORS", "BOTH_SOURCES", "COLUMN_UNITS", "COMPLIANCE_FLOOR",
    "COMPLIANCE_MIN_MET", "CV_LIMITS", "FACILITY_STANDARDS_PER_STUDENT", "INDICATORS",
    "Indicator", "LEVELS", "LOCATION_COLUMNS", "MIN_STUDENTS", "NUMERIC_COLUMNS",
    "QUALIFIED_TEACHERS_PER_STUDENT", "QUALITY_INDICATORS", "QUALITY_STANDARDS",
    "REQUIRED_COLUMNS", "REQUIRED_NUMERIC", "RTOL", "SCHOOL_SIZE_CAP", "SOURCES", "SOURCE_2012",
    "SOURCE_2017", "STANDARDS", "STANDARD_TITLES", "TEACHER_SUBSETS", "TEXT_COLUMNS", "TIERS",
]


SOURCE_2017 = (
    "MOE 2017, 县域义务教育优质均衡发展督导评估办法 (教督〔2017〕6号), resource allocation, "
    "indicators 1-7 and the school/CV rules"
)
SOURCE_2012 = (
    "MOE 2012, 县域义务教育均衡发展督导评估暂行办法 (basic balance), 8 indicators and the "
    "mean-CV rule"
)
SOURCES: dict[str, str] = {"quality": SOURCE_2017, "basic": SOURCE_2012}
"""Source of each standard (its indicators, standards and CV limits)."""

STANDARD_TITLES: dict[str, str] = {
    "quality": "2017 high-quality balance standard (优质均衡)",
    "basic": "2012 basic balance standard (基本均衡)",
}

TIERS: tuple[str, ...] = TIER_NAMES
STANDARDS: tuple[str, ...] = ("quality", "basic")

MIN_STUDENTS = 50
"""Schools with fewer pupils (teaching points, 教学点) are left out of the county computation
(2017 measures; applied to the 2012 test too as an assumption)."""

SCHOOL_SIZE_CAP: dict[str, int] = {"school": 2000, "nine_year": 2500}
"""Most pupils a school should have, a government-guarantee item of the 2017 measures
("学校规模不超过2000人,九年一贯制学校...不超过2500人"). Not a rule of the county test, and many
urban schools exceed it; the county tables use it only to explain their sanity bound
(:data:`sim.county_table.schema.MAX_SCHOOL_PUPILS`)."""

COMPLIANCE_MIN_MET = 6
"""A school must meet at least this many of the 7 standards (2017 measures)."""

COMPLIANCE_FLOOR = 0.85
"""...and the missed standard must reach at least this share of its value (2017 measures)."""

RTOL = 1e-9
"""Relative tolerance of the ``>=`` / ``<=`` comparisons with standards and limits."""


@dataclass(frozen=True)
class Indicator:
    """One official indicator: ``value = scale * numerator / denominator`` per school row."""

    name: str
    label: str
    unit: str
    numerator: str
    denominator: str
    scale: float
    decimals: int
    source: str


def _indicator(name, label, unit, numerator, denominator="students", scale=1.0, decimals=2,
         source=SOURCE_2017):
    return Indicator(name, label, unit, numerator, denominator, scale, decimals, source)


BOTH_SOURCES = "both standards: " + SOURCE_2017 + "; " + SOURCE_2012

INDICATORS: dict[str, Indicator] = {
    i.name: i
    for i in (
        _indicator("teachers_above_required_qualification_per_100",
             "teachers above required qualification", "per 100 students",
             "teachers_above_required_qualification", scale=100.0, source=BOTH_SOURCES),
        _indicator("backbone_teachers_per_100", "backbone teachers", "per 100 students",
             "backbone_teachers", scale=100.0),
        _indicator("pe_arts_teachers_per_100", "PE and arts teachers", "per 100 students",
             "pe_arts_teachers", scale=100.0),
        _indicator("building_area_m2_per_student", "building area", "m² per student",
             "building_area_m2", source=BOTH_SOURCES),
        _indicator("sports_area_m2_per_student", "sports ground area", "m² per student",
             "sports_area_m2", source=BOTH_SOURCES),
        _indicator("equipment_value_yuan_per_student", "equipment value", "yuan per student",
             "equipment_value_yuan", decimals=0, source=BOTH_SOURCES),
        _indicator("multimedia_rooms_per_100", "multimedia classrooms", "per 100 students",
             "multimedia_rooms", scale=100.0),
        _indicator("computers_per_100", "computers", "per 100 students", "computers", scale=100.0,
             decimals=1, source=SOURCE_2012),
        _indicator("books_per_student", "books", "volumes per student", "books", decimals=1,
             source=SOURCE_2012),
        _indicator("students_per_teacher", "student-teacher ratio", "students per teacher",
             "students", denominator="teachers", decimals=1, source=SOURCE_2012),
        _indicator("teachers_mid_title_per_100", "teachers with intermediate+ title",
             "per 100 students", "teachers_mid_title", scale=100.0, source=SOURCE_2012),
    )
}
"""Every indicator by name, with its unit, formula and source."""

QUALITY_INDICATORS: tuple[str, ...] = (
    "teachers_above_required_qualification_per_100",
    "backbone_teachers_per_100",
    "pe_arts_teachers_per_100",
    "building_area_m2_per_student",
    "sports_area_m2_per_student",
    "equipment_value_yuan_per_student",
    "multimedia_rooms_per_100",
)
"""The 7 indicators of the 2017 standard, in the official order."""

BASIC_INDICATORS: tuple[str, ...] = (
    "building_area_m2_per_student",
    "sports_area_m2_per_student",
    "equipment_value_yuan_per_student",
    "computers_per_100",
    "books_per_student",
    "students_per_teacher",
    "teachers_above_required_qualification_per_100",
    "teachers_mid_title_per_100",
)
"""The 8 indicators of the 2012 standard, in the official order."""

QUALITY_STANDARDS: dict[str, dict[str, float]] = {
    "primary": dict(zip(QUALITY_INDICATORS, (4.2, 1.0, 0.9, 4.5, 7.5, 2000.0, 2.3), strict=True)),
    "junior": dict(zip(QUALITY_INDICATORS, (5.3, 1.0, 0.9, 5.8, 10.2, 2500.0, 2.4), strict=True)),
}
"""Per-school minimum of each 2017 indicator by level (source: :data:`SOURCE_2017`)."""

CV_LIMITS: dict[str, dict[str, float]] = {
    "quality": {"primary": 0.50, "junior": 0.45},  # each CV (SOURCE_2017)
    "basic": {"primary": 0.65, "junior": 0.55},  # the mean of the 8 CVs (SOURCE_2012)
}
"""Official difference-coefficient limits by standard and level."""

TEXT_COLUMNS: tuple[str, ...] = ("school_id", "name", "level", "tier")
REQUIRED_NUMERIC: tuple[str, ...] = (
    "students",
    "teachers_above_required_qualification",
    "backbone_teachers",
    "pe_arts_teachers",
    "building_area_m2",
    "sports_area_m2",
    "equipment_value_yuan",
    "multimedia_rooms",
)
REQUIRED_COLUMNS: tuple[str, ...] = TEXT_COLUMNS + REQUIRED_NUMERIC
BASIC_COLUMNS: tuple[str, ...] = ("teachers", "teachers_mid_title", "computers", "books")
"""Optional columns that the 2012 test needs."""
LOCATION_COLUMNS: tuple[str, ...] = ("x", "y")
NUMERIC_COLUMNS: tuple[str, ...] = REQUIRED_NUMERIC + BASIC_COLUMNS + LOCATION_COLUMNS
TEACHER_SUBSETS: tuple[str, ...] = (
    "teachers_above_required_qualification",
    "backbone_teachers",
    "pe_arts_teachers",
    "teachers_mid_title",
)

COLUMN_UNITS: dict[str, str] = {
    "students": "pupils",
    "teachers": "teachers",
    "teachers_above_required_qualification": "teachers",
    "backbone_teachers": "teachers",
    "pe_arts_teachers": "teachers",
    "teachers_mid_title": "teachers",
    "building_area_m2": "m²",
    "sports_area_m2": "m²",
    "equipment_value_yuan": "yuan",
    "multimedia_rooms": "rooms",
    "computers": "computers",
    "books": "volumes",
    "x": "km",
    "y": "km",
}


#: the four facility indicators of the 2017 standard whose stocks the model keeps per school
FACILITY_INDICATORS: tuple[str, ...] = (
    "building_area_m2_per_student", "sports_area_m2_per_student",
    "equipment_value_yuan_per_student", "multimedia_rooms_per_100",
)

FACILITY_STANDARDS_PER_STUDENT: np.ndarray = np.array([
    [QUALITY_STANDARDS[level][name] / INDICATORS[name].scale for name in FACILITY_INDICATORS]
    for level in LEVELS
])
"""The 2017 facility standards per pupil, rows [primary, junior], columns building m²,
sports m², equipment yuan, multimedia rooms (:data:`QUALITY_STANDARDS` without the
per-100 scale). Read-only."""
FACILITY_STANDARDS_PER_STUDENT.flags.writeable = False

QUALIFIED_TEACHERS_PER_STUDENT: np.ndarray = np.array([
    QUALITY_STANDARDS[level]["teachers_above_required_qualification_per_100"]
    / INDICATORS["teachers_above_required_qualification_per_100"].scale for level in LEVELS
])
"""The 2017 standard of teachers above the required qualification per pupil, [primary,
junior]. Read-only."""
QUALIFIED_TEACHERS_PER_STUDENT.flags.writeable = False
