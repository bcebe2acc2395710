"""Priors of the uncertain parameters (sim/priors.py, sim/schema.py): every assumption that
can move an effect declares one (or says why it needs none), every declared prior is
usable, and draws map to valid overrides."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.config import ByTier, SimConfig
from sim.policies import POLICIES
from sim.priors import Prior, loguniform, normal, triangular, uniform
from sim.schema import DeclaredPrior, declared_priors, prior_overrides, prior_text


def _fields(cls, prefix=""):
    """(path, field, default) of every leaf parameter of a config dataclass."""
    for f in dataclasses.fields(cls):
        if f.metadata.get("policies"):
            continue
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            continue
        if dataclasses.is_dataclass(default) and not isinstance(default, ByTier):
            yield from _fields(type(default), f"{prefix}{f.name}.")
        else:
            yield f"{prefix}{f.name}", f, default


CONFIGS = [("", SimConfig)] + [(f"policies.{n}.", c.Config) for n, c in sorted(POLICIES.items())]


def _numeric(f, default) -> bool:
    if f.metadata.get("choices") or isinstance(default, bool) or str(f.type).startswith("bool"):
        return False
    return isinstance(default, (int, float, ByTier)) or "float" in str(f.type)


@pytest.mark.parametrize("prefix,cls", CONFIGS, ids=[p or "core" for p, _ in CONFIGS])
def test_every_numeric_assumption_declares_a_prior_or_why_not(prefix, cls):
    missing = []
    for path, f, default in _fields(cls, prefix):
        meta = f.metadata
        if not str(meta.get("source", "")).startswith("assumption"):
            continue
        if not _numeric(f, default):
            continue
        if meta.get("prior") is None and not meta.get("no_prior"):
            missing.append(path)
    assert not missing, f"assumptions without prior= or no_prior=: {missing}"


@pytest.mark.parametrize("prefix,cls", CONFIGS, ids=[p or "core" for p, _ in CONFIGS])
def test_every_declared_prior_is_usable_and_centred_near_the_default(prefix, cls):
    problems, off_centre = [], []
    for d in declared_priors(cls, prefix):
        problems += d.problems()
        lo, hi = d.prior.support(d.lo, d.hi)
        if d.prior.relative:
            if not lo <= 1.0 <= hi:
                off_centre.append(d.path)
        elif isinstance(d.default, (int, float)) and not lo <= d.default <= hi:
            off_centre.append(d.path)
    assert not problems, problems
    # the default lies inside the prior's support (the analysis is around the model)
    assert not off_centre, off_centre


def test_the_core_declares_priors_for_the_screened_parameters():
    from experiments.calibration.ranges import RANGES

    found = {d.path: d for d in declared_priors(SimConfig)}
    for name, cls in POLICIES.items():
        found |= {d.path: d for d in declared_priors(cls.Config, f"policies.{name}.")}
    for r in RANGES:
        # the sensitivity screen moves every parameter over its prior (one fact in one place)
        assert r.name in found, r.name
        assert r.prior == found[r.name], r.name


# ---- the distributions ---------------------------------------------------------------------
PRIORS = [uniform(0.1, 0.3, "r"), triangular(0.0, 0.05, 0.2, "r"), loguniform(0.01, 1.0, "r"),
          normal(0.5, 0.1, "r", low=0.0, high=1.0)]


@pytest.mark.parametrize("p", PRIORS, ids=lambda p: p.kind)
def test_ppf_is_increasing_and_stays_in_the_support(p):
    u = np.linspace(0.001, 0.999, 201)
    x = p.ppf(u)
    assert np.all(np.diff(x) > 0)
    lo, hi = p.support()
    assert x.min() >= lo and x.max() <= hi
    # quasi-random points follow the distribution: the mean of many is the analytic mean
    mean = {"uniform": 0.2, "triangular": (0.0 + 0.05 + 0.2) / 3,
            "loguniform": (1.0 - 0.01) / np.log(100.0)}.get(p.kind)
    if mean is not None:
        assert p.ppf((np.arange(4000) + 0.5) / 4000).mean() == pytest.approx(mean, rel=1e-3)


@pytest.mark.parametrize("p", PRIORS, ids=lambda p: p.kind)
def test_widening_keeps_the_median_and_widens_the_spread(p):
    w = p.widened(2.0)
    assert w.centre() == pytest.approx(p.centre(), rel=1e-6)
    assert w.ppf(0.9) - w.ppf(0.1) > 1.5 * (p.ppf(0.9) - p.ppf(0.1))


def test_bad_priors_are_reported_by_path():
    assert Prior("beta", "r").problems("x")[0].startswith("x (prior): kind")
    assert "reason" in uniform(0, 1, " ").problems("x")[0]
    assert "low < high" in uniform(1, 0, "r").problems("x")[0]
    assert "mode" in triangular(0, 2, 1, "r").problems("x")[0]
    assert "leaves the allowed range" in uniform(-1, 1, "r").problems("x", 0.0, 1.0)[0]
    tier = DeclaredPrior("t", uniform(0, 1, "r"), ByTier(1, 1, 1), 0, 1, "")
    assert any("per tier" in m for m in tier.problems())


def test_overrides_clip_round_and_move_tiers_together():
    d = DeclaredPrior("teachers.attrition", uniform(0.5, 1.5, "r", relative=True),
                      ByTier(0.04, 0.06, 0.08), 0.0, 1.0, "share")
    assert prior_overrides(d, 2.0) == pytest.approx(
        {"teachers.attrition.urban": 0.08, "teachers.attrition.town": 0.12,
         "teachers.attrition.rural": 0.16})
    i = DeclaredPrior("x.years", uniform(1, 10, "r"), 3, 1, 8, "years", integer=True)
    assert prior_overrides(i, 9.7) == {"x.years": 8}
    assert prior_overrides(i, 2.6) == {"x.years": 3}
    r = DeclaredPrior("x.share", uniform(0.5, 1.5, "r", relative=True), 0.4, 0.0, 1.0, "")
    assert prior_overrides(r, 1.5) == {"x.share": pytest.approx(0.6)}
    assert prior_overrides(r, 1.5, default=0.8) == {"x.share": 1.0}


def test_every_declared_prior_gives_a_valid_config():
    # the prior's extremes, applied one at a time, always build a valid configuration
    for d in declared_priors(SimConfig):
        for u in (0.001, 0.999):
            over = prior_overrides(d, float(d.prior.ppf(u, d.lo, d.hi)))
            SimConfig.from_overrides(over).validate()


def test_the_parameter_table_shows_priors():
    from sim.config import parameter_table

    t = parameter_table().set_index("parameter")["prior"]
    assert (t != "").sum() >= 30
    declared = declared_priors(SimConfig)
    d = next(x for x in declared if "." not in x.path.split(".", 1)[1])
    assert t[d.path] == prior_text(
        next(f for p, f, _ in _fields(SimConfig) if p == d.path).metadata)
