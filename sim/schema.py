"""The parameter schema: how every configurable value is declared and checked.

A parameter is a dataclass field declared with :func:`param` (or :func:`tiered` for values
that differ between the urban, town and rural tiers), which records its unit, allowed range
(or choices), source and meaning in the field's metadata. :func:`validate_node` checks a
dataclass of such fields and collects one message per problem, naming the field and its
allowed range; :class:`ConfigError` carries them. The model's configuration
(:mod:`sim.config`) and every policy's parameters (:mod:`sim.policies`) are declared this way.

An uncertain parameter also declares its prior (``prior=``, a :class:`sim.priors.Prior`; for
a value per tier a relative prior moving the tiers together, or one prior per tier), or says
why it needs none (``no_prior=``: a switch, a cost, a size the user sets).
:func:`declared_priors` lists them and :func:`prior_overrides` turns a drawn value into the
overrides of a run.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass, field
from typing import Any

from sim.priors import Prior
from sim.vocabulary import TIER_NAMES

__all__ = ["ByTier", "ConfigError", "DeclaredPrior", "as_declared_number", "check_number",
           "collection", "declared_priors", "field_names", "param", "per_tier_problem",
           "prior_overrides", "prior_text", "range_text", "tiered", "validate_node"]

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
          source: str = "assumption", doc: str = "", choices: tuple | None = None,
          prior: Prior | None = None, no_prior: str = ""):
    """A config field with its unit, allowed range [lo, hi] (or ``choices``), source and,
    when uncertain, its prior (or the reason it has none)."""
    return field(default=default, metadata=_meta(unit, lo, hi, source, doc, choices, prior,
                                                 no_prior))


def collection(factory: Any, unit: str = "", doc: str = "", source: str = ""):
    """A config field holding a list or a mapping (``factory`` makes its default): its unit
    and meaning, no range and no prior."""
    return field(default_factory=factory,
                 metadata=_meta(unit, None, None, source, doc, None, None, ""))


def _meta(unit: str, lo: float | None, hi: float | None, source: str, doc: str,
          choices: tuple | None, prior: Prior | None, no_prior: str) -> dict[str, Any]:
    """The metadata every config field carries (what :func:`validate_node`, the help and
    the parameter docs read)."""
    return {"unit": unit, "lo": lo, "hi": hi, "source": source, "doc": doc, "choices": choices,
            "prior": prior, "no_prior": no_prior}


@dataclass
class ByTier:
    """One value per school tier (urban / town / rural)."""

    urban: float = 0.0
    town: float = 0.0
    rural: float = 0.0

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.urban, self.town, self.rural)


def tiered(urban: float, town: float, rural: float, unit: str = "", lo: float | None = None,
           hi: float | None = None, source: str = "assumption", doc: str = "",
           prior: Prior | dict[str, Prior] | None = None, no_prior: str = ""):
    """A :class:`ByTier` field; the range applies to each tier's value. Its prior is a
    relative one (every tier by one factor) or a dict of priors by tier."""
    meta = {"unit": unit, "lo": lo, "hi": hi, "source": source, "doc": doc, "choices": None,
            "prior": prior, "no_prior": no_prior}
    return field(default_factory=lambda: ByTier(urban, town, rural), metadata=meta)


@dataclass(frozen=True)
class DeclaredPrior:
    """One uncertain parameter: its dotted ``path`` (``teachers.attrition`` for a relative
    prior of a value per tier, ``teachers.attrition.rural`` for one tier), its prior, the
    default it was declared with, and its allowed range and unit."""

    path: str
    prior: Prior
    default: Any
    lo: float | None
    hi: float | None
    unit: str
    integer: bool = False

    def problems(self) -> list[str]:
        out = self.prior.problems(self.path, self.lo, self.hi, self.default)
        if isinstance(self.default, ByTier) and not self.prior.relative:
            out.append(f"{self.path} (prior): a value per tier takes a relative prior or one "
                       "prior per tier")
        return out


def declared_priors(node: Any, prefix: str = "") -> list[DeclaredPrior]:
    """Every prior declared in the dataclass ``node`` (a class or an instance) and the
    dataclasses nested in it, in field order; defaults are the declared ones."""
    cls = node if isinstance(node, type) else type(node)
    out: list[DeclaredPrior] = []
    for f in dataclasses.fields(cls):
        path = f"{prefix}{f.name}"
        meta = f.metadata
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            continue
        if dataclasses.is_dataclass(default) and not isinstance(default, ByTier):
            out += declared_priors(default, path + ".")
            continue
        prior = meta.get("prior")
        if prior is None:
            continue
        integer = str(f.type).startswith("int")
        if isinstance(prior, dict):
            for tier, p in prior.items():
                out.append(DeclaredPrior(f"{path}.{tier}", p, getattr(default, tier, None),
                                         meta.get("lo"), meta.get("hi"), meta.get("unit", "")))
        else:
            out.append(DeclaredPrior(path, prior, default, meta.get("lo"), meta.get("hi"),
                                     meta.get("unit", ""), integer))
    return out


def prior_text(meta: Any) -> str:
    """The prior column of the parameter tables: the distribution and its reason, ``none:``
    and the reason a parameter needs none, or "" when neither is declared."""
    p, unit = meta.get("prior"), meta.get("unit", "")
    if p is None:
        return f"none: {meta['no_prior']}" if meta.get("no_prior") else ""
    if isinstance(p, dict):
        return "; ".join(f"{tier}: {q.text(unit)} ({q.reason})" for tier, q in p.items())
    return f"{p.text(unit)} ({p.reason})"


def _clip(x: float, lo: float | None, hi: float | None) -> float:
    if lo is not None:
        x = max(x, lo)
    if hi is not None:
        x = min(x, hi)
    return x


def prior_overrides(d: DeclaredPrior, value: float, default: Any = None) -> dict[str, Any]:
    """Dotted overrides that set ``d``'s parameter to the drawn ``value`` (a factor of
    ``default`` — the value in force, the declared default when None — for a relative
    prior), clipped to the allowed range and rounded for integer parameters."""
    base = d.default if default is None else default
    if isinstance(base, ByTier):
        return {f"{d.path}.{tier}": _clip(getattr(base, tier) * value, d.lo, d.hi)
                for tier in TIERS}
    x = float(base) * value if d.prior.relative else float(value)
    x = _clip(x, d.lo, d.hi)
    return {d.path: int(round(x)) if d.integer else x}


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


def per_tier_problem(path: str, value: Any, meta: dict[str, Any]) -> str:
    """The message for a single value given to a setting with one value per tier."""
    each = (f"each a number in {range_text(meta)}" if meta.get("lo") is not None
            or meta.get("hi") is not None else "each a number")
    example = " ".join(f"{path}.{tier}={value}" for tier in TIERS)
    return (f"{path}: {value!r} is one value, but this setting has one per tier "
            f"({', '.join(TIERS)}); set them one by one, e.g. {example} ({each})")


def as_declared_number(value: Any, want_int: bool) -> Any:
    """``value`` as the number type its field declares, when that changes no value: numpy
    numbers as Python's, an integer given to a float field as that float, an integral
    float given to an integer field as that integer (what the command line's own
    conversion does). Anything else (a bool, a string, a fraction for an integer field)
    comes back unchanged, for :func:`check_number` to report."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return value
    try:
        if isinstance(value, numbers.Integral):
            return int(value) if want_int else float(value)
        x = float(value)
    except OverflowError:  # an integer beyond any float: its range check reports it
        return value
    return int(x) if want_int and x.is_integer() else x


