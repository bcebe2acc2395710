"""A county built from its own school table (``region.path``) instead of the synthetic one.

The table is the official school-table format (:mod:`sim.evaluation`), read and validated by
:mod:`sim.county_table` (CSV in UTF-8 or GBK, XLSX, Chinese headers). What the table gives
is reproduced exactly in year 0, so that evaluating the model's year-0 per-school table gives
the same difference coefficients and verdicts as evaluating the input table:

* one school per ``school_id`` (a primary and a junior row make a nine-year school), with its
  tier and location (``x, y`` in km; without them schools are placed by tier: urban within
  4 km of the centre, towns 10–25 km, villages 12–35 km, at random angles — said in the notes);
* pupils per school and level exactly as given, spread over the level's grades evenly (or as
  the optional grades table says); their SES, left-behind and migrant status are drawn per
  tier (config defaults, or the optional tiers table);
* teachers per school and level as given (``teachers``; without it, the staffing norm), with
  exactly the given numbers above the required qualification, backbone, PE/arts and with an
  intermediate-or-higher title; with the optional teachers table, exactly its qualification,
  title and age-band counts per school and level; the rest (experience, effectiveness, and
  what no table gives) is synthesised from the tier defaults;
* the county keeps its year-0 share of backbone teachers as its designation target;
* key schools as the optional ``key_school`` column gives them (:func:`key_schools_from_table`;
  without it they are drawn as in the synthetic county); school effects
  (:mod:`sim.processes.school_effects`) are synthesised;
* stocks (building and sports area, equipment, multimedia rooms, computers, books) as given;
  a nine-year school's stocks are kept per level in year 0 and then shared by pupils ×
  standard as in the synthetic county.

Each pupil lives in the catchment zone of the school that teaches primary grades (pupils of
a junior-only school: the nearest zone); the grade-1 cohort of each zone starts at the
school's grade-1 pupils and follows the tier's birth trend. Everything the table does not
give is listed in ``model.synthesis_notes`` (printed by ``edusim``, stored in summary.json).

:func:`load_table` reads the tables a :class:`~sim.config.RegionConfig` names (``path``,
``sheet`` and the extra tables) with the reader of every edusim tool and what the simulation
needs (:func:`sim.county_table.simulation_problems`: a primary and a junior row); every problem
of the tables is one :class:`sim.county_table.CountyTableError` (a ``ValueError``), so a
command can report it (``edusim`` exits 2) before it writes anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.arrays import rank_within
from sim.county_table import (
    TIER_TABLE_SETTINGS,
    CountyTable,
    CountyTableError,
    load_county_table,
    simulation_problems,
)
from sim.population import Table
from sim.processes import backbone as backbone_quotas
from sim.processes import school_effects
from sim.processes.enrolment import new_pupils
from sim.record import COMPUTER_BOOK_REFERENCE
from sim.region import County
from sim.standards import FACILITY_STANDARDS_PER_STUDENT
from sim.state import STUDENT_SCHEMA, TEACHER_SCHEMA
from sim.synthesis import (
    draw_age_and_experience,
    draw_experience,
    draw_skill,
    draw_years_at_school,
    titles_by_experience,
)
from sim.vocabulary import JUNIOR, NINE_YEAR, PRIMARY, TIER_NAMES

if TYPE_CHECKING:
    from sim.agents import AgentViews
    from sim.state import CountyState

TIER_CODE = {name: code for code, name in enumerate(TIER_NAMES)}
SECTION_GRADES = {0: np.arange(1, 7), 1: np.arange(7, 10)}
#: the stock columns of the table, in the order of EducationModel's split adjustment
STOCK_COLUMNS = ("building_area_m2", "sports_area_m2", "equipment_value_yuan",
                 "multimedia_rooms", "computers", "books")


def load_table(region: Any) -> CountyTable:
    """The county tables named by ``region`` (a :class:`~sim.config.RegionConfig`: ``path``,
    ``sheet``, ``teachers_path``, ``grades_path``, ``tiers_path``), read and checked as for a
    simulation (:func:`sim.county_table.load_county_table` with ``simulate=True``). Raises
    :class:`sim.county_table.CountyTableError` listing every problem."""
    return load_county_table(region.path, teachers_path=region.teachers_path,
                             grades_path=region.grades_path, tiers_path=region.tiers_path,
                             sheets={"schools": getattr(region, "sheet", None)},
                             simulate=True)


def _school_index(ids: pd.Series) -> tuple[np.ndarray, list[str]]:
    """The school of each row (index into the codes) and the codes: the distinct
    ``school_id`` as text, in the order of their first row."""
    labels, uniques = pd.factorize(ids.astype(str).to_numpy(dtype=object), sort=False)
    return labels.astype(np.intp), [str(c) for c in uniques]


def county_from_table(schools: pd.DataFrame, rng: np.random.Generator,
                      notes: list[str]) -> tuple[County, list[str]]:
    """Geography of a county from its validated school table; returns it and school codes.
    Raises :class:`sim.county_table.CountyTableError` for a table the model cannot simulate
    (:func:`sim.county_table.simulation_problems`)."""
    problems = simulation_problems(schools["level"], schools.attrs.get("file", "<table>"))
    if problems:
        raise CountyTableError(problems)
    school, codes = _school_index(schools["school_id"])
    n = len(codes)
    first = np.full(n, len(school), dtype=np.intp)  # each school's first row
    np.minimum.at(first, school, np.arange(len(school)))
    row_level = schools["level"].to_numpy(dtype=object)
    is_primary = row_level == "primary"
    has_primary = np.bincount(school[is_primary], minlength=n) > 0
    has_junior = np.bincount(school[row_level == "junior"], minlength=n) > 0
    level = np.where(has_primary & has_junior, NINE_YEAR,
                     np.where(has_primary, PRIMARY, JUNIOR)).astype(np.int8)
    tier_code = schools["tier"].map(TIER_CODE).to_numpy()
    tier = tier_code[first].astype(np.int8)
    name = [str(v) for v in schools["name"].to_numpy(dtype=object)[first]]
    if {"x", "y"} <= set(schools.columns) and schools[["x", "y"]].notna().all().all():
        x = schools["x"].to_numpy(dtype=float)[first]
        y = schools["y"].to_numpy(dtype=float)[first]
    else:
        r = np.where(tier == 0, rng.uniform(0, 4, n),
                     np.where(tier == 1, rng.uniform(10, 25, n), rng.uniform(12, 35, n)))
        a = rng.uniform(0, 2 * np.pi, n)
        x, y = r * np.cos(a), r * np.sin(a)
        notes.append("locations: the table has no x, y; schools were placed at random by tier "
                     "(urban ≤ 4 km from the centre, towns 10-25 km, villages 12-35 km)")
    zone_school = np.flatnonzero(np.isin(level, (PRIMARY, NINE_YEAR)))
    # pupils of each school's primary row (the loader allows one per school)
    primary_pupils = np.zeros(n)
    np.add.at(primary_pupils, school[is_primary],
              schools["students"].to_numpy(dtype=float)[is_primary])
    weight = primary_pupils[zone_school]
    weight = weight / weight.sum() if weight.sum() > 0 else np.full(len(weight), 1 / len(weight))
    county = County(school_name=name, school_level=level, school_tier=tier, school_x=x,
                    school_y=y, zone_x=x[zone_school].copy(), zone_y=y[zone_school].copy(),
                    zone_tier=tier[zone_school].copy(), zone_weight=weight,
                    zone_school=zone_school)
    return county, codes


def key_schools_from_table(schools: pd.DataFrame, codes: list[str]) -> np.ndarray | None:
    """The key-school flag of each school (in the order of ``codes``) from the table's
    ``key_school`` column, or None when the table has no such column (key schools are then
    drawn: :func:`sim.processes.school_effects.init_schools`). The loader has checked that
    both rows of a nine-year school agree; a school is key if any of its rows says so."""
    if "key_school" not in schools.columns:
        return None
    flags = schools["key_school"].astype(bool).groupby(
        schools["school_id"].astype(str), sort=False).any()
    return flags.reindex(codes).to_numpy(dtype=bool)


def _pupils_per_grade(rows: pd.DataFrame, wide: pd.DataFrame | None) -> np.ndarray:
    """Pupils of each row (columns ``students``, ``section``, ``school_id``) in grades 1-9
    (0 outside the row's level): as ``wide`` (school_id × grade) gives them for a school it
    has, else the row's pupils split evenly over its level's grades, the first grades one
    more when they do not divide evenly."""
    students = rows["students"].to_numpy(dtype=float).astype(np.int64)
    section = rows["section"].to_numpy()
    counts = np.zeros((len(rows), 9), dtype=np.int64)
    for sec, grades in SECTION_GRADES.items():
        on = section == sec
        k = len(grades)
        base, extra = np.divmod(students[on], k)
        counts[np.ix_(on, grades - 1)] = (base[:, None]
                                          + (np.arange(k)[None, :] < extra[:, None]))
    if wide is not None:
        given = wide.reindex(columns=range(1, 10), fill_value=0)
        at = given.index.get_indexer(rows["school_id"])
        known = at >= 0
        table = given.to_numpy()[at[known]].astype(np.int64)
        levels = np.zeros((len(rows), 9), dtype=bool)
        for sec, grades in SECTION_GRADES.items():
            levels[np.ix_(section == sec, grades - 1)] = True
        counts[known] = np.where(levels[known], table, 0)
    return counts


def populate_from_table(model: CountyState, table: Any, codes: list[str],
                        rng: np.random.Generator, views: AgentViews) -> None:
    """Pupils, stocks and teachers of the model exactly as the table gives them."""
    cfg = model.cfg
    notes = model.synthesis_notes
    rows = table.schools.copy()
    rows["school_id"] = rows["school_id"].astype(str)
    rows["school"] = pd.Index(codes).get_indexer(rows["school_id"])
    rows["section"] = (rows["level"] == "junior").astype(int)
    sch = model.schools
    n_sch = sch.n

    # ---- tier-level characteristics ------------------------------------------------------
    tiers = getattr(table, "tiers", None)
    if tiers is not None and len(tiers):
        for _, t in tiers.iterrows():
            name = str(t["tier"])
            for col, target in TIER_TABLE_SETTINGS.items():
                if col in t and pd.notna(t[col]):
                    setattr(getattr(cfg.demography, target), name, float(t[col]))
        notes.append("pupils: SES, left-behind and migrant shares per tier from the tiers table")
    else:
        notes.append("pupils: SES, left-behind and migrant status drawn per tier from the "
                     "model's defaults (no tiers table)")

    # ---- pupils ----------------------------------------------------------------------------
    grades_tab = getattr(table, "grades", None)
    wide = None
    if grades_tab is not None and len(grades_tab):
        g = grades_tab.copy()
        g["school_id"] = g["school_id"].astype(str)
        if "grade" in g.columns:  # long format
            wide = g.pivot_table(index="school_id", columns="grade", values="students",
                                 aggfunc="sum", fill_value=0)
        else:
            wide = g.set_index("school_id")[[f"grade_{k}" for k in range(1, 10)
                                             if f"grade_{k}" in g.columns]]
            wide.columns = [int(c.split("_")[1]) for c in wide.columns]
        notes.append("pupils: grades as in the grades table")
    else:
        notes.append("pupils: each level's pupils split evenly over its grades (no grades table)")
    counts = _pupils_per_grade(rows, wide)  # rows × grades 1-9
    r_school = rows["school"].to_numpy(dtype=np.int64)
    r_section = rows["section"].to_numpy()
    own_zone = np.full(n_sch, -1, dtype=np.int64)  # the zone a school was drawn around
    own_zone[model.zone_own_school] = np.arange(len(model.zone_own_school))
    r_own = own_zone[r_school]
    r_zone = np.where(r_own >= 0, r_own, model.school_zone[r_school])
    cohort = (r_section == 0) & (r_own >= 0)
    model.zone_cohort0[r_zone[cohort]] = counts[cohort, 0].astype(float)
    size = counts.sum(axis=1)
    zone = np.repeat(r_zone, size).astype(np.intp)
    grade = np.repeat(np.tile(np.arange(1, 10), len(rows)), counts.reshape(-1)).astype(np.int8)
    school = np.repeat(r_school, size)
    model.students = Table("student", STUDENT_SCHEMA, capacity=int(len(zone) * 1.3))
    views.watch("students")
    new = new_pupils(model, rng, zone, grade)
    new["school"] = school.astype(np.intp)
    model.students.add(len(zone), **new)

    # ---- capacity and stocks ---------------------------------------------------------------
    n_sec = model.section_enrolment()
    headroom = np.array(cfg.enrolment.capacity_headroom.as_tuple())[sch.tier]
    sch.capacity[:] = np.ceil(n_sec.sum(axis=1) * headroom).astype(np.int64)
    std = np.column_stack([FACILITY_STANDARDS_PER_STUDENT, COMPUTER_BOOK_REFERENCE])  # 2 × 6
    per_sec = np.zeros((len(STOCK_COLUMNS), n_sch, 2))
    fc = cfg.finance
    for k, col in enumerate(STOCK_COLUMNS):
        if col in rows.columns and rows[col].notna().all():
            np.add.at(per_sec[k], (rows["school"].to_numpy(), rows["section"].to_numpy()),
                      rows[col].to_numpy(dtype=float))
        else:  # computers / books not given: reference levels of the synthetic county
            ref = (fc.computers_per_100 / 100 if col == "computers" else fc.books_per_student)
            per_sec[k] = n_sec * ref * np.array([1.0, 1.25 if col == "computers" else 1.3])
            notes.append(f"stocks: {col} not in the table; set to the model's reference level")
    sch.building_area[:] = per_sec[0].sum(axis=1)
    sch.sports_area[:] = per_sec[1].sum(axis=1)
    sch.equipment_value[:] = per_sec[2].sum(axis=1)
    sch.multimedia_rooms[:] = per_sec[3].sum(axis=1)
    sch.computers[:] = per_sec[4].sum(axis=1)
    sch.books[:] = per_sec[5].sum(axis=1)
    # how a nine-year school's stocks split between its levels: exactly as given in year 0
    w = n_sec[None, :, :] * std.T[:, None, :]  # 6 × S × 2
    model.split_adj = np.divide(per_sec, w, out=np.ones_like(per_sec), where=w > 0)

    # ---- teachers --------------------------------------------------------------------------
    tc = cfg.teachers
    has_teachers = "teachers" in rows.columns and rows["teachers"].notna().all()
    flags = ["teachers_above_required_qualification", "backbone_teachers", "pe_arts_teachers"]
    if has_teachers:
        n_t = rows["teachers"].to_numpy(dtype=int)
    else:
        ratio = np.where(rows["section"] == 0, tc.students_per_post_primary,
                         tc.students_per_post_junior)
        n_t = np.maximum(np.ceil(rows["students"].to_numpy() / ratio).astype(int),
                         rows[flags].to_numpy(dtype=int).max(axis=1))
        notes.append("teachers: the table has no teacher totals; set from the staffing norms")
    row_of = np.repeat(np.arange(len(rows)), n_t)
    n = len(row_of)
    t_school = rows["school"].to_numpy()[row_of].astype(np.intp)
    t_section = rows["section"].to_numpy()[row_of].astype(np.int8)
    tier = sch.tier[t_school]

    def exact(count_col: str | None, counts: np.ndarray | None = None) -> np.ndarray:
        """Flag exactly the row's count of teachers, chosen at random within the row."""
        k = rows[count_col].to_numpy(dtype=int) if counts is None else counts
        order = np.lexsort((rng.random(n), row_of))
        rank = np.empty(n, dtype=np.int64)
        rank[order] = rank_within(row_of[order])
        return rank < k[row_of]

    required = np.where(t_section == 0, 1, 2)
    above = exact("teachers_above_required_qualification")
    mix = np.array([tc.initial_qualification[t] for t in TIER_NAMES])[tier]
    allowed = np.arange(4)[None, :] >= required[:, None]
    p = np.where(allowed == above[:, None], mix, 0.0)
    p_sum = p.sum(axis=1, keepdims=True)
    fallback = np.where(allowed == above[:, None], 1.0, 0.0)
    p = np.where(p_sum > 0, p / np.where(p_sum > 0, p_sum, 1), fallback / fallback.sum(axis=1,
                                                                                     keepdims=True))
    qualification = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1).clip(0, 3)
    backbone = exact("backbone_teachers")
    pe = exact("pe_arts_teachers")
    subject = np.where(pe, 1 + (rng.random(n) < 0.5), 0).astype(np.int8)
    age, experience = draw_age_and_experience(rng, n, tc.retirement_age)
    # backbone teachers are experienced
    experience = np.where(backbone, np.maximum(experience, tc.backbone_min_experience), experience)
    mid = None
    if "teachers_mid_title" in rows.columns and rows["teachers_mid_title"].notna().all():
        mid = exact("teachers_mid_title")
        title = np.where(mid, np.where((experience >= 12) & (rng.random(n) < 0.35), 2, 1), 0)
    else:
        title = titles_by_experience(experience, rng.random(n))
        notes.append("teachers: titles synthesised (no teachers_mid_title column)")
    breakdowns = getattr(table, "teachers", None)
    if breakdowns is not None and len(breakdowns):
        used = _apply_breakdowns(rows, breakdowns, row_of, above, mid, qualification, title,
                                 age, tc.retirement_age, rng)
        experience = draw_experience(rng, age)
        experience = np.where(backbone, np.maximum(experience, tc.backbone_min_experience),
                              experience)
        notes.append(f"teachers: {', '.join(used) or 'no'} breakdowns per school and level "
                     "exactly as in the teachers table")
    years_here = draw_years_at_school(rng, experience)
    skill = draw_skill(rng, tier, qualification, tc) + school_effects.teacher_skill_shift(
        model, t_school)
    key = model.schools.key_school
    if "key_school" in table.schools.columns:
        notes.append(f"key schools from the table's key_school column ({int(key.sum())} of "
                     f"{n_sch}); school effects synthesised; key schools' teachers' "
                     f"effectiveness +{cfg.school_effects.key_teacher_skill:g}; pupils' SES "
                     f"drawn per tier as for every school (no year-0 choice sorting)")
    else:
        notes.append(f"school effects and key schools synthesised (the table has no "
                     f"key_school column): {int(key.sum())} key schools drawn with "
                     f"school_effects.key_share; their teachers' effectiveness "
                     f"+{cfg.school_effects.key_teacher_skill:g}; pupils' SES drawn per tier "
                     f"as for every school (no year-0 choice sorting)")
    notes.append("teachers: counts above the required qualification, backbone, PE/arts and "
                 "titles as in the table; experience and effectiveness synthesised from "
                 "the tier defaults (ages too, unless the teachers table gives age bands)")
    if n:
        share = float(backbone.mean())
        cfg.teachers.backbone_target = share
        notes.append(f"teachers: the county keeps its year-0 share of backbone teachers "
                     f"({share:.3f}) as its designation target")
    model.teachers = Table("teacher", TEACHER_SCHEMA, capacity=n + 64)
    views.watch("teachers")
    model.teachers.add(n, school=t_school, section=t_section, subject=subject,
                       qualification=qualification.astype(np.int8), title=title, age=age,
                       experience=experience, years_at_school=years_here, skill=skill,
                       home_zone=model.school_zone[t_school], class_key=-1,
                       post_school=t_school, backbone=backbone)
    backbone_quotas.keep_given_counts(model)
    notes.append(f"teachers: each school's backbone count is its quota until the first "
                 f"review (year {tc.backbone_review_years}); later quotas follow the county's "
                 f"rule (floor + in proportion to staff, backbone_equalise "
                 f"{tc.backbone_equalise:g})")


