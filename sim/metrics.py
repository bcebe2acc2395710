"""Equity and inequality measures as pure functions on numpy arrays.

Every function takes plain arrays (values, optional weights / group labels) and returns
floats; none of them knows about the model. Formulas follow DOMAIN.md §3.2 and §6.
"""

from __future__ import annotations

import numpy as np

__all__ = ["difference_coefficient"]


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
    if np.any(w < 0):
        raise ValueError("weights (enrolments) must be >= 0")
    total = w.sum()
    if x.size == 0 or total <= 0:
        return float("nan")
    mean = float(np.dot(w, x) / total)
    if mean == 0:
        return float("nan")
    var = float(np.dot(w, (x - mean) ** 2) / total)
    return float(np.sqrt(var) / mean)
