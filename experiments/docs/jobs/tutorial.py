"""The tutorial: docs/tutorial.py (a jupytext "percent" script) executed into
docs/tutorial.ipynb with its outputs.

The script is converted with ``jupytext`` and executed with ``jupyter execute`` (nbclient) in a
scratch folder holding a copy of ``examples/`` and the notebook under ``docs/``, as in the
repository: the notebook's first cell moves from ``docs/`` to that folder, so every output of
the tutorial lands in the scratch folder and only the executed notebook comes back. The
result records the hashes of the executed notebook and of the script it was made from, so
``--check`` finds either edited (``make docs JOBS=tutorial`` re-executes). Cell timestamps
are removed from the notebook and its cells numbered (``cell-000``, ...), so that a
re-execution changes only what the cells print.
"""

from __future__ import annotations

import shutil

from experiments.docs.jobs import JobFailed
from experiments.docs.store import file_hash

TITLE = "the tutorial notebook: docs/tutorial.py executed into docs/tutorial.ipynb"

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = [
    "docs/tutorial.py",
    "experiments/aggregate*.py",
    "experiments/figure*.py",
    "experiments/design*.py",
    "sim/run_figure.py",
]

SOURCE = "docs/tutorial.py"
NOTEBOOK = "docs/tutorial.ipynb"
#: seconds a cell may run before nbclient gives up (assumption: far above the slowest cell, the
#: design search, even on a loaded machine; it only stops a kernel that hangs)
CELL_TIMEOUT_S = 600


def _strip_timings(path) -> dict:
    """Remove nbclient's per-cell execution timestamps and give the cells ids by position
    (jupytext draws random ones); return counts of the notebook's cells and outputs."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    images = 0
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        cell.id = f"cell-{i:03d}"
        for output in cell.get("outputs", []):
            images += "image/png" in output.get("data", {})
    nbformat.write(nb, path)
    return {"cells": len(nb.cells),
            "code_cells": sum(c.cell_type == "code" for c in nb.cells),
            "images": images}


def run(ctx) -> dict:
    source = ctx.root / SOURCE
    work = ctx.scratch / "work"
    (work / "docs").mkdir(parents=True)
    shutil.copytree(ctx.root / "examples", work / "examples")
    script = work / SOURCE
    shutil.copyfile(source, script)
    executed_hash = file_hash(script)
    notebook = work / NOTEBOOK

    ctx.sh("jupytext", "--to", "ipynb", "--output", notebook, script, label="convert")
    ctx.sh("jupyter", "execute", "--inplace", f"--timeout={CELL_TIMEOUT_S}",
           "--kernel_name=python3", notebook, label="execute")
    counts = _strip_timings(notebook)

    if file_hash(source) != executed_hash:
        raise JobFailed(f"docs job {ctx.name}: {SOURCE} changed while it was executed; "
                        f"run the job again")
    ctx.output(notebook, NOTEBOOK)
    ctx.output(source, SOURCE)
    return {"source": SOURCE, "notebook": NOTEBOOK, **counts,
            "notebook_kib": round((ctx.root / NOTEBOOK).stat().st_size / 1024, 1)}
