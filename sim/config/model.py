"""The whole configuration (:class:`SimConfig`: every section, construction from
overrides, validation) and :func:`parameter_table`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from sim.config.finance import EvaluationConfig, FinanceConfig
from sim.config.pupils import EnrolmentConfig, LearningConfig, SchoolEffectConfig
from sim.config.region import TIERS, DemographyConfig, RegionConfig
from sim.config.teachers import TeacherConfig
from sim.schema import ByTier, ConfigError, field_names, prior_text, range_text, validate_node

# --------------------------------------------------------------------------------------
# The whole model
# --------------------------------------------------------------------------------------

@dataclass
class SimConfig:
    """Everything the model needs besides the seed."""

    region: RegionConfig = field(default_factory=RegionConfig)
    demography: DemographyConfig = field(default_factory=DemographyConfig)
    enrolment: EnrolmentConfig = field(default_factory=EnrolmentConfig)
    learning: LearningConfig = field(default_factory=LearningConfig)
    school_effects: SchoolEffectConfig = field(default_factory=SchoolEffectConfig)
    teachers: TeacherConfig = field(default_factory=TeacherConfig)
    finance: FinanceConfig = field(default_factory=FinanceConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    #: active policies: {name: {parameter: value}} (see sim.policies; {} = none)
    policies: dict[str, Any] = field(
        default_factory=dict,
        metadata={"unit": "", "lo": None, "hi": None, "choices": None, "policies": True,
                  "source": "see each policy's parameters", "doc": "active policies"})

    # ---- construction -----------------------------------------------------------------
    @classmethod
    def from_overrides(cls, overrides: dict[str, Any] | None = None,
                       validate: bool = True) -> SimConfig:
        """Build the default config and apply ``{"section.field": value}`` overrides.

        ``"__"`` is accepted in place of ``"."`` (``teachers__rural_allowance``), so that
        overrides can be passed as Python keyword arguments (``mesa.batch_run``,
        ``SolaraViz``). Tier values are addressed as ``teachers.attrition.rural``. The
        result is validated (:meth:`validate`) unless ``validate`` is false.
        """
        cfg = cls()
        for key, value in (overrides or {}).items():
            cfg.set(key, value)
        if validate:
            cfg.validate()
        return cfg

    @classmethod
    def from_dict(cls, data: dict[str, Any], validate: bool = True) -> SimConfig:
        """Build from a nested dict (e.g. a Hydra/OmegaConf container); validated unless
        ``validate`` is false (unknown field names raise ConfigError either way)."""
        flat: dict[str, Any] = {}

        def walk(prefix: str, node: Any, target: Any) -> None:
            for k, v in node.items():
                path = f"{prefix}{k}"
                sub = getattr(target, k, None) if target is not None else None
                if isinstance(v, dict) and dataclasses.is_dataclass(sub):
                    walk(path + ".", v, sub)
                else:
                    flat[path] = v

        walk("", data, cls())
        return cls.from_overrides(flat, validate=validate)

    def set(self, key: str, value: Any) -> None:
        """Set one parameter by its dotted name; unknown names raise ConfigError."""
        parts = key.replace("__", ".").split(".")
        if parts[0] == "policies":
            self._set_policy(parts[1:], value)
            return
        node: Any = self
        for i, part in enumerate(parts[:-1]):
            if not dataclasses.is_dataclass(node) or not hasattr(node, part):
                raise ConfigError(f"unknown config field '{'.'.join(parts[:i + 1])}'"
                                  f" (known: {field_names(node)})")
            node = getattr(node, part)
        last = parts[-1]
        if dataclasses.is_dataclass(node):
            if last not in {f.name for f in dataclasses.fields(node)}:
                raise ConfigError(f"unknown config field '{'.'.join(parts)}'"
                                  f" (known: {field_names(node)})")
            current = getattr(node, last)
            if dataclasses.is_dataclass(current) and isinstance(value, dict):
                for k, v in value.items():
                    self.set(f"{'.'.join(parts)}.{k}", v)
                return
            setattr(node, last, value)
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise ConfigError(f"unknown config field '{'.'.join(parts)}'")

    def _set_policy(self, parts: list[str], value: Any) -> None:
        """``policies`` = {...}; ``policies.NAME`` = {params} (or None to switch it off);
        ``policies.NAME.PARAM`` = value (switches NAME on)."""
        if not parts:
            if not isinstance(value, dict):
                raise ConfigError(f"policies: expected a mapping of policy names, got {value!r}")
            for name, params in value.items():
                if params is not None and not isinstance(params, dict):
                    raise ConfigError(f"policies.{name}: expected a mapping of parameters "
                                      f"(e.g. policies.{name}.PARAM=VALUE), got {params!r}")
            self.policies = {k: dict(v or {}) for k, v in value.items()}
        elif len(parts) == 1:
            if value is None:
                self.policies.pop(parts[0], None)
            elif isinstance(value, dict):
                self.policies[parts[0]] = dict(value)
            else:
                raise ConfigError(f"policies.{parts[0]}: expected a mapping of parameters "
                                  f"(e.g. policies.{parts[0]}.PARAM=VALUE), got {value!r}")
        else:
            self.policies.setdefault(parts[0], {})[".".join(parts[1:])] = value

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    # ---- validation -------------------------------------------------------------------
    def validate(self) -> SimConfig:
        """Check every value's type and range; raise one ConfigError listing all problems.

        The ``policies`` block is checked for its shape only (a mapping of policy names to
        mappings of parameters): each policy checks its own parameters when it is built
        (:func:`sim.policies.build_policies`, called once by the model, which reports both
        kinds of problem in one error)."""
        problems = self.problems()
        if problems:
            raise ConfigError.from_problems(problems)
        return self

    def problems(self) -> list[str]:
        """Every problem of this configuration's own fields, one message each (empty: valid)."""
        problems: list[str] = []
        validate_node(self, "", problems)
        typed = not problems  # the rules across fields below need values of the right types
        if not isinstance(self.policies, dict):
            problems.append(f"policies: expected a mapping of policy names, got {self.policies!r}")
        else:
            for name, params in self.policies.items():
                if params is not None and not isinstance(params, dict):
                    problems.append(f"policies.{name}: expected a mapping of parameters, "
                                    f"got {params!r}")
        if not typed:
            return problems
        shares = self.region.student_share.as_tuple()
        if sum(shares) <= 0:
            problems.append("region.student_share: the three tier shares must not all be 0")
        if sum(self.region.school_share.as_tuple()) <= 0:
            problems.append("region.school_share: the three tier shares must not all be 0")
        f = self.finance
        spent = f.equipment_share + f.multimedia_share + f.computer_share + f.book_share
        if abs(spent - 1.0) > 1e-6:
            problems.append(f"finance: equipment_share + multimedia_share + computer_share + "
                            f"book_share = {spent:.3f} must be 1")
        for name in ("hire_qualification", "initial_qualification"):
            for tier in TIERS:
                shares = getattr(self.teachers, name).get(tier)
                if shares is None or len(shares) != 4 or abs(sum(shares) - 1) > 1e-6:
                    problems.append(f"teachers.{name}.{tier}: must be 4 shares summing to 1 "
                                    f"(got {shares})")
        for tier in TIERS:
            ratios = self.finance.initial_stock.get(tier)
            if ratios is None or len(ratios) != 4:
                problems.append(f"finance.initial_stock.{tier}: must be 4 ratios (got {ratios})")
        return problems


def parameter_table(cfg: Any = None, prefix: str = ""):
    """Every parameter of a config dataclass (default: ``SimConfig()``) as a pandas
    DataFrame: name, value, unit, range, source, prior, meaning."""
    import pandas as pd

    cfg = cfg if cfg is not None else SimConfig()
    rows: list[dict[str, Any]] = []

    def walk(node: Any, prefix: str) -> None:
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if dataclasses.is_dataclass(value) and not isinstance(value, ByTier):
                walk(value, f"{prefix}{f.name}.")
                continue
            meta = f.metadata
            if meta.get("policies"):
                continue  # each policy documents its own parameters
            if isinstance(value, ByTier):
                value = dataclasses.asdict(value)
            rows.append({
                "parameter": f"{prefix}{f.name}", "value": value, "unit": meta.get("unit", ""),
                "range": range_text(meta) if meta else "", "source": meta.get("source", ""),
                "prior": prior_text(meta) if meta else "", "meaning": meta.get("doc", ""),
            })

    walk(cfg, prefix)
    return pd.DataFrame(rows)
