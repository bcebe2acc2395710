"""Validated configuration schema of the model.

Every parameter is a dataclass field declared with :func:`param` (or :func:`tiered` for
values that differ between the urban, town and rural tiers), which records its unit, valid
range, and source. A source is either a citation (see docs/sources.md) or
the word "assumption": a modelling choice with no direct empirical anchor that must stay a
parameter and is a candidate for sensitivity analysis.

The same dataclasses serve as Hydra structured-config schemas (the entry point in
``experiments/run.py`` registers them), and as the Python API::

    cfg = SimConfig()                       # the built-in default county
    cfg = SimConfig.from_overrides({"region.preset": "tiny", "teachers.retirement_age": 62})
    cfg.validate()                          # raises ConfigError naming the field and range
    cfg.problems()                          # the same problems as a list of messages

:func:`parameter_table` lists every parameter with its value, unit, range and source
(``experiments/make_parameter_docs.py`` writes docs/parameters.md from it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from sim.schema import ByTier, ConfigError, field_names, param, range_text, tiered, validate_node
from sim.vocabulary import SCHOOL_TYPES, TIER_NAMES

__all__ = [
    "ByTier",
    "ConfigError",
    "DemographyConfig",
    "EnrolmentConfig",
    "EvaluationConfig",
    "FinanceConfig",
    "LearningConfig",
    "SchoolEffectConfig",
    "REGION_PRESETS",
    "RegionConfig",
    "SimConfig",
    "TeacherConfig",
    "parameter_table",
    "param",
    "tiered",
]

TIERS = TIER_NAMES
LEVELS = SCHOOL_TYPES


# --------------------------------------------------------------------------------------
# Region (the county's geography and size)
# --------------------------------------------------------------------------------------

#: Size presets of the built-in synthetic county. Values are overridable field by field.
REGION_PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {"n_schools": 12, "n_students": 4_000, "n_towns": 2, "extent_km": 30.0},
    "default": {"n_schools": 60, "n_students": 50_000, "n_towns": 8, "extent_km": 60.0},
    "county_l": {"n_schools": 200, "n_students": 150_000, "n_towns": 20, "extent_km": 90.0},
}


MAX_SCHOOLS = 5_000
"""Most schools of one county (``region.n_schools``; distinct ``school_id`` of a county table).
Assumption: the largest counties report several hundred compulsory schools and teaching
points; ten times that leaves room for a prefecture treated as one county."""

MAX_COUNTY_PUPILS = 5_000_000
"""Most compulsory pupils of one county (``region.n_students``; all rows of a county table).
Assumption: the largest counties have a few hundred thousand compulsory pupils; the model's
memory (about 0.4 GiB per million pupils, see the benchmark) stays within a workstation's."""


@dataclass
class RegionConfig:
    """The synthetic county: its size and how schools and pupils split across tiers.

    ``preset`` names an entry of :data:`REGION_PRESETS`; any of ``n_schools``,
    ``n_students``, ``n_towns`` and ``extent_km`` left at ``None`` takes the preset's value.
    """

    preset: str = param("default", choices=tuple(REGION_PRESETS),
                        doc="size preset of the synthetic county")
    path: str | None = param(
        None, source="the county's own statistics (see sim.real_county)",
        doc="a county school table (CSV or XLSX, the official school-table format): the county "
            "is built from it instead of the synthetic one (None: synthetic)")
    sheet: str | None = param(
        None, source="the county's own statistics",
        doc="XLSX sheet of the school table at path (None: the first sheet whose header has "
            "the table's columns)")
    teachers_path: str | None = param(None, source="the county's own statistics",
                                      doc="optional per-school teacher breakdowns")
    grades_path: str | None = param(None, source="the county's own statistics",
                                    doc="optional per-school pupils by grade")
    tiers_path: str | None = param(None, source="the county's own statistics",
                                   doc="optional tier-level SES, left-behind and migrant shares")
    n_schools: int | None = param(None, "schools", 3, MAX_SCHOOLS,
                                  source="range: assumption (MAX_SCHOOLS)",
                                  doc="number of schools (None: preset)")
    n_students: int | None = param(None, "students", 300, MAX_COUNTY_PUPILS,
                                   source="range: assumption (MAX_COUNTY_PUPILS)",
                                   doc="initial enrolment, grades 1-9 (None: preset)")
    n_towns: int | None = param(None, "towns", 1, 500, doc="township centres (None: preset)")
    extent_km: float | None = param(None, "km", 5.0, 500.0,
                                    doc="radius of the county around the urban centre (None: preset)")
    student_share: ByTier = tiered(
        0.45, 0.30, 0.25, "share of pupils", 0.0, 1.0,
        source="assumption (urbanising central-China county; China Education Statistics "
               "Yearbook puts roughly half of compulsory pupils in urban/town schools)",
        doc="share of pupils whose family lives in each tier; normalised to sum 1")
    school_share: ByTier = tiered(
        0.25, 0.30, 0.45, "share of schools", 0.0, 1.0,
        source="assumption (many small village schools)",
        doc="share of schools in each tier; normalised to sum 1")
    size_dispersion: ByTier = tiered(
        0.25, 0.35, 0.70, "log-SD", 0.0, 2.0,
        doc="log-normal dispersion of catchment populations within a tier")
    nine_year_share: ByTier = tiered(0.10, 0.15, 0.15, "share of schools", 0.0, 1.0,
                                     doc="share of a tier's schools that are nine-year schools")
    junior_share: ByTier = tiered(0.30, 0.35, 0.05, "share of schools", 0.0, 1.0,
                                  doc="share of a tier's schools that are junior-only")

    def resolved(self) -> dict[str, Any]:
        """The effective sizes: overrides where given, the preset's values otherwise."""
        base = dict(REGION_PRESETS[self.preset])
        for key in base:
            value = getattr(self, key)
            if value is not None:
                base[key] = value
        return base


# --------------------------------------------------------------------------------------
# Demography and enrolment
# --------------------------------------------------------------------------------------

