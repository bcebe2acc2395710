"""Facilities and finance: year-0 stock dispersion, the county's capital budget, capital
projects and land (sim.processes.facilities, sim.processes.finance)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.evaluation.compute import evaluate_arrays
from sim.model import EducationModel
from sim.processes import facilities, finance
from sim.standards import FACILITY_STANDARDS_PER_STUDENT
from tests.conftest import equalised_config

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "county_schools.csv"
STOCK_COLUMNS = ("building_area", "sports_area", "equipment_value", "multimedia_rooms",
                 "computers", "books")


def _model(seed: int = 0, **settings) -> EducationModel:
    cfg = equalised_config("tiny")
    for key, value in settings.items():
        cfg.set(key, value)
    return EducationModel(cfg.validate(), rng=seed)


def _basic_cvs(model: EducationModel) -> np.ndarray:
    """The 8 CVs of the 2012 test for primary schools (BASIC_INDICATORS order)."""
    cols = model.school_columns()
    keep = np.asarray(cols["level"]) == "primary"
    return evaluate_arrays({c: np.asarray(v)[keep] for c, v in cols.items()}, "primary",
                           "basic", min_students=0).cv


def test_year0_cvs_follow_each_stocks_dispersion():
    flat = _basic_cvs(_model())
    assert flat[:2].max() < 0.02  # identical schools, no dispersion: equal stocks per pupil
    spread = _basic_cvs(_model(**{"finance.dispersion_sports": 0.6}))
    more = _basic_cvs(_model(**{"finance.dispersion_sports": 1.0}))
    assert 0.3 < spread[1] < more[1]
    assert spread[0] < 0.02  # building has its own parameter
    both = _basic_cvs(_model(**{"finance.dispersion_building": 0.5,
                                "finance.dispersion_books": 0.5}))
    assert both[0] > 0.25 and both[4] > 0.25 and both[2] < 0.02


def test_staffing_dispersion_spreads_the_pupil_teacher_ratio():
    flat = _basic_cvs(_model())[5]
    spread = _basic_cvs(_model(**{"finance.staffing_dispersion": 0.4}))[5]
    assert spread > flat + 0.15


def _history(model: EducationModel, years: int) -> list[dict[str, np.ndarray]]:
    out = [{c: model.schools.column(c).copy() for c in STOCK_COLUMNS}]
    for _ in range(years):
        model.step()
        out.append({c: model.schools.column(c).copy() for c in STOCK_COLUMNS})
    return out


def test_with_a_zero_budget_no_stock_grows():
    m = _model(**{"finance.capital_budget_per_pupil": 0.0,
                  "finance.initial_stock": {t: [0.6, 0.6, 0.6, 0.6]
                                            for t in ("urban", "town", "rural")}})
    hist = _history(m, 3)
    ts = m.timeseries()
    assert ts["seats_added"].sum() == 0 and ts["schools_merged"].sum() == 0
    for before, after in zip(hist, hist[1:], strict=False):
        for c in STOCK_COLUMNS:
            assert (after[c] <= before[c] + 1e-9).all(), c
    assert (hist[-1]["equipment_value"] < hist[0]["equipment_value"]).any()  # wear
    assert ts["cost_capital_programme"].iloc[1:].sum() == 0
    assert ts["cost_capital_projects"].iloc[1:].sum() == 0


def test_a_project_adds_area_only_after_its_build_years():
    m = _model(**{"finance.project_years": 2,
                  "finance.initial_stock": {t: [0.7, 1.1, 1.1, 1.1]
                                            for t in ("urban", "town", "rural")}})
    b0 = m.schools.building_area.copy()
    m.step()
    due = m.facilities.pipeline.get(3)
    assert due is not None and due[:, 0].sum() > 0
    m.step()
    assert m.timeseries()["seats_added"].sum() == 0
    np.testing.assert_allclose(m.schools.building_area, b0)  # years 1 and 2: nothing yet
    m.step()
    assert 3 not in m.facilities.pipeline
    np.testing.assert_allclose(m.schools.building_area, b0 + due[:, 0])


def test_sports_grounds_never_exceed_the_land_cap():
    m = _model(**{"finance.capital_budget_per_pupil": 5000.0,
                  "finance.initial_stock": {t: [1.1, 0.5, 1.1, 1.1]
                                            for t in ("urban", "town", "rural")}})
    cap = m.facilities.land_cap.copy()
    np.testing.assert_allclose(cap, m.schools.sports_area * 1.2)
    for _ in range(5):
        m.step()
        assert (m.schools.sports_area <= cap * (1 + 1e-12)).all()
    assert np.isclose(m.schools.sports_area, cap).any()  # projects did reach the cap


@pytest.mark.parametrize("priority", ["shortfall", "pupils"])
def test_the_budget_is_never_overspent_and_costs_add_up(priority):
    per_pupil = 150.0
    m = _model(**{"finance.capital_budget_per_pupil": per_pupil,
                  "finance.project_priority": priority,
                  "finance.initial_stock": {t: [0.8, 0.8, 1.0, 1.0]
                                            for t in ("urban", "town", "rural")}})
    m.run(4)
    ts = m.timeseries().iloc[1:]
    budget = per_pupil * ts["students"]
    spent = ts["cost_capital_programme"] + ts["cost_capital_projects"]
    assert (spent <= budget * (1 + 1e-9)).all()
    # the per-pupil formula (300 yuan) asks for more than the budget: all of it goes there
    np.testing.assert_allclose(ts["cost_capital_programme"], budget)
    assert (ts["cost_capital_projects"] == 0).all()
    costs = ts[[c for c in ts.columns if c.startswith("cost_") and not
                c.startswith("cost_policy_")]].sum(axis=1)
    np.testing.assert_allclose(ts["spending_yuan"], costs)


def test_money_left_after_the_formula_goes_to_projects():
    m = _model(**{"finance.capital_budget_per_pupil": 600.0,
                  "finance.initial_stock": {t: [0.8, 0.8, 1.0, 1.0]
                                            for t in ("urban", "town", "rural")}})
    m.step()
    ts = m.timeseries().iloc[1:]
    budget = 600.0 * ts["students"].iloc[0]
    asked = finance.capital_formula(m).sum()
    assert ts["cost_capital_programme"].iloc[0] == pytest.approx(asked)
    assert ts["cost_capital_projects"].iloc[0] == pytest.approx(budget - asked)
    fc = m.cfg.finance
    area = facilities.pipeline_area(m)
    assert area[:, 0].sum() * fc.building_cost_per_m2 + area[:, 1].sum() * fc.sports_cost_per_m2 \
        == pytest.approx(budget - asked)


def test_without_money_the_stocks_do_not_equalise_and_with_money_they_do():
    """In a county with no enrolment trend, a budget that only keeps each school's stocks
    (the formula's base, no increment, nothing left for projects) leaves the CVs where they
    started; money for projects lowers the building CV."""
    spread = {"finance.dispersion_equipment": 0.4, "finance.dispersion_building": 0.4}
    keep = {"finance.capital_budget_per_pupil": 300.0, "finance.formula_base_share": 1.0}
    m = _model(**spread, **keep)
    cv0 = _basic_cvs(m)
    m.run(6)
    assert m.timeseries()["cost_capital_projects"].iloc[1:].sum() == 0
    cv6 = _basic_cvs(m)
    assert cv6[0] == pytest.approx(cv0[0], rel=0.1)
    assert cv6[2] == pytest.approx(cv0[2], rel=0.1)
    rich = _model(**spread, **{"finance.capital_budget_per_pupil": 3000.0})
    rich.run(6)
    assert _basic_cvs(rich)[0] < 0.8 * cv0[0]


def test_a_loaded_county_keeps_its_stocks_and_gets_a_synthesised_land_cap():
    m = EducationModel(rng=1, region__path=str(EXAMPLE))
    assert any(n.startswith("land:") for n in m.synthesis_notes)
    np.testing.assert_allclose(
        m.facilities.land_cap,
        m.schools.sports_area * (1 + np.array(m.cfg.finance.land_headroom.as_tuple())[
            m.schools.tier]))
    m.run(2)
    assert m.timeseries()["cost_capital_programme"].iloc[1:].gt(0).all()


def test_surplus_space_is_handed_over_only_when_the_county_does_it():
    # off by default: no cost line, and a direct call changes nothing
    m = EducationModel(region="default", rng=2).run(3)
    assert "cost_surplus_conversion" not in m.timeseries()
    before = {c: m.schools.column(c).copy() for c in ("building_area", "sports_area",
                                                      "capacity")}
    assert facilities.transfer_surplus(m) == 0.0
    for c, v in before.items():
        assert np.array_equal(m.schools.column(c), v)


def test_a_transfer_takes_its_share_of_the_surplus_and_the_seats_and_land_with_it():
    m = EducationModel(region="default", rng=2,
                       **{"finance.surplus_transfer": 0.5, "finance.surplus_above": 1.5}).run(8)
    sch = m.schools
    n_sec = m.section_enrolment()
    pupils = n_sec.sum(axis=1)
    need = n_sec @ FACILITY_STANDARDS_PER_STUDENT[:, :2]
    have = np.column_stack([sch.building_area, sch.sports_area]).copy()
    capacity, land = sch.capacity.copy(), m.facilities.land_cap.copy()
    counted = sch.open & (pupils > 0)
    surplus = np.where(counted[:, None], np.maximum(have - 1.5 * need, 0.0), 0.0)
    assert surplus[:, 0].sum() > 0 and surplus[:, 1].sum() > 0  # shrinking rural schools

    cost = facilities.transfer_surplus(m)

    after = np.column_stack([sch.building_area, sch.sports_area])
    np.testing.assert_allclose(after, have - 0.5 * surplus)
    assert cost == pytest.approx(0.5 * surplus[:, 0].sum()
                                 * m.cfg.finance.surplus_conversion_cost_per_m2)
    gave = surplus[:, 0] > 0
    assert (sch.capacity[~gave] == capacity[~gave]).all()  # others keep their seats
    assert (sch.capacity <= capacity).all() and (sch.capacity[gave] >= pupils[gave]).all()
    holds = np.floor(after[gave, 0] * pupils[gave] / need[gave, 0])
    assert (sch.capacity[gave] == np.minimum(capacity[gave],
                                             np.maximum(holds, pupils[gave]))).all()
    assert (m.facilities.land_cap >= sch.sports_area).all()
    assert (m.facilities.land_cap <= land).all()


def test_a_full_transfer_leaves_no_school_above_the_limit_and_lowers_the_space_cvs():
    def space_cvs(model):
        ts = model.timeseries()
        return ts[["cv_primary_building_area_m2_per_student",
                   "cv_primary_sports_area_m2_per_student"]].iloc[-1].to_numpy()

    on = EducationModel(region="default", rng=4, **{"finance.surplus_transfer": 1.0})
    for _ in range(6):
        on.step()
        sch = on.schools
        n_sec = on.section_enrolment()
        need = n_sec @ FACILITY_STANDARDS_PER_STUDENT[:, :2]
        counted = sch.open & (n_sec.sum(axis=1) > 0)
        have = np.column_stack([sch.building_area, sch.sports_area])[counted]
        assert (have <= 1.5 * need[counted] * (1 + 1e-12)).all()
    off = EducationModel(region="default", rng=4).run(6)
    assert (space_cvs(on) < space_cvs(off)).all()
    ts = on.timeseries()
    assert (ts["cost_surplus_conversion"].iloc[1:] >= 0).all()
    assert ts["cost_surplus_conversion"].iloc[1] > 0  # year 1 converts the first surplus
