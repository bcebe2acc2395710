"""The indices of the sensitivity analysis (:mod:`experiments.calibration.sensitivity`) and
their seed noise: what is measured (:data:`OUTCOMES`), Morris μ* and Sobol S1/ST from SALib
with bootstrap intervals, the seed noise of each index (from the index each seed alone
gives), the noise floor a parameter without effect would reach, and the choice of the
parameters that go on from the screening to the Sobol stage."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DELTA", "NUM_LEVELS", "OUTCOMES", "ROW", "Outcome", "morris_indices",
           "noise_dominated", "noise_floor", "point_means", "seed_se", "select_top",
           "sobol_indices"]

NUM_LEVELS = 4
#: the Morris step in quantile units: levels / (2 (levels - 1))
DELTA = NUM_LEVELS / (2 * (NUM_LEVELS - 1))
ROW = "row"


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str
    unit: str


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("urban_rural_gap", "effect on the urban–rural gap", "year-0 SD"),
    Outcome("ses_gap", "effect on the SES quartile gap", "year-0 SD"),
    Outcome("between_school_share", "effect on the between-school share", "share"),
    Outcome("cv_primary_backbone_teachers_per_100", "effect on the backbone CV, primary",
            "CV"),
    Outcome("first_pass_cv_primary", "effect on the year primary CVs pass (2017)",
            "years; never = years + 1"),
)


def point_means(eff: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(seed-mean effect per point and outcome, its standard error over the seeds)."""
    keys = [o.key for o in OUTCOMES]
    g = eff.groupby(ROW)[keys]
    return g.mean(), g.std(ddof=1) / np.sqrt(g.count())


# ---------------------------------------------------------------------------------------------
# indices and their seed noise


def _outputs(Y: Any, outcomes: list[str] | None) -> dict[str, np.ndarray]:
    if isinstance(Y, pd.DataFrame):
        cols = outcomes or [c for c in Y.columns if c not in (ROW, "seed", "run_dir")]
        return {c: Y[c].to_numpy(dtype=float) for c in cols}
    if isinstance(Y, dict):
        return {k: np.asarray(v, dtype=float) for k, v in Y.items()}
    return {"y": np.asarray(Y, dtype=float)}


