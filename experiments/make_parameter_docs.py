"""Regenerate the files generated from the code: docs/parameters.md, docs/policies.md and
the policy config group configs/policy/*.yaml.

    .venv/bin/python -m experiments.make_parameter_docs

parameters.md lists every model parameter (sim/config/); policies.md gives, for every
registered policy, its documentation (the module docstring) and its parameter table;
configs/policy/NAME.yaml switches a policy on at its defaults (``+policy=NAME``). A test fails
when any of them is out of date.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from sim.config import SimConfig, parameter_table

DOCS = Path(__file__).resolve().parent.parent / "docs"


_PARAMETERS_HEADER = """# edusim parameters

Every parameter of the model, with its default value, unit, allowed range, source and meaning:
{n} parameters. This file is **generated from `sim/config/`** (the dataclass schema, via
`sim.config.parameter_table()`); do not edit it by hand. Regenerate it with:

```bash
.venv/bin/python -m experiments.make_parameter_docs
```

How to read the table:

- **source**: a citation (see [`sources.md`](sources.md); "doc 00N" is one of the policy
  documents listed there) or **assumption**, a modelling choice with no direct empirical
  anchor. Assumptions are candidates for sensitivity analysis.
- **prior**: for an uncertain parameter, the distribution `edusim-uncertainty` draws it from
  and why (`× default`: factors of the default value; a value per tier moves all tiers by one
  factor unless a prior is given per tier), or `none:` and why it needs none (a switch, a
  cost, a size the user sets).
- **Tiered values** are given as `{{'urban': …, 'town': …, 'rural': …}}`. The range applies to
  each tier's value.
- **None** for `region.n_*` and `region.extent_km` means "take the value of `region.preset`"
  (tiny / default / county_l). For `evaluation.*_threshold` it means "use the official limit".
- **Overrides**: any parameter can be set by its dotted name (`edusim teachers.attrition.rural=0.06`)
  or as a keyword (`EducationModel(teachers__rural_allowance=0.3)`). Values are checked for type
  and range when the model is built.

The model that uses these parameters is described in [`ODD.md`](ODD.md).

