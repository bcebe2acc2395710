"""Solara components of the browser view: one card each for the map, the charts and the
school panel, and :func:`CardGrid`, which lays them out. Each card takes the model, reads
what it shows through :mod:`sim.viz.data` and sends it to the browser as a Vega-Lite chart
(:mod:`sim.viz.specs`), which the browser draws: a step costs the server milliseconds, not a
rendering. Each re-renders after every step (Mesa's ``update_counter``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import solara
from mesa.visualization.utils import update_counter

from sim import evaluation
from sim.labels import policy_name
from sim.viz import data, specs
from sim.viz.controls import POLICY_CONTROLS
from sim.viz.vega_widget import VegaChart, chart_traits

if TYPE_CHECKING:
    from sim.model import EducationModel

__all__ = ["COMPONENTS", "CardGrid", "CostChart", "CountyMap", "CvChart", "EquityChart",
           "QualityChart", "SchoolPanel", "WITH_BASELINE", "grid_layout"]

#: the measures the map can be coloured by, as the select box shows them
MEASURE_BY_LABEL = {label: key for key, (label, _, _) in data.MAP_MEASURES.items()}


@solara.component
def _Chart(spec: dict[str, Any], alt: str) -> None:
    """A Vega-Lite chart drawn by the browser (full card width) with
    :class:`~sim.viz.vega_widget.VegaChart`: after a step only its data and titles are sent,
    and the browser updates the chart it keeps. The classes mark it twice: on the page's
    element (for the browser) and on the widget (for Python-side tests)."""
    with solara.Div(classes=["edusim-chart", alt], style={"width": "100%"}):
        VegaChart.element(**chart_traits(spec), _dom_classes=["edusim-chart", alt])


@solara.component
def CountyMap(model: EducationModel) -> None:
    """Schools on the county map, coloured by a selectable measure, with school-group
    links and this year's rotations."""
    update_counter.get()
    label = solara.use_reactive(data.MAP_MEASURES["mean_achievement"][0])
    frame = data.school_frame(model)
    spec = specs.county_map_spec(frame, MEASURE_BY_LABEL[label.value], data.group_links(model),
                                 data.rotation_flows(model), model.year)
    with solara.Card("County map", classes=["edusim-map"], margin=0):
        solara.Markdown(run_summary(model), style={"font-size": "0.85em"})
        solara.Select("Colour schools by", value=label, values=list(MEASURE_BY_LABEL))
        _Chart(spec, "edusim-map-plot")


def _baseline_series(baseline: EducationModel | None, year: int):
    """The baseline's series up to ``year`` (the page steps the baseline a year ahead)."""
    if baseline is None:
        return None
    ts = data.series(baseline)
    return ts[ts["year"] <= year].reset_index(drop=True)


@solara.component
def EquityChart(model: EducationModel, baseline: EducationModel | None = None) -> None:
    """SES and urban–rural gaps and the between-school share over the years; the same-seed
    ``baseline`` (every policy off, or None) faint beneath."""
    update_counter.get()
    with solara.Card("Equity", classes=["edusim-equity"], margin=0):
        _Chart(specs.equity_spec(data.series(model),
                                 baseline=_baseline_series(baseline, model.year)),
               "edusim-equity-plot")


@solara.component
def CvChart(model: EducationModel, baseline: EducationModel | None = None) -> None:
    """The 7 official CVs per level against their limits; the same-seed ``baseline`` (every
    policy off, or None) faint beneath."""
    update_counter.get()
    ev = model.cfg.evaluation
    limits = {level: evaluation.cv_limit(level, "quality", ev.quality_threshold)
              for level in ("primary", "junior")}
    with solara.Card("Official difference coefficients", classes=["edusim-cv"], margin=0):
        _Chart(specs.cv_spec(data.series(model), limits,
                             baseline=_baseline_series(baseline, model.year)),
               "edusim-cv-plot")


