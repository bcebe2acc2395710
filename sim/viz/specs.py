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

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.evaluation import CV_LIMITS, QUALITY_INDICATORS
from sim.labels import policy_name
from sim.run_figure import TIER_COLOURS as RUN_TIER_COLOURS
from sim.viz.data import CV_LABELS, EQUITY_SERIES, MAP_MEASURES

__all__ = ["BASELINE_NOTE", "LEGEND_LINE_CHARS", "MAP_DOMAINS", "SCHEMA", "cost_spec",
           "county_map_spec", "cv_spec", "equity_spec", "legend_lines", "quality_spec",
           "records", "school_panel_spec"]

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
EQUITY_COLOURS = ("#2166ac", "#b2182b", "#4d9221")
CV_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")
#: the county black and each tier in the colours of a run's equity.png (one palette for both)
TIER_COLOURS = {"county": "#1a1a1a", **RUN_TIER_COLOURS}
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


def _spec(title: str | dict[str, str], height: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": SCHEMA, "title": title, "width": "container", "height": height,
            "autosize": {"type": "fit-x", "contains": "padding"}, "config": _CONFIG, **body}


def _baseline_layer(base: pd.DataFrame, columns: dict[str, str],
                    colour: dict[str, Any]) -> dict[str, Any]:
    """The same-seed baseline's series (every policy off) as faint dashed lines in the run's
    colours; they share the run's colour scale and so its one legend (a layer with its
    legend switched off would switch off the merged legend: Vega-Lite), and the chart's
    subtitle says what the dashed lines are."""
    return {"data": {"values": records(base, columns)},
            "mark": {"type": "line", "strokeDash": [4, 3], "strokeWidth": 1.2,
                     "opacity": 0.45},
            "encoding": {"x": _x(), "y": {"field": "value", "type": "quantitative"},
                         "color": colour,
                         "tooltip": [{"field": "series", "title": "baseline (no policy)"},
                                     {"field": "year"}, {"field": "value", "format": ".3f"}]}}


#: the subtitle of a time chart that draws the same-seed baseline
BASELINE_NOTE = "faint dashed: the same seed with every policy off"


def equity_spec(ts: pd.DataFrame, height: int = 220,
                baseline: pd.DataFrame | None = None) -> dict[str, Any]:
    """SES and urban–rural achievement gaps and the between-school share of achievement
    variance over the years; with ``baseline`` (the same seed's series with every policy
    off), its lines faint and dashed beneath."""
    labels = list(EQUITY_SERIES.values())
    colour = _colour(labels, EQUITY_COLOURS, columns=2)
    run = {"data": {"values": records(ts, EQUITY_SERIES)},
           "mark": {"type": "line", "point": {"size": 18}, "strokeWidth": 1.6},
           "encoding": {"x": _x(),
                        "y": {"field": "value", "type": "quantitative",
                              "title": "gap in year-0 SD / share"},
                        "color": colour,
                        "tooltip": [{"field": "series"}, {"field": "year"},
                                    {"field": "value", "format": ".3f"}]}}
    if baseline is None:
        return _spec("Equity (lower is more equal)", height, run)
    return _spec({"text": "Equity (lower is more equal)", "subtitle": BASELINE_NOTE}, height,
                 {"layer": [_baseline_layer(baseline, EQUITY_SERIES, colour), run]})


