"""``edusim-uncertainty``'s bad input (docs/errors.md): an output folder that cannot be
made, too few years for the analysis, and the same parameters both to vary and to fix each
stop the command with exit code 2 and one message naming the field, before anything is
written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.uncertainty.app import check

ROTATION = {"teacher_rotation": {"rate": 0.3}}

BASE_ARGS = ("+experiment=teacher_rotation", "region=tiny", "years=1", "uncertainty.draws=2",
             "uncertainty.seeds=1", "uncertainty.workers=1", "progress=false")


def _cfg(years: int = 2, **u) -> dict:
    return {"seed": 0, "years": years, "figures": False, "progress": False,
            "compare_baseline": False, "region": {"preset": "tiny"},
            "policies": {k: dict(v) for k, v in ROTATION.items()},
            "uncertainty": {"draws": 2, "seeds": 1, "workers": 1, **u}}


def _cli(*args: str, cwd: Path, multirun: bool = False) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "edusim-uncertainty"
    env = {**os.environ, "HYDRA_FULL_ERROR": "1"}
    flags = ["--multirun"] if multirun else []
    return subprocess.run([str(exe), *flags, *BASE_ARGS, *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=300)


def _refused(r: subprocess.CompletedProcess, *words: str) -> None:
    """Exit 2 with one message (no traceback) holding every one of ``words``."""
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert r.stderr.startswith("edusim-uncertainty: invalid configuration (nothing was "
                               "written):")
    for word in words:
        assert word in r.stderr, (word, r.stderr)


# ------------------------------------------------------------------------------------------
# F3: an output folder that cannot be made
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("target,why", [("/dev/null/x", "/dev/null is a file"),
                                        ("/proc/x", "/proc does not allow it"),
                                        ("/sys/x", "/sys does not allow it"),
                                        ("FILE/run", "FILE is a file")])
def test_an_output_folder_that_cannot_be_made_is_named(tmp_path, target, why):
    (tmp_path / "FILE").write_text("a regular file\n")
    folder = target.replace("FILE", str(tmp_path / "FILE"))
    r = _cli(f"hydra.run.dir={folder}", cwd=tmp_path)
    _refused(r, "hydra.run.dir: cannot ", f" the directory {folder}: ",
             why.replace("FILE", str(tmp_path / "FILE")))
    assert [f.name for f in tmp_path.iterdir()] == ["FILE"]  # nothing made, no Hydra log


def test_a_sweep_folder_that_cannot_be_made_is_named(tmp_path):
    r = _cli("uncertainty.parts=2", "uncertainty.part=0,1", "hydra.sweep.dir=/proc/x",
             cwd=tmp_path, multirun=True)
    _refused(r, "hydra.sweep.dir: cannot ", " the directory /proc/x: /proc does not allow it")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------
# F4: too few years for the analysis
# ------------------------------------------------------------------------------------------
def test_zero_years_are_refused_before_the_folder_is_made(tmp_path):
    out = tmp_path / "u"
    r = _cli("years=0", f"hydra.run.dir={out}", cwd=tmp_path)
    _refused(r, "years: 0 is outside the allowed range of an uncertainty analysis "
                "[1, 500] years")
    assert not out.exists()


def test_check_names_years_once_and_keeps_the_target_year_check():
    msgs = check(_cfg(years=0), Path("/nonexistent"))
    assert [m.split(":")[0] for m in msgs] == ["years"]
    assert "[1, 500]" in msgs[0]
    # with no simulated year the target year is not compared with it as well
    assert [m.split(":")[0] for m in check(_cfg(years=0, target_year=1),
                                           Path("/nonexistent"))] == ["years"]
    late = check(_cfg(years=2, target_year=3), Path("/nonexistent"))
    assert late == ["uncertainty.target_year: 3 is after the last simulated year (2): "
                    "allowed 1 to 2"]
    assert check(_cfg(years=1, target_year=1), Path("/nonexistent")) == []


# ------------------------------------------------------------------------------------------
# F13: the same parameters to vary and to fix
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("vary,fix,named", [
    (["learning"], ["learning"], "'learning' is in both uncertainty.vary and uncertainty.fix"),
    (["learning.persistence"], ["learning"],
     "'learning.persistence' is in uncertainty.vary, but uncertainty.fix holds all of it "
     "fixed ('learning')"),
    (["policies.teacher_rotation", "learning"], ["policies.teacher_rotation", "teachers"],
     "'policies.teacher_rotation' is in both"),
])
def test_a_name_both_to_vary_and_to_fix_is_refused(vary, fix, named):
    msgs = check(_cfg(vary=vary, fix=fix), Path("/nonexistent"))
    assert len(msgs) == 1, msgs
    assert msgs[0].startswith("uncertainty.vary, uncertainty.fix: ") and named in msgs[0]


def test_a_varied_section_may_hold_some_of_its_parameters_fixed():
    cfg = _cfg(vary=["learning", "policies.teacher_rotation"],
               fix=["learning.persistence", "policies.teacher_rotation.fidelity"])
    assert check(cfg, Path("/nonexistent")) == []


def test_cli_refuses_the_same_name_to_vary_and_to_fix(tmp_path):
    out = tmp_path / "u"
    r = _cli("uncertainty.vary=[learning]", "uncertainty.fix=[learning]",
             f"hydra.run.dir={out}", cwd=tmp_path)
    _refused(r, "uncertainty.vary, uncertainty.fix: 'learning' is in both")
    assert not out.exists()


def test_cli_refuses_an_integer_for_true_or_false(tmp_path):
    """OmegaConf took ``enrolment.expand_capacity=0`` as false and the analysis ran."""
    out = tmp_path / "u"
    r = _cli("enrolment.expand_capacity=0", f"hydra.run.dir={out}", cwd=tmp_path)
    _refused(r, "enrolment.expand_capacity: expected true or false, got 0")
    assert not out.exists()


def test_a_name_fixed_outside_every_varied_name_warns():
    from experiments.uncertainty.app import config_warnings

    assert config_warnings(_cfg(vary=["learning"], fix=["teachers"])) == [
        "uncertainty.fix: 'teachers' is outside every name in uncertainty.vary ('learning'), "
        "which alone vary: fixing it changes nothing"]
    assert config_warnings(_cfg(vary=["learning"], fix=["learning.persistence"])) == []
    assert config_warnings(_cfg(fix=["teachers"])) == []  # everything varies: fixing counts
