"""The browser view without a browser: controls, page data, drawings, and the page itself
rendered with Solara's test helpers (Step, Reset with changed controls, map measure)."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import ipyvuetify as v
import numpy as np
import pandas as pd
import pytest
import solara

import sim.policies  # noqa: F401  (registers the policies)
from sim import evaluation
from sim.config import ConfigError, param
from sim.labels import policy_name
from sim.policies.base import POLICIES, Policy, PolicyConfig
from sim.viz import app, assets, cli, components, data, specs
from sim.viz import controls as controls_module
from sim.viz.controls import (
    CONTROL_OVERRIDES,
    COUNTIES,
    POLICY_CONTROLS,
    CountyView,
    default_controls,
    field_range,
    model_params,
    policies_from_controls,
    policy_control,
    showable_controls,
)
from sim.viz.vega_widget import VegaChart


def _tiny(**controls):
    base = {name: False for name in POLICY_CONTROLS}
    return CountyView(county="tiny", rng=5, **{**base, **controls})


@pytest.fixture(scope="module")
def with_policies():
    m = _tiny(teacher_rotation=True, teacher_rotation__rate=0.2, school_groups=True,
              targeted_funding=True)
    m.run(3)
    return m


# ---- controls ----------------------------------------------------------------------------
def test_every_policy_has_a_control_inside_its_allowed_range():
    assert set(POLICY_CONTROLS) == set(POLICIES)
    for name, c in POLICY_CONTROLS.items():
        lo, hi = field_range(name, c.field)
        assert lo <= c.lo < c.hi <= hi, name
        assert c.field in POLICIES[name].intensity_fields, name
        default = getattr(POLICIES[name].Config(), c.field)
        assert c.lo <= default <= c.hi, name


def test_every_registered_policy_can_be_shown():
    # a policy the page cannot show (no bounded numeric main intensity) fails here, with why
    for name in POLICIES:
        policy_control(name)
    assert set(showable_controls()) == set(POLICIES)
    assert set(CONTROL_OVERRIDES) <= set(POLICIES)  # no override for a policy that is gone


def test_a_new_policy_gets_controls_from_its_registration(monkeypatch):
    @dataclasses.dataclass
    class Config(PolicyConfig):
        level: float = param(0.5, "share of schools", 0.0, 2.0, doc="how much")
        mode: str = param("a", choices=("a", "b"))

    class NewPolicy(Policy):
        name = "new_policy"
        intensity_fields = ("level",)

    NewPolicy.Config = Config
    monkeypatch.setitem(POLICIES, "new_policy", NewPolicy)
    c = policy_control("new_policy")
    assert (c.field, c.lo, c.hi, c.step, c.on) == ("level", 0.0, 2.0, 0.1, False)
    assert (c.switch_label, c.slider_label) == ("New policy", "share of schools")
    assert "new_policy" in showable_controls()
    monkeypatch.setattr(NewPolicy, "intensity_fields", ("mode",))
    with pytest.raises(ValueError, match="'mode' is not a number with a bounded allowed range"):
        policy_control("new_policy")
    assert "new_policy" not in showable_controls()


def test_model_params_cover_county_seed_and_each_policy():
    params = model_params()
    assert params["county"]["values"] == list(COUNTIES)
    assert params["rng"]["type"] == "SliderInt"
    for name, c in POLICY_CONTROLS.items():
        assert params[name]["type"] == "Checkbox"
        assert params[f"{name}__{c.field}"]["type"] == "SliderFloat"
    controls = default_controls()
    assert controls["teacher_rotation"] is True and controls["targeted_funding"] is False


def test_controls_build_the_policies_config():
    got = policies_from_controls({"teacher_rotation": True, "teacher_rotation__rate": 0.25,
                                  "school_groups": False, "school_groups__coverage": 0.3,
                                  "teacher_training": True})
    assert got == {"teacher_rotation": {"rate": 0.25}, "teacher_training": {}}
    with pytest.raises(ConfigError, match="unknown control 'rotation'"):
        policies_from_controls({"rotation": True})
    with pytest.raises(ConfigError, match="teacher_rotation: expected on/off"):
        policies_from_controls({"teacher_rotation": 0.1})


def test_county_view_is_the_model_with_those_settings():
    m = _tiny(teacher_rotation=True, teacher_rotation__rate=0.3)
    assert m.cfg.region.preset == "tiny" and m.seed == 5
    assert m.cfg.policies == {"teacher_rotation": {"rate": 0.3}}
    assert [p.name for p in m.policies] == ["teacher_rotation"]
    with pytest.raises(ConfigError, match="county: 'atlantis' is not one of"):
        CountyView(county="atlantis")
    with pytest.raises(ConfigError, match=r"policies.teacher_rotation.rate.*\[0.0, 1.0\]"):
        _tiny(teacher_rotation=True, teacher_rotation__rate=1.5)


def test_the_published_example_county_loads():
    assert "published example" in COUNTIES
    m = CountyView(county="published example", rng=1, teacher_rotation=False,
                   school_groups=False)
    assert m.schools.n == 39 and m.cfg.region.path.endswith("schools.csv")


# ---- page data ----------------------------------------------------------------------------
def test_school_frame_is_a_new_frame_per_call_and_follows_the_year():
    m = _tiny(school_groups=True)
    m.run(1)
    frame = data.school_frame(m)
    frame.loc[:, "students"] = -1  # the caller's copy
    assert (data.school_frame(m)["students"] > 0).all()
    before = data.school_frame(m)
    m.step()
    after = data.school_frame(m)
    assert not after["mean_achievement"].equals(before["mean_achievement"])
    sizes = np.bincount(m.students.school, minlength=m.schools.n)
    assert after["students"].tolist() == sizes[after["school_id"]].tolist()


def test_school_frame_matches_the_model(with_policies):
    m = with_policies
    frame = data.school_frame(m)
    table = m.school_table()
    assert frame["students"].sum() == m.students.n
    assert frame["teachers"].sum() == table["teachers"].sum()
    assert set(frame["school_id"]) == set(table["school_id"])
    # a one-section school's ratios and compliance are the evaluation's own
    for level in ("primary", "junior"):
        rows = table[table["level"] == level]
        ev = evaluation.evaluate(rows, level)
        single = frame.set_index("school_id")
        counts = table["school_id"].value_counts()
        for sid, row in zip(rows["school_id"], ev.schools.itertuples(), strict=True):
            if counts[sid] != 1:
                continue
            got = single.loc[sid]
            for name in evaluation.QUALITY_INDICATORS:
                want = getattr(row, name) / evaluation.QUALITY_STANDARDS[level][name]
                assert got[f"ratio_{name}"] == pytest.approx(want, rel=1e-12)
            assert bool(got["complies"]) == bool(row.complies)


def test_group_links_and_rotation_flows_come_from_the_policies(with_policies):
    m = with_policies
    links = data.group_links(m)
    structure = m.policy("school_groups").structure
    assert len(links) == len(structure.links()) > 0
    assert all(structure.lead_of[member] >= 0 for _, member in links)
    flows = data.rotation_flows(m)
    moves = m.policy("teacher_rotation").moves
    assert flows["teachers"].sum() == len(moves) == m.timeseries()["teacher_rotation.rotated"].iloc[-1]
    assert (m.schools.tier[flows["to"]] == 2).all()  # urban -> rural by default
    off = _tiny()
    assert data.group_links(off).shape == (0, 2)
    assert data.rotation_flows(off).empty


def test_cost_series_is_the_cumulated_policy_cost(with_policies):
    ts = data.series(with_policies)
    costs = data.cost_series(ts)
    for name in ("teacher_rotation", "school_groups", "targeted_funding"):
        assert costs[name].iloc[-1] == pytest.approx(ts[f"cost_policy_{name}"].sum() / 1e6)
    assert costs["total"].iloc[-1] > 0
    assert np.all(np.diff(costs["total"]) >= 0)


def test_school_detail(with_policies):
    m = with_policies
    sid = int(data.school_frame(m)["school_id"].iloc[-1])
    d = data.school_detail(m, sid)
    assert d["students"] == int((m.students.school == sid).sum())
    assert d["achievement_by_ses"]["pupils"].sum() == d["students"]
    # the county's SES groups of the SES gap: bottom quarter, middle half, top quarter, at
    # np.quantile's quartiles (a pupil at a cut belongs to the outer group)
    ses, z = m.students.ses, m.achievement_z()
    q1, q3 = np.quantile(ses, [0.25, 0.75])
    group = np.where(ses <= q1, 0, np.where(ses >= q3, 2, 1))
    mine = m.students.school == sid
    by_ses = d["achievement_by_ses"]
    assert by_ses["ses_group"].tolist() == ["bottom quarter", "middle half", "top quarter"]
    assert by_ses["pupils"].tolist() == np.bincount(group[mine], minlength=3).tolist()
    assert by_ses["mean_achievement"].tolist() == pytest.approx(
        [z[mine & (group == g)].mean() for g in range(3)])
    assert by_ses["county_mean_achievement"].tolist() == pytest.approx(
        [z[group == g].mean() for g in range(3)])
    # the panel's groups are the SES gap's: top minus bottom is the year's recorded gap
    gap = by_ses["county_mean_achievement"].iloc[2] - by_ses["county_mean_achievement"].iloc[0]
    assert gap == pytest.approx(m.latest_record()["ses_gap"])
    assert len(d["teacher_effectiveness"]) == d["teachers"]
    rows = m.school_table()
    rows = rows[rows["school_id"] == sid]
    assert len(d["indicators"]) == 7 * len(rows)
    first = d["indicators"].iloc[0]
    assert first["value"] == pytest.approx(first["ratio"] * first["standard"])
    with pytest.raises(ValueError, match="school_id must be in"):
        data.school_detail(m, m.schools.n)


# ---- drawings -----------------------------------------------------------------------------
def _layer(spec, mark):
    return next(layer for layer in spec["layer"] if layer["mark"]["type"] == mark
                and (mark != "point" or "shape" not in layer["mark"]))


def test_map_spec_shows_schools_links_and_rotations(with_policies):
    m = with_policies
    frame, links, flows = data.school_frame(m), data.group_links(m), data.rotation_flows(m)
    assert len(links) and len(flows)  # groups and rotation are on in this run
    spec = specs.county_map_spec(frame, "mean_achievement", links, flows, m.year)
    schools = _layer(spec, "point")["data"]["values"]
    assert [r["school_id"] for r in schools] == frame["school_id"].tolist()
    assert [r["value"] for r in schools] == pytest.approx(frame["mean_achievement"].tolist())
    assert [r["pupils"] for r in schools] == frame["students"].tolist()
    assert {r["tier"] for r in schools} <= set(specs.TIER_SHAPES)
    rules = _layer(spec, "rule")["data"]["values"]
    assert len(rules) == len(links)
    # true positions in the tooltip; links and routes drawn between the markers
    assert [r["east_km"] for r in schools] == pytest.approx(frame["x"].tolist(), abs=0.006)
    assert [r["north_km"] for r in schools] == pytest.approx(frame["y"].tolist(), abs=0.006)
    pos = {r["school_id"]: (r["x"], r["y"]) for r in schools}
    lead, member = links[0]
    assert (rules[0]["x"], rules[0]["y"], rules[0]["x2"], rules[0]["y2"]) == pytest.approx(
        (*pos[lead], *pos[member]), abs=0.006)  # to 10 m
    curves = _layer(spec, "line")["data"]["values"]
    routes = {r["route"] for r in curves}
    assert len(routes) == len(flows[flows["from"] != flows["to"]])
    first = [r for r in curves if r["route"] == 0]
    heads = next(layer for layer in spec["layer"] if layer["mark"].get("shape"))
    a, b = pos[heads["data"]["values"][0]["from"]], pos[heads["data"]["values"][0]["to"]]
    assert np.hypot(first[0]["x"] - a[0], first[0]["y"] - a[1]) < np.hypot(
        first[-1]["x"] - a[0], first[-1]["y"] - a[1])  # the curve runs from sender to receiver
    assert np.hypot(first[-1]["x"] - b[0], first[-1]["y"] - b[1]) < np.hypot(b[0] - a[0],
                                                                            b[1] - a[1])
    widest = max(curves, key=lambda r: r["width"])["route"]
    assert heads["data"]["values"][widest]["teachers"] == int(flows["teachers"].max())
    assert len(heads["data"]["values"]) == len(routes)
    x_dom = spec["layer"][0]["encoding"]["x"]["scale"]["domain"]
    y_dom = spec["layer"][0]["encoding"]["y"]["scale"]["domain"]
    assert x_dom[1] - x_dom[0] == pytest.approx(y_dom[1] - y_dom[0])  # same km per pixel
    assert spec["width"] == spec["height"]
    assert f"({int(flows['teachers'].sum())} teachers)" in spec["title"]["subtitle"][0]
    colour = _layer(spec, "point")["encoding"]["color"]["scale"]
    assert colour["domainMid"] == 0.0  # diverging around the county mean
    with pytest.raises(ValueError, match="measure must be one of"):
        specs.county_map_spec(frame, "happiness", links, flows, m.year)


def test_map_colour_scale_is_fixed_across_years():
    m = _tiny(teacher_rotation=True)
    scales = []
    for _ in range(3):
        frame = data.school_frame(m)
        spec = specs.county_map_spec(frame, "mean_achievement", data.group_links(m),
                                     data.rotation_flows(m), m.year)
        scales.append(_layer(spec, "point")["encoding"]["color"]["scale"])
        m.step()
    assert scales[0] == scales[1] == scales[2]
    assert scales[0]["domain"] == list(specs.MAP_DOMAINS["mean_achievement"])
    assert scales[0]["clamp"] is True  # beyond the domain: the end colour, not a new scale
    assert set(specs.MAP_DOMAINS) == set(data.MAP_MEASURES)


def test_spread_moves_only_schools_that_would_hide_each_other():
    x = np.array([0.0, 0.1, 0.1, 50.0])
    y = np.array([0.0, 0.0, 0.0, 50.0])
    sx, sy = specs.spread(x, y, 2.0)
    p = np.column_stack([sx, sy])
    d = np.hypot(*(p[:, None] - p[None]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    assert d[:3, :3].min() > 1.8  # the three near ones (two coincident) now apart
    assert (sx[3], sy[3]) == (50.0, 50.0)  # the far one kept its place
    assert np.abs(p[:3] - [0.05, 0.0]).max() < 3  # and they stay near where they were


def test_time_charts_draw_the_same_seed_baseline_when_a_policy_is_on():
    m = _tiny(teacher_rotation=True, teacher_rotation__rate=0.3)
    base = controls_module.same_seed_baseline(m)
    assert controls_module.same_seed_baseline(_tiny()) is None  # no policy: no baseline
    assert base.seed == m.seed and base.county == m.county and not base.policies
    m.run(2)
    base.run(2)
    ts, bts = data.series(m), data.series(base)
    assert not np.allclose(ts["mean_achievement"], bts["mean_achievement"])
    cv = specs.cv_spec(ts, baseline=bts)
    for panel, level in zip(cv["hconcat"], ("primary", "junior"), strict=True):
        col = f"cv_{level}_backbone_teachers_per_100"
        faint = next(layer for layer in panel["layer"] if layer["mark"].get("opacity"))
        assert _series_of(faint, data.CV_LABELS["backbone_teachers_per_100"])[1] == \
            bts[col].tolist()
        assert "faint dashed: every policy off" in panel["title"]["subtitle"]
    assert all(len(p["layer"]) == 2 for p in specs.cv_spec(ts)["hconcat"])  # no baseline
    for spec, col, label in ((specs.equity_spec(ts, baseline=bts), "ses_gap",
                              data.EQUITY_SERIES["ses_gap"]),
                             (specs.quality_spec(ts, baseline=bts), "mean_achievement",
                              "county")):
        faint = next(layer for layer in spec["layer"] if layer["mark"].get("strokeDash"))
        assert _series_of(faint, label)[1] == bts[col].tolist()
        run = next(layer for layer in spec["layer"] if not layer["mark"].get("strokeDash"))
        # one colour scale, one legend: a layer with its legend off would hide the merged one
        assert faint["mark"]["opacity"] < 0.6
        assert faint["encoding"]["color"] == run["encoding"]["color"]
        assert run["encoding"]["color"].get("legend", {}) is not None
        assert spec["title"]["subtitle"] == specs.BASELINE_NOTE
    assert "layer" not in specs.equity_spec(ts)  # no baseline given: the run alone


def test_slider_labels_show_their_values():
    params = model_params()
    assert controls_module.control_label(params["rng"], 7) == "Seed: 7"
    rot = params["teacher_rotation__rate"]
    assert controls_module.control_label(rot, 0.1) == f"{rot['label']}: 0.10"
    assert controls_module.control_label(params["teacher_rotation"], True) == \
        params["teacher_rotation"]["label"]


def test_school_panel_spec_shows_the_school(with_policies):
    m = with_policies
    sid = int(data.school_frame(m)["school_id"].iloc[-1])
    d = data.school_detail(m, sid)
    spec = specs.school_panel_spec(d)
    top, bottom = spec["vconcat"]
    bars = top["layer"][0]["data"]["values"]
    assert [b["percent"] for b in bars] == pytest.approx((100 * d["indicators"]["ratio"]).tolist())
    assert {b["section"] for b in bars} == set(d["indicators"]["level"])
    assert d["name"] in top["title"] and f"{d['students']:,} pupils" in top["title"]
    teachers, ses = bottom["hconcat"]
    eff = [r["effectiveness"] for r in teachers["layer"][0]["data"]["values"]]
    assert eff == pytest.approx(list(d["teacher_effectiveness"]))
    mine = [r["achievement"] for r in ses["layer"][0]["data"]["values"]
            if r["who"] == "this school"]
    expect = d["achievement_by_ses"]["mean_achievement"].tolist()
    assert [x if x is not None else np.nan for x in mine] == pytest.approx(expect, nan_ok=True)
    json.dumps(spec)


def _series_of(spec, label):
    rows = [r for r in spec["data"]["values"] if r["series"] == label]
    return [r["year"] for r in rows], [r["value"] for r in rows]


def test_chart_specs_carry_the_recorded_series(with_policies):
    ts = data.series(with_policies)
    years = ts["year"].tolist()
    eq = specs.equity_spec(ts)
    for col, label in data.EQUITY_SERIES.items():
        assert _series_of(eq, label) == (years, ts[col].tolist())
    cv = specs.cv_spec(ts, {"primary": 0.5, "junior": 0.45})
    for panel, level, limit in zip(cv["hconcat"], ("primary", "junior"), (0.5, 0.45),
                                   strict=True):
        lines, rule = panel["layer"]
        assert {r["series"] for r in lines["data"]["values"]} == set(data.CV_LABELS.values())
        name = "teachers_above_required_qualification_per_100"
        assert _series_of(lines, data.CV_LABELS[name]) == (years, ts[f"cv_{level}_{name}"].tolist())
        assert rule["data"]["values"][0]["limit"] == limit
        # the limit's value in the subtitle, not as text in the plot (where lines cross it)
        assert f"black dashed: limit {limit:.2f}" in panel["title"]["subtitle"]
    q = specs.quality_spec(ts)["layer"][0]
    assert _series_of(q, "county") == (years, ts["mean_achievement"].tolist())
    assert _series_of(q, "rural") == (years, ts["achievement_rural"].tolist())
    costs = data.cost_series(ts)
    cost = specs.cost_spec(costs)
    assert cost["title"] == f"Cumulative policy cost: {costs['total'].iloc[-1]:,.1f} million yuan"
    names = [c for c in costs.columns if c not in ("year", "total")]
    words = [policy_name(n) for n in names]  # the legend in words, not registry names
    assert names and {r["series"] for r in cost["data"]["values"]} == set(words)
    assert all("_" not in w for w in words)
    assert _series_of(cost, words[0]) == (years, costs[names[0]].tolist())
    assert cost["encoding"]["y"]["stack"] == "zero"
    for spec in (eq, cv, specs.quality_spec(ts), cost):
        json.dumps(spec)  # plain JSON for the widget
        assert spec["$schema"] == specs.SCHEMA  # the Vega-Lite version the page loads


def test_chart_specs_leave_out_missing_values_and_say_when_no_policy_runs():
    ts = pd.DataFrame({"year": [0, 1, 2], "ses_gap": [0.5, np.nan, 0.4]})
    assert _series_of(specs.equity_spec(ts), data.EQUITY_SERIES["ses_gap"]) == ([0, 2], [0.5, 0.4])
    none = specs.cost_spec(data.cost_series(pd.DataFrame({"year": [0, 1]})))
    assert none["data"]["values"] == [{"text": "no policy switched on"}]
    assert none["title"].endswith("0.0 million yuan")


# ---- the page, rendered without a browser -------------------------------------------------
def _render(model):
    reactive = solara.reactive(model)

    @solara.component
    def Page():
        with solara.AppLayout():
            app.CountyPage(reactive)

    _, rc = solara.render(Page(), handle_error=False)
    return reactive, rc


def _images(rc):
    """What the page shows: the Vega-Lite spec of each card's chart (as JSON text)."""
    shown = {}
    for c in ("edusim-map-plot", "edusim-school-plot", "edusim-equity-plot", "edusim-cv-plot",
              "edusim-quality-plot", "edusim-cost-plot"):
        chart = next(w for w in rc.find(VegaChart).widgets if c in w._dom_classes)
        shown[c] = json.dumps(chart.spec)
    return shown