@dataclass
class DemographyConfig:
    """Cohort sizes, migration and pupil characteristics."""

    birth_trend: ByTier = tiered(
        -0.005, -0.015, -0.03, "per year", -0.3, 0.3,
        source="assumption (China's births fell from 17.9 m in 2016 to 9.0 m in 2023, "
               "National Bureau of Statistics; rural cohorts fall faster)",
        doc="yearly relative change of the grade-1 cohort in each tier's catchments")
    rural_to_urban_migration: float = param(
        0.02, "share of rural pupils per year", 0.0, 0.5,
        doc="share of rural-resident pupils whose family moves to the urban district each year")
    rural_to_town_migration: float = param(
        0.01, "share of rural pupils per year", 0.0, 0.5,
        doc="share of rural-resident pupils whose family moves to a township centre each year")
    migrant_entry_share: ByTier = tiered(
        0.12, 0.06, 0.0, "share of grade-1 entrants", 0.0, 1.0,
        source="assumption (随迁子女 are about 10% of compulsory pupils nationally, "
               "MOE statistical bulletin 2022, concentrated in cities)",
        doc="children of families from outside the county (随迁子女) among each tier's entrants")
    migrant_arrivals: float = param(
        0.01, "share of urban/town pupils per year", 0.0, 0.5,
        doc="migrant children arriving in grades 2-9 of urban and town catchments each year")
    out_migration: float = param(0.005, "share per year", 0.0, 0.5,
                                 doc="share of pupils whose family leaves the county each year")
    left_behind_share: ByTier = tiered(
        0.03, 0.12, 0.30, "share of pupils", 0.0, 1.0,
        source="assumption (about 13 m left-behind children in compulsory school, MOE 2020; "
               "mostly rural)",
        doc="share of entering pupils who are left behind (留守) by migrant parents")
    ses_mean: ByTier = tiered(
        0.5, 0.0, -0.5, "SD of SES", -3.0, 3.0,
        source="assumption (urban-rural SES gap of about one SD, as in CFPS family data)",
        doc="mean family SES of pupils resident in each tier (county SES has SD ≈ 1)")
    ses_sd: float = param(0.85, "SD of SES", 0.1, 3.0, doc="within-tier SD of family SES")
    migrant_ses_shift: float = param(-0.3, "SD of SES", -3.0, 3.0,
                                     doc="SES of in-migrant children relative to their tier")
    disabled_share: float = param(0.01, "share of pupils", 0.0, 0.2,
                                  doc="share of pupils with a disability (flag only)")


@dataclass
class EnrolmentConfig:
    """Placement of pupils: catchments (就近入学), capacity, class sizes and school choice."""

    max_class_size_primary: int = param(
        45, "pupils", 10, 80, source="MOE 2017 (教督〔2017〕6号): class size ≤ 45 primary",
        doc="classes are split so that none exceeds this size")
    max_class_size_junior: int = param(
        50, "pupils", 10, 80, source="MOE 2017 (教督〔2017〕6号): class size ≤ 50 junior")
    max_school_size: int = param(
        2000, "pupils", 50, 10_000, source="MOE 2017 (教督〔2017〕6号): school size ≤ 2000",
        doc="upper limit used when the county expands a school's capacity")
    max_school_size_nine_year: int = param(2500, "pupils", 50, 10_000, source="MOE 2017 (教督〔2017〕6号): nine-year school size ≤ 2500")
    capacity_headroom: ByTier = tiered(
        1.02, 1.10, 1.40, "capacity / initial enrolment", 1.0, 5.0,
        doc="initial seats per pupil: urban schools start near full, village schools half empty")
    choice_rate: float = param(
        0.05, "share of entrants", 0.0, 1.0,
        source="assumption (doc 001: 择校风; strict catchment would be 0)",
        doc="base probability that a family at an entry grade (1 or 7) seeks another school")
    choice_ses_slope: float = param(
        0.8, "log-odds per SD of SES", 0.0, 5.0,
        source="assumption (doc 001: richer families choose more)",
        doc="how much more likely richer families are to choose")
    choice_distance_cost: float = param(
        0.03, "achievement SD per km", 0.0, 1.0,
        doc="utility cost of distance when families compare schools")
    choice_max_km: float = param(30.0, "km", 0.0, 500.0,
                                 doc="families do not consider schools farther than this")
    expand_capacity: bool = param(
        False, source="assumption (off by default: whether a county builds is a policy choice)",
        doc="when on, a school whose entry demand exceeds its seats gains classrooms "
            "(up to the school-size limit), paid by the county")
    expansion_cost_per_seat: float = param(
        25_000.0, "yuan per seat", 0.0, 1e6,
        doc="capital cost of one extra seat (≈ 5 m² at 5,000 yuan/m²)")
    reputation_memory: float = param(
        0.5, "weight on last year's reputation", 0.0, 0.95,
        source="assumption (families update their view of a school within one or two years; "
               "range 0-0.8)",
        doc="perceived quality = memory × last year's + (1 − memory) × this year's signal "
            "(sim/processes/families.py)")
    reputation_teacher_years: float = param(
        3.0, "years", 0.0, 20.0,
        source="assumption (families judge a school by its teachers as well as its results; "
               "range 0-6)",
        doc="the visible signal adds this many years of the school's mean teacher "
            "effectiveness above the county's")
    district_move_rate: float = param(
        0.02, "share of grade-1 families per year", 0.0, 0.5,
        source="assumption (学区房: buying a home in a better catchment before school entry; "
               "range 0-0.1)",
        doc="base probability that a family of a grade-1 entrant considers moving to a "
            "better catchment (0: no school-district moves)")
    district_move_ses_slope: float = param(
        1.0, "log-odds per SD of SES", 0.0, 5.0,
        source="assumption (richer families buy school-district homes more often and feel "
               "the price less; range 0-2)",
        doc="SES slope of considering a move; the premium's weight falls by exp(−slope × SES)")
    district_premium_per_sd: float = param(
        0.10, "share of the home's price per SD of perceived quality", 0.0, 2.0,
        source="Beijing 2015-2018: purchase premiums of 2.8-15% across primary-school quality "
               "levels (Mei, Wen & Wu 2022, 教育与经济); first-tier public primary schools: "
               "Chengdu 69.7%, Chongqing 26.8% (Yang 2021, 中国房地产); range 0.03-0.3",
        doc="price premium of a home in a catchment whose school is 1 SD above the county "
            "mean (perceived quality)")
    district_premium_weight: float = param(
        2.0, "quality SD per unit premium share", 0.0, 50.0,
        source="assumption (a family at mean SES gives up 0.2 SD of school quality to avoid a "
               "10% premium; range 0.5-5)",
        doc="how heavily the premium weighs against the quality gain")
    district_home_price: float = param(
        600_000.0, "yuan", 0.0, 1e8,
        source="assumption (a 100 m² county-town flat at about 6,000 yuan/m²; range "
               "300,000-1,500,000)",
        doc="price of the home a moving family buys (for the premium paid, a household cost)")
    merge_below: int = param(
        0, "pupils", 0, 1000,
        source="assumption (off by default: school closures 撤点并校 are contested)",
        doc="a school with fewer pupils than this merges into the nearest school of its level "
            "(0 = never)")


