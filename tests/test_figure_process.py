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


def _python(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip()


def test_the_figure_process_draws_the_same_png_as_the_caller(tmp_path):
    draw = """
        import os, sys
        from sim.model import EducationModel
        from sim.run_figure import equity_figure, start_figure_process
        {start}
        policy = EducationModel(region="tiny", rng=2,
                                policies={{"teacher_rotation": {{"rate": 0.1}}}}).run(3)
        base = EducationModel(region="tiny", rng=2).run(3)
        equity_figure(policy.timeseries(), "{path}", "tiny county, seed 2",
                      baseline=base.timeseries(), subtitle="teacher rotation: rate 0.1")
        print("matplotlib" in sys.modules)
        """
    here, there = tmp_path / "here.png", tmp_path / "there.png"
    assert _python(draw.format(start="", path=here)) == "True"
    # with a figure process, this process never imports Matplotlib: the process drew it
    assert _python(draw.format(start="start_figure_process()", path=there)) == "False"
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
