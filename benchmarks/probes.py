"""The workers of the benchmark's smaller parts (``python -m benchmarks.run``), each run in a
fresh process of its own: one step of the browser view (:func:`viz_worker`), a year by part
(:func:`phases_worker`) and Mesa agent views on demand (:func:`agents_worker`)."""

from __future__ import annotations

import resource
import time

__all__ = ["agents_worker", "phases_worker", "viz_worker"]


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def viz_worker(spec: dict) -> dict:
    """One step of the browser view, as the page does it: model step (with the year's
    metrics), everything the page reads (sim.viz.data.page_data) and the six Vega-Lite
    specs it sends (the browser draws them)."""
    import gc
    import json

    import sim.viz.components  # noqa: F401  (the page's imports, as the server has them)
    from sim.viz import data, specs
    from sim.viz.controls import CountyView, default_controls

    gc.freeze()  # as the server does after its imports (sim.viz.cli.prepare_server)
    m = CountyView(**{**default_controls(), "county": spec["region"], "rng": spec["seed"]})
    step_ms, data_ms, spec_ms, spec_kib = [], [], [], []
    for _ in range(spec["years"]):
        a = time.perf_counter()
        m.step()
        b = time.perf_counter()
        d = data.page_data(m)
        c = time.perf_counter()
        sent = [specs.county_map_spec(d["schools"], "mean_achievement", d["links"],
                                      d["rotations"], m.year),
                specs.school_panel_spec(d["school"]), specs.equity_spec(d["series"]),
                specs.cv_spec(d["series"]), specs.quality_spec(d["series"]),
                specs.cost_spec(d["costs"])]
        e = time.perf_counter()
        step_ms.append(1000 * (b - a))
        data_ms.append(1000 * (c - b))
        spec_ms.append(1000 * (e - c))
        spec_kib.append(sum(len(json.dumps(x)) for x in sent) / 1024)
    return {"step_ms": step_ms, "data_ms": data_ms, "spec_ms": spec_ms, "spec_kib": spec_kib,
            "policies": [p.name for p in m.policies]}


#: policy hooks, and the part of the year they run inside (None: called by the step itself)
_HOOK_PHASE = {"before_enrolment": None, "choice_multiplier": "enrolment",
               "after_enrolment": None, "learning_effect": "learning", "before_careers": None,
               "attrition_multiplier": "careers", "transfer_multiplier": "careers",
               "hire_skill_shift": "careers", "after_careers": None, "after_finance": None,
               "report": "record"}


def phases_worker(spec: dict) -> dict:
    """Where a year goes: the core processes, the school merging, the yearly record and
    each policy (all of its hooks; those called inside a process are taken out of it), in
    ms per year, timed around each call of a run of its own."""
    from collections import defaultdict

    import sim.policies
    from sim import EducationModel
    from sim.policies.base import Policy
    from sim.processes import careers, enrolment, finance, learning

    spent: dict[str, float] = defaultdict(float)

    def timed(label: str, f, inside: str | None = None):
        def call(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                dt = time.perf_counter() - t0
                spent[label] += dt
                if inside is not None:
                    spent[inside] -= dt  # a policy's hook is not the process's own time
        return call

    m = EducationModel(rng=spec["seed"], region=spec["region"],
                       policies={name: {} for name in sim.policies.POLICIES})
    processes = {"enrolment": enrolment, "learning": learning, "careers": careers,
                 "finance": finance}
    originals = {name: mod.step for name, mod in processes.items()}
    try:
        for name, mod in processes.items():
            mod.step = timed(name, mod.step)
        m.record_year = timed("record", m.record_year)
        m.merge_small_schools = timed("school merging", m.merge_small_schools)
        for p in m.policies:
            for hook, inside in _HOOK_PHASE.items():
                if getattr(type(p), hook) is not getattr(Policy, hook):
                    setattr(p, hook, timed(f"policy:{p.name}", getattr(p, hook), inside))
        t0 = time.perf_counter()
        m.run(spec["years"])
        total = time.perf_counter() - t0
    finally:
        for name, mod in processes.items():
            mod.step = originals[name]
    per_year = {k: 1000 * v / spec["years"] for k, v in spent.items()}
    return {"total_ms": 1000 * total / spec["years"], "ms": per_year}


def agents_worker(spec: dict) -> dict:
    """What the Mesa agent views cost when someone asks for them: one view for every pupil
    and teacher of the county (created on first use, ``model.student(id)``), reading an
    attribute through them, and a year stepped with all of them alive (views of leavers are
    retired) against the same year of the same-seed model without views."""
    import sim.policies
    from sim import EducationModel

    pol = {name: {} for name in sim.policies.POLICIES}
    plain = EducationModel(rng=spec["seed"], policies=pol, region=spec["region"]).run(1)
    viewed = EducationModel(rng=spec["seed"], policies=pol, region=spec["region"]).run(1)
    rss0 = _rss_mib()
    t0 = time.perf_counter()
    teachers = [viewed.teacher(i) for i in viewed.teachers.id]
    t1 = time.perf_counter()
    pupils = [viewed.student(i) for i in viewed.students.id]
    t2 = time.perf_counter()
    total = 0.0
    for p in pupils:
        total += p.achievement
    t3 = time.perf_counter()
    by_school = sum(len(sch.students()) for sch in viewed.school_agents)  # existing views
    t4 = time.perf_counter()
    rss1 = _rss_mib()
    a = time.perf_counter()
    plain.step()
    b = time.perf_counter()
    viewed.step()
    c = time.perf_counter()
    return {"teachers": len(teachers), "pupils": len(pupils),
            "teacher_views_s": t1 - t0, "pupil_views_s": t2 - t1, "read_s": t3 - t2,
            "school_lists_s": t4 - t3, "school_lists_n": by_school,
            "views_mib": rss1 - rss0, "step_plain_ms": 1000 * (b - a),
            "step_viewed_ms": 1000 * (c - b),
            "same_year": bool(plain.timeseries().equals(viewed.timeseries()))}
