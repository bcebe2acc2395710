"""Mesa agents: School (always present) and Teacher / Student views over the columns.

The state of every individual lives once, in the model's columnar tables
(:mod:`sim.population`). ``Teacher`` and ``Student`` are genuine ``mesa.Agent`` subclasses
whose attributes are properties reading and writing those columns, so::

    t = model.teacher(teacher_id)        # or school.teachers()[0]
    t.skill += 0.05                      # writes model.teachers.skill[row]
    model.agents_by_type[Teacher]        # the views created so far

Views are created on demand (a school's teachers, one clicked student) and cached; a
sweep never pays for objects nobody looks at. When an individual leaves the county its
view is removed from the model (``agent.remove()``), and reading it raises ``LookupError``.
Schools are few and always exist as agents; their stocks are also columns
(``model.schools``), so finance and evaluation stay vectorised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sim.mesa_import import mesa
from sim.vocabulary import SCHOOL_TYPES, TIER_NAMES

if TYPE_CHECKING:
    from sim.state import CountyState

__all__ = ["LEVELS", "QUALIFICATIONS", "AgentViews", "School", "Student", "SUBJECTS", "TIERS",
           "TITLES", "Teacher"]

TIERS = TIER_NAMES
LEVELS = SCHOOL_TYPES
SUBJECTS = ("core", "pe", "arts")
QUALIFICATIONS = ("secondary", "zhuanke", "bachelor", "master")  # 中专/中师, 专科, 本科, 硕士+
TITLES = ("junior", "intermediate", "senior")  # 初级, 中级, 高级


def _column_property(table: str, column: str, doc: str) -> property:
    # the row is < the table's live rows, so indexing the whole column array is the same
    # element as indexing its live part (and costs one slice less)
    def fget(self: _ColumnView) -> Any:
        return getattr(self.model, table).storage(column)[self._row()].item()

    def fset(self: _ColumnView, value: Any) -> None:
        getattr(self.model, table).storage(column)[self._row()] = value

    return property(fget, fset, doc=doc)


class _ColumnView(mesa.Agent):
    """A Mesa agent whose listed attributes live in a column table of the model."""

    _table: ClassVar[str] = ""

    def __init__(self, model: CountyState, person_id: int) -> None:
        super().__init__(model)
        #: stable id of the individual in the model's table (not Mesa's ``unique_id``)
        self.person_id = int(person_id)
        self._gone = False
        self._row_at = (-1, -1)  # (table layout, row) of the last lookup

    def _row(self) -> int:
        if self._gone:
            raise LookupError(f"{type(self).__name__.lower()} {self.person_id} has left the county")
        tbl = getattr(self.model, self._table)
        layout, row = self._row_at
        if layout != tbl.layout:  # rows have moved since the last lookup (or none yet)
            row = tbl.row_of(self.person_id)
            self._row_at = (tbl.layout, row)
        return row

    @property
    def present(self) -> bool:
        """Whether the individual is still in the county's schools."""
        return not self._gone

    @property
    def school(self) -> School:
        return self.model.school_agents[int(self.school_index)]

    def __repr__(self) -> str:
        state = "gone" if self._gone else f"school {self.school_index}"
        return f"<{type(self).__name__} {self.person_id} ({state})>"


class Student(_ColumnView):
    """One pupil: a view over ``model.students``.

    Attributes (read/write): ``school_index``, ``grade`` (1-9), ``zone`` (home catchment
    area), ``ses`` (family SES, county SD ≈ 1), ``achievement`` (latent score),
    ``left_behind``, ``migrant``, ``disabled``, ``klass`` (class within school and grade).
    """

    _table = "students"
    school_index = _column_property("students", "school", "index of the pupil's school")
    grade = _column_property("students", "grade", "grade 1-9")
    zone = _column_property("students", "zone", "home catchment zone")
    ses = _column_property("students", "ses", "family socio-economic status (SD units)")
    achievement = _column_property("students", "achievement", "latent achievement score")
    left_behind = _column_property("students", "left_behind", "left-behind child (留守)")
    migrant = _column_property("students", "migrant", "migrant child from outside (随迁)")
    disabled = _column_property("students", "disabled", "has a disability")
    klass = _column_property("students", "klass", "class within the school and grade")

    @property
    def achievement_z(self) -> float:
        """Achievement in year-0 SD units of the pupil's grade."""
        return float(self.model.achievement_z(np.array([self._row()]))[0])


class Teacher(_ColumnView):
    """One teacher: a view over ``model.teachers``.

    Attributes (read/write): ``school_index``, ``subject`` (0 core, 1 PE, 2 arts),
    ``section`` (0 primary, 1 junior), ``qualification`` (0-3, see ``QUALIFICATIONS``),
    ``title`` (0-2), ``backbone``, ``age``, ``experience``, ``years_at_school``, ``skill``
    (effectiveness net of experience, student SD per year), ``home_zone``, ``class_key``.
    ``effectiveness`` (read-only) adds the experience profile to ``skill``.
    """

    _table = "teachers"
    school_index = _column_property("teachers", "school", "index of the teacher's school")
    subject = _column_property("teachers", "subject", "0 core, 1 PE, 2 arts")
    section = _column_property("teachers", "section", "0 primary, 1 junior")
    qualification = _column_property("teachers", "qualification",
                                     "0 secondary, 1 专科, 2 本科, 3 硕士+")
    title = _column_property("teachers", "title", "0 初级, 1 中级, 2 高级")
    backbone = _column_property("teachers", "backbone", "county-level backbone teacher (骨干)")
    age = _column_property("teachers", "age", "age in years")
    experience = _column_property("teachers", "experience", "years of teaching")
    years_at_school = _column_property("teachers", "years_at_school", "years at this school")
    skill = _column_property("teachers", "skill", "effectiveness net of experience")
    home_zone = _column_property("teachers", "home_zone", "zone of the teacher's home")
    class_key = _column_property("teachers", "class_key", "class taught (-1: none)")

    @property
    def effectiveness(self) -> float:
        """Value added in student SD per year (skill + experience profile)."""
        return float(self.model.teacher_effectiveness(np.array([self._row()]))[0])


