"""Teacher rotation (教师交流轮岗 / 支教): teachers of strong or urban schools serve a term in
weak or rural schools.

Each year, after the core teacher careers (so rotated teachers teach at their host school
from the next school year):

1. **returns** — teachers whose term ended go back to the school that holds their post
   (``after_term="return"``) or stay, their post moving with them (``"stay"``);
2. **eligible** — teachers of the *sending* schools who have been at least
   ``eligibility_years`` at their school and are not on rotation;
3. **selection** — ``rate × fidelity`` of the eligible are selected; backbone teachers are
   picked first until they make up ``backbone_share`` of the rotated (or of the eligible,
   ``backbone_denominator="eligible"``), the rest at random;
4. **refusal** — an unwilling teacher leaves the county instead, with probability
   ``refusal_base × (1 + distance / refusal_distance_km) × exp(−pay_semi_elasticity ×
   allowance / base_salary)`` (doc 002: 城市教师不愿长期派驻农村; Guo et al. 2026 report
   rotation raising teacher attrition);
5. **placement** — the others go to the *receiving* schools in proportion to their pupils
   (``urban_to_rural`` and ``strong_to_weak``; remainders to the weakest) or each to the
   nearest receiving school (``nearest_weak``), for ``term_years``. Their post stays at the home school (the home
   school cannot fill it: the vacancy is part of the continuity cost), and the pupils of a
   sending school lose ``continuity_cost`` × the share of its teachers sent away in the next
   year's learning.

Sending / receiving schools: ``urban_to_rural`` — urban → rural schools;
``strong_to_weak`` and ``nearest_weak`` — the top / bottom ``weak_share`` of open schools by
``strength_measure`` (``designated_weak`` schools of the weak-school programme are always
receivers).

Variant (doc 001): with ``new_hire_urban_years`` = N > 0, teachers newly hired by rural
schools first spend N years at the nearest urban school teaching the same level, gaining
``mentoring_gain`` a year, while their rural post waits for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.policies.base import Policy, PolicyConfig, open_schools_by_strength, register, share_of
from sim.processes.careers import pay_response
from sim.schema import param
from sim.vocabulary import JUNIOR, NINE_YEAR, PRIMARY, RURAL, URBAN, one_of

if TYPE_CHECKING:
    from sim.state import CountyState


@dataclass
class TeacherRotationConfig(PolicyConfig):
    rate: float = param(
        0.10, "share of eligible teachers per year", 0.0, 1.0,
        source="MOE 2017 (教督〔2017〕6号): at least 10% of eligible teachers rotate each year; "
               "doc 004",
        doc="share of the sending schools' eligible teachers rotated each year")
    eligibility_years: int = param(
        6, "years at the current school", 0, 40,
        source="MOE 2017 / common local rule (6 consecutive years at one school)")
    backbone_share: float = param(
        0.20, "share", 0.0, 1.0,
        source="MOE 2017: backbone teachers at least 20% of those rotated; doc 004",
        doc="minimum share of backbone teachers (of the denominator below)")
    backbone_denominator: str = param(
        "rotated", choices=("rotated", "eligible"),
        source="MOE 2017 (rotated); some provinces use the eligible",
        doc="what backbone_share is a share of")
    direction: str = param(
        "urban_to_rural", choices=("urban_to_rural", "strong_to_weak", "nearest_weak"),
        source="DOMAIN: urban → rural, strong → weak, township centre → village",
        doc="which schools send and receive, and how teachers are matched")
    strength_measure: str = param(
        "composite", choices=("achievement", "teachers", "resources", "composite"),
        doc="school-strength measure for strong_to_weak / nearest_weak")
    weak_share: float = param(0.33, "share of schools", 0.05, 0.95,
                              doc="top / bottom share of schools that send / receive")
    term_years: int = param(3, "years", 1, 10, source="local rules: terms of 1-3 years",
                            doc="length of a rotation term")
    after_term: str = param("return", choices=("return", "stay"),
                            doc="whether a teacher returns to the home school after the term")
    continuity_cost: float = param(
        0.02, "student SD per year per unit share of teachers sent away", 0.0, 1.0,
        doc="learning loss at a sending school, × the share of its teachers rotated out")
    refusal_base: float = param(
        0.05, "probability", 0.0, 1.0,
        source="assumption (direction: doc 002; Guo et al. 2026)",
        doc="probability that a selected teacher leaves the county instead of rotating")
    refusal_distance_km: float = param(20.0, "km", 0.1, 1000.0,
                                       doc="distance at which the refusal probability doubles")
    allowance_yuan: float = param(
        12_000.0, "yuan per rotated teacher per year", 0.0, 1e6,
        doc="rotation allowance; lowers refusal like pay lowers attrition")
    new_hire_urban_years: int = param(
        0, "years", 0, 10, source="doc 001: new rural hires trained 3 years in urban schools",
        doc="years new rural hires first spend at an urban school (0: off)")
    mentoring_gain: float = param(0.02, "student SD per year", 0.0, 0.5,
                                  doc="effectiveness gain per year of urban placement")
    mentoring_cost_yuan: float = param(5_000.0, "yuan per trainee per year", 0.0, 1e6)


@register("teacher_rotation", position=80)
class TeacherRotation(Policy):
    Config = TeacherRotationConfig
    intensity_fields = ("rate", "new_hire_urban_years")

    def setup(self, model: CountyState) -> None:
        if "rotation_end" not in model.teachers.schema:
            model.teachers.add_column("rotation_end", np.int16, 0)
            model.teachers.add_column("rotation_kind", np.int8, 0)  # 1 rotation, 2 training
        self._sent_share = np.zeros(model.schools.n)
        self._stats: dict[str, float] = {}
        #: this year's rotations: one row (sending school, receiving school) per teacher
        #: who went (maps draw them as arrows)
        self.moves = np.zeros((0, 2), dtype=np.int64)

    # ---- who sends, who receives -------------------------------------------------------
    def senders_receivers(self, model: CountyState) -> tuple[np.ndarray, np.ndarray]:
        c = self.config
        sch = model.schools
        open_ = sch.open
        if c.direction == "urban_to_rural":
            send, recv = open_ & (sch.tier == URBAN), open_ & (sch.tier == RURAL)
        else:
            order = open_schools_by_strength(model, c.strength_measure)
            k = share_of(c.weak_share, len(order))
            recv = np.zeros(sch.n, dtype=bool)
            send = np.zeros(sch.n, dtype=bool)
            recv[order[:k]] = True
            send[order[-k:]] = True
        recv |= open_ & sch.designated_weak
        send &= ~recv
        return send, recv

    # ---- yearly action -----------------------------------------------------------------
    def after_careers(self, model: CountyState) -> None:
        c = self.config
        t = model.teachers
        rng = self.rng(model)
        self._sent_share = np.zeros(model.schools.n)
        self.moves = np.zeros((0, 2), dtype=np.int64)
        stats = {"rotated": 0.0, "refused": 0.0, "eligible": 0.0, "returned": 0.0,
                 "backbone_share_rotated": np.nan, "trainees_placed": 0.0}

        # 1. term ends
        ending = (t.rotation_end > 0) & (t.rotation_end <= model.year)
        if ending.any():
            back = ending & ((t.rotation_kind == 2) | (c.after_term == "return"))
            t.school[back] = t.post_school[back]
            t.post_school[ending & ~back] = t.school[ending & ~back]
            t.years_at_school[ending] = 0
            t.class_key[ending] = -1
            model.fit_sections(np.flatnonzero(ending))
            t.rotation_end[ending] = 0
            t.rotation_kind[ending] = 0
            stats["returned"] = float(ending.sum())

        rate = c.rate * c.fidelity
        if rate > 0:
            self._rotate(model, rng, rate, stats)
        if c.new_hire_urban_years > 0 and c.fidelity > 0:
            self._place_trainees(model, rng, stats)
        on = model.teachers.rotation_end > 0
        kind = model.teachers.rotation_kind
        self.spend(c.allowance_yuan * float((on & (kind == 1)).sum())
                   + c.mentoring_cost_yuan * float((on & (kind == 2)).sum()))
        self._stats = stats

    def _rotate(self, model: CountyState, rng: np.random.Generator, rate: float,
                stats: dict) -> None:
        c = self.config
        t = model.teachers
        sch = model.schools
        send, recv = self.senders_receivers(model)
        if not send.any() or not recv.any():
            return
        home = t.post_school == t.school
        eligible = np.flatnonzero(home & send[t.school] & (t.years_at_school >= c.eligibility_years))
        stats["eligible"] = float(len(eligible))
        n_rot = int(round(rate * len(eligible)))
        if n_rot == 0:
            return
        # backbone teachers first, up to the required share, then the rest at random
        denom = n_rot if c.backbone_denominator == "rotated" else len(eligible)
        need_bb = min(int(np.ceil(c.backbone_share * denom)), n_rot)
        u = rng.random(len(eligible))
        bb = eligible[t.backbone[eligible]]
        bb_pick = bb[np.argsort(u[t.backbone[eligible]])[:need_bb]]
        picked = np.zeros(t.n, dtype=bool)
        picked[bb_pick] = True
        rest = eligible[~picked[eligible]]  # = np.setdiff1d(eligible, bb_pick): eligible is sorted
        rest = rest[np.argsort(rng.random(len(rest)))[: n_rot - len(bb_pick)]]
        chosen = np.concatenate([bb_pick, rest])

        # destinations
        receivers = np.flatnonzero(recv)
        strength = model.school_strength(c.strength_measure)
        receivers = receivers[np.argsort(strength[receivers], kind="stable")]
        if c.direction == "nearest_weak":
            d = model.school_dist[np.ix_(t.school[chosen], receivers)]
            dest = receivers[np.argmin(d, axis=1)]
        else:
            # in proportion to the receiving schools' pupils (largest remainder, weakest first)
            pupils = model.section_enrolment().sum(axis=1)[receivers].astype(float)
            share = pupils / pupils.sum() if pupils.sum() > 0 else np.full(len(receivers),
                                                                          1 / len(receivers))
            raw = share * len(chosen)
            count = np.floor(raw).astype(int)
            rest = len(chosen) - count.sum()
            count[np.argsort(-(raw - count), kind="stable")[:rest]] += 1
            dest = np.repeat(receivers, count)
        dist = model.school_dist[t.school[chosen], dest]

        # refusal: leave the county instead
        base = model.cfg.teachers.base_salary
        p_ref = (c.refusal_base * (1.0 + dist / c.refusal_distance_km)
                 * pay_response(model, c.allowance_yuan / base))
        refuse = rng.random(len(chosen)) < np.minimum(p_ref, 1.0)
        go, dest = chosen[~refuse], dest[~refuse]

        sent = np.bincount(t.school[go], minlength=sch.n)
        staff = np.bincount(t.school, minlength=sch.n)
        self._sent_share = np.divide(sent, staff, out=np.zeros(sch.n), where=staff > 0)
        self.moves = np.column_stack([t.school[go], dest]).astype(np.int64)
        t.school[go] = dest
        lvl = sch.level[dest]
        t.section[go] = np.where(lvl == PRIMARY, 0, np.where(lvl == JUNIOR, 1, t.section[go]))
        model.fit_sections(go)
        t.years_at_school[go] = 0
        t.class_key[go] = -1
        t.rotation_end[go] = model.year + c.term_years
        t.rotation_kind[go] = 1
        stats["rotated"] = float(len(go))
        stats["refused"] = float(refuse.sum())
        if len(go):
            stats["backbone_share_rotated"] = float(t.backbone[go].mean())
        model.flows["rotation_refusals"] = int(refuse.sum())
        if refuse.any():
            mask = np.zeros(t.n, dtype=bool)
            mask[chosen[refuse]] = True
            model.remove_teachers(mask)

    def _place_trainees(self, model: CountyState, rng: np.random.Generator,
                        stats: dict) -> None:
        """New rural hires start with N years at the nearest urban school of their level."""
        c = self.config
        t = model.teachers
        sch = model.schools
        new = np.flatnonzero((t.experience == 0) & (t.rotation_end == 0)
                             & (sch.tier[t.school] == RURAL) & (t.post_school == t.school))
        if len(new) == 0:
            return
        new = new[rng.random(len(new)) < c.fidelity]
        urban = sch.open & (sch.tier == URBAN)
        for section, levels in ((0, (PRIMARY, NINE_YEAR)), (1, (JUNIOR, NINE_YEAR))):
            who = new[t.section[new] == section]
            ok = urban & one_of(sch.level, levels)
            if len(who) == 0 or not ok.any():
                continue
            cand = np.flatnonzero(ok)
            dest = cand[np.argmin(model.school_dist[np.ix_(t.school[who], cand)], axis=1)]
            t.school[who] = dest
            t.class_key[who] = -1
            t.rotation_end[who] = model.year + c.new_hire_urban_years
            t.rotation_kind[who] = 2
            stats["trainees_placed"] += float(len(who))

    def before_careers(self, model: CountyState) -> None:
        c = self.config
        t = model.teachers
        trainee = (t.rotation_kind == 2) & (t.rotation_end > 0)
        if trainee.any() and c.mentoring_gain > 0:
            t.skill[trainee] += c.mentoring_gain * c.fidelity

    # ---- effects on the core processes -------------------------------------------------
    def learning_effect(self, model: CountyState) -> np.ndarray | None:
        if not self._sent_share.any() or self.config.continuity_cost == 0:
            return None
        return -self.config.continuity_cost * self._sent_share[model.students.school]

    def transfer_multiplier(self, model: CountyState) -> np.ndarray | None:
        on = model.teachers.rotation_end > 0
        return None if not on.any() else np.where(on, 0.0, 1.0)

    def report(self, model: CountyState) -> dict[str, float]:
        t = model.teachers
        return {**self._stats, "on_rotation": float((t.rotation_end > 0).sum())}
