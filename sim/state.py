"""The county's state: the columns of its tables, and what processes and policies may use.

:class:`CountyState` is the contract between the model (:class:`sim.model.EducationModel`,
which implements it) and everything that acts on or reads a county in a year: the yearly
processes (:mod:`sim.processes`), the policies (:mod:`sim.policies`), the record
(:mod:`sim.record`), the agent views (:mod:`sim.agents`) and the year-0 construction. They
are typed against this protocol, never against the model class, so the import layers run
one way (see docs/architecture.md).

What may change what: processes and policies write the columns of the three tables in
place, add and remove individuals through ``add_students``/``remove_students``/
``add_teachers``/``remove_teachers``, book flows and costs of the year in ``flows`` and
``costs``, and (enrolment, class assignment) set the class structure; the catchment policy
may replace ``catch_primary``/``catch_junior``. Everything else here is read-only for them.
The model makes the tables read-only where a phase must not change them (:meth:`read_only`);
a step that changes one in such a phase says so (:meth:`writable`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from sim.config import SimConfig
    from sim.population import Memo, Table

__all__ = ["CountyState", "SCHOOL_SCHEMA", "STUDENT_SCHEMA", "TEACHER_SCHEMA"]

#: columns of the pupils' table (``students``)
STUDENT_SCHEMA = {
    "school": np.intp, "grade": np.int8, "zone": np.intp, "ses": np.float64,
    "achievement": np.float64, "left_behind": np.bool_, "migrant": np.bool_,
    "disabled": np.bool_, "klass": np.int16, "entry_year": np.int16,
}
#: columns of the teachers' table (``teachers``)
TEACHER_SCHEMA = {
    "school": np.intp, "section": np.int8, "subject": np.int8, "qualification": np.int8,
    "title": np.int8, "backbone": np.bool_, "age": np.int16, "experience": np.int16,
    "years_at_school": np.int16, "skill": np.float64, "home_zone": np.intp,
    "class_key": np.int64, "post_school": np.intp,
}
#: columns of the schools' table (``schools``; one row per school, never removed)
SCHOOL_SCHEMA = {
    "level": np.int8, "tier": np.int8, "x": np.float64, "y": np.float64,
    "capacity": np.int64, "open": np.bool_, "building_area": np.float64,
    "sports_area": np.float64, "equipment_value": np.float64, "multimedia_rooms": np.float64,
    "computers": np.float64, "books": np.float64, "funds": np.float64,
    "designated_weak": np.bool_,
    # school effects and key schools (sim.processes.school_effects)
    "key_school": np.bool_, "school_effect": np.float64,
    "school_effect_persistent": np.float64,
}


class CountyState(Protocol):
    """A county in a simulated year: what processes, policies and the record may use."""

    # ---- run ----------------------------------------------------------------------------
    cfg: SimConfig
    seed: int
    #: the simulated year (0: the initial state)
    year: int
    #: the active and inactive policies of the run, in their yearly order
    policies: list[Any]
    #: counts of this year's events (``entrants``, ``hires``, …), recorded with the year
    flows: dict[str, int]
    #: this year's spending by item (yuan)
    costs: dict[str, float]
    #: derived quantities reused while their inputs are unchanged
    memo: Memo

    # ---- tables ---------------------------------------------------------------------------
    students: Table
    teachers: Table
    schools: Table
    school_names: list[str]
    school_codes: list[str]
    #: per stock and school: factor on pupils × standard splitting a nine-year school's stock
    split_adj: np.ndarray
    #: per school and section: factor on the national staffing quota (year-0 staffing kept)
    quota_scale: np.ndarray
    #: land caps and the capital projects under way
    #: (:class:`sim.processes.facilities.FacilityState`)
    facilities: Any
    #: per school: its school effect in year 0 and the years before (column k: year −k), the
    #: years the year-0 pupils were taught (sim.processes.school_effects)
    school_effect_path: np.ndarray
    #: per school and section: backbone titles the county grants there since the last review
    #: (sim.processes.backbone)
    backbone_quota: np.ndarray

    # ---- geography ------------------------------------------------------------------------
    zone_x: np.ndarray
    zone_y: np.ndarray
    zone_tier: np.ndarray
    zone_weight: np.ndarray
    zone_own_school: np.ndarray
    #: expected grade-1 entrants of each zone in year 0
    zone_cohort0: np.ndarray
    zone_dist: np.ndarray
    school_dist: np.ndarray
    school_zone: np.ndarray
    catch_primary: np.ndarray
    catch_junior: np.ndarray

    # ---- classes (set by enrolment and class assignment) -----------------------------------
    class_offset: np.ndarray
    classes_per_key: np.ndarray
    n_classes: int
    class_of_student: np.ndarray
    class_size: np.ndarray
    section_classes: np.ndarray

    # ---- achievement norms and school quality ----------------------------------------------
    grade_mean0: np.ndarray
    grade_sd0: np.ndarray
    #: mean achievement (z) per school at the start of the year (what families see)
    school_quality: np.ndarray
    #: what the county's schools add to a pupil's yearly growth on average (year 0)
    mean_school_side: float
    #: what was synthesised because the input did not give it
    synthesis_notes: list[str]

    # ---- methods --------------------------------------------------------------------------
    def stream(self, name: str) -> np.random.Generator: ...
    def read_only(self, *tables: str) -> AbstractContextManager[None]: ...
    def writable(self, *tables: str, columns: tuple[str, ...] | None = None
                 ) -> AbstractContextManager[None]: ...
    def add_students(self, values: dict[str, Any],
                     initialise_achievement: bool = False) -> np.ndarray: ...
    def remove_students(self, mask: np.ndarray) -> np.ndarray: ...
    def add_teachers(self, values: dict[str, Any]) -> np.ndarray: ...
    def remove_teachers(self, mask: np.ndarray) -> np.ndarray: ...
    def school_columns(self, store: bool = True) -> dict[str, np.ndarray]: ...

    # derived quantities (sim.derived.DerivedQuantities)
    def teacher_effectiveness(self, rows: np.ndarray | None = None) -> np.ndarray: ...
    def achievement_z(self, rows: np.ndarray | None = None) -> np.ndarray: ...
    def school_mean_z(self) -> np.ndarray: ...
    def ses_quartiles(self) -> tuple[float, float]: ...
    def school_ses_z(self) -> tuple[np.ndarray, np.ndarray]: ...
    def section_enrolment(self) -> np.ndarray: ...
    def note_grade_enrolment(self, per_grade: np.ndarray) -> None: ...
    def section_staff(self) -> np.ndarray: ...
    def fit_sections(self, rows: np.ndarray | None = None) -> None: ...
    def staffing_quota(self, section_classes: np.ndarray | None = None) -> np.ndarray: ...
    def vacancy_slots(self, rng: np.random.Generator, tiers: tuple[int, ...] | None = None
                      ) -> tuple[np.ndarray, np.ndarray]: ...
    def pe_arts_per_100(self) -> np.ndarray: ...
    def resource_index(self) -> np.ndarray: ...
    def active_policies(self) -> list[Any]: ...
    def policy(self, name: str) -> Any: ...
    def policy_product(self, hook: str, *args: Any) -> np.ndarray | float: ...
    def policy_sum(self, hook: str, *args: Any) -> np.ndarray | float: ...
    def school_strength(self, measure: str = "achievement") -> np.ndarray: ...
    def rural_allowance(self) -> float: ...
    def class_school_section(self) -> tuple[np.ndarray, np.ndarray]: ...

