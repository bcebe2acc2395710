"""Reading a school table for the official tests (format: :mod:`sim.evaluation`).

There is one reader and one validation of county tables, :mod:`sim.county_table`, shared by
``edusim-evaluate``, ``edusim-check-county`` and ``edusim region=file``: the file forms it
accepts (CSV in UTF-8, GBK or UTF-16, separated by commas, tabs or semicolons; XLSX, any
sheet), Chinese headers and values, whole-number counts and the size limits. This module
re-exports its school-table checks (:func:`validate_school_table` on a DataFrame, the cell
helpers, :class:`SchoolTableError`) under the evaluation's names and adds
:func:`load_school_table` and :class:`NoSchoolsError`.
"""

from __future__ import annotations

from sim.county_table import load_county_table
from sim.county_table.school_table import (
    SchoolTableError,
    TableProblem,
    cell_text,
    format_number,
    is_missing,
    parse_number,
    validate_school_table,
)

__all__ = [
    "NoSchoolsError",
    "NotAssessableError",
    "SchoolTableError",
    "TableProblem",
    "cell_text",
    "format_number",
    "is_missing",
    "load_school_table",
    "parse_number",
    "validate_school_table",
]


class NoSchoolsError(ValueError):
    """The table has no school to evaluate for the requested level."""


class NotAssessableError(NoSchoolsError):
    """The level has rows, but none with enough pupils to count: every school is a teaching
    point below :data:`sim.standards.MIN_STUDENTS` pupils, which the official tests leave
    out, so the county is *not assessable* for that level (a verdict, not a broken table)."""


def load_school_table(path, *, sheet: str | int | None = None):
    """Read and check a school table file exactly as every edusim tool does
    (:func:`sim.county_table.load_county_table`) and return its school table: the frame of
    :func:`validate_school_table`, indexed by file line (XLSX: sheet row). ``sheet`` names
    the XLSX sheet (default: the first sheet with the table's header). Raises
    :class:`sim.county_table.CountyTableError` (a ``ValueError``) listing every problem,
    unreadable files included."""
    return load_county_table(path, sheets=None if sheet is None else {"schools": sheet}).schools
