"""``python -m sim.county_table``: see :func:`sim.county_table.cli.main`."""

import sys

from sim.county_table.cli import main

sys.exit(main())
