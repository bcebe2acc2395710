"""The browser view's chart widget, Python side: a spec split into structure, datasets and
titles joins back to the same spec, and a step changes the data and titles of the page's
charts but not their structure (so the browser keeps each chart's view; the browser side is
tested in tests/test_viz_browser.py)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from sim.model import EducationModel
from sim.viz import data, specs
from sim.viz.vega_widget import TEMPLATE, VegaChart, chart_traits, join_spec, split_spec

ROOT = Path(__file__).resolve().parents[1]


def _specs(m: EducationModel, baseline: EducationModel) -> dict[str, dict]:
    ts, bts = data.series(m), data.series(baseline)
    detail = data.school_detail(m, 0)
    return {
        "map": specs.county_map_spec(data.school_frame(m), "mean_achievement",
                                     data.group_links(m), data.rotation_flows(m), m.year),
        "school": specs.school_panel_spec(detail),
        "equity": specs.equity_spec(ts, baseline=bts),
        "cv": specs.cv_spec(ts, baseline=bts),
        "quality": specs.quality_spec(ts, baseline=bts),
        "cost": specs.cost_spec(data.cost_series(ts)),
    }


def _models():
    m = EducationModel(region="tiny", rng=3, policies={"teacher_rotation": {"rate": 0.3}})
    base = EducationModel(region="tiny", rng=3)
    m.step()
    base.step()
    return m, base


def test_split_then_join_gives_the_spec_back_with_named_data():
    m, base = _models()
    for key, spec in _specs(m, base).items():
        before = json.dumps(spec, sort_keys=True)
        structure, datasets, texts = split_spec(spec)
        assert json.dumps(spec, sort_keys=True) == before, key  # the spec is left unchanged
        text = json.dumps(structure)
        assert '"values"' not in text, key  # no data in the structure ...
        assert datasets and all(f'"name": "{n}"' in text for n in datasets), key  # ... named
        assert texts and all(isinstance(p["name"], str) and "value" not in p
                             for p in structure["params"]), key
        joined = join_spec(structure, datasets, texts)
        assert set(joined["datasets"]) == set(datasets)
        # the same drawing: put each dataset and title back in place and compare
        assert _inline(joined) == json.loads(json.dumps(spec)), key


def _inline(spec: dict) -> dict:
    """``spec`` with named data and title parameters put back inline (as the browser sees
    them)."""
    values = spec.pop("datasets")
    params = {p["name"]: p["value"] for p in spec.pop("params", [])}

    def put(node):
        if isinstance(node, list):
            return [put(x) for x in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"expr"} and node["expr"] in params:
            return params[node["expr"]]
        out = {k: put(w) for k, w in node.items()}
        name = out.get("data", {}).get("name") if isinstance(out.get("data"), dict) else None
        if name in values:
            out["data"] = {**{k: w for k, w in out["data"].items() if k != "name"},
                           "values": values[name]}
        if isinstance(out.get("title"), dict) and set(out["title"]) == {"text"}:
            out["title"] = out["title"]["text"]  # a plain title was written as a string
        return out

    return put(spec)


def test_a_step_changes_data_and_titles_not_the_structure():
    m, base = _models()
    before = {k: chart_traits(s) for k, s in _specs(m, base).items()}
    m.step()
    base.step()
    after = {k: chart_traits(s) for k, s in _specs(m, base).items()}
    for key in before:
        assert after[key]["structure"] == before[key]["structure"], key
        assert all(isinstance(t, str) for t in after[key]["datasets"].values())  # JSON text
        assert isinstance(after[key]["structure"], str)
    for key in ("map", "equity", "cv", "quality", "cost"):
        assert after[key]["datasets"] != before[key]["datasets"], key  # the new year's data
    assert after["map"]["texts"]["title_0"] == "County in year 2: " + \
        before["map"]["texts"]["title_0"].split(": ", 1)[1]


def test_the_widget_shows_the_whole_spec_and_ships_its_template():
    m, base = _models()
    spec = _specs(m, base)["equity"]
    chart = VegaChart(**chart_traits(spec))
    assert _inline(chart.spec) == json.loads(json.dumps(spec))
    assert TEMPLATE.is_file() and TEMPLATE.parent == ROOT / "sim" / "viz"
    # a non-editable install includes the template (package data)
    pkg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert any(TEMPLATE.match(pattern) for pattern in pkg["package-data"]["sim.viz"])


def test_the_map_after_a_repeat_call_has_the_positions_spread_computes():
    import numpy as np

    m, _ = _models()
    frame = data.school_frame(m)
    args = (frame, "mean_achievement", data.group_links(m), data.rotation_flows(m), m.year)
    first, again = specs.county_map_spec(*args), specs.county_map_spec(*args)  # remembered
    x, y = frame["x"].to_numpy(dtype=float), frame["y"].to_numpy(dtype=float)
    span = max(float(np.ptp(x)), float(np.ptp(y)), 1e-6) * 1.12
    sx, sy = specs.spread(x, y, specs.SPREAD_SHARE * span)
    for spec in (first, again):
        schools = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "point"
                       and "shape" in layer["encoding"])["data"]["values"]
        assert [r["x"] for r in schools] == np.round(sx, 2).tolist()
        assert [r["y"] for r in schools] == np.round(sy, 2).tolist()
    assert first == again


@pytest.mark.parametrize("title", ["plain", {"text": "t", "subtitle": ["a", "b"]}])
def test_view_titles_become_parameters(title):
    spec = {"$schema": specs.SCHEMA, "title": title, "mark": "point",
            "data": {"values": [{"a": 1}]},
            "encoding": {"x": {"field": "a", "type": "quantitative", "title": "axis"}}}
    structure, datasets, texts = split_spec(spec)
    assert structure["encoding"]["x"]["title"] == "axis"  # an axis title stays as it is
    assert structure["title"]["text"] == {"expr": "title_0"}
    assert texts["title_0"] == (title if isinstance(title, str) else "t")
    assert datasets == {"edusim_data_0": [{"a": 1}]}
