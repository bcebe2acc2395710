"""The parameters the sensitivity screen varies, and over which ranges.

Each entry of :data:`RANGES` names one parameter by its dotted config name (tier values as
``teachers.attrition.rural``, policy parameters as ``policies.teacher_rotation.NAME``) and a
short label for figures. Its range is its **declared prior** (``prior=`` in ``sim/config/``
and the policies' settings, shown in docs/parameters.md): the screen
(:mod:`experiments.calibration.sensitivity`) moves each parameter over its prior's quantiles
0 to 1, so the range ``[low, high]`` is the prior's support (a relative prior: those factors
times the default) and its reason is the prior's. One fact in one place: the uncertainty
analysis (``edusim-uncertainty``) draws from the same priors.

Every range lies inside the parameter's allowed range and contains its default
(``tests/test_sensitivity.py`` checks both). :func:`ranges_table` lists them with the
default, unit and the default's source as recorded in the schema::

    python -m experiments.calibration.ranges          # prints the table as Markdown
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Any

from sim.config import TIERS, ByTier, SimConfig
from sim.schema import DeclaredPrior, declared_priors, prior_overrides

__all__ = ["RANGES", "Range", "by_name", "declared_prior", "prior_ends", "parameter_info", "ranges_table"]


@dataclass(frozen=True)
class Range:
    """One screened parameter: dotted name and figure label. Its range is its declared prior
    (``sim/config/``, ``prior=``): the low and high ends of the prior's support (for a
    relative prior, those factors times the default), and its reason."""

    name: str
    label: str

    @property
    def prior(self) -> DeclaredPrior:
        return declared_prior(self.name)

    @property
    def low(self) -> float:
        return prior_ends(self.prior)[0]

    @property
    def high(self) -> float:
        return prior_ends(self.prior)[1]

    @property
    def reason(self) -> str:
        return self.prior.prior.reason


#: the screened parameters, in the order of the designs' columns: the uncertain behavioural
#: parameters, then teacher rotation's (the policy of the screen's default scenario)
RANGES: tuple[Range, ...] = (
    Range("learning.persistence", "persistence"),
    Range("learning.teacher_effect_weight", "teacher weight"),
    Range("learning.peer_effect", "peer effect"),
    Range("learning.ses_effect", "SES effect"),
    Range("learning.resource_effect", "resource effect"),
    Range("learning.vacancy_effect", "vacancy effect"),
    Range("teachers.skill_sd", "teacher skill SD"),
    Range("teachers.novice_penalty", "novice penalty"),
    Range("teachers.attrition.rural", "rural attrition"),
    Range("teachers.transfer_request.rural", "rural transfer requests"),
    Range("teachers.transfer_skill_slope", "transfer skill slope"),
    Range("teachers.pay_semi_elasticity", "pay semi-elasticity"),
    Range("enrolment.choice_rate", "choice rate"),
    Range("enrolment.choice_ses_slope", "choice SES slope"),
    Range("teachers.training_effect", "training effect"),
    Range("school_effects.persistent_sd", "school effect SD"),
    Range("school_effects.key_effect", "key-school effect"),
    Range("enrolment.district_move_rate", "school-district moves"),
    Range("policies.teacher_rotation.refusal_base", "rotation refusal"),
    Range("policies.teacher_rotation.fidelity", "rotation fidelity"),
    Range("policies.teacher_rotation.cooldown_years", "rotation cool-down"),
    Range("policies.teacher_rotation.host_spillover", "host spill-over"),
    Range("policies.teacher_rotation.spillover_persistence", "spill-over persistence"),
    Range("policies.teacher_rotation.continuity_cost", "continuity cost"),
    Range("policies.teacher_rotation.refusal_distance_km", "refusal distance"),
    Range("policies.teacher_rotation.mentoring_gain", "mentoring gain"),
)


def declared_prior(name: str) -> DeclaredPrior:
    """The declared prior of one dotted parameter (a model parameter, a tier value such as
    ``teachers.attrition.rural``, or ``policies.NAME.PARAM``); KeyError if it has none."""
    return _declared()[name]


@functools.cache
def _declared() -> dict[str, DeclaredPrior]:
    import sim.policies  # noqa: F401  (registers the built-in policies)
    from sim.policies.base import POLICIES

    found = declared_priors(SimConfig)
    for policy in sorted(POLICIES):
        found += declared_priors(POLICIES[policy].Config, f"policies.{policy}.")
    return {d.path: d for d in found}


def prior_ends(d: DeclaredPrior) -> tuple[float, float]:
    """The ends of ``d``'s prior as parameter values (a normal prior: its 5th and 95th
    percentiles), clipped to the allowed range."""
    a, b = d.prior.support(d.lo, d.hi)
    if not (math.isfinite(a) and math.isfinite(b)):
        a, b = (float(x) for x in d.prior.ppf([0.05, 0.95], d.lo, d.hi))
    values = [float(prior_overrides(d, x, d.default)[d.path]) for x in (a, b)]
    return values[0], values[1]


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
