"""Regenerate the files generated from the code: docs/parameters.md, docs/policies.md and
the policy config group configs/policy/*.yaml.

    .venv/bin/python -m experiments.make_parameter_docs

parameters.md lists every model parameter (sim/config.py); policies.md gives, for every
registered policy, its documentation (the module docstring) and its parameter table;
configs/policy/NAME.yaml switches a policy on at its defaults (``+policy=NAME``). A test fails
when any of them is out of date.
"""

import inspect
import sys
from pathlib import Path

from sim.config import markdown_table, parameter_table, parameters_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"


def policies_markdown() -> str:
    from sim.policies import POLICIES, POLICY_ORDER, base

    parts = [
        "# Policies\n",
        "Generated from the code (`sim/policies/`) by "
        "`.venv/bin/python -m experiments.make_parameter_docs`; do not edit by hand.\n",
        "Switch a policy on with `edusim +policies.NAME.PARAM=VALUE` (or "
        "`+policies.NAME={}` for its defaults), or in Python with "
        "`EducationModel(policies={\"NAME\": {...}})`.\n",
        "## Framework and yearly order\n",
        inspect.cleandoc(base.__doc__ or "") + "\n",
    ]
    names = [n for n in POLICY_ORDER if n in POLICIES] + sorted(set(POLICIES) - set(POLICY_ORDER))
    for name in names:
        cls = POLICIES[name]
        module = sys.modules[cls.__module__]
        parts.append(f"## `{name}`\n")
        parts.append(inspect.cleandoc(module.__doc__ or "") + "\n")
        parts.append(f"Intensity fields (all 0 = no change): "
                     f"{', '.join(f'`{f}`' for f in cls.intensity_fields)}.\n")
        parts.append(markdown_table(parameter_table(cls.Config(), prefix=f"policies.{name}.")))
    return "\n".join(parts)


POLICY_CONFIGS = DOCS.parent / "configs" / "policy"


def _yaml_value(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return repr(v)


def policy_configs() -> dict[str, str]:
    """configs/policy/NAME.yaml for every registered policy: its defaults, documented."""
    import dataclasses

    from sim.policies import POLICIES

    out = {}
    for name, cls in sorted(POLICIES.items()):
        doc = inspect.cleandoc(sys.modules[cls.__module__].__doc__ or name)
        first = " ".join(doc.split("\n\n")[0].split())
        import textwrap

        lines = [f"# @package policies.{name}"]
        lines += [f"# {line}" for line in textwrap.wrap(first, 88)]
        lines += [
                  "# Generated from the code by `python -m experiments.make_parameter_docs`; the",
                  f"# values are the defaults. Use: edusim +policy={name} "
                  f"policies.{name}.PARAM=VALUE",
                  "# (units, ranges and sources: docs/policies.md)"]
        for f in dataclasses.fields(cls.Config):
            meta = f.metadata
            unit = f"  # {meta['unit']}" if meta.get("unit") else ""
            lines.append(f"{f.name}: {_yaml_value(getattr(cls.Config(), f.name))}{unit}")
        out[f"{name}.yaml"] = "\n".join(lines) + "\n"
    return out


def main() -> None:
    (DOCS / "parameters.md").write_text(parameters_markdown(), encoding="utf-8")
    (DOCS / "policies.md").write_text(policies_markdown(), encoding="utf-8")
    POLICY_CONFIGS.mkdir(parents=True, exist_ok=True)
    for name, text in policy_configs().items():
        (POLICY_CONFIGS / name).write_text(text, encoding="utf-8")
    print(f"wrote {DOCS / 'parameters.md'}, {DOCS / 'policies.md'} and {POLICY_CONFIGS}/*.yaml")


if __name__ == "__main__":
    main()