def cv_spec(ts: pd.DataFrame, thresholds: dict[str, float] | None = None,
            height: int = 190, width: int = 185,
            baseline: pd.DataFrame | None = None) -> dict[str, Any]:
    """The 7 official difference coefficients (2017 standard) of each level against their
    limit (dashed rule, its value in the panel's subtitle, where no line crosses it), primary
    and junior side by side (``width`` px each: Vega-Lite sizes side-by-side views in
    pixels, not to their container); with ``baseline`` (the same seed's series with every
    policy off), its lines faint and dashed beneath."""
    thresholds = thresholds or CV_LIMITS["quality"]
    labels = [CV_LABELS[n] for n in QUALITY_INDICATORS]
    colour = _colour(labels, CV_COLOURS)
    panels = []
    for level in ("primary", "junior"):
        cols = {f"cv_{level}_{n}": CV_LABELS[n] for n in QUALITY_INDICATORS}
        limit = float(thresholds[level])
        note = [f"black dashed: limit {limit:.2f}"]
        if baseline is not None:
            note.append("faint dashed: every policy off")
        layers: list[dict[str, Any]] = [
            {"data": {"values": records(ts, cols)},
             "mark": {"type": "line", "strokeWidth": 1.4},
             "encoding": {"x": _x(),
                          "y": {"field": "value", "type": "quantitative",
                                "title": "difference coefficient (CV)",
                                "scale": {"zero": True}},
                          "color": colour,
                          "tooltip": [{"field": "series"}, {"field": "year"},
                                      {"field": "value", "format": ".3f"}]}},
            {"data": {"values": [{"limit": limit, "label": f"limit {limit:.2f}"}]},
             "mark": {"type": "rule", "strokeDash": [5, 3], "color": "#1a1a1a"},
             "encoding": {"y": {"field": "limit", "type": "quantitative"},
                          "tooltip": [{"field": "label", "title": "official limit"}]}},
        ]
        if baseline is not None:
            layers.insert(0, _baseline_layer(baseline, cols, colour))
        panels.append({
            "width": width, "height": height,
            "title": {"text": f"Official CVs, {level} (2017)", "subtitle": note},
            "layer": layers})
    return {"$schema": SCHEMA, "config": _CONFIG, "hconcat": panels,
            "resolve": {"scale": {"y": "shared"}}}


def quality_spec(ts: pd.DataFrame, height: int = 200,
                 baseline: pd.DataFrame | None = None) -> dict[str, Any]:
    """Mean achievement (quality) of the county and of each tier, in year-0 SD units; with
    ``baseline`` (the same seed's series with every policy off), its lines faint and dashed
    beneath."""
    cols = {"mean_achievement": "county", "achievement_urban": "urban",
            "achievement_town": "town", "achievement_rural": "rural"}
    labels = list(cols.values())
    colour = _colour(labels, [TIER_COLOURS[k] for k in labels])
    layers: list[dict[str, Any]] = [
        {"data": {"values": records(ts, cols)},
         "mark": {"type": "line"},
         "encoding": {"x": _x(),
                      "y": {"field": "value", "type": "quantitative", "title": "year-0 SD"},
                      "color": colour,
                      "strokeWidth": {"condition": {"test": "datum.series === 'county'",
                                                    "value": 2.6}, "value": 1.3},
                      "tooltip": [{"field": "series"}, {"field": "year"},
                                  {"field": "value", "format": ".3f"}]}},
        {"data": {"values": [{"zero": 0.0}]},
         "mark": {"type": "rule", "color": "#999999", "strokeWidth": 0.8},
         "encoding": {"y": {"field": "zero", "type": "quantitative"}}},
    ]
    if baseline is None:
        return _spec("Quality: mean achievement", height, {"layer": layers})
    return _spec({"text": "Quality: mean achievement", "subtitle": BASELINE_NOTE}, height,
                 {"layer": [*layers, _baseline_layer(baseline, cols, colour)]})


