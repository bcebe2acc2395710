"""The official tests on the example county table, as `edusim-evaluate` prints them."""

from __future__ import annotations

TITLE = "edusim-evaluate on examples/county_schools.csv (README)"

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = [
    "examples/county_schools.csv",
    "sim/evaluation/*.py",
]

COMMAND = ["edusim-evaluate", "examples/county_schools.csv", "--level", "primary"]


def run(ctx) -> dict:
    proc = ctx.sh(*COMMAND)
    return {"command": " ".join(COMMAND), "output": proc.stdout}


def render_readme() -> str:
    """The README's example: the command and its report, the indicator table in full."""
    from experiments.docs.render import values

    v = values("evaluate_example")
    lines = v["output"].rstrip("\n").splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("=== "))
    last = next(i for i, line in enumerate(lines) if line.startswith("  7 "))
    verdict = next(line for line in lines if line.startswith("Verdict"))
    keep = [line for line in lines[first:last + 1] if not line.startswith("Source:")]
    return ("```\n$ .venv/bin/" + v["command"] + "\n" + "\n".join(keep) + "\n...\n"
            + verdict + "\n```\n")
