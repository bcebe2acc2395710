"""The stored baselines are computed with the same CPU code paths on every machine
(tests/reference_cpu.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.reference_cpu import REFERENCE_ENV

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _without_reference() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in REFERENCE_ENV}


def test_the_suite_and_its_subprocesses_run_with_the_reference_paths():
    for key, value in REFERENCE_ENV.items():
        assert os.environ.get(key) == value, key
    out = _python("import os, json; print(json.dumps({k: os.environ.get(k) for k in "
                  f"{sorted(REFERENCE_ENV)!r}}}))", dict(os.environ))
    assert out.returncode == 0, out.stderr
    import json

    assert json.loads(out.stdout) == REFERENCE_ENV


@pytest.mark.skipif(not REFERENCE_ENV, reason="no reference paths on this architecture")
def test_numpy_imported_first_is_refused():
    out = _python("""
        import numpy
        from tests import reference_cpu
        reference_cpu.use()
        """, _without_reference())
    assert out.returncode == 1
    assert "numpy was imported before tests.reference_cpu.use()" in out.stderr


@pytest.mark.skipif(not REFERENCE_ENV, reason="no reference paths on this architecture")
def test_numpy_uses_no_code_above_avx2_with_them():
    code = """
        from tests import reference_cpu
        reference_cpu.use()
        import numpy
        from numpy.lib.introspect import opt_func_info
        targets = {t for func in opt_func_info().values() for sig in func.values()
                   for t in [sig["current"]]}
        print(sorted(t for t in targets if "512" in t or "V4" in t))
        """
    out = _python(code, _without_reference())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
