"""The browser view: a county changing year by year under the chosen policies.

Start it with ``edusim-viz`` (or ``make viz``); it serves on http://127.0.0.1:8765 unless
told otherwise. The page only wires Mesa's SolaraViz to the model: the model class and
its controls (:mod:`sim.viz.controls`), the components (:mod:`sim.viz.components`,
showing :mod:`sim.viz.data` as Vega-Lite charts, :mod:`sim.viz.specs`). Step, Play/Pause and Reset are
SolaraViz's own; Reset builds a new model from the sidebar's controls.
"""

from __future__ import annotations

import gc
import logging

import mesa.visualization.solara_viz as solara_viz
from mesa.visualization import SolaraViz

from sim.viz.components import COMPONENTS, grid_layout
from sim.viz.controls import CountyView, default_controls, model_params

# SolaraViz gives every component the same 6×10 cell; the map and the school panel need
# more room. SolaraViz reads this function when it first lays out a page.
solara_viz.make_initial_grid_layout = grid_layout
# Mesa logs every step at INFO; the server log should show requests and errors only
for _name in ("MESA", "mesa"):
    logging.getLogger(_name).setLevel(logging.WARNING)

# The server's imports (Solara, Mesa, pandas, ...) are some 200,000 Python objects that
# live as long as the server. Frozen, the garbage collector's full collections no longer
# walk them: one such collection, set off every so many years by the dictionaries the
# charts' data are made of, paused a county_l step for ≈ 120 ms. Models are built after
# this, so a model replaced by Reset is still collected.
gc.freeze()
model = CountyView(**default_controls())
page = SolaraViz(
    model,
    components=[(component, 0) for component in COMPONENTS],
    model_params=model_params(),
    name="edusim: a county under balanced-education policy",
    play_interval=300,
)
