"""Enrolment: demography, placement of pupils in schools, and classes.

Runs first in each year (see ``EducationModel.step``):

1. **exits** — grade-9 pupils graduate; a share of families leaves the county;
2. **progression** — everyone else moves up one grade; pupils finishing grade 6 in a
   primary-only school need a junior school;
3. **migration** — a share of rural families moves to the urban district or a township
   centre (their children change school); migrant children (随迁子女) arrive;
4. **entry** — a grade-1 cohort per catchment zone, its size following the tier's birth
   trend, with SES, left-behind and migrant status drawn per tier;
5. **placement** — pupils who need a school (entrants, grade-7 movers, migrants) are placed:
   families that choose (richer ones more often) apply to the school they prefer by quality,
   a key school's reputation (``school_effects.key_choice_bonus``) and distance, and win
   seats in SES order; everyone else goes to the catchment school (就近入学); a full school
   sends its overflow to the nearest school with free seats; optionally the county adds
   seats (``enrolment.expand_capacity``);
6. **classes** — each school-grade is split into the fewest classes within the class-size
   limit; pupils in random order are dealt round-robin to them (mixed-ability classes of
   equal size), and core teachers round-robin to the classes of their section.

All steps are vectorised over pupils; Python loops run over schools at most.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.arrays import group_by_key, logit, rank_within, sigmoid, stable_by_key
from sim.processes import families, school_effects
from sim.vocabulary import JUNIOR, NINE_YEAR, PRIMARY, RURAL, TOWN, URBAN, one_of

if TYPE_CHECKING:
    from sim.state import CountyState

MAX_GRADE_KEY = 10  # school-grade key = school * 10 + grade


def new_pupils(model: CountyState, rng: np.random.Generator, zones: np.ndarray,
               grades: np.ndarray, migrant: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Draw the characteristics of new pupils living in ``zones`` (not yet placed)."""
    dem, learn = model.cfg.demography, model.cfg.learning
    n = len(zones)
    tier = model.zone_tier[zones]
    ses_mean = np.array(dem.ses_mean.as_tuple())[tier]
    if migrant is None:
        migrant = rng.random(n) < np.array(dem.migrant_entry_share.as_tuple())[tier]
    ses = ses_mean + dem.ses_sd * rng.standard_normal(n) + migrant * dem.migrant_ses_shift
    left_behind = (rng.random(n) < np.array(dem.left_behind_share.as_tuple())[tier]) & ~migrant
    disabled = rng.random(n) < dem.disabled_share
    readiness = (learn.entry_ses_gradient * ses + learn.entry_left_behind * left_behind
                 + rng.standard_normal(n))
    return {"zone": zones, "grade": grades, "ses": ses, "left_behind": left_behind,
            "migrant": migrant, "disabled": disabled, "achievement": readiness,
            "school": np.full(n, -1, dtype=np.intp), "entry_year": model.year}


