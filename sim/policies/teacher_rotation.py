"""Teacher rotation (教师交流轮岗 / 支教): teachers of strong or urban schools serve a term in
weak or rural schools.

Each year, after the core teacher careers (so rotated teachers teach at their host school
from the next school year):

1. **returns** — teachers whose term ended go back to the school that holds their post
   (``after_term="return"``) or stay, their post moving with them (``"stay"``); exchange
   partners always return. Terms under way at ``end_year`` still end this way (the policy
   stays active for the returns and pays the allowances, but sends nobody new). A post released for a backfill hire is held again, so the home
   school is above its quota until exits bring it back (nobody is laid off);
2. **eligible** — teachers of the *sending* schools who have been at least
   ``eligibility_years`` at their school, are not on rotation and did not come back from a
   term in the last ``cooldown_years``;
3. **selection** — ``rate × fidelity`` of the eligible are selected; backbone teachers are
   picked first until they make up ``backbone_share`` of the rotated (or of the eligible,
   ``backbone_denominator="eligible"``), the rest at random;
4. **refusal** — an unwilling teacher leaves the county instead, with probability
   ``refusal_base × (1 + distance / refusal_distance_km) × exp(−pay_semi_elasticity ×
   allowance / base_salary)`` (doc 002: 城市教师不愿长期派驻农村; Guo et al. 2026 report
   rotation raising teacher attrition);
5. **placement** — the others go to the *receiving* schools in proportion to their pupils
   (``urban_to_rural`` and ``strong_to_weak``; remainders to the weakest) or each to the
   nearest receiving school (``nearest_weak``), for ``term_years``. Their post stays at the
   home school (``post_school``), and the pupils of a sending school lose
   ``continuity_cost`` × the share of its teachers sent away in the next year's learning;
6. **exchange** (``mode="exchange"``, 教师互派 / 双向交流) — each rotated teacher swaps
   places with a teacher of the receiving school (same subject, the same section where
   possible, not on rotation and not in the cooldown), who serves the same term at the
   sending school, in the mover's section, and returns with them; both keep their posts, so
   both schools keep their staff. A mover for whom no partner is found goes one way;
7. **backfill** of a one-way mover's place at the sending school (``backfill``):

   - ``"none"`` — nobody is added: the post is held by the absent teacher, so hiring sees
     no vacancy; colleagues take over the classes, and where the section's core teachers
     fall below what its classes need (``core_per_class`` × classes) the learning step
     counts the shortfall and that share of lessons is taught at
     ``learning.vacancy_effect`` (the model's substitute-taught lessons);
   - ``"substitute"`` — a temporary substitute teacher (代课, not a post) covers that
     shortfall for the term: the substitute's lessons are taught at ``substitute_effect``
     instead of ``vacancy_effect`` and cost ``substitute_cost_yuan`` a year. With the
     default ``substitute_effect`` (the same REAP estimate as ``vacancy_effect``) learning
     is that of ``"none"`` and only the cost differs;
   - ``"hire"`` — the post is released while the teacher is away, so the county's next
     hiring round (the following year's careers step, with the tier's fill rate) hires a
     regular teacher against it.

**Host-colleague spill-over** (assumption, default off): while a rotated teacher is at the
host school, every other core teacher of that school section teaches ``host_spillover`` ×
the mover's effectiveness advantage over them better (student SD per year; the advantage is
the mover's effectiveness minus the mean of the section's own core teachers, 0 if negative;
summed over the section's movers). The lift acts on the pupils of the section's own teachers
(a share colleagues / core teachers of the section's pupils) and ends when the movers
leave, unless ``spillover_persistence`` > 0 carries a share of it into each later year.

Sending / receiving schools: ``urban_to_rural`` — urban → rural schools;
``strong_to_weak`` and ``nearest_weak`` — the top / bottom ``weak_share`` of open schools by
``strength_measure`` (``designated_weak`` schools of the weak-school programme are always
receivers).

Variant (doc 001): with ``new_hire_urban_years`` = N > 0, teachers newly hired by rural
schools first spend N years at the nearest urban school teaching the same level, gaining
``mentoring_gain`` a year, while their rural post waits for them.

**Report.** ``eligible``, ``rotated`` and ``refused`` (this year), ``returned`` (movers and
partners),
``backbone_share_rotated``, ``urban_to_rural_share`` (share of this year's rotated who went
from an urban to a rural school; Shandong 2016 reported 1.22万 of 2.09万 rotated teachers,
≈ 58%, going from urban to rural schools), ``exchanges`` (partners sent this year),
``exchange_unmatched``, ``posts_backfilled`` (posts released for hire, or substitute
teachers engaged, for this year's rotated), ``substitute_teachers`` (substitute teachers
serving next year, teacher equivalents), ``spillover_sections`` and ``spillover_lift_mean``
(host sections with a lift and their mean lift), ``trainees_placed`` and ``on_rotation``
(movers, partners and trainees away from their post school).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.policies.base import Policy, PolicyConfig, open_schools_by_strength, register, share_of
from sim.priors import PLUS_MINUS_50, loguniform, uniform
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
        source="provincial implementing opinion of 2016-01-07 on county rotation "
               "(在现所在学校连续任教6年及以上者均应交流轮岗, "
               "https://www.jxxfw.com/conference/4a77e1b5969af0ad02528e7181ed69c8.html); "
               "the MOE/MOF/MOHRSS 2014 opinion leaves the years to local rules",
        doc="years a teacher must have taught at the current school to be eligible")
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
                              doc="top / bottom share of schools that send / receive",
                              no_prior="the lever's reach (share of schools), chosen by the user")
    term_years: int = param(
        3, "years", 1, 10,
        source="MOE/MOF/MOHRSS 2014 opinion: the years of each term are set locally "
               "(每次参加交流轮岗的具体年限由各地根据实际情况确定); local rules: 2-3 years, then "
               "back to the original school (zhaolearning.com 2014-09-05 summary), 1-3 years "
               "(DOMAIN §3.3); doc 001: 3-year terms for new rural teachers in the city; "
               "sensitivity range 1-3",
        doc="length of a rotation term")
    after_term: str = param(
        "return", choices=("return", "stay"),
        source="return: local rules (teachers go back to the original school, zhaolearning.com "
               "2014 summary; doc 001 期满后回原农村学校任教); stay: the 2014 opinion lets "
               "service at rural or weak schools be extended (可根据工作需要予以延长)",
        doc="whether a teacher returns to the home school after the term")
    cooldown_years: int = param(
        6, "years since the return", 0, 40,
        source="assumption (no rule found; equal to the 6-year eligibility rule, so a teacher "
               "back from a term qualifies again like one newly arrived; sensitivity range "
               "0-10)",
        doc="a teacher back from a term is not selected again within this many years",
        prior=uniform(0, 10, "source text: sensitivity range 0-10 (no rule found)"))
    mode: str = param(
        "one_way", choices=("one_way", "exchange"),
        source="one_way: the usual practice, urban teachers sent to rural schools (支教; "
               "Yuan Guilin 2018, Chinese Education & Society 51(2):133-142, calls it "
               "one-way partner assistance); exchange: 教师互派 between famous and ordinary "
               "schools (doc 000), two-way exchange as Yuan 2018 proposes; the 2014 opinion "
               "lets rural teachers fill the places left in urban schools (zhaolearning.com "
               "2014 summary)",
        doc="one_way: movers only; exchange: each mover swaps places with a teacher of the "
            "receiving school for the same term")
    backfill: str = param(
        "none", choices=("none", "substitute", "hire"),
        source="assumption (the documents set no rule for the place left at the sending "
               "school; the post stays there, so by default it is not refilled; doc 001's "
               "staffing turnover pool 编制周转池 would allow hire)",
        doc="what replaces a one-way mover at the sending school: none (colleagues cover; "
            "a resulting core shortfall is a vacancy for learning), substitute (a temporary "
            "teacher covers that shortfall), hire (the post is released for the next hiring "
            "round)")
    substitute_effect: float = param(
        -0.13, "student SD per year", -1.0, 0.3,
        source="Wang et al., REAP WP 328 (contract vs regular teachers in rural China: "
               "-0.13 SD), the estimate behind learning.vacancy_effect",
        doc="effect of a class taught by a substitute (backfill=substitute)")
    substitute_cost_yuan: float = param(
        40_000.0, "yuan per substitute teacher per year", 0.0, 1e6,
        source="assumption (substitute teachers are paid well below regular teachers; half of "
               "the default base salary; sensitivity range 20,000-60,000)",
        doc="cost of a substitute teacher (backfill=substitute)",
        no_prior="a cost: moves the policy's cost, not its effect")
    host_spillover: float = param(
        0.0, "colleague effectiveness gain per unit of a mover's advantage", 0.0, 0.5,
        source="assumption (no causal estimate of rotation's effect on host colleagues was "
               "found; doc 003 describes visiting teachers mentoring young hosts; sensitivity "
               "range 0-0.1)",
        doc="while a rotated teacher is at a host school, each core colleague of that school "
            "section teaches this share of the mover's effectiveness advantage better",
        prior=uniform(0.0, 0.1, "no causal estimate (0 included); source's sensitivity range 0-0.1"))
    spillover_persistence: float = param(
        0.0, "share per year", 0.0, 0.95,
        source="assumption (0: the lift ends when the mover leaves; sensitivity range 0-0.5)",
        doc="share of a host section's lift kept into each year after the movers leave",
        prior=uniform(0.0, 0.5, "source text: sensitivity range 0-0.5 (0: the lift ends)"))
    continuity_cost: float = param(
        0.02, "student SD per year per unit share of teachers sent away", 0.0, 1.0,
        doc="learning loss at a sending school, × the share of its teachers rotated out",
        prior=loguniform(0.5, 2.0, "assumption: size known only to a factor of 2", relative=True))
    refusal_base: float = param(
        0.05, "probability", 0.0, 1.0,
        source="assumption (direction: doc 002; Guo et al. 2026)",
        doc="probability that a selected teacher leaves the county instead of rotating",
        prior=uniform(0.0, 0.15, "calibration range: no refusals to 3× the default (doc 002, "
                                 "Guo et al. 2026)"))
    refusal_distance_km: float = param(
        20.0, "km", 0.1, 1000.0,
        doc="distance at which the refusal probability doubles",
        prior=PLUS_MINUS_50)
    allowance_yuan: float = param(
        12_000.0, "yuan per rotated teacher per year", 0.0, 1e6,
        doc="rotation allowance; lowers refusal like pay lowers attrition",
        no_prior="the lever's intensity (allowance per rotated teacher), chosen by the user")
    new_hire_urban_years: int = param(
        0, "years", 0, 10, source="doc 001: new rural hires trained 3 years in urban schools",
        doc="years new rural hires first spend at an urban school (0: off)")
    mentoring_gain: float = param(
        0.02, "student SD per year", 0.0, 0.5,
        doc="effectiveness gain per year of urban placement",
        prior=loguniform(0.5, 2.0, "assumption: size known only to a factor of 2", relative=True))
    mentoring_cost_yuan: float = param(
        5_000.0, "yuan per trainee per year", 0.0, 1e6,
        no_prior="a cost: moves the policy's cost, not its effect")


@register("teacher_rotation", position=80)
class TeacherRotation(Policy):
    Config = TeacherRotationConfig
    intensity_fields = ("rate", "new_hire_urban_years")
    writes_pupils = False  # its enrolment hooks leave the pupils' table as it is

    def setup(self, model: CountyState) -> None:
        t = model.teachers
        if "rotation_end" not in t.schema:
            t.add_column("rotation_end", np.int16, 0)
            t.add_column("rotation_kind", np.int8, 0)  # 1 rotation, 2 training, 3 partner
            t.add_column("rotation_last", np.int16, 0)  # year of the last return (0: never)
            t.add_column("post_section", np.int8, 0)  # section at the post school
        if self.config.backfill == "hire" and "post_released" not in t.schema:
            # read by CountyState.section_staff: a released post is a vacancy for hiring
            t.add_column("post_released", np.bool_, False)
        self._sent_share = np.zeros(model.schools.n)
        #: host-colleague spill-over per school and section (student SD per year)
        self.spillover_lift = np.zeros((model.schools.n, 2))
        self._stats: dict[str, float] = {}
        self._returns_year = 0  # last year in which terms ended
        #: this year's rotations: one row (sending school, receiving school) per teacher
        #: who went (maps draw them as arrows); exchange partners are not included
        self.moves = np.zeros((0, 2), dtype=np.int64)

    def active(self, model: CountyState) -> bool:
        """Acting years, and after ``end_year`` while terms are still under way (they end
        with a return, allowances are paid) or a host-colleague lift is still decaying;
        nobody new is sent then."""
        if super().active(model):
            return True
        c = self.config
        if c.end_year is None or model.year <= c.end_year:
            return False
        t = model.teachers
        if "rotation_end" not in t.schema:  # not set up
            return False
        return bool((t.rotation_end > 0).any() or self.spillover_lift.any()
                    or self._returns_year == model.year)  # the year's report

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

    def out_of_cooldown(self, model: CountyState) -> np.ndarray:
        """Teachers who may be selected: never rotated, or back for ``cooldown_years``."""
        last = model.teachers.rotation_last
        return (last == 0) | (model.year - last.astype(np.int64) >= self.config.cooldown_years)

    # ---- yearly action -----------------------------------------------------------------
    def after_careers(self, model: CountyState) -> None:
        c = self.config
        t = model.teachers
        rng = self.rng(model)
        self._sent_share = np.zeros(model.schools.n)
        self.moves = np.zeros((0, 2), dtype=np.int64)
        stats = {"rotated": 0.0, "refused": 0.0, "eligible": 0.0, "returned": 0.0,
                 "backbone_share_rotated": np.nan, "urban_to_rural_share": np.nan,
                 "exchanges": 0.0, "exchange_unmatched": 0.0, "posts_backfilled": 0.0,
                 "substitute_teachers": 0.0, "spillover_sections": 0.0,
                 "spillover_lift_mean": np.nan, "trainees_placed": 0.0}

        # 1. term ends
        ending = (t.rotation_end > 0) & (t.rotation_end <= model.year)
        if ending.any():
            back = ending & ((t.rotation_kind != 1) | (c.after_term == "return"))
            t.school[back] = t.post_school[back]
            t.post_school[ending & ~back] = t.school[ending & ~back]
            t.years_at_school[ending] = 0
            t.class_key[ending] = -1
            model.fit_sections(np.flatnonzero(ending))
            t.rotation_last[ending & (t.rotation_kind != 2)] = model.year
            t.rotation_end[ending] = 0
            t.rotation_kind[ending] = 0
            if "post_released" in t.schema:
                t.post_released[ending] = False
            stats["returned"] = float(ending.sum())
            self._returns_year = model.year

        subs_before = self._substitutes(model) if c.backfill == "substitute" else 0.0
        acting = super().active(model)  # after end_year: returns only
        rate = c.rate * c.fidelity
        if rate > 0 and acting:
            self._rotate(model, rng, rate, stats)
        if c.new_hire_urban_years > 0 and c.fidelity > 0 and acting:
            self._place_trainees(model, rng, stats)
        t = model.teachers
        subs = 0.0
        if c.backfill == "substitute":
            subs = self._substitutes(model)
            stats["substitute_teachers"] = subs
            stats["posts_backfilled"] = max(subs - subs_before, 0.0)
        if c.host_spillover > 0 or self.spillover_lift.any():
            self._update_spillover(model, stats)
        on = t.rotation_end > 0
        kind = t.rotation_kind
        self.spend(c.allowance_yuan * float((on & (kind == 1)).sum())
                   + c.mentoring_cost_yuan * float((on & (kind == 2)).sum())
                   + c.substitute_cost_yuan * subs)
        self._stats = stats

    def _rotate(self, model: CountyState, rng: np.random.Generator, rate: float,
                stats: dict) -> None:
        c = self.config
        t = model.teachers
        sch = model.schools
        send, recv = self.senders_receivers(model)
        if not send.any() or not recv.any():
            return
        home = (t.post_school == t.school) & self.out_of_cooldown(model)
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

        origin = t.school[go].copy()
        old_section = t.section[go].copy()
        t.post_section[go] = old_section
        sent = np.bincount(origin, minlength=sch.n)
        staff = np.bincount(t.school, minlength=sch.n)
        self._sent_share = np.divide(sent, staff, out=np.zeros(sch.n), where=staff > 0)
        self.moves = np.column_stack([origin, dest]).astype(np.int64)
        partner = (self._find_partners(model, rng, go, dest) if c.mode == "exchange"
                   else np.full(len(go), -1))
        t.school[go] = dest
        lvl = sch.level[dest]
        t.section[go] = np.where(lvl == PRIMARY, 0, np.where(lvl == JUNIOR, 1, t.section[go]))
        model.fit_sections(go)
        t.years_at_school[go] = 0
        t.class_key[go] = -1
        t.rotation_end[go] = model.year + c.term_years
        t.rotation_kind[go] = 1
        matched = partner >= 0
        if matched.any():
            p = partner[matched]
            t.post_section[p] = t.section[p]
            t.school[p] = origin[matched]
            t.section[p] = old_section[matched]
            model.fit_sections(p)
            t.years_at_school[p] = 0
            t.class_key[p] = -1
            t.rotation_end[p] = model.year + c.term_years
            t.rotation_kind[p] = 3
        if c.mode == "exchange":
            stats["exchanges"] = float(matched.sum())
            stats["exchange_unmatched"] = float((~matched).sum())
        if c.backfill == "hire":
            t.post_released[go[~matched]] = True
            stats["posts_backfilled"] = float((~matched).sum())
        stats["rotated"] = float(len(go))
        stats["refused"] = float(refuse.sum())
        if len(go):
            stats["backbone_share_rotated"] = float(t.backbone[go].mean())
            stats["urban_to_rural_share"] = float(
                ((sch.tier[origin] == URBAN) & (sch.tier[dest] == RURAL)).mean())
        model.flows["rotation_refusals"] = int(refuse.sum())
        if refuse.any():
            mask = np.zeros(t.n, dtype=bool)
            mask[chosen[refuse]] = True
            model.remove_teachers(mask)

    def _find_partners(self, model: CountyState, rng: np.random.Generator, go: np.ndarray,
                       dest: np.ndarray) -> np.ndarray:
        """For each mover, a teacher of the receiving school who goes the other way (row
        index, -1 when none): same subject, the mover's new section there when possible,
        at home, not on rotation and out of the cooldown; drawn at random."""
        t = model.teachers
        sch = model.schools
        cand = np.flatnonzero((t.post_school == t.school) & (t.rotation_end == 0)
                              & self.out_of_cooldown(model) & np.isin(t.school, dest))
        cand = cand[rng.permutation(len(cand))]
        exact: dict[tuple[int, int, int], list[int]] = {}
        loose: dict[tuple[int, int], list[int]] = {}
        for r in cand[::-1]:  # popped from the end: in the drawn order
            exact.setdefault((int(t.school[r]), int(t.subject[r]), int(t.section[r])),
                             []).append(int(r))
            loose.setdefault((int(t.school[r]), int(t.subject[r])), []).append(int(r))
        lvl = sch.level[dest]
        new_section = np.where(lvl == PRIMARY, 0, np.where(lvl == JUNIOR, 1, t.section[go]))
        used = np.zeros(t.n, dtype=bool)
        out = np.full(len(go), -1, dtype=np.int64)
        for i, (mover, school) in enumerate(zip(go, dest, strict=True)):
            for pool in (exact.get((int(school), int(t.subject[mover]), int(new_section[i]))),
                         loose.get((int(school), int(t.subject[mover])))):
                while pool and used[pool[-1]]:
                    pool.pop()
                if pool:
                    out[i] = pool.pop()
                    used[out[i]] = True
                    break
        return out

    # ---- backfill and spill-over -------------------------------------------------------
    def _core_need(self, model: CountyState) -> np.ndarray:
        tc = model.cfg.teachers
        return model.section_classes * np.array([tc.core_per_class_primary,
                                                 tc.core_per_class_junior])

    def _substitutes(self, model: CountyState) -> float:
        """Substitute teachers (teacher equivalents) covering the rotation's shortfall."""
        return float((self.rotation_shortfall(model) * self._core_need(model)).sum())

    def rotation_shortfall(self, model: CountyState) -> np.ndarray:
        """Per school and section: the share of core lessons left without a regular teacher
        because of rotation, as the learning step counts shortfalls (its shortfall minus the
        one it would count with the section's rotated core teachers back and its visiting
        ones gone; 0 where that is negative or the section is not short)."""
        t = model.teachers
        n = model.schools.n
        core = t.subject == 0
        away = core & (t.rotation_end > 0) & (t.rotation_kind != 2) & (t.school != t.post_school)
        if "post_released" in t.schema:
            away &= ~t.post_released
        here = np.bincount(t.school[core].astype(np.int64) * 2 + t.section[core],
                           minlength=2 * n).reshape(-1, 2).astype(float)
        out_ = np.bincount(t.post_school[away].astype(np.int64) * 2 + t.post_section[away],
                           minlength=2 * n).reshape(-1, 2)
        in_ = np.bincount(t.school[away].astype(np.int64) * 2 + t.section[away],
                          minlength=2 * n).reshape(-1, 2)
        need = self._core_need(model)

        def short(staff: np.ndarray) -> np.ndarray:
            return np.clip(1.0 - np.divide(staff, need, out=np.ones_like(need, dtype=float),
                                           where=need > 0), 0.0, 1.0)

        return np.maximum(short(here) - short(here + out_ - in_), 0.0)

    def _update_spillover(self, model: CountyState, stats: dict) -> None:
        """Host sections' lift for next year: host_spillover × the movers' summed advantage
        over the section's own core teachers, or the previous lift × spillover_persistence
        when that is larger."""
        c = self.config
        t = model.teachers
        n = model.schools.n
        eff = model.teacher_effectiveness()
        core = t.subject == 0
        visiting = (t.rotation_end > 0) & (t.rotation_kind != 2)
        own = core & ~visiting
        key = t.school.astype(np.int64) * 2 + t.section
        cnt = np.bincount(key[own], minlength=2 * n)
        mean = np.divide(np.bincount(key[own], weights=eff[own], minlength=2 * n), cnt,
                         out=np.zeros(2 * n), where=cnt > 0)
        mv = visiting & core
        adv = np.maximum(eff[mv] - mean[key[mv]], 0.0) * (cnt[key[mv]] > 0)
        present = c.host_spillover * np.bincount(key[mv], weights=adv, minlength=2 * n)
        lift = np.maximum(present.reshape(-1, 2), c.spillover_persistence * self.spillover_lift)
        self.spillover_lift = np.where(lift >= 1e-6, lift, 0.0)  # a decayed lift ends
        lifted = self.spillover_lift > 0
        stats["spillover_sections"] = float(lifted.sum())
        if lifted.any():
            stats["spillover_lift_mean"] = float(self.spillover_lift[lifted].mean())

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
        c = self.config
        s = model.students
        effect = None
        if self._sent_share.any() and c.continuity_cost != 0:
            # per school, then looked up per pupil (the same product)
            effect = (-c.continuity_cost * self._sent_share).take(s.school)
        gain = np.zeros((model.schools.n, 2))
        if c.backfill == "substitute":
            # substitutes teach the rotation's shortfall instead of the vacancy term
            diff = c.substitute_effect - model.cfg.learning.vacancy_effect
            if diff != 0:
                gain += diff * self.rotation_shortfall(model)
        if self.spillover_lift.any():
            # the lift reaches the lessons of the section's own core teachers
            t = model.teachers
            n = model.schools.n
            core = t.subject == 0
            key = t.school[core].astype(np.int64) * 2 + t.section[core]
            allc = np.bincount(key, minlength=2 * n)
            vis = ((t.rotation_end > 0) & (t.rotation_kind != 2))[core]
            own = allc - np.bincount(key[vis], minlength=2 * n)
            share = np.divide(own, allc, out=np.zeros(2 * n), where=allc > 0).reshape(-1, 2)
            gain += self.spillover_lift * share
        if gain.any():
            # gain[school, section] at flat positions school × 2 + section (the same
            # elements as the two-dimensional index, faster)
            pos = s.school * 2
            pos += s.grade >= 7
            extra = gain.ravel().take(pos)
            effect = extra if effect is None else effect + extra
        return effect

    def transfer_multiplier(self, model: CountyState) -> np.ndarray | None:
        on = model.teachers.rotation_end > 0
        return None if not on.any() else np.where(on, 0.0, 1.0)

    def report(self, model: CountyState) -> dict[str, float]:
        t = model.teachers
        return {**self._stats, "on_rotation": float((t.rotation_end > 0).sum())}
