"""The README's design search on the example real county (``+target=published_county``)."""

from __future__ import annotations

from experiments.docs.jobs.design_default import search

TITLE = "edusim-design +target=published_county (README)"

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = [
    "experiments/design*.py",
    "configs/target/published_county.yaml",
    "configs/optimise.yaml",
    "sim/labels.py",
    "examples/published_county/schools.csv",
]


def run(ctx) -> dict:
    res = search(ctx, "published_county")
    res.pop("design_dir")
    return {"published_county": res}
