"""PE/arts specialist recruitment beyond the staffing quota (``teachers.specialist_extra_posts``,
§7.5 step 4): off by default and then identical to the model without it; on, schools below the
2017 standard gain specialists without vacancies, paid and counted like every teacher."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import ConfigError, EducationModel, SimConfig
from sim.processes.careers import PE_ARTS_STANDARD
from sim.vocabulary import RURAL

ALL_FOUND = {"teachers__specialist_fill": {"urban": 1.0, "town": 1.0, "rural": 1.0},
             "teachers__hire_fill": {"urban": 1.0, "town": 1.0, "rural": 1.0}}


def _pe_arts(m: EducationModel) -> tuple[np.ndarray, np.ndarray]:
    """PE/arts teachers and pupils per school."""
    t = m.teachers
    return (np.bincount(t.school[t.subject > 0], minlength=m.schools.n),
            m.section_enrolment().sum(axis=1))


def test_off_by_default_and_identical_to_the_field_at_its_default():
    assert SimConfig().teachers.specialist_extra_posts == 0.0
    a = EducationModel(region="tiny", rng=5).run(3)
    b = EducationModel(region="tiny", rng=5, teachers__specialist_extra_posts=0.0).run(3)
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries())
    pd.testing.assert_frame_equal(a.school_history(), b.school_history())
    assert "specialists_recruited" not in a.timeseries().columns


def test_on_schools_below_standard_gain_specialists_without_vacancies():
    # every vacancy is filled (hire_fill 1), so the extra specialists go to schools without
    # vacancies; the same seed without the option is identical up to the extra posts
    off = EducationModel(rng=1, **ALL_FOUND)  # default county: 11 recruited in year 1
    on = EducationModel(rng=1, teachers__specialist_extra_posts=1.0, **ALL_FOUND)
    off.step()
    on.step()
    recruited = on.flows["specialists_recruited"]
    assert recruited > 0 and "specialists_recruited" not in off.flows
    assert on.flows["hires"] == off.flows["hires"]
    assert on.teachers.n == off.teachers.n + recruited
    assert on.timeseries()["specialists_recruited"].tolist() == [0, recruited]

    pe_on, pupils = _pe_arts(on)
    pe_off, _ = _pe_arts(off)
    gained = pe_on - pe_off
    assert gained.sum() == recruited and (gained >= 0).all()
    assert off.vacancy_slots(np.random.default_rng(0))[0].size == 0  # no vacancies left
    standard = PE_ARTS_STANDARD * pupils / 100.0
    with_pupils = on.schools.open & (pupils > 0)
    # nobody is left below the standard (every post found a specialist) ...
    assert (pe_on[with_pupils] >= standard[with_pupils] - 1e-9).all()
    assert (pe_off[with_pupils] < standard[with_pupils] - 1e-9).any()
    # ... and a school section that gained one ends less than one specialist above it
    def by_section(m):
        t = m.teachers
        return np.bincount(t.school[t.subject > 0] * 2 + t.section[t.subject > 0],
                           minlength=2 * m.schools.n).reshape(-1, 2)
    sec_gain = by_section(on) - by_section(off)
    sec_std = PE_ARTS_STANDARD * on.section_enrolment() / 100.0
    assert (by_section(on)[sec_gain > 0] - sec_std[sec_gain > 0] < 1.0).all()

    # the quota grows with the posts: neither overstaffing nor vacancies move
    def over_and_vacant(m):
        d = m.section_staff() - m.staffing_quota()
        return np.maximum(d, 0), np.maximum(-d, 0)
    for x, y in zip(over_and_vacant(on), over_and_vacant(off), strict=True):
        np.testing.assert_array_equal(x, y)

    # paid like every teacher
    tc = on.cfg.teachers
    rural_gain = gained[on.schools.tier == RURAL].sum()
    assert on.costs["salaries"] - off.costs["salaries"] == pytest.approx(
        tc.base_salary * recruited)
    assert on.costs["rural_allowance"] - off.costs["rural_allowance"] == pytest.approx(
        tc.base_salary * on.rural_allowance() * rural_gain)


def test_default_county_fewer_schools_below_standard_and_lower_cv():
    # mean over three seeds after 8 years (single seeds can move the CV either way a little)
    def run(rate: float) -> tuple[float, float]:
        below, cv = [], []
        for seed in (1, 2, 3):
            m = EducationModel(rng=seed, teachers__specialist_extra_posts=rate).run(8)
            h = m.school_history()
            p = h[(h.year == 8) & (h.level == "primary") & (h.students > 0)]
            below.append((100 * p.pe_arts_teachers / p.students < PE_ARTS_STANDARD - 1e-9).mean())
            cv.append(m.timeseries()["cv_primary_pe_arts_teachers_per_100"].iloc[-1])
        return float(np.mean(below)), float(np.mean(cv))

    below_off, cv_off = run(0.0)
    below_on, cv_on = run(1.0)
    assert below_on < below_off - 0.15
    assert cv_on < cv_off


@pytest.mark.parametrize("value", [-0.1, 1.5, "yes"])
def test_bad_values_name_the_field(value):
    with pytest.raises(ConfigError, match=r"teachers\.specialist_extra_posts"):
        SimConfig.from_overrides({"teachers.specialist_extra_posts": value})
