"""Backbone (骨干) teacher designation: county selection with quotas per school section.

The 2017 standard counts county-level-or-above backbone teachers per 100 pupils in every
school (≥ 1.0, CV ≤ 0.50 primary / 0.45 junior; 教督〔2017〕6号). Counties grant the title in
selection rounds with places (名额) distributed to schools; this module does the same:

1. **quotas** — at each review the county's titles, ``round(backbone_target × teachers)``, are
   distributed over the open school sections with pupils (the rows of the official table);
   places belong to the section holding the post (编制), which nominates its own staff, so
   quotas, selection and refills count a teacher away on rotation at their post school. Each
   section with at least ``backbone_floor_min_staff`` teachers first gets
   ``backbone_school_floor`` titles, the rest in proportion to its teachers
   (:func:`allocate_quotas`). The county strategy ``backbone_equalise`` = e in [0, 1] blends
   this with a standard-first allocation (every section first gets the titles it needs for
   1 backbone teacher per 100 pupils, in proportion to its pupils when the county has too
   few, the rest in proportion to teachers): quota = (1 − e) · staff rule + e · standard
   rule, rounded by largest remainder to the county total.
2. **review** — every ``backbone_review_years`` years (year 0 is the first round) each
   section's quota is filled afresh from its teachers with at least
   ``backbone_min_experience`` years, ranked by the designation score
   ``e_i + 0.05·N(0,1) + backbone_incumbency_bonus·[holder]``;
   holders not re-selected lose the title (revocable titles);
3. **refill** — in the other years titles vacated by exits and transfers are refilled within
   the section's quota from its best non-holders; nobody loses a title between reviews (a
   section above its quota keeps its holders until the next review).

**Who counts where** (``backbone_counts_at``): ``"teaching"`` counts a rotated teacher at
the school where they teach (``school``) in the official indicator, ``"post"`` at the
school that holds their post (编制, ``post_school``); the places are the post school's either
way (a rotated teacher selected at the host would lose the host its title on returning
home). No policy document at hand says which; ``"teaching"`` is the default because it is
how the official table has always been computed in this model
(``sim.record.school_columns`` counts teachers where they teach).

**Year 0.** The synthetic county starts from the distribution it inherited: the county's
``round(backbone_target × teachers)`` titles distributed by the same rule with each school's
staff weighted by its tier's ``initial_backbone`` (relative weights: urban schools hold more),
floors included, filled by the best scores; ``backbone_equalise`` acts from the first
review. A loaded county table keeps its given counts as its year-0 quotas
(:func:`keep_given_counts`); its later quotas are synthesised by the rule.

Draws come from the ``"backbone"`` stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.arrays import group_by_key, rank_within
from sim.standards import QUALITY_STANDARDS
from sim.vocabulary import JUNIOR, PRIMARY

if TYPE_CHECKING:
    from sim.state import CountyState

__all__ = ["allocate_quotas", "backbone_by_unit", "counting_unit", "designate_backbone",
           "designate_initial", "keep_given_counts", "post_unit", "staff_by_unit"]

#: noise of the designation score (student SD per year): evaluators see effectiveness
#: imperfectly. Assumption (kept from the earlier county-wide ranking).
SCORE_NOISE = 0.05

#: backbone teachers per 100 pupils that the standard-first allocation aims at (2017
#: standard, the same for primary and junior)
STANDARD_PER_100 = QUALITY_STANDARDS["primary"]["backbone_teachers_per_100"]


# ---- who counts where -----------------------------------------------------------------------
def counting_unit(model: CountyState) -> np.ndarray:
    """Per teacher, the school section (``school * 2 + section``) where they count for the
    official indicator and for the quota (``teachers.backbone_counts_at``)."""
    t = model.teachers
    if model.cfg.teachers.backbone_counts_at == "teaching":
        return t.school.astype(np.int64) * 2 + t.section
    return post_unit(model)


def post_unit(model: CountyState) -> np.ndarray:
    """Per teacher, the section of the school holding their post (编制) that they count at
    when ``backbone_counts_at`` is ``"post"``."""
    t = model.teachers
    post = t.post_school.astype(np.int64)
    level = model.schools.level[post]
    section = np.where(level == PRIMARY, 0, np.where(level == JUNIOR, 1, t.section))
    n_sec = model.section_enrolment()
    # a nine-year post school without pupils in the teacher's section: its other section
    other = 1 - section
    flat = n_sec.ravel()  # n_sec[post, x] at flat positions post × 2 + x (a faster index)
    section = np.where((flat.take(post * 2 + section) == 0) & (flat.take(post * 2 + other) > 0),
                       other, section)
    return post * 2 + section


def _per_unit(model: CountyState, unit: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    keys = unit if mask is None else unit[mask]
    return np.bincount(keys, minlength=2 * model.schools.n).reshape(-1, 2)


def backbone_by_unit(model: CountyState) -> np.ndarray:
    """Backbone teachers per school and section (schools, 2), counted as the official
    indicator counts them (``backbone_counts_at``)."""
    return _per_unit(model, counting_unit(model), model.teachers.backbone)


def staff_by_unit(model: CountyState) -> np.ndarray:
    """Teachers per school and section (schools, 2), counted as :func:`backbone_by_unit`."""
    return _per_unit(model, counting_unit(model), None)


# ---- quotas --------------------------------------------------------------------------------
def _largest_remainder(raw: np.ndarray, total: int) -> np.ndarray:
    """Integers summing to ``total`` (raw sums to it), each floor(raw) or one more."""
    base = np.floor(raw + 1e-9).astype(np.int64)
    rest = int(total - base.sum())
    if rest > 0:
        order = np.argsort(-(raw - base), kind="stable")
        base[order[:rest]] += 1
    elif rest < 0:  # only from rounding noise
        order = np.argsort(raw - base, kind="stable")
        take = order[base[order] > 0][:-rest]
        base[take] -= 1
    return base


def allocate_quotas(staff: np.ndarray, pupils: np.ndarray, total: int, floor: int,
                    floor_min_staff: int, equalise: float,
                    weight: np.ndarray | None = None) -> np.ndarray:
    """Titles per unit (same shape as ``staff``), summing to ``total`` over units with pupils.

    Staff rule: each unit with at least ``floor_min_staff`` teachers first gets ``floor``
    titles (the largest units first when the county has too few), the rest in proportion to
    ``staff × weight``. Standard-first rule: each unit first gets what it needs for
    :data:`STANDARD_PER_100` per 100 pupils (at least its floor), all in proportion to pupils
    when the county has too few, the rest as the staff rule. The quota blends them,
    ``(1 − equalise) · staff rule + equalise · standard rule``, rounded by largest remainder.
    """
    shape = np.shape(staff)
    staff = np.asarray(staff, dtype=float).ravel()
    pupils = np.asarray(pupils, dtype=float).ravel()
    w = staff * (1.0 if weight is None else np.asarray(weight, dtype=float).ravel())
    active = pupils > 0
    w = np.where(active, w, 0.0)
    out = np.zeros(len(staff), dtype=np.int64)
    total = int(total)
    if total <= 0 or not active.any():
        return out.reshape(shape)
    fl = np.where(active & (staff >= floor_min_staff), float(floor), 0.0)
    if fl.sum() > total:  # too few titles for every floor: the largest units keep theirs
        order = np.argsort(-staff, kind="stable")
        keep = np.cumsum(fl[order]) <= total
        fl_kept = np.zeros_like(fl)
        fl_kept[order[keep]] = fl[order[keep]]
        fl = fl_kept

    def spread(amount: float) -> np.ndarray:
        if amount <= 0:
            return np.zeros(len(w))
        base = w if w.sum() > 0 else np.where(active, pupils, 0.0)
        return amount * base / base.sum()

    q0 = fl + spread(total - fl.sum())
    raw = q0
    if equalise > 0:
        need = np.where(active, np.maximum(fl, np.ceil(STANDARD_PER_100 * pupils / 100 - 1e-9)),
                        0.0)
        if need.sum() >= total:
            q1 = total * np.where(active, pupils, 0.0) / pupils[active].sum()
        else:
            q1 = need + spread(total - need.sum())
        raw = (1.0 - equalise) * q0 + equalise * q1
    out = _largest_remainder(raw, total)
    return out.reshape(shape)


def _rule_quotas(model: CountyState, staff: np.ndarray, total: int, equalise: float,
                 weight: np.ndarray | None = None) -> np.ndarray:
    tc = model.cfg.teachers
    pupils = model.section_enrolment() * model.schools.open[:, None]
    return allocate_quotas(staff, pupils, total, tc.backbone_school_floor,
                           tc.backbone_floor_min_staff, equalise, weight)


# ---- selection -----------------------------------------------------------------------------
def _score(model: CountyState, rng: np.random.Generator, rows: np.ndarray) -> np.ndarray:
    return (model.teacher_effectiveness()[rows]
            + SCORE_NOISE * rng.standard_normal(len(rows)))


def _select(unit: np.ndarray, score: np.ndarray, places: np.ndarray) -> np.ndarray:
    """Boolean: the best ``places[unit]`` candidates of each unit by score."""
    # by unit, then by score from the best, ties in candidate order (``np.lexsort((-score,
    # unit))``, as two stable sorts: the unit sort a radix sort of small keys)
    order = group_by_key(np.argsort(-score, kind="stable"), unit, len(places))
    rank = np.empty(len(unit), dtype=np.int64)
    rank[order] = rank_within(unit[order])
    return rank < places[unit]


def _fill(model: CountyState, rng: np.random.Generator, review: bool) -> tuple[int, int]:
    """Fill the quotas (a review: afresh, holders may lose the title; otherwise only the
    places left open). Returns (titles granted, titles revoked)."""
    t = model.teachers
    tc = model.cfg.teachers
    quota = model.backbone_quota.reshape(-1)
    # the places belong to the school holding the post: a teacher away on rotation is
    # selected (and holds a place) at their post school, not at the host they will leave
    unit = post_unit(model)
    eligible = t.experience >= tc.backbone_min_experience
    if review:
        cand = np.flatnonzero(eligible | t.backbone)
        places = quota
    else:
        # a refill replaces titles that left (exits, transfers)
        held = np.bincount(unit[t.backbone], minlength=len(quota))
        places = np.maximum(quota - held, 0)
        cand = np.flatnonzero(eligible & ~t.backbone)
    if len(cand) == 0:
        return 0, 0
    score = _score(model, rng, cand)
    was = t.backbone[cand]
    if review:
        score = score + tc.backbone_incumbency_bonus * was
    chosen = _select(unit[cand], score, places)
    granted = int((chosen & ~was).sum())
    revoked = int((~chosen & was).sum())
    t.backbone[cand] = chosen if review else (was | chosen)
    return granted, revoked


def designate_backbone(model: CountyState) -> None:
    """The yearly designation (step 6 of the careers): a review in years that are multiples
    of ``backbone_review_years`` (new quotas, re-selection, revocation), else refills."""
    tc = model.cfg.teachers
    rng = model.stream("backbone")
    review = model.year % tc.backbone_review_years == 0
    if review:
        total = int(round(tc.backbone_target * model.teachers.n))
        staff = _per_unit(model, post_unit(model), None)
        model.backbone_quota = _rule_quotas(model, staff, total, tc.backbone_equalise)
    granted, revoked = _fill(model, rng, review)
    model.flows["new_backbone"] = granted
    model.flows["backbone_revoked"] = revoked


def designate_initial(model: CountyState) -> None:
    """Year 0 of the synthetic county: the inherited distribution (the county's titles by
    the staff rule with the staff weighted by the tier's ``initial_backbone``), filled by the
    best scores."""
    tc = model.cfg.teachers
    t = model.teachers
    staff = staff_by_unit(model)
    share = np.array(tc.initial_backbone.as_tuple())[model.schools.tier]
    total = int(round(tc.backbone_target * model.teachers.n))
    t.backbone[:] = False
    model.backbone_quota = _rule_quotas(model, staff, total, 0.0,
                                        np.repeat(share[:, None], 2, axis=1))
    _fill(model, model.stream("backbone"), review=True)


def keep_given_counts(model: CountyState) -> None:
    """Year 0 of a loaded county: its table's backbone counts are its quotas until the
    first review."""
    model.backbone_quota = backbone_by_unit(model)
