"""Core model: determinism, conservation, long-run sanity, directions, views."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import ConfigError, EducationModel, School, SimConfig, Student, Teacher
from tests.conftest import equalised_config

# ---------------------------------------------------------------------------------------
# determinism and common random numbers
# ---------------------------------------------------------------------------------------


def test_same_seed_gives_identical_tables():
    a = EducationModel(region="tiny", rng=3).run(6)
    b = EducationModel(region="tiny", rng=3).run(6)
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries())
    pd.testing.assert_frame_equal(a.school_history(), b.school_history())
    np.testing.assert_array_equal(a.students.achievement, b.students.achievement)


def test_timeseries_is_a_new_frame_per_call_and_follows_the_years():
    m = EducationModel(region="tiny", rng=2).run(1)
    ts = m.timeseries()
    ts.loc[0, "students"] = -1  # the caller's copy
    ts["mine"] = 0.0
    again = m.timeseries()
    assert again["students"].iloc[0] == m.records()[0]["students"] and "mine" not in again
    m.step()
    assert m.timeseries()["year"].tolist() == [0, 1, 2]
    pd.testing.assert_frame_equal(m.timeseries(), pd.DataFrame(m.records()))


def test_different_seeds_differ():
    a = EducationModel(region="tiny", rng=3).run(3)
    b = EducationModel(region="tiny", rng=4).run(3)
    assert not a.timeseries()["mean_achievement"].equals(b.timeseries()["mean_achievement"])
    assert a.students.n != b.students.n or not np.array_equal(a.students.ses, b.students.ses)


def test_seed_alias_and_mesa_rng():
    a = EducationModel(region="tiny", seed=9)
    b = EducationModel(region="tiny", rng=9)
    assert a.seed == b.seed == 9
    np.testing.assert_array_equal(a.students.ses, b.students.ses)
    with pytest.raises(ValueError):
        EducationModel(region="tiny", rng=1, seed=1)
    with pytest.raises(TypeError):
        EducationModel(region="tiny", rng=1.5)


def test_processes_draw_from_separate_streams():
    """Changing a learning parameter changes achievement but not the demographic draws."""
    base = EducationModel(region="tiny", rng=21).run(5).timeseries()
    other = EducationModel(region="tiny", rng=21, learning__ses_effect=0.2).run(5).timeseries()
    for col in ("entrants", "graduates", "out_migrants", "migrant_arrivals"):
        pd.testing.assert_series_equal(base[col], other[col])
    assert not np.allclose(base["mean_achievement"].iloc[1:], other["mean_achievement"].iloc[1:])


# ---------------------------------------------------------------------------------------
# conservation
# ---------------------------------------------------------------------------------------


def test_every_individual_in_one_open_school_and_counts_reconcile():
    m = EducationModel(region="tiny", rng=8)
    prev_students, prev_teachers = m.students.n, m.teachers.n
    for _ in range(12):
        m.step()
        s, t, sch = m.students, m.teachers, m.schools
        assert ((s.school >= 0) & (s.school < sch.n)).all()
        assert sch.open[s.school].all()
        assert ((s.grade >= 1) & (s.grade <= 9)).all()
        assert ((t.school >= 0) & (t.school < sch.n)).all()
        assert len(np.unique(s.id)) == s.n and len(np.unique(t.id)) == t.n
        # primary grades only in schools that teach them, junior likewise
        level = sch.level[s.school]
        assert not ((s.grade <= 6) & (level == 1)).any()
        assert not ((s.grade >= 7) & (level == 0)).any()
        rec = m.timeseries().iloc[-1]
        assert s.n == (prev_students - rec["graduates"] - rec["out_migrants"]
                       + rec["entrants"] + rec["migrant_arrivals"])
        assert t.n == prev_teachers - rec["retirements"] - rec["attrition"] + rec["hires"]
        # the per-school table accounts for everyone
        table = m.school_table()
        assert table["students"].sum() == s.n
        assert table["teachers"].sum() == t.n
        prev_students, prev_teachers = s.n, t.n


@pytest.mark.parametrize("region,policies", [("default", True), ("tiny", False)])
def test_yearly_pupil_measures_equal_the_metrics_on_the_pupils(region, policies):
    # the record takes its pupil measures from per-school, per-SES-group sums; they must
    # be what the metrics give on the pupils themselves (up to rounding)
    import sim.policies
    from sim import metrics
    from sim.policies.school_groups import member_lead_gaps
    from sim.vocabulary import RURAL, URBAN

    pol = {name: {} for name in sim.policies.POLICIES} if policies else {}
    m = EducationModel(rng=5, region=region, policies=pol).run(3)
    rec = m.latest_record()
    s, sch = m.students, m.schools
    z = m.achievement_z()
    q1, q3 = np.quantile(s.ses, [0.25, 0.75])
    tier = sch.tier[s.school]
    close = lambda a, b: a == pytest.approx(b, rel=1e-12, abs=1e-14)  # noqa: E731
    assert close(rec["sd_achievement"], z.std())
    assert close(rec["ses_gap"], metrics.group_gap(z, s.ses >= q3, s.ses <= q1))
    assert close(rec["urban_rural_gap"], metrics.group_gap(z, tier == URBAN, tier == RURAL))
    assert close(rec["between_school_share"], metrics.between_share(z, s.school))
    assert close(rec["ses_dissimilarity"], metrics.dissimilarity_index(
        np.bincount(s.school[s.ses <= q1], minlength=sch.n), np.bincount(s.school, minlength=sch.n)))
    for k, name in enumerate(("urban", "town", "rural")):
        assert close(rec[f"achievement_{name}"], z[tier == k].mean())
    if policies:
        st = m.policy("school_groups").structure
        member = st.is_member[s.school] & sch.open[s.school]
        lead = st.is_lead[s.school] & sch.open[s.school]
        assert member.any() and lead.any()
        assert close(rec["school_groups.member_lead_gap"], z[member].mean() - z[lead].mean())
        assert close(member_lead_gaps(m, st)["achievement"], z[member].mean() - z[lead].mean())


def test_classes_respect_size_limits_and_cover_pupils(tiny_run):
    m = tiny_run
    sizes = m.class_size
    assert sizes.sum() == m.students.n
    assert (sizes > 0).all()
    cls_school, cls_section = m.class_school_section()
    limit = np.where(cls_section == 1, m.cfg.enrolment.max_class_size_junior,
                     m.cfg.enrolment.max_class_size_primary)
    assert (sizes <= limit).all()
    # classes of one school-grade differ by at most one pupil
    s = m.students
    key = (s.school.astype(np.int64) * 10 + s.grade) * 1000 + s.klass
    uniq, counts = np.unique(key, return_counts=True)
    by_grade = uniq // 1000
    for g in np.unique(by_grade):
        c = counts[by_grade == g]
        assert c.max() - c.min() <= 1
    t = m.teachers
    core = t.subject == 0
    assigned = t.class_key >= 0
    # this year's hires and movers get classes at next year's enrolment
    settled = t.years_at_school > 0
    assert assigned[core & settled].all()
    assert not assigned[~settled].any()
    assert not assigned[~core].any()
    # every assigned teacher teaches a class of their own school and section
    cls_school, cls_section = m.class_school_section()
    k = t.class_key[assigned]
    np.testing.assert_array_equal(cls_school[k], t.school[assigned])
    np.testing.assert_array_equal(cls_section[k], t.section[assigned])


# ---------------------------------------------------------------------------------------
# long run
# ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_fifty_years_stay_sane():
    m = EducationModel(rng=2).run(50)
    ts = m.timeseries()
    key = ["mean_achievement", "ses_gap", "urban_rural_gap", "between_school_share",
           "teacher_effectiveness_urban", "teacher_effectiveness_rural", "students", "teachers"]
    assert not ts[key].isna().any().any()
    assert ts["students"].min() > 0 and ts["teachers"].min() > 0
    assert ts["mean_achievement"].abs().max() < 2.0
    assert ts["sd_achievement"].between(0.5, 2.0).all()
    assert ts["between_school_share"].between(0, 0.6).all()
    for tier in ("urban", "town", "rural"):
        assert ts[f"teacher_effectiveness_{tier}"].abs().max() < 0.5
    sch = m.schools
    for col in ("building_area", "sports_area", "equipment_value", "multimedia_rooms",
                "computers", "books", "capacity"):
        assert (sch.column(col) >= 0).all(), col
    hist = m.school_history()
    numeric = hist.select_dtypes("number")
    assert not numeric.drop(columns=["teacher_effectiveness"]).isna().any().any()
    per_student = hist["equipment_value_yuan"] / hist["students"]
    assert per_student.between(0, 50_000).all()
    per_100 = 100 * hist["multimedia_rooms"] / hist["students"]
    assert per_100.between(0, 50).all()
    assert (m.teachers.age < m.cfg.teachers.retirement_age + 1).all()
    assert (m.teachers.experience >= 0).all()


# ---------------------------------------------------------------------------------------
# directions
# ---------------------------------------------------------------------------------------


def test_identical_schools_stay_near_equal():
    gaps, shares = [], []
    for seed in range(3):
        m = EducationModel(equalised_config("tiny"), rng=seed).run(15)
        ts = m.timeseries()
        gaps.append(ts["urban_rural_gap"].iloc[-5:].mean())
        shares.append(ts["between_school_share"].iloc[-1])
    assert abs(np.mean(gaps)) < 0.1
    assert max(shares) < 0.03
    # while the realistic county keeps a clear urban advantage
    real = EducationModel(region="tiny", rng=0).run(15).timeseries()
    assert real["urban_rural_gap"].iloc[-5:].mean() > 0.25


def test_more_effective_teachers_raise_learning():
    base = EducationModel(region="tiny", rng=4)
    better = EducationModel(region="tiny", rng=4)
    better.teachers.skill[:] += 0.1
    better.cfg.teachers.hire_skill_mean = type(better.cfg.teachers.hire_skill_mean)(
        *(v + 0.1 for v in better.cfg.teachers.hire_skill_mean.as_tuple()))
    base.run(4)
    better.run(4)
    gain = better.timeseries()["mean_achievement"] - base.timeseries()["mean_achievement"]
    assert gain.iloc[0] == 0
    # 0.1 SD per year, carried forward with persistence 0.8: ≥ 0.1 after one year
    assert gain.iloc[1] > 0.05
    assert (np.diff(gain.iloc[1:]) > 0).all()


def test_rural_allowance_lowers_rural_attrition():
    def attrition(allowance: float) -> float:
        rates = []
        for seed in range(3):
            m = EducationModel(rng=seed, teachers__rural_allowance=allowance,
                               region="tiny").run(10)
            ts = m.timeseries().iloc[1:]
            rates.append(ts["attrition"].sum() and
                         (ts["attrition_rate_rural"] * ts["teachers_rural"]).sum()
                         / ts["teachers_rural"].sum())
        return float(np.mean(rates))

    low, high = attrition(0.0), attrition(0.5)
    assert high < 0.6 * low


# ---------------------------------------------------------------------------------------
# agents and views
# ---------------------------------------------------------------------------------------


def test_school_agents_are_mesa_agents(tiny_run):
    m = tiny_run
    schools = m.agents_by_type[School]
    assert len(schools) == m.schools.n
    agent = m.school_agents[0]
    assert agent.name == m.school_names[0]
    assert agent.enrolment == int((m.students.school == 0).sum())
    assert agent.tier in ("urban", "town", "rural")


def test_views_read_and_write_the_columns():
    m = EducationModel(region="tiny", rng=1)
    sid = int(m.students.id[10])
    st = m.student(sid)
    assert isinstance(st, Student)
    row = m.students.row_of(sid)
    assert st.grade == m.students.grade[row]
    assert st.ses == m.students.ses[row]
    st.achievement = 3.25
    assert m.students.achievement[row] == 3.25
    assert m.student(sid) is st  # cached
    assert st in m.agents_by_type[Student]

    tid = int(m.teachers.id[5])
    te = m.teacher(tid)
    assert isinstance(te, Teacher)
    te.skill = 0.5
    assert m.teachers.skill[m.teachers.row_of(tid)] == 0.5
    m.teachers.experience[m.teachers.row_of(tid)] = 40
    assert te.experience == 40
    assert te.effectiveness == pytest.approx(0.5 - m.cfg.teachers.novice_penalty * np.exp(-20))
    assert te.school is m.school_agents[te.school_index]

    teachers_of_school = m.school_agents[te.school_index].teachers()
    assert te in teachers_of_school


def test_views_of_departed_individuals_are_removed():
    m = EducationModel(region="tiny", rng=1)
    grade9 = int(m.students.id[m.students.grade == 9][0])
    view = m.student(grade9)
    assert view in m.agents_by_type[Student]
    m.step()  # grade 9 graduates
    assert not view.present
    assert view not in m.agents_by_type[Student]
    with pytest.raises(LookupError):
        _ = view.grade
    with pytest.raises(KeyError):
        m.student(grade9)


def test_views_follow_their_individual_when_rows_move():
    """A view remembers its row until the table's rows move (a removal compacts them); it
    then looks the row up again, so it keeps reading and writing its own individual."""
    m = EducationModel(region="tiny", rng=1)
    s = m.students
    school = m.school_agents[int(s.school[-1])]
    views = school.students()  # views made from their rows
    assert [v.person_id for v in views] == s.id[s.school == school.index].tolist()
    assert [v.ses for v in views] == s.ses[s.school == school.index].tolist()
    late = views[-1]
    before = (late.ses, late.grade)
    m.remove_students(np.arange(s.n) < s.n // 2)  # every later row moves up
    assert late.present
    row = s.row_of(late.person_id)
    assert row < m.students.n and (late.ses, late.grade) == before
    late.achievement = 7.5
    assert s.achievement[row] == 7.5 and np.count_nonzero(s.achievement == 7.5) == 1
    assert school.students()[-1] is late  # existing views are reused
    m.step()  # a year: pupils leave and arrive, rows move again
    if late.present:
        assert late.grade == s.grade[s.row_of(late.person_id)] == before[1] + 1


def test_school_indicators(tiny_run):
    m = tiny_run
    nine = [a for a in m.school_agents if a.level == "nine_year" and a.is_open]
    rows = (nine or m.school_agents)[0].indicators()
    assert 1 <= len(rows) <= 2
    assert {r["level"] for r in rows} <= {"primary", "junior"}
    assert sum(r["students"] for r in rows) == (nine or m.school_agents)[0].enrolment


def test_no_views_are_created_by_a_run(tiny_run):
    assert len(tiny_run.agents_by_type.get(Student, [])) == 0


# ---------------------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------------------


def test_keyword_overrides_and_errors():
    m = EducationModel(region="tiny", rng=1, teachers__rural_allowance=0.3,
                       **{"learning.persistence": 0.7})
    assert m.cfg.teachers.rural_allowance == 0.3
    assert m.cfg.learning.persistence == 0.7
    with pytest.raises(ConfigError, match=r"learning\.persistence: 1\.5 is outside .*\[0\.0, 0\.99\]"):
        EducationModel(region="tiny", rng=1, learning__persistence=1.5)
    with pytest.raises(ConfigError, match="unknown config field 'teachers.salary'"):
        EducationModel(region="tiny", rng=1, teachers__salary=1)
    with pytest.raises(ConfigError, match=r"region\.preset: 'huge' is not allowed"):
        EducationModel(region="huge", rng=1)
    with pytest.raises(ConfigError, match=r"teachers\.attrition\.rural"):
        SimConfig.from_overrides({"teachers.attrition.rural": -0.1})


def test_all_problems_reported_at_once():
    with pytest.raises(ConfigError) as err:
        SimConfig.from_overrides({"learning.noise_sd": -1, "teachers.retirement_age": 90,
                                  "enrolment.expand_capacity": "yes"})
    text = str(err.value)
    assert "learning.noise_sd" in text and "teachers.retirement_age" in text
    assert "enrolment.expand_capacity" in text


def test_config_and_policy_problems_in_one_error_checked_once(monkeypatch):
    """The model checks its configuration once: its own fields and the policies' parameters
    together, in one error; each policy is built once."""
    import sim.model
    from sim.policies import check_policies

    with pytest.raises(ConfigError) as err:
        EducationModel(region="tiny", rng=1, learning__noise_sd=-1,
                       policies={"teacher_rotation": {"rate": 2.0}, "no_such_policy": {}})
    text = str(err.value)
    assert text.startswith("invalid configuration:")
    for field in ("learning.noise_sd", "policies.teacher_rotation.rate", "policies.no_such_policy"):
        assert field in text
    calls = {"problems": 0, "policies": 0}
    real_problems = SimConfig.problems

    def counted_problems(self):
        calls["problems"] += 1
        return real_problems(self)

    def counted_policies(spec):
        calls["policies"] += 1
        return check_policies(spec)

    monkeypatch.setattr(SimConfig, "problems", counted_problems)
    monkeypatch.setattr(sim.model, "check_policies", counted_policies)
    m = EducationModel({"region": {"preset": "tiny"}, "policies": {"teacher_rotation": {}}}, rng=1)
    assert calls == {"problems": 1, "policies": 1}
    assert [p.name for p in m.policies] == ["teacher_rotation"]


def test_a_stream_asked_for_again_in_a_year_continues_its_draws():
    """However many streams a year uses, asking for one again continues it (no restart that
    would repeat its draws); a new year starts every stream afresh."""
    from sim.random_streams import RandomStreams, stream_for

    streams = RandomStreams(5)
    first = streams.get("policy:x", 3).random(4)
    for k in range(200):  # many other streams in the same year
        streams.get(f"other{k}", 3).random()
    again = streams.get("policy:x", 3).random(4)
    reference = stream_for(5, "policy:x", 3).random(8)
    np.testing.assert_array_equal(np.r_[first, again], reference)
    assert streams.get("policy:x", 4).random() == stream_for(5, "policy:x", 4).random()


def test_a_stream_is_numpys_generator_of_its_seed_sequence():
    """The documented stream: ``default_rng(SeedSequence(seed, spawn_key=(crc32(name),
    year)))``, whichever way it is constructed (stored baselines and runs depend on it)."""
    import zlib

    from sim.random_streams import stream_for

    for seed, name, year in ((5, "learning", 3), (2**62, "policy:teacher_rotation", 0)):
        key = (zlib.crc32(name.encode()), year)
        expected = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))
        np.testing.assert_array_equal(stream_for(seed, name, year).random(16),
                                      expected.random(16))


def test_batch_run_constructs_the_model():
    import mesa

    results = mesa.batch_run(
        EducationModel,
        parameters={"region": "tiny", "teachers__rural_allowance": [0.0, 0.4]},
        rng=[1], max_steps=2, number_processes=1, data_collection_period=-1,
        display_progress=False,
    )
    assert len(results) == 2
    assert {r["teachers__rural_allowance"] for r in results} == {0.0, 0.4}


def test_parameter_docs_are_current():
    """docs/parameters.md is generated from the schema: regenerate it after a change
    (`python -m experiments.make_parameter_docs`)."""
    from pathlib import Path

    from experiments.make_parameter_docs import (
        EXPERIMENT_CONFIGS,
        POLICY_CONFIGS,
        experiment_configs,
        parameters_markdown,
        policies_markdown,
        policy_configs,
    )

    docs = Path(__file__).resolve().parent.parent / "docs"
    assert (docs / "parameters.md").read_text(encoding="utf-8") == parameters_markdown()
    assert (docs / "policies.md").read_text(encoding="utf-8") == policies_markdown()
    from experiments.make_parameter_docs import county_tables_markdown

    assert (docs / "county_tables.md").read_text(encoding="utf-8") == county_tables_markdown()
    for folder, files in ((POLICY_CONFIGS, policy_configs()),
                          (EXPERIMENT_CONFIGS, experiment_configs())):
        for name, text in files.items():
            assert (folder / name).read_text(encoding="utf-8") == text, name


def test_every_parameter_has_unit_range_and_source():
    from sim.config import parameter_table

    table = parameter_table()
    assert (table["source"].str.len() > 0).all()
    assert (table["range"].str.len() > 0).all()


def test_the_model_provides_everything_the_state_protocol_promises(tiny_run):
    """Processes and policies are typed against sim.state.CountyState: every attribute and
    method it lists exists on a built model (the model implements the protocol)."""
    from sim.state import CountyState

    names = set(CountyState.__annotations__)
    methods = {n for n, v in vars(CountyState).items()
               if callable(v) and not n.startswith("_")}
    assert len(names) > 30 and len(methods) > 20
    missing = sorted(n for n in names | methods if not hasattr(tiny_run, n))
    assert missing == []
    for n in methods:
        assert callable(getattr(tiny_run, n)), n
