"""Validated configuration schema of the model.

Every parameter is a dataclass field declared with :func:`param` (or :func:`tiered` for
values that differ between the urban, town and rural tiers), which records its unit, valid
range, and source. A source is either a citation (see docs/sources.md) or
the word "assumption": a modelling choice with no direct empirical anchor that must stay a
parameter and is a candidate for sensitivity analysis.

The same dataclasses serve as Hydra structured-config schemas (the entry point in
``experiments/run.py`` registers them), and as the Python API::

    cfg = SimConfig()                       # the built-in default county
    cfg = SimConfig.from_overrides({"region.preset": "tiny", "teachers.retirement_age": 62})
    cfg.validate()                          # raises ConfigError naming the field and range
    cfg.problems()                          # the same problems as a list of messages

:func:`parameter_table` lists every parameter with its value, unit, range and source
(``experiments/make_parameter_docs.py`` writes docs/parameters.md from it).


The sections live in submodules (``region``, ``pupils``, ``teachers``, ``finance``) and the
whole in ``model``; import every name from ``sim.config``.
"""

from __future__ import annotations

from sim.config.finance import EvaluationConfig, FinanceConfig
from sim.config.model import SimConfig, parameter_table
from sim.config.pupils import EnrolmentConfig, LearningConfig, SchoolEffectConfig
from sim.config.region import (
    LEVELS,
    MAX_COUNTY_PUPILS,
    MAX_SCHOOLS,
    REGION_PRESETS,
    TIERS,
    DemographyConfig,
    RegionConfig,
)
from sim.config.teachers import TeacherConfig
from sim.schema import ByTier, ConfigError, param, tiered

__all__ = [
    "LEVELS",
    "MAX_COUNTY_PUPILS",
    "MAX_SCHOOLS",
    "TIERS",
    "ByTier",
    "ConfigError",
    "DemographyConfig",
    "EnrolmentConfig",
    "EvaluationConfig",
    "FinanceConfig",
    "LearningConfig",
    "SchoolEffectConfig",
    "REGION_PRESETS",
    "RegionConfig",
    "SimConfig",
    "TeacherConfig",
    "parameter_table",
    "param",
    "tiered",
]
