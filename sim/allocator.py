"""Process-wide memory allocator settings that make the yearly step faster (glibc only)."""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["tune_allocator"]

_ALLOCATOR_TUNED = False


def tune_allocator() -> bool:
    """Keep freed memory in the process instead of handing it back to the OS at once
    (glibc ``mallopt``: large arrays from the heap, trimmed only above 256 MiB free).

    A year allocates and frees many temporary arrays of one value per pupil (1.2 MB for
    150,000 pupils); by default glibc maps each one afresh and unmaps it when freed, so
    every array first pays a page fault per 4 KiB, which on virtual machines costs more
    than the arithmetic. Called once by the first :class:`EducationModel` (process-wide,
    like numpy's own allocation caches); set ``EDUSIM_MALLOC_TUNING=0`` to leave the
    allocator alone. Returns whether the settings were applied (glibc only)."""
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED:
        return True
    if os.environ.get("EDUSIM_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        ok = (libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024) == 1
              and libc.mallopt(m_trim_threshold, 256 * 1024 * 1024) == 1)
    except (OSError, AttributeError):
        return False
    _ALLOCATOR_TUNED = ok
    return ok
