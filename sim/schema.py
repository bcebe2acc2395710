"""The parameter schema: how every configurable value is declared and checked.

A parameter is a dataclass field declared with :func:`param` (or :func:`tiered` for values
that differ between the urban, town and rural tiers), which records its unit, allowed range
(or choices), source and meaning in the field's metadata. :func:`validate_node` checks a
dataclass of such fields and collects one message per problem, naming the field and its
allowed range; :class:`ConfigError` carries them. The model's configuration
(:mod:`sim.config`) and every policy's parameters (:mod:`sim.policies`) are declared this way.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from sim.vocabulary import TIER_NAMES

__all__ = ["ByTier", "ConfigError", "check_number", "field_names", "param", "range_text",
           "tiered", "validate_node"]

TIERS = TIER_NAMES


class ConfigError(ValueError):
    """A configuration value is missing, of the wrong type, or out of its allowed range."""

    @classmethod
    def from_problems(cls, problems: list[str]) -> ConfigError:
        """One error listing every problem, a line each (the form every command prints)."""
        return cls("invalid configuration:\n  " + "\n  ".join(problems))

    def messages(self) -> list[str]:
        """The problems this error reports, one per line (the heading of a
        :meth:`from_problems` error left out; a single-problem error is its one line)."""
        lines = [line.strip() for line in str(self).splitlines() if line.strip()]
        return lines[1:] if lines and lines[0] == "invalid configuration:" else lines


def param(default: Any, unit: str = "", lo: float | None = None, hi: float | None = None,
          source: str = "assumption", doc: str = "", choices: tuple | None = None):
    """A config field with its unit, allowed range [lo, hi] (or ``choices``) and source."""
    meta = {"unit": unit, "lo": lo, "hi": hi, "source": source, "doc": doc, "choices": choices}
    return field(default=default, metadata=meta)


@dataclass
class ByTier:
    """One value per school tier (urban / town / rural)."""

    urban: float = 0.0
    town: float = 0.0
    rural: float = 0.0

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.urban, self.town, self.rural)


def tiered(urban: float, town: float, rural: float, unit: str = "", lo: float | None = None,
           hi: float | None = None, source: str = "assumption", doc: str = ""):
    """A :class:`ByTier` field; the range applies to each tier's value."""
    meta = {"unit": unit, "lo": lo, "hi": hi, "source": source, "doc": doc, "choices": None}
    return field(default_factory=lambda: ByTier(urban, town, rural), metadata=meta)


def field_names(node: Any) -> str:
    if dataclasses.is_dataclass(node):
        return ", ".join(f.name for f in dataclasses.fields(node))
    return ""


def range_text(meta: dict) -> str:
    if meta.get("choices"):
        return "one of " + ", ".join(map(str, meta["choices"]))
    lo, hi = meta.get("lo"), meta.get("hi")
    unit = f" {meta['unit']}" if meta.get("unit") else ""
    return f"[{lo}, {hi}]{unit}"


def check_number(path: str, value: Any, meta: dict, want_int: bool, problems: list[str]) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.append(f"{path}: expected a number in {range_text(meta)}, got {value!r}")
        return
    if want_int and not float(value).is_integer():
        problems.append(f"{path}: expected an integer in {range_text(meta)}, got {value!r}")
        return
    if isinstance(value, float) and not math.isfinite(value):
        problems.append(f"{path}: {value!r} is not finite; allowed range {range_text(meta)}")
        return
    lo, hi = meta.get("lo"), meta.get("hi")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        problems.append(f"{path}: {value!r} is outside the allowed range {range_text(meta)}")


def validate_node(node: Any, prefix: str, problems: list[str]) -> None:
    for f in dataclasses.fields(node):
        path = f"{prefix}{f.name}"
        value = getattr(node, f.name)
        meta = dict(f.metadata)
        ftype = str(f.type)
        if meta.get("policies"):
            continue  # checked by sim.policies.build_policies
        if isinstance(value, ByTier):
            for tier in TIERS:
                check_number(f"{path}.{tier}", getattr(value, tier), meta, False, problems)
        elif dataclasses.is_dataclass(value):
            validate_node(value, path + ".", problems)
        elif meta.get("choices"):
            if value not in meta["choices"]:
                problems.append(f"{path}: {value!r} is not allowed; expected {range_text(meta)}")
        elif isinstance(value, dict):
            for key, seq in value.items():
                for x in seq if isinstance(seq, (list, tuple)) else [seq]:
                    check_number(f"{path}.{key}", x, meta, False, problems)
        elif ftype.startswith("bool"):
            if not isinstance(value, bool):
                problems.append(f"{path}: expected true or false, got {value!r}")
        elif ftype.startswith("int") or ftype.startswith("float"):
            if value is None:
                if "None" not in ftype:
                    problems.append(f"{path}: a value is required ({range_text(meta)})")
                continue
            check_number(path, value, meta, ftype.startswith("int"), problems)
        elif ftype.startswith("str"):
            if value is None and "None" in ftype:
                continue
            if not isinstance(value, str):
                problems.append(f"{path}: expected a string, got {value!r}")