"""


def markdown_table(table) -> str:
    """A pandas DataFrame as a Markdown pipe table."""
    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join(":---" for _ in cols) + "|"]
    for row in table.itertuples(index=False):
        cells = [str(v).replace("|", "\\|").replace("\n", " ") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def parameters_markdown(cfg: SimConfig | None = None) -> str:
    """docs/parameters.md: the parameter table as a Markdown document."""
    table = parameter_table(cfg)
    return _PARAMETERS_HEADER.format(n=len(table)) + markdown_table(table)


def cog_block(call: str, text: str) -> str:
    """A generated (cog) block of a docs job's render function, filled with ``text``: the file
    is right as written, and ``python -m experiments.docs --check`` finds it when the stored
    result moves. ``call`` is ``"render_x(...)"`` of experiments.docs.jobs.policy_effects."""
    text = text if text.endswith("\n") else text + "\n"
    func = call.split("(", 1)[0]
    return (f"<!-- [[[cog from experiments.docs.jobs.policy_effects import {func}; "
            f"from experiments.docs.render import out; out({call})]]] -->\n"
            f"{text}<!-- [[[end]]] -->\n")


def policies_markdown() -> str:
    """docs/policies.md: every policy's documentation and parameter table, and its measured
    effects on the default county (docs/results/policy_effects.json, made by
    ``make docs JOBS=policy_effects``)."""
    from experiments.docs.jobs import policy_effects
    from sim.policies import POLICIES, base, policy_order

    parts = [
        "# Policies\n",
        "Generated from the code (`sim/policies/`) by "
        "`.venv/bin/python -m experiments.make_parameter_docs`; do not edit by hand. The "
        "measured tables come from `docs/results/policy_effects.json` (`make docs "
        "JOBS=policy_effects`).\n",
        "Switch a policy on with `edusim +policies.NAME.PARAM=VALUE` (or "
        "`+policies.NAME={}` for its defaults), or in Python with "
        "`EducationModel(policies={\"NAME\": {...}})`.\n",
        cog_block("render_method()", policy_effects.render_method()),
        "## Framework and yearly order\n",
        inspect.cleandoc(base.__doc__ or "") + "\n",
    ]
    names = list(policy_order())
    for name in names:
        cls = POLICIES[name]
        module = sys.modules[cls.__module__]
        parts.append(f"## `{name}`\n")
        parts.append(inspect.cleandoc(module.__doc__ or "") + "\n")
        parts.append(f"Intensity fields (all 0 = no change): "
                     f"{', '.join(f'`{f}`' for f in cls.intensity_fields)}.\n")
        parts.append(markdown_table(parameter_table(cls.Config(), prefix=f"policies.{name}.")))
        parts.append("### Measured on the default county\n")
        parts.append(cog_block(f"render_policy({name!r})", policy_effects.render_policy(name)))
    return "\n".join(parts)


def county_tables_markdown() -> str:
    """docs/county_tables.md: the header aliases and values accepted in county tables."""
    from sim import county_table as ct
    from sim.county_table.schools import KEY_SCHOOL_CHOICES

    parts = ["# County tables: accepted headers and values\n",
             "Generated from `sim/county_table/schema.py` by "
             "`.venv/bin/python -m experiments.make_parameter_docs`; do not edit by hand.\n",
             "A county table (`edusim region=file region.path=...`, `edusim-check-county`) may "
             "use the English column names of the school-table format (see `sim/evaluation/`) "
             "or any alias below. Matching ignores case, full-width characters, spaces, "
             "`_ - 、` and bracketed parts such as units; a unit in brackets is read "
             "((万元) and (千元) become yuan, (万册) books, (%) a share).\n"]
    for title, aliases in (("School table", ct.COLUMN_ALIASES),
                           ("Teachers table", ct.TEACHER_COLUMN_ALIASES),
                           ("Grades table", ct.GRADE_COLUMN_ALIASES),
                           ("Tiers table", ct.TIER_COLUMN_ALIASES)):
        by_col: dict[str, list[str]] = {}
        for alias, col in aliases.items():
            by_col.setdefault(col, []).append(alias)
        parts.append(f"## {title}\n")
        parts.append("| column | aliases |\n|:---|:---|")
        parts += [f"| `{c}` | {', '.join(a)} |" for c, a in by_col.items()]
        parts.append("")
    for title, values in (("Level values", ct.LEVEL_VALUES), ("Tier values", ct.TIER_VALUES)):
        by_val: dict[str, list[str]] = {}
        for raw, val in values.items():
            by_val.setdefault(val, []).append(str(raw))
        parts.append(f"## {title}\n")
        parts.append("| value | accepted |\n|:---|:---|")
        parts += [f"| `{v}` | {', '.join(a)} |" for v, a in by_val.items()]
        parts.append("")
    parts.append("A nine-year school (九年一贯制) is not a level: it is two rows with the same "
                 "school_id, one primary (小学) and one junior (初中).\n")
    parts.append("## Key-school values\n")
    parts.append(f"The optional column `key_school` ({ct.CHINESE_HEADERS['key_school']}) is "
                 f"{KEY_SCHOOL_CHOICES} in every row; both rows of a nine-year school give the "
                 "same value. With it, `edusim region=file` takes the county's key schools from "
                 "the table; without it, they are drawn (`school_effects.key_share`). The "
                 "official tests (`edusim-evaluate`) ignore it.\n")
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


EXPERIMENT_CONFIGS = DOCS.parent / "configs" / "experiment"


def experiment_configs() -> dict[str, str]:
    """configs/experiment/NAME.yaml (one per policy, at its defaults) and all_levers.yaml."""
    from sim.policies import POLICIES, policy_order

    out = {}
    for name, cls in sorted(POLICIES.items()):
        doc = inspect.cleandoc(sys.modules[cls.__module__].__doc__ or name)
        first = " ".join(doc.split("\n\n")[0].split())
        import textwrap

        lines = ["# @package _global_"]
        lines += [f"# {line}" for line in textwrap.wrap(first, 88)]
        lines += [f"# At its defaults (configs/policy/{name}.yaml); generated by",
                  "# `python -m experiments.make_parameter_docs`.",
                  "defaults:", f"  - /policy: {name}"]
        out[f"{name}.yaml"] = "\n".join(lines) + "\n"
    names = list(policy_order())
    out["all_levers.yaml"] = (
        "# @package _global_\n"
        "# Every policy lever at its defaults, together; generated by\n"
        "# `python -m experiments.make_parameter_docs`.\n"
        "defaults:\n  - /policy:\n" + "".join(f"      - {n}\n" for n in names))
    return out


def main() -> None:
    (DOCS / "parameters.md").write_text(parameters_markdown(), encoding="utf-8")
    (DOCS / "policies.md").write_text(policies_markdown(), encoding="utf-8")
    (DOCS / "county_tables.md").write_text(county_tables_markdown(), encoding="utf-8")
    POLICY_CONFIGS.mkdir(parents=True, exist_ok=True)
    for name, text in policy_configs().items():
        (POLICY_CONFIGS / name).write_text(text, encoding="utf-8")
    for name, text in experiment_configs().items():
        (EXPERIMENT_CONFIGS / name).write_text(text, encoding="utf-8")
    print(f"wrote {DOCS / 'parameters.md'}, {DOCS / 'policies.md'} and {POLICY_CONFIGS}/*.yaml")


if __name__ == "__main__":
    main()
