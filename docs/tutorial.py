# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # From a first run to a policy brief
#
# This tutorial walks through edusim the way a policy study does: one run of a county and what
# its outputs mean, one lever over several seeds against the same-seed baselines, a small
# sweep with its tables and figures, the official county tests, the design tool that searches
# for the cheapest mix of levers, and a county table of your own. It ends with a short brief
# assembled from the results.
#
# It is kept as a text file, [`docs/tutorial.py`](tutorial.py) (a
# [jupytext](https://jupytext.readthedocs.io) "percent" script), and executed into
# [`docs/tutorial.ipynb`](tutorial.ipynb) by `make docs JOBS=tutorial`. Every output below,
# and every sentence printed by a code cell, was made by that execution on the current code:
# the prose between the cells never quotes a result, so it stays true when the model changes.
#
# **Set-up.** After `make run` (see the README), open the notebook with Jupyter from the
# repository or run the script's cells in any Python of `.venv`. The commands are shown as you
# would type them in a terminal with `.venv/bin` on your `PATH` (`source .venv/bin/activate`).
#
# **Small on purpose.** To execute quickly on a laptop, everything here uses the `tiny`
# county, a few years and a few seeds. Real studies use the `default` or `county_l`
# county (or a real county table), 20–30 years and 10 or more seeds per setting: policies act
# through teacher careers and pupil cohorts, which take years to move; the intervals across
# seeds shrink only with the square root of the number of seeds; and in a county of a dozen
# schools one school opening a multimedia room moves a difference coefficient visibly, so
# small counties exaggerate chance.

# %% [markdown]
# The first cell sets the study's size and defines two helpers: `sh` runs a command as a
# terminal would and shows what it prints (Hydra's and Optuna's timestamped log lines and
# progress bars left out; paths shown relative to the repository root), and `show` displays a
# PNG the commands wrote, scaled down to keep the notebook small.

# %%
import json
import os
import re
import shlex
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Image, Markdown, display
from PIL import Image as PILImage

if not Path("examples").is_dir() and Path("../examples").is_dir():
    os.chdir("..")  # opened from docs/: run from the repository root
OUT = Path("outputs/tutorial")  # every output of this tutorial goes here
OUT.mkdir(parents=True, exist_ok=True)

REGION = "tiny"  # the county preset
YEARS = 10  # school years simulated
SEEDS = 5  # seeds per setting (a real study: 10 or more)

pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 20)
plt.rcParams["figure.dpi"] = 80  # modest images in the notebook

