"""The browser view's controls and the model class they build.

The page (:mod:`sim.viz.app`) passes every control as one keyword argument to the model
class when Reset is pressed, as Mesa's SolaraViz does. :class:`CountyView` is :class:`~sim.model.EducationModel` with those flat
keywords: ``county`` (a preset or the example real county), ``rng`` (the seed), one
checkbox per policy (``NAME``: on/off) and its main intensity (``NAME__FIELD``); every
other parameter keeps its default. Nothing here changes what the model does.

The policy controls come from the policy registry (:data:`~sim.policies.base.POLICIES`):
each registered policy's main intensity is the first of its ``intensity_fields``, its
slider spans the field's allowed range (``sim.config.param`` metadata) unless
:data:`CONTROL_OVERRIDES` holds the page's own label, range or starting state for it. A new
policy needs no change here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.config import ConfigError
from sim.model import EducationModel
from sim.policies import POLICIES, policy_order

__all__ = ["CONTROL_OVERRIDES", "COUNTIES", "POLICY_CONTROLS", "ControlOverride", "CountyView",
           "PolicyControl", "control_label", "default_controls", "field_range", "model_params",
           "policies_from_controls", "policy_control", "policy_names", "same_seed_baseline",
           "showable_controls"]

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


def _default(policy: str, field_name: str) -> Any:
    cfg = POLICIES[policy].Config()
    return getattr(cfg, field_name)


@dataclass(frozen=True)
class PolicyControl:
    """One policy's controls: a checkbox and a slider over its main intensity field.

    ``label`` reads "SWITCH: SLIDER" (the checkbox's label, then the slider's). The slider's
    range lies inside the field's allowed range (a test checks it); ``on`` is whether the page
    starts with the policy switched on.
    """

    field: str
    lo: float
    hi: float
    step: float
    on: bool = False
    label: str = ""

    @property
    def switch_label(self) -> str:
        """The checkbox's label."""
        return self.label.split(":")[0]

    @property
    def slider_label(self) -> str:
        """The slider's label."""
        return self.label.split(": ", 1)[-1]


@dataclass(frozen=True)
class ControlOverride:
    """Hand-chosen parts of a policy's controls; what is ``None`` comes from the registry."""

    label: str | None = None
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    on: bool = False


#: the page's own choices where the registry's metadata would show something else: the
#: labels, sliders over the useful part of a wide allowed range, the policies switched on
#: at start. A policy without an entry gets a control derived from its registration alone.
CONTROL_OVERRIDES: dict[str, ControlOverride] = {
    "enrolment_rules": ControlOverride("Enrolment rules (就近入学): choice removed"),
    "class_assignment": ControlOverride("Balanced classes: gap shared"),
    "weak_school_program": ControlOverride("Weak-school programme: share designated",
                                           hi=0.6, step=0.02),
    "school_groups": ControlOverride("School groups (集团化): coverage", on=True),
    "remote_classrooms": ControlOverride("Remote classrooms (专递课堂): lesson share",
                                         hi=0.6, step=0.02),
    "rural_incentives": ControlOverride("Rural incentives: extra allowance (× salary)",
                                        hi=1.0),
    "teacher_training": ControlOverride("Teacher training: extra hours / year",
                                        hi=240.0, step=6.0),
    "teacher_rotation": ControlOverride("Teacher rotation (交流轮岗): share / year",
                                        hi=0.4, step=0.01, on=True),
    "targeted_funding": ControlOverride("Targeted funding: yuan per pupil / year",
                                        hi=1000.0, step=20.0),
}

#: slider steps across the allowed range, where the page chose no step
SLIDER_STEPS = 20


