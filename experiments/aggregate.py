"""``edusim-aggregate``: collect the runs of a sweep into tidy tables with intervals across seeds.

    edusim-aggregate multirun/2026-11-23/10-44-30            # writes .../aggregate/
    edusim-aggregate SWEEP_DIR --out results/rotation         # writes results/rotation/aggregate/

Every directory under SWEEP_DIR (searched recursively) that holds a ``COMPLETE`` marker is one
run (see :mod:`sim.results`). Directories that look like runs (``.hydra/``, ``summary.json``,
``timeseries.parquet`` …) but have no marker were interrupted: they are left out, counted and
listed. A complete run whose files cannot be used is left out too, with a warning naming its
directory, the file and why: a file that is missing, empty, cut off or not of the expected
form (``summary.json`` that is not a JSON object ...), or a ``timeseries.parquet`` whose
fingerprint is not the one the run's ``summary.json`` names (a file left by another run or
configuration; see *One run per file* below).

A run's *arm* is what distinguishes it from the other runs apart from its seed: its
Hydra overrides (``.hydra/overrides.yaml``) without ``seed``, the run options (``figures``,
``progress``, ``compare_baseline``), ``hydra…`` settings and the ``sweep`` config group;
``region`` and ``years`` count only when they differ between runs. A run with nothing left and
no policy is in the arm ``baseline`` (so is ``experiment=baseline``).

Files written to ``OUT/aggregate/`` (every file atomically: temp file + rename; the manifest
last):

``runs.parquet``
    One row per run and year: ``run_id`` (the run directory relative to SWEEP_DIR), ``arm``,
    ``seed``, one column per override key (``policies.teacher_rotation.rate`` …, parsed to
    number or bool where possible; missing where a run does not set it), ``region``,
    ``years``, then every column of the run's ``timeseries.parquet`` (``year`` first). A
    parameter whose name clashes with one of those columns is called ``param.<key>``.
``per_run.parquet`` / ``per_run.csv``
    One row per run: identity and parameters, ``last_year``, the first year each official
    standard is met (``first_pass_quality``, ``first_pass_basic`` and per level; missing =
    never within the run), ``total_policy_cost_yuan`` (sum of the policies' costs),
    the ``reference`` the run is compared with, and at the last year ``change_<measure>``
    (run − reference; for equity measures negative = more equal) and
    ``gain_per_million_yuan_<measure>`` ((reference − run) / policy cost in million yuan, only
    where the cost is > 0), plus ``change_total_spending_yuan`` (all county spending summed
    over the years, run − reference).
``summary.parquet`` / ``summary.csv``
    Long format, one row per arm, year and key metric (:func:`key_metrics`): ``arm``, the
    parameter columns, ``year``, ``metric``, ``n`` (seeds with a value), ``mean``, ``sd``
    (across seeds, ddof=1), ``ci_low``, ``ci_high``. Verdict columns (``quality_passed`` …)
    are averaged as 0/1, i.e. the share of seeds that pass in that year.
``last_year.csv``
    The rows of ``summary`` at each arm's last year.
``arms.parquet`` / ``arms.csv``
    One row per arm (baseline first, then by parameter values): parameters, ``n_runs``,
    ``seeds``, ``reference``, ``last_year``; per standard (``quality``, ``basic`` and per level)
    ``first_pass_<standard>_median`` (median over seeds, a never-passing seed counting as
    later than any year; missing when the median seed never passes) and
    ``first_pass_<standard>_share`` (share of seeds that ever pass);
    ``total_policy_cost_yuan_mean`` with its interval; and for the headline measures the
    mean, ``ci_low``, ``ci_high`` of ``change_<m>`` and ``gain_per_million_yuan_<m>``.
``effects.parquet`` / ``effects.csv``
    Long format, one row per arm, kind (``change``, ``gain_per_million_yuan``,
    ``total_policy_cost_yuan``) and measure: ``n``, ``mean``, ``sd``, ``ci_low``, ``ci_high``.
``manifest.json``
    The sweep directory, the model that made the runs (``model``: summary.json's ``edusim``,
    version and behaviour fingerprint), run ids, incomplete and unreadable runs, arms,
    parameters, warnings and the files above; written last.

**One run per file.** A number never mixes the files of two runs: a run's
``timeseries.parquet`` is used only when it carries the fingerprint (seed, years,
configuration and model, :func:`sim.results.run_fingerprint`) that its ``summary.json`` names,
and its ``baseline_timeseries.parquet`` only when it carries that of the run's own same-seed
baseline. Runs written before edusim stored fingerprints (none in either file) cannot be
checked: they are used, with a warning.

**One model per result.** Runs made by different versions of the model (another behaviour
fingerprint in summary.json, :mod:`sim.behaviour`, or none recorded) are never combined: such a
folder is refused (exit code 2, nothing written), with each model's number of runs.

**Intervals.** 95% t-interval of the mean across seeds: mean ± t(0.975, n−1)·sd/√n. With a
single seed (n = 1) the interval is undefined and written as missing (NaN). The interval
covers the randomness of the simulation only (the seeds), not parameter uncertainty.

**Reference for changes.** If the sweep has an arm ``baseline`` (no policy), each run is
compared with the baseline run of the same seed (common random numbers; same region and
years). A run without such a partner is compared with its own same-seed baseline written by
``edusim`` when policies are on (``baseline_timeseries.parquet``, or ``vs_baseline`` in
``summary.json``). Otherwise it has no reference and its changes are missing. The
``reference`` column says which was used (``self`` for the baseline arm itself).

**A named reference arm** (``--reference ARM``, e.g. ``--reference
"teachers.rural_allowance=0.1"`` in a sweep of an ordinary parameter): each run is compared with
the run of that arm with the same seed (same region and years) instead; a run without one has
no reference (``none``). ``reference`` then names the arm (``self`` in the reference arm), the
effects table gains a ``reference`` column, and the cost behind ``gain_per_million_yuan_<m>`` is
the extra county spending over the years compared with the reference run
(``change_total_spending_yuan``, which includes the policies' own cost and allowances), not the
policy cost, so that a sweep of a parameter that costs money (an allowance) gets
cost-effectiveness figures. ``manifest.json`` records ``reference_arm``.

**Difference between two arms** (``--compare A B``, repeatable): per seed that both arms have
(and with the same last year), A's run − B's run at the last year for every measure of the
effects table, plus the policy cost and county spending summed over the years; mean and 95%
t-interval across those seeds, written to ``differences.csv`` (``arm_a``, ``arm_b``,
``measure``, ``label``, ``n``, ``mean``, ``sd``, ``ci_low``, ``ci_high``) and printed.

An arm is named by its label as in ``arms.csv`` (``key=value, key=value``; numbers may be
written in any form, ``0.10`` = ``0.1``); an unknown name is an error that lists the arms.

The parts: :mod:`experiments.aggregate_runs` (finding and loading runs, overrides, arms),
:mod:`experiments.aggregate_tables` (the tables and arm differences),
:mod:`experiments.aggregate_stats` (means and intervals across seeds) and
:mod:`experiments.aggregate_result` (the result, its files and the report).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.aggregate_result import (
    AGGREGATE_DIRNAME,
    AGGREGATE_FILES,
    AggregateResult,
    output_problem,
    report,
    warning_lines,
    write_result,
)
from experiments.aggregate_runs import (
    BASELINE,
    MANIFEST,
    AggregateError,
    Run,
    RunFileError,
    arm_order,
    find_runs,
    label_arms,
    load_run,
    natural_key,
    parse_override,
    relative_id,
    resolve_arm,
)
from experiments.aggregate_stats import mean_ci, mean_halfwidth, t_quantile_975
from experiments.aggregate_tables import (
    arm_difference,
    arms_table,
    effects_table,
    key_metrics,
    param_name,
    per_run_table,
    runs_table,
    summary_table,
)
from sim.behaviour import recorded_behaviour
from sim.results import BASELINE_FILE
from sim.terminal import command, version_line

__all__ = ["AGGREGATE_DIRNAME", "BASELINE", "MANIFEST", "AggregateError", "AggregateResult",
           "aggregate", "arm_difference", "find_runs", "key_metrics", "main", "mean_ci",
           "mean_halfwidth", "one_model", "out_problem", "parse_override", "report",
           "resolve_arm", "t_quantile_975", "warning_lines"]


def aggregate(sweep_dir: str | os.PathLike, out: str | os.PathLike | None = None,
              write: bool = True, reference: str | None = None,
              compare: Any = ()) -> AggregateResult:
    """Aggregate the complete runs under ``sweep_dir``; write the tables to
    ``out/aggregate/`` (default ``sweep_dir/aggregate/``) unless ``write`` is False.
    ``reference`` names the arm every run is compared with (same seed); ``compare`` is a
    sequence of (A, B) arm pairs whose difference A − B is reported (see the module doc).
    Raises :class:`AggregateError` for a missing directory, one with no usable complete run,
    runs made by more than one version of the model (:func:`one_model`) or an unknown arm name
    (before anything is written). A complete run whose files cannot be used (unreadable, or
    a ``timeseries.parquet`` of another run) is left out: ``unreadable`` says why."""
    root = Path(sweep_dir)
    if not root.is_dir():
        raise AggregateError(f"no such directory: {sweep_dir}")
    root = root.resolve()
    complete, incomplete = find_runs(root)
    runs: list[Run] = []
    unreadable: dict[str, str] = {}
    for path in complete:
        try:
            runs.append(load_run(path, root))
        except Exception as err:  # a damaged run is reported, not fatal
            unreadable[relative_id(path, root)] = _why_unusable(err)
    incomplete_ids = [relative_id(p, root) for p in incomplete]
    if not runs:
        detail = []
        if incomplete_ids:
            detail.append(f"{len(incomplete_ids)} incomplete")
        if unreadable:
            shown = "; ".join(f"{rid}: {why}" for rid, why in list(unreadable.items())[:2])
            detail.append(f"{len(unreadable)} left out, whose files cannot be used: {shown}"
                          + (" ..." if len(unreadable) > 2 else ""))
        raise AggregateError(f"no complete run under {sweep_dir}"
                             + (f" ({', '.join(detail)})" if detail else ""))
    model = one_model(runs, root)
    warnings: list[str] = []
    unchecked = [r.run_id for r in runs if r.unchecked]
    if unchecked:
        warnings.append(f"{len(unchecked)} run(s) could not be checked: neither summary.json nor "
                        "timeseries.parquet carries a fingerprint (written before edusim stored "
                        "fingerprints; run again to be sure they belong together): "
                        + _some(unchecked))

    keys, swept = label_arms(runs)
    ts_columns = set().union(*(r.ts.columns for r in runs))
    names = {k: param_name(k, ts_columns) for k in keys}
    order = arm_order(runs, keys)
    runs.sort(key=lambda r: (order[r.arm], r.seed, natural_key(Path(r.run_id))))
    dup = pd.Series([(r.arm, r.seed) for r in runs]).duplicated()
    if dup.any():
        pairs = sorted({f"{r.arm} seed {r.seed}" for r, d in zip(runs, dup, strict=True) if d})
        warnings.append("several runs share an arm and a seed (identical runs narrow the "
                        "intervals falsely): " + "; ".join(pairs))

    stale = [r.run_id for r in runs if r.stale_baseline]
    if stale:
        warnings.append(f"{BASELINE_FILE} not used in {len(stale)} run(s): it does not belong "
                        "to the run's own seed, years and configuration (left by another run, "
                        "or written before edusim stored fingerprints; run again to compare): "
                        + _some(stale))

    runs_df = runs_table(runs, names)
    param_columns = list(names.values())
    swept = [names[k] for k in swept]
    params_of_arm = runs_df.drop_duplicates("arm").set_index("arm")[param_columns]
    arm_names = list(dict.fromkeys(r.arm for r in runs))
    ref_arm = None if reference is None else resolve_arm(reference, arm_names, "--reference")
    pairs = [(resolve_arm(a, arm_names, "--compare"), resolve_arm(b, arm_names, "--compare"))
             for a, b in compare]
    per_run = per_run_table(runs, names, ref_arm)
    summary = summary_table(runs_df, params_of_arm, [r.arm for r in runs])
    last = summary.merge(summary.groupby("arm", sort=False)["year"].max().reset_index(),
                         on=["arm", "year"])
    effects = effects_table(per_run, with_reference=ref_arm is not None)
    arms = arms_table(per_run, effects, params_of_arm, param_columns)
    differences = None
    if pairs:
        differences = pd.concat([arm_difference(runs_df, per_run, a, b) for a, b in pairs],
                                ignore_index=True)
        empty = sorted({f"{a} − {b}" for a, b, n in zip(
            differences["arm_a"], differences["arm_b"], differences["n"], strict=True)
            if n == 0})
        if empty:
            raise AggregateError("--compare: no seed with the same last year in both arms of "
                                 + "; ".join(empty))
    if ref_arm is not None:
        lone = per_run.loc[per_run["reference"] == "none", "run_id"].tolist()
        if lone:
            warnings.append(f"{len(lone)} run(s) have no run of the reference arm with the same "
                            "seed, region and years (changes missing): "
                            + _some(lone))
    if not (per_run["reference"] != "none").any():
        warnings.append("no reference for changes: no baseline arm and no run with its own "
                        "same-seed baseline")

    out_dir = Path(out if out is not None else root) / AGGREGATE_DIRNAME
    result = AggregateResult(
        sweep_dir=root, out_dir=out_dir, runs=runs_df, per_run=per_run, summary=summary,
        last_year=last, arms=arms, effects=effects, param_columns=param_columns,
        swept_params=swept, incomplete=incomplete_ids, unreadable=unreadable,
        warnings=warnings, reference_arm=ref_arm, differences=differences, model=model)
    if write:
        write_result(result)
    return result


def _some(ids: list[str], n: int = 5) -> str:
    """The first ``n`` of ``ids``, comma-separated, and `` ...`` when there are more."""
    return ", ".join(ids[:n]) + (" ..." if len(ids) > n else "")


def _why_unusable(err: Exception) -> str:
    """Why a run was left out, in plain words naming the file (:class:`RunFileError`'s own
    words; other errors, which :func:`load_run` does not expect, by their message)."""
    if isinstance(err, RunFileError):
        return str(err)
    if isinstance(err, OSError) and err.filename is not None:
        return f"{Path(err.filename).name} cannot be read ({err.strerror or err})"
    text = str(err).strip().splitlines()
    return "its files cannot be used" + (f" ({text[0]})" if text else "")


def one_model(runs: list[Run], root: Path) -> dict[str, Any] | None:
    """The model that made every run in ``runs`` (``summary.json``'s ``edusim``: version and
    behaviour fingerprint, :mod:`sim.behaviour`; None when the runs predate that record).
    Runs of two models never go into one result: :class:`AggregateError` names each model
    with its number of runs and a few of their directories."""
    by_model: dict[str | None, list[Run]] = {}
    for r in runs:
        by_model.setdefault(recorded_behaviour(r.summary), []).append(r)
    if len(by_model) > 1:
        parts = []
        for behaviour, group in sorted(by_model.items(), key=lambda kv: -len(kv[1])):
            name = (f"behaviour {behaviour}" if behaviour is not None
                    else "a version that did not record it")
            ids = _some([r.run_id for r in group], 3)
            parts.append(f"{len(group)} by {name} ({ids})")
        raise AggregateError(
            f"the runs under {root} were made by {len(by_model)} versions of the model "
            f"(summary.json: edusim.behaviour): {'; '.join(parts)}. A result combines the "
            "runs of one model only: aggregate each set in a folder of its own, or run the "
            "older ones again (the same sweep command with hydra.sweeper.overwrite=true)")
    made_by = runs[0].summary.get("edusim")
    return dict(made_by) if isinstance(made_by, dict) else None


# ---------------------------------------------------------------------------------------------
# CLI


def out_problem(sweep_dir: str | os.PathLike, out: str | os.PathLike | None) -> str | None:
    """Why ``edusim-aggregate SWEEP_DIR [--out OUT]`` cannot write ``OUT/aggregate/`` (or
    ``SWEEP_DIR/aggregate/``), as one line naming the option; None if it can (or when
    SWEEP_DIR is not a directory, which :func:`aggregate` reports). Checked before any work
    (:func:`experiments.aggregate_result.output_problem`)."""
    if out is not None:
        return (output_problem(out, "--out")
                or output_problem(Path(out) / AGGREGATE_DIRNAME, "--out", AGGREGATE_FILES))
    if not Path(sweep_dir).is_dir():
        return None
    problem = output_problem(Path(sweep_dir) / AGGREGATE_DIRNAME, "SWEEP_DIR", AGGREGATE_FILES)
    return problem and f"{problem}; write elsewhere with --out"


@command("edusim-aggregate")
def main(argv: list[str] | None = None) -> int:
    """Console entry point (``edusim-aggregate``)."""
    parser = argparse.ArgumentParser(
        prog="edusim-aggregate",
        description="Aggregate the complete runs of an edusim sweep into tidy tables "
                    "(OUT/aggregate/: runs, per_run, summary, last_year, arms, effects).")
    parser.add_argument("--version", action="version", version=version_line(parser.prog))
    parser.add_argument("sweep_dir", help="sweep (or any) directory holding run directories")
    parser.add_argument("--out", default=None,
                        help="write OUT/aggregate/ instead of SWEEP_DIR/aggregate/")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    parser.add_argument("--reference", default=None, metavar="ARM",
                        help="compare every run with the same-seed run of this arm (its label "
                             "as in arms.csv, e.g. 'teachers.rural_allowance=0.1') instead of "
                             "the baseline")
    parser.add_argument("--compare", nargs=2, action="append", default=[], metavar=("A", "B"),
                        help="report A − B (last year, paired by seed, 95%% interval) for two "
                             "arms; repeatable; written to differences.csv")
    args = parser.parse_args(argv)
    problem = out_problem(args.sweep_dir, args.out)
    if problem:
        print(f"edusim-aggregate: {problem}", file=sys.stderr)
        sys.exit(2)
    try:
        result = aggregate(args.sweep_dir, out=args.out, reference=args.reference,
                           compare=[tuple(c) for c in args.compare])
    except AggregateError as err:
        print(f"edusim-aggregate: {err}", file=sys.stderr)
        sys.exit(2)
    for line in warning_lines(result):  # warnings, not progress: printed with --quiet too
        print(f"edusim-aggregate: warning: {line}", file=sys.stderr)
    if not args.quiet:
        print(report(result))
    return 0


if __name__ == "__main__":
    main()
