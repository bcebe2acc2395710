"""Families respond to school quality: reputations and school-district homes (学区房).

**Reputation.** Families do not see a school's value added; they see its results and its
teachers. Each year, before enrolment, every open school's *perceived quality* (the
``school_quality`` that school choice and district moves compare) is updated::

    signal_s = z̄_s + reputation_teacher_years · (ē_s − ē)
    q_s'     = memory · q_s + (1 − memory) · signal_s

with z̄_s the mean achievement (z) of the school's pupils, ē_s the mean effectiveness of its
teachers and ē the county's (student SD per year; ``reputation_teacher_years`` turns a yearly
effect into the achievement difference a family expects from it; ``memory`` is
``reputation_memory``). A school that loses its best teachers (transfers, rotation) or
gains them (a group's shared teachers) is seen as worse or better within a year or two;
``reputation_memory = reputation_teacher_years = 0`` gives the former rule (last year's
mean z).

**School-district homes.** Each year some families of grade-1 entrants consider buying a
home in another catchment zone (``district_move_rate``, more often the richer:
``logistic(logit(rate) + district_move_ses_slope · SES)``, times the enrolment policy's
``choice_multiplier``: rules that curb choice curb this route too). A considering family
moves to the zone ``z`` that maximises ::

    u_z = q(c_z) − q(c_home) − premium_z · district_premium_weight · exp(−district_move_ses_slope · SES)
          − enrolment.choice_distance_cost · d(home, z)

if that is positive, where ``c_z`` is zone z's primary catchment school and ``premium_z =
district_premium_per_sd · max(q(c_z) − q̄, 0)`` is the price premium of a home in its
catchment as a share of the home's price (q̄: the county mean weighted by the pupils of schools teaching primary grades). The move
takes the family's child into that catchment (placement and its capacity rules as for
everyone else). The premium the families pay, ``premium_z · district_home_price``, is
counted in ``flows["district_premium_yuan"]`` (households' money, not county spending).

Parameters and sources: :class:`sim.config.EnrolmentConfig` (``reputation_*``,
``district_*``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.arrays import logit, sigmoid
from sim.vocabulary import NINE_YEAR, PRIMARY, one_of

if TYPE_CHECKING:
    from sim.state import CountyState

__all__ = ["MAX_DESTINATIONS", "district_moves", "quality_signal", "update_reputation"]

#: zones a considering family compares (those of the best-reputed catchment schools)
MAX_DESTINATIONS = 64


def quality_signal(model: CountyState) -> np.ndarray:
    """This year's visible quality of every school: mean pupil z plus the expected effect of
    its teachers relative to the county's (0 for schools without pupils or teachers)."""
    ec = model.cfg.enrolment
    signal = np.array(model.school_mean_z(), dtype=float)
    if ec.reputation_teacher_years > 0 and model.teachers.n:
        t = model.teachers
        n = model.schools.n
        eff = model.teacher_effectiveness()
        cnt = np.bincount(t.school, minlength=n)
        mean = np.divide(np.bincount(t.school, weights=eff, minlength=n), cnt,
                         out=np.zeros(n), where=cnt > 0)
        rel = np.where(cnt > 0, mean - float(eff.mean()), 0.0)
        signal += ec.reputation_teacher_years * rel
    return signal


def update_reputation(model: CountyState, previous: np.ndarray | None) -> np.ndarray:
    """The perceived quality of every school this year (``previous``: last year's; None in
    year 0, when the reputation is the signal itself)."""
    signal = quality_signal(model)
    if previous is None or len(previous) != len(signal):
        return signal
    m = model.cfg.enrolment.reputation_memory
    return m * previous + (1.0 - m) * signal


def district_moves(model: CountyState, rng: np.random.Generator,
                   occupied: np.ndarray | None = None) -> None:
    """Move the families of some grade-1 entrants (not yet placed) to a better catchment.
    ``occupied``: the pupils already placed per school, when the caller has counted them."""
    ec = model.cfg.enrolment
    s = model.students
    flows = model.flows
    flows["district_movers"] = 0
    flows["district_premium_yuan"] = 0.0
    entrants = np.flatnonzero((s.school < 0) & (s.grade == 1))
    if ec.district_move_rate <= 0 or len(entrants) == 0:
        return
    u = rng.random(len(entrants))  # a fixed-size draw: the stream advances alike
    p = sigmoid(logit(ec.district_move_rate) + ec.district_move_ses_slope * s.ses[entrants])
    p = np.minimum(p * model.policy_product("choice_multiplier", entrants), 1.0)
    consider = entrants[u < p]
    if len(consider) == 0:
        return
    sch = model.schools
    q = np.asarray(model.school_quality, dtype=float)
    catch = model.catch_primary
    teaches = sch.open & one_of(sch.level, (PRIMARY, NINE_YEAR))
    if occupied is None:  # this year's entrants are not placed yet
        occupied = np.bincount(s.school[s.school >= 0], minlength=sch.n)
    enrol = occupied * teaches
    q_mean = float(np.dot(enrol, q) / enrol.sum()) if enrol.sum() > 0 else 0.0
    zone_q = np.where(teaches[catch], q[catch], -np.inf)  # per zone: its catchment's quality
    premium = ec.district_premium_per_sd * np.maximum(zone_q - q_mean, 0.0)
    premium = np.where(np.isfinite(premium), premium, 0.0)
    # destinations: the zones of the best catchment schools (a family never moves to a
    # worse one, so the top MAX_DESTINATIONS zones by quality hold every useful move)
    cand = np.argsort(-zone_q, kind="stable")[:MAX_DESTINATIONS]
    cand = cand[np.isfinite(zone_q[cand])]
    home = s.zone[consider]
    zx, zy = model.zone_x, model.zone_y
    dist = np.hypot(zx[home][:, None] - zx[cand][None, :], zy[home][:, None] - zy[cand][None, :])
    afford = np.exp(-ec.district_move_ses_slope * s.ses[consider])[:, None]
    util = (zone_q[cand][None, :] - zone_q[home][:, None]
            - premium[cand][None, :] * ec.district_premium_weight * afford
            - ec.choice_distance_cost * dist)
    util[dist > ec.choice_max_km] = -np.inf
    pick = np.argmax(util, axis=1)
    gain = util[np.arange(len(consider)), pick]
    best = cand[pick]
    move = np.isfinite(gain) & (gain > 0) & (best != home)
    movers = consider[move]
    s.zone[movers] = best[move]
    flows["district_movers"] = int(len(movers))
    flows["district_premium_yuan"] = float(premium[best[move]].sum() * ec.district_home_price)
