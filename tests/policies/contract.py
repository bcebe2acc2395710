"""The contract every registered policy must keep (inherit :class:`PolicyContract`).

A policy test module declares::

    class TestMyPolicyContract(PolicyContract):
        name = "my_policy"
        params = {...}          # optional: non-default settings to exercise

and gets these tests: builds from its defaults; deterministic for a seed; keeps the model's
invariants; at zero intensity (all ``intensity_fields`` 0) and at zero fidelity the run equals
the baseline exactly; inactive before its start year; reports a non-negative cost;
out-of-range values give an error naming ``policies.NAME.FIELD``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from sim import ConfigError, EducationModel
from sim.policies import POLICIES

YEARS = 6


def run(name: str | None, params: dict[str, Any] | None = None, seed: int = 3,
        region: str = "tiny", years: int = YEARS) -> EducationModel:
    policies = {} if name is None else {name: dict(params or {})}
    return EducationModel(region=region, rng=seed, policies=policies).run(years)


def core_columns(ts: pd.DataFrame) -> pd.DataFrame:
    """Timeseries without the policy's own columns (cost and report)."""
    drop = [c for c in ts.columns if c.startswith("cost_policy_") or "." in c
            or c == "spending_yuan"]
    return ts.drop(columns=drop)


def check_invariants(m: EducationModel) -> None:
    s, t, sch = m.students, m.teachers, m.schools
    assert ((s.school >= 0) & (s.school < sch.n)).all()
    assert sch.open[s.school].all()
    assert ((s.grade >= 1) & (s.grade <= 9)).all()
    assert ((t.school >= 0) & (t.school < sch.n)).all()
    assert sch.open[t.school].all()
    assert ((t.post_school >= 0) & (t.post_school < sch.n)).all()
    assert len(np.unique(s.id)) == s.n and len(np.unique(t.id)) == t.n
    level = sch.level[s.school]
    assert not ((s.grade <= 6) & (level == 1)).any()
    assert not ((s.grade >= 7) & (level == 0)).any()
    for col in ("building_area", "sports_area", "equipment_value", "multimedia_rooms",
                "computers", "books", "capacity"):
        assert (sch.column(col) >= 0).all(), col
    assert np.isfinite(s.achievement).all()
    assert np.isfinite(t.skill).all()
    ts = m.timeseries()
    key = ["mean_achievement", "urban_rural_gap", "ses_gap", "between_school_share",
           "students", "teachers"]
    assert not ts[key].isna().any().any()
    table = m.school_table()
    assert table["students"].sum() == s.n
    assert table["teachers"].sum() == t.n
    # yearly counts reconcile with entries and exits
    for prev, cur in zip(ts.iloc[:-1].itertuples(), ts.iloc[1:].itertuples(), strict=True):
        assert cur.students == (prev.students - cur.graduates - cur.out_migrants
                                + cur.entrants + cur.migrant_arrivals)


class PolicyContract:
    name: ClassVar[str] = ""
    params: ClassVar[dict[str, Any]] = {}
    #: whether the default settings spend money (then the cost must be > 0 over the run)
    costs_money: ClassVar[bool] = True

    @pytest.fixture(scope="class")
    @classmethod
    def baseline(cls) -> EducationModel:
        return run(None)

    @pytest.fixture(scope="class")
    @classmethod
    def with_policy(cls) -> EducationModel:
        return run(cls.name, cls.params)

    def test_registered_with_validated_defaults(self):
        cls = POLICIES[self.name]
        cfg = cls.Config()
        assert cls.intensity_fields, "a policy must name its intensity fields"
        for f in cls.intensity_fields:
            assert hasattr(cfg, f)
        for f in dataclasses.fields(cfg):
            meta = f.metadata
            assert meta.get("source"), f"{self.name}.{f.name} has no source"
            assert meta.get("choices") or meta.get("lo") is not None or f.type in ("bool", "int | None"), \
                f"{self.name}.{f.name} has no range"

    def test_deterministic(self, with_policy):
        again = run(self.name, self.params)
        pd.testing.assert_frame_equal(with_policy.timeseries(), again.timeseries())
        pd.testing.assert_frame_equal(with_policy.school_history(), again.school_history())

    def test_keeps_invariants(self, with_policy):
        check_invariants(with_policy)

    def test_changes_the_run(self, with_policy, baseline):
        a, b = core_columns(with_policy.timeseries()), core_columns(baseline.timeseries())
        assert not a.equals(b[a.columns]), "the policy at its defaults changes nothing"

    def test_zero_intensity_equals_baseline(self, baseline):
        params = dict(self.params)
        for f in POLICIES[self.name].intensity_fields:
            params[f] = 0
        m = run(self.name, params)
        a, b = core_columns(m.timeseries()), core_columns(baseline.timeseries())
        pd.testing.assert_frame_equal(a, b[a.columns])
        pd.testing.assert_frame_equal(m.school_history(), baseline.school_history())
        assert m.timeseries()[f"cost_policy_{self.name}"].sum() == 0

    def test_zero_fidelity_equals_baseline(self, baseline):
        m = run(self.name, {**self.params, "fidelity": 0.0})
        a, b = core_columns(m.timeseries()), core_columns(baseline.timeseries())
        pd.testing.assert_frame_equal(a, b[a.columns])

    def test_inactive_before_start_year(self, baseline):
        m = run(self.name, {**self.params, "start_year": 4})
        a = core_columns(m.timeseries()).iloc[:4]
        b = core_columns(baseline.timeseries()).iloc[:4]
        pd.testing.assert_frame_equal(a, b[a.columns])
        assert (m.timeseries()[f"cost_policy_{self.name}"].iloc[:4] == 0).all()

    def test_cost_is_reported_and_non_negative(self, with_policy):
        cost = with_policy.timeseries()[f"cost_policy_{self.name}"]
        assert (cost >= 0).all()
        if self.costs_money:
            assert cost.sum() > 0
        summary = with_policy.summary_extras()["policies"][self.name]
        assert summary["total_cost_yuan"] == pytest.approx(cost.sum())

    def test_out_of_range_names_the_field(self):
        field = POLICIES[self.name].intensity_fields[0]
        with pytest.raises(ConfigError, match=rf"policies\.{self.name}\.{field}: -1"):
            EducationModel(region="tiny", rng=1, policies={self.name: {field: -1}})
        with pytest.raises(ConfigError, match=rf"policies\.{self.name}\.no_such_field"):
            EducationModel(region="tiny", rng=1, policies={self.name: {"no_such_field": 1}})
