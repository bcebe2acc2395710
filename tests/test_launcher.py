"""The edusim sweeper and workstation launcher (hydra_plugins/edusim_sweeper) use Hydra's
public plugin interface only: what they take from the basic sweeper and the joblib launcher
(the job list, the joblib arguments, a job's override_dirname) is written out in them, and
checked here against Hydra's own (private) code, so a Hydra upgrade that changes it shows.
The Ray launcher's settings are those of Hydra's Ray launcher plugin, which it replaced.
The end-to-end checks (every job's configuration, workers' reuse, results equal to the
serial launcher's, on the workstation and on a Ray head) are in test_sweeps.py."""

from __future__ import annotations

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser

from hydra_plugins.edusim_sweeper import edusim_launcher, edusim_ray_launcher, edusim_sweeper
from hydra_plugins.edusim_sweeper._worker import overrides_dirname

SWEEPS = [
    ["seed=range(3)", "policies.teacher_rotation.rate=0.0,0.1"],
    ["region=tiny,default", "+policy=teacher_rotation", "years=2", "seed=0,1,2"],
    ["seed=1,2", "years=3", "seed=5,6,7"],  # a later override of a key replaces the earlier
    ["+policies.rural_incentives={}", "teachers.rural_allowance=0.2,0.3",
     "hydra.verbose=true", "~figures", "seed=choice(4,5)"],
    ["years=4"],
    [],
]


@pytest.mark.parametrize("args", SWEEPS)
@pytest.mark.parametrize("max_batch_size", [None, 1, 2, 4, 100])
def test_sweeper_makes_the_basic_sweepers_jobs_and_batches(args, max_batch_size):
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    parsed = OverridesParser.create().parse_overrides(args)
    assert edusim_sweeper.split_arguments(parsed, max_batch_size) == (
        BasicSweeper.split_arguments(parsed, max_batch_size))


def test_sweeper_refuses_what_the_basic_sweeper_refuses():
    """A continuous range, which the basic sweeper refuses too (in its words: "does not support
    sweep type"), here by the key and the forms that a sweep can list."""
    from hydra.errors import HydraException

    parsed = OverridesParser.create().parse_overrides(["seed=interval(0,1)"])
    with pytest.raises(HydraException, match=r"^seed: interval\(0,1\) is a continuous range"):
        edusim_sweeper.split_arguments(parsed, None)


