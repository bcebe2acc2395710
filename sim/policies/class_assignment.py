"""Class assignment within schools (doc 003): fast/slow tracking (快慢班) versus
mixed-ability classes with balanced teacher teams and shared lesson preparation (集体备课).

The baseline county is *untracked*: the core (:func:`sim.processes.enrolment.form_classes`)
deals pupils at random into equal classes of each school-grade and core teachers
round-robin to the classes of their section. This policy changes that after each year's
enrolment, in the school sections chosen by ``sections`` (``"junior"``: grades 7-9, where
快慢班 are mostly found; ``"all"``: grades 1-9). Two modes:

**mode="balanced"** (default; the reform of doc 003's rural middle school: 坚决消灭快慢班,
每一个教学组的师资水平平衡, weekly collective lesson preparation). Classes stay mixed-ability
(the core's), and teacher teams are balanced and prepare lessons together: every pupil of
class *c* in school-section *k* gets the extra yearly growth

    P_c = w · s · (T̄_k − T_c),    s = sharing × fidelity,

where ``T_c`` is the class's teacher effect (:func:`sim.processes.learning.class_teacher_effect`),
``T̄_k`` its pupil-weighted mean over the section's classes and ``w`` the core's
``learning.teacher_effect_weight``; it applies in school sections (of the chosen kind) with
at least two classes. Each class's teacher effect is thus pulled a share ``s`` of the way
to its section's mean: the section's total is unchanged (a pure redistribution), the
within-section variance of class teacher effects shrinks by ``(1 − s)²``. Pupils' classes
stay the core's random mixed-ability classes. The county pays ``prep_cost_yuan`` per
participating core teacher (in sections with at least two classes) per year, × fidelity.

**mode="tracking"** (the status quo in some counties; key classes are banned by the
Compulsory Education Law 2006, Art. 22, and veto a county in MOE 2017). In every
school-grade with at least two classes, the first ``n_fast = clip(round(fast_share × n),
1, n − 1)`` classes are *fast*. A share τ = ``tracking_intensity × fidelity`` of the
pupils (drawn at random) are sorted: ranked within their school-grade by

    score_i = z_i + ses_pull · SES_i

(prior achievement in grade SD units, tilted by family SES: richer parents push into fast
classes, doc 003), they take the seats the sorted pupils held, the best-ranked the seats
in fast classes, the rest the other seats at random. Class sizes never change (pupils only
swap seats), so the core's class-size limits hold. τ = 1 is full tracking: fast classes
hold the grade's top-ranked pupils. Likewise a share τ of the section's assigned core
teachers is sorted by effectiveness: the strongest take the teaching slots of fast classes
(every class keeps its number of teachers). Optionally (``class_peer_effect`` > 0) pupils
also gain ``class_peer_effect × (class mean prior z − school-grade mean prior z)`` a year
(the core's peer effect is school-level only). Parents' gifts (doc 003: 礼物) are a private
cost: ``gift_yuan`` per pupil in a fast class whose achievement rank alone would not have
put them there; reported (``private_gifts_yuan``), not booked. Tracking costs the county
nothing.

To study the abolition of tracking (doc 003) compare ``mode="tracking"`` (the status quo)
with ``mode="balanced"`` under the same seed; each mode also compares with the baseline
(random mixed classes without shared preparation). Intensity: ``sharing`` (balanced) and
``tracking_intensity`` (tracking); each mode ignores the other's field; both 0 leave the
run equal to the baseline.

Reported per year: ``between_class_share`` (within school-grades with ≥ 2 classes in the
chosen sections: share of the within-school-grade variance of achievement z that lies
between classes, end of year), ``class_effect_var_within`` / ``..._raw`` (pupil-weighted
within-section variance of the classes' effective / own teacher effects), and for tracking
``fast_ses_gap``, ``fast_prior_gap`` and ``fast_teacher_gap`` (fast minus other classes'
mean SES, prior z and teacher effect), ``tracked_pupils``, ``pushed_in`` and
``private_gifts_yuan``.

Interactions: tracking sorts the teachers a school has; policies that change who teaches
where (``teacher_rotation``, ``school_groups``, ``rural_incentives``) act on the teacher
stock, so under tracking a strong incoming teacher lands in a fast class. The balanced
mode's pull uses the section's teachers, so it spreads whatever those policies bring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.arrays import rank_within
from sim.policies.base import Policy, PolicyConfig, register
from sim.priors import uniform
from sim.processes.enrolment import MAX_GRADE_KEY, set_pupil_classes
from sim.processes.learning import class_teacher_effect, pupil_teacher_effect
from sim.schema import param

if TYPE_CHECKING:
    from sim.state import CountyState


@dataclass
class ClassAssignmentConfig(PolicyConfig):
    mode: str = param(
        "balanced", choices=("balanced", "tracking"),
        source="doc 003 (abolishing fast/slow classes; balanced teacher teams; collective "
               "lesson preparation)",
        doc="balanced: mixed classes + balanced teams + shared preparation; tracking: 快慢班")
    sections: str = param(
        "junior", choices=("junior", "all"),
        source="doc 003 (a rural junior middle school); all for counties that also track "
               "primary grades",
        doc="school sections the policy acts in")
    sharing: float = param(
        0.5, "share of the gap to the section mean closed", 0.0, 1.0,
        source="doc 003 (balanced teams, weekly collective preparation); size: assumption",
        doc="balanced mode: pull of each class's teacher effect to its section's mean "
            "(0: baseline, 1: every class gets the section mean)")
    prep_cost_yuan: float = param(
        2_000.0, "yuan per participating core teacher per year", 0.0, 1e5,
        source="assumption (about 1.2 hours a week of collective preparation over 38 weeks at "
               "the base salary's hourly rate of about 44 yuan)",
        doc="balanced mode: cost of preparation time",
        no_prior="a cost: moves the policy's cost, not its effect")
    tracking_intensity: float = param(
        1.0, "share of pupils and teachers sorted", 0.0, 1.0,
        source="doc 003 (快慢班); partial values: assumption",
        doc="tracking mode: share of pupils (and core teachers) sorted by rank (0: baseline, "
            "1: full tracking)")
    fast_share: float = param(
        0.34, "share of a grade's classes", 0.0, 1.0,
        source="assumption (one fast class in two to four)",
        doc="tracking mode: fast classes = clip(round(fast_share × classes), 1, classes − 1)",
        prior=uniform(0.25, 0.5, "the source's range: one fast class in two to four"))
    ses_pull: float = param(
        0.3, "achievement SD per SD of SES", 0.0, 5.0,
        source="doc 003 (parents choose classes and give gifts); size: assumption",
        doc="tracking mode: weight of family SES in the ranking score")
    class_peer_effect: float = param(
        0.0, "student SD per year per SD of class mean vs grade mean", 0.0, 0.5,
        source="assumption (off: the core's peer effect is school-level, Gibbons & Telhaj; "
               "set > 0 to let class composition matter under tracking)",
        doc="tracking mode: effect of class-mates' mean prior achievement relative to the "
            "school-grade's",
        prior=uniform(0.0, 0.06, "off by default: from none to twice the school-level "
                                 "0.03 (Gibbons & Telhaj)"))
    gift_yuan: float = param(
        1_000.0, "yuan per family per year", 0.0, 1e6,
        source="doc 003 (parents give teachers gifts for better placements); amount: "
               "assumption",
        doc="tracking mode: private gift per pupil pushed into a fast class (reported, not "
            "booked)")


def between_class_share(model: CountyState, sections: str = "junior") -> float:
    """Within school-grades with ≥ 2 classes (grades 7-9 for ``"junior"``, 1-9 for
    ``"all"``): between-class sum of squares of achievement z / total sum of squares around
    the school-grade means (NaN when there are no such school-grades)."""
    # from per-class sums (each class lies in one school-grade): Σ_i (z_i − m_sg)² of a
    # class is Σ z² − 2·m_sg·Σ z + n·m_sg², and its between part n·(m_c − m_sg)²
    cls = model.class_of_student
    z = model.achievement_z()
    n_c = model.class_size.astype(float)
    s1 = np.bincount(cls, weights=z, minlength=model.n_classes)
    s2 = np.bincount(cls, weights=z * z, minlength=model.n_classes)
    per_key = model.classes_per_key
    key = np.repeat(np.arange(len(per_key)), per_key)  # school-grade of each class
    keep = per_key[key] >= 2
    if sections == "junior":
        keep &= key % MAX_GRADE_KEY >= 7
    if not keep.any():
        return float("nan")
    key, n_c, s1, s2 = key[keep], n_c[keep], s1[keep], s2[keep]
    n_sg = np.bincount(key, weights=n_c)
    m_sg = (np.bincount(key, weights=s1) / np.maximum(n_sg, 1))[key]
    m_c = s1 / np.maximum(n_c, 1)
    total = float(np.sum(s2 - 2.0 * m_sg * s1 + n_c * m_sg ** 2))
    between = float(np.sum(n_c * (m_c - m_sg) ** 2))
    # no spread within the school-grades (up to rounding in the sums): undefined
    return between / total if total > 1e-12 * float(np.sum(s2)) else float("nan")


@register("class_assignment", position=20)
class ClassAssignment(Policy):
    Config = ClassAssignmentConfig
    intensity_fields = ("sharing", "tracking_intensity")
    writes_pupils = False  # its one write (the pupils' classes) says so itself

    def setup(self, model: CountyState) -> None:
        self._stats: dict[str, float] = {}
        self._peer: np.ndarray | None = None

    def intensity(self) -> float:
        c = self.config
        nominal = c.sharing if c.mode == "balanced" else c.tracking_intensity
        return nominal * c.fidelity

    # ---- scope -------------------------------------------------------------------------
    def _section_in_scope(self, section: np.ndarray) -> np.ndarray:
        if self.config.sections == "all":
            return np.ones(len(section), dtype=bool)
        return np.asarray(section) == 1

    def _class_tables(self, model: CountyState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per class: school-grade key, index within it, and whether it is in scope with at
        least one other class in its school-grade (where tracking can sort)."""
        per_key = model.classes_per_key
        key = np.repeat(np.arange(len(per_key)), per_key)
        index = np.arange(model.n_classes) - model.class_offset[key]
        grade = key % MAX_GRADE_KEY
        scope = (per_key[key] >= 2) & self._section_in_scope((grade >= 7).astype(np.int8))
        return key, index, scope

    def _section_scope(self, model: CountyState) -> tuple[np.ndarray, np.ndarray]:
        """Per class: its school-section key (school × 2 + section), and whether that
        section is in scope with at least two classes (where teams can be balanced)."""
        cls_school, cls_section = model.class_school_section()
        key = cls_school * 2 + cls_section
        scope = ((model.section_classes.reshape(-1)[key] >= 2)
                 & self._section_in_scope(cls_section))
        return key, scope

    def n_fast(self, classes: np.ndarray) -> np.ndarray:
        """Fast classes in a school-grade with ``classes`` classes (0 if fewer than 2)."""
        k = np.clip(np.rint(self.config.fast_share * classes), 1, np.maximum(classes - 1, 1))
        return np.where(classes >= 2, k, 0).astype(np.int64)

    # ---- yearly action -------------------------------------------------------------------
    def after_enrolment(self, model: CountyState) -> None:
        self._stats = {}
        self._peer = None
        tau = self.intensity()
        if tau <= 0:
            return
        if self.config.mode == "tracking":
            self._track(model, tau)
        else:
            self._book_preparation(model)
        self._class_effect_stats(model)

    def _book_preparation(self, model: CountyState) -> None:
        t = model.teachers
        key, scope = self._section_scope(model)
        active = np.bincount(key[scope], minlength=2 * model.schools.n) > 0
        assigned = (t.subject == 0) & (t.class_key >= 0)
        key_t = t.school.astype(np.int64) * 2 + t.section
        n = int((assigned & active[key_t]).sum())
        self._stats["participating_teachers"] = float(n)
        self.spend(self.config.prep_cost_yuan * n * self.config.fidelity)

    def _track(self, model: CountyState, tau: float) -> None:
        c = self.config
        s, t = model.students, model.teachers
        rng = self.rng(model)
        u_pick, u_seat = rng.random(s.n), rng.random(s.n)

        # ---- pupils --------------------------------------------------------------------
        sg = s.school * MAX_GRADE_KEY + s.grade
        n_cls = model.classes_per_key[sg]
        scope = (n_cls >= 2) & self._section_in_scope((s.grade >= 7).astype(np.int8))
        fast_n = self.n_fast(n_cls)
        is_fast_seat = s.klass < fast_n
        z = model.achievement_z()
        score = z + c.ses_pull * s.ses
        idx = np.flatnonzero(scope & (u_pick < tau))
        klass = s.klass.copy()
        if len(idx):
            seats = idx[np.lexsort((u_seat[idx], ~is_fast_seat[idx], sg[idx]))]
            pupils = idx[np.lexsort((-score[idx], sg[idx]))]
            klass[pupils] = s.klass[seats]
            with model.writable("students", columns=("klass",)):
                set_pupil_classes(model, klass)
        fast = scope & (s.klass < fast_n)

        # ---- teachers: the strongest core teachers take the fast classes' slots ---------
        cls_key, cls_index, cls_scope = self._class_tables(model)
        fast_class = cls_scope & (cls_index < self.n_fast(model.classes_per_key[cls_key]))
        cls_school, cls_section = model.class_school_section()
        n_sch = model.schools.n
        has_fast = np.bincount(cls_school[fast_class] * 2 + cls_section[fast_class],
                               minlength=2 * n_sch) > 0
        u_t = rng.random(t.n)
        u_slot = rng.random(t.n)
        key_t = t.school.astype(np.int64) * 2 + t.section
        movable = (t.subject == 0) & (t.class_key >= 0) & has_fast[key_t] & (u_t < tau)
        ti = np.flatnonzero(movable)
        if len(ti):
            eff = model.teacher_effectiveness()
            slots = ti[np.lexsort((u_slot[ti], ~fast_class[t.class_key[ti]], key_t[ti]))]
            order = ti[np.lexsort((-eff[ti], key_t[ti]))]
            t.class_key[order] = t.class_key[slots].copy()

        # ---- optional class peer effect (prior achievement of class-mates) --------------
        if c.class_peer_effect > 0:
            cls = model.class_of_student
            n_c = np.bincount(cls, minlength=model.n_classes)
            m_c = np.bincount(cls, weights=z, minlength=model.n_classes) / np.maximum(n_c, 1)
            n_sg = np.bincount(sg)
            m_sg = np.bincount(sg, weights=z) / np.maximum(n_sg, 1)
            self._peer = np.where(scope, c.class_peer_effect * (m_c[cls] - m_sg[sg]), 0.0)

        # ---- what the sorting did ---------------------------------------------------------
        tracked = scope & (fast_n > 0)
        other = tracked & ~fast
        te = pupil_teacher_effect(model)
        # pushed in: in a fast class although the achievement rank alone is below the cut
        ti_s = np.flatnonzero(tracked)
        order = ti_s[np.lexsort((-z[ti_s], sg[ti_s]))]
        rank = np.zeros(s.n, dtype=np.int64)
        rank[order] = rank_within(sg[order])
        fast_seats = np.bincount(sg[fast], minlength=len(model.classes_per_key))
        pushed = fast & (rank >= fast_seats[sg])
        n_pushed = float(pushed.sum())

        def gap(x: np.ndarray) -> float:
            if not (fast.any() and other.any()):
                return float("nan")
            return float(x[fast].mean() - x[other].mean())

        self._stats.update({
            "tracked_pupils": float(tracked.sum()),
            "fast_pupils": float(fast.sum()),
            "fast_ses_gap": gap(s.ses),
            "fast_prior_gap": gap(z),
            "fast_teacher_gap": gap(te),
            "pushed_in": n_pushed,
            "private_gifts_yuan": n_pushed * c.gift_yuan,
        })

    def _class_effect_stats(self, model: CountyState) -> None:
        """Pupil-weighted within-section variance of class teacher effects, own and
        effective (after the balanced mode's pull), over sections with ≥ 2 classes."""
        T = class_teacher_effect(model)
        key, scope = self._section_scope(model)
        eff_T = T + self._pull(model, T)
        w = np.where(scope, model.class_size, 0).astype(float)
        if w.sum() == 0:
            return
        n = np.bincount(key, weights=w)
        for name, x in (("class_effect_var_within_raw", T), ("class_effect_var_within", eff_T)):
            m = np.bincount(key, weights=w * x) / np.maximum(n, 1e-12)
            self._stats[name] = float((w * (x - m[key]) ** 2).sum() / w.sum())

    def _pull(self, model: CountyState, T: np.ndarray) -> np.ndarray:
        """Per class: the balanced mode's change of the class teacher effect (0 otherwise):
        ``s · (T̄_k − T_c)`` with ``T̄_k`` the pupil-weighted mean of its section."""
        if self.config.mode != "balanced" or self.intensity() <= 0:
            return np.zeros(len(T))
        key, scope = self._section_scope(model)
        size = model.class_size.astype(float)
        n = np.bincount(key, weights=size)
        mean = np.bincount(key, weights=size * T) / np.maximum(n, 1e-12)
        return np.where(scope, self.intensity() * (mean[key] - T), 0.0)

    # ---- effect on learning --------------------------------------------------------------
    def learning_effect(self, model: CountyState) -> np.ndarray | None:
        if self.intensity() <= 0:
            return None
        if self.config.mode == "tracking":
            return self._peer
        pull = self._pull(model, class_teacher_effect(model))
        # per class, then looked up per pupil (the same product)
        return (model.cfg.learning.teacher_effect_weight * pull).take(model.class_of_student)

    def report(self, model: CountyState) -> dict[str, float]:
        out = {"between_class_share": between_class_share(model, self.config.sections)}
        out.update(self._stats)
        return out
