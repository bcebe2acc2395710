"""Settings and policies in words, for figures and reports: a policy's English name, a
parameter's unit (from the schema) and a setting such as ``teacher_rotation.rate=0.05`` as
"teacher rotation rate 0.05"."""

from __future__ import annotations

from typing import Any

__all__ = ["parameter_unit", "policy_name", "policy_summary", "setting_label"]


def policy_name(name: str) -> str:
    """The English name of a registered policy, from the first line of its module's docstring
    ("Teacher rotation (教师交流轮岗 / 支教): ..." gives "teacher rotation"); the registry name
    with spaces when there is none. Figures use the English name only: a Chinese name would
    need a CJK font, which a plain matplotlib installation does not have."""
    import sys

    from sim.policies import POLICIES

    cls = POLICIES.get(name)
    doc = (sys.modules[cls.__module__].__doc__ or "") if cls is not None else ""
    head = doc.strip().split("\n", 1)[0]
    english = head.split(" (", 1)[0].split(":", 1)[0].strip()
    if not english or len(english) > 40:
        english = name.replace("_", " ")
    return english[0].lower() + english[1:]


def parameter_unit(key: str) -> str:
    """The unit of a model (``teachers.rural_allowance``) or policy
    (``policies.teacher_rotation.rate``) parameter from its schema; '' when unknown."""
    import dataclasses

    parts = key.split(".")
    try:
        if parts[0] == "policies" and len(parts) >= 3:
            from sim.policies import POLICIES

            cls = POLICIES.get(parts[1])
            fields = {f.name: f for f in dataclasses.fields(cls.Config)} if cls else {}
            return str(fields[parts[2]].metadata.get("unit", "")) if parts[2] in fields else ""
        from sim.config import parameter_table

        table = parameter_table().set_index("parameter")["unit"]
        while parts and ".".join(parts) not in table.index:
            parts = parts[:-1]  # a tier of a tiered value: teachers.attrition.rural
        return str(table[".".join(parts)]) if parts else ""
    except Exception:  # a label must never stop a figure
        return ""


def setting_label(key: str, value: Any = None, unit: bool = True) -> str:
    """A parameter setting in words: ``policies.teacher_rotation.rate=0.05`` gives
    "teacher rotation rate 0.05 (share of eligible teachers per year)",
    ``teachers.rural_allowance=0.3`` gives "rural allowance 0.3 (share of base salary)",
    ``+policy=teacher_rotation`` gives "teacher rotation at its defaults"."""
    if key.lstrip("+~") == "policy" and value not in (None, ""):
        # the config group that switches a policy on at its defaults (``+policy=NAME``)
        return f"{policy_name(str(value))} at its defaults"
    parts = key.split(".")
    if parts[0] == "policies" and len(parts) >= 3:
        words = f"{policy_name(parts[1])} {' '.join(parts[2:]).replace('_', ' ')}"
    elif parts[0] == "policies" and len(parts) == 2:
        words = policy_name(parts[1])
    else:
        tail = parts[-1] if len(parts) == 1 or parts[-1] not in ("urban", "town", "rural") \
            else f"{parts[-2]}, {parts[-1]}"
        words = tail.replace("_", " ")
    text = words if value is None or value == "" else f"{words} {value}"
    u = parameter_unit(key) if unit else ""
    return f"{text} ({u})" if u else text


def _main_settings(name: str, params: dict[str, Any]) -> list[tuple[str, Any]]:
    """A policy's settings worth naming: those that differ from the defaults; if none, its
    first numeric intensity (the first number after start_year, end_year and fidelity)."""
    import dataclasses

    from sim.policies import POLICIES

    cls = POLICIES.get(name)
    if cls is None:
        return []
    fields = dataclasses.fields(cls.Config)
    defaults = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
    timing = ("start_year", "end_year", "fidelity")
    changed = [(k, v) for k, v in params.items()
               if k in defaults and v != defaults[k] and k not in timing]
    if changed:
        return changed
    for f in fields:
        if f.name not in timing and isinstance(defaults.get(f.name), (int, float)) \
                and not isinstance(defaults.get(f.name), bool):
            return [(f.name, params.get(f.name, defaults[f.name]))]
    return []


def policy_summary(policies: dict[str, Any]) -> str:
    """The policies of a configuration and their main settings, in words: "teacher rotation:
    rate 0.05 (share of eligible teachers per year); targeted funding: ..."; units left out
    beyond three policies (the title would not fit the figure)."""
    parts = []
    units = len(policies or {}) <= 3
    for name, params in (policies or {}).items():
        settings = _main_settings(name, dict(params or {}))
        text = "; ".join(setting_label(f"policies.{name}.{k}", _short_value(v),
                                       unit=units).removeprefix(
            policy_name(name) + " ") for k, v in settings)
        parts.append(f"{policy_name(name)}: {text}" if text else policy_name(name))
    return " | ".join(parts)


def _short_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)
