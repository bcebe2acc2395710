"""The figure process (sim.run_figure.start_figure_process): it draws the same equity.png as
the calling process would, and it never outlives the command."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

CHILDREN = """
    def children():
        mine = str(os.getpid())
        out = []
        for p in os.listdir("/proc"):
            if p.isdigit():
                try:
                    stat = open(f"/proc/{p}/stat").read()
                except OSError:
                    continue
                if stat.rsplit(")", 1)[1].split()[1] == mine:
                    out.append(int(p))
        return out
"""


def _python(code: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip()


def test_the_figure_process_draws_the_same_png_as_the_caller_without_pandas(tmp_path):
    # the figure process gets plain arrays: a pandas that cannot be imported there (first on
    # its path) does not stop it; had it needed pandas, it would fail and this process
    # would draw the figure itself (and import Matplotlib)
    blocker = tmp_path / "blocker" / "pandas"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('no pandas in the figure process')\n")
    draw = """
        import os, sys
        from sim.model import EducationModel
        from sim.run_figure import equity_figure, start_figure_process
        import pandas
        os.environ["PYTHONPATH"] = {blocker!r}
        {start}
        policy = EducationModel(region="tiny", rng=2,
                                policies={{"teacher_rotation": {{"rate": 0.1}}}}).run(3)
        base = EducationModel(region="tiny", rng=2).run(3)
        equity_figure(policy.timeseries(), "{path}", "tiny county, seed 2",
                      baseline=base.timeseries(), subtitle="teacher rotation: rate 0.1")
        print("matplotlib" in sys.modules)
        """
    here, there = tmp_path / "here.png", tmp_path / "there.png"
    assert _python(draw.format(start="", path=here, blocker="")) == "True"
    # with a figure process, this process never imports Matplotlib: the process drew it
    assert _python(draw.format(start="start_figure_process()", path=there,
                               blocker=str(blocker.parent))) == "False"
    assert there.read_bytes() == here.read_bytes()


def test_an_unused_figure_process_ends_with_the_command():
    code = CHILDREN + """
    import os, time
    from sim.run_figure import start_figure_process
    start_figure_process()
    time.sleep(0.5)
    print(*children())
    """
    pids = [int(p) for p in _python("import os\n" + textwrap.dedent(code)).split()]
    assert len(pids) == 1
    deadline = time.time() + 10
    while os.path.exists(f"/proc/{pids[0]}") and time.time() < deadline:
        with open(f"/proc/{pids[0]}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":  # a zombie awaiting its reaper
                break
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{pids[0]}") or time.time() < deadline


def test_an_error_while_the_files_are_written_leaves_no_figure_and_no_figure_process(tmp_path):
    # write_outputs hands the figure over before it writes its other files; when one of
    # those fails, the figure is given up: no equity.png, no temporary file, no process left
    code = CHILDREN + """
    import os
    import sim.results
    from sim.model import EducationModel
    from sim.run_figure import start_figure_process
    start_figure_process()
    model = EducationModel(region="tiny", rng=0).run(1)
    def no_room(frame, path, fingerprint):
        raise OSError("no space left on device")
    sim.results.write_parquet = no_room
    try:
        sim.results.write_outputs(model, OUT)
    except OSError as err:
        print(err)
    print(sorted(os.listdir(OUT)), children())
    """
    out = tmp_path / "run"
    lines = _python(f"import os\nOUT = {str(out)!r}\n" + textwrap.dedent(code)).splitlines()
    assert lines == ["no space left on device", "[] []"]
