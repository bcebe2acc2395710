"""Derived quantities of the county: computed from the tables' columns, never stored twice.

:class:`DerivedQuantities` is the part of :class:`~sim.model.EducationModel` that answers
questions about the current state: each pupil's achievement in year-0 SD units, teachers'
effectiveness, enrolment, staffing quota and vacancies per school section, resource and
strength indices of schools, and the combined contribution of the active policies to a
process. Expensive answers are memoised in ``memo`` (:class:`~sim.population.Memo`) and
reused exactly while their inputs are unchanged; what it returns is read-only.

It relies on the state that the model holds (see :class:`~sim.state.CountyState`):
``cfg``, ``students``, ``teachers``, ``schools``, ``memo``, ``policies``,
``section_classes``, ``quota_scale``, ``grade_mean0`` and ``grade_sd0``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim import metrics
from sim.standards import FACILITY_STANDARDS_PER_STUDENT
from sim.vocabulary import one_of

__all__ = ["DerivedQuantities"]


class DerivedQuantities:
    """Answers about the current state, vectorised and memoised (a mixin of the model)."""

    #: quartiles of the pupils' SES last computed: the starting guesses of the next search
    _ses_near: Any = None

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
        return self.memo.get(
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

        return self.memo.get(
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

        return self.memo.get(
            "school_mean_z", (n, s.school, s.achievement, s.grade, self.grade_mean0,
                              self.grade_sd0), compute)

    def ses_quartiles(self) -> tuple[float, float]:
        """First and third quartiles of the pupils' SES (``np.quantile``, linear)."""
        s = self.students

        def compute() -> tuple[float, float]:
            # last computed quartiles as the guesses (the result is np.quantile's exactly)
            q = metrics.quantiles(s.ses, [0.25, 0.75], near=self._ses_near)
            self._ses_near = q
            return float(q[0]), float(q[1])

        return self.memo.get("ses_quartiles", (s.ses,), compute)

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
            # group 0-3 as one byte (bottom + 2 × top), then added to school × 4
            group = (s.ses <= q1).view(np.uint8)
            group += (s.ses >= q3).view(np.uint8) * np.uint8(2)
            label = s.school * 4
            label += group
            cnt = np.bincount(label, minlength=4 * n).reshape(n, 4)
            zs = np.bincount(label, weights=z, minlength=4 * n).reshape(n, 4)
            cnt.flags.writeable = False
            zs.flags.writeable = False
            return cnt, zs

        return self.memo.get("school_ses_z", (n, s.school, s.ses, z, q1, q3), compute)

    def section_enrolment(self) -> np.ndarray:
        """Pupils per school and section: array (schools, 2) for [primary, junior]
        (read-only)."""
        s = self.students
        n = self.schools.n

        def compute() -> np.ndarray:
            key = s.school * 2
            key += s.grade >= 7
            return np.bincount(key, minlength=n * 2).reshape(-1, 2)

        return self.memo.get("section_enrolment", self._section_enrolment_inputs(), compute)

    def note_grade_enrolment(self, per_grade: np.ndarray) -> None:
        """Pupils per school and grade now, ``(schools, G)`` with column g the pupils of
        grade g (class formation counts them): the section enrolment they give is kept,
        so that :meth:`section_enrolment` need not count the pupils again (the same
        integers: grades 7 and up are the junior section)."""
        sections = np.column_stack([per_grade[:, :7].sum(axis=1), per_grade[:, 7:].sum(axis=1)])
        self.memo.put("section_enrolment", self._section_enrolment_inputs(),
                      sections.astype(np.intp))

    def _section_enrolment_inputs(self) -> tuple[Any, ...]:
        s = self.students
        return (self.schools.n, s.school, s.grade)

    def section_staff(self) -> np.ndarray:
        """Teacher posts held per school and section (by ``post_school``: a teacher on
        rotation keeps the post at the home school, unless the post was released for a
        backfill hire while the teacher is away: column ``post_released``, added by the
        teacher_rotation policy with ``backfill="hire"``)."""
        t = self.teachers
        key = t.post_school.astype(np.int64) * 2 + t.section
        if "post_released" in t.schema:
            key = key[~t.post_released]
        return np.bincount(key, minlength=self.schools.n * 2).reshape(-1, 2)

    def fit_sections(self, rows: np.ndarray | None = None) -> None:
        """Teachers (all, or ``rows``) whose section has no pupils at their school move to
        the school's other section when that one has pupils (redeployment within a school)."""
        t = self.teachers
        rows = np.arange(t.n) if rows is None else np.asarray(rows)
        n_sec = self.section_enrolment()
        school, section = t.school[rows], t.section[rows].astype(np.int64)
        # n_sec[school, section] at flat positions school × 2 + section (faster than a
        # two-dimensional index)
        flat = n_sec.ravel()
        pos = school * 2
        empty = flat.take(pos + section) == 0
        other = 1 - section
        switch = empty & (flat.take(pos + other) > 0)
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
            need = n_sec @ FACILITY_STANDARDS_PER_STUDENT  # S×4
            have = np.column_stack([sch.building_area, sch.sports_area, sch.equipment_value,
                                    sch.multimedia_rooms])
            ratio = np.divide(have, need, out=np.ones_like(have), where=need > 0)
            return np.minimum(ratio, cap).mean(axis=1)

        return self.memo.get("resource_index", (n_sec, sch.building_area, sch.sports_area,
                                                 sch.equipment_value, sch.multimedia_rooms,
                                                 cap), compute)

    # ---- what the active policies contribute (asked by the processes) -----------------
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
        own = False  # whether ``out`` is an array made here (then multiplied in place)
        for p in self.active_policies():
            m = getattr(p, hook)(self, *args)
            if m is not None:
                if own and _fits(out, m):
                    out *= m
                else:
                    out = out * m
                    own = isinstance(out, np.ndarray)
        return out

    def policy_sum(self, hook: str, *args: Any) -> np.ndarray | float:
        """Sum of the active policies' contributions from ``hook`` (0 if none)."""
        out: np.ndarray | float = 0.0
        own = False  # whether ``out`` is an array made here (then added to in place)
        for p in self.active_policies():
            m = getattr(p, hook)(self, *args)
            if m is not None:
                if own and _fits(out, m):
                    out += m
                else:
                    out = out + m
                    own = isinstance(out, np.ndarray)
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


def _fits(out: np.ndarray, m: Any) -> bool:
    """Whether ``out op= m`` gives ``out op m``: ``m`` of ``out``'s shape or a scalar, and
    the result of ``out``'s dtype (no broadcasting of ``out``, no casting)."""
    m = np.asarray(m)
    return (m.shape == out.shape or m.ndim == 0) and np.result_type(out, m) == out.dtype
