"""Tests for sim.evaluation: the official 2017 (quality) and 2012 (basic) county balance
tests, school-table validation and the ``edusim-evaluate`` CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.county_table import COUNT_COLUMNS, CountyTableError
from sim.evaluation import (
    BASIC_INDICATORS,
    CV_LIMITS,
    INDICATORS,
    QUALITY_INDICATORS,
    QUALITY_STANDARDS,
    REQUIRED_COLUMNS,
    NoSchoolsError,
    NotAssessableError,
    SchoolTableError,
    cv_limit,
    cv_vector,
    evaluate,
    evaluate_arrays,
    indicator_matrix,
    load_school_table,
    main,
    school_compliance,
    validate_school_table,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "county_schools.csv"

SPORTS = "sports_area_m2_per_student"
BACKBONE = "backbone_teachers_per_100"
BUILDING = "building_area_m2_per_student"


# ---------------------------------------------------------------------------------------
# helpers: build school tables from indicator values
# ---------------------------------------------------------------------------------------


def school_row(sid, students, level="primary", tier="rural", **values):
    """A table row whose indicators take ``values`` (indicator name -> value); indicators not
    given sit at 1.2 x the 2017 standard (2012-only ones at fixed values), so they meet the
    standard and are equal across schools (CV 0)."""
    std = QUALITY_STANDARDS[level]
    v = {n: 1.2 * std[n] for n in QUALITY_INDICATORS}
    v.update({"computers_per_100": 10.0, "books_per_student": 25.0,
              "students_per_teacher": 10.0, "teachers_mid_title_per_100": 3.0})
    v.update(values)
    teachers = students / v["students_per_teacher"]
    per100 = students / 100.0
    return {
        "school_id": sid, "name": f"School {sid}", "level": level, "tier": tier,
        "students": students,
        "teachers_above_required_qualification":
            v["teachers_above_required_qualification_per_100"] * per100,
        "backbone_teachers": v[BACKBONE] * per100,
        "pe_arts_teachers": v["pe_arts_teachers_per_100"] * per100,
        "building_area_m2": v[BUILDING] * students,
        "sports_area_m2": v[SPORTS] * students,
        "equipment_value_yuan": v["equipment_value_yuan_per_student"] * students,
        "multimedia_rooms": v["multimedia_rooms_per_100"] * per100,
        "teachers": teachers,
        "teachers_mid_title": v["teachers_mid_title_per_100"] * per100,
        "computers": v["computers_per_100"] * per100,
        "books": v["books_per_student"] * students,
    }


def table(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def weighted_cv(x, w):
    x, w = np.asarray(x, float), np.asarray(w, float)
    m = (w * x).sum() / w.sum()
    return math.sqrt((w * (x - m) ** 2).sum() / w.sum()) / m


def write_csv(path: Path, df: pd.DataFrame, encoding="utf-8") -> Path:
    """The table as a county's file: counts rounded to whole numbers, as files need them
    (a DataFrame may hold fractions, see test_dataframe_counts_may_be_fractional)."""
    df = df.copy()
    for c in COUNT_COLUMNS:
        if c in df.columns:
            df[c] = [round(v) if isinstance(v, float) else v for v in df[c]]
    path.write_text(df.to_csv(index=False), encoding=encoding)
    return path


def good_frame() -> pd.DataFrame:
    """Three valid primary rows (data lines 2, 3, 4 of the CSV)."""
    return table(school_row("A", 400, tier="urban"), school_row("B", 300, tier="town"),
                 school_row("C", 200))


# ---------------------------------------------------------------------------------------
# constants
# ---------------------------------------------------------------------------------------


def test_constants_match_domain_tables():
    assert QUALITY_STANDARDS["primary"] == {
        "teachers_above_required_qualification_per_100": 4.2, BACKBONE: 1.0,
        "pe_arts_teachers_per_100": 0.9, BUILDING: 4.5, SPORTS: 7.5,
        "equipment_value_yuan_per_student": 2000.0, "multimedia_rooms_per_100": 2.3}
    assert QUALITY_STANDARDS["junior"] == {
        "teachers_above_required_qualification_per_100": 5.3, BACKBONE: 1.0,
        "pe_arts_teachers_per_100": 0.9, BUILDING: 5.8, SPORTS: 10.2,
        "equipment_value_yuan_per_student": 2500.0, "multimedia_rooms_per_100": 2.4}
    assert CV_LIMITS == {"quality": {"primary": 0.50, "junior": 0.45},
                         "basic": {"primary": 0.65, "junior": 0.55}}
    assert len(QUALITY_INDICATORS) == 7 and len(BASIC_INDICATORS) == 8
    for n in QUALITY_INDICATORS + BASIC_INDICATORS:
        assert INDICATORS[n].unit and INDICATORS[n].source


def test_indicator_matrix_hand_values():
    cols = {"students": [200.0, 50.0], "backbone_teachers": [3.0, 0.0],
            "sports_area_m2": [1500.0, 1000.0], "teachers": [20.0, 4.0]}
    m = indicator_matrix(cols, [BACKBONE, SPORTS, "students_per_teacher"])
    np.testing.assert_allclose(m, [[1.5, 7.5, 10.0], [0.0, 20.0, 12.5]])
    with pytest.raises(ValueError, match="'teachers' must be > 0"):
        indicator_matrix({"students": [10.0], "teachers": [0.0]}, ["students_per_teacher"])


# ---------------------------------------------------------------------------------------
# difference coefficients, hand-computed
# ---------------------------------------------------------------------------------------


def test_cv_vector_hand_computed():
    # x = [2, 4], P = [100, 300]: X = 3.5, S^2 = 0.25*2.25 + 0.75*0.25 = 0.75
    m = np.array([[2.0, 5.0], [4.0, 5.0]])
    cv = cv_vector(m, [100, 300])
    assert cv[0] == pytest.approx(math.sqrt(0.75) / 3.5, rel=1e-12)
    assert cv[1] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_cv_vector_equals_difference_coefficient_per_column(seed):
    # all columns at once must give exactly the per-column official coefficient, over the
    # schools with enough pupils; a column with county mean 0 gives nan
    from sim.metrics import difference_coefficient

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    m = rng.lognormal(0.0, 1.0, size=(n, 7)) * rng.uniform(0.1, 1e4, size=7)
    m[:, 3] = 0.0
    students = rng.integers(0, 3000, size=n).astype(float)
    keep = students >= 100
    cv = cv_vector(m, students, 100)
    for j in range(7):
        expected = difference_coefficient(m[keep, j], students[keep])
        if np.isnan(expected):
            assert np.isnan(cv[j])
        else:
            assert cv[j] == expected  # bit for bit
    assert np.isnan(cv[3])
    assert np.isnan(cv_vector(m, np.zeros(n), 100)).all()  # no school included


def test_weighted_cv_fails_where_unweighted_would_pass():
    # sports area 8, 16, 24 m² (all meet 7.5); enrolments 400, 100, 100
    # weighted: X = 12, S^2 = (400*16 + 100*16 + 100*144) / 600 = 112/3, CV = 0.5092 > 0.50
    # unweighted (equal enrolments): CV = sqrt(2/3) / 2 = 0.4082 <= 0.50
    x = [8.0, 16.0, 24.0]
    weighted = table(*(school_row(s, p, **{SPORTS: v})
                       for s, p, v in zip("ABC", [400, 100, 100], x, strict=True)))
    r = evaluate(weighted, "primary")
    assert r.cv[SPORTS] == pytest.approx(math.sqrt(112 / 3) / 12, rel=1e-12)
    assert r.cv[SPORTS] == pytest.approx(0.50918, abs=1e-5)
    assert not r.passed and not r.cv_passed
    assert r.failing_indicators == [SPORTS]
    assert r.county_means[SPORTS] == pytest.approx(12.0)

    equal = table(*(school_row(s, 100, **{SPORTS: v}) for s, v in zip("ABC", x, strict=True)))
    r2 = evaluate(equal, "primary")
    assert r2.cv[SPORTS] == pytest.approx(math.sqrt(2 / 3) / 2, rel=1e-12)
    assert r2.passed and r2.failing_indicators == []


def test_one_indicator_fails_while_mean_of_cvs_passes():
    # only the sports-area CV is non-zero (0.509): each-CV test fails, the mean test passes
    df = table(*(school_row(s, p, **{SPORTS: v})
                 for s, p, v in zip("ABC", [400, 100, 100], [8.0, 16.0, 24.0], strict=True)))
    q = evaluate(df, "primary", "quality")
    assert not q.passed and q.failing_indicators == [SPORTS]
    assert q.schools_passed  # every school meets every standard
    assert q.mean_cv == pytest.approx(q.cv[SPORTS] / 7, rel=1e-9)
    assert q.mean_cv < CV_LIMITS["quality"]["primary"]  # the mean alone would pass

    b = evaluate(df, "primary", "basic")
    assert b.passed and b.failing_indicators == []
    assert b.above_limit == []  # 0.509 <= 0.65
    assert b.mean_cv == pytest.approx(b.cv[SPORTS] / 8, rel=1e-9)
    assert set(b.cv) == set(BASIC_INDICATORS)


def test_basic_fails_on_the_mean_and_names_the_indicators_above_the_limit():
    # building, sports and equipment each with CV 0.509 -> mean 3*0.509/8 = 0.191
    vals = {"A": 1.0, "B": 2.0, "C": 3.0}
    rows = [school_row(s, p, **{BUILDING: 5 * vals[s], SPORTS: 8 * vals[s],
                                "equipment_value_yuan_per_student": 2100 * vals[s]})
            for s, p in zip("ABC", [400, 100, 100], strict=True)]
    df = table(*rows)
    assert evaluate(df, "primary", "basic").passed
    r = evaluate(df, "primary", "basic", threshold=0.15)
    assert r.mean_cv == pytest.approx(3 * 0.50918 / 8, abs=1e-4)
    assert not r.passed
    assert set(r.failing_indicators) == {BUILDING, SPORTS, "equipment_value_yuan_per_student"}


def test_students_per_teacher_is_students_over_teachers():
    df = table(school_row("A", 400, students_per_teacher=10.0),
               school_row("B", 200, students_per_teacher=15.0))
    r = evaluate(df, "primary", "basic")
    np.testing.assert_allclose(r.schools["students_per_teacher"], [10.0, 15.0])
    assert r.cv["students_per_teacher"] == pytest.approx(weighted_cv([10, 15], [400, 200]))
    assert r.cv["students_per_teacher"] != pytest.approx(weighted_cv([0.1, 1 / 15], [400, 200]))


# ---------------------------------------------------------------------------------------
# school compliance: 6 of 7, the missed one >= 85 %
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("building_m2", "complies"), [
    (3825.0, True),   # 3.825 m² = exactly 85 % of 4.5
    (3824.0, False),  # 84.98 %
    (4500.0, True),   # meets all 7
])
def test_85_percent_edge(building_m2, complies):
    row = school_row("A", 1000)
    row["building_area_m2"] = building_m2
    r = evaluate(table(row, school_row("B", 1000)), "primary")
    s = r.schools.iloc[0]
    assert bool(s["complies"]) is complies
    assert s["n_met"] == (7 if building_m2 >= 4500 else 6)
    assert bool(s[f"{BUILDING}_met"]) is (building_m2 >= 4500)
    assert s[f"{BUILDING}_ratio"] == pytest.approx(building_m2 / 4500)
    assert r.schools_passed is complies
    assert r.passed is complies  # CVs are small here, so compliance decides


def test_two_missed_standards_fail_even_when_both_are_close():
    row = school_row("A", 1000, **{BUILDING: 0.99 * 4.5, SPORTS: 0.99 * 7.5})
    r = evaluate(table(row, school_row("B", 1000)), "primary")
    s = r.schools.iloc[0]
    assert s["n_met"] == 5 and not s["complies"]
    assert s["missed"] == f"{BUILDING}, {SPORTS}"
    assert r.non_compliant_schools == ["A"]
    assert r.cv_passed and not r.schools_passed and not r.passed


def test_school_compliance_on_arrays_junior():
    std = np.array([QUALITY_STANDARDS["junior"][n] for n in QUALITY_INDICATORS])
    m = np.vstack([std, std, std, std])
    m[1, 3] = 0.85 * std[3]  # one missed at exactly 85 %
    m[2, 3] = 0.84 * std[3]  # one missed below 85 %
    m[3, [0, 1]] = 0.95 * std[[0, 1]]  # two missed
    ratio, met, n_met, complies = school_compliance(m, "junior")
    assert n_met.tolist() == [7, 6, 6, 5]
    assert complies.tolist() == [True, True, False, False]
    assert ratio[2, 3] == pytest.approx(0.84)


# ---------------------------------------------------------------------------------------
# teaching points (< 50 pupils)
# ---------------------------------------------------------------------------------------


def test_school_under_50_pupils_does_not_change_the_cvs_but_50_does():
    base = [school_row("A", 400, **{SPORTS: 8.0}), school_row("B", 300, **{SPORTS: 12.0})]
    odd = {SPORTS: 40.0, BACKBONE: 0.0, "pe_arts_teachers_per_100": 0.0}
    r0 = evaluate(table(*base), "primary")
    r49 = evaluate(table(*base, school_row("T", 49, **odd)), "primary")
    r50 = evaluate(table(*base, school_row("T", 50, **odd)), "primary")

    assert r49.cv == r0.cv  # identical floats
    assert r49.county_means == r0.county_means
    assert r49.excluded_schools == ["T"] and r49.n_included == 2 and r49.n_rows == 3
    t = r49.schools[r49.schools["school_id"] == "T"].iloc[0]
    assert t["excluded"] and not t["complies"]  # reported, but it does not count
    assert r49.schools_passed and r49.passed

    assert r50.excluded_schools == []
    assert r50.cv[SPORTS] != pytest.approx(r0.cv[SPORTS])
    assert r50.cv[SPORTS] == pytest.approx(weighted_cv([8, 12, 40], [400, 300, 50]))
    assert r50.cv[BACKBONE] > 0
    assert not r50.schools_passed and r50.non_compliant_schools == ["T"]


def test_level_with_only_teaching_points_is_not_assessable():
    with pytest.raises(NotAssessableError, match="primary: not assessable: no school of 50"):
        evaluate(table(school_row("T", 30), school_row("U", 49)), "primary")
    with pytest.raises(NoSchoolsError, match="no junior rows") as exc:
        evaluate(table(school_row("A", 300)), "junior")
    assert not isinstance(exc.value, NotAssessableError)


def test_cli_teaching_points_only_says_not_assessable_never_nan(tmp_path, capsys):
    """A county whose schools are all teaching points gets "not assessable" (exit 0: a
    verdict on a valid table), never FAILED with undefined CVs."""
    path = write_csv(tmp_path / "small.csv", table(
        school_row("T", 30), school_row("U", 20), school_row("J", 40, level="junior")))
    assert main([str(path), "--standard", "both"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "nan" not in out and "FAIL" not in out
    assert "primary: not assessable: no school of 50+ pupils (all 2 primary rows" in out
    assert "junior: not assessable: no school of 50+ pupils" in out
    assert main([str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["results"] == [] and len(data["not_evaluated"]) == 2
    assert all("not assessable" in note for note in data["not_evaluated"])


def test_dataframe_counts_may_be_fractional_but_files_not(tmp_path, capsys):
    """A DataFrame (a simulated county's table) may hold fractional counts; a file may not,
    for every tool (the same message as edusim-check-county)."""
    df = good_frame()
    df["students"] = df["students"].astype(float)
    df.loc[0, "students"] = 400.5
    assert evaluate(df, "primary").n_rows == 3
    path = write_csv(tmp_path / "frac.csv", df)
    path.write_text(path.read_text().replace("\nA,School A,primary,urban,400,",
                                             "\nA,School A,primary,urban,400.5,"))
    assert "400.5" in path.read_text()
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert "line 2, column 'students'" in err and "must be a whole number" in err


# ---------------------------------------------------------------------------------------
# threshold and argument checks
# ---------------------------------------------------------------------------------------


def test_threshold_override_changes_the_verdict():
    # sports CV of 8 vs 12 m² at 400/300 pupils: 0.2003 -- passes 0.50 but not 0.20
    df = table(school_row("A", 400, **{SPORTS: 8.0}), school_row("B", 300, **{SPORTS: 12.0}))
    cv = weighted_cv([8, 12], [400, 300])
    assert 0.20 < cv < 0.30
    official = evaluate(df, "primary")
    strict = evaluate(df, "primary", threshold=0.20)
    assert official.passed and official.limit == 0.50
    assert not strict.passed and strict.failing_indicators == [SPORTS]
    assert strict.limit == 0.20 and strict.official_limit == 0.50
    assert strict.to_dict()["threshold_overridden"] is True
    # a laxer threshold can turn a failing county into a passing one
    lax_df = table(*(school_row(s, p, **{SPORTS: v})
                     for s, p, v in zip("ABC", [400, 100, 100], [8.0, 16.0, 24.0], strict=True)))
    assert not evaluate(lax_df, "primary").passed
    assert evaluate(lax_df, "primary", threshold=0.6).passed


@pytest.mark.parametrize("bad", [0, 0.0, -0.1, 1.01, float("nan"), "x"])
def test_threshold_out_of_range_is_rejected(bad):
    with pytest.raises(ValueError, match=r"threshold .*\(0, 1\]"):
        evaluate(good_frame(), "primary", threshold=bad)


def test_threshold_of_one_is_allowed_and_cv_limit():
    assert cv_limit("junior") == 0.45
    assert cv_limit("junior", "basic") == 0.55
    assert cv_limit("primary", "basic", threshold=1) == 1.0


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"level": "middle"}, "level"),
    ({"level": "Primary"}, "level"),
    ({"level": "primary", "standard": "premium"}, "standard"),
])
def test_wrong_level_or_standard_names_the_argument_and_allowed_values(kwargs, name):
    with pytest.raises(ValueError) as exc:
        evaluate(good_frame(), **kwargs)
    msg = str(exc.value)
    assert msg.startswith(name)
    allowed = ["'primary'", "'junior'"] if name == "level" else ["'quality'", "'basic'"]
    assert all(a in msg for a in allowed)


def test_basic_without_optional_columns_names_them():
    df = good_frame().drop(columns=["teachers", "books"])
    evaluate(df, "primary", "quality")  # fine without them
    with pytest.raises(SchoolTableError) as exc:
        evaluate(df, "primary", "basic")
    msg = str(exc.value)
    assert "'teachers'" in msg and "'books'" in msg and "'computers'" not in msg


# ---------------------------------------------------------------------------------------
# results: numpy core agrees with the pandas layer, JSON, nine-year schools
# ---------------------------------------------------------------------------------------


def test_numpy_core_agrees_with_evaluate():
    df = table(school_row("A", 400, **{SPORTS: 8.0, BACKBONE: 2.0}),
               school_row("B", 120, **{SPORTS: 20.0, BACKBONE: 0.5}),
               school_row("C", 40, **{SPORTS: 30.0}))
    cols = {c: df[c].to_numpy(float) for c in df.columns if c not in
            ("school_id", "name", "level", "tier")}
    core = evaluate_arrays(cols, "primary")
    r = evaluate(df, "primary")
    np.testing.assert_allclose(core.cv, [r.cv[n] for n in QUALITY_INDICATORS])
    assert core.passed == r.passed and core.included.tolist() == [True, True, False]
    assert core.complies.tolist() == r.schools["complies"].tolist()


def test_to_dict_is_strict_json():
    r = evaluate(good_frame(), "primary")
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert set(d["cv"]) == set(QUALITY_INDICATORS)
    assert d["passed"] is True and d["schools_passed"] is True
    assert len(d["schools"]) == 3 and d["schools"][0]["line"] == 2


def test_nine_year_school_rows_are_evaluated_within_their_level():
    df = table(school_row("N", 300, "primary", "town"), school_row("N", 150, "junior", "town"),
               school_row("P", 500, "primary", "town"), school_row("J", 400, "junior", "town"))
    p, j = evaluate(df, "primary"), evaluate(df, "junior")
    assert p.schools["school_id"].tolist() == ["N", "P"]
    assert j.schools["school_id"].tolist() == ["N", "J"]
    assert p.passed and j.passed


def test_undefined_cv_counts_as_failing():
    # no school has any multimedia room: county mean 0, CV undefined (nan) -> fail
    df = table(school_row("A", 100, multimedia_rooms_per_100=0.0),
               school_row("B", 100, multimedia_rooms_per_100=0.0))
    with np.errstate(all="ignore"):
        r = evaluate(df, "primary")
    assert math.isnan(r.cv["multimedia_rooms_per_100"])
    assert "multimedia_rooms_per_100" in r.failing_indicators and not r.passed
    assert r.to_dict()["cv"]["multimedia_rooms_per_100"] is None


# ---------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------


def test_validation_lists_all_problems_with_lines_and_columns():
    df = good_frame()
    df.loc[0, "students"] = 0
    df.loc[2, "tier"] = "suburb"
    df = df.astype({"equipment_value_yuan": object})
    df.loc[1, "equipment_value_yuan"] = "lots"
    with pytest.raises(SchoolTableError) as exc:
        validate_school_table(df, source="t.csv")
    err = exc.value
    assert isinstance(err, ValueError)
    assert [(p.line, p.column) for p in err.problems] == [
        (2, "students"), (3, "equipment_value_yuan"), (4, "tier")]
    msg = str(err)
    assert msg.startswith("t.csv: 3 problems")
    assert "line 2, column 'students'" in msg and "'lots'" in msg and "suburb" in msg


def test_validation_checks_teacher_subsets_and_tier_consistency():
    df = table(school_row("A", 400, "primary", "urban"), school_row("A", 200, "junior", "rural"))
    df.loc[0, "pe_arts_teachers"] = 100.0  # teachers = 40
    df.loc[0, "teachers_mid_title"] = 41.0
    with pytest.raises(SchoolTableError) as exc:
        validate_school_table(df)
    found = {(p.line, p.column) for p in exc.value.problems}
    assert found == {(2, "pe_arts_teachers"), (2, "teachers_mid_title"), (3, "tier")}


def test_validated_table_is_normalised_and_indexed_by_line():
    df = good_frame()
    df["level"] = " Primary "
    df["extra"] = "ignored"
    out = validate_school_table(df)
    assert out.index.name == "line" and out.index.tolist() == [2, 3, 4]
    assert set(out["level"]) == {"primary"} and "extra" not in out.columns
    assert out["students"].dtype == float


# ---------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------


def test_cli_good_file_report(tmp_path, capsys):
    path = write_csv(tmp_path / "county.csv", good_frame())
    assert main([str(path), "--level", "primary"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "Verdict (primary, 2017 quality): PASS" in out
    assert "backbone teachers" in out


def test_cli_report_lists_failing_schools_and_indicators(tmp_path, capsys):
    row = school_row("W", 300, **{BACKBONE: 0.3, "pe_arts_teachers_per_100": 0.5})
    path = write_csv(tmp_path / "c.csv", table(school_row("A", 900), row))
    assert main([str(path), "--level", "primary"]) == 0
    out = capsys.readouterr().out
    assert "W School W (rural, 300 students, 5 of 7 met)" in out
    assert "backbone teachers 0.33 (33%)" in out  # 1 (0.9 rounded: files hold whole counts)
    assert "FAIL" in out and "1 school(s) not complying" in out


def test_cli_json(tmp_path, capsys):
    path = write_csv(tmp_path / "county.csv", good_frame())
    assert main([str(path), "--json", "--standard", "both", "--threshold", "0.3"]) == 0
    data = json.loads(capsys.readouterr().out)
    first = data["results"][0]
    assert set(first["cv"]) == set(QUALITY_INDICATORS) and first["limit"] == 0.3
    assert [(r["level"], r["standard"]) for r in data["results"]] == [
        ("primary", "quality"), ("primary", "basic")]
    assert data["not_evaluated"] == ["no junior rows"]
    assert data["read"]["format"] == "csv" and data["notes"] == []


def test_cli_missing_level_is_reported_not_a_crash(tmp_path, capsys):
    path = write_csv(tmp_path / "county.csv", good_frame())
    assert main([str(path), "--level", "both"]) == 0
    out, err = capsys.readouterr()
    assert "Not evaluated: no junior rows" in out and err == ""
    assert main([str(path), "--level", "junior"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "no junior rows" in err


def _malformed(df: pd.DataFrame, case: str) -> tuple[pd.DataFrame, int, str]:
    """Apply one defect; return (frame, expected line, expected column)."""
    df = df.astype(object)
    if case == "missing column":
        return df.drop(columns=["backbone_teachers"]), 1, "backbone_teachers"
    if case == "non-numeric":
        df.loc[1, "sports_area_m2"] = "abc"
        return df, 3, "sports_area_m2"
    if case == "empty cell":
        df.loc[2, "multimedia_rooms"] = ""
        return df, 4, "multimedia_rooms"
    if case == "zero students":
        df.loc[0, "students"] = 0
        return df, 2, "students"
    if case == "negative students":
        df.loc[2, "students"] = -5
        return df, 4, "students"
    if case == "negative area":
        df.loc[1, "building_area_m2"] = -1
        return df, 3, "building_area_m2"
    if case == "backbone > teachers":
        df.loc[1, "backbone_teachers"] = df.loc[1, "teachers"] + 1
        return df, 3, "backbone_teachers"
    if case == "above-qualification > teachers":
        df.loc[0, "teachers_above_required_qualification"] = df.loc[0, "teachers"] + 1
        return df, 2, "teachers_above_required_qualification"
    if case == "duplicate rows":
        return pd.concat([df, df.iloc[[0]]], ignore_index=True), 5, "school_id"
    if case == "bad level":
        df.loc[1, "level"] = "middle"
        return df, 3, "level"
    if case == "bad tier":
        df.loc[2, "tier"] = "suburban"
        return df, 4, "tier"
    raise AssertionError(case)


MALFORMED = ["missing column", "non-numeric", "empty cell", "zero students",
             "negative students", "negative area", "backbone > teachers",
             "above-qualification > teachers", "duplicate rows", "bad level", "bad tier"]


@pytest.mark.parametrize("case", MALFORMED)
def test_cli_malformed_file(tmp_path, capsys, case):
    df, line, column = _malformed(good_frame(), case)
    path = write_csv(tmp_path / "bad.csv", df)
    assert main([str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"line {line}, column '{column}'" in err
    assert err.startswith("edusim-evaluate: error: 1 problem in the county table")
    assert err.count("error:") == 1


def test_load_reports_every_problem_once(tmp_path):
    df = good_frame().astype(object)
    df.loc[0, "students"] = "many"
    df.loc[1, "level"] = "senior"
    df.loc[2, "backbone_teachers"] = -1
    path = write_csv(tmp_path / "bad.csv", df.drop(columns=["multimedia_rooms"]))
    with pytest.raises(CountyTableError) as exc:
        load_school_table(path)
    assert [(p.line, p.column) for p in exc.value.problems] == [
        (1, "multimedia_rooms"), (2, "students"), (3, "level"), (4, "backbone_teachers")]


def test_line_numbers_count_blank_lines_and_bom(tmp_path):
    text = write_csv(tmp_path / "w.csv", good_frame()).read_text().splitlines()
    text[2] = text[2].replace(",town,", ",nowhere,")  # data row B, file line 4 below
    path = tmp_path / "c.csv"
    path.write_text("\n".join([text[0], text[1], "", text[2], text[3]]) + "\n",
                    encoding="utf-8-sig")
    with pytest.raises(CountyTableError) as exc:
        load_school_table(path)
    assert [(p.line, p.column) for p in exc.value.problems] == [(4, "tier")]


def test_utf8_sig_gbk_and_unreadable_encoding(tmp_path):
    df = good_frame()
    df.loc[0, "name"] = "城东小学"
    ok = load_school_table(write_csv(tmp_path / "bom.csv", df, encoding="utf-8-sig"))
    assert ok["name"].iloc[0] == "城东小学" and ok.index.tolist() == [2, 3, 4]
    gbk = load_school_table(write_csv(tmp_path / "gbk.csv", df, encoding="gbk"))
    pd.testing.assert_frame_equal(gbk, ok)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(write_csv(tmp_path / "x.csv", df).read_bytes().replace(b"A,", b"\xff\xff,"))
    with pytest.raises(CountyTableError, match="neither UTF-8 nor GBK"):
        load_school_table(bad)


def test_cli_ragged_row_and_missing_file(tmp_path, capsys):
    lines = good_frame().to_csv(index=False).splitlines()
    lines[2] += ",extra"
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main([str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "line 3: row has" in err
    assert main([str(tmp_path / "nope.csv")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "cannot read" in err


def test_cli_basic_without_optional_columns(tmp_path, capsys):
    path = write_csv(tmp_path / "c.csv", good_frame().drop(columns=["computers"]))
    assert main([str(path), "--standard", "basic"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "column 'computers'" in err


@pytest.mark.parametrize("value", ["0", "1.5", "-0.2", "nan"])
def test_cli_threshold_out_of_range(tmp_path, capsys, value):
    path = write_csv(tmp_path / "c.csv", good_frame())
    assert main([str(path), f"--threshold={value}"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "--threshold" in err and "(0, 1]" in err


@pytest.mark.parametrize("argv", [[], ["x.csv", "--level", "senior"],
                                  ["x.csv", "--standard", "gold"], ["x.csv", "--threshold", "a"]])
def test_cli_argparse_errors_exit_2(capsys, argv):
    assert main(argv) == 2
    assert capsys.readouterr().out == ""


def test_module_entry_point(tmp_path):
    path = write_csv(tmp_path / "county.csv", good_frame())
    proc = subprocess.run([sys.executable, "-m", "sim.evaluation", str(path), "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"][0]["passed"] is True


# ---------------------------------------------------------------------------------------
# example table
# ---------------------------------------------------------------------------------------


def test_example_table_evaluates(capsys):
    t = load_school_table(EXAMPLE)
    assert 25 <= len(t) <= 40
    assert set(REQUIRED_COLUMNS) <= set(t.columns)
    assert {"teachers", "teachers_mid_title", "computers", "books", "x", "y"} <= set(t.columns)
    assert set(t["tier"]) == {"urban", "town", "rural"}
    nine_year = t.groupby("school_id")["level"].nunique()
    assert (nine_year == 2).sum() >= 1
    assert (t["students"] < 50).sum() >= 1

    anchor = t[t["school_id"] == "P01"].iloc[0]  # doc 004 self-report
    assert anchor["students"] == 1963 and anchor["teachers"] == 136
    assert anchor["backbone_teachers"] == 30 and anchor["pe_arts_teachers"] == 24
    assert anchor["building_area_m2"] / 1963 == pytest.approx(4.64, abs=0.005)
    assert anchor["sports_area_m2"] / 1963 == pytest.approx(8.89, abs=0.005)
    assert anchor["equipment_value_yuan"] / 1963 == pytest.approx(2683, abs=0.5)
    assert 100 * anchor["multimedia_rooms"] / 1963 == pytest.approx(2.5, abs=0.05)

    for level in ("primary", "junior"):
        q = evaluate(t, level, "quality")
        b = evaluate(t, level, "basic")
        assert not q.passed and q.failing_indicators  # fails on some CVs, not all
        assert len(q.failing_indicators) < 7
        assert b.passed
        json.dumps(q.to_dict(), allow_nan=False)
    assert main([str(EXAMPLE), "--standard", "both"]) == 0
    assert "Summary:" in capsys.readouterr().out


@pytest.mark.parametrize("standard, column, label", [
    ("quality", "multimedia_rooms", "multimedia classrooms"),
    ("basic", "computers", "computers"),
])
def test_an_undefined_cv_is_called_undefined_not_above_the_limit(standard, column, label):
    """A county mean of 0 leaves a CV undefined, which fails; the report listed it among the
    indicators "above 0.50" (and for the basic standard printed "n/a > 0.65")."""
    from sim.evaluation import format_report

    df = load_school_table(EXAMPLE)
    df[column] = 0
    r = evaluate(df, "primary", standard)
    assert not r.passed
    text = format_report([r])
    if standard == "quality":
        line = next(x for x in text.splitlines() if x.startswith("Difference coefficients"))
        above = line.split("; 1 of 7 undefined")[0]
        assert label not in above and "backbone teachers" in above
        assert f"1 of 7 undefined (n/a, a county mean of 0 or no school assessed): {label})" \
            in line
        assert "1 CV(s) undefined" in text.splitlines()[-1]
    else:
        assert ("Mean of the 8 CVs: n/a, as a CV is undefined (a county mean of 0 or no school "
                f"assessed): {label}.") in text
        assert "n/a >" not in text
