"""ctx.output of the docs jobs: a file a job made, copied into the repository and hashed with
the images so that `--check` finds it edited."""

from __future__ import annotations

import pytest

from experiments.docs.jobs import JobContext
from experiments.docs.store import file_hash


def test_output_copies_and_records_the_hash(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    made = tmp_path / "scratch" / "nb.ipynb"
    made.parent.mkdir()
    made.write_text("executed")
    ctx = JobContext("demo", tmp_path / "scratch", root=root)
    rel = ctx.output(made, "docs/nb.ipynb")
    assert rel == "docs/nb.ipynb"
    assert (root / rel).read_text() == "executed"
    assert ctx.images == {"docs/nb.ipynb": file_hash(root / rel)}


def test_output_of_the_file_itself_only_records_it(tmp_path):
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    source = root / "docs" / "tutorial.py"
    source.write_text("# %%\nprint(1)\n")
    ctx = JobContext("demo", tmp_path, root=root)
    ctx.output(source, "docs/tutorial.py")
    assert source.read_text() == "# %%\nprint(1)\n"
    assert ctx.images == {"docs/tutorial.py": file_hash(source)}


@pytest.mark.parametrize("dest", ["/etc/x", "../outside.txt", "docs/../../x"])
def test_output_outside_the_repository_is_refused(tmp_path, dest):
    made = tmp_path / "f"
    made.write_text("x")
    ctx = JobContext("demo", tmp_path, root=tmp_path / "repo")
    with pytest.raises(ValueError, match="inside the repository"):
        ctx.output(made, dest)
    assert ctx.images == {}


def test_a_command_that_is_not_installed_fails_the_job_with_one_message(tmp_path):
    # e.g. jupytext in a venv set up for the tests only: the job says what to install
    from experiments.docs.jobs import JobFailed

    ctx = JobContext("tutorial", tmp_path, root=tmp_path)
    with pytest.raises(JobFailed, match=r"docs job tutorial: no command `edusim-no-such-tool` "
                                        r"here; `make docs` installs"):
        ctx.sh("edusim-no-such-tool", "--version")
