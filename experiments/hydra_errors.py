"""Hydra's own errors, said as every other user mistake is: exit 2, one message naming the
field and its allowed values or range.

Hydra composes an app's configuration before the app's function runs, so a wrong type
(``years=abc``), a key that does not exist (``nosuchkey=1``), a config-group option that
does not exist (``region=nonexistent``) or an override it cannot parse never reach the
app's own checks; Hydra prints its text and exits 1. :func:`run_app` runs a ``@hydra.main``
function so that these errors come back to it instead (Hydra's documented
``HYDRA_FULL_ERROR`` switch makes it re-raise them) and turns each into one line such as::

    edusim: years: 'abc' is not an integer; allowed range [0, 500] years
    edusim: region: there is no option 'nonexistent'; the options are county_l, default, file, tiny
    edusim: nosuchkey: there is no such setting (settings at the top level: seed, years, ...)

An error Hydra means to show as one line (a ``CompactHydraException`` raised by a job, such
as a failed design trial) is printed as that line, with exit code 1 as Hydra does.

:func:`describe` does the translation; the sweep's up-front check
(:mod:`experiments.callbacks`) uses it for the jobs it composes, so a mistake reads the same
in a single run and in a sweep.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sim.schema import ByTier, per_tier_problem
from sim.vocabulary import TIER_NAMES

__all__ = ["as_typed", "describe", "field_meta", "run_app"]

#: OmegaConf's type names in its conversion errors, as a user reads them
_TYPE_WORDS = {"Integer": "an integer", "Float": "a number", "Boolean": "true or false",
               "String": "a string", "int": "an integer", "float": "a number",
               "bool": "true or false", "str": "a string", "list[float]": "a list of numbers",
               "dict[str, list[float]]": "a mapping of tier names (urban, town, rural) to "
                                         "lists of numbers"}


def run_app(prog: str, app: Callable[[], Any], schema: type | None = None) -> Any:
    """Run the ``@hydra.main`` function ``app``; a Hydra composition or override error
    ends the process with exit code 2 and the one line :func:`describe` makes of it,
    prefixed by ``prog`` (the command the user typed)."""
    from hydra.errors import CompactHydraException, HydraException
    from omegaconf.errors import OmegaConfBaseException

    os.environ.setdefault("HYDRA_FULL_ERROR", "1")  # Hydra re-raises instead of exit 1
    try:
        return app()
    except (HydraException, OmegaConfBaseException) as err:
        if _composition_error(err):
            print(f"{prog}: {describe(err, schema)}", file=sys.stderr)
            sys.exit(2)
        if isinstance(err, CompactHydraException):  # an error meant as one line (exit 1,
            print(str(err).strip(), file=sys.stderr)  # as Hydra prints it)
            sys.exit(1)
        raise


def _composition_error(err: BaseException) -> bool:
    """Whether ``err`` is an error of composing the configuration or reading the overrides
    (not an error raised by a running job, which the app reports itself)."""
    from hydra.errors import (
        ConfigCompositionException,
        MissingConfigException,
        OverrideParseException,
    )
    from omegaconf.errors import OmegaConfBaseException

    return isinstance(err, (ConfigCompositionException, MissingConfigException,
                            OverrideParseException, OmegaConfBaseException))


def _holds_a_search(cause: BaseException | None) -> bool:
    """Whether OmegaConf refused to store one of Hydra's parsed searches (``{k: interval(a,
    b)}`` in an override makes an ``IntervalSweep`` object inside the mapping)."""
    from hydra.core.override_parser.types import Sweep

    kind = getattr(cause, "object_type", None)
    return isinstance(kind, type) and issubclass(kind, Sweep)


def _key_with_a_search() -> str:
    """The key of the first command-line override whose mapping or list holds a search (the
    setting :func:`_holds_a_search` is about), else ``an override``."""
    for arg in sys.argv[1:]:
        key, _, value = arg.partition("=")
        if value[:1] in "{[" and value and any(f"{w}(" in value
                                                for w in ("choice", "interval", "range")):
            return key.lstrip("+~")
    return "an override"


def describe(err: BaseException, schema: type | None = None) -> str:
    """One line naming the field (or config group) of a Hydra composition error ``err``
    and what is allowed there; ``schema`` (the app's structured-config dataclass) supplies
    the allowed ranges and the names of the settings."""
    from hydra.errors import MissingConfigException, OverrideParseException
    from omegaconf.errors import (
        ConfigAttributeError,
        ConfigKeyError,
        OmegaConfBaseException,
        ValidationError,
    )

    if isinstance(err, MissingConfigException) and err.missing_cfg_file:
        group, _, option = str(err.missing_cfg_file).rpartition("/")
        if group and err.options is not None:
            options = ", ".join(sorted(err.options)) or "(none)"
            return f"{group}: there is no option '{option}'; the options are {options}"
        return f"there is no config '{err.missing_cfg_file}'"
    if isinstance(err, OverrideParseException):
        first = str(err).strip().splitlines()[0] if str(err).strip() else "syntax error"
        key, _, value = str(getattr(err, "override", "") or "").partition("=")
        if (key and value[:1] not in ("", "[", "{", "'", '"')
                and (not value.isascii() or " " in value or "=" in value)):
            return (f"{key.lstrip('+~')}: the value {value!r} could not be read ({first}); a "
                    "value with spaces, Chinese characters or = must be quoted: "
                    f"\"{key}='{value}'\" (double quotes for the shell, single ones for "
                    "Hydra)")
        return (f"an override could not be read ({first}); overrides are key=value, "
                "e.g. years=10 region=tiny +policies.teacher_rotation.rate=0.1")
    cause = _omegaconf_cause(err)
    text = str(err).strip()
    if _holds_a_search(cause):
        return (f"{_key_with_a_search()}: a search (choice(...), interval(...) or range(...)) "
                "inside a mapping or list cannot be a setting's value; give each searched "
                "setting as its own argument (edusim-design learning.persistence='interval(0.1,"
                "0.5)'), or quote the search there (\"interval(0.1,0.5)\"); a sweep lists "
                "values: KEY=A,B,C")
    if cause is not None and getattr(cause, "full_key", None):
        key = str(cause.full_key)
        meta, ftype = field_meta(schema, key)
        allowed = _allowed(meta, ftype)
        if isinstance(cause, (ConfigAttributeError, ConfigKeyError)):
            if key.startswith("policies.") and key.count(".") == 1:
                return _policy_not_on(key, text)
            return f"{key}: there is no such setting{_known(schema, key)}"
        if isinstance(cause, ValidationError):
            msg = str(getattr(cause, "msg", "") or cause).splitlines()[0]
            if "is not Optional" in msg:
                return f"{key}: a value is required (not null){allowed}"
            if ftype == "ByTier":  # one value where the setting has one per tier
                return per_tier_problem(key, cause.value, meta)
            wanted = msg.rsplit("converted to ", 1)[-1].strip() if "converted to" in msg else ""
            if not wanted and ftype:
                wanted = ftype.split("|")[0].strip()
            words = _TYPE_WORDS.get(wanted, f"of type {wanted}" if wanted else "valid")
            return f"{key}: {cause.value!r} is not {words}{allowed}"
        return f"{key}: {str(cause).splitlines()[0]}{allowed}"
    if text.startswith("Could not append to config. An item is already at"):
        key = text.split("'")[1]
        return (f"{key}: already set in the configuration; drop the leading + "
                f"({key}=VALUE) to change it")
    if text.startswith("Could not delete from config."):
        key = text.split("'")[1] if "'" in text else "?"
        return f"{key}: cannot be removed (~{key}): there is no such setting{_known(schema, key)}"
    if text.startswith("Could not override '"):
        key = text.split("'")[1]
        return f"{key}: there is no such setting{_known(schema, key)}"
    if isinstance(err, OmegaConfBaseException) and getattr(err, "full_key", None):
        return f"{err.full_key}: {str(err).splitlines()[0]}"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return "; ".join(lines[:3]) if lines else type(err).__name__


def _omegaconf_cause(err: BaseException) -> Any:
    """The first OmegaConf error with a ``full_key`` in ``err``'s chain of causes."""
    from omegaconf.errors import OmegaConfBaseException

    seen = set()
    node: BaseException | None = err
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        if isinstance(node, OmegaConfBaseException) and getattr(node, "full_key", None):
            return node
        node = node.__cause__ or node.__context__
    return None


def as_typed(values: dict[str, Any], overrides: Sequence[str],
             schema: type | None) -> dict[str, Any]:
    """``values`` (a run's composed settings) with each integer that ``overrides`` give to a
    true/false setting of ``schema`` put back as typed: OmegaConf turns ``figures=2`` into
    true and ``progress=0`` into false, so the checks would not see the mistake that a
    sweep's job, composed from the same words, is refused for."""
    import copy

    from hydra.core.override_parser.overrides_parser import OverridesParser

    out = values
    for o in OverridesParser.create().parse_overrides(list(overrides)):
        if o.is_delete() or o.is_sweep_override():
            continue
        value, key = o.value(), o.key_or_group
        if (not isinstance(value, int) or isinstance(value, bool)
                or field_meta(schema, key)[1].split("|")[0].strip() != "bool"):
            continue
        out = copy.deepcopy(out) if out is values else out
        *parents, last = key.split(".")
        node = out
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node[last] = value
    return out


def field_meta(schema: type | None, key: str) -> tuple[dict[str, Any], str]:
    """The metadata (unit, lo, hi, choices: see :func:`sim.schema.param`) and the type text
    of the field at the dotted ``key`` of the dataclass ``schema``; ({}, "") if there is
    none."""
    node: Any = schema
    meta: dict[str, Any] = {}
    ftype = ""
    for part in key.split("."):
        if meta and node is None:  # an entry of a mapping field: its value's type
            inner = ftype[:-1].rpartition(",")[2].strip() if ftype.startswith(
                "dict[") else ftype
            return meta, inner
        if node is None or not dataclasses.is_dataclass(node):
            return {}, ""
        if isinstance(node, ByTier) and part in TIER_NAMES:  # one tier of a tiered value
            return meta, "float"
        fields = {f.name: f for f in dataclasses.fields(node)}
        if part not in fields:
            return {}, ""
        f = fields[part]
        meta, ftype = dict(f.metadata), str(f.type)
        default = (f.default_factory() if f.default_factory is not dataclasses.MISSING
                   else f.default)
        node = default if dataclasses.is_dataclass(default) else None
        if ftype.startswith("dict[") and node is None:
            meta = meta or {"unit": ""}
    return meta, ftype


def _allowed(meta: dict[str, Any], ftype: str) -> str:
    from sim.schema import range_text

    if meta.get("choices"):
        return f"; allowed: {range_text(meta)}"
    if meta.get("lo") is not None or meta.get("hi") is not None:
        kind = ("an integer" if ftype.startswith("int") else "numbers, each"
                if ftype.startswith(("list", "dict")) else "a number")
        return f"; allowed: {kind} in {range_text(meta)}"
    if ftype.startswith("bool"):
        return "; allowed: true or false"
    return ""


def _policy_not_on(key: str, text: str) -> str:
    """The message for a policy's setting given without the leading ``+`` (or for a
    policy that does not exist): ``text`` is Hydra's error, which quotes the override."""
    from sim.policies import POLICIES

    name = key.split(".", 1)[1]
    if name not in POLICIES:
        return (f"{key}: there is no such policy (the policies: "
                f"{', '.join(sorted(POLICIES))})")
    typed = text.rsplit(" use ", 1)[1].strip() if " use +" in text else f"+{key}={{}}"
    return (f"{key}: this policy is not switched on; switch it on with a leading + "
            f"({typed}) or with +policy={name}")


def _known(schema: type | None, key: str) -> str:
    """`` (settings of PARENT: a, b, c; did you mean x?)`` for an unknown ``key``."""
    parent, _, leaf = key.rpartition(".")
    node: Any = schema
    for part in parent.split(".") if parent else []:
        if node is None or not dataclasses.is_dataclass(node):
            node = None
            break
        f = {f.name: f for f in dataclasses.fields(node)}.get(part)
        if f is None:
            return f" ('{parent}' is not a section of the configuration either)"
        default = (f.default_factory() if f.default_factory is not dataclasses.MISSING
                   else f.default)
        node = default if dataclasses.is_dataclass(default) else None
    if node is None or not dataclasses.is_dataclass(node):
        return ""
    names = [f.name for f in dataclasses.fields(node)]
    where = f"of {parent}" if parent else "at the top level"
    close = difflib.get_close_matches(leaf, names, n=1)
    hint = f"; did you mean {(parent + '.') if parent else ''}{close[0]}?" if close else ""
    return f" (settings {where}: {', '.join(names)}{hint})"
