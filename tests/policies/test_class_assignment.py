"""Class assignment within schools: contract, mechanism and direction."""

from __future__ import annotations

import numpy as np
import pytest

from sim import EducationModel
from sim.policies.class_assignment import between_class_share
from sim.processes.enrolment import MAX_GRADE_KEY
from sim.processes.learning import class_teacher_effect
from tests.policies.contract import PolicyContract


class TestClassAssignmentContract(PolicyContract):
    name = "class_assignment"


class TestClassAssignmentTrackingContract(PolicyContract):
    name = "class_assignment"
    params = {"mode": "tracking", "sections": "all", "tracking_intensity": 0.8,
              "class_peer_effect": 0.05}
    costs_money = False  # tracking costs the county nothing; parents' gifts are private


def _snapshot_after_enrolment(m: EducationModel) -> dict:
    """Wrap the policy's after_enrolment to record the state it leaves (before learning)."""
    pol = m.policy("class_assignment")
    snap: dict = {}
    original = pol.after_enrolment

    def wrapped(model: EducationModel) -> None:
        snap["before_klass"] = model.students.klass.copy()
        snap["before_sizes"] = model.class_size.copy()
        snap["before_class_key"] = model.teachers.class_key.copy()
        original(model)
        s = model.students
        snap.update(
            z=model.achievement_z(), ses=s.ses.copy(), grade=s.grade.copy(),
            sg=s.school.astype(np.int64) * MAX_GRADE_KEY + s.grade, klass=s.klass.copy(),
            cls=model.class_of_student.copy(), sizes=model.class_size.copy(),
            per_key=model.classes_per_key.copy(), T=class_teacher_effect(model),
            class_key=model.teachers.class_key.copy(), eff=model.teacher_effectiveness())

    pol.after_enrolment = wrapped
    return snap


def test_tracking_sorts_pupils_and_teachers_into_fast_classes():
    m = EducationModel(rng=1, policies={"class_assignment": {
        "mode": "tracking", "ses_pull": 0.0}})
    snap = _snapshot_after_enrolment(m)
    m.step()
    pol = m.policy("class_assignment")
    per_key, sg, klass = snap["per_key"], snap["sg"], snap["klass"]
    n_cls = per_key[sg]
    tracked = (n_cls >= 2) & (snap["grade"] >= 7)
    assert tracked.sum() > 1000
    fast = tracked & (klass < pol.n_fast(n_cls))
    other = tracked & ~fast
    # full tracking on achievement alone: within each school-grade every fast-class pupil
    # ranks above every other pupil
    z = snap["z"]
    for key in np.unique(sg[tracked])[:40]:
        here = sg == key
        assert z[here & fast].min() >= z[here & other].max()
    # class sizes unchanged (pupils only swap seats) and within the limits
    np.testing.assert_array_equal(snap["sizes"], snap["before_sizes"])
    assert snap["sizes"][snap["cls"][snap["grade"] >= 7]].max() <= 50
    # fast classes: higher prior achievement, higher SES, more effective teachers
    T = snap["T"][snap["cls"]]
    assert z[fast].mean() - z[other].mean() > 1.0
    assert snap["ses"][fast].mean() > snap["ses"][other].mean() + 0.2
    assert T[fast].mean() > T[other].mean() + 0.05
    rec = m.timeseries().iloc[-1]
    assert rec["class_assignment.fast_prior_gap"] == pytest.approx(z[fast].mean() - z[other].mean())
    assert rec["class_assignment.fast_teacher_gap"] > 0.05
    assert rec["class_assignment.pushed_in"] == 0  # no SES pull: nobody is pushed in
    assert rec["cost_policy_class_assignment"] == 0
    # primary grades untouched with sections="junior"
    prim = snap["grade"] <= 6
    np.testing.assert_array_equal(snap["klass"][prim], snap["before_klass"][prim])