@solara.component
def QualityChart(model: EducationModel, baseline: EducationModel | None = None) -> None:
    """Mean achievement of the county and each tier; the same-seed ``baseline`` (every
    policy off, or None) faint beneath."""
    update_counter.get()
    with solara.Card("Quality", classes=["edusim-quality"], margin=0):
        _Chart(specs.quality_spec(data.series(model),
                                  baseline=_baseline_series(baseline, model.year)),
               "edusim-quality-plot")


@solara.component
def CostChart(model: EducationModel) -> None:
    """Cumulative policy cost by policy."""
    update_counter.get()
    with solara.Card("Policy cost", classes=["edusim-cost"], margin=0):
        _Chart(specs.cost_spec(data.cost_series(data.series(model))), "edusim-cost-plot")


def run_summary(model: EducationModel) -> str:
    """One line on what the shown model runs (the controls apply only at Reset); each policy
    by its English name (:func:`sim.labels.policy_name`)."""
    on = []
    for p in model.policies:
        control = POLICY_CONTROLS.get(p.name)
        if control is not None:
            on.append(f"{policy_name(p.name)} ({control.field} "
                      f"{getattr(p.config, control.field):g})")
        else:
            on.append(policy_name(p.name))
    county = getattr(model, "county", model.cfg.region.preset)
    policies = ", ".join(on) if on else "none (baseline)"
    return (f"**Running:** {county} county, seed {model.seed}, year {model.year}; "
            f"policies: {policies}. Change the controls and press Reset to apply them.")


def _school_choices(model: EducationModel) -> dict[str, int]:
    frame = data.school_frame(model)
    return {f"{name} · {tier} [{sid}]": int(sid)
            for sid, name, tier in zip(frame["school_id"], frame["name"], frame["tier"],
                                       strict=True)}


@solara.component
def SchoolPanel(model: EducationModel) -> None:
    """One school's 7 indicators against the standards, its teachers' effectiveness and
    its pupils' achievement by SES; the school is picked from a list."""
    update_counter.get()
    choices = _school_choices(model)
    picked = solara.use_reactive("")
    value = picked.value if picked.value in choices else next(iter(choices), "")
    with solara.Card("School panel", classes=["edusim-school"], margin=0):
        solara.Select("School", value=value, values=list(choices), on_value=picked.set)
        if value:
            detail = data.school_detail(model, choices[value])
            _Chart(specs.school_panel_spec(detail), "edusim-school-plot")
        else:
            solara.Text("no open school")


#: the page's components, in grid order
COMPONENTS: list[Any] = [CountyMap, SchoolPanel, EquityChart, CvChart, QualityChart, CostChart]
#: the components that also draw the same-seed baseline
WITH_BASELINE = (EquityChart, CvChart, QualityChart)


def grid_layout(num_components: int) -> list[dict[str, Any]]:
    """Initial grid (12 columns, 30-px rows) for :data:`COMPONENTS`: map and school panel
    side by side on top, then the four charts two by two. Extra components go below."""
    cells = [(0, 0, 7, 19), (7, 0, 5, 19), (0, 19, 6, 12), (6, 19, 6, 12), (0, 31, 6, 11),
             (6, 31, 6, 11)]
    layout = []
    for i in range(num_components):
        if i < len(cells):
            x, y, w, h = cells[i]
        else:
            x, y, w, h = 6 * (i % 2), 42 + 12 * ((i - len(cells)) // 2), 6, 12
        layout.append({"i": i, "x": x, "y": y, "w": w, "h": h, "moved": False})
    return layout


@solara.component
def CardGrid(model: EducationModel, baseline: EducationModel | None = None) -> None:
    """:data:`COMPONENTS` on a grid the user can rearrange (cards dragged and resized),
    starting from :func:`grid_layout`; the time charts of :data:`WITH_BASELINE` also draw
    ``baseline`` (the same seed with every policy off), when given."""
    layout, set_layout = solara.use_state(grid_layout(len(COMPONENTS)))
    items = [component(model, baseline) if component in WITH_BASELINE else component(model)
             for component in COMPONENTS]
    solara.GridDraggable(items=items,
                         grid_layout=layout, resizable=True, draggable=True,
                         on_grid_layout=set_layout)
