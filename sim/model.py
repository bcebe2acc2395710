"""EducationModel: a county's compulsory-education system, simulated year by year.

The conductor of a run: it holds the state, builds year 0, calls the yearly processes and
the policies' hooks in their documented order, and keeps the record. See
docs/architecture.md for where each mechanism lives.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import numpy as np
import pandas as pd

from sim import construction, record
from sim.agents import AgentViews, Student, Teacher
from sim.allocator import tune_allocator
from sim.config import SimConfig
from sim.derived import DerivedQuantities
from sim.mesa_import import mesa
from sim.policies import check_policies
from sim.population import Memo
from sim.processes import (
    careers,
    enrolment,
    families,
    finance,
    learning,
    school_effects,
    schools,
)
from sim.random_streams import RandomStreams
from sim.schema import ConfigError, as_declared_number

__all__ = ["DATACOLLECTOR_METRICS", "EducationModel"]

#: the headline county metrics collected by Mesa's DataCollector every year
DATACOLLECTOR_METRICS = ("students", "teachers", "mean_achievement", "ses_gap",
                         "urban_rural_gap", "between_school_share", "spending_yuan")


class EducationModel(DerivedQuantities, mesa.Model):
    """A county of schools, teachers and pupils, one step per school year.

    Args:
        config: a :class:`~sim.config.SimConfig`, a nested dict of overrides, or None for
            the default county.
        rng: the run's integer seed (Mesa's ``rng``); ``seed`` is accepted as an alias.
            None draws a fresh seed (recorded in ``model.seed``).
        region: shortcut for ``region.preset`` ("tiny", "default", "county_l").
        **overrides: single parameters by dotted or double-underscore name
            (``teachers__rural_allowance=0.3``), as ``mesa.batch_run`` and ``SolaraViz``
            pass them.

    State: pupils in ``model.students`` and teachers in ``model.teachers`` (columnar
    :class:`~sim.population.Table`), schools in ``model.schools`` with a
    :class:`~sim.agents.School` agent each (``model.school_agents``). ``model.student(id)``
    and ``model.teacher(id)`` return Mesa agent views of individuals.

    **Yearly step** (``step``), in this order:

    0. *merging* (:mod:`sim.processes.schools`; only if ``enrolment.merge_below`` > 0, and
       always for schools left without pupils): schools that ended last year below that
       size merge into the nearest school teaching their grades. Then every school's
       effect moves one year on (:mod:`sim.processes.school_effects`: AR(1) persistent
       part, a new yearly shock).
    1. *enrolment* (:mod:`sim.processes.enrolment`): graduation after grade 9 and families
       leaving; everyone moves up a grade; rural families move to town or city; a new
       grade-1 cohort per catchment zone (birth trend per tier) and migrant arrivals;
       placement by catchment (就近入学) with capacity, school choice by richer families,
       overflow to the nearest school with seats; optional seat expansion; classes formed
       and core teachers assigned to them.
    2. *learning* (:mod:`sim.processes.learning`): every pupil's achievement grows from
       prior achievement, the class's teachers, the school's facilities, peers, the school
       effect, family SES and left-behind status.
    3. *teacher careers* (:mod:`sim.processes.careers`): ageing and training; retirement
       and attrition (rural higher, lowered by the rural allowance); transfer requests
       toward urban schools; hiring into vacancies of the staffing quota; qualification
       upgrades, promotions and backbone designation.
    4. *school finance* (:mod:`sim.processes.finance`): operating funds and capital
       programme buy equipment, multimedia rooms, computers and books after depreciation.
    5. *record* (:mod:`sim.record`): county metrics (``timeseries()``) and the per-school
       table of the official indicators (``school_history()``).

    Active policies act at fixed points of this order (their hooks; :mod:`sim.policies.base`
    lists them), each in the order of :data:`~sim.policies.POLICY_ORDER`.

    The pupils' table is read-only all year except where a step changes it: enrolment, the
    new achievement of the learning step, the pupils of a merged school, the classes of
    class assignment and the enrolment hooks of a policy that writes pupils
    (``Policy.writes_pupils``); all tables are read-only while the learning growth and the
    record are computed (:meth:`read_only`, :meth:`writable`).

    Each process draws from its own random stream per year, spawned from the seed
    (``stream``), so scenarios share common random numbers.

    The model is the conductor: the year-0 state comes from :mod:`sim.construction`, the
    yearly processes from :mod:`sim.processes`, what can be derived from the state from
    :class:`~sim.derived.DerivedQuantities`, the record from :mod:`sim.record`, the agent
    views from :class:`~sim.agents.AgentViews`. What processes and policies may use is the
    :class:`~sim.state.CountyState` protocol, which this class implements.
    """

    def __init__(self, config: SimConfig | dict | None = None, *, rng: Any = None,
                 seed: Any = None, region: str | None = None, **overrides: Any) -> None:
        if seed is not None and rng is not None:
            raise ValueError("pass either rng or seed, not both")
        rng = seed if rng is None else rng
        if rng is None:
            rng = int(np.random.SeedSequence().generate_state(1)[0])
        if isinstance(rng, (bool, float)) or not isinstance(rng, (int, np.integer)):
            raise TypeError(f"rng (the run's seed) must be an integer, got {rng!r}")
        if rng < 0:
            raise ConfigError(f"rng (the run's seed): {rng} is outside the allowed range: an "
                              f"integer 0 or more")
        super().__init__(rng=int(rng))
        self.seed = int(rng)
        tune_allocator()

        if isinstance(config, SimConfig):
            cfg = copy.deepcopy(config)  # the model may adapt its copy (e.g. a loaded county)
        elif isinstance(config, dict):
            cfg = SimConfig.from_dict(config, validate=False)
        elif config is None:
            cfg = SimConfig()
        else:
            raise TypeError(f"config must be a SimConfig, a dict or None, not {type(config)}")
        if region is not None:
            cfg.region.preset = region
        for key, value in overrides.items():
            cfg.set(key, value)
        # the configuration is checked once, its own fields and the policies' together
        self.policies, policy_problems = check_policies(cfg.policies)
        problems = cfg.problems() + policy_problems
        if problems:
            raise ConfigError.from_problems(problems)
        self.cfg = cfg

        self.year = 0
        self.flows: dict[str, int] = {}
        self.costs: dict[str, float] = {}
        self.memo = Memo()
        self.views = AgentViews(self)
        self._streams = RandomStreams(self.seed)
        self._records: list[dict[str, Any]] = []
        #: per recorded year, the per-school table as numpy columns; school_history()
        #: stacks them on demand
        self._school_years: list[dict[str, np.ndarray]] = []
        #: this year's per-school table: (year, columns, DataFrame or None)
        self._school_table: tuple[int, dict[str, np.ndarray], pd.DataFrame | None] | None = None
        self._timeseries: tuple[int, pd.DataFrame] | None = None
        self._read_only_depth: dict[str, int] = {}

        #: Mesa DataCollector with the headline county metrics (model-level only: per-pupil
        #: reporters would dominate the run time); ``timeseries()`` has every metric.
        self.datacollector = mesa.DataCollector(model_reporters={
            key: _latest(key) for key in DATACOLLECTOR_METRICS})
        construction.build(self, self.views)
        for policy in self.policies:
            policy.setup(self)
        self.record_year()

    def stream(self, name: str) -> np.random.Generator:
        """The random generator of process ``name`` for the current year (see
        :class:`~sim.random_streams.RandomStreams`): switching a policy on leaves every
        unrelated draw unchanged (common random numbers)."""
        return self._streams.get(name, self.year)

    # ---- the year ---------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one school year (see the class docstring for the order)."""
        self.year += 1
        self.flows = {}
        self.costs = {}
        self._school_table = None
        # the pupils' table is read-only all year except where a step changes it (merging a
        # school, enrolment, the new achievement, a policy that writes pupils), so that what
        # is derived from it is reused without comparing its columns again (see read_only)
        with self.read_only("students"):
            self.school_quality = families.update_reputation(self, self.school_quality)
            self.merge_small_schools()
            school_effects.step(self, self.stream("school_effects"))
            active = [p for p in self.policies if p.active(self)]
            for p in active:
                with self.writable("students") if p.writes_pupils else nullcontext():
                    p.before_enrolment(self)
            with self.writable("students"):
                enrolment.step(self)
            for p in active:
                with self.writable("students") if p.writes_pupils else nullcontext():
                    p.after_enrolment(self)
            learning.step(self, self.stream("learning"))
            for p in active:
                p.before_careers(self)
            careers.step(self, self.stream("careers"))
            for p in active:
                p.after_careers(self)
            finance.step(self, self.stream("finance"))
            for p in active:
                p.after_finance(self)
            self.record_year()

    def run(self, years: int) -> EducationModel:
        """Run ``years`` steps (a whole number, 0 or more); returns the model."""
        n = as_declared_number(years, True)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ConfigError(f"years: expected a whole number of years, 0 or more, got {years!r}")
        for _ in range(n):
            self.step()
        return self

    def merge_small_schools(self) -> None:
        """Step 0 of the year (:func:`sim.processes.schools.merge_small_schools`)."""
        schools.merge_small_schools(self)

    def record_year(self) -> None:
        """Step 5 of the year: the county metrics and the per-school table of the year's
        final state (a policy may have looked at an earlier state of it during the year)."""
        with self.read_only():
            self._school_table = None
            self._records.append(record.record_year(self))
            self._school_years.append(self.school_columns())
            self.datacollector.collect(self)

    @contextlib.contextmanager
    def read_only(self, *tables: str) -> Iterator[None]:
        """A block that does not change the given tables (``"students"``, ``"teachers"``,
        ``"schools"``; all three by default): their columns are read-only inside it (a
        write raises ``ValueError``), so derived quantities need not compare those columns
        again (see :class:`~sim.population.Memo`). The yearly record runs in such a block."""
        depth = self._read_only_depth
        frozen = []
        for name in tables or ("students", "teachers", "schools"):
            depth[name] = depth.get(name, 0) + 1
            if depth[name] == 1:
                getattr(self, name).set_writeable(False)
            frozen.append(name)
        try:
            yield
        finally:
            for name in frozen:
                depth[name] -= 1
                if depth[name] == 0:
                    getattr(self, name).set_writeable(True)

    @contextlib.contextmanager
    def writable(self, *tables: str, columns: tuple[str, ...] | None = None) -> Iterator[None]:
        """A block that may change the given tables inside a :meth:`read_only` block (the
        steps of the year that change the pupils): writeable inside, read-only again after
        it, in a new freeze (derived quantities compare those columns once more). With
        ``columns``, only those columns open (the others stay in their freeze) and rows can
        be neither added nor removed."""
        depth = self._read_only_depth
        saved = {}
        for name in tables:
            saved[name] = depth.get(name, 0)
            if columns is None:
                depth[name] = 0
            if saved[name]:
                getattr(self, name).set_writeable(True, columns)
        try:
            yield
        finally:
            for name, d in saved.items():
                depth[name] = d
                if d:
                    getattr(self, name).set_writeable(False, columns)

    # ---- population bookkeeping (used by the processes) ------------------------------------
    def add_students(self, values: dict[str, Any], initialise_achievement: bool = False
                     ) -> np.ndarray:
        """Append pupils; with ``initialise_achievement`` their achievement is moved from
        grade-1 readiness to the level expected for their grade (county-average school)."""
        n = len(values["zone"])
        if initialise_achievement and n:
            learn = self.cfg.learning
            family = (learn.ses_effect * values["ses"]
                      + learn.left_behind_effect * values["left_behind"])
            m = family + self.mean_school_side
            noise = self.stream("arrivals").standard_normal(n)
            values = dict(values)
            # arrivals in grade g have completed g-1 years; they learn this year's in the county
            years = np.asarray(values["grade"]) - 1
            values["achievement"] = learning.accumulate(values["achievement"], m, years, learn,
                                                        noise)
        return self.students.add(n, **values)

    def remove_students(self, mask: np.ndarray) -> np.ndarray:
        return self.students.remove(mask)

    def add_teachers(self, values: dict[str, Any]) -> np.ndarray:
        return self.teachers.add(len(values["school"]), **values)

    def remove_teachers(self, mask: np.ndarray) -> np.ndarray:
        return self.teachers.remove(mask)

    # ---- agent views -------------------------------------------------------------------------
    def student(self, person_id: int) -> Student:
        """The Mesa agent view of one pupil (created on first use)."""
        return self.views.get("students", person_id)

    def teacher(self, person_id: int) -> Teacher:
        """The Mesa agent view of one teacher (created on first use)."""
        return self.views.get("teachers", person_id)

    # ---- outputs -------------------------------------------------------------------------------
    def school_table(self) -> pd.DataFrame:
        """This year's per-school table in the evaluation format (:mod:`sim.evaluation`):
        one row per open school and level section with pupils (a nine-year school gives a
        primary and a junior row with the same ``school_id``).

        Stocks of a nine-year school are split between its sections in proportion to
        pupils × the section's standard, so both sections show the same ratio to standard.
        The frame is built on demand from :meth:`school_columns` (kept for the year).
        """
        cached = self._school_table
        if cached is not None and cached[0] == self.year and cached[2] is not None:
            return cached[2]
        columns = self.school_columns()
        frame = pd.DataFrame(columns)
        self._school_table = (self.year, columns, frame)
        return frame

    def school_columns(self, store: bool = True) -> dict[str, np.ndarray]:
        """This year's per-school table (see :meth:`school_table`) as a dict of numpy
        columns (:func:`sim.record.school_columns`), kept for the rest of the year. With
        ``store`` false it is computed afresh and nothing is kept (a policy looking at the
        state in the middle of a year, which may still change). The arrays are shared: do
        not modify them."""
        if not store:
            self._school_table = None
            return record.school_columns(self)
        cached = self._school_table
        if cached is not None and cached[0] == self.year:
            return cached[1]
        columns = record.school_columns(self)
        self._school_table = (self.year, columns, None)
        return columns

    def summary_extras(self) -> dict[str, Any]:
        """First year each official standard is met, last CVs, the county's source and the
        policies, for summary.json (:func:`sim.record.summary_extras`)."""
        return record.summary_extras(self, self.timeseries())

    def records(self) -> list[dict[str, Any]]:
        """The county metrics of every recorded year, as recorded (one dict per year)."""
        return list(self._records)

    def latest_record(self) -> dict[str, Any]:
        """The county metrics of the last recorded year."""
        return self._records[-1]

    def timeseries(self) -> pd.DataFrame:
        """County metrics, one row per year (year 0 = initial state). A new frame on each
        call (built once per recorded year: the browser view's charts all read it)."""
        cached = self._timeseries
        if cached is None or cached[0] != len(self._records):
            cached = self._timeseries = (len(self._records), pd.DataFrame(self._records))
        return cached[1].copy()

    def school_history(self) -> pd.DataFrame:
        """The per-school table of every recorded year, stacked (built on each call from
        the yearly columns kept by the record)."""
        years = self._school_years
        return pd.DataFrame({c: np.concatenate([y[c] for y in years]) for c in years[0]})


def _latest(key: str):
    def report(model: EducationModel) -> Any:
        return model.latest_record().get(key)

    report.__name__ = f"latest_{key}"
    return report