def test_strongest_teachers_take_the_fast_classes():
    m = EducationModel(rng=2, policies={"class_assignment": {"mode": "tracking"}})
    snap = _snapshot_after_enrolment(m)
    m.step()
    pol = m.policy("class_assignment")
    ck, eff = snap["class_key"], snap["eff"]
    key, index, scope = pol._class_tables(m)
    fast_class = scope & (index < pol.n_fast(m.classes_per_key[key]))
    on = ck >= 0
    in_fast = np.zeros(len(ck), dtype=bool)
    in_fast[on] = fast_class[ck[on]]
    cls_school, cls_section = m.class_school_section()
    section_key = cls_school * 2 + cls_section
    # within every junior section with fast classes, fast-class teachers are the strongest
    checked = 0
    for sk in np.unique(section_key[fast_class]):
        here = on & np.isin(ck, np.flatnonzero(section_key == sk))
        if (here & ~in_fast).any():
            assert eff[here & in_fast].min() >= eff[here & ~in_fast].max()
            checked += 1
    assert checked >= 5
    # every class keeps the number of teachers the core gave it; teachers stay in their
    # section's classes
    before = snap["before_class_key"]
    np.testing.assert_array_equal(np.bincount(ck[on], minlength=m.n_classes),
                                  np.bincount(before[before >= 0], minlength=m.n_classes))
    assert ((ck >= 0) == (before >= 0)).all()
    np.testing.assert_array_equal(section_key[ck[on]], section_key[before[on]])
    assert (ck != before).any()


def test_partial_tracking_keeps_class_sizes_and_ses_pull_pushes_rich_pupils_in():
    m = EducationModel(region="tiny", rng=3, policies={"class_assignment": {
        "mode": "tracking", "tracking_intensity": 0.5, "sections": "all", "ses_pull": 1.0}})
    snap = _snapshot_after_enrolment(m)
    m.step()
    np.testing.assert_array_equal(snap["sizes"], snap["before_sizes"])
    limit = np.where(snap["grade"] >= 7, 50, 45)
    assert (snap["sizes"][snap["cls"]] <= limit).all()
    moved = snap["klass"] != snap["before_klass"]
    assert 0 < moved.mean() < 0.6
    rec = m.timeseries().iloc[-1]
    assert rec["class_assignment.pushed_in"] > 0
    assert rec["class_assignment.private_gifts_yuan"] == 1000 * rec["class_assignment.pushed_in"]
    assert rec["class_assignment.fast_ses_gap"] > 0
    assert rec["cost_policy_class_assignment"] == 0  # gifts are private, not booked


def test_balanced_mode_pulls_class_teacher_effects_to_the_section_mean():
    m = EducationModel(rng=4, policies={"class_assignment": {"sharing": 0.5}})
    pol = m.policy("class_assignment")
    captured: dict = {}
    original = pol.learning_effect

    def wrapped(model: EducationModel):
        out = original(model)
        captured.update(effect=out, T=class_teacher_effect(model),
                        cls=model.class_of_student.copy(), sizes=model.class_size.copy())
        return out

    pol.learning_effect = wrapped
    base_klass = EducationModel(rng=4).run(1).students.klass.copy()
    m.step()
    effect, T, cls = captured["effect"], captured["T"], captured["cls"]
    # mixed classes of the core are kept
    np.testing.assert_array_equal(m.students.klass, base_klass)
    key, scope = pol._section_scope(m)
    size = captured["sizes"].astype(float)
    mean = np.bincount(key, weights=size * T) / np.maximum(np.bincount(key, weights=size), 1e-12)
    expected = np.where(scope, 0.5 * (mean[key] - T), 0.0)
    np.testing.assert_allclose(effect, expected[cls])
    # a pure redistribution within each section, zero outside the junior sections
    per_section = np.bincount(key[cls], weights=effect)
    np.testing.assert_allclose(per_section, 0.0, atol=1e-8)
    assert (effect[m.students.grade <= 6] == 0).all()
    # the within-section variance of effective class teacher effects shrinks by (1 - s)^2
    rec = m.timeseries().iloc[-1]
    raw = rec["class_assignment.class_effect_var_within_raw"]
    eff = rec["class_assignment.class_effect_var_within"]
    assert raw > 0
    assert eff == pytest.approx(0.25 * raw)
    # preparation time is paid for every participating core teacher
    assert rec["cost_policy_class_assignment"] == pytest.approx(
        2000.0 * rec["class_assignment.participating_teachers"])
    assert rec["class_assignment.participating_teachers"] > 100


