"""Teacher rotation realism: two-way exchange, backfill at the sending school, terms and
returns, the cooldown and the host-colleague spill-over (tiny county, a few years)."""

from __future__ import annotations

import numpy as np
import pytest

from sim import ConfigError, EducationModel
from sim.processes.learning import class_teacher_effect
from tests.policies.contract import PolicyContract


class TestRotationExchangeContract(PolicyContract):
    name = "teacher_rotation"
    params = {"mode": "exchange", "backfill": "hire", "host_spillover": 0.1,
              "spillover_persistence": 0.5, "term_years": 2}


class TestRotationSubstituteContract(PolicyContract):
    name = "teacher_rotation"
    params = {"backfill": "substitute", "substitute_effect": 0.0, "rate": 0.4}


def _model(years: int = 0, seed: int = 4, **params) -> EducationModel:
    params.setdefault("refusal_base", 0.0)
    m = EducationModel(region="tiny", rng=seed, policies={"teacher_rotation": params})
    return m.run(years) if years else m


def _staff(m: EducationModel) -> np.ndarray:
    return np.bincount(m.teachers.school, minlength=m.schools.n)


def test_exchange_keeps_both_schools_staff_counts():
    m = _model(rate=0.5, mode="exchange", continuity_cost=0.0)
    m.step()  # year 1: careers, then the rotation
    pol = m.policy("teacher_rotation")
    t = m.teachers
    movers = (t.rotation_kind == 1) & (t.rotation_end > 0)
    partners = (t.rotation_kind == 3) & (t.rotation_end > 0)
    assert movers.sum() > 0 and partners.sum() > 0.8 * movers.sum()
    rec = m.timeseries().iloc[-1]
    assert rec["teacher_rotation.exchanges"] == partners.sum()
    assert rec["teacher_rotation.exchange_unmatched"] == movers.sum() - partners.sum()
    # every school teaches with as many teachers as it holds posts, except the schools of
    # movers for whom no partner was found (they went one way)
    posts = np.bincount(t.post_school, minlength=m.schools.n)
    dest_of_partners = np.zeros(m.schools.n, dtype=int)
    np.add.at(dest_of_partners, t.post_school[partners], 1)
    went_to = np.zeros(m.schools.n, dtype=int)
    np.add.at(went_to, t.school[movers], 1)
    unmatched_dest = went_to > dest_of_partners  # hosts where a mover had no partner
    sent = np.zeros(m.schools.n, dtype=int)
    np.add.at(sent, t.post_school[movers], 1)
    came = np.zeros(m.schools.n, dtype=int)
    np.add.at(came, t.school[partners], 1)
    unmatched_origin = sent > came
    ok = ~unmatched_dest & ~unmatched_origin
    assert ok[m.schools.tier != 1].sum() >= 4  # urban and rural schools are compared
    assert (_staff(m)[ok] == posts[ok]).all()
    assert (_staff(m)[~ok] != posts[~ok]).all()
    # same subject both ways; partners serve at the sending schools, posts stay home
    sch = m.schools
    assert (sch.tier[t.school[partners]] == 0).all()
    assert (sch.tier[t.post_school[partners]] == 2).all()
    # the partners' subjects are those of matched movers (the unmatched are PE/arts here)
    assert (np.bincount(t.subject[partners], minlength=3)
            <= np.bincount(t.subject[movers], minlength=3)).all()
    assert (t.subject[partners] == 0).sum() == (t.subject[movers] == 0).sum()
    assert pol.moves.shape == (movers.sum(), 2)


def test_one_way_rotation_changes_the_staff_counts():
    m = _model(rate=0.5)
    m.step()
    t = m.teachers
    away = (t.rotation_end > 0) & (t.rotation_kind == 1)
    assert away.any() and not (t.rotation_kind == 3).any()
    urban = m.schools.tier == 0
    # the urban schools teach with fewer teachers than their posts
    assert _staff(m)[urban].sum() < np.bincount(t.post_school, minlength=m.schools.n)[urban].sum()


def _sending_core_shortfall(m: EducationModel) -> float:
    """Core teachers missing in urban school sections, as the learning step counts them."""
    t = m.teachers
    tc = m.cfg.teachers
    core = t.subject == 0
    staff = np.bincount(t.school[core].astype(np.int64) * 2 + t.section[core],
                        minlength=2 * m.schools.n).reshape(-1, 2)
    need = m.section_classes * np.array([tc.core_per_class_primary, tc.core_per_class_junior])
    urban = m.schools.tier == 0
    return float(np.maximum(need - staff, 0)[urban].sum())


