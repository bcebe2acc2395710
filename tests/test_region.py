"""The built-in synthetic county: sizes, geography and realistic initial inequality."""

from __future__ import annotations

import numpy as np
import pytest

from sim import EducationModel
from sim.config import REGION_PRESETS

# 2017 standards per pupil for primary schools (MOE 2017)
PRIMARY_STANDARD = {"q": 4.2, "bb": 1.0, "pe": 0.9, "bld": 4.5, "spt": 7.5, "eq": 2000.0,
                    "mm": 2.3}
# doc 004's urban primary school, per pupil / per 100 pupils
DOC004 = {"bb": 100 * 30 / 1963, "pe": 100 * 24 / 1963, "bld": 4.64, "spt": 8.89, "eq": 2683.0,
          "mm": 2.5}


def indicators(table):
    t = table.copy()
    n = t["students"]
    t["q"] = 100 * t["teachers_above_required_qualification"] / n
    t["bb"] = 100 * t["backbone_teachers"] / n
    t["pe"] = 100 * t["pe_arts_teachers"] / n
    t["bld"] = t["building_area_m2"] / n
    t["spt"] = t["sports_area_m2"] / n
    t["eq"] = t["equipment_value_yuan"] / n
    t["mm"] = 100 * t["multimedia_rooms"] / n
    return t


@pytest.mark.parametrize("preset,schools,students,teachers", [
    ("tiny", 12, 4_000, None),
    ("default", 60, 50_000, 3_000),
    ("county_l", 200, 150_000, 8_000),
])
def test_size_presets(preset, schools, students, teachers):
    m = EducationModel(region=preset, rng=1)
    assert m.schools.n == schools == REGION_PRESETS[preset]["n_schools"]
    assert abs(m.students.n - students) < 4 * np.sqrt(students)  # Poisson cohorts
    if teachers:
        # teachers follow the national staffing norms (1:19 primary, 1:13.5 junior)
        assert abs(m.teachers.n - teachers) / teachers < 0.12
    levels = set(m.schools.level.tolist())
    tiers = set(m.schools.tier.tolist())
    assert tiers == {0, 1, 2}
    if preset != "tiny":
        assert levels == {0, 1, 2}


def test_region_overrides():
    m = EducationModel(region="tiny", rng=1, region__n_students=2_000, region__n_schools=9)
    assert m.schools.n == 9
    assert abs(m.students.n - 2_000) < 150


def test_geography(default_model):
    m = default_model
    r = np.hypot(m.schools.x, m.schools.y)
    urban, rural = m.schools.tier == 0, m.schools.tier == 2
    assert r[urban].max() < r[rural].min() + 5
    assert np.median(r[rural]) > 3 * np.median(r[urban])
    # pupils go to a school near home: median distance from the catchment zone is small
    d = m.zone_dist[m.students.zone, m.students.school]
    assert np.median(d) < 5.0


def test_small_village_schools_and_teaching_points(default_model):
    table = default_model.school_table()
    rural = table[table["tier"] == "rural"]
    urban = table[table["tier"] == "urban"]
    assert rural["students"].median() < 0.5 * urban["students"].median()
    assert (rural["students"] < 100).any()


def test_urban_schools_near_doc004_figures(default_model):
    """The median urban primary school is near doc 004's urban school (within 30%), except
    PE/arts teachers per 100 pupils, which doc 004's school has from a staffing far above
    the norm (136 teachers for 1,963 pupils, 6.9 per 100 against the norm's 5.3): their share
    of the staff is compared instead (24 of 136)."""
    t = indicators(default_model.school_table())
    urban = t[(t["tier"] == "urban") & (t["level"] == "primary")]
    med = urban[list(PRIMARY_STANDARD)].median()
    for key, ref in DOC004.items():
        if key != "pe":
            assert abs(med[key] - ref) / ref < 0.30, (key, med[key], ref)
    share = (urban["pe_arts_teachers"] / urban["teachers"]).median()
    assert abs(share - 24 / 136) / (24 / 136) < 0.30, share
    # urban primary schools meet the standards on (almost) every indicator; PE/arts
    # teachers are near it (鸠江区 2023: county mean 0.88 per 100 against the standard 0.9)
    for key, std in PRIMARY_STANDARD.items():
        assert med[key] >= (0.85 if key == "pe" else 0.95) * std, key