@pytest.mark.slow
def test_page_step_reset_and_controls():
    reactive, rc = _render(_tiny(teacher_rotation=True))
    before = _images(rc)
    assert all(len(img) > 1000 for img in before.values())  # every component drew
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert reactive.value.year == 1
    # a slider's label shows its value and follows it
    seed = rc.find(v.Slider, label="Seed: 1").widget
    seed.v_model = 42
    assert rc.find(v.Slider, label="Seed: 42").widget is seed
    after = _images(rc)
    for key in ("edusim-map-plot", "edusim-equity-plot", "edusim-cv-plot"):
        assert after[key] != before[key], key  # the charts and the map received the new year

    # the page's initial grid gives the map and the school panel room
    grid = rc.find(solara.widgets.GridLayout).widget
    assert [cell["h"] for cell in grid.grid_layout][:2] == [19, 19]

    # a changed control reaches the model's config on Reset
    box = rc.find(v.Checkbox, label="Teacher training").widget
    box.v_model = True
    rc.find(v.Btn, children=["Reset"]).widget.click()
    model = reactive.value
    assert model.year == 0
    assert "teacher_training" in model.cfg.policies
    assert model.county == "default"  # the select box's value (the page's default county)

    # the map's measure select changes what the map shows
    map_before = _images(rc)["edusim-map-plot"]
    sel = rc.find(v.Select, label="Colour schools by").widget
    sel.v_model = data.MAP_MEASURES["ratio_backbone_teachers_per_100"][0]
    assert _images(rc)["edusim-map-plot"] != map_before