def test_backfill_modes_differ_at_the_sending_school():
    runs = {mode: _model(years=2, rate=0.6, term_years=3, backfill=mode)
            for mode in ("none", "substitute", "hire")}
    # hire: the released posts are filled in the next hiring round, so the sending
    # schools have more core teachers than with no backfill
    short = {k: _sending_core_shortfall(m) for k, m in runs.items()}
    assert short["none"] > 0
    assert short["hire"] < short["none"]
    ts = {k: m.timeseries() for k, m in runs.items()}
    assert ts["hire"]["teacher_rotation.posts_backfilled"].iloc[1] > 0
    assert ts["none"]["teacher_rotation.posts_backfilled"].sum() == 0
    assert (ts["hire"]["hires"].iloc[2] > ts["none"]["hires"].iloc[2])
    # substitute: teachers move exactly as with none; the rotation's shortfall is covered
    # (and paid for); with the default substitute_effect learning is that of none
    pol = runs["substitute"].policy("teacher_rotation")
    gap = pol.rotation_shortfall(runs["substitute"])
    assert gap.sum() > 0
    assert ts["substitute"]["teacher_rotation.substitute_teachers"].iloc[-1] > 0
    assert np.array_equal(runs["substitute"].teachers.school, runs["none"].teachers.school)
    assert ts["substitute"]["mean_achievement"].equals(ts["none"]["mean_achievement"])
    assert (ts["substitute"]["cost_policy_teacher_rotation"].iloc[1:]
            > ts["none"]["cost_policy_teacher_rotation"].iloc[1:]).all()


def test_substitutes_at_another_quality_change_only_the_sending_pupils():
    base = _model(years=1, rate=0.6, backfill="substitute", continuity_cost=0.0)
    better = _model(years=1, rate=0.6, backfill="substitute", continuity_cost=0.0,
                    substitute_effect=0.0)
    gap = better.policy("teacher_rotation").rotation_shortfall(better)
    eff = better.policy("teacher_rotation").learning_effect(better)
    s = better.students
    expected = 0.13 * gap[s.school, (s.grade >= 7).astype(int)]
    assert np.allclose(eff, expected)
    assert (eff[better.schools.tier[s.school] == 2] == 0).all()  # hosts untouched
    assert base.policy("teacher_rotation").learning_effect(base) is None


def test_terms_end_with_a_return_and_cooldown_blocks_a_second_term():
    m = _model(rate=1.0, term_years=2, eligibility_years=0, cooldown_years=3)
    m.step()
    t = m.teachers
    first = t.id[(t.rotation_kind == 1) & (t.rotation_end == 1 + 2)].copy()
    assert len(first) > 0
    m.step()
    assert np.isin(first, m.teachers.id[m.teachers.rotation_end > 0]).sum() > 0  # still away
    m.step()  # year 3: the term ends
    t = m.teachers
    back = np.isin(t.id, first)
    assert (t.rotation_end[back] == 0).all()
    assert (t.school[back] == t.post_school[back]).all()
    assert (t.rotation_last[back] == 3).all()
    for _ in range(2):  # years 4-5: within the cooldown, none of them goes again
        m.step()
        t = m.teachers
        assert not (np.isin(t.id, first) & (t.rotation_end > 0)).any()
    m.step()  # year 6: three years after the return they may be picked again
    t = m.teachers
    assert (np.isin(t.id, first) & (t.rotation_end > 0)).any()


def test_without_cooldown_returned_teachers_can_go_again_at_once():
    m = _model(years=3, rate=1.0, term_years=2, eligibility_years=0, cooldown_years=0)
    t = m.teachers
    assert ((t.rotation_last == 3) & (t.rotation_end > 0)).any()


def test_spillover_zero_is_the_plain_path():
    ref = _model(years=4, rate=0.4, term_years=2).timeseries()
    off = _model(years=4, rate=0.4, term_years=2, host_spillover=0.0,
                 spillover_persistence=0.9).timeseries()
    assert ref.equals(off)
    assert (ref["teacher_rotation.spillover_sections"].iloc[1:] == 0).all()


