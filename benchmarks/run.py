"""Benchmark: the main model against the naive per-agent Mesa model and the numpy floor.

    python -m benchmarks.run [--quick] [--repeat N] [--sweep] [--uncertainty] [--json PATH]
                             [--only {county-table,startup}]

Every workload runs in its own fresh Python process (``--worker SPEC``), so that peak memory
is that workload's: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the worker (whole
process, including the interpreter, numpy, pandas and mesa), and also shown above the
worker's RSS right after its imports. Times are wall clock (``time.perf_counter``), from
model construction to the last year's metrics, imports excluded (imports are timed in a
separate fresh process). Student-years = the sum over simulated years 1..N of the pupils
at the end of each year. ``--json PATH`` also writes every figure printed, as one JSON object
(:data:`JSON_KEYS`; a figure that could not be measured is ``null``), once the whole
benchmark has run. ``--only county-table`` runs one part alone: loading a county table of
10,000 rows (:mod:`benchmarks.county_table`); ``--only startup``: the start-up of the
console scripts (:mod:`benchmarks.startup`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.targets import TARGETS, print_targets

ROOT = Path(__file__).resolve().parent.parent

#: years of the naive model on county_l (the like-for-like ratio): a county_l year takes it
#: 1.3-2.0 s (measured on a 2-core machine), so 30 years, the main model's, take 40-60 s
NAIVE_COUNTY_L_YEARS = 30

#: the top-level keys of the ``--json`` report (each holds the figures of one printed part)
JSON_KEYS = ("benchmark", "imports", "workloads", "ratios", "by_size", "step", "record",
             "year_by_part", "agent_views", "browser_view", "county_table", "startup", "sweep",
             "uncertainty", "targets")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ======================================================================================
# worker side (one workload per process)
# ======================================================================================
def _worker(spec: dict) -> dict:
    if spec["kind"] == "imports":
        t0 = time.perf_counter()
        import mesa  # noqa: F401
        t1 = time.perf_counter()
        import sim  # noqa: F401
        import sim.policies  # noqa: F401
        t2 = time.perf_counter()
        return {"import_mesa_s": t1 - t0, "import_sim_after_mesa_s": t2 - t1,
                "rss_after_imports_mib": _rss_mib()}

    if spec["kind"] in ("viz", "agents", "phases"):
        from benchmarks import probes

        return getattr(probes, f"{spec['kind']}_worker")(spec)
    if spec["kind"] == "county_table":
        from benchmarks.county_table import county_table_worker

        return county_table_worker(spec)

    import numpy as np

    import sim.policies
    from sim import EducationModel

    if spec["kind"] != "main":
        from benchmarks.common import initial_state, params
        from benchmarks.floor import Floor
        from benchmarks.naive import NaiveModel
    rss0 = _rss_mib()
    kw = dict(spec.get("overrides", {}))
    if spec.get("region"):
        kw["region"] = spec["region"]
    years = spec["years"]
    pol_main = {name: {} for name in sim.policies.POLICIES}
    pol_rot = {"teacher_rotation": {}}
    out: dict = {"rss_after_imports_mib": rss0}

    if spec["kind"] == "main":  # policies: True (all), "rotation" (the naive model's one) or none
        pol = (pol_main if spec["policies"] is True
               else pol_rot if spec["policies"] == "rotation" else {})
        t0 = time.perf_counter()
        m = EducationModel(rng=spec["seed"], policies=pol, **kw)
        t1 = time.perf_counter()
        record_s = [0.0]
        record = m.record_year

        def timed_record() -> None:  # the year's metrics and per-school table
            a = time.perf_counter()
            record()
            record_s[0] += time.perf_counter() - a

        m.record_year = timed_record
        steps = []
        for _ in range(years):
            a = time.perf_counter()
            m.step()  # includes the year's metrics (EducationModel.record_year)
            steps.append(time.perf_counter() - a)
        t2 = time.perf_counter()
        students = m.timeseries()["students"].to_numpy()
        out.update(build_s=t1 - t0, steps_s=t2 - t1, total_s=t2 - t0,
                   step_ms=[1000 * s for s in steps], students0=int(students[0]),
                   record_s=record_s[0],
                   views_made=m.views.count())
        out["student_years"] = int(students[1:].sum())
    elif spec["kind"] == "naive":
        pol = pol_rot if spec["policies"] else {}
        t0 = time.perf_counter()
        n = NaiveModel(rng=spec["seed"], policies=pol, **kw)  # builds the main model's year 0
        t1 = time.perf_counter()
        n.run(years)
        t2 = time.perf_counter()
        students = n.timeseries()["students"].to_numpy()
        out.update(build_s=t1 - t0, steps_s=t2 - t1, total_s=t2 - t0,
                   students0=int(students[0]), student_years=int(students[1:].sum()))
    elif spec["kind"] == "floor":
        pol = pol_rot if spec["policies"] else {}
        m = EducationModel(rng=spec["seed"], policies=pol, **kw)
        state, p = initial_state(m), params(m)
        del m
        t1 = time.perf_counter()
        f = Floor(state, p, spec["seed"] + 1)
        recs = f.run(years)
        t2 = time.perf_counter()
        students = np.array([r[1] for r in recs])
        # the floor has no construction of its own: its time is the yearly loop
        out.update(build_s=0.0, steps_s=t2 - t1, total_s=t2 - t1,
                   students0=int(students[0]), student_years=int(students[1:].sum()))
    out["peak_rss_mib"] = _rss_mib()
    return out


# ======================================================================================
# driver
# ======================================================================================
def _spawn(spec: dict, timeout: float = 900.0) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-m", "benchmarks.run", "--worker", json.dumps(spec)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _workloads(quick: bool) -> list[tuple[str, dict]]:
    def w(kind, region, years, policies, overrides=None):
        return {"kind": kind, "region": region, "years": years, "policies": policies,
                "seed": 1, "overrides": overrides or {}}

    if quick:
        return [
            ("main tiny 10y, all policies", w("main", "tiny", 10, True)),
            ("main tiny 10y, rotation", w("main", "tiny", 10, "rotation")),
            ("main tiny 10y, no policies", w("main", "tiny", 10, False)),
            ("naive tiny 10y, rotation", w("naive", "tiny", 10, True)),
            ("naive tiny 10y, no policies", w("naive", "tiny", 10, False)),
            ("floor tiny 10y, rotation", w("floor", "tiny", 10, True)),
            ("main default 3y, all policies", w("main", "default", 3, True)),
            ("main default 3y, rotation", w("main", "default", 3, "rotation")),
            ("floor default 3y, rotation", w("floor", "default", 3, True)),
        ]
    big = lambda n, s: {"region__n_students": n, "region__n_schools": s}  # noqa: E731
    return [
        ("main county_l 30y, all policies", w("main", "county_l", 30, True)),
        ("main county_l 30y, rotation", w("main", "county_l", 30, "rotation")),
        ("main county_l 30y, no policies", w("main", "county_l", 30, False)),
        ("floor county_l 30y, rotation", w("floor", "county_l", 30, True)),
        (f"naive county_l {NAIVE_COUNTY_L_YEARS}y, rotation",
         w("naive", "county_l", NAIVE_COUNTY_L_YEARS, True)),
        ("main default 20y, all policies", w("main", "default", 20, True)),
        ("main default 20y, rotation", w("main", "default", 20, "rotation")),
        ("main default 20y, no policies", w("main", "default", 20, False)),
        ("naive default 20y, rotation", w("naive", "default", 20, True)),
        ("naive default 20y, no policies", w("naive", "default", 20, False)),
        ("floor default 20y, rotation", w("floor", "default", 20, True)),
        ("main tiny 20y, all policies", w("main", "tiny", 20, True)),
        ("main tiny 20y, rotation", w("main", "tiny", 20, "rotation")),
        ("main tiny 20y, no policies", w("main", "tiny", 20, False)),
        ("naive tiny 20y, rotation", w("naive", "tiny", 20, True)),
        ("naive tiny 20y, no policies", w("naive", "tiny", 20, False)),
        ("main 250k/250 schools 30y, all policies",
         w("main", None, 30, True, big(250_000, 250))),
        ("main 500k/500 schools 30y, all policies",
         w("main", None, 30, True, big(500_000, 500))),
        ("main 1M/1000 schools 30y, all policies",
         w("main", None, 30, True, big(1_000_000, 1000))),
        ("main 1M/1000 schools 30y, no policies",
         w("main", None, 30, False, big(1_000_000, 1000))),
        ("floor 1M/1000 schools 30y, rotation",
         w("floor", None, 30, True, big(1_000_000, 1000))),
    ]


def _fmt(x: float, nd: int = 2) -> str:
    return "n/a" if x is None or x != x else f"{x:,.{nd}f}"


def _json_ready(x):
    """The report with every NaN or infinity (a figure that could not be measured) as None,
    so that the file is strict JSON."""
    if isinstance(x, float):
        return x if x == x and abs(x) != float("inf") else None
    if isinstance(x, dict):
        return {k: _json_ready(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_ready(v) for v in x]
    return x


def json_path_problem(path: str) -> str | None:
    """Why ``--json PATH`` cannot be written (checked before anything runs), or None."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        return f"--json {path}: is a directory; give a file name, e.g. {target / 'bench.json'}"
    if not parent.is_dir():
        return f"--json {path}: the folder {parent} does not exist"
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        return f"--json {path}: cannot write there (no permission)"
    from sim.terminal import output_dir_problem  # what the bits do not tell: /proc, read-only

    return output_dir_problem(parent, f"--json {path}")


