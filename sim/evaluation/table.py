"""Reading and validating a school table (format: :mod:`sim.evaluation`).

:func:`load_school_table` reads a CSV file, :func:`validate_school_table` checks a
:class:`pandas.DataFrame`; both return the clean table indexed by file line number or raise one
:class:`SchoolTableError` listing every :class:`TableProblem`. The cell helpers
(:func:`is_missing`, :func:`parse_number`, :func:`cell_text`, :func:`format_number`) are shared
with the other readers of county tables so that they judge and quote cells the same way.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.standards import (
    LEVELS,
    LOCATION_COLUMNS,
    NUMERIC_COLUMNS,
    REQUIRED_COLUMNS,
    TEACHER_SUBSETS,
    TEXT_COLUMNS,
    TIERS,
)

__all__ = [
    "NoSchoolsError",
    "SchoolTableError",
    "TableProblem",
    "cell_text",
    "format_number",
    "is_missing",
    "load_school_table",
    "parse_number",
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


class NoSchoolsError(ValueError):
    """The table has no school to evaluate for the requested level."""


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
            return None, f"not a number: {v.strip()!r}"
    else:
        try:
            x = float(v)
        except (TypeError, ValueError):
            return None, f"not a number: {v!r}"
    if not math.isfinite(x):
        return None, f"not a finite number: {v!r}"
    return x, None


def cell_text(v) -> str:
    """A cell as stripped text; whole numbers lose their ``.0`` (an id read as 101.0 is "101")."""
    if isinstance(v, np.integer | np.floating):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def format_number(x: float) -> str:
    """A number for messages: whole numbers without decimals, others in ``g`` format."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def validate_school_table(df: pd.DataFrame, source: str = "<DataFrame>",
                          lines: Sequence[int] | None = None) -> pd.DataFrame:
    """Check a school table (format: :mod:`sim.evaluation`) and return a clean copy.

    Raises one :class:`SchoolTableError` listing **all** problems found, each naming the row
    (file line number: header = line 1, first data row = line 2; see :mod:`sim.evaluation`)
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
        arr = np.full(n, np.nan)
        for i, v in enumerate(data[c]):
            x, err = parse_number(v)
            if err is not None:
                add(i, c, err)
                continue
            if c == "students" and x <= 0:
                add(i, c, f"must be > 0 (a school row needs pupils); got {format_number(x)}")
            elif c not in LOCATION_COLUMNS and x < 0:
                add(i, c, f"must be >= 0; got {format_number(x)}")
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
                add(i, c, f"{format_number(sub[i])} exceeds teachers ({format_number(tot[i])})")

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

