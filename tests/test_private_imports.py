"""No module of the model, the experiments or the Hydra plugins imports a private module of
another distribution (a dotted name with a component starting with ``_``, such as
``hydra._internal`` or ``hydra_plugins.hydra_joblib_launcher._core``), nor a private name
from one (``from hydra.core.utils import _flush_loggers``). Such code may change in any
release of the other package. Imports inside functions count, and so do
``importlib.import_module`` and ``__import__`` calls with a literal name. This project's own
modules (``sim``, ``experiments``, ``benchmarks``, ``hydra_plugins.edusim_sweeper``) may use
each other's ``_`` modules (e.g. ``hydra_plugins.edusim_sweeper._worker``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("sim", "experiments", "hydra_plugins")

#: (file, imported module or name) pairs that are known and still to be removed; the test
#: also fails when one of them is gone, so that the list only shrinks
KNOWN: set[tuple[str, str]] = set()


def is_own(module: str) -> bool:
    """Whether the dotted ``module`` is this project's: the first of its leading components
    that is a regular package (not a namespace such as ``hydra_plugins``) is in the
    repository."""
    path = ROOT
    for part in module.split("."):
        path = path / part
        if (path / "__init__.py").is_file() or path.with_suffix(".py").is_file():
            return True
        if not path.is_dir():
            return False
    return False


def is_private(dotted: str) -> bool:
    return any(p.startswith("_") and not p.startswith("__") for p in dotted.split("."))


def imported(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of everything ``tree`` imports, at any depth: ``import a.b``
    gives ``a.b``, ``from a.b import c`` gives ``a.b.c``; relative imports are left out
    (they are the project's own)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names
                    if a.name != "*"]
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and (isinstance(node.func, ast.Name) and node.func.id in ("__import__",
                                                                       "import_module")
                   or isinstance(node.func, ast.Attribute)
                   and node.func.attr == "import_module")):
            out.append((node.lineno, node.args[0].value))
    return out


def private_imports() -> dict[tuple[str, str], int]:
    """(file, dotted name) -> line of every private import of another distribution."""
    found = {}
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for line, name in imported(ast.parse(path.read_text(), filename=rel)):
                if is_private(name) and not is_own(name):
                    found.setdefault((rel, name), line)
    return found


def test_no_module_imports_a_private_module_of_another_distribution():
    found = private_imports()
    new = {k: v for k, v in found.items() if k not in KNOWN}
    assert not new, "private imports of other packages:\n" + "\n".join(
        f"  {f}:{line}: {name}" for (f, name), line in sorted(new.items()))
    gone = KNOWN - set(found)
    assert not gone, f"no longer imported, remove from KNOWN: {sorted(gone)}"


@pytest.mark.parametrize("source, names", [
    ("import hydra._internal.utils", ["hydra._internal.utils"]),
    ("def f():\n    from hydra._internal.config_loader_impl import get_overrides_dirname",
     ["hydra._internal.config_loader_impl.get_overrides_dirname"]),
    ("from hydra_plugins.hydra_joblib_launcher._core import process_joblib_cfg",
     ["hydra_plugins.hydra_joblib_launcher._core.process_joblib_cfg"]),
    ("from hydra.core.utils import _flush_loggers", ["hydra.core.utils._flush_loggers"]),
    ("class A:\n    def m(self):\n        import importlib\n"
     "        return importlib.import_module('hydra._internal.utils')",
     ["hydra._internal.utils"]),
    ("__import__('joblib._parallel_backends')", ["joblib._parallel_backends"]),
])
def test_the_check_sees_private_imports_wherever_they_are(source, names):
    got = [n for _, n in imported(ast.parse(source)) if is_private(n) and not is_own(n)]
    assert got == names


def test_the_check_leaves_public_and_own_modules_alone():
    source = ("from hydra.core.singleton import Singleton\n"
              "from hydra_plugins.edusim_sweeper._worker import execute_job\n"
              "from hydra_plugins.hydra_joblib_launcher.config import JobLibLauncherConf\n"
              "from . import _worker\n"
              "from sim import __version__\n"
              "import sim._private_helpers\n")
    names = [n for _, n in imported(ast.parse(source))]
    assert [n for n in names if is_private(n) and not is_own(n)] == []
    assert is_own("hydra_plugins.edusim_sweeper._worker")
    assert not is_own("hydra_plugins.hydra_joblib_launcher._core")
    assert not is_own("hydra._internal")
