"""The browser view: a county changing year by year under the chosen policies.

Start it with ``edusim-viz`` (or ``make viz``); it serves :func:`Page` on
http://127.0.0.1:8765 unless told otherwise (:mod:`sim.viz.cli` prepares the server process
and starts Solara). Each browser session (tab) gets its own model, built when its page is
first shown: stepping in one tab leaves every other tab where it was.

The page is Mesa's visualisation pattern (a reactive model, cards redrawn through Mesa's
``update_counter``, a step counter: :func:`YearCounter`) with its own sidebar:
:func:`RunControls` (Reset, Play/Pause, Step) and :func:`ModelControls` (the controls of
:mod:`sim.viz.controls`, each slider labelled with its value). The cards on the grid beside it are
:mod:`sim.viz.components`, showing :mod:`sim.viz.data` as Vega-Lite charts
(:mod:`sim.viz.specs`). When a policy is on, the page also steps the same-seed baseline
(:func:`~sim.viz.controls.same_seed_baseline`, every policy off) that the time charts draw
faintly: a second model step per step, only then. The baseline runs a year ahead of the
shown model (its next year is stepped :data:`BASELINE_DELAY_S` after the page's redraw has
been sent, while the user looks at it; the charts show it up to the shown model's year), so a
click on Step waits for one model step, not two. Reset builds a new model from the sidebar's controls.

Importing this module changes nothing outside it: no model is built until a page is shown.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext
from typing import Any

import reacton.core
import solara
from mesa.visualization.utils import force_update, update_counter

from sim.terminal import version_line
from sim.viz.components import CardGrid
from sim.viz.controls import (
    CountyView,
    control_label,
    default_controls,
    model_params,
    same_seed_baseline,
)

__all__ = ["BASELINE_DELAY_S", "NAME", "PLAY_INTERVAL_MS", "CountyPage", "ModelControls", "Page", "RunControls",
           "YearCounter", "initial_model"]

#: the page's title
NAME = "edusim: a county under balanced-education policy"
#: pause between two steps while playing (assumption: a pace at which a year's change can
#: be read on the map; the step and redraw come on top)
PLAY_INTERVAL_MS = 300

#: wait after a step's redraw has been sent before stepping the baseline's next year
#: (assumption: about the page's redraw time on county_l, 0.2-0.25 s measured by the docs job
#: ``browser_view``; a baseline step started at once competes with sending the page's changes
#: for the server's interpreter: the redraw's median went from 0.247 s to 0.215 s, quiet
#: machine). A Step or Play step that comes sooner catches the baseline up first.
BASELINE_DELAY_S = 0.25

#: hides Solara's "This website runs on Solara" banner, which covers the lower right card
_STYLE = "div[style*='bottom: 0px'][style*='position: absolute'] > b { display: none; }"


def initial_model() -> CountyView:
    """A new model with the controls' starting values: the one a new session starts with
    (each call builds a new model)."""
    return CountyView(**default_controls())


def _redraw(render_context: Any) -> None:
    """Mesa's ``force_update`` (every card and the step counter read its counter) in one
    render of the page: each of those components would otherwise start a render pass over
    the whole page of its own (seven passes, ≈ 0.1 s of a step's time on county_l, measured
    with the page rendered in Python); inside the page's render context the passes wait
    until it is left, and then one pass renders them all."""
    with render_context if render_context is not None else nullcontext():
        force_update()


def _catch_up(baseline: CountyView | None, model: CountyView) -> CountyView | None:
    """Step ``baseline`` to ``model``'s year (a no-op when there is none)."""
    while baseline is not None and baseline.year < model.year:
        baseline.step()
    return baseline


def _step_ahead(baseline: CountyView | None, model: CountyView) -> CountyView | None:
    """Step ``baseline`` to one year beyond ``model``'s (a no-op when there is none, or when
    ``model`` has stopped running): the year the next Step will show."""
    _catch_up(baseline, model)
    if baseline is not None and baseline.year <= model.year and model.running:
        baseline.step()
    return baseline