BIN = Path(sys.executable).parent  # this environment's bin/, where edusim lives
ENV = {**os.environ, "PYTHONUNBUFFERED": "1",
       "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
_LOG_LINE = re.compile(r"^(\x1b\[[0-9;]*m)?\[(I )?\d{4}-\d\d-\d\d[ T]")  # Hydra, Optuna
_PROGRESS = re.compile(r"\d+%\|.*\| *\d+/\d+ \[")  # progress bars


def sh(command: str, expect: int = 0, tail: int | None = None, start: str | None = None,
       grep: str | None = None) -> None:
    """Run COMMAND as typed in a terminal and show its output (stdout and stderr, in order).
    TAIL: show only the last lines; START: only from the first line containing it; GREP: only
    the lines matching this pattern (what is left out is said). Raises when the exit code is
    not EXPECT, so a failing command stops the notebook."""
    print("$", command)
    proc = subprocess.run(shlex.split(command), env=ENV, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    here = str(Path.cwd()) + os.sep
    lines: list[str] = []
    for raw in proc.stdout.split("\n"):
        line = raw.split("\r")[-1].replace(here, "").rstrip()  # what a terminal shows
        if _LOG_LINE.match(line) or _PROGRESS.search(line):
            continue
        if line or (lines and lines[-1]):  # no leading or repeated blank lines
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    left_out = 0
    if start is not None:
        first = next((i for i, line in enumerate(lines) if start in line), 0)
        left_out, lines = first, lines[first:]
    if grep is not None:
        kept = [line for line in lines if re.search(grep, line)]
        left_out, lines = left_out + len(lines) - len(kept), kept
    if tail is not None and len(lines) > tail:
        left_out, lines = left_out + len(lines) - tail, lines[-tail:]
    if left_out:
        print(f"[... {left_out} lines not shown ...]")
    print("\n".join(lines))
    if proc.returncode != expect:
        raise RuntimeError(f"`{command}` exited {proc.returncode}, expected {expect}")
    if expect:
        print(f"[exit code {proc.returncode}]")


def capture(command: str) -> str:
    """Run COMMAND and return what it prints on stdout (shown: the command only)."""
    print("$", command, " # output read by the next lines")
    return subprocess.run(shlex.split(command), env=ENV, capture_output=True, text=True,
                          check=True).stdout


def show(path, width: int = 720) -> None:
    """Display a PNG, scaled to WIDTH pixels if wider, in 256 colours (a small notebook)."""
    img = PILImage.open(path)
    if img.width > width:
        img = img.resize((width, round(img.height * width / img.width)), PILImage.LANCZOS)
    buf = BytesIO()
    img.convert("RGB").quantize(256, method=PILImage.Quantize.FASTOCTREE).save(
        buf, format="PNG", optimize=True)
    display(Image(buf.getvalue()))


def interval(lo: float, hi: float, fmt: str = "+.3f") -> str:
    return f"[{lo:{fmt}}, {hi:{fmt}}]"


def sign_words(lo: float, hi: float, down: str, up: str) -> str:
    """How a 95% interval reads: entirely below zero, entirely above, or across zero."""
    if hi < 0:
        return f"lies entirely below zero: {down}"
    if lo > 0:
        return f"lies entirely above zero: {up}"
    return ("includes zero: with these seeds the effect cannot be told apart from chance "
            "(more seeds would narrow the interval).")


print(f"outputs under {OUT}/; county {REGION}, {YEARS} years, {SEEDS} seeds per setting")

# %% [markdown]
# ## 1. A baseline run and what it writes
#
# One run simulates the county year by year with no policy. `hydra.run.dir` chooses the output
# folder (without it, `outputs/DATE/TIME/`). The run prints the first and last year of the
# headline measures and the official tests of the last year.

# %%
sh(f"edusim region={REGION} years={YEARS} seed=1 hydra.run.dir={OUT}/baseline")

# %% [markdown]
# How to read the table: achievement is in standard deviations of year 0 (so the county starts
# at 0 and a change of 0.1 is a tenth of the pupils' spread at the start); the gaps (urban
# minus rural schools, top minus bottom SES quartile) are in the same unit and *smaller is
# more equal*; the between-school share is the part of achievement variance lying between
# schools; teacher effectiveness is the achievement a teacher adds per year. The "pupils in
# schools below the 2017 standard" line counts the pupils whose school misses the 2017
# per-school rule (section 4).
#
# The folder holds everything the run computed:

# %%
run = OUT / "baseline"
print(sorted(p.name for p in run.iterdir()))
ts = pd.read_parquet(run / "timeseries.parquet")  # one row per year
schools = pd.read_parquet(run / "schools.parquet")  # one row per school, level and year
summary = json.loads((run / "summary.json").read_text())
print(f"timeseries: {len(ts)} years x {ts.shape[1]} measures; "
      f"schools: {len(schools)} rows ({schools.school_id.nunique()} schools)")
ts[["year", "students", "teachers", "mean_achievement", "urban_rural_gap", "ses_gap",
    "between_school_share", "spending_yuan"]].round(3)

# %% [markdown]
# `schools.parquet` is the county's school table in the format of the official evaluation,
# every year: the seven 2017 indicators' counts and areas, plus the mean achievement, SES and
# teacher effectiveness of each school. The last year:

# %%
last = schools[schools.year == YEARS]
last[["name", "level", "tier", "students", "teachers", "backbone_teachers",
      "equipment_value_yuan", "mean_achievement", "teacher_effectiveness"]].round(2)

# %% [markdown]
# `summary.json` keeps the seed, the whole configuration, the first and last year of the
# headline measures and the first year each official standard was met (`null`: not within the
# run). `equity.png` draws the trajectories:

# %%
print(json.dumps(summary["first_year_standard_met"], indent=1))
show(run / "equity.png")

# %% [markdown]
# The same run from Python: `EducationModel` takes the same preset, seed (`rng`) and
# parameters, and the same seed gives the same tables.

# %%
from sim import EducationModel  # noqa: E402

model = EducationModel(region=REGION, rng=1)
model.run(YEARS)
api_ts = model.timeseries()
same = api_ts["urban_rural_gap"].to_numpy() == ts["urban_rural_gap"].to_numpy()
print("the Python run's urban-rural gap equals the command's in "
      f"{same.sum()} of {len(same)} years")

# %% [markdown]
# ## 2. One lever over several seeds, against the same-seed baselines
#
# A single run mixes the policy's effect with chance: which teachers leave, which families
# move. edusim gives every process its own random stream per seed, and a run with a policy also
# runs the **same seed without the policy** (the same-seed baseline). The difference between
# the two is the policy's effect for that seed with most of the chance removed (common random
# numbers). Repeating over seeds gives the spread of the effect, hence a 95% interval.
#
# Here: teacher rotation (交流轮岗) at its default settings, over `SEEDS` seeds, as a multirun
# (the runs go to the cores in parallel).

# %%
sh(f"edusim --multirun +policy=teacher_rotation 'seed=range({SEEDS})' region={REGION} "
   f"years={YEARS} hydra.sweep.dir={OUT}/rotation", tail=4)

# %% [markdown]
# Every run folder now also holds `baseline_timeseries.parquet` and, in `summary.json`, a
# `vs_baseline` block: the last year's value of each measure with and without the policy,
# their difference and, for the equity measures, the gain per million yuan. One row per seed:

# %%
rows = []
for folder in sorted((OUT / "rotation").glob("[0-9]*"), key=lambda p: int(p.name)):
    s = json.loads((folder / "summary.json").read_text())
    vs = s["vs_baseline"]
    rows.append({"seed": s["seed"],
                 "gap, baseline": vs["equity"]["urban_rural_gap"]["baseline"],
                 "gap, rotation": vs["equity"]["urban_rural_gap"]["policy"],
                 "change in gap": vs["equity"]["urban_rural_gap"]["change"],
                 "change in mean achievement": vs["mean_achievement"]["change"],
                 "cost (m yuan)": vs["total_policy_cost_yuan"] / 1e6})
per_seed = pd.DataFrame(rows)
per_seed.round(3)

# %% [markdown]
# The effect is the mean of the per-seed changes; its 95% interval is the t-interval across
# seeds (`experiments.aggregate.mean_ci`, the function `edusim-aggregate` uses):

# %%
from experiments.aggregate import mean_ci  # noqa: E402

gap = mean_ci(per_seed["change in gap"])
quality = mean_ci(per_seed["change in mean achievement"])
cost = mean_ci(per_seed["cost (m yuan)"])
print(f"change in the urban-rural gap in year {YEARS}: {gap['mean']:+.3f} SD, "
      f"95% interval {interval(gap['ci_low'], gap['ci_high'])} ({gap['n']} seeds)")
print(f"change in mean achievement: {quality['mean']:+.3f} SD, "
      f"95% interval {interval(quality['ci_low'], quality['ci_high'])}")
print(f"cost over {YEARS} years: {cost['mean']:.2f} million yuan on average")
print()
print("The interval of the gap change "
      + sign_words(gap["ci_low"], gap["ci_high"], "rotation narrowed the urban-rural gap "
                   "in this county.", "rotation widened the urban-rural gap in this county."))
print("The interval of the change in mean achievement "
      + sign_words(quality["ci_low"], quality["ci_high"], "the equity came with lower "
                   "achievement (levelling down).", "achievement rose as well."))

# %% [markdown]
# The yearly path shows when the effect builds up. Solid lines are the runs with rotation,
# dashed lines their same-seed baselines (one colour per seed):

# %%
fig, ax = plt.subplots(figsize=(7, 3.6))
for i, folder in enumerate(sorted((OUT / "rotation").glob("[0-9]*"), key=lambda p: int(p.name))):
    pol = pd.read_parquet(folder / "timeseries.parquet")
    base = pd.read_parquet(folder / "baseline_timeseries.parquet")
    ax.plot(pol.year, pol.urban_rural_gap, color=f"C{i}", label=f"seed {folder.name}")
    ax.plot(base.year, base.urban_rural_gap, color=f"C{i}", ls="--", alpha=0.7)
ax.set(xlabel="year", ylabel="urban-rural gap (year-0 SD)",
       title="teacher rotation (solid) against the same-seed baseline (dashed)")
ax.legend(fontsize=8, ncol=SEEDS, loc="lower left")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 3. A small sweep: tables and a figure
#
# A sweep runs a grid of settings over seeds. `configs/sweep/rotation_rate.yaml` declares
# rotation rates from none to 30% of eligible teachers a year over 10 seeds; the command line
# narrows it to three rates and `SEEDS` seeds. The rate 0 arm is the policy switched on at zero
# intensity, which by design reproduces the baseline (the tables below show its changes).

# %%
RATES = "0.0,0.1,0.2"
sweep = OUT / "sweep"
sh(f"edusim +sweep=rotation_rate region={REGION} years={YEARS} 'seed=range({SEEDS})' "
   f"policies.teacher_rotation.rate={RATES} hydra.sweep.dir={sweep}", tail=3)

# %% [markdown]
# `edusim-aggregate` reads every complete run, pairs each with its same-seed baseline and
# writes tidy tables to `SWEEP/aggregate/`; its printout is the arms table: per arm, the mean
# cost, the change in the urban–rural gap and in mean achievement with their 95% intervals
# across seeds, and the first year the 2017 test is met (median, and the share of seeds that
# met it).

# %%
sh(f"edusim-aggregate {sweep}")

# %% [markdown]
# The tables, for your own analysis:
#
# - `runs.parquet`: every run's yearly measures with its settings;
# - `summary.csv`: mean and 95% interval across seeds of every measure, per arm and year (the
#   trajectories with bands);
# - `last_year.csv`: the same for the last year;
# - `per_run.csv`: each run's change against its baseline;
# - `arms.csv`: one row per arm: first-pass years, cost, changes and gains per million yuan;
# - `effects.csv`: the same changes in long form (`arm`, `measure`, `mean`, `ci_low`,
#   `ci_high`).
#
# The main columns of `arms.csv`:

# %%
arms = pd.read_csv(sweep / "aggregate" / "arms.csv")
rate_col = "policies.teacher_rotation.rate"
cols = {rate_col: "rate", "n_runs": "seeds", "total_policy_cost_yuan_mean": "cost (yuan)",
        "change_urban_rural_gap_mean": "Δ gap", "change_urban_rural_gap_ci_low": "Δ gap low",
        "change_urban_rural_gap_ci_high": "Δ gap high",
        "change_mean_achievement_mean": "Δ quality",
        "change_mean_achievement_ci_low": "Δ quality low",
        "change_mean_achievement_ci_high": "Δ quality high",
        "gain_per_million_yuan_urban_rural_gap_mean": "gap gain per m yuan"}
arms[list(cols)].rename(columns=cols).round(3)

# %% [markdown]
# Read per arm, from the table (printed from the same columns):

# %%
for _, a in arms.iterrows():
    if a[rate_col] == 0:
        zero = a["change_urban_rural_gap_mean"] == 0 and a["change_mean_achievement_mean"] == 0
        print(f"rate {a[rate_col]:g}: the zero-intensity arm; its changes are "
              + ("exactly zero (common random numbers: the same runs as the baselines)" if zero
                 else "not zero: the policy at zero intensity did not reproduce the baseline"))
        continue
    print(f"rate {a[rate_col]:g}: gap change {a['change_urban_rural_gap_mean']:+.3f}, interval "
          + sign_words(a["change_urban_rural_gap_ci_low"], a["change_urban_rural_gap_ci_high"],
                       "narrower gap.", "wider gap."))
    print(f"          quality change {a['change_mean_achievement_mean']:+.3f}, interval "
          + sign_words(a["change_mean_achievement_ci_low"], a["change_mean_achievement_ci_high"],
                       "lower achievement.", "higher achievement."))
paid = arms[arms[rate_col] > 0].sort_values(rate_col)
per_m = paid["gain_per_million_yuan_urban_rural_gap_mean"].to_numpy()
if len(per_m) >= 2:
    trend = ("falls" if (per_m[1:] < per_m[:-1]).all() else
             "rises" if (per_m[1:] > per_m[:-1]).all() else "does not move one way")
    print(f"The narrowing of the gap per million yuan {trend} as the rate rises "
          f"({', '.join(f'{v:.3f}' for v in per_m)}).")

# %% [markdown]
# Two arms can be compared directly, paired by seed: `--compare A B` reports A − B in the last
# year with its 95% interval (and writes `differences.csv`). Does the higher rate buy more
# than the middle one?

# %%
high, mid = RATES.split(",")[-1], RATES.split(",")[-2]
sh(f"edusim-aggregate {sweep} --compare {rate_col}={high} {rate_col}={mid}",
   start="difference A", grep=r"^(difference|  A|  B|  mean achievement|  urban-rural|  total)")
diff = pd.read_csv(sweep / "aggregate" / "differences.csv").set_index("measure")
for measure, down, up in (("urban_rural_gap", "the higher rate narrows the gap further.",
                           "the higher rate leaves a wider gap."),
                          ("mean_achievement", "the higher rate costs achievement.",
                           "the higher rate raises achievement.")):
    d = diff.loc[measure]
    print(f"rate {high} minus rate {mid}, {d['label']}: {d['mean']:+.3f}, interval "
          + sign_words(d["ci_low"], d["ci_high"], down, up))

# %% [markdown]
# `edusim-figures` draws the brief's figures into `SWEEP/figures/` (aggregating first if
# needed): trajectories with 95% bands, the official CVs against their limits, the
# equity–quality trade-off, first-pass years, cost-effectiveness, and a heatmap for
# two-parameter sweeps (skipped here, as it says).

# %%
sh(f"edusim-figures {sweep}")

# %% [markdown]
# The trade-off figure, `policy_comparison.png`: each point is an arm (its label is the
# setting). Right of zero the policy narrowed the urban–rural gap against the same-seed
# baseline; above zero it raised mean achievement. The bars are 95% intervals across seeds, so
# a bar crossing an axis line means these seeds cannot tell that effect from none. The colour
# is the total cost. A policy worth proposing sits to the right without falling clearly below
# zero; among those, the cheaper the better.

# %%
show(sweep / "figures" / "policy_comparison.png")

# %% [markdown]
# ## 4. The official verdict: the 2017 and 2012 county tests
#
# The Ministry of Education judges a county by two tests (sources in `docs/sources.md`): the
# 2017 high-quality balance test (优质均衡: every one of 7 indicators' difference coefficients
# within its limit, and every school meeting at least 6 of the 7 standards with the missed one
# at 85% of its standard or more) and the 2012 basic balance test (基本均衡: the mean of 8
# difference coefficients within its limit). `edusim-evaluate` applies them to a county's
# school table, here the example table:

# %%
sh("edusim-evaluate examples/county_schools.csv --level junior --standard both")

# %% [markdown]
# `--json` gives the same for programs. The verdict per level and test:

# %%
report = json.loads(capture("edusim-evaluate examples/county_schools.csv --level both "
                           "--standard both --json"))
verdicts = pd.DataFrame([{"level": r["level"], "test": r["standard"], "CV limit": r["limit"],
                          "passed": r["passed"], "indicators over the limit":
                          ", ".join(r["above_limit"]) or "none",
                          "schools not complying": len(r["non_compliant_schools"])
                          if r["standard"] == "quality" else "–"}
                         for r in report["results"]])
display(verdicts)

# %% [markdown]
# A run applies the same tests to its own school table **every year**. The columns of
# `timeseries.parquet` hold each year's verdict; for the baseline run of section 1:

# %%
verdict_cols = {"quality_cv_passed_primary": "2017 CVs ok, primary",
                "quality_cv_passed_junior": "2017 CVs ok, junior",
                "quality_schools_complying_primary": "schools complying, primary",
                "quality_schools_complying_junior": "schools complying, junior",
                "quality_passed": "2017 passed",
                "basic_mean_cv_primary": "2012 mean CV, primary",
                "basic_mean_cv_junior": "2012 mean CV, junior",
                "basic_passed": "2012 passed"}
ts[["year", *verdict_cols]].rename(columns=verdict_cols).round(3)

# %%
met = summary["first_year_standard_met"]
for key, name in (("quality", "The 2017 high-quality test"), ("basic", "The 2012 basic test")):
    when = (f"is first met in year {met[key]}" if met[key] is not None
            else f"is not met in any year from 0 to {YEARS}")
    print(f"{name} {when} in this run (seed {summary['seed']}).")

# %% [markdown]
# The yearly verdict is `edusim-evaluate`'s test applied to that year's school table. The
# Python API shows it: `sim.evaluation.evaluate` on the last year of `schools.parquet` gives
# the verdict the run recorded.

# %%
from sim.evaluation import evaluate  # noqa: E402

for level in ("primary", "junior"):
    r = evaluate(last, level, "quality")
    recorded = bool(ts.loc[ts.year == YEARS, f"quality_passed_{level}"].iloc[0])
    worst = max(abs(r.cv[k] - ts.loc[ts.year == YEARS, f"cv_{level}_{k}"].iloc[0])
                for k in r.cv)
    print(f"{level}: evaluate() says passed={r.passed}, the run recorded {recorded}; "
          f"largest CV difference {worst:.1e}; over the limit: "
          f"{', '.join(r.above_limit) or 'none'}")

# %% [markdown]
# One run's first-pass year is one draw of chance: report the share of seeds that pass by a
# given year, as `edusim-aggregate` does, rather than the year of one run (`docs/calibration.md`
# examines how much it varies).
#
# ## 5. Designing a policy mix: `edusim-design`
#
# The question a county brings: *which combination of levers reaches our target by year Y at
# the lowest cost, without lowering mean achievement?* A target in `configs/target/` states the
# levers and their ranges, the conditions to meet in year Y, in how many seeds, and the
# objective. The built-in `smoke` target is deliberately small (the tiny county, a few years,
# two seeds, a handful of trials):

# %%
sh("edusim-design +target=smoke --cfg job --package design")

# %% [markdown]
# Each trial is a mix of levers (`design.space`), run on every seed with its same-seed
# baseline; an Optuna study, kept in `SWEEP/study.db`, chooses the next mix from the results so
# far. The command prints one line per trial and then the brief (shown below as the Markdown it
# is). The report goes to `SWEEP/design/`: `brief.md`, `summary.json`, `trials.csv`,
# `best.csv`, `pareto.csv` and two figures.

# %%
design = OUT / "design"
sh(f"edusim-design +target=smoke hydra.sweep.dir={design}", grep=r"^\[edusim-design\]")

# %%
display(Markdown((design / "design" / "brief.md").read_text()))

# %%
dsum = json.loads((design / "design" / "summary.json").read_text())
if dsum["feasible"]:
    b = dsum["best"]
    print(f"{dsum['feasible_trials']} of {dsum['trials']} trials met the target; the cheapest "
          f"costs {b['cost_million_yuan']['mean']:.2f} ± {b['cost_million_yuan']['ci95']:.2f} "
          f"million yuan and met it in {b['pass_share']:.0%} of the seeds.")
else:
    c = dsum["closest"]
    print(f"None of the {dsum['trials']} trials met the target: it is reported infeasible; "
          f"the closest mix ({c['mix']}) met it in {c['pass_share']:.0%} of the seeds.")

# %% [markdown]
# A real search uses a target like `+target=default_county`: the default county, ten years,
# five seeds and tens of trials (`design.n_trials=...`), which takes far longer. The search is
# resumable: run it again into the same `hydra.sweep.dir` with more trials and the finished ones
# count without running again; `optuna-dashboard sqlite:///SWEEP/study.db` shows it in a
# browser while it runs. An "infeasible" answer is an answer too: no mix of these levers within
# these ranges reaches the target.
#
# ## 6. Your own county table
#
# The synthetic counties are stand-ins. A county's own school statistics, one row per school
# and level in the format of the official evaluation (CSV or XLSX, English or Chinese headers;
# `docs/county_tables.md` lists the accepted headers), replace them. First check the table:
# `edusim-check-county` reads and checks it exactly as a run does, without running anything.

# %%
sh("edusim-check-county examples/county_schools.csv")

# %% [markdown]
# Your table may lack columns the model can do without. Here we drop the school locations
# (`x`, `y`) from the example, as many statistical tables have none, and make a second copy
# with two mistakes to see how errors look:

# %%
table = pd.read_csv("examples/county_schools.csv")
mine = OUT / "my_county.csv"
table.drop(columns=["x", "y"]).to_csv(mine, index=False)
broken = table.copy()
broken.loc[2, "students"] = -5
broken.loc[4, "tier"] = "metro"
broken.to_csv(OUT / "broken_county.csv", index=False)
sh(f"edusim-check-county {mine}")
sh(f"edusim-check-county {OUT}/broken_county.csv", expect=2)

# %% [markdown]
# A mistake stops every command with exit code 2 and one message listing every problem by
# line and column; nothing is run or written. The checked table runs with `region=file`.
# Whatever the table does not give is synthesised, and the run says what (also in
# `summary.json` under `county.synthesised`). Teachers by qualification, title, subject and
# age, pupils by grade, and each tier's mean SES and shares of left-behind and migrant pupils
# can come from extra tables (`region.teachers_path`, `region.grades_path`,
# `region.tiers_path`; see `pydoc sim.county_table`).

# %%
sh(f"edusim region=file region.path={mine} years=5 hydra.run.dir={OUT}/my_county")

# %%
own = json.loads((OUT / "my_county" / "summary.json").read_text())
print(json.dumps(own["county"], indent=1, ensure_ascii=False))

# %% [markdown]
# Year 0 of such a run reproduces the table, so its year-0 verdict is `edusim-evaluate`'s on
# the same table:

# %%
own_ts = pd.read_parquet(OUT / "my_county" / "timeseries.parquet")
year0 = own_ts[own_ts.year == 0].iloc[0]
diffs = [abs(r["cv"][k] - year0[f"cv_{r['level']}_{k}"])
         for r in report["results"] if r["standard"] == "quality" for k in r["cv"]]
agree = all(
    bool(year0[f"quality_passed_{r['level']}"]) == r["passed"]
    for r in report["results"] if r["standard"] == "quality")
print(f"2017 CVs, run's year 0 against edusim-evaluate: largest difference {max(diffs):.1e}; "
      f"verdicts {'agree' if agree else 'DIFFER'} at both levels")

# %% [markdown]
# From here every command above works on your county: add `region=file region.path=...` to a
# policy run, a sweep or a design target.
#
# ## 7. Into a brief
#
# A brief states the question, the answer with its uncertainty and what it rests on. The cell
# below writes one from the results above; every number and direction in it is read from the
# outputs, so it stays right when you change the settings at the top and run again.

# %%
best_arm = paid.loc[paid["change_urban_rural_gap_mean"].idxmin()]
lines = [
    f"**Question.** What does teacher rotation do to the urban–rural achievement gap of the "
    f"{REGION} county within {YEARS} years, at what cost and at what cost to quality?",
    "",
    f"**Default rotation** ({SEEDS} seeds, each against its same-seed baseline): gap change "
    f"{gap['mean']:+.3f} SD {interval(gap['ci_low'], gap['ci_high'])}, mean achievement "
    f"change {quality['mean']:+.3f} SD {interval(quality['ci_low'], quality['ci_high'])}, "
    f"cost {cost['mean']:.2f} million yuan over {YEARS} years.",
    "",
    f"**Rates compared** (rates {RATES}): "
    + ("the largest mean narrowing came at rate" if best_arm["change_urban_rural_gap_mean"] < 0
       else "no rate narrowed the gap on average; the least widening came at rate")
    + f" {best_arm[rate_col]:g} ({best_arm['change_urban_rural_gap_mean']:+.3f} SD "
    + interval(best_arm["change_urban_rural_gap_ci_low"],
               best_arm["change_urban_rural_gap_ci_high"])
    + f", {best_arm['total_policy_cost_yuan_mean'] / 1e6:.2f} million yuan).",
    "",
    f"**Official tests** (baseline run, seed {summary['seed']}): 2017 test "
    + (f"first met in year {met['quality']}" if met["quality"] is not None
       else f"not met in years 0–{YEARS}")
    + ", 2012 test " + (f"first met in year {met['basic']}" if met["basic"] is not None
                        else f"not met in years 0–{YEARS}") + ".",
    "",
    "**Caveats.** A small county, few seeds and few years: a demonstration of the method, "
    "not evidence. Before citing a result, rerun on the county of interest with 10 or more "
    "seeds over 20–30 years, and sweep the parameters it depends on (`docs/calibration.md`).",
]
display(Markdown("\n".join(lines)))
