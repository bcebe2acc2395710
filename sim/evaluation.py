"""The official county balance tests applied to a table of schools, and the ``edusim-evaluate`` CLI.

Two national standards judge whether a county's compulsory-education schools are balanced
(MOE 2017 and MOE 2012; see docs/sources.md):

* **quality** -- the 2017 *high-quality balance* standard (县域义务教育优质均衡发展督导评估办法,
  MOE 2017, 教督〔2017〕6号), resource-allocation part. Seven indicators per school
  (:data:`QUALITY_INDICATORS`) with a minimum standard per level (:data:`QUALITY_STANDARDS`).
  The county passes when

  1. **each** of the 7 difference coefficients (差异系数, the enrolment-weighted CV of
     :func:`sim.metrics.difference_coefficient`) is ``<= 0.50`` (primary) / ``<= 0.45``
     (junior), and
  2. **every** school complies: it meets at least 6 of the 7 standards and the missed one
     reaches at least 85 % of its standard.

  The official text requires both ("每所学校至少6项指标达到上述要求,余项不能低于要求的85%;所有
  指标校际差异系数,小学均小于或等于0.50,初中均小于或等于0.45"), so ``passed`` is
  ``cv_passed and schools_passed``; both parts are also reported separately.
* **basic** -- the 2012 *basic balance* standard (县域义务教育均衡发展督导评估暂行办法, MOE 2012).
  Eight indicators (:data:`BASIC_INDICATORS`); the county passes when the **mean** of the 8
  difference coefficients is ``<= 0.65`` (primary) / ``<= 0.55`` (junior). There are no
  per-school standards in this test, so ``schools_passed`` is ``None``.

The standard's CV limit can be replaced by a county's own target with ``threshold`` (e.g. the
0.30 of doc 001); it must lie in (0, 1].

Teaching points
    Schools with fewer than :data:`MIN_STUDENTS` = 50 pupils (教学点) are left out of the
    county computation: they enter neither the CVs, nor the county means, nor the
    all-schools-comply condition. This is the 2017 rule ("不含特殊教育学校、职业学校及不足50人的
    教学点"); applying it to the 2012 test too is an assumption made for comparability
    (``min_students`` is a parameter). Excluded schools are still listed, with their indicator
    values and (2017) compliance, flagged ``excluded``.

Edge conventions (choices, documented here)
    * "Meets a standard" is ``value >= standard`` and the 85 % rule is ``value >= 0.85 *
      standard``; both use a relative tolerance of 1e-9 (:data:`RTOL`) so that figures given to
      the stated precision are not failed by float rounding (3.825 m² is exactly 85 % of 4.5).
    * A CV passes when ``cv <= limit`` (same tolerance). An undefined CV (``nan``: county mean 0,
      e.g. no school has any multimedia room) counts as failing.
    * County means are enrolment-weighted means of the school values (the X of the CV formula),
      over the included schools.
    * The 2012 student–teacher ratio is taken as students per teacher (``students_per_teacher``).
      The CV of a ratio is not the CV of its reciprocal, so this choice matters slightly.

School table (CSV or :class:`pandas.DataFrame`)
-----------------------------------------------

One row per school **per level**: a nine-year school (九年一贯制) appears as a ``primary`` row
and a ``junior`` row with the same ``school_id``, each row holding the counts of that level's
section. Column names are exact (surrounding spaces are ignored); other columns are ignored.

=========================================  ===========  ======  ====================================
column                                     unit         type    rule
=========================================  ===========  ======  ====================================
``school_id``                              --           text    required, non-empty; unique per level
``name``                                   --           text    required, non-empty
``level``                                  --           text    required: ``primary`` or ``junior``
``tier``                                   --           text    required: ``urban``, ``town`` or
                                                                ``rural``; the same for both rows of
                                                                a nine-year school
``students``                               pupils       number  required, > 0
``teachers_above_required_qualification``  teachers     number  required, >= 0, <= ``teachers``;
                                                                primary: 专科 (associate) or above,
                                                                junior: 本科 (bachelor) or above
``backbone_teachers``                      teachers     number  required, >= 0, <= ``teachers``;
                                                                county level or above (骨干)
``pe_arts_teachers``                       teachers     number  required, >= 0, <= ``teachers``;
                                                                PE, music and fine-art teachers
``building_area_m2``                       m²           number  required, >= 0; teaching and
                                                                auxiliary rooms
``sports_area_m2``                         m²           number  required, >= 0; sports grounds
``equipment_value_yuan``                   yuan         number  required, >= 0; teaching equipment
``multimedia_rooms``                       rooms        number  required, >= 0; networked multimedia
                                                                classrooms
``teachers``                               teachers     number  optional (2012 test), >= 0; all
                                                                full-time teachers of the section
``teachers_mid_title``                     teachers     number  optional (2012 test), >= 0,
                                                                <= ``teachers``; intermediate title
                                                                (中级) or higher
``computers``                              computers    number  optional (2012 test), >= 0
``books``                                  volumes      number  optional (2012 test), >= 0
``x``, ``y``                               km           number  optional, any finite value
=========================================  ===========  ======  ====================================

"Number" means a finite decimal (``12``, ``12.5``, ``1e3``); counts may be fractional (e.g.
teachers shared between the two sections of a nine-year school). If an optional column is
present, every row must have a valid value in it. The 2012 test needs all four optional
teacher/computer/book columns and ``teachers > 0`` in every row of the evaluated level.

Row numbering
    Problems name the row by its **line number in the file**: the header is line 1, so the
    first data row is line 2 (blank lines are skipped but counted). For a DataFrame the same
    convention applies to its positions (first row = line 2), unless its index is named
    ``"line"`` -- the tables returned by :func:`load_school_table` and
    :func:`validate_school_table` are indexed by their file line numbers.

API
---

Numpy core (cheap enough to call every simulated year)::

    m = indicator_matrix(columns, QUALITY_INDICATORS)   # (n_schools, 7) values
    cvs = cv_vector(m, students)                         # (7,) difference coefficients
    ratio, met, n_met, complies = school_compliance(m, "primary")
    core = evaluate_arrays(columns, "primary")           # all of the above + the verdict

pandas layer::

    table = load_school_table("examples/county_schools.csv")   # validated, or SchoolTableError
    result = evaluate(table, "junior", standard="quality", threshold=None)
    result.passed, result.cv, result.failing_indicators, result.schools, result.to_dict()

CLI::

    edusim-evaluate PATH [--level primary|junior|both] [--standard quality|basic|both]
                         [--threshold X] [--json]

Exit codes: 0 when a report was produced (whatever the verdict); 2 for usage errors, a
malformed or unreadable table (one message on stderr naming every bad row and column, nothing
on stdout), or when none of the requested levels has a school to evaluate. A requested level
without rows is reported as not evaluated.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import difference_coefficients
from sim.standards import (  # noqa: F401  (re-exported: the evaluation's public names)
    BASIC_COLUMNS,
    BASIC_INDICATORS,
    COLUMN_UNITS,
    COMPLIANCE_FLOOR,
    COMPLIANCE_MIN_MET,
    CV_LIMITS,
    INDICATORS,
    Indicator,
    LEVELS,
    LOCATION_COLUMNS,
    MIN_STUDENTS,
    NUMERIC_COLUMNS,
    QUALITY_INDICATORS,
    QUALITY_STANDARDS,
    REQUIRED_COLUMNS,
    REQUIRED_NUMERIC,
    RTOL,
    SOURCES,
    SOURCE_2012,
    SOURCE_2017,
    STANDARDS,
    STANDARD_TITLES,
    TEACHER_SUBSETS,
    TEXT_COLUMNS,
    TIERS,
)
__all__ = [
    "BASIC_COLUMNS",
    "BASIC_INDICATORS",
    "COMPLIANCE_FLOOR",
    "COMPLIANCE_MIN_MET",
    "CV_LIMITS",
    "CoreResult",
    "EvaluationResult",
    "INDICATORS",
    "Indicator",
    "LEVELS",
    "MIN_STUDENTS",
    "NoSchoolsError",
    "QUALITY_INDICATORS",
    "QUALITY_STANDARDS",
    "REQUIRED_COLUMNS",
    "SOURCES",
    "STANDARDS",
    "SchoolTableError",
    "TIERS",
    "TableProblem",
    "cv_limit",
    "cv_vector",
    "evaluate",
    "evaluate_arrays",
    "format_report",
    "indicator_matrix",
    "load_school_table",
    "main",
    "school_compliance",
    "standards_vector",
    "validate_school_table",
]


# ---------------------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------------------


def _choice(value, name: str, allowed: Sequence[str]) -> str:
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
    _choice(level, "level", LEVELS)
    _choice(standard, "standard", STANDARDS)
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
    _choice(level, "level", LEVELS)
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
    and the county fails.
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


# ---------------------------------------------------------------------------------------
# Table validation and loading
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableProblem:
    """One problem in a school table; ``line`` is the file line (header = 1), or None."""

    line: int | None
    column: str | None
    message: str
    school_id: str | None = None

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ", ".join(where)
        if self.school_id:
            text += f" (school_id {self.school_id})"
        return f"{text}: {self.message}" if text else self.message


class SchoolTableError(ValueError):
    """A school table is malformed; ``problems`` lists every problem found."""

    def __init__(self, source: str, problems: Sequence[TableProblem]):
        self.source = source
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{source}: {n} problem{'' if n == 1 else 's'} in the school table"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class NoSchoolsError(ValueError):
    """The table has no school to evaluate for the requested level."""


def _is_missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float | np.floating) and math.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


def _parse_number(v) -> tuple[float | None, str | None]:
    """(value, None) or (None, message)."""
    if _is_missing(v):
        return None, "missing value (empty cell)"
    if isinstance(v, bool | np.bool_):
        return None, f"not a number: {v!r}"
    if isinstance(v, str):
        try:
            x = float(v.strip())
        except ValueError:
            return None, f"not a number: {v.strip()!r}"
    else:
        try:
            x = float(v)
        except (TypeError, ValueError):
            return None, f"not a number: {v!r}"
    if not math.isfinite(x):
        return None, f"not a finite number: {v!r}"
    return x, None


def _text(v) -> str:
    if isinstance(v, np.integer | np.floating):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def validate_school_table(df: pd.DataFrame, source: str = "<DataFrame>",
                          lines: Sequence[int] | None = None) -> pd.DataFrame:
    """Check a school table (format in the module docstring) and return a clean copy.

    Raises one :class:`SchoolTableError` listing **all** problems found, each naming the row
    (file line number: header = line 1, first data row = line 2; see the module docstring)
    and the column. Checks: required columns present; no empty or non-numeric cell in a
    numeric column; ``students > 0``; counts, areas and values ``>= 0``; teacher subsets
    (above-qualification, backbone, PE/arts, mid-title) ``<= teachers`` when ``teachers`` is
    given; ``level`` and ``tier`` in the allowed sets; no two rows with the same
    ``school_id`` and ``level``; one tier per ``school_id``.

    The returned frame has the known columns only (text columns stripped, ``level`` and
    ``tier`` lower-cased, numbers as float) and is indexed by line number (index name
    ``"line"``). ``lines`` overrides the line numbers (default: the index if it is named
    ``"line"``, else position + 2).
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    n = len(df)
    if lines is None:
        lines = list(df.index) if df.index.name == "line" else range(2, n + 2)
    lines = [int(x) for x in lines]
    if len(lines) != n:
        raise ValueError(f"lines has {len(lines)} entries for {n} rows")

    problems: list[TableProblem] = []
    names = [str(c).strip() for c in df.columns]
    seen: set[str] = set()
    for c in names:
        if c in seen and c in REQUIRED_COLUMNS + NUMERIC_COLUMNS:
            problems.append(TableProblem(1, c, "column appears more than once in the header"))
        seen.add(c)
    if problems:
        raise SchoolTableError(source, problems)
    data = df.set_axis(names, axis=1)
    for c in REQUIRED_COLUMNS:
        if c not in names:
            problems.append(TableProblem(1, c, "required column is missing from the header"))
    if n == 0:
        problems.append(TableProblem(None, None, "the table has no data rows"))

    out = pd.DataFrame(index=pd.Index(lines, name="line"))
    ids = [_text(v) if not _is_missing(v) else "" for v in data["school_id"]] \
        if "school_id" in names else [""] * n

    def add(i: int, column: str, message: str) -> None:
        problems.append(TableProblem(lines[i], column, message, ids[i] or None))

    # text columns
    ok_text = {c: np.zeros(n, dtype=bool) for c in TEXT_COLUMNS}
    allowed = {"level": LEVELS, "tier": TIERS}
    for c in TEXT_COLUMNS:
        if c not in names:
            continue
        vals = []
        for i, v in enumerate(data[c]):
            if _is_missing(v):
                add(i, c, "missing value (empty cell)")
                vals.append(v if c == "school_id" else "")
                continue
            if c in allowed:
                s = _text(v).lower()
                if s not in allowed[c]:
                    add(i, c, f"must be one of {', '.join(allowed[c])}; got {_text(v)!r}")
                else:
                    ok_text[c][i] = True
                vals.append(s)
            else:
                ok_text[c][i] = True
                vals.append(v.strip() if isinstance(v, str) else v)
        out[c] = np.array(vals, dtype=object)

    # numeric columns
    parsed: dict[str, np.ndarray] = {}
    for c in NUMERIC_COLUMNS:
        if c not in names:
            continue
        arr = np.full(n, np.nan)
        for i, v in enumerate(data[c]):
            x, err = _parse_number(v)
            if err is not None:
                add(i, c, err)
                continue
            if c == "students" and x <= 0:
                add(i, c, f"must be > 0 (a school row needs pupils); got {_fmt_num(x)}")
            elif c not in LOCATION_COLUMNS and x < 0:
                add(i, c, f"must be >= 0; got {_fmt_num(x)}")
            else:
                arr[i] = x
        parsed[c] = arr
        out[c] = arr

    # teacher subsets cannot exceed all teachers
    if "teachers" in parsed:
        tot = parsed["teachers"]
        for c in TEACHER_SUBSETS:
            if c not in parsed:
                continue
            sub = parsed[c]
            for i in np.nonzero(sub > tot)[0]:  # nan compares False
                add(i, c, f"{_fmt_num(sub[i])} exceeds teachers ({_fmt_num(tot[i])})")

    # duplicate (school_id, level) rows; one tier per school_id
    if "school_id" in names and "level" in names:
        first: dict[tuple[str, str], int] = {}
        for i in range(n):
            if not (ok_text["school_id"][i] and ok_text["level"][i]):
                continue
            key = (ids[i], out["level"].iat[i])
            if key in first:
                add(i, "school_id", f"duplicate row: school_id {ids[i]} with level {key[1]} "
                    f"already on line {lines[first[key]]}")
            else:
                first[key] = i
    if "school_id" in names and "tier" in names:
        tier_of: dict[str, int] = {}
        for i in range(n):
            if not (ok_text["school_id"][i] and ok_text["tier"][i]):
                continue
            j = tier_of.setdefault(ids[i], i)
            if out["tier"].iat[j] != out["tier"].iat[i]:
                add(i, "tier", f"{out['tier'].iat[i]!r} differs from {out['tier'].iat[j]!r} "
                    f"given for the same school_id on line {lines[j]}")

    if problems:
        order = {c: k for k, c in enumerate(REQUIRED_COLUMNS + NUMERIC_COLUMNS)}
        problems.sort(key=lambda p: (p.line if p.line is not None else 0,
                                     order.get(p.column, len(order))))
        raise SchoolTableError(source, problems)
    return out


