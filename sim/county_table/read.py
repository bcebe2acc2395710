"""Reading a county's files: CSV (UTF-8, GBK/GB18030, UTF-16) or XLSX into cells under
normalised headers.

The file type is told from the content; the header is the row (of the first 10 non-blank
rows) naming the most known columns, so a title row above it is skipped; headers are matched
to English column names through the aliases of :mod:`sim.county_table.schema`. A workbook's
sheet is the one named, else the first sheet whose header names every column the table
cannot do without (:data:`~sim.county_table.schema.REQUIRED_HEADER`; a cover page or a notes
sheet before it is passed over and the notes say which sheet was read), else the first sheet
whose header names the most known columns (so the error lists what that sheet lacks).
A file or sheet without any known header is one problem that names the sheet read and the
workbook's sheets. Nothing about the values is checked here.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.county_table.cells import alias_index, cell_text, header_key, header_unit
from sim.county_table.problems import CountyTableError, CountyTableProblem
from sim.county_table.schema import (
    HEADER_ALIASES,
    KNOWN_COLUMNS,
    MAX_SCHOOLS,
    MAX_TABLE_BYTES,
    MAX_TABLE_UNPACKED,
    REQUIRED_HEADER,
    TABLE_KINDS,
)
from sim.county_table.school_table import is_missing

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
        text = raw.decode("utf-8-sig")
        if not raw.startswith(codecs.BOM_UTF8) and _implausible(text):
            try:  # GBK text whose bytes happen to be valid UTF-8 ("小学" -> "Сѧ")
                gbk = raw.decode("gb18030")
            except UnicodeDecodeError:
                gbk = None
            if gbk is not None and _implausible(gbk) < _implausible(text):
                return gbk, "gb18030"
        return text, ("utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8")
    except UnicodeDecodeError as utf8_exc:
        try:
            return raw.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            line = raw.count(b"\n", 0, utf8_exc.start) + 1
            raise ValueError(
                f"line {line}: neither UTF-8 nor GBK/GB18030 text (byte "
                f"0x{raw[utf8_exc.start]:02x}); save the table as CSV UTF-8 or as .xlsx"
            ) from None


def _plausible(ch: str) -> bool:
    """Whether a character is one a Chinese county table writes: ASCII, Latin with accents
    (², °, pinyin tones), general punctuation (— “ ”), CJK ideographs and punctuation,
    full-width forms; not Greek, Cyrillic and the like, which a GBK file misread as UTF-8
    gives."""
    o = ord(ch)
    return (o < 0x250 or 0x2000 <= o < 0x2070 or 0x2E80 <= o < 0xA000
            or 0xF900 <= o < 0xFB00 or 0xFE30 <= o < 0xFF00 or 0xFF00 <= o < 0xFFF0)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _implausible(text: str) -> int:
    """How many characters of ``text`` a Chinese county table would not write."""
    if text.isascii():
        return 0
    return sum(not _plausible(ch) for ch in _NON_ASCII.findall(text))


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


HEADER_ROWS = 10
"""The header is looked for among this many first non-blank rows."""

_LABEL = {"schools": "school", "teachers": "teachers", "grades": "grades", "tiers": "tiers"}

SHEET_HINT = ("name the sheet that holds the table: --sheet NAME (edusim-evaluate, "
              "edusim-check-county) or region.sheet=NAME (edusim region=file; quote a "
              "Chinese name for Hydra: \"region.sheet='学校'\")")


def _header_choice(rows: Sequence[tuple[int, list]], canonical) -> tuple[int, set[str]]:
    """(position of the header row among ``rows``, the known columns it names): the row of
    the first :data:`HEADER_ROWS` naming the most known columns (0 if none names any)."""
    found = [{c for c in map(canonical, cells) if c is not None}
             for _, cells in rows[:HEADER_ROWS]]
    if not found:
        return 0, set()
    h = int(np.argmax([len(f) for f in found]))
    return h, found[h]


def _sheet_rows(ws, path: Path) -> list[tuple[int, list]]:
    """The rows of a sheet of the workbook ``path`` read with ``data_only`` (each formula as
    the value the workbook saved for it), numbered from 1; a formula the workbook holds no
    value for is its text (``=B2*2``, which the checks name), not an empty cell."""
    rows = [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)]
    if any(c is None for _, r in rows for c in r) and _has_formulas(path):
        import openpyxl

        formulas = openpyxl.load_workbook(path, read_only=True)[ws.title]
        for (_, r), f in zip(rows, formulas.iter_rows(values_only=True), strict=False):
            for j, c in enumerate(f[:len(r)]):
                if r[j] is None and isinstance(c, str) and c.startswith("="):
                    r[j] = c
    return rows


def _unpacked_size(path: Path) -> int:
    """The bytes the workbook ``path`` unpacks to, as its zip directory gives them (the zip
    reader stops at each part's given size); 0 for a file that is no zip (openpyxl says
    why)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            return sum(i.file_size for i in z.infolist())
    except (OSError, zipfile.BadZipFile):
        return 0


