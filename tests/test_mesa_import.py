"""Mesa's unused spaces are imported on first use, not when the model is (sim.mesa_import)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_the_model_runs_without_importing_the_spaces_or_their_libraries():
    out = _run("""
        import sys
        from sim.model import EducationModel
        EducationModel(region="tiny", rng=0).run(1)
        print(sorted(m for m in ("scipy.spatial", "networkx") if m in sys.modules))
        print(type(sys.modules["mesa.discrete_space"]).__name__)
        """)
    assert out.splitlines() == ["[]", "_DeferredModule"]


def test_a_deferred_space_loads_on_first_use_by_attribute_submodule_or_from_import():
    for use in ("mesa.discrete_space.OrthogonalMooreGrid",
                "__import__('mesa.discrete_space.grid').discrete_space.grid.OrthogonalMooreGrid",
                "__import__('mesa.space', fromlist=['MultiGrid']).MultiGrid",
                "mesa.experimental.continuous_space.ContinuousSpace"):
        out = _run(f"""
            import sys
            from sim.mesa_import import mesa
            print({use}.__name__)
            print(type(sys.modules["mesa.discrete_space"]).__name__)
            """)
        first_use_of_discrete_space = "discrete_space" in use
        assert out.splitlines() == [
            use.rsplit(".", 1)[-1],
            "module" if first_use_of_discrete_space else "_DeferredModule"], use
    # once loaded, the names are Mesa's own
    out = _run("""
        from sim.mesa_import import mesa
        from mesa.discrete_space import CellAgent, OrthogonalMooreGrid
        import mesa.discrete_space.cell_agent as ca
        print(CellAgent is ca.CellAgent, OrthogonalMooreGrid.__module__)
        """)
    assert out == "True mesa.discrete_space.grid"


def test_mesa_imported_first_is_left_as_it_is():
    out = _run("""
        import sys, mesa
        from sim.mesa_import import mesa as m
        print(m is mesa, type(sys.modules["mesa.discrete_space"]).__name__)
        """)
    assert out == "True module"


def test_mesa_names_its_model_logger_as_it_would_and_inspect_is_restored_after_import():
    """mesa.model reads the call stack for its logger's name; while Mesa is imported the
    stack is read without source lines, and the name comes out as Mesa's own import gives."""
    code = """
        import inspect, logging, sys
        stack, getmodule = inspect.stack, inspect.getmodule
        {first}
        names = sorted(n for n in logging.root.manager.loggerDict if n.startswith("MESA"))
        print(names)
        print(inspect.stack is stack, inspect.getmodule is getmodule)
        """
    ours = _run(code.format(first="from sim.mesa_import import mesa"))
    plain = _run(code.format(first="import mesa"))
    assert ours == plain
    assert ours.splitlines()[0] == "['MESA', 'MESA.mesa', 'MESA.mesa.mesa_logging', " \
        "'MESA.mesa.model']"
    assert ours.splitlines()[1] == "True True"
