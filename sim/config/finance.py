"""School finance and facilities (:class:`FinanceConfig`) and the official evaluation
settings (:class:`EvaluationConfig`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.priors import PLUS_MINUS_50, loguniform, uniform
from sim.schema import ByTier, param, tiered

#: source of the 2012 county CVs that the year-0 dispersions of FinanceConfig are tuned to
_CV_2012 = ("2012 county CVs at national recognition (renrendoc 214415052, Chongqing "
            "table 2; book118 2015/0816/23463879, Anhui; wenke99 p-504402, Jilin)")

#: the prior of a rate or unit price with no range in its source: ±50% around the default

@dataclass
class FinanceConfig:
    """School budgets and the stocks behind the official indicators."""

    # the lower bound: the benchmark is what the resource-equity measures divide a school's
    # funds by, so it must be positive (a county without funds: funds_ratio 0)
    per_student_funds_primary: float = param(
        650.0, "yuan per pupil per year", 1.0, 1e5,
        source="State Council 2015 No. 67 (unified per-pupil public-funds benchmark: primary "
               "650); range: assumption (positive: the resource-equity measures divide by it)")
    per_student_funds_junior: float = param(
        850.0, "yuan per pupil per year", 1.0, 1e5,
        source="same benchmark: junior 850; range: assumption (positive, as for primary)")
    funds_ratio: ByTier = tiered(
        1.0, 0.95, 0.85, "share of the benchmark", 0.0, 5.0,
        source="assumption (doc 002: rural funds raised to ≥ 90% of urban only by policy)",
        doc="funds actually reaching schools of each tier",
        prior={
            "town": uniform(0.9, 1.0, "assumption: from twice the shortfall to none"),
            "rural": uniform(0.7, 1.0, "assumption: from twice the shortfall to none"),
        })
    small_school_floor: int = param(
        100, "pupils", 0, 1000,
        source="MOF/MOE 2015 (schools and teaching points under 100 pupils funded as 100)")
    stock_share: float = param(
        0.25, "share of operating funds", 0.0, 1.0,
        doc="share of the per-pupil operating funds available for the upkeep of equipment, "
            "multimedia rooms, computers and books (replacing their wear, never adding stock)",
        prior=PLUS_MINUS_50)
    capital_per_student: ByTier = tiered(
        350.0, 300.0, 220.0, "yuan per pupil per year", 0.0, 1e5,
        source="assumption (county capital programmes; chosen so that urban stocks stay near "
               "the doc-004 school's values)",
        doc="what the per-pupil stock formula asks per pupil (paid from "
            "capital_budget_per_pupil, scaled down when short)",
        prior=PLUS_MINUS_50)
    equipment_share: float = param(
        0.52, "share of stock spending", 0.0, 1.0,
        no_prior="a split of one budget (the four shares sum to 1), not varied alone")
    multimedia_share: float = param(
        0.25, "share of stock spending", 0.0, 1.0,
        no_prior="a split of one budget (the four shares sum to 1), not varied alone")
    computer_share: float = param(
        0.16, "share of stock spending", 0.0, 1.0,
        no_prior="a split of one budget (the four shares sum to 1), not varied alone")
    book_share: float = param(
        0.07, "share of stock spending", 0.0, 1.0,
        no_prior="a split of one budget (the four shares sum to 1), not varied alone")
    equipment_depreciation: float = param(
        0.10, "share per year", 0.0, 1.0,
        doc="10-year useful life",
        prior=PLUS_MINUS_50)
    multimedia_depreciation: float = param(
        0.125, "share per year", 0.0, 1.0,
        doc="8-year useful life",
        prior=PLUS_MINUS_50)
    computer_depreciation: float = param(
        0.167, "share per year", 0.0, 1.0,
        doc="6-year useful life",
        prior=PLUS_MINUS_50)
    book_depreciation: float = param(
        0.04, "share per year", 0.0, 1.0,
        prior=PLUS_MINUS_50)
    multimedia_room_cost: float = param(
        40_000.0, "yuan per room", 1.0, 1e7,
        prior=PLUS_MINUS_50)
    computer_cost: float = param(
        4_000.0, "yuan per computer", 1.0, 1e6,
        prior=PLUS_MINUS_50)
    book_cost: float = param(
        30.0, "yuan per book", 0.1, 1e4,
        prior=PLUS_MINUS_50)
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
            "tiers scale with their equipment ratio",
        prior=PLUS_MINUS_50)
    books_per_student: float = param(
        30.0, "books per pupil", 0.0, 500.0,
        source="assumption (near the library regulations' 25 primary / 35 junior)",
        doc="urban primary reference level (junior ×1.3); other tiers scale with equipment",
        prior=uniform(25.0, 35.0, "the library regulations' 25 primary / 35 junior"))
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
        doc="school-to-school spread of year-0 multimedia rooms within a tier",
        prior=uniform(0.1, 0.5, "the source's sensitivity 0.1-0.5"))
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
        doc="year-0 books per pupil of each tier relative to books_per_student",
        prior={
            "town": uniform(0.9, 1.0, "assumption: from twice the shortfall to none"),
            "rural": uniform(0.7, 1.0, "the source's sensitivity 0.7-1.0 rural"),
        })
    stock_wealth_correlation: float = param(
        0.5, "share of log-variance", 0.0, 1.0,
        source="assumption (a school-level wealth factor shared by all its stocks: schools "
               "rich in one facility tend to be rich in the others; sensitivity 0-0.8)",
        doc="share of each stock's year-0 log-variance from the school's common factor",
        prior=uniform(0.0, 0.8, "the source's sensitivity 0-0.8"))
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
            "unreplaced wear (its base); the rest goes per pupil by capital_per_student",
        prior=uniform(0.5, 1.0, "the source's sensitivity 0.5-1"))
    project_years: int = param(
        2, "years", 1, 5,
        source="assumption from project notices (cbi360: school buildings started 2022 Q4 "
               "and Q2, in use 2023 Q3 and 2024 Q2; plus design and tender; range 1-3)",
        doc="years from starting a building or sports project to its area in use",
        prior=uniform(1, 3, "the source's range 1-3 years"))
    building_cost_per_m2: float = param(
        2_500.0, "yuan per m²", 1.0, 1e6,
        source="derived from two projects: Bazhou 梁永镇中心小学 2012, 1,100 m² for 1.55 m "
               "yuan (≈ 1,400 yuan/m²); Fuqing 海口中心小学, 20,194 m² for 63 m yuan "
               "(≈ 3,100 yuan/m², with grounds); assumption 2,500 (range 1,400-5,000)",
        doc="cost of school building area in a capital project")
    sports_cost_per_m2: float = param(
        300.0, "yuan per m²", 1.0, 1e6,
        source="assumption (surfaced track and field; range 150-600)",
        doc="cost of sports-ground area in a capital project",
        prior=loguniform(150.0, 600.0, "the source's range 150-600 (log-centred on 300)"))
    land_headroom: ByTier = tiered(
        0.0, 0.2, 0.4, "share of the year-0 sports area", 0.0, 10.0,
        source="assumption (a school's site does not grow by itself: urban sites are full, "
               "town and village sites have some room; sensitivity 0-1)",
        doc="how far a school's sports ground may grow beyond its year-0 area",
        prior={
            "town": uniform(0.0, 1.0, "the source's sensitivity 0-1"),
            "rural": uniform(0.0, 1.0, "the source's sensitivity 0-1"),
        })
    surplus_transfer: float = param(
        0.0, "share of the surplus per year", 0.0, 1.0,
        source="assumption (off by default: a county strategy; the practice: State Council "
               "2010, 国发〔2010〕41号, surplus school buildings after layout adjustment first "
               "become kindergartens; Yunnan 2011-2015, 1,376 kindergartens in 1.04 m m² of "
               "idle rural school buildings and kindergartens attached to 2,083 rural primary "
               "schools; the pace is not documented: range 0.2-1)",
        doc="share of each school's surplus building and sports area (above surplus_above × "
            "the 2017 standard for its pupils) handed to other uses each year (village "
            "kindergartens, ...): it no longer counts as the school's, its seats fall with it "
            "(0 = never)",
        no_prior="a county strategy (0 = off), not an uncertain quantity")
    surplus_above: float = param(
        1.5, "× the 2017 standard", 1.0, 10.0,
        source="assumption (space up to half again the standard stays with the school, for "
               "function rooms and enrolment swings; range 1.2-2)",
        doc="building or sports area above this multiple of what a school's pupils need at "
            "the 2017 standard counts as surplus (used while surplus_transfer > 0)",
        no_prior="part of a county strategy that is off by default")
    surplus_conversion_cost_per_m2: float = param(
        800.0, "yuan per m² of building", 0.0, 1e6,
        source="assumption (refitting classrooms for a kindergarten: about a third of the "
               "2,500 yuan/m² of new building; range 300-1,500); grounds handed over cost "
               "nothing",
        doc="cost of converting a m² of surplus school building to its new use, paid by the "
            "county (booked as surplus_conversion)",
        no_prior="part of a county strategy that is off by default")
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
