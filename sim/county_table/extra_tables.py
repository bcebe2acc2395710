"""The extra tables of a county (teachers, grades, tiers): each checked on its own and
against the facts of the school table (:class:`~sim.county_table.schools.SchoolFacts`):
every id and level exists there, no row appears twice, every school row is covered, and the
counts agree.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.config import DemographyConfig
from sim.county_table.cells import cell_text, is_whole, nfkc, value_key
from sim.county_table.columns import (
    apply_units,
    clean_numbers,
    column_numbers,
    drop_total_and_footer_rows,
    normalise_levels,
    normalise_text_ids,
    normalise_tiers,
    require_columns,
    row_ids,
    set_column,
)
from sim.county_table.problems import FileProblems
from sim.county_table.read import RawTable
from sim.county_table.schema import (
    GRADE_COLUMNS,
    GRADE_VALUES,
    GRADES_OF,
    SHARE_COLUMNS,
    TEACHER_BREAKDOWNS,
    TEACHER_COLUMNS,
    TIER_TABLE_COLUMNS,
    TIER_TABLE_SETTINGS,
)
from sim.county_table.school_table import format_number, is_missing, parse_number
from sim.county_table.schools import SchoolFacts
from sim.standards import TIERS
from sim.vocabulary import LEVELS

__all__ = ["check_grades", "check_teachers", "check_tiers"]


def _ids_and_levels(df, probs: FileProblems, facts: SchoolFacts, explained: set):
    """Check the school_id (and level) cells of an extra table against the school table.

    Returns ids and levels, ``None`` where a cell is bad or names no row of the school table.
    """
    ids = [None if is_missing(v) else v for v in row_ids(df)]
    levels: list[str | None] = [None] * len(df)
    for i, line in enumerate(df.index):
        if ids[i] is None:
            probs.add(line, "school_id", "missing value (empty cell)")
        elif facts.ids and ids[i] not in facts.ids:
            probs.add(line, "school_id", f"school_id {ids[i]!r} is not in the school table "
                      f"({facts.file})", ids[i])
            ids[i] = None
    if "level" in df.columns:
        for i, (line, v) in enumerate(zip(df.index, df["level"], strict=True)):
            if (line, "level") in explained:
                continue
            if is_missing(v):
                probs.add(line, "level", "missing value (empty cell)", ids[i])
            elif v not in LEVELS:
                probs.add(line, "level", f"must be one of primary, junior; got "
                          f"{cell_text(v)!r}", ids[i])
            else:
                levels[i] = v
                sid = ids[i]
                if sid is not None and sid in facts.levels and v not in facts.levels[sid]:
                    if sid not in facts.broken:  # else the school table's error says it
                        probs.add(line, "level", f"school {sid} has no {v} row in the school "
                                  f"table ({facts.file})", sid)
                    ids[i] = None
    return ids, levels


def _coverage(keys_seen: set, facts: SchoolFacts, probs: FileProblems,
              what: str) -> None:
    missing = [(k, e["line"]) for k, e in facts.rows.items() if k not in keys_seen]
    if missing:
        listed = ", ".join(f"{s} {lv} (line {ln})" for (s, lv), ln in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        probs.add(None, None, f"no {what} for {len(missing)} school row"
                  f"{'s' if len(missing) > 1 else ''} of the school table ({facts.file}): "
                  f"{listed}{more}")


def _duplicates(keys: Sequence, lines: Sequence[int], probs: FileProblems, column: str,
                describe) -> None:
    first: dict = {}
    for k, line in zip(keys, lines, strict=True):
        if k is None:
            continue
        if k in first:
            probs.add(line, column, f"duplicate row: {describe(k)} already on line {first[k]}",
                      k[0] if isinstance(k, tuple) else None)
        else:
            first[k] = line


def check_teachers(raw: RawTable, facts: SchoolFacts):
    """Check the teachers table against the school table: (the table or None, problems)."""
    if raw.frame is None:
        return None, []
    probs = FileProblems(raw.file, raw.headers)
    df = drop_total_and_footer_rows(raw).copy()
    explained: set = set()
    normalise_text_ids(df)
    normalise_levels(df, raw, probs, explained)
    clean_numbers(df, TEACHER_COLUMNS, raw)
    hl = raw.info["header_line"]
    if not require_columns(df, ("school_id", "level"), raw, probs):
        return None, probs.items
    given: dict[str, tuple[str, ...]] = {}
    for name, cols in TEACHER_BREAKDOWNS.items():
        have = [c for c in cols if c in df.columns]
        if have and len(have) < len(cols):
            lacking = [c for c in cols if c not in df.columns]
            probs.add(hl, lacking[0], f"the {name} breakdown is incomplete: "
                      f"{', '.join(have)} given but not {', '.join(lacking)} (give all of it, "
                      "0 where none)")
        elif have:
            given[name] = cols
    if not given and not probs.items:
        probs.add(hl, None, "no teacher counts: give at least one breakdown ("
                  + "; ".join(f"{n}: {', '.join(c)}" for n, c in TEACHER_BREAKDOWNS.items())
                  + ")")
    if len(df) == 0:
        probs.add(None, None, "the table has no data rows")
    ids, levels = _ids_and_levels(df, probs, facts, explained)
    vals = {c: column_numbers(df, c, probs, ids, count=True)
            for cols in given.values() for c in cols}
    keys = [(s, lv) if s is not None and lv is not None else None
            for s, lv in zip(ids, levels, strict=True)]
    _duplicates(keys, list(df.index), probs, "school_id",
                lambda k: f"school_id {k[0]} with level {k[1]}")

    # sums and agreement with the school table
    for i, line in enumerate(df.index):
        key = keys[i]
        fact = facts.rows.get(key) if key is not None else None
        totals = {}
        for name, cols in given.items():
            parts = [vals[c][i] for c in cols]
            if not any(math.isnan(p) for p in parts):
                totals[name] = int(sum(parts))
        if fact is None:
            continue
        col = {name: "+".join(cols) for name, cols in given.items()}
        if facts.has_teachers and fact["teachers"] is not None:
            for name, t in totals.items():
                if t != fact["teachers"]:
                    probs.add(line, col[name], f"the {name} counts sum to {t} but the school "
                              f"table gives teachers = {format_number(fact['teachers'])} "
                              f"({facts.file} line {fact['line']})", key[0])
        elif not facts.has_teachers and len(set(totals.values())) > 1:
            probs.add(line, None, "the breakdowns give different totals: " + ", ".join(
                f"{n} {t}" for n, t in totals.items()), key[0])
        _teacher_identities(vals, i, line, key, fact, facts, given, probs)
    _coverage({k for k in keys if k is not None}, facts, probs, "teachers row")
    if probs.items:
        return None, probs.items
    out = pd.DataFrame({"school_id": ids, "level": levels})
    for cols in given.values():
        for c in cols:
            out[c] = vals[c].astype("int64")
    order = {k: n for n, k in enumerate(facts.rows)}  # the school table's order
    out = out.iloc[sorted(range(len(out)), key=lambda r: order.get(keys[r], len(order)))]
    return out.reset_index(drop=True), []


def _teacher_identities(vals, i, line, key, fact, facts, given, probs) -> None:
    def total(cols):
        parts = [vals[c][i] for c in cols]
        return None if any(math.isnan(p) for p in parts) else int(sum(parts))

    checks = []
    if "subject" in given:
        checks.append(("subject_pe_arts", ("subject_pe_arts",), "pe_arts_teachers"))
    if "qualification" in given:
        above = (("qual_zhuanke", "qual_bachelor", "qual_master") if key[1] == "primary"
                 else ("qual_bachelor", "qual_master"))
        checks.append(("+".join(above), above, "teachers_above_required_qualification"))
    if "title" in given and facts.has_mid_title:
        checks.append(("title_intermediate+title_senior",
                       ("title_intermediate", "title_senior"), "teachers_mid_title"))
    for label, cols, school_col in checks:
        t, ref = total(cols), fact.get(school_col)
        if t is not None and ref is not None and t != ref:
            probs.add(line, label, f"sums to {t} but the school table gives {school_col} = "
                      f"{format_number(ref)} ({facts.file} line {fact['line']})", key[0])


def check_grades(raw: RawTable, facts: SchoolFacts):
    """Check the grades table against the school table: (one row per school or None,
    problems)."""
    if raw.frame is None:
        return None, []
    probs = FileProblems(raw.file, raw.headers)
    df = drop_total_and_footer_rows(raw).copy()
    explained: set = set()
    normalise_text_ids(df)
    normalise_levels(df, raw, probs, explained)
    hl = raw.info["header_line"]
    grade_cols = [c for c in GRADE_COLUMNS if c in df.columns]
    long = "grade" in df.columns
    if long and grade_cols:
        probs.add(hl, "grade", "give the grades either as columns grade_1..grade_9 or as "
                  "rows (grade, students), not both")
        return None, probs.items
    if not long and not grade_cols:
        probs.add(hl, None, "no grade columns: give grade_1..grade_9 (一年级..九年级) or the "
                  "columns grade and students")
        return None, probs.items
    if not require_columns(df, ("school_id", "students") if long else ("school_id",), raw, probs):
        return None, probs.items
    if not long:  # a level's grade columns come whole
        used = {lv for _, lv in facts.rows} or set(LEVELS)
        for lv in LEVELS:
            cols = [f"grade_{g}" for g in GRADES_OF[lv]]
            lacking = [c for c in cols if c not in df.columns]
            if lacking and (len(lacking) < len(cols) or lv in used):
                probs.add(hl, lacking[0], f"columns missing for the {lv} grades: "
                          f"{', '.join(lacking)}")
        if probs.items:
            return None, probs.items
    clean_numbers(df, grade_cols + (["students"] if long else []), raw)
    if len(df) == 0:
        probs.add(None, None, "the table has no data rows")
    ids, levels = _ids_and_levels(df, probs, facts, explained)
    has_level = "level" in df.columns

    pupils: dict[tuple[str, str], dict[int, int]] = {}  # (school_id, level) -> grade -> n
    where: dict[tuple[str, str], list[int]] = {}  # the lines they came from
    broken: set[tuple[str, str]] = set()  # a bad cell: no sum check
    keys: list[tuple | None] = []  # duplicate detection

    def take(sid, lv, g, x, line):
        key = (sid, lv)
        where.setdefault(key, []).append(line)
        if math.isnan(x):
            broken.add(key)
        else:
            pupils.setdefault(key, {})[g] = int(x)

    if long:
        counts = column_numbers(df, "students", probs, ids, count=True)
        for i, (line, v) in enumerate(zip(df.index, df["grade"], strict=True)):
            g = _grade(v)
            if g is None:
                probs.add(line, "grade", "missing value (empty cell)" if is_missing(v) else
                          f"must be a grade 1-9 (一年级..九年级); got {cell_text(v)!r}", ids[i])
            lv = None if g is None else ("primary" if g <= 6 else "junior")
            if g is not None and has_level and levels[i] is not None and levels[i] != lv:
                probs.add(line, "level", f"grade {g} is a {lv} grade, not {levels[i]}", ids[i])
                lv = None
            sid = ids[i]
            if sid is not None and lv is not None and sid in facts.levels \
                    and lv not in facts.levels[sid]:
                if sid not in facts.broken:
                    probs.add(line, "grade", f"grade {g} is a {lv} grade but school {sid} has "
                              f"no {lv} row in the school table ({facts.file})", sid)
                lv = None
            if sid is None or lv is None:
                keys.append(None)
                continue
            keys.append((sid, g))
            take(sid, lv, g, counts[i], line)
        _duplicates(keys, list(df.index), probs, "grade",
                    lambda k: f"school_id {k[0]} with grade {k[1]}")
    else:
        vals = {c: column_numbers(df, c, probs, ids, count=True, allow_missing=True)
                for c in grade_cols}
        for i, line in enumerate(df.index):
            sid = ids[i]
            if sid is None or (has_level and levels[i] is None):
                keys.append(None)
                continue
            keys.append((sid, levels[i]) if has_level else (sid,))
            if has_level:
                row_levels = [levels[i]]
            elif sid in facts.levels and sid not in facts.broken:
                row_levels = facts.levels[sid]
            else:  # unknown levels: nothing to check against
                continue
            for c in grade_cols:
                g = int(c.removeprefix("grade_"))
                lv = "primary" if g <= 6 else "junior"
                x, cell = vals[c][i], df[c].iat[i]
                if lv in row_levels:
                    if is_missing(cell):
                        probs.add(line, c, "missing value (empty cell)", sid)
                    take(sid, lv, g, np.nan if is_missing(cell) else x, line)
                elif not math.isnan(x) and x > 0:
                    why = (f"this is a {levels[i]} row" if has_level else
                           f"school {sid} has no {lv} row in the school table ({facts.file})")
                    probs.add(line, c, f"grade {g} is a {lv} grade but {why}; leave it empty "
                              "or 0", sid)
        _duplicates(keys, list(df.index), probs, "school_id",
                    lambda k: f"school_id {k[0]}" + (f" with level {k[1]}" if len(k) > 1
                                                     else ""))
    dup_ids = {k[0] for k in keys if k is not None and keys.count(k) > 1}

    for key, lines in where.items():
        fact = facts.rows.get(key)
        if key in broken or key[0] in dup_ids or fact is None or fact["students"] is None:
            continue
        total = sum(pupils.get(key, {}).values())
        if total != fact["students"]:
            lines = sorted(set(lines))
            span = f"line {lines[0]}" if len(lines) == 1 else f"lines {lines[0]}-{lines[-1]}"
            g0, g1 = GRADES_OF[key[1]][0], GRADES_OF[key[1]][-1]
            probs.add(lines[0], "students" if long else f"grade_{g0}..grade_{g1}",
                      f"grades {g0}-{g1} of {key[0]} ({span}) sum to {total} but the school "
                      f"table gives students = {format_number(fact['students'])} for its {key[1]} "
                      f"row ({facts.file} line {fact['line']})", key[0])
    _coverage(set(where), facts, probs, "grades")
    if probs.items:
        return None, probs.items
    rows = []
    for sid, levels_of in facts.levels.items():  # one row per school, in table order
        by_grade = {g: n for lv in levels_of for g, n in pupils.get((sid, lv), {}).items()}
        rows.append({"school_id": sid, **{f"grade_{g}": by_grade.get(g, 0) for g in range(1, 10)}})
    out = pd.DataFrame(rows, columns=["school_id", *GRADE_COLUMNS])
    return out.astype({c: "int64" for c in GRADE_COLUMNS}), []


def _grade(v) -> int | None:
    if is_missing(v):
        return None
    k = value_key(v)
    if k in GRADE_VALUES:
        return GRADE_VALUES[k]
    x, err = parse_number(v)
    return round(x) if err is None and is_whole(x) and 1 <= x <= 9 else None


def check_tiers(raw: RawTable, facts: SchoolFacts):
    """Check the tiers table against the school table's tiers: (the table or None, problems)."""
    if raw.frame is None:
        return None, []
    probs = FileProblems(raw.file, raw.headers)
    df = drop_total_and_footer_rows(raw).copy()
    normalise_tiers(df, raw)
    given = [c for c in TIER_TABLE_COLUMNS if c in df.columns]
    if not require_columns(df, ("tier",), raw, probs):
        return None, probs.items
    if not given:
        probs.add(raw.info["header_line"], None, "no tier values: give any of "
                  + ", ".join(TIER_TABLE_COLUMNS))
    if len(df) == 0:
        probs.add(None, None, "the table has no data rows")
    clean_numbers(df, given, raw)
    apply_units(df, raw, probs)  # a (%) header; "35%" cells are left to _percent
    for c in SHARE_COLUMNS:
        if c in df.columns:
            set_column(df, c, [_percent(v) for v in df[c]])
    tiers: list[str | None] = []
    for line, v in zip(df.index, df["tier"], strict=True):
        if is_missing(v):
            probs.add(line, "tier", "missing value (empty cell)")
            tiers.append(None)
        elif v not in TIERS:
            probs.add(line, "tier", f"must be one of {', '.join(TIERS)} (城区, 镇区, 乡村); got "
                      f"{cell_text(v)!r}")
            tiers.append(None)
        else:
            tiers.append(v)
    no_ids = [None] * len(df)
    vals = {}
    for c in given:
        lo, hi, note = tier_value_range(c)
        vals[c] = column_numbers(df, c, probs, no_ids, count=False, low=lo, high=hi,
                                 range_note=note)
    _duplicates([(t,) if t else None for t in tiers], list(df.index), probs, "tier",
                lambda k: f"tier {k[0]}")
    missing = sorted(facts.tiers - {t for t in tiers if t}, key=TIERS.index)
    if missing:
        probs.add(None, "tier", f"no row for tier {', '.join(missing)}, which the school "
                  f"table ({facts.file}) uses")
    if probs.items:
        return None, probs.items
    out = pd.DataFrame({"tier": tiers, **vals})
    out = out.sort_values("tier", key=lambda s: s.map(TIERS.index), kind="stable")
    return out.reset_index(drop=True), []


def tier_value_range(column: str) -> tuple[float, float, str]:
    """The allowed range of a tiers-table column: that of the ``demography`` setting it sets
    (:data:`TIER_TABLE_SETTINGS`), and the words that explain it in a problem."""
    meta = {f.name: f.metadata for f in dataclasses.fields(DemographyConfig)}[
        TIER_TABLE_SETTINGS[column]]
    lo, hi = float(meta["lo"]), float(meta["hi"])
    if column in SHARE_COLUMNS:
        return lo, hi, (" (a share in [0, 1]; write a percentage as 35% or put (%) in the "
                        "header)")
    return lo, hi, (f" (allowed: [{format_number(lo)}, {format_number(hi)}] {meta['unit']}, "
                    f"the range of demography.{TIER_TABLE_SETTINGS[column]})")


def _percent(v):
    if isinstance(v, str):
        s = nfkc(v)
        if s.endswith("%"):
            x, err = parse_number(s[:-1])
            return v if err is not None else x / 100.0
    return v

