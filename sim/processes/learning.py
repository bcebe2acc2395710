"""Learning: one year of achievement growth for every pupil (vectorised).

For pupil *i* in class *c* of school *s*::

    a_i' = ρ a_i                                   persistence of prior achievement
         + T_c                                     the class's core teachers (see below)
         + β_res · (R_s − 1)                       facilities vs the 2017 standards
         + β_peer · z̄_s                            schoolmates' mean prior achievement
         + u_s                                     the school effect (see below)
         + β_ses · SES_i + β_lb · left_behind_i    family
         + P_i                                     active policies' learning effects
         + ε_i,   ε ~ N(0, σ²)

``T_c = (1 − v) · mean effectiveness of the core teachers assigned to class c + v · vacancy``
where ``v`` is the school-section's shortfall of core teachers against
``core_per_class × classes`` (a class without enough regular teachers is partly taught by
substitutes, REAP WP 328: −0.13 SD). ``R_s`` is the mean over building area, sports area,
equipment and multimedia rooms of the school's per-pupil value as a ratio to its standard,
capped at ``resource_cap``. ``u_s`` is this year's school effect (column
``school_effect`` of the schools; a persistent AR(1) part, a yearly shock and the key-school
shift, :mod:`sim.processes.school_effects`). Defaults and sources:
:class:`sim.config.LearningConfig` and :class:`sim.config.SchoolEffectConfig`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sim.state import CountyState


def class_teacher_effect(model: CountyState) -> np.ndarray:
    """Teacher contribution T_c of every class (student SD per year); a read-only array,
    reused while the teachers' columns and the classes are unchanged."""
    t = model.teachers
    tc = model.cfg.teachers
    learn = model.cfg.learning
    inputs = (model.n_classes, model.schools.n, model.section_classes, t.class_key, t.skill,
              t.experience, t.subject, t.school, t.section, tc.novice_penalty,
              tc.experience_tau, tc.core_per_class_primary, tc.core_per_class_junior,
              learn.vacancy_effect)
    return model.memo.get("class_teacher_effect", inputs, lambda: _class_teacher_effect(model))


def pupil_teacher_effect(model: CountyState) -> np.ndarray:
    """``class_teacher_effect(model)[model.class_of_student]``: the teacher contribution of
    every pupil's class (read-only, reused while classes and teachers are unchanged)."""
    per_class = class_teacher_effect(model)
    return model.memo.get("pupil_teacher_effect", (per_class, model.class_of_student),
                           lambda: per_class[model.class_of_student])


def _class_teacher_effect(model: CountyState) -> np.ndarray:
    t = model.teachers
    tc = model.cfg.teachers
    learn = model.cfg.learning
    n_cls = model.n_classes
    assigned = t.class_key >= 0
    eff = model.teacher_effectiveness()
    cls = t.class_key[assigned]
    total = np.bincount(cls, weights=eff[assigned], minlength=n_cls)
    count = np.bincount(cls, minlength=n_cls)
    mean = np.divide(total, count, out=np.full(n_cls, learn.vacancy_effect), where=count > 0)

    # shortfall of core teachers per school-section
    core = t.subject == 0
    key = t.school[core].astype(np.int64) * 2 + t.section[core]
    staff = np.bincount(key, minlength=model.schools.n * 2).reshape(-1, 2)
    need = model.section_classes * np.array([tc.core_per_class_primary,
                                             tc.core_per_class_junior])
    short = np.clip(1.0 - np.divide(staff, need, out=np.ones_like(need, dtype=float),
                                    where=need > 0), 0.0, 1.0)
    # map each class to its school-section
    cls_school, cls_section = model.class_school_section()
    v = short[cls_school, cls_section]
    return (1.0 - v) * mean + v * learn.vacancy_effect


def step(model: CountyState, rng: np.random.Generator) -> None:
    s = model.students
    learn = model.cfg.learning
    if s.n == 0:
        return
    # the sum is built in place, term by term in the order of the equation (the same
    # floating-point operations as the written-out expression, fewer temporary arrays)
    with model.read_only():  # the growth only reads the state (policies' effects too)
        growth = learn.teacher_effect_weight * pupil_teacher_effect(model)
        # a school's term is the same for each of its pupils: computed per school, then
        # looked up (the same operations on the same values as per pupil)
        term = np.take((model.resource_index() - 1.0) * learn.resource_effect, s.school)
        growth += term
        np.take(model.school_mean_z() * learn.peer_effect, s.school, out=term)
        growth += term
        np.take(model.schools.school_effect, s.school, out=term)
        growth += term
        np.multiply(s.ses, learn.ses_effect, out=term)
        growth += term
        np.multiply(s.left_behind, learn.left_behind_effect, out=term)
        growth += term
        growth += model.policy_sum("learning_effect")
    np.multiply(s.achievement, learn.persistence, out=term)
    term += growth
    noise = rng.standard_normal(s.n)
    noise *= learn.noise_sd
    term += noise
    with model.writable("students", columns=("achievement",)):
        s.achievement[:] = term


def accumulate(entry: np.ndarray, growth: np.ndarray | float, years: Any, learn: Any,
               noise: np.ndarray) -> np.ndarray:
    """Achievement after ``years`` years of constant yearly growth from grade-1 readiness:
    a = ρ^k a_1 + m (1 - ρ^k)/(1 - ρ) + σ sqrt((1 - ρ^{2k})/(1 - ρ²)) ε (exact for constant
    inputs; how year-0 pupils and arrivals get the achievement of their grade)."""
    rho = learn.persistence
    k = np.asarray(years, dtype=float)
    whole = _whole_years(k)
    if whole is not None:
        # the terms that depend on k alone, computed for each whole number of years up to
        # the largest and looked up per pupil: the same operations on the same values
        k, per = np.arange(int(whole.max()) + 1, dtype=float), whole
    carry = rho ** k
    one_minus = 1.0 - carry
    sd_part = learn.noise_sd * np.sqrt((1.0 - rho ** (2 * k)) / (1.0 - rho ** 2))
    if whole is not None:
        carry, one_minus, sd_part = carry.take(per), one_minus.take(per), sd_part.take(per)
    mean_part = growth * one_minus / (1.0 - rho)
    return carry * entry + mean_part + sd_part * noise


def _whole_years(k: np.ndarray) -> np.ndarray | None:
    """``k`` as integers when it is a long 1-D array of whole numbers from 0 to 63, else
    None."""
    if k.ndim != 1 or k.size <= 64:
        return None
    ki = k.astype(np.int64)
    if not (ki == k).all() or ki.min() < 0 or ki.max() > 63:
        return None
    return ki
