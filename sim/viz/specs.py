"""Vega-Lite specifications of the browser view's time-series charts (pure functions: data
in, spec dict out).

The browser draws these (Solara's ``VegaLite`` widget, vega from the locally installed
front-end assets, see :mod:`sim.viz.assets`), so a step costs the server the few
milliseconds of building a spec instead of rendering a PNG (≈ 0.2–0.4 s a chart with
matplotlib on these machines). Each spec carries its data inline, in long form (one record
per year and series), so tests can read back exactly what the chart shows.

The specs use Vega-Lite 5 features only and say so in ``$schema`` (the version the page
loads).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.evaluation import CV_LIMITS, QUALITY_INDICATORS
from sim.viz.data import CV_LABELS, EQUITY_SERIES

__all__ = ["SCHEMA", "cost_spec", "cv_spec", "equity_spec", "quality_spec", "records"]

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
EQUITY_COLOURS = ("#2166ac", "#b2182b", "#4d9221")
CV_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")
TIER_COLOURS = {"county": "#1a1a1a", "urban": "#5e3c99", "town": "#b2abd2", "rural": "#e66101"}
_FONT = {"labelFontSize": 10, "titleFontSize": 11}
_CONFIG = {"axis": {**_FONT, "gridColor": "#e6e6e6"}, "legend": {**_FONT, "orient": "bottom"},
           "title": {"anchor": "start", "fontSize": 12}, "view": {"stroke": None}}


def records(ts: pd.DataFrame, columns: dict[str, str], x: str = "year") -> list[dict[str, Any]]:
    """Long-form records ``{year, series, value}`` of ``columns`` ({column: series label})
    present in ``ts``; missing values (nan) are left out (a gap in the line)."""
    out: list[dict[str, Any]] = []
    years = ts[x].to_numpy() if len(ts) else np.zeros(0)
    for col, label in columns.items():
        if col not in ts:
            continue
        values = ts[col].to_numpy(dtype=float)
        ok = np.isfinite(values)
        out.extend({"year": int(y), "series": label, "value": float(v)}
                   for y, v in zip(years[ok], values[ok], strict=True))
    return out


def _x(title: str = "simulated year") -> dict[str, Any]:
    return {"field": "year", "type": "quantitative", "title": title,
            "axis": {"tickMinStep": 1, "format": "d"}}


def _colour(labels: list[str], colours: tuple[str, ...] | list[str],
            columns: int = 4) -> dict[str, Any]:
    return {"field": "series", "type": "nominal", "title": None, "sort": labels,
            "scale": {"domain": labels, "range": list(colours)[: len(labels)]},
            "legend": {"columns": columns, "labelLimit": 280}}


def _spec(title: str, height: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": SCHEMA, "title": title, "width": "container", "height": height,
            "autosize": {"type": "fit-x", "contains": "padding"}, "config": _CONFIG, **body}


def equity_spec(ts: pd.DataFrame, height: int = 220) -> dict[str, Any]:
    """SES and urban–rural achievement gaps and the between-school share of achievement
    variance over the years."""
    labels = list(EQUITY_SERIES.values())
    return _spec("Equity (lower is more equal)", height, {
        "data": {"values": records(ts, EQUITY_SERIES)},
        "mark": {"type": "line", "point": {"size": 18}, "strokeWidth": 1.6},
        "encoding": {"x": _x(),
                     "y": {"field": "value", "type": "quantitative",
                           "title": "gap in year-0 SD / share"},
                     "color": _colour(labels, EQUITY_COLOURS, columns=2),
                     "tooltip": [{"field": "series"}, {"field": "year"},
                                 {"field": "value", "format": ".3f"}]}})


def cv_spec(ts: pd.DataFrame, thresholds: dict[str, float] | None = None,
            height: int = 190, width: int = 185) -> dict[str, Any]:
    """The 7 official difference coefficients (2017 standard) of each level against their
    limit (dashed rule), primary and junior side by side (``width`` px each: Vega-Lite
    sizes side-by-side views in pixels, not to their container)."""
    thresholds = thresholds or CV_LIMITS["quality"]
    labels = [CV_LABELS[n] for n in QUALITY_INDICATORS]
    panels = []
    for level in ("primary", "junior"):
        cols = {f"cv_{level}_{n}": CV_LABELS[n] for n in QUALITY_INDICATORS}
        limit = float(thresholds[level])
        panels.append({
            "width": width, "height": height,
            "title": f"Official CVs, {level} (2017)",
            "layer": [
                {"data": {"values": records(ts, cols)},
                 "mark": {"type": "line", "strokeWidth": 1.4},
                 "encoding": {"x": _x(),
                              "y": {"field": "value", "type": "quantitative",
                                    "title": "difference coefficient (CV)",
                                    "scale": {"zero": True}},
                              "color": _colour(labels, CV_COLOURS),
                              "tooltip": [{"field": "series"}, {"field": "year"},
                                          {"field": "value", "format": ".3f"}]}},
                {"data": {"values": [{"limit": limit, "label": f"limit {limit:.2f}"}]},
                 "mark": {"type": "rule", "strokeDash": [5, 3], "color": "#1a1a1a"},
                 "encoding": {"y": {"field": "limit", "type": "quantitative"}}},
                {"data": {"values": [{"limit": limit, "label": f"limit {limit:.2f}"}]},
                 "mark": {"type": "text", "align": "left", "baseline": "bottom", "dx": 3,
                          "x": 0, "fontSize": 10},
                 "encoding": {"y": {"field": "limit", "type": "quantitative"},
                              "text": {"field": "label"}}},
            ]})
    return {"$schema": SCHEMA, "config": _CONFIG, "hconcat": panels,
            "resolve": {"scale": {"y": "shared"}}}


def quality_spec(ts: pd.DataFrame, height: int = 200) -> dict[str, Any]:
    """Mean achievement (quality) of the county and of each tier, in year-0 SD units."""
    cols = {"mean_achievement": "county", "achievement_urban": "urban",
            "achievement_town": "town", "achievement_rural": "rural"}
    labels = list(cols.values())
    return _spec("Quality: mean achievement", height, {"layer": [
        {"data": {"values": records(ts, cols)},
         "mark": {"type": "line"},
         "encoding": {"x": _x(),
                      "y": {"field": "value", "type": "quantitative", "title": "year-0 SD"},
                      "color": _colour(labels, [TIER_COLOURS[k] for k in labels]),
                      "strokeWidth": {"condition": {"test": "datum.series === 'county'",
                                                    "value": 2.6}, "value": 1.3},
                      "tooltip": [{"field": "series"}, {"field": "year"},
                                  {"field": "value", "format": ".3f"}]}},
        {"data": {"values": [{"zero": 0.0}]},
         "mark": {"type": "rule", "color": "#999999", "strokeWidth": 0.8},
         "encoding": {"y": {"field": "zero", "type": "quantitative"}}},
    ]})


def cost_spec(costs: pd.DataFrame, height: int = 200) -> dict[str, Any]:
    """Cumulative policy cost in million yuan (:func:`sim.viz.data.cost_series`), stacked
    by policy."""
    names = [c for c in costs.columns if c not in ("year", "total")]
    total = float(costs["total"].iloc[-1]) if len(costs) else 0.0
    title = f"Cumulative policy cost: {total:,.1f} million yuan"
    if not names:
        return _spec(title, height, {
            "data": {"values": [{"text": "no policy switched on"}]},
            "mark": {"type": "text", "fontSize": 12, "color": "#666666"},
            "encoding": {"text": {"field": "text"}}})
    return _spec(title, height, {
        "data": {"values": records(costs, {n: n for n in names})},
        "mark": {"type": "area", "opacity": 0.85, "line": {"strokeWidth": 0.6}},
        "encoding": {"x": _x(),
                     "y": {"field": "value", "type": "quantitative", "stack": "zero",
                           "title": "million yuan"},
                     "color": {"field": "series", "type": "nominal", "title": None,
                               "sort": names, "scale": {"scheme": "tableau10"}},
                     "order": {"field": "order", "type": "quantitative"},
                     "tooltip": [{"field": "series"}, {"field": "year"},
                                 {"field": "value", "format": ",.2f"}]},
        "transform": [{"calculate": f"indexof({names!r}, datum.series)", "as": "order"}]})