# --------------------------------------------------------------------------------------
# Learning
# --------------------------------------------------------------------------------------

@dataclass
class LearningConfig:
    """Yearly achievement growth.

    Achievement ``a`` is a latent score scaled so that each grade's SD is about 1 in year 0;
    every year ``a' = persistence·a + teacher + resources + peers + family + noise``.
    """

    persistence: float = param(
        0.80, "coefficient", 0.0, 0.99,
        source="assumption (lagged-score coefficients in value-added models are 0.6-0.8)",
        doc="share of last year's achievement carried forward")
    teacher_effect_weight: float = param(
        1.0, "multiplier", 0.0, 5.0,
        source="Hanushek & Rivkin 2010 (teacher VA SD 0.11-0.15 student SD per year) via "
               "TeacherConfig.skill_sd",
        doc="multiplies the class teachers' mean effectiveness (student SD per year)")
    vacancy_effect: float = param(
        -0.13, "student SD per year", -1.0, 0.0,
        source="Wang et al., REAP WP 328 (contract vs regular teachers in rural China: -0.13 SD)",
        doc="effect of a class with no regular core teacher (taught by substitutes)")
    resource_effect: float = param(
        0.05, "student SD per year per unit of the resource index", 0.0, 1.0,
        source="assumption, direction from Jackson, Johnson & Persico 2016 (+10% spending "
               "for 12 years: +0.31 years of schooling)",
        doc="effect of school facilities (mean ratio of the 4 facility indicators to their "
            "standards, capped at resource_cap)")
    resource_cap: float = param(1.5, "ratio to standard", 1.0, 5.0,
                                doc="facility ratios above this add nothing")
    peer_effect: float = param(
        0.03, "student SD per SD of schoolmates' mean", 0.0, 0.5,
        source="Gibbons & Telhaj (school-level peer effect +0.03 SD per 1 SD)",
        doc="effect of schoolmates' mean prior achievement")
    ses_effect: float = param(
        0.05, "student SD per year per SD of SES", 0.0, 1.0,
        doc="yearly family contribution to growth")
    left_behind_effect: float = param(
        -0.018, "student SD per year", -1.0, 1.0,
        source="tuned with entry_left_behind to the within-school gap of left-behind pupils in "
               "CEPS 2013/14, 0.05-0.10 SD (IJERPH 2020 17(18):6770, Table 7; docs/"
               "calibration.md §0); former assumption -0.03",
        doc="yearly effect of being left behind")
    entry_ses_gradient: float = param(
        0.35, "student SD per SD of SES", 0.0, 2.0,
        source="assumption (PISA-like SES gradients of 0.3-0.4 SD per SD)",
        doc="school-readiness gap at grade 1 per SD of family SES")
    entry_left_behind: float = param(
        -0.06, "student SD", -2.0, 1.0,
        source="tuned with left_behind_effect (see there); former assumption -0.10",
        doc="school-readiness gap of left-behind children")
    noise_sd: float = param(
        0.58, "student SD", 0.0, 3.0,
        doc="idiosyncratic yearly shock; with persistence 0.8 keeps each grade's SD near 1 "
            "(var = 1 - persistence² minus the systematic part)")


# --------------------------------------------------------------------------------------
# School effects and key schools
# --------------------------------------------------------------------------------------

#: where the school-effect sizes come from (they are tuned, not estimated)
_SE_TUNED = ("tuned so that the default county's between-school share of achievement "
             "variance is near 0.20 (中考 ICC, Chinese multilevel value-added study) and the "
             "urban-rural gap near 0.37-0.41 SD (CEPS 2013/14, Zhao et al. 2017, China "
             "Economic Review 45:103-123)")


@dataclass
class SchoolEffectConfig:
    """What a school adds to its pupils' growth beyond teachers, facilities and peers, and
    key schools (重点/名校); see :mod:`sim.processes.school_effects`.

    ``u = key_effect · key + p + v``: ``p`` persistent (AR(1), SD ``persistent_sd``,
    autocorrelation ``persistence``), ``v`` transient (drawn every year, SD
    ``transient_sd``).
    """

    persistent_sd: float = param(
        0.15, "student SD per year", 0.0, 0.5,
        source=_SE_TUNED + "; sensitivity range 0.10-0.20",
        doc="SD of the persistent school effect (leadership, culture, practice)")
    persistence: float = param(
        0.9, "autocorrelation per year", 0.0, 0.999,
        source="assumption (leadership changes slowly: principals rotate after two terms at "
               "one school, MOE/MOF/MOHRSS 2014 rotation opinion; half-life ≈ 6.6 years; "
               "sensitivity range 0.8-0.97)",
        doc="yearly autocorrelation of the persistent school effect")
    transient_sd: float = param(
        0.15, "student SD per year", 0.0, 0.5,
        source="assumption (the 中考 value-added study finds school value added correlates "
               "very weakly across years, sometimes negatively; 0.15 keeps the default "
               "county's year-to-year correlation of grade-9 school value added near 0.4; "
               "sensitivity range 0.08-0.25)",
        doc="SD of the school's yearly shock, drawn afresh each year")
    key_share: ByTier = tiered(
        0.2, 0.05, 0.0, "share of schools", 0.0, 1.0,
        source="assumption (a county seat typically has one or two 名校 per level, towns "
               "rarely, villages none; no county count found; sensitivity range urban "
               "0.1-0.3)",
        doc="share of each tier's schools that are key schools (重点/名校)")
    key_effect: float = param(
        0.05, "student SD per year", 0.0, 0.5,
        source=_SE_TUNED + "; sensitivity range 0-0.1",
        doc="mean school effect of a key school (leadership, reputation, extra resources)")
    key_teacher_skill: float = param(
        0.03, "student SD per year", 0.0, 0.5,
        source="assumption (key schools recruit the best graduates and experienced teachers "
               "from other schools; about a quarter of a teacher SD (0.13); sensitivity "
               "range 0-0.06)",
        doc="effectiveness added to the teachers of a key school, at year 0 and when hired")
    key_transfer_priority: bool = param(
        True, source="assumption (key schools pick first among teachers moving up; False: "
                     "their posts are offered in the random order of all posts)",
        doc="a key school's vacant posts are offered first to the best transfer applicants")
    key_choice_bonus: float = param(
        0.3, "achievement SD of school mean", 0.0, 5.0,
        source="assumption (reputation beyond measured results draws 择校 families; at "
               "enrolment.choice_distance_cost 0.03 per km worth 10 km of travel; sensitivity "
               "range 0-0.6)",
        doc="extra appeal of a key school to families that choose (acts only where choice "
            "is allowed)")


