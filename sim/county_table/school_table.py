"""The school-table format's own checks: a :class:`pandas.DataFrame` of schools, whatever
file it came from (format: :mod:`sim.evaluation`).

:func:`validate_school_table` returns the clean table indexed by file line or raises one
:class:`SchoolTableError` listing every :class:`TableProblem`. The cell helpers
(:func:`is_missing`, :func:`parse_number`, :func:`cell_text`, :func:`format_number`) are shared
by every reader of county tables so that they judge and quote cells the same way. The size
limits (:data:`~sim.county_table.schema.VALUE_LIMITS` and the county-wide ones) are checked
here, so every tool that reads a table rejects the same magnitudes with the same message.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.county_table.schema import (
    MAX_ABS_KM,
    MAX_COUNTY_PUPILS,
    MAX_KM_FROM_MEDIAN,
    MAX_SCHOOL_PUPILS,
    MAX_SCHOOLS,
    VALUE_LIMITS,
)
from sim.standards import (
    COLUMN_UNITS,
    LEVELS,
    LOCATION_COLUMNS,
    NUMERIC_COLUMNS,
    REQUIRED_COLUMNS,
    TEACHER_SUBSETS,
    TEXT_COLUMNS,
    TIERS,
)

__all__ = [
    "SchoolTableError",
    "TableProblem",
    "cell_text",
    "format_number",
    "is_missing",
    "location_problems",
    "parse_number",
    "parse_numbers",
    "validate_school_table",
]


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


def is_missing(v) -> bool:
    """True for an empty cell: ``None``, ``NA``/``NaT``, a float ``nan`` or blank text."""
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float | np.floating) and math.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


def parse_number(v) -> tuple[float | None, str | None]:
    """A cell as a finite number: ``(value, None)``, or ``(None, message)`` saying why not."""
    if is_missing(v):
        return None, "missing value (empty cell)"
    if isinstance(v, bool | np.bool_):
        return None, f"not a number: {v!r}"
    if isinstance(v, str):
        try:
            x = float(v.strip())
        except ValueError:
            if v.startswith("="):  # read_raw's mark of a formula without a saved value
                return None, (f"a formula ({v}) whose value the workbook does not hold (a "
                              "program that does not calculate wrote it): open and save the "
                              "workbook in Excel or WPS, or paste the values")
            return None, f"not a number: {v.strip()!r}"
    else:
        try:
            x = float(v)
        except (TypeError, ValueError):
            return None, f"not a number: {v!r}"
    if not math.isfinite(x):
        return None, f"not a finite number: {v!r}"
    return x, None


def parse_numbers(values: Sequence) -> np.ndarray | None:
    """Every cell of ``values`` read as :func:`parse_number` reads it, when every cell is a
    finite number (text, ``int`` or ``float``): the numbers as floats; otherwise None (read
    the cells one by one then, for the problem of each)."""
    out = []
    try:
        for v in values:
            t = type(v)
            if t is str:
                out.append(float(v.strip()))
            elif t is float or t is int:
                out.append(float(v))
            else:
                return None
    except ValueError:
        return None
    arr = np.array(out, dtype=float)
    return arr if np.isfinite(arr).all() else None


def cell_text(v) -> str:
    """A cell as stripped text; whole numbers lose their ``.0`` (an id read as 101.0 is "101")."""
    if isinstance(v, np.integer | np.floating):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def format_number(x: float) -> str:
    """A number for messages: whole numbers without decimals, others (and any beyond 1e15,
    so that ``1e308`` is not written out in 309 digits) in ``g`` format."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else f"{x:g}"