def test_spillover_lifts_host_colleagues_only_while_the_mover_is_there():
    m = _model(rate=0.5, term_years=1, continuity_cost=0.0, host_spillover=0.2,
               start_year=1, end_year=1)
    pol = m.policy("teacher_rotation")
    m.step()  # year 1: rotation; the lift is set for year 2's learning
    t = m.teachers
    movers = (t.rotation_kind == 1) & (t.rotation_end > 0)
    host = np.zeros((m.schools.n, 2), dtype=bool)
    host[t.school[movers], t.section[movers]] = True
    lift = pol.spillover_lift.copy()
    assert (lift > 0).any()
    assert not (lift[~host] > 0).any()  # only sections that host a mover
    eff = pol.learning_effect(m)
    s = m.students
    at_host = host[s.school, (s.grade >= 7).astype(int)]
    assert (eff[at_host] > 0).any() and (eff[~at_host] == 0).all()
    # year 2: the policy sends nobody new (end_year 1); the one-year terms end and the
    # lift ends with them
    m.step()
    assert not (m.teachers.rotation_end > 0).any()
    returned = m.timeseries()["teacher_rotation.returned"].iloc[-1]
    assert 0.5 * movers.sum() < returned <= movers.sum()  # a few left the county meanwhile
    assert not pol.spillover_lift.any()
    assert pol.learning_effect(m) is None
    m.step()  # year 3: nothing left to do
    assert not pol.active(m)


def test_spillover_persistence_carries_a_decaying_lift():
    m = _model(rate=0.5, term_years=1, continuity_cost=0.0, host_spillover=0.2,
               spillover_persistence=0.5, end_year=1)
    pol = m.policy("teacher_rotation")
    m.step()
    lift1 = pol.spillover_lift.copy()
    assert lift1.any()
    m.step()  # year 2: the movers return; half the lift is kept into year 3
    assert not (m.teachers.rotation_end > 0).any()
    assert np.allclose(pol.spillover_lift, 0.5 * lift1)
    m.step()
    assert np.allclose(pol.spillover_lift, 0.25 * lift1)


def test_terms_under_way_end_with_a_return_after_the_policy_ends():
    m = _model(rate=0.5, term_years=3, end_year=1)
    m.run(3)
    t = m.teachers
    assert (t.rotation_end > 0).any()  # still serving in year 3
    assert m.timeseries()["teacher_rotation.rotated"].iloc[2:].eq(0).all()
    m.step()  # year 4: the terms of year 1 end
    t = m.teachers
    assert not (t.rotation_end > 0).any()
    assert (t.school == t.post_school).all()


def test_spillover_raises_host_pupils_learning():
    on = _model(years=2, rate=0.5, host_spillover=0.3, continuity_cost=0.0)
    off = _model(years=2, rate=0.5, continuity_cost=0.0)
    assert on.timeseries()["achievement_rural"].iloc[-1] > \
        off.timeseries()["achievement_rural"].iloc[-1]
    assert np.array_equal(class_teacher_effect(on), class_teacher_effect(off))


def test_urban_to_rural_share_is_reported():
    ts = _model(years=2, rate=0.3).timeseries()
    assert (ts["teacher_rotation.urban_to_rural_share"].iloc[1:] == 1.0).all()
    ts = _model(years=2, rate=0.3, direction="strong_to_weak").timeseries()
    share = ts["teacher_rotation.urban_to_rural_share"].iloc[1:]
    assert ((share >= 0) & (share <= 1)).all()


@pytest.mark.parametrize("field, value, allowed", [
    ("mode", "two_way", "one_way, exchange"),
    ("backfill", "temp", "none, substitute, hire"),
    ("cooldown_years", -1, "[0, 40]"),
    ("host_spillover", 0.9, "[0.0, 0.5]"),
    ("spillover_persistence", 1.0, "[0.0, 0.95]"),
    ("substitute_effect", -2.0, "[-1.0, 0.3]"),
])
def test_bad_values_are_rejected_with_the_field_named(field, value, allowed):
    with pytest.raises(ConfigError) as err:
        EducationModel(region="tiny", rng=1, policies={"teacher_rotation": {field: value}})
    msg = str(err.value)
    assert f"policies.teacher_rotation.{field}" in msg
    for word in allowed.strip("[]").split(", "):
        assert word in msg
