"""Plausible ranges of the uncertain behavioural parameters (the sensitivity analysis's inputs).

Each entry of :data:`RANGES` names one model parameter by its dotted config name (tier values
as ``teachers.attrition.rural``, policy parameters as ``policies.teacher_rotation.NAME``), the
range ``[low, high]`` over which :mod:`experiments.calibration.sensitivity` varies it, a
short label for figures, and the reason for the range: the published interval behind the
default where ``sim/config/`` cites one, otherwise "assumption: …" with the factor used.

Every range lies inside the parameter's allowed range and contains its default
(``tests/test_sensitivity.py`` checks both). :func:`ranges_table` lists them with the
default, unit and the default's source as recorded in the schema::

    python -m experiments.calibration.ranges          # prints the table as Markdown
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sim.config import TIERS, ByTier, SimConfig

__all__ = ["RANGES", "Range", "by_name", "parameter_info", "problem", "ranges_table"]


@dataclass(frozen=True)
class Range:
    """One uncertain parameter: dotted name, plausible [low, high], figure label, reason."""

    name: str
    low: float
    high: float
    label: str
    reason: str


#: the uncertain behavioural parameters, in the order of the designs' columns
RANGES: tuple[Range, ...] = (
    Range("learning.persistence", 0.60, 0.85, "persistence",
          "the lagged-score coefficients 0.6-0.8 quoted in the schema (value-added models), "
          "plus a margin above the default 0.80"),
    Range("learning.teacher_effect_weight", 0.5, 1.5, "teacher weight",
          "assumption: ±50% around the default (how much of teacher value added is real "
          "learning rather than test-specific)"),
    Range("learning.peer_effect", 0.0, 0.06, "peer effect",
          "assumption: from none to twice the Gibbons & Telhaj estimate 0.03"),
    Range("learning.ses_effect", 0.025, 0.10, "SES effect",
          "assumption: half to twice the default 0.05 (no source in the schema)"),
    Range("learning.resource_effect", 0.0, 0.10, "resource effect",
          "assumption: from none to twice the default (only the direction is cited, "
          "Jackson, Johnson & Persico 2016)"),
    Range("learning.vacancy_effect", -0.20, -0.06, "vacancy effect",
          "assumption: about ±50% around the REAP estimate -0.13"),
    Range("teachers.skill_sd", 0.11, 0.15, "teacher skill SD",
          "the cited interval: Hanushek & Rivkin 2010, 0.11 (reading) to 0.15 (math)"),
    Range("teachers.novice_penalty", 0.06, 0.10, "novice penalty",
          "the cited interval 0.06-0.10 SD for first-year teachers (Rockoff 2004)"),
    Range("teachers.attrition.rural", 0.04, 0.12, "rural attrition",
          "assumption: ±50% around the default 0.08; doc 002 calls 5% a historic low"),
    Range("teachers.transfer_request.rural", 0.04, 0.12, "rural transfer requests",
          "assumption: ±50% around the default 0.08"),
    Range("teachers.transfer_skill_slope", 1.0, 4.0, "transfer skill slope",
          "assumption: half to twice the default 2.0 log-odds per SD"),
    Range("teachers.pay_semi_elasticity", 1.0, 4.0, "pay semi-elasticity",
          "assumption: half to twice the default 2.0"),
    Range("enrolment.choice_rate", 0.01, 0.15, "choice rate",
          "assumption: from nearly strict catchments (0.01; 0 is the limit) to three times "
          "the default 0.05 (doc 001: 择校风)"),
    Range("enrolment.choice_ses_slope", 0.4, 1.6, "choice SES slope",
          "assumption: half to twice the default 0.8"),
    Range("teachers.training_effect", 0.0, 0.003, "training effect",
          "from the null result of Loyalka et al. 2019 (the default) to the former assumption "
          "0.003 SD per 72 h"),
    Range("school_effects.persistent_sd", 0.10, 0.20, "school effect SD",
          "tuned to the between-school share (docs/calibration.md §0); the range the schema "
          "quotes"),
    Range("school_effects.key_effect", 0.0, 0.10, "key-school effect",
          "assumption: from none to twice the default 0.05"),
    Range("enrolment.district_move_rate", 0.0, 0.10, "school-district moves",
          "assumption: from none to five times the default 0.02"),
    Range("policies.teacher_rotation.refusal_base", 0.0, 0.15, "rotation refusal",
          "assumption: from no refusals to three times the default 0.05 (direction: doc 002, "
          "Guo et al. 2026)"),
)


def by_name() -> dict[str, Range]:
    return {r.name: r for r in RANGES}


def parameter_info(name: str) -> dict[str, Any]:
    """The schema's record of one dotted parameter: default, unit, allowed lo/hi, source,
    doc. Works for plain fields, tier values (``...attrition.rural``) and policy parameters
    (``policies.NAME.PARAM``); unknown names raise KeyError."""
    parts = name.split(".")
    if parts[0] == "policies":
        import sim.policies  # noqa: F401  (registers the built-in policies)
        from sim.policies.base import POLICIES

        if len(parts) != 3 or parts[1] not in POLICIES:
            raise KeyError(f"{name}: not a parameter of a registered policy")
        node: Any = POLICIES[parts[1]].Config()
        rest = parts[2:]
    else:
        node, rest = SimConfig(), parts
    for i, part in enumerate(rest):
        fields = {f.name: f for f in dataclasses.fields(node)} if dataclasses.is_dataclass(
            node) else {}
        if part not in fields:
            raise KeyError(f"{name}: unknown config field")
        f, value = fields[part], getattr(node, part)
        if isinstance(value, ByTier):
            if i != len(rest) - 2 or rest[-1] not in TIERS:
                raise KeyError(f"{name}: a tiered parameter needs .urban, .town or .rural")
            return _info(f, getattr(value, rest[-1]))
        if i == len(rest) - 1:
            if dataclasses.is_dataclass(value):
                raise KeyError(f"{name}: a section, not a parameter")
            return _info(f, value)
        node = value
    raise KeyError(name)


def _info(f: dataclasses.Field, default: Any) -> dict[str, Any]:
    meta = f.metadata
    return {"default": default, "unit": meta.get("unit", ""), "lo": meta.get("lo"),
            "hi": meta.get("hi"), "source": meta.get("source", "assumption"),
            "doc": meta.get("doc", "")}


def problem(names: list[str] | None = None) -> dict[str, Any]:
    """A SALib problem definition for ``names`` (default: every range), in that order."""
    ranges = by_name()
    names = list(names) if names is not None else [r.name for r in RANGES]
    return {"num_vars": len(names), "names": names,
            "bounds": [[ranges[n].low, ranges[n].high] for n in names]}


def ranges_table():
    """One row per uncertain parameter: name, label, default, unit, low, high, allowed
    range, the default's source (schema) and the reason for the range."""
    import pandas as pd

    rows = []
    for r in RANGES:
        info = parameter_info(r.name)
        rows.append({"parameter": r.name, "label": r.label, "default": info["default"],
                     "unit": info["unit"], "low": r.low, "high": r.high,
                     "allowed": f"[{info['lo']}, {info['hi']}]",
                     "source of default": info["source"], "reason for range": r.reason})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    from experiments.make_parameter_docs import markdown_table

    print(markdown_table(ranges_table()), end="")
