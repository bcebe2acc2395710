"""EducationModel: a county's compulsory-education system, simulated year by year."""

from __future__ import annotations

import contextlib
import copy
import ctypes
import dataclasses
import os
import sys
import zlib
from collections.abc import Iterator
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim import evaluation, metrics
from sim.agents import School, Student, Teacher
from sim.config import SimConfig
from sim.policies.base import build_policies
from sim.population import Memo, Table
from sim.processes import careers, enrolment, finance, learning
from sim.region import NINE_YEAR, PRIMARY, RURAL, URBAN, build_county, catchments, one_of

__all__ = ["EducationModel", "STANDARDS_PER_STUDENT", "TIER_NAMES"]

TIER_NAMES = ("urban", "town", "rural")

#: 2017 standards of the four facility indicators, per pupil, for [primary, junior]
#: (building m², sports m², equipment yuan, multimedia rooms); MOE 2017 (docs/sources.md).
STANDARDS_PER_STUDENT = np.array([
    [4.5, 7.5, 2000.0, 0.023],
    [5.8, 10.2, 2500.0, 0.024],
])
#: reference levels used to split computers and books between the sections of a nine-year
#: school (per pupil, [primary, junior]); assumption, see FinanceConfig.
_COMPUTER_BOOK_REF = np.array([[0.12, 30.0], [0.15, 39.0]])

STUDENT_SCHEMA = {
    "school": np.intp, "grade": np.int8, "zone": np.intp, "ses": np.float64,
    "achievement": np.float64, "left_behind": np.bool_, "migrant": np.bool_,
    "disabled": np.bool_, "klass": np.int16, "entry_year": np.int16,
}
TEACHER_SCHEMA = {
    "school": np.intp, "section": np.int8, "subject": np.int8, "qualification": np.int8,
    "title": np.int8, "backbone": np.bool_, "age": np.int16, "experience": np.int16,
    "years_at_school": np.int16, "skill": np.float64, "home_zone": np.intp,
    "class_key": np.int64, "post_school": np.intp,
}
SCHOOL_SCHEMA = {
    "level": np.int8, "tier": np.int8, "x": np.float64, "y": np.float64,
    "capacity": np.int64, "open": np.bool_, "building_area": np.float64,
    "sports_area": np.float64, "equipment_value": np.float64, "multimedia_rooms": np.float64,
    "computers": np.float64, "books": np.float64, "funds": np.float64,
    "designated_weak": np.bool_,
}


_ALLOCATOR_TUNED = False


def tune_allocator() -> bool:
    """Keep freed memory in the process instead of handing it back to the OS at once
    (glibc ``mallopt``: large arrays from the heap, trimmed only above 256 MiB free).

    A year allocates and frees many temporary arrays of one value per pupil (1.2 MB for
    150,000 pupils); by default glibc maps each one afresh and unmaps it when freed, so
    every array first pays a page fault per 4 KiB, which on virtual machines costs more
    than the arithmetic. Called once by the first :class:`EducationModel` (process-wide,
    like numpy's own allocation caches); set ``EDUSIM_MALLOC_TUNING=0`` to leave the
    allocator alone. Returns whether the settings were applied (glibc only)."""
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED:
        return True
    if os.environ.get("EDUSIM_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        ok = (libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024) == 1
              and libc.mallopt(m_trim_threshold, 256 * 1024 * 1024) == 1)
    except (OSError, AttributeError):
        return False
    _ALLOCATOR_TUNED = ok
    return ok


def _stream(seed: int, name: str, year: int) -> np.random.Generator:
    key = (zlib.crc32(name.encode()), year)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _gap(sum_a: float, n_a: int, sum_b: float, n_b: int) -> float:
    """Mean of group a minus mean of group b from their sums and sizes (``nan`` when a
    group is empty), as :func:`sim.metrics.group_gap` with unit weights."""
    if n_a <= 0 or n_b <= 0:
        return float("nan")
    return float(sum_a) / float(n_a) - float(sum_b) / float(n_b)


