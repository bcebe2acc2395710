"""School effects: what a school adds to its pupils' growth beyond its teachers, facilities
and peers, and key schools (重点/名校).

**School effect.** Every school has an effect ``u_s`` (student SD per year of growth) that
enters every pupil's yearly growth (:func:`sim.processes.learning.step`) and the year-0
achievement (:func:`sim.construction.expected_growth_parts`). It is the sum of three parts::

    u_s,t = key_effect · key_s + p_s,t + v_s,t
    p_s,t = φ p_s,t−1 + sqrt(1 − φ²) σ_p ε        persistent part (leadership, culture, practice)
    v_s,t = σ_v η                                   transient part (the year's circumstances)

with ε, η ~ N(0, 1) independent across schools and years. ``p`` is a stationary AR(1) with
SD ``persistent_sd`` (σ_p) and yearly autocorrelation ``persistence`` (φ); ``v`` is drawn
afresh every year with SD ``transient_sd`` (σ_v). The split follows the Chinese 中考
value-added study (ICC 0.20 of exit-exam scores, but school value added "correlates very
weakly across years, sometimes negatively"): the persistent part together with intake and
teachers makes the between-school share of achievement, while the transient part makes
school value added unstable from year to year without adding much to the share (a one-year
shock is diluted over the grades and years a pupil accumulates).

**Year 0.** The effects are drawn in their stationary distribution; for the year-0 pupils
the past is drawn too (:data:`HISTORY` years back, the AR(1) run backwards, which is exact
for a stationary Gaussian AR(1), and one transient draw per past year), so a pupil in grade
*g* carries ``Σ_{k<g} ρ^k u_s,−k`` like a pupil simulated through those years (a junior
pupil's primary years at the home zone's catchment primary school; :func:`year0_growth`).

**Key schools.** A share ``key_share`` of each tier's schools (drawn per tier and type of
school) is flagged ``key_school``, unless a loaded county's table gives the flags (its
``key_school`` column; :func:`init_schools` with ``key``). A key school has a higher mean effect (``key_effect``),
stronger teachers (``key_teacher_skill``, added to the skill of its year-0 teachers and of
its new hires), the first pick of transfer applicants to its tier (``key_transfer_priority``;
:func:`order_transfer_slots`), and, where school choice is allowed
(``enrolment.choice_rate`` > 0 and no policy forbids it), extra appeal to choosing families
(``key_choice_bonus``; :func:`choice_appeal`): its seats go to the richest applicants
first, so it draws higher-SES pupils. In year 0 the families of the built-in county that
chose in the past are placed (by the quality the school effects made, the key bonus and
distance) before the schools' capacities are set (:func:`place_year0_choosers`).

Random numbers come from the stream ``school_effects`` (year 0: the draws of
:func:`init_schools` and :func:`place_year0_choosers`; every later year: :func:`step`), so
no other process's draws move. Parameters and sources: :class:`sim.config.SchoolEffectConfig`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.arrays import logit, sigmoid
from sim.vocabulary import JUNIOR, NINE_YEAR, PRIMARY, one_of

if TYPE_CHECKING:
    from sim.state import CountyState

__all__ = ["HISTORY", "choice_appeal", "init_schools", "order_transfer_slots",
           "place_year0_choosers", "step", "teacher_skill_shift", "year0_growth"]

#: years of school effects drawn for the year-0 pupils: year 0 and the 8 years before, the
#: years a grade-9 pupil has been taught (a year-0 record is an end-of-year state)
HISTORY = 9


def init_schools(model: CountyState, rng: np.random.Generator,
                 key: np.ndarray | None = None) -> None:
    """Year 0: flag key schools (``key`` given: as given) and draw every school's effect
    and its past (``model.school_effect_path``). Call once the schools table exists."""
    se = model.cfg.school_effects
    sch = model.schools
    n = sch.n
    # fixed-size draws first (the stream advances the same whatever the parameters)
    u_key = rng.random(n)
    order = rng.random(n)
    eps = rng.standard_normal((n, HISTORY))
    eta = rng.standard_normal((n, HISTORY))
    if key is None:
        key = _draw_key_schools(model, u_key, order)
    sch.key_school[:] = np.asarray(key, dtype=bool)
    # persistent part: stationary in year 0, then run backwards (a stationary Gaussian
    # AR(1) is time-reversible)
    phi, sd_p = se.persistence, se.persistent_sd
    p = np.empty((n, HISTORY))
    p[:, 0] = sd_p * eps[:, 0]
    innovation = np.sqrt(1.0 - phi ** 2) * sd_p
    for k in range(1, HISTORY):
        p[:, k] = phi * p[:, k - 1] + innovation * eps[:, k]
    path = se.key_effect * sch.key_school[:, None] + p + se.transient_sd * eta
    model.school_effect_path = path  # column k: year −k
    sch.school_effect_persistent[:] = p[:, 0]
    sch.school_effect[:] = path[:, 0]


def _draw_key_schools(model: CountyState, u: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Key schools: in each tier and type of school (primary, junior, nine-year), the share
    ``key_share`` of the tier's schools, rounded at random (so the expected count is exact);
    which schools, at random."""
    sch = model.schools
    share = np.array(model.cfg.school_effects.key_share.as_tuple())
    key = np.zeros(sch.n, dtype=bool)
    for tier in range(3):
        for level in (PRIMARY, JUNIOR, NINE_YEAR):
            idx = np.flatnonzero((sch.tier == tier) & (sch.level == level))
            if len(idx) == 0:
                continue
            want = share[tier] * len(idx)
            m = int(np.floor(want + u[idx[0]]))
            key[idx[np.argsort(order[idx])[:m]]] = True
    return key