def validate_school_table(df: pd.DataFrame, source: str = "<DataFrame>",
                          lines: Sequence[int] | None = None) -> pd.DataFrame:
    """Check a school table (format: :mod:`sim.evaluation`) and return a clean copy.

    Raises one :class:`SchoolTableError` listing **all** problems found, each naming the row
    (file line number: header = line 1, first data row = line 2; see :mod:`sim.evaluation`)
    and the column. Checks: required columns present; no empty or non-numeric cell in a
    numeric column; ``students > 0``; counts, areas and values ``>= 0``; teacher subsets
    (above-qualification, backbone, PE/arts, mid-title) ``<= teachers`` when ``teachers`` is
    given; ``level`` and ``tier`` in the allowed sets; no two rows with the same
    ``school_id`` and ``level``; one tier per ``school_id``; and the size limits: each count,
    area and stock at most its :data:`~sim.county_table.schema.VALUE_LIMITS` bound, at most
    :data:`~sim.county_table.schema.MAX_SCHOOL_PUPILS` pupils in the rows of one school, at
    most :data:`~sim.config.MAX_SCHOOLS` schools and
    :data:`~sim.config.MAX_COUNTY_PUPILS` pupils in all, ``|x|, |y| <=``
    :data:`~sim.county_table.schema.MAX_ABS_KM` and each within
    :data:`~sim.county_table.schema.MAX_KM_FROM_MEDIAN` of the county's median (see
    :func:`location_problems`). Counts may be fractional here (a simulated county's table);
    the county files add whole numbers (:mod:`sim.county_table`).

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
    ids = [cell_text(v) if not is_missing(v) else "" for v in data["school_id"]] \
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
            if is_missing(v):
                add(i, c, "missing value (empty cell)")
                vals.append(v if c == "school_id" else "")
                continue
            if c in allowed:
                s = cell_text(v).lower()
                if s not in allowed[c]:
                    add(i, c, f"must be one of {', '.join(allowed[c])}; got {cell_text(v)!r}")
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
        cells = data[c].tolist()
        numbers = parse_numbers(cells)
        if numbers is not None:  # all numbers: only the cells out of range are looked at
            arr = numbers
            if c in LOCATION_COLUMNS:
                suspect = np.abs(arr) > MAX_ABS_KM
            else:
                suspect = (arr <= 0) | (arr > VALUE_LIMITS[c][0] if c in VALUE_LIMITS else False)
            for i in np.flatnonzero(suspect):
                message = _number_problem(c, float(arr[i]))
                if message is not None:
                    add(int(i), c, message)
                    arr[i] = np.nan
        else:
            arr = np.full(n, np.nan)
            for i, v in enumerate(cells):
                x, err = parse_number(v)
                message = err if err is not None else _number_problem(c, x)
                if message is not None:
                    add(i, c, message)
                else:
                    arr[i] = x
        parsed[c] = arr
        out[c] = arr
    for c in LOCATION_COLUMNS:
        if c in parsed:
            for i, message in location_problems(parsed[c], c):
                add(i, c, message)
    _size_problems(parsed, ids, ok_text, add, problems)

    # teacher subsets cannot exceed all teachers
    if "teachers" in parsed:
        tot = parsed["teachers"]
        for c in TEACHER_SUBSETS:
            if c not in parsed:
                continue
            sub = parsed[c]
            for i in np.nonzero(sub > tot)[0]:  # nan compares False
                add(i, c, f"{format_number(sub[i])} exceeds teachers ({format_number(tot[i])})")

    # duplicate (school_id, level) rows; one tier per school_id
    if "school_id" in names and "level" in names:
        first: dict[tuple[str, str], int] = {}
        level_of = out["level"].tolist()
        for i in np.flatnonzero(ok_text["school_id"] & ok_text["level"]).tolist():
            key = (ids[i], level_of[i])
            if key in first:
                add(i, "school_id", f"duplicate row: school_id {ids[i]} with level {key[1]} "
                    f"already on line {lines[first[key]]}")
            else:
                first[key] = i
    if "school_id" in names and "tier" in names:
        tier_of: dict[str, int] = {}
        tiers = out["tier"].tolist()
        for i in np.flatnonzero(ok_text["school_id"] & ok_text["tier"]).tolist():
            j = tier_of.setdefault(ids[i], i)
            if tiers[j] != tiers[i]:
                add(i, "tier", f"{tiers[i]!r} differs from {tiers[j]!r} "
                    f"given for the same school_id on line {lines[j]}")

    if problems:
        order = {c: k for k, c in enumerate(REQUIRED_COLUMNS + NUMERIC_COLUMNS)}
        problems.sort(key=lambda p: (p.line if p.line is not None else 0,
                                     order.get(p.column, len(order))))
        raise SchoolTableError(source, problems)
    return out


def _number_problem(c: str, x: float) -> str | None:
    """The problem of the number ``x`` in numeric column ``c`` (its sign and size), or None."""
    if c == "students" and x <= 0:
        return f"must be > 0 (a school row needs pupils); got {format_number(x)}"
    if c not in LOCATION_COLUMNS and x < 0:
        return f"must be >= 0; got {format_number(x)}"
    if c in VALUE_LIMITS and x > VALUE_LIMITS[c][0]:
        hi, why = VALUE_LIMITS[c]
        low = "(0" if c == "students" else "[0"
        return (f"must be in {low}, {format_number(hi)}] {COLUMN_UNITS[c]}; got "
                f"{format_number(x)} ({why})")
    if c in LOCATION_COLUMNS and abs(x) > MAX_ABS_KM:
        return (f"must be in [-{format_number(MAX_ABS_KM)}, {format_number(MAX_ABS_KM)}] km; "
                f"got {format_number(x)} (assumption: half the Earth's circumference bounds "
                "any coordinate in km)")
    return None


def location_problems(values: np.ndarray, column: str) -> list[tuple[int, str]]:
    """``(row position, message)`` for each coordinate (km) farther than
    :data:`~sim.county_table.schema.MAX_KM_FROM_MEDIAN` from the median of ``values``
    (``nan`` entries are ignored): a county is at most a few hundred km across."""
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    if not ok.any():
        return []
    median = float(np.median(v[ok]))
    out = []
    for i in np.flatnonzero(ok & (np.abs(v - median) > MAX_KM_FROM_MEDIAN)):
        out.append((int(i), f"{format_number(abs(v[i] - median))} km from the county's median "
                    f"{column} ({format_number(round(median, 3))} km); must be within "
                    f"{format_number(MAX_KM_FROM_MEDIAN)} km of it (assumption: a county is at "
                    "most a few hundred km across)"))
    return out


def _size_problems(parsed, ids, ok_text, add, problems) -> None:
    """Pupils per school (both rows of a nine-year school), schools and pupils per county."""
    if "students" not in parsed:
        return
    students = parsed["students"]
    valid = np.isfinite(students)
    total: dict[str, float] = {}
    for i in np.flatnonzero(valid & ok_text["school_id"]):
        before = total.get(ids[i], 0.0)
        total[ids[i]] = before + students[i]
        if before and total[ids[i]] > MAX_SCHOOL_PUPILS:
            add(int(i), "students", f"school {ids[i]} has {format_number(total[ids[i]])} "
                f"pupils in its rows together; must be at most "
                f"{format_number(MAX_SCHOOL_PUPILS)} ({VALUE_LIMITS['students'][1]})")
    n_schools = len({ids[i] for i in np.flatnonzero(ok_text["school_id"])})
    if n_schools > MAX_SCHOOLS:
        problems.append(TableProblem(None, "school_id", (
            f"the table has {n_schools} schools; a county has at most "
            f"{format_number(MAX_SCHOOLS)} (assumption: the upper end of region.n_schools; "
            "the largest counties report several hundred schools and teaching points)")))
    pupils = float(students[valid].sum())
    if pupils > MAX_COUNTY_PUPILS:
        problems.append(TableProblem(None, "students", (
            f"the rows hold {format_number(pupils)} pupils in all; a county has at most "
            f"{format_number(MAX_COUNTY_PUPILS)} (assumption: the upper end of "
            "region.n_students; the largest counties have a few hundred thousand)")))
