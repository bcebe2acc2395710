"""Pupils: where they enrol (:class:`EnrolmentConfig`), how they learn
(:class:`LearningConfig`) and the schools' own effects (:class:`SchoolEffectConfig`)."""

from __future__ import annotations

from dataclasses import dataclass

from sim.priors import PLUS_MINUS_50, uniform
from sim.schema import ByTier, param, tiered


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
        doc="initial seats per pupil: urban schools start near full, village schools half empty",
        no_prior="set by the user (the county's existing seats)")
    choice_rate: float = param(
        0.05, "share of entrants", 0.0, 1.0,
        source="assumption (doc 001: 择校风; strict catchment would be 0)",
        doc="base probability that a family at an entry grade (1 or 7) seeks another school",
        prior=uniform(0.01, 0.15,
                      "sensitivity range: nearly strict catchments to three times the default"))
    choice_ses_slope: float = param(
        0.8, "log-odds per SD of SES", 0.0, 5.0,
        source="assumption (doc 001: richer families choose more)",
        doc="how much more likely richer families are to choose",
        prior=uniform(0.4, 1.6, "sensitivity range: half to twice the default 0.8"))
    choice_distance_cost: float = param(
        0.03, "achievement SD per km", 0.0, 1.0,
        doc="utility cost of distance when families compare schools",
        prior=PLUS_MINUS_50)
    choice_max_km: float = param(30.0, "km", 0.0, 500.0,
                                 doc="families do not consider schools farther than this",
                                 prior=PLUS_MINUS_50)
    expand_capacity: bool = param(
        False, source="assumption (off by default: whether a county builds is a policy choice)",
        doc="when on, a school whose entry demand exceeds its seats gains classrooms "
            "(up to the school-size limit), paid by the county")
    expansion_cost_per_seat: float = param(
        25_000.0, "yuan per seat", 0.0, 1e6,
        doc="capital cost of one extra seat (≈ 5 m² at 5,000 yuan/m²)",
        no_prior="a cost: moves the policy's cost, not its effect")
    reputation_memory: float = param(
        0.5, "weight on last year's reputation", 0.0, 0.95,
        source="assumption (families update their view of a school within one or two years; "
               "range 0-0.8)",
        doc="perceived quality = memory × last year's + (1 − memory) × this year's signal "
            "(sim/processes/families.py)",
        prior=uniform(0.0, 0.8, "the source's range 0-0.8"))
    reputation_teacher_years: float = param(
        3.0, "years", 0.0, 20.0,
        source="assumption (families judge a school by its teachers as well as its results; "
               "range 0-6)",
        doc="the visible signal adds this many years of the school's mean teacher "
            "effectiveness above the county's",
        prior=uniform(0.0, 6.0, "the source's range 0-6"))
    district_move_rate: float = param(
        0.02, "share of grade-1 families per year", 0.0, 0.5,
        source="assumption (学区房: buying a home in a better catchment before school entry; "
               "range 0-0.1)",
        doc="base probability that a family of a grade-1 entrant considers moving to a "
            "better catchment (0: no school-district moves)",
        prior=uniform(0.0, 0.10, "sensitivity range: from none to five times the default 0.02"))
    district_move_ses_slope: float = param(
        1.0, "log-odds per SD of SES", 0.0, 5.0,
        source="assumption (richer families buy school-district homes more often and feel "
               "the price less; range 0-2)",
        doc="SES slope of considering a move; the premium's weight falls by exp(−slope × SES)",
        prior=uniform(0.0, 2.0, "the source's range 0-2"))
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
        doc="how heavily the premium weighs against the quality gain",
        prior=uniform(0.5, 5.0, "the source's range 0.5-5"))
    district_home_price: float = param(
        600_000.0, "yuan", 0.0, 1e8,
        source="assumption (a 100 m² county-town flat at about 6,000 yuan/m²; range "
               "300,000-1,500,000)",
        doc="price of the home a moving family buys (for the premium paid, a household cost)",
        no_prior="a cost: moves the households' outlay, not the effect")
    merge_below: int = param(
        0, "pupils", 0, 1000,
        source="assumption (off by default: school closures 撤点并校 are contested)",
        doc="a school with fewer pupils than this merges into the nearest school of its level "
            "(0 = never)",
        no_prior="a switch of the design (0 = never), not an uncertain quantity")


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
        doc="share of last year's achievement carried forward",
        prior=uniform(0.60, 0.85,
                      "sensitivity range: value-added coefficients 0.6-0.8 plus a margin"))
    teacher_effect_weight: float = param(
        1.0, "multiplier", 0.0, 5.0,
        source="Hanushek & Rivkin 2010 (teacher VA SD 0.11-0.15 student SD per year) via "
               "TeacherConfig.skill_sd",
        doc="multiplies the class teachers' mean effectiveness (student SD per year)",
        prior=uniform(0.5, 1.5, "sensitivity range: ±50% (how much teacher value added is real)"))
    vacancy_effect: float = param(
        -0.13, "student SD per year", -1.0, 0.0,
        source="Wang et al., REAP WP 328 (contract vs regular teachers in rural China: -0.13 SD)",
        doc="effect of a class with no regular core teacher (taught by substitutes)",
        prior=uniform(-0.20, -0.06,
                      "sensitivity range: about ±50% around the REAP estimate -0.13"))
    resource_effect: float = param(
        0.05, "student SD per year per unit of the resource index", 0.0, 1.0,
        source="assumption, direction from Jackson, Johnson & Persico 2016 (+10% spending "
               "for 12 years: +0.31 years of schooling)",
        doc="effect of school facilities (mean ratio of the 4 facility indicators to their "
            "standards, capped at resource_cap)",
        prior=uniform(0.0, 0.10,
                      "sensitivity range: from none to twice the default (direction cited)"))
    resource_cap: float = param(1.5, "ratio to standard", 1.0, 5.0,
                                doc="facility ratios above this add nothing",
                                prior=uniform(1.0, 2.0, "assumption: from no gain above the "
                                                        "standard to twice the standard"))
    peer_effect: float = param(
        0.03, "student SD per SD of schoolmates' mean", 0.0, 0.5,
        source="Gibbons & Telhaj (school-level peer effect +0.03 SD per 1 SD)",
        doc="effect of schoolmates' mean prior achievement",
        prior=uniform(0.0, 0.06, "sensitivity range: from none to twice Gibbons & Telhaj's 0.03"))
    ses_effect: float = param(
        0.05, "student SD per year per SD of SES", 0.0, 1.0,
        doc="yearly family contribution to growth",
        prior=uniform(0.025, 0.10, "sensitivity range: half to twice the default 0.05"))
    left_behind_effect: float = param(
        -0.018, "student SD per year", -1.0, 1.0,
        source="tuned with entry_left_behind to the within-school gap of left-behind pupils in "
               "CEPS 2013/14, 0.05-0.10 SD (IJERPH 2020 17(18):6770, Table 7; docs/"
               "calibration.md §0); former assumption -0.03",
        doc="yearly effect of being left behind")
    entry_ses_gradient: float = param(
        0.35, "student SD per SD of SES", 0.0, 2.0,
        source="assumption (PISA-like SES gradients of 0.3-0.4 SD per SD)",
        doc="school-readiness gap at grade 1 per SD of family SES",
        prior=uniform(0.30, 0.40, "the source's range: PISA-like gradients of 0.3-0.4 SD per SD"))
    entry_left_behind: float = param(
        -0.06, "student SD", -2.0, 1.0,
        source="tuned with left_behind_effect (see there); former assumption -0.10",
        doc="school-readiness gap of left-behind children")
    noise_sd: float = param(
        0.58, "student SD", 0.0, 3.0,
        doc="idiosyncratic yearly shock; with persistence 0.8 keeps each grade's SD near 1 "
            "(var = 1 - persistence² minus the systematic part)",
        no_prior="sets the score scale (each grade's SD near 1): a numerical setting")


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
        doc="SD of the persistent school effect (leadership, culture, practice)",
        prior=uniform(0.10, 0.20, "sensitivity range: tuned to the between-school share"))
    persistence: float = param(
        0.9, "autocorrelation per year", 0.0, 0.999,
        source="assumption (leadership changes slowly: principals rotate after two terms at "
               "one school, MOE/MOF/MOHRSS 2014 rotation opinion; half-life ≈ 6.6 years; "
               "sensitivity range 0.8-0.97)",
        doc="yearly autocorrelation of the persistent school effect",
        prior=uniform(0.8, 0.97, "the source's sensitivity range 0.8-0.97"))
    transient_sd: float = param(
        0.15, "student SD per year", 0.0, 0.5,
        source="assumption (the 中考 value-added study finds school value added correlates "
               "very weakly across years, sometimes negatively; 0.15 keeps the default "
               "county's year-to-year correlation of grade-9 school value added near 0.4; "
               "sensitivity range 0.08-0.25)",
        doc="SD of the school's yearly shock, drawn afresh each year",
        prior=uniform(0.08, 0.25, "the source's sensitivity range 0.08-0.25"))
    key_share: ByTier = tiered(
        0.2, 0.05, 0.0, "share of schools", 0.0, 1.0,
        source="assumption (a county seat typically has one or two 名校 per level, towns "
               "rarely, villages none; no county count found; sensitivity range urban "
               "0.1-0.3)",
        doc="share of each tier's schools that are key schools (重点/名校)",
        prior=uniform(0.5, 1.5, "the source's sensitivity range urban 0.1-0.3 (tiers together)",
                      relative=True))
    key_effect: float = param(
        0.05, "student SD per year", 0.0, 0.5,
        source=_SE_TUNED + "; sensitivity range 0-0.1",
        doc="mean school effect of a key school (leadership, reputation, extra resources)",
        prior=uniform(0.0, 0.10, "sensitivity range: from none to twice the default 0.05"))
    key_teacher_skill: float = param(
        0.03, "student SD per year", 0.0, 0.5,
        source="assumption (key schools recruit the best graduates and experienced teachers "
               "from other schools; about a quarter of a teacher SD (0.13); sensitivity "
               "range 0-0.06)",
        doc="effectiveness added to the teachers of a key school, at year 0 and when hired",
        prior=uniform(0.0, 0.06, "the source's sensitivity range 0-0.06"))
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
            "is allowed)",
        prior=uniform(0.0, 0.6, "the source's sensitivity range 0-0.6"))
