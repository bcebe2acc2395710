"""Memoised derived quantities, lazily built tables and the exact fast helpers equal what
they replace (recomputation from the columns, the eager DataFrames, numpy's functions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim.policies
from sim import EducationModel, metrics
from sim.population import Memo
from sim.processes import learning

ALL_POLICIES = {name: {} for name in sim.policies.POLICIES}


# ---------------------------------------------------------------------------------------
# Memo
# ---------------------------------------------------------------------------------------


def test_memo_reuses_only_for_equal_inputs():
    memo, calls = Memo(), []
    col = np.arange(10)

    def compute():
        calls.append(1)
        return col * 2

    a = memo.get("x", (col, 1.5), compute)
    b = memo.get("x", (col, 1.5), compute)
    assert a is b and len(calls) == 1
    col[3] = 99  # an in-place write, as processes do through column views
    c = memo.get("x", (col, 1.5), compute)
    assert len(calls) == 2 and c[3] == 198
    memo.get("x", (col, 2.5), compute)  # a changed scalar input
    assert len(calls) == 3
    memo.get("x", (col.astype(float), 2.5), compute)  # same values, other dtype
    assert len(calls) == 4


def test_memo_results_are_read_only():
    memo = Memo()
    out = memo.get("x", (np.ones(3),), lambda: np.zeros(3))
    with pytest.raises(ValueError):
        out[0] = 1.0


def _fresh(model: EducationModel) -> dict[str, np.ndarray]:
    """The memoised quantities recomputed from the columns, bypassing the memo."""
    s, t, tc = model.students, model.teachers, model.cfg.teachers
    z = (s.achievement - model.grade_mean0[s.grade]) / model.grade_sd0[s.grade]
    cnt = np.bincount(s.school, minlength=model.schools.n)
    tot = np.bincount(s.school, weights=z, minlength=model.schools.n)
    key = s.school.astype(np.int64) * 2 + (s.grade >= 7)
    return {
        "achievement_z": z,
        "school_mean_z": np.divide(tot, cnt, out=np.zeros(len(cnt)), where=cnt > 0),
        "section_enrolment": np.bincount(key, minlength=2 * model.schools.n).reshape(-1, 2),
        "teacher_effectiveness": t.skill - tc.novice_penalty * np.exp(
            -t.experience / tc.experience_tau),
        "class_teacher_effect": learning._class_teacher_effect(model),
        "ses_quartiles": np.quantile(s.ses, [0.25, 0.75]),
    }


def _memoised(model: EducationModel) -> dict[str, np.ndarray]:
    return {
        "achievement_z": model.achievement_z(),
        "school_mean_z": model.school_mean_z(),
        "section_enrolment": model.section_enrolment(),
        "teacher_effectiveness": model.teacher_effectiveness(),
        "class_teacher_effect": learning.class_teacher_effect(model),
        "ses_quartiles": np.array(model.ses_quartiles()),
    }


def test_memoised_quantities_follow_in_place_writes():
    m = EducationModel(region="tiny", rng=5, policies=ALL_POLICIES).run(3)
    _memoised(m)  # fill the memo
    s, t = m.students, m.teachers
    # write columns in place, as processes and policies do
    s.achievement[::7] += 0.5
    s.school[:5] = s.school[-5:]
    s.grade[1::11] = np.minimum(s.grade[1::11] + 1, 9)
    s.ses[::3] -= 0.25
    t.skill[::5] += 0.1
    t.experience[::4] += 2
    t.class_key[:3] = -1
    got, want = _memoised(m), _fresh(m)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)


def test_memoised_quantities_equal_recomputation_through_a_run():
    m = EducationModel(region="tiny", rng=6, policies=ALL_POLICIES)
    for _ in range(4):
        m.step()
        got, want = _memoised(m), _fresh(m)
        for name in want:
            np.testing.assert_array_equal(got[name], want[name], err_msg=name)


# ---------------------------------------------------------------------------------------
# school tables built on demand
# ---------------------------------------------------------------------------------------


def test_school_history_equals_the_stacked_yearly_tables():
    m = EducationModel(region="tiny", rng=7, policies=ALL_POLICIES)
    frames = [m.school_table()]
    for _ in range(3):
        m.step()
        frames.append(m.school_table())
    pd.testing.assert_frame_equal(m.school_history(), pd.concat(frames, ignore_index=True))
    cols = m.school_columns()
    pd.testing.assert_frame_equal(m.school_table(), pd.DataFrame(cols))
    assert list(m.school_table().columns) == list(cols)


# ---------------------------------------------------------------------------------------
# exact fast helpers
# ---------------------------------------------------------------------------------------


def test_quantiles_equal_numpy_quantile():
    rng = np.random.default_rng(1)
    for trial in range(300):
        n = int(rng.integers(2, 2000))
        x = rng.standard_normal(n)
        if trial % 3 == 0:
            x = np.round(x, 1)  # ties
        qs = [0.25, 0.75] if trial % 2 else [0.1, 1 / 3, 0.5, 0.9]  # many interpolation weights
        ref = np.quantile(x, qs)
        for near in (None, ref, ref + rng.normal(0, 0.01, len(qs)),
                     ref + rng.normal(0, 0.3, len(qs)), ref + 5.0):
            np.testing.assert_array_equal(metrics.quantiles(x, qs, near=near), ref)
    x = rng.standard_normal(100)
    x[3] = np.nan
    np.testing.assert_array_equal(metrics.quantiles(x, [0.25], near=[0.0]),
                                  np.quantile(x, [0.25]))


def test_read_only_block_rejects_writes_and_reuses_checked_values():
    m = EducationModel(region="tiny", rng=8, policies=ALL_POLICIES).run(2)
    with m.read_only():
        z = m.achievement_z()
        assert m.achievement_z() is z
        with pytest.raises(ValueError):
            m.students.achievement[0] = 1.0
        with pytest.raises(ValueError):
            m.students.remove(np.zeros(m.students.n, dtype=bool))
        with pytest.raises(ValueError):
            m.teachers.add(1)
    m.students.achievement[0] += 1.0  # writeable again after the block
    np.testing.assert_array_equal(m.achievement_z(), _fresh(m)["achievement_z"])


def test_stable_by_key_groups_elements_and_keeps_their_order():
    from sim.arrays import stable_by_key

    rng = np.random.default_rng(3)
    for n, n_keys in ((0, 5), (1, 5), (50, 3), (20000, 2000), (3000, 70000)):
        key = rng.integers(0, n_keys, n)
        elements = rng.permutation(n)[: n // 2 + 1] if n else np.zeros(0, dtype=np.intp)
        order, sorted_key = stable_by_key(elements, key, n_keys)
        expected = [e for k in range(n_keys) if (key[elements] == k).any()
                    for e in elements if key[e] == k] if n < 5000 else sorted(
            elements, key=lambda e: key[e])  # sorted() is stable
        np.testing.assert_array_equal(order, np.asarray(expected, dtype=np.intp))
        np.testing.assert_array_equal(sorted_key, key[order])


def test_stable_by_key_of_a_random_permutation_is_a_uniform_order_within_keys():
    """Pupils of one school-grade come out in every order equally often (the classes are
    dealt round-robin from this order)."""
    from itertools import permutations

    from sim.arrays import stable_by_key

    rng = np.random.default_rng(11)
    key = np.array([1, 0, 1, 2, 1, 0])  # key 1: elements 0, 2, 4
    seen = {p: 0 for p in permutations((0, 2, 4))}
    draws = 6000
    for _ in range(draws):
        order, sorted_key = stable_by_key(rng.permutation(len(key)), key, 3)
        np.testing.assert_array_equal(sorted_key, [0, 0, 1, 1, 1, 2])
        seen[tuple(order[2:5])] += 1
    chi2 = sum((c - draws / 6) ** 2 / (draws / 6) for c in seen.values())
    assert chi2 < 20.5  # chi-square, 5 degrees of freedom: P(> 20.5) = 0.001


def test_memo_skips_only_columns_frozen_since_the_check():
    from sim.population import Table

    table = Table("x", {"a": np.float64}, capacity=8)
    table.add(5, a=1.0)
    memo, calls = Memo(), []

    def compute():
        calls.append(1)
        return table.a * 2

    table.set_writeable(False)
    memo.get("m", (table.a,), compute)
    assert memo.get("m", (table.a,), compute)[0] == 2.0 and len(calls) == 1
    table.set_writeable(True)
    table.a[0] = 5.0  # changed between two freezes
    table.set_writeable(False)
    assert memo.get("m", (table.a,), compute)[0] == 10.0 and len(calls) == 2
    table.set_writeable(True)
    assert memo.get("m", (table.a,), compute)[0] == 10.0 and len(calls) == 2  # compared
    table.a[1] = 7.0
    assert memo.get("m", (table.a,), compute)[1] == 14.0 and len(calls) == 3


def test_memo_compares_read_only_views_of_writeable_memory():
    base = np.arange(6.0)
    view = np.broadcast_to(base, (2, 6))  # read-only, but its memory can still change
    memo, calls = Memo(), []

    def compute():
        calls.append(1)
        return view.sum(axis=0)

    memo.get("m", (view,), compute)
    base[0] = 10.0
    assert memo.get("m", (view,), compute)[0] == 20.0 and len(calls) == 2


def test_opening_one_column_keeps_the_others_in_their_freeze():
    from sim.population import Table

    table = Table("x", {"a": np.float64, "b": np.float64}, capacity=8)
    table.add(4, a=1.0, b=2.0)
    memo, calls = Memo(), {"a": 0, "b": 0}

    def make(col):
        def compute():
            calls[col] += 1
            return table.column(col) * 2
        return compute

    table.set_writeable(False)
    for col in ("a", "b"):
        memo.get(col, (table.column(col),), make(col))
    table.set_writeable(True, columns=("a",))
    table.a[0] = 5.0
    with pytest.raises(ValueError):
        table.b[0] = 5.0  # still read-only
    with pytest.raises(ValueError):
        table.add(1)  # rows cannot be added while the table is read-only
    table.set_writeable(False, columns=("a",))
    for _ in range(2):
        assert memo.get("a", (table.a,), make("a"))[0] == 10.0
        assert memo.get("b", (table.b,), make("b"))[0] == 4.0
    assert calls == {"a": 2, "b": 1}


def _policy_writing_pupils(name, position, writes):
    from sim.policies.base import Policy, register

    @register(name, position)
    class Writer(Policy):
        writes_pupils = writes

        def after_enrolment(self, model):
            model.students.achievement[::3] += 0.5  # e.g. a summer programme

    return Writer


def test_an_enrolment_hook_writes_pupils_only_if_its_policy_says_so():
    from sim.policies.base import POLICIES

    try:
        _policy_writing_pupils("test_writes_pupils", 1001, True)
        _policy_writing_pupils("test_says_it_does_not", 1002, False)
        m = EducationModel(region="tiny", rng=9, policies={**ALL_POLICIES,
                                                            "test_writes_pupils": {}})
        for _ in range(3):  # its writes are seen by everything derived from the pupils
            m.step()
            got, want = _memoised(m), _fresh(m)
            for name in want:
                np.testing.assert_array_equal(got[name], want[name], err_msg=name)
        quiet = EducationModel(region="tiny", rng=9, policies={"test_says_it_does_not": {}})
        with pytest.raises(ValueError, match="read-only"):
            quiet.step()
    finally:
        POLICIES.pop("test_writes_pupils", None)
        POLICIES.pop("test_says_it_does_not", None)


def test_pupils_are_writeable_between_steps_and_read_only_in_them():
    m = EducationModel(region="tiny", rng=10, policies=ALL_POLICIES).run(1)
    assert m.students.achievement.flags.writeable  # user code between steps may write
    seen = []
    quiet = next(p for p in m.policies if not p.writes_pupils)
    quiet.after_enrolment = lambda model: seen.append(model.students.school.flags.writeable)
    m.step()
    assert seen == [False] and m.students.school.flags.writeable


@pytest.mark.parametrize("policies", [{}, {"teacher_rotation": {}}])
def test_class_formation_counts_equal_counting_the_pupils(policies):
    """Class formation gives the classes' sizes and the section enrolment from its counts per
    school and grade, without counting the pupils again: the same integers."""
    from sim.processes import enrolment

    m = EducationModel(region="default", rng=11, policies=policies)
    for _ in range(3):
        m.step()
        m.memo.clear()
        enrolment.form_classes(m, np.random.default_rng(m.year))
        noted = m.section_enrolment()  # as form_classes left it in the memo
        np.testing.assert_array_equal(
            m.class_size, np.bincount(m.class_of_student, minlength=m.n_classes))
        assert m.class_size.dtype == np.bincount([0]).dtype
        np.testing.assert_array_equal(noted, _fresh(m)["section_enrolment"])
        assert noted.dtype == _fresh(m)["section_enrolment"].dtype