def test_sweeper_refuses_a_sweep_without_jobs():
    """``range(1,1)`` lists nothing: the basic sweeper makes no job (and a sweep of 0 runs
    that ends with exit 0); this one says so by the key."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    parsed = OverridesParser.create().parse_overrides(["seed=0,1", "years=range(1,1)"])
    assert BasicSweeper.split_arguments(parsed, None) == [[]]
    with pytest.raises(edusim_sweeper.UnlistableSweep,
                       match=r"^years: range\(1,1\) lists no value"):
        edusim_sweeper.split_arguments(parsed, None)


@pytest.mark.parametrize("overrides", [
    ["seed=3", "years=2", "region=tiny"],
    ["policies.teacher_rotation.rate=0.1", "+policy=teacher_rotation", "~figures",
     "+policies.rural_incentives={}", "seed=1"],
    ["seed=1"],
    [],
])
@pytest.mark.parametrize("names", [
    {"exclude_keys": [], "item_sep": ",", "kv_sep": "="},
    {"exclude_keys": ["seed", "region"], "item_sep": "/", "kv_sep": "_"},
    {"exclude_keys": ["years"], "item_sep": "__", "kv_sep": "-"},
])
def test_launcher_names_a_jobs_directory_as_hydra_does(overrides, names):
    from hydra._internal.config_loader_impl import get_overrides_dirname

    parsed = OverridesParser.create().parse_overrides(overrides)
    assert overrides_dirname(parsed, **names) == get_overrides_dirname(overrides=parsed,
                                                                      **names)


@pytest.mark.parametrize("settings", [
    {},  # the launcher's defaults
    {"n_jobs": 2, "pre_dispatch": "8", "batch_size": "4", "max_nbytes": "1000"},
    {"backend": "threading", "max_nbytes": "1M", "batch_size": "auto", "pre_dispatch": ""},
    {"max_nbytes": None, "timeout": 5.0, "verbose": 3},
])
def test_launcher_passes_joblib_the_arguments_the_joblib_launcher_passes(settings):
    from dataclasses import asdict

    from hydra_plugins.hydra_joblib_launcher._core import process_joblib_cfg

    conf = asdict(edusim_launcher.EdusimLauncherConf())
    conf.pop("_target_")
    conf.update(settings)
    want = {**conf, "backend": "loky"}
    process_joblib_cfg(want)
    launcher = edusim_launcher.EdusimLauncher(**conf)
    assert edusim_launcher.joblib_arguments(launcher.joblib) == want
    assert launcher.joblib == conf  # the launcher's own settings are left as they were


def test_workstation_is_the_default_launcher_and_stock_joblib_stays_selectable():
    from hydra import compose, initialize_config_dir

    from experiments.run import CONFIG_DIR, register_schema

    register_schema()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        ours = compose("config", return_hydra_config=True)
        stock = compose("config", overrides=["hydra/launcher=joblib"],
                        return_hydra_config=True)
    assert ours.hydra.launcher._target_.endswith("edusim_launcher.EdusimLauncher")
    assert ours.hydra.launcher.n_jobs == -1
    assert stock.hydra.launcher._target_.endswith("joblib_launcher.JoblibLauncher")
    assert ours.hydra.sweeper._target_.endswith("edusim_sweeper.EdusimSweeper")


def test_ray_cluster_is_our_ray_launcher_with_the_ray_plugins_settings():
    from hydra import compose, initialize_config_dir

    from experiments.run import CONFIG_DIR, register_schema

    register_schema()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose("config", overrides=["hydra/launcher=ray_cluster",
                                           "hydra.launcher.ray.init.address=HOST:6379"],
                      return_hydra_config=True)
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("edusim_ray_launcher.EdusimRayLauncher")
    assert edusim_ray_launcher.ray_arguments(launcher.ray.init) == {"address": "HOST:6379"}
    assert edusim_ray_launcher.ray_arguments(launcher.ray.remote) == {"num_cpus": 1}
    # a null setting leaves Ray's default (e.g. object_store_memory: null)
    assert edusim_ray_launcher.ray_arguments({"address": None, "num_gpus": 0}) == {"num_gpus": 0}
    assert edusim_ray_launcher.ray_arguments(None) == {}


def test_ray_launcher_loads_without_ray_and_says_what_to_install():
    # the base install has no Ray: Hydra's plugin scan imports the module all the same, and
    # only launching on Ray asks for the cluster extra
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['ray'] = None\n"
        "from hydra.core.plugins import Plugins\n"
        "from hydra.plugins.launcher import Launcher\n"
        "names = [p.__name__ for p in Plugins.instance().discover(Launcher)]\n"
        "assert 'EdusimRayLauncher' in names, names\n"
        "from hydra_plugins.edusim_sweeper.edusim_ray_launcher import import_ray\n"
        "try:\n"
        "    import_ray()\n"
        "except ImportError as err:\n"
        "    print(err)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "pip install 'edusim[cluster]'" in proc.stdout


APPLIED = [
    ["seed=3", "years=4"],
    ["policies.teacher_rotation.rate=0.2"],
    ["+extra=1"],
    ["+seed=2"],  # already there: refused
    ["++seed=2", "++new.key=x"],
    ["~figures"],
    ["~nothing_here"],
    ["~seed=99"],  # a delete with the wrong value
    ["seed=not_a_number"],  # a type error (the schema says int)
    ["no_such_key=1"],
    ["teachers.rural_allowance=0.3", "+teachers={}"],
]


def _outcome(apply, overrides, base):
    from omegaconf import OmegaConf

    cfg = OmegaConf.create(base)
    OmegaConf.set_struct(cfg, True)
    try:
        apply(OverridesParser.create().parse_overrides(overrides), cfg)
    except Exception as err:  # noqa: BLE001 - the outcome compared is the error
        return type(err).__name__, str(err)
    return "ok", OmegaConf.to_container(cfg)


@pytest.mark.parametrize("overrides", APPLIED)
def test_sweep_check_applies_overrides_as_hydra_does(overrides):
    """The sweep check's apply_overrides gives the configuration or the error that Hydra's
    own (private) ConfigLoaderImpl._apply_overrides_to_config gives."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    from experiments.callbacks import apply_overrides

    base = {"seed": 1, "years": 2, "figures": None,
            "policies": {"teacher_rotation": {"rate": 0.1}},
            "teachers": {"rural_allowance": 0.0}}
    ours = _outcome(apply_overrides, overrides, base)
    hydras = _outcome(ConfigLoaderImpl._apply_overrides_to_config, overrides, base)
    assert ours == hydras


@pytest.mark.parametrize("overrides", [["seed=not_a_number"], ["years=1.5"], ["seed=4"]])
def test_sweep_check_reports_type_errors_as_hydra_does(overrides):
    """On a typed configuration (the run's schema), a value of the wrong type gives Hydra's
    error, word for word."""
    from dataclasses import dataclass

    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from omegaconf import OmegaConf

    from experiments.callbacks import apply_overrides

    @dataclass
    class Run:
        seed: int = 1
        years: int = 2

    outcomes = []
    for apply in (apply_overrides, ConfigLoaderImpl._apply_overrides_to_config):
        cfg = OmegaConf.structured(Run)
        try:
            apply(OverridesParser.create().parse_overrides(overrides), cfg)
            outcomes.append(("ok", OmegaConf.to_container(cfg)))
        except Exception as err:  # noqa: BLE001 - the outcome compared is the error
            outcomes.append((type(err).__name__, str(err)))
    assert outcomes[0] == outcomes[1]
    assert (outcomes[0][0] == "ok") == (overrides == ["seed=4"])
