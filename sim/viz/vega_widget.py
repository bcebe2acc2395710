"""The browser view's chart widget: a Vega-Lite chart that keeps its drawn view across steps.

Solara's own ``VegaLite`` widget embeds a chart anew on every change of its spec, after a
fixed 100 ms wait: vega-embed then parses and compiles the whole Vega-Lite spec again and
the browser builds a new view. A step of the browser view changes only the charts' data and
a few titles, so :class:`VegaChart` sends these apart from the rest of the spec:

- ``structure``: the spec without its data and view titles (:func:`split_spec`), as JSON
  text; a step that leaves it equal sends nothing of it, and the browser keeps its view;
- ``datasets``: each inline ``data.values`` of the spec under a name of its own (the
  Vega-Lite top-level ``datasets`` the structure refers to with ``{"data": {"name": ...}}``),
  as JSON text; the browser replaces a changed dataset in the view in place (``view.data``).
  JSON text, not lists of records (nor, for the structure, nested dicts): the page's
  renderer (reacton) walks every value an element is given, which for the map's thousands
  of records cost more than the model's step (measured on county_l);
- ``texts``: each view title (and subtitle) as the value of a Vega-Lite parameter the
  structure's title refers to (``{"expr": name}``); the browser sets the view's signal.

The browser embeds the chart again only when the structure changed (another measure, a
policy switched on, ...). Its template is ``vega_chart.vue`` beside this module (package
data); it loads vega, vega-lite and vega-embed from the page's local front-end assets
(:mod:`sim.viz.assets`), like Solara's widget. Each drawn chart counts on its element:
``data-embeds`` (embedded anew) and ``data-draws`` (drawn after an embed or a data update),
which the browser tests and the docs job read.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import ipyvuetify as v
import traitlets

__all__ = ["TEMPLATE", "VegaChart", "chart_traits", "join_spec", "split_spec"]

#: the widget's Vue template (shipped as package data, see pyproject.toml)
TEMPLATE = Path(__file__).with_name("vega_chart.vue")

#: keys that make a dict a Vega-Lite view (so its ``title`` is a view title, not an axis's)
_VIEW_KEYS = ("mark", "layer", "hconcat", "vconcat", "concat", "facet", "repeat", "$schema")


def split_spec(spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list],
                                              dict[str, Any]]:
    """``spec`` as (structure, datasets, texts): each inline ``{"data": {"values": V}}``
    becomes ``{"data": {"name": "edusim_data_<i>"}}`` with ``datasets["edusim_data_<i>"] =
    V`` (a prefix of our own: Vega-Lite names its derived datasets ``data_<i>``), and each
    view's title text (subtitle) becomes ``{"expr": "title_<i>"}`` (``"subtitle_<i>"``), a
    top-level parameter whose value is ``texts[...]``; ``<i>`` counts in the order the spec
    is written, so a spec built by the same code names the same parts alike. ``spec`` is
    left unchanged; the datasets are its own lists (not copies)."""
    datasets: dict[str, list] = {}
    texts: dict[str, Any] = {}

    def walk(node: Any) -> Any:
        """A copy of ``node`` with data and titles taken out (the data are not copied)."""
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key == "data" and isinstance(value, dict) and "values" in value:
                name = f"edusim_data_{len(datasets)}"
                datasets[name] = value["values"]
                out[key] = {**{k: w for k, w in value.items() if k != "values"}, "name": name}
            elif key == "title" and any(k in node for k in _VIEW_KEYS):
                title = dict(value) if isinstance(value, dict) else {"text": value}
                i = sum(1 for k in texts if k.startswith("title_"))
                texts[f"title_{i}"] = title["text"]
                title["text"] = {"expr": f"title_{i}"}
                if "subtitle" in title:
                    texts[f"subtitle_{i}"] = title["subtitle"]
                    title["subtitle"] = {"expr": f"subtitle_{i}"}
                out[key] = walk(title)
            else:
                out[key] = walk(value)
        return out

    structure = walk(spec)
    if texts:
        structure["params"] = [*structure.get("params", []), *({"name": k} for k in texts)]
    return structure, datasets, texts


def chart_traits(spec: dict[str, Any]) -> dict[str, Any]:
    """The traits of a :class:`VegaChart` showing ``spec``: ``structure`` (JSON text),
    ``texts`` and ``datasets`` (each as JSON text)."""
    structure, datasets, texts = split_spec(spec)
    return {"structure": json.dumps(structure, separators=(",", ":")), "texts": texts,
            "datasets": {name: json.dumps(values, separators=(",", ":"))
                         for name, values in datasets.items()}}


def join_spec(structure: dict[str, Any], datasets: dict[str, list],
              texts: dict[str, Any]) -> dict[str, Any]:
    """The Vega-Lite spec the browser embeds: ``structure`` with ``datasets`` as its
    top-level datasets and each parameter of ``texts`` given its value (what the template
    does before vega-embed)."""
    spec = copy.deepcopy(structure)
    spec["datasets"] = copy.deepcopy(datasets)
    spec["params"] = [{**p, "value": texts[p["name"]]} if p.get("name") in texts else p
                      for p in spec.get("params", [])]
    if not spec["params"]:
        del spec["params"]
    return spec


class VegaChart(v.VuetifyTemplate):
    """A Vega-Lite chart drawn by the browser from ``structure`` and ``datasets`` (JSON
    text) and ``texts`` (:func:`chart_traits`): embedded when the structure changes, updated
    in place when only data or texts do. Hover tooltips and vega-embed's ⋯ export menu as
    usual."""

    template_file = str(TEMPLATE)
    structure = traitlets.Unicode("{}").tag(sync=True)
    datasets = traitlets.Dict(value_trait=traitlets.Unicode()).tag(sync=True)
    texts = traitlets.Dict().tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)

    @traitlets.default("cdn")
    def _cdn(self):
        import solara.settings

        if not solara.settings.assets.proxy:
            return solara.settings.assets.cdn
        return None

    @property
    def spec(self) -> dict[str, Any]:
        """The whole Vega-Lite spec the chart shows (:func:`join_spec`)."""
        return join_spec(json.loads(self.structure),
                         {k: json.loads(t) for k, t in self.datasets.items()}, self.texts)
