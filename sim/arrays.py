"""Small array helpers shared by the processes, the policies and the construction of a
county: logistic functions, grouping by integer key, ranks within groups."""

from __future__ import annotations

import numpy as np

__all__ = ["group_by_key", "logit", "rank_within", "sigmoid", "stable_by_key"]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, elementwise."""
    return 1.0 / (1.0 + np.exp(-x))

def logit(p: float) -> float:
    """The log-odds of a probability (clipped to [1e-9, 1 - 1e-9])."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    return float(np.log(p / (1 - p)))

def _keys_of(elements: np.ndarray, key: np.ndarray, n_keys: int) -> np.ndarray:
    """``key[elements]`` as 16-bit integers when the keys fit (else 64-bit); for many
    elements the whole key array is narrowed first, so that the gather moves 2 bytes each."""
    if n_keys <= 1 << 16:
        if 4 * len(elements) >= len(key):
            return key.astype(np.uint16)[elements]
        return key[elements].astype(np.uint16)
    return key[elements].astype(np.int64, copy=False)

def stable_by_key(elements: np.ndarray, key: np.ndarray, n_keys: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``elements`` (indices into ``key``) grouped by their key, keeping their order within
    a key, and their keys in that order (non-negative integer keys below ``n_keys``).

    With ``elements`` in random order (``rng.permutation``) this lists the elements of each
    key in random order, every order within a key equally likely. Keys below 2¹⁶ are sorted
    as 16-bit integers, for which numpy's stable sort is a radix sort (linear time: for the
    150,000 pupils of county_l a fifth of a comparison sort of 64-bit values)."""
    k = _keys_of(elements, key, n_keys)
    by_key = np.argsort(k, kind="stable")
    return elements[by_key], k[by_key].astype(np.intp)

def group_by_key(elements: np.ndarray, key: np.ndarray, n_keys: int) -> np.ndarray:
    """The first array of :func:`stable_by_key` alone (``elements`` grouped by their key,
    in their order within a key), for a caller that knows the sorted keys already (every
    key repeated by its count when ``elements`` lists each index once)."""
    return elements[np.argsort(_keys_of(elements, key, n_keys), kind="stable")]

def rank_within(sorted_keys: np.ndarray) -> np.ndarray:
    """0,1,2,... within runs of equal values of an already sorted key array."""
    n = len(sorted_keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([0], np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1))
    first = np.repeat(starts, np.diff(np.concatenate((starts, [n]))))
    return np.arange(n) - first
