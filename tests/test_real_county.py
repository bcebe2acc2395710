"""A county built from its own school table: year 0 reproduces the table exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import EducationModel, evaluation
from tests.policies.contract import check_invariants

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "county_schools.csv"
COUNTS = ["students", "teachers", "teachers_above_required_qualification", "backbone_teachers",
          "pe_arts_teachers", "teachers_mid_title", "building_area_m2", "sports_area_m2",
          "equipment_value_yuan", "multimedia_rooms", "computers", "books"]


@pytest.fixture(scope="module")
def loaded() -> EducationModel:
    return EducationModel(rng=3, region__path=str(EXAMPLE))


def test_year0_reproduces_every_row_of_the_table(loaded):
    table = evaluation.load_school_table(EXAMPLE)
    model = loaded.school_table()
    a = table.assign(school_code=table["school_id"].astype(str)).set_index(["school_code", "level"])
    b = model.set_index(["school_code", "level"])
    assert set(a.index) == set(b.index)
    for col in COUNTS:
        np.testing.assert_allclose(b.loc[a.index, col].to_numpy(dtype=float),
                                   a[col].to_numpy(dtype=float), rtol=1e-12, err_msg=col)


@pytest.mark.parametrize("level", ["primary", "junior"])
@pytest.mark.parametrize("standard", ["quality", "basic"])
def test_year0_evaluation_equals_the_input_evaluation(loaded, level, standard):
    table = evaluation.load_school_table(EXAMPLE)
    direct = evaluation.evaluate(table, level, standard)
    simulated = evaluation.evaluate(loaded.school_table(), level, standard)
    assert simulated.passed == direct.passed
    assert simulated.failing_indicators == direct.failing_indicators
    for name, cv in direct.cv.items():
        assert simulated.cv[name] == pytest.approx(cv, abs=1e-9)
    ts = loaded.timeseries().iloc[0]
    assert ts[f"{standard}_passed_{level}"] == direct.passed


def test_loaded_county_runs_and_keeps_invariants():
    m = EducationModel(rng=4, region__path=str(EXAMPLE)).run(8)
    check_invariants(m)
    ts = m.timeseries()
    # staffing stays near the county's own level instead of collapsing to the national norm
    assert ts["teachers"].iloc[-1] > 0.6 * ts["teachers"].iloc[0]
    assert m.synthesis_notes and any("synthesised" in n for n in m.synthesis_notes)


def test_grades_table_sets_pupils_per_grade(tmp_path):
    table = evaluation.load_school_table(EXAMPLE)
    rows = []
    for _, r in table.iterrows():
        grades = range(1, 7) if r["level"] == "primary" else range(7, 10)
        counts = np.full(len(grades), int(r["students"]) // len(grades))
        counts[0] += int(r["students"]) - counts.sum()  # the first grade takes the rest
        rows += [{"school_id": r["school_id"], "grade": g, "students": int(c)}
                 for g, c in zip(grades, counts, strict=True)]
    path = tmp_path / "grades.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    m = EducationModel(rng=1, region__path=str(EXAMPLE), region__grades_path=str(path))
    first = table[table["level"] == "primary"].iloc[0]
    code = m.school_codes.index(str(first["school_id"]))
    s = m.students
    in_school = s.school == code
    expected = int(first["students"]) - 5 * (int(first["students"]) // 6)
    assert int((in_school & (s.grade == 1)).sum()) == expected
    assert any("grades table" in n for n in m.synthesis_notes)


def test_missing_locations_are_placed_by_tier_and_said(tmp_path):
    table = evaluation.load_school_table(EXAMPLE).drop(columns=["x", "y"])
    path = tmp_path / "no_xy.csv"
    table.to_csv(path, index=False)
    m = EducationModel(rng=1, region__path=str(path))
    assert any("locations" in n for n in m.synthesis_notes)
    r = np.hypot(m.schools.x, m.schools.y)
    assert r[m.schools.tier == 0].max() <= 4.0 + 1e-9
    assert r[m.schools.tier == 2].min() >= 12.0 - 1e-9


def run_edusim(*args):
    return subprocess.run([sys.executable, "-m", "experiments.run", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_cli_file_region(tmp_path):
    out = tmp_path / "run"
    proc = run_edusim("region=file", f"region.path={EXAMPLE}", "years=3", f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["county"]["path"] == str(EXAMPLE)
    assert summary["county"]["synthesised"]
    assert "synthesised" in proc.stdout


def test_cli_bad_table_fails_cleanly(tmp_path):
    bad = tmp_path / "bad.csv"
    text = EXAMPLE.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    cells = text[1].split(",")
    cells[header.index("students")] = "0"
    bad.write_text("\n".join([text[0], ",".join(cells), *text[2:]]) + "\n", encoding="utf-8")
    out = tmp_path / "run"
    proc = run_edusim("region=file", f"region.path={bad}", "years=1", f"hydra.run.dir={out}")
    assert proc.returncode == 2
    assert "line 2" in proc.stderr and "students" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def _breakdown_table() -> pd.DataFrame:
    """A teachers table consistent with the example county table."""
    t = evaluation.load_school_table(EXAMPLE)
    out = []
    for _, r in t.iterrows():
        n, above = int(r["teachers"]), int(r["teachers_above_required_qualification"])
        mid, pe = int(r["teachers_mid_title"]), int(r["pe_arts_teachers"])
        below = n - above
        if r["level"] == "primary":  # required: 专科; above = 专科 + 本科 + 硕士
            q = [below, above // 3, above - above // 3 - above // 10, above // 10]
        else:  # required: 本科; above = 本科 + 硕士
            q = [below // 2, below - below // 2, above - above // 5, above // 5]
        ages = [n // 4, n // 4, n // 4, n - 3 * (n // 4)]
        out.append({"school_id": r["school_id"], "level": r["level"],
                    "qual_secondary": q[0], "qual_zhuanke": q[1], "qual_bachelor": q[2],
                    "qual_master": q[3], "title_junior": n - mid,
                    "title_intermediate": mid - mid // 4, "title_senior": mid // 4,
                    "subject_core": n - pe, "subject_pe_arts": pe,
                    "age_under_30": ages[0], "age_30_39": ages[1], "age_40_49": ages[2],
                    "age_50_plus": ages[3]})
    return pd.DataFrame(out)


def test_teachers_table_breakdowns_are_reproduced_exactly(tmp_path):
    breakdown = _breakdown_table()
    path = tmp_path / "teachers.csv"
    breakdown.to_csv(path, index=False)
    m = EducationModel(rng=2, region__path=str(EXAMPLE), region__teachers_path=str(path))
    assert any("qualification, title, age breakdowns" in n for n in m.synthesis_notes)
    t = m.teachers
    for _, r in breakdown.iterrows():
        school = m.school_codes.index(str(r["school_id"]))
        section = 0 if r["level"] == "primary" else 1
        sel = (t.school == school) & (t.section == section)
        got_q = np.bincount(t.qualification[sel], minlength=4)
        assert list(got_q) == [r["qual_secondary"], r["qual_zhuanke"], r["qual_bachelor"],
                               r["qual_master"]]
        assert list(np.bincount(t.title[sel], minlength=3)) == [
            r["title_junior"], r["title_intermediate"], r["title_senior"]]
        ages = t.age[sel]
        assert [int(((ages >= lo) & (ages <= hi)).sum()) for lo, hi in
                ((22, 29), (30, 39), (40, 49), (50, 99))] == [
            r["age_under_30"], r["age_30_39"], r["age_40_49"], r["age_50_plus"]]
    # the official indicators still reproduce the school table
    table = evaluation.load_school_table(EXAMPLE)
    for level in ("primary", "junior"):
        a = evaluation.evaluate(table, level).cv
        b = evaluation.evaluate(m.school_table(), level).cv
        for k in a:
            assert b[k] == pytest.approx(a[k], abs=1e-9)


def test_published_example_county_loads_and_reproduces():
    path = ROOT / "examples" / "published_county" / "schools.csv"
    m = EducationModel(rng=0, region__path=str(path))
    table = evaluation.load_school_table(path)
    for level in ("primary", "junior"):
        direct, simulated = evaluation.evaluate(table, level), evaluation.evaluate(m.school_table(), level)
        assert simulated.passed == direct.passed
        for k, cv in direct.cv.items():
            assert simulated.cv[k] == pytest.approx(cv, abs=1e-9)


def test_tiers_table_sets_ses_and_left_behind(tmp_path):
    path = tmp_path / "tiers.csv"
    pd.DataFrame({"tier": ["urban", "town", "rural"], "ses_mean": [1.0, 0.0, -1.0],
                  "left_behind_share": [0.0, 0.2, 0.6], "migrant_share": [0.1, 0.05, 0.0]}
                 ).to_csv(path, index=False)
    m = EducationModel(rng=5, region__path=str(EXAMPLE), region__tiers_path=str(path))
    s = m.students
    tier = m.zone_tier[s.zone]
    assert abs(s.ses[tier == 2].mean() - (-1.0)) < 0.1
    assert abs(s.ses[tier == 0].mean() - 1.0) < 0.1
    assert abs(s.left_behind[tier == 2].mean() - 0.6) < 0.05
    assert s.left_behind[tier == 0].sum() == 0
    assert any("tiers table" in n for n in m.synthesis_notes)
