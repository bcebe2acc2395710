"""Building a county from its table, checked by hand on a tiny table: schools in the order
of their first row, levels, tiers, names, locations, zones and their weights, pupils per
grade (an uneven split gives the first grades one more), the zones of a junior-only
school's pupils, grade-1 cohorts and teachers per row; and reading a column of numbers at
once gives what reading each cell gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import EducationModel
from sim.county_table.school_table import parse_number, parse_numbers
from sim.vocabulary import JUNIOR, NINE_YEAR, PRIMARY

# B (primary), A (nine-year: a junior row before its primary row), C (junior only)
ROWS = [
    # school_id, name, level, tier, students, teachers, above, backbone, mid, pe, x, y
    ("B", "Bei Primary", "primary", "town", 6, 3, 1, 0, 1, 0, 10.0, 0.0),
    ("A", "An Nine-year", "junior", "urban", 7, 4, 2, 1, 2, 1, 0.0, 1.0),
    ("C", "Chen Junior", "junior", "rural", 5, 2, 1, 0, 0, 1, 9.0, 2.0),
    ("A", "An Nine-year (primary)", "primary", "urban", 13, 5, 3, 2, 2, 1, 0.5, 1.5),
]
COLUMNS = ["school_id", "name", "level", "tier", "students", "teachers",
           "teachers_above_required_qualification", "backbone_teachers", "teachers_mid_title",
           "pe_arts_teachers", "x", "y"]
STOCKS = {"building_area_m2": 100.0, "sports_area_m2": 200.0, "equipment_value_yuan": 1e4,
          "multimedia_rooms": 1.0, "computers": 2.0, "books": 50.0}


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> EducationModel:
    path = tmp_path_factory.mktemp("table") / "tiny.csv"
    pd.DataFrame(ROWS, columns=COLUMNS).assign(**STOCKS).to_csv(path, index=False)
    return EducationModel(rng=5, region__path=str(path))


def test_schools_in_the_order_of_their_first_row(model):
    assert model.school_codes == ["B", "A", "C"]
    assert model.school_names == ["Bei Primary", "An Nine-year", "Chen Junior"]
    assert list(model.schools.level) == [PRIMARY, NINE_YEAR, JUNIOR]
    assert list(model.schools.tier) == [1, 0, 2]
    # a nine-year school is where its first row says
    assert list(model.schools.x) == [10.0, 0.0, 9.0]
    assert list(model.schools.y) == [0.0, 1.0, 2.0]


def test_zones_are_the_primary_teaching_schools_weighted_by_their_primary_pupils(model):
    assert list(model.zone_own_school) == [0, 1]
    np.testing.assert_array_equal(model.zone_weight, np.array([6.0, 13.0]) / 19.0)
    # grade-1 pupils of each zone's own school start its cohort
    assert list(model.zone_cohort0) == [1.0, 3.0]


@pytest.mark.parametrize(("code", "expected"), [
    ("B", {1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1}),
    ("A", {1: 3, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 3, 8: 2, 9: 2}),
    ("C", {7: 2, 8: 2, 9: 1}),
])
def test_pupils_split_evenly_first_grades_first(model, code, expected):
    s = model.students
    school = model.school_codes.index(code)
    grades = s.grade[s.school == school]
    got = {int(g): int(n) for g, n in zip(*np.unique(grades, return_counts=True), strict=True)}
    assert got == expected


def test_pupils_live_in_their_schools_zone_or_the_nearest(model):
    s = model.students
    assert set(s.zone[s.school == 0]) == {0}
    assert set(s.zone[s.school == 1]) == {1}
    # the junior-only school C (at 9, 2) has no zone: its pupils live in the nearest (B's)
    assert set(s.zone[s.school == 2]) == {0}


def test_teachers_per_row_with_exact_flags(model):
    t = model.teachers
    for code, _, level, _, _, n, above, backbone, mid, pe, _, _ in ROWS:
        sel = (t.school == model.school_codes.index(code)) & (
            t.section == (0 if level == "primary" else 1))
        required = 1 if level == "primary" else 2
        assert int(sel.sum()) == n
        assert int((t.qualification[sel] >= required).sum()) == above
        assert int(t.backbone[sel].sum()) == backbone
        assert int((t.title[sel] >= 1).sum()) == mid
        assert int((t.subject[sel] > 0).sum()) == pe


@pytest.mark.parametrize("cells", [
    ["12", " 7 ", "1e3", "0", "-0", "12.5", "１２", "1_000"],
    [3, 4.5, "6", -0.0],
    [],
])
def test_numbers_read_at_once_as_cell_by_cell(cells):
    at_once = parse_numbers(cells)
    assert at_once is not None
    one_by_one = [parse_number(v) for v in cells]
    assert all(err is None for _, err in one_by_one)
    assert [float(x) for x in at_once] == [x for x, _ in one_by_one]
    assert [bool(np.signbit(x)) for x in at_once] == [bool(np.signbit(x)) for x, _ in one_by_one]


@pytest.mark.parametrize("cells", [
    ["12", ""], ["12", None], ["12", "nan"], ["12", "inf"], ["12", "x"], [True, 1],
    [np.float64(2.0)], [2, pd.NA],
])
def test_cells_that_need_a_look_of_their_own_are_read_one_by_one(cells):
    """(some are numbers, read again cell by cell: parse_numbers leaves them to it)"""
    assert parse_numbers(cells) is None
