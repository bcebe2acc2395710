"""The README's generated sentences choose their words from the stored values (docs jobs
run_default, rotation_example, rotation_sweep, presets): other results give other claims."""

from __future__ import annotations

import copy

import pytest

from experiments.docs import render
from experiments.docs.jobs import presets, rotation_example, rotation_sweep, run_default


def _use(monkeypatch, stored: dict) -> None:
    monkeypatch.setattr(render, "values", lambda name, root=None: stored[name])


def _arm(rate, gap, ach, gain, cost=10.0):
    return {"rate": rate, "n_runs": 10, "reference": "same-seed baseline",
            "cost_m": [cost, cost, cost], "change_mean_achievement": ach,
            "change_urban_rural_gap": gap, "gain_per_m_urban_rural_gap": gain,
            "achievement_change_by_tier": {"urban": -0.05, "town": 0.01, "rural": 0.1},
            "baseline_urban_pupil_share": 0.5}


SWEEP = {"years": 15, "seeds": 10, "n_arms": 3, "n_runs": 30, "timings_s": {"sweep": 130.0,
                                                                            "figures": 20.0},
         "arms": [_arm(0.0, [0, 0, 0], [0, 0, 0], None, 0.0),
                  _arm(0.1, [-0.1, -0.12, -0.08], [0.01, 0.002, 0.02], [0.006, 0.005, 0.007]),
                  _arm(0.2, [-0.2, -0.22, -0.18], [-0.01, -0.02, -0.003],
                       [0.004, 0.003, 0.005])]}


def test_sweep_findings_follow_the_arms(monkeypatch):
    _use(monkeypatch, {"rotation_sweep": SWEEP})
    text = rotation_sweep.render_findings()
    assert "every rate above 0% narrows" in text and "narrows it further" in text
    assert "rises above the baseline at 10% and falls below it at 20%" in text
    assert "falls as the rate rises" in text

    other = copy.deepcopy(SWEEP)
    other["arms"][2]["change_mean_achievement"] = [0.001, -0.004, 0.006]   # no clear change
    other["arms"][2]["change_urban_rural_gap"] = [0.05, 0.01, 0.09]        # widens
    other["arms"][2]["gain_per_m_urban_rural_gap"] = [0.008, 0.007, 0.009]
    _use(monkeypatch, {"rotation_sweep": other})
    text = rotation_sweep.render_findings()
    assert "every rate" not in text and "20% widen it" in text
    assert "At no rate tried does it fall below the baseline" in text
    assert "rises with the rate" in text


def test_sweep_intro_quotes_the_measured_time(monkeypatch):
    _use(monkeypatch, {"rotation_sweep": SWEEP})
    monkeypatch.setattr(render, "measured_on", lambda name, root=None: "on MACHINE")
    text = rotation_sweep.render_intro()
    assert "30 simulations (3 rotation rates × 10 seeds, 15 years each)" in text
    assert "took 2 min 10 s and the figures 20 s, measured on MACHINE" in text


RUN = {"seed": 0, "years": 20, "region": "default", "policies": [], "has_baseline": False,
       "schools": [60, 57], "schools_merged": 3, "merge_years": [1], "merge_below": 0,
       "pupils": [50000, 40000], "teachers": [3000, 2500], "mean_achievement": [0.0, 0.1],
       "urban_rural_gap": [0.6, 0.5], "pupils_below_2017": [0.7, 0.5], "first_met_2017": None,
       "first_met_2012": 0}


def test_run_default_sentences_follow_the_run(monkeypatch):
    _use(monkeypatch, {"run_default": RUN})
    assert "3 schools without pupils merge into the nearest school in year 1, leaving 57" in (
        run_default.render_intro())
    text = run_default.render_caption()
    assert "gap narrows from 0.60 to 0.50" in text and "never met" in text
    assert "no dashed lines" in text

    other = {**RUN, "urban_rural_gap": [0.5, 0.6], "first_met_2017": 12, "schools_merged": 0,
             "schools": [60, 60]}
    _use(monkeypatch, {"run_default": other})
    assert "merge" not in run_default.render_intro()
    text = run_default.render_caption()
    assert "gap widens from 0.50 to 0.60" in text and "first met in year 12" in text

    _use(monkeypatch, {"run_default": {**RUN, "policies": ["teacher_rotation"]}})
    with pytest.raises(ValueError, match="runs none"):
        run_default.render_intro()


def test_rotation_example_keeps_the_chosen_rows(monkeypatch):
    lines = ["measure (last year)  baseline", "-----",
             "mean achievement (quality, year-0 SD)  0.1", "SES top-bottom quartile gap  0.8",
             "urban-rural achievement gap (year-0 SD)  0.6", "backbone-teacher CV, junior  0.7",
             "pupils in schools below the 2017 standard (share)  0.7",
             "total policy cost over 10 years: 22.4 million yuan",
             "extra county spending over 10 years: 51.9 million yuan"]
    _use(monkeypatch, {"rotation_example": {"comparison": lines}})
    text = rotation_example.render_comparison()
    assert "SES top-bottom" not in text and "\n...\n" in text
    assert "22.4 million" in text and "51.9 million" in text  # both cost lines
    _use(monkeypatch, {"rotation_example": {"comparison": lines[:4] + lines[5:]}})
    with pytest.raises(ValueError, match="no row"):
        rotation_example.render_comparison()


def test_presets_note_only_when_schools_are_empty(monkeypatch):
    p = {"n_schools": 12, "n_students": 4000, "schools": 12, "pupils": 3988, "teachers": 247,
         "schools_without_pupils": 0, "levels_without_pupils": [], "schools_closed_in_year_1": 0}
    _use(monkeypatch, {"presets": {"seed": 0, "presets": {"tiny": p}}})
    text = presets.render_table()
    assert "| `tiny` | 12 | 3,988 (4,000) | 247 |" in text and "without pupils" not in text
    empty = {**p, "schools_without_pupils": 2, "levels_without_pupils": ["junior"],
             "schools_closed_in_year_1": 1}
    _use(monkeypatch, {"presets": {"seed": 0, "presets": {"tiny": empty}}})
    text = presets.render_table()
    assert "12, 2 of them without pupils" in text and "not all of them close" in text