def load_school_table(path, source: str | None = None) -> pd.DataFrame:
    """Read a school table from a CSV file (UTF-8, with or without BOM) and validate it.

    Returns the frame of :func:`validate_school_table`, indexed by file line number. Raises
    :class:`SchoolTableError` (listing every problem) for a malformed file and ``OSError`` if
    the file cannot be read.
    """
    path = Path(path)
    source = str(path) if source is None else source
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SchoolTableError(source, [TableProblem(
            line, None, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as "
            "UTF-8 (e.g. convert from GBK/GB18030)")]) from None

    problems: list[TableProblem] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    prev = 0
    try:
        for row in reader:
            start, prev = prev + 1, reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip() for cell in row]
                continue
            if len(row) != len(header):
                problems.append(TableProblem(
                    start, None, f"row has {len(row)} fields but the header has {len(header)}"))
                continue
            records.append(row)
            lines.append(start)
    except csv.Error as exc:
        raise SchoolTableError(source, [TableProblem(reader.line_num, None,
                                                     f"CSV syntax error: {exc}")]) from None
    if header is None:
        raise SchoolTableError(source, [TableProblem(None, None, "the file is empty (no header)")])

    frame = pd.DataFrame(records, columns=header, dtype=object)
    try:
        table = validate_school_table(frame, source=source, lines=lines)
    except SchoolTableError as exc:
        problems = sorted(problems + exc.problems, key=lambda p: p.line or 0)
        raise SchoolTableError(source, problems) from None
    if problems:
        raise SchoolTableError(source, problems)
    return table