@pytest.mark.slow
def test_page_shows_the_baseline_up_to_the_shown_year_only():
    # the page steps the same-seed baseline a year ahead (while the user looks), but its
    # charts draw it up to the shown model's year, with the values of the baseline run
    reactive, rc = _render(_tiny(teacher_rotation=True))
    step = rc.find(v.Btn, children=["Step"]).widget
    for year in (1, 2):
        step.click()
        assert reactive.value.year == year
        spec = json.loads(_images(rc)["edusim-equity-plot"])
        faint = next(layer for layer in spec["layer"] if layer["mark"].get("strokeDash"))
        rows = [r for r in spec["datasets"][faint["data"]["name"]]  # the widget's named data
                if r["series"] == data.EQUITY_SERIES["ses_gap"]]
        expected = controls_module.same_seed_baseline(reactive.value)
        expected.run(year)
        assert [r["year"] for r in rows] == list(range(year + 1))
        assert [r["value"] for r in rows] == data.series(expected)["ses_gap"].tolist()


@pytest.mark.slow
def test_each_page_session_builds_its_own_model(monkeypatch):
    # the served Page builds its model when a session first renders it, once per session
    # (two sessions in a real browser: tests/test_viz_browser.py)
    built = []
    monkeypatch.setattr(app, "initial_model", lambda: built.append(_tiny()) or built[-1])
    _, one = solara.render(app.Page(), handle_error=False)
    assert len(built) == 1
    one.render(app.Page())  # a re-render of the same session builds nothing
    assert len(built) == 1
    solara.render(app.Page(), handle_error=False)  # another session
    assert len(built) == 2 and built[0] is not built[1]