def step(model: CountyState, rng: np.random.Generator) -> None:
    """One year of the school effects' dynamics (before learning)."""
    se = model.cfg.school_effects
    sch = model.schools
    eps = rng.standard_normal(sch.n)
    eta = rng.standard_normal(sch.n)
    phi = se.persistence
    p = phi * sch.school_effect_persistent + np.sqrt(1.0 - phi ** 2) * se.persistent_sd * eps
    sch.school_effect_persistent[:] = p
    sch.school_effect[:] = se.key_effect * sch.key_school + p + se.transient_sd * eta


def year0_growth(model: CountyState) -> np.ndarray:
    """Per pupil, the constant yearly growth equivalent to the school effects of the years
    the pupil has been taught at year 0: ``Σ_{k<g} ρ^k u_{s_k},−k / Σ_{k<g} ρ^k`` for a pupil
    in grade g (:func:`sim.processes.learning.accumulate` then gives the pupil exactly the
    sum), where ``s_k`` is the pupil's school in year −k: the current school for the grades
    of its level, the home zone's catchment primary school for the primary years of a
    junior pupil (who moved at grade 7)."""
    s = model.students
    rho = model.cfg.learning.persistence
    path = model.school_effect_path
    w = rho ** np.arange(HISTORY)
    cum = np.cumsum(path * w[None, :], axis=1)  # S × HISTORY: sum over the last k+1 years
    norm = np.cumsum(w)
    g = np.clip(s.grade.astype(np.intp), 1, HISTORY)
    junior = g >= 7
    here = np.where(junior, g - 6, g) - 1  # years −0 … −here in the current school
    # cum[school, year] at flat positions school × HISTORY + year (the same elements as
    # the two-dimensional index, faster)
    flat = cum.ravel()
    total = flat.take(s.school * HISTORY + here)
    if junior.any():
        # the primary years (−(g−6) … −(g−1)) in the catchment primary school of the home zone
        j = np.flatnonzero(junior)
        prim = model.catch_primary[s.zone[j]] * HISTORY
        total[j] += flat.take(prim + (g[j] - 1)) - flat.take(prim + here[j])
    return total / norm[g - 1]


def teacher_skill_shift(model: CountyState, school: np.ndarray) -> np.ndarray:
    """The skill added to a teacher drawn or hired for ``school`` (key schools recruit
    stronger teachers)."""
    return model.cfg.school_effects.key_teacher_skill * model.schools.key_school[school]


def order_transfer_slots(model: CountyState, slots_school: np.ndarray,
                         slots_section: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vacant posts offered to transfer applicants: key schools' posts first (they pick the
    best applicants), each group in its given order; unchanged without the priority."""
    if not model.cfg.school_effects.key_transfer_priority or len(slots_school) == 0:
        return slots_school, slots_section
    order = np.argsort(~model.schools.key_school[slots_school], kind="stable")
    return slots_school[order], slots_section[order]


def choice_appeal(model: CountyState) -> np.ndarray:
    """Per school, what its reputation adds to a choosing family's utility (achievement SD):
    ``key_choice_bonus`` for a key school, 0 otherwise."""
    return model.cfg.school_effects.key_choice_bonus * model.schools.key_school


def place_year0_choosers(model: CountyState, rng: np.random.Generator) -> None:
    """The built-in county's year 0: pupils whose families chose a school when they entered
    (grade 1 for a primary grade, grade 7 for a junior grade) are moved from their
    catchment school to the school they prefer. A family chooses with the probability of
    the yearly placement (``enrolment.choice_rate``, richer families more often) and
    compares the schools teaching the pupil's grade within ``enrolment.choice_max_km`` as
    the yearly placement does, by quality, reputation (``key_choice_bonus``) and distance;
    the quality a family sees is what the school's effects have added to its pupils (the
    mean over grades 1-9 of ``Σ_{k<g} ρ^k u_s,−k``: no achievement exists yet). Seats are
    not limited (the year-0 capacities are set afterwards from these enrolments)."""
    s = model.students
    sch = model.schools
    ec = model.cfg.enrolment
    u = rng.random(s.n)  # fixed-size draw
    if ec.choice_rate <= 0 or s.n == 0:
        return
    p = sigmoid(logit(ec.choice_rate) + ec.choice_ses_slope * s.ses)
    chooser = u < p
    junior = s.grade >= 7
    w = model.cfg.learning.persistence ** np.arange(HISTORY)
    seen = np.cumsum(model.school_effect_path * w[None, :], axis=1).mean(axis=1)
    appeal = seen + choice_appeal(model)
    for is_junior in (False, True):
        levels = (JUNIOR, NINE_YEAR) if is_junior else (PRIMARY, NINE_YEAR)
        teaches = sch.open & one_of(sch.level, levels)
        who = np.flatnonzero(chooser & (junior == is_junior))
        if len(who) == 0:
            continue
        zones, inv = np.unique(s.zone[who], return_inverse=True)
        d = model.zone_dist[zones]  # zones × schools
        util = appeal[None, :] - ec.choice_distance_cost * d
        util = np.where(teaches[None, :] & (d <= ec.choice_max_km), util, -np.inf)
        best = np.argmax(util, axis=1)[inv.reshape(-1)]
        current = s.school[who]
        # compared, not subtracted: a school out of reach has utility -inf (and -inf - -inf
        # is undefined); a > b exactly when a - b > 0
        move = util[inv.reshape(-1), best] > util[inv.reshape(-1), current]
        s.school[who[move]] = best[move]
