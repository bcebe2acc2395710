"""The behavioural-parameter table of docs/calibration.md (generated; a test checks it).

Every parameter of the behavioural sections of the configuration (learning, school
effects, teachers, demography, enrolment) with its default, unit, source or "assumption",
and the range used in the sensitivity analysis (its prior,
:data:`experiments.calibration.ranges.RANGES`) or why it was not varied. Regenerate with::

    python -m experiments.calibration.parameters
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from experiments.calibration.ranges import RANGES
from sim.config import parameter_table

__all__ = ["SECTIONS", "behavioural_table", "markdown", "update"]

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "calibration.md"
START, END = "<!-- parameters:start -->", "<!-- parameters:end -->"
#: config sections whose parameters describe behaviour (finance and region are accounting
#: and geography; evaluation holds the official limits)
SECTIONS = ("learning", "school_effects", "teachers", "demography", "enrolment")
#: parameters that are government rules or official norms, not behaviour to be estimated
RULES = {
    "teachers.students_per_post_primary", "teachers.students_per_post_junior",
    "teachers.retirement_age", "enrolment.max_class_size_primary",
    "enrolment.max_class_size_junior", "enrolment.max_school_size",
    "enrolment.max_school_size_nine_year", "teachers.base_salary",
}


def behavioural_table() -> pd.DataFrame:
    """One row per behavioural parameter (tier parameters varied per tier get one row per
    varied tier value), plus the policy parameters varied in the sensitivity analysis."""
    table = parameter_table()
    ranges = {r.name: r for r in RANGES}
    rows = []
    for row in table.itertuples(index=False):
        name = row.parameter
        if name.split(".")[0] not in SECTIONS:
            continue
        varied = [r for key, r in ranges.items() if key == name or key.startswith(name + ".")]
        base = {"parameter": name, "value": row.value, "unit": row.unit,
                "source": row.source}
        if varied:
            for r in varied:
                rows.append({**base, "parameter": r.name,
                             "value": _tier_value(row.value, r.name),
                             "sensitivity range": f"{r.low:g} – {r.high:g}",
                             "why this range": r.reason})
        else:
            why = ("official rule, not varied" if name in RULES
                   else "not varied (not among the uncertain behavioural parameters screened)")
            rows.append({**base, "sensitivity range": "—", "why this range": why})
    for key, r in ranges.items():
        if key.split(".")[0] not in SECTIONS:
            rows.append({"parameter": key, "value": "policy default", "unit": "",
                         "source": "see docs/policies.md",
                         "sensitivity range": f"{r.low:g} – {r.high:g}",
                         "why this range": r.reason})
    return pd.DataFrame(rows)


def _tier_value(value: object, name: str) -> object:
    tier = name.rsplit(".", 1)[-1]
    if isinstance(value, dict) and tier in value:
        return value[tier]
    return value


def _cell(x: object) -> str:
    text = str(x)
    if isinstance(x, dict):
        text = ", ".join(f"{k} {v}" for k, v in x.items())
    return text.replace("|", "\\|").replace("\n", " ")


def markdown() -> str:
    df = behavioural_table()
    cols = ["parameter", "value", "unit", "source", "sensitivity range", "why this range"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df[cols].itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines)


def update(path: Path = DOC) -> bool:
    """Rewrite the generated table in ``path``; returns True if it changed."""
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise ValueError(f"{path}: markers {START} / {END} not found")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{markdown()}\n{END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


if __name__ == "__main__":
    changed = update()
    print(f"edusim: {DOC} {'updated' if changed else 'up to date'}", file=sys.stderr)