def cost_spec(costs: pd.DataFrame, height: int = 200) -> dict[str, Any]:
    """Cumulative policy cost in million yuan (:func:`sim.viz.data.cost_series`), stacked
    by policy; each policy by its English name (:func:`sim.labels.policy_name`)."""
    names = [c for c in costs.columns if c not in ("year", "total")]
    total = float(costs["total"].iloc[-1]) if len(costs) else 0.0
    title = f"Cumulative policy cost: {total:,.1f} million yuan"
    if not names:
        return _spec(title, height, {
            "data": {"values": [{"text": "no policy switched on"}]},
            "mark": {"type": "text", "fontSize": 12, "color": "#666666"},
            "encoding": {"text": {"field": "text"}}})
    labels = [policy_name(n) for n in names]
    return _spec(title, height, {
        "data": {"values": records(costs, dict(zip(names, labels, strict=True)))},
        "mark": {"type": "area", "opacity": 0.85, "line": {"strokeWidth": 0.6}},
        "encoding": {"x": _x(),
                     "y": {"field": "value", "type": "quantitative", "stack": "zero",
                           "title": "million yuan"},
                     "color": {"field": "series", "type": "nominal", "title": None,
                               "sort": labels, "scale": {"scheme": "tableau10"}},
                     "order": {"field": "order", "type": "quantitative"},
                     "tooltip": [{"field": "series"}, {"field": "year"},
                                 {"field": "value", "format": ",.2f"}]},
        "transform": [{"calculate": f"indexof({labels!r}, datum.series)", "as": "order"}]})


# ---- the county map and the school panel ---------------------------------------------------
#: matplotlib colour map of each map measure (sim.viz.data.MAP_MEASURES) -> Vega scheme
_SCHEMES = {"RdBu": "redblue", "PuOr": "purpleorange", "viridis": "viridis",
            "RdYlGn": "redyellowgreen"}
#: each map measure's fixed colour domain (values beyond it take the end colour), the same
#: in every year so that colours compare across years, seeds and policies. Assumption: the
#: spans cover what the counties show; measured on default and county_l, seed 3, years
#: 0-10, with and without rotation, school groups and targeted funding: school mean
#: achievement -1.01..0.74 SD, teacher effectiveness -0.19..0.09 pupil SD / year, indicator
#: ratios 0..4.9 of the standard (beyond 2 is "twice the standard or more").
MAP_DOMAINS: dict[str, tuple[float, float]] = {
    "mean_achievement": (-1.0, 1.0),
    "teacher_effectiveness": (-0.2, 0.2),
    "indicators_met": (0.0, 7.0),
    **{f"ratio_{n}": (0.0, 2.0) for n in QUALITY_INDICATORS},
}
TIER_SHAPES = {"urban": "square", "town": "triangle-up", "rural": "circle"}
ROTATION_COLOUR = "#e66101"


