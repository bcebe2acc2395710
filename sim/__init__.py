"""edusim: agent-based simulation of county-level balanced compulsory education policy.

Public API::

    from sim import EducationModel, SimConfig
    model = EducationModel(region="tiny", rng=1).run(20)
    model.timeseries()        # county metrics per year
    model.school_history()    # per-school official indicators per year
"""

from sim import evaluation, metrics
from sim.agents import School, Student, Teacher
from sim.config import ConfigError, SimConfig
from sim.model import EducationModel

__all__ = ["ConfigError", "EducationModel", "School", "SimConfig", "Student", "Teacher", "evaluation",
           "metrics"]
__version__ = "0.1.0"
