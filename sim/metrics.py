"""Equity and inequality measures as pure functions on numpy arrays.

Every function takes plain arrays (values, optional weights / group labels) and returns
floats; none of them knows about the model. The official difference coefficient follows MOE 2017 / MOE 2012 (docs/sources.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _dot(a, b) -> float:
    """Sum of the elementwise product (faster than a threaded BLAS dot for these sizes)."""
    return float(np.sum(np.multiply(a, b)))


__all__ = [
    "TheilDecomposition",
    "between_share",
    "between_share_of_groups",
    "difference_coefficient",
    "difference_coefficients",
    "dissimilarity_index",
    "gini",
    "group_gap",
    "mcloone_index",
    "quantiles",
    "theil",
    "theil_decomposition",
    "weighted_median",
]


def difference_coefficient(values, weights) -> float:
    """The official difference coefficient (差异系数) of one indicator across schools.

    ``values`` are the schools' indicator values x_i, ``weights`` their enrolments P_i.
    With P = sum(P_i)::

        X  = sum(P_i x_i) / P                      (enrolment-weighted mean)
        S  = sqrt(sum((P_i / P) (x_i - X)^2))      (enrolment-weighted population SD)
        CV = S / X

    This is not the unweighted CV and not the sample SD; those give different verdicts
    near the threshold. Returns ``nan`` when there are no schools, total weight 0 or X = 0.
    """
    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    if x.shape != w.shape:
        raise ValueError(f"values and weights differ in shape: {x.shape} vs {w.shape}")
    return float(difference_coefficients(x.reshape(1, -1), w)[0])


def difference_coefficients(rows, weights) -> np.ndarray:
    """:func:`difference_coefficient` of each row of ``rows`` (indicators × schools) with the
    same ``weights`` (enrolments, one per school): an array of one CV per row. Each sum runs
    along a contiguous row, as numpy sums a 1-D array (pairwise), so one row gives exactly
    :func:`difference_coefficient`."""
    x = np.ascontiguousarray(rows, dtype=float)
    w = np.asarray(weights, dtype=float)
    if x.ndim != 2 or w.ndim != 1 or x.shape[1] != w.size:
        raise ValueError(f"rows must be (k, n) and weights (n,); got {x.shape}, {w.shape}")
    if np.any(w < 0):
        raise ValueError("weights (enrolments) must be >= 0")
    total = w.sum()
    if w.size == 0 or total <= 0:
        return np.full(x.shape[0], np.nan)
    mean = np.multiply(w, x).sum(axis=1) / total
    dev = x - mean[:, None]
    dev **= 2
    var = np.multiply(w, dev).sum(axis=1) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.sqrt(var) / mean
    cv[mean == 0] = np.nan
    return cv


# ---------------------------------------------------------------------------
# Shared validation helpers
# ---------------------------------------------------------------------------


def _values_1d(values, name: str = "values") -> np.ndarray:
    """``values`` as a finite 1-D float array (ValueError naming ``name`` otherwise)."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite (no nan/inf)")
    return x


def _weights_like(weights, x: np.ndarray, name: str = "weights") -> np.ndarray:
    """Weights matching ``x`` (equal weights when ``None``); finite and >= 0."""
    if weights is None:
        return np.ones_like(x)
    w = np.asarray(weights, dtype=float)
    if w.shape != x.shape:
        raise ValueError(f"{name} must have the shape of values: {w.shape} vs {x.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name} must be finite (no nan/inf)")
    if np.any(w < 0):
        raise ValueError(f"{name} must be >= 0")
    return w


def _small_labels(groups, x: np.ndarray) -> np.ndarray | None:
    """``groups`` as a flat array when its labels are small non-negative integers (e.g.
    school indices: ``np.bincount`` can count them without a sort), else None."""
    g = np.asarray(groups)
    if g.shape != x.shape:
        raise ValueError(f"groups must have the shape of values: {g.shape} vs {x.shape}")
    if g.dtype.kind in "iu" and g.size and 0 <= g.min() and g.max() < 4 * g.size + 1024:
        return g.reshape(-1)
    return None


