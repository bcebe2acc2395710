"""The README's official question on the default county: every 2017 CV within its limit at
both levels by year 10 (``+target=default_county_2017``)."""

from __future__ import annotations

from experiments.docs.jobs.design_default import search

TITLE = "edusim-design +target=default_county_2017 (README)"

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = [
    "experiments/design*.py",
    "configs/target/default_county_2017.yaml",
    "configs/optimise.yaml",
    "sim/labels.py",
]


def run(ctx) -> dict:
    res = search(ctx, "default_county_2017")
    res.pop("design_dir")
    return {"default_county_2017": res}
