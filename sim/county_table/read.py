"""Reading a county's files: CSV (UTF-8, GBK/GB18030, UTF-16) or XLSX into cells under
normalised headers.

The file type is told from the content; the header is the row (of the first 10 non-blank
rows) naming the most known columns, so a title row above it is skipped; headers are matched
to English column names through the aliases of :mod:`sim.county_table.schema`. Nothing about
the values is checked here.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.county_table.cells import alias_index, cell_text, header_key, header_unit
from sim.county_table.problems import CountyTableError, CountyTableProblem
from sim.county_table.schema import HEADER_ALIASES, KNOWN_COLUMNS, TABLE_KINDS
from sim.evaluation import is_missing

__all__ = ["RawTable", "read_raw", "read_table"]


@dataclass
class RawTable:
    """A file read into rows of cells, before any checks of content.

    ``frame`` holds the cells under normalised headers, indexed by file line (None if the file
    could not be read); ``info`` its path, format, encoding, sheet and header line;
    ``headers`` and ``units`` what the header row wrote; ``notes`` what was normalised (the
    checks add theirs); ``problems`` why the file could not be read.
    """

    file: str
    frame: pd.DataFrame | None = None
    info: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # canonical -> header as written
    units: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[CountyTableProblem] = field(default_factory=list)


def _file_label(path, sheet) -> str:
    return f"{path}[{sheet}]" if sheet is not None else str(path)


def _decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding); raises ValueError with a message naming the line."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ValueError(f"broken UTF-16 text: {exc.reason}") from None
    try:
        return raw.decode("utf-8-sig"), ("utf-8-sig" if raw.startswith(codecs.BOM_UTF8)
                                         else "utf-8")
    except UnicodeDecodeError as utf8_exc:
        try:
            return raw.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            line = raw.count(b"\n", 0, utf8_exc.start) + 1
            raise ValueError(
                f"line {line}: neither UTF-8 nor GBK/GB18030 text (byte "
                f"0x{raw[utf8_exc.start]:02x}); save the table as CSV UTF-8 or as .xlsx"
            ) from None


def _delimiter(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            counts = {d: line.count(d) for d in (",", "\t", ";")}
            best = max(counts, key=lambda d: counts[d])
            return best if counts[best] else ","
    return ","


def _csv_rows(text: str) -> list[tuple[int, list]]:
    """(line, cells) of each row; raises ValueError for a CSV syntax error."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[tuple[int, list]] = []
    prev = 0
    try:
        for row in reader:
            start, prev = prev + 1, reader.line_num
            rows.append((start, list(row)))
    except csv.Error as exc:
        raise ValueError(f"line {reader.line_num}: CSV syntax error: {exc}") from None
    return rows


def _xlsx_rows(path: Path, sheet, raw: RawTable) -> list[tuple[int, list]] | None:
    try:
        import openpyxl
    except ImportError:
        raw.problems.append(CountyTableProblem(
            raw.file, None, None, "reading .xlsx workbooks needs the openpyxl package "
            "(pip install openpyxl), or save the sheet as CSV"))
        return None
    try:
        wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as exc:  # a third-party parser on an untrusted file: any failure
        raw.problems.append(CountyTableProblem(
            raw.file, None, None, f"not a readable .xlsx workbook ({type(exc).__name__}: "
            f"{exc}); save it again from Excel/WPS as .xlsx or CSV"))
        return None
    try:
        names = wb.sheetnames
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int) and not isinstance(sheet, bool):
            if not 0 <= sheet < len(names):
                raw.problems.append(CountyTableProblem(
                    raw.file, None, None, f"the workbook has no sheet number {sheet} "
                    f"(sheets: {', '.join(names)})"))
                return None
            ws = wb.worksheets[sheet]
        elif str(sheet) in names:
            ws = wb[str(sheet)]
        else:
            raw.problems.append(CountyTableProblem(
                raw.file, None, None, f"the workbook has no sheet {str(sheet)!r} "
                f"(sheets: {', '.join(names)})"))
            return None
        raw.info["sheet"] = ws.title
        if sheet is None and len(names) > 1:
            raw.notes.append(f"{raw.file}: read the first sheet {ws.title!r} of {len(names)} "
                             f"({', '.join(names)})")
        return [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)]
    finally:
        wb.close()


def _blank(cells: Sequence) -> bool:
    return all(is_missing(c) for c in cells)