def _section_type(f: dataclasses.Field) -> type | None:
    """The dataclass a field holds a group of settings of (e.g. ``EnrolmentConfig``), or None."""
    factory = f.default_factory
    if isinstance(factory, type) and dataclasses.is_dataclass(factory):
        return factory
    return None


def validate_node(node: Any, prefix: str, problems: list[str]) -> None:
    """Check every field of the dataclass ``node`` against its declared type and range (or
    choices), appending one message per problem to ``problems``, each naming the field
    (``prefix`` + name) and what it allows. A value of another type is a problem, never a
    crash later: one number where the setting has one per tier, a value in place of a group
    of settings, a mapping in place of a number.

    Numbers are brought to the type their field declares (:func:`as_declared_number`): a
    Python API call (``EducationModel(learning__vacancy_effect=-1)``, ``mesa.batch_run``
    with ``np.arange`` values) then runs as the command line would."""
    for f in dataclasses.fields(node):
        path = f"{prefix}{f.name}"
        value = getattr(node, f.name)
        meta = dict(f.metadata)
        ftype = str(f.type)
        kind = ftype.split("|")[0].strip()
        if meta.get("policies"):
            continue  # checked by sim.policies.build_policies
        if value is None:
            if "None" not in ftype:
                ranged = kind in ("int", "float", "ByTier") or meta.get("choices")
                problems.append(f"{path}: a value is required"
                                + (f" ({range_text(meta)})" if ranged else ""))
            continue
        section = _section_type(f)
        if kind == "ByTier":
            if not isinstance(value, ByTier):
                problems.append(per_tier_problem(path, value, meta))
                continue
            for tier in TIERS:
                given = getattr(value, tier)
                setattr(value, tier, as_declared_number(given, False))
                check_number(f"{path}.{tier}", _shown(given), meta, False, problems)
        elif section is not None:
            if not isinstance(value, section):
                problems.append(f"{path}: {value!r} is not one value but a group of settings "
                                f"({field_names(section)}); set them one by one, e.g. "
                                f"{path}.{dataclasses.fields(section)[0].name}=...")
                continue
            validate_node(value, path + ".", problems)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            validate_node(value, path + ".", problems)  # a group declared some other way
        elif meta.get("choices"):
            if not _is_choice(value, meta["choices"]):
                problems.append(f"{path}: {value!r} is not allowed; expected {range_text(meta)}")
        elif kind.startswith("dict"):
            _check_per_tier_lists(path, value, meta, problems)
        elif kind == "bool":
            if not isinstance(value, bool):
                problems.append(f"{path}: expected true or false, got {value!r}")
        elif kind in ("int", "float"):
            setattr(node, f.name, as_declared_number(value, kind == "int"))
            check_number(path, _shown(value), meta, kind == "int", problems)
        elif kind == "str":
            if not isinstance(value, str):
                problems.append(f"{path}: expected a string, got {value!r}")


