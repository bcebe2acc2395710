"""Means across seeds with their 95% t-intervals: mean ± t(0.975, n−1)·sd/√n, missing (NaN)
for a single seed. Every interval of ``edusim-aggregate`` (:mod:`experiments.aggregate`) and of
the studies that report a mean over seeds comes from here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["add_ci", "mean_ci", "mean_halfwidth", "t_quantile_975"]

# two-sided 95% t quantiles t(0.975, df) for df = 1..30 (scipy.stats.t.ppf, 6 decimals)
_T975 = (12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
         2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
         2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
         2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272)
_Z975 = 1.959963984540054


def t_quantile_975(df: float) -> float:
    """t(0.975, df): the table above for df ≤ 30, the Cornish–Fisher expansion beyond
    (error < 1e-7); NaN for df < 1."""
    if not df >= 1 or not math.isfinite(df):
        return math.nan
    d = int(df)
    if d <= 30:
        return _T975[d - 1]
    z = _Z975
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / d + g2 / d**2 + g3 / d**3 + g4 / d**4


def mean_ci(values: Any) -> dict[str, float]:
    """n, mean, sd (ddof=1) and the 95% t-interval of the mean of ``values`` (NaNs dropped).
    For n = 1 the sd and interval are NaN; for n = 0 everything but n is NaN."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    sd = float(x.std(ddof=1)) if n > 1 else math.nan
    half = t_quantile_975(n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def mean_halfwidth(values: Any) -> dict[str, float]:
    """``{"mean", "ci95"}``: the mean of ``values`` (None and NaN dropped) and the half-width
    of its 95% t-interval (:func:`mean_ci`); NaN where undefined."""
    x = [math.nan if v is None else v for v in np.ravel(np.asarray(values, dtype=object))]
    ci = mean_ci(np.asarray(x, dtype=float))
    return {"mean": ci["mean"], "ci95": ci["ci_high"] - ci["mean"]}


def add_ci(stats: pd.DataFrame) -> pd.DataFrame:
    """Given columns n, mean, sd: add ci_low / ci_high (NaN where n < 2)."""
    t = stats["n"].map(lambda n: t_quantile_975(n - 1)).astype(float)
    half = t * stats["sd"] / np.sqrt(stats["n"].where(stats["n"] > 0))
    half = half.where(stats["n"] > 1)
    stats["sd"] = stats["sd"].where(stats["n"] > 1)
    stats["ci_low"] = stats["mean"] - half
    stats["ci_high"] = stats["mean"] + half
    return stats
