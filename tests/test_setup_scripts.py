"""scripts/find-python.sh: how the Python >= 3.12 for .venv is found, with fake interpreters.

Each fake interpreter is a small shell script that answers the one query the finder makes
(`"$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])'`) by printing a version or by
failing like an unconfigured pyenv shim. The environment is built from scratch, so the real
interpreters on this machine (PATH, pyenv, /usr/bin) are invisible to the script.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIND_PYTHON = ROOT / "scripts" / "find-python.sh"
BASH = shutil.which("bash") or "/bin/bash"

def fake_python(path: Path, version: str | None) -> Path:
    """Write an executable that prints `version` for the finder's query, or fails like an
    unconfigured pyenv shim when `version` is None."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if version is None:
        body = ('echo "pyenv: $(basename "$0"): command not found" >&2\n'
                "exit 127\n")
    else:
        body = (f'if [ "$1" = "-c" ]; then echo {version}; exit 0; fi\n'
                "echo unexpected arguments: \"$@\" >&2\nexit 2\n")
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def run_finder(tmp_path: Path, path_dirs: list[Path], **extra: str
               ) -> subprocess.CompletedProcess:
    """Run find-python.sh with PATH = only `path_dirs`, HOME and PYENV_ROOT in empty temp
    dirs (unless overridden) and no system bin dirs; EDUSIM_PYTHON only if given."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    empty_pyenv = tmp_path / "no-pyenv"
    empty_pyenv.mkdir(exist_ok=True)
    env = {
        "PATH": os.pathsep.join(str(p) for p in path_dirs),
        "HOME": str(home),
        "PYENV_ROOT": str(empty_pyenv),
        "EDUSIM_SYSTEM_BIN_DIRS": str(tmp_path / "no-system-bin"),
        "LANG": "C.UTF-8",
    }
    env.update(extra)
    return subprocess.run([BASH, str(FIND_PYTHON)], env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_only_python_311_fails_with_clear_message(tmp_path):
    bindir = tmp_path / "bin"
    fake_python(bindir / "python3", "3.11")

    proc = run_finder(tmp_path, [bindir])

    assert proc.returncode == 1
    assert proc.stdout == ""
    err = proc.stderr
    assert "edusim needs Python >= 3.12; none found. Tried:" in err
    assert f"python3 on PATH ({bindir / 'python3'}): Python 3.11, too old" in err
    assert "python3.12: not on PATH" in err
    assert "python3.13: not on PATH" in err
    assert "pyenv install 3.12" in err
    assert "EDUSIM_PYTHON=/path/to/python3.12" in err


def test_edusim_python_too_old_is_an_error_naming_it(tmp_path):
    # a working 3.12 is on the PATH, but an explicit EDUSIM_PYTHON must not be overridden
    bindir = tmp_path / "bin"
    fake_python(bindir / "python3.12", "3.12")
    old = fake_python(tmp_path / "elsewhere" / "python", "3.11")

    proc = run_finder(tmp_path, [bindir], EDUSIM_PYTHON=str(old))

    assert proc.returncode == 1
    assert proc.stdout == ""
    assert f"EDUSIM_PYTHON={old}" in proc.stderr
    assert "Python 3.11, too old" in proc.stderr


def test_edusim_python_that_works_is_used(tmp_path):
    bindir = tmp_path / "bin"
    fake_python(bindir / "python3.12", "3.12")
    chosen = fake_python(tmp_path / "elsewhere" / "python", "3.13")

    proc = run_finder(tmp_path, [bindir], EDUSIM_PYTHON=str(chosen))

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(chosen)


def test_failing_shim_is_skipped_for_pyenv_version(tmp_path):
    shims = tmp_path / "pyenv" / "shims"
    fake_python(shims / "python3.12", None)  # pyenv shim without PYENV_VERSION
    fake_python(shims / "python3", "3.11")
    pyenv_root = tmp_path / "pyenv"
    good = fake_python(pyenv_root / "versions" / "3.12.1" / "bin" / "python3", "3.12")
    fake_python(pyenv_root / "versions" / "3.11.7" / "bin" / "python3", "3.11")

    proc = run_finder(tmp_path, [shims], PYENV_ROOT=str(pyenv_root))

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(good)


def test_pyenv_prefers_newest_312_then_313(tmp_path):
    versions = tmp_path / "pyenv" / "versions"
    fake_python(versions / "3.13.0" / "bin" / "python3", "3.13")
    fake_python(versions / "3.12.1" / "bin" / "python3", "3.12")
    newest_312 = fake_python(versions / "3.12.10" / "bin" / "python3", "3.12")
    fake_python(versions / "3.12.11t" / "bin" / "python3", "3.12")  # free-threaded: ignored

    proc = run_finder(tmp_path, [tmp_path / "empty-bin"], PYENV_ROOT=str(versions.parent))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(newest_312)

    # without any 3.12, the 3.13 is taken
    shutil.rmtree(versions / "3.12.1")
    shutil.rmtree(versions / "3.12.10")
    shutil.rmtree(versions / "3.12.11t")
    proc = run_finder(tmp_path, [tmp_path / "empty-bin"], PYENV_ROOT=str(versions.parent))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(versions / "3.13.0" / "bin" / "python3")


def test_home_pyenv_is_searched_without_pyenv_root(tmp_path):
    # the CI / `env -i` case: no pyenv on the PATH, PYENV_ROOT unset
    home = tmp_path / "home"
    good = fake_python(home / ".pyenv" / "versions" / "3.12.1" / "bin" / "python3", "3.12")
    env = {"PATH": str(tmp_path / "empty-bin"), "HOME": str(home),
           "EDUSIM_SYSTEM_BIN_DIRS": str(tmp_path / "no-system-bin")}
    proc = subprocess.run([BASH, str(FIND_PYTHON)], env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(good)


def test_system_bin_dir_is_searched_last(tmp_path):
    sysbin = tmp_path / "usr-bin"
    good = fake_python(sysbin / "python3.12", "3.12")
    proc = run_finder(tmp_path, [tmp_path / "empty-bin"], EDUSIM_SYSTEM_BIN_DIRS=str(sysbin))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(good)


# ---- scripts/setup-browser.sh -------------------------------------------------------------
SETUP_BROWSER = ROOT / "scripts" / "setup-browser.sh"


def _run_setup_browser(tmp_path: Path, uid: str, **extra: str) -> subprocess.CompletedProcess:
    """setup-browser.sh with PATH = a temp dir holding only a fake `id` (so no apt-get)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (bin_dir / "id").chmod(0o755)
    env = {"PATH": str(bin_dir), "LANG": "C.UTF-8", **extra}
    return subprocess.run([BASH, str(SETUP_BROWSER)], env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_setup_browser_accepts_a_given_chromium(tmp_path):
    browser = fake_python(tmp_path / "chromium", "1.0")
    proc = _run_setup_browser(tmp_path, "1000", EDUSIM_CHROMIUM=str(browser))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_setup_browser_without_chromium_or_apt_says_what_to_do(tmp_path):
    for uid in ("1000", "0"):  # not root; root without apt-get
        proc = _run_setup_browser(tmp_path, uid, EDUSIM_CHROMIUM=str(tmp_path / "none"))
        assert proc.returncode == 1
        assert "needs Chromium, not found at" in proc.stderr
        assert "apt-get install chromium" in proc.stderr and "EDUSIM_CHROMIUM" in proc.stderr