def _has_formulas(path: Path) -> bool:
    """Whether a sheet of the workbook ``path`` holds a formula (an ``<f>`` element in its
    XML): only then is the second, formula-reading pass of :func:`_sheet_rows` needed."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            return any(b"<f" in z.read(n) for n in z.namelist()
                       if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def _xlsx_rows(path: Path, sheet, raw: RawTable, kind: str,
               canonical) -> list[tuple[int, list]] | None:
    try:
        import openpyxl
    except ImportError:
        raw.problems.append(CountyTableProblem(
            raw.file, None, None, "reading .xlsx workbooks needs the openpyxl package "
            "(pip install openpyxl), or save the sheet as CSV"))
        return None
    unpacked = _unpacked_size(path)
    if unpacked > MAX_TABLE_UNPACKED:
        raw.problems.append(CountyTableProblem(
            raw.file, None, None, f"the workbook unpacks to {unpacked / 2**20:,.0f} MiB, more "
            f"than the {MAX_TABLE_UNPACKED // 2**20} MiB a county table may (a workbook of "
            f"{MAX_SCHOOLS:,} nine-year schools unpacks to about 7 MB): is it the right file?"))
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
        raw.info["sheets"] = list(names)
        if sheet is None:
            ws, rows, best = wb.worksheets[0], None, 0
            required = set(REQUIRED_HEADER[kind])
            for k, candidate in enumerate(wb.worksheets):
                cand_rows = _sheet_rows(candidate, path)
                body = [(i, r) for i, r in cand_rows if not _blank(r)]
                found = _header_choice(body, canonical)[1]
                if len(found) > best:  # without a complete header: the most complete one
                    ws, rows, best = candidate, cand_rows, len(found)
                if required <= found:
                    ws, rows = candidate, cand_rows
                    if len(names) > 1:  # problems name the sheet read
                        raw.file = _file_label(path, ws.title)
                    if k:
                        raw.notes.append(
                            f"{raw.file}: read sheet {ws.title!r}, the first whose header has "
                            f"the {_LABEL[kind]} table's columns (sheets: {', '.join(names)})")
                    break
            raw.info["sheet"] = ws.title
            raw.info["sheet_chosen"] = False
            if len(names) > 1:
                raw.file = _file_label(path, ws.title)
            if ws is wb.worksheets[0] and len(names) > 1:
                raw.notes.append(f"{raw.file}: read the first sheet {ws.title!r} of "
                                 f"{len(names)} ({', '.join(names)})")
            return rows if rows is not None else _sheet_rows(ws, path)
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
        raw.info["sheet_chosen"] = True
        return _sheet_rows(ws, path)
    finally:
        wb.close()


def _blank(cells: Sequence) -> bool:
    return all(is_missing(c) for c in cells)


def read_raw(path, sheet=None, kind: str = "schools") -> RawTable:
    """Read one file into a header-normalised frame of raw cells (problems collected)."""
    path = Path(path)
    raw = RawTable(_file_label(path, sheet))
    raw.info.update(path=str(path), format=None, encoding=None, sheet=None, header_line=None)
    index = alias_index(HEADER_ALIASES[kind], KNOWN_COLUMNS[kind])

    def canonical(cell) -> str | None:
        return None if is_missing(cell) else index.get(header_key(cell_text(cell)))

    try:
        with path.open("rb") as f:  # at most one byte more than a table may have
            data = f.read(MAX_TABLE_BYTES + 1)
    except OSError as exc:
        raw.problems.append(CountyTableProblem(
            raw.file, None, None, f"cannot read the file: {exc.strerror or exc}"))
        return raw
    if len(data) > MAX_TABLE_BYTES:
        raw.problems.append(CountyTableProblem(
            raw.file, None, None, f"the file is larger than {MAX_TABLE_BYTES // 2**20} MiB, "
            f"the most a county table may be (a table of {MAX_SCHOOLS:,} nine-year schools with "
            "every column is about 1 MB): is it the right file?"))
        return raw
    if data.startswith(b"PK\x03\x04"):
        raw.info["format"] = "xlsx"
        rows = _xlsx_rows(path, sheet, raw, kind, canonical)
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

    # header: the row (of the first 10) naming the most known columns
    h, found = _header_choice(rows, canonical)
    if not found:
        raw.problems.append(CountyTableProblem(raw.file, None, None, _no_header(raw, kind)))
        return raw
    missing = [c for c in REQUIRED_HEADER[kind] if c not in found]
    if missing and len(raw.info.get("sheets") or []) > 1:
        raw.problems.append(CountyTableProblem(raw.file, None, None, (
            f"{_sheet_read(raw)} lacks {len(missing)} of the {_LABEL[kind]} table's columns "
            f"(listed below); {SHEET_HINT}")))
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


def _sheet_read(raw: RawTable, header: bool = True) -> str:
    """Which sheet was read and why, and the workbook's sheets (for a problem); ``header``:
    whether the sheet has a header naming some of the table's columns."""
    sheets = raw.info.get("sheets") or []
    how = "the sheet named" if raw.info.get("sheet_chosen") else (
        "the only sheet" if len(sheets) < 2 else
        "no sheet's header has all the table's columns; this one names the most" if header
        else "the first sheet: no sheet has a header of the table")
    return (f"sheet {raw.info['sheet']!r} ({how}; the workbook's sheets: "
            f"{', '.join(repr(n) for n in sheets)})")


def _no_header(raw: RawTable, kind: str) -> str:
    """The problem of a file or sheet none of whose first rows names a known column."""
    need = ", ".join(REQUIRED_HEADER[kind])
    text = (f"no header found: none of the first {HEADER_ROWS} non-blank rows names a column "
            f"of the {_LABEL[kind]} table (it needs {need}; Chinese names: "
            "docs/county_tables.md)")
    sheets = raw.info.get("sheets") or []
    if len(sheets) > 1:
        return f"{_sheet_read(raw, header=False)}: {text}; {SHEET_HINT}"
    if sheets:
        return f"sheet {raw.info['sheet']!r}: {text}"
    return text