class EducationModel(mesa.Model):
    """A county of schools, teachers and pupils, one step per school year.

    Args:
        config: a :class:`~sim.config.SimConfig`, a nested dict of overrides, or None for
            the default county.
        rng: the run's integer seed (Mesa's ``rng``); ``seed`` is accepted as an alias.
            None draws a fresh seed (recorded in ``model.seed``).
        region: shortcut for ``region.preset`` ("tiny", "default", "county_l").
        **overrides: single parameters by dotted or double-underscore name
            (``teachers__rural_allowance=0.3``), as ``mesa.batch_run`` and ``SolaraViz``
            pass them.

    State: pupils in ``model.students`` and teachers in ``model.teachers`` (columnar
    :class:`~sim.population.Table`), schools in ``model.schools`` with a
    :class:`~sim.agents.School` agent each (``model.school_agents``). ``model.student(id)``
    and ``model.teacher(id)`` return Mesa agent views of individuals.

    **Yearly step** (``step``), in this order:

    0. *merging* (only if ``enrolment.merge_below`` > 0): schools that ended last year
       below that size merge into the nearest school teaching their grades.
    1. *enrolment* (:mod:`sim.processes.enrolment`): graduation after grade 9 and families
       leaving; everyone moves up a grade; rural families move to town or city; a new
       grade-1 cohort per catchment zone (birth trend per tier) and migrant arrivals;
       placement by catchment (就近入学) with capacity, school choice by richer families,
       overflow to the nearest school with seats; optional seat expansion; classes formed
       and core teachers assigned to them.
    2. *learning* (:mod:`sim.processes.learning`): every pupil's achievement grows from
       prior achievement, the class's teachers, the school's facilities, peers, family SES
       and left-behind status.
    3. *teacher careers* (:mod:`sim.processes.careers`): ageing and training; retirement
       and attrition (rural higher, lowered by the rural allowance); transfer requests
       toward urban schools; hiring into vacancies of the staffing quota; qualification
       upgrades, promotions and backbone designation.
    4. *school finance* (:mod:`sim.processes.finance`): operating funds and capital
       programme buy equipment, multimedia rooms, computers and books after depreciation.
    5. *record*: county metrics (``timeseries()``) and the per-school table of the official
       indicators (``school_history()``).

    From step 3 to the record the pupils' table is read-only, and so are all tables while
    the learning growth and the record are computed (:meth:`read_only`).

    Each process draws from its own random stream per year, spawned from the seed
    (``stream``), so scenarios share common random numbers.
    """

    def __init__(self, config: SimConfig | dict | None = None, *, rng: Any = None,
                 seed: Any = None, region: str | None = None, **overrides: Any) -> None:
        if seed is not None and rng is not None:
            raise ValueError("pass either rng or seed, not both")
        rng = seed if rng is None else rng
        if rng is None:
            rng = int(np.random.SeedSequence().generate_state(1)[0])
        if isinstance(rng, (bool, float)) or not isinstance(rng, (int, np.integer)):
            raise TypeError(f"rng (the run's seed) must be an integer, got {rng!r}")
        super().__init__(rng=int(rng))
        self.seed = int(rng)
        tune_allocator()

        if isinstance(config, SimConfig):
            cfg = copy.deepcopy(config)  # the model may adapt its copy (e.g. a loaded county)
        elif isinstance(config, dict):
            cfg = SimConfig.from_dict(config)
        elif config is None:
            cfg = SimConfig()
        else:
            raise TypeError(f"config must be a SimConfig, a dict or None, not {type(config)}")
        if region is not None:
            cfg.region.preset = region
        for key, value in overrides.items():
            cfg.set(key, value)
        self.cfg = cfg.validate()
        self.policies = build_policies(cfg.policies)

        self.year = 0
        self.flows: dict[str, int] = {}
        self.costs: dict[str, float] = {}
        self._records: list[dict[str, Any]] = []
        #: per recorded year, the per-school table as numpy columns (school_columns());
        #: school_history() builds the stacked DataFrame on demand
        self._school_years: list[dict[str, np.ndarray]] = []
        self._views: dict[str, dict[int, Any]] = {"students": {}, "teachers": {}}
        self._cache: dict[str, Any] = {}
        #: derived per-pupil / per-school quantities, reused while their input columns are
        #: unchanged (see sim.population.Memo)
        self._memo = Memo()
        self._streams: dict[tuple[str, int], np.random.Generator] = {}

        #: Mesa DataCollector with the headline county metrics (model-level only: per-pupil
        #: reporters would dominate the run time); ``timeseries()`` has every metric.
        self.datacollector = mesa.DataCollector(model_reporters={
            key: _latest(key) for key in DATACOLLECTOR_METRICS})
        self._build()
        for policy in self.policies:
            policy.setup(self)
        self._record()

    def stream(self, name: str) -> np.random.Generator:
        """The random generator of process ``name`` for the current year.

        Each (process, year) pair has its own generator spawned from the run seed, so the
        draws of one process never depend on how many numbers another process (or the same
        process in an earlier year) consumed: switching a policy on leaves every unrelated
        draw unchanged (common random numbers).
        """
        key = (name, self.year)
        gen = self._streams.get(key)
        if gen is None:
            if len(self._streams) > 64:
                self._streams.clear()
            gen = self._streams[key] = _stream(self.seed, name, self.year)
        return gen

    # ==================================================================================
    # construction
    # ==================================================================================
    def _build(self) -> None:
        cfg = self.cfg
        rng = self.stream("population")
        #: what was synthesised because the input did not give it (real counties)
        self.synthesis_notes: list[str] = []
        table = None
        if cfg.region.path:
            from sim.county_table import load_county_table
            from sim.real_county import county_from_table

            r = cfg.region
            table = load_county_table(r.path, teachers_path=r.teachers_path,
                                      grades_path=r.grades_path, tiers_path=r.tiers_path)
            county, self.school_codes = county_from_table(table.schools, self.stream("region"),
                                                          self.synthesis_notes)
        else:
            county = build_county(cfg, self.stream("region"))
            self.school_codes = [str(i) for i in range(county.n_schools)]
            self.synthesis_notes.append(f"synthetic county (preset {cfg.region.preset})")
        n_sch = county.n_schools
        #: per stock (building, sports, equipment, multimedia, computers, books), school and
        #: level: factor on pupils × standard when a nine-year school's stocks are split
        #: between its levels (1 for the synthetic county; a loaded county's year-0 split)
        self.split_adj = np.ones((6, n_sch, 2))

        self.schools = Table("school", SCHOOL_SCHEMA, capacity=n_sch)
        self.schools.add(n_sch, level=county.school_level, tier=county.school_tier,
                         x=county.school_x, y=county.school_y, open=True)
        self.school_names = list(county.school_name)
        self.school_agents = [School(self, i, county.school_name[i]) for i in range(n_sch)]
        for agent in self.school_agents:
            agent.pos = (agent.x, agent.y)

        self.zone_x, self.zone_y = county.zone_x, county.zone_y
        self.zone_tier, self.zone_weight = county.zone_tier, county.zone_weight
        self.zone_own_school = county.zone_school
        self.zone_dist = np.hypot(self.zone_x[:, None] - county.school_x[None, :],
                                  self.zone_y[:, None] - county.school_y[None, :])
        self.school_dist = np.hypot(county.school_x[:, None] - county.school_x[None, :],
                                    county.school_y[:, None] - county.school_y[None, :])
        self.school_zone = np.argmin(self.zone_dist, axis=0).astype(np.intp)
        self._update_catchments()

        if table is not None:
            from sim.real_county import populate_from_table

            self.zone_cohort0 = np.zeros(len(self.zone_x))
            populate_from_table(self, table, self.school_codes, rng)
            self._finish_build(rng)
            return

        # ---- pupils: cohort per zone and grade, falling births over the past ----------
        n_total = int(cfg.region.resolved()["n_students"])
        trend = np.array(cfg.demography.birth_trend.as_tuple())[self.zone_tier]
        grades = np.arange(1, 10)
        # a pupil in grade g entered g-1 years ago, when cohorts were (1+trend)^-(g-1) as large
        rel = (1.0 + trend[:, None]) ** (-(grades[None, :] - 1))
        expected = self.zone_weight[:, None] * rel
        expected *= n_total / expected.sum()
        counts = rng.poisson(expected)
        self.zone_cohort0 = expected[:, 0].copy()  # expected grade-1 entrants in year 0
        zone = np.repeat(np.repeat(np.arange(len(self.zone_x)), 9), counts.reshape(-1))
        grade = np.repeat(np.tile(grades, len(self.zone_x)), counts.reshape(-1)).astype(np.int8)
        self.students = Table("student", STUDENT_SCHEMA, capacity=int(len(zone) * 1.3))
        self.students.on_remove.append(lambda ids: self._retire_views("students", ids))
        new = enrolment.new_pupils(self, rng, zone, grade)
        self.students.add(len(zone), **new)
        s = self.students
        s.school[:] = np.where(s.grade >= 7, self.catch_junior[s.zone], self.catch_primary[s.zone])

        # ---- capacity and facility stocks from the initial enrolment -----------------
        sch = self.schools
        n_sec = self.section_enrolment()
        headroom = np.array(cfg.enrolment.capacity_headroom.as_tuple())[sch.tier]
        sch.capacity[:] = np.ceil(n_sec.sum(axis=1) * headroom).astype(np.int64)
        ratios = np.array([cfg.finance.initial_stock[t] for t in TIER_NAMES])[sch.tier]  # S×4
        noise = rng.lognormal(0.0, cfg.finance.stock_dispersion, size=(n_sch, 4))
        need = n_sec @ STANDARDS_PER_STUDENT  # S×4: stock that exactly meets the standard
        stock = need * ratios * noise
        sch.building_area[:], sch.sports_area[:] = stock[:, 0], stock[:, 1]
        sch.equipment_value[:], sch.multimedia_rooms[:] = stock[:, 2], stock[:, 3]
        equip_ratio = ratios[:, 2] * noise[:, 2]
        fc = cfg.finance
        sch.computers[:] = (n_sec @ np.array([1.0, 1.25])) * fc.computers_per_100 / 100 * equip_ratio
        sch.books[:] = (n_sec @ np.array([1.0, 1.3])) * fc.books_per_student * equip_ratio

        # ---- teachers ------------------------------------------------------------------
        self.teachers = Table("teacher", TEACHER_SCHEMA, capacity=int(n_sec.sum() / 10) + 64)
        self.teachers.on_remove.append(lambda ids: self._retire_views("teachers", ids))
        self._populate_teachers(rng)
        self._finish_build(rng)

    def _finish_build(self, rng: np.random.Generator) -> None:
        # ---- classes and achievement ---------------------------------------------------
        enrolment.form_classes(self, self.stream("classes"))
        # a school staffed above the national norm in year 0 (a real county's table) keeps
        # its staffing level: its quota is scaled up to its year-0 staff
        self.quota_scale = np.ones((self.schools.n, 2))
        quota0, staff0 = self.staffing_quota(), self.section_staff()
        self.quota_scale = np.maximum(
            1.0, np.divide(staff0, quota0, out=np.ones(quota0.shape), where=quota0 > 0))
        self._init_achievement(rng)
        self.school_quality = self.school_mean_z()

    def _populate_teachers(self, rng: np.random.Generator) -> None:
        tc = self.cfg.teachers
        sch = self.schools
        # provisional class counts for the quota's per-class floor
        quota = self.staffing_quota(self._provisional_section_classes())
        fill = np.array(tc.initial_staffing.as_tuple())[sch.tier]
        staff = np.where(quota > 0, np.maximum(np.rint(quota * fill[:, None]), 1), 0).astype(int)
        school = np.repeat(np.repeat(np.arange(sch.n), 2), staff.reshape(-1)).astype(np.intp)
        section = np.repeat(np.tile([0, 1], sch.n), staff.reshape(-1)).astype(np.int8)
        n = len(school)
        tier = sch.tier[school]
        pe = rng.random(n) < np.array(tc.pe_arts_share.as_tuple())[tier]
        subject = np.where(pe, 1 + (rng.random(n) < 0.5), 0).astype(np.int8)
        qualification = careers._draw_category(rng, tier, tc.initial_qualification)
        age = rng.integers(23, tc.retirement_age, size=n)
        experience = np.maximum(age - 23 - rng.integers(0, 3, size=n), 0)
        years_here = np.floor(rng.random(n) * (np.minimum(experience, 25) + 1)).astype(int)
        u = rng.random(n)
        title = np.where((experience >= 12) & (u < 0.35), 2,
                         np.where((experience >= 5) & (u < 0.75), 1, 0))
        skill = (np.array(tc.skill_mean.as_tuple())[tier]
                 + tc.qualification_skill * (qualification - 2)
                 + tc.skill_sd * rng.standard_normal(n))
        self.teachers.add(n, school=school, section=section, subject=subject,
                          qualification=qualification, title=title, age=age,
                          experience=experience, years_at_school=years_here, skill=skill,
                          home_zone=self.school_zone[school], class_key=-1, post_school=school)
        t = self.teachers
        eff = self.teacher_effectiveness()
        score = eff + 0.05 * rng.standard_normal(n)
        for k, name in enumerate(TIER_NAMES):
            idx = np.flatnonzero((tier == k) & (t.experience >= tc.backbone_min_experience))
            m = int(round(getattr(tc.initial_backbone, name) * np.count_nonzero(tier == k)))
            t.backbone[idx[np.argsort(-score[idx])[:m]]] = True

    def _provisional_section_classes(self) -> np.ndarray:
        s = self.students
        ec = self.cfg.enrolment
        sg = np.bincount(s.school * 10 + s.grade, minlength=self.schools.n * 10)
        sg = sg.reshape(-1, 10)
        prim = -(-sg[:, 1:7] // ec.max_class_size_primary)
        jun = -(-sg[:, 7:10] // ec.max_class_size_junior)
        return np.column_stack([prim.sum(axis=1), jun.sum(axis=1)])

    def _expected_growth_parts(self) -> tuple[np.ndarray, np.ndarray]:
        """Per pupil: school-side yearly growth (teachers, facilities, peers) and family part."""
        learn = self.cfg.learning
        s = self.students
        school_side = (learn.teacher_effect_weight
                       * learning.pupil_teacher_effect(self)
                       + learn.resource_effect * (self.resource_index()[s.school] - 1.0)
                       + learn.peer_effect * self._peer_term()[s.school])
        family = learn.ses_effect * s.ses + learn.left_behind_effect * s.left_behind
        return school_side, family

    def _peer_term(self) -> np.ndarray:
        return self._cache.get("peer0", np.zeros(self.schools.n))

    def _init_achievement(self, rng: np.random.Generator) -> None:
        """Start every pupil at the expected achievement of someone who completed g years in
        the current school (year 0 is recorded as an end-of-year state, like every later
        year), then fix the year-0 norms of each grade."""
        learn = self.cfg.learning
        s = self.students
        entry = s.achievement.copy()  # readiness drawn at creation
        noise = rng.standard_normal(s.n)
        self.grade_mean0 = np.zeros(10)
        self.grade_sd0 = np.ones(10)
        for _ in range(2):  # peers depend on everyone's achievement: one fixed-point pass
            school_side, family = self._expected_growth_parts()
            # year-0 records, like every later one, are end-of-year states: a pupil in grade g
            # has completed g years of school
            s.achievement[:] = _accumulate(entry, school_side + family, s.grade, learn, noise)
            self._set_norms()
            self._cache["peer0"] = self.school_mean_z()
        self._cache["mean_school_side"] = float(school_side.mean()) if s.n else 0.0

    def _set_norms(self) -> None:
        s = self.students
        cnt = np.bincount(s.grade, minlength=10)
        mean = np.bincount(s.grade, weights=s.achievement, minlength=10) / np.maximum(cnt, 1)
        var = np.bincount(s.grade, weights=s.achievement ** 2, minlength=10) / np.maximum(cnt, 1)
        self.grade_mean0 = mean
        self.grade_sd0 = np.where(cnt > 1, np.sqrt(np.maximum(var - mean ** 2, 1e-12)), 1.0)

    # ==================================================================================
    # the year
    # ==================================================================================
    def step(self) -> None:
        """Advance one school year (see the class docstring for the order)."""
        self.year += 1
        self.flows = {}
        self.costs = {}
        self._cache.pop("school_table", None)
        self.school_quality = self.school_mean_z()
        self._merge_small_schools()
        active = [p for p in self.policies if p.active(self)]
        for p in active:
            p.before_enrolment(self)
        enrolment.step(self)
        for p in active:
            p.after_enrolment(self)
        learning.step(self, self.stream("learning"))
        with self.read_only("students"):  # careers, finance and the record leave the pupils
            for p in active:
                p.before_careers(self)
            careers.step(self, self.stream("careers"))
            for p in active:
                p.after_careers(self)
            finance.step(self, self.stream("finance"))
            for p in active:
                p.after_finance(self)
            self._record()

    def run(self, years: int) -> EducationModel:
        """Run ``years`` steps; returns the model."""
        for _ in range(int(years)):
            self.step()
        return self

    def _merge_small_schools(self) -> None:
        """Merge open schools below ``enrolment.merge_below`` pupils (always: schools left
        without pupils) into the nearest open school that teaches all of their grades;
        pupils, teachers and movable stocks move."""
        sch = self.schools
        enrol = self.section_enrolment().sum(axis=1)
        small = np.flatnonzero(sch.open & (enrol < max(self.cfg.enrolment.merge_below, 1)))
        merged = 0
        for i in small[np.argsort(enrol[small])]:
            covers = sch.open & (np.arange(sch.n) != i) & (
                (sch.level == sch.level[i]) | (sch.level == NINE_YEAR))
            if not covers.any():
                continue
            j = int(np.argmin(np.where(covers, self.school_dist[i], np.inf)))
            s, t = self.students, self.teachers
            moving = s.school == i
            s.school[moving] = j
            tm = t.school == i
            t.school[tm] = j
            t.post_school[t.post_school == i] = j
            t.years_at_school[tm] = 0
            if sch.level[j] != NINE_YEAR and sch.level[i] != NINE_YEAR:
                t.section[tm] = 0 if sch.level[j] == PRIMARY else 1
            for col in ("equipment_value", "multimedia_rooms", "computers", "books"):
                sch.column(col)[j] += sch.column(col)[i]
                sch.column(col)[i] = 0.0
            sch.capacity[j] += int(moving.sum())
            sch.capacity[i] = 0
            sch.open[i] = False
            merged += 1
        if merged:
            self._update_catchments()
        self.flows["schools_merged"] = merged

    def _update_catchments(self) -> None:
        self.catch_primary, self.catch_junior = catchments(
            self.zone_dist, self.schools.level, self.schools.open, self.zone_own_school)

    # ==================================================================================
    # population bookkeeping (used by the processes)
    # ==================================================================================
    def add_students(self, values: dict[str, Any], initialise_achievement: bool = False) -> np.ndarray:
        """Append pupils; with ``initialise_achievement`` their achievement is moved from
        grade-1 readiness to the level expected for their grade (county-average school)."""
        n = len(values["zone"])
        if initialise_achievement and n:
            learn = self.cfg.learning
            family = learn.ses_effect * values["ses"] + learn.left_behind_effect * values["left_behind"]
            m = family + self._cache.get("mean_school_side", 0.0)
            noise = self.stream("arrivals").standard_normal(n)
            values = dict(values)
            # arrivals in grade g have completed g-1 years; they learn this year's in the county
            years = np.asarray(values["grade"]) - 1
            values["achievement"] = _accumulate(values["achievement"], m, years, learn, noise)
        return self.students.add(n, **values)

    def remove_students(self, mask: np.ndarray) -> np.ndarray:
        return self.students.remove(mask)

    def add_teachers(self, values: dict[str, Any]) -> np.ndarray:
        return self.teachers.add(len(values["school"]), **values)

    def remove_teachers(self, mask: np.ndarray) -> np.ndarray:
        return self.teachers.remove(mask)

    # ==================================================================================
    # derived quantities (vectorised; computed from the columns, never stored twice)
    # ==================================================================================
    def teacher_effectiveness(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Value added (student SD per year): skill minus the novice gap, which fades with
        experience: ``skill − novice_penalty · exp(−experience / experience_tau)``.
        Without ``rows``: every teacher, as a read-only array."""
        tc = self.cfg.teachers
        t = self.teachers

        def compute(skill: np.ndarray, exp: np.ndarray) -> np.ndarray:
            return skill - tc.novice_penalty * np.exp(-exp / tc.experience_tau)

        if rows is not None:
            return compute(t.skill[rows], t.experience[rows])
        return self._memo.get(
            "teacher_effectiveness", (t.skill, t.experience, tc.novice_penalty, tc.experience_tau),
            lambda: compute(t.skill, t.experience))

    def achievement_z(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Achievement in year-0 SD units of each pupil's grade (mean 0 in year 0).
        Without ``rows``: every pupil, as a read-only array."""
        s = self.students
        if rows is not None:
            g = s.grade[rows]
            return (s.achievement[rows] - self.grade_mean0[g]) / self.grade_sd0[g]

        def compute() -> np.ndarray:
            # (achievement - mean0[grade]) / sd0[grade], in one buffer
            g = s.grade.astype(np.intp)
            z = self.grade_mean0.take(g)
            np.subtract(s.achievement, z, out=z)
            z /= self.grade_sd0.take(g)
            return z

        return self._memo.get(
            "achievement_z", (s.achievement, s.grade, self.grade_mean0, self.grade_sd0), compute)

    def school_mean_z(self) -> np.ndarray:
        """Mean achievement (z) of each school's pupils; 0 for schools without pupils
        (read-only array)."""
        s = self.students
        n = self.schools.n

        def compute() -> np.ndarray:
            cnt = self.section_enrolment().sum(axis=1)  # pupils per school
            tot = np.bincount(s.school, weights=self.achievement_z(), minlength=n)
            return np.divide(tot, cnt, out=np.zeros(n), where=cnt > 0)

        return self._memo.get(
            "school_mean_z", (n, s.school, s.achievement, s.grade, self.grade_mean0,
                              self.grade_sd0), compute)

    def ses_quartiles(self) -> tuple[float, float]:
        """First and third quartiles of the pupils' SES (``np.quantile``, linear)."""
        s = self.students

        def compute() -> tuple[float, float]:
            # last computed quartiles as the guesses (the result is np.quantile's exactly)
            q = metrics.quantiles(s.ses, [0.25, 0.75], near=self._cache.get("ses_quartiles"))
            self._cache["ses_quartiles"] = q
            return float(q[0]), float(q[1])

        return self._memo.get("ses_quartiles", (s.ses,), compute)

    def school_ses_z(self) -> tuple[np.ndarray, np.ndarray]:
        """Pupils and the sum of their achievement z per school and SES group: two arrays
        (schools, 4) over [middle, bottom quartile only, top quartile only, both] (the
        quartiles of :meth:`ses_quartiles`; "both" has pupils only when they coincide).
        Read-only; the yearly record and policies' reports take group means from them."""
        s = self.students
        n = self.schools.n
        z = self.achievement_z()
        q1, q3 = self.ses_quartiles()

        def compute() -> tuple[np.ndarray, np.ndarray]:
            label = s.school * 4
            label += s.ses <= q1
            high = s.ses >= q3
            label += high
            label += high
            cnt = np.bincount(label, minlength=4 * n).reshape(n, 4)
            zs = np.bincount(label, weights=z, minlength=4 * n).reshape(n, 4)
            cnt.flags.writeable = False
            zs.flags.writeable = False
            return cnt, zs

        return self._memo.get("school_ses_z", (n, s.school, s.ses, z, q1, q3), compute)

    def section_enrolment(self) -> np.ndarray:
        """Pupils per school and section: array (schools, 2) for [primary, junior]
        (read-only)."""
        s = self.students
        n = self.schools.n

        def compute() -> np.ndarray:
            key = s.school * 2 + (s.grade >= 7)
            return np.bincount(key, minlength=n * 2).reshape(-1, 2)

        return self._memo.get("section_enrolment", (n, s.school, s.grade), compute)

    def section_staff(self) -> np.ndarray:
        """Teacher posts held per school and section (by ``post_school``: a teacher on
        rotation keeps the post at the home school)."""
        t = self.teachers
        key = t.post_school.astype(np.int64) * 2 + t.section
        return np.bincount(key, minlength=self.schools.n * 2).reshape(-1, 2)

    def fit_sections(self, rows: np.ndarray | None = None) -> None:
        """Teachers (all, or ``rows``) whose section has no pupils at their school move to
        the school's other section when that one has pupils (redeployment within a school)."""
        t = self.teachers
        rows = np.arange(t.n) if rows is None else np.asarray(rows)
        n_sec = self.section_enrolment()
        school, section = t.school[rows], t.section[rows].astype(np.int64)
        empty = n_sec[school, section] == 0
        other = 1 - section
        switch = empty & (n_sec[school, other] > 0)
        t.section[rows[switch]] = other[switch]

    def staffing_quota(self, section_classes: np.ndarray | None = None) -> np.ndarray:
        """Teacher posts (编制) per school and section: pupils / norm, with a floor of
        ``min_posts_per_class`` per class for small schools."""
        tc = self.cfg.teachers
        n_sec = self.section_enrolment()
        classes = self.section_classes if section_classes is None else section_classes
        by_ratio = np.ceil(n_sec / np.array([tc.students_per_post_primary,
                                             tc.students_per_post_junior]))
        by_class = np.ceil(classes * tc.min_posts_per_class)
        quota = np.maximum(by_ratio, by_class)
        scale = getattr(self, "quota_scale", None)
        if scale is not None:
            quota = np.ceil(quota * scale - 1e-9)
        quota = quota.astype(np.int64)
        quota[~self.schools.open] = 0
        return np.where(n_sec > 0, quota, 0)

    def vacancy_slots(self, rng: np.random.Generator, tiers: tuple[int, ...] | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
        """One (school, section) entry per vacant post, in random order."""
        vac = np.maximum(self.staffing_quota() - self.section_staff(), 0)
        if tiers is not None:
            vac[~one_of(self.schools.tier, tiers)] = 0
        flat = vac.reshape(-1)
        keys = np.repeat(np.arange(len(flat)), flat)
        keys = keys[rng.permutation(len(keys))]
        return (keys // 2).astype(np.intp), (keys % 2).astype(np.int8)

    def pe_arts_per_100(self) -> np.ndarray:
        """PE and arts teachers per 100 pupils, per school."""
        t = self.teachers
        n = self.schools.n
        pe = np.bincount(t.school[t.subject > 0], minlength=n)
        pupils = self.section_enrolment().sum(axis=1)
        return np.divide(100.0 * pe, pupils, out=np.full(n, np.inf), where=pupils > 0)

    def resource_index(self) -> np.ndarray:
        """Mean ratio of building, sports, equipment and multimedia stocks to what the
        2017 standards require for the school's pupils, each capped at ``resource_cap``
        (read-only array)."""
        sch = self.schools
        n_sec = self.section_enrolment()
        cap = self.cfg.learning.resource_cap

        def compute() -> np.ndarray:
            need = n_sec @ STANDARDS_PER_STUDENT  # S×4
            have = np.column_stack([sch.building_area, sch.sports_area, sch.equipment_value,
                                    sch.multimedia_rooms])
            ratio = np.divide(have, need, out=np.ones_like(have), where=need > 0)
            return np.minimum(ratio, cap).mean(axis=1)

        return self._memo.get("resource_index", (n_sec, sch.building_area, sch.sports_area,
                                                 sch.equipment_value, sch.multimedia_rooms,
                                                 cap), compute)

    # ---- what active policies contribute (queried by the processes) ---------------------
    def active_policies(self) -> list:
        return [p for p in self.policies if p.active(self)]

    def policy(self, name: str):
        """The policy instance called ``name`` (KeyError if it is not switched on)."""
        for p in self.policies:
            if p.name == name:
                return p
        raise KeyError(f"policy '{name}' is not active in this model")

    def policy_product(self, hook: str, *args: Any) -> np.ndarray | float:
        """Product of the active policies' multipliers from ``hook`` (1 if none)."""
        out: np.ndarray | float = 1.0
        for p in self.active_policies():
            m = getattr(p, hook)(self, *args)
            if m is not None:
                out = out * m
        return out

    def policy_sum(self, hook: str, *args: Any) -> np.ndarray | float:
        """Sum of the active policies' contributions from ``hook`` (0 if none)."""
        out: np.ndarray | float = 0.0
        for p in self.active_policies():
            m = getattr(p, hook)(self, *args)
            if m is not None:
                out = out + m
        return out

    def school_strength(self, measure: str = "achievement") -> np.ndarray:
        """A per-school strength score used to rank schools (higher = stronger):
        ``achievement`` (mean z of pupils), ``teachers`` (mean teacher effectiveness),
        ``resources`` (resource index) or ``composite`` (mean of the three, each
        standardised across open schools). Closed schools get -inf."""
        sch = self.schools
        if measure == "achievement":
            score = self.school_mean_z()
        elif measure == "teachers":
            t = self.teachers
            cnt = np.bincount(t.school, minlength=sch.n)
            tot = np.bincount(t.school, weights=self.teacher_effectiveness(), minlength=sch.n)
            score = np.divide(tot, cnt, out=np.zeros(sch.n), where=cnt > 0)
        elif measure == "resources":
            score = self.resource_index()
        elif measure == "composite":
            parts = [self.school_strength(m) for m in ("achievement", "teachers", "resources")]
            score = np.zeros(sch.n)
            for part in parts:
                ok = sch.open
                sd = part[ok].std()
                score += (part - part[ok].mean()) / (sd if sd > 0 else 1.0)
        else:
            raise ValueError(f"measure must be achievement, teachers, resources or composite, "
                             f"not {measure!r}")
        return np.where(sch.open, score, -np.inf)

    def rural_allowance(self) -> float:
        """Rural allowance as a share of base salary (policies may raise it)."""
        return self.cfg.teachers.rural_allowance

    def class_school_section(self) -> tuple[np.ndarray, np.ndarray]:
        """School and section (0 primary, 1 junior) of every class."""
        sc = self.section_classes
        counts = sc.reshape(-1)
        keys = np.repeat(np.arange(len(counts)), counts)
        return keys // 2, keys % 2

    # ==================================================================================
    # agent views
    # ==================================================================================
    def student(self, person_id: int) -> Student:
        """The Mesa agent view of one pupil (created on first use)."""
        return self._view("students", Student, person_id)

    def teacher(self, person_id: int) -> Teacher:
        """The Mesa agent view of one teacher (created on first use)."""
        return self._view("teachers", Teacher, person_id)

    def _view(self, table: str, cls: type, person_id: int) -> Any:
        person_id = int(person_id)
        view = self._views[table].get(person_id)
        if view is None:
            tbl = getattr(self, table)
            return self._new_view(table, cls, person_id, tbl.row_of(person_id))  # KeyError if absent
        return view

    def _views_at(self, table: str, cls: type, rows: np.ndarray) -> list[Any]:
        """The views of the individuals in ``rows`` of ``table`` (existing ones reused)."""
        cache = self._views[table]
        ids = getattr(self, table).id[rows].tolist()
        return [cache.get(pid) or self._new_view(table, cls, pid, row)
                for pid, row in zip(ids, rows.tolist(), strict=True)]

    def _new_view(self, table: str, cls: type, person_id: int, row: int) -> Any:
        view = cls(self, person_id)
        view._row_at = (getattr(self, table).layout, row)  # the row just looked up
        self._views[table][person_id] = view
        return view

    def _retire_views(self, table: str, ids: np.ndarray) -> None:
        cache = self._views[table]
        if not cache:
            return
        for pid in np.intersect1d(ids, np.fromiter(cache, dtype=np.int64)):
            view = cache.pop(int(pid))
            view._gone = True
            view.remove()

    # ==================================================================================
    # outputs
    # ==================================================================================
    def school_table(self) -> pd.DataFrame:
        """This year's per-school table in the evaluation format (:mod:`sim.evaluation`):
        one row per open school and level section with pupils (a nine-year school gives a
        primary and a junior row with the same ``school_id``).

        Stocks of a nine-year school are split between its sections in proportion to
        pupils × the section's standard, so both sections show the same ratio to standard.
        The frame is built on demand from :meth:`school_columns` (cached for the year).
        """
        cached = self._cache.get("school_table")
        if cached is not None and cached[0] == self.year and cached[2] is not None:
            return cached[2]
        columns = self.school_columns()
        frame = pd.DataFrame(columns)
        self._cache["school_table"] = (self.year, columns, frame)
        return frame

    def school_columns(self) -> dict[str, np.ndarray]:
        """This year's per-school table (see :meth:`school_table`) as a dict of numpy
        columns, without building a DataFrame (what the yearly record and the official
        tests use). The arrays are shared with the cache: do not modify them."""
        cached = self._cache.get("school_table")
        if cached is not None and cached[0] == self.year:
            return cached[1]
        sch, t, s = self.schools, self.teachers, self.students
        n = sch.n
        n_sec = self.section_enrolment()
        key_t = t.school.astype(np.int64) * 2 + t.section

        def per_section(mask: np.ndarray | None) -> np.ndarray:
            keys = key_t if mask is None else key_t[mask]
            return np.bincount(keys, minlength=2 * n).reshape(-1, 2)

        teachers = per_section(None)
        required = np.where(t.section == 0, 1, 2)  # primary: 专科+, junior: 本科+
        above = per_section(t.qualification >= required)
        backbone = per_section(t.backbone)
        pe_arts = per_section(t.subject > 0)
        mid_title = per_section(t.title >= 1)
        eff_sum = np.bincount(key_t, weights=self.teacher_effectiveness(), minlength=2 * n)
        key_s = s.school * 2 + (s.grade >= 7)
        z_sum = np.bincount(key_s, weights=self.achievement_z(), minlength=2 * n)
        ses_sum = np.bincount(key_s, weights=s.ses, minlength=2 * n)

        def split(stock: np.ndarray, std: np.ndarray, k: int) -> np.ndarray:
            w = n_sec * std[None, :] * self.split_adj[k]
            tot = w.sum(axis=1, keepdims=True)
            share = np.divide(w, tot, out=np.full_like(w, 0.5, dtype=float), where=tot > 0)
            return stock[:, None] * share

        cols = {
            "building_area_m2": split(sch.building_area, STANDARDS_PER_STUDENT[:, 0], 0),
            "sports_area_m2": split(sch.sports_area, STANDARDS_PER_STUDENT[:, 1], 1),
            "equipment_value_yuan": split(sch.equipment_value, STANDARDS_PER_STUDENT[:, 2], 2),
            "multimedia_rooms": split(sch.multimedia_rooms, STANDARDS_PER_STUDENT[:, 3], 3),
            "computers": split(sch.computers, _COMPUTER_BOOK_REF[:, 0], 4),
            "books": split(sch.books, _COMPUTER_BOOK_REF[:, 1], 5),
        }
        keep = (n_sec > 0) & sch.open[:, None]
        school_idx, section = np.nonzero(keep)
        pupils = n_sec[school_idx, section]
        n_t = teachers[school_idx, section]
        columns = {
            "year": np.full(len(school_idx), self.year, dtype=np.int64),
            "school_id": school_idx,
            "school_code": np.array(self.school_codes, dtype=object)[school_idx],
            "name": np.array(self.school_names, dtype=object)[school_idx],
            "level": np.where(section == 0, "primary", "junior"),
            "tier": np.array(TIER_NAMES, dtype=object)[sch.tier[school_idx]],
            "school_type": np.array(["primary", "junior", "nine_year"], dtype=object)[
                sch.level[school_idx]],
            "students": pupils,
            "teachers": n_t,
            "teachers_above_required_qualification": above[school_idx, section],
            "backbone_teachers": backbone[school_idx, section],
            "pe_arts_teachers": pe_arts[school_idx, section],
            "teachers_mid_title": mid_title[school_idx, section],
            **{k: v[school_idx, section] for k, v in cols.items()},
            "x": sch.x[school_idx], "y": sch.y[school_idx],
            "capacity": sch.capacity[school_idx],
            "mean_achievement": z_sum.reshape(-1, 2)[school_idx, section] / pupils,
            "mean_ses": ses_sum.reshape(-1, 2)[school_idx, section] / pupils,
            "teacher_effectiveness": np.divide(
                eff_sum.reshape(-1, 2)[school_idx, section], n_t,
                out=np.full(len(n_t), np.nan), where=n_t > 0),
        }
        self._cache["school_table"] = (self.year, columns, None)
        return columns

    @contextlib.contextmanager
    def read_only(self, *tables: str) -> Iterator[None]:
        """A block that does not change the given tables (``"students"``, ``"teachers"``,
        ``"schools"``; all three by default): their columns are read-only inside it (a
        write raises ``ValueError``), so derived quantities need not compare those columns
        again (see :class:`~sim.population.Memo`). The yearly record runs in such a block."""
        depth = self.__dict__.setdefault("_read_only_depth", {})
        frozen = []
        for name in tables or ("students", "teachers", "schools"):
            depth[name] = depth.get(name, 0) + 1
            if depth[name] == 1:
                getattr(self, name).set_writeable(False)
            frozen.append(name)
        try:
            yield
        finally:
            for name in frozen:
                depth[name] -= 1
                if depth[name] == 0:
                    getattr(self, name).set_writeable(True)

    def _record(self) -> None:
        with self.read_only():
            self._record_year()

    def _record_year(self) -> None:
        # the year's table is built from the final state of the year (a policy may have
        # looked at an earlier state of it during the year)
        self._cache.pop("school_table", None)
        s, t, sch = self.students, self.teachers, self.schools
        z = self.achievement_z()
        t_tier = sch.tier[t.school]
        eff = self.teacher_effectiveness()
        enrol = self.section_enrolment().sum(axis=1)  # pupils per school
        rec: dict[str, Any] = {
            "year": self.year,
            "students": s.n,
            "teachers": t.n,
            "schools_open": int(sch.open.sum()),
            "mean_achievement": float(z.mean()) if s.n else np.nan,
        }
        z_sum = np.zeros(3)
        if s.n:
            # the pupils' measures from one pass: count and sum of z per school and SES group
            # (metrics.group_gap, between_share and dissimilarity_index on the pupils give
            # the same values up to rounding; tests/test_model.py checks them)
            cnt, zs = self.school_ses_z()
            var = float(z.var())
            rec["sd_achievement"] = float(np.sqrt(var))
            low, high = cnt[:, 1] + cnt[:, 3], cnt[:, 2] + cnt[:, 3]
            rec["ses_gap"] = _gap(zs[:, 2].sum() + zs[:, 3].sum(), high.sum(),
                                  zs[:, 1].sum() + zs[:, 3].sum(), low.sum())
            per_school, zs_school = cnt.sum(axis=1), zs.sum(axis=1)
            urban, rural = sch.tier == URBAN, sch.tier == RURAL
            rec["urban_rural_gap"] = _gap(zs_school[urban].sum(), per_school[urban].sum(),
                                          zs_school[rural].sum(), per_school[rural].sum())
            if z.max() > z.min():  # exact test: rounding in the mean must not fake a variance
                rec["between_school_share"] = metrics.between_share_of_groups(
                    per_school, zs_school, s.n, float(np.sum(z)) / s.n, var)
            else:
                rec["between_school_share"] = np.nan
            rec["ses_dissimilarity"] = metrics.dissimilarity_index(low, enrol)
            rec["left_behind_share"] = float(s.left_behind.mean())
            rec["migrant_share"] = float(s.migrant.mean())
            z_sum = np.bincount(sch.tier, weights=zs_school, minlength=3)
        else:
            rec["sd_achievement"] = np.nan
        per_tier_students = np.bincount(sch.tier, weights=enrol, minlength=3).astype(np.int64)
        per_tier_teachers = np.bincount(t_tier, minlength=3)
        eff_sum = np.bincount(t_tier, weights=eff, minlength=3)
        bb = np.bincount(t_tier[t.backbone], minlength=3)
        for k, name in enumerate(TIER_NAMES):
            rec[f"students_{name}"] = int(per_tier_students[k])
            rec[f"teachers_{name}"] = int(per_tier_teachers[k])
            rec[f"achievement_{name}"] = (z_sum[k] / per_tier_students[k]
                                          if per_tier_students[k] else np.nan)
            rec[f"teacher_effectiveness_{name}"] = (eff_sum[k] / per_tier_teachers[k]
                                                    if per_tier_teachers[k] else np.nan)
            rec[f"backbone_per_100_{name}"] = (100.0 * bb[k] / per_tier_students[k]
                                               if per_tier_students[k] else np.nan)
            start = self.flows.get(f"staff_start_{name}", 0)
            rec[f"attrition_rate_{name}"] = (self.flows.get(f"attrition_{name}", 0) / start
                                             if start else np.nan)
        rec["vacancies"] = int(np.maximum(self.staffing_quota() - self.section_staff(), 0).sum())
        sizes = getattr(self, "class_size", np.zeros(0))
        if len(sizes):
            rec["mean_class_size"] = float(sizes.mean())
            rec["large_class_share"] = float((sizes > 55).mean())  # 大班额: 56 or more
        rec["schools_over_capacity"] = int(((enrol > sch.capacity) & sch.open).sum())
        for key in ("entrants", "graduates", "out_migrants", "internal_movers", "migrant_arrivals",
                    "choosers", "overflow", "retirements", "attrition", "transfers", "hires",
                    "unfilled_vacancies", "new_backbone", "seats_added", "schools_merged"):
            rec[key] = int(self.flows.get(key, 0))
        for p in self.policies:
            rec[f"cost_policy_{p.name}"] = p.take_cost() if p.active(self) else 0.0
            self.costs[f"policy_{p.name}"] = rec[f"cost_policy_{p.name}"]
            if p.active(self):
                for key, value in p.report(self).items():
                    rec[f"{p.name}.{key}"] = value
        rec["spending_yuan"] = float(sum(self.costs.values())) if self.year else np.nan
        for key, value in self.costs.items():
            rec[f"cost_{key}"] = float(value)
        rec.update(self._resource_equity())
        rec.update(self._official_tests())
        self._records.append(rec)
        self._school_years.append(self.school_columns())
        self.datacollector.collect(self)

    def _resource_equity(self) -> dict[str, Any]:
        """Inequality of resources across schools, pupil-weighted: Gini, Theil T with its
        between-tier share, and the McLoone index, for operating funds, equipment value and
        teachers above the required qualification. Each school's amount is divided by what
        its pupils would have at the level's standard (funds: the per-pupil benchmark;
        equipment and qualified teachers: the 2017 standards), so that primary and junior
        sections are comparable; equal schools give 0 (Gini, Theil) and 1 (McLoone)."""
        sch = self.schools
        n_sec = self.section_enrolment().astype(float)
        pupils = n_sec.sum(axis=1)
        keep = sch.open & (pupils > 0)
        if not keep.any():
            return {}
        fc = self.cfg.finance
        t = self.teachers
        required = np.where(t.section == 0, 1, 2)
        qualified = np.bincount(t.school[t.qualification >= required], minlength=sch.n)
        per_pupil = {
            "funds": (finance.school_funds(self),
                      n_sec @ np.array([fc.per_student_funds_primary, fc.per_student_funds_junior])),
            "equipment": (sch.equipment_value, n_sec @ STANDARDS_PER_STUDENT[:, 2]),
            "qualified_teachers": (qualified.astype(float), n_sec @ np.array([0.042, 0.053])),
        }
        w, tier = pupils[keep], sch.tier[keep]
        out: dict[str, Any] = {}
        for name, (have, standard) in per_pupil.items():
            x = have[keep] / standard[keep]
            out[f"gini_{name}"] = metrics.gini(x, w)
            dec = metrics.theil_decomposition(x, tier, w)
            out[f"theil_{name}"] = dec.total
            out[f"theil_{name}_between_tier_share"] = (
                min(max(dec.between / dec.total, 0.0), 1.0) if dec.total > 0 else np.nan)
            out[f"mcloone_{name}"] = metrics.mcloone_index(x, w)
        return out

    def _official_tests(self) -> dict[str, Any]:
        """The 2017 (quality) and 2012 (basic) county tests on this year's school table."""
        table = self.school_columns()
        ev = self.cfg.evaluation
        out: dict[str, Any] = {}
        below_pupils = 0
        verdict = {"quality": True, "basic": True}
        for level in ("primary", "junior"):
            rows = table["level"] == level
            columns = {c: v[rows] for c, v in table.items()
                       if c in evaluation.NUMERIC_COLUMNS}
            q = evaluation.evaluate_arrays(columns, level, "quality", ev.quality_threshold)
            for name, cv in zip(q.names, q.cv, strict=True):
                out[f"cv_{level}_{name}"] = float(cv)
            out[f"quality_cv_passed_{level}"] = q.cv_passed
            out[f"quality_schools_complying_{level}"] = (
                float(q.complies[q.included].mean()) if q.included.any() else np.nan)
            out[f"quality_passed_{level}"] = q.passed
            below_pupils += int(columns["students"][q.included & ~q.complies].sum())
            try:
                b = evaluation.evaluate_arrays(columns, level, "basic", ev.basic_threshold)
                out[f"basic_mean_cv_{level}"] = b.mean_cv
                out[f"basic_passed_{level}"] = b.passed
            except ValueError:  # a section without teachers: ratio undefined
                out[f"basic_mean_cv_{level}"] = np.nan
                out[f"basic_passed_{level}"] = False
            verdict["quality"] &= q.passed
            verdict["basic"] &= out[f"basic_passed_{level}"]
        out["quality_passed"] = verdict["quality"]
        out["quality_cv_passed"] = bool(out["quality_cv_passed_primary"]
                                        and out["quality_cv_passed_junior"])
        out["basic_passed"] = verdict["basic"]
        out["pupils_in_noncomplying_schools"] = below_pupils / max(int(table["students"].sum()), 1)
        return out

    def summary_extras(self) -> dict[str, Any]:
        """First year each official standard is met (None if never), for summary.json."""
        ts = self.timeseries()
        first: dict[str, Any] = {}
        for col in ("quality_passed", "basic_passed", "quality_passed_primary",
                    "quality_passed_junior", "basic_passed_primary", "basic_passed_junior",
                    "quality_cv_passed_primary", "quality_cv_passed_junior"):
            met = ts.loc[ts[col].astype(bool), "year"]
            first[col.replace("_passed", "")] = int(met.iloc[0]) if len(met) else None
        last = ts.iloc[-1]
        cvs = {c: last[c] for c in ts.columns if c.startswith("cv_")}
        out: dict[str, Any] = {"first_year_standard_met": first, "last_year_cv": cvs,
                               "county": {"path": self.cfg.region.path,
                                          "synthesised": list(self.synthesis_notes)}}
        if self.policies:
            out["policies"] = {
                p.name: {"config": dataclasses.asdict(p.config), "total_cost_yuan": p.total_cost}
                for p in self.policies}
        return out

    def timeseries(self) -> pd.DataFrame:
        """County metrics, one row per year (year 0 = initial state). A new frame on each
        call (built once per recorded year: the browser view's charts all read it)."""
        cached = self._cache.get("timeseries")
        if cached is None or cached[0] != len(self._records):
            cached = self._cache["timeseries"] = (len(self._records), pd.DataFrame(self._records))
        return cached[1].copy()

    def school_history(self) -> pd.DataFrame:
        """The per-school table of every recorded year, stacked (built on each call from
        the yearly columns kept by the record)."""
        years = self._school_years
        return pd.DataFrame({c: np.concatenate([y[c] for y in years]) for c in years[0]})


DATACOLLECTOR_METRICS = ("students", "teachers", "mean_achievement", "ses_gap", "urban_rural_gap",
                         "between_school_share", "spending_yuan")


def _latest(key: str):
    def report(model: EducationModel) -> Any:
        return model._records[-1].get(key)

    report.__name__ = f"latest_{key}"
    return report


def _accumulate(entry: np.ndarray, growth: np.ndarray, years: Any, learn: Any,
                noise: np.ndarray) -> np.ndarray:
    """Achievement after ``years`` years of constant yearly growth from grade-1 readiness:
    a = ρ^k a_1 + m (1 - ρ^k)/(1 - ρ) + σ sqrt((1 - ρ^{2k})/(1 - ρ²)) ε (exact for constant
    inputs)."""
    rho = learn.persistence
    k = np.asarray(years, dtype=float)
    carry = rho ** k
    mean_part = growth * (1.0 - carry) / (1.0 - rho)
    sd_part = learn.noise_sd * np.sqrt((1.0 - rho ** (2 * k)) / (1.0 - rho ** 2))
    return carry * entry + mean_part + sd_part * noise
