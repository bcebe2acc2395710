"""The pandas layer of the official county balance tests (:mod:`sim.evaluation`).

:func:`evaluate` validates a school table, applies one standard to one level with the numpy
core (:mod:`sim.evaluation.compute`) and returns an :class:`EvaluationResult` (county figures,
one row per school, ``to_dict`` for JSON); :func:`format_report` turns results into the text
report of ``edusim-evaluate``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.evaluation.compute import check_choice, cv_limit, evaluate_arrays, school_compliance
from sim.evaluation.table import (
    NoSchoolsError,
    NotAssessableError,
    SchoolTableError,
    TableProblem,
    cell_text,
    format_number,
    validate_school_table,
)
from sim.standards import (
    BASIC_COLUMNS,
    BASIC_INDICATORS,
    COMPLIANCE_FLOOR,
    COMPLIANCE_MIN_MET,
    CV_LIMITS,
    INDICATORS,
    LEVELS,
    MIN_STUDENTS,
    NUMERIC_COLUMNS,
    QUALITY_INDICATORS,
    QUALITY_STANDARDS,
    RTOL,
    SOURCES,
    STANDARD_TITLES,
    STANDARDS,
    TIERS,
)

__all__ = ["EvaluationResult", "evaluate", "format_report"]


# ---------------------------------------------------------------------------------------
# pandas layer
# ---------------------------------------------------------------------------------------


def _json_safe(v):
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_safe(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if v is pd.NA:
        return None
    return v


@dataclass
class EvaluationResult:
    """Result of :func:`evaluate` for one level and one standard.

    ``cv``, ``cv_ok`` and ``county_means`` are keyed by indicator name (:data:`INDICATORS`).
    ``failing_indicators`` are those the verdict blames: for "quality" every indicator whose
    CV exceeds the limit; for "basic" (decided by the mean CV) the indicators above the limit
    when the mean fails, else empty. ``above_limit`` always lists every indicator whose own CV
    exceeds the limit. ``schools`` has one row per school row of the level (index: line),
    with ``school_id, name, tier, students, excluded``, each indicator's value and, for
    "quality", ``<indicator>_ratio`` (value / standard), ``<indicator>_met``, ``n_met``,
    ``missed`` (names, comma-separated) and ``complies``.
    """

    level: str
    standard: str
    source: str
    limit: float
    official_limit: float
    indicators: list[str]
    cv: dict[str, float]
    cv_ok: dict[str, bool]
    mean_cv: float
    cv_passed: bool
    schools_passed: bool | None
    passed: bool
    failing_indicators: list[str]
    above_limit: list[str]
    county_means: dict[str, float]
    standards: dict[str, float]
    n_rows: int
    n_included: int
    students_included: float
    excluded_schools: list[str]
    non_compliant_schools: list[str]
    schools: pd.DataFrame = field(repr=False)
    min_students: float = MIN_STUDENTS

    @property
    def threshold_overridden(self) -> bool:
        return self.limit != self.official_limit

    def to_dict(self, schools: bool = True) -> dict[str, Any]:
        """A JSON-serialisable dict (``nan`` -> ``None``); ``schools`` adds the school rows."""
        d: dict[str, Any] = {
            "level": self.level,
            "standard": self.standard,
            "standard_title": STANDARD_TITLES[self.standard],
            "standard_source": SOURCES[self.standard],
            "table": self.source,
            "limit": self.limit,
            "official_limit": self.official_limit,
            "threshold_overridden": self.threshold_overridden,
            "decided_by": "each CV and every school" if self.standard == "quality"
            else "mean of the CVs",
            "passed": self.passed,
            "cv_passed": self.cv_passed,
            "schools_passed": self.schools_passed,
            "failing_indicators": list(self.failing_indicators),
            "above_limit": list(self.above_limit),
            "cv": dict(self.cv),
            "cv_ok": dict(self.cv_ok),
            "mean_cv": self.mean_cv,
            "county_means": dict(self.county_means),
            "standards": dict(self.standards),
            "units": {n: INDICATORS[n].unit for n in self.indicators},
            "n_rows": self.n_rows,
            "n_included": self.n_included,
            "students_included": self.students_included,
            "min_students": self.min_students,
            "excluded_schools": list(self.excluded_schools),
            "non_compliant_schools": list(self.non_compliant_schools),
        }
        if schools:
            d["schools"] = self.schools.reset_index().to_dict(orient="records")
        return _json_safe(d)


def evaluate(schools: pd.DataFrame, level: str, standard: str = "quality",
             threshold: float | None = None, *, min_students: float = MIN_STUDENTS,
             source: str = "<DataFrame>") -> EvaluationResult:
    """Apply ``standard`` ("quality" = 2017, "basic" = 2012) to the ``level`` rows of a table.

    ``schools`` is a school table (format: :mod:`sim.evaluation`); it is validated first
    (:class:`SchoolTableError`). ``threshold`` replaces the standard's CV limit (0 < t <= 1).
    Raises :class:`NoSchoolsError` when the table has no ``level`` row, its subclass
    :class:`NotAssessableError` when no ``level`` row has at least ``min_students`` pupils
    (the county is then not assessable for that level), and :class:`SchoolTableError` naming the missing columns when
    "basic" is asked of a table without the optional columns.
    """
    check_choice(level, "level", LEVELS)
    check_choice(standard, "standard", STANDARDS)
    limit = cv_limit(level, standard, threshold)
    table = validate_school_table(schools, source=source)
    names = QUALITY_INDICATORS if standard == "quality" else BASIC_INDICATORS
    if standard == "basic":
        missing = [c for c in BASIC_COLUMNS if c not in table.columns]
        if missing:
            raise SchoolTableError(source, [TableProblem(
                1, c, "missing: the 2012 basic standard needs the columns "
                + ", ".join(BASIC_COLUMNS)) for c in missing])
    rows = table[table["level"] == level]
    if rows.empty:
        raise NoSchoolsError(f"{source}: no {level} rows")
    students = rows["students"].to_numpy(dtype=float)
    if not (students >= min_students).any():
        n = format_number(min_students)
        raise NotAssessableError(
            f"{source}: {level}: not assessable: no school of {n}+ pupils (all {len(rows)} "
            f"{level} rows have fewer; the official tests leave teaching points under {n} "
            "pupils out)")
    if standard == "basic":
        zero = rows.index[rows["teachers"].to_numpy() <= 0]
        if len(zero):
            raise SchoolTableError(source, [TableProblem(
                int(line), "teachers", "must be > 0 for the 2012 student-teacher ratio",
                cell_text(rows.at[line, "school_id"])) for line in zero])

    columns = {c: rows[c].to_numpy(dtype=float) for c in rows.columns if c in NUMERIC_COLUMNS}
    core = evaluate_arrays(columns, level, standard, threshold, min_students)

    inc = core.included
    w = students[inc]
    means = {n: float(np.dot(w, core.values[inc, j]) / w.sum()) for j, n in enumerate(names)}
    cv = {n: float(core.cv[j]) for j, n in enumerate(names)}
    cv_ok = {n: bool(core.cv_ok[j]) for j, n in enumerate(names)}
    above = [n for n in names if not cv_ok[n]]
    failing = above if (standard == "quality" or not core.cv_passed) else []

    frame = rows[["school_id", "name", "tier", "students"]].copy()
    frame["excluded"] = ~inc
    for j, n in enumerate(names):
        frame[n] = core.values[:, j]
    standards: dict[str, float] = {}
    non_compliant: list[str] = []
    if standard == "quality":
        standards = dict(QUALITY_STANDARDS[level])
        ratio, met, n_met, complies = school_compliance(core.values, level)
        for j, n in enumerate(names):
            frame[f"{n}_ratio"] = ratio[:, j]
            frame[f"{n}_met"] = met[:, j]
        frame["n_met"] = n_met
        frame["missed"] = [", ".join(n for j, n in enumerate(names) if not met[i, j])
                           for i in range(len(frame))]
        frame["complies"] = complies
        non_compliant = [cell_text(s) for s in frame["school_id"][inc & ~complies]]
    excluded = [cell_text(s) for s in frame["school_id"][~inc]]

    return EvaluationResult(
        level=level, standard=standard, source=source, limit=limit,
        official_limit=CV_LIMITS[standard][level], indicators=list(names), cv=cv, cv_ok=cv_ok,
        mean_cv=core.mean_cv, cv_passed=core.cv_passed, schools_passed=core.schools_passed,
        passed=core.passed, failing_indicators=failing, above_limit=above, county_means=means,
        standards=standards, n_rows=len(rows), n_included=int(inc.sum()),
        students_included=float(w.sum()), excluded_schools=excluded,
        non_compliant_schools=non_compliant, schools=frame, min_students=min_students,
    )


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def _num(x: float, decimals: int) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:,.{decimals}f}"


def _cv_text(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.3f}"


def _failing_split(r: EvaluationResult) -> tuple[list[str], list[str]]:
    """The failing indicators whose CV is above the limit, and those whose CV is undefined
    (a county mean of 0: no CV can be computed, which fails as documented)."""
    above = [n for n in r.failing_indicators if math.isfinite(r.cv[n])]
    return above, [n for n in r.failing_indicators if not math.isfinite(r.cv[n])]


def _failing_text(r: EvaluationResult) -> str:
    """``2 of 7 above 0.50: A, B; 1 undefined (n/a): C``."""
    above, undefined = _failing_split(r)
    parts = []
    if above:
        parts.append(f"{len(above)} of 7 above {r.limit:.2f}: "
                     + ", ".join(INDICATORS[n].label for n in above))
    if undefined:
        parts.append(f"{len(undefined)} of 7 undefined (n/a, a county mean of 0 or no school "
                     "assessed): " + ", ".join(INDICATORS[n].label for n in undefined))
    return "; ".join(parts)


def _section(r: EvaluationResult) -> list[str]:
    title = f"{r.level.capitalize()} schools: {STANDARD_TITLES[r.standard]}"
    out = [f"=== {title} ===", f"Source: {SOURCES[r.standard]}"]
    sch = r.schools
    excl = sch[sch["excluded"]]
    out.append(f"Evaluated: {r.n_included} of {r.n_rows} {r.level} rows, "
                f"{r.students_included:,.0f} students.")
    if len(excl):
        items = "; ".join(f"{cell_text(s.school_id)} {s.name} ({s.students:,.0f})"
                          for s in excl.itertuples())
        out.append(f"Left out (< {format_number(r.min_students)} pupils, teaching points): {items}.")
    lim = f"{r.limit:.2f}"
    if r.threshold_overridden:
        stricter = "stricter" if r.limit < r.official_limit else "LAXER"
        lim += f" (--threshold; {stricter} than the official {r.official_limit:.2f})"
    else:
        lim += " (official)"
    what = "each indicator's CV" if r.standard == "quality" else "the mean of the 8 CVs"
    out.append(f"Limit on {what}: {lim}")
    out.append("")

    width = max(len(f"{k} {INDICATORS[n].label}") for k, n in enumerate(r.indicators, 1)) + 2
    unit_w = max(len(INDICATORS[n].unit) for n in r.indicators)
    if r.standard == "quality":
        out.append(f"  {'indicator':<{width}}{'unit':<{unit_w}}  {'county mean':>11}  "
                   f"{'standard':>8}  {'CV':>6}  {'limit':>5}  result")
    else:
        out.append(f"  {'indicator':<{width}}{'unit':<{unit_w}}  {'county mean':>11}  "
                   f"{'CV':>6}")
    for k, n in enumerate(r.indicators, start=1):
        ind = INDICATORS[n]
        label = f"{k} {ind.label}"
        row = (f"  {label:<{width}}{ind.unit:<{unit_w}}  "
               f"{_num(r.county_means[n], ind.decimals):>11}  ")
        if r.standard == "quality":
            row += (f"{_num(r.standards[n], 1 if ind.decimals else 0):>8}  "
                    f"{_cv_text(r.cv[n]):>6}  {r.limit:>5.2f}  "
                    f"{'pass' if r.cv_ok[n] else 'FAIL'}")
        else:
            row += f"{_cv_text(r.cv[n]):>6}"
        out.append(row.rstrip())
    out.append("")

    if r.standard == "quality":
        if r.cv_passed:
            out.append(f"Difference coefficients: pass (all 7 <= {r.limit:.2f}); "
                       f"mean of the 7 CVs {_cv_text(r.mean_cv)}.")
        else:
            out.append(f"Difference coefficients: FAIL ({_failing_text(r)}); mean of the 7 "
                       f"CVs {_cv_text(r.mean_cv)} (the mean does not count in this standard).")
        inc = sch[~sch["excluded"]]
        n_ok = int(inc["complies"].sum())
        out.append(f"School standards (>= {COMPLIANCE_MIN_MET} of 7 met, the missed one >= "
                   f"{COMPLIANCE_FLOOR:.0%} of its standard): "
                   f"{'pass' if r.schools_passed else 'FAIL'}, {n_ok} of {len(inc)} schools "
                   "comply.")
        bad = inc[~inc["complies"]]
        if len(bad):
            out.append("  Schools that do not comply (missed standards: value, % of standard):")
            for _, s in bad.iterrows():
                missed = []
                for n in r.indicators:
                    if not s[f"{n}_met"]:
                        ind = INDICATORS[n]
                        pct = math.floor(100 * s[f"{n}_ratio"] * (1 + RTOL))  # 84.9 -> 84
                        missed.append(f"{ind.label} {_num(s[n], ind.decimals)} ({pct}%)")
                out.append(f"    {cell_text(s['school_id'])} {s['name']} ({s['tier']}, "
                           f"{s['students']:,.0f} students, {int(s['n_met'])} of 7 met): "
                           + "; ".join(missed))
        verdict = "PASS" if r.passed else "FAIL"
        reasons = []
        if not r.cv_passed:
            above, undefined = _failing_split(r)
            reasons += [f"{len(above)} CV(s) above {r.limit:.2f}"] if above else []
            reasons += [f"{len(undefined)} CV(s) undefined"] if undefined else []
        if not r.schools_passed:
            reasons.append(f"{len(r.non_compliant_schools)} school(s) not complying")
        out.append(f"Verdict ({r.level}, 2017 quality): {verdict}"
                   + (f" -- {'; '.join(reasons)}" if reasons else ""))
    else:
        if math.isfinite(r.mean_cv):
            out.append(f"Mean of the 8 CVs: {_cv_text(r.mean_cv)} "
                       f"{'<=' if r.cv_passed else '>'} {r.limit:.2f}.")
        else:  # an undefined CV leaves the mean undefined, which fails
            out.append("Mean of the 8 CVs: n/a, as a CV is undefined (a county mean of 0 or no school "
                       "assessed): " + ", ".join(INDICATORS[n].label for n in r.indicators
                                                 if not math.isfinite(r.cv[n])) + ".")
        if r.above_limit:
            out.append("Indicators whose own CV exceeds the limit: "
                       + ", ".join(INDICATORS[n].label for n in r.above_limit)
                       + " (only the mean counts in this standard).")
        out.append(f"Verdict ({r.level}, 2012 basic): {'PASS' if r.passed else 'FAIL'}")
    return out


def format_report(results: Sequence[EvaluationResult], skipped: Sequence[str] = (),
                  source: str = "", table: pd.DataFrame | None = None,
                  notes: Sequence[str] = ()) -> str:
    """A readable report of several results; ``skipped`` are notes on levels not evaluated,
    ``notes`` what the reader normalised (:attr:`sim.county_table.CountyTable.notes`)."""
    out: list[str] = [f"County balance evaluation of {source}" if source else
                      "County balance evaluation"]
    out += [f"Note: {note}" for note in notes]
    if table is not None:
        by_level = table["level"].value_counts()
        by_tier = table["tier"].value_counts()
        out.append(f"{len(table)} rows: "
                   + ", ".join(f"{int(by_level.get(lv, 0))} {lv}" for lv in LEVELS)
                   + " (" + ", ".join(f"{int(by_tier.get(t, 0))} {t}" for t in TIERS) + ")")
    for note in skipped:
        out.append(f"Not evaluated: {note}")
    for r in results:
        out.append("")
        out.extend(_section(r))
    if len(results) > 1:
        out.append("")
        out.append("Summary: " + "; ".join(
            f"{r.level} {r.standard} {'PASS' if r.passed else 'FAIL'}" for r in results))
    return "\n".join(out)

