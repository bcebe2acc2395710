"""The version bounds in pyproject.toml: every pin says why, and edusim installs and runs
with the lowest allowed versions of its direct dependencies.

The lowest versions are checked by ``scripts/check-dependency-bounds.sh lowest`` (a clean
venv made by uv with ``--resolution lowest-direct``, a tiny run and a smoke set of tests),
and the install ``pip install .`` makes (not editable, no extras) by its ``wheel`` mode (the
commands run outside the clone), in CI only (``CI`` set; or ``EDUSIM_CHECK_BOUNDS=1``): it downloads and installs a second
environment, a few minutes. The newest allowed versions need no second environment in CI:
CI installs .venv from scratch in a fresh clone, so pip resolves every dependency to its
newest allowed version and the whole suite runs with them
(``scripts/check-dependency-bounds.sh highest`` does the same by hand)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
#: a version specifier that keeps newer releases out: an upper bound or an exact pin
PIN = re.compile(r"(<|==|~=|!=)")


def _requirement_lines() -> list[tuple[int, str]]:
    """(line number, text) of every requirement string in pyproject.toml's dependency lists."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    reqs = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs |= set(extra)
    lines = PYPROJECT.read_text().splitlines()
    found = [(i, line) for i, line in enumerate(lines)
             if (m := re.match(r'\s*"([^"]+)"', line)) and m.group(1) in reqs]
    assert {_requirement(line) for _, line in found} == reqs  # one requirement a line
    return found


def _requirement(line: str) -> str:
    return re.match(r'\s*"([^"]+)"', line).group(1)


def test_every_pin_says_why():
    lines = PYPROJECT.read_text().splitlines()
    unexplained = []
    for i, line in _requirement_lines():
        req = _requirement(line)
        if not PIN.search(req):
            continue
        # its reason: a comment on the line, or the comment block right above it, with the
        # requirements it covers in between
        j = i - 1
        while j >= 0 and re.match(r'\s*"[^"]+",?\s*$', lines[j]):
            j -= 1
        if "#" not in line.split('"')[-1] and not lines[j].strip().startswith("#"):
            unexplained.append(req)
    assert not unexplained, f"pins without a reason in pyproject.toml: {unexplained}"


def test_cloudpickle_and_joblib_are_not_held_back():
    # the Ray launcher plugin that needed cloudpickle<3 (and so joblib<1.6) is gone
    text = PYPROJECT.read_text()
    assert "hydra-ray-launcher" not in text
    for _, line in _requirement_lines():
        req = _requirement(line)
        if re.match(r"[A-Za-z0-9_.-]+", req).group(0).lower() in ("cloudpickle", "joblib"):
            assert not PIN.search(req), req


@pytest.mark.slow
@pytest.mark.skipif(not (os.environ.get("CI") or os.environ.get("EDUSIM_CHECK_BOUNDS")),
                    reason="installs a second environment: in CI (or EDUSIM_CHECK_BOUNDS=1)")
def test_edusim_installs_and_runs_with_the_lowest_allowed_versions_and_as_a_wheel():
    env = {**os.environ}
    uv = Path(sys.executable).with_name("uv")  # the test extra brings it
    if uv.exists():
        env.setdefault("UV", str(uv))
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "check-dependency-bounds.sh"),
                           "lowest", "wheel"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=1500, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]


def test_the_package_list_holds_every_package_and_the_configuration():
    """pyproject.toml lists its packages (the configuration is mapped in as edusim_configs):
    a new package folder must be added there, or a wheel would lack it."""
    listed = set(tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for top in ("sim", "experiments", "hydra_plugins")
             for p in (ROOT / top).rglob("__init__.py")}
    # hydra_plugins: the namespace package (no __init__.py) Hydra looks for plugins in
    assert listed == found | {"edusim_configs", "hydra_plugins"}
    setuptools = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"edusim_configs": "configs"}
    data = setuptools["package-data"]["edusim_configs"]
    assert "**/*.yaml" in data and "*.yaml" in data
    # every file of configs/ is a YAML file the globs take
    assert all(p.suffix == ".yaml" for p in (ROOT / "configs").rglob("*") if p.is_file())
