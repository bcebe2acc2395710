"""The yearly record: the per-school table of the official indicators, the county metrics
of each year, and what summary.json says about a run.

Functions of the state (:class:`~sim.state.CountyState`) at the end of a year, called by
the model inside a read-only block (nothing here writes the state):

* :func:`school_columns` — one row per open school and level section with pupils, in the
  school-table format of the evaluation (:mod:`sim.evaluation`);
* :func:`record_year` — the county metrics of the year (a row of ``timeseries()``);
* :func:`resource_equity` and :func:`official_tests` — parts of that row;
* :func:`first_year_met` — the first year a verdict holds (summary, aggregation, design);
* :func:`assessable` and :func:`level_verdict` — whether a year's tests could judge a level
  (a level whose schools are all teaching points under 50 pupils is *not assessable*: its
  CVs are undefined) and the verdict line that says so instead of FAILED with ``nan``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim import evaluation, metrics
from sim.processes import backbone as backbone_quotas
from sim.processes import finance
from sim.standards import FACILITY_STANDARDS_PER_STUDENT, QUALIFIED_TEACHERS_PER_STUDENT
from sim.vocabulary import RURAL, SCHOOL_TYPES, TIER_NAMES, URBAN

if TYPE_CHECKING:
    from sim.config import EvaluationConfig
    from sim.state import CountyState

__all__ = ["COMPUTER_BOOK_REFERENCE", "NOT_ASSESSABLE", "VERDICT_COLUMNS", "assessable",
           "first_year_met", "level_verdict", "mean_gap", "official_tests", "record_year",
           "resource_equity", "school_columns", "summary_extras"]

#: reference levels used to split computers and books between the sections of a nine-year
#: school (per pupil, [primary, junior]); assumption, see FinanceConfig.
COMPUTER_BOOK_REFERENCE = np.array([[0.12, 30.0], [0.15, 39.0]])
COMPUTER_BOOK_REFERENCE.flags.writeable = False

#: the yearly verdicts of the official tests (timeseries columns), county-wide and by level
VERDICT_COLUMNS: tuple[str, ...] = (
    "quality_passed", "basic_passed", "quality_passed_primary", "quality_passed_junior",
    "basic_passed_primary", "basic_passed_junior", "quality_cv_passed_primary",
    "quality_cv_passed_junior")


NOT_ASSESSABLE = f"not assessable: no school of {evaluation.MIN_STUDENTS}+ pupils"
"""What the verdict of a level says when every school of it is a teaching point, which the
official tests leave out (:data:`sim.standards.MIN_STUDENTS`)."""


def assessable(row: Mapping[str, Any], level: str) -> bool:
    """Whether the official tests could judge ``level`` in a year's record (a row of
    ``timeseries()``): it had a school of at least :data:`sim.standards.MIN_STUDENTS`
    pupils. Otherwise its CVs and its share of complying schools are ``nan`` and its
    verdicts False (not met), and :func:`level_verdict` says :data:`NOT_ASSESSABLE`."""
    share = row.get(f"quality_schools_complying_{level}")
    return share is not None and math.isfinite(float(share))


def level_verdict(row: Mapping[str, Any], standard: str, level: str) -> str:
    """One level's verdict on one standard (``quality`` 2017, ``basic`` 2012) in a year's
    record, for the terminal: ``met`` or ``FAILED`` with the CVs above the official limit and
    the share of complying schools (2017) or the mean CV (2012); ``not assessable: no school of
    50+ pupils`` when no school of the level counted, never FAILED with undefined CVs."""
    if not assessable(row, level):
        return f"{level} {NOT_ASSESSABLE}"
    ok = bool(row[f"{standard}_passed_{level}"])
    if standard == "quality":
        limit = evaluation.CV_LIMITS["quality"][level]
        bad = [_cv_text(evaluation.INDICATORS[n].label, row[f"cv_{level}_{n}"])
               for n in evaluation.QUALITY_INDICATORS
               if f"cv_{level}_{n}" in row and not row[f"cv_{level}_{n}"] <= limit]
        share = row[f"quality_schools_complying_{level}"]
        detail = (f"{'; '.join(bad) or 'all CVs within ' + str(limit)}; "
                  f"{100 * share:.0f}% of schools comply")
    else:
        detail = f"mean CV {row[f'basic_mean_cv_{level}']:.2f}"
    return f"{level} {'met' if ok else 'FAILED'} ({detail})"


def _cv_text(label: str, cv: float) -> str:
    """``LABEL CV 0.57``; an undefined CV (the county mean is 0: no school has any) is said
    in words, as it fails the test."""
    if math.isfinite(float(cv)):
        return f"{label} CV {cv:.2f}"
    return f"{label}: none in any school (CV undefined)"


def first_year_met(ts: pd.DataFrame, condition: str | np.ndarray) -> int | None:
    """The first year (``ts["year"]``) in which ``condition`` holds: a boolean column of
    ``ts`` by name (missing values count as not met), or one boolean per row. None if
    never, or if the named column is absent."""
    if isinstance(condition, str):
        if condition not in ts:
            return None
        condition = ts[condition].fillna(False).astype(bool).to_numpy()
    hit = np.flatnonzero(np.asarray(condition, dtype=bool))
    return int(ts["year"].iloc[hit[0]]) if len(hit) else None


def mean_gap(sum_a: float, n_a: int, sum_b: float, n_b: int) -> float:
    """Mean of group a minus mean of group b from their sums and sizes (``nan`` when a
    group is empty), as :func:`sim.metrics.group_gap` with unit weights."""
    if n_a <= 0 or n_b <= 0:
        return float("nan")
    return float(sum_a) / float(n_a) - float(sum_b) / float(n_b)


def school_columns(model: CountyState) -> dict[str, np.ndarray]:
    """This year's per-school table (:meth:`EducationModel.school_table`) as a dict of numpy
    columns, without building a DataFrame (what the yearly record and the official
    tests use), computed afresh."""
    sch, t, s = model.schools, model.teachers, model.students
    n = sch.n
    n_sec = model.section_enrolment()
    key_t = t.school.astype(np.int64) * 2 + t.section

    def per_section(mask: np.ndarray | None) -> np.ndarray:
        keys = key_t if mask is None else key_t[mask]
        return np.bincount(keys, minlength=2 * n).reshape(-1, 2)

    teachers = per_section(None)
    required = np.where(t.section == 0, 1, 2)  # primary: 专科+, junior: 本科+
    above = per_section(t.qualification >= required)
    backbone = backbone_quotas.backbone_by_unit(model)  # teaching or post school: the switch
    pe_arts = per_section(t.subject > 0)
    mid_title = per_section(t.title >= 1)
    eff_sum = np.bincount(key_t, weights=model.teacher_effectiveness(), minlength=2 * n)
    key_s = s.school * 2
    key_s += s.grade >= 7
    z_sum = np.bincount(key_s, weights=model.achievement_z(), minlength=2 * n)
    ses_sum = np.bincount(key_s, weights=s.ses, minlength=2 * n)

    def split(stock: np.ndarray, std: np.ndarray, k: int) -> np.ndarray:
        w = n_sec * std[None, :] * model.split_adj[k]
        tot = w.sum(axis=1, keepdims=True)
        share = np.divide(w, tot, out=np.full_like(w, 0.5, dtype=float), where=tot > 0)
        return stock[:, None] * share

    cols = {
        "building_area_m2": split(sch.building_area, FACILITY_STANDARDS_PER_STUDENT[:, 0], 0),
        "sports_area_m2": split(sch.sports_area, FACILITY_STANDARDS_PER_STUDENT[:, 1], 1),
        "equipment_value_yuan": split(sch.equipment_value, FACILITY_STANDARDS_PER_STUDENT[:, 2], 2),
        "multimedia_rooms": split(sch.multimedia_rooms, FACILITY_STANDARDS_PER_STUDENT[:, 3], 3),
        "computers": split(sch.computers, COMPUTER_BOOK_REFERENCE[:, 0], 4),
        "books": split(sch.books, COMPUTER_BOOK_REFERENCE[:, 1], 5),
    }
    keep = (n_sec > 0) & sch.open[:, None]
    school_idx, section = np.nonzero(keep)
    pupils = n_sec[school_idx, section]
    n_t = teachers[school_idx, section]
    columns = {
        "year": np.full(len(school_idx), model.year, dtype=np.int64),
        "school_id": school_idx,
        "school_code": np.array(model.school_codes, dtype=object)[school_idx],
        "name": np.array(model.school_names, dtype=object)[school_idx],
        "level": np.where(section == 0, "primary", "junior"),
        "tier": np.array(TIER_NAMES, dtype=object)[sch.tier[school_idx]],
        "school_type": np.array(SCHOOL_TYPES, dtype=object)[
            sch.level[school_idx]],
        "students": pupils,
        "teachers": n_t,
        "teachers_above_required_qualification": above[school_idx, section],
        "backbone_teachers": backbone[school_idx, section],
        "pe_arts_teachers": pe_arts[school_idx, section],
        "teachers_mid_title": mid_title[school_idx, section],
        **{k: v[school_idx, section] for k, v in cols.items()},
        "x": sch.x[school_idx], "y": sch.y[school_idx],
        "capacity": sch.capacity[school_idx],
        "mean_achievement": z_sum.reshape(-1, 2)[school_idx, section] / pupils,
        "mean_ses": ses_sum.reshape(-1, 2)[school_idx, section] / pupils,
        "teacher_effectiveness": np.divide(
            eff_sum.reshape(-1, 2)[school_idx, section], n_t,
            out=np.full(len(n_t), np.nan), where=n_t > 0),
    }
    return columns


def record_year(model: CountyState) -> dict[str, Any]:
    """This year's county metrics (one row of ``timeseries()``), from the final state of the
    year: population, achievement and its gaps, staffing and flows, every policy's cost and
    own report, resource equity (:func:`resource_equity`) and the official tests
    (:func:`official_tests`). Collects the active policies' costs of the year."""
    s, t, sch = model.students, model.teachers, model.schools
    z = model.achievement_z()
    t_tier = sch.tier[t.school]
    eff = model.teacher_effectiveness()
    enrol = model.section_enrolment().sum(axis=1)  # pupils per school
    rec: dict[str, Any] = {
        "year": model.year,
        "students": s.n,
        "teachers": t.n,
        "schools_open": int(sch.open.sum()),
    }
    # z.mean() is this sum over n (the same division): one pass over the pupils fewer
    z_total = float(np.sum(z)) if s.n else 0.0
    rec["mean_achievement"] = z_total / s.n if s.n else np.nan
    z_sum = np.zeros(3)
    if s.n:
        # the pupils' measures from one pass: count and sum of z per school and SES group
        # (metrics.group_gap, between_share and dissimilarity_index on the pupils give
        # the same values up to rounding; tests/test_model.py checks them)
        cnt, zs = model.school_ses_z()
        var = float(z.var())
        rec["sd_achievement"] = float(np.sqrt(var))
        low, high = cnt[:, 1] + cnt[:, 3], cnt[:, 2] + cnt[:, 3]
        rec["ses_gap"] = mean_gap(zs[:, 2].sum() + zs[:, 3].sum(), high.sum(),
                              zs[:, 1].sum() + zs[:, 3].sum(), low.sum())
        per_school, zs_school = cnt.sum(axis=1), zs.sum(axis=1)
        urban, rural = sch.tier == URBAN, sch.tier == RURAL
        rec["urban_rural_gap"] = mean_gap(zs_school[urban].sum(), per_school[urban].sum(),
                                      zs_school[rural].sum(), per_school[rural].sum())
        if z.max() > z.min():  # exact test: rounding in the mean must not fake a variance
            rec["between_school_share"] = metrics.between_share_of_groups(
                per_school, zs_school, s.n, z_total / s.n, var)
        else:
            rec["between_school_share"] = np.nan
        rec["ses_dissimilarity"] = metrics.dissimilarity_index(low, enrol)
        # the mean of a boolean column is its count over n (the float sum of 0s and 1s is
        # exact)
        rec["left_behind_share"] = np.count_nonzero(s.left_behind) / s.n
        rec["migrant_share"] = np.count_nonzero(s.migrant) / s.n
        z_sum = np.bincount(sch.tier, weights=zs_school, minlength=3)
    else:
        rec["sd_achievement"] = np.nan
    per_tier_students = np.bincount(sch.tier, weights=enrol, minlength=3).astype(np.int64)
    per_tier_teachers = np.bincount(t_tier, minlength=3)
    eff_sum = np.bincount(t_tier, weights=eff, minlength=3)
    bb = np.bincount(t_tier[t.backbone], minlength=3)
    for k, name in enumerate(TIER_NAMES):
        rec[f"students_{name}"] = int(per_tier_students[k])
        rec[f"teachers_{name}"] = int(per_tier_teachers[k])
        rec[f"achievement_{name}"] = (z_sum[k] / per_tier_students[k]
                                      if per_tier_students[k] else np.nan)
        rec[f"teacher_effectiveness_{name}"] = (eff_sum[k] / per_tier_teachers[k]
                                                if per_tier_teachers[k] else np.nan)
        rec[f"backbone_per_100_{name}"] = (100.0 * bb[k] / per_tier_students[k]
                                           if per_tier_students[k] else np.nan)
        start = model.flows.get(f"staff_start_{name}", 0)
        rec[f"attrition_rate_{name}"] = (model.flows.get(f"attrition_{name}", 0) / start
                                         if start else np.nan)
    rec["vacancies"] = int(np.maximum(model.staffing_quota() - model.section_staff(), 0).sum())
    sizes = getattr(model, "class_size", np.zeros(0))
    if len(sizes):
        rec["mean_class_size"] = float(sizes.mean())
        rec["large_class_share"] = float((sizes > 55).mean())  # 大班额: 56 or more
    rec["schools_over_capacity"] = int(((enrol > sch.capacity) & sch.open).sum())
    for key in ("entrants", "graduates", "out_migrants", "internal_movers", "migrant_arrivals",
                "choosers", "overflow", "retirements", "attrition", "transfers", "hires",
                "unfilled_vacancies", "new_backbone", "backbone_revoked", "seats_added",
                "schools_merged", "district_movers"):
        rec[key] = int(model.flows.get(key, 0))
    if model.cfg.teachers.specialist_extra_posts > 0:  # recorded only with the option on
        rec["specialists_recruited"] = int(model.flows.get("specialists_recruited", 0))
    if model.cfg.finance.surplus_transfer > 0:  # recorded only with the strategy on
        for key in ("surplus_building_m2", "surplus_sports_m2"):
            rec[key] = float(model.flows.get(key, 0.0))
    rec["district_premium_yuan"] = float(model.flows.get("district_premium_yuan", 0.0))
    for p in model.policies:
        rec[f"cost_policy_{p.name}"] = p.take_cost() if p.active(model) else 0.0
        model.costs[f"policy_{p.name}"] = rec[f"cost_policy_{p.name}"]
        if p.active(model):
            for key, value in p.report(model).items():
                rec[f"{p.name}.{key}"] = value
    rec["spending_yuan"] = float(sum(model.costs.values())) if model.year else np.nan
    for key, value in model.costs.items():
        rec[f"cost_{key}"] = float(value)
    rec.update(resource_equity(model))
    rec.update(official_tests(model.school_columns(), model.cfg.evaluation))
    return rec