def _groups_like(groups, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique labels of ``groups`` and each element's index into them."""
    g = np.asarray(groups)
    flat = _small_labels(g, x)
    if flat is not None:
        present = np.bincount(flat) > 0
        labels = np.flatnonzero(present).astype(g.dtype)
        index = np.cumsum(present) - 1
        return labels, index[flat]
    labels, inverse = np.unique(g, return_inverse=True)
    return labels, inverse.reshape(-1)


def _group_sums(groups, x: np.ndarray, w: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Total weight (count with ``w`` None) and weighted sum of ``x`` of each group that has
    elements, in label order. Small integer labels are counted as they are (no renumbering:
    the same sums, in the same order)."""
    g = _small_labels(groups, x)
    if g is None:
        g = _groups_like(groups, x)[1]
    cnt = np.bincount(g)
    present = cnt > 0
    g_w = cnt[present].astype(float) if w is None else np.bincount(g, weights=w)[present]
    g_wx = np.bincount(g, weights=x if w is None else w * x)[present]
    return g_w, g_wx


def _mask_like(mask, x: np.ndarray, name: str) -> np.ndarray:
    m = np.asarray(mask)
    if m.shape != x.shape:
        raise ValueError(f"{name} must have the shape of values: {m.shape} vs {x.shape}")
    if m.dtype != bool:
        raise ValueError(f"{name} must be a boolean mask, got dtype {m.dtype}")
    return m


def _label(v):
    """A numpy scalar label as the matching plain Python object (for dict keys)."""
    return v.item() if isinstance(v, np.generic) else v


def _sum_wxlnx(w: np.ndarray, x: np.ndarray, ref: np.ndarray | float) -> float:
    """sum_i w_i x_i ln(x_i / ref_i) over units with w_i x_i > 0 (limit 0 elsewhere).

    Callers guarantee ref_i > 0 wherever w_i x_i > 0 (ref is a mean that includes unit i).
    """
    wx = w * x
    pos = wx > 0
    ratio = np.divide(x, ref, out=np.ones_like(x), where=pos)
    return float(_dot(wx, np.log(ratio)))


# ---------------------------------------------------------------------------
# Inequality measures
# ---------------------------------------------------------------------------


def gini(values, weights=None) -> float:
    """Gini coefficient (population form) with optional frequency weights.

    Mean-absolute-difference definition (Gini 1912; e.g. Cowell, *Measuring
    Inequality*, 3rd ed., 2011, §2.2), with W = sum(w_i) and mu = sum(w_i x_i) / W::

        G = sum_i sum_j w_i w_j |x_i - x_j| / (2 W^2 mu)

    computed in O(n log n) from the values sorted ascending, with C_i the cumulative
    weight up to and including unit i::

        G = sum_i w_i x_i (2 C_i - w_i - W) / (W * sum_i w_i x_i)

    With unit weights this is 2 sum_i i x_(i) / (n sum x) - (n + 1) / n, the population
    Gini that PySAL's ``inequality.gini.Gini`` returns (no n/(n-1) small-sample
    correction; that correction would break the frequency-weight property). For integer
    weights the result equals the unweighted Gini of the data with each x_i repeated
    w_i times. Ties need no special care: tied pairs contribute |x_i - x_j| = 0.

    ``values`` must be >= 0. Returns ``nan`` when empty, total weight is 0 or all
    (weighted) values are 0.
    """
    x = _values_1d(values)
    w = _weights_like(weights, x)
    if np.any(x < 0):
        raise ValueError("values must be >= 0 for the Gini coefficient")
    if x.size == 0:
        return float("nan")
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    cum = np.cumsum(ws)
    total_w = cum[-1]
    wx = ws * xs
    total_wx = wx.sum()
    if total_w <= 0 or total_wx <= 0:
        return float("nan")
    return float(_dot(wx, 2.0 * cum - ws - total_w) / (total_w * total_wx))


def theil(values, weights=None) -> float:
    """Theil T index (Theil 1967; GE(1) in Cowell 2011) with optional frequency weights.

    With W = sum(w_i), mu = sum(w_i x_i) / W and Y = W mu::

        T = (1 / W) sum_i w_i (x_i / mu) ln(x_i / mu) = sum_i w_i x_i ln(x_i / mu) / Y

    ``values`` must be >= 0. A zero value contributes 0, by the limit x ln x -> 0 as
    x -> 0+ (PySAL instead adds a tiny constant to zeros, which differs only by
    ~1e-300). T lies in [0, ln n] for n equally weighted units (ln n when one unit holds
    everything). Returns ``nan`` when empty, total weight is 0 or mu = 0.
    """
    x = _values_1d(values)
    w = _weights_like(weights, x)
    if np.any(x < 0):
        raise ValueError("values must be >= 0 for the Theil index")
    total_w = w.sum()
    total_wx = _dot(w, x)
    if x.size == 0 or total_w <= 0 or total_wx <= 0:
        return float("nan")
    mu = total_wx / total_w
    return _sum_wxlnx(w, x, mu) / float(total_wx)


@dataclass(frozen=True)
class TheilDecomposition:
    """Theil T split into between- and within-group parts; ``total = between + within``.

    ``group_shares`` maps each group label (with positive total weight) to its share
    s_g of the total of the values ("income share").
    """

    total: float
    between: float
    within: float
    group_shares: dict


def theil_decomposition(values, groups, weights=None) -> TheilDecomposition:
    """Decompose the Theil T index by the groups ``groups`` (Shorrocks 1980; Cowell 2011).

    For group g with weight W_g, value total Y_g = sum_{i in g} w_i x_i, mean
    mu_g = Y_g / W_g and share s_g = Y_g / Y (Y the overall total, mu the overall mean)::

        between = sum_g s_g ln(mu_g / mu)
        within  = sum_g s_g T_g = sum_i w_i x_i ln(x_i / mu_g(i)) / Y
        total   = T = between + within

    Each part is computed directly, so ``total == between + within`` holds to float
    precision (an identity, not a definition). Zero values contribute 0 as in
    :func:`theil`; groups with all values 0 have s_g = 0 and contribute 0. Groups with
    zero total weight are left out of ``group_shares`` (they carry no population).
    Matches PySAL's ``inequality.theil.TheilD`` (``.T``, ``.bg``, ``.wg``) for unit
    weights. All three parts are ``nan`` (and ``group_shares`` empty) when the Theil
    index is undefined (empty, zero weight or zero mean).
    """
    x = _values_1d(values)
    w = _weights_like(weights, x)
    labels, inv = _groups_like(groups, x)
    if np.any(x < 0):
        raise ValueError("values must be >= 0 for the Theil index")
    total_w = w.sum()
    wx = w * x
    total_wx = wx.sum()
    if x.size == 0 or total_w <= 0 or total_wx <= 0:
        nan = float("nan")
        return TheilDecomposition(nan, nan, nan, {})
    mu = total_wx / total_w
    g_w = np.bincount(inv, weights=w, minlength=labels.size)
    g_wx = np.bincount(inv, weights=wx, minlength=labels.size)
    # a group mean is only needed where the group has positive total value
    g_mu = np.divide(g_wx, g_w, out=np.zeros_like(g_wx), where=g_wx > 0)
    shares = g_wx / total_wx
    total = _sum_wxlnx(w, x, mu) / total_wx
    within = _sum_wxlnx(w, x, g_mu[inv]) / total_wx
    between = _dot(shares, np.log(np.where(g_wx > 0, g_mu / mu, 1.0)))
    present = g_w > 0
    group_shares = {
        _label(lab): float(s) for lab, s in zip(labels[present], shares[present], strict=True)
    }
    return TheilDecomposition(float(total), float(between), float(within), group_shares)


def between_share(values, groups, weights=None) -> float:
    """Between-group share of the total variance (e.g. between-school share, as PISA reports).

    With W_g the group weights, m_g the weighted group means and mu the overall
    weighted mean (population variances, weights as frequencies)::

        V_total   = sum_i w_i (x_i - mu)^2 / W
        V_between = sum_g W_g (m_g - mu)^2 / W
        share     = V_between / V_total            (in [0, 1]; eta^2 of a one-way ANOVA)

    PISA (OECD, *PISA 2018 Results Vol. II*, Annex A) expresses between-school variation
    as this share of the total variance in student performance. Returns ``nan`` when
    the total variance is 0 (all positive-weight values equal) or the total weight is 0.
    """
    x = _values_1d(values)
    w = None if weights is None else _weights_like(weights, x)
    g_w, g_wx = _group_sums(groups, x, w)
    if w is None:
        # unit weights: the same sums without the weight arrays (1.0 * x == x exactly)
        if x.size == 0:
            return float("nan")
        total_w = np.float64(x.size)
        if x.max() == x.min():  # exact test: rounding in mu must not fake a variance
            return float("nan")
        mu = float(np.sum(x)) / total_w
        v_total = float(np.sum((x - mu) ** 2)) / total_w
    else:
        total_w = w.sum()
        if x.size == 0 or total_w <= 0:
            return float("nan")
        xw = x[w > 0]
        if xw.max() == xw.min():  # exact test: rounding in mu must not fake a variance
            return float("nan")
        mu = _dot(w, x) / total_w
        v_total = _dot(w, (x - mu) ** 2) / total_w
    return between_share_of_groups(g_w, g_wx, total_w, mu, v_total)


def between_share_of_groups(group_w, group_wx, total_w: float, mu: float,
                            v_total: float) -> float:
    """:func:`between_share` from the groups' weights W_g and weighted sums of x (e.g. per
    school, counted once for several measures), the total weight W, the overall weighted
    mean mu and the total variance V_total (> 0)."""
    g_w = np.asarray(group_w, dtype=float)
    g_wx = np.asarray(group_wx, dtype=float)
    g_mu = np.divide(g_wx, g_w, out=np.full_like(g_wx, mu), where=g_w > 0)
    v_between = _dot(g_w, (g_mu - mu) ** 2) / total_w
    return float(v_between / v_total)


def group_gap(values, mask_a, mask_b, sd=None, weights=None) -> float:
    """Gap between the weighted means of two groups, optionally in SD units.

    ::

        gap = mean_w(x | mask_a) - mean_w(x | mask_b)      [/ sd, if sd is given]

    with mean_w(x | m) = sum_{i in m} w_i x_i / sum_{i in m} w_i. Pass the baseline SD
    of the outcome as ``sd`` to get the gap in baseline-SD units (as researchers report equity gaps;
    SES-quartile and urban-rural gaps). ``mask_a`` and ``mask_b`` are boolean arrays
    shaped like ``values`` (they may overlap). Returns ``nan`` if either group is empty
    or has zero total weight; ``sd`` must be a positive finite number.
    """
    x = _values_1d(values)
    a = _mask_like(mask_a, x, "mask_a")
    b = _mask_like(mask_b, x, "mask_b")
    if sd is not None:
        sd = float(sd)
        if not np.isfinite(sd) or sd <= 0:
            raise ValueError(f"sd must be a positive finite number, got {sd}")
    if weights is None:
        # unit weights: the same sums without the weight arrays (1.0 * x == x exactly)
        wa, wb = np.float64(np.count_nonzero(a)), np.float64(np.count_nonzero(b))
        if wa <= 0 or wb <= 0:
            return float("nan")
        gap = float(np.sum(x[a])) / wa - float(np.sum(x[b])) / wb
    else:
        w = _weights_like(weights, x)
        wa, wb = w[a].sum(), w[b].sum()
        if wa <= 0 or wb <= 0:
            return float("nan")
        gap = _dot(w[a], x[a]) / wa - _dot(w[b], x[b]) / wb
    if sd is not None:
        gap = gap / sd
    return float(gap)


def dissimilarity_index(group_counts, total_counts) -> float:
    """Duncan & Duncan (1955) index of dissimilarity across units (e.g. schools).

    With a_i the members of the group in unit i, b_i = total_i - a_i the others,
    A = sum(a_i) and B = sum(b_i)::

        D = 0.5 * sum_i |a_i / A - b_i / B|

    D is the share of either group that would have to move to another unit for both to
    be spread alike; 0 = identical distributions, 1 = complete segregation. Counts may be
    non-integer (e.g. weighted). Requires 0 <= group_counts <= total_counts elementwise.
    Returns ``nan`` when either A or B is 0 (the index is undefined with one group).
    """
    a = _values_1d(group_counts, "group_counts")
    t = _values_1d(total_counts, "total_counts")
    if a.shape != t.shape:
        raise ValueError(f"group_counts and total_counts differ in shape: {a.shape} vs {t.shape}")
    if np.any(a < 0):
        raise ValueError("group_counts must be >= 0")
    if np.any(a > t):
        raise ValueError("group_counts must be <= total_counts")
    b = t - a
    big_a, big_b = a.sum(), b.sum()
    if big_a <= 0 or big_b <= 0:
        return float("nan")
    return float(0.5 * np.abs(a / big_a - b / big_b).sum())


def weighted_median(values, weights=None) -> float:
    """Lower weighted median: the smallest x_k with sum_{x_i <= x_k} w_i >= W / 2.

    With unit weights and even n this is the lower of the two middle values (no
    averaging), so the result is always one of the values, and the frequency-weight
    property holds exactly. Returns ``nan`` when empty or total weight is 0.
    """
    x = _values_1d(values)
    w = _weights_like(weights, x)
    if x.size == 0:
        return float("nan")
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    if cum[-1] <= 0:
        return float("nan")
    k = int(np.searchsorted(cum, 0.5 * cum[-1], side="left"))
    return float(x[order][min(k, x.size - 1)])


def mcloone_index(values, weights) -> float:
    """Pupil-weighted McLoone index (McLoone 1974; Odden & Picus, *School Finance*).

    With m the lower weighted median of :func:`weighted_median` (the smallest value at
    which the cumulative weight reaches half the total) and L = {i : x_i < m} the units
    strictly below it::

        McLoone = sum_{i in L} w_i x_i / (m * sum_{i in L} w_i)

    i.e. the actual (pupil-weighted) total of the units below the median over what it
    would be if they were all raised to the median. Units exactly at the median are
    excluded (standard definition: "below the median"); including them would only pull
    the index toward 1. The index is in [0, 1]; 1 = no unit below the median falls short.
    When no unit has positive weight strictly below the median (e.g. all values equal)
    there is no shortfall and the index is 1.0. ``values`` must be >= 0; ``weights``
    (enrolments) are required, ``None`` meaning equal weights. Returns ``nan`` when
    empty or total weight is 0.
    """
    x = _values_1d(values)
    w = _weights_like(weights, x)
    if np.any(x < 0):
        raise ValueError("values must be >= 0 for the McLoone index")
    m = weighted_median(x, w)
    if np.isnan(m):
        return m
    below = x < m
    w_below = w[below].sum()
    if w_below <= 0:
        return 1.0
    return float(_dot(w[below], x[below]) / (m * w_below))


def _lerp(a: float, b: float, t: float) -> float:
    """numpy's interpolation between neighbouring order statistics in ``np.quantile``
    (``numpy.lib._function_base_impl._lerp``: from the nearer end, for monotonicity), on
    Python floats (a ``np.quantile`` call of the two values cost 0.25 ms)."""
    if a == b:
        return a
    diff = b - a
    return b - diff * (1.0 - t) if t >= 0.5 else a + diff * t


def quantiles(values, qs, near=None, width: float = 0.025) -> np.ndarray:
    """``np.quantile(values, qs)`` (linear method), computed from a bracket when good
    guesses are known.

    ``near`` gives a guess of each quantile (e.g. last year's values). For each q only the
    values within ``width`` of its guess are sorted, after counting those below; the
    order statistics found are exactly those of the whole array, and the interpolation
    between them is numpy's own (:func:`_lerp`), so the result equals
    ``np.quantile(values, qs)``. A bracket that misses is widened (fourfold) a few times;
    otherwise, without guesses, or with NaN values the whole array goes to ``np.quantile``.
    """
    x = np.asarray(values, dtype=float)
    qs = np.atleast_1d(np.asarray(qs, dtype=float))
    n = x.size
    if near is None or n < 2 or x.ndim != 1:
        return np.quantile(x, qs)
    near = np.atleast_1d(np.asarray(near, dtype=float))
    if np.isnan(x).any():
        return np.quantile(x, qs)
    out = np.empty(qs.size)
    for j, (q, guess) in enumerate(zip(qs, near, strict=True)):
        vi = (n - 1) * q  # numpy's virtual index for the linear method
        k = int(np.floor(vi))
        k_next = min(k + 1, n - 1)
        gamma = vi - k
        d = float(width)
        for _ in range(4):
            lo, hi = guess - d, guess + d
            below = x < lo
            n_below = int(np.count_nonzero(below))
            within = x <= hi  # without NaN: below, inside or above the bracket
            within &= ~below
            inside = x[within]
            if n_below <= k and k_next < n_below + inside.size:
                inside.sort()
                out[j] = _lerp(float(inside[k - n_below]), float(inside[k_next - n_below]), gamma)
                break
            d *= 4.0
        else:
            return np.quantile(x, qs)
    return out
