"""School effects and key schools (sim.processes.school_effects): the effect enters growth,
its dynamics are stationary, switching it off gives back the old growth exactly, and key
schools draw stronger teachers and pupils."""

from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from sim import EducationModel, SimConfig
from sim.population import Table
from sim.processes import learning, school_effects
from sim.state import SCHOOL_SCHEMA
from sim.vocabulary import PRIMARY, URBAN

ROOT = Path(__file__).resolve().parent.parent
OFF = {"school_effects__persistent_sd": 0.0, "school_effects__transient_sd": 0.0,
       "school_effects__key_effect": 0.0}


def _growth_step(model: EducationModel, seed: int) -> np.ndarray:
    """Achievement after one learning step drawn with ``seed`` (the model is changed)."""
    learning.step(model, np.random.default_rng(seed))
    return model.students.achievement.copy()


def test_a_higher_school_effect_makes_its_pupils_grow_faster():
    base = EducationModel(region="tiny", rng=3)
    raised = copy.deepcopy(base)
    s = base.students
    school = int(np.bincount(s.school).argmax())
    raised.schools.school_effect[school] += 0.2
    diff = _growth_step(raised, 7) - _growth_step(base, 7)
    here = s.school == school
    assert np.allclose(diff[here], 0.2, atol=1e-12)
    assert np.all(diff[~here] == 0.0)


def test_zero_school_effects_give_back_the_old_growth_exactly():
    model = EducationModel(region="tiny", rng=4, **OFF)
    assert np.all(model.schools.school_effect == 0.0)
    s, learn = model.students, model.cfg.learning
    before = s.achievement.copy()
    # the growth equation without the school-effect term, written out
    old = (learn.teacher_effect_weight * learning.pupil_teacher_effect(model)
           + learn.resource_effect * (model.resource_index()[s.school] - 1.0)
           + learn.peer_effect * model.school_mean_z()[s.school]
           + learn.ses_effect * s.ses + learn.left_behind_effect * s.left_behind)
    noise = np.random.default_rng(9).standard_normal(s.n) * learn.noise_sd
    expected = learn.persistence * before + old + noise
    assert np.array_equal(_growth_step(model, 9), expected)


def _many_schools(n: int, **cfg_values: float) -> SimpleNamespace:
    """A stand-in county of ``n`` urban primary schools (what the school-effect process
    reads), with its own configuration."""
    cfg = SimConfig()
    for key, value in cfg_values.items():
        cfg.set(key, value)
    schools = Table("school", SCHOOL_SCHEMA, capacity=n)
    schools.add(n, level=PRIMARY, tier=URBAN, open=True)
    return SimpleNamespace(cfg=cfg, schools=schools)


def test_school_effect_dynamics_are_stationary_ar1():
    se = {"school_effects.persistent_sd": 0.1, "school_effects.transient_sd": 0.08,
          "school_effects.persistence": 0.8, "school_effects.key_share.urban": 0.0}
    county = _many_schools(20_000, **se)
    rng = np.random.default_rng(1)
    school_effects.init_schools(county, rng)
    sch = county.schools
    total_sd = np.hypot(0.1, 0.08)
    sds, prev = [], None
    for _ in range(15):
        p0 = sch.school_effect_persistent.copy()
        school_effects.step(county, rng)
        sds.append((sch.school_effect_persistent.std(), sch.school_effect.std()))
        prev = p0
    sds = np.array(sds)
    # the SDs neither grow nor shrink over the years (the year-0 draw is stationary)
    assert np.allclose(sds[:, 0], 0.1, rtol=0.03)
    assert np.allclose(sds[:, 1], total_sd, rtol=0.03)
    # the persistent part's yearly autocorrelation is φ; the total's is φ σ_p² / σ_u²
    assert np.corrcoef(prev, sch.school_effect_persistent)[0, 1] == pytest.approx(0.8, abs=0.02)
    # the year-0 past drawn for the year-0 pupils has the same autocorrelation
    path = county.school_effect_path
    lag = np.corrcoef(path[:, 0], path[:, 1])[0, 1]
    assert lag == pytest.approx(0.8 * 0.1 ** 2 / total_sd ** 2, abs=0.03)


