"""The buffers a county plans above the 2017 standard (configs/experiment/county_plan.yaml):
targeted funding's ``target_margin`` and the specialist drive's ``specialist_margin``; both
off by default and then identical to the model without them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import ConfigError, EducationModel, SimConfig
from sim.processes.backbone import post_unit
from sim.processes.careers import PE_ARTS_STANDARD
from sim.vocabulary import NINE_YEAR

SHORTFALL = {"targeted_funding": {"formula": "shortfall", "sports_grounds": True}}


def _funding(margin: float, seed: int = 0, **more) -> EducationModel:
    policies = {"targeted_funding": {**SHORTFALL["targeted_funding"],
                                     "target_margin": margin, **more}}
    return EducationModel(rng=seed, policies=policies)


def test_target_margin_raises_each_schools_need_by_its_share_of_the_standard():
    m0, m1 = _funding(0.0), _funding(0.1)
    p0, p1 = m0.policies[0], m1.policies[0]
    s0, s1 = p0.shortfall_yuan(m0), p1.shortfall_yuan(m1)
    assert (s1 >= s0 - 1e-6).all()
    assert s1.sum() > 1.05 * s0.sum()
    # a school above the standard but below 1.1 × it needs money only with the margin
    assert ((s0[:, :3].sum(axis=1) == 0) & (s1[:, :3].sum(axis=1) > 0)).any()


def test_target_margin_off_is_the_model_without_it():
    a = EducationModel(rng=3, region="tiny", policies=SHORTFALL).run(3)
    b = EducationModel(rng=3, region="tiny", policies={
        "targeted_funding": {**SHORTFALL["targeted_funding"], "target_margin": 0.0}}).run(3)
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries())


def test_with_a_margin_more_schools_stay_above_the_standard():
    def above(margin: float) -> float:
        shares = []
        for seed in (1, 2):
            m = _funding(margin, seed, yuan_per_pupil=5_000.0)  # money is not the limit
            m.run(6)
            h = m.school_history()
            h = h[(h.year == 6) & (h.students >= 50)]
            std = np.where(h.level == "primary", 2000.0, 2500.0)
            shares.append(float((h.equipment_value_yuan / h.students >= std).mean()))
        return float(np.mean(shares))

    with_margin, without = above(0.1), above(0.0)
    assert with_margin > without + 0.03 and with_margin > 0.98


ALL_FOUND = {"teachers__specialist_fill": {"urban": 1.0, "town": 1.0, "rural": 1.0},
             "teachers__hire_fill": {"urban": 1.0, "town": 1.0, "rural": 1.0},
             "teachers__specialist_extra_posts": 1.0}


def test_specialist_margin_recruits_up_to_the_buffer():
    m = EducationModel(rng=1, teachers__specialist_margin=0.2, **ALL_FOUND)
    m.step()
    t = m.teachers
    own = np.bincount(post_unit(m)[t.subject > 0], minlength=2 * m.schools.n).reshape(-1, 2)
    pupils = m.section_enrolment()
    single = m.schools.open & (m.schools.level != NINE_YEAR) & (pupils.sum(axis=1) > 0)
    need = 1.2 * PE_ARTS_STANDARD * pupils / 100.0
    assert (own.sum(axis=1)[single] >= need.sum(axis=1)[single] - 1e-9).all()
    # without the buffer some of these schools stay between the standard and 1.2 × it
    plain = EducationModel(rng=1, **ALL_FOUND)
    plain.step()
    tp = plain.teachers
    own_p = np.bincount(post_unit(plain)[tp.subject > 0],
                        minlength=2 * plain.schools.n).reshape(-1, 2)
    assert (own_p.sum(axis=1)[single] < need.sum(axis=1)[single] - 1e-9).any()
    assert m.flows["specialists_recruited"] > plain.flows["specialists_recruited"]


def test_bad_margins_name_the_field():
    with pytest.raises(ConfigError, match=r"teachers\.specialist_margin"):
        SimConfig.from_overrides({"teachers.specialist_margin": 1.5})
    with pytest.raises(ConfigError, match=r"targeted_funding\.target_margin"):
        EducationModel(region="tiny", policies={"targeted_funding": {"target_margin": -0.1}})
