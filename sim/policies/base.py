"""Policies: the base class, the registry, and the one place where their yearly order is fixed.

A policy is a class registered by name (:func:`register`) with a dataclass ``Config``
(subclass of :class:`PolicyConfig`: every field declared with :func:`sim.schema.param`, so it
carries a unit, range and source and is validated like the model's own parameters). Every
config has a start year, an optional end year and an implementation ``fidelity``: the share
of the nominal intensity that really happens (the policy documents stress weak local
execution and fiscal limits, doc 002: 落实不到位, 敷衍应付).

Switching policies on::

    CountyState(region="tiny", rng=1, policies={"teacher_rotation": {"rate": 0.15}})

**When policies act.** The model calls the hooks below at fixed points of its year; within a
hook, active policies act in the order of their ``position`` (declared when each policy
registers, :func:`register`; :data:`sim.policies.POLICY_ORDER` lists it). This is the one place
where the order is documented (a test checks this table against the positions)::

    year t (EducationModel.step)
      0  merging of schools without pupils (and small ones, if enabled)
      1  before_enrolment   enrolment_rules (catchment redraw)
         -- core enrolment: exits, progression, migration, entry, placement, classes --
            (choice_multiplier: enrolment_rules)
         after_enrolment    enrolment_rules (pupils beyond the travel limit, transport cost),
                            class_assignment (tracking / balanced teams),
                            weak_school_program (designation), school_groups (formation),
                            remote_classrooms (connections, adoption)
      2  learning_effect    class_assignment, school_groups, remote_classrooms,
                            teacher_rotation: extra yearly growth per pupil, added to the
                            core learning equation
         -- core learning --
      3  before_careers     teacher_rotation (trainees' mentoring gain)
         -- core careers: ageing, training, exits, transfers, hiring, promotion --
            (attrition_multiplier: rural_incentives, targeted_funding;
             transfer_multiplier: rural_incentives, teacher_rotation, targeted_funding;
             hire_skill_shift: available, unused by the built-in policies)
         after_careers      school_groups (practice spill-over), rural_incentives (directed
                            graduates, promotion), teacher_training, teacher_rotation
                            (returns, then this year's rotation)
      4  -- core finance --
         after_finance      weak_school_program (plan money), remote_classrooms (room
                            upgrades), targeted_funding (money, capital pipeline)
      5  cost, report       every active policy's cost (yuan) and own metrics are recorded

**What hooks may change.** ``learning_effect`` and ``report`` only read the state, and the
pupils' table is read-only all year except in the core enrolment, the new achievement of
the core learning and a school merger (:meth:`EducationModel.read_only`,
:meth:`EducationModel.writable`): a write elsewhere raises ``ValueError``, and what is
derived from the pupils is reused without comparing their columns again. A policy whose
``before_enrolment`` or ``after_enrolment`` changes pupils says so with the class attribute
``writes_pupils = True`` (the default, so that a policy written without it keeps working;
every built-in policy sets it to False, and ``class_assignment`` opens just the one column
it writes with ``model.writable("students", columns=("klass",))``).

Each policy draws random numbers only from its own stream (``model.stream("policy:NAME")``),
so switching it on leaves every other draw unchanged (common random numbers); at zero
intensity a policy changes nothing and the run equals the baseline exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sim.priors import triangular
from sim.schema import ConfigError, param, validate_node

if TYPE_CHECKING:
    from sim.state import CountyState

__all__ = ["POLICIES", "Policy", "PolicyConfig", "build_policies", "check_policies",
           "open_schools_by_strength", "policy_order", "register", "share_of", "weakest_schools"]

#: registered policies by name
POLICIES: dict[str, type[Policy]] = {}


@dataclass
class PolicyConfig:
    """Parameters every policy has."""

    start_year: int = param(1, "simulated year", 1, 500,
                            doc="first year in which the policy acts",
                            no_prior="timing chosen by the user")
    end_year: int | None = param(None, "simulated year", 1, 500,
                                 doc="last year in which it acts (None: to the end of the run)",
                                 no_prior="timing chosen by the user")
    fidelity: float = param(
        1.0, "share of nominal intensity", 0.0, 1.0,
        source="assumption (doc 002: weak local execution, 落实不到位; set below 1 to study it)",
        doc="share of the nominal intensity that really happens",
        prior=triangular(0.5, 1.0, 1.0, "doc 002: weak local execution; assumption: half to full"))


def register(name: str, position: int):
    """Class decorator: register a policy under ``name``. Within each hook of the year,
    active policies act in increasing ``position`` (a distinct integer per policy; the
    built-in ones use 10, 20, …, 90, so a new policy can take any place between them)."""

    def deco(cls: type[Policy]) -> type[Policy]:
        if name in POLICIES and POLICIES[name] is not cls:
            raise ValueError(f"policy '{name}' is already registered")
        taken = {c.position: n for n, c in POLICIES.items() if n != name}
        if isinstance(position, bool) or not isinstance(position, int):
            raise TypeError(f"policy '{name}': position must be an integer, got {position!r}")
        if position in taken:
            raise ValueError(f"policy '{name}': position {position} is taken by "
                             f"'{taken[position]}'")
        cls.name = name
        cls.position = position
        POLICIES[name] = cls
        return cls

    return deco


def policy_order() -> tuple[str, ...]:
    """The registered policies in the order in which they act within each hook."""
    return tuple(sorted(POLICIES, key=lambda n: POLICIES[n].position))


class Policy:
    """Base class: hooks are no-ops, cost is 0. Subclasses set ``Config`` and
    ``intensity_fields`` (the fields that scale what the policy does; all set to 0, the
    policy must change nothing)."""

    name: ClassVar[str] = ""
    #: place in the yearly order within each hook (set by :func:`register`)
    position: ClassVar[int] = 0
    Config: ClassVar[type[PolicyConfig]] = PolicyConfig
    intensity_fields: ClassVar[tuple[str, ...]] = ()
    #: whether ``before_enrolment`` or ``after_enrolment`` may change the pupils' table;
    #: False keeps it read-only around them (a write raises ``ValueError``), so that what
    #: is derived from the pupils is reused without comparing their columns again. The
    #: other hooks run with the pupils read-only whatever this says.
    writes_pupils: ClassVar[bool] = True

    def __init__(self, config: PolicyConfig) -> None:
        self.config = config
        self._cost = 0.0
        #: total cost over the run so far (yuan)
        self.total_cost = 0.0

    # ---- helpers --------------------------------------------------------------------
    def active(self, model: CountyState) -> bool:
        c = self.config
        return model.year >= c.start_year and (c.end_year is None or model.year <= c.end_year)

    def rng(self, model: CountyState) -> np.random.Generator:
        return model.stream(f"policy:{self.name}")

    def spend(self, yuan: float) -> None:
        """Book ``yuan`` as this year's cost of the policy."""
        if yuan < 0:
            raise ValueError(f"{self.name}: negative cost {yuan}")
        self._cost += float(yuan)

    # ---- hooks (override what the policy needs) ---------------------------------------
    def setup(self, model: CountyState) -> None:
        """Once, after the county is built (e.g. add columns)."""

    def before_enrolment(self, model: CountyState) -> None: ...

    def after_enrolment(self, model: CountyState) -> None: ...

    def learning_effect(self, model: CountyState) -> np.ndarray | None:
        """Extra achievement growth this year per pupil (aligned with ``model.students``)."""
        return None

    def before_careers(self, model: CountyState) -> None: ...

    def after_careers(self, model: CountyState) -> None: ...

    def after_finance(self, model: CountyState) -> None: ...

    def attrition_multiplier(self, model: CountyState) -> np.ndarray | None:
        """Per teacher (aligned with ``model.teachers``): factor on the attrition probability."""
        return None

    def transfer_multiplier(self, model: CountyState) -> np.ndarray | None:
        """Per teacher: factor on the probability of asking for an up-tier transfer."""
        return None

    def hire_skill_shift(self, model: CountyState, school: np.ndarray) -> np.ndarray | None:
        """Per new hire (their schools given): shift of the hire's effectiveness."""
        return None

    def choice_multiplier(self, model: CountyState, pupils: np.ndarray) -> np.ndarray | None:
        """Per pupil row in ``pupils`` seeking a school: factor on the choice probability."""
        return None

    def report(self, model: CountyState) -> dict[str, float]:
        """Policy-specific metrics of this year (recorded as ``NAME.key``)."""
        return {}

    # ---- bookkeeping used by the model -----------------------------------------------
    def take_cost(self) -> float:
        cost, self._cost = self._cost, 0.0
        self.total_cost += cost
        return cost


