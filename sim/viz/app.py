"""The browser view: a county changing year by year under the chosen policies.

Start it with ``edusim-viz`` (or ``make viz``); it serves :func:`Page` on
http://127.0.0.1:8765 unless told otherwise (:mod:`sim.viz.cli` prepares the server process
and starts Solara). The page only wires Mesa's SolaraViz to the model: SolaraViz gives the
title bar and the sidebar (Step, Play/Pause, Reset, the model's controls from
:mod:`sim.viz.controls`); the cards on the grid beside it are :mod:`sim.viz.components`,
showing :mod:`sim.viz.data` as Vega-Lite charts (:mod:`sim.viz.specs`). Reset builds a new
model from the sidebar's controls.

Importing this module changes nothing outside it: no model is built until a page is shown.
"""

from __future__ import annotations

import functools

import solara
from mesa.visualization import SolaraViz

from sim.viz.components import CardGrid
from sim.viz.controls import CountyView, default_controls, model_params

__all__ = ["NAME", "PLAY_INTERVAL_MS", "CountyPage", "Page", "initial_model"]

#: the page's title
NAME = "edusim: a county under balanced-education policy"
#: time between two steps while playing
PLAY_INTERVAL_MS = 300


@functools.cache
def initial_model() -> CountyView:
    """The model a new page starts with (the controls' starting values); built once, when the
    first page is shown, so the server freezes its imports before any model exists."""
    return CountyView(**default_controls())


@solara.component
def CountyPage(model: solara.Reactive[CountyView]) -> None:
    """The page for ``model``. SolaraViz shares the reactive model with the cards: Step runs
    the model and redraws them, Reset replaces ``model.value``. Its own component grid is left
    empty (``components=[]``) because Mesa gives every component the same small cell; the
    cards take :class:`~sim.viz.components.CardGrid`'s room instead."""
    SolaraViz(model, components=[], model_params=model_params(), name=NAME,
              play_interval=PLAY_INTERVAL_MS)
    CardGrid(model.value)


@solara.component
def Page() -> None:
    """What Solara serves: :func:`CountyPage` for this session, from :func:`initial_model`."""
    CountyPage(solara.use_reactive(initial_model()))
