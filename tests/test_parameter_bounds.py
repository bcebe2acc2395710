"""Every parameter at the ends of its allowed range: the model runs, or the configuration is
refused with a message naming the field.

For each model and policy parameter with a range (and each option of a parameter with
options), one run of the tiny county with every policy on sets that parameter alone to its
lowest and to its highest allowed value (a tiered parameter: all three tiers). The run must
build and step without an exception and without a numpy warning (a warning marks an
undefined operation, e.g. a division by zero, whose result would be a wrong number), and
its pupils, teachers, mean achievement and spending must stay finite. A value the
configuration refuses (a combination that breaks a rule across fields, such as shares that
must add up to 1) must be refused by a ``ConfigError`` that names the field.

Measures that are undefined in such a county (a CV with no school of a level left, a share
of nothing rotated) are NaN by design and not checked here; tests/test_input_errors.py
checks random values at the command line."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pytest

from sim.config import ConfigError, SimConfig
from sim.policies import POLICIES
from sim.schema import ByTier

#: the size of the county: the largest allowed sizes build counties of millions of pupils,
#: which the benchmark runs (benchmarks/run.py: 1 M pupils, a 10,000-school table)
TOO_BIG = {("region", "n_students", "hi"), ("region", "n_schools", "hi")}
#: the tiny county's preset and file settings are not numbers
NOT_RANGES = {"preset", "path", "sheet", "teachers_path", "grades_path", "tiers_path"}
YEARS = 3


def _ends(f: dataclasses.Field, value: Any) -> list[tuple[str, Any]]:
    """(label, value) for the options of field ``f``, or for its lowest and highest allowed
    values (``value``: its default, None for an optional setting)."""
    meta = f.metadata
    if meta.get("choices"):
        return [(f"option {c}", c) for c in meta["choices"]]
    whole = (isinstance(value, int) and not isinstance(value, bool)) or str(f.type).startswith(
        "int")
    return [(label, int(meta[label]) if whole and float(meta[label]).is_integer()
             else meta[label]) for label in ("lo", "hi") if meta.get(label) is not None]


def _cases() -> list[Any]:
    cases = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if dataclasses.is_dataclass(value) and not isinstance(value, ByTier):
                walk(value, (*path, f.name))
                continue
            if f.metadata.get("policies") or f.name in NOT_RANGES:
                continue
            if not isinstance(value, (int, float, str, ByTier, type(None))):
                continue  # lists and mappings: their entries have rules of their own
            tiered = isinstance(value, ByTier)
            for label, x in _ends(f, value.urban if tiered else value):
                if (*path[-1:], f.name, label) in TOO_BIG:
                    continue
                key = ".".join((*path, f.name))
                cases.append(pytest.param((*path, f.name), x, tiered, id=f"{key}={x}"))

    walk(SimConfig(), ())
    for name in sorted(POLICIES):
        config = POLICIES[name].Config()
        for f in dataclasses.fields(config):
            for _label, x in _ends(f, getattr(config, f.name)):
                cases.append(pytest.param(("policies", name, f.name), x, False,
                                          id=f"policies.{name}.{f.name}={x}"))
    return cases


CASES = _cases()


def test_the_cases_cover_every_section_and_policy():
    sections = {c.values[0][0] for c in CASES}
    assert {"region", "demography", "enrolment", "learning", "teachers", "finance",
            "evaluation", "policies"} <= sections
    assert {c.values[0][1] for c in CASES if c.values[0][0] == "policies"} == set(POLICIES)
    assert len(CASES) > 400


@pytest.mark.parametrize("path,value,tiered", CASES)
def test_parameter_at_the_end_of_its_range(path, value, tiered):
    from sim import EducationModel

    d = SimConfig().to_dict()
    d["region"]["preset"] = "tiny"
    d["policies"] = {name: {} for name in POLICIES}
    node = d
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = {"urban": value, "town": value, "rural": value} if tiered else value
    try:
        cfg = SimConfig.from_dict(d)
    except ConfigError as err:  # a rule across fields: refused, naming the field
        assert ".".join(path[:2]) in str(err) or path[-1] in str(err), str(err)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an undefined operation is a failure here
        model = EducationModel(cfg, rng=3)
        for _ in range(YEARS):
            model.step()
    ts = model.timeseries()
    for col in ("students", "teachers", "mean_achievement", "spending_yuan"):
        assert np.isfinite(ts[col].iloc[1:].astype(float)).all(), col
    assert (ts["students"] > 0).all()
