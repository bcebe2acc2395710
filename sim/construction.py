"""Year 0: a county's schools, pupils, teachers and stocks, before the first simulated year.

:func:`build` gives a new model its state (:class:`~sim.state.CountyState`), from the built-in
synthetic county (:func:`sim.region.build_county`) or from a real county's school table
(``region.path``; :mod:`sim.real_county` reproduces what the table gives and synthesises the
rest). Both then share the last steps (:func:`finish`): classes are formed, the staffing
quota of a school staffed above the norm is scaled to its year-0 staff, and every pupil
starts at the achievement expected after the grades completed in the current school
(:func:`init_achievement`), which fixes the year-0 norms of each grade.

Random numbers come from the model's streams ``population``, ``region``, ``classes``,
``school_effects`` (key schools, school effects, past school choice), ``facilities``
(the synthetic county's stocks) and ``staffing`` (its per-school staffing factor) of
year 0, in a fixed order. :func:`finish` also gives every county its land caps
(:func:`sim.processes.facilities.setup`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.agents import AgentViews, School
from sim.arrays import rank_within
from sim.population import Table
from sim.processes import (
    backbone,
    careers,
    enrolment,
    facilities,
    families,
    learning,
    school_effects,
)
from sim.processes.schools import update_catchments
from sim.region import build_county
from sim.state import SCHOOL_SCHEMA, STUDENT_SCHEMA, TEACHER_SCHEMA
from sim.synthesis import (
    draw_age_and_experience,
    draw_skill,
    draw_years_at_school,
    titles_by_experience,
)

if TYPE_CHECKING:
    from sim.state import CountyState

__all__ = ["build", "distances", "expected_growth_parts", "finish", "init_achievement", "load_region_table",
           "populate_teachers", "set_norms"]


def load_region_table(region: Any) -> Any:
    """The county tables named by a :class:`sim.config.RegionConfig` (``path``, ``sheet`` and
    the optional breakdowns), read and checked as for a simulation
    (:func:`sim.real_county.load_table`; raises ``sim.county_table.CountyTableError``). The
    model builds from this; a command can call it to check a table before it writes
    anything."""
    from sim.real_county import load_table

    return load_table(region)


def build(model: CountyState, views: AgentViews) -> None:
    """Give ``model`` its year-0 state (tables, geography, agents, classes, norms)."""
    cfg = model.cfg
    rng = model.stream("population")
    model.synthesis_notes = []
    table = None
    key = None  # key schools: drawn, unless the county's table gives them
    if cfg.region.path:
        from sim.real_county import county_from_table, key_schools_from_table

        table = load_region_table(cfg.region)
        county, model.school_codes = county_from_table(table.schools, model.stream("region"),
                                                       model.synthesis_notes)
        key = key_schools_from_table(table.schools, model.school_codes)
    else:
        county = build_county(cfg, model.stream("region"))
        model.school_codes = [str(i) for i in range(county.n_schools)]
        model.synthesis_notes.append(f"synthetic county (preset {cfg.region.preset})")
    n_sch = county.n_schools
    # per stock (building, sports, equipment, multimedia, computers, books), school and
    # level: factor on pupils × standard when a nine-year school's stocks are split between
    # its levels (1 for the synthetic county; a loaded county's year-0 split)
    model.split_adj = np.ones((6, n_sch, 2))

    model.schools = Table("school", SCHOOL_SCHEMA, capacity=n_sch)
    model.schools.add(n_sch, level=county.school_level, tier=county.school_tier,
                      x=county.school_x, y=county.school_y, open=True)
    model.school_names = list(county.school_name)
    model.school_agents = [School(model, i, county.school_name[i]) for i in range(n_sch)]
    for agent in model.school_agents:
        agent.pos = (agent.x, agent.y)
    # key schools and school effects (their own stream: no other draw moves)
    school_effects.init_schools(model, model.stream("school_effects"), key)

    model.zone_x, model.zone_y = county.zone_x, county.zone_y
    model.zone_tier, model.zone_weight = county.zone_tier, county.zone_weight
    model.zone_own_school = county.zone_school
    model.school_dist = distances(county.school_x, county.school_y)
    if (np.array_equal(model.zone_x, county.school_x[county.zone_school])
            and np.array_equal(model.zone_y, county.school_y[county.zone_school])):
        # zones drawn around their schools: their distances are rows of school_dist, and
        # (school_dist being symmetric) each school's nearest zone is found along its row
        model.zone_dist = model.school_dist[county.zone_school]
        is_zone = np.zeros(n_sch, dtype=bool)
        is_zone[county.zone_school] = True
        zone_of = np.cumsum(is_zone) - 1  # zones are numbered in the order of their schools
        model.school_zone = zone_of[np.concatenate([
            np.argmin(np.where(is_zone, model.school_dist[a:a + 512], np.inf), axis=1)
            for a in range(0, n_sch, 512)])].astype(np.intp)
    else:
        model.zone_dist = np.hypot(model.zone_x[:, None] - county.school_x[None, :],
                                   model.zone_y[:, None] - county.school_y[None, :])
        model.school_zone = np.argmin(model.zone_dist, axis=0).astype(np.intp)
    # fixed for the run: read-only, so that what is derived from them needs no comparison
    model.school_dist.flags.writeable = False
    model.zone_dist.flags.writeable = False
    update_catchments(model)

    if table is not None:
        from sim.real_county import populate_from_table

        model.zone_cohort0 = np.zeros(len(model.zone_x))
        populate_from_table(model, table, model.school_codes, rng, views)
        finish(model, rng)
        return

    # ---- pupils: cohort per zone and grade, falling births over the past ------------------
    n_total = int(cfg.region.resolved()["n_students"])
    trend = np.array(cfg.demography.birth_trend.as_tuple())[model.zone_tier]
    grades = np.arange(1, 10)
    # a pupil in grade g entered g-1 years ago, when cohorts were (1+trend)^-(g-1) as large
    rel = (1.0 + trend[:, None]) ** (-(grades[None, :] - 1))
    expected = model.zone_weight[:, None] * rel
    expected *= n_total / expected.sum()
    counts = rng.poisson(expected)
    model.zone_cohort0 = expected[:, 0].copy()  # expected grade-1 entrants in year 0
    zone = np.repeat(np.repeat(np.arange(len(model.zone_x)), 9), counts.reshape(-1))
    grade = np.repeat(np.tile(grades, len(model.zone_x)), counts.reshape(-1)).astype(np.int8)
    model.students = Table("student", STUDENT_SCHEMA, capacity=int(len(zone) * 1.3))
    views.watch("students")
    new = enrolment.new_pupils(model, rng, zone, grade)
    model.students.add(len(zone), **new)
    s = model.students
    s.school[:] = np.where(s.grade >= 7, model.catch_junior[s.zone], model.catch_primary[s.zone])
    school_effects.place_year0_choosers(model, model.stream("school_effects"))

    # ---- capacity and facility stocks from the initial enrolment ---------------------------
    sch = model.schools
    n_sec = model.section_enrolment()
    headroom = np.array(cfg.enrolment.capacity_headroom.as_tuple())[sch.tier]
    sch.capacity[:] = np.ceil(n_sec.sum(axis=1) * headroom).astype(np.int64)
    facilities.draw_initial_stocks(model, n_sec)  # stream "facilities"

    # ---- teachers ----------------------------------------------------------------------------
    model.teachers = Table("teacher", TEACHER_SCHEMA, capacity=int(n_sec.sum() / 10) + 64)
    views.watch("teachers")
    populate_teachers(model, rng)
    finish(model, rng)


def distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Distance between every two points ``(x, y)``: ``hypot`` of the differences, each
    pair computed once (``hypot(-u, -v) == hypot(u, v)``, so the lower triangle is the
    upper one mirrored, bit for bit), in blocks of rows so that no temporary is as large
    as the matrix."""
    n = len(x)
    d = np.empty((n, n))
    step = max(1, 2**21 // max(n, 1))  # rows per block: about 2 M pairs
    dx, dy = np.empty(min(step, n) * n), np.empty(min(step, n) * n)  # reused by every block
    for a in range(0, n, step):
        b = min(a + step, n)
        u = dx[:(b - a) * (n - a)].reshape(b - a, n - a)
        v = dy[:(b - a) * (n - a)].reshape(b - a, n - a)
        np.subtract(x[a:b, None], x[None, a:], out=u)
        np.subtract(y[a:b, None], y[None, a:], out=v)
        np.hypot(u, v, out=d[a:b, a:])
        d[b:, a:b] = d[a:b, b:].T
    return d


def finish(model: CountyState, rng: np.random.Generator) -> None:
    """The steps every county shares once its pupils, teachers and stocks exist: classes,
    the staffing quota's scale, year-0 achievement and norms, and school quality."""
    enrolment.form_classes(model, model.stream("classes"))
    # a school staffed above the national norm in year 0 (a real county's table) keeps its
    # staffing level: its quota is scaled up to its year-0 staff
    facilities.setup(model)  # land caps and the capital-project pipeline
    model.quota_scale = np.ones((model.schools.n, 2))
    quota0, staff0 = model.staffing_quota(), model.section_staff()
    model.quota_scale = np.maximum(
        1.0, np.divide(staff0, quota0, out=np.ones(quota0.shape), where=quota0 > 0))
    init_achievement(model, rng)
    model.school_quality = families.update_reputation(model, None)


def populate_teachers(model: CountyState, rng: np.random.Generator) -> None:
    """The synthetic county's teachers: each school section staffed at its tier's share of
    the quota, with subjects, qualifications, ages, titles and skill drawn per tier, and the
    year-0 backbone teachers designated by per-school quotas
    (:func:`sim.processes.backbone.designate_initial`)."""
    tc = model.cfg.teachers
    sch = model.schools
    # provisional class counts for the quota's per-class floor
    quota = model.staffing_quota(provisional_section_classes(model))
    fill = (np.array(tc.initial_staffing.as_tuple())[sch.tier]
            * facilities.staffing_factor(model, quota))  # stream "staffing"
    staff = np.where(quota > 0, np.maximum(np.rint(quota * fill[:, None]), 1), 0).astype(int)
    school = np.repeat(np.repeat(np.arange(sch.n), 2), staff.reshape(-1)).astype(np.intp)
    section = np.repeat(np.tile([0, 1], sch.n), staff.reshape(-1)).astype(np.int8)
    n = len(school)
    tier = sch.tier[school]
    pe = _specialists(rng, school * 2 + section, np.array(tc.pe_arts_share.as_tuple())[tier])
    subject = np.where(pe, 1 + (rng.random(n) < 0.5), 0).astype(np.int8)
    qualification = careers.draw_qualification(rng, tier, tc.initial_qualification)
    age, experience = draw_age_and_experience(rng, n, tc.retirement_age)
    years_here = draw_years_at_school(rng, experience)
    title = titles_by_experience(experience, rng.random(n))
    skill = draw_skill(rng, tier, qualification, tc) + school_effects.teacher_skill_shift(
        model, school)
    model.teachers.add(n, school=school, section=section, subject=subject,
                       qualification=qualification, title=title, age=age,
                       experience=experience, years_at_school=years_here, skill=skill,
                       home_zone=model.school_zone[school], class_key=-1, post_school=school)
    backbone.designate_initial(model)


def _specialists(rng: np.random.Generator, group: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Which teachers are PE/arts specialists: in each school section (``group``, teachers in
    consecutive rows) the expected count ``share × staff`` rounded up or down at random (so
    each section's count is within one of its share, as a staffing plan by subject makes it),
    given to teachers in random order. ``share`` is per teacher (its tier's)."""
    n = len(group)
    u = rng.random(n)
    n_groups = int(group.max()) + 1 if n else 0
    expected = np.bincount(group, weights=share, minlength=n_groups)  # share × staff
    count = np.floor(expected + rng.random(n_groups)).astype(np.int64)
    order = np.lexsort((u, group))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = rank_within(group[order])
    return rank < count[group]


def provisional_section_classes(model: CountyState) -> np.ndarray:
    """Classes per school and section if each grade were split at the class-size limit
    (before classes are formed: the quota's per-class floor for the year-0 staff)."""
    s = model.students
    ec = model.cfg.enrolment
    sg = np.bincount(s.school * 10 + s.grade, minlength=model.schools.n * 10)
    sg = sg.reshape(-1, 10)
    prim = -(-sg[:, 1:7] // ec.max_class_size_primary)
    jun = -(-sg[:, 7:10] // ec.max_class_size_junior)
    return np.column_stack([prim.sum(axis=1), jun.sum(axis=1)])


def expected_growth_parts(model: CountyState, peer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pupil: the school side of yearly growth (teachers, facilities, peers ``peer`` per
    school, and the school effects of the years the pupil was taught,
    :func:`sim.processes.school_effects.year0_growth`) and the family part."""
    learn = model.cfg.learning
    s = model.students
    school_side = (learn.teacher_effect_weight
                   * learning.pupil_teacher_effect(model)
                   + learn.resource_effect * (model.resource_index()[s.school] - 1.0)
                   + learn.peer_effect * peer[s.school]
                   + school_effects.year0_growth(model))
    family = learn.ses_effect * s.ses + learn.left_behind_effect * s.left_behind
    return school_side, family


def init_achievement(model: CountyState, rng: np.random.Generator) -> None:
    """Start every pupil at the expected achievement of someone who completed g years in
    the current school (year 0 is recorded as an end-of-year state, like every later
    year), then fix the year-0 norms of each grade and ``mean_school_side``."""
    learn = model.cfg.learning
    s = model.students
    entry = s.achievement.copy()  # readiness drawn at creation
    noise = rng.standard_normal(s.n)
    model.grade_mean0 = np.zeros(10)
    model.grade_sd0 = np.ones(10)
    peer = np.zeros(model.schools.n)
    for _ in range(2):  # peers depend on everyone's achievement: one fixed-point pass
        school_side, family = expected_growth_parts(model, peer)
        # year-0 records, like every later one, are end-of-year states: a pupil in grade g
        # has completed g years of school
        s.achievement[:] = learning.accumulate(entry, school_side + family, s.grade, learn,
                                               noise)
        set_norms(model)
        peer = model.school_mean_z()
    model.mean_school_side = float(school_side.mean()) if s.n else 0.0


def set_norms(model: CountyState) -> None:
    """The year-0 mean and SD of achievement in each grade (the z-score norms)."""
    s = model.students
    cnt = np.bincount(s.grade, minlength=10)
    mean = np.bincount(s.grade, weights=s.achievement, minlength=10) / np.maximum(cnt, 1)
    var = np.bincount(s.grade, weights=s.achievement ** 2, minlength=10) / np.maximum(cnt, 1)
    model.grade_mean0 = mean
    model.grade_sd0 = np.where(cnt > 1, np.sqrt(np.maximum(var - mean ** 2, 1e-12)), 1.0)
