"""The docs quote only what the current model produces (issue 20): every stored docs result
was made by a model that behaves like this one, every image is the one its job made, every
image the docs show has a job, and every generated block is what its stored result gives.

The first test is the guard CI runs on every change; the others show that the check can fail,
on a scratch copy of the layout, and that its messages name the command that fixes it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from experiments.docs import check
from experiments.docs.store import DOC_FILES, MAKE_DOCS, ROOT, behaviour_fingerprint, job_command


def test_docs_are_current():
    problems = check.problems()
    assert not problems, (
        "the docs quote results of another model or were edited by hand; run "
        f"`{MAKE_DOCS}` (or the named command) and commit what it regenerates:\n  "
        + "\n  ".join(problems))


def _layout(tmp_path: Path) -> Path:
    (tmp_path / "tests" / "baselines").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "baselines" / "digests.json",
                tmp_path / "tests" / "baselines" / "digests.json")
    (tmp_path / "docs" / "results").mkdir(parents=True)
    (tmp_path / "docs" / "img").mkdir(parents=True)
    return tmp_path


def _store(root: Path, name: str, **fields) -> Path:
    record = {"job": name, "made_by": job_command(name),
              "behaviour": behaviour_fingerprint(root), "images": {}, "values": {}}
    record.update(fields)
    path = root / "docs" / "results" / f"{name}.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def test_result_of_another_model_is_stale_and_names_the_command(tmp_path):
    root = _layout(tmp_path)
    _store(root, "sweep_x")
    assert check.result_problems(root, ["sweep_x"]) == []
    digests = root / "tests" / "baselines" / "digests.json"
    moved = json.loads(digests.read_text())
    moved[next(iter(moved))] = "0" * 64          # a behaviour change moves a baseline
    digests.write_text(json.dumps(moved))
    (problem,) = check.result_problems(root, ["sweep_x"])
    assert "docs/results/sweep_x.json was made by a model that behaves differently" in problem
    assert "`make docs JOBS=sweep_x`" in problem


def test_missing_result_changed_image_and_orphan_result_are_reported(tmp_path):
    root = _layout(tmp_path)
    image = root / "docs" / "img" / "fig.png"
    image.write_bytes(b"made by the job")
    from experiments.docs.store import file_hash

    _store(root, "figs", images={"docs/img/fig.png": file_hash(image)})
    _store(root, "gone")
    assert check.result_problems(root, ["figs", "gone", "absent"]) == [
        "docs/results/absent.json is missing: run `make docs JOBS=absent` (or `make docs`)"]
    image.write_bytes(b"edited by hand")
    problems = check.result_problems(root, ["figs", "gone"])
    assert any("docs/img/fig.png is not the image docs job figs made" in p for p in problems)
    assert check.result_problems(root, ["figs"])[-1] == (
        "docs/results/gone.json belongs to no docs job: delete it")


def test_an_edited_generated_block_is_reported(tmp_path):
    root = _layout(tmp_path)
    doc = root / "README.md"
    doc.write_text("Intro\n<!-- [[[cog import cog; cog.outl('cheapest mix: 209.1 m yuan')]]] -->\n"
                   "cheapest mix: 209.1 m yuan\n<!-- [[[end]]] -->\n", encoding="utf-8")
    assert check.block_problems(root, ["README.md"]) == []
    doc.write_text(doc.read_text().replace("209.1 m yuan\n<!--", "69.9 m yuan\n<!--"))
    (problem,) = check.block_problems(root, ["README.md"])
    assert problem.startswith("README.md: its generated blocks are not what the stored results")
    assert problem.endswith("run `make docs`")


def test_a_shown_image_no_job_makes_is_reported(tmp_path):
    root = _layout(tmp_path)
    (root / "docs" / "guide.md").write_text(
        "![made](img/made.png) and ![hand](img/by_hand.png) and "
        '<img src="docs/img/other.png">\n', encoding="utf-8")
    _store(root, "figs", images={"docs/img/made.png": "x"})
    problems = check.image_problems(root, ["docs/guide.md"])
    assert problems == [
        "docs/guide.md shows docs/img/by_hand.png, which no docs job makes: add it to a job "
        "in experiments/docs/jobs/"]


def test_every_doc_file_is_checked():
    """Every Markdown file of the README, docs/ and examples/ is in the checked list."""
    listed = set(DOC_FILES)
    found = {p.relative_to(ROOT).as_posix() for pattern in ("*.md", "docs/*.md", "examples/**/*.md")
             for p in ROOT.glob(pattern)}
    assert found == listed, (sorted(found - listed), sorted(listed - found))


def test_a_changed_input_of_a_job_makes_its_result_stale(tmp_path):
    root = _layout(tmp_path)
    (root / "configs").mkdir()
    sweep = root / "configs" / "rotation_rate.yaml"
    sweep.write_text("rates: [0.0, 0.1]\n")
    from experiments.docs.store import input_hashes

    depends = ["configs/*.yaml"]
    _store(root, "sweep_x", depends=depends, inputs=input_hashes(depends, root))
    assert check.result_problems(root, ["sweep_x"]) == []
    sweep.write_text("rates: [0.0, 0.2]\n")
    (problem,) = check.result_problems(root, ["sweep_x"])
    assert problem == ("docs/results/sweep_x.json: configs/rotation_rate.yaml changed since the "
                       "result was made: run `make docs JOBS=sweep_x` (or `make docs`)")
    (root / "configs" / "new.yaml").write_text("x: 1\n")      # a new input counts too
    assert "configs/new.yaml" in check.result_problems(root, ["sweep_x"])[0]


def test_stale_jobs_are_what_make_docs_reruns(tmp_path):
    """Every job without a current result is stale, whatever its problem says; a job with a
    current result is not (the names are read from every kind of message)."""
    from experiments.docs import jobs

    root = _layout(tmp_path)
    assert check.stale_jobs(root) == set(jobs.names())
    _store(root, "evaluate_example")
    _store(root, "presets", depends=["configs/*.yaml"], inputs={"configs/gone.yaml": "x"})
    image = root / "docs" / "img" / "t.png"
    image.write_bytes(b"png")
    _store(root, "tutorial", images={"docs/img/t.png": "not its hash"})
    stale = check.stale_jobs(root)
    assert "evaluate_example" not in stale
    assert {"presets", "tutorial"} <= stale
