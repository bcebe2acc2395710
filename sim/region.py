"""The built-in synthetic county: geography, schools and catchment zones.

Layout (all distances in km from the county centre):

* the **urban district** (城区): catchment zones within ``0.07 × extent`` of the centre;
* ``n_towns`` **township centres** (镇区) on a ring at 35–75 % of the extent;
* **villages** (乡村) scattered 3–9 km around their township centre.

Every school that teaches primary grades (primary and nine-year schools) has its own
catchment zone centred on it; the zone's share of the county's children follows a
log-normal size draw within its tier, so that village schools range from teaching points
(< 50 pupils) to full-size central schools. Junior grades go to the nearest school that
teaches them (a village's children go to the township junior school, as in most counties).

:func:`build_county` returns a :class:`County` (arrays only); the model synthesises the
individuals from it (:func:`sim.construction.build`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import SimConfig
from sim.vocabulary import JUNIOR, NINE_YEAR, PRIMARY, RURAL, TIER_NAMES, TOWN, URBAN, one_of

__all__ = ["County", "build_county", "catchments"]

@dataclass
class County:
    """Geography and schools of a county (no individuals)."""

    school_name: list[str]
    school_level: np.ndarray  # int8: 0 primary, 1 junior, 2 nine-year
    school_tier: np.ndarray  # int8: 0 urban, 1 town, 2 rural
    school_x: np.ndarray
    school_y: np.ndarray
    zone_x: np.ndarray
    zone_y: np.ndarray
    zone_tier: np.ndarray
    zone_weight: np.ndarray  # share of the county's children living in the zone (sums to 1)
    zone_school: np.ndarray  # the school the zone was drawn around

    @property
    def n_schools(self) -> int:
        return len(self.school_name)

    @property
    def n_zones(self) -> int:
        return len(self.zone_x)


def _split(total: int, shares: np.ndarray) -> np.ndarray:
    """Integer split of ``total`` by ``shares`` (largest remainder)."""
    shares = np.asarray(shares, dtype=float)
    shares = shares / shares.sum()
    raw = shares * total
    out = np.floor(raw).astype(int)
    rest = total - out.sum()
    if rest > 0:
        out[np.argsort(-(raw - out))[:rest]] += 1
    return out


def build_county(cfg: SimConfig, rng: np.random.Generator) -> County:
    """Draw the synthetic county described by ``cfg.region``."""
    reg = cfg.region
    size = reg.resolved()
    n_schools, n_towns, extent = int(size["n_schools"]), int(size["n_towns"]), float(size["extent_km"])

    per_tier = _split(n_schools, np.array(reg.school_share.as_tuple()) + 1e-12)
    names: list[str] = []
    level, tier, xs, ys = [], [], [], []
    town_angle = np.linspace(0, 2 * np.pi, n_towns, endpoint=False) + rng.uniform(0, 2 * np.pi)
    town_r = extent * rng.uniform(0.35, 0.75, n_towns)
    town_xy = np.column_stack([town_r * np.cos(town_angle), town_r * np.sin(town_angle)])
    tier_label = {URBAN: "Urban", TOWN: "Town", RURAL: "Village"}
    level_label = {PRIMARY: "Primary", JUNIOR: "Junior", NINE_YEAR: "Nine-year"}

    for t in (URBAN, TOWN, RURAL):
        n = int(per_tier[t])
        if n == 0:
            continue
        n_nine = int(round(n * getattr(reg.nine_year_share, TIER_NAMES[t])))
        n_junior = int(round(n * getattr(reg.junior_share, TIER_NAMES[t])))
        n_junior = min(n_junior, n - n_nine - 1) if n - n_nine > 1 else 0
        n_primary = n - n_nine - n_junior
        lv = np.array([PRIMARY] * n_primary + [JUNIOR] * n_junior + [NINE_YEAR] * n_nine)
        for i, lvl in enumerate(lv):
            if t == URBAN:
                r = extent * 0.07 * np.sqrt(rng.uniform())
                a = rng.uniform(0, 2 * np.pi)
                x, y = r * np.cos(a), r * np.sin(a)
            elif t == TOWN:
                cx, cy = town_xy[i % n_towns]
                x, y = cx + rng.normal(0, 0.8), cy + rng.normal(0, 0.8)
            else:
                cx, cy = town_xy[i % n_towns]
                r, a = rng.uniform(3.0, 9.0), rng.uniform(0, 2 * np.pi)
                x, y = cx + r * np.cos(a), cy + r * np.sin(a)
            level.append(int(lvl))
            tier.append(t)
            xs.append(float(x))
            ys.append(float(y))
            names.append(f"{tier_label[t]} {level_label[int(lvl)]} {i + 1}")

    level_arr = np.array(level, dtype=np.int8)
    tier_arr = np.array(tier, dtype=np.int8)
    # the county needs a school teaching each level: if one is missing, the last school
    # becomes a nine-year school
    for ok_levels in ((PRIMARY, NINE_YEAR), (JUNIOR, NINE_YEAR)):
        if not one_of(level_arr, ok_levels).any():
            level_arr[-1] = NINE_YEAR
            names[-1] = f"{tier_label[int(tier_arr[-1])]} Nine-year {len(names)}"
    x_arr, y_arr = np.array(xs), np.array(ys)

    # catchment zones: one per school that teaches primary grades
    zone_school = np.flatnonzero(one_of(level_arr, (PRIMARY, NINE_YEAR)))
    zone_tier = tier_arr[zone_school].astype(np.int8)
    weight = np.zeros(len(zone_school))
    shares = np.array(reg.student_share.as_tuple())
    for t in (URBAN, TOWN, RURAL):
        idx = np.flatnonzero(zone_tier == t)
        if len(idx) == 0:
            continue
        sd = getattr(reg.size_dispersion, TIER_NAMES[t])
        w = rng.lognormal(0.0, sd, len(idx)) if sd > 0 else np.ones(len(idx))
        weight[idx] = shares[t] * w / w.sum()
    weight = weight / weight.sum()
    return County(
        school_name=names, school_level=level_arr, school_tier=tier_arr, school_x=x_arr,
        school_y=y_arr, zone_x=x_arr[zone_school].copy(), zone_y=y_arr[zone_school].copy(),
        zone_tier=zone_tier, zone_weight=weight, zone_school=zone_school,
    )


def _nearest(dist: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Column of the smallest distance in each row of ``dist`` among the ``allowed`` columns
    (ties: the first), in blocks of rows (no temporary as large as ``dist``)."""
    step = max(1, 2**20 // max(dist.shape[1], 1))
    return np.concatenate([np.argmin(np.where(allowed[None, :], dist[a:a + step], np.inf), axis=1)
                           for a in range(0, dist.shape[0], step)] or [np.zeros(0, np.intp)])


def catchments(dist: np.ndarray, level: np.ndarray, is_open: np.ndarray,
               zone_school: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Catchment school of each zone for primary and junior grades (就近入学).

    A zone's primary school is the one it was drawn around while that school is open;
    otherwise, and for junior grades, the nearest open school teaching those grades. Catchments
    are drawn so that every open school has one: an open junior-teaching school that is the
    nearest to no zone takes the zone nearest to it among those whose junior school serves
    two or more zones (without this rule a junior school placed between others would start
    with no pupils; assumption: counties draw catchments so that each school serves an area).
    """
    teaches_primary = is_open & one_of(level, (PRIMARY, NINE_YEAR))
    teaches_junior = is_open & one_of(level, (JUNIOR, NINE_YEAR))
    if not teaches_primary.any() or not teaches_junior.any():
        raise ValueError("the county needs at least one open school for each of primary and "
                         "junior grades")
    primary = _nearest(dist, teaches_primary)
    own_open = teaches_primary[zone_school]
    primary = np.where(own_open, zone_school, primary)
    junior = _nearest(dist, teaches_junior).astype(np.intp)
    served = np.bincount(junior, minlength=len(level))
    for j in np.flatnonzero(teaches_junior & (served == 0)):
        movable = served[junior] >= 2
        if not movable.any():
            break
        zone = int(np.flatnonzero(movable)[np.argmin(dist[movable, j])])
        served[junior[zone]] -= 1
        junior[zone] = j
        served[j] += 1
    return primary.astype(np.intp), junior
