"""Targeted funding: the sports-ground option (sports_grounds, sports_share, land_cost_per_m2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import ConfigError, EducationModel
from sim.standards import FACILITY_STANDARDS_PER_STUDENT
from tests.policies.contract import PolicyContract


class TestTargetedFundingSportsContract(PolicyContract):
    name = "targeted_funding"
    params = {"formula": "shortfall", "sports_grounds": True, "capital_share": 0.8,
              "building_lag_years": 1}


_ON = {"formula": "shortfall", "sports_grounds": True, "capital_share": 1.0,
       "capital_split": "need", "building_lag_years": 2}


def test_option_off_is_the_run_without_it():
    common = {"formula": "shortfall", "capital_share": 0.8}
    absent = EducationModel(region="tiny", rng=5, policies={"targeted_funding": common})
    off = EducationModel(region="tiny", rng=5, policies={"targeted_funding": {
        **common, "sports_grounds": False, "sports_share": 0.9, "land_cost_per_m2": 2_900.0}})
    absent.run(3)
    off.run(3)
    pd.testing.assert_frame_equal(absent.timeseries(), off.timeseries())
    for col in ("building_area", "sports_area", "equipment_value", "multimedia_rooms"):
        np.testing.assert_array_equal(absent.schools.column(col), off.schools.column(col))
    np.testing.assert_array_equal(absent.facilities.land_cap, off.facilities.land_cap)
    assert not off.policy("targeted_funding").sports_pipeline
    assert "targeted_funding.land_bought_m2" not in off.timeseries()


def test_sports_ground_and_land_arrive_after_the_building_lag():
    base = EducationModel(region="tiny", rng=3,
                          policies={"targeted_funding": {**_ON, "sports_grounds": False}})
    pol = EducationModel(region="tiny", rng=3, policies={"targeted_funding": _ON})
    p = pol.policy("targeted_funding")
    fc = pol.cfg.finance
    base.run(1)
    pol.run(1)
    std = pol.section_enrolment() @ FACILITY_STANDARDS_PER_STUDENT[:, 1]
    below = pol.schools.open & (pol.schools.sports_area < std)
    assert below.any()
    assert set(p.sports_pipeline) == {3}
    due = p.sports_pipeline[3].copy()  # yuan, m² ground, m² land
    assert (due[below, 1] > 0).any() and (due[~below] == 0).all()
    assert (due[:, 2] > 0).any(), "some school should need land beyond its site"
    # cost: ground at finance.sports_cost_per_m2, land on top at land_cost_per_m2
    np.testing.assert_allclose(due[:, 0], due[:, 1] * fc.sports_cost_per_m2
                               + due[:, 2] * p.config.land_cost_per_m2, rtol=1e-9, atol=1e-6)
    ts = pol.timeseries().iloc[-1]
    assert ts["targeted_funding.sports_committed_yuan"] == pytest.approx(due[:, 0].sum())
    assert ts["cost_policy_targeted_funding"] == pytest.approx(ts["targeted_funding.committed_yuan"])
    assert ts["targeted_funding.committed_yuan"] == pytest.approx(
        ts["targeted_funding.capital_committed_yuan"] + ts["targeted_funding.pay_yuan"])
    cap1 = pol.facilities.land_cap.copy()
    area1 = pol.schools.sports_area.copy()

    pol.run(1)  # year 2: not yet in use
    base.run(1)
    assert pol.timeseries().iloc[-1]["targeted_funding.sports_area_delivered_m2"] == 0
    np.testing.assert_array_equal(pol.facilities.land_cap, cap1)

    pol_area2 = pol.schools.sports_area.copy()
    base_area2 = base.schools.sports_area.copy()
    pol.run(1)  # year 3: the year-1 grounds and their land are in use
    base.run(1)
    assert (pol.schools.open == base.schools.open).all()
    d_area = ((pol.schools.sports_area - pol_area2) - (base.schools.sports_area - base_area2))
    np.testing.assert_allclose(d_area, due[:, 1], rtol=1e-9, atol=1e-6)
    bought = due[:, 2] > 0
    np.testing.assert_allclose(pol.facilities.land_cap - cap1, due[:, 2], rtol=1e-9, atol=1e-9)
    assert (pol.facilities.land_cap[bought] > cap1[bought]).all()
    assert (pol.schools.sports_area[below] > area1[below]).all()
    ts = pol.timeseries().iloc[-1]
    assert ts["targeted_funding.sports_area_delivered_m2"] == pytest.approx(due[:, 1].sum())
    assert ts["targeted_funding.land_bought_m2"] == pytest.approx(due[:, 2].sum())


def test_pipeline_and_land_count_in_the_next_shortfall():
    pol = EducationModel(region="tiny", rng=3, policies={"targeted_funding": _ON})
    p = pol.policy("targeted_funding")
    pol.run(1)
    ground, land = p.sports_need(pol)
    p.sports_pipeline.clear()
    ground0, land0 = p.sports_need(pol)
    assert (ground <= ground0 + 1e-9).all() and ground.sum() < ground0.sum()
    assert (land <= land0 + 1e-9).all() and land.sum() < land0.sum()
    assert p.shortfall_yuan(pol).shape == (pol.schools.n, 4)


def test_sports_cv_falls_on_the_default_county():
    runs = {}
    for on in (False, True):
        m = EducationModel(rng=1, policies={"targeted_funding": {
            "formula": "shortfall", "sports_grounds": on}})
        m.run(8)
        runs[on] = m.timeseries().iloc[-1]
    for level in ("primary", "junior"):
        col = f"cv_{level}_sports_area_m2_per_student"
        assert runs[True][col] < runs[False][col] - 0.02, (level, runs[False][col],
                                                            runs[True][col])


@pytest.mark.parametrize("bad, field", [
    ({"land_cost_per_m2": -1.0}, "land_cost_per_m2"),
    ({"sports_share": 1.5}, "sports_share"),
    ({"sports_grounds": "yes"}, "sports_grounds"),
])
def test_bad_values_are_refused_naming_the_field(bad, field):
    with pytest.raises(ConfigError, match=f"targeted_funding.{field}"):
        EducationModel(region="tiny", rng=3, policies={"targeted_funding": bad})


def test_all_weights_zero_with_sports_on_is_refused_but_sports_alone_is_enough():
    zero = {"building_share": 0.0, "equipment_share": 0.0, "multimedia_share": 0.0}
    with pytest.raises(ConfigError, match="sports_share"):
        EducationModel(region="tiny", rng=3, policies={"targeted_funding": {
            **zero, "sports_grounds": True, "sports_share": 0.0}})
    EducationModel(region="tiny", rng=3, policies={"targeted_funding": {
        **zero, "sports_grounds": True, "sports_share": 1.0}})