# --------------------------------------------------------------------------------------
# Teachers
# --------------------------------------------------------------------------------------

@dataclass
class TeacherConfig:
    """Teacher workforce: staffing, quality, careers."""

    students_per_post_primary: float = param(
        19.0, "pupils per post", 5.0, 60.0,
        source="State Commission Office for Public Sector Reform 2014 (unified urban-rural "
               "staffing norm 1:19 primary)",
        doc="staffing quota (编制): one post per this many pupils")
    students_per_post_junior: float = param(
        13.5, "pupils per post", 5.0, 60.0, source="same norm, 1:13.5 junior")
    min_posts_per_class: float = param(
        1.5, "posts per class", 0.0, 5.0,
        source="assumption (small rural schools are staffed by class, not by pupil ratio)",
        doc="quota floor for small schools: posts per class")
    core_per_class_primary: float = param(
        1.5, "core teachers per class", 0.5, 10.0,
        source="assumption (about 26 weekly lessons per primary class, of which ~20 core, at "
               "~14 lessons per teacher)",
        doc="core teachers a primary class needs; fewer means part of its lessons are "
            "taught by substitutes (learning.vacancy_effect)")
    core_per_class_junior: float = param(
        2.2, "core teachers per class", 0.5, 10.0,
        source="assumption (about 34 weekly lessons per junior class, of which ~28 core, at "
               "~13 lessons per teacher)")
    initial_staffing: ByTier = tiered(0.98, 0.95, 0.90, "staff / quota", 0.1, 2.0,
                                      doc="initial teachers as a share of the quota")
    skill_sd: float = param(
        0.13, "student SD per year", 0.0, 1.0,
        source="Hanushek & Rivkin 2010 (SD of teacher value added 0.11 reading - 0.15 math)",
        doc="SD of teachers' effectiveness")
    skill_mean: ByTier = tiered(
        0.0, -0.005, -0.01, "student SD per year", -1.0, 1.0,
        source="assumption (stronger teachers sort into urban schools; Goldhaber et al. 2023 "
               "document teacher-quality gaps between advantaged and disadvantaged schools); "
               "the tier gap tuned with the school effects so that the default county's "
               "urban-rural gap is near 0.37-0.41 SD (CEPS 2013/14, Zhao et al. 2017; "
               "formerly 0.04/0.0/-0.05, which gave 0.65-0.80 SD)",
        doc="mean effectiveness of the initial teachers in each tier")
    hire_skill_mean: ByTier = tiered(
        0.0, -0.005, -0.01, "student SD per year", -1.0, 1.0,
        source="assumption (new hires like the tier's initial teachers; with unified county "
               "recruitment exams most of the tier difference of hires comes from their "
               "qualification mix, hire_qualification); tuned with skill_mean (formerly "
               "0.02/-0.01/-0.05)",
        doc="mean effectiveness of new hires by tier (before the qualification step)")
    qualification_skill: float = param(
        0.02, "student SD per year per qualification level", -0.5, 0.5,
        doc="effectiveness difference per qualification level (weak in the evidence)")
    novice_penalty: float = param(
        0.08, "student SD per year", 0.0, 1.0,
        source="assumption (first-year teachers are 0.06-0.10 SD less effective; returns "
               "to experience plateau after ~5 years, Rockoff 2004)",
        doc="effectiveness gap of a teacher with no experience")
    experience_tau: float = param(2.0, "years", 0.1, 20.0,
                                  doc="time constant of the experience gain (plateau)")
    training_hours: ByTier = tiered(
        72.0, 60.0, 45.0, "hours per year", 0.0, 500.0,
        source="MOE 2017 (教督〔2017〕6号): 360 hours per 5 years; rural shortfall assumption",
        doc="training actually received per teacher per year")
    training_effect: float = param(
        0.0, "student SD per 72 hours", 0.0, 0.2,
        source="Loyalka, Popova, Li & Shi 2019 (AEJ: Applied 11(3)): a randomised evaluation of "
               "China's national teacher training programme found no effect on pupils' "
               "achievement; sensitivity range 0-0.003 (0.003: the former assumption)",
        doc="effectiveness gain of a novice from one year of training at the official norm")
    training_tau: float = param(
        5.0, "years of experience", 0.5, 40.0,
        source="assumption (diminishing returns: returns to experience and on-the-job "
               "learning flatten after the first years, Rockoff 2004; range 2-10)",
        doc="the training gain falls by exp(-experience / training_tau): a teacher's "
            "lifetime gain is bounded")
    retirement_age: int = param(60, "years", 45, 70,
                                source="statutory retirement age (men 60; simplified)")
    attrition: ByTier = tiered(
        0.03, 0.05, 0.08, "share per year", 0.0, 0.5,
        source="assumption (doc 002 calls 5% rural attrition a historic low after incentives)",
        doc="yearly probability of leaving the county's schools (excl. retirement), before pay")
    pay_semi_elasticity: float = param(
        2.0, "per unit of allowance / salary", 0.0, 20.0,
        doc="attrition and transfer requests fall by exp(-elasticity × allowance share)")
    rural_allowance: float = param(
        0.10, "share of base salary", 0.0, 2.0,
        source="assumption (rural teacher living allowances of 200-1000 yuan/month)",
        doc="extra pay for teachers in rural schools")
    transfer_request: ByTier = tiered(
        0.0, 0.04, 0.08, "share per year", 0.0, 1.0,
        source="assumption (doc 002: urban pull on rural teachers)",
        doc="yearly probability that a teacher asks to move to a higher-tier school")
    transfer_skill_slope: float = param(
        2.0, "log-odds per student SD of effectiveness", 0.0, 20.0,
        doc="more effective teachers are more likely to move up")
    min_years_before_transfer: int = param(3, "years", 0, 20,
                                           doc="years at a school before a transfer request")
    hire_fill: ByTier = tiered(1.0, 0.9, 0.75, "share of vacancies filled per year", 0.0, 1.0,
                               doc="rural schools struggle to recruit")
    hire_qualification: dict[str, list[float]] = field(
        default_factory=lambda: {
            "urban": [0.0, 0.05, 0.75, 0.20],
            "town": [0.02, 0.20, 0.73, 0.05],
            "rural": [0.05, 0.35, 0.58, 0.02],
        },
        metadata={"unit": "shares of [secondary, 专科, 本科, 硕士+]", "lo": 0.0, "hi": 1.0,
                  "source": "assumption (doc 002: rural teachers with a bachelor degree 60%)",
                  "doc": "qualification mix of new hires by tier", "choices": None})
    initial_qualification: dict[str, list[float]] = field(
        default_factory=lambda: {
            "urban": [0.02, 0.15, 0.70, 0.13],
            "town": [0.05, 0.30, 0.62, 0.03],
            "rural": [0.10, 0.35, 0.54, 0.01],
        },
        metadata={"unit": "shares of [secondary, 专科, 本科, 硕士+]", "lo": 0.0, "hi": 1.0,
                  "source": "assumption (doc 002: rural bachelor share 60% before policy)",
                  "doc": "qualification mix of the initial teachers by tier", "choices": None})
    upgrade_rate: float = param(0.03, "share per year", 0.0, 1.0,
                                doc="below-bachelor teachers gaining the next degree in service")
    pe_arts_share: ByTier = tiered(
        0.19, 0.12, 0.07, "share of teachers", 0.0, 1.0,
        source="doc 004 urban school: 24 PE/arts of 136 teachers (0.18); rural shortfall assumption",
        doc="initial share of PE and arts specialists")
    specialist_fill: ByTier = tiered(0.9, 0.6, 0.3, "probability", 0.0, 1.0,
                                     doc="chance that a school short of PE/arts teachers hires one")
    specialist_extra_posts: float = param(
        0.0, "share of shortfall per year", 0.0, 1.0,
        source="assumption: counties reaching the 2017 standard recruited PE/arts (音体美) "
               "teachers in dedicated drives; no sourced rate, so 0 (off, today's rule) and 1 "
               "(the whole shortfall each year) bracket it",
        doc="extra PE/arts posts above the staffing quota each year for a school below the "
            "2017 standard of 0.9 per 100 pupils: this share of its shortfall (rounded up), "
            "each filled with the tier's specialist_fill; the quota is raised by the posts "
            "filled (0 = off)")
    specialist_margin: float = param(
        0.0, "share of the standard", 0.0, 1.0,
        source="assumption (a county recruiting for the 2017 standard plans above it, because "
               "specialists leave, transfer and rotate before the inspection; 0 = exactly the "
               "standard, 0.1-0.3 plausible)",
        doc="with specialist_extra_posts > 0, the extra posts aim at (1 + this) × 0.9 PE/arts "
            "teachers per 100 pupils")
    backbone_target: float = param(
        0.153, "share of teachers", 0.0, 1.0,
        source="tuned so that the default county's primary supply is near 0.89 backbone "
               "teachers per 100 primary pupils (《鸠江区2023年义务教育基本均衡发展状况监测结果》: "
               "0.887611); doc 004 urban school: 30 of 136 = 22% (an upper end)",
        doc="county titles at each review: this share of all teachers (骨干, county level+)")
    backbone_min_experience: int = param(
        5, "years", 0, 40,
        source="assumption (county rules ask for several years of service; 3-8 plausible)",
        doc="years of experience needed to be designated")
    initial_backbone: ByTier = tiered(
        0.24, 0.10, 0.03, "share of teachers", 0.0, 1.0,
        source="assumption (doc 004 urban school: 22%; inherited concentration in urban "
               "schools)",
        doc="year 0 of the synthetic county: the inherited backbone share by tier, as relative "
            "weights (the year-0 quotas share the county's backbone_target titles by staff × "
            "this weight; the quota rule applies from the first review)")
    backbone_school_floor: int = param(
        1, "titles per school section", 0, 5,
        source="assumption (counties give every school at least one place; sensitivity 0-2)",
        doc="quota floor of every school section with at least backbone_floor_min_staff "
            "teachers")
    backbone_floor_min_staff: int = param(
        5, "teachers", 0, 100,
        source="assumption (a village school of a few classes has too few teachers to field a "
               "candidate; sensitivity 1-10)",
        doc="school sections with fewer teachers get no floor (only their proportional share)")
    backbone_equalise: float = param(
        0.0, "weight", 0.0, 1.0,
        source="assumption (county strategy and policy lever: 0 = quotas in proportion to "
               "staff, as counties commonly distribute places; 1 = each school first gets "
               "the titles it needs for the 2017 standard of 1 per 100 pupils, 教督〔2017〕6号)",
        doc="how far the county steers quotas toward the 2017 standard (0 staff rule, 1 "
            "standard first; in between a blend)")
    backbone_review_years: int = param(
        3, "years", 1, 20,
        source="assumption (weak support: 3-year municipal 名师 cohorts, 滨教函〔2020〕11号; "
               "sensitivity 2-5)",
        doc="titles are reviewed (quotas re-set, holders re-selected, others revoked) in "
            "years that are multiples of this")
    backbone_incumbency_bonus: float = param(
        0.05, "student SD per year", 0.0, 1.0,
        source="assumption (holders keep titles unless clearly outperformed; 0.05 ≈ 0.4 SD of "
               "teacher effectiveness; sensitivity 0-0.13)",
        doc="bonus of a current holder in the designation score at a review")
    backbone_counts_at: str = param(
        "teaching", choices=("teaching", "post"),
        source="assumption (no document at hand says whether a rotated teacher counts at the "
               "host or the post school; 'teaching' keeps the model's official table as "
               "before: teachers count where they teach)",
        doc="where a rotated backbone teacher counts in the official indicator: the school "
            "where they teach or the school holding their post (编制); the quota places are "
            "the post school's either way")
    promotion_mid: ByTier = tiered(0.15, 0.12, 0.08, "probability per year", 0.0, 1.0,
                                   doc="junior → intermediate title after 5 years")
    promotion_senior: ByTier = tiered(0.06, 0.04, 0.03, "probability per year", 0.0, 1.0,
                                      doc="intermediate → senior title after 12 years")
    base_salary: float = param(
        80_000.0, "yuan per year", 0.0, 1e6,
        source="assumption (compulsory-school teachers' pay is tied to local civil servants', "
               "MOE 2017)",
        doc="average teacher salary before allowances (used for costs)")


