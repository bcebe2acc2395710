"""The school table of a county: :func:`~sim.county_table.school_table.validate_school_table`
after the county's values are translated, plus whole-number counts, a teacher for every row
with pupils, longitude/latitude in degrees and the optional 0/1 ``key_school`` column (one
value per school: both rows of a nine-year school give the same); and the facts of its rows
that the extra tables are checked against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.county_table.cells import cell_text, clean_number, count_message, header_key, is_whole
from sim.county_table.columns import (
    apply_units,
    clean_numbers,
    drop_total_and_footer_rows,
    missing_hint,
    normalise_levels,
    normalise_text_ids,
    normalise_tiers,
    row_ids,
    set_column,
)
from sim.county_table.problems import CountyTableProblem, FileProblems
from sim.county_table.read import RawTable
from sim.county_table.schema import COUNT_COLUMNS, DEGREE_HEADERS, KNOWN_COLUMNS
from sim.county_table.school_table import (
    SchoolTableError,
    format_number,
    is_missing,
    location_problems,
    parse_number,
    parse_numbers,
    validate_school_table,
)
from sim.standards import NUMERIC_COLUMNS, TIERS
from sim.vocabulary import LEVELS

__all__ = ["KEY_SCHOOL_CHOICES", "NO_TEACHER_MESSAGE", "SchoolFacts", "check_schools"]

NO_TEACHER_MESSAGE = (
    "must be >= 1: a school row has pupils (students > 0), so it needs a teacher; got 0 (a "
    "teaching point whose teachers are counted with its central school: give it the teachers "
    "who teach there)")
"""The problem of a row with pupils and ``teachers = 0`` (the model would give its pupils no
teacher, and its indicators per teacher would be undefined)."""


_CHINESE_CHOICES = {"level": "小学 or 初中", "tier": "城区, 镇区 or 乡村"}


@dataclass
class SchoolFacts:
    """What the extra tables are checked against: one entry per valid (school_id, level)."""

    rows: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    levels: dict[str, list[str]] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)  # every id of the school table
    broken: set[str] = field(default_factory=set)  # ids with a row of unusable level
    tiers: set[str] = field(default_factory=set)
    file: str = ""
    has_teachers: bool = False
    has_mid_title: bool = False


def check_schools(raw: RawTable) -> tuple[pd.DataFrame | None, SchoolFacts,
                                           list[CountyTableProblem]]:
    """Check the school table: (the validated table or None, its facts, its problems)."""
    facts = SchoolFacts(file=raw.file)
    if raw.frame is None:
        return None, facts, []
    probs = FileProblems(raw.file, raw.headers)
    df = drop_total_and_footer_rows(raw).copy()
    explained: set[tuple[int, str]] = set()
    normalise_text_ids(df)
    normalise_levels(df, raw, probs, explained)
    normalise_tiers(df, raw)
    clean_numbers(df, NUMERIC_COLUMNS, raw)
    apply_units(df, raw, probs)
    _one_coordinate(raw, probs)
    degrees = _degree_columns(raw, probs)

    # whole-number counts (validate_school_table allows fractions), held as exact whole
    # numbers (12.0000000001 -> 12), so that the model's year 0 has exactly these counts
    ids = row_ids(df)
    for c in COUNT_COLUMNS:
        if c not in df.columns:
            continue
        set_column(df, c, _whole_counts(df, c, probs, explained, ids))

    key = _key_school_flags(df, probs, ids) if "key_school" in df.columns else None

    known = [c for c in KNOWN_COLUMNS["schools"] if c in df.columns]
    header_line = raw.info["header_line"] or 1
    table = None
    try:
        table = validate_school_table(df[known], source=raw.file, lines=list(df.index))
    except SchoolTableError as exc:
        for p in exc.problems:
            if (p.line, p.column) in explained:
                continue
            line = header_line if p.line == 1 else p.line
            if p.column is None and p.message.startswith("the table has no data rows"):
                line = None
            message = p.message
            if p.line == 1 and p.column:
                message += missing_hint(p.column, raw)
            elif p.column in _CHINESE_CHOICES and message.startswith("must be one of"):
                message += f" ({_CHINESE_CHOICES[p.column]})"
            probs.add(line, p.column, message, p.school_id)
    if table is not None and degrees:
        _degrees_to_km(table, probs)
    if table is not None and key is not None:
        table["key_school"] = key.reindex(table.index).to_numpy(dtype=bool)

    # facts for the cross-table checks: rows whose id and level are usable (first of each)
    facts.has_teachers = "teachers" in df.columns
    facts.has_mid_title = "teachers_mid_title" in df.columns
    if "school_id" in df.columns and "level" in df.columns:
        numbers = {c: _numbers_or_none(df[c].tolist()) if c in df.columns else [None] * len(df)
                   for c in _FACT_COLUMNS}
        tiers = df["tier"].tolist() if "tier" in df.columns else [None] * len(df)
        for i, (line, sid, lv) in enumerate(zip(df.index, df["school_id"].tolist(),
                                                df["level"].tolist(), strict=True)):
            if is_missing(sid):
                continue
            facts.ids.add(sid)
            if lv not in LEVELS:
                facts.broken.add(sid)
            if lv not in LEVELS or (sid, lv) in facts.rows:
                continue
            entry: dict[str, Any] = {"line": line}
            for c in _FACT_COLUMNS:
                entry[c] = numbers[c][i]
            facts.rows[(sid, lv)] = entry
            facts.levels.setdefault(sid, []).append(lv)
            if tiers[i] in TIERS:
                facts.tiers.add(tiers[i])
    if problems := probs.items:
        return None, facts, problems
    return table, facts, []


#: the counts of a school row that the extra tables are checked against
_FACT_COLUMNS = ("students", "teachers", "teachers_above_required_qualification",
                 "pe_arts_teachers", "teachers_mid_title")


def _numbers_or_none(cells: list) -> list:
    """Each cell as :func:`parse_number` reads it, None where it is not a number."""
    numbers = parse_numbers(cells)
    if numbers is not None:
        return numbers.tolist()
    out = []
    for v in cells:
        x, err = parse_number(v)
        out.append(x if err is None else None)
    return out


def _whole_counts(df: pd.DataFrame, c: str, probs: FileProblems, explained: set,
                  ids: list) -> list:
    """Count column ``c`` with its whole numbers held exactly (``12.0000000001`` -> 12.0)
    and the other cells as they are; a problem for each count that is not a whole number
    and for no teacher (or no pupil) in a row (``validate_school_table`` says what else is
    wrong with a cell)."""
    cells = df[c].tolist()
    whole = list(cells)
    numbers = parse_numbers(cells)
    if numbers is not None and (numbers >= 0).all():  # every cell a number >= 0
        rounded = np.round(numbers) + 0.0  # (round(-0.0) is 0)
        fine = (np.abs(numbers - rounded) <= 1e-9 * np.maximum(1.0, np.abs(numbers))) \
            & (rounded != 0)
        for i, x in zip(np.flatnonzero(fine).tolist(), rounded[fine].tolist(), strict=True):
            whole[i] = x
        check = np.flatnonzero(~fine).tolist()
    else:
        check = range(len(cells))
    for i in check:
        line = df.index[i]
        x, err = parse_number(cells[i])
        if err is not None or x < 0:
            continue  # validate_school_table says why
        if not is_whole(x):
            probs.add(line, c, count_message(x), ids[i])
        elif round(x) == 0 and (c == "teachers" or (c == "students" and x > 0)):
            probs.add(line, c, NO_TEACHER_MESSAGE if c == "teachers" else
                      f"must be > 0 (a school row needs pupils); got {format_number(x)}",
                      ids[i])
            explained.add((line, c))
        else:
            whole[i] = float(round(x))
    return whole


KEY_SCHOOL_CHOICES = "0 (not a key school) or 1 (a key school, 重点/名校)"
"""The allowed values of the ``key_school`` column, as problems name them."""


def _key_school_flags(df: pd.DataFrame, probs: FileProblems, ids: list) -> pd.Series:
    """The ``key_school`` column as bools indexed by line; a problem for each cell that is not
    0 or 1 and for a school whose rows disagree (a nine-year school is one school)."""
    flags = pd.Series(False, index=df.index, dtype=bool)
    first: dict[str, int] = {}
    for i, (line, v) in enumerate(zip(df.index, df["key_school"], strict=True)):
        x, err = parse_number(clean_number(v))
        if err is not None or x not in (0.0, 1.0):
            got = "an empty cell" if is_missing(v) else repr(cell_text(v))
            probs.add(line, "key_school", f"must be {KEY_SCHOOL_CHOICES}; got {got}", ids[i])
            continue
        flags[line] = x == 1.0
        sid = ids[i]
        if is_missing(sid):
            continue
        j = first.setdefault(sid, i)
        if flags.iat[j] != flags.iat[i]:
            probs.add(line, "key_school", f"{int(flags.iat[i])} differs from "
                      f"{int(flags.iat[j])} given for the same school_id on line "
                      f"{df.index[j]}: a nine-year school is one school, so both its rows "
                      "give the same value", sid)
    return flags


def _one_coordinate(raw: RawTable, probs: FileProblems) -> None:
    """A problem if the table gives one of x and y but not the other (the one given would be
    dropped and the schools placed at random)."""
    given = [c for c in ("x", "y") if c in raw.headers]
    if len(given) == 1:
        other = "y" if given == ["x"] else "x"
        probs.add(raw.info["header_line"], given[0], f"the table has {given[0]} but no "
                  f"{other}: a school's place needs both (x and y in km, or 经度 and 纬度 in "
                  "degrees); give both, or neither (schools are then placed by tier)")


def _degree_columns(raw: RawTable, probs: FileProblems) -> bool:
    """Whether x/y are longitude/latitude in degrees (a problem if only one of them is)."""
    deg = {c: header_key(raw.headers[c]) in {header_key(h) for h in DEGREE_HEADERS[c]}
           for c in ("x", "y") if c in raw.headers}
    if not any(deg.values()):
        return False
    if len(deg) == 2 and all(deg.values()):
        return True
    c = next(c for c, d in deg.items() if d)
    probs.add(raw.info["header_line"], c, "longitude/latitude (经度/纬度) must come as a pair; "
              "give both, or x and y in km")
    return False


_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON_EQUATOR = 111.320


def _degrees_to_km(table: pd.DataFrame, probs: FileProblems) -> None:
    lon, lat = table["x"].to_numpy(float), table["y"].to_numpy(float)
    bad = False
    for c, vals, lim in (("x", lon, 180.0), ("y", lat, 90.0)):
        for line, v in zip(table.index, vals, strict=True):
            if abs(v) > lim:
                probs.add(line, c, f"not a {'longitude' if c == 'x' else 'latitude'} in "
                          f"degrees: {format_number(v)}", table.at[line, "school_id"])
                bad = True
    if bad or not len(table):
        return
    lon0, lat0 = float(lon.mean()), float(lat.mean())
    table["x"] = (lon - lon0) * _KM_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0))
    table["y"] = (lat - lat0) * _KM_PER_DEG_LAT
    for c in ("x", "y"):
        for i, message in location_problems(table[c].to_numpy(float), c):
            line = table.index[i]
            probs.add(line, c, f"(from {'longitude' if c == 'x' else 'latitude'}) {message}",
                      table.at[line, "school_id"])