def write_json(path: str, report: dict) -> None:
    """Write the report atomically (a temporary file beside it, then renamed)."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(_json_ready(report), indent=1, allow_nan=False) + "\n",
                   encoding="utf-8")
    tmp.replace(target)


def _median(xs: list[float]) -> float:
    return sorted(xs)[len(xs) // 2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small smoke version (tiny county)")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run every workload N times, in N rounds over all workloads, and "
                         "keep each one's fastest run (on a machine whose speed drifts: the "
                         "rounds spread the drift over all workloads alike); default 1")
    ap.add_argument("--sweep", action="store_true",
                    help="also time a real sweep end to end: 200 county_l runs (20 rotation "
                         "rates x 10 seeds, 30 years) with the workstation launcher (about 2 "
                         "minutes here; with --quick: 4 short tiny runs)")
    ap.add_argument("--uncertainty", action="store_true",
                    help="also time edusim-uncertainty end to end: 200 parameter sets x 5 seeds "
                         "x (rotation, baseline) = 2,000 default-county runs of 20 years, beside "
                         "a plain sweep of 100 such runs (about 8 minutes here; with --quick: "
                         "16 tiny runs)")
    ap.add_argument("--json", metavar="PATH",
                    help="also write every figure printed to PATH as one JSON object "
                         "(written once the whole benchmark has run)")
    ap.add_argument("--only", choices=["county-table", "startup"],
                    help="run only this part: startup, the console scripts' start-up (edusim "
                         "--help, a tiny one-year run, edusim-evaluate), or county-table, "
                         "loading a county table of 10,000 "
                         "rows (1.1 M pupils) and one year, with its targets")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error(f"--repeat must be an integer >= 1, got {args.repeat}")
    if args.json and (problem := json_path_problem(args.json)):
        ap.error(problem)
    if args.worker:
        print(json.dumps(_worker(json.loads(args.worker))))
        return 0

    import platform

    rounds = (f"; the fastest of {args.repeat} runs of each, in {args.repeat} rounds over "
              f"all workloads" if args.repeat > 1 else "")
    print(f"edusim benchmark ({'quick' if args.quick else 'full'}); Python "
          f"{platform.python_version()}, {os.cpu_count()} CPUs; seed 1; one fresh process "
          f"per workload run{rounds}")
    report: dict = {
        "benchmark": {"mode": "quick" if args.quick else "full", "repeat": args.repeat,
                      "sweep": args.sweep, "uncertainty": args.uncertainty,
                      "python": platform.python_version(),
                      "cpus": os.cpu_count(), "seed": 1},
        "imports": None, "workloads": {}, "ratios": {}, "by_size": [], "step": None, "record": None,
        "year_by_part": None, "agent_views": None, "browser_view": None, "county_table": None,
        "startup": None,
        "sweep": None, "uncertainty": None, "targets": None,
    }
    if args.only:
        return _only(args, report)
    imp = _spawn({"kind": "imports"})
    report["imports"] = imp
    print(f"imports (fresh process, not counted below): import mesa {imp['import_mesa_s']:.2f} s, "
          f"then import sim (+ policies) {imp['import_sim_after_mesa_s']:.2f} s; "
          f"RSS after imports {imp['rss_after_imports_mib']:.0f} MiB")
    print("time = model construction to the last year's metrics (floor: yearly loop only, "
          "from the copied year-0 state); memory = ru_maxrss of the worker process (whole "
          "process), and its rise above the RSS after imports\n")
    head = (f"{'workload':42s} {'pupils0':>9s} {'build s':>8s} {'steps s':>8s} {'total s':>8s} "
            f"{'stud-yr/s':>11s} {'ns/stud-yr':>10s} {'peak MiB':>9s} {'+MiB':>6s}")
    print(head)
    print("-" * len(head))
    res: dict[str, dict] = {}
    workloads = _workloads(args.quick)
    def faster(best: dict | None, r: dict) -> dict:  # a run without error, then the fastest
        if best is None or "error" in best or ("error" not in r and r["total_s"] < best["total_s"]):
            return r
        return best

    for k in range(1, args.repeat):  # the earlier rounds, silent
        for name, spec in workloads:
            print(f"  (round {k} of {args.repeat}: {name})", file=sys.stderr, flush=True)
            res[name] = faster(res.get(name), _spawn(spec))
    for name, spec in workloads:  # the last round prints each workload's fastest run
        r = res[name] = faster(res.get(name), _spawn(spec))
        if "error" in r:
            print(f"{name:42s} ERROR: {r['error']}")
            report["workloads"][name] = {"error": r["error"]}
            continue
        r["ns_per_sy"] = 1e9 * r["total_s"] / max(r["student_years"], 1)
        r["steps_ns_per_sy"] = 1e9 * r["steps_s"] / max(r["student_years"], 1)
        report["workloads"][name] = {
            "kind": spec["kind"], "region": spec["region"], "years": spec["years"],
            "pupils0": r["students0"], "build_s": r["build_s"], "steps_s": r["steps_s"],
            "total_s": r["total_s"], "student_years": r["student_years"],
            "student_years_per_s": r["student_years"] / r["total_s"],
            "ns_per_student_year": r["ns_per_sy"],
            "steps_ns_per_student_year": r["steps_ns_per_sy"],
            "peak_mib": r["peak_rss_mib"], "rss_after_imports_mib": r["rss_after_imports_mib"],
            "above_imports_mib": r["peak_rss_mib"] - r["rss_after_imports_mib"],
            **({"step_ms": r["step_ms"], "record_s": r["record_s"],
                "views_made": r["views_made"]} if "step_ms" in r else {}),
        }
        print(f"{name:42s} {r['students0']:9,d} {r['build_s']:8.2f} {r['steps_s']:8.2f} "
              f"{r['total_s']:8.2f} {r['student_years'] / r['total_s']:11,.0f} "
              f"{r['ns_per_sy']:10,.0f} {r['peak_rss_mib']:9.0f} "
              f"{r['peak_rss_mib'] - r['rss_after_imports_mib']:6.0f}")
        sys.stdout.flush()
    if not args.quick:
        print(f"\n(the naive model runs county_l for {NAIVE_COUNTY_L_YEARS} years, as the main "
              "model, and tiny and default for 20;\n ratios to it compare per-student-year "
              "costs)")

    # ---- ratios and targets -----------------------------------------------------------
    def g(name: str, key: str = "ns_per_sy") -> float:
        r = res.get(name, {})
        return r.get(key, float("nan"))

    print("\nratios (per student-year; like for like = the same rules: core processes and "
          "teacher rotation, or the core alone)")
    # (county, main years, naive years, pairs of policies); the first pair is the target's
    both = (("rotation", "rotation"), ("no policies", "no policies"),
            ("all policies", "rotation"))
    pairs = ([("tiny", 10, 10, both)] if args.quick else
             [("county_l", 30, NAIVE_COUNTY_L_YEARS, both[::2]), ("tiny", 20, 20, both),
              ("default", 20, 20, both)])
    for county, my, ny, policies in pairs:
        for pm, pn in policies:
            a, b = g(f"main {county} {my}y, {pm}"), g(f"naive {county} {ny}y, {pn}")
            report["ratios"].setdefault("naive_over_main", []).append(
                {"county": county, "years": my, "naive_years": ny, "main": pm, "naive": pn,
                 "ratio": b / a, "main_ns": a, "naive_ns": b})
            print(f"  naive/main {county} ({pm} vs naive {pn}): {_fmt(b / a, 1)}x "
                  f"(main {_fmt(a, 0)} ns, naive {_fmt(b, 0)} ns per student-year"
                  + (f"; main {my} years, naive {ny}" if my != ny or county == "county_l"
                     else "") + ")")
    if args.quick:
        floors = [("tiny 10y", "main tiny 10y, rotation", "floor tiny 10y, rotation"),
                  ("tiny 10y", "main tiny 10y, all policies", "floor tiny 10y, rotation"),
                  ("default 3y", "main default 3y, rotation", "floor default 3y, rotation")]
    else:
        floors = [("county_l 30y", "main county_l 30y, rotation", "floor county_l 30y, rotation"),
                  ("county_l 30y", "main county_l 30y, all policies",
                   "floor county_l 30y, rotation"),
                  ("default 20y", "main default 20y, rotation", "floor default 20y, rotation"),
                  ("1M 30y", "main 1M/1000 schools 30y, all policies",
                   "floor 1M/1000 schools 30y, rotation")]
    for label, mn, fn in floors:
        report["ratios"].setdefault("main_over_floor", []).append(
            {"label": label, "main": mn, "floor": fn, "total": g(mn) / g(fn),
             "steps_only": g(mn, "steps_ns_per_sy") / g(fn, "steps_ns_per_sy")})
        print(f"  main/floor {label} ({mn.split(', ')[-1]} vs the floor's rotation): total "
              f"{_fmt(g(mn) / g(fn), 1)}x, steps only "
              f"{_fmt(g(mn, 'steps_ns_per_sy') / g(fn, 'steps_ns_per_sy'), 1)}x")
    if not args.quick:
        print("\nmemory and time by county size (main, all policies, 30 years)")
        for name in ("main county_l 30y, all policies", "main 250k/250 schools 30y, all policies",
                     "main 500k/500 schools 30y, all policies",
                     "main 1M/1000 schools 30y, all policies"):
            r = res.get(name, {})
            if "total_s" in r:
                rise = r["peak_rss_mib"] - r["rss_after_imports_mib"]
                report["by_size"].append(
                    {"workload": name, "pupils": r["students0"], "total_s": r["total_s"],
                     "peak_mib": r["peak_rss_mib"], "above_imports_mib": rise,
                     "kib_per_pupil": 1024 * rise / r["students0"]})
                print(f"  {r['students0']:9,d} pupils: {r['total_s']:6.2f} s, peak "
                      f"{r['peak_rss_mib']:6.0f} MiB (+{r['peak_rss_mib'] - r['rss_after_imports_mib']:.0f}"
                      f" MiB above imports; {1024 * (r['peak_rss_mib'] - r['rss_after_imports_mib']) / r['students0']:.2f}"
                      f" KiB per pupil)")

    # ---- targets ----------------------------------------------------------------------
    step_name = "main default 3y, all policies" if args.quick else "main county_l 30y, all policies"
    main_l = res.get(step_name, {})
    steps = main_l.get("step_ms", [])
    if steps:
        srt = sorted(steps)
        report["step"] = {"workload": step_name, "median_ms": srt[len(srt) // 2],
                          "first_ms": steps[0], "max_ms": srt[-1]}
        print(f"\none step incl. metrics, {step_name.split(',')[0]}: median "
              f"{srt[len(srt) // 2]:.0f} ms, first {steps[0]:.0f} ms, max {srt[-1]:.0f} ms")
    if "record_s" in main_l:
        report["record"] = {"workload": step_name, "record_s": main_l["record_s"],
                            "steps_s": main_l["steps_s"],
                            "percent": 100 * main_l["record_s"] / main_l["steps_s"],
                            "views_made": main_l["views_made"]}
        print(f"yearly metrics and per-school table (EducationModel.record_year), {step_name}: "
              f"{main_l['record_s']:.2f} s of {main_l['steps_s']:.2f} s of steps "
              f"({100 * main_l['record_s'] / main_l['steps_s']:.0f}%); agent views made by "
              f"the run: {main_l['views_made']}")
    ph_region = "default" if args.quick else "county_l"
    ph = _spawn({"kind": "phases", "region": ph_region, "years": 5 if args.quick else 30,
                 "seed": 1})
    if "error" in ph:
        report["year_by_part"] = {"region": ph_region, "error": ph["error"]}
        print(f"a year by part: ERROR {ph['error']}")
    else:
        ms = ph["ms"]
        core = ", ".join(f"{k} {ms[k]:.1f}" for k in ("enrolment", "learning", "careers",
                                                      "finance", "record", "school merging")
                         if k in ms)
        pols = sorted(((k.removeprefix("policy:"), v) for k, v in ms.items()
                       if k.startswith("policy:")), key=lambda kv: -kv[1])
        other = ph["total_ms"] - sum(ms.values())
        report["year_by_part"] = {
            "region": ph_region, "years": 5 if args.quick else 30, "policies": "all",
            "total_ms": ph["total_ms"],
            "core_ms": {k: ms[k] for k in ("enrolment", "learning", "careers", "finance",
                                           "record", "school merging") if k in ms},
            "rest_of_step_ms": other, "policies_ms": dict(pols)}
        print(f"a {ph_region} year by part (all policies, ms per year, a run of its own: "
              f"{ph['total_ms']:.0f} ms a year; a derived quantity is charged to whoever "
              f"needs it first): core {core}, the rest of the step {other:.1f}; policies "
              + ", ".join(f"{k} {v:.1f}" for k, v in pols))
    ag_region = "tiny" if args.quick else "county_l"
    ag = _spawn({"kind": "agents", "region": ag_region, "seed": 1})
    if "error" in ag:
        report["agent_views"] = {"region": ag_region, "error": ag["error"]}
        print(f"agent views: ERROR {ag['error']}")
    else:
        n = ag["pupils"] + ag["teachers"]
        report["agent_views"] = {
            "region": ag_region, "pupils": ag["pupils"], "teachers": ag["teachers"],
            "views_s": ag["pupil_views_s"] + ag["teacher_views_s"],
            "us_per_view": 1e6 * (ag["pupil_views_s"] + ag["teacher_views_s"]) / n,
            "views_mib": ag["views_mib"], "read_ns": 1e9 * ag["read_s"] / ag["pupils"],
            "school_lists_s": ag["school_lists_s"], "step_viewed_ms": ag["step_viewed_ms"],
            "step_plain_ms": ag["step_plain_ms"], "same_results": ag["same_year"]}
        print(f"agent views on demand, {ag_region}: a view for each of {ag['pupils']:,} pupils "
              f"and {ag['teachers']:,} teachers {ag['pupil_views_s'] + ag['teacher_views_s']:.2f}"
              f" s ({1e6 * (ag['pupil_views_s'] + ag['teacher_views_s']) / n:.1f} us each, "
              f"+{ag['views_mib']:.0f} MiB), reading an attribute through each pupil's view "
              f"{1e9 * ag['read_s'] / ag['pupils']:.0f} ns, every school's students() list "
              f"{ag['school_lists_s']:.2f} s; the next year with all of them "
              f"alive {ag['step_viewed_ms']:.0f} ms vs {ag['step_plain_ms']:.0f} ms without "
              f"(same results: {ag['same_year']})")
    viz_region = "default" if args.quick else "county_l"
    viz = _spawn({"kind": "viz", "region": viz_region, "years": 5 if args.quick else 12,
                  "seed": 1})
    view_ms = float("nan")
    if "error" in viz:
        report["browser_view"] = {"region": viz_region, "error": viz["error"]}
        print(f"\nbrowser view: ERROR {viz['error']}")
    else:
        total = sorted(a + b + c for a, b, c in zip(viz["step_ms"][2:], viz["data_ms"][2:],
                                                    viz["spec_ms"][2:], strict=True))
        view_ms = total[len(total) // 2]
        med = _median
        report["browser_view"] = {
            "region": viz_region, "years": len(viz["step_ms"]), "policies": viz["policies"],
            "median_of": "years 3 on", "total_ms": view_ms,
            "step_ms": med(viz["step_ms"][2:]), "page_data_ms": med(viz["data_ms"][2:]),
            "specs_ms": med(viz["spec_ms"][2:]), "specs_kib": med(viz["spec_kib"][2:])}
        print(f"\nbrowser view, {viz_region} ({', '.join(viz['policies'])}): one step + page data "
              f"+ chart specs median {view_ms:.0f} ms (step {med(viz['step_ms'][2:]):.0f} ms, "
              f"page data {med(viz['data_ms'][2:]):.0f} ms, the six Vega-Lite specs "
              f"{med(viz['spec_ms'][2:]):.0f} ms, {med(viz['spec_kib'][2:]):.0f} KiB of JSON; "
              f"the browser draws them)")
    from benchmarks import startup
    from benchmarks.county_table import fastest_row, target_rows

    report["county_table"] = fastest_row(args.quick, args.repeat, _spawn)
    report["startup"] = startup.startup_row(args.quick, args.repeat)
    sweep_s = float("nan")
    if args.sweep:
        from benchmarks.sweep import sweep_row

        sw = sweep_row(args.quick)
        report["sweep"] = dict(sw)
        if "error" in sw:
            print(f"\nsweep: ERROR {sw['error']}")
        else:
            sweep_s = sw["seconds"]
            report["sweep"]["s_per_run"] = sweep_s / sw["runs"]
            print(f"\nsweep, end to end (`edusim --multirun`, fresh process): {sw['label']}: "
                  f"{sweep_s:.0f} s ({sweep_s / sw['runs']:.2f} s of wall time per run), "
                  f"{sw['completed']} of {sw['runs']} runs complete"
                  + (f"; the first run started {sw['first_run_s']:.1f} s after the command"
                     if sw.get("first_run_s") is not None else ""))
    unc_s = float("nan")
    if args.uncertainty:
        from benchmarks.uncertainty import uncertainty_row

        un = uncertainty_row(args.quick)
        report["uncertainty"] = un
        if "error" in un:
            print(f"\nuncertainty analysis: ERROR {un['error']}")
        else:
            unc_s = un["seconds"]
            print(f"\nuncertainty analysis, end to end (`edusim-uncertainty`, fresh process): "
                  f"{un['label']}: {unc_s:.0f} s ({un['s_per_run']:.3f} s of wall time per run); "
                  f"a plain sweep of {un['plain_runs']} runs of the same county, years and lever "
                  f"took {un['plain_s_per_run']:.3f} s per run, {un['plain_estimate_s']:.0f} s "
                  f"for {un['runs']} runs ({un['speedup']:.1f}x the analysis's time per run)")
    if args.quick:
        print("\n(quick mode: the speed targets are checked in the full run only)")
        if args.json:
            write_json(args.json, report)
        return 0
    cl = res.get("main county_l 30y, all policies", {})
    mil = res.get("main 1M/1000 schools 30y, all policies", {})
    # like for like: the main model with the naive model's rules (core + rotation), both on
    # county_l, per student-year
    vs_naive = (g(f"naive county_l {NAIVE_COUNTY_L_YEARS}y, rotation")
                / g("main county_l 30y, rotation"))
    vs_floor = g("main county_l 30y, rotation") / g("floor county_l 30y, rotation")
    med = sorted(steps)[len(steps) // 2] if steps else float("nan")
    rows = [
        ("county_l_s", "county_l 30 y, all policies: seconds", cl.get("total_s"), "<=",
         TARGETS["county_l_s"]),
        ("county_l_mib", "county_l 30 y, all policies: peak MiB", cl.get("peak_rss_mib"), "<=",
         TARGETS["county_l_mib"]),
        ("vs_naive", "naive / main (county_l), same rules", vs_naive, ">=",
         TARGETS["vs_naive"]),
        ("vs_floor", "main / floor (county_l), same rules", vs_floor, "<=",
         TARGETS["vs_floor"]),
        ("step_ms", "one county_l step (median), ms", med, "<=", TARGETS["step_ms"]),
        ("view_step_ms", "one county_l step in the browser view, ms", view_ms, "<=",
         TARGETS["step_ms"]),
        ("million_s", "1M pupils 30 y, all policies: seconds", mil.get("total_s"), "<=",
         TARGETS["million_s"]),
        *target_rows(report["county_table"]),
        *startup.target_rows(report["startup"]),
    ]
    if args.sweep:
        rows.append(("sweep_s", "200-run county_l sweep, 2 cores: seconds", sweep_s, "<=",
                     TARGETS["sweep_s"]))
    if args.uncertainty:
        rows.append(("uncertainty_s", "2,000-run uncertainty analysis: seconds", unc_s, "<=",
                     TARGETS["uncertainty_s"]))
    print_targets(rows, report)
    if args.json:
        write_json(args.json, report)
    return 0


def _only(args: argparse.Namespace, report: dict) -> int:
    """``--only PART``: that part alone, with its targets (county-table: ``--repeat N``, the
    fastest of N runs; startup: the median of ``max(3, N)``)."""
    if args.only == "startup":
        from benchmarks.startup import startup_row, target_rows

        report["startup"] = startup_row(args.quick, args.repeat)
    else:
        from benchmarks.county_table import fastest_row, target_rows

        report["county_table"] = fastest_row(args.quick, args.repeat, _spawn)
    if args.quick:
        print("\n(quick mode: the targets are checked in the full-size run only)")
    else:
        print_targets(target_rows(report[args.only.replace("-", "_")]), report)
    if args.json:
        write_json(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
