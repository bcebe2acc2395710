"""The county's geography, size and demography: :class:`RegionConfig` (with the size
presets and bounds) and :class:`DemographyConfig`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.priors import PLUS_MINUS_50, uniform
from sim.schema import ByTier, param, tiered
from sim.vocabulary import SCHOOL_TYPES, TIER_NAMES

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
    n_towns: int | None = param(
        None, "towns", 1, 500, doc="township centres (None: preset)",
        no_prior="set by the user (county size/geography)")
    extent_km: float | None = param(None, "km", 5.0, 500.0,
                                    doc="radius of the county around the urban centre (None: preset)",
                                    no_prior="set by the user (county size/geography)")
    student_share: ByTier = tiered(
        0.45, 0.30, 0.25, "share of pupils", 0.0, 1.0,
        source="assumption (urbanising central-China county; China Education Statistics "
               "Yearbook puts roughly half of compulsory pupils in urban/town schools)",
        doc="share of pupils whose family lives in each tier; normalised to sum 1",
        no_prior="set by the user (county size/geography)")
    school_share: ByTier = tiered(
        0.25, 0.30, 0.45, "share of schools", 0.0, 1.0,
        source="assumption (many small village schools)",
        doc="share of schools in each tier; normalised to sum 1",
        no_prior="set by the user (county size/geography)")
    size_dispersion: ByTier = tiered(
        0.25, 0.35, 0.70, "log-SD", 0.0, 2.0,
        doc="log-normal dispersion of catchment populations within a tier",
        no_prior="set by the user (county size/geography)")
    nine_year_share: ByTier = tiered(0.10, 0.15, 0.15, "share of schools", 0.0, 1.0,
                                     doc="share of a tier's schools that are nine-year schools",
                                     no_prior="set by the user (county size/geography)")
    junior_share: ByTier = tiered(0.30, 0.35, 0.05, "share of schools", 0.0, 1.0,
                                  doc="share of a tier's schools that are junior-only",
                                  no_prior="set by the user (county size/geography)")

    #: the settings that shape only the synthetic county: with ``path`` the county's table
    #: gives its schools, pupils, tiers and places (sim.construction builds no synthetic
    #: county then), so a value given for one of these is not used
    SYNTHETIC_ONLY = ("n_schools", "n_students", "n_towns", "extent_km", "student_share",
                      "school_share", "size_dispersion", "nine_year_share", "junior_share")

    def unused_with_path(self) -> list[str]:
        """The :attr:`SYNTHETIC_ONLY` settings given another value than their default while
        ``path`` names a county table (none without a path)."""
        if not self.path:
            return []
        default = RegionConfig()
        return [k for k in self.SYNTHETIC_ONLY if getattr(self, k) != getattr(default, k)]

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
        doc="yearly relative change of the grade-1 cohort in each tier's catchments",
        prior=uniform(0.5, 1.5, "assumption: ±50% around the default (the tiers move together)",
                      relative=True))
    rural_to_urban_migration: float = param(
        0.02, "share of rural pupils per year", 0.0, 0.5,
        doc="share of rural-resident pupils whose family moves to the urban district each year",
        prior=PLUS_MINUS_50)
    rural_to_town_migration: float = param(
        0.01, "share of rural pupils per year", 0.0, 0.5,
        doc="share of rural-resident pupils whose family moves to a township centre each year",
        prior=PLUS_MINUS_50)
    migrant_entry_share: ByTier = tiered(
        0.12, 0.06, 0.0, "share of grade-1 entrants", 0.0, 1.0,
        source="assumption (随迁子女 are about 10% of compulsory pupils nationally, "
               "MOE statistical bulletin 2022, concentrated in cities)",
        doc="children of families from outside the county (随迁子女) among each tier's entrants",
        no_prior="set by the user (the county's tier statistics, tiers table)")
    migrant_arrivals: float = param(
        0.01, "share of urban/town pupils per year", 0.0, 0.5,
        doc="migrant children arriving in grades 2-9 of urban and town catchments each year",
        prior=PLUS_MINUS_50)
    out_migration: float = param(0.005, "share per year", 0.0, 0.5,
                                 doc="share of pupils whose family leaves the county each year",
                                 prior=PLUS_MINUS_50)
    left_behind_share: ByTier = tiered(
        0.03, 0.12, 0.30, "share of pupils", 0.0, 1.0,
        source="assumption (about 13 m left-behind children in compulsory school, MOE 2020; "
               "mostly rural)",
        doc="share of entering pupils who are left behind (留守) by migrant parents",
        no_prior="set by the user (the county's tier statistics, tiers table)")
    ses_mean: ByTier = tiered(
        0.5, 0.0, -0.5, "SD of SES", -3.0, 3.0,
        source="assumption (urban-rural SES gap of about one SD, as in CFPS family data)",
        doc="mean family SES of pupils resident in each tier (county SES has SD ≈ 1)",
        no_prior="set by the user (the county's tier statistics, tiers table)")
    ses_sd: float = param(
        0.85, "SD of SES", 0.1, 3.0, doc="within-tier SD of family SES",
        no_prior="fixes the SES scale (county SD ≈ 1 with ses_mean): a numerical setting")
    migrant_ses_shift: float = param(-0.3, "SD of SES", -3.0, 3.0,
                                     doc="SES of in-migrant children relative to their tier",
                                     prior=PLUS_MINUS_50)
    disabled_share: float = param(0.01, "share of pupils", 0.0, 0.2,
                                  doc="share of pupils with a disability (flag only)",
                                  no_prior="a flag that moves no outcome; set by the user")
