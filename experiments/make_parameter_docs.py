"""Regenerate docs/parameters.md and docs/policies.md from the code.

    .venv/bin/python -m experiments.make_parameter_docs

parameters.md lists every model parameter (sim/config.py); policies.md gives, for every
registered policy, its documentation (the module docstring) and its parameter table. A test
fails when either file is out of date.
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


def main() -> None:
    (DOCS / "parameters.md").write_text(parameters_markdown(), encoding="utf-8")
    (DOCS / "policies.md").write_text(policies_markdown(), encoding="utf-8")
    print(f"wrote {DOCS / 'parameters.md'} and {DOCS / 'policies.md'}")


if __name__ == "__main__":
    main()