def read_raw(path, sheet=None, kind: str = "schools") -> RawTable:
    """Read one file into a header-normalised frame of raw cells (problems collected)."""
    path = Path(path)
    raw = RawTable(_file_label(path, sheet))
    raw.info.update(path=str(path), format=None, encoding=None, sheet=None, header_line=None)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raw.problems.append(CountyTableProblem(
            raw.file, None, None, f"cannot read the file: {exc.strerror or exc}"))
        return raw
    if data.startswith(b"PK\x03\x04"):
        raw.info["format"] = "xlsx"
        rows = _xlsx_rows(path, sheet, raw)
        if rows is None:
            return raw
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raw.info["format"] = "xls"
        raw.problems.append(CountyTableProblem(
            raw.file, None, None, "old binary Excel workbook (.xls): save it as .xlsx "
            "(Excel/WPS: Save As > Excel Workbook) or as CSV UTF-8"))
        return raw
    else:
        raw.info["format"] = "csv"
        if sheet is not None:
            raw.problems.append(CountyTableProblem(
                raw.file, None, None, f"a sheet ({sheet!r}) was asked for, but the file is "
                "CSV text, not an .xlsx workbook"))
            return raw
        try:
            text, encoding = _decode(data)
            raw.info["encoding"] = encoding
            rows = _csv_rows(text)
        except ValueError as exc:
            raw.problems.append(CountyTableProblem(raw.file, None, None, str(exc)))
            return raw
        if encoding not in ("utf-8", "utf-8-sig"):
            raw.notes.append(f"{raw.file}: decoded as {encoding.upper()} (not UTF-8)")

    rows = [(line, cells) for line, cells in rows if not _blank(cells)]
    if not rows:
        raw.problems.append(CountyTableProblem(raw.file, None, None,
                                               "the file is empty (no header)"))
        return raw

    index = alias_index(HEADER_ALIASES[kind], KNOWN_COLUMNS[kind])

    def canonical(cell) -> str | None:
        return None if is_missing(cell) else index.get(header_key(cell_text(cell)))

    # header: the row (of the first 10) naming the most known columns
    scores = [sum(canonical(c) is not None for c in cells) for _, cells in rows[:10]]
    h = int(np.argmax(scores)) if max(scores) > 0 else 0
    header_line, header_cells = rows[h]
    raw.info["header_line"] = header_line
    if h:
        raw.notes.append(f"{raw.file}: header on line {header_line}; skipped "
                         f"{h} line{'s' if h > 1 else ''} above it (title)")
    body = rows[h + 1:]

    names: list[str] = []
    taken: dict[str, int] = {}
    renamed: list[str] = []
    ignored: list[str] = []
    for k, cell in enumerate(header_cells):
        written = cell_text(cell) if not is_missing(cell) else ""
        c = canonical(cell)
        if c is None:
            base = written or f"<column {k + 1}>"
            name, n = base, 1
            while name in taken or name in KNOWN_COLUMNS[kind]:
                n += 1
                name = f"{base}.{n}"
            if written:
                ignored.append(written)
            names.append(name)
            taken[name] = k
            continue
        if c in taken:
            first = header_cells[taken[c]]
            raw.problems.append(CountyTableProblem(
                raw.file, header_line, c, f"headers {cell_text(first)!r} and {written!r} both "
                f"give column {c!r}; keep one", None, None))
            name = f"{written}.dup{k + 1}"
            names.append(name)
            taken[name] = k
            continue
        names.append(c)
        taken[c] = k
        raw.headers[c] = written
        if written != c:
            renamed.append(f"{written} -> {c}")
        unit = header_unit(written)
        if unit is not None:
            raw.units[c] = unit
    if renamed:
        raw.notes.append(f"{raw.file}: headers read as " + ", ".join(renamed))
    if ignored:
        raw.notes.append(f"{raw.file}: ignored columns " + ", ".join(ignored))

    width = len(names)
    records, lines = [], []
    for line, cells in body:
        if len(cells) > width:
            extra = cells[width:]
            if not _blank(extra):
                raw.problems.append(CountyTableProblem(
                    raw.file, line, None, f"row has {len(cells)} cells but the header has "
                    f"{width}"))
                continue
            cells = cells[:width]
        cells = [None if isinstance(c, str) and not c.strip() else c for c in cells]
        records.append(cells + [None] * (width - len(cells)))
        lines.append(line)
    frame = pd.DataFrame(records, columns=names, dtype=object,
                         index=pd.Index(lines, name="line", dtype="int64"))
    raw.frame = frame
    return raw


def read_table(path, *, sheet: str | int | None = None, kind: str = "schools") -> pd.DataFrame:
    """Read a CSV or XLSX table with normalised headers (see :mod:`sim.county_table`).

    ``kind`` selects the column names and aliases: ``"schools"`` (:data:`COLUMN_ALIASES`),
    ``"teachers"``, ``"grades"`` or ``"tiers"``. Returns the cells as read (text for CSV,
    Excel types for XLSX; empty cells ``None``), indexed by file line (index name
    ``"line"``), recognised columns under their English names and other columns under their
    header. ``frame.attrs`` holds ``file``, ``format`` (csv/xlsx), ``encoding`` (utf-8,
    utf-8-sig, gb18030, utf-16; None for XLSX), ``sheet``, ``header_line``, ``headers``
    (English name -> header as written), ``units`` and ``notes``. Nothing about the values
    is checked here. Raises :class:`CountyTableError` if the file cannot be read or two
    headers name the same column.
    """
    if kind not in TABLE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(TABLE_KINDS)}; got {kind!r}")
    raw = read_raw(path, sheet, kind)
    if raw.problems:
        raise CountyTableError(raw.problems)
    frame = raw.frame
    frame.attrs.update(file=raw.file, **raw.info, headers=dict(raw.headers),
                       units=dict(raw.units), notes=list(raw.notes))
    return frame

