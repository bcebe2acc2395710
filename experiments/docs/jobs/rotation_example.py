"""The README's policy run: teacher rotation at 15% for 10 years, compared with its baseline."""

from __future__ import annotations

TITLE = "edusim +policies.teacher_rotation.rate=0.15 years=10 (README: Policies)"

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = [
    "sim/results.py",
    "sim/labels.py",
]

#: the README's command (``.venv/bin/edusim`` + these), run into the job's scratch directory
OVERRIDES = ["+policies.teacher_rotation.rate=0.15", "years=10"]

#: the rows of the comparison the README shows (the first words of each label); the rest is
#: shortened to "..."
SHOWN = ("mean achievement", "urban-rural achievement gap", "backbone-teacher CV, junior",
         "pupils in schools below the 2017 standard")


def run(ctx) -> dict:
    proc = ctx.sh("edusim", *OVERRIDES, f"hydra.run.dir={ctx.scratch / 'run'}")
    lines = [line.rstrip() for line in proc.stdout.splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("measure (last year)"))
    end = next(i for i, line in enumerate(lines)
               if i > start and line.startswith("extra county spending"))
    return {"command": "edusim " + " ".join(OVERRIDES), "comparison": lines[start:end + 1]}


def render_comparison() -> str:
    """The printed comparison: header, the rows of SHOWN, "...", the two cost lines (the
    policies' own cost, the extra county spending)."""
    from experiments.docs.render import values

    lines = values("rotation_example")["comparison"]
    header, rule, rows, costs = lines[0], lines[1], lines[2:-2], lines[-2:]
    kept = [r for r in rows if r.startswith(SHOWN)]
    missing = [s for s in SHOWN if not any(r.startswith(s) for r in kept)]
    if missing:
        raise ValueError(f"docs job rotation_example: the comparison has no row {missing}")
    more = ["..."] if len(kept) < len(rows) else []
    return "```\n" + "\n".join([header, rule, *kept, *more, *costs]) + "\n```\n"