def _school_property(column: str, doc: str, cast: type = float) -> property:
    def fget(self: School) -> Any:
        return cast(self.model.schools.column(column)[self.index])

    def fset(self: School, value: Any) -> None:
        self.model.schools.column(column)[self.index] = value

    return property(fget, fset, doc=doc)


class School(mesa.Agent):
    """A school: a Mesa agent over row ``index`` of ``model.schools``.

    Stocks (read/write): ``building_area_m2``, ``sports_area_m2``, ``equipment_value_yuan``,
    ``multimedia_rooms``, ``computers``, ``books``, ``capacity``; ``school_effect`` and
    ``key_school`` (:mod:`sim.processes.school_effects`). Fixed: ``name``,
    ``level``, ``tier``, ``x``/``y`` (km from the county centre). ``enrolment`` and the
    official indicators are those of the latest year.
    """

    def __init__(self, model: CountyState, index: int, name: str) -> None:
        super().__init__(model)
        self.index = int(index)
        self.name = name

    level_code = _school_property("level", "0 primary, 1 junior, 2 nine-year", int)
    tier_code = _school_property("tier", "0 urban, 1 town, 2 rural", int)
    x = _school_property("x", "km east of the county centre")
    y = _school_property("y", "km north of the county centre")
    capacity = _school_property("capacity", "seats", int)
    building_area_m2 = _school_property("building_area", "teaching and auxiliary area, m²")
    sports_area_m2 = _school_property("sports_area", "sports ground area, m²")
    equipment_value_yuan = _school_property("equipment_value", "teaching equipment, yuan")
    multimedia_rooms = _school_property("multimedia_rooms", "networked multimedia classrooms")
    computers = _school_property("computers", "computers for teaching")
    books = _school_property("books", "library books")
    is_open = _school_property("open", "false once merged into another school", bool)
    key_school = _school_property("key_school", "a key school (重点/名校)", bool)
    school_effect = _school_property(
        "school_effect", "this year's school effect, student SD per year of growth")

    @property
    def level(self) -> str:
        return LEVELS[self.level_code]

    @property
    def tier(self) -> str:
        return TIERS[self.tier_code]

    @property
    def enrolment(self) -> int:
        return int(np.count_nonzero(self.model.students.school == self.index))

    def student_ids(self) -> np.ndarray:
        s = self.model.students
        return s.id[s.school == self.index].copy()

    def teacher_ids(self) -> np.ndarray:
        t = self.model.teachers
        return t.id[t.school == self.index].copy()

    def students(self) -> list[Student]:
        """Agent views of this school's pupils (created on demand)."""
        rows = np.flatnonzero(self.model.students.school == self.index)
        return self.model.views.at("students", rows)

    def teachers(self) -> list[Teacher]:
        """Agent views of this school's teachers (created on demand)."""
        rows = np.flatnonzero(self.model.teachers.school == self.index)
        return self.model.views.at("teachers", rows)

    def indicators(self) -> dict[str, Any]:
        """This school's rows of the latest per-school table (one per level section)."""
        table = self.model.school_table()
        return table[table["school_id"] == self.index].to_dict("records")

    def __repr__(self) -> str:
        return f"<School {self.index} {self.name!r} {self.tier} {self.level}>"


class AgentViews:
    """The Mesa agent views of individuals created so far, by table (``"students"``,
    ``"teachers"``): one view per individual, created on first use and removed from the
    model when the individual leaves (the tables call :meth:`retire` with the ids they
    remove)."""

    CLASSES: ClassVar[dict[str, type[_ColumnView]]] = {"students": Student, "teachers": Teacher}

    def __init__(self, model: CountyState) -> None:
        self.model = model
        self._made: dict[str, dict[int, _ColumnView]] = {name: {} for name in self.CLASSES}

    def count(self) -> int:
        """How many views exist now (both tables)."""
        return sum(len(made) for made in self._made.values())

    def get(self, table: str, person_id: int) -> Any:
        """The view of individual ``person_id`` of ``table`` (KeyError if absent)."""
        person_id = int(person_id)
        view = self._made[table].get(person_id)
        if view is None:
            row = getattr(self.model, table).row_of(person_id)  # KeyError if absent
            return self._new(table, person_id, row)
        return view

    def at(self, table: str, rows: np.ndarray) -> list[Any]:
        """The views of the individuals in ``rows`` of ``table`` (existing ones reused)."""
        made = self._made[table]
        ids = getattr(self.model, table).id[rows].tolist()
        return [made.get(pid) or self._new(table, pid, row)
                for pid, row in zip(ids, rows.tolist(), strict=True)]

    def _new(self, table: str, person_id: int, row: int) -> Any:
        view = self.CLASSES[table](self.model, person_id)
        view._row_at = (getattr(self.model, table).layout, row)  # the row just looked up
        self._made[table][person_id] = view
        return view

    def retire(self, table: str, ids: np.ndarray) -> None:
        """Individuals ``ids`` left ``table``: their views are marked gone and removed."""
        made = self._made[table]
        if not made:
            return
        for pid in np.intersect1d(ids, np.fromiter(made, dtype=np.int64)):
            view = made.pop(int(pid))
            view._gone = True
            view.remove()

    def watch(self, table: str) -> None:
        """Retire views whenever rows are removed from ``table`` (call once per new table)."""
        getattr(self.model, table).on_remove.append(lambda ids: self.retire(table, ids))
