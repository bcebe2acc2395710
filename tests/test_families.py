"""Families respond to school quality: reputations and school-district moves
(sim/processes/families.py)."""

from __future__ import annotations

import numpy as np
import pytest

from sim import EducationModel
from sim.processes import families


def _model(**overrides) -> EducationModel:
    return EducationModel(rng=5, region="tiny", **overrides)


def test_reputation_without_memory_or_teachers_is_the_mean_z():
    m = _model(**{"enrolment.reputation_memory": 0.0, "enrolment.reputation_teacher_years": 0.0})
    np.testing.assert_array_equal(m.school_quality, m.school_mean_z())
    m.step()
    previous = np.array(m.school_quality)
    np.testing.assert_array_equal(families.update_reputation(m, previous), m.school_mean_z())


def test_a_school_that_gains_strong_teachers_is_seen_as_better():
    m = _model(**{"enrolment.reputation_memory": 0.0})
    before = families.quality_signal(m)
    school = int(np.argmax(np.bincount(m.teachers.school, minlength=m.schools.n)))
    m.teachers.skill[m.teachers.school == school] += 0.1
    after = families.quality_signal(m)
    assert after[school] > before[school] + 0.1  # 3 years x 0.1, less the county-mean shift
    others = np.arange(m.schools.n) != school
    assert np.all(after[others] <= before[others] + 1e-12)


def test_memory_carries_last_years_reputation():
    m = _model(**{"enrolment.reputation_memory": 0.8})
    previous = np.full(m.schools.n, 5.0)
    rep = families.update_reputation(m, previous)
    np.testing.assert_allclose(rep, 0.8 * 5.0 + 0.2 * families.quality_signal(m))


def _movers(model: EducationModel, years: int = 3) -> tuple[int, float]:
    movers, premium = 0, 0.0
    for _ in range(years):
        model.step()
        movers += model.flows["district_movers"]
        premium += model.flows["district_premium_yuan"]
    return movers, premium


def test_no_rate_no_moves():
    assert _movers(_model(**{"enrolment.district_move_rate": 0.0})) == (0, 0.0)


def test_families_move_and_pay_a_premium():
    m = EducationModel(rng=2, region="default", **{"enrolment.district_move_rate": 0.3})
    movers, premium = _movers(m, 2)
    assert movers > 0
    assert premium > 0
    home_price = m.cfg.enrolment.district_home_price
    assert premium < movers * home_price * m.cfg.enrolment.district_premium_per_sd * 10


def test_movers_only_go_up_in_reputation():
    m = EducationModel(rng=2, region="default", **{"enrolment.district_move_rate": 0.3})
    m.step()
    rng = np.random.default_rng(0)
    s = m.students
    # make some unplaced grade-1 entrants and move them
    first = np.flatnonzero(s.grade == 1)[:400]
    home = s.zone[first].copy()
    s.school[first] = -1
    families.district_moves(m, rng)
    moved = s.zone[first] != home
    assert moved.any()
    q = np.asarray(m.school_quality)
    c = m.catch_primary
    assert np.all(q[c[s.zone[first][moved]]] > q[c[home[moved]]])


def test_a_high_price_weight_stops_moves():
    heavy = {"enrolment.district_move_rate": 0.3, "enrolment.district_premium_weight": 50.0,
             "enrolment.district_premium_per_sd": 2.0}
    free = {"enrolment.district_move_rate": 0.3, "enrolment.district_premium_weight": 0.0}
    assert _movers(_model(**heavy))[0] < _movers(_model(**free))[0]


def test_strict_enrolment_rules_stop_moves():
    rules = {"enrolment_rules": {"choice_reduction": 1.0}}
    m = EducationModel(rng=5, region="tiny", policies=rules,
                       **{"enrolment.district_move_rate": 0.3})
    assert _movers(m)[0] == 0


@pytest.mark.parametrize("field,value", [("enrolment.reputation_memory", 1.0),
                                         ("enrolment.district_move_rate", -0.1)])
def test_out_of_range_values_are_refused(field, value):
    from sim.schema import ConfigError

    with pytest.raises(ConfigError, match=field.split(".")[1]):
        _model(**{field: value})
