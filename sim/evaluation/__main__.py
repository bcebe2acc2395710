"""``python -m sim.evaluation``: the ``edusim-evaluate`` command."""

import sys

from sim.evaluation.cli import main

if __name__ == "__main__":
    sys.exit(main())
