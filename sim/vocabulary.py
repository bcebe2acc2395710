"""The county's vocabulary: codes and names of tiers and school levels, defined once.

Tiers (城区 urban district, 镇区 township centres, 乡村 villages) and school levels are
stored as small integer codes in the tables; their names are what configs, tables and
outputs use. Every module takes both from here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["JUNIOR", "LEVELS", "NINE_YEAR", "PRIMARY", "RURAL", "SCHOOL_TYPES", "TIER_NAMES",
           "TOWN", "URBAN", "one_of"]

#: tier codes (``schools.tier``)
URBAN, TOWN, RURAL = 0, 1, 2
#: tier names, indexed by code
TIER_NAMES: tuple[str, ...] = ("urban", "town", "rural")

#: school-type codes (``schools.level``): primary (grades 1–6), junior (7–9), nine-year (1–9)
PRIMARY, JUNIOR, NINE_YEAR = 0, 1, 2
#: school-type names, indexed by code
SCHOOL_TYPES: tuple[str, ...] = ("primary", "junior", "nine_year")
#: the two levels (sections) of compulsory education, indexed by section code (0, 1)
LEVELS: tuple[str, ...] = ("primary", "junior")


def one_of(values: np.ndarray, allowed) -> np.ndarray:
    """``np.isin(values, allowed)`` for a handful of ``allowed`` values (levels, tiers):
    one comparison per allowed value (np.isin costs about 50 µs a call whatever the size,
    and the yearly step asks such questions about the schools a dozen times)."""
    values = np.asarray(values)
    allowed = np.atleast_1d(np.asarray(allowed)).ravel()
    out = np.zeros(values.shape, dtype=bool)
    for v in allowed.tolist():
        out |= values == v
    return out
