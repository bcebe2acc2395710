"""The CPU code paths the stored baselines are computed with, on every machine.

numpy picks its vector code at import time by the machine's CPU, and so does the OpenBLAS it
ships: on a CPU with AVX-512 some float results differ from those of an AVX2 CPU in the last
bit (measured on the eight stored baseline runs: up to 1e-13 relative, no decision of the model
changed). The baselines are a detector of changes of the *model*, so every process that
computes them uses the same paths: numpy's AVX2 code (``NPY_DISABLE_CPU_FEATURES`` switches
off its targets above AVX2; the names of numpy 2.4 and later and of earlier versions, which
numpy ignores when they are not its own) and OpenBLAS's Haswell kernels, on x86-64. Elsewhere
(e.g. aarch64) nothing is set. Both are read when numpy is imported, so :func:`use` must run
before that: ``tests/conftest.py`` (the whole suite and its subprocesses) and
``tests/baselines`` (``make baselines``) call it first. No numpy import here."""

from __future__ import annotations

import os
import platform
import sys

__all__ = ["REFERENCE_ENV", "use"]

#: numpy's dispatch targets above AVX2
_ABOVE_AVX2 = ("X86_V4 AVX512_ICL AVX512_SPR "  # numpy >= 2.4
               "AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL")

#: the environment of the reference paths (empty where the machine is not x86-64)
REFERENCE_ENV: dict[str, str] = (
    {"NPY_DISABLE_CPU_FEATURES": _ABOVE_AVX2, "OPENBLAS_CORETYPE": "Haswell"}
    if platform.machine().lower() in ("x86_64", "amd64") else {})


def use() -> None:
    """Put :data:`REFERENCE_ENV` into this process's environment (children inherit it).
    If numpy is imported already with other settings, raise RuntimeError: its code paths
    are chosen and the baselines would be compared on the machine's own."""
    if "numpy" in sys.modules:
        wrong = {k: os.environ.get(k) for k, v in REFERENCE_ENV.items() if os.environ.get(k) != v}
        if wrong:
            raise RuntimeError("numpy was imported before tests.reference_cpu.use(); the "
                               f"baselines need {REFERENCE_ENV} from the start (have {wrong})")
        return
    os.environ.update(REFERENCE_ENV)
