"""Where the Hydra configuration lives: ``configs/`` beside the source (a clone, or an
editable install), else the copy an installed wheel carries as the package
``edusim_configs`` (``pip install .`` without ``-e``; see pyproject.toml)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["CONFIG_DIR", "find_config_dir"]


def find_config_dir() -> Path:
    """The folder holding ``config.yaml`` and the config groups."""
    beside = Path(__file__).resolve().parent.parent / "configs"
    if (beside / "config.yaml").is_file():
        return beside
    spec = importlib.util.find_spec("edusim_configs")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / "config.yaml").is_file():
            return Path(folder).resolve()
    raise FileNotFoundError(
        f"edusim: no configuration: neither {beside} nor an installed edusim_configs package "
        "holds config.yaml (reinstall edusim: pip install -e . from a clone)")


#: the configuration folder, as a string (the form Hydra's config_path takes)
CONFIG_DIR = str(find_config_dir())
