"""The tables of an uncertainty analysis, from its runs (one row per draw, seed and arm).

* :func:`effects_table` — per measure the policy's effect (policy minus same-seed, same-draw
  baseline) over all draws and seeds: median, 5th and 95th percentiles, mean, the
  probability that it improves the measure; per official test the probability that the
  county passes it by the target year with and without the policy;
* :func:`variance_table` — where the effect's spread comes from: for every uncertain
  parameter the share of the draw-mean effect's (rank) variance that a monotone trend in it
  explains (squared Spearman correlation: the first-order Sobol index of the ranks when the
  effect is monotone in the parameter), its 95% bootstrap interval and a permutation noise
  floor (the largest index that shuffled effects reach, 95th percentile), and the share of
  the run-to-run variance that is seed noise (within draws). With ~100 uncertain parameters
  and tens to hundreds of draws, the given-data Sobol estimators of SALib (RBD-FAST, delta)
  are biased upwards by several tenths and named parameters that do not act on the effect
  (tested); the rank index stays near 0 for those, and the floor says which indices chance
  alone could reach. A non-monotone dependence is under-reported by it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from experiments.uncertainty.runner import MEASURES, STANDARD_COLUMNS

__all__ = ["MIN_DRAWS", "effects", "effects_table", "pass_by_year", "rank_indices",
           "variance_table"]

#: fewest draws for which the parameters' indices are estimated (below: only the seed share)
MIN_DRAWS = 32


def effects(runs: pd.DataFrame) -> pd.DataFrame:
    """Per draw and seed: policy minus baseline of every measure, and both arms' first
    passing years (``first_*_policy`` / ``first_*_baseline``) and the policy's cost."""
    pol = runs[runs["arm"] == "policy"].set_index(["draw", "seed"]).sort_index()
    base = runs[runs["arm"] == "baseline"].set_index(["draw", "seed"]).sort_index()
    keys = [k for k, _, _ in MEASURES if k in pol]
    out = pol[keys] - base.loc[pol.index, keys]
    for key, _ in STANDARD_COLUMNS:
        out[f"first_{key}_policy"] = pol[f"first_{key}"]
        out[f"first_{key}_baseline"] = base.loc[pol.index, f"first_{key}"]
    out["policy_cost_yuan"] = pol["policy_cost_yuan"]
    return out.reset_index()


def _passed_by(first: pd.Series, year: float) -> np.ndarray:
    f = first.to_numpy(dtype=float)
    return np.where(np.isfinite(f), f <= year, False)


def effects_table(eff: pd.DataFrame, target_year: int) -> pd.DataFrame:
    """One row per measure and per official test (see the module docstring)."""
    rows: list[dict[str, Any]] = []
    for key, label, sign in MEASURES:
        if key not in eff:
            continue
        x = eff[key].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        if not len(x):
            continue
        rows.append({"measure": key, "label": label,
                     "better": "higher" if sign > 0 else "lower",
                     "median": float(np.median(x)), "p05": float(np.quantile(x, 0.05)),
                     "p95": float(np.quantile(x, 0.95)), "mean": float(x.mean()),
                     "prob_improves": float(np.mean(sign * x > 0)), "runs": len(x)})
    for key, label in STANDARD_COLUMNS:
        pol = _passed_by(eff[f"first_{key}_policy"], target_year)
        base = _passed_by(eff[f"first_{key}_baseline"], target_year)
        d = pol.astype(float) - base.astype(float)
        rows.append({"measure": key, "label": f"{label} by year {target_year}",
                     "better": "higher", "median": float(np.median(d)),
                     "p05": float(np.quantile(d, 0.05)), "p95": float(np.quantile(d, 0.95)),
                     "mean": float(d.mean()), "prob_improves": float(np.mean(d > 0)),
                     "runs": len(d), "prob_pass_policy": float(pol.mean()),
                     "prob_pass_baseline": float(base.mean())})
    return pd.DataFrame(rows)