def step(model: CountyState) -> None:
    """One year of enrolment. Demographic draws (exits, migration, entry), placement and
    class formation use separate streams, so that a change in what schools offer never
    shifts who is born, moves or leaves (common random numbers)."""
    rng = model.stream("demography")
    s = model.students
    dem = model.cfg.demography
    flows = model.flows

    # 1. exits: graduation after grade 9, families leaving the county
    graduating = s.grade >= 9
    leaving = ~graduating & (rng.random(s.n) < dem.out_migration)
    flows["graduates"] = int(np.count_nonzero(graduating))
    flows["out_migrants"] = int(np.count_nonzero(leaving))
    model.remove_students(graduating | leaving)

    # 2. progression
    s.grade[:] += 1
    # (per-school and per-zone flags looked up per pupil: one pass fewer than comparing
    # the looked-up values)
    needs_school = (s.grade == 7) & (model.schools.level == PRIMARY)[s.school]

    # 3. migration within the county: rural families move to the city or a township centre
    rural = (model.zone_tier == RURAL)[s.zone]
    u = rng.random(s.n)
    to_urban = rural & (u < dem.rural_to_urban_migration)
    to_town = rural & ~to_urban & (u < dem.rural_to_urban_migration + dem.rural_to_town_migration)
    for mask, tier in ((to_urban, URBAN), (to_town, TOWN)):
        k = int(np.count_nonzero(mask))
        targets = np.flatnonzero(model.zone_tier == tier)
        if k == 0 or len(targets) == 0:
            continue
        w = model.zone_weight[targets] / model.zone_weight[targets].sum()
        s.zone[mask] = rng.choice(targets, size=k, p=w)
        s.left_behind[mask] = False  # the family moves together
    movers = to_urban | to_town
    flows["internal_movers"] = int(np.count_nonzero(movers))
    needs_school |= movers
    # pupils whose school has closed
    needs_school |= (~model.schools.open)[s.school]
    s.school[needs_school] = -1

    # 4. entry: grade-1 cohort per zone, and migrant arrivals in grades 2-9
    trend = np.array(dem.birth_trend.as_tuple())[model.zone_tier]
    expected = model.zone_cohort0 * (1.0 + trend) ** model.year
    n1 = rng.poisson(expected)
    zones = np.repeat(np.arange(len(n1)), n1)
    new = new_pupils(model, rng, zones, np.ones(len(zones), dtype=np.int8))
    model.add_students(new)
    flows["entrants"] = len(zones)

    # pupils in grades 2-9 per urban and town zone (rural zones: none)
    grade_counts = np.bincount(s.zone[s.grade >= 2], minlength=len(model.zone_x))
    grade_counts[model.zone_tier == RURAL] = 0
    n_arr = rng.poisson(grade_counts * dem.migrant_arrivals)
    zones = np.repeat(np.arange(len(n_arr)), n_arr)
    grades = rng.integers(2, 10, size=len(zones)).astype(np.int8)
    new = new_pupils(model, rng, zones, grades, migrant=np.ones(len(zones), dtype=bool))
    # arrivals are as far along as their grade implies: shrink readiness toward the grade
    model.add_students(new, initialise_achievement=True)
    flows["migrant_arrivals"] = len(zones)

    # 5. school-district homes, then placement
    # pupils already placed, per school (district moves change homes only, not schools)
    occupied = np.bincount(s.school[s.school >= 0], minlength=model.schools.n)
    families.district_moves(model, model.stream("families"), occupied)
    place(model, model.stream("placement"), occupied)

    # 6. classes
    form_classes(model, model.stream("classes"))