def test_run_summary_names_what_runs():
    m = _tiny(teacher_rotation=True, teacher_rotation__rate=0.2)
    text = components.run_summary(m)
    assert "tiny county, seed 5" in text and "teacher rotation (rate 0.2)" in text
    assert "teacher_rotation" not in text  # the policy in words
    assert "none (baseline)" in components.run_summary(_tiny())


# ---- command line and assets ----------------------------------------------------------------
@pytest.mark.parametrize("argv, message", [
    (["--port", "0"], "--port: 0 is outside the allowed range [1, 65535]"),
    (["--port", "http"], "--port: 'http' is not a whole number"),
    (["--host", " "], "--host: ' ' is not a host name or address"),
])
def test_cli_rejects_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_binds_to_loopback_by_default():
    args = cli.parser().parse_args([])
    cmd = cli.solara_arguments(args.host, args.port)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--port") + 1] == "8765"
    assert cmd[cmd.index("run") + 1] == "sim.viz.app" and callable(app.Page)
    assert "--production" in cmd  # no auto-restart: the server's frozen imports stay its own


def test_required_assets_are_read_from_solara():
    specs = assets.required_specs()
    assert any(s.startswith("@widgetti/solara-vuetify-app@") for s in specs)
    assert any(s.startswith("requirejs@") for s in specs)
    assert "vega@5" in specs and not any("vuetify3" in s for s in specs)