def _shown(value: Any) -> Any:
    """``value`` as checked and quoted in a message: a Python number as the user gave it
    (``30``, not ``30.0``), a numpy number as Python's (``10``, not ``np.int64(10)``)."""
    if type(value) in (int, float) or not isinstance(value, numbers.Real):
        return value
    return as_declared_number(value, isinstance(value, numbers.Integral))


def _is_choice(value: Any, choices: tuple) -> bool:
    """Whether ``value`` is one of ``choices`` (an unhashable value is none of them)."""
    try:
        return value in choices
    except TypeError:
        return False


def _check_per_tier_lists(path: str, value: Any, meta: dict, problems: list[str]) -> None:
    """A mapping of tier names to lists of numbers (``finance.initial_stock``): its shape and
    every number's range (how many numbers each list holds is the owner's own check)."""
    if not isinstance(value, dict):
        problems.append(f"{path}: expected one list of numbers per tier ({', '.join(TIERS)}), "
                        f"each in {range_text(meta)}, got {value!r}")
        return
    for key, seq in value.items():
        if not isinstance(seq, (list, tuple)):
            problems.append(f"{path}.{key}: expected a list of numbers in {range_text(meta)}, "
                            f"got {seq!r}")
            continue
        value[key] = type(seq)(as_declared_number(x, False) for x in seq)
        for x in seq:
            check_number(f"{path}.{key}", _shown(x), meta, False, problems)