# ---------------------------------------------------------------------------------------
# pandas layer
# ---------------------------------------------------------------------------------------


def _json_safe(v):
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_safe(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if v is pd.NA:
        return None
    return v


@dataclass
class EvaluationResult:
    """Result of :func:`evaluate` for one level and one standard.

    ``cv``, ``cv_ok`` and ``county_means`` are keyed by indicator name (:data:`INDICATORS`).
    ``failing_indicators`` are those the verdict blames: for "quality" every indicator whose
    CV exceeds the limit; for "basic" (decided by the mean CV) the indicators above the limit
    when the mean fails, else empty. ``above_limit`` always lists every indicator whose own CV
    exceeds the limit. ``schools`` has one row per school row of the level (index: line),
    with ``school_id, name, tier, students, excluded``, each indicator's value and, for
    "quality", ``<indicator>_ratio`` (value / standard), ``<indicator>_met``, ``n_met``,
    ``missed`` (names, comma-separated) and ``complies``.
    """

    level: str
    standard: str
    source: str
    limit: float
    official_limit: float
    indicators: list[str]
    cv: dict[str, float]
    cv_ok: dict[str, bool]
    mean_cv: float
    cv_passed: bool
    schools_passed: bool | None
    passed: bool
    failing_indicators: list[str]
    above_limit: list[str]
    county_means: dict[str, float]
    standards: dict[str, float]
    n_rows: int
    n_included: int
    students_included: float
    excluded_schools: list[str]
    non_compliant_schools: list[str]
    schools: pd.DataFrame = field(repr=False)
    min_students: float = MIN_STUDENTS

    @property
    def threshold_overridden(self) -> bool:
        return self.limit != self.official_limit

    def to_dict(self, schools: bool = True) -> dict[str, Any]:
        """A JSON-serialisable dict (``nan`` -> ``None``); ``schools`` adds the school rows."""
        d: dict[str, Any] = {
            "level": self.level,
            "standard": self.standard,
            "standard_title": STANDARD_TITLES[self.standard],
            "standard_source": SOURCES[self.standard],
            "table": self.source,
            "limit": self.limit,
            "official_limit": self.official_limit,
            "threshold_overridden": self.threshold_overridden,
            "decided_by": "each CV and every school" if self.standard == "quality"
            else "mean of the CVs",
            "passed": self.passed,
            "cv_passed": self.cv_passed,
            "schools_passed": self.schools_passed,
            "failing_indicators": list(self.failing_indicators),
            "above_limit": list(self.above_limit),
            "cv": dict(self.cv),
            "cv_ok": dict(self.cv_ok),
            "mean_cv": self.mean_cv,
            "county_means": dict(self.county_means),
            "standards": dict(self.standards),
            "units": {n: INDICATORS[n].unit for n in self.indicators},
            "n_rows": self.n_rows,
            "n_included": self.n_included,
            "students_included": self.students_included,
            "min_students": self.min_students,
            "excluded_schools": list(self.excluded_schools),
            "non_compliant_schools": list(self.non_compliant_schools),
        }
        if schools:
            d["schools"] = self.schools.reset_index().to_dict(orient="records")
        return _json_safe(d)


def evaluate(schools: pd.DataFrame, level: str, standard: str = "quality",
             threshold: float | None = None, *, min_students: float = MIN_STUDENTS,
             source: str = "<DataFrame>") -> EvaluationResult:
    """Apply ``standard`` ("quality" = 2017, "basic" = 2012) to the ``level`` rows of a table.

    ``schools`` is a school table (module docstring); it is validated first
    (:class:`SchoolTableError`). ``threshold`` replaces the standard's CV limit (0 < t <= 1).
    Raises :class:`NoSchoolsError` when the table has no ``level`` row with at least
    ``min_students`` pupils, and :class:`SchoolTableError` naming the missing columns when
    "basic" is asked of a table without the optional columns.
    """
    _choice(level, "level", LEVELS)
    _choice(standard, "standard", STANDARDS)
    limit = cv_limit(level, standard, threshold)
    table = validate_school_table(schools, source=source)
    names = QUALITY_INDICATORS if standard == "quality" else BASIC_INDICATORS
    if standard == "basic":
        missing = [c for c in BASIC_COLUMNS if c not in table.columns]
        if missing:
            raise SchoolTableError(source, [TableProblem(
                1, c, "missing: the 2012 basic standard needs the columns "
                + ", ".join(BASIC_COLUMNS)) for c in missing])
    rows = table[table["level"] == level]
    if rows.empty:
        raise NoSchoolsError(f"{source}: no {level} rows")
    students = rows["students"].to_numpy(dtype=float)
    if not (students >= min_students).any():
        raise NoSchoolsError(f"{source}: all {len(rows)} {level} rows have fewer than "
                             f"{_fmt_num(min_students)} pupils (teaching points are left out)")
    if standard == "basic":
        zero = rows.index[rows["teachers"].to_numpy() <= 0]
        if len(zero):
            raise SchoolTableError(source, [TableProblem(
                int(line), "teachers", "must be > 0 for the 2012 student-teacher ratio",
                _text(rows.at[line, "school_id"])) for line in zero])

    columns = {c: rows[c].to_numpy(dtype=float) for c in rows.columns if c in NUMERIC_COLUMNS}
    core = evaluate_arrays(columns, level, standard, threshold, min_students)

    inc = core.included
    w = students[inc]
    means = {n: float(np.dot(w, core.values[inc, j]) / w.sum()) for j, n in enumerate(names)}
    cv = {n: float(core.cv[j]) for j, n in enumerate(names)}
    cv_ok = {n: bool(core.cv_ok[j]) for j, n in enumerate(names)}
    above = [n for n in names if not cv_ok[n]]
    failing = above if (standard == "quality" or not core.cv_passed) else []

    frame = rows[["school_id", "name", "tier", "students"]].copy()
    frame["excluded"] = ~inc
    for j, n in enumerate(names):
        frame[n] = core.values[:, j]
    standards: dict[str, float] = {}
    non_compliant: list[str] = []
    if standard == "quality":
        standards = dict(QUALITY_STANDARDS[level])
        ratio, met, n_met, complies = school_compliance(core.values, level)
        for j, n in enumerate(names):
            frame[f"{n}_ratio"] = ratio[:, j]
            frame[f"{n}_met"] = met[:, j]
        frame["n_met"] = n_met
        frame["missed"] = [", ".join(n for j, n in enumerate(names) if not met[i, j])
                           for i in range(len(frame))]
        frame["complies"] = complies
        non_compliant = [_text(s) for s in frame["school_id"][inc & ~complies]]
    excluded = [_text(s) for s in frame["school_id"][~inc]]

    return EvaluationResult(
        level=level, standard=standard, source=source, limit=limit,
        official_limit=CV_LIMITS[standard][level], indicators=list(names), cv=cv, cv_ok=cv_ok,
        mean_cv=core.mean_cv, cv_passed=core.cv_passed, schools_passed=core.schools_passed,
        passed=core.passed, failing_indicators=failing, above_limit=above, county_means=means,
        standards=standards, n_rows=len(rows), n_included=int(inc.sum()),
        students_included=float(w.sum()), excluded_schools=excluded,
        non_compliant_schools=non_compliant, schools=frame, min_students=min_students,
    )


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def _num(x: float, decimals: int) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:,.{decimals}f}"


