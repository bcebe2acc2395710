"""School groups and pairing (集团化办学 / 城乡学校共同体 / 结对帮扶): strong lead schools
share teaching research, curriculum and practice with weaker member schools.

**Formation** (in ``after_enrolment`` of the start year, and again every ``reform_every``
years if that is > 0; :func:`form_groups` builds the structure without applying it). Open
schools are ranked by ``strength_measure``; with ``same_level`` they are formed separately
in two families — primary schools, and junior plus nine-year schools (the 城乡初中教育共同体
of doc 001) — otherwise all together. In each family of *n* schools the target is
``ceil(coverage × n)`` schools in a group, leads included (doc 001: coverage ≥ 80%):

* ``rule="one_plus_x"`` ("1+X", doc 001 §4): the ``ceil(target / (1 + x))`` strongest
  schools lead; the ``target − leads`` weakest of the others are members; members are
  matched to leads greedily by distance (the nearest lead–member pair first), each lead
  taking at most ``x`` members. Schools in the middle of the ranking stay outside when
  coverage < 1.
* ``rule="x_plus_one"`` ("X+1", doc 001 §4: several famous schools jointly lead one
  area): the top ``strong_share`` of the family are leads, the ``target − leads`` weakest
  others are members, and each member is linked to its ``x`` nearest leads, whose mean is
  its "lead". Members with the same set of leads form one group (one area).

The structure is kept for maps: ``self.lead_of`` (per school: its (nearest) lead school,
or −1), ``self.structure.leads_of`` (all leads of each member) and :meth:`links`
((lead, member) pairs). Schools that close (merging) leave their group.

**Each year**, with mode strength ``m`` = ``fused_strength`` (融合型) or
``co_built_strength`` (共建型) and ``f`` = ``fidelity``:

1. *curriculum and teaching research* (``learning_effect``): every pupil of a member
   school grows by ``curriculum_effect × m × f × (junior_multiplier if grade ≥ 7) ×
   (disadvantaged_multiplier if disadvantaged)`` student SD, where *disadvantaged* means
   the bottom quartile of county SES or left behind (Lei & Deng 2025: the gain of
   receiving schools is larger in junior secondary and for pupils from disadvantaged
   families); every pupil of a lead school grows by ``lead_gain × m × f`` (Lei & Deng
   2025: the effect is reciprocal, lead schools gain too);
2. *practice spill-over* (``after_careers``, after the core careers): a member teacher
   whose skill is below the target ``L`` — the mean skill of the lead's teachers in the
   same section (the lead's whole staff if it has none there; for X+1 the mean over the
   member's leads) — gains ``convergence_rate × m × f × (L − skill)``; teachers already
   above ``L`` keep their skill (convergence only upwards: sharing practice does not make
   good member teachers worse). Lei & Deng 2025 find members gain *through teacher
   quality*;
3. *dilution* (``after_careers``): every teacher of a lead school loses ``dilution × m × f
   × members`` skill, where *members* counts the school's member schools (a member with
   several leads counts 1/its number of leads for each): the lead's best teachers spend
   time on the members (a risk the documents name, not an estimate).

Doc 002 reports 152 groups and the member schools' mean score gap narrowing by 12 points
on an unknown scale: a calibration target for ``convergence_rate`` and
``curriculum_effect``, not a parameter. Measured on the default county at the defaults
(the member–lead achievement and teacher-effectiveness gaps in the first and last year, and
the changes against the same-seed baseline): the table that follows this text in
``docs/policies.md``, made by the ``policy_effects`` docs job. Whether lead pupils gain or
lose on balance depends on ``lead_gain`` against ``dilution`` × the number of members.

**Costs** (yuan per year, booked at the nominal scale: the budget is paid whatever the
fidelity on the ground): ``admin_cost_per_group`` per group (management office, joint
activities) plus ``exchange_cost_per_member`` per member school (exchange and teaching-
research funds). Both are assumptions.

**Report**: ``groups``, ``coverage`` (share of open schools in a group), ``members``,
``member_lead_gap`` (mean achievement z of member pupils minus lead pupils),
``member_lead_teacher_gap`` (mean teacher effectiveness, members minus leads) and
``skill_gain`` (mean skill gained this year by member teachers). :func:`member_lead_gaps`
computes the same gaps on any model (e.g. the same-seed baseline) for a given structure.

**Interactions**: rotation (teacher_rotation) moves teachers between the same kinds of
schools — rotated teachers count at the school where they teach; the weak-school
programme's designation is independent of groups; remote classrooms add a separate,
additive learning effect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.policies.base import Policy, PolicyConfig, register
from sim.priors import PLUS_MINUS_50, loguniform, uniform
from sim.schema import param
from sim.vocabulary import PRIMARY

if TYPE_CHECKING:
    from sim.state import CountyState

__all__ = ["GroupStructure", "SchoolGroups", "SchoolGroupsConfig", "form_groups",
           "member_lead_gaps"]


@dataclass
class SchoolGroupsConfig(PolicyConfig):
    coverage: float = param(
        0.80, "share of open schools", 0.0, 1.0,
        source="doc 001 §2: group and community coverage 覆盖率达到80%以上 by 2022",
        doc="target share of open schools in a group (leads included); 0 = no groups")
    rule: str = param(
        "one_plus_x", choices=("one_plus_x", "x_plus_one"),
        source="doc 001 §4 (Yuhang): 1+X (one famous school leads several) and X+1 "
               "(several famous schools jointly lead one area)",
        doc="how groups are formed")
    x: int = param(
        3, "schools", 1, 20,
        source="assumption (doc 001 §4 names 1+X without a number; doc 001 §2 pairs 8 "
               "urban–rural junior-school communities one to one)",
        doc="1+X: the most members a lead takes; X+1: the number of leads of each member",
        no_prior="the design of the groups (members per lead), chosen by the user")
    strong_share: float = param(
        0.20, "share of schools", 0.01, 1.0,
        source="assumption",
        doc="X+1 only: top share of each family's schools that lead",
        no_prior="the design of the groups (share of leads), chosen by the user")
    strength_measure: str = param(
        "composite", choices=("achievement", "teachers", "resources", "composite"),
        source="assumption (groups form around 优质校, doc 002; measure left to the user)",
        doc="school-strength measure used to pick leads and members")
    same_level: bool = param(
        True,
        source="assumption (groups form within a level: doc 001 城乡初中教育共同体)",
        doc="form groups separately among primary schools and among junior / nine-year "
            "schools")
    mode: str = param(
        "fused", choices=("fused", "co_built"),
        source="doc 001 §2: two modes, 融合型 and 共建型",
        doc="fused (融合型: one management) or co-built (共建型: cooperation)")
    fused_strength: float = param(
        1.0, "multiplier", 0.0, 5.0,
        source="assumption (fused groups share management and staff: the reference mode)",
        doc="strength of every spill-over in fused mode",
        no_prior="the reference mode (1): the effect sizes below carry the uncertainty")
    co_built_strength: float = param(
        0.5, "multiplier", 0.0, 5.0,
        source="assumption (co-built groups cooperate without one management: weaker)",
        doc="strength of every spill-over in co-built mode",
        prior=PLUS_MINUS_50)
    convergence_rate: float = param(
        0.10, "share of the skill gap per year", 0.0, 1.0,
        source="assumption; direction Lei & Deng 2025 (members gain through teacher "
               "quality); calibration target doc 002 (member score gap −12 points)",
        doc="share of the gap to the lead's mean skill a member teacher closes each year",
        prior=loguniform(0.5, 2.0, "direction Lei & Deng 2025; size only to a factor of 2 "
                                   "(doc 002 scale unknown)", relative=True))
    curriculum_effect: float = param(
        0.02, "student SD per year", 0.0, 0.5,
        source="assumption; calibration target doc 002 (shared courses +40%, member score "
               "gap −12 points)",
        doc="yearly learning gain of member pupils from shared curriculum and teaching "
            "research (primary, not disadvantaged)",
        prior=loguniform(0.5, 2.0, "assumption: size known only to a factor of 2 (doc 002 "
                                   "scale unknown)", relative=True))
    junior_multiplier: float = param(
        1.5, "multiplier", 0.0, 10.0,
        source="Lei & Deng 2025 (larger effect in junior secondary; magnitude assumption)",
        doc="factor on the curriculum effect for pupils in grades 7-9",
        prior=uniform(1.0, 2.0, "Lei & Deng 2025: larger (> 1); magnitude assumption 1-2"))
    disadvantaged_multiplier: float = param(
        1.5, "multiplier", 0.0, 10.0,
        source="Lei & Deng 2025 (larger effect for disadvantaged families; magnitude "
               "assumption)",
        doc="factor on the curriculum effect for bottom-SES-quartile or left-behind pupils",
        prior=uniform(1.0, 2.0, "Lei & Deng 2025: larger (> 1); magnitude assumption 1-2"))
    lead_gain: float = param(
        0.01, "student SD per year", 0.0, 0.5,
        source="Lei & Deng 2025 (lead schools gain too: reciprocal, not win-lose; "
               "magnitude assumption)",
        doc="yearly learning gain of lead-school pupils",
        prior=loguniform(0.5, 2.0, "Lei & Deng 2025: leads gain too; size only to a factor of 2",
                         relative=True))
    dilution: float = param(
        0.0005, "student SD per year per member school", 0.0, 0.1,
        source="assumption (risk that leading dilutes the lead's teaching; no estimate)",
        doc="yearly skill loss of each lead-school teacher per member school",
        prior=uniform(0.0, 0.001, "no estimate: from none to twice the default"))
    reform_every: int = param(
        0, "years", 0, 50, source="assumption",
        doc="re-form the groups every this many years (0 = keep the first structure)",
        no_prior="a switch of the design (re-forming the groups), chosen by the user")
    admin_cost_per_group: float = param(
        100_000.0, "yuan per group per year", 0.0, 1e8,
        source="assumption (group office, joint teaching-research activities)",
        no_prior="a cost: moves the policy's cost, not its effect")
    exchange_cost_per_member: float = param(
        50_000.0, "yuan per member school per year", 0.0, 1e8,
        source="assumption (teacher exchange and shared-curriculum funds)",
        no_prior="a cost: moves the policy's cost, not its effect")


@dataclass
class GroupStructure:
    """Who leads whom. ``leads_of[s]``: the lead schools of school ``s`` (empty if it is
    not a member); ``lead_of[s]``: its nearest lead or −1; ``group_of[s]``: group id or −1
    (leads and members); ``is_lead``: schools leading at least one member."""

    leads_of: list[np.ndarray]
    lead_of: np.ndarray
    group_of: np.ndarray
    is_lead: np.ndarray
    n_groups: int = 0
    member_load: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def is_member(self) -> np.ndarray:
        return self.lead_of >= 0

    def links(self) -> list[tuple[int, int]]:
        """(lead, member) pairs."""
        return [(int(lead), m) for m, leads in enumerate(self.leads_of) for lead in leads]

    @classmethod
    def empty(cls, n: int) -> GroupStructure:
        return cls([np.zeros(0, dtype=np.int64) for _ in range(n)], np.full(n, -1),
                   np.full(n, -1), np.zeros(n, dtype=bool), 0, np.zeros(n))

    def coverage(self, is_open: np.ndarray) -> float:
        grouped = (self.is_member | self.is_lead) & is_open
        n_open = int(is_open.sum())
        return float(grouped.sum() / n_open) if n_open else float("nan")  # no school: undefined

    def has_closed(self, is_open: np.ndarray) -> bool:
        """Whether a member or lead school is closed (else :meth:`drop_closed` would change
        nothing: after it, no closed school leads or is a member)."""
        return bool(((self.is_member | self.is_lead) & ~is_open).any())

    def drop_closed(self, is_open: np.ndarray) -> None:
        """Schools that closed leave; members whose leads all closed leave too."""
        for m, leads in enumerate(self.leads_of):
            if not len(leads):
                continue
            keep = leads[is_open[leads]] if is_open[m] else leads[:0]
            self.leads_of[m] = keep
        self._derive()

    def _derive(self) -> None:
        """Recompute ``is_lead``, ``member_load``, ``lead_of``, ``group_of`` and
        ``n_groups`` from ``leads_of``."""
        n = len(self.leads_of)
        self.is_lead = np.zeros(n, dtype=bool)
        self.member_load = np.zeros(n)
        for m, leads in enumerate(self.leads_of):
            if len(leads):
                self.is_lead[leads] = True
                self.member_load[leads] += 1.0 / len(leads)
                if self.lead_of[m] not in leads:
                    self.lead_of[m] = leads[0]
            else:
                self.lead_of[m] = -1
        self.group_of[(self.lead_of < 0) & ~self.is_lead] = -1
        self.n_groups = len(np.unique(self.group_of[self.group_of >= 0]))


def _families(model: CountyState, same_level: bool) -> list[np.ndarray]:
    sch = model.schools
    open_idx = np.flatnonzero(sch.open)
    if not same_level:
        return [open_idx]
    prim = sch.level[open_idx] == PRIMARY
    return [open_idx[prim], open_idx[~prim]]


def form_groups(model: CountyState, config: SchoolGroupsConfig) -> GroupStructure:
    """Form groups on ``model`` by the rule of ``config`` (nothing is changed on the
    model; no random numbers are drawn)."""
    sch = model.schools
    n = sch.n
    out = GroupStructure.empty(n)
    strength = model.school_strength(config.strength_measure)
    dist = model.school_dist
    next_group = 0
    for fam in _families(model, config.same_level):
        target = math.ceil(config.coverage * len(fam) - 1e-9)
        if target < 2 or len(fam) < 2:
            continue
        order = fam[np.argsort(-strength[fam], kind="stable")]  # strongest first
        if config.rule == "one_plus_x":
            n_leads = max(1, math.ceil(target / (1 + config.x)))
        else:
            n_leads = max(1, int(round(config.strong_share * len(fam))))
        n_leads = min(n_leads, len(fam) - 1)
        leads = order[:n_leads]
        n_members = max(0, min(target - n_leads, len(fam) - n_leads))
        members = order[len(order) - n_members:] if n_members else order[:0]
        if not len(members):
            continue
        if config.rule == "one_plus_x":
            # greedy nearest matching, each lead taking at most x members
            d = dist[np.ix_(leads, members)]
            pairs = np.argsort(d, axis=None, kind="stable")
            room = np.full(len(leads), config.x)
            done = np.zeros(len(members), dtype=bool)
            gid = np.arange(next_group, next_group + len(leads))
            for p in pairs:
                li, mi = divmod(int(p), len(members))
                if done[mi] or room[li] == 0:
                    continue
                done[mi] = True
                room[li] -= 1
                m = members[mi]
                out.leads_of[m] = np.array([leads[li]])
                out.lead_of[m] = leads[li]
                out.group_of[m] = gid[li]
                out.group_of[leads[li]] = gid[li]
            next_group += len(leads)
        else:
            k = min(config.x, len(leads))
            d = dist[np.ix_(members, leads)]
            near = np.argsort(d, axis=1, kind="stable")[:, :k]
            areas: dict[tuple[int, ...], int] = {}
            for mi, m in enumerate(members):
                ls = leads[near[mi]]
                out.leads_of[m] = ls
                out.lead_of[m] = ls[0]
                key = tuple(sorted(int(v) for v in ls))
                if key not in areas:
                    areas[key] = next_group
                    next_group += 1
                out.group_of[m] = areas[key]
            for key, g in areas.items():  # a lead of several areas keeps its first
                for lead in key:
                    if out.group_of[lead] < 0:
                        out.group_of[lead] = g
    out._derive()
    return out


def member_lead_gaps(model: CountyState, structure: GroupStructure) -> dict[str, float]:
    """Mean achievement z of member-school pupils minus lead-school pupils, and the same
    for teacher effectiveness (NaN without groups). Works on any model with the same
    schools, e.g. the same-seed baseline."""
    t = model.teachers
    member = structure.is_member & model.schools.open
    lead = structure.is_lead & model.schools.open
    out = {"achievement": np.nan, "teachers": np.nan}
    if not member.any() or not lead.any():
        return out
    # pupils and their z per school (model.school_ses_z), summed over the SES groups
    cnt, zs = model.school_ses_z()
    n_s, z_s = cnt.sum(axis=1), zs.sum(axis=1)
    n_m, n_l = n_s[member].sum(), n_s[lead].sum()
    if n_m and n_l:
        out["achievement"] = float(z_s[member].sum() / n_m - z_s[lead].sum() / n_l)
    eff = model.teacher_effectiveness()
    tm, tl = member[t.school], lead[t.school]
    if tm.any() and tl.any():
        out["teachers"] = float(eff[tm].mean() - eff[tl].mean())
    return out


@register("school_groups", position=40)
class SchoolGroups(Policy):
    Config = SchoolGroupsConfig
    intensity_fields = ("coverage",)
    writes_pupils = False  # its enrolment hooks leave the pupils' table as it is

    def setup(self, model: CountyState) -> None:
        self.structure = GroupStructure.empty(model.schools.n)
        self._formed_year: int | None = None
        self._skill_gain = 0.0

    # ---- structure ----------------------------------------------------------------------
    @property
    def lead_of(self) -> np.ndarray:
        """Per school: its (nearest) lead school, or −1."""
        return self.structure.lead_of

    def links(self, model: CountyState | None = None) -> list[tuple[int, int]]:
        """(lead, member) pairs of the current groups (for maps)."""
        return self.structure.links()

    def _strength(self) -> float:
        c = self.config
        return c.fused_strength if c.mode == "fused" else c.co_built_strength

    # ---- hooks --------------------------------------------------------------------------
    def after_enrolment(self, model: CountyState) -> None:
        c = self.config
        due = self._formed_year is None or (
            c.reform_every > 0 and model.year - self._formed_year >= c.reform_every)
        if due:
            self.structure = form_groups(model, c)
            self._formed_year = model.year
        elif self.structure.has_closed(model.schools.open):
            self.structure.drop_closed(model.schools.open)
        st = self.structure
        self.spend(c.admin_cost_per_group * st.n_groups
                   + c.exchange_cost_per_member * float(st.is_member.sum()))

    def learning_effect(self, model: CountyState) -> np.ndarray | None:
        c = self.config
        st = self.structure
        k = self._strength() * c.fidelity
        if k == 0 or not st.is_member.any() or (c.curriculum_effect == 0 and c.lead_gain == 0):
            return None
        s = model.students
        q1 = model.ses_quartiles()[0]
        # the effect takes 16 values, one per (member, lead, junior, disadvantaged): a
        # table of them, indexed per pupil (pupils of schools outside the groups get 0:
        # the multipliers are finite and >= 0)
        m, lead, junior, dis = np.unravel_index(np.arange(16), (2, 2, 2, 2))
        table = (np.where(m == 1, c.curriculum_effect * k, 0.0)
                 * np.where(junior == 1, c.junior_multiplier, 1.0)
                 * np.where(dis == 1, c.disadvantaged_multiplier, 1.0)
                 + np.where(lead == 1, c.lead_gain * k, 0.0))
        code = (st.is_member.astype(np.int8) * 8 + st.is_lead.astype(np.int8) * 4)[s.school]
        code += (s.grade >= 7).view(np.int8) * np.int8(2)
        disadvantaged = s.ses <= q1
        disadvantaged |= s.left_behind
        code += disadvantaged.view(np.int8)
        return table.take(code)

    def after_careers(self, model: CountyState) -> None:
        c = self.config
        st = self.structure
        k = self._strength() * c.fidelity
        self._skill_gain = 0.0
        if k == 0 or not st.is_member.any():
            return
        t = model.teachers
        n = model.schools.n
        # mean skill per school and section, falling back to the school's whole staff
        key = t.school.astype(np.int64) * 2 + t.section
        cnt = np.bincount(key, minlength=2 * n).reshape(-1, 2).astype(float)
        tot = np.bincount(key, weights=t.skill, minlength=2 * n).reshape(-1, 2)
        school_mean = np.divide(tot.sum(axis=1), cnt.sum(axis=1), out=np.full(n, np.nan),
                                where=cnt.sum(axis=1) > 0)
        sec_mean = np.divide(tot, cnt, out=np.repeat(school_mean[:, None], 2, axis=1),
                             where=cnt > 0)
        target = np.full((n, 2), np.nan)
        members = np.flatnonzero(st.is_member)
        n_leads = np.fromiter((len(st.leads_of[m]) for m in members), np.int64, len(members))
        # a member with one lead: the lead's section means (NaN where it has none)
        one = members[n_leads == 1]
        target[one] = sec_mean[np.fromiter((st.leads_of[m][0] for m in one), np.int64,
                                           len(one))]
        for m in members[n_leads != 1]:
            vals = sec_mean[st.leads_of[m]]
            ok = ~np.isnan(vals)
            for sec in (0, 1):
                if ok[:, sec].any():
                    target[m, sec] = vals[ok[:, sec], sec].mean()
        rate = c.convergence_rate * k
        if rate > 0:
            # target[school, section] at flat positions school × 2 + section (faster)
            goal = target.ravel().take(t.school.astype(np.int64) * 2 + t.section)
            gap = np.where(np.isnan(goal), 0.0, np.maximum(np.nan_to_num(goal) - t.skill, 0.0))
            gain = rate * gap
            t.skill[:] += gain
            member_t = st.is_member[t.school]
            self._skill_gain = float(gain[member_t].mean()) if member_t.any() else 0.0
        if c.dilution > 0:
            t.skill[:] -= c.dilution * k * st.member_load[t.school]

    def report(self, model: CountyState) -> dict[str, float]:
        st = self.structure
        gaps = member_lead_gaps(model, st)
        return {
            "groups": float(st.n_groups),
            "coverage": st.coverage(model.schools.open),
            "members": float(st.is_member.sum()),
            "member_lead_gap": gaps["achievement"],
            "member_lead_teacher_gap": gaps["teachers"],
            "skill_gain": self._skill_gain,
        }