# ---- helpers shared by the policies -------------------------------------------------------
def open_schools_by_strength(model: CountyState, measure: str,
                             strongest_first: bool = False) -> np.ndarray:
    """Indices of the open schools ordered by strength (``model.school_strength(measure)``),
    weakest first (or strongest first); ties keep the schools' order."""
    idx = np.flatnonzero(model.schools.open)
    score = model.school_strength(measure)[idx]
    return idx[np.argsort(-score if strongest_first else score, kind="stable")]


def share_of(share: float, n: int) -> int:
    """How many of ``n`` schools a share selects: ``round(share × n)``, at least one."""
    return max(1, int(round(share * n)))


def weakest_schools(model: CountyState, share: float, measure: str) -> np.ndarray:
    """Boolean mask over schools: the bottom ``share`` of open schools by strength
    (:func:`share_of` of them)."""
    order = open_schools_by_strength(model, measure)
    mask = np.zeros(model.schools.n, dtype=bool)
    mask[order[:share_of(share, len(order))]] = True
    return mask


def build_policies(spec: dict[str, Any] | None) -> list[Policy]:
    """Instantiate and validate policies from ``{name: {param: value}}``, in their order.

    Unknown names or parameters, wrong types and out-of-range values raise one ConfigError
    naming each field as ``policies.NAME.FIELD`` with its allowed range.
    """
    policies, problems = check_policies(spec)
    if problems:
        raise ConfigError.from_problems(problems)
    return policies