def pass_by_year(eff: pd.DataFrame, years: int) -> pd.DataFrame:
    """Probability of having passed each official test by year t = 1..years, with and
    without the policy (over draws and seeds)."""
    rows = []
    for t in range(1, years + 1):
        row: dict[str, Any] = {"year": t}
        for key, _ in STANDARD_COLUMNS:
            for arm in ("policy", "baseline"):
                row[f"{key}_{arm}"] = float(_passed_by(eff[f"first_{key}_{arm}"], t).mean())
        rows.append(row)
    return pd.DataFrame(rows)


def _seed_share(eff: pd.DataFrame, key: str) -> float:
    """Share of the per-run variance of the effect that lies within draws (seed noise)."""
    x = eff[["draw", key]].dropna()
    total = x[key].var(ddof=0)
    if not total > 0:
        return math.nan
    within = x.groupby("draw")[key].var(ddof=0).mean()
    return float(within / total)


def _ranks(x: np.ndarray) -> np.ndarray:
    """Column-wise ranks (average ranks for ties), centred and scaled to unit norm."""
    from scipy.stats import rankdata

    r = rankdata(x, axis=0)
    r = r - r.mean(axis=0)
    norm = np.sqrt((r ** 2).sum(axis=0))
    return np.divide(r, norm, out=np.zeros_like(r), where=norm > 0)


def rank_indices(x: np.ndarray, y: np.ndarray, seed: int = 0, resamples: int = 200
                 ) -> tuple[np.ndarray, np.ndarray, float]:
    """Per column of ``x``: the squared Spearman correlation with ``y`` (the share of the
    variance of ``y``'s ranks that a monotone trend in that parameter explains; the
    first-order Sobol index of the ranks when the effect is monotone in the parameter), the
    half-width of its 95% bootstrap interval, and the noise floor: the 95th percentile of the
    largest index over all columns when ``y`` is shuffled (what the largest of this many
    indices reaches by chance)."""
    rng = np.random.default_rng(seed)
    n = len(y)
    rx, ry = _ranks(x), _ranks(y[:, None])[:, 0]
    index = (rx.T @ ry) ** 2
    boot = np.empty((resamples, x.shape[1]))
    for b in range(resamples):
        i = rng.integers(0, n, n)
        bx, by = _ranks(x[i]), _ranks(y[i][:, None])[:, 0]
        boot[b] = (bx.T @ by) ** 2
    lo, hi = np.quantile(boot, [0.025, 0.975], axis=0)
    null = np.array([((rx.T @ ry[rng.permutation(n)]) ** 2).max() for _ in range(resamples)])
    return index, (hi - lo) / 2, float(np.quantile(null, 0.95))


def variance_table(eff: pd.DataFrame, values: pd.DataFrame, seed: int = 0,
                   measures: list[str] | None = None) -> pd.DataFrame:
    """Per measure: a row ``seeds`` (share of variance within draws) and one row per
    uncertain parameter (``values``: the drawn value of each parameter, one row per draw,
    indexed by draw) with its index ``S1`` (:func:`rank_indices` of the draw-mean effect),
    the 95% half-width ``ci95`` and the measure's ``noise_floor``; parameters sorted by
    index, largest first."""
    keys = measures or [k for k, _, _ in MEASURES if k in eff]
    rows: list[dict[str, Any]] = []
    varied = [c for c in values.columns if values[c].nunique() > 1]
    for key in keys:
        rows.append({"measure": key, "source": "seeds", "S1": _seed_share(eff, key),
                     "ci95": math.nan})
        y = eff.groupby("draw")[key].mean().reindex(values.index)
        ok = np.isfinite(y.to_numpy(dtype=float))
        if not varied or ok.sum() < MIN_DRAWS or not np.nanvar(y) > 0:
            continue
        x = values.loc[ok, varied].to_numpy(dtype=float)
        index, ci95, floor = rank_indices(x, y.to_numpy(dtype=float)[ok], seed=seed)
        part = pd.DataFrame({"measure": key, "source": varied, "S1": index, "ci95": ci95,
                             "noise_floor": floor})
        rows += part.sort_values("S1", ascending=False, kind="stable").to_dict("records")
    return pd.DataFrame(rows)
