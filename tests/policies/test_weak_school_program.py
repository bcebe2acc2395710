"""Weak-school programme: contract, mechanism and direction."""

from __future__ import annotations

import numpy as np
import pytest

from sim import EducationModel
from sim.policies.weak_school_program import (
    bottom_share,
    designation_now,
    eligible_schools,
    evaluation_record,
)
from tests.policies.contract import PolicyContract


class TestWeakSchoolProgramContract(PolicyContract):
    name = "weak_school_program"


class TestWeakSchoolProgramIndicatorsContract(PolicyContract):
    name = "weak_school_program"
    params = {"measure": "indicators", "level": "primary", "cycle_years": 2,
              "window_years": 1, "share": 0.5, "practice_gain": 0.0}


class TestWeakSchoolProgramAchievementContract(PolicyContract):
    name = "weak_school_program"
    params = {"measure": "achievement", "level": "junior", "yuan_per_pupil": 0.0,
              "practice_gain": 0.02}


def test_designation_in_the_start_year_and_every_cycle():
    m = EducationModel(region="tiny", rng=3, policies={"weak_school_program": {
        "start_year": 2, "cycle_years": 3}})
    flags = []
    for _ in range(8):
        m.step()
        flags.append(m.schools.designated_weak.copy())
    ts = m.timeseries()
    assert not flags[0].any()  # year 1: not yet
    assert flags[1].any()      # year 2: the start year
    red = ts["weak_school_program.redesignated"]
    assert list(np.flatnonzero(red.fillna(0).to_numpy() == 1)) == [2, 5, 8]
    # between designations the list does not change
    assert (flags[2] == flags[1]).all() and (flags[3] == flags[1]).all()
    assert (flags[6] == flags[4]).all()


def test_exactly_the_bottom_share_by_the_rolling_evaluation():
    m = EducationModel(rng=2, policies={"weak_school_program": {"cycle_years": 3,
                                                                "window_years": 3}})
    p = m.policy("weak_school_program")
    m.run(4)  # designation in year 4 uses the records of years 1-3
    assert [y for y, _, _ in p.history][-4:] == [1, 2, 3, 4]
    manual = np.mean([s for y, s, _ in p.history if y in (1, 2, 3)], axis=0)
    elig = eligible_schools(m)
    np.testing.assert_allclose(p.last_scores[elig], manual[elig])
    weak = m.schools.designated_weak
    assert weak.sum() == round(elig.sum() / 3)
    assert p.last_scores[weak].max() < p.last_scores[elig & ~weak].min()


def test_bottom_share_breaks_ties_by_achievement():
    score = np.array([0.5, 0.5, 0.5, 1.0, np.nan])
    tie = np.array([0.3, -0.2, 0.1, -5.0, -9.0])
    eligible = np.array([True, True, True, True, True])
    out = bottom_share(score, tie, eligible, 0.5)  # 4 finite schools → 2
    assert list(np.flatnonzero(out)) == [1, 2]
    assert not bottom_share(score, tie, eligible, 0.0).any()
    assert bottom_share(score, tie, eligible, 0.01).sum() == 1


def test_flag_is_cleared_when_a_school_leaves_the_list():
    m = EducationModel(rng=1, policies={"weak_school_program": {"cycle_years": 3}})
    m.run(1)
    first = m.schools.designated_weak.copy()
    m.run(3)
    now = m.schools.designated_weak
    rec = m.timeseries().iloc[-1]
    left = first & ~now
    assert rec["weak_school_program.exited"] == left.sum() > 0
    assert rec["weak_school_program.entered"] == (now & ~first).sum()
    assert now.sum() == first.sum()


def test_plan_funds_and_practice_gain_reach_designated_schools_only():
    params = {"yuan_per_pupil": 300.0, "equipment_share": 0.5, "practice_gain": 0.01,
              "practice_cost_yuan": 1000.0}
    base = EducationModel(region="tiny", rng=6).run(1)
    m = EducationModel(region="tiny", rng=6, policies={"weak_school_program": params}).run(1)
    weak = m.schools.designated_weak
    assert weak.any()
    pupils = m.section_enrolment().sum(axis=1)
    d_eq = m.schools.equipment_value - base.schools.equipment_value
    d_mm = m.schools.multimedia_rooms - base.schools.multimedia_rooms
    np.testing.assert_allclose(d_eq, np.where(weak, 150.0 * pupils, 0.0))
    np.testing.assert_allclose(d_mm, np.where(weak, 150.0 * pupils / 40_000.0, 0.0))
    t, tb = m.teachers, base.teachers
    np.testing.assert_array_equal(t.id, tb.id)
    at_weak = weak[t.school]
    np.testing.assert_allclose((t.skill - tb.skill)[at_weak], 0.01)
    np.testing.assert_array_equal(t.skill[~at_weak], tb.skill[~at_weak])
    rec = m.timeseries().iloc[-1]
    cost = 300.0 * pupils[weak].sum() + 1000.0 * at_weak.sum()
    assert rec["cost_policy_weak_school_program"] == pytest.approx(cost)