# --------------------------------------------------------------------------------------
# Finance
# --------------------------------------------------------------------------------------

#: source of the 2012 county CVs that the year-0 dispersions of FinanceConfig are tuned to
_CV_2012 = ("2012 county CVs at national recognition (renrendoc 214415052, Chongqing "
            "table 2; book118 2015/0816/23463879, Anhui; wenke99 p-504402, Jilin)")


@dataclass
class FinanceConfig:
    """School budgets and the stocks behind the official indicators."""

    per_student_funds_primary: float = param(
        650.0, "yuan per pupil per year", 0.0, 1e5,
        source="State Council 2015 No. 67 (unified per-pupil public-funds benchmark: primary 650)")
    per_student_funds_junior: float = param(
        850.0, "yuan per pupil per year", 0.0, 1e5, source="same benchmark: junior 850")
    funds_ratio: ByTier = tiered(
        1.0, 0.95, 0.85, "share of the benchmark", 0.0, 5.0,
        source="assumption (doc 002: rural funds raised to ≥ 90% of urban only by policy)",
        doc="funds actually reaching schools of each tier")
    small_school_floor: int = param(
        100, "pupils", 0, 1000,
        source="MOF/MOE 2015 (schools and teaching points under 100 pupils funded as 100)")
    stock_share: float = param(
        0.25, "share of operating funds", 0.0, 1.0,
        doc="share of the per-pupil operating funds available for the upkeep of equipment, "
            "multimedia rooms, computers and books (replacing their wear, never adding stock)")
    capital_per_student: ByTier = tiered(
        350.0, 300.0, 220.0, "yuan per pupil per year", 0.0, 1e5,
        source="assumption (county capital programmes; chosen so that urban stocks stay near "
               "the doc-004 school's values)",
        doc="what the per-pupil stock formula asks per pupil (paid from "
            "capital_budget_per_pupil, scaled down when short)")
    equipment_share: float = param(0.52, "share of stock spending", 0.0, 1.0)
    multimedia_share: float = param(0.25, "share of stock spending", 0.0, 1.0)
    computer_share: float = param(0.16, "share of stock spending", 0.0, 1.0)
    book_share: float = param(0.07, "share of stock spending", 0.0, 1.0)
    equipment_depreciation: float = param(0.10, "share per year", 0.0, 1.0,
                                          doc="10-year useful life")
    multimedia_depreciation: float = param(0.125, "share per year", 0.0, 1.0,
                                           doc="8-year useful life")
    computer_depreciation: float = param(0.167, "share per year", 0.0, 1.0,
                                         doc="6-year useful life")
    book_depreciation: float = param(0.04, "share per year", 0.0, 1.0)
    multimedia_room_cost: float = param(40_000.0, "yuan per room", 1.0, 1e7)
    computer_cost: float = param(4_000.0, "yuan per computer", 1.0, 1e6)
    book_cost: float = param(30.0, "yuan per book", 0.1, 1e4)
    initial_stock: dict[str, list[float]] = field(
        default_factory=lambda: {
            # ratios to the 2017 standard for [building, sports, equipment, multimedia]
            "urban": [1.03, 1.19, 1.34, 1.09],
            "town": [1.05, 1.05, 0.90, 0.85],
            "rural": [1.15, 1.10, 0.55, 0.50],
        },
        metadata={"unit": "ratio to the 2017 standard [building, sports, equipment, multimedia]",
                  "lo": 0.0, "hi": 10.0,
                  "source": "urban: doc 004 school (4.64 m², 8.89 m², 2683 yuan, 2.5 rooms per "
                            "100); town/rural: assumption (rural schools short on equipment)",
                  "doc": "initial per-pupil stocks by tier relative to the standard",
                  "choices": None})
    computers_per_100: float = param(
        12.0, "computers per 100 pupils", 0.0, 200.0,
        doc="urban primary reference level of the 2012 computer indicator (junior ×1.25); other "
            "tiers scale with their equipment ratio")
    books_per_student: float = param(
        30.0, "books per pupil", 0.0, 500.0,
        source="assumption (near the library regulations' 25 primary / 35 junior)",
        doc="urban primary reference level (junior ×1.3); other tiers scale with equipment")
    # ---- year-0 dispersion of the stocks (tuned to the published 2012 county CVs) ----------
    dispersion_building: float = param(
        0.47, "log-SD", 0.0, 2.0,
        source=_CV_2012 + ": building CV median 0.486 primary / 0.381 junior (range "
               "0.246-0.881)",
        doc="school-to-school spread of year-0 building area within a tier")
    dispersion_sports: float = param(
        0.58, "log-SD", 0.0, 2.0,
        source=_CV_2012 + ": sports-ground CV median 0.607 primary / 0.446 junior (range "
               "0.298-1.299)",
        doc="school-to-school spread of year-0 sports-ground area within a tier")
    dispersion_equipment: float = param(
        0.22, "log-SD", 0.0, 2.0,
        source=_CV_2012 + ": equipment CV median 0.374 primary / 0.324 junior (range "
               "0.146-0.977; the tiers' initial_stock ratios give most of it)",
        doc="school-to-school spread of year-0 equipment value within a tier")
    dispersion_multimedia: float = param(
        0.15, "log-SD", 0.0, 2.0,
        source="assumption (not a 2012 indicator; kept at the former common value; the 2017 "
               "CV of 鸠江 2023, 0.394, is held out for validation; sensitivity 0.1-0.5)",
        doc="school-to-school spread of year-0 multimedia rooms within a tier")
    dispersion_computers: float = param(
        0.08, "log-SD", 0.0, 2.0,
        source=_CV_2012 + ": computers CV median 0.333 primary / 0.318 junior (range "
               "0.188-0.580; the equipment tier ratios give most of it)",
        doc="school-to-school spread of year-0 computers within a tier")
    dispersion_books: float = param(
        0.17, "log-SD", 0.0, 2.0,
        source=_CV_2012 + ": books CV median 0.190 primary / 0.224 junior (range 0.037-0.544)",
        doc="school-to-school spread of year-0 books within a tier")
    book_ratio: ByTier = tiered(
        1.0, 0.95, 0.85, "ratio to the reference level", 0.0, 10.0,
        source="assumption (the books CVs, median 0.19, are half the equipment CVs, so books "
               "differ less between tiers than equipment; sensitivity 0.7-1.0 rural)",
        doc="year-0 books per pupil of each tier relative to books_per_student")
    stock_wealth_correlation: float = param(
        0.5, "share of log-variance", 0.0, 1.0,
        source="assumption (a school-level wealth factor shared by all its stocks: schools "
               "rich in one facility tend to be rich in the others; sensitivity 0-0.8)",
        doc="share of each stock's year-0 log-variance from the school's common factor")
    staffing_dispersion: float = param(
        0.33, "log-SD", 0.0, 2.0,
        source=_CV_2012 + ": pupil-teacher ratio CV median 0.315 primary / 0.365 junior, "
               "qualified 0.298 / 0.342, mid-title 0.421 / 0.449; the tier shares alone give "
               "0.03-0.05",
        doc="school-to-school spread of year-0 staffing (a per-school factor on the tier's "
            "initial_staffing share; teacher posts are funded positions)")
    # ---- the county's capital budget and projects ----------------------------------------
    capital_budget_per_pupil: float = param(
        400.0, "yuan per pupil of the county per year", 0.0, 1e5,
        source="sxx.gov.cn (a county's allocations of one January-March, year not shown: "
               "校舍安全保障长效机制补助 22.601 m + 义务教育薄弱环节改善与能力提升补助 25.02 m "
               "yuan for 132,305 pupils "
               "≈ 360 yuan per pupil, derived); assumption 400 (sensitivity 200-800)",
        doc="the county's yearly capital budget: pays the per-pupil stock formula "
            "(capital_per_student, scaled down when short) and then building and sports "
            "projects")
    formula_base_share: float = param(
        0.9, "share of the formula money", 0.0, 1.0,
        source="assumption (incremental budgeting, 基数加增长: a school's allocation starts "
               "from what it had; sensitivity 0.5-1)",
        doc="share of the per-pupil formula money that first replaces each school's "
            "unreplaced wear (its base); the rest goes per pupil by capital_per_student")
    project_years: int = param(
        2, "years", 1, 5,
        source="assumption from project notices (cbi360: school buildings started 2022 Q4 "
               "and Q2, in use 2023 Q3 and 2024 Q2; plus design and tender; range 1-3)",
        doc="years from starting a building or sports project to its area in use")
    building_cost_per_m2: float = param(
        2_500.0, "yuan per m²", 1.0, 1e6,
        source="derived from two projects: Bazhou 梁永镇中心小学 2012, 1,100 m² for 1.55 m "
               "yuan (≈ 1,400 yuan/m²); Fuqing 海口中心小学, 20,194 m² for 63 m yuan "
               "(≈ 3,100 yuan/m², with grounds); assumption 2,500 (range 1,400-5,000)",
        doc="cost of school building area in a capital project")
    sports_cost_per_m2: float = param(
        300.0, "yuan per m²", 1.0, 1e6,
        source="assumption (surfaced track and field; range 150-600)",
        doc="cost of sports-ground area in a capital project")
    land_headroom: ByTier = tiered(
        0.0, 0.2, 0.4, "share of the year-0 sports area", 0.0, 10.0,
        source="assumption (a school's site does not grow by itself: urban sites are full, "
               "town and village sites have some room; sensitivity 0-1)",
        doc="how far a school's sports ground may grow beyond its year-0 area")
    project_priority: str = param(
        "shortfall", choices=("shortfall", "pupils"),
        source="assumption (county practice not documented; the 2017 standard ranks schools "
               "by their gaps)",
        doc="capital projects: largest shortfall per pupil first, or money shared in "
            "proportion to pupils among the schools below the standard")


