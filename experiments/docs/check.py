"""The fast check that the docs are current (no model run): ``python -m experiments.docs
--check`` and ``tests/test_docs_current.py``."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

from experiments.docs import jobs
from experiments.docs.store import (
    DOC_FILES,
    IMAGES,
    MAKE_DOCS,
    RESULTS,
    ROOT,
    behaviour_fingerprint,
    file_hash,
    input_hashes,
    job_command,
    job_source_hash,
)

_RESULT_NAME = re.compile(r"docs/results/(\w+)\.json\b")
_IMAGE_REF = re.compile(r"""(?:\]\(|src=")((?:\.\./)*(?:docs/)?img/[^)"\s]+\.(?:png|svg))""")


def result_problems(root: Path = ROOT, job_names: list[str] | None = None) -> list[str]:
    """Stored results that are missing, stale (another behaviour or job code) or whose images
    changed since the job made them."""
    problems = []
    current = behaviour_fingerprint(root)
    names = jobs.names() if job_names is None else job_names
    for name in names:
        path = root / RESULTS / f"{name}.json"
        fix = f"run `{job_command(name)}` (or `{MAKE_DOCS}`)"
        if not path.exists():
            problems.append(f"{path.relative_to(root)} is missing: {fix}")
            continue
        rec = json.loads(path.read_text(encoding="utf-8"))
        if rec.get("behaviour") != current:
            problems.append(
                f"{path.relative_to(root)} was made by a model that behaves differently "
                f"(behaviour fingerprint {rec.get('behaviour')}, now {current}; the stored "
                f"baselines moved): {fix}")
        elif root == ROOT and rec.get("job_source") != job_source_hash(name):
            problems.append(f"{path.relative_to(root)}: the job's code changed since the "
                            f"result was made: {fix}")
        else:
            now = input_hashes(rec.get("depends", []), root)
            changed = sorted(k for k in set(now) | set(rec.get("inputs", {}))
                             if now.get(k) != rec.get("inputs", {}).get(k))
            if changed:
                problems.append(f"{path.relative_to(root)}: {', '.join(changed[:4])}"
                                f"{' …' if len(changed) > 4 else ''} changed since the result "
                                f"was made: {fix}")
        for image, digest in rec.get("images", {}).items():
            img = root / image
            if not img.exists():
                problems.append(f"{image} (made by docs job {name}) is missing: {fix}")
            elif file_hash(img) != digest:
                problems.append(f"{image} is not the image docs job {name} made (edited or "
                                f"made by another version): {fix}")
    for path in sorted((root / RESULTS).glob("*.json")):
        if path.stem not in names:
            problems.append(f"{path.relative_to(root)} belongs to no docs job: delete it")
    return problems


def stale_jobs(root: Path = ROOT) -> set[str]:
    """The jobs whose stored result is missing or stale (what ``make docs`` re-runs)."""
    found = set()
    for problem in result_problems(root):
        match = _RESULT_NAME.match(problem)
        if match:
            found.add(match.group(1))
        else:
            job = re.search(r"docs job (\w+)", problem)
            if job:
                found.add(job.group(1))
    return found & set(jobs.names())


def block_problems(root: Path = ROOT, doc_files=DOC_FILES) -> list[str]:
    """Markdown files whose generated (cog) blocks differ from what the stored results give."""
    from cogapp import Cog

    problems = []
    for rel in doc_files:
        path = root / rel
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if "[[[cog" not in text:
            continue
        cog = Cog()
        buf = io.StringIO()
        cog.set_output(stdout=buf, stderr=buf)
        with contextlib.chdir(root):
            status = cog.main(["cog", "--check", "-I", str(root), str(path)])
        if status != 0:
            detail = " ".join(buf.getvalue().split())[-300:]
            problems.append(f"{rel}: its generated blocks are not what the stored results give "
                            f"({detail}): run `{MAKE_DOCS}`")
    return problems


def image_problems(root: Path = ROOT, doc_files=DOC_FILES) -> list[str]:
    """Images under docs/img that a doc quotes but no docs job made (they would go stale)."""
    made = set()
    for path in (root / RESULTS).glob("*.json"):
        made.update(json.loads(path.read_text(encoding="utf-8")).get("images", {}))
    problems = []
    for rel in doc_files:
        path = root / rel
        if not path.exists():
            continue
        for ref in _IMAGE_REF.findall(path.read_text(encoding="utf-8")):
            target = (path.parent / ref).resolve()
            try:
                key = target.relative_to(root.resolve()).as_posix()
            except ValueError:
                continue
            if key.startswith(IMAGES.as_posix()) and key not in made:
                problems.append(f"{rel} shows {key}, which no docs job makes: add it to a job "
                                f"in experiments/docs/jobs/")
    return sorted(set(problems))


def problems(root: Path = ROOT) -> list[str]:
    return result_problems(root) + block_problems(root) + image_problems(root)
