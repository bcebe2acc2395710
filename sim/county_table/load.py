"""Loading a county: read every file, check the school table, then the extra tables
against it (and, for a simulation, what the model needs: :func:`simulation_problems`), and
return the :class:`CountyTable` or raise one :class:`CountyTableError` with every problem of
every file, in file order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.county_table.extra_tables import check_grades, check_teachers, check_tiers
from sim.county_table.problems import CountyTableError, CountyTableProblem
from sim.county_table.read import RawTable, read_raw
from sim.county_table.schema import TABLE_KINDS
from sim.county_table.schools import check_schools
from sim.standards import TIERS
from sim.vocabulary import LEVELS

__all__ = ["CANNOT_SIMULATE", "CountyTable", "load_county_table", "simulation_problems"]

CANNOT_SIMULATE = "cannot be simulated (edusim region=file)"
"""How a problem that only the simulation has with a table begins."""


def simulation_problems(levels: Iterable[str], file: str) -> list[CountyTableProblem]:
    """What keeps a valid school table (the distinct ``levels`` of its rows) from being
    simulated: the model needs at least one school teaching primary grades and one teaching
    junior grades, since every pupil moves on from grade 6 to grade 7 inside the county and
    each pupil lives in the zone of a primary school. The official tests can still judge the
    rows present (``edusim-evaluate``). A county whose schools are all teaching points (under
    50 pupils) is simulated; its official tests are then not assessable."""
    present = set(levels)
    if not present:
        return [CountyTableProblem(file, None, None, f"{CANNOT_SIMULATE}: the table has no "
                                   "school row")]
    out = []
    for level, other, grades in (("primary", "junior", "1-6"), ("junior", "primary", "7-9")):
        if level not in present and other in present:
            out.append(CountyTableProblem(
                file, None, "level",
                f"{CANNOT_SIMULATE}: the table has no {level} row; the model needs at least "
                f"one school teaching grades {grades} ({level} or nine-year), since pupils "
                f"move from grade 6 to grade 7 within the county; edusim-evaluate can still "
                f"test the {other} rows"))
    return out



@dataclass
class CountyTable:
    """A county's validated tables (see :mod:`sim.county_table`).

    ``schools`` is the school table as :func:`~sim.county_table.validate_school_table`
    returns it (English columns, level/tier normalised, numbers as float, indexed by file line),
    plus ``key_school`` (bool) when the table has that column.
    ``teachers`` has ``school_id, level`` and the given breakdown columns (int), one row per
    school row in the order of ``schools``; ``grades`` has ``school_id, grade_1..grade_9``
    (int; 0 for the grades of a level the school does not have), **one row per school** (a
    nine-year school's grades 1-6 are its primary row's pupils, 7-9 its junior row's), in the
    order of ``schools``; ``tiers`` has ``tier`` and the given columns, in the order urban,
    town, rural. ``source``
    maps each table (``schools``, ``teachers``, ...) to its file, format, encoding, sheet and
    header line; ``notes`` says what was normalised.
    """

    schools: pd.DataFrame
    teachers: pd.DataFrame | None = None
    grades: pd.DataFrame | None = None
    tiers: pd.DataFrame | None = None
    source: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        s = self.schools
        by_level = s["level"].value_counts()
        by_tier = s["tier"].value_counts()
        nine = int((s.groupby("school_id")["level"].nunique() == 2).sum())
        out = [f"{len(s)} school rows ({s['school_id'].nunique()} schools, {nine} nine-year): "
               + ", ".join(f"{int(by_level.get(lv, 0))} {lv}" for lv in LEVELS)
               + "; " + ", ".join(f"{int(by_tier.get(t, 0))} {t}" for t in TIERS)]
        if "key_school" in s.columns:
            key = s.loc[s["key_school"].astype(bool), "school_id"].nunique()
            out.append(f"key schools: {key} of {s['school_id'].nunique()} (key_school column; "
                       "edusim region=file uses them instead of drawing key schools)")
        for kind, info in self.source.items():
            fmt = info["format"] + (f", {info['encoding']}" if info.get("encoding") else "") \
                + (f", sheet {info['sheet']!r}" if info.get("sheet") else "")
            out.append(f"{kind}: {info['file']} ({fmt})")
        return "\n".join(out)


def load_county_table(path, *, teachers_path=None, grades_path=None, tiers_path=None,
                      sheets: Mapping[str, str | int | None] | None = None,
                      simulate: bool = False) -> CountyTable:
    """Read, normalise and check a county's tables (see :mod:`sim.county_table`).

    ``sheets`` names the XLSX sheet of each table (keys ``schools``, ``teachers``,
    ``grades``, ``tiers``; default, or None: the first sheet that has the table's required
    header, else the first sheet), so one workbook can hold all of them. ``simulate`` adds
    what the model needs of a county (:func:`simulation_problems`), as ``edusim
    region=file`` and ``edusim-check-county`` check it. Raises one :class:`CountyTableError`
    listing every problem of every file (unreadable files included).
    """
    sheets = {k: v for k, v in (sheets or {}).items() if v is not None}
    unknown = set(sheets) - set(TABLE_KINDS)
    if unknown:
        raise ValueError(f"sheets: unknown table(s) {sorted(unknown)}; known: "
                         f"{', '.join(TABLE_KINDS)}")
    paths = {"schools": path, "teachers": teachers_path, "grades": grades_path,
             "tiers": tiers_path}
    raws = {k: read_raw(p, sheets.get(k), k) for k, p in paths.items() if p is not None}
    problems: list[CountyTableProblem] = []
    for r in raws.values():
        problems.extend(r.problems)

    schools, facts, found = check_schools(raws["schools"])
    problems.extend(found)
    if simulate and facts.rows:  # (without usable rows, the school table's problems say why)
        problems.extend(simulation_problems({lv for _, lv in facts.rows}, raws["schools"].file))
    checkers = {"teachers": check_teachers, "grades": check_grades, "tiers": check_tiers}
    results: dict[str, pd.DataFrame | None] = {}
    for kind, check in checkers.items():
        if kind in raws:
            results[kind], found = check(raws[kind], facts)
            problems.extend(found)
    if problems:
        raise CountyTableError(sorted(problems, key=_problem_order(raws)))
    source = {k: {"file": r.file, **r.info} for k, r in raws.items()}
    notes = [n for r in raws.values() for n in r.notes]
    return CountyTable(schools, results.get("teachers"), results.get("grades"),
                       results.get("tiers"), source, notes)


def _problem_order(raws: Mapping[str, RawTable]):
    """Sort key: file (schools first), line (file-wide problems first), column in the file."""
    files = {r.file: k for k, r in enumerate(raws.values())}
    columns = {r.file: {c: k for k, c in enumerate(r.frame.columns)}
               for r in raws.values() if r.frame is not None}

    def key(p: CountyTableProblem):
        first = (p.column or "").split("+")[0].split("..")[0]
        return (files.get(p.file, 0), p.line or 0, columns.get(p.file, {}).get(first, 10**6))

    return key