def place(model: CountyState, rng: np.random.Generator,
          occupied: np.ndarray | None = None) -> None:
    """Place every pupil whose school is -1: choice, catchment, overflow. ``occupied``:
    the pupils already placed per school, when the caller has counted them."""
    s = model.students
    cfg = model.cfg.enrolment
    sch = model.schools
    n_sch = sch.n
    todo = np.flatnonzero(s.school < 0)
    if len(todo) == 0:
        return
    if occupied is None:
        occupied = np.bincount(s.school[s.school >= 0], minlength=n_sch)
    free = np.maximum(sch.capacity - occupied, 0).astype(np.int64)
    free[~sch.open] = 0

    # fixed-size draws first, so the stream advances the same whatever the outcome
    u_choice = rng.random(len(todo))
    random_order = rng.permutation(len(todo))  # who gets a catchment seat first
    junior = s.grade[todo] >= 7
    zone = s.zone[todo]
    catch = np.where(junior, model.catch_junior[zone], model.catch_primary[zone])
    target = catch.copy()

    # school choice at the entry grades (1 and 7)
    entry = (s.grade[todo] == 1) | (s.grade[todo] == 7)
    if cfg.choice_rate > 0 and entry.any():
        p = sigmoid(logit(cfg.choice_rate) + cfg.choice_ses_slope * s.ses[todo])
        p = np.minimum(p * model.policy_product("choice_multiplier", todo), 1.0)
        choosers = entry & (u_choice < p)
        if choosers.any():
            ci = np.flatnonzero(choosers)
            teaches_j = sch.open & one_of(sch.level, (JUNIOR, NINE_YEAR))
            teaches_p = sch.open & one_of(sch.level, (PRIMARY, NINE_YEAR))
            # the best school depends on the home zone and the level only: one row of
            # utilities per (zone, level) pair among the choosers
            pairs, inv = np.unique(zone[ci].astype(np.int64) * 2 + junior[ci],
                                   return_inverse=True)
            # quality seen by families, a key school's reputation, distance; in blocks of
            # pairs (each pair's row on its own), so that no temporary is pairs × schools
            appeal = (model.school_quality + school_effects.choice_appeal(model))[None, :]
            best_pair = np.empty(len(pairs), dtype=np.intp)
            reachable = np.empty(len(pairs), dtype=bool)
            step = max(1, 2**20 // max(n_sch, 1))
            for a in range(0, len(pairs), step):
                block = pairs[a:a + step]
                d = model.zone_dist[block // 2]  # pairs × schools
                util = appeal - cfg.choice_distance_cost * d
                allowed = np.where((block % 2 == 1)[:, None], teaches_j[None, :],
                                   teaches_p[None, :])
                allowed &= d <= cfg.choice_max_km
                util = np.where(allowed, util, -np.inf)
                best_pair[a:a + step] = np.argmax(util, axis=1)
                reachable[a:a + step] = np.isfinite(
                    util[np.arange(len(block)), best_pair[a:a + step]])
            inv = inv.reshape(-1)
            best = best_pair[inv]
            ok = reachable[inv] & (best != catch[ci])
            ci, best = ci[ok], best[ok]
            # seats go to the richest applicants first
            order = np.lexsort((-s.ses[todo[ci]], best))
            ci, best = ci[order], best[order]
            rank = rank_within(best)
            won = rank < free[best]
            target[ci[won]] = best[won]
            free -= np.bincount(best[won], minlength=n_sch)
            model.flows["choosers"] = int(won.sum())
            chosen = np.zeros(len(todo), dtype=bool)
            chosen[ci[won]] = True
        else:
            chosen = np.zeros(len(todo), dtype=bool)
    else:
        chosen = np.zeros(len(todo), dtype=bool)

    # catchment placement with capacity
    rest = random_order[~chosen[random_order]]  # the others, in random order
    order, catch_sorted = stable_by_key(rest, catch, n_sch)
    rank = rank_within(catch_sorted)
    demand = np.bincount(catch_sorted, minlength=n_sch)
    if cfg.expand_capacity:
        _expand(model, demand, free)
    fits = rank < free[catch_sorted]
    free -= np.bincount(catch_sorted[fits], minlength=n_sch)
    overflow = order[~fits]
    model.flows["overflow"] = len(overflow)
    if len(overflow):
        _place_overflow(model, overflow, zone, junior, catch, free)
    target[~chosen] = catch[~chosen]
    s.school[todo] = target


def _place_overflow(model: CountyState, overflow: np.ndarray, zone: np.ndarray,
                    junior: np.ndarray, catch: np.ndarray, free: np.ndarray) -> None:
    """Send pupils who found no seat at their catchment school to the nearest schools
    teaching their grade that have free seats, zone by zone (a loop over zones, not
    pupils); with no free seat anywhere they stay at the catchment school (over capacity).
    ``catch`` and ``free`` are updated in place.

    Zone by zone in effect: a run of zones that each fit whole into their nearest school
    with seats (with the zones before them in the run) is placed in one go, which gives
    what the zones one after the other would; a zone that does not is placed alone."""
    sch = model.schools
    for is_junior in (False, True):
        idx = overflow[junior[overflow] == is_junior]
        if len(idx) == 0:
            continue
        levels = (JUNIOR, NINE_YEAR) if is_junior else (PRIMARY, NINE_YEAR)
        teaches = sch.open & one_of(sch.level, levels)
        idx = idx[np.argsort(zone[idx], kind="stable")]
        zones, starts, counts = np.unique(zone[idx], return_index=True, return_counts=True)
        has_seats = teaches & (free > 0)  # kept up to date as seats are taken
        k, n_z, width = 0, len(zones), 16
        while k < n_z and has_seats.any():
            window = counts[k:k + width]
            first = _whole_zones(model.zone_dist[zones[k:k + width]], window, has_seats, free)
            n_ok = len(first)
            if n_ok:
                pupils = idx[starts[k]:starts[k + n_ok - 1] + counts[k + n_ok - 1]]
                catch[pupils] = np.repeat(first, window[:n_ok])
                np.subtract.at(free, first, window[:n_ok])
                has_seats[first] = free[first] > 0
                k += n_ok
            if n_ok == len(window):
                width = min(2 * width, 256)
                continue
            width = max(width // 2, 4)
            if has_seats.any():  # the next zone does not fit whole: placed alone
                _place_zone(model, zones[k], idx[starts[k]:starts[k] + counts[k]],
                            int(counts[k]), catch, free, has_seats)
                k += 1


def _whole_zones(dist: np.ndarray, counts: np.ndarray, has_seats: np.ndarray,
                 free: np.ndarray) -> np.ndarray:
    """For zones with distances ``dist`` (zones × schools) and ``counts`` pupils, in order:
    the nearest school with seats (nearest: lowest index among equal distances, as a
    stable sort) of each zone of the leading run of zones that fit whole into it together
    with the zones before them in the run that go there (empty if the first does not).
    Taken one after the other, such zones find those schools still the nearest with seats
    (seats only run out elsewhere) and fill no other."""
    d = np.where(has_seats[None, :], dist, np.inf)
    first = np.argmin(d, axis=1)
    by = np.argsort(first, kind="stable")
    cs = np.cumsum(counts[by])
    school = first[by]
    new_school = np.ones(len(school), dtype=bool)
    np.not_equal(school[1:], school[:-1], out=new_school[1:])
    before = np.maximum.accumulate(np.where(new_school, cs - counts[by], 0))
    upto = np.empty_like(cs)
    upto[by] = cs - before  # pupils of the run's zones up to this one at its school
    ok = (upto <= free[first]) & np.isfinite(d[np.arange(len(first)), first])
    n_ok = len(ok) if ok.all() else int(np.argmin(ok))
    return first[:n_ok]


def _place_zone(model: CountyState, z: int, pupils: np.ndarray, count: int,
                catch: np.ndarray, free: np.ndarray, has_seats: np.ndarray) -> None:
    """Place the ``count`` overflow ``pupils`` of zone ``z``: the first fill the nearest
    school teaching their grade with seats (ties: lower index first), the next ones the
    next; ``catch``, ``free`` and ``has_seats`` are updated in place."""
    cand = np.flatnonzero(has_seats)
    seats = np.minimum(free[cand], count)
    near = _nearest_prefix(model.zone_dist[z, cand], seats, count)
    school_of_pupil = np.repeat(cand[near], seats[near])[:count]
    catch[pupils[:len(school_of_pupil)]] = school_of_pupil
    taken = seats[near]
    taken[-1] -= taken.sum() - len(school_of_pupil)  # the last school: what is left
    free[cand[near]] -= taken
    has_seats[cand[near]] = free[cand[near]] > 0


def _nearest_prefix(dist: np.ndarray, seats: np.ndarray, count: int) -> np.ndarray:
    """The first positions of ``np.argsort(dist, kind="stable")`` (nearest first, ties in
    position order) whose ``seats`` add up to ``count`` or more (all positions if they never
    do), sorting only the nearest few when they suffice: the ``k`` smallest distances
    (``np.argpartition``) in stable order give the same first positions as the whole sort
    when the last position needed is strictly nearer than the ``k``-th distance."""
    n = len(dist)
    k = 8
    while k < n:
        part = np.sort(np.argpartition(dist, k - 1)[:k])
        part = part[np.argsort(dist[part], kind="stable")]
        used = int(np.searchsorted(np.cumsum(seats[part]), count)) + 1
        if used < k and dist[part[used - 1]] < dist[part[-1]]:
            return part[:used]
        k *= 4
    order = np.argsort(dist, kind="stable")
    return order[:int(np.searchsorted(np.cumsum(seats[order]), count)) + 1]


def _expand(model: CountyState, demand: np.ndarray, free: np.ndarray) -> None:
    """Add seats where catchment demand exceeds free seats (up to the school-size limit)."""
    cfg = model.cfg.enrolment
    sch = model.schools
    short = np.maximum(demand - free, 0)
    limit = np.where(sch.level == NINE_YEAR, cfg.max_school_size_nine_year, cfg.max_school_size)
    add = np.minimum(short, np.maximum(limit - sch.capacity, 0))
    add[~sch.open] = 0
    if add.sum() == 0:
        return
    area_per_seat = np.where(sch.level == JUNIOR, 5.8, 4.5)
    sch.capacity[:] += add
    sch.building_area[:] += add * area_per_seat
    free += add
    model.flows["seats_added"] = int(add.sum())
    model.costs["capacity_expansion"] = model.costs.get("capacity_expansion", 0.0) + float(
        add.sum() * cfg.expansion_cost_per_seat)


def set_pupil_classes(model: CountyState, klass: np.ndarray) -> None:
    """Put pupils in classes ``klass`` (index within their school-grade, < the number of
    classes of that school-grade) and update the derived class tables."""
    s = model.students
    sg = s.school * MAX_GRADE_KEY + s.grade
    if (klass < 0).any() or (klass >= model.classes_per_key[sg]).any():
        raise ValueError("class index outside the classes of the pupil's school and grade")
    s.klass[:] = klass
    _set_class_tables(model, sg)


def _set_class_tables(model: CountyState, sg: np.ndarray,
                      sizes: np.ndarray | None = None) -> None:
    """``class_of_student`` and ``class_size`` from the pupils' classes (``sg``: their
    school-grade keys; ``sizes``: the classes' sizes when known, else counted)."""
    model.class_of_student = model.class_offset[sg] + model.students.klass
    model.class_of_student.flags.writeable = False  # replaced, never changed in place
    model.class_size = (np.bincount(model.class_of_student, minlength=model.n_classes)
                        if sizes is None else sizes)


def form_classes(model: CountyState, rng: np.random.Generator) -> None:
    """Split school-grades into classes and assign core teachers to classes."""
    s, t, sch = model.students, model.teachers, model.schools
    cfg = model.cfg.enrolment
    sg = s.school * MAX_GRADE_KEY + s.grade
    n_sg = np.bincount(sg, minlength=sch.n * MAX_GRADE_KEY)
    grade_of_key = np.tile(np.arange(MAX_GRADE_KEY), sch.n)
    max_size = np.where(grade_of_key >= 7, cfg.max_class_size_junior, cfg.max_class_size_primary)
    n_classes = -(-n_sg // max_size)  # ceil
    offset = np.concatenate(([0], np.cumsum(n_classes)[:-1]))
    # mixed-ability classes: pupils in random order dealt round-robin to the classes of
    # their school-grade, so no class exceeds the limit
    order = group_by_key(rng.permutation(s.n), sg, len(n_sg))
    # in that order the keys run through every school-grade, each repeated by its pupils;
    # rank within the school-grade: position minus the position of the key's first pupil
    # (32-bit integers: the same values, and numpy's 32-bit remainder is much faster)
    dt = np.int32 if s.n < 2**31 else np.int64
    rank = np.arange(s.n, dtype=dt) - np.repeat((np.cumsum(n_sg) - n_sg).astype(dt), n_sg)
    rank %= np.repeat(n_classes.astype(dt), n_sg)
    s.klass[order] = rank.astype(np.int16)
    model.class_offset = offset  # first class index of each school-grade key
    model.classes_per_key = n_classes  # classes of each school-grade key
    model.n_classes = int(n_classes.sum())
    # dealt round-robin, class k of a key with n pupils in c classes has n // c pupils, one
    # more for k < n % c (the count of its pupils, without counting them)
    per_class, extra = np.divmod(n_sg, np.maximum(n_classes, 1))
    k = np.arange(model.n_classes) - np.repeat(offset, n_classes)
    sizes = np.repeat(per_class, n_classes) + (k < np.repeat(extra, n_classes))
    _set_class_tables(model, sg, sizes)  # the classes are valid by construction
    model.note_grade_enrolment(n_sg.reshape(sch.n, MAX_GRADE_KEY))

    # classes per school-section: primary grades 1-6, junior 7-9 (contiguous in the key order)
    nc = n_classes.reshape(sch.n, MAX_GRADE_KEY)
    sec_classes = np.column_stack([nc[:, 1:7].sum(axis=1), nc[:, 7:10].sum(axis=1)])
    sec_start = np.column_stack([offset.reshape(sch.n, MAX_GRADE_KEY)[:, 1],
                                 offset.reshape(sch.n, MAX_GRADE_KEY)[:, 7]])
    model.section_classes = sec_classes

    model.fit_sections()
    core = t.subject == 0
    key = t.school.astype(np.int64) * 2 + t.section
    order, key_sorted = stable_by_key(rng.permutation(t.n), key, 2 * sch.n)
    is_core = core[order]
    order, key_sorted = order[is_core], key_sorted[is_core]
    rank = rank_within(key_sorted)
    sec_n = sec_classes.reshape(-1)[key_sorted]
    cls = np.full(t.n, -1, dtype=np.int64)
    has = sec_n > 0
    cls[order[has]] = sec_start.reshape(-1)[key_sorted[has]] + rank[has] % sec_n[has]
    t.class_key[:] = cls
