"""Numpy core of the official county balance tests (:mod:`sim.evaluation`).

Indicator values per school, the difference coefficients (CVs), the per-school test of the 2017
standards and the county verdict, all on plain arrays: no pandas and no validation, cheap
enough to call every simulated year. The standards themselves are in :mod:`sim.standards`; the
edge conventions (tolerance, ``nan`` CVs, teaching points) are those of :mod:`sim.evaluation`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.metrics import difference_coefficients
from sim.standards import (
    BASIC_INDICATORS,
    COMPLIANCE_FLOOR,
    COMPLIANCE_MIN_MET,
    CV_LIMITS,
    INDICATORS,
    LEVELS,
    MIN_STUDENTS,
    QUALITY_INDICATORS,
    QUALITY_STANDARDS,
    RTOL,
    STANDARDS,
)

__all__ = [
    "CoreResult",
    "check_choice",
    "cv_limit",
    "cv_vector",
    "evaluate_arrays",
    "indicator_matrix",
    "school_compliance",
    "standards_vector",
]


# ---------------------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------------------


def check_choice(value, name: str, allowed: Sequence[str]) -> str:
    """``value`` if it is one of ``allowed``, else ``ValueError`` naming ``name`` and the options."""
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def _check_threshold(threshold) -> float | None:
    if threshold is None:
        return None
    try:
        t = float(threshold)
    except (TypeError, ValueError):
        raise ValueError(f"threshold must be a number in (0, 1]; got {threshold!r}") from None
    if not (0.0 < t <= 1.0):  # also rejects nan
        raise ValueError(f"threshold must be in (0, 1]; got {threshold!r}")
    return t


def cv_limit(level: str, standard: str = "quality", threshold: float | None = None) -> float:
    """The CV limit of ``standard`` for ``level``, or ``threshold`` when given (0 < t <= 1)."""
    check_choice(level, "level", LEVELS)
    check_choice(standard, "standard", STANDARDS)
    t = _check_threshold(threshold)
    return CV_LIMITS[standard][level] if t is None else t


def _le(a, b):
    """a <= b with relative tolerance RTOL (False for nan)."""
    return np.asarray(a) <= np.asarray(b) * (1.0 + RTOL)


def _ge(a, b):
    """a >= b with relative tolerance RTOL (False for nan)."""
    return np.asarray(a) >= np.asarray(b) * (1.0 - RTOL)


# ---------------------------------------------------------------------------------------
# Numpy core
# ---------------------------------------------------------------------------------------


def indicator_matrix(columns: Mapping[str, Any],
                     names: Sequence[str] = QUALITY_INDICATORS) -> np.ndarray:
    """Indicator values per school: an ``(n_schools, len(names))`` float array.

    ``columns`` maps table column names (``students``, ``backbone_teachers``, ...) to 1-D
    arrays of equal length; only the columns the ``names`` need are read. Denominators
    (``students``, and ``teachers`` for ``students_per_teacher``) must be > 0.
    """
    cache: dict[str, np.ndarray] = {}

    def col(c: str) -> np.ndarray:
        if c not in cache:
            if c not in columns:
                raise KeyError(f"column {c!r} is needed for the indicators but not given")
            a = np.asarray(columns[c], dtype=float)
            if a.ndim != 1:
                raise ValueError(f"column {c!r} must be 1-D, got shape {a.shape}")
            cache[c] = a
        return cache[c]

    names = list(names)
    unknown = [n for n in names if n not in INDICATORS]
    if unknown:
        raise ValueError(f"unknown indicator(s) {unknown}; known: {sorted(INDICATORS)}")
    n = col("students").size
    out = np.empty((n, len(names)), dtype=float)
    for j, name in enumerate(names):
        ind = INDICATORS[name]
        num, den = col(ind.numerator), col(ind.denominator)
        if num.size != n or den.size != n:
            raise ValueError(f"columns for {name} differ in length from 'students' ({n})")
        if np.any(~(den > 0)):
            raise ValueError(f"column {ind.denominator!r} must be > 0 in every row for {name}")
        out[:, j] = ind.scale * num / den
    return out


def cv_vector(matrix, students, min_students: float = MIN_STUDENTS) -> np.ndarray:
    """Difference coefficient of each column of ``matrix`` across schools, weighted by
    ``students``, over the schools with ``students >= min_students`` (pass 0 to use all).

    :func:`sim.metrics.difference_coefficients` of the columns (each exactly
    :func:`sim.metrics.difference_coefficient`); ``nan`` for an undefined CV (no school
    included, or a county mean of 0).
    """
    m = np.asarray(matrix, dtype=float)
    w = np.asarray(students, dtype=float)
    if m.ndim != 2 or w.ndim != 1 or m.shape[0] != w.size:
        raise ValueError(f"matrix must be (n, k) and students (n,); got {m.shape}, {w.shape}")
    keep = w >= min_students
    return difference_coefficients(m[keep].T, w[keep])


def standards_vector(level: str, names: Sequence[str] = QUALITY_INDICATORS) -> np.ndarray:
    """The 2017 per-school standards of ``names`` for ``level`` as an array."""
    check_choice(level, "level", LEVELS)
    return np.array([QUALITY_STANDARDS[level][n] for n in names], dtype=float)


def school_compliance(matrix, level: str):
    """Per-school test of the 2017 standard on a ``(n, 7)`` :func:`indicator_matrix`.

    Returns ``(ratio, met, n_met, complies)``: value / standard ``(n, 7)``, standard met
    ``(n, 7)`` bool, number met ``(n,)`` and compliance ``(n,)``: at least
    :data:`COMPLIANCE_MIN_MET` met and every missed one at least :data:`COMPLIANCE_FLOOR`
    of its standard.
    """
    m = np.asarray(matrix, dtype=float)
    std = standards_vector(level)
    if m.ndim != 2 or m.shape[1] != std.size:
        raise ValueError(f"matrix must have {std.size} columns (QUALITY_INDICATORS), got {m.shape}")
    ratio = m / std
    met = _ge(ratio, 1.0)
    n_met = met.sum(axis=1)
    near = met | _ge(ratio, COMPLIANCE_FLOOR)
    complies = (n_met >= COMPLIANCE_MIN_MET) & near.all(axis=1)
    return ratio, met, n_met, complies


@dataclass(frozen=True)
class CoreResult:
    """Array result of :func:`evaluate_arrays` (all arrays in row order of the input)."""

    level: str
    standard: str
    names: tuple[str, ...]
    limit: float
    values: np.ndarray  # (n, k) indicator values
    included: np.ndarray  # (n,) bool: students >= min_students
    cv: np.ndarray  # (k,)
    cv_ok: np.ndarray  # (k,) bool: cv <= limit (nan fails)
    mean_cv: float  # mean of the k CVs (decisive for "basic" only)
    cv_passed: bool
    complies: np.ndarray | None  # (n,) bool, "quality" only
    schools_passed: bool | None  # all included schools comply ("quality" only)
    passed: bool


def evaluate_arrays(columns: Mapping[str, Any], level: str, standard: str = "quality",
                    threshold: float | None = None,
                    min_students: float = MIN_STUDENTS) -> CoreResult:
    """The whole test on plain arrays (one level's rows), without pandas or validation.

    ``columns`` as for :func:`indicator_matrix`. With no school included every CV is ``nan``
    and ``passed`` is False; :func:`sim.evaluation.evaluate` (:class:`NotAssessableError`) and
    the model's verdict lines call such a level not assessable instead of failed.
    """
    limit = cv_limit(level, standard, threshold)
    names = QUALITY_INDICATORS if standard == "quality" else BASIC_INDICATORS
    values = indicator_matrix(columns, names)
    students = np.asarray(columns["students"], dtype=float)
    included = students >= min_students
    cv = cv_vector(values, students, min_students)
    cv_ok = _le(cv, limit)
    mean_cv = float(cv.mean()) if cv.size else float("nan")
    if standard == "quality":
        cv_passed = bool(cv_ok.all())
        complies = school_compliance(values, level)[3]
        schools_passed = bool(complies[included].all())
        passed = cv_passed and schools_passed and bool(included.any())
    else:
        cv_passed = bool(_le(mean_cv, limit))
        complies, schools_passed = None, None
        passed = cv_passed
    return CoreResult(level, standard, tuple(names), limit, values, included, cv, cv_ok,
                      mean_cv, cv_passed, complies, schools_passed, passed)