def test_between_class_share_is_high_under_tracking_and_low_in_mixed_classes():
    base = EducationModel(region="tiny", rng=6).run(2)
    tracked = EducationModel(region="tiny", rng=6, policies={"class_assignment": {
        "mode": "tracking", "sections": "all"}}).run(2)
    mixed = between_class_share(base, "all")
    assert 0 <= mixed < 0.1
    assert tracked.timeseries().iloc[-1]["class_assignment.between_class_share"] > 0.3


def test_between_class_share_is_the_within_school_grade_anova_share():
    """The share from per-class sums equals the sums of squares over pupils (pandas)."""
    import pandas as pd

    for policies in ({}, {"class_assignment": {"mode": "tracking", "sections": "all"}}):
        m = EducationModel(region="tiny", rng=4, policies=policies).run(2)
        s = m.students
        df = pd.DataFrame({"z": m.achievement_z(), "cls": m.class_of_student,
                           "sg": s.school * MAX_GRADE_KEY + s.grade, "grade": s.grade})
        df = df[m.classes_per_key[df["sg"]] >= 2]
        for sections, rows in (("all", df), ("junior", df[df["grade"] >= 7])):
            m_sg = rows.groupby("sg")["z"].transform("mean")
            m_c = rows.groupby("cls")["z"].transform("mean")
            expected = ((m_c - m_sg) ** 2).sum() / ((rows["z"] - m_sg) ** 2).sum()
            assert between_class_share(m, sections) == pytest.approx(expected, rel=1e-10)
    assert 0.0 < expected < 1.0


@pytest.mark.slow
def test_tracking_widens_and_balanced_teams_narrow_within_school_gaps():
    """Default county, 10 seeds, 8 years: full tracking of junior grades raises the SES
    achievement gap (top vs bottom SES quartile) against the same-seed baseline; balanced
    teams with shared preparation lower the within-school between-class share of
    achievement variance (their effect on the SES gap is near zero, since mixed classes
    do not sort teachers by pupils' SES)."""
    d_gap_tr, d_gap_bal, d_bcs_tr, d_bcs_bal = [], [], [], []
    for seed in range(10):
        base = EducationModel(rng=seed).run(8)
        tr = EducationModel(rng=seed, policies={"class_assignment": {"mode": "tracking"}}).run(8)
        bal = EducationModel(rng=seed, policies={"class_assignment": {}}).run(8)
        b = base.timeseries().iloc[-1]
        t, c = tr.timeseries().iloc[-1], bal.timeseries().iloc[-1]
        d_gap_tr.append(t["ses_gap"] - b["ses_gap"])
        d_gap_bal.append(c["ses_gap"] - b["ses_gap"])
        share = between_class_share(base)
        d_bcs_tr.append(t["class_assignment.between_class_share"] - share)
        d_bcs_bal.append(c["class_assignment.between_class_share"] - share)
    print(f"SES gap: tracking {np.mean(d_gap_tr):+.4f}, balanced {np.mean(d_gap_bal):+.4f}; "
          f"between-class share: tracking {np.mean(d_bcs_tr):+.4f}, "
          f"balanced {np.mean(d_bcs_bal):+.4f}")
    assert np.mean(d_gap_tr) > 0.02
    assert np.mean(d_bcs_tr) > 0.2
    assert np.mean(d_bcs_bal) < 0
    assert np.mean(d_gap_bal) < np.mean(d_gap_tr)
