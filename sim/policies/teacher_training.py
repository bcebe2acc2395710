"""Teacher training (教师培训, 国培/省培 and school-based programmes): extra in-service training
hours for a targeted group of teachers, with diminishing returns, and optional support for
degree upgrades.

The core model already trains every teacher at the official norm of 360 hours per 5 years
(72 h a year; doc 004: «教师5年360学时培训完成率达到100%») at a tier-dependent compliance
(``teachers.training_hours``, gain ``training_effect`` per 72 h, 0 by default). This policy adds
``hours`` a year *on top* for the targeted teachers. Each year, after the core careers step
(so this year's hires can be trained before they teach):

1. **targeting** — ``target`` selects the teachers trained this year:
   ``"rural"`` teachers of rural schools; ``"all"`` every teacher; ``"weak"`` teachers of
   weak schools (the bottom ``weak_share`` of open schools by ``strength_measure``, plus the
   schools designated weak by the weak-school programme); ``"novice"`` teachers with less
   than ``novice_years`` of experience (this year's hires included);
2. **gain** — every targeted teacher receives ``h = hours × fidelity`` extra hours and their
   effectiveness (``skill``) rises by ::

       gain(h) = effect_per_72h × B_c(h / 72),
       B_c(x) = ((1 + x)^(1 − c) − 1) / (2^(1 − c) − 1)    (c ≠ 1),   ln(1 + x) / ln 2  (c = 1)

   ``B_c(0) = 0`` and ``B_c(1) = 1`` (``effect_per_72h`` is the gain from the first 72
   extra hours); ``c = curvature`` ≥ 0 sets the diminishing returns: 0 is linear, 1 (the
   default) logarithmic (144 h give 1.58×, 216 h 2×, the gain of 72 h), above 1 the gain
   saturates at ``effect_per_72h / (1 − 2^(1 − c))``;
3. **decay** (optional) — the policy's accumulated gain of each teacher
   (``training_gain`` column) fades by ``decay`` a year (``skill −= decay × gain_stock``,
   before this year's gain is added). Default 0: like the core's training, gains persist;
4. **degree upgrades** (optional, doc 002: rural teachers with a bachelor degree 60% →
   82%) — a targeted teacher below a bachelor degree (secondary or 专科) gains the next
   qualification with the extra yearly probability ``upgrade_boost × fidelity`` (on top of
   the core ``teachers.upgrade_rate``). As in the core, an upgrade changes the official
   qualification indicator, not effectiveness.

The default ``effect_per_72h`` is 0, like the core's ``training_effect``: a large
randomised evaluation of China's national teacher training programme (国培计划) found no
effect on pupils' achievement (Loyalka et al. 2019). By default the policy therefore acts
only through degree upgrades (the official qualification indicator). To model a
subject-focused programme with coaching and follow-up, set ``effect_per_72h`` up to 0.09:
coaching raised achievement by 0.18 SD in a meta-analysis of 60 causal studies, about half
of that in programmes with 100 or more teachers (Kraft, Blazar & Hogan 2018).

**Costs (yuan per year):** ``yuan_per_hour × h ×`` trained teachers, plus
``upgrade_cost_yuan`` per upgrade.

**Report:** ``trained`` (teachers), ``hours`` (total extra hours), ``mean_gain`` (per
trained teacher this year, student SD per year), ``upgrades``, ``gain_stock_mean`` (mean
accumulated policy gain over all current teachers).

**Interactions.** Acts after ``rural_incentives`` and before ``teacher_rotation`` in the
``after_careers`` hook: with ``target="rural"`` teachers rotated into rural schools in an
earlier year are trained there; trained teachers who transfer or are rotated keep their
gain. With ``target="weak"`` the weak-school programme's designations are included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.policies.base import Policy, PolicyConfig, register, weakest_schools
from sim.priors import PLUS_MINUS_50, triangular, uniform
from sim.schema import param
from sim.vocabulary import RURAL

if TYPE_CHECKING:
    from sim.state import CountyState


@dataclass
class TeacherTrainingConfig(PolicyConfig):
    hours: float = param(
        72.0, "extra hours per targeted teacher per year", 0.0, 1000.0,
        source="MOE 2017 (教督〔2017〕6号) and doc 004: norm 360 h / 5 years = 72 h a year; the "
               "policy default doubles it for the targeted teachers (assumption)",
        doc="training hours added on top of the core's teachers.training_hours")
    target: str = param(
        "rural", choices=("rural", "all", "weak", "novice"),
        source="doc 002 (training focused on rural teachers; differentiated by group: new "
               "teachers, backbone teachers, principals)",
        doc="who is trained: rural teachers, all, teachers of weak schools, or novices")
    weak_share: float = param(0.33, "share of open schools", 0.05, 0.95,
                              source="assumption (bottom third, as doc 001's weak schools)",
                              doc="target='weak': bottom share of schools by strength_measure",
                              no_prior="the lever's reach (share of schools), chosen by the user")
    strength_measure: str = param(
        "composite", choices=("achievement", "teachers", "resources", "composite"),
        source="model's school_strength measures",
        doc="target='weak': how schools are ranked")
    novice_years: int = param(3, "years of experience", 1, 40,
                              source="assumption (returns to experience plateau after ~5 "
                                     "years, Rockoff 2004)",
                              doc="target='novice': teachers with fewer years are trained",
                              no_prior="who is targeted, chosen by the user")
    effect_per_72h: float = param(
        0.0, "student SD per year of effectiveness", 0.0, 0.2,
        source="Loyalka, Popova, Li & Shi 2019 (AEJ: Applied 11(3)): the national programme "
               "(国培) had no effect on pupils' achievement, so 0 for generic training; for "
               "subject-focused coaching with follow-up up to 0.09 (Kraft, Blazar & Hogan "
               "2018, Rev. Educ. Res. 88(4): 0.18 SD pooled, about half in programmes of 100+ "
               "teachers)",
        doc="effectiveness gain of a teacher from the first 72 extra hours",
        prior=triangular(0.0, 0.0, 0.09, "Loyalka et al. 2019: null (mode 0); up to 0.09 for "
                                         "coaching (Kraft et al. 2018)"))
    curvature: float = param(
        1.0, "dimensionless", 0.0, 5.0,
        source="assumption (diminishing returns to training time)",
        doc="0 linear, 1 logarithmic, > 1 saturating gain in hours (see B_c)",
        prior=PLUS_MINUS_50)
    decay: float = param(
        0.0, "share of the accumulated gain per year", 0.0, 1.0,
        source="assumption (0: gains persist; range 0-0.5)",
        doc="yearly fade of the policy's past training gains",
        prior=uniform(0.0, 0.5, "source text: range 0-0.5 (0: gains persist)"))
    upgrade_boost: float = param(
        0.05, "probability per year", 0.0, 1.0,
        source="doc 002 (rural teachers with a bachelor degree 60% → 82%); size assumption",
        doc="extra yearly probability that a targeted below-bachelor teacher gains the next "
            "qualification")
    yuan_per_hour: float = param(
        75.0, "yuan per teacher per training hour", 0.0, 10_000.0,
        source="assumption (typical training budgets of 50-100 yuan per teacher-hour)",
        doc="cost of one hour of training for one teacher",
        no_prior="a cost: moves the policy's cost, not its effect")
    upgrade_cost_yuan: float = param(
        10_000.0, "yuan per upgrade", 0.0, 1e6,
        source="assumption (in-service degree tuition support)",
        doc="cost of supporting one qualification upgrade",
        no_prior="a cost: moves the policy's cost, not its effect")


def concave_gain(hours: float | np.ndarray, effect_per_72h: float,
                 curvature: float) -> float | np.ndarray:
    """``effect_per_72h × B_c(hours / 72)`` (see the module docstring)."""
    x = np.asarray(hours, dtype=float) / 72.0
    e = 1.0 - curvature
    if abs(e) < 1e-9:
        b = np.log1p(x) / np.log(2.0)
    else:
        b = ((1.0 + x) ** e - 1.0) / (2.0 ** e - 1.0)
    out = effect_per_72h * b
    return float(out) if np.ndim(out) == 0 else out


@register("teacher_training", position=70)
class TeacherTraining(Policy):
    Config = TeacherTrainingConfig
    intensity_fields = ("hours", "upgrade_boost")
    writes_pupils = False  # its enrolment hooks leave the pupils' table as it is

    def setup(self, model: CountyState) -> None:
        if "training_gain" not in model.teachers.schema:
            model.teachers.add_column("training_gain", np.float64, 0.0)
        self._stats: dict[str, float] = {}

    def targeted(self, model: CountyState) -> np.ndarray:
        """Teachers targeted this year (mask aligned with ``model.teachers``)."""
        c = self.config
        t = model.teachers
        sch = model.schools
        if c.target == "all":
            return np.ones(t.n, dtype=bool)
        if c.target == "rural":
            return sch.tier[t.school] == RURAL
        if c.target == "novice":
            return t.experience < c.novice_years
        # weak schools: bottom weak_share by strength, plus designated weak schools
        weak = weakest_schools(model, c.weak_share, c.strength_measure)
        weak |= sch.open & sch.designated_weak
        return weak[t.school]

    def after_careers(self, model: CountyState) -> None:
        c = self.config
        t = model.teachers
        rng = self.rng(model)
        stats = {"trained": 0.0, "hours": 0.0, "mean_gain": 0.0, "upgrades": 0.0}
        h = c.hours * c.fidelity
        boost = c.upgrade_boost * c.fidelity
        if h <= 0 and boost <= 0:
            self._stats = stats
            return

        # decay of past gains (only teachers who hold some)
        if c.decay > 0:
            held = t.training_gain != 0
            loss = c.decay * t.training_gain[held]
            t.skill[held] -= loss
            t.training_gain[held] -= loss

        target = self.targeted(model)
        n_trained = int(target.sum())
        cost = 0.0
        if h > 0 and n_trained:
            gain = concave_gain(h, c.effect_per_72h, c.curvature)
            t.skill[target] += gain
            t.training_gain[target] += gain
            stats.update(trained=float(n_trained), hours=h * n_trained, mean_gain=gain)
            cost += c.yuan_per_hour * h * n_trained

        if boost > 0:
            cand = np.flatnonzero(target & (t.qualification < 2))
            up = cand[rng.random(len(cand)) < boost]
            t.qualification[up] += 1
            stats["upgrades"] = float(len(up))
            cost += c.upgrade_cost_yuan * len(up)

        self.spend(cost)
        self._stats = stats

    def report(self, model: CountyState) -> dict[str, float]:
        t = model.teachers
        return {**self._stats,
                "gain_stock_mean": float(t.training_gain.mean()) if t.n else 0.0}