def resource_equity(model: CountyState) -> dict[str, Any]:
    """Inequality of resources across schools, pupil-weighted: Gini, Theil T with its
    between-tier share, and the McLoone index, for operating funds, equipment value and
    teachers above the required qualification. Each school's amount is divided by what
    its pupils would have at the level's standard (funds: the per-pupil benchmark;
    equipment and qualified teachers: the 2017 standards), so that primary and junior
    sections are comparable; equal schools give 0 (Gini, Theil) and 1 (McLoone)."""
    sch = model.schools
    n_sec = model.section_enrolment().astype(float)
    pupils = n_sec.sum(axis=1)
    keep = sch.open & (pupils > 0)
    if not keep.any():
        return {}
    fc = model.cfg.finance
    t = model.teachers
    required = np.where(t.section == 0, 1, 2)
    qualified = np.bincount(t.school[t.qualification >= required], minlength=sch.n)
    per_pupil = {
        "funds": (finance.school_funds(model),
                  n_sec @ np.array([fc.per_student_funds_primary, fc.per_student_funds_junior])),
        "equipment": (sch.equipment_value, n_sec @ FACILITY_STANDARDS_PER_STUDENT[:, 2]),
        "qualified_teachers": (qualified.astype(float), n_sec @ QUALIFIED_TEACHERS_PER_STUDENT),
    }
    w, tier = pupils[keep], sch.tier[keep]
    out: dict[str, Any] = {}
    for name, (have, standard) in per_pupil.items():
        x = have[keep] / standard[keep]
        out[f"gini_{name}"] = metrics.gini(x, w)
        dec = metrics.theil_decomposition(x, tier, w)
        out[f"theil_{name}"] = dec.total
        out[f"theil_{name}_between_tier_share"] = (
            min(max(dec.between / dec.total, 0.0), 1.0) if dec.total > 0 else np.nan)
        out[f"mcloone_{name}"] = metrics.mcloone_index(x, w)
    return out