#: age bands of the teachers table: (first, last) age of each band
AGE_BANDS = {"age_under_30": (22, 29), "age_30_39": (30, 39), "age_40_49": (40, 49),
             "age_50_plus": (50, None)}
QUALIFICATION_COLUMNS = ("qual_secondary", "qual_zhuanke", "qual_bachelor", "qual_master")


def _apply_breakdowns(rows: pd.DataFrame, breakdowns: pd.DataFrame, row_of: np.ndarray,
                      above: np.ndarray, mid: np.ndarray | None, qualification: np.ndarray,
                      title: np.ndarray, age: np.ndarray, retirement_age: int,
                      rng: np.random.Generator) -> list[str]:
    """Give each school-level's teachers exactly the qualification, title and age counts of
    the teachers table (arrays changed in place; a loop over the school rows that have a
    breakdown, drawing in row order, not over teachers). The loader has checked that the
    breakdowns agree with the school table's counts, so the flagged teachers (above the
    required qualification, intermediate title or higher) receive exactly the categories
    that make those counts."""
    b = breakdowns.copy()
    b["school_id"] = b["school_id"].astype(str)
    b = b.set_index(["school_id", "level"])
    used = [name for name, cols in (("qualification", QUALIFICATION_COLUMNS),
                                    ("title", ("title_intermediate", "title_senior")),
                                    ("age", tuple(AGE_BANDS)))
            if set(cols) <= set(b.columns)]
    keys = pd.MultiIndex.from_arrays([rows["school_id"], rows["level"]])
    at = b.index.get_indexer(keys)  # each row's breakdown row (-1: none)
    given = {c: b[c].to_numpy() for c in b.columns}
    section = rows["section"].to_numpy()
    start = np.searchsorted(row_of, np.arange(len(rows) + 1))  # row_of is sorted
    for r in np.flatnonzero(at >= 0):
        j = at[r]
        idx = np.arange(start[r], start[r + 1])
        if "qualification" in used:
            required = 1 if section[r] == 0 else 2
            for flag, cats in ((True, range(required, 4)), (False, range(required))):
                who = idx[above[idx] == flag]
                labels = np.repeat(np.array(list(cats)),
                                   [int(given[QUALIFICATION_COLUMNS[c]][j]) for c in cats])
                qualification[who] = rng.permutation(labels)[: len(who)]
        if "title" in used and mid is not None:
            who = idx[mid[idx]]
            labels = np.repeat([1, 2], [int(given["title_intermediate"][j]),
                                        int(given["title_senior"][j])])
            title[who] = rng.permutation(labels)[: len(who)]
        if "age" in used:
            ages = np.concatenate([
                rng.integers(lo, (hi if hi is not None else retirement_age - 1) + 1,
                             size=int(given[band][j]))
                for band, (lo, hi) in AGE_BANDS.items()])
            age[idx] = rng.permutation(ages)[: len(idx)]
    return used
