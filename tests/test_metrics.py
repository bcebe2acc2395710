"""Tests for sim.metrics: hand-computed cases, PySAL cross-checks, frequency-weight
equivalence, invariances and input validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.metrics import (
    TheilDecomposition,
    between_share,
    difference_coefficient,
    dissimilarity_index,
    gini,
    group_gap,
    mcloone_index,
    theil,
    theil_decomposition,
    weighted_median,
)

inequality = pytest.importorskip("inequality")
from inequality.gini import Gini  # noqa: E402
from inequality.theil import Theil, TheilD  # noqa: E402

SEEDS = [0, 1, 2, 3, 4]


def approx12(x):
    return pytest.approx(x, rel=1e-12, abs=1e-12)


def random_case(seed, n=None):
    """Positive values, integer weights in 0..5 (some zero), group labels in 0..3."""
    rng = np.random.default_rng(seed)
    n = n or int(rng.integers(5, 60))
    x = rng.lognormal(mean=1.0, sigma=0.8, size=n)
    w = rng.integers(0, 6, size=n)
    w[0] = max(w[0], 1)  # at least one positive weight
    groups = rng.integers(0, 4, size=n)
    return x, w, groups


# ---------------------------------------------------------------------------
# difference_coefficient (MOE 2017 / MOE 2012)
# ---------------------------------------------------------------------------


def test_difference_coefficient_weighted_exceeds_threshold_unweighted_does_not():
    # x = [1, 2, 3], P = [4, 1, 1], P = 6
    # X = (4 + 2 + 3) / 6 = 1.5
    # S^2 = (4 * 0.25 + 1 * 0.25 + 1 * 2.25) / 6 = 3.5 / 6 = 0.58333...
    # CV = sqrt(7/12) / 1.5 = 0.50918 > 0.50 (fails the primary-school test)
    # unweighted: mean 2, population var 2/3, CV = sqrt(2/3) / 2 = 0.40825 < 0.50
    x = np.array([1.0, 2.0, 3.0])
    p = np.array([4.0, 1.0, 1.0])
    cv = difference_coefficient(x, p)
    assert cv == pytest.approx(math.sqrt(7 / 12) / 1.5, rel=1e-14)
    assert cv > 0.50
    unweighted = np.std(x) / np.mean(x)
    assert unweighted == pytest.approx(math.sqrt(2 / 3) / 2, rel=1e-14)
    assert unweighted < 0.50


def test_difference_coefficient_uses_population_not_sample_sd():
    # x = [1, 3], equal enrolments: X = 2, population S = 1, CV = 0.5 (passes <= 0.50);
    # sample SD = sqrt(2) would give CV = 0.7071 (fails).
    x = np.array([1.0, 3.0])
    cv = difference_coefficient(x, [100, 100])
    assert cv == pytest.approx(0.5, rel=1e-14)
    assert np.std(x, ddof=1) / np.mean(x) == pytest.approx(math.sqrt(2) / 2)
    assert cv != pytest.approx(np.std(x, ddof=1) / np.mean(x))


@pytest.mark.parametrize("seed", SEEDS)
def test_difference_coefficient_scale_invariance(seed):
    x, w, _ = random_case(seed)
    cv = difference_coefficient(x, w)
    assert difference_coefficient(7.3 * x, w) == approx12(cv)
    assert difference_coefficient(x, 11.0 * w) == approx12(cv)


# ---------------------------------------------------------------------------
# gini
# ---------------------------------------------------------------------------


def test_gini_hand_cases():
    # [1, 2, 3]: sum over ordered pairs |xi - xj| = 2 * (1 + 2 + 1) = 8, mean 2
    # G = 8 / (2 * 3^2 * 2) = 2/9
    assert gini([1, 2, 3]) == pytest.approx(2 / 9, rel=1e-14)
    # order does not matter
    assert gini([3, 1, 2]) == pytest.approx(2 / 9, rel=1e-14)
    # [0, 0, 0, 1]: ordered-pair sum 6, mean 1/4: G = 6 / (2 * 16 * 1/4) = 3/4 = (n-1)/n
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75, rel=1e-14)
    # weighted [1, 3] with weights [2, 1] == [1, 1, 3]: mean 5/3,
    # ordered-pair sum 2 * (2 + 2) = 8: G = 8 / (2 * 9 * 5/3) = 4/15
    assert gini([1, 3], [2, 1]) == pytest.approx(4 / 15, rel=1e-14)
    assert gini([1, 1, 3]) == pytest.approx(4 / 15, rel=1e-14)


def test_gini_equal_values_is_zero_and_degenerate_cases():
    assert gini([5.0, 5.0, 5.0, 5.0]) == pytest.approx(0.0, abs=1e-15)
    assert gini([2.0, 2.0], [3, 7]) == pytest.approx(0.0, abs=1e-15)
    assert math.isnan(gini([]))
    assert math.isnan(gini([0.0, 0.0]))
    assert math.isnan(gini([1.0, 2.0], [0, 0]))


@pytest.mark.parametrize("seed", SEEDS)
def test_gini_matches_pysal(seed):
    rng = np.random.default_rng(seed)
    for x in (
        rng.lognormal(0.0, 1.0, size=50),
        rng.uniform(0.0, 10.0, size=7),
        rng.integers(0, 5, size=30).astype(float),  # ties and zeros
    ):
        assert gini(x) == pytest.approx(float(Gini(x).g), abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_gini_weighted_equals_expanded(seed):
    x, w, _ = random_case(seed)
    assert gini(x, w) == approx12(gini(np.repeat(x, w)))


@pytest.mark.parametrize("seed", SEEDS)
def test_gini_scale_invariance(seed):
    x, w, _ = random_case(seed)
    assert gini(3.7 * x, w) == approx12(gini(x, w))
    assert gini(x, 5 * w) == approx12(gini(x, w))


# ---------------------------------------------------------------------------
# theil
# ---------------------------------------------------------------------------


def test_theil_hand_cases():
    # [1, 3]: mu = 2, T = 1/2 * (0.5 ln 0.5 + 1.5 ln 1.5)
    assert theil([1, 3]) == pytest.approx(0.25 * math.log(0.5) + 0.75 * math.log(1.5))
    # [0, 0, 0, 4]: mu = 1, T = 1/4 * (4 ln 4) = ln 4 = ln n (maximum); zeros add 0
    assert theil([0, 0, 0, 4]) == pytest.approx(math.log(4), rel=1e-14)
    # weighted [1, 2] with weights [2, 1] == [1, 1, 2]: mu = 4/3,
    # T = 1/3 * (2 * 0.75 ln 0.75 + 1.5 ln 1.5)
    expected = (2 * 0.75 * math.log(0.75) + 1.5 * math.log(1.5)) / 3
    assert theil([1, 2], [2, 1]) == pytest.approx(expected, rel=1e-14)
    assert theil([4.0, 4.0, 4.0]) == pytest.approx(0.0, abs=1e-15)
    assert math.isnan(theil([0.0, 0.0]))


@pytest.mark.parametrize("seed", SEEDS)
def test_theil_matches_pysal(seed):
    rng = np.random.default_rng(seed)
    for x in (rng.lognormal(0.0, 1.0, size=50), rng.uniform(0.5, 10.0, size=7)):
        assert theil(x) == pytest.approx(float(np.squeeze(Theil(x).T)), abs=1e-9)


def test_theil_zero_values_match_pysal():
    x = np.array([0.0, 1.0, 2.0, 0.0, 5.0])
    assert theil(x) == pytest.approx(float(np.squeeze(Theil(x).T)), abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_theil_weighted_equals_expanded_and_scale_invariant(seed):
    x, w, _ = random_case(seed)
    t = theil(x, w)
    assert t == approx12(theil(np.repeat(x, w)))
    assert theil(0.01 * x, w) == approx12(t)


# ---------------------------------------------------------------------------
# theil_decomposition
# ---------------------------------------------------------------------------


def test_theil_decomposition_hand_cases():
    t13 = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)  # Theil of [1, 3]
    # groups equal inside: everything is between-group; shares a: 2/8, b: 6/8
    d = theil_decomposition([1, 1, 3, 3], ["a", "a", "b", "b"])
    assert isinstance(d, TheilDecomposition)
    assert d.total == pytest.approx(t13)
    assert d.between == pytest.approx(t13)
    assert d.within == pytest.approx(0.0, abs=1e-15)
    assert d.group_shares == {"a": pytest.approx(0.25), "b": pytest.approx(0.75)}
    assert all(type(k) is str for k in d.group_shares)
    # same group means: everything is within-group
    d = theil_decomposition([1, 3, 1, 3], [0, 0, 1, 1])
    assert d.between == pytest.approx(0.0, abs=1e-15)
    assert d.within == pytest.approx(t13)
    assert d.group_shares == {0: pytest.approx(0.5), 1: pytest.approx(0.5)}
    with pytest.raises(AttributeError):
        d.total = 0.0  # frozen


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PySAL sets ndarray.shape
@pytest.mark.parametrize("seed", SEEDS)
def test_theil_decomposition_matches_pysal_and_adds_up(seed):
    rng = np.random.default_rng(seed)
    x = rng.lognormal(0.0, 1.0, size=80)
    part = rng.integers(0, 3, size=80)  # urban / town / rural
    d = theil_decomposition(x, part)
    ref = TheilD(x, part)
    assert d.total == pytest.approx(float(np.squeeze(ref.T)), abs=1e-9)
    assert d.between == pytest.approx(float(np.squeeze(ref.bg)), abs=1e-9)
    assert d.within == pytest.approx(float(np.squeeze(ref.wg)), abs=1e-9)
    assert d.total == pytest.approx(d.between + d.within, rel=1e-13, abs=1e-15)
    assert d.total == approx12(theil(x))
    assert sum(d.group_shares.values()) == pytest.approx(1.0, rel=1e-13)


@pytest.mark.parametrize("seed", SEEDS)
def test_theil_decomposition_weighted_equals_expanded(seed):
    x, w, g = random_case(seed)
    d = theil_decomposition(x, g, w)
    e = theil_decomposition(np.repeat(x, w), np.repeat(g, w))
    assert d.total == approx12(e.total)
    assert d.between == approx12(e.between)
    assert d.within == approx12(e.within)
    assert d.group_shares.keys() == e.group_shares.keys()
    for k, s in e.group_shares.items():
        assert d.group_shares[k] == approx12(s)
    assert d.total == pytest.approx(d.between + d.within, rel=1e-13, abs=1e-15)


def test_theil_decomposition_zero_weight_group_left_out():
    d = theil_decomposition([1.0, 2.0, 9.0], ["u", "u", "r"], [1, 1, 0])
    assert set(d.group_shares) == {"u"}
    assert d.between == pytest.approx(0.0, abs=1e-15)


# ---------------------------------------------------------------------------
# between_share
# ---------------------------------------------------------------------------


def test_between_share_hand_case():
    # [1, 3 | 5, 7]: mu = 4, total var = (9 + 1 + 1 + 9) / 4 = 5,
    # group means 2 and 6, between var = (2 * 4 + 2 * 4) / 4 = 4 -> share 0.8
    assert between_share([1, 3, 5, 7], [0, 0, 1, 1]) == pytest.approx(0.8, rel=1e-14)
    # weighted [1, 3 | 5] w = [1, 1, 2] == [1, 3, 5, 5]: mu = 3.5,
    # total var = (6.25 + 0.25 + 2 * 2.25) / 4 = 2.75, means 2 and 5,
    # between var = (2 * 2.25 + 2 * 2.25) / 4 = 2.25 -> share 9/11
    assert between_share([1, 3, 5], [0, 0, 1], [1, 1, 2]) == pytest.approx(9 / 11)
    # no between-group difference / no within-group difference
    assert between_share([1, 3, 1, 3], [0, 0, 1, 1]) == pytest.approx(0.0, abs=1e-15)
    assert between_share([2, 2, 8, 8], [0, 0, 1, 1]) == pytest.approx(1.0, rel=1e-14)


def test_between_share_nan_when_no_variance():
    assert math.isnan(between_share([0.1, 0.1, 0.1], [0, 1, 1], [3, 7, 11]))
    assert math.isnan(between_share([1.0, 2.0], [0, 1], [0, 0]))
    # a zero-weight outlier does not create variance
    assert math.isnan(between_share([1.0, 1.0, 50.0], [0, 1, 1], [1, 1, 0]))


@pytest.mark.parametrize("seed", SEEDS)
def test_between_share_weighted_equals_expanded(seed):
    x, w, g = random_case(seed)
    assert between_share(x, g, w) == approx12(between_share(np.repeat(x, w), np.repeat(g, w)))


# ---------------------------------------------------------------------------
# group_gap
# ---------------------------------------------------------------------------


def test_group_gap_hand_cases():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    a = np.array([False, False, False, True, True])  # mean 4.5
    b = np.array([True, True, False, False, False])  # mean 1.5
    assert group_gap(x, a, b) == pytest.approx(3.0)
    assert group_gap(x, a, b, sd=2.0) == pytest.approx(1.5)
    assert group_gap(x, b, a) == pytest.approx(-3.0)
    # weighted: a -> (4 + 15) / 4 = 4.75, b -> (1 + 6) / 4 = 1.75
    assert group_gap(x, a, b, weights=[1, 3, 1, 1, 3]) == pytest.approx(3.0)
    # weights change the answer when they are not symmetric: a -> (4+5*3)/4 = 4.75,
    # b -> (1*3 + 2)/4 = 1.25
    assert group_gap(x, a, b, weights=[3, 1, 1, 1, 3]) == pytest.approx(3.5)


def test_group_gap_empty_group_is_nan():
    x = np.array([1.0, 2.0, 3.0])
    a = np.array([True, False, False])
    empty = np.zeros(3, dtype=bool)
    assert math.isnan(group_gap(x, a, empty))
    assert math.isnan(group_gap(x, empty, a, sd=1.0))
    # a group whose members all have zero weight counts as empty
    assert math.isnan(group_gap(x, a, ~a, weights=[0, 1, 1]))


@pytest.mark.parametrize("seed", SEEDS)
def test_group_gap_weighted_equals_expanded(seed):
    x, w, g = random_case(seed)
    a, b = g == 0, g >= 2
    if not (np.any(a & (w > 0)) and np.any(b & (w > 0))):
        pytest.skip("random draw left a group empty")
    expanded = group_gap(np.repeat(x, w), np.repeat(a, w), np.repeat(b, w), sd=1.3)
    assert group_gap(x, a, b, sd=1.3, weights=w) == approx12(expanded)


# ---------------------------------------------------------------------------
# dissimilarity_index
# ---------------------------------------------------------------------------


def test_dissimilarity_hand_case():
    # a = [10, 0] (A = 10), b = [20 - 10, 20 - 0] = [10, 20] (B = 30)
    # D = 0.5 * (|1 - 1/3| + |0 - 2/3|) = 2/3
    assert dissimilarity_index([10, 0], [20, 20]) == pytest.approx(2 / 3, rel=1e-14)


def test_dissimilarity_extremes():
    # identical distributions: a = [5, 10, 15], b = [5, 10, 15]
    assert dissimilarity_index([5, 10, 15], [10, 20, 30]) == pytest.approx(0.0, abs=1e-15)
    # complete segregation: the group fills units 0 and 1, the others unit 2
    assert dissimilarity_index([5, 3, 0], [5, 3, 7]) == pytest.approx(1.0, rel=1e-14)
    # undefined with only one group present
    assert math.isnan(dissimilarity_index([0, 0], [3, 4]))
    assert math.isnan(dissimilarity_index([3, 4], [3, 4]))


# ---------------------------------------------------------------------------
# mcloone_index
# ---------------------------------------------------------------------------


def test_weighted_median_rule():
    # lower median for even n; weighted cumulative rule
    assert weighted_median([4, 1, 3, 2]) == 2.0
    assert weighted_median([1, 2, 3, 4, 5]) == 3.0
    # weights [1, 1, 2]: cumulative 1, 2, 4, half = 2 reached at value 2
    assert weighted_median([1, 2, 3], [1, 1, 2]) == 2.0
    # weights [1, 1, 3]: cumulative 1, 2, 5, half = 2.5 reached at value 3
    assert weighted_median([1, 2, 3], [1, 1, 3]) == 3.0


def test_mcloone_hand_cases():
    # [1..5], equal weights: median 3, below {1, 2}: (1 + 2) / (3 * 2) = 0.5
    assert mcloone_index([1, 2, 3, 4, 5], None) == pytest.approx(0.5, rel=1e-14)
    # [2, 4, 6, 8]: lower median 4, below {2}: 2 / 4 = 0.5
    assert mcloone_index([2, 4, 6, 8], [1, 1, 1, 1]) == pytest.approx(0.5, rel=1e-14)
    # pupil-weighted: values [1, 2, 3, 4], pupils [1, 3, 2, 2]: cumulative 1, 4, 6, 8,
    # half = 4 -> median 2; below {1 (1 pupil)}: 1 / (2 * 1) = 0.5
    assert mcloone_index([1, 2, 3, 4], [1, 3, 2, 2]) == pytest.approx(0.5, rel=1e-14)
    # values [1, 2, 3, 4] with pupils [2, 1, 3, 2]: cumulative 2, 3, 6 -> median 3;
    # below {1 (2 pupils), 2 (1 pupil)}: (2 + 2) / (3 * 3) = 4/9
    assert mcloone_index([1, 2, 3, 4], [2, 1, 3, 2]) == pytest.approx(4 / 9, rel=1e-14)
    # units at the median are excluded: [1, 3, 3, 3, 9] -> median 3, below {1}: 1/3
    assert mcloone_index([1, 3, 3, 3, 9], None) == pytest.approx(1 / 3, rel=1e-14)


def test_mcloone_equal_and_below():
    assert mcloone_index([7.0, 7.0, 7.0], [10, 20, 30]) == 1.0
    # above-median spread does not matter; below-median shortfall does
    assert mcloone_index([5, 5, 5, 9, 100], None) == 1.0
    assert mcloone_index([4, 5, 5, 9, 100], None) < 1.0
    assert mcloone_index([4, 5, 5, 9, 100], None) == pytest.approx(0.8)
    assert math.isnan(mcloone_index([1.0, 2.0], [0, 0]))


@pytest.mark.parametrize("seed", SEEDS)
def test_mcloone_weighted_equals_expanded(seed):
    x, w, _ = random_case(seed)
    assert mcloone_index(x, w) == approx12(mcloone_index(np.repeat(x, w), None))
    assert weighted_median(x, w) == weighted_median(np.repeat(x, w))


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: gini([1, 2, 3], [1, 2]),
        lambda: theil([1, 2, 3], [1, 2]),
        lambda: theil_decomposition([1, 2, 3], [0, 1]),
        lambda: between_share([1, 2, 3], [0, 1, 1], [1, 1]),
        lambda: group_gap([1, 2, 3], [True, False], [False, True, True]),
        lambda: dissimilarity_index([1, 2], [3, 4, 5]),
        lambda: mcloone_index([1, 2, 3], [1, 2]),
        lambda: difference_coefficient([1, 2, 3], [1, 2]),
        lambda: gini([[1, 2], [3, 4]]),
    ],
)
def test_shape_mismatch_raises(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: gini([1, 2, 3], [1, -1, 1]),
        lambda: theil([1, 2, 3], [1, -1, 1]),
        lambda: theil_decomposition([1, 2, 3], [0, 0, 1], [1, -1, 1]),
        lambda: between_share([1, 2, 3], [0, 0, 1], [1, -1, 1]),
        lambda: group_gap([1, 2, 3], [True, False, False], [False, True, True], None, [1, -1, 1]),
        lambda: mcloone_index([1, 2, 3], [1, -1, 1]),
        lambda: difference_coefficient([1, 2, 3], [1, -1, 1]),
    ],
)
def test_negative_weights_raise(call):
    with pytest.raises(ValueError, match="weights"):
        call()


def test_other_invalid_inputs_raise():
    with pytest.raises(ValueError, match="values"):
        gini([1.0, -0.5, 2.0])
    with pytest.raises(ValueError, match="values"):
        theil([1.0, -0.5, 2.0])
    with pytest.raises(ValueError, match="values"):
        mcloone_index([1.0, -0.5, 2.0], None)
    with pytest.raises(ValueError, match="values"):
        gini([1.0, np.nan])
    with pytest.raises(ValueError, match="group_counts"):
        dissimilarity_index([1, 5], [3, 4])  # 5 > 4
    with pytest.raises(ValueError, match="group_counts"):
        dissimilarity_index([-1, 2], [3, 4])
    with pytest.raises(ValueError, match="mask_a"):
        group_gap([1, 2, 3], [0, 1, 2], [True, False, False])  # index list, not a mask
    with pytest.raises(ValueError, match="sd"):
        group_gap([1, 2, 3], [True, False, False], [False, True, True], sd=0.0)
