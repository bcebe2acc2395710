"""The report of a design search (:func:`report`), written at the end of ``edusim-design``
and by ``edusim-design-report SWEEP_DIR`` (:func:`report_main`) into ``design/`` of the
output folder: ``trials.csv``, ``best.csv`` (feasible mixes by objective), ``pareto.csv``
(feasible mixes not dominated in cost, equity gain and quality change; for the ``pareto``
objective, in the study's two objectives, cost and equity gain), ``front.png``,
``cost_profile.png``, ``summary.json`` and ``brief.md`` with the table a policy brief can
quote and the command that reproduces the best mix. A target that no trial met is reported as
**infeasible**, with the closest trial, never as a best-effort success.

The trials are the finished trials of the folder's Optuna study (``study.json`` names its
storage and name; each finished trial keeps its result as a user attribute, so trials that
other machines ran are included), or, without a study, the trial folders' results.

    edusim-design-report multirun/design/DATE/TIME        # tables and figures again
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.design import RESULT, STANDARDS, atomic_json
from experiments.design_search import STUDY_INFO
from sim.results import json_safe
from sim.terminal import command, version_line

__all__ = ["made_by_line", "os_reason", "pareto", "report", "report_main", "study_trials"]

#: what the report reads of each trial's result (a file without them is not a trial result)
_RESULT_KEYS = ("objective", "value", "feasible", "policies", "pass_share", "cost_million_yuan",
                "equity_gain", "quality_change", "first_year_conditions_met_median",
                "first_year_median", "cost_profile_million_yuan", "conditions", "seeds",
                "target_year", "min_pass_share", "quality_floor", "equity_measure")


def study_trials(sweep_dir: Path) -> list[dict[str, Any]] | None:
    """The results of the finished trials of the folder's study (with ``trial``, its number,
    and ``config``, its configuration), in the order of their numbers; None when the folder
    has no study or it cannot be read."""
    info = sweep_dir / STUDY_INFO
    if not info.is_file():
        return None
    try:
        import optuna
        from optuna.trial import TrialState

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        where = json.loads(info.read_text(encoding="utf-8"))
        study = optuna.load_study(study_name=where["study_name"], storage=where["storage"])
        trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    except Exception:
        return None
    out = []
    for t in sorted(trials, key=lambda t: t.number):
        r = t.user_attrs.get("result")
        if isinstance(r, dict) and all(k in r for k in _RESULT_KEYS):
            out.append({**r, "trial": t.number, "config": t.user_attrs.get("config")})
    return out


def _trials(sweep_dir: Path) -> list[dict[str, Any]]:
    from_study = study_trials(sweep_dir)
    if from_study is not None:
        return from_study
    out = []
    for path in sorted(sweep_dir.glob(f"*/{RESULT}"), key=lambda p: _job_num(p.parent.name)):
        try:
            r = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(r, dict) or any(k not in r for k in _RESULT_KEYS):
            continue
        r["trial"] = _job_num(path.parent.name)
        out.append(r)
    return out


def _no_trials(sweep_dir: Path) -> str:
    """Why ``sweep_dir`` has nothing to report (the message of :func:`report`)."""
    if not sweep_dir.exists():
        return f"{sweep_dir}: no such folder"
    if not sweep_dir.is_dir():
        return f"{sweep_dir}: not a folder (give the sweep folder of edusim-design)"
    started = [p for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit()
               and ((p / "config.json").is_file() or (p / ".hydra").is_dir())]
    failed = sorted((p for p in started if (p / "FAILED").is_file()),
                    key=lambda p: _job_num(p.name))
    if failed:
        return (f"{sweep_dir}: none of its {len(started)} trial folders has finished "
                f"({RESULT}); {len(failed)} failed (the reason is in {failed[0] / 'FAILED'})")
    if started:
        return (f"{sweep_dir}: none of its {len(started)} trial folders has finished "
                f"({RESULT}); run edusim-design into it again to resume")
    if (sweep_dir / STUDY_INFO).is_file():
        return (f"{sweep_dir}: its study has no finished trial; run edusim-design into it "
                "again to resume")
    return (f"{sweep_dir}: not an edusim-design sweep folder (no trial folder with a "
            f"{RESULT} of this version)")


def _job_num(name: str) -> int:
    return int(name) if name.isdigit() else 10 ** 9


def _mix_label(policies: dict[str, Any]) -> str:
    if not policies:
        return "no policy"
    parts = []
    for name, params in policies.items():
        inner = ", ".join(f"{k} {v:.3g}" if isinstance(v, float)
                          else f"{k} {v}" for k, v in params.items())
        parts.append(f"{name} ({inner})" if inner else name)
    return "; ".join(parts)


#: the criteria of the Pareto front: (column, +1 higher is better / -1 lower is better)
FRONT = (("cost", -1), ("equity_gain", 1), ("quality_change", 1))
#: for the ``pareto`` objective, the study's two objectives
FRONT_2 = FRONT[:2]


def pareto(df: pd.DataFrame, criteria: tuple[tuple[str, int], ...] = FRONT) -> pd.DataFrame:
    """Feasible trials not dominated in ``criteria`` (default: lower cost, higher equity
    gain, higher quality change)."""
    f = df[df["feasible"]].reset_index(drop=True)
    keep = []
    x = np.column_stack([f[c].to_numpy(dtype=float) * sign for c, sign in criteria]) \
        if len(f) else np.zeros((0, len(criteria)))
    for i in range(len(f)):
        better_or_equal = (x >= x[i]).all(axis=1)
        strictly = (x > x[i]).any(axis=1)
        if not (better_or_equal & strictly).any():
            keep.append(i)
    return f.iloc[keep].sort_values("cost").reset_index(drop=True)


def report(sweep_dir: str | os.PathLike, quiet: bool = False) -> dict[str, Any]:
    """Tables, figures and the brief of a finished (or partly finished) design sweep."""
    sweep_dir = Path(sweep_dir)
    trials = _trials(sweep_dir)
    if not trials:
        raise FileNotFoundError(_no_trials(sweep_dir))
    out = sweep_dir / "design"
    out.mkdir(parents=True, exist_ok=True)
    rows = [{
        "trial": t["trial"], "mix": _mix_label(t["policies"]), "feasible": t["feasible"],
        "pass_share": t["pass_share"], "cost": t["cost_million_yuan"]["mean"],
        "cost_ci95": t["cost_million_yuan"]["ci95"],
        # a trial evaluated before this was recorded has none
        "county_spending": t.get("county_spending_million_yuan", {}).get("mean", np.nan),
        "county_spending_ci95": t.get("county_spending_million_yuan", {}).get("ci95", np.nan),
        "equity_gain": t["equity_gain"]["mean"], "equity_gain_ci95": t["equity_gain"]["ci95"],
        "quality_change": t["quality_change"]["mean"],
        "quality_change_ci95": t["quality_change"]["ci95"],
        "first_year_met": t["first_year_conditions_met_median"], "value": t["value"],
        **{f"first_{s}": t["first_year_median"].get(s) for s in STANDARDS},
        "policies": json.dumps(t["policies"], sort_keys=True),
    } for t in trials]
    df = pd.DataFrame(rows)
    df.to_csv(out / "trials.csv", index=False)
    objective = trials[0]["objective"]
    feasible = df[df["feasible"]]
    if objective in ("min_cost", "pareto"):
        best = feasible.sort_values(["cost", "equity_gain"], ascending=[True, False])
    else:
        best = feasible.sort_values(["equity_gain", "cost"], ascending=[False, True])
    best = best.drop_duplicates("policies")
    best.to_csv(out / "best.csv", index=False)
    front = (pareto(df, FRONT_2 if objective == "pareto" else FRONT) if len(feasible)
             else df.iloc[:0])
    front.to_csv(out / "pareto.csv", index=False)
    by_trial = {t["trial"]: t for t in trials}
    models = list({json.dumps(t.get("edusim"), sort_keys=True): t.get("edusim")
                   for t in trials}.values())
    summary: dict[str, Any] = {"sweep_dir": str(sweep_dir), "trials": len(df),
                               "model": models[0] if len(models) == 1 else models,
                               "feasible_trials": int(len(feasible)),
                               "objective": objective, "feasible": bool(len(feasible)),
                               "front": [int(t) for t in front["trial"]]}
    if len(best):
        top = by_trial[int(best.iloc[0]["trial"])]
        summary["best"] = {k: top.get(k) for k in ("trial", "policies", "cost_million_yuan",
                                                   "county_spending_million_yuan",
                                                   "equity_gain", "quality_change",
                                                   "pass_share", "first_year_median",
                                                   "first_year_conditions_met_median", "seeds",
                                                   "target_year", "conditions")}
        summary["best"]["trial"] = int(best.iloc[0]["trial"])
        if top.get("prior_draws"):
            summary["widening"] = widening(sweep_dir, top)
    else:
        closest = df.sort_values(["value"]).iloc[0]
        summary["closest"] = {"trial": int(closest["trial"]), "mix": closest["mix"],
                              "pass_share": float(closest["pass_share"]),
                              "quality_change": float(closest["quality_change"])}
    _figures(df, front, best, by_trial, out, trials[0])
    (out / "brief.md").write_text(_brief(df, best, front, by_trial, summary, trials[0],
                                         sweep_dir), encoding="utf-8")
    atomic_json(out / "summary.json", json_safe(summary))
    if not quiet:
        print((out / "brief.md").read_text(encoding="utf-8"))
    return summary


#: how much wider than declared the priors get in the robustness check of the best mix
WIDEN = (1.5, 2.0)


def widening(sweep_dir: Path, top: dict[str, Any]) -> list[dict[str, Any]]:
    """The best mix again with every prior's spread multiplied by each factor of
    :data:`WIDEN` (same draws' quantiles, same seeds): its pass share and cost, beside the
    declared priors' (factor 1). Results are kept in ``design/widen_F.json``."""
    from omegaconf import OmegaConf

    from experiments.design import evaluate

    cfg = top.get("config")
    folder = sweep_dir / str(top["trial"])
    if not cfg and (folder / "config.json").is_file():
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    if not cfg:  # a folder of the former Hydra sweeper
        cfg = OmegaConf.to_container(OmegaConf.load(folder / ".hydra" / "config.yaml"),
                                     resolve=True)
    cfg["region"] = top.get("region") or cfg.get("region")
    rows = [{"widen": 1.0, "pass_share": top["pass_share"],
             "cost_million_yuan": top["cost_million_yuan"]}]
    for w in WIDEN:
        design = {**cfg["design"], "prior_widen": w}
        res = evaluate({**cfg, "design": design}, None, sweep_dir / "baselines")
        atomic_json(sweep_dir / "design" / f"widen_{w:g}.json", res)
        rows.append({"widen": w, "pass_share": res["pass_share"],
                     "cost_million_yuan": res["cost_million_yuan"]})
    return rows


def _runs_words(first: dict[str, Any]) -> str:
    seeds = len(first["seeds"])
    draws = first.get("prior_draws") or 0
    if not draws:
        return f"{seeds} seeds ({', '.join(map(str, first['seeds']))})"
    widen = first.get("prior_widen", 1.0)
    wider = "" if widen == 1.0 else f" widened ×{widen:g}"
    return f"{draws * seeds} runs ({draws} parameter sets drawn from the priors{wider} × {seeds} seeds)"


def _rerun_command(t: dict[str, Any], seed: int) -> str:
    region = t.get("region") or {}
    parts = [".venv/bin/edusim", f"seed={seed}", f"years={t['target_year']}"]
    if region.get("path"):
        parts += ["region=file", f"region.path={region['path']}"]
    elif region.get("preset"):
        parts.append(f"region={region['preset']}")
    for name, params in t["policies"].items():
        if params:
            parts += [f"+policies.{name}.{k}={v}" for k, v in params.items()]
        else:
            parts.append(f"'+policies.{name}={{}}'")
    return " ".join(parts)


def _pm(value: Any, half: Any, fmt: str) -> str:
    """``value ± half``; the value alone where there is no interval (a single seed)."""
    if pd.isna(half):
        return format(value, fmt)
    return f"{format(value, fmt)} ± {format(half, fmt.lstrip('+'))}"


def made_by_line(model: Any) -> str:
    """The brief's line on the model that ran the trials (their ``edusim`` record)."""
    models = model if isinstance(model, list) else [model]
    named = [f"edusim {m['version']} (model behaviour {m['behaviour']})" for m in models
             if isinstance(m, dict)]
    if len(models) == 1:
        return (f"Made by {named[0]}." if named
                else "Made by a version of edusim that did not record its model.")
    return f"Made by {len(models)} versions of the model: {'; '.join(named)}."


def _brief(df, best, front, by_trial, summary, first, sweep_dir) -> str:
    cond = ", ".join(first["conditions"])
    is_front = first["objective"] == "pareto"
    title = ("cost against equity gain (Pareto front)" if is_front
             else first["objective"].replace("_", " "))
    head = [f"# Policy design: {title}", "",
            f"Target: {cond} in year {first['target_year']}, in at least "
            f"{first['min_pass_share']:.0%} of {_runs_words(first)}; mean achievement change "
            "against the "
            f"same-seed baseline ≥ {first['quality_floor']:+.2f} SD"
            + (f"; mean cost ≤ {first['budget_million_yuan']:g} million yuan"
               if first["objective"] != "min_cost"
               and first.get("budget_million_yuan") is not None else "") + ".",
            f"Trials: {len(df)}, feasible: {int(df['feasible'].sum())}. Sweep: `{sweep_dir}`.",
            made_by_line(summary["model"]), ""]
    if not len(best):
        c = summary["closest"]
        return "\n".join(head + [
            "**INFEASIBLE: no mix of the searched levers met the target.** The target may "
            "need levers or ranges outside this search, a later year, or a looser condition.",
            "",
            f"Closest trial {c['trial']}: {c['mix']} — conditions met in "
            f"{c['pass_share']:.0%} of {'runs' if first.get('prior_draws') else 'seeds'}, "
            f"quality change {c['quality_change']:+.3f} SD.",
            ""])
    rows = front if is_front else best.head(5)
    if is_front:
        head += [f"The Pareto front: the {len(front)} feasible mixes that no other feasible mix "
                 f"beats on both cost and {first['equity_measure']} gain, cheapest first "
                 "(the study's two objectives; feasibility as its constraints).", ""]
    lines = head + [
        f"| {'mix no.' if is_front else 'rank'} | mix | cost (million yuan, 95% CI) | "
        f"{'runs' if first.get('prior_draws') else 'seeds'} meeting the target | "
        f"{first['equity_measure']} gain | quality change (SD) | first year met (median) |",
        "|---|---|---|---|---|---|---|"]
    for rank, (_, r) in enumerate(rows.iterrows(), 1):
        fy = "—" if pd.isna(r["first_year_met"]) else f"{r['first_year_met']:g}"
        lines.append(f"| {rank} | {r['mix']} | {_pm(r['cost'], r['cost_ci95'], '.1f')} | "
                     f"{r['pass_share']:.0%} | "
                     f"{_pm(r['equity_gain'], r['equity_gain_ci95'], '+.3f')} | "
                     f"{_pm(r['quality_change'], r['quality_change_ci95'], '+.3f')} | {fy} |")
    top = by_trial[int(best.iloc[0]["trial"])]
    fy = top["first_year_median"]
    over = "runs" if first.get("prior_draws") else "seeds"
    county = top.get("county_spending_million_yuan")
    if county:
        lines += ["", "The cost above is the policies' own money. The best mix's extra county "
                  "spending against the same-seed baseline, every cost line with the policies' "
                  "own money included (so also salaries and allowances that move with a "
                  f"policy): {_pm(county['mean'], county['ci95'], '.1f')} million yuan over "
                  f"{top['target_year']} years."]
    lines += ["", "First-pass year of each official standard for the best mix (median over "
              f"{over}; — = not within the run): " + ", ".join(
                  f"{s.replace('_passed', '').replace('_', ' ')} "
                  f"{'—' if fy.get(s) is None else f'{fy[s]:g}'}" for s in STANDARDS) + ".",
              ""]
    if summary.get("widening"):
        lines += ["When the priors are wider than declared, the best mix meets the target in "
                  + "; ".join(f"{r['pass_share']:.0%} of runs at ×{r['widen']:g} (cost "
                              f"{r['cost_million_yuan']['mean']:.1f} million yuan)"
                              for r in summary["widening"])
                  + " (the same draws' quantiles and seeds; `design/widen_*.json`).", ""]
    profile = top["cost_profile_million_yuan"]
    if profile and any(profile.values()):
        names = sorted({n for v in profile.values() for n in v})
        lines += ["Yearly cost of the best mix (million yuan, mean over seeds):", ""]
        lines.append("| year | " + " | ".join(names) + " |")
        lines.append("|---|" + "---|" * len(names))
        for year, v in profile.items():
            lines.append(f"| {year} | " + " | ".join(f"{v.get(n, 0.0):.2f}" for n in names)
                         + " |")
    criteria = "cost, equity gain" if is_front else "cost, equity gain, quality change"
    lines += ["", f"Pareto front ({criteria}): {len(front)} mixes in "
              "`design/pareto.csv`; every trial in `design/trials.csv`.", "",
              "Reproduce the best mix for one seed (and its baseline) with:", "", "```bash",
              _rerun_command(top, top["seeds"][0]), "```", ""]
    return "\n".join(lines)


def _figures(df, front, best, by_trial, out: Path, first) -> None:
    """front.png (every mix: cost against equity gain, the Pareto front, the best mix) and
    cost_profile.png (the best mix's yearly cost by policy); legends below the axes, so
    that they never cover a mix; labels in words; whole years on the time axis."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    from experiments.figures import metric_label
    from sim.labels import policy_name

    rc = {"font.size": 8.5, "axes.titlesize": 9, "axes.labelsize": 8.5, "legend.fontsize": 8,
          "xtick.labelsize": 8, "ytick.labelsize": 8}
    import matplotlib.pyplot as plt

    with plt.rc_context(rc):
        fig = Figure(figsize=(6.7, 4.0), layout="constrained")
        ax = fig.add_subplot()
        bad = df[~df["feasible"]]
        ax.scatter(bad["cost"], bad["equity_gain"], s=14, color="0.75",
                   label="mix missing the target")
        good = df[df["feasible"]]
        if len(good):
            lim = max(0.05, good["quality_change"].abs().max())
            sc = ax.scatter(good["cost"], good["equity_gain"], s=22, c=good["quality_change"],
                            cmap="RdBu", vmin=-lim, vmax=lim, edgecolors="0.2",
                            linewidths=0.4, label="mix meeting the target")
            bar = fig.colorbar(sc, ax=ax, pad=0.01)
            bar.set_label("change in mean achievement\n(year-0 SD)")
        if len(front):
            ax.plot(front["cost"], front["equity_gain"], color="#1b7837", linewidth=1,
                    marker="o", markersize=6, markerfacecolor="none",
                    label="Pareto front (no other feasible mix is as cheap,\n"
                          "gains as much equity and raises achievement as much)")
        if len(best):
            b = best.iloc[0]
            ax.scatter([b["cost"]], [b["equity_gain"]], s=120, marker="*", color="#e66101",
                       zorder=5, label="best mix (cheapest meeting the target)")
        ax.set_xlabel(f"total policy cost to year {first['target_year']} (million yuan)")
        measure = first["equity_measure"]
        ax.set_ylabel("reduction of the " + metric_label(measure, with_unit=False)
                      + "\nvs the same-seed baseline"
                      + (f" ({metric_label(measure).rsplit('(', 1)[1]}"
                         if "(" in metric_label(measure) else ""))
        title = "Policy mixes searched" + ("" if len(good) else " — no mix met the target")
        ax.set_title(title, loc="left")
        ax.grid(True, color="0.9")
        leg = fig.legend(loc="outside lower center", ncol=2, frameon=False)
        for handle, text in zip(leg.legend_handles, leg.get_texts(), strict=True):
            if text.get_text() == "mix meeting the target":
                handle.set_facecolor("#92c5de")  # the colour scale's middle is white
        fig.savefig(out / "front.png", dpi=200)
        top = by_trial[int(best.iloc[0]["trial"])] if len(best) else None
        if top is not None and any(top["cost_profile_million_yuan"].values()):
            profile = pd.DataFrame(top["cost_profile_million_yuan"]).T.fillna(0.0)
            fig = Figure(figsize=(6.7, 3.2), layout="constrained")
            ax = fig.add_subplot()
            years = profile.index.astype(int)
            bottom = np.zeros(len(profile))
            for name in profile.columns:
                ax.bar(years, profile[name], bottom=bottom, label=policy_name(name))
                bottom += profile[name].to_numpy()
            ax.set_xlabel("simulated year")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole years
            ax.set_ylabel("policy cost (million yuan per year)")
            ax.set_title(f"Yearly cost of the best mix (trial {top['trial']}), by policy",
                         loc="left")
            fig.legend(loc="outside lower center", ncol=min(3, len(profile.columns)),
                       frameon=False)
            ax.grid(True, axis="y", color="0.9")
            fig.savefig(out / "cost_profile.png", dpi=200)


# ------------------------------------------------------------------------------------------
# the command
# ------------------------------------------------------------------------------------------
def os_reason(err: OSError) -> str:
    """Why a folder could not be written, in words."""
    if isinstance(err, (FileExistsError, NotADirectoryError)):
        return f"{err.filename or 'a part of that path'} is a file, not a folder"
    return f"{err.strerror or err} ({err.filename})" if err.filename else str(err)


@command("edusim-design-report")
def report_main(argv: list[str] | None = None) -> int:
    """Console entry point (``edusim-design-report SWEEP_DIR``): 0 when a feasible mix was
    found, 1 for an infeasible target, 2 when there is nothing to report or the report
    folder cannot be written."""
    import argparse

    ap = argparse.ArgumentParser(prog="edusim-design-report",
                                 description="Tables, figures and brief of a design sweep.")
    ap.add_argument("--version", action="version", version=version_line(ap.prog))
    ap.add_argument("sweep_dir", type=Path)
    args = ap.parse_args(argv)
    try:
        summary = report(args.sweep_dir)
    except FileNotFoundError as err:
        print(f"edusim-design-report: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # the report folder cannot be written
        print(f"edusim-design-report: cannot write the report to {args.sweep_dir / 'design'}: "
              f"{os_reason(err)}", file=sys.stderr)
        return 2
    return 0 if summary["feasible"] else 1
