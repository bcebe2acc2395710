"""Text rules for headers and cells: how a header is matched and a value is read.

A header matches after Unicode NFKC folding, ignoring case, separators and bracketed parts
(:func:`header_key`); a bracketed unit at its end is read (:func:`header_unit`). Empty cells
and numbers follow the school-table format (:func:`~sim.county_table.school_table.is_missing`,
:func:`~sim.county_table.school_table.parse_number`), so that every table reads a cell the
same way and gives the same messages.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from sim.county_table.school_table import cell_text as school_cell_text
from sim.county_table.school_table import format_number

__all__ = [
    "alias_index",
    "cell_text",
    "clean_number",
    "count_message",
    "header_key",
    "header_unit",
    "id_text",
    "is_whole",
    "nfkc",
    "value_key",
]

_PARENS = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]")
_TRAILING_UNIT = re.compile(r"[(\[【]([^()\[\]【】]*)[)\]】]\s*$")
_IGNORED_CHARS = re.compile(r"[\s_\-~–—、·:：/,，]+")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def nfkc(s: str) -> str:
    """NFKC-folded (full-width characters), without a BOM, stripped."""
    return unicodedata.normalize("NFKC", s).replace("\ufeff", "").strip()


def header_key(header: str) -> str:
    """Matching key of a header: NFKC, lower case, without parenthesised parts and separators."""
    s = nfkc(header).lower()
    s = _PARENS.sub("", s)
    return _IGNORED_CHARS.sub("", s)


def header_unit(header: str) -> str | None:
    """The unit in brackets at the end of a header (``(万元)`` -> ``万元``), or None."""
    m = _TRAILING_UNIT.search(nfkc(header).lower().replace("²", "2"))
    return m.group(1).replace(" ", "") if m else None


def value_key(v) -> str:
    """Matching key of a level/tier/grade value: NFKC, lower case, without whitespace."""
    return re.sub(r"\s+", "", nfkc(school_cell_text(v)).lower())


def cell_text(v) -> str:
    """A cell as text, stripped (and without a BOM); Excel numbers without a spurious ``.0``."""
    if isinstance(v, str):
        return v.replace("\ufeff", "").strip()
    return school_cell_text(v)


def id_text(v) -> str:
    """A school id: text, NFKC-folded (full-width digits), ``2141012345.0`` -> ``2141012345``."""
    return nfkc(v) if isinstance(v, str) else school_cell_text(v)


def alias_index(aliases: Mapping[str, str], known: Sequence[str]) -> dict[str, str]:
    """Header key -> column: the ``known`` English names first, then the ``aliases``."""
    index = {header_key(c): c for c in known}
    for a, c in aliases.items():
        index.setdefault(header_key(a), c)
    return index


def count_message(x: float) -> str:
    """The problem of a count that is not a whole number."""
    return f"must be a whole number (a count); got {format_number(x)}"


def is_whole(x: float) -> bool:
    """Whether ``x`` is a whole number, up to rounding error."""
    return abs(x - round(x)) <= 1e-9 * max(1.0, abs(x))


def clean_number(v):
    """Fold full-width digits and drop thousands separators in a numeric text cell."""
    if not isinstance(v, str):
        return v
    s = nfkc(v)
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    return s