@solara.component
def RunControls(model: solara.Reactive[CountyView], baseline: CountyView | None,
                controls: solara.Reactive[dict[str, Any]]) -> None:
    """Reset, Play/Pause and Step. Play steps the model every :data:`PLAY_INTERVAL_MS` in a
    thread of this session; Pause stops it before its next step (a step under way, tens of
    milliseconds, finishes). ``baseline`` (or None) is stepped with the model, one year
    ahead of it (:func:`_step_ahead`)."""
    playing = solara.use_reactive(False)
    paused = solara.use_memo(threading.Event, [])  # set at once by Pause, unlike a re-render
    lock = solara.use_memo(threading.Lock, [])  # one step at a time (Step while a step runs)
    error = solara.use_reactive(None)
    render_context = reacton.core.get_render_context(required=False)

    def advance() -> None:
        with lock:
            m = model.value
            m.step()
            _catch_up(baseline, m)
        _redraw(render_context)

        def ahead() -> None:  # the baseline's next year, while the user looks at this one
            with lock:
                if model.value is m:  # not after a Reset (the baseline goes with its model)
                    _step_ahead(baseline, m)

        later = threading.Timer(BASELINE_DELAY_S, ahead)
        later.daemon = True
        later.start()

    def play(cancel: threading.Event) -> None:
        if not playing.value:
            return
        try:
            while not cancel.wait(PLAY_INTERVAL_MS / 1000):
                if paused.is_set() or cancel.is_set():
                    return
                advance()
                if not model.value.running:
                    playing.set(False)
                    return
        except Exception as exc:  # shown on the page; the server keeps serving
            error.set(f"error in step: {exc}")
            paused.set()
            playing.set(False)

    solara.use_thread(play, dependencies=[playing.value], intrusive_cancel=False)

    def play_pause() -> None:
        if playing.value:
            paused.set()
            playing.set(False)
        else:
            paused.clear()
            playing.set(True)

    def step() -> None:
        try:
            advance()
        except Exception as exc:
            error.set(f"error in step: {exc}")

    def reset() -> None:
        paused.set()
        playing.set(False)
        error.set(None)
        try:
            with lock:
                model.set(CountyView(**controls.value))
        except Exception as exc:  # e.g. an unreadable county table
            error.set(f"Reset failed: {exc}")

    with solara.Row(justify="space-between"):
        solara.Button(label="Reset", color="primary", on_click=reset)
        solara.Button(label="❚❚" if playing.value else "▶", color="primary",
                      on_click=play_pause)
        solara.Button(label="Step", color="primary", on_click=step, disabled=playing.value)
    if error.value:
        solara.Error(label=error.value)


@solara.component
def YearCounter(model: CountyView) -> None:
    """The step counter: the simulated year shown ("Year: 5"), redrawn after every step
    (Mesa's ``update_counter``). Mesa's own ``ShowSteps`` shows the model's time as a
    float ("Time: 5.0")."""
    update_counter.get()
    solara.Text(f"Year: {model.year}")


@solara.component
def ModelControls(controls: solara.Reactive[dict[str, Any]]) -> None:
    """The model's controls (:func:`~sim.viz.controls.model_params`); a slider's label
    shows its value, a policy's slider is greyed while its switch is off."""
    values = controls.value

    def setter(name: str):
        return lambda value: controls.set({**controls.value, name: value})

    for name, spec in model_params().items():
        value = values.get(name, spec["value"])
        label = control_label(spec, value)
        kind = spec["type"]
        if kind == "Select":
            solara.Select(label, value=value, values=spec["values"], on_value=setter(name))
        elif kind == "Checkbox":
            solara.Checkbox(label=label, value=value, on_value=setter(name))
        else:
            slider = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
            switch = name.partition("__")[0]
            slider(label, value=value, min=spec["min"], max=spec["max"], step=spec["step"],
                   on_value=setter(name), disabled=switch in values and not values[switch])


@solara.component
def CountyPage(model: solara.Reactive[CountyView]) -> None:
    """The page for ``model`` (a reactive of this session): the sidebar's controls and the
    cards. The same-seed baseline is built with each new model when a policy is on (and
    stepped a year ahead of it)."""
    controls = solara.use_reactive(default_controls())
    baseline = solara.use_memo(
        lambda: _step_ahead(same_seed_baseline(model.value), model.value), [model.value])
    solara.Style(_STYLE)
    with solara.AppBar():
        solara.AppBarTitle(NAME)
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run"):
            RunControls(model, baseline, controls)
            YearCounter(model.value)
            # the model a screenshot shows (what every run's summary.json records)
            solara.Text(version_line("edusim"), style={"display": "block", "margin-top": "4px",
                                                       "font-size": "0.8em", "color": "#666"})
        with solara.Card("Model parameters"):
            solara.Text("applied at Reset", style={"font-size": "0.85em", "color": "#666"})
            ModelControls(controls)
    CardGrid(model.value, baseline)


@solara.component
def Page() -> None:
    """What Solara serves: :func:`CountyPage` with this session's own model, built once per
    session (a new tab is a new session)."""
    first = solara.use_memo(initial_model, [])
    CountyPage(solara.use_reactive(first))