def _cv_text(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.3f}"


def _section(r: EvaluationResult) -> list[str]:
    title = f"{r.level.capitalize()} schools: {STANDARD_TITLES[r.standard]}"
    out = [f"=== {title} ===", f"Source: {SOURCES[r.standard]}"]
    sch = r.schools
    excl = sch[sch["excluded"]]
    out.append(f"Evaluated: {r.n_included} of {r.n_rows} {r.level} rows, "
                f"{r.students_included:,.0f} students.")
    if len(excl):
        items = "; ".join(f"{_text(s.school_id)} {s.name} ({s.students:,.0f})"
                          for s in excl.itertuples())
        out.append(f"Left out (< {_fmt_num(r.min_students)} pupils, teaching points): {items}.")
    lim = f"{r.limit:.2f}"
    if r.threshold_overridden:
        stricter = "stricter" if r.limit < r.official_limit else "LAXER"
        lim += f" (--threshold; {stricter} than the official {r.official_limit:.2f})"
    else:
        lim += " (official)"
    what = "each indicator's CV" if r.standard == "quality" else "the mean of the 8 CVs"
    out.append(f"Limit on {what}: {lim}")
    out.append("")

    width = max(len(f"{k} {INDICATORS[n].label}") for k, n in enumerate(r.indicators, 1)) + 2
    unit_w = max(len(INDICATORS[n].unit) for n in r.indicators)
    if r.standard == "quality":
        out.append(f"  {'indicator':<{width}}{'unit':<{unit_w}}  {'county mean':>11}  "
                   f"{'standard':>8}  {'CV':>6}  {'limit':>5}  result")
    else:
        out.append(f"  {'indicator':<{width}}{'unit':<{unit_w}}  {'county mean':>11}  "
                   f"{'CV':>6}")
    for k, n in enumerate(r.indicators, start=1):
        ind = INDICATORS[n]
        label = f"{k} {ind.label}"
        row = (f"  {label:<{width}}{ind.unit:<{unit_w}}  "
               f"{_num(r.county_means[n], ind.decimals):>11}  ")
        if r.standard == "quality":
            row += (f"{_num(r.standards[n], 1 if ind.decimals else 0):>8}  "
                    f"{_cv_text(r.cv[n]):>6}  {r.limit:>5.2f}  "
                    f"{'pass' if r.cv_ok[n] else 'FAIL'}")
        else:
            row += f"{_cv_text(r.cv[n]):>6}"
        out.append(row.rstrip())
    out.append("")

    if r.standard == "quality":
        if r.cv_passed:
            out.append(f"Difference coefficients: pass (all 7 <= {r.limit:.2f}); "
                       f"mean of the 7 CVs {_cv_text(r.mean_cv)}.")
        else:
            names = ", ".join(INDICATORS[n].label for n in r.failing_indicators)
            out.append(f"Difference coefficients: FAIL ({len(r.failing_indicators)} of 7 above "
                       f"{r.limit:.2f}: {names}); mean of the 7 CVs {_cv_text(r.mean_cv)} "
                       "(the mean does not count in this standard).")
        inc = sch[~sch["excluded"]]
        n_ok = int(inc["complies"].sum())
        out.append(f"School standards (>= {COMPLIANCE_MIN_MET} of 7 met, the missed one >= "
                   f"{COMPLIANCE_FLOOR:.0%} of its standard): "
                   f"{'pass' if r.schools_passed else 'FAIL'}, {n_ok} of {len(inc)} schools "
                   "comply.")
        bad = inc[~inc["complies"]]
        if len(bad):
            out.append("  Schools that do not comply (missed standards: value, % of standard):")
            for _, s in bad.iterrows():
                missed = []
                for n in r.indicators:
                    if not s[f"{n}_met"]:
                        ind = INDICATORS[n]
                        pct = math.floor(100 * s[f"{n}_ratio"] * (1 + RTOL))  # 84.9 -> 84
                        missed.append(f"{ind.label} {_num(s[n], ind.decimals)} ({pct}%)")
                out.append(f"    {_text(s['school_id'])} {s['name']} ({s['tier']}, "
                           f"{s['students']:,.0f} students, {int(s['n_met'])} of 7 met): "
                           + "; ".join(missed))
        verdict = "PASS" if r.passed else "FAIL"
        reasons = []
        if not r.cv_passed:
            reasons.append(f"{len(r.failing_indicators)} CV(s) above {r.limit:.2f}")
        if not r.schools_passed:
            reasons.append(f"{len(r.non_compliant_schools)} school(s) not complying")
        out.append(f"Verdict ({r.level}, 2017 quality): {verdict}"
                   + (f" -- {'; '.join(reasons)}" if reasons else ""))
    else:
        out.append(f"Mean of the 8 CVs: {_cv_text(r.mean_cv)} "
                   f"{'<=' if r.cv_passed else '>'} {r.limit:.2f}.")
        if r.above_limit:
            out.append("Indicators whose own CV exceeds the limit: "
                       + ", ".join(INDICATORS[n].label for n in r.above_limit)
                       + " (only the mean counts in this standard).")
        out.append(f"Verdict ({r.level}, 2012 basic): {'PASS' if r.passed else 'FAIL'}")
    return out


