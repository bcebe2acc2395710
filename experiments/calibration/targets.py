"""Published calibration and validation targets for the default county (docs/calibration.md §0).

Each :class:`Target` names one measure of the model (computed by
:mod:`experiments.calibration.realism`), the published value and the band inside which the
model agrees, the source, and its **role**, fixed before any parameter was tuned to it:

- ``"tune"``: a default was set so that the model lands in the band (the parameter and
  the search are recorded in the retuning log of docs/calibration.md);
- ``"holdout"``: never used to set a parameter; the model's value is a validation;
- ``"check"``: a property the model must have by construction (no published figure, or a
  qualitative statement); the band is an assumption stated in ``note``.

Where a source gives a range across counties or studies, the band is that range; where it
gives one figure, the band is stated in ``note`` (an assumption about how close counts as
agreement). CVs (差异系数) use the official formula (enrolment-weighted SD / mean,
:mod:`sim.metrics`), so the model's and the published values compare directly.

Sources (also listed in docs/sources.md, section "Calibration targets"):

- **CV 2012, 12 recognised districts**: the "表2 … 义务教育学校校际差异系数表" annexes of the
  national basic-balance recognition reports for Chongqing (5 of 11 districts shown,
  renrendoc.com/paper/214415052), Anhui (2 of 6, max.book118.com/html/2015/0816/23463879.shtm)
  and Jilin (5 of 60, m.wenke99.com/p-504402.html); medians and ranges over the 12 primary and
  11 junior rows (arithmetic ours).
- **鸠江区 2023**: 《鸠江区2023年义务教育基本均衡发展状况监测结果》 (www.jjq.gov.cn), primary
  2017 indicators: backbone 0.887611 per 100 pupils, CVs 0.288-0.502, mean of the 7 CVs
  0.367503.
- **中考 ICC**: a Chinese multilevel study of school value added in the junior exit exam: 20%
  of the score variance lies between schools; school value added correlates very weakly
  between years (article at 2fm.zglwb.com/a/lwzx/jiaoyu/21193_2.html).
- **CEPS urban-rural**: Zhao, Ye, Li & Xue (2017), China Economic Review 45:103-123: urban -
  rural = 37% and 41% of the urban and rural SDs of the CEPS 2013/14 cognitive test
  (grades 7 and 9).
- **CEPS left-behind**: Int. J. Environ. Res. Public Health 2020, 17(18):6770, Tables 2 and 7:
  raw cognitive gap 0.891 points / SD 3.821 = 0.23 SD (school exams 0.18-0.22 SD); with
  school fixed effects and IV about 0.2 points = 0.05-0.10 SD.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KNOWN_DISAGREEMENTS", "TARGETS", "Target", "by_key"]

CV_2012 = "2012 CV tables of 12 recognised districts (Chongqing, Anhui, Jilin)"
JIUJIANG = "鸠江区 2023 monitoring report (2017 indicators, primary)"


@dataclass(frozen=True)
class Target:
    """One published pattern: model measure ``key``, published value, agreement band."""

    key: str
    label: str
    published: str
    low: float
    high: float
    unit: str
    source: str
    role: str  # "tune" | "holdout" | "check"
    note: str = ""

    def inside(self, value: float) -> bool:
        return self.low <= value <= self.high


def _cv(level: str, name: str, label: str, median: float, lo: float, hi: float) -> Target:
    return Target(f"cv2012_{level}_{name}", f"2012 CV, {level}: {label} (year 0)",
                  f"median {median:.3f}", lo, hi, "CV", CV_2012, "tune",
                  "band: min-max of the published districts")


#: every target, in the order of the report's table
TARGETS: tuple[Target, ...] = (
    # ---- achievement --------------------------------------------------------------------
    Target("between_school_share_g9", "between-school share of grade-9 achievement variance "
           "(year 0)", "0.20", 0.15, 0.25, "share", "中考 ICC (Chinese multilevel study)",
           "tune", "band ±0.05 (assumption); PISA 2018 OECD mean 0.24 is a cross-check only"),
    Target("urban_rural_gap_g79", "urban − rural gap, grades 7-9 (year 0)", "0.37-0.41",
           0.30, 0.45, "year-0 SD", "CEPS 2013/14, Zhao et al. 2017", "tune",
           "band: the published pair widened by ±0.05 (assumption: the CEPS test is a "
           "cognitive test scaled by within-group SDs)"),
    Target("left_behind_within_gap_g79", "left-behind gap within schools, grades 7-9 "
           "(year 0)", "0.05-0.10", 0.03, 0.12, "year-0 SD",
           "CEPS 2013/14, IJERPH 2020 Table 7 (school FE + IV)", "tune",
           "sets the direct left-behind effects; band ±0.02 around the published range"),
    Target("left_behind_gap_g79", "left-behind gap, raw, grades 7-9 (year 0)", "0.18-0.23",
           0.15, 0.28, "year-0 SD", "CEPS 2013/14, IJERPH 2020 Table 2", "holdout",
           "band: the published tests' range widened by 0.03-0.05 (assumption)"),
    Target("school_va_autocorr", "year-to-year correlation of school value added "
           "(years 1-10, grade 9)", "very weak, sometimes negative", -0.3, 0.5, "correlation",
           "中考 value-added study", "holdout",
           "band: an assumption for 'very weak' (the study gives no number)"),
    Target("trend_20y", "change of mean achievement in 20 years with no policy",
           "no reason for steady gains", -0.03, 0.03, "year-0 SD", "assumption", "check",
           "band ±0.03 SD (assumption); the training evidence (Loyalka et al. 2019) finds no "
           "effect of in-service training on learning"),
    # ---- official CVs, year 0 (2012 indicators) -------------------------------------------
    Target("basic_cv_primary", "2012 composite CV, primary (year 0)", "median 0.372", 0.295,
           0.592, "CV", CV_2012, "tune", "band: min-max of 12 districts"),
    Target("basic_cv_junior", "2012 composite CV, junior (year 0)", "median 0.381", 0.261,
           0.493, "CV", CV_2012, "tune", "band: min-max of 11 districts"),
    _cv("primary", "building", "building area", 0.486, 0.246, 0.881),
    _cv("primary", "sports", "sports area", 0.607, 0.419, 1.299),
    _cv("primary", "equipment", "equipment value", 0.374, 0.201, 0.977),
    _cv("primary", "ratio", "pupils per teacher", 0.315, 0.263, 0.475),
    _cv("junior", "building", "building area", 0.381, 0.285, 0.808),
    _cv("junior", "sports", "sports area", 0.446, 0.298, 0.784),
    _cv("junior", "equipment", "equipment value", 0.324, 0.146, 0.637),
    _cv("junior", "ratio", "pupils per teacher", 0.365, 0.226, 0.715),
    # ---- the county after 11 years (2023 vs 2012) ------------------------------------------
    Target("backbone_per_100_primary_y11", "backbone teachers per 100 primary pupils "
           "(year 11, no policy)", "0.888", 0.71, 1.07, "per 100 pupils", JIUJIANG, "tune",
           "one county; band ±20% (assumption)"),
    Target("quality_cv_mean_primary_y11", "mean of the seven 2017 CVs, primary (year 11, no "
           "policy)", "0.368", 0.29, 0.50, "CV", JIUJIANG, "holdout",
           "band: the range of 鸠江's seven CVs (0.288-0.502)"),
    Target("backbone_cv_primary_y11", "2017 CV of backbone teachers, primary (year 11, no "
           "policy)", "0.502", 0.35, 0.70, "CV", JIUJIANG, "holdout",
           "band: 鸠江 0.50 to 宁国市 2022 0.674 widened (assumption)"),
    # ---- properties by construction -------------------------------------------------------
    Target("identical_max_cv_20y", "county of identical schools: largest official 2017 CV in "
           "20 years", "low (no source of difference)", 0.0, 0.15, "CV", "assumption",
           "check", "band: below 0.15 (assumption; the old county-wide designation gave "
           "0.26-0.39 for backbone teachers)"),
    Target("baseline_quality_pass_share_20y", "share of seeds passing the 2017 standard by "
           "year 20 with no policy", "counties were recognised only after heavy investment",
           0.0, 0.2, "share", "MOE: 188 counties recognised for 2024 (DOMAIN.md)", "check",
           "band: at most 1 seed in 5 (assumption)"),
    Target("county_plan_pass_share_15y", "share of seeds passing the 2017 standard by year 15 "
           "with the county_plan mix", "188 counties recognised for 2024 after heavy "
           "investment and teacher management", 0.5, 1.0, "share",
           "MOE: recognised counties (DOMAIN.md); the mix: configs/experiment/county_plan.yaml",
           "check", "band: most seeds (assumption)"),
)


#: targets the model misses, with the reason (measured by the ``realism`` docs job; the slow
#: test ``tests/test_realism.py`` fails when one of them comes inside its band, or another
#: target leaves it)
KNOWN_DISAGREEMENTS: dict[str, str] = {
    "trend_20y": (
        "urbanisation lifts the county mean: rural pupils move to urban schools and rural "
        "cohorts shrink; in a county without shifts between tiers the 20-year change is "
        "within the band. The spread across seeds comes from the county-wide mean of the "
        "school effects, which drifts in a county of 60 schools"),
    "backbone_cv_primary_y11": (
        "the quota rule shares titles in proportion to staff with a floor per school, which "
        "spreads them more evenly than in 鸠江区 (CV 0.50)"),
}


def by_key() -> dict[str, Target]:
    return {t.key: t for t in TARGETS}
