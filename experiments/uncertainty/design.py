"""Which parameters an uncertainty analysis varies, and the parameter sets it draws.

The uncertain parameters of a run configuration are the model's declared priors
(:func:`sim.schema.declared_priors` of :class:`sim.config.SimConfig`) and those of every
policy switched on (``policies.NAME.*``), minus the ones the user holds fixed. A relative
prior multiplies the value *in force* (the experiment's value where it sets one, else the
default). Draws are scrambled Sobol points (:class:`scipy.stats.qmc.Sobol`, seeded: the same
analysis draws the same sets, which is what lets it resume) mapped through each prior's
quantile function; ``widen`` multiplies every prior's spread around its median
(:meth:`sim.priors.Prior.widened`) and ``collapse`` replaces every prior by a point at the
value in force, which turns the analysis into the plain seed-only comparison.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from sim.config import ByTier, SimConfig
from sim.policies import POLICIES
from sim.schema import DeclaredPrior, declared_priors, prior_overrides

__all__ = ["Uncertain", "apply_overrides", "draw_overrides", "draw_points", "under",
           "uncertain_parameters", "value_in_force"]


@dataclass(frozen=True)
class Uncertain:
    """One parameter the analysis varies: its declaration, the value in force (a number, or
    a :class:`ByTier` for a relative prior of a value per tier) and the prior used (widened
    or collapsed as asked)."""

    declared: DeclaredPrior
    in_force: Any
    collapse: bool = False

    @property
    def path(self) -> str:
        return self.declared.path

    def value(self, u: float) -> float:
        """The drawn number at quantile ``u``: a factor for a relative prior, else the value
        (collapsed: the value in force, factor 1)."""
        d = self.declared
        if self.collapse:
            return 1.0 if d.prior.relative else float(self.in_force)
        return float(d.prior.ppf(u, d.lo, d.hi))

    def overrides(self, u: float) -> dict[str, Any]:
        return prior_overrides(self.declared, self.value(u), self.in_force)


def _get(cfg: dict[str, Any], path: str) -> Any:
    node: Any = cfg
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def value_in_force(cfg: dict[str, Any], d: DeclaredPrior) -> Any:
    """The value the configuration ``cfg`` (plain nested dict, as composed) gives ``d``'s
    parameter, or its declared default where it gives none."""
    given = _get(cfg, d.path)
    if isinstance(d.default, ByTier):
        tiers = given if isinstance(given, dict) else {}
        return ByTier(**{t: float(tiers.get(t, getattr(d.default, t)))
                         for t in ("urban", "town", "rural")})
    return d.default if given is None else given


def under(path: str, prefixes: tuple[str, ...]) -> bool:
    """Whether the parameter ``path`` is one of ``prefixes`` or in a section one names."""
    return any(path == f or path.startswith(f + ".") for f in prefixes)


def uncertain_parameters(cfg: dict[str, Any], widen: float = 1.0, fixed: tuple[str, ...] = (),
                         collapse: bool = False, vary: tuple[str, ...] = ()
                         ) -> list[Uncertain]:
    """The parameters an analysis of ``cfg`` varies, in a fixed order (the model's, then
    each active policy's by name): every declared prior, only those under ``vary`` when it
    is given, except those under ``fixed`` (a path names a parameter or a section, e.g.
    ``learning``)."""
    declared = declared_priors(SimConfig)
    for name in sorted(cfg.get("policies") or {}):
        declared += declared_priors(POLICIES[name].Config, f"policies.{name}.")
    out = []
    for d in declared:
        if under(d.path, fixed) or (vary and not under(d.path, vary)):
            continue
        if widen != 1.0:
            d = replace(d, prior=d.prior.widened(widen))
        out.append(Uncertain(d, value_in_force(cfg, d), collapse))
    return out


def draw_points(n: int, d: int, seed: int) -> np.ndarray:
    """``n`` scrambled Sobol points in ``(0, 1)^d`` (rows), the same for the same seed."""
    from scipy.stats import qmc

    if d == 0:
        return np.zeros((n, 0))
    with warnings.catch_warnings():  # n need not be a power of 2 (balance is then approximate)
        warnings.simplefilter("ignore", UserWarning)
        pts = qmc.Sobol(d, scramble=True, seed=seed).random(n)
    return np.clip(pts, 1e-9, 1 - 1e-9)


def draw_overrides(params: list[Uncertain], point: np.ndarray) -> dict[str, Any]:
    """The dotted overrides of one drawn parameter set."""
    out: dict[str, Any] = {}
    for p, u in zip(params, point, strict=True):
        out.update(p.overrides(float(u)))
    return out


def apply_overrides(cfg: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A copy of the nested ``cfg`` with the dotted ``overrides`` set."""
    out = copy.deepcopy(cfg)
    for path, value in overrides.items():
        node = out
        keys = path.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return out