def policy_control(policy: str) -> PolicyControl:
    """A registered policy's controls: a switch, and a slider over its main intensity (the
    first of its ``intensity_fields``) across the field's allowed range, with the label,
    range and starting state of :data:`CONTROL_OVERRIDES` where the page chose them.

    Raises:
        ValueError: the policy has no main intensity the page can show as a slider (a
            number with a bounded allowed range).
    """
    cls = POLICIES[policy]
    if not cls.intensity_fields:
        raise ValueError(f"policy '{policy}' declares no intensity_fields to show as a slider")
    name = cls.intensity_fields[0]
    found = [f for f in dataclasses.fields(cls.Config) if f.name == name]
    if not found:
        raise ValueError(f"policy '{policy}': intensity field '{name}' is not in its Config")
    meta = found[0].metadata
    default = _default(policy, name)
    lo, hi = meta.get("lo"), meta.get("hi")
    if isinstance(default, bool) or not isinstance(default, (int, float)) or lo is None \
            or hi is None:
        raise ValueError(f"policy '{policy}': intensity field '{name}' is not a number with a "
                         f"bounded allowed range (default {default!r}, range [{lo}, {hi}])")
    o = CONTROL_OVERRIDES.get(policy, ControlOverride())
    lo = float(lo if o.lo is None else o.lo)
    hi = float(hi if o.hi is None else o.hi)
    step = o.step if o.step is not None else (hi - lo) / SLIDER_STEPS
    if isinstance(default, int) and o.step is None:
        step = float(max(1, round(step)))
    if o.label is not None:
        label = o.label
    else:
        unit = meta.get("unit") or name.replace("_", " ")
        label = f"{policy.replace('_', ' ').capitalize()}: {unit}"
    return PolicyControl(name, lo, hi, float(step), on=o.on, label=label)


def policy_names() -> list[str]:
    """The registered policies, in the order in which they act."""
    return list(policy_order())


def showable_controls() -> dict[str, PolicyControl]:
    """The controls of every registered policy the page can show (see
    :func:`policy_control`; a test checks that this is every policy)."""
    out: dict[str, PolicyControl] = {}
    for name in policy_names():
        try:
            out[name] = policy_control(name)
        except ValueError:
            continue
    return out


#: the page's policy controls, derived from the policy registry, in the order in which
#: policies act (POLICY_ORDER)
POLICY_CONTROLS: dict[str, PolicyControl] = showable_controls()


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
        scenario: Mesa's scenario object (SolaraViz passes one on Reset; the page does
            not); unused (the parameters come from the controls).
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
    """The page's controls in Mesa's ``model_params`` form: county, seed, and each policy's
    switch and intensity."""
    params: dict[str, Any] = {
        "county": {"type": "Select", "value": "default", "values": list(COUNTIES),
                   "label": "County"},
        "rng": {"type": "SliderInt", "value": 1, "min": 0, "max": 999, "step": 1,
                "label": "Seed"},
    }
    for name, c in POLICY_CONTROLS.items():
        params[name] = {"type": "Checkbox", "value": c.on, "label": c.switch_label}
        default = _default(name, c.field)
        params[f"{name}__{c.field}"] = {
            "type": "SliderFloat", "value": float(default), "min": c.lo, "max": c.hi,
            "step": c.step, "label": c.slider_label}
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


def same_seed_baseline(model: EducationModel) -> CountyView | None:
    """The model ``model`` would be with every policy off (same county, same seed), or None
    when no policy is on (``model`` is its own baseline). Built at year 0: the page steps it
    alongside ``model``."""
    if not model.policies:
        return None
    county = getattr(model, "county", None)
    if county not in COUNTIES:
        return None  # not a model the page's controls can rebuild
    return CountyView(county=county, rng=model.seed,
                      **{name: False for name in POLICY_CONTROLS})


def _decimals(step: float) -> int:
    """Decimals that show every value a slider of this step can take."""
    text = f"{step:.6f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def control_label(spec: dict[str, Any], value: Any) -> str:
    """A control's label with its current value for sliders ("Seed: 1", "share / year:
    0.10"): a slider shows no number of its own."""
    label = spec.get("label", "")
    if spec.get("type") == "SliderInt":
        return f"{label}: {int(value)}"
    if spec.get("type") == "SliderFloat":
        return f"{label}: {float(value):.{_decimals(float(spec['step']))}f}"
    return label