# --------------------------------------------------------------------------------------
# Official evaluation applied to every simulated year
# --------------------------------------------------------------------------------------

@dataclass
class EvaluationConfig:
    """How each simulated year is judged against the official balance standards."""

    quality_threshold: float | None = param(
        None, "difference coefficient", 0.01, 1.0,
        source="MOE 2017 (0.50 primary / 0.45 junior) unless set; doc 001 sets a local "
               "target of 0.30 for junior schools by 2025",
        doc="a county's own stricter CV limit for every 2017 indicator (None: official limits)")
    basic_threshold: float | None = param(
        None, "difference coefficient", 0.01, 1.0,
        source="MOE 2012 (mean CV 0.65 primary / 0.55 junior) unless set",
        doc="a stricter limit for the mean CV of the 2012 test (None: official limits)")


# --------------------------------------------------------------------------------------
# The whole model
# --------------------------------------------------------------------------------------

@dataclass
class SimConfig:
    """Everything the model needs besides the seed."""

    region: RegionConfig = field(default_factory=RegionConfig)
    demography: DemographyConfig = field(default_factory=DemographyConfig)
    enrolment: EnrolmentConfig = field(default_factory=EnrolmentConfig)
    learning: LearningConfig = field(default_factory=LearningConfig)
    school_effects: SchoolEffectConfig = field(default_factory=SchoolEffectConfig)
    teachers: TeacherConfig = field(default_factory=TeacherConfig)
    finance: FinanceConfig = field(default_factory=FinanceConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    #: active policies: {name: {parameter: value}} (see sim.policies; {} = none)
    policies: dict[str, Any] = field(
        default_factory=dict,
        metadata={"unit": "", "lo": None, "hi": None, "choices": None, "policies": True,
                  "source": "see each policy's parameters", "doc": "active policies"})

    # ---- construction -----------------------------------------------------------------
    @classmethod
    def from_overrides(cls, overrides: dict[str, Any] | None = None,
                       validate: bool = True) -> SimConfig:
        """Build the default config and apply ``{"section.field": value}`` overrides.

        ``"__"`` is accepted in place of ``"."`` (``teachers__rural_allowance``), so that
        overrides can be passed as Python keyword arguments (``mesa.batch_run``,
        ``SolaraViz``). Tier values are addressed as ``teachers.attrition.rural``. The
        result is validated (:meth:`validate`) unless ``validate`` is false.
        """
        cfg = cls()
        for key, value in (overrides or {}).items():
            cfg.set(key, value)
        if validate:
            cfg.validate()
        return cfg

    @classmethod
    def from_dict(cls, data: dict[str, Any], validate: bool = True) -> SimConfig:
        """Build from a nested dict (e.g. a Hydra/OmegaConf container); validated unless
        ``validate`` is false (unknown field names raise ConfigError either way)."""
        flat: dict[str, Any] = {}

        def walk(prefix: str, node: Any, target: Any) -> None:
            for k, v in node.items():
                path = f"{prefix}{k}"
                sub = getattr(target, k, None) if target is not None else None
                if isinstance(v, dict) and dataclasses.is_dataclass(sub):
                    walk(path + ".", v, sub)
                else:
                    flat[path] = v

        walk("", data, cls())
        return cls.from_overrides(flat, validate=validate)

    def set(self, key: str, value: Any) -> None:
        """Set one parameter by its dotted name; unknown names raise ConfigError."""
        parts = key.replace("__", ".").split(".")
        if parts[0] == "policies":
            self._set_policy(parts[1:], value)
            return
        node: Any = self
        for i, part in enumerate(parts[:-1]):
            if not dataclasses.is_dataclass(node) or not hasattr(node, part):
                raise ConfigError(f"unknown config field '{'.'.join(parts[:i + 1])}'"
                                  f" (known: {field_names(node)})")
            node = getattr(node, part)
        last = parts[-1]
        if dataclasses.is_dataclass(node):
            if last not in {f.name for f in dataclasses.fields(node)}:
                raise ConfigError(f"unknown config field '{'.'.join(parts)}'"
                                  f" (known: {field_names(node)})")
            current = getattr(node, last)
            if dataclasses.is_dataclass(current) and isinstance(value, dict):
                for k, v in value.items():
                    self.set(f"{'.'.join(parts)}.{k}", v)
                return
            setattr(node, last, value)
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise ConfigError(f"unknown config field '{'.'.join(parts)}'")

    def _set_policy(self, parts: list[str], value: Any) -> None:
        """``policies`` = {...}; ``policies.NAME`` = {params} (or None to switch it off);
        ``policies.NAME.PARAM`` = value (switches NAME on)."""
        if not parts:
            if not isinstance(value, dict):
                raise ConfigError(f"policies: expected a mapping of policy names, got {value!r}")
            for name, params in value.items():
                if params is not None and not isinstance(params, dict):
                    raise ConfigError(f"policies.{name}: expected a mapping of parameters "
                                      f"(e.g. policies.{name}.PARAM=VALUE), got {params!r}")
            self.policies = {k: dict(v or {}) for k, v in value.items()}
        elif len(parts) == 1:
            if value is None:
                self.policies.pop(parts[0], None)
            elif isinstance(value, dict):
                self.policies[parts[0]] = dict(value)
            else:
                raise ConfigError(f"policies.{parts[0]}: expected a mapping of parameters "
                                  f"(e.g. policies.{parts[0]}.PARAM=VALUE), got {value!r}")
        else:
            self.policies.setdefault(parts[0], {})[".".join(parts[1:])] = value

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    # ---- validation -------------------------------------------------------------------
    def validate(self) -> SimConfig:
        """Check every value's type and range; raise one ConfigError listing all problems.

        The ``policies`` block is checked for its shape only (a mapping of policy names to
        mappings of parameters): each policy checks its own parameters when it is built
        (:func:`sim.policies.build_policies`, called once by the model, which reports both
        kinds of problem in one error)."""
        problems = self.problems()
        if problems:
            raise ConfigError.from_problems(problems)
        return self

    def problems(self) -> list[str]:
        """Every problem of this configuration's own fields, one message each (empty: valid)."""
        problems: list[str] = []
        validate_node(self, "", problems)
        if not isinstance(self.policies, dict):
            problems.append(f"policies: expected a mapping of policy names, got {self.policies!r}")
        else:
            for name, params in self.policies.items():
                if params is not None and not isinstance(params, dict):
                    problems.append(f"policies.{name}: expected a mapping of parameters, "
                                    f"got {params!r}")
        shares = self.region.student_share.as_tuple()
        if sum(shares) <= 0:
            problems.append("region.student_share: the three tier shares must not all be 0")
        if sum(self.region.school_share.as_tuple()) <= 0:
            problems.append("region.school_share: the three tier shares must not all be 0")
        f = self.finance
        spent = f.equipment_share + f.multimedia_share + f.computer_share + f.book_share
        if abs(spent - 1.0) > 1e-6:
            problems.append(f"finance: equipment_share + multimedia_share + computer_share + "
                            f"book_share = {spent:.3f} must be 1")
        for name in ("hire_qualification", "initial_qualification"):
            for tier in TIERS:
                shares = getattr(self.teachers, name).get(tier)
                if shares is None or len(shares) != 4 or abs(sum(shares) - 1) > 1e-6:
                    problems.append(f"teachers.{name}.{tier}: must be 4 shares summing to 1 "
                                    f"(got {shares})")
        for tier in TIERS:
            ratios = self.finance.initial_stock.get(tier)
            if ratios is None or len(ratios) != 4:
                problems.append(f"finance.initial_stock.{tier}: must be 4 ratios (got {ratios})")
        return problems


def parameter_table(cfg: Any = None, prefix: str = ""):
    """Every parameter of a config dataclass (default: ``SimConfig()``) as a pandas
    DataFrame: name, value, unit, range, source, meaning."""
    import pandas as pd

    cfg = cfg if cfg is not None else SimConfig()
    rows: list[dict[str, Any]] = []

    def walk(node: Any, prefix: str) -> None:
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if dataclasses.is_dataclass(value) and not isinstance(value, ByTier):
                walk(value, f"{prefix}{f.name}.")
                continue
            meta = f.metadata
            if meta.get("policies"):
                continue  # each policy documents its own parameters
            if isinstance(value, ByTier):
                value = dataclasses.asdict(value)
            rows.append({
                "parameter": f"{prefix}{f.name}", "value": value, "unit": meta.get("unit", ""),
                "range": range_text(meta) if meta else "", "source": meta.get("source", ""),
                "meaning": meta.get("doc", ""),
            })

    walk(cfg, prefix)
    return pd.DataFrame(rows)