def _route_curves(flows: pd.DataFrame, pos: dict[int, tuple[float, float]]
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each rotation route as a curve bulging to its left (records of its points, in
    order) and an arrow head at its end (position, heading in screen degrees, size)."""
    keep = [(a, b, k) for a, b, k in zip(flows["from"].to_numpy().tolist(),
                                         flows["to"].to_numpy().tolist(),
                                         flows["teachers"].to_numpy().tolist(), strict=True)
            if a in pos and b in pos and a != b]
    if not keep:
        return [], []
    p0 = np.array([pos[a] for a, _, _ in keep])
    p1 = np.array([pos[b] for _, b, _ in keep])
    k = np.array([c for _, _, c in keep], dtype=float)
    d = p1 - p0
    ctrl = (p0 + p1) / 2 + 0.18 * np.column_stack([-d[:, 1], d[:, 0]])
    t = np.linspace(0.04, 0.93, 10)[None, :, None]
    curve = (1 - t) ** 2 * p0[:, None] + 2 * (1 - t) * t * ctrl[:, None] + t ** 2 * p1[:, None]
    width = np.round(0.6 + 2.4 * k / k.max(), 2).tolist()
    # coordinates to 10 m: a route is drawn, not measured (and the page's JSON stays small)
    xs, ys = np.round(curve[..., 0], 2).tolist(), np.round(curve[..., 1], 2).tolist()
    lines = [{"route": r, "i": i, "x": x, "y": y, "width": width[r]}
             for r in range(len(keep)) for i, (x, y) in enumerate(zip(xs[r], ys[r], strict=True))]
    back = curve[:, -1] - curve[:, -2]
    # heading on the screen: degrees clockwise from east
    heading = np.round(-np.degrees(np.arctan2(back[:, 1], back[:, 0])), 1).tolist()
    heads = [{"x": xs[r][-1], "y": ys[r][-1], "angle": heading[r], "teachers": int(k[r]),
              "from": keep[r][0], "to": keep[r][1]}
             for r in range(len(keep))]
    return lines, heads


#: markers closer than this share of the map's width are spread apart (assumption: about
#: the width of a mid-sized marker on the 430-px map, so no school hides another)
SPREAD_SHARE = 0.03


def spread(x: np.ndarray, y: np.ndarray, min_dist: float, rounds: int = 30
           ) -> tuple[np.ndarray, np.ndarray]:
    """Positions moved apart until no two are closer than about ``min_dist``: each round
    pushes every too-close pair apart along the line joining them (coincident ones along a
    fixed direction by index); deterministic. Schools far from every other keep their place.
    """
    p = np.column_stack([x, y]).astype(float)
    n = len(p)
    if n < 2 or min_dist <= 0:
        return p[:, 0], p[:, 1]
    angle = np.arange(n) * 2.399963  # golden angle: distinct directions for coincident ones
    fallback = np.column_stack([np.cos(angle), np.sin(angle)])
    for _ in range(rounds):
        d = p[:, None, :] - p[None, :, :]
        dist = np.hypot(d[..., 0], d[..., 1])
        np.fill_diagonal(dist, np.inf)
        close = dist < min_dist
        if not close.any():
            break
        safe = np.where(dist > 1e-9, dist, 1.0)
        unit = np.where((dist > 1e-9)[..., None], d / safe[..., None],
                        (fallback[:, None, :] - fallback[None, :, :]))
        push = np.where(close, (min_dist - np.minimum(dist, min_dist)) / 2, 0.0)
        p += (unit * push[..., None]).sum(axis=1) * 0.5
    return p[:, 0], p[:, 1]


#: characters per line of the map's colour legend title (assumption: ≈ 100 px at the 10-11 px
#: legend font, so map, legend and the chart's ⋯ menu fit the map's card in a 1600-px window)
LEGEND_LINE_CHARS = 18


def legend_lines(label: str, width: int = LEGEND_LINE_CHARS) -> list[str]:
    """``label`` broken at spaces into lines of at most ``width`` characters (a longer word
    stays whole): Vega-Lite draws a list title as lines."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


#: the last few :func:`spread` results, by their inputs' bytes: schools stay where they are
#: from one year to the next, so the map after a step reuses the positions (spreading
#: ≈ 200 schools takes ≈ 90 ms, measured on county_l; a lookup well under 1 ms). Assumption:
#: 8 entries cover the maps of the few sessions a machine serves at once.
_SPREAD_CACHE: dict[tuple[bytes, bytes, float], tuple[np.ndarray, np.ndarray]] = {}
_SPREAD_CACHE_SIZE = 8


def _spread_cached(x: np.ndarray, y: np.ndarray, min_dist: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`spread` with the default rounds, remembered for equal inputs (copies out)."""
    x, y = np.ascontiguousarray(x, dtype=float), np.ascontiguousarray(y, dtype=float)
    key = (x.tobytes(), y.tobytes(), float(min_dist))
    hit = _SPREAD_CACHE.get(key)
    if hit is None:
        hit = spread(x, y, min_dist)
        if len(_SPREAD_CACHE) >= _SPREAD_CACHE_SIZE:
            _SPREAD_CACHE.pop(next(iter(_SPREAD_CACHE)))
        _SPREAD_CACHE[key] = hit
    return hit[0].copy(), hit[1].copy()


def county_map_spec(frame: pd.DataFrame, measure: str, links: np.ndarray,
                    flows: pd.DataFrame, year: int, size: int = 430) -> dict[str, Any]:
    """Schools at their locations (shape: tier; area: pupils; colour: ``measure``), school
    group links (grey dashed, lead to member) and this year's rotations (orange curves
    from the sending to the receiving school, width: teachers). Both axes have the same km
    per pixel (``size`` px square). The colour scale is fixed (:data:`MAP_DOMAINS`); schools
    closer than :data:`SPREAD_SHARE` of the map are drawn spread apart (:func:`spread`,
    their tooltips give the true position)."""
    if measure not in MAP_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MAP_MEASURES)}, not {measure!r}")
    label, cmap, centre = MAP_MEASURES[measure]
    n_rot = int(flows["teachers"].sum()) if len(flows) else 0
    head = {"$schema": SCHEMA, "config": _CONFIG, "width": size, "height": size,
            "title": {"text": f"County in year {year}: {len(frame)} schools",
                      "subtitle": ["grey dashed: group links (lead to member); orange: "
                                   f"rotations ({n_rot} teachers)",
                                   "schools nearer than a marker drawn spread apart; colour "
                                   "scale fixed across years"]}}
    if not len(frame):
        return {**head, "data": {"values": [{"text": "no open school"}]},
                "mark": {"type": "text", "fontSize": 12}, "encoding": {"text": {"field": "text"}}}
    x, y = frame["x"].to_numpy(dtype=float), frame["y"].to_numpy(dtype=float)
    span = max(float(np.ptp(x)), float(np.ptp(y)), 1e-6) * 1.12
    cx, cy = (x.min() + x.max()) / 2, (y.min() + y.max()) / 2
    true_x, true_y = x, y
    x, y = _spread_cached(x, y, SPREAD_SHARE * span)
    xs = {"field": "x", "type": "quantitative", "title": "km east",
          "scale": {"domain": [cx - span / 2, cx + span / 2], "nice": False, "zero": False}}
    ys = {"field": "y", "type": "quantitative", "title": "km north",
          "scale": {"domain": [cy - span / 2, cy + span / 2], "nice": False, "zero": False}}
    ids = frame["school_id"].to_numpy().tolist()  # Python values: iterating a pandas column
    pos = {s: (a, b) for s, a, b in zip(ids, x.tolist(), y.tolist(), strict=True)}  # is slow
    # drawn coordinates to 10 m, rounded at once (np.round: a route is drawn, not measured)
    xr, yr = np.round(x, 2).tolist(), np.round(y, 2).tolist()
    shown = {s: i for i, s in enumerate(ids)}
    link_rows = [{"x": xr[shown[a]], "y": yr[shown[a]], "x2": xr[shown[b]], "y2": yr[shown[b]]}
                 for a, b in np.asarray(links, dtype=np.int64).reshape(-1, 2).tolist()
                 if a in shown and b in shown]
    curves, heads = _route_curves(flows, pos)
    values = frame[measure].to_numpy(dtype=float)
    schools = [{"school_id": s, "name": str(nm), "tier": str(tr), "pupils": int(p),
                "value": v if math.isfinite(v) else None, "x": a, "y": b,
                "east_km": ta, "north_km": tb}
               for s, nm, tr, p, v, a, b, ta, tb in zip(
                   ids, frame["name"].tolist(), frame["tier"].tolist(),
                   frame["students"].to_numpy().tolist(), values.tolist(), xr, yr,
                   np.round(true_x, 2).tolist(), np.round(true_y, 2).tolist(), strict=True)]
    lo, hi = MAP_DOMAINS[measure]
    colour_scale: dict[str, Any] = {"scheme": _SCHEMES.get(cmap, "viridis"),
                                    "domain": [lo, hi], "clamp": True, "nice": False}
    if centre is not None:
        colour_scale["domainMid"] = centre
    layers: list[dict[str, Any]] = [
        {"data": {"values": link_rows}, "mark": {"type": "rule", "strokeDash": [3, 2],
                                                 "color": "#8c8c8c", "strokeWidth": 0.8},
         "encoding": {"x": xs, "y": ys, "x2": {"field": "x2"}, "y2": {"field": "y2"}}},
        {"data": {"values": curves},
         "mark": {"type": "line", "color": ROTATION_COLOUR, "opacity": 0.75,
                  "strokeCap": "round"},
         "encoding": {"x": xs, "y": ys, "detail": {"field": "route", "type": "nominal"},
                      "order": {"field": "i", "type": "quantitative"},
                      "strokeWidth": {"field": "width", "type": "quantitative",
                                      "scale": None, "legend": None}}},
        {"data": {"values": heads},
         "mark": {"type": "point", "shape": "triangle-right", "filled": True,
                  "color": ROTATION_COLOUR, "opacity": 0.85, "size": 70},
         "encoding": {"x": xs, "y": ys,
                      "angle": {"field": "angle", "type": "quantitative", "scale": None,
                                "legend": None},
                      "tooltip": [{"field": "from", "title": "from school"},
                                  {"field": "to", "title": "to school"},
                                  {"field": "teachers"}]}},
        {"data": {"values": schools},
         "mark": {"type": "point", "filled": True, "stroke": "#262626", "strokeWidth": 0.6,
                  "opacity": 0.9},
         "encoding": {
             "x": xs, "y": ys,
             "shape": {"field": "tier", "type": "nominal", "title": "tier",
                       "scale": {"domain": list(TIER_SHAPES), "range": list(TIER_SHAPES.values())}},
             "size": {"field": "pupils", "type": "quantitative", "title": "pupils",
                      "scale": {"range": [12, 300], "zero": True}},
             "order": {"field": "pupils", "type": "quantitative", "sort": "descending"},
             "color": {"field": "value", "type": "quantitative", "title": label,
                       "scale": colour_scale,
                       "legend": {"orient": "right", "title": legend_lines(label)}},
             "tooltip": [{"field": "name", "title": "school"}, {"field": "tier"},
                         {"field": "pupils"}, {"field": "value", "title": label,
                                               "format": ".3f"},
                         {"field": "east_km", "title": "km east"},
                         {"field": "north_km", "title": "km north"}]}},
    ]
    return {**head, "layer": layers}


def school_panel_spec(detail: dict[str, Any], width: int = 290) -> dict[str, Any]:
    """One school (:func:`sim.viz.data.school_detail`): its 7 indicators per section as a
    share of the 2017 standards (dashed 100%, dotted the 85% floor), its teachers'
    effectiveness and its pupils' mean achievement by county SES group (bottom quarter,
    middle half, top quarter: the groups of the SES gap) beside the county's. ``width``: the bars' plot width in px (290: the chart, its labels and its ⋯
    menu fit the school panel's card in a 1600-px-wide window)."""
    ind = detail["indicators"]
    labels = [CV_LABELS[n] for n in QUALITY_INDICATORS]
    bars = [{"indicator": str(lb), "section": str(lv), "percent": float(100 * r),
             "shown": float(min(100 * r, 250)), "text": f"{100 * r:.0f}%"}
            for lb, lv, r in zip(ind["label"], ind["level"], ind["ratio"], strict=True)]
    y = {"field": "indicator", "type": "nominal", "sort": labels, "title": None}
    offset = {"field": "section", "type": "nominal"}
    indicators = {
        "width": width, "height": 26 * len(labels),
        "title": f"{detail['name']} ({detail['tier']}, {detail['school_type']}): "
                 f"{detail['students']:,} pupils, {detail['teachers']} teachers",
        "layer": [
            {"data": {"values": bars}, "mark": {"type": "bar"},
             "encoding": {"y": y, "yOffset": offset,
                          "x": {"field": "shown", "type": "quantitative",
                                "scale": {"domain": [0, 270]},
                                "title": ["share of the 2017 standard (%)",
                                          "dashed: 100%, dotted: the 85% floor"]},
                          "color": {"field": "section", "type": "nominal", "title": "section",
                                    "scale": {"domain": ["primary", "junior"],
                                              "range": ["#4393c3", "#d6604d"]}},
                          "tooltip": [{"field": "indicator"}, {"field": "section"},
                                      {"field": "percent", "format": ".0f"}]}},
            {"data": {"values": bars}, "mark": {"type": "text", "align": "left", "dx": 3,
                                                "fontSize": 9, "color": "#404040"},
             "encoding": {"y": y, "yOffset": offset,
                          "x": {"field": "shown", "type": "quantitative"},
                          "text": {"field": "text"}}},
            {"data": {"values": [{"at": 100.0, "dash": [5, 3]}, {"at": 85.0, "dash": [1, 2]}]},
             "mark": {"type": "rule", "color": "#1a1a1a"},
             "encoding": {"x": {"field": "at", "type": "quantitative"},
                          "strokeDash": {"field": "dash", "type": "nominal", "scale": None}}},
        ]}
    eff = [{"effectiveness": float(e)} for e in np.asarray(detail["teacher_effectiveness"])]
    teachers = {
        "width": width // 2 - 25, "height": 140, "title": "Teachers' effectiveness",
        "layer": [
            {"data": {"values": eff}, "mark": {"type": "bar", "color": "#8073ac"},
             "encoding": {"x": {"field": "effectiveness", "type": "quantitative",
                                "bin": {"maxbins": 20}, "title": "pupil SD per year"},
                          "y": {"aggregate": "count", "type": "quantitative",
                                "title": "teachers"}}},
            {"data": {"values": eff}, "mark": {"type": "rule", "color": "#1a1a1a"},
             "encoding": {"x": {"aggregate": "mean", "field": "effectiveness",
                                "type": "quantitative"}}},
        ]}
    by_ses = detail["achievement_by_ses"]
    groups = [str(g) for g in by_ses["ses_group"]]
    ses_rows = []
    for who, col in (("this school", "mean_achievement"), ("county", "county_mean_achievement")):
        if col in by_ses:
            ses_rows += [{"group": g, "who": who,
                          "achievement": float(v) if np.isfinite(v) else None}
                         for g, v in zip(groups, by_ses[col].to_numpy(dtype=float),
                                         strict=True)]
    ses = {
        "width": width // 2 - 25, "height": 140, "title": "Achievement by SES group",
        "layer": [
            {"data": {"values": ses_rows}, "mark": {"type": "bar"},
             "encoding": {"x": {"field": "group", "type": "nominal", "sort": groups,
                                "title": None, "axis": {"labelAngle": -35}},
                          "xOffset": {"field": "who", "type": "nominal",
                                      "sort": ["this school", "county"]},
                          "y": {"field": "achievement", "type": "quantitative",
                                "title": "year-0 SD"},
                          "color": {"field": "who", "type": "nominal", "title": None,
                                    "scale": {"domain": ["this school", "county"],
                                              "range": ["#35978f", "#bfbfbf"]}},
                          "tooltip": [{"field": "group", "title": "county SES group"}, {"field": "who"},
                                      {"field": "achievement", "format": ".3f"}]}},
            {"data": {"values": [{"zero": 0.0}]},
             "mark": {"type": "rule", "color": "#666666", "strokeWidth": 0.7},
             "encoding": {"y": {"field": "zero", "type": "quantitative"}}},
        ]}
    return {"$schema": SCHEMA, "config": _CONFIG,
            "vconcat": [indicators, {"hconcat": [teachers, ses],
                                     "resolve": {"scale": {"color": "independent"}}}],
            "resolve": {"scale": {"color": "independent"}, "legend": {"color": "independent"}}}
