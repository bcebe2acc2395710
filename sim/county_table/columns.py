"""What the checks of the four tables share: translating a column's values in place (ids,
levels, tiers, units, thousands separators), dropping total and footer rows, parsing a column
of numbers and requiring columns. Every problem goes to the file's
:class:`~sim.county_table.problems.FileProblems`, every change to its notes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.county_table.cells import (
    cell_text,
    clean_number,
    count_message,
    header_key,
    id_text,
    is_whole,
    nfkc,
    value_key,
)
from sim.county_table.problems import FileProblems
from sim.county_table.read import RawTable
from sim.county_table.schema import (
    FOOTER_PREFIXES,
    LEVEL_VALUES,
    NINE_YEAR_VALUES,
    TIER_VALUES,
    TOTAL_WORDS,
    UNIT_SCALES,
)
from sim.county_table.school_table import format_number, is_missing, parse_number

__all__ = [
    "apply_units",
    "clean_numbers",
    "column_numbers",
    "drop_total_and_footer_rows",
    "missing_hint",
    "missing_mask",
    "normalise_levels",
    "normalise_text_ids",
    "normalise_tiers",
    "remembered",
    "require_columns",
    "row_ids",
    "set_column",
]

_NINE_YEAR_MESSAGE = (
    "{value!r} is a type of school, not a level: the table has one row per school and level, "
    "so a nine-year school (九年一贯制) is two rows with the same school_id, one with level "
    "primary (小学) and one with level junior (初中), each with the counts of its section")
_LEVEL_HINTS = {
    "高中": "senior secondary (高中) is not compulsory education: leave those rows out",
    "完全中学": "a complete secondary school (完全中学) enters with its junior section only: "
                "level junior (初中)",
    "教学点": "a teaching point (教学点) is a primary row: level primary (小学)",
}


def missing_mask(values: Sequence) -> np.ndarray:
    """:func:`~sim.county_table.school_table.is_missing` of each cell, as a bool array."""
    return np.fromiter((not v.strip() if type(v) is str else is_missing(v) for v in values),
                       dtype=bool, count=len(values))


def remembered(f: Callable[[Any], str]) -> Callable[[Any], str]:
    """``f`` (a function of a cell giving text), remembering its result for each text cell
    (a column repeats few values); other cells are computed every time."""
    seen: dict[str, str] = {}

    def call(v):
        if type(v) is not str:
            return f(v)
        out = seen.get(v)
        if out is None:
            out = seen[v] = f(v)
        return out

    return call


def set_column(df: pd.DataFrame, column: str, values: Sequence) -> None:
    """Replace a column by ``values`` as they are (object dtype: no type inference)."""
    df[column] = pd.Series(list(values), index=df.index, dtype=object)


def drop_total_and_footer_rows(raw: RawTable) -> pd.DataFrame:
    """``raw.frame`` without its total rows and footer notes (each recorded in the notes)."""
    df = raw.frame
    if df is None or not len(df):
        return df
    drop = []
    columns = [df[c].tolist() for c in df.columns]
    filled = sum(~missing_mask(col) for col in columns)  # filled cells of each row
    marked = [columns[k] for k, c in enumerate(df.columns) if c in ("school_id", "name")]
    for i, line in enumerate(df.index):
        if filled[i] == 1:
            v = next(col[i] for col in columns if not is_missing(col[i]))
            if isinstance(v, str) and len(df.columns) > 1 \
                    and nfkc(v).lower().startswith(FOOTER_PREFIXES):
                drop.append(line)
                raw.notes.append(f"{raw.file}: dropped line {line} (a note: {nfkc(v)[:30]!r})")
                continue
        # a total row: a total word in school_id or name, and nothing else there
        marks = []
        for col in marked:
            m = value_key(col[i]) if not is_missing(col[i]) else ""
            if m and m not in TOTAL_WORDS:
                break
            marks.append(m)
        else:
            if any(m in TOTAL_WORDS for m in marks):
                drop.append(line)
                raw.notes.append(f"{raw.file}: dropped line {line} (a total row)")
    return df.drop(index=drop) if drop else df


def normalise_text_ids(df: pd.DataFrame) -> None:
    """School ids and names as text, in place (see :func:`~sim.county_table.cells.id_text`)."""
    if "school_id" in df.columns:
        set_column(df, "school_id",
                   [None if is_missing(v) else id_text(v) for v in df["school_id"]])
    if "name" in df.columns:
        set_column(df, "name", [None if is_missing(v) else cell_text(v) for v in df["name"]])


def normalise_levels(df: pd.DataFrame, raw: RawTable, probs: FileProblems,
                     explained: set) -> None:
    """Translate level values in place; nine-year and other known mistakes get a problem."""
    if "level" not in df.columns:
        return
    translated: dict[str, int] = {}
    out = []
    key_of, text_of = remembered(value_key), remembered(cell_text)
    for line, v, sid in zip(df.index, df["level"].tolist(),
                            df["school_id"].tolist() if "school_id" in df.columns
                            else [None] * len(df), strict=True):
        if is_missing(v):
            out.append(v)
            continue
        k = key_of(v)
        if k in LEVEL_VALUES:
            lv = LEVEL_VALUES[k]
            if text_of(v) != lv:
                translated[f"{text_of(v)} -> {lv}"] = translated.get(
                    f"{text_of(v)} -> {lv}", 0) + 1
            out.append(lv)
            continue
        if k in NINE_YEAR_VALUES or re.sub(r"[\s_\-]", "", k) in NINE_YEAR_VALUES:
            probs.add(line, "level", _NINE_YEAR_MESSAGE.format(value=text_of(v)), sid)
            explained.add((line, "level"))
        else:
            for word, hint in _LEVEL_HINTS.items():
                if word in k:
                    probs.add(line, "level", f"must be primary (小学) or junior (初中); got "
                              f"{text_of(v)!r}: {hint}", sid)
                    explained.add((line, "level"))
                    break
        out.append(v)
    set_column(df, "level", out)
    if translated:
        raw.notes.append(f"{raw.file}: level values " + ", ".join(
            f"{t} ({n} rows)" for t, n in translated.items()))


def normalise_tiers(df: pd.DataFrame, raw: RawTable) -> None:
    """Translate tier values in place (:data:`~sim.county_table.schema.TIER_VALUES`)."""
    if "tier" not in df.columns:
        return
    translated: dict[str, int] = {}
    out = []
    key_of, text_of = remembered(value_key), remembered(cell_text)
    for v in df["tier"].tolist():
        if not is_missing(v) and key_of(v) in TIER_VALUES:
            t = TIER_VALUES[key_of(v)]
            if text_of(v) != t:
                translated[f"{text_of(v)} -> {t}"] = translated.get(
                    f"{text_of(v)} -> {t}", 0) + 1
            v = t
        out.append(v)
    set_column(df, "tier", out)
    if translated:
        raw.notes.append(f"{raw.file}: tier values " + ", ".join(
            f"{t} ({n} rows)" for t, n in translated.items()))


def apply_units(df: pd.DataFrame, raw: RawTable, probs: FileProblems) -> None:
    """Convert the columns whose header gives a unit, in place; an unknown unit is a problem."""
    for c, unit in raw.units.items():
        if c not in UNIT_SCALES or c not in df.columns:
            continue
        scales = UNIT_SCALES[c]
        if unit not in scales:
            probs.add(raw.info["header_line"], c, f"unit {unit!r} not understood; use "
                      + " or ".join(repr(u) for u in scales))
            continue
        scale = scales[unit]
        if scale == 1.0:
            continue
        vals = []
        for v in df[c]:
            x, err = parse_number(v)
            vals.append(v if err is not None else round(x * scale, 6))
        set_column(df, c, vals)
        raw.notes.append(f"{raw.file}: column {c!r} given in {unit}, converted "
                         f"(x {format_number(scale)})")


def clean_numbers(df: pd.DataFrame, columns: Sequence[str], raw: RawTable) -> None:
    """Fold full-width digits and drop thousands separators in ``columns``, in place."""
    changed: list[str] = []
    clean = remembered(clean_number)
    for c in columns:
        if c not in df.columns:
            continue
        cells = df[c].tolist()
        if df[c].dtype == object and _plain_numbers(cells):
            continue  # nothing to fold or drop: the column stays as it is
        vals = list(map(clean, cells))
        if any(isinstance(a, str) and "," in a and "," not in b
               for a, b in zip(cells, vals, strict=True) if isinstance(b, str)):
            changed.append(c)
        set_column(df, c, vals)
    if changed:
        raw.notes.append(f"{raw.file}: thousands separators removed in "
                         + ", ".join(changed))


def _plain_numbers(cells: list) -> bool:
    """Whether every cell is ASCII text without a comma or whitespace, which
    :func:`~sim.county_table.cells.clean_number` leaves as it is."""
    if not all(type(v) is str for v in cells):
        return False
    chars = set("".join(cells))
    return all(ch.isascii() and ch != "," and not ch.isspace() for ch in chars)


def column_numbers(df: pd.DataFrame, c: str, probs: FileProblems, ids: Sequence, *, count: bool,
             low: float | None = 0.0, high: float | None = None, range_note: str = "",
             allow_missing: bool = False) -> np.ndarray:
    """Parse column ``c``; problems for bad cells; nan where bad or missing."""
    out = np.full(len(df), np.nan)
    for i, (line, v) in enumerate(zip(df.index, df[c], strict=True)):
        if allow_missing and is_missing(v):
            continue
        x, err = parse_number(v)
        if err is not None:
            probs.add(line, c, err, ids[i])
        elif low is not None and x < low:
            probs.add(line, c, f"must be >= {format_number(low)}; got "
                      f"{format_number(x)}{range_note}", ids[i])
        elif high is not None and x > high:
            probs.add(line, c, f"must be <= {format_number(high)}; got "
                      f"{format_number(x)}{range_note}", ids[i])
        elif count and not is_whole(x):
            probs.add(line, c, count_message(x), ids[i])
        else:
            out[i] = round(x) if count else x
    return out


def row_ids(df: pd.DataFrame) -> list:
    """The school id of each row (None for all without a ``school_id`` column)."""
    return list(df["school_id"]) if "school_id" in df.columns else [None] * len(df)


def require_columns(df: pd.DataFrame, columns: Sequence[str], raw: RawTable,
                    probs: FileProblems) -> bool:
    """Whether ``df`` has all ``columns``; a problem (on the header line) for each missing."""
    ok = True
    for c in columns:
        if c not in df.columns:
            probs.add(raw.info["header_line"] or 1, c, "required column is missing from "
                      "the header" + missing_hint(c, raw))
            ok = False
    return ok


def missing_hint(column: str, raw: RawTable) -> str:
    """A hint for a missing column when the header has a look-alike that is not it."""
    keys = {header_key(str(c)) for c in (raw.frame.columns if raw.frame is not None else [])}
    if column == "level" and keys & {header_key("办学类型"), header_key("学校类型")}:
        return (" (办学类型/school type is not 学段: give one row per school and level with "
                "学段 小学 or 初中)")
    if column == "building_area_m2" and keys & {header_key("校舍建筑面积"), header_key("校舍面积")}:
        return (" (校舍建筑面积 is the whole building area incl. offices and dormitories; the "
                "indicator uses 教学及辅助用房面积: rename the column if that is what it holds)")
    return ""