def test_installed_assets_are_complete():
    # `make test` provides them (python -m sim.viz.assets); the browser test needs them
    assert assets.missing() == [], "run: .venv/bin/python -m sim.viz.assets"


def _fake_npm(tmp_path, fail_on=None):
    """An `npm` that packs a tarball with a package/ top folder, like npm pack."""
    script = tmp_path / "npm"
    script.write_text(f"""#!{sys.executable}
import json, sys, tarfile, io, pathlib
spec = sys.argv[2]
if spec == {fail_on!r}:
    sys.stderr.write("404 Not Found"); sys.exit(1)
dest = pathlib.Path(sys.argv[sys.argv.index("--pack-destination") + 1])
name = spec.replace("@", "").replace("/", "-") + ".tgz"
with tarfile.open(dest / name, "w:gz") as tar:
    data = ("// " + spec).encode()
    info = tarfile.TarInfo("package/dist/main.js"); info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
print(json.dumps([{{"filename": name}}]))
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_fetch_unpacks_each_package_whole(tmp_path, monkeypatch):
    npm = _fake_npm(tmp_path, fail_on="vega@5")
    monkeypatch.setattr(assets, "required_specs", lambda: ["@scope/app@1.0.0", "vega@5"])
    monkeypatch.setattr(assets.shutil, "which", lambda name: str(npm))
    root = tmp_path / "cdn"
    with pytest.raises(RuntimeError, match="npm pack vega@5 failed"):
        assets.fetch(root, quiet=True)
    # the package before the failure is complete, the failed one left nothing behind
    assert (root / "@scope/app@1.0.0/dist/main.js").read_text() == "// @scope/app@1.0.0"
    assert not (root / "vega@5").exists()
    assert [p.name for p in (root).iterdir() if p.name.startswith(".fetch")] == []
    assert assets.missing(root) == ["vega@5"]


def test_fetch_without_npm_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(assets, "required_specs", lambda: ["vega@5"])
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit, match="apt-get install -y npm"):
        assets.fetch(tmp_path / "cdn", quiet=True)


def test_assets_check_command_reports_state():
    proc = subprocess.run([sys.executable, "-m", "sim.viz.assets", "--check"],
                          capture_output=True, text=True, env={**os.environ})
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout == ""


def test_page_data_has_everything_the_page_draws(with_policies):
    d = data.page_data(with_policies)
    assert set(d) == {"schools", "links", "rotations", "series", "costs", "school"}
    assert isinstance(d["schools"], pd.DataFrame) and len(d["series"]) == 4


def test_importing_the_view_changes_nothing_outside_it():
    # no gc.freeze, no logging set-up, no patched Mesa: the freeze count is a bare
    # interpreter's (CPython 3.12.1 starts with a few hundred tuples frozen)
    code = ("import gc, logging\n"
            "bare = gc.get_freeze_count()\n"
            "import mesa.visualization.solara_viz as sv\n"
            "layout = sv.make_initial_grid_layout\n"
            "import sim.viz.app, sim.viz.assets, sim.viz.cli, sim.viz.components, "
            "sim.viz.controls, sim.viz.data, sim.viz.specs\n"
            "print(gc.get_freeze_count() - bare, sv.make_initial_grid_layout is layout,\n"
            "      logging.getLogger('MESA').level, logging.getLogger('mesa').level,\n"
            "      len(gc.get_referrers(sim.viz.controls.CountyView)))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stderr
    frozen, same_layout, mesa_level, mesa_level2, referrers = proc.stdout.split()
    assert [frozen, same_layout, mesa_level, mesa_level2] == ["0", "True", "0", "0"]
    assert int(referrers) < 10  # no model built (a model would add its instance ... )


def test_page_server_freezes_its_imports_but_not_the_models():
    # full garbage collections must not walk the server's imported objects (a 120 ms pause
    # on county_l); the model the page shows stays collectable once Reset replaces it
    code = ("import gc, logging\n"
            "from sim.viz import app, cli\n"
            "frozen = cli.prepare_server()\n"
            "model = app.initial_model()\n"
            "tracked = {id(o) for o in gc.get_objects()}\n"
            "print(frozen, gc.get_freeze_count() <= frozen, id(model) in tracked,\n"
            "      logging.getLogger('MESA').getEffectiveLevel() == logging.WARNING)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stderr
    frozen, *checks = proc.stdout.split()
    assert int(frozen) > 50_000 and checks == ["True", "True", "True"]
