"""``edusim --help`` answers without loading Hydra, the model or pandas, and lists what the
configuration really holds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_help_loads_nothing_heavy_and_lists_the_config_groups():
    code = ("import sys; from experiments.entry import edusim; sys.argv = ['edusim', '--help']; "
            "edusim(); heavy = [m for m in ('hydra', 'sim', 'pandas', 'mesa', 'omegaconf') "
            "if m in sys.modules]; print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert "HEAVY []" in out
    for group in ("region", "experiment", "policy", "sweep"):
        names = sorted(p.stem for p in (ROOT / "configs" / group).glob("*.yaml"))
        block = re.search(rf"^  {group} \(.*?(?=^  \S|^$)", out, re.S | re.M).group(0)
        listed = " ".join(block.split())
        for name in names:
            assert name in listed, (group, name)
    cfg = yaml.safe_load((ROOT / "configs" / "config.yaml").read_text())
    assert f"seed={cfg['seed']}," in out and f"years={cfg['years']}," in out


def test_the_command_prints_it(tmp_path):
    exe = Path(sys.executable).parent / "edusim"
    out = subprocess.run([str(exe), "--help"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("edusim: simulate")
    assert not list(tmp_path.iterdir())  # nothing written


def test_design_and_uncertainty_help_list_every_setting_of_their_block(tmp_path):
    import dataclasses

    from experiments.design import DesignConfig
    from experiments.uncertainty.app import UncertaintyConfig

    for exe, block, cls, group in (("edusim-design", "design", DesignConfig, "target"),
                                   ("edusim-uncertainty", "uncertainty", UncertaintyConfig,
                                    "experiment")):
        out = subprocess.run([str(Path(sys.executable).parent / exe), "--help"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith(f"{exe}: ")
        for f in dataclasses.fields(cls):
            assert re.search(rf"^  {block}\.{f.name}=", out.stdout, re.M), (exe, f.name)
        # ranges and choices as the schema declares them
        assert f"  {block}.seeds=" in out.stdout
        names = sorted(p.stem for p in (ROOT / "configs" / group).glob("*.yaml"))
        assert all(n in out.stdout for n in names)
        assert "powered by Hydra" not in out.stdout  # not Hydra's dump of the config
        assert not list(tmp_path.iterdir())  # nothing written
    out = subprocess.run([str(Path(sys.executable).parent / "edusim-design"), "--help"],
                         capture_output=True, text=True, timeout=60).stdout
    assert "design.n_trials=40  (1 to 100000 trials)" in out
    assert "design.sampler=tpe  (one of tpe, nsga2, random)" in out


def test_a_run_from_outside_the_clone_writes_everything_with_its_figure(tmp_path):
    # the installed command finds its configuration and plugins wherever it is started; the
    # figure is drawn by the figure process edusim starts for a single run
    exe = Path(sys.executable).parent / "edusim"
    out = subprocess.run([str(exe), "region=tiny", "years=1", "progress=false",
                          f"hydra.run.dir={tmp_path / 'run'}"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    names = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"COMPLETE", "equity.png", "timeseries.parquet", "summary.json"} <= names
    assert (tmp_path / "run" / "equity.png").read_bytes()[:4] == b"\x89PNG"


def test_only_a_single_run_that_draws_its_figure_starts_the_figure_process():
    from experiments.entry import draws_a_figure

    assert draws_a_figure([]) and draws_a_figure(["region=tiny", "seed=3"])
    assert draws_a_figure(["figures=true"]) and draws_a_figure(["+experiment=county_plan"])
    for args in (["figures=false"], ["region=tiny", "figures=False"], ["++figures=false"],
                 ["--multirun", "seed=0,1"], ["-m", "seed=0,1"], ["--cfg", "job"],
                 ["--info"]):
        assert not draws_a_figure(args), args


def _console_scripts() -> list[str]:
    import tomllib

    return sorted(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"])


def test_every_command_says_its_version_and_model(tmp_path):
    # what a researcher cites with a result: the version and the model's behaviour
    # fingerprint that summary.json records (not Hydra's version, which Hydra's apps print)
    from sim.behaviour import BEHAVIOUR, VERSION

    scripts = _console_scripts()
    assert "edusim" in scripts and len(scripts) >= 9
    for name in scripts:
        out = subprocess.run([str(Path(sys.executable).parent / name), "--version"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, (name, out.stderr)
        assert out.stdout == f"{name} {VERSION} (model behaviour {BEHAVIOUR})\n", name
    assert not list(tmp_path.iterdir())  # nothing written