def test_rural_schools_short_on_several_indicators(default_model):
    t = indicators(default_model.school_table())
    p = t[t["level"] == "primary"]
    rural = p[p["tier"] == "rural"][list(PRIMARY_STANDARD)].median()
    urban = p[p["tier"] == "urban"][list(PRIMARY_STANDARD)].median()
    short = [k for k, std in PRIMARY_STANDARD.items() if rural[k] < std]
    assert len(short) >= 3, short
    for key in ("bb", "pe", "eq", "mm"):
        assert rural[key] < urban[key], key


def test_rural_teachers_less_qualified_fewer_backbone(default_model):
    m = default_model
    t = m.teachers
    tier = m.schools.tier[t.school]
    bachelor = [(t.qualification[tier == k] >= 2).mean() for k in range(3)]
    backbone = [t.backbone[tier == k].mean() for k in range(3)]
    eff = m.teacher_effectiveness()
    effect = [eff[tier == k].mean() for k in range(3)]
    assert bachelor[0] > bachelor[1] > bachelor[2]
    assert backbone[0] > backbone[1] > backbone[2]
    assert effect[0] > effect[2]
    assert 0.5 < bachelor[2] < 0.7  # doc 002: about 60% of rural teachers before policy


def test_ses_higher_in_town_and_city(default_model):
    m = default_model
    tier = m.zone_tier[m.students.zone]
    ses = [m.students.ses[tier == k].mean() for k in range(3)]
    assert ses[0] > ses[1] > ses[2]
    lb = [m.students.left_behind[tier == k].mean() for k in range(3)]
    assert lb[2] > lb[1] > lb[0]
    mig = [m.students.migrant[tier == k].mean() for k in range(3)]
    assert mig[0] > mig[2]


def test_year0_achievement_is_standardised_per_grade(default_model):
    m = default_model
    z = m.achievement_z()
    for g in range(1, 10):
        zg = z[m.students.grade == g]
        assert abs(zg.mean()) < 1e-9
        assert zg.std() == pytest.approx(1.0, rel=1e-6)


def test_demography_shrinks_rural_and_crowds_town_and_city():
    m = EducationModel(rng=3).run(15)
    ts = m.timeseries()
    assert ts["students_rural"].iloc[-1] < 0.8 * ts["students_rural"].iloc[0]
    share0 = ts["students_urban"].iloc[0] / ts["students"].iloc[0]
    share1 = ts["students_urban"].iloc[-1] / ts["students"].iloc[-1]
    assert share1 > share0
    assert (ts["overflow"].iloc[1:] > 0).any()  # urban catchments hit their capacity
    assert ts["migrant_share"].iloc[-1] > ts["migrant_share"].iloc[0] * 0.8


def test_capacity_expansion_and_merging_rules():
    base = EducationModel(rng=3).run(8)
    grow = EducationModel(rng=3, enrolment__expand_capacity=True).run(8)
    merge = EducationModel(rng=3, enrolment__merge_below=60).run(8)
    assert base.timeseries()["seats_added"].sum() == 0
    assert grow.timeseries()["seats_added"].sum() > 0
    assert grow.timeseries()["overflow"].sum() < base.timeseries()["overflow"].sum()
    assert grow.timeseries()["cost_capacity_expansion"].fillna(0).sum() > 0
    assert merge.timeseries()["schools_merged"].sum() > 0
    assert merge.schools.open.sum() < base.schools.open.sum()
    # no pupil or teacher is left in a closed school
    assert merge.schools.open[merge.students.school].all()
    assert merge.schools.open[merge.teachers.school].all()
