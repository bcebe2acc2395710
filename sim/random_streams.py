"""Random streams: one generator per (process, year), spawned from the run's seed.

Each yearly process and each policy draws only from its own stream, so the draws of one
never depend on how many numbers another consumed: switching a policy on leaves every
unrelated draw unchanged (common random numbers), and a stream asked for again within the
same year continues where it stopped.
"""

from __future__ import annotations

import functools
import zlib

import numpy as np

__all__ = ["RandomStreams", "stream_for"]


@functools.cache
def _name_key(name: str) -> int:
    return zlib.crc32(name.encode())


def stream_for(seed: int, name: str, year: int) -> np.random.Generator:
    """A fresh generator of stream ``name`` in ``year`` (the same for the same arguments).

    ``np.random.default_rng(seed_sequence)`` made directly: the same PCG64 generator, without
    the checks of ``default_rng``'s argument (half the cost; a run makes a dozen a year)."""
    key = (_name_key(name), year)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


class RandomStreams:
    """The generators of one run: :meth:`get` returns the same generator for a name within
    a year, whatever else was asked for; generators of earlier years are let go when a new
    year's first stream is asked for (no stream of a past year is ever asked for again)."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._year: int | None = None
        self._made: dict[str, np.random.Generator] = {}

    def get(self, name: str, year: int) -> np.random.Generator:
        if year != self._year:
            self._made.clear()
            self._year = year
        gen = self._made.get(name)
        if gen is None:
            gen = self._made[name] = stream_for(self.seed, name, year)
        return gen
