"""Remote classrooms (专递课堂 / 名师课堂 / 名校网络课堂): lessons of strong schools' teachers
streamed to weak or rural schools.

**Who.** Each year (``after_enrolment``) the *source* schools are the top ``source_share``
of open schools by ``strength_measure`` (at least one); the *receiving* (connected)
schools are, by ``target``: ``rural`` — open rural schools; ``weakest`` — the bottom
``weak_share`` of open schools by the same measure; ``designated_weak`` — the schools the
weak-school programme has designated (none without that policy). Source schools never
receive.

**Effect = supply × adoption** (doc 001 §3; DOMAIN causal claim 7). For a receiving school
*s*::

    equipment_s = min(1, multimedia rooms / rooms the 2017 standard requires for its pupils)
                                           (2.3 per 100 primary, 2.4 per 100 junior pupils)
    it_s        = (1 − young_weight) · share of its teachers with a bachelor degree or above
                  + young_weight · share of its teachers younger than young_age
    adoption_s  = max_adoption · equipment_s · ((1 − it_skill_weight) + it_skill_weight · it_s)

The teachers' IT skill is not observed; degree and age are its proxy (doc 001 §1 lists
IT-based teaching among the training needs; younger and better-educated teachers use it
more — assumption). ``max_adoption`` < 1 because use stays low even where the equipment is
there (doc 001 §3: 整体应用水平不高). A pupil of class *c* in receiving school *s* then
grows each year (``learning_effect``) by::

    w · lesson_share · fidelity · adoption_s · max(0, Q_sec − T_c)

where ``T_c`` is the class's own teacher term (``sim.processes.learning.
class_teacher_effect``, which includes the penalty of classes short of regular teachers)
and ``Q_sec`` the mean effectiveness of the source schools' core teachers in the pupil's
section (primary / junior): the streamed share of lessons is taught at the source
teachers' quality instead of the own teachers'. Classes whose teachers are already better
than the source gain nothing (they keep teaching themselves). ``w`` is
``learning.teacher_effect_weight``, the weight of teachers in the core learning equation
(1 by default), so the streamed lessons count exactly like own lessons. Direction of the
effect: Bianchi, Lu & Song 2022 (satellite lessons of urban teachers raised rural pupils'
achievement and narrowed the rural–urban gap).

**Optional equipment upgrade** (``equip_upgrade_to`` > 0, ``after_finance``): receiving
schools whose multimedia rooms fall short of ``equip_upgrade_to`` × the standard get
``fidelity`` × the missing rooms, bought at ``finance.multimedia_room_cost``. This raises
adoption and also the school's resource index and official multimedia indicator
(interaction with the core finance and with targeted_funding).

**Costs** (yuan per year): ``cost_per_school`` per connected school (bandwidth, platform,
maintenance, the classroom assistant's time; paid at the nominal scale whatever the
adoption), ``setup_cost_per_school`` once per newly connected school, and the rooms
bought by the upgrade. Amounts are assumptions.

Measured effects of the defaults on the default county (adoption, the yearly gain of the
connected schools' pupils, the change of the urban–rural achievement gap against the
same-seed baseline): the table that follows this text in ``docs/policies.md``, made by the
``policy_effects`` docs job. ``equip_upgrade_to`` > 0 raises adoption wherever rooms are short
of the target (sweep it to measure by how much).

**Report**: ``connected`` (receiving schools), ``mean_adoption`` (mean over them),
``mean_effect`` (mean yearly gain of their pupils, student SD) and ``rooms_added``.

**Interactions**: the effect is measured against the own class teachers, so anything that
improves them (teacher_rotation, school_groups, teacher_training, rural_incentives)
lowers the gain; the weak-school programme supplies the ``designated_weak`` targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.policies.base import Policy, PolicyConfig, open_schools_by_strength, register, share_of
from sim.priors import PLUS_MINUS_50, uniform
from sim.processes.learning import pupil_teacher_effect
from sim.schema import param
from sim.standards import FACILITY_STANDARDS_PER_STUDENT
from sim.vocabulary import RURAL

if TYPE_CHECKING:
    from sim.state import CountyState

__all__ = ["RemoteClassrooms", "RemoteClassroomsConfig"]


@dataclass
class RemoteClassroomsConfig(PolicyConfig):
    lesson_share: float = param(
        0.20, "share of core lessons", 0.0, 1.0,
        source="assumption (a few streamed lessons a week per subject; doc 001 §3 aims "
               "at 开足开齐 the curriculum in teacher-short schools)",
        doc="share of the receiving schools' core lessons offered from the source schools",
        no_prior="the lever's intensity, chosen by the user")
    target: str = param(
        "rural", choices=("rural", "weakest", "designated_weak"),
        source="doc 002 (专递课堂 for 2,000 remote schools); doc 001 §3 (weak schools)",
        doc="which schools receive the lessons")
    weak_share: float = param(
        0.33, "share of schools", 0.01, 1.0,
        source="doc 001 §2 (the weakest third of schools)",
        doc="target='weakest': bottom share of open schools that receive")
    strength_measure: str = param(
        "composite", choices=("achievement", "teachers", "resources", "composite"),
        source="assumption",
        doc="school-strength measure for the source schools and target='weakest'")
    source_share: float = param(
        0.10, "share of schools", 0.01, 1.0,
        source="assumption (名校 / 名师: the county's few best schools)",
        doc="top share of open schools whose teachers give the streamed lessons",
        no_prior="a choice of the design (which schools stream), not an uncertain quantity")
    max_adoption: float = param(
        0.60, "share", 0.0, 1.0,
        source="assumption (doc 001 §3: 整体应用水平不高, use stays low)",
        doc="adoption of a fully equipped school whose teachers all have IT skill",
        prior=uniform(0.5, 1.5, "assumption: ±50% around the default (doc 001 §3: use "
                                "stays low)", relative=True))
    it_skill_weight: float = param(
        0.50, "weight", 0.0, 1.0,
        source="assumption (doc 000: teachers' IT skill limits use)",
        doc="how much adoption depends on the teachers' IT skill proxy (0: not at all)",
        prior=PLUS_MINUS_50)
    young_weight: float = param(
        0.50, "weight", 0.0, 1.0, source="assumption",
        doc="weight of the young-teacher share (vs the bachelor share) in the IT proxy",
        prior=PLUS_MINUS_50)
    young_age: int = param(
        40, "years", 20, 65, source="assumption",
        doc="teachers younger than this count as IT-able in the proxy",
        prior=uniform(35, 45, "assumption: ±5 years around the default age"))
    equip_upgrade_to: float = param(
        0.0, "ratio to the multimedia-room standard", 0.0, 2.0,
        source="assumption (off by default; doc 004: 网络教室 and 班班通 in every school)",
        doc="buy multimedia rooms for receiving schools up to this ratio of the standard "
            "(0 = no upgrade)",
        no_prior="the lever's intensity, chosen by the user")
    cost_per_school: float = param(
        30_000.0, "yuan per connected school per year", 0.0, 1e7,
        source="assumption (bandwidth, platform licence, maintenance)",
        no_prior="a cost: moves the policy's cost, not its effect")
    setup_cost_per_school: float = param(
        16_000.0, "yuan per newly connected school", 0.0, 1e7,
        source="assumption (order of one receiving station of the 2002-2007 rural "
               "distance-education project, about 16,000 yuan)",
        no_prior="a cost: moves the policy's cost, not its effect")


@register("remote_classrooms", position=50)
class RemoteClassrooms(Policy):
    Config = RemoteClassroomsConfig
    intensity_fields = ("lesson_share", "equip_upgrade_to")
    writes_pupils = False  # its enrolment hooks leave the pupils' table as it is

    def setup(self, model: CountyState) -> None:
        n = model.schools.n
        self.receiving = np.zeros(n, dtype=bool)
        self.source = np.zeros(n, dtype=bool)
        self._ever = np.zeros(n, dtype=bool)
        self._stats: dict[str, float] = {}

    # ---- who gives and who receives ----------------------------------------------------
    def sources_receivers(self, model: CountyState) -> tuple[np.ndarray, np.ndarray]:
        """Boolean masks over schools: source schools and receiving schools."""
        c = self.config
        sch = model.schools
        order = open_schools_by_strength(model, c.strength_measure, strongest_first=True)
        source = np.zeros(sch.n, dtype=bool)
        source[order[:share_of(c.source_share, len(order))]] = True
        if c.target == "rural":
            recv = sch.open & (sch.tier == RURAL)
        elif c.target == "weakest":
            recv = np.zeros(sch.n, dtype=bool)
            recv[order[len(order) - share_of(c.weak_share, len(order)):]] = True
        else:
            recv = sch.open & sch.designated_weak
        return source, recv & ~source

    def adoption(self, model: CountyState) -> np.ndarray:
        """Per school: the adoption the school would reach if connected (0 for schools
        without pupils or teachers)."""
        c = self.config
        t = model.teachers
        n = model.schools.n
        need = model.section_enrolment() @ FACILITY_STANDARDS_PER_STUDENT[:, 3]
        rooms = model.schools.multimedia_rooms
        equipment = np.minimum(np.divide(rooms, need, out=np.zeros(n), where=need > 0), 1.0)
        staff = np.bincount(t.school, minlength=n).astype(float)
        bachelor = np.bincount(t.school[t.qualification >= 2], minlength=n)
        young = np.bincount(t.school[t.age < c.young_age], minlength=n)
        it = np.divide((1 - c.young_weight) * bachelor + c.young_weight * young, staff,
                       out=np.zeros(n), where=staff > 0)
        return c.max_adoption * equipment * ((1 - c.it_skill_weight) + c.it_skill_weight * it)

    def source_quality(self, model: CountyState) -> np.ndarray:
        """Mean effectiveness of the source schools' core teachers, [primary, junior]."""
        t = model.teachers
        eff = model.teacher_effectiveness()
        at_source = self.source[t.school]
        core = at_source & (t.subject == 0)
        out = np.zeros(2)
        fallback = float(eff[at_source].mean()) if at_source.any() else 0.0
        for sec in (0, 1):
            sel = core & (t.section == sec)
            out[sec] = float(eff[sel].mean()) if sel.any() else fallback
        return out

    # ---- hooks --------------------------------------------------------------------------
    def after_enrolment(self, model: CountyState) -> None:
        c = self.config
        self._stats = {"connected": 0.0, "mean_adoption": np.nan, "mean_effect": 0.0,
                       "rooms_added": 0.0}
        if c.lesson_share == 0 and c.equip_upgrade_to == 0:
            return
        self.source, self.receiving = self.sources_receivers(model)
        if c.lesson_share > 0:
            self._stats["connected"] = float(self.receiving.sum())
            new = self.receiving & ~self._ever
            self._ever |= self.receiving
            self.spend(c.cost_per_school * float(self.receiving.sum())
                       + c.setup_cost_per_school * float(new.sum()))

    def learning_effect(self, model: CountyState) -> np.ndarray | None:
        c = self.config
        k = c.lesson_share * c.fidelity * model.cfg.learning.teacher_effect_weight
        if k == 0 or not self.receiving.any():
            return None
        s = model.students
        adoption = np.where(self.receiving, self.adoption(model), 0.0)
        # pupils outside receiving schools have adoption 0 and so an effect of exactly 0
        inside = np.flatnonzero(self.receiving[s.school])
        quality = self.source_quality(model)[(s.grade[inside] >= 7).astype(np.int64)]
        own = pupil_teacher_effect(model)[inside]
        effect = np.zeros(s.n)
        effect[inside] = k * adoption[s.school[inside]] * np.maximum(quality - own, 0.0)
        self._stats["mean_adoption"] = float(adoption[self.receiving].mean())
        self._stats["mean_effect"] = float(effect[inside].mean()) if len(inside) else 0.0
        return effect

    def after_finance(self, model: CountyState) -> None:
        c = self.config
        if c.equip_upgrade_to == 0 or c.fidelity == 0 or not self.receiving.any():
            return
        sch = model.schools
        need = model.section_enrolment() @ FACILITY_STANDARDS_PER_STUDENT[:, 3]
        short = np.maximum(c.equip_upgrade_to * need - sch.multimedia_rooms, 0.0)
        add = np.where(self.receiving & sch.open, c.fidelity * short, 0.0)
        sch.multimedia_rooms[:] += add
        self._stats["rooms_added"] = float(add.sum())
        self.spend(float(add.sum()) * model.cfg.finance.multimedia_room_cost)

    def report(self, model: CountyState) -> dict[str, float]:
        return dict(self._stats)
