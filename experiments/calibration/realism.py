"""The model's values of the published targets (:mod:`experiments.calibration.targets`).

For each seed the default county is built and run for 20 years with no policy; the
measures are taken from the model's state as a county's statistics or a survey would take
them:

- **year 0**: between-school share of grade-9 achievement variance; the urban − rural and
  the left-behind gaps of grades 7-9 (raw, and within schools: the coefficient of a
  left-behind dummy with school fixed effects); the 2012 CVs of the county's school table
  (:func:`sim.evaluation.evaluate`, standard "basic");
- **years 1-10**: the correlation across junior schools of school value added in
  consecutive years (value added: the school's mean of grade-9 z-scores minus the county
  slope times the same pupils' grade-8 z-scores a year earlier);
- **year 11** (2023 if year 0 is 2012): backbone teachers per 100 primary pupils, their CV
  and the mean of the seven 2017 CVs of primary schools;
- **year 20**: the change of mean achievement (also in a county without shifts of its
  population between tiers, :data:`STATIC_DEMOGRAPHY`), and whether the 2017 standard was
  met.

More arms run per seed: a county of identical schools
(:func:`sim.scenarios.identical_schools_config`: every tier alike, no dispersion, no school
effects), whose largest 2017 CV over 20 years is measured; the ``county_plan`` experiment
(configs/experiment/county_plan.yaml), whose first year passing the 2017 standard, CVs over
their limits and compliance in year 15, and cost beyond the same-seed baseline in years
1-15 (:func:`plan_cost`, with the surplus space it hands over) are recorded; the same mix
without handing surplus space over (``finance.surplus_transfer`` = 0) and at the other paces
of :data:`SURPLUS_PACES` (their first passing years); and the static-demography county.
Achievement is in year-0 SD units of each grade (:meth:`sim.EducationModel.achievement_z`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.aggregate import mean_halfwidth
from experiments.calibration.targets import TARGETS
from sim import EducationModel
from sim.evaluation import evaluate
from sim.metrics import between_share
from sim.scenarios import identical_schools_config
from sim.standards import CV_LIMITS
from sim.vocabulary import RURAL, URBAN

#: other paces of the plan's surplus transfer (share of the surplus a year) the job runs the
#: mix with: its pace is an assumption (range 0.2-1)
SURPLUS_PACES = (0.25, 1.0)

__all__ = ["SURPLUS_PACES", "county_plan", "measure", "plan_cost", "run_seed", "year0"]

ROOT = Path(__file__).resolve().parents[2]
#: a county whose population does not shift between tiers (no birth trends, no internal or
#: migrant moves): the trend without urbanisation, beside the target's
STATIC_DEMOGRAPHY = {
    "demography.birth_trend": {"urban": 0.0, "town": 0.0, "rural": 0.0},
    "demography.rural_to_urban_migration": 0.0, "demography.rural_to_town_migration": 0.0,
    "demography.migrant_arrivals": 0.0}
#: 2012 indicators reported per level (the targets' short names)
BASIC_SHORT = {"building": "building_area_m2_per_student",
               "sports": "sports_area_m2_per_student",
               "equipment": "equipment_value_yuan_per_student",
               "ratio": "students_per_teacher"}


def _within_gap(z: np.ndarray, flag: np.ndarray, group: np.ndarray) -> float:
    """Coefficient of ``flag`` in a regression of z on it with group fixed effects, sign
    flipped (a positive value: flagged pupils score lower)."""
    n_g = int(group.max()) + 1
    cnt = np.bincount(group, minlength=n_g)
    zd = z - (np.bincount(group, weights=z, minlength=n_g) / np.maximum(cnt, 1))[group]
    fd = flag - (np.bincount(group, weights=flag, minlength=n_g) / np.maximum(cnt, 1))[group]
    denom = float(fd @ fd)
    return -float(zd @ fd) / denom if denom > 0 else float("nan")


def year0(model: EducationModel) -> dict[str, float]:
    """The achievement and 2012-CV measures of the model's current state."""
    s, sch = model.students, model.schools
    z = np.asarray(model.achievement_z())
    out: dict[str, float] = {}
    g9 = s.grade == 9
    out["between_school_share_g9"] = between_share(z[g9], s.school[g9])
    out["between_school_share_all"] = between_share(z, s.school)
    upper = s.grade >= 7
    tier = sch.tier[s.school]
    zu = z[upper]
    out["urban_rural_gap_g79"] = float(zu[tier[upper] == URBAN].mean()
                                       - zu[tier[upper] == RURAL].mean())
    lb = s.left_behind[upper].astype(bool)
    out["left_behind_gap_g79"] = float(zu[~lb].mean() - zu[lb].mean())
    out["left_behind_within_gap_g79"] = _within_gap(zu, lb.astype(float), s.school[upper])
    table = model.school_table()
    for level in ("primary", "junior"):
        r = evaluate(table, level, "basic")
        out[f"basic_cv_{level}"] = float(np.mean(list(r.cv.values())))
        for short, name in BASIC_SHORT.items():
            out[f"cv2012_{level}_{short}"] = r.cv[name]
    return out