def format_report(results: Sequence[EvaluationResult], skipped: Sequence[str] = (),
                  source: str = "", table: pd.DataFrame | None = None) -> str:
    """A readable report of several results; ``skipped`` are notes on levels not evaluated."""
    out: list[str] = [f"County balance evaluation of {source}" if source else
                      "County balance evaluation"]
    if table is not None:
        by_level = table["level"].value_counts()
        by_tier = table["tier"].value_counts()
        out.append(f"{len(table)} rows: "
                   + ", ".join(f"{int(by_level.get(lv, 0))} {lv}" for lv in LEVELS)
                   + " (" + ", ".join(f"{int(by_tier.get(t, 0))} {t}" for t in TIERS) + ")")
    for note in skipped:
        out.append(f"Not evaluated: {note}")
    for r in results:
        out.append("")
        out.extend(_section(r))
    if len(results) > 1:
        out.append("")
        out.append("Summary: " + "; ".join(
            f"{r.level} {r.standard} {'PASS' if r.passed else 'FAIL'}" for r in results))
    return "\n".join(out)


# ---------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="edusim-evaluate",
        description="Apply the official county balance tests (2017 high-quality, 2012 basic) "
                    "to a school table (CSV; format: see `python -m pydoc sim.evaluation`).",
    )
    p.add_argument("path", help="school table, CSV (UTF-8)")
    p.add_argument("--level", choices=[*LEVELS, "both"], default="both",
                   help="school level to evaluate (default: both)")
    p.add_argument("--standard", choices=[*STANDARDS, "both"], default="quality",
                   help="quality = 2017 high-quality balance, basic = 2012 basic balance "
                        "(default: quality)")
    p.add_argument("--threshold", type=float, default=None, metavar="X",
                   help="replace the official CV limit by X, 0 < X <= 1 (e.g. a county "
                        "target of 0.30)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a report")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``edusim-evaluate``; returns the exit code (0 report, 2 error)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.threshold is not None and not (0.0 < args.threshold <= 1.0):
            parser.error(f"argument --threshold: must be in (0, 1], got {args.threshold:g}")
    except SystemExit as exc:  # argparse: usage errors exit 2, --help exits 0
        return exc.code if isinstance(exc.code, int) else 2

    prog = parser.prog
    source = args.path
    try:
        table = load_school_table(args.path, source=source)
    except SchoolTableError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{prog}: error: cannot read {source}: {exc.strerror or exc}", file=sys.stderr)
        return 2

    levels = LEVELS if args.level == "both" else (args.level,)
    standards = STANDARDS if args.standard == "both" else (args.standard,)
    results: list[EvaluationResult] = []
    skipped: list[str] = []
    for standard in standards:
        for level in levels:
            try:
                results.append(evaluate(table, level, standard, args.threshold, source=source))
            except NoSchoolsError as exc:
                note = str(exc).removeprefix(f"{source}: ")
                if note not in skipped:
                    skipped.append(note)
            except SchoolTableError as exc:
                print(f"{prog}: error: {exc}", file=sys.stderr)
                return 2
    if not results:
        print(f"{prog}: error: nothing to evaluate in {source}: " + "; ".join(skipped),
              file=sys.stderr)
        return 2

    if args.json:
        text = json.dumps({"source": source, "results": [r.to_dict() for r in results],
                           "not_evaluated": skipped}, ensure_ascii=False, indent=2)
    else:
        text = format_report(results, skipped, source, table)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
