"""Teachers: careers, skills, titles and specialists (:class:`TeacherConfig`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.priors import PLUS_MINUS_50, uniform
from sim.schema import ByTier, param, tiered

#: the prior of a rate with no range in its source: ±50% around the default

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
        doc="quota floor for small schools: posts per class",
        prior=PLUS_MINUS_50)
    core_per_class_primary: float = param(
        1.5, "core teachers per class", 0.5, 10.0,
        source="assumption (about 26 weekly lessons per primary class, of which ~20 core, at "
               "~14 lessons per teacher)",
        doc="core teachers a primary class needs; fewer means part of its lessons are "
            "taught by substitutes (learning.vacancy_effect)",
        prior=uniform(0.8, 1.2, "assumption: ±20% (lessons per class and per teacher vary)",
                      relative=True))
    core_per_class_junior: float = param(
        2.2, "core teachers per class", 0.5, 10.0,
        source="assumption (about 34 weekly lessons per junior class, of which ~28 core, at "
               "~13 lessons per teacher)",
        prior=uniform(0.8, 1.2, "assumption: ±20% (lessons per class and per teacher vary)",
                      relative=True))
    initial_staffing: ByTier = tiered(
        0.98, 0.95, 0.90, "staff / quota", 0.1, 2.0,
        doc="initial teachers as a share of the quota",
        prior=uniform(0.9, 1.1, "assumption: ±10% around the default (staff near the quota)",
                      relative=True))
    skill_sd: float = param(
        0.13, "student SD per year", 0.0, 1.0,
        source="Hanushek & Rivkin 2010 (SD of teacher value added 0.11 reading - 0.15 math)",
        doc="SD of teachers' effectiveness",
        prior=uniform(0.11, 0.15, "the cited interval 0.11 (reading) to 0.15 (math)"))
    skill_mean: ByTier = tiered(
        0.0, -0.005, -0.01, "student SD per year", -1.0, 1.0,
        source="assumption (stronger teachers sort into urban schools; Goldhaber et al. 2023 "
               "document teacher-quality gaps between advantaged and disadvantaged schools); "
               "the tier gap tuned with the school effects so that the default county's "
               "urban-rural gap is near 0.37-0.41 SD (CEPS 2013/14, Zhao et al. 2017; "
               "formerly 0.04/0.0/-0.05, which gave 0.65-0.80 SD)",
        doc="mean effectiveness of the initial teachers in each tier",
        prior=uniform(0.5, 1.5, "assumption: ±50% around the tuned tier gap", relative=True))
    hire_skill_mean: ByTier = tiered(
        0.0, -0.005, -0.01, "student SD per year", -1.0, 1.0,
        source="assumption (new hires like the tier's initial teachers; with unified county "
               "recruitment exams most of the tier difference of hires comes from their "
               "qualification mix, hire_qualification); tuned with skill_mean (formerly "
               "0.02/-0.01/-0.05)",
        doc="mean effectiveness of new hires by tier (before the qualification step)",
        prior=uniform(0.5, 1.5, "assumption: ±50% around the tuned tier gap", relative=True))
    qualification_skill: float = param(
        0.02, "student SD per year per qualification level", -0.5, 0.5,
        doc="effectiveness difference per qualification level (weak in the evidence)",
        prior=uniform(0.0, 0.04, "weak in the evidence: from none to twice the default"))
    novice_penalty: float = param(
        0.08, "student SD per year", 0.0, 1.0,
        source="assumption (first-year teachers are 0.06-0.10 SD less effective; returns "
               "to experience plateau after ~5 years, Rockoff 2004)",
        doc="effectiveness gap of a teacher with no experience",
        prior=uniform(0.06, 0.10, "the cited interval 0.06-0.10 SD (Rockoff 2004)"))
    experience_tau: float = param(
        2.0, "years", 0.1, 20.0,
        doc="time constant of the experience gain (plateau)",
        prior=PLUS_MINUS_50)
    training_hours: ByTier = tiered(
        72.0, 60.0, 45.0, "hours per year", 0.0, 500.0,
        source="MOE 2017 (教督〔2017〕6号): 360 hours per 5 years; rural shortfall assumption",
        doc="training actually received per teacher per year")
    training_effect: float = param(
        0.0, "student SD per 72 hours", 0.0, 0.2,
        source="Loyalka, Popova, Li & Shi 2019 (AEJ: Applied 11(3)): a randomised evaluation of "
               "China's national teacher training programme found no effect on pupils' "
               "achievement; sensitivity range 0-0.003 (0.003: the former assumption)",
        doc="effectiveness gain of a novice from one year of training at the official norm",
        prior=uniform(0.0, 0.003, "from the null result (Loyalka et al. 2019) to the former "
                      "assumption 0.003"))
    training_tau: float = param(
        5.0, "years of experience", 0.5, 40.0,
        source="assumption (diminishing returns: returns to experience and on-the-job "
               "learning flatten after the first years, Rockoff 2004; range 2-10)",
        doc="the training gain falls by exp(-experience / training_tau): a teacher's "
            "lifetime gain is bounded",
        prior=uniform(2.0, 10.0, "the source's range 2-10 years"))
    retirement_age: int = param(60, "years", 45, 70,
                                source="statutory retirement age (men 60; simplified)")
    attrition: ByTier = tiered(
        0.03, 0.05, 0.08, "share per year", 0.0, 0.5,
        source="assumption (doc 002 calls 5% rural attrition a historic low after incentives)",
        doc="yearly probability of leaving the county's schools (excl. retirement), before pay",
        prior={
            "urban": uniform(0.015, 0.045, "assumption: ±50% around the default"),
            "town": uniform(0.025, 0.075, "assumption: ±50% around the default"),
            "rural": uniform(0.04, 0.12, "assumption: ±50% around the default 0.08; "
                             "doc 002 calls 5% a historic low"),
        })
    pay_semi_elasticity: float = param(
        2.0, "per unit of allowance / salary", 0.0, 20.0,
        doc="attrition and transfer requests fall by exp(-elasticity × allowance share)",
        prior=uniform(1.0, 4.0, "assumption: half to twice the default 2.0"))
    rural_allowance: float = param(
        0.10, "share of base salary", 0.0, 2.0,
        source="assumption (rural teacher living allowances of 200-1000 yuan/month)",
        doc="extra pay for teachers in rural schools",
        prior=uniform(0.03, 0.15, "200-1000 yuan/month on the 80,000 yuan base salary"))
    transfer_request: ByTier = tiered(
        0.0, 0.04, 0.08, "share per year", 0.0, 1.0,
        source="assumption (doc 002: urban pull on rural teachers)",
        doc="yearly probability that a teacher asks to move to a higher-tier school",
        prior={
            "town": uniform(0.02, 0.06, "assumption: ±50% around the default"),
            "rural": uniform(0.04, 0.12, "assumption: ±50% around the default 0.08"),
        })
    transfer_skill_slope: float = param(
        2.0, "log-odds per student SD of effectiveness", 0.0, 20.0,
        doc="more effective teachers are more likely to move up",
        prior=uniform(1.0, 4.0, "assumption: half to twice the default 2.0 log-odds per SD"))
    min_years_before_transfer: int = param(
        3, "years", 0, 20,
        doc="years at a school before a transfer request",
        prior=uniform(1, 5, "assumption: ±2 years around the default"))
    hire_fill: ByTier = tiered(
        1.0, 0.9, 0.75, "share of vacancies filled per year", 0.0, 1.0,
        doc="rural schools struggle to recruit",
        prior={
            "town": uniform(0.8, 1.0, "assumption: from twice the shortfall to none"),
            "rural": uniform(0.5, 1.0, "assumption: from twice the shortfall to none"),
        })
    hire_qualification: dict[str, list[float]] = field(
        default_factory=lambda: {
            "urban": [0.0, 0.05, 0.75, 0.20],
            "town": [0.02, 0.20, 0.73, 0.05],
            "rural": [0.05, 0.35, 0.58, 0.02],
        },
        metadata={"unit": "shares of [secondary, 专科, 本科, 硕士+]", "lo": 0.0, "hi": 1.0,
                  "source": "assumption (doc 002: rural teachers with a bachelor degree 60%)",
                  "doc": "qualification mix of new hires by tier", "choices": None,
                  "no_prior": "a mix of shares by tier, not one number (see qualification_skill)"})
    initial_qualification: dict[str, list[float]] = field(
        default_factory=lambda: {
            "urban": [0.02, 0.15, 0.70, 0.13],
            "town": [0.05, 0.30, 0.62, 0.03],
            "rural": [0.10, 0.35, 0.54, 0.01],
        },
        metadata={"unit": "shares of [secondary, 专科, 本科, 硕士+]", "lo": 0.0, "hi": 1.0,
                  "source": "assumption (doc 002: rural bachelor share 60% before policy)",
                  "doc": "qualification mix of the initial teachers by tier", "choices": None,
                  "no_prior": "a mix of shares by tier, not one number (see qualification_skill)"})
    upgrade_rate: float = param(
        0.03, "share per year", 0.0, 1.0,
        doc="below-bachelor teachers gaining the next degree in service",
        prior=PLUS_MINUS_50)
    pe_arts_share: ByTier = tiered(
        0.19, 0.12, 0.07, "share of teachers", 0.0, 1.0,
        source="doc 004 urban school: 24 PE/arts of 136 teachers (0.18); rural shortfall assumption",
        doc="initial share of PE and arts specialists")
    specialist_fill: ByTier = tiered(
        0.9, 0.6, 0.3, "probability", 0.0, 1.0,
        doc="chance that a school short of PE/arts teachers hires one",
        prior={
            "urban": uniform(0.8, 1.0, "assumption: ±0.1 around the default (below 1)"),
            "town": uniform(0.3, 0.9, "assumption: ±50% around the default"),
            "rural": uniform(0.15, 0.45, "assumption: ±50% around the default"),
        })
    specialist_extra_posts: float = param(
        0.0, "share of shortfall per year", 0.0, 1.0,
        source="assumption: counties reaching the 2017 standard recruited PE/arts (音体美) "
               "teachers in dedicated drives; no sourced rate, so 0 (off, today's rule) and 1 "
               "(the whole shortfall each year) bracket it",
        doc="extra PE/arts posts above the staffing quota each year for a school below the "
            "2017 standard of 0.9 per 100 pupils: this share of its shortfall (rounded up), "
            "each filled with the tier's specialist_fill; the quota is raised by the posts "
            "filled (0 = off)",
        prior=uniform(0.0, 1.0, "the source's bracket: 0 (off, today's rule) to 1"))
    specialist_margin: float = param(
        0.0, "share of the standard", 0.0, 1.0,
        source="assumption (a county recruiting for the 2017 standard plans above it, because "
               "specialists leave, transfer and rotate before the inspection; 0 = exactly the "
               "standard, 0.1-0.3 plausible)",
        doc="with specialist_extra_posts > 0, the extra posts aim at (1 + this) × 0.9 PE/arts "
            "teachers per 100 pupils",
        prior=uniform(0.0, 0.3, "0 = the standard; the source's 0.1-0.3 plausible"))
    backbone_target: float = param(
        0.153, "share of teachers", 0.0, 1.0,
        source="tuned so that the default county's primary supply is near 0.89 backbone "
               "teachers per 100 primary pupils (《鸠江区2023年义务教育基本均衡发展状况监测结果》: "
               "0.887611); doc 004 urban school: 30 of 136 = 22% (an upper end)",
        doc="county titles at each review: this share of all teachers (骨干, county level+)")
    backbone_min_experience: int = param(
        5, "years", 0, 40,
        source="assumption (county rules ask for several years of service; 3-8 plausible)",
        doc="years of experience needed to be designated",
        prior=uniform(3, 8, "the source's 3-8 plausible"))
    initial_backbone: ByTier = tiered(
        0.24, 0.10, 0.03, "share of teachers", 0.0, 1.0,
        source="assumption (doc 004 urban school: 22%; inherited concentration in urban "
               "schools)",
        doc="year 0 of the synthetic county: the inherited backbone share by tier, as relative "
            "weights (the year-0 quotas share the county's backbone_target titles by staff × "
            "this weight; the quota rule applies from the first review)",
        prior={  # weights: only town and rural relative to urban matter
            "town": uniform(0.05, 0.15, "assumption: ±50% around the default"),
            "rural": uniform(0.015, 0.045, "assumption: ±50% around the default"),
        })
    backbone_school_floor: int = param(
        1, "titles per school section", 0, 5,
        source="assumption (counties give every school at least one place; sensitivity 0-2)",
        doc="quota floor of every school section with at least backbone_floor_min_staff "
            "teachers",
        prior=uniform(0, 2, "the source's sensitivity 0-2"))
    backbone_floor_min_staff: int = param(
        5, "teachers", 0, 100,
        source="assumption (a village school of a few classes has too few teachers to field a "
               "candidate; sensitivity 1-10)",
        doc="school sections with fewer teachers get no floor (only their proportional share)",
        prior=uniform(1, 10, "the source's sensitivity 1-10"))
    backbone_equalise: float = param(
        0.0, "weight", 0.0, 1.0,
        source="assumption (county strategy and policy lever: 0 = quotas in proportion to "
               "staff, as counties commonly distribute places; 1 = each school first gets "
               "the titles it needs for the 2017 standard of 1 per 100 pupils, 教督〔2017〕6号)",
        doc="how far the county steers quotas toward the 2017 standard (0 staff rule, 1 "
            "standard first; in between a blend)",
        no_prior="the lever's intensity, chosen by the user")
    backbone_review_years: int = param(
        3, "years", 1, 20,
        source="assumption (weak support: 3-year municipal 名师 cohorts, 滨教函〔2020〕11号; "
               "sensitivity 2-5)",
        doc="titles are reviewed (quotas re-set, holders re-selected, others revoked) in "
            "years that are multiples of this",
        prior=uniform(2, 5, "the source's sensitivity 2-5"))
    backbone_incumbency_bonus: float = param(
        0.05, "student SD per year", 0.0, 1.0,
        source="assumption (holders keep titles unless clearly outperformed; 0.05 ≈ 0.4 SD of "
               "teacher effectiveness; sensitivity 0-0.13)",
        doc="bonus of a current holder in the designation score at a review",
        prior=uniform(0.0, 0.13, "the source's sensitivity 0-0.13"))
    backbone_counts_at: str = param(
        "teaching", choices=("teaching", "post"),
        source="assumption (no document at hand says whether a rotated teacher counts at the "
               "host or the post school; 'teaching' keeps the model's official table as "
               "before: teachers count where they teach)",
        doc="where a rotated backbone teacher counts in the official indicator: the school "
            "where they teach or the school holding their post (编制); the quota places are "
            "the post school's either way")
    promotion_mid: ByTier = tiered(
        0.15, 0.12, 0.08, "probability per year", 0.0, 1.0,
        doc="junior → intermediate title after 5 years",
        prior=PLUS_MINUS_50)
    promotion_senior: ByTier = tiered(
        0.06, 0.04, 0.03, "probability per year", 0.0, 1.0,
        doc="intermediate → senior title after 12 years",
        prior=PLUS_MINUS_50)
    base_salary: float = param(
        80_000.0, "yuan per year", 1_000.0, 1e6,
        source="assumption (compulsory-school teachers' pay is tied to local civil servants', "
               "MOE 2017); range: assumption (allowances and supplements are shares of it, "
               "so it must be positive; 1,000 yuan is far below any county's pay)",
        doc="average teacher salary before allowances (used for costs)",
        prior=PLUS_MINUS_50)
