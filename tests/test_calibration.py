"""The calibration experiments (experiments/calibration): their mechanics, on short runs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from experiments.calibration import __main__ as runner
from experiments.calibration import gap_closing, stylised, transfer
from sim import EducationModel
from sim.config import SimConfig


# ---- teacher transfer (TTI) ----------------------------------------------------------------
def test_within_cell_difference_uses_school_grade_cells():
    # two cells with different levels: the treated-control difference is 1.0 in both
    growth = np.array([2.0, 1.0, 1.0, 11.0, 10.0, 10.0])
    treated = np.array([True, False, False, True, False, False])
    key = np.array([1, 1, 1, 2, 2, 2])
    diff, share, weight = transfer._within_cell_difference(
        growth, treated, np.where(treated, 0.5, 0.0), key)
    assert diff == pytest.approx(1.0) and share == pytest.approx(0.5)
    assert weight == pytest.approx(2 * (1 * 2 / 3))
    # a pooled comparison would say 11/2 - 22/4 = 1.0 only by luck; shift one cell
    diff, _, _ = transfer._within_cell_difference(
        growth + np.array([0, 0, 0, 5, 5, 5]), treated, treated * 0.5, key)
    assert diff == pytest.approx(1.0)
    assert np.isnan(transfer._within_cell_difference(growth, np.zeros(6, bool), growth, key)[0])


@pytest.fixture(scope="module")
def moved():
    model = EducationModel(rng=3, region="default")
    table0 = model.school_table()
    staff0 = model.section_staff().copy()
    eff0 = model.teacher_effectiveness()
    exp = transfer.TalentTransfer(transfer.TalentTransferConfig())
    exp.setup(model)
    model.policies.append(exp)
    ids0 = model.teachers.id[: model.teachers.n].copy()
    model.step()
    return model, exp, table0, staff0, dict(zip(ids0.tolist(), eff0, strict=True))


def test_movers_are_top_teachers_sent_to_the_weakest_schools(moved):
    model, exp, table0, _, eff0 = moved
    assert exp.n_movers > 0
    t = model.teachers
    rows = t.rows_of(exp.movers[t.contains(exp.movers)])
    dest = t.tti_dest[rows]
    for level in ("primary", "junior"):
        sub = table0[(table0["level"] == level) & (table0["students"] >= 50)]
        k = max(1, round(0.1 * len(sub)))
        weakest = set(sub.nsmallest(k, "mean_achievement")["school_id"])
        # movers of this level's section (a nine-year school receives for either level)
        lv_dest = {d for d, sec in zip(dest, t.section[rows], strict=True)
                   if sec == (level == "junior")}
        assert lv_dest <= weakest, level
    # movers come from the top fifth of effectiveness at the move
    all_eff = np.array(list(eff0.values()))
    mover_eff = np.array([eff0[i] for i in exp.movers.tolist()])
    assert (mover_eff >= np.quantile(all_eff, 0.7)).all()
    assert exp.effectiveness_gap["primary"] > 0 and exp.effectiveness_gap["junior"] > 0


def test_swaps_keep_every_school_staffed_as_before():
    model = EducationModel(rng=4, region="default")
    exp = transfer.TalentTransfer(transfer.TalentTransferConfig())
    exp.setup(model)
    before = model.section_staff().copy()
    where_before = model.teachers.school.copy()
    model.year = 1  # the move happens at the start of year 1
    exp.before_enrolment(model)
    np.testing.assert_array_equal(model.section_staff(), before)
    changed = np.flatnonzero(model.teachers.school != where_before)
    assert len(changed) == 2 * exp.n_movers  # each mover and the teacher swapped out


def test_bonus_acts_through_the_pay_mechanism(moved):
    model, exp, _, _, _ = moved
    m = exp.attrition_multiplier(model)
    t = model.teachers
    on = (t.tti_dest >= 0) & (t.school == t.tti_dest)
    expected = np.exp(-model.cfg.teachers.pay_semi_elasticity * exp.config.bonus_share)
    np.testing.assert_allclose(m[on], expected)
    assert (m[~on] == 1.0).all()
    model.year = exp.config.start_year + exp.config.bonus_years  # bonus over
    try:
        assert exp.attrition_multiplier(model) is None
    finally:
        model.year = 1


def test_one_run_reports_gains_and_retention():
    out = transfer.one_run(seed=1, region="default", years=3)
    assert out["movers"] > 0
    assert 1.0 >= out["stayed_1_years"] >= out["stayed_2_years"] >= out["stayed_3_years"] > 0
    for level in ("primary", "junior"):
        assert 0 < out[f"mover_share_{level}"] <= 1
        assert np.isfinite(out[f"class_gain_{level}"])


# ---- gap closing (Goldhaber et al.) -------------------------------------------------------
def test_arm_overrides_are_valid_and_equalise_flows():
    for arm in gap_closing.ARMS:
        cfg = SimConfig()
        for key, value in gap_closing.arm_overrides(arm).items():
            cfg.set(key, value)
        cfg.validate()
    cfg = SimConfig()
    for key, value in gap_closing.arm_overrides("hiring_mobility").items():
        cfg.set(key, value)
    tc = cfg.teachers
    assert tc.hire_skill_mean.urban == tc.hire_skill_mean.town == tc.hire_skill_mean.rural
    assert tc.transfer_request.rural == 0.0
    assert tc.hire_qualification["rural"] == tc.hire_qualification["urban"]


def test_years_to_close():
    assert gap_closing.years_to_close(np.array([1.0, 0.5, 0.2, 0.1, 0.05])) == 3
    assert gap_closing.years_to_close(np.array([1.0, 0.9, 0.8])) is None
    assert gap_closing.years_to_close(np.array([1.0, 0.4]), closed_share=0.5) == 1


def test_equalising_hiring_and_mobility_narrows_the_gap():
    # 3 seeds of 10 years: the mobility arm's extra narrowing is a few hundredths of an SD,
    # within one seed's noise after 6 years (there the order depended on the random draw)
    tidy, s = gap_closing.run(seeds=3, years=10, region="default")
    arms = s["arms"]
    assert len({a["gap_year0"] for a in arms.values()}) == 1  # same start (same seed)
    assert arms["hiring_mobility"]["gap_last"] < arms["hiring"]["gap_last"]
    assert arms["hiring"]["gap_last"] < arms["baseline"]["gap_last"]
    assert set(tidy["arm"]) == set(gap_closing.ARMS)


# ---- stylised facts -----------------------------------------------------------------------
def test_rural_incentives_lower_rural_attrition():
    # the default county: the tiny one has ~56 rural teachers, so one leaver more or less
    # moves its yearly rate by 0.02, as much as the incentives' effect
    _, s = stylised.rural_incentives(seeds=3, years=3, region="default")
    assert s["incentives"]["mean"] < s["baseline"]["mean"]
    assert s["change"]["mean"] < 0


def test_school_groups_narrow_the_member_lead_gap():
    runs, s = stylised.school_groups(seeds=1, years=4, region="default")
    assert s["gap_baseline"]["mean"] < 0  # members are weaker than their leads
    assert s["narrowing_sd"]["mean"] > 0
    assert runs["groups"].iloc[0] > 0


@pytest.mark.slow
def test_quick_run_writes_figures_and_results(tmp_path):
    assert runner.main(["--quick", "--out", str(tmp_path)]) == 0
    for name in ("transfer", "gap_closing", "stylised"):
        assert (tmp_path / "img" / "calibration" / f"{name}.png").stat().st_size > 10_000
    results = json.loads((tmp_path / runner.RESULTS_FILE).read_text())
    assert {"transfer", "gap_closing", "rural_incentives", "school_groups"} <= set(results)
    assert results["transfer"]["published"]["stayed_3_years"] == 0.6
    # the mean relative gap path of every arm, from 1 in year 0 (what the docs' verdicts read)
    paths = results["gap_closing"]["relative_gap_by_year"]
    assert set(paths) == set(gap_closing.ARMS)
    for path in paths.values():
        assert len(path) == results["gap_closing"]["years"] + 1
        assert path[0] == pytest.approx(1.0)


def test_default_output_is_not_in_docs():
    # the docs' copies of the figures and numbers are made by the docs job `calibration`
    assert runner.DEFAULT_OUT == runner.ROOT / "multirun" / "calibration"


# ---- the generated parameter table ----------------------------------------------------------
def test_parameter_table_in_calibration_md_is_current():
    from experiments.calibration import parameters

    text = parameters.DOC.read_text(encoding="utf-8")
    inside = text.split(parameters.START, 1)[1].split(parameters.END, 1)[0]
    assert inside.strip() == parameters.markdown().strip(), (
        "docs/calibration.md is stale: run python -m experiments.calibration.parameters")


def test_parameter_table_covers_every_behavioural_parameter_and_range():
    from experiments.calibration import parameters
    from experiments.calibration.ranges import RANGES
    from sim.config import parameter_table

    table = parameters.behavioural_table()
    names = set(parameter_table()["parameter"])
    behavioural = {n for n in names if n.split(".")[0] in parameters.SECTIONS}
    covered = {n for n in table["parameter"]} | {
        n.rsplit(".", 1)[0] for n in table["parameter"]}
    assert behavioural <= covered
    assert {r.name for r in RANGES} <= set(table["parameter"])
    assert (table["source"].str.len() > 0).all()