def check_policies(spec: dict[str, Any] | None) -> tuple[list[Policy], list[str]]:
    """The policies of ``{name: {param: value}}`` in their order, and every problem of the
    block (one message each; the policies are only usable when there is none)."""
    import sim.policies  # noqa: F401  (registers the built-in policies)

    spec = dict(spec or {})
    problems: list[str] = []
    built: dict[str, Policy] = {}
    for name, params in spec.items():
        if name not in POLICIES:
            problems.append(f"policies.{name}: unknown policy; registered: "
                            f"{', '.join(sorted(POLICIES))}")
            continue
        cls = POLICIES[name]
        cfg = cls.Config()
        known = {f.name for f in fields(cfg)}
        for key, value in dict(params or {}).items():
            if key not in known:
                problems.append(f"policies.{name}.{key}: unknown parameter "
                                f"(known: {', '.join(sorted(known))})")
                continue
            setattr(cfg, key, value)
        validate_node(cfg, f"policies.{name}.", problems)
        if cfg.end_year is not None and isinstance(cfg.end_year, int) \
                and isinstance(cfg.start_year, int) and cfg.end_year < cfg.start_year:
            problems.append(f"policies.{name}.end_year: {cfg.end_year} is before start_year "
                            f"{cfg.start_year}")
        try:
            built[name] = cls(cfg)
        except ConfigError as err:  # a rule across the policy's parameters
            problems += err.messages()
    return sorted(built.values(), key=lambda p: p.position), problems