def morris_indices(problem: dict[str, Any], X: np.ndarray, Y: Any, seed: int = 1,
                   outcomes: list[str] | None = None) -> pd.DataFrame:
    """Morris μ, μ*, its 95% bootstrap interval (half-width) and σ of every parameter for
    every outcome. ``Y``: an array (one outcome ``y``), a dict of arrays, or a DataFrame
    with one column per outcome, row-aligned with ``X``. Elementary effects are in outcome
    units per full parameter range (SALib, unscaled). ``mu_star_rel`` is μ* over the
    outcome's largest μ* (NaN if every effect is 0)."""
    from SALib.analyze import morris

    X = np.asarray(X, dtype=float)
    frames = []
    for name, y in _outputs(Y, outcomes).items():
        if len(y) != len(X):
            raise ValueError(f"{name}: {len(y)} outputs for {len(X)} design rows")
        si = morris.analyze(problem, X, y, num_resamples=1000, conf_level=0.95,
                            num_levels=NUM_LEVELS, seed=seed)
        df = pd.DataFrame({"outcome": name, "parameter": list(problem["names"]),
                           "mu": np.asarray(si["mu"], float),
                           "mu_star": np.asarray(si["mu_star"], float),
                           "mu_star_conf": np.asarray(si["mu_star_conf"], float),
                           "sigma": np.asarray(si["sigma"], float)})
        top = df["mu_star"].max()
        df["mu_star_rel"] = df["mu_star"] / top if top > 0 else np.nan
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def sobol_indices(problem: dict[str, Any], Y: Any, seed: int = 1,
                  outcomes: list[str] | None = None) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol indices with 95% bootstrap half-widths of every
    parameter for every outcome, from outputs of a :func:`sobol_design` (no second order).
    An outcome that is constant over the design gets NaN indices (``constant`` True)."""
    from SALib.analyze import sobol

    if not seed:
        raise ValueError("seed must be > 0 (SALib ignores a seed of 0)")
    frames = []
    for name, y in _outputs(Y, outcomes).items():
        base = {"outcome": name, "parameter": list(problem["names"])}
        if np.ptp(y) == 0:
            nan = np.full(problem["num_vars"], np.nan)
            frames.append(pd.DataFrame({**base, "S1": nan, "S1_conf": nan, "ST": nan,
                                        "ST_conf": nan, "constant": True}))
            continue
        si = sobol.analyze(problem, y, calc_second_order=False, num_resamples=1000,
                           conf_level=0.95, seed=seed)
        frames.append(pd.DataFrame({**base, "S1": si["S1"], "S1_conf": si["S1_conf"],
                                    "ST": si["ST"], "ST_conf": si["ST_conf"],
                                    "constant": False}))
    return pd.concat(frames, ignore_index=True)


def _per_seed(index_fn, eff: pd.DataFrame, column: str, **kw: Any) -> pd.DataFrame:
    """``column`` of ``index_fn`` computed from each seed's effects alone, one column per
    seed (index: outcome, parameter)."""
    keys = [o.key for o in OUTCOMES]
    cols = {}
    for seed, grp in eff.groupby("seed"):
        y = grp.sort_values(ROW)[keys].reset_index(drop=True)
        cols[seed] = index_fn(Y=y, outcomes=keys, **kw).set_index(
            ["outcome", "parameter"])[column]
    return pd.DataFrame(cols)


def seed_se(index_fn, eff: pd.DataFrame, columns: list[str], **kw: Any) -> pd.DataFrame:
    """The seed noise of indices: for each of ``columns``, the standard deviation over the
    seeds of the index each seed alone gives, over √(seeds): how far the index of the seed
    means would move with other seeds (``<column>_seed_se``; index: outcome, parameter)."""
    out = {}
    for column in columns:
        per = _per_seed(index_fn, eff, column, **kw)
        out[f"{column}_seed_se"] = per.std(axis=1, ddof=1) / math.sqrt(per.shape[1])
    return pd.DataFrame(out)


def noise_floor(eff: pd.DataFrame) -> pd.DataFrame:
    """Per outcome, from the seeds of every point: the seed SD of one run's effect, the
    standard error of a point's seed mean (root mean square over the points) and
    ``noise_mu_star``, the μ* a parameter with no effect would get from that noise alone
    (2/√π · se / Δ: the mean |difference| of two independent seed means over the Morris step
    Δ = 2/3). Common random numbers make points share part of their noise, so this is an
    upper bound."""
    mean, se = point_means(eff)
    keys = [o.key for o in OUTCOMES]
    within = eff.groupby(ROW)[keys].std(ddof=1)
    rows = []
    for k in keys:
        rms = float(np.sqrt(np.nanmean(se[k] ** 2)))
        rows.append({"outcome": k, "seeds": int(eff.groupby(ROW).size().iloc[0]),
                     "seed_sd": float(np.sqrt(np.nanmean(within[k] ** 2))),
                     "se_of_mean": rms,
                     "noise_mu_star": 2 / math.sqrt(math.pi) * rms / DELTA,
                     "mean_effect": float(mean[k].mean())})
    return pd.DataFrame(rows)


def select_top(indices: pd.DataFrame, k: int, noise: pd.DataFrame | None = None) -> list[str]:
    """The ``k`` parameters that matter most for some outcome: per outcome, a parameter's
    score is (μ* − floor) / (largest μ* − floor), where floor is the outcome's
    ``noise_mu_star`` (:func:`noise_floor`; 0 without ``noise``), and outcomes whose largest
    μ* does not exceed their floor are left out; a parameter's score is its best over the
    outcomes (ties by name)."""
    ref = noise.set_index("outcome")["noise_mu_star"].to_dict() if noise is not None else {}
    scores: dict[str, float] = {p: 0.0 for p in indices["parameter"]}
    for outcome, grp in indices.groupby("outcome", sort=False):
        floor = float(ref.get(outcome, 0.0))
        floor = floor if math.isfinite(floor) else 0.0
        top = float(grp["mu_star"].max())
        if not top > floor:
            continue
        for p, m in zip(grp["parameter"], grp["mu_star"], strict=True):
            scores[p] = max(scores[p], max(0.0, (float(m) - floor) / (top - floor)))
    return sorted(scores, key=lambda p: (-scores[p], p))[:k]


def noise_dominated(indices: pd.DataFrame, noise: pd.DataFrame) -> list[str]:
    """Outcomes whose largest μ* does not exceed the seed-noise floor."""
    ref = noise.set_index("outcome")["noise_mu_star"]
    top = indices.groupby("outcome", sort=False)["mu_star"].max()
    return [o for o in top.index if o in ref and not top[o] > ref[o]]
