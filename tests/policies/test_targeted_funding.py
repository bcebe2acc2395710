"""Targeted funding: contract, mechanism and direction."""

from __future__ import annotations

import numpy as np
import pytest

from sim import ConfigError, EducationModel
from sim.standards import FACILITY_STANDARDS_PER_STUDENT
from sim.vocabulary import RURAL
from tests.policies.contract import PolicyContract


class TestTargetedFundingContract(PolicyContract):
    name = "targeted_funding"


class TestTargetedFundingShortfallContract(PolicyContract):
    name = "targeted_funding"
    params = {"formula": "shortfall", "capital_split": "shares", "budget_yuan": 2e6,
              "build_lag_years": 0, "building_lag_years": 3}


class TestTargetedFundingReallocateContract(PolicyContract):
    name = "targeted_funding"
    params = {"mode": "reallocate", "formula": "weakness", "weak_share": 0.4,
              "strength_measure": "achievement", "capital_share": 0.5}
    costs_money = False  # budget-neutral: the transfer is no cost


def _pair(params: dict, years: int, seed: int = 3, region: str = "tiny"):
    base = EducationModel(region=region, rng=seed)
    pol = EducationModel(region=region, rng=seed, policies={"targeted_funding": params})
    return base.run(years), pol.run(years)


def test_stocks_rise_after_exactly_the_lag_at_targeted_schools_only():
    params = {"capital_share": 1.0, "capital_split": "shares", "build_lag_years": 1,
              "building_lag_years": 2}
    base = EducationModel(region="tiny", rng=3)
    pol = EducationModel(region="tiny", rng=3, policies={"targeted_funding": params})
    p = pol.policy("targeted_funding")
    fc = pol.cfg.finance
    base.run(1)
    pol.run(1)
    rural = pol.schools.open & (pol.schools.tier == RURAL)
    assert rural.any() and (~rural & pol.schools.open).any()
    assert (p.targeted == rural).all()
    # year 1: money committed, nothing in place yet
    for col in ("building_area", "equipment_value", "multimedia_rooms"):
        np.testing.assert_array_equal(pol.schools.column(col), base.schools.column(col))
    assert set(p.pipeline) == {2, 3}
    due2, due3 = p.pipeline[2].copy(), p.pipeline[3].copy()
    assert (due2[:, 0] == 0).all() and (due3[:, 1:] == 0).all()  # buildings take 2 years
    assert (due2[rural, 1] > 0).all() and (due2[~rural] == 0).all()
    ts = pol.timeseries().iloc[-1]
    assert ts["targeted_funding.committed_yuan"] == pytest.approx(due2.sum() + due3.sum())
    assert ts["cost_policy_targeted_funding"] == pytest.approx(ts["targeted_funding.committed_yuan"])
    assert ts["targeted_funding.delivered_yuan"] == 0

    # year 2: equipment and rooms arrive at the targeted schools, exactly what was committed
    base.run(1)
    pol.run(1)
    d_eq = pol.schools.equipment_value - base.schools.equipment_value
    d_mm = pol.schools.multimedia_rooms - base.schools.multimedia_rooms
    np.testing.assert_allclose(d_eq, due2[:, 1], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(d_mm, due2[:, 2] / fc.multimedia_room_cost, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(pol.schools.building_area, base.schools.building_area)
    assert pol.timeseries().iloc[-1]["targeted_funding.delivered_yuan"] == pytest.approx(due2.sum())

    # year 3: the year-1 buildings are in use (buildings do not depreciate in the core)
    base.run(1)
    pol.run(1)
    d_b = pol.schools.building_area - base.schools.building_area
    np.testing.assert_allclose(d_b, due3[:, 0] / 5000.0, rtol=1e-9, atol=1e-9)
    assert (d_b[rural] > 0).all() and (d_b[~rural] == 0).all()


def test_reallocation_keeps_county_spending_and_lowers_non_targeted_capital():
    base, pol = _pair({"mode": "reallocate", "capital_share": 0.6}, years=1)
    b, p = base.timeseries().iloc[-1], pol.timeseries().iloc[-1]
    assert p["spending_yuan"] == b["spending_yuan"]
    assert p["cost_policy_targeted_funding"] == 0
    moved = p["targeted_funding.committed_yuan"]
    assert moved > 0
    assert p["targeted_funding.reallocated_yuan"] == pytest.approx(moved)
    sch = pol.schools
    target = pol.policy("targeted_funding").targeted
    donors = sch.open & ~target
    assert donors.any()
    fc = pol.cfg.finance
    for col in ("equipment_value", "multimedia_rooms", "computers", "books"):
        assert (sch.column(col)[donors] < base.schools.column(col)[donors]).all(), col
        np.testing.assert_array_equal(sch.column(col)[target], base.schools.column(col)[target])
    # what the donors lost is the money moved, in the core's purchase proportions
    lost = (base.schools.equipment_value - sch.equipment_value)[donors].sum()
    assert lost == pytest.approx(fc.equipment_share * moved)
    # taken pro rata to the core capital programme (per pupil by tier)
    pupils = pol.section_enrolment().sum(axis=1)
    cap = np.array(fc.capital_per_student.as_tuple())[sch.tier] * pupils
    share_lost = (base.schools.equipment_value - sch.equipment_value)[donors] / cap[donors]
    np.testing.assert_allclose(share_lost, share_lost[0], rtol=1e-9)


def test_pay_supplement_lowers_attrition_of_targeted_teachers_only():
    m = EducationModel(region="tiny", rng=5, policies={"targeted_funding": {
        "capital_share": 0.0}}).run(1)
    p = m.policy("targeted_funding")
    t = m.teachers
    staff = np.bincount(t.school, minlength=m.schools.n)
    rural = m.schools.open & (m.schools.tier == RURAL)
    pupils = m.section_enrolment().sum(axis=1)
    pay = 200.0 * pupils  # all of each rural school's money is pay
    sigma = np.where(rural, pay / np.maximum(staff, 1) / m.cfg.teachers.base_salary, 0.0)
    np.testing.assert_allclose(p.supplement, sigma, rtol=1e-9)
    mult = p.attrition_multiplier(m)
    on = rural[t.school]
    assert on.any() and (~on).any()
    np.testing.assert_allclose(mult[on], np.exp(-2.0 * sigma[t.school[on]]))
    assert (mult[on] < 1).all() and (mult[~on] == 1).all()
    np.testing.assert_array_equal(p.transfer_multiplier(m), mult)
    assert not p.pipeline  # no capital
    rec = m.timeseries().iloc[-1]
    assert rec["targeted_funding.pay_yuan"] == pytest.approx(pay[rural].sum())
    assert rec["targeted_funding.pay_supplement_share"] > 0


def test_shortfall_formula_fills_exactly_the_gaps():
    """A budget larger than every gap, capital only, no lag: the targeted schools are those
    below a facility standard, each gets exactly its gap, and afterwards none is below."""
    m = EducationModel(region="tiny", rng=2, policies={"targeted_funding": {
        "formula": "shortfall", "budget_yuan": 1e10, "capital_share": 1.0,
        "build_lag_years": 0, "building_lag_years": 0}})
    p = m.policy("targeted_funding")
    m.run(1)
    rec = m.timeseries().iloc[-1]
    assert rec["targeted_funding.targeted_schools"] > 0
    sch = m.schools
    need = (m.section_enrolment() @ FACILITY_STANDARDS_PER_STUDENT)[:, [0, 2, 3]]
    have = np.column_stack([sch.building_area, sch.equipment_value, sch.multimedia_rooms])
    assert (have[sch.open] >= need[sch.open] * (1 - 1e-9) - 1e-9).all()
    # touched schools sit exactly at the standard on the items they lacked
    touched = p.targeted
    exact = np.isclose(have[touched], need[touched], rtol=1e-9) | (have[touched] > need[touched])
    assert exact.all()
    assert rec["targeted_funding.committed_yuan"] == pytest.approx(
        rec["targeted_funding.delivered_yuan"])
    assert rec["targeted_funding.committed_yuan"] < 1e9  # capped at the need, not the budget
    assert p.shortfall_yuan(m).sum() == pytest.approx(0.0, abs=1e-3)


def test_weakness_formula_targets_designated_schools():
    m = EducationModel(region="tiny", rng=4, policies={"targeted_funding": {
        "formula": "weakness", "weak_share": 0.0}})
    chosen = np.flatnonzero(m.schools.open)[[1, 4]]
    m.schools.designated_weak[chosen] = True
    m.run(1)
    p = m.policy("targeted_funding")
    assert set(np.flatnonzero(p.targeted)) == set(chosen)
    m2 = EducationModel(region="tiny", rng=4, policies={"targeted_funding": {
        "formula": "weakness", "weak_share": 0.25, "strength_measure": "resources"}}).run(1)
    p2 = m2.policy("targeted_funding")
    n_open = int(m2.schools.open.sum())
    assert p2.targeted.sum() == round(0.25 * n_open)


def test_budget_total_and_fidelity_scale_the_money():
    m = EducationModel(region="tiny", rng=1, policies={"targeted_funding": {
        "budget_yuan": 1e6, "fidelity": 0.5}}).run(2)
    ts = m.timeseries()
    assert ts["targeted_funding.committed_yuan"].iloc[1:].tolist() == pytest.approx([5e5, 5e5])


def test_no_capital_is_committed_that_would_arrive_after_the_end():
    m = EducationModel(region="tiny", rng=1, policies={"targeted_funding": {
        "end_year": 2, "build_lag_years": 1, "building_lag_years": 2,
        "capital_split": "shares"}}).run(4)
    p = m.policy("targeted_funding")
    assert not p.pipeline
    ts = m.timeseries()
    assert ts["cost_policy_targeted_funding"].iloc[3:].sum() == 0
    # year 2 commits equipment and rooms (due in year 3 > end): nothing; only pay
    assert ts["targeted_funding.capital_committed_yuan"].iloc[2] == 0
    assert ts["targeted_funding.pay_yuan"].iloc[2] > 0


def test_capital_weights_must_not_all_be_zero():
    with pytest.raises(ConfigError, match="targeted_funding.building_share"):
        EducationModel(region="tiny", rng=1, policies={"targeted_funding": {
            "building_share": 0.0, "equipment_share": 0.0, "multimedia_share": 0.0}})


@pytest.mark.slow
def test_targeted_funding_narrows_facility_gaps_and_pay_share_keeps_teachers():
    """Default county, 10 seeds, 8 years. At the defaults the facility difference
    coefficients of primary schools (where rural pupils are) fall vs the same-seed
    baseline and rural per-pupil money reaches ≥ 90% of urban (doc 002). The shortfall
    formula lowers all six facility CVs. Trade-off (doc 001 §4): the capital vs pay split
    decides what the money buys: all of it as pay lowers rural teacher attrition more than
    the default 30% but moves no facility CV."""
    keys = ["cv_primary_equipment_value_yuan_per_student", "cv_primary_multimedia_rooms_per_100"]
    all6 = [f"cv_{lv}_{k}" for lv in ("primary", "junior")
            for k in ("equipment_value_yuan_per_student", "multimedia_rooms_per_100",
                      "building_area_m2_per_student")]
    d_cv, d_short, ratio, d_att, d_att_pay, d_cv_pay = [], [], [], [], [], []
    for seed in range(10):
        base = EducationModel(rng=seed).run(8).timeseries()
        pol = EducationModel(rng=seed, policies={"targeted_funding": {}}).run(8).timeseries()
        short = EducationModel(rng=seed, policies={"targeted_funding": {
            "formula": "shortfall"}}).run(8).timeseries()
        pay = EducationModel(rng=seed, policies={"targeted_funding": {
            "capital_share": 0.0}}).run(8).timeseries()
        b, p = base.iloc[-1], pol.iloc[-1]
        d_cv.append([p[k] - b[k] for k in keys])
        d_short.append([short.iloc[-1][k] - b[k] for k in all6])
        ratio.append(pol["targeted_funding.rural_urban_money_ratio"].iloc[1:].mean())
        att = base["attrition_rate_rural"].iloc[2:].mean()
        d_att.append(pol["attrition_rate_rural"].iloc[2:].mean() - att)
        d_att_pay.append(pay["attrition_rate_rural"].iloc[2:].mean() - att)
        d_cv_pay.append([pay.iloc[-1][k] - b[k] for k in keys])
    d_cv, d_short = np.mean(d_cv, axis=0), np.mean(d_short, axis=0)
    assert (d_cv < -0.01).all(), d_cv
    assert (d_short < 0).all(), d_short
    assert np.mean(ratio) >= 0.9
    assert np.mean(d_att_pay) < np.mean(d_att) < 0
    assert np.mean(d_cv_pay) > np.mean(d_cv) + 0.01