def official_tests(table: dict[str, np.ndarray], ev: EvaluationConfig) -> dict[str, Any]:
    """The 2017 (quality) and 2012 (basic) county tests on a year's per-school table
    (:func:`school_columns`), with the county's CV thresholds ``ev``."""
    out: dict[str, Any] = {}
    below_pupils, assessed = 0, False
    verdict = {"quality": True, "basic": True}
    for level in ("primary", "junior"):
        rows = table["level"] == level
        columns = {c: v[rows] for c, v in table.items()
                   if c in evaluation.NUMERIC_COLUMNS}
        q = evaluation.evaluate_arrays(columns, level, "quality", ev.quality_threshold)
        for name, cv in zip(q.names, q.cv, strict=True):
            out[f"cv_{level}_{name}"] = float(cv)
        out[f"quality_cv_passed_{level}"] = q.cv_passed
        out[f"quality_schools_complying_{level}"] = (
            float(q.complies[q.included].mean()) if q.included.any() else np.nan)
        out[f"quality_passed_{level}"] = q.passed
        below_pupils += int(columns["students"][q.included & ~q.complies].sum())
        assessed |= bool(q.included.any())
        try:
            b = evaluation.evaluate_arrays(columns, level, "basic", ev.basic_threshold)
            out[f"basic_mean_cv_{level}"] = b.mean_cv
            out[f"basic_passed_{level}"] = b.passed
        except ValueError:  # a section without teachers: ratio undefined
            out[f"basic_mean_cv_{level}"] = np.nan
            out[f"basic_passed_{level}"] = False
        verdict["quality"] &= q.passed
        verdict["basic"] &= out[f"basic_passed_{level}"]
    out["quality_passed"] = verdict["quality"]
    out["quality_cv_passed"] = bool(out["quality_cv_passed_primary"]
                                    and out["quality_cv_passed_junior"])
    out["basic_passed"] = verdict["basic"]
    # a share of all pupils (those of schools under 50 pupils, which the tests leave out,
    # are not below); undefined when no school is assessed at either level
    out["pupils_in_noncomplying_schools"] = (
        below_pupils / int(table["students"].sum()) if assessed else np.nan)
    return out


def summary_extras(model: CountyState, ts: pd.DataFrame) -> dict[str, Any]:
    """For summary.json: the first year each official standard is met (None if never),
    the last year's CVs, the county's source and what was synthesised, and each policy's
    configuration and total cost (``ts``: the model's timeseries)."""
    first = {col.replace("_passed", ""): first_year_met(ts, col) for col in VERDICT_COLUMNS}
    last = ts.iloc[-1]
    cvs = {c: last[c] for c in ts.columns if c.startswith("cv_")}
    out: dict[str, Any] = {"first_year_standard_met": first, "last_year_cv": cvs,
                           "county": {"path": model.cfg.region.path,
                                      "synthesised": list(model.synthesis_notes)}}
    if model.policies:
        out["policies"] = {
            p.name: {"config": dataclasses.asdict(p.config), "total_cost_yuan": p.total_cost}
            for p in model.policies}
    return out
