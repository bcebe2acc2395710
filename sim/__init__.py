"""edusim: agent-based simulation of county-level balanced compulsory education policy.

Public API::

    from sim import EducationModel, SimConfig
    model = EducationModel(region="tiny", rng=1).run(20)
    model.timeseries()        # county metrics per year
    model.school_history()    # per-school official indicators per year

The names are imported on first use (PEP 562), so that ``import sim.config`` or a command
that needs only part of the package does not load the model, Mesa and pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sim.behaviour import VERSION as __version__  # noqa: F401  (one place for the version)

if TYPE_CHECKING:
    from sim import evaluation, metrics
    from sim.agents import School, Student, Teacher
    from sim.config import ConfigError, SimConfig
    from sim.model import EducationModel

__all__ = ["ConfigError", "EducationModel", "School", "SimConfig", "Student", "Teacher", "evaluation",
           "metrics"]

#: where each public name lives (imported when first asked for)
_LAZY = {"EducationModel": "sim.model", "School": "sim.agents", "Student": "sim.agents",
         "Teacher": "sim.agents", "ConfigError": "sim.config", "SimConfig": "sim.config",
         "evaluation": None, "metrics": None}


def __getattr__(name: str) -> Any:
    home = _LAZY.get(name)
    if home is None:  # a public module, or any submodule asked for as an attribute
        try:
            value = importlib.import_module(f"sim.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"sim.{name}":
                raise
            raise AttributeError(f"module 'sim' has no attribute {name!r}") from None
    else:
        value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
