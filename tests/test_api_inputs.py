"""The Python API takes the same settings as the command line (``EducationModel(**overrides)``,
``SimConfig.from_overrides``, what ``mesa.batch_run`` and the browser view pass): a value of
the wrong type or range is refused with a ConfigError naming the setting and what it allows,
before anything is built; a valid value of another number type (an integer for a float
setting, a numpy number) runs as the command line would. No other exception, ever."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import EducationModel
from sim.config import SimConfig, parameter_table
from sim.schema import ConfigError


def _settings() -> list[str]:
    names = ["region", "enrolment", "teachers", "finance"]  # whole groups of settings
    for _, row in parameter_table().iterrows():
        names.append(row["parameter"])
        if isinstance(row["value"], dict) and set(row["value"]) == {"urban", "town", "rural"}:
            names += [f"{row['parameter']}.{t}" for t in ("urban", "town", "rural")]
    # a county file's paths are checked when the file is read (tests/test_county_table.py)
    return [n for n in names if not n.startswith(("region.preset", "region.path",
                                                  "region.teachers_path", "region.grades_path",
                                                  "region.tiers_path"))]


PYTHON_VALUES = st.one_of(
    st.floats(min_value=0, max_value=1),  # often valid: a run to check
    st.integers(min_value=-3, max_value=60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([None, True, "abc", "0.5", [0.5, 0.5], (1, 2), {"a": 1}, {}, [],
                     np.int64(3), np.float32(0.25), np.float64(0.5), 1e308, -1, 10**400]),
)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(_settings()), value=PYTHON_VALUES)
def test_any_value_is_refused_by_name_or_runs(key, value):
    try:
        cfg = SimConfig.from_overrides({key: value})
    except ConfigError as err:
        assert key.split(".")[-1] in str(err) or key.split(".")[0] in str(err), str(err)
        return
    assert cfg.problems() == []
    model = EducationModel(cfg, rng=1, region="tiny")
    model.run(1)
    assert math.isfinite(model.latest_record()["mean_achievement"])


@pytest.mark.parametrize("key,value,expected", [
    ("enrolment__capacity_headroom", 2.0,
     "enrolment.capacity_headroom: 2.0 is one value, but this setting has one per tier "
     "(urban, town, rural); set them one by one, e.g. enrolment.capacity_headroom.urban=2.0"),
    ("enrolment", 5, "enrolment: 5 is not one value but a group of settings (max_class_size"),
    ("learning__noise_sd", {"a": 1}, "learning.noise_sd: expected a number in [0.0, "),
    ("finance__equipment_share", "0.5", "finance.equipment_share: expected a number in [0.0,"),
    ("finance__initial_stock", 3, "finance.initial_stock: expected one list of numbers per tier"),
    ("teachers__hire_qualification__urban", True,
     "teachers.hire_qualification.urban: expected a list of numbers in [0.0, 1.0]"),
    ("region__n_towns", 2.5, "region.n_towns: expected an integer in"),
    ("evaluation__quality_threshold", [0.5], "evaluation.quality_threshold: expected a number"),
])
def test_wrong_types_are_refused_before_building(key, value, expected):
    with pytest.raises(ConfigError) as err:
        EducationModel(rng=1, region="tiny", **{key: value})
    assert expected in str(err.value)
    assert len(err.value.messages()) == 1  # no second message from a rule across fields


def test_other_number_types_run_as_the_command_line_would():
    # an integer for a float setting once gave integer arrays and a numpy casting error
    # deep in the first year; numpy numbers (np.arange / np.linspace in a sweep) were refused
    given = EducationModel(rng=3, region="tiny", learning__vacancy_effect=-1,
                           enrolment__merge_below=np.int64(10),
                           teachers__rural_allowance=np.float32(0.25),
                           region__n_towns=np.float64(3.0)).run(2)
    typed = EducationModel(rng=3, region="tiny", learning__vacancy_effect=-1.0,
                           enrolment__merge_below=10, teachers__rural_allowance=0.25,
                           region__n_towns=3).run(2)
    cfg = given.cfg
    assert type(cfg.learning.vacancy_effect) is float and cfg.learning.vacancy_effect == -1.0
    assert type(cfg.enrolment.merge_below) is int and type(cfg.region.n_towns) is int
    assert type(cfg.teachers.rural_allowance) is float
    assert given.timeseries().equals(typed.timeseries())


def test_an_integer_tier_value_becomes_a_float():
    cfg = SimConfig.from_overrides({"enrolment.capacity_headroom": {"urban": 2, "town": 2,
                                                                   "rural": np.int32(3)}})
    assert cfg.enrolment.capacity_headroom.as_tuple() == (2.0, 2.0, 3.0)
    assert all(type(x) is float for x in cfg.enrolment.capacity_headroom.as_tuple())


@pytest.mark.parametrize("years", ["abc", -1, 1.5, True, None])
def test_run_refuses_what_is_not_a_number_of_years(years):
    model = EducationModel(rng=1, region="tiny")
    with pytest.raises(ConfigError, match=r"^years: expected a whole number of years"):
        model.run(years)
    assert model.year == 0


def test_run_takes_a_numpy_or_integral_number_of_years():
    assert EducationModel(rng=1, region="tiny").run(np.int64(2)).year == 2
    assert EducationModel(rng=1, region="tiny").run(2.0).year == 2


@pytest.mark.parametrize("seed", [-1, np.int64(-5)])
def test_a_negative_seed_is_refused_by_name(seed):
    with pytest.raises(ConfigError, match=r"^rng \(the run's seed\): -\d+ is outside the allowed"):
        EducationModel(rng=seed, region="tiny")


def test_an_integer_beyond_any_float_is_out_of_range():
    with pytest.raises(ConfigError, match=r"learning\.noise_sd: 1000.* is outside the allowed"):
        SimConfig.from_overrides({"learning.noise_sd": 10**400})
