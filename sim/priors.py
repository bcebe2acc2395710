"""Prior distributions of uncertain parameters: what we believe about a value the evidence
does not pin down, declared next to the parameter's unit, range and source.

A parameter marked "assumption" that can move a policy effect or an equity outcome declares
a :class:`Prior` (``param(..., prior=uniform(0.02, 0.1, "why"))``); one with a published
estimate gets a prior centred on it with its reported uncertainty. ``edusim-uncertainty``
draws parameter sets from the priors (quasi-random points mapped through :meth:`Prior.ppf`)
and reports policy effects over them.

Kinds (``kind``):

* ``"uniform"`` — flat on ``[low, high]``;
* ``"triangular"`` — on ``[low, high]`` with its peak at ``mode``;
* ``"normal"`` — mean ``mean`` and standard deviation ``sd``, truncated to ``[low, high]``
  (the parameter's allowed range when not given);
* ``"loguniform"`` — flat in log on ``[low, high]`` (both > 0): for scales known only to a
  factor.

With ``relative=True`` the numbers are factors multiplying the parameter's default (for a
value per tier, every tier by the same factor, so the tiers move together): ``uniform(0.5,
1.5, ..., relative=True)`` is "±50% around the default".

This module has no dependencies beyond NumPy (SciPy is imported only to map draws).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

__all__ = ["KINDS", "PLUS_MINUS_50", "Prior", "loguniform", "normal", "triangular", "uniform"]

KINDS = ("uniform", "triangular", "normal", "loguniform")


@dataclass(frozen=True)
class Prior:
    """A distribution over one parameter (see the module docstring)."""

    kind: str
    reason: str
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None
    relative: bool = False

    # ---- checks --------------------------------------------------------------------------
    def problems(self, path: str, lo: float | None = None, hi: float | None = None,
                 default: Any = None) -> list[str]:
        """What is wrong with this prior for a parameter with allowed range ``[lo, hi]``
        (one message per problem, naming ``path``); [] when it is usable."""
        out: list[str] = []
        where = f"{path} (prior)"
        if self.kind not in KINDS:
            return [f"{where}: kind {self.kind!r} is not one of {', '.join(KINDS)}"]
        if not self.reason.strip():
            out.append(f"{where}: a prior needs a one-line reason")
        if self.kind == "normal":
            if self.mean is None or self.sd is None or not self.sd > 0:
                out.append(f"{where}: a normal prior needs a mean and an sd > 0")
        else:
            if self.low is None or self.high is None or not self.low < self.high:
                out.append(f"{where}: low < high are required, got {self.low!r}, {self.high!r}")
            elif self.kind == "triangular" and not (
                    self.mode is not None and self.low <= self.mode <= self.high):
                out.append(f"{where}: a triangular prior needs low <= mode <= high")
            elif self.kind == "loguniform" and self.low <= 0:
                out.append(f"{where}: a log-uniform prior needs low > 0")
        if out:
            return out
        if self.relative:
            if default is None or self.support()[0] < 0:
                out.append(f"{where}: a relative prior needs factors >= 0 and a default value")
            return out
        a, b = self.support(lo, hi)
        if (lo is not None and a < lo - 1e-12) or (hi is not None and b > hi + 1e-12):
            out.append(f"{where}: its support [{a:g}, {b:g}] leaves the allowed range "
                       f"[{lo}, {hi}]")
        return out

    # ---- the distribution ----------------------------------------------------------------
    def support(self, lo: float | None = None, hi: float | None = None) -> tuple[float, float]:
        """The interval the prior draws from (a normal one truncated to ``[lo, hi]``, or to
        its own ``low``/``high`` when given)."""
        if self.kind == "normal":
            a = self.low if self.low is not None else (lo if lo is not None else -math.inf)
            b = self.high if self.high is not None else (hi if hi is not None else math.inf)
            return float(a), float(b)
        return float(self.low), float(self.high)

    def ppf(self, u: Any, lo: float | None = None, hi: float | None = None) -> np.ndarray:
        """Values at quantiles ``u`` in (0, 1) (factors when ``relative``)."""
        u = np.clip(np.asarray(u, dtype=float), 1e-12, 1 - 1e-12)
        if self.kind == "uniform":
            return self.low + u * (self.high - self.low)
        if self.kind == "loguniform":
            return np.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        if self.kind == "triangular":
            a, b, c = self.low, self.high, self.mode
            f = (c - a) / (b - a)
            return np.where(u < f, a + np.sqrt(u * (b - a) * (c - a)),
                            b - np.sqrt((1 - u) * (b - a) * (b - c)))
        from scipy.stats import truncnorm

        a, b = self.support(None if self.relative else lo, None if self.relative else hi)
        return truncnorm.ppf(u, (a - self.mean) / self.sd, (b - self.mean) / self.sd,
                             loc=self.mean, scale=self.sd)

    def centre(self) -> float:
        """The prior's median (a factor when ``relative``): what "collapsed to a point" uses
        when no value is given."""
        return float(self.ppf(0.5))

    # ---- variants ------------------------------------------------------------------------
    def widened(self, factor: float) -> Prior:
        """The same kind with its spread multiplied by ``factor`` around its median (a
        log-uniform one in log); the caller clips the values to the allowed range."""
        if self.kind == "normal":
            return replace(self, sd=self.sd * factor)
        m = self.centre()
        if self.kind == "loguniform":
            return replace(self, low=m * (self.low / m) ** factor,
                           high=m * (self.high / m) ** factor)
        new = replace(self, low=m - (m - self.low) * factor, high=m + (self.high - m) * factor)
        if self.kind == "triangular":
            new = replace(new, mode=m + (self.mode - m) * factor)
        return new

    def text(self, unit: str = "") -> str:
        """Short description for the parameter tables, e.g. ``uniform 0.02-0.1 share``."""
        u = "× default" if self.relative else unit
        u = f" {u}" if u else ""
        if self.kind == "normal":
            body = f"normal {self.mean:g} ± {self.sd:g}{u}"
            if self.low is not None or self.high is not None:
                body += f", truncated to [{self.low}, {self.high}]"
            return body
        if self.kind == "triangular":
            return f"triangular {self.low:g}-{self.high:g}{u}, mode {self.mode:g}"
        return f"{self.kind} {self.low:g}-{self.high:g}{u}"


def uniform(low: float, high: float, reason: str, relative: bool = False) -> Prior:
    return Prior("uniform", reason, low=low, high=high, relative=relative)


def triangular(low: float, mode: float, high: float, reason: str,
               relative: bool = False) -> Prior:
    return Prior("triangular", reason, low=low, high=high, mode=mode, relative=relative)


def normal(mean: float, sd: float, reason: str, low: float | None = None,
           high: float | None = None, relative: bool = False) -> Prior:
    return Prior("normal", reason, low=low, high=high, mean=mean, sd=sd, relative=relative)


def loguniform(low: float, high: float, reason: str, relative: bool = False) -> Prior:
    return Prior("loguniform", reason, low=low, high=high, relative=relative)


PLUS_MINUS_50 = uniform(0.5, 1.5, "assumption: ±50% around the default", relative=True)
"""The prior of a quantity with no sourced range: ±50% around the value in force."""
