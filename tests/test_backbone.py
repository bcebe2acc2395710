"""Backbone (骨干) designation by county selection with per-school quotas
(sim.processes.backbone): quotas, reviews and revocation, who counts where, and the
official backbone CV of a county of identical schools."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import ConfigError, SimConfig
from sim.model import EducationModel
from sim.processes import backbone
from tests.conftest import equalised_config

CV = "cv_primary_backbone_teachers_per_100"


# ---- quotas ---------------------------------------------------------------------------------
def test_quotas_floor_then_proportional_to_staff():
    staff = np.array([100.0, 50.0, 10.0, 3.0])
    pupils = np.array([1900.0, 950.0, 190.0, 40.0])
    q = backbone.allocate_quotas(staff, pupils, total=20, floor=1, floor_min_staff=5,
                                 equalise=0.0)
    assert q.sum() == 20
    # the three sections with >= 5 teachers get their floor; the rest (17) by staff
    raw = np.array([1, 1, 1, 0]) + 17 * staff / staff.sum()
    assert np.all(np.abs(q - raw) < 1)
    assert q[2] >= 1 and q[0] > q[1] > q[2]
    # a section without pupils gets nothing; a floor of 0 leaves only proportions
    q = backbone.allocate_quotas(staff, np.array([1900.0, 0.0, 190.0, 40.0]), 20, 0, 5, 0.0)
    assert q[1] == 0 and q.sum() == 20
    assert np.all(np.abs(q[[0, 2, 3]] - 20 * staff[[0, 2, 3]] / staff[[0, 2, 3]].sum()) < 1)


def test_floors_go_to_the_largest_sections_when_titles_are_few():
    staff = np.array([40.0, 30.0, 20.0, 10.0])
    q = backbone.allocate_quotas(staff, np.full(4, 300.0), total=2, floor=1,
                                 floor_min_staff=5, equalise=0.0)
    assert q.tolist() == [1, 1, 0, 0]


def test_equalise_steers_quotas_to_pupils():
    # equal staff, unequal pupils: the staff rule ignores pupils, the standard rule follows them
    staff = np.full(4, 20.0)
    pupils = np.array([400.0, 400.0, 100.0, 100.0])
    q0 = backbone.allocate_quotas(staff, pupils, 8, 1, 5, 0.0)
    q1 = backbone.allocate_quotas(staff, pupils, 8, 1, 5, 1.0)
    assert q0.tolist() == [2, 2, 2, 2]
    # too few titles for 1 per 100 everywhere (8 < 10): in proportion to pupils
    assert q1.tolist() == [3, 3, 1, 1]
    # enough titles: every section first reaches the standard, the rest by staff
    q1 = backbone.allocate_quotas(staff, pupils, 14, 1, 5, 1.0)
    assert np.all(q1 >= np.ceil(pupils / 100)) and q1.sum() == 14


# ---- review, revocation and refills ------------------------------------------------------------
def _tiny(**over):
    return EducationModel(region="tiny", rng=3, **over)


def test_revocation_only_at_reviews():
    m = _tiny(teachers__backbone_review_years=3, teachers__backbone_incumbency_bonus=0.0)
    revoked, granted = {}, {}
    for _ in range(6):
        ids_before = set(m.teachers.id[m.teachers.backbone].tolist())
        m.step()
        t = m.teachers
        alive = set(t.id.tolist())
        still = set(t.id[t.backbone].tolist())
        revoked[m.year] = len((ids_before & alive) - still)
        granted[m.year] = m.flows["new_backbone"]
        assert m.flows["backbone_revoked"] == revoked[m.year]
    assert revoked[1] == revoked[2] == revoked[4] == revoked[5] == 0
    assert revoked[3] > 0 and revoked[6] > 0
    assert all(granted[y] > 0 for y in (1, 2, 3))  # exits are refilled every year


def test_quotas_are_kept_between_reviews():
    m = _tiny()
    m.run(4)  # review at 3, refill at 4
    held = backbone.backbone_by_unit(m)
    quota = m.backbone_quota
    # between reviews no section is pushed above its quota and titles are refilled up to it
    # where teachers are eligible
    assert held.sum() <= quota.sum()
    sh = m.school_history()
    assert (sh[sh.year == 4]["backbone_teachers"].sum()) == held.sum()


# ---- who counts where -------------------------------------------------------------------------
ROTATION = {"teacher_rotation": {"rate": 0.5, "backbone_share": 1.0, "term_years": 3}}


@pytest.mark.parametrize("mode", ["teaching", "post"])
def test_switch_decides_where_a_rotated_teacher_counts(mode):
    cfg = SimConfig.from_overrides({"region.preset": "tiny", "teachers.backbone_counts_at": mode})
    cfg.policies = ROTATION
    m = EducationModel(cfg, rng=5)
    m.run(1)
    t = m.teachers
    away = np.flatnonzero(t.backbone & (t.school != t.post_school))
    assert len(away) > 0
    unit = backbone.counting_unit(m)
    expected = t.school[away] if mode == "teaching" else t.post_school[away]
    assert np.array_equal(unit[away] // 2, expected)
    # the official table counts them there
    sh = m.school_history()
    sh = sh[sh.year == 1]
    col = sh.set_index(["school_id", "level"])["backbone_teachers"]
    counted = backbone.backbone_by_unit(m)
    for s_id, level in col.index:
        assert col[(s_id, level)] == counted[s_id, 0 if level == "primary" else 1]


def test_switch_changes_the_official_table():
    out = {}
    for mode in ("teaching", "post"):
        cfg = SimConfig.from_overrides({"region.preset": "tiny",
                                        "teachers.backbone_counts_at": mode})
        cfg.policies = ROTATION
        m = EducationModel(cfg, rng=5).run(1)
        sh = m.school_history()
        out[mode] = sh[sh.year == 1].groupby("tier")["backbone_teachers"].sum()
    # rotated urban backbone teachers count in rural schools only where they teach
    assert out["teaching"]["rural"] > out["post"]["rural"]
    assert out["teaching"]["urban"] < out["post"]["urban"]


# ---- county outcomes --------------------------------------------------------------------------
def test_identical_schools_keep_a_low_backbone_cv():
    # the default size (60 schools): in the tiny county a section's quota is 2-3 titles and
    # integer rounding alone gives CVs near 0.15 (the old county-wide top-up: 0.34-0.46 here)
    cfg = equalised_config("default")
    m = EducationModel(cfg, rng=1).run(20)
    ts = m.timeseries()
    assert ts[CV].max() < 0.15
    assert ts["cv_junior_backbone_teachers_per_100"].max() < 0.15


def test_equalise_lowers_the_backbone_cv():
    cvs = {}
    for e in (0.0, 1.0):
        ts = EducationModel(region="tiny", rng=2, teachers__backbone_equalise=e).run(3).timeseries()
        cvs[e] = float(ts.loc[ts.year == 3, CV].iloc[0])
    assert cvs[1.0] < cvs[0.0] - 0.05


def test_year0_of_the_synthetic_county_follows_the_inherited_tier_shares():
    m = _tiny()
    t = m.teachers
    tier = m.schools.tier[t.school]
    share = [t.backbone[tier == k].mean() for k in range(3)]
    assert share[0] > max(share[1], share[2])  # (small rural schools: the floor dominates)
    # and every section with enough teachers holds at least its floor when it can
    assert np.array_equal(backbone.backbone_by_unit(m), m.backbone_quota)


# ---- validation ------------------------------------------------------------------------------
@pytest.mark.parametrize("key,value", [
    ("teachers.backbone_equalise", 1.5),
    ("teachers.backbone_review_years", 0),
    ("teachers.backbone_counts_at", "home"),
    ("teachers.backbone_school_floor", -1),
    ("teachers.backbone_incumbency_bonus", -0.1),
])
def test_bad_values_are_reported(key, value):
    with pytest.raises(ConfigError) as err:
        SimConfig.from_overrides({key: value})
    assert key in str(err.value)


def test_a_holder_away_on_rotation_is_not_replaced_at_home():
    m = _tiny()
    m.run(1)
    m.year = 2  # not a review year
    backbone.designate_backbone(m)  # every place that can be filled is filled
    t = m.teachers
    n_sec = m.section_enrolment()
    holder = int(np.flatnonzero(t.backbone & (m.schools.tier[t.school] == 0)
                                & (t.section == 0))[0])
    host = int(np.flatnonzero((m.schools.tier == 2) & (n_sec[:, 0] > 0))[0])
    t.school[holder] = host  # sent on rotation: the post stays at home
    backbone.designate_backbone(m)
    assert m.flows["new_backbone"] == 0
    assert backbone.counting_unit(m)[holder] == host * 2
    # the same teacher leaving the county is replaced at home
    m.remove_teachers(np.arange(m.teachers.n) == holder)
    backbone.designate_backbone(m)
    assert m.flows["new_backbone"] == 1