def test_year0_achievement_carries_the_school_effect():
    model = EducationModel(region="tiny", rng=5, school_effects__persistent_sd=0.3)
    s = model.students
    primary = s.grade <= 6
    n = np.bincount(s.school[primary], minlength=model.schools.n)
    mean_z = np.bincount(s.school[primary], weights=model.achievement_z()[primary],
                         minlength=model.schools.n) / np.maximum(n, 1)
    ok = n > 50
    r = np.corrcoef(mean_z[ok], model.schools.school_effect_persistent[ok])[0, 1]
    assert r > 0.7


def _keyed(**extra: object) -> EducationModel:
    return EducationModel(region="tiny", rng=6, school_effects__key_share__urban=0.6,
                          school_effects__key_share__town=0.0, **extra)


def test_key_schools_draw_stronger_teachers_at_year0_and_when_hiring():
    # no choice and no transfers: both counties keep the same pupils and vacancies
    kw = {"enrolment__choice_rate": 0.0, "school_effects__key_transfer_priority": False,
          "teachers__transfer_request": {"urban": 0.0, "town": 0.0, "rural": 0.0}}
    plain = _keyed(school_effects__key_teacher_skill=0.0, **kw)
    strong = _keyed(school_effects__key_teacher_skill=0.1, **kw)
    key = strong.schools.key_school
    assert key.any() and np.array_equal(key, plain.schools.key_school)
    t_key = key[strong.teachers.school]
    shift = strong.teachers.skill - plain.teachers.skill
    assert np.allclose(shift[t_key], 0.1) and np.all(shift[~t_key] == 0.0)
    plain.step()
    strong.step()
    hired = strong.teachers.experience == 0
    assert np.array_equal(hired, plain.teachers.experience == 0)
    at_key = hired & key[strong.teachers.school]
    assert at_key.any()
    shift = strong.teachers.skill - plain.teachers.skill
    assert np.allclose(shift[at_key], 0.1) and np.all(shift[hired & ~at_key] == 0.0)


def test_key_schools_get_the_first_pick_of_transfer_applicants():
    model = _keyed()
    key = model.schools.key_school
    slots = np.arange(model.schools.n, dtype=np.intp)[::-1]
    sections = (slots % 2).astype(np.int8)
    ordered, sec = school_effects.order_transfer_slots(model, slots, sections)
    k = int(key.sum())
    assert key[ordered[:k]].all() and not key[ordered[k:]].any()
    # each group keeps its given order, and the section travels with its post
    assert list(ordered[:k]) == [s for s in slots if key[s]]
    assert np.array_equal(sec, (ordered % 2).astype(np.int8))
    model.cfg.school_effects.key_transfer_priority = False
    same, _ = school_effects.order_transfer_slots(model, slots, sections)
    assert np.array_equal(same, slots)


def test_key_schools_draw_richer_pupils_where_choice_is_allowed():
    kw = {"enrolment__choice_rate": 0.3}
    plain = _keyed(school_effects__key_choice_bonus=0.0, **kw)
    pull = _keyed(school_effects__key_choice_bonus=2.0, **kw)
    key = pull.schools.key_school

    def key_ses(m: EducationModel) -> float:
        return float(m.students.ses[key[m.students.school]].mean())

    assert key_ses(pull) > key_ses(plain) + 0.1
    # without choice the reputation draws nobody
    closed = _keyed(school_effects__key_choice_bonus=2.0, enrolment__choice_rate=0.0)
    none = _keyed(school_effects__key_choice_bonus=0.0, enrolment__choice_rate=0.0)
    assert np.array_equal(closed.students.school, none.students.school)


def test_a_loaded_county_synthesises_key_schools_and_says_so():
    model = EducationModel(rng=1, region__path=str(ROOT / "examples" / "county_schools.csv"))
    notes = " ".join(model.synthesis_notes)
    assert "key schools" in notes and "key_school" in notes
    assert model.schools.school_effect.std() > 0
    model.run(2)
