"""Regenerate the stored baselines: ``python -m tests.baselines`` (or ``make baselines``)."""

from tests.baselines import regenerate

if __name__ == "__main__":
    regenerate()