def test_designation_now_matches_the_start_year_designation():
    for seed in (0, 4):
        base = EducationModel(rng=seed)
        expected = designation_now(base)
        m = EducationModel(rng=seed, policies={"weak_school_program": {}}).run(1)
        np.testing.assert_array_equal(m.schools.designated_weak, expected)
        # and designation_now applied nothing
        assert not base.schools.designated_weak.any()


def test_indicator_measure_is_the_share_of_standards_met():
    m = EducationModel(region="tiny", rng=2)
    score, tie = evaluation_record(m, "indicators")
    ok = np.isfinite(score)
    assert ok.any()
    assert ((score[ok] >= 0) & (score[ok] <= 1)).all()
    # multiples of 1/7 for single-level schools
    single = ok & (m.schools.level != 2)
    np.testing.assert_allclose(score[single] * 7, np.round(score[single] * 7), atol=1e-9)
    np.testing.assert_allclose(tie[ok], m.school_mean_z()[ok])
    # evaluating does not leave a stale cached table behind
    m.schools.equipment_value[:] *= 2
    assert m.school_table()["equipment_value_yuan"].sum() == pytest.approx(
        m.schools.equipment_value[m.schools.open].sum())


def test_rotation_sends_teachers_to_designated_schools():
    """With both policies on, teacher_rotation (strong_to_weak) counts the programme's
    designated schools as receivers: its teachers reach far more schools than its own
    bottom share, among them every designated school."""
    rot = {"direction": "strong_to_weak", "weak_share": 0.1, "rate": 0.6,
           "refusal_base": 0.0}
    both = EducationModel(rng=7, policies={"teacher_rotation": rot,
                                           "weak_school_program": {}}).run(1)
    alone = EducationModel(rng=7, policies={"teacher_rotation": rot}).run(1)

    def destinations(m):
        t = m.teachers
        return set(np.unique(t.school[(t.rotation_end > 0) & (t.rotation_kind == 1)]))

    weak = set(np.flatnonzero(both.schools.designated_weak))
    k_rot = round(0.1 * both.schools.open.sum())
    assert len(weak) > 2 * k_rot
    assert weak <= destinations(both)
    assert len(destinations(alone)) <= k_rot
    assert not alone.schools.designated_weak.any()


def _gaps(m: EducationModel, weak: np.ndarray) -> tuple[float, float]:
    """Others minus ``weak`` schools: pupil-weighted mean achievement z and equipment value
    per pupil."""
    z = m.school_mean_z()
    pupils = m.section_enrolment().sum(axis=1)
    ok = m.schools.open & (pupils > 0)
    w, o = ok & weak, ok & ~weak
    ach = np.average(z[o], weights=pupils[o]) - np.average(z[w], weights=pupils[w])
    eq = m.schools.equipment_value / np.maximum(pupils, 1)
    return ach, np.average(eq[o], weights=pupils[o]) - np.average(eq[w], weights=pupils[w])


@pytest.mark.slow
def test_programme_narrows_the_gap_of_the_designated_schools():
    """Default county, 10 seeds, 8 years: the schools designated in year 1 (computed without
    applying it, the same schools in the baseline) end closer to the others in mean
    achievement and in equipment per pupil than in the same-seed baseline."""
    d_gap, d_eq = [], []
    for seed in range(10):
        base = EducationModel(rng=seed)
        weak = designation_now(base)
        pol = EducationModel(rng=seed, policies={"weak_school_program": {}})
        (ab, eb), (ap, ep) = _gaps(base.run(8), weak), _gaps(pol.run(8), weak)
        d_gap.append(ap - ab)
        d_eq.append(ep - eb)
    assert np.mean(d_gap) < -0.02
    assert np.mean(d_eq) < -100.0
