"""Regenerate docs/parameters.md from the configuration schema (sim/config.py).

    .venv/bin/python -m experiments.make_parameter_docs
"""

from pathlib import Path

from sim.config import parameters_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "parameters.md"


def main() -> None:
    DOC.write_text(parameters_markdown(), encoding="utf-8")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