def _g9_value_added(model: EducationModel, prev: pd.Series | None) -> pd.Series | None:
    """Per junior school: mean grade-9 z minus the county slope times the same pupils'
    grade-8 z of last year (``prev``: z by pupil id of last year's grade 8)."""
    s = model.students
    z = np.asarray(model.achievement_z())
    g9 = np.flatnonzero(s.grade == 9)
    if prev is None or len(g9) == 0:
        return None
    ids = pd.Series(s.id[g9])
    before = ids.map(prev).to_numpy(dtype=float)
    ok = np.isfinite(before)
    now, before, school = z[g9][ok], before[ok], s.school[g9][ok]
    slope = np.polyfit(before, now, 1)[0]
    resid = now - slope * before
    return pd.Series(resid).groupby(school).mean()


def _g8_by_id(model: EducationModel) -> pd.Series:
    s = model.students
    g8 = s.grade == 8
    return pd.Series(np.asarray(model.achievement_z())[g8], index=s.id[g8])


def _first_pass(ts: pd.DataFrame) -> float:
    passed = ts.loc[ts["quality_passed"].astype(bool), "year"]
    return float(passed.iloc[0]) if len(passed) else float("nan")


def county_plan() -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The ``county_plan`` experiment (configs/experiment/county_plan.yaml): its policies with
    their non-default parameters, and its other settings as dotted overrides."""
    from omegaconf import OmegaConf

    raw = OmegaConf.to_container(OmegaConf.load(ROOT / "configs/experiment/county_plan.yaml"))
    names: list[str] = []
    for item in raw.pop("defaults", []):
        if isinstance(item, dict) and "/policy" in item:
            names += list(item["/policy"])
    given = raw.pop("policies", {}) or {}
    policies = {name: dict(given.get(name, {}) or {}) for name in names}
    overrides: dict[str, Any] = {}

    def flatten(node: Any, prefix: str) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                flatten(value, f"{prefix}{key}.")
            else:
                overrides[f"{prefix}{key}"] = value
    flatten(raw, "")
    return policies, overrides


def run_seed(seed: int, years: int = 20, region: str = "default") -> dict[str, float]:
    """Every measure of one seed (baseline, identical county, county plan)."""
    m = EducationModel(rng=seed, region=region)
    row: dict[str, float] = {"seed": seed, **year0(m)}
    prev, va = None, []
    for year in range(1, years + 1):
        if year <= 11:
            prev = _g8_by_id(m)
        m.step()
        if year <= 11:
            v = _g9_value_added(m, prev)
            if v is not None:
                va.append(v)
        if year == min(11, years):
            row["backbone_per_100_primary_y11"] = _primary_backbone(m)
    ts = m.timeseries()
    corr = [a.corr(b) for a, b in zip(va[:-1], va[1:], strict=False)
            if len(a.index.intersection(b.index)) > 2]
    row["school_va_autocorr"] = float(np.nanmean(corr)) if corr else float("nan")
    y11 = ts.loc[ts["year"] == min(11, years)].iloc[0]
    row["backbone_cv_primary_y11"] = float(y11["cv_primary_backbone_teachers_per_100"])
    cvs = [c for c in ts.columns if c.startswith("cv_primary_")]
    row["quality_cv_mean_primary_y11"] = float(y11[cvs].mean())
    row["trend_20y"] = float(ts["mean_achievement"].iloc[-1] - ts["mean_achievement"].iloc[0])
    row["baseline_first_pass"] = _first_pass(ts)
    row["baseline_quality_pass_share_20y"] = float(np.isfinite(row["baseline_first_pass"]))

    same = EducationModel(identical_schools_config(region), rng=seed).run(years)
    tsi = same.timeseries()
    qcv = [c for c in tsi.columns if c.startswith(("cv_primary_", "cv_junior_"))]
    row["identical_max_cv_20y"] = float(np.nanmax(tsi[qcv].to_numpy(dtype=float)))
    row["identical_worst_indicator"] = str(tsi[qcv].max().idxmax())

    policies, overrides = county_plan()
    plan = EducationModel(rng=seed, region=region, policies=policies, **overrides).run(years)
    tsp = plan.timeseries()
    first = _first_pass(tsp)
    row["county_plan_first_pass"] = first
    row["county_plan_pass_share_15y"] = float(np.isfinite(first) and first <= 15)
    y15 = tsp.loc[tsp["year"] == min(15, years)].iloc[0]
    row["county_plan_over_limit_y15"] = ";".join(
        c for c in tsp.columns if c.startswith(("cv_primary_", "cv_junior_"))
        and y15[c] > CV_LIMITS["quality"][c.split("_")[1]] + 1e-9)
    for level in ("primary", "junior"):
        row[f"county_plan_complying_{level}_y15"] = float(
            y15[f"quality_schools_complying_{level}"])
    row.update(plan_cost(tsp, ts, min(15, years)))
    # the same mix without handing surplus space over (what that strategy adds), and with
    # other paces of it (its pace is an assumption)
    kept = EducationModel(rng=seed, region=region, policies=policies,
                          **{**overrides, "finance.surplus_transfer": 0.0}).run(years)
    row["county_plan_without_surplus_first_pass"] = _first_pass(kept.timeseries())
    for pace in SURPLUS_PACES:
        other = EducationModel(rng=seed, region=region, policies=policies,
                               **{**overrides, "finance.surplus_transfer": pace}).run(years)
        row[f"county_plan_surplus_{pace}_first_pass"] = _first_pass(other.timeseries())

    static = EducationModel(rng=seed, region=region, **STATIC_DEMOGRAPHY).run(years)
    tss = static.timeseries()
    row["trend_20y_static_demography"] = float(
        tss["mean_achievement"].iloc[-1] - tss["mean_achievement"].iloc[0])
    return row


def plan_cost(plan: pd.DataFrame, base: pd.DataFrame, years: int) -> dict[str, float]:
    """What a policy run costs the county beyond its same-seed baseline over years
    1..``years`` (yuan, from the recorded ``spending_yuan`` and ``cost_*`` columns): in total,
    per pupil a year (the baseline's pupils), and its parts: the policies' own money and the
    extra salaries (teachers hired beyond the baseline's, e.g. PE/arts posts)."""
    p = plan.loc[plan["year"].between(1, years)]
    b = base.loc[base["year"].between(1, years)]
    extra = float(p["spending_yuan"].sum() - b["spending_yuan"].sum())
    policies = float(p[[c for c in p.columns if c.startswith("cost_policy_")]].sum().sum())

    def total(column: str) -> float:  # 0 when the plan does not record it
        return float(p[column].sum()) if column in p else 0.0

    return {"county_plan_extra_yuan": extra,
            "county_plan_extra_yuan_per_pupil_year": extra / float(b["students"].sum()),
            "county_plan_policy_yuan": policies,
            "county_plan_extra_salaries_yuan": float(p["cost_salaries"].sum()
                                                     - b["cost_salaries"].sum()),
            "county_plan_surplus_conversion_yuan": total("cost_surplus_conversion"),
            "county_plan_surplus_building_m2": total("surplus_building_m2"),
            "county_plan_surplus_sports_m2": total("surplus_sports_m2")}


def _primary_backbone(model: EducationModel) -> float:
    """Backbone teachers per 100 primary pupils this year (the county mean of the official
    indicator: enrolment-weighted over primary school rows)."""
    table = model.school_table()
    rows = table[table["level"] == "primary"]
    return float(100.0 * rows["backbone_teachers"].sum() / rows["students"].sum())


def measure(seeds: int = 5, years: int = 20, region: str = "default"
            ) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """All seeds' measures and, per target, the model's mean with its 95% half-width and
    whether the mean lies inside the target's band."""
    runs = pd.DataFrame([run_seed(seed, years, region) for seed in range(seeds)])
    rows = []
    for t in TARGETS:
        if t.key not in runs:
            continue
        stats = mean_halfwidth(runs[t.key].astype(float))
        rows.append({"key": t.key, "label": t.label, "published": t.published,
                     "band": [t.low, t.high], "unit": t.unit, "source": t.source,
                     "role": t.role, "note": t.note, "model": stats,
                     "inside": bool(t.inside(stats["mean"]))})
    return runs, rows


ROLE_COLOURS = {"tune": "#2166ac", "holdout": "#d6604d", "check": "#4d4d4d"}
ROLE_WORDS = {"tune": "used to set a default", "holdout": "held out (validation)",
              "check": "property by construction"}


def figure(rows: list[dict[str, Any]]):
    """One row per target: its band as a shaded zone scaled to [0, 1] (lower to upper bound)
    and the model's mean with its 95% interval, coloured by role; values beyond the axis are
    drawn at its edge with an arrow."""
    from matplotlib.figure import Figure

    n = len(rows)
    fig = Figure(figsize=(7.6, 0.28 * n + 1.1), layout="constrained")
    ax = fig.subplots()
    lo_edge, hi_edge = -1.6, 2.6
    ax.axvspan(0, 1, color="#d9f0d3", zorder=0)
    for i, r in enumerate(rows):
        y = n - 1 - i
        low, high = r["band"]
        width = (high - low) or 1.0
        mean, half = r["model"]["mean"], r["model"]["ci95"]
        colour = ROLE_COLOURS[r["role"]]
        if not np.isfinite(mean):
            ax.text(0.5, y, "no value", ha="center", va="center", fontsize=7, color=colour)
            continue
        x = (mean - low) / width
        xe = (half / width) if np.isfinite(half) else 0.0
        if not lo_edge < x < hi_edge:
            edge = hi_edge if x > 0 else lo_edge
            ax.annotate("", xy=(edge, y), xytext=(edge - 0.5 * np.sign(x), y),
                        arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.5})
        else:
            ax.errorbar(x, y, xerr=xe, fmt="o", color=colour, markersize=4, capsize=2)
        ax.text(hi_edge + 0.05, y, f"{mean:.3g}  [{low:g}, {high:g}]", va="center",
                fontsize=7, color=colour)
    ax.set_yticks(range(n), [r["label"] for r in rows][::-1], fontsize=7)
    ax.set_xlim(lo_edge, hi_edge)
    ax.set_ylim(-0.7, n + 0.4)
    ax.set_xticks([0, 1], ["low", "high"], fontsize=7)
    ax.text(0.5, n - 0.45, "published\nband", ha="center", va="bottom", fontsize=6.5,
            color="#1b7837")
    ax.set_xlabel("model value relative to the published band (right: model mean and band)",
                  fontsize=7.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [ax.plot([], [], "o", color=c, label=ROLE_WORDS[k])[0]
               for k, c in ROLE_COLOURS.items()]
    fig.legend(handles=handles, loc="outside upper center", ncol=3, frameon=False,
               fontsize=7.5)
    return fig


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json
    import sys
    import time

    from experiments.calibration.__main__ import DEFAULT_OUT, _save
    from sim.results import atomic_write, json_safe

    ap = argparse.ArgumentParser(
        prog="python -m experiments.calibration.realism",
        description="The default county against the published targets "
                    "(experiments/calibration/targets.py): realism.json and "
                    "img/calibration/realism.png under --out.")
    ap.add_argument("--seeds", type=int, default=20, help="seeds (at least 2; default 20)")
    ap.add_argument("--years", type=int, default=20, help="years per run (11-60; default 20)")
    ap.add_argument("--region", default="default", choices=("tiny", "default", "county_l"),
                    help="built-in county (default: default)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help="output folder (default: multirun/calibration)")
    args = ap.parse_args(argv)
    if args.seeds < 2:
        ap.error(f"--seeds: {args.seeds} is out of range: at least 2 (an interval needs 2)")
    if not 11 <= args.years <= 60:
        ap.error(f"--years: {args.years} is out of range: 11 to 60 (year 11 is measured)")
    start = time.perf_counter()
    runs, rows = measure(args.seeds, args.years, args.region)
    wall = time.perf_counter() - start
    _save(figure(rows), args.out / "img/calibration/realism.png")
    result = {"seeds": args.seeds, "years": args.years, "region": args.region,
              "targets": rows, "wall_seconds": wall,
              "extra": {
                  **{k: mean_halfwidth(runs[k]) for k in (
                      "between_school_share_all", "trend_20y_static_demography",
                      "county_plan_complying_primary_y15", "county_plan_complying_junior_y15",
                      "county_plan_extra_yuan", "county_plan_extra_yuan_per_pupil_year",
                      "county_plan_policy_yuan", "county_plan_extra_salaries_yuan",
                      "county_plan_surplus_conversion_yuan", "county_plan_surplus_building_m2",
                      "county_plan_surplus_sports_m2")},
                  "baseline_first_pass": runs["baseline_first_pass"].tolist(),
                  "county_plan_first_pass": runs["county_plan_first_pass"].tolist(),
                  "county_plan_without_surplus_first_pass":
                      runs["county_plan_without_surplus_first_pass"].tolist(),
                  "county_plan_surplus_pace_first_pass": {
                      str(p): runs[f"county_plan_surplus_{p}_first_pass"].tolist()
                      for p in SURPLUS_PACES},
                  "county_plan_over_limit_y15": runs["county_plan_over_limit_y15"].tolist(),
                  "identical_worst_indicator": runs["identical_worst_indicator"].tolist()}}
    path = args.out / "realism.json"
    text = json.dumps(json_safe(result), indent=1, ensure_ascii=False) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    inside = sum(r["inside"] for r in rows)
    print(f"edusim: {inside} of {len(rows)} targets inside their bands; {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
