"""Mesa, imported without the parts the model does not use until they are used.

``import mesa`` also executes ``mesa.discrete_space`` (its grids import ``scipy.spatial``,
its networks ``networkx``): about 0.45 s of every command's start on a 2-core machine,
although the model places no agent in a discrete space. This module registers that
subpackage as a *deferred* module before Mesa is imported: a module object with Mesa's own
spec, path and file, whose code runs the first time one of its names is read (or one of
its submodules is imported), e.g. by the browser view or a user's own model code. Nothing
else of Mesa changes, and a program that imported Mesa before this module gets it as it is.
While Mesa is imported here, ``inspect.stack`` skips reading source lines (``mesa.model``
reads the stack to name its logger: 0.09 s; see :func:`_stack_read_by_name`).

Use ``from sim.mesa_import import mesa`` instead of ``import mesa`` inside ``sim``.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import importlib.util
import inspect
import sys
import types
from collections.abc import Iterator
from typing import Any

__all__ = ["DEFERRED", "mesa"]

#: Mesa's modules whose code runs on first use rather than at ``import mesa``: the discrete
#: spaces (scipy.spatial, networkx), the legacy grids (networkx) and the continuous space
#: (scipy.spatial)
DEFERRED = ("mesa.discrete_space", "mesa.space", "mesa.experimental.continuous_space")


class _DeferredModule(types.ModuleType):
    """A module whose code has not run yet; reading a name it lacks runs it (once)."""

    def _load(self) -> None:
        # back to a plain module first, so the module's own code (and the submodule imports
        # it makes, which read ``__path__``) sees an ordinary package
        self.__class__ = types.ModuleType
        self.__spec__.loader.exec_module(self)

    def __getattr__(self, name: str) -> Any:  # only for names the module does not hold yet
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # e.g. __file__ probes: no reason to load
        self._load()
        return getattr(self, name)

    @property
    def __path__(self) -> list[str]:  # type: ignore[override]
        # a submodule is being imported (``import mesa.discrete_space.grid``): its code may
        # import names from this package, so the package's code runs first
        self._load()
        return self.__path__  # the plain module's own, now


def _defer(name: str) -> None:
    """Put a deferred module for ``name`` (a module inside a package not yet imported) into
    ``sys.modules``; do nothing if its top-level package is already imported or a part of
    the name is not found. The specs are looked up along the package's path, without
    importing any package on the way."""
    parts = name.split(".")
    if parts[0] in sys.modules or name in sys.modules:
        return
    spec = importlib.util.find_spec(parts[0])  # a top-level name: found, not imported
    for i in range(1, len(parts)):
        if spec is None or not spec.submodule_search_locations:
            return
        spec = importlib.machinery.PathFinder.find_spec(
            ".".join(parts[:i + 1]), list(spec.submodule_search_locations))
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _DeferredModule
    sys.modules[name] = module


@contextlib.contextmanager
def _stack_read_by_name() -> Iterator[None]:
    """While Mesa is imported: ``inspect.stack`` without the source lines of the frames and
    ``inspect.getmodule`` of a frame by its module's name.

    ``mesa.model`` names its logger after the module that imports it, found with
    ``inspect.stack()`` and ``inspect.getmodule``: reading the source of every frame of the
    import chain and scanning every loaded module, about 0.09 s of each command's start.
    The two functions give the same frame and module without that and are restored at once;
    the import holds Python's import lock, so only another thread could see them."""
    stack, getmodule = inspect.stack, inspect.getmodule

    def contextless_stack(context: int = 1) -> list[inspect.FrameInfo]:
        frames, frame = [], sys._getframe(1)
        while frame is not None:
            code = frame.f_code
            frames.append(inspect.FrameInfo(frame, code.co_filename, frame.f_lineno,
                                            code.co_name, None, None))
            frame = frame.f_back
        return frames

    def module_by_name(obj: Any, _filename: str | None = None) -> Any:
        if inspect.isframe(obj):
            module = sys.modules.get(obj.f_globals.get("__name__", ""))
            if module is not None:
                return module
        return getmodule(obj, _filename)

    inspect.stack, inspect.getmodule = contextless_stack, module_by_name
    try:
        yield
    finally:
        inspect.stack, inspect.getmodule = stack, getmodule


for _name in DEFERRED:
    _defer(_name)

with _stack_read_by_name():
    import mesa  # noqa: E402  (after the deferral above)
