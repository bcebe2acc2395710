"""Enrolment rules (招生入学): how strictly pupils go to the school near home (就近入学), how
catchments (划片) follow where children live, how far pupils may have to travel, and the
allocation of elite senior-high places to rural junior schools (名额分配).

Four levers, each switched off at 0:

1. **Choice intensity** (``choice_reduction`` = r). The core placement lets a family at an
   entry grade (1 or 7) seek a non-catchment school with probability
   ``p = sigmoid(logit(choice_rate) + choice_ses_slope · SES)``
   (:func:`sim.processes.enrolment.place`). The policy multiplies ``p`` by
   ``1 − r × fidelity`` (the ``choice_multiplier`` hook): r = 0 is the baseline county,
   r = 1 strict catchment enrolment (no choosers). Default 0.34: doc 002 reports
   school-choice pressure (择校热) down 34%.

2. **Catchment redrawing** (doc 002: 根据适龄儿童分布变化弹性调整学区范围). Every
   ``redraw_every`` years (from ``start_year``; 0 = never) the county redraws the
   catchment school of every zone for primary and junior grades, before this year's
   placement:

   * *demand* of a zone: primary — this year's expected grade-1 cohort
     (``zone_cohort0 × (1 + birth_trend)^year``); junior — its residents now in grade 6 of
     a primary-only school (they need a junior school this year). Migrants and movers are
     not forecast.
   * *room* of a school: ``capacity`` minus the pupils who will still be there this year
     (everyone but grade 9, and but grade 6 of a primary-only school).
   * start from the default catchments (the zone's own primary school, the nearest junior
     school: :func:`sim.region.catchments`) and compute each school's surplus
     ``room − Σ demand of the zones assigned to it`` (both sections of a nine-year school
     share it).
   * **rule**: while some school is overloaded (surplus < 0), among all its zones and all
     open schools teaching the zone's grades that have surplus ≥ the zone's demand and lie
     within the zone's *reach*, move the (zone, school) pair with the shortest distance
     (zones are moved in order of distance); each move happens with probability
     ``fidelity``. The reach is ``max_travel_km``, or the distance to the default school if
     even that is farther (a redraw never sends a zone beyond the travel limit unless its
     own nearest school already is). A receiver never becomes overloaded, so every zone
     moves at most once per redraw, and the total overload never rises.

   The redrawn map is kept in ``model.catch_primary`` / ``model.catch_junior`` until the
   next redraw (re-applied each year, falling back to the default for zones whose redrawn
   school has closed; after ``end_year`` the last map stays until a core school merger
   resets the catchments). Only pupils who are placed this year (entrants, grade-7 movers,
   migrants) follow the new map; pupils already in a school stay. With whole zones as the
   unit, a zone larger than any neighbour's spare seats cannot move: redrawing balances
   junior catchments (many primary zones per junior school) more than primary ones.

3. **Maximum travel** (doc 004: 学生每天上学单程步行不超过40分钟). The limit is
   ``max_travel_km`` or, if unset, ``max_walk_minutes × walking_speed_kmh / 60``
   (40 min × 4.5 km/h = 3 km). Each year, after placement, pupils whose school is farther
   than the limit from their home zone need a school bus or a boarding place; the county
   pays ``transport_cost_yuan`` per such pupil per year (× fidelity: the share really
   provided). Zones are points (the site of a primary school), so travel within a zone is
   not modelled: the count is mostly village children in township junior schools, overflow
   pupils and choosers. Choosers are counted too (an upper bound on the county's bill).

4. **Quota allocation** (名额分配) of elite senior-high places to junior schools,
   ``quota_share`` = q of the places, tilted to rural schools: a pupil's chance at an elite
   senior high no longer requires leaving the village junior school, so the choice
   probability of pupils entering grade 7 whose junior catchment school is rural
   (``quota_tiers="rural"``) or town or rural (``"town_rural"``) is multiplied by
   ``1 − quota_effect × q × fidelity``.

The two choice factors multiply. At zero intensity (``choice_reduction = redraw_every =
quota_share = transport_cost_yuan = 0``) nothing changes and nothing is spent.

Reported per year: ``choosers`` and ``overflow`` (core flows), ``quota_pupils`` (grade-7
seekers whose choice probability the quota lowered), ``beyond_max_travel`` (pupils beyond
the limit) and its share, ``catchment_changes`` (zone-section catchments changed this
year) and ``zones_redrawn`` (zone-sections currently off their default school).

Interactions: fewer choosers keep richer families in their catchment schools, which tends
to lower SES segregation across schools (``ses_dissimilarity``) and the between-school share
of achievement variance. How much depends on how common choice is
(``enrolment.choice_rate``) and on room in the chosen schools: where they are full, choosers
mostly displace catchment pupils into overflow, and fewer choosers change little. The
measured changes at the defaults on the default county: the table that follows this text in
``docs/policies.md``, made by the ``policy_effects`` docs job. Weaker schools keep their
strong pupils, which feeds the school-strength rankings used by ``weak_school_program``,
``teacher_rotation`` (``strong_to_weak``) and ``school_groups``. Core school merging (``enrolment.merge_below``)
resets catchments; the redrawn map is re-applied to the schools still open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.policies.base import Policy, PolicyConfig, register
from sim.priors import uniform
from sim.region import catchments
from sim.schema import param
from sim.vocabulary import JUNIOR, NINE_YEAR, PRIMARY, RURAL, TOWN, one_of

if TYPE_CHECKING:
    from sim.state import CountyState

_LEVELS = ((PRIMARY, NINE_YEAR), (JUNIOR, NINE_YEAR))  # schools teaching primary / junior


@dataclass
class EnrolmentRulesConfig(PolicyConfig):
    choice_reduction: float = param(
        0.34, "share of choice probability removed", 0.0, 1.0,
        source="doc 002 (school-choice pressure 择校热 down 34%)",
        doc="0: baseline choice; 1: strict catchment enrolment (就近入学), no choosers")
    redraw_every: int = param(
        3, "years", 0, 50,
        source="doc 002 (catchments adjusted to where school-age children live); the "
               "interval is an assumption (a planning cycle)",
        doc="years between catchment redraws (0: never)")
    max_travel_km: float | None = param(
        None, "km", 0.1, 500.0,
        source="doc 004 (one-way walk of at most 40 minutes)",
        doc="travel limit; None: max_walk_minutes × walking_speed_kmh / 60")
    max_walk_minutes: float = param(
        40.0, "minutes one way", 1.0, 300.0,
        source="doc 004 (学生每天上学单程步行不超过40分钟)",
        doc="walking-time standard that sets the travel limit")
    walking_speed_kmh: float = param(
        4.5, "km per hour", 1.0, 10.0,
        source="assumption (children's walking speed 4-5 km/h)",
        doc="walking speed that turns the time standard into a distance",
        prior=uniform(4.0, 5.0, "the source's range: children walk 4-5 km/h"))
    transport_cost_yuan: float = param(
        1500.0, "yuan per pupil beyond the limit per year", 0.0, 1e5,
        source="assumption (school bus or boarding; for scale, the living subsidy for poor "
               "boarders is 1,000 yuan primary / 1,250 yuan junior a year, MOF/MOE 2019)",
        doc="county cost of transport or boarding per pupil beyond the travel limit (0: "
            "the county provides none)",
        no_prior="a cost: moves the policy's cost, not its effect")
    quota_share: float = param(
        0.5, "share of elite senior-high places", 0.0, 1.0,
        source="MOE 2017 (教督〔2017〕6号): at least 50% of quality senior-high places "
               "allocated to junior schools, tilted to rural ones; local practice 40-70% "
               "(Liaoning 2007: 70% on average, Yinchuan 2013: 60%)",
        doc="share of elite senior-high places allocated to junior schools (0: none)")
    quota_effect: float = param(
        0.6, "share of choice probability removed per unit quota share", 0.0, 1.0,
        source="assumption (quota places reward staying; no estimate of the size)",
        doc="grade-7 choice probability from quota schools is × (1 − quota_effect × quota_share)",
        prior=uniform(0.0, 1.0, "no estimate of the size: from no effect to the allowed "
                                "maximum"))
    quota_tiers: str = param(
        "rural", choices=("rural", "town_rural"),
        source="MOE 2017 (tilt to rural junior schools); town_rural for counties that include "
               "township schools",
        doc="junior catchment schools whose pupils benefit from the quota")


@register("enrolment_rules", position=10)
class EnrolmentRules(Policy):
    Config = EnrolmentRulesConfig
    intensity_fields = ("choice_reduction", "redraw_every", "quota_share", "transport_cost_yuan")
    writes_pupils = False  # its enrolment hooks leave the pupils' table as it is

    def setup(self, model: CountyState) -> None:
        #: the redrawn catchments (primary, junior) or None before the first redraw
        self._redrawn: tuple[np.ndarray, np.ndarray] | None = None
        self._stats: dict[str, float] = {}

    @property
    def max_travel_km(self) -> float:
        c = self.config
        if c.max_travel_km is not None:
            return float(c.max_travel_km)
        return c.max_walk_minutes * c.walking_speed_kmh / 60.0

    # ---- catchments ----------------------------------------------------------------------
    def _default_catchments(self, model: CountyState) -> tuple[np.ndarray, np.ndarray]:
        """The catchments without the policy (:func:`sim.region.catchments`; read-only,
        reused while the schools' levels and openings are unchanged)."""
        sch = model.schools

        def compute() -> tuple[np.ndarray, np.ndarray]:
            default = catchments(model.zone_dist, sch.level, sch.open, model.zone_own_school)
            for a in default:
                a.flags.writeable = False
            return default

        return model.memo.get("default_catchments", (model.zone_dist, sch.level, sch.open,
                                                     model.zone_own_school), compute)

    def before_enrolment(self, model: CountyState) -> None:
        c = self.config
        self._stats = {"catchment_changes": 0.0, "quota_pupils": 0.0}
        before = (model.catch_primary.copy(), model.catch_junior.copy())
        if (c.redraw_every > 0 and c.fidelity > 0
                and (model.year - c.start_year) % c.redraw_every == 0):
            self._redrawn = self.redraw(model)
        if self._redrawn is not None:
            default = self._default_catchments(model)
            sch = model.schools
            for sec, (mine, dflt) in enumerate(zip(self._redrawn, default, strict=True)):
                ok = sch.open[mine] & one_of(sch.level[mine], _LEVELS[sec])
                new = np.where(ok, mine, dflt).astype(np.intp)
                if sec == 0:
                    model.catch_primary = new
                else:
                    model.catch_junior = new
            changes = ((model.catch_primary != before[0]).sum()
                       + (model.catch_junior != before[1]).sum())
            self._stats["catchment_changes"] = float(changes)
            self._stats["zones_redrawn"] = float((model.catch_primary != default[0]).sum()
                                                 + (model.catch_junior != default[1]).sum())

    def zone_demand_and_room(self, model: CountyState) -> tuple[np.ndarray, np.ndarray]:
        """Demand (zones × 2: primary, junior) for seats this year and room per school."""
        s, sch = model.students, model.schools
        n_z = len(model.zone_x)
        trend = np.array(model.cfg.demography.birth_trend.as_tuple())[model.zone_tier]
        entrants = model.zone_cohort0 * (1.0 + trend) ** model.year
        to_junior = (s.grade == 6) & (sch.level == PRIMARY)[s.school]
        demand = np.column_stack([entrants,
                                  np.bincount(s.zone[to_junior], minlength=n_z).astype(float)])
        staying = (s.grade < 9) & ~to_junior
        room = sch.capacity - np.bincount(s.school[staying], minlength=sch.n)
        return demand, room.astype(float)

    def redraw(self, model: CountyState) -> tuple[np.ndarray, np.ndarray]:
        """New catchments by the rule in the module docstring (a loop over zone moves)."""
        sch = model.schools
        rng = self.rng(model)
        fidelity = self.config.fidelity
        demand, room = self.zone_demand_and_room(model)
        assign = [a.astype(np.int64) for a in self._default_catchments(model)]
        dist = model.zone_dist  # zones × schools
        n_z = dist.shape[0]
        surplus = room.copy()
        for sec in (0, 1):
            surplus -= np.bincount(assign[sec], weights=demand[:, sec], minlength=sch.n)
        teaches = [sch.open & one_of(sch.level, lv) for lv in _LEVELS]
        reach = [np.maximum(self.max_travel_km, dist[np.arange(n_z), assign[sec]])
                 for sec in (0, 1)]
        # per section, the moves the fixed conditions allow (schools that teach the
        # section, within reach): their zones, schools and distances, in the order of
        # (zone, school), and where each zone's moves start (few: reach is short)
        moves = []
        for sec in (0, 1):
            mz, ms = np.nonzero(teaches[sec][None, :] & (dist <= reach[sec][:, None] + 1e-9))
            moves.append((mz, ms, dist[mz, ms], np.searchsorted(mz, np.arange(n_z + 1))))
        fixed = np.zeros((n_z, 2), dtype=bool)  # moves refused (fidelity) or done
        while True:
            best = (np.inf, -1, -1, -1)
            for sec in (0, 1):
                movable = (surplus[assign[sec]] < 0) & (demand[:, sec] > 0) & ~fixed[:, sec]
                if not movable.any():
                    continue
                z = np.flatnonzero(movable)
                mz, ms, md, start = moves[sec]
                # the movable zones' moves, in order: those allowed now also need room
                # for the zone's demand and lead to another school than its own
                counts = start[z + 1] - start[z]
                at = np.arange(counts.sum()) + np.repeat(start[z] - np.cumsum(counts) + counts,
                                                         counts)
                zone, school = mz[at], ms[at]
                ok = surplus[school] >= demand[zone, sec]
                ok &= school != assign[sec][zone]
                if not ok.any():
                    continue
                d = np.where(ok, md[at], np.inf)
                k = int(np.argmin(d))  # the shortest; of equal ones, the first in order
                if d[k] < best[0]:
                    best = (d[k], sec, int(zone[k]), int(school[k]))
            dmin, sec, z, j = best
            if not np.isfinite(dmin):
                break
            fixed[z, sec] = True
            if fidelity < 1 and rng.random() >= fidelity:
                continue
            surplus[assign[sec][z]] += demand[z, sec]
            surplus[j] -= demand[z, sec]
            assign[sec][z] = j
        return assign[0].astype(np.intp), assign[1].astype(np.intp)

    # ---- choice --------------------------------------------------------------------------
    def choice_multiplier(self, model: CountyState, pupils: np.ndarray) -> np.ndarray | None:
        c = self.config
        r = c.choice_reduction * c.fidelity
        q = c.quota_effect * c.quota_share * c.fidelity
        if r == 0 and q == 0:
            return None
        mult = np.full(len(pupils), 1.0 - r)
        if q > 0:
            s = model.students
            tiers = (RURAL,) if c.quota_tiers == "rural" else (TOWN, RURAL)
            catch = model.catch_junior[s.zone[pupils]]
            quota = (s.grade[pupils] == 7) & one_of(model.schools.tier[catch], tiers)
            mult[quota] *= 1.0 - q
            self._stats["quota_pupils"] = float(np.count_nonzero(quota))
        return mult

    # ---- travel ----------------------------------------------------------------------------
    def far_pupils(self, model: CountyState) -> np.ndarray:
        """Mask of pupils whose school is beyond the travel limit from their home zone."""
        s = model.students
        dist = model.zone_dist
        if s.n == 0 or s.school.min() < 0:
            return dist[s.zone, s.school] > self.max_travel_km + 1e-9
        # the zone-school table compared once, then looked up at flat positions (much
        # faster than a two-dimensional fancy index)
        far = (dist > self.max_travel_km + 1e-9).ravel()
        pos = s.zone * dist.shape[1]
        pos += s.school
        return far.take(pos)

    def after_enrolment(self, model: CountyState) -> None:
        c = self.config
        far = self.far_pupils(model)
        n_far = float(np.count_nonzero(far))
        self._stats["beyond_max_travel"] = n_far
        n = model.students.n
        self._stats["beyond_max_travel_share"] = n_far / n if n else np.nan  # no pupils: undefined
        self.spend(c.transport_cost_yuan * n_far * c.fidelity)

    def report(self, model: CountyState) -> dict[str, float]:
        return {"choosers": float(model.flows.get("choosers", 0)),
                "overflow": float(model.flows.get("overflow", 0)),
                "quota_pupils": 0.0, "catchment_changes": 0.0, "zones_redrawn": 0.0,
                **self._stats}
