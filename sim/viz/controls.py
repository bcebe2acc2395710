"""The browser view's controls and the model class they build.

SolaraViz passes every control as one keyword argument to the model class when Reset is
pressed. :class:`CountyView` is :class:`~sim.model.EducationModel` with those flat
keywords: ``county`` (a preset or the example real county), ``rng`` (the seed), one
checkbox per policy (``NAME``: on/off) and its main intensity (``NAME__FIELD``); every
other parameter keeps its default. Nothing here changes what the model does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.config import ConfigError
from sim.model import EducationModel
from sim.policies.base import POLICIES, POLICY_ORDER

__all__ = ["COUNTIES", "POLICY_CONTROLS", "CountyView", "PolicyControl", "default_controls",
           "field_range", "model_params", "policies_from_controls"]

_ROOT = Path(__file__).resolve().parents[2]

#: counties offered by the page: label -> keyword arguments of EducationModel
COUNTIES: dict[str, dict[str, Any]] = {
    "default": {"region": "default"},
    "tiny": {"region": "tiny"},
    "county_l": {"region": "county_l"},
}
_EXAMPLE = _ROOT / "examples" / "published_county" / "schools.csv"
if _EXAMPLE.exists():  # a source checkout (the examples are not installed as package data)
    COUNTIES["published example"] = {"region__path": str(_EXAMPLE)}


@dataclass(frozen=True)
class PolicyControl:
    """One policy's controls: a checkbox and a slider over its main intensity field.

    The slider's range is a sensible sub-range of the field's allowed range (a test checks
    it lies inside); ``on`` is whether the page starts with the policy switched on.
    """

    field: str
    lo: float
    hi: float
    step: float
    on: bool = False
    label: str = ""


#: the page's policy controls, in the order in which policies act (POLICY_ORDER)
POLICY_CONTROLS: dict[str, PolicyControl] = {
    "enrolment_rules": PolicyControl("choice_reduction", 0.0, 1.0, 0.05,
                                     label="Enrolment rules (就近入学): choice removed"),
    "class_assignment": PolicyControl("sharing", 0.0, 1.0, 0.05,
                                      label="Balanced classes: gap shared"),
    "weak_school_program": PolicyControl("share", 0.0, 0.6, 0.02,
                                         label="Weak-school programme: share designated"),
    "school_groups": PolicyControl("coverage", 0.0, 1.0, 0.05, on=True,
                                   label="School groups (集团化): coverage"),
    "remote_classrooms": PolicyControl("lesson_share", 0.0, 0.6, 0.02,
                                       label="Remote classrooms (专递课堂): lesson share"),
    "rural_incentives": PolicyControl("extra_allowance", 0.0, 1.0, 0.05,
                                      label="Rural incentives: extra allowance (× salary)"),
    "teacher_training": PolicyControl("hours", 0.0, 240.0, 6.0,
                                      label="Teacher training: extra hours / year"),
    "teacher_rotation": PolicyControl("rate", 0.0, 0.4, 0.01, on=True,
                                      label="Teacher rotation (交流轮岗): share / year"),
    "targeted_funding": PolicyControl("yuan_per_pupil", 0.0, 1000.0, 20.0,
                                      label="Targeted funding: yuan per pupil / year"),
}
assert tuple(POLICY_CONTROLS) == tuple(p for p in POLICY_ORDER if p in POLICY_CONTROLS)


def _default(policy: str, field_name: str) -> Any:
    cfg = POLICIES[policy].Config()
    return getattr(cfg, field_name)


def policies_from_controls(controls: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{NAME: bool, NAME__FIELD: value}`` -> the ``policies`` config of the switched-on
    policies (an intensity of a switched-off policy is ignored)."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in controls.items():
        name, _, field_name = key.partition("__")
        if name not in POLICIES:
            raise ConfigError(f"unknown control '{key}' (policies: {', '.join(POLICIES)})")
        if not field_name and not isinstance(value, bool):
            raise ConfigError(f"{key}: expected on/off (True or False), got {value!r}")
    for name in POLICIES:
        if not controls.get(name, False):
            continue
        params: dict[str, Any] = {}
        prefix = name + "__"
        for key, value in controls.items():
            if key.startswith(prefix):
                field_name = key[len(prefix):]
                if isinstance(_default(name, field_name), int) and not isinstance(
                        _default(name, field_name), bool) and float(value).is_integer():
                    value = int(value)
                params[field_name] = value
        out[name] = params
    return out


class CountyView(EducationModel):
    """:class:`EducationModel` built from the browser view's flat controls.

    Args:
        county: a key of :data:`COUNTIES` ("default", "tiny", "county_l" or the
            "published example" real county).
        rng: the run's seed.
        scenario: Mesa's scenario object, which SolaraViz passes on Reset; unused (the
            parameters come from the controls).
        **controls: ``NAME=True/False`` switches policy NAME on or off;
            ``NAME__FIELD=value`` sets one of its parameters (ignored while it is off).
    """

    def __init__(self, county: str = "default", rng: Any = 1, scenario: Any = None,
                 **controls: Any) -> None:
        del scenario
        if county not in COUNTIES:
            raise ConfigError(f"county: '{county}' is not one of {', '.join(COUNTIES)}")
        self.county = county
        super().__init__(rng=int(rng), policies=policies_from_controls(controls),
                         **COUNTIES[county])


def model_params() -> dict[str, Any]:
    """SolaraViz ``model_params``: county, seed, and each policy's switch and intensity."""
    params: dict[str, Any] = {
        "county": {"type": "Select", "value": "default", "values": list(COUNTIES),
                   "label": "County"},
        "rng": {"type": "SliderInt", "value": 1, "min": 0, "max": 999, "step": 1,
                "label": "Seed"},
    }
    for name, c in POLICY_CONTROLS.items():
        params[name] = {"type": "Checkbox", "value": c.on, "label": c.label.split(":")[0]}
        default = _default(name, c.field)
        params[f"{name}__{c.field}"] = {
            "type": "SliderFloat", "value": float(default), "min": c.lo, "max": c.hi,
            "step": c.step, "label": c.label.split(": ", 1)[-1]}
    return params


def default_controls() -> dict[str, Any]:
    """The controls' starting values as CountyView keyword arguments."""
    return {name: spec["value"] for name, spec in model_params().items()}


def field_range(policy: str, field_name: str) -> tuple[float | None, float | None]:
    """The allowed range of a policy parameter (from its config metadata)."""
    for f in dataclasses.fields(POLICIES[policy].Config):
        if f.name == field_name:
            return f.metadata.get("lo"), f.metadata.get("hi")
    raise KeyError(f"{policy} has no parameter {field_name}")
