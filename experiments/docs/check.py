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

_IMAGE_REF = re.compile(r"""(?:\]\(|src=")((?:\.\./)*(?:docs/)?img/[^)"\s]+\.(?:png|svg))""")


def _result_findings(root: Path, job_names: list[str] | None
                     ) -> list[tuple[str | None, str]]:
    """(job, problem) of every stored result that is missing, stale (another behaviour, job
    code or input) or whose images changed since the job made them; job None for a result
    that belongs to no job."""
    problems: list[tuple[str | None, str]] = []
    current = behaviour_fingerprint(root)
    names = jobs.names() if job_names is None else job_names
    for name in names:
        path = root / RESULTS / f"{name}.json"
        fix = f"run `{job_command(name)}` (or `{MAKE_DOCS}`)"
        if not path.exists():
            problems.append((name, f"{path.relative_to(root)} is missing: {fix}"))
            continue
        rec = json.loads(path.read_text(encoding="utf-8"))
        if rec.get("behaviour") != current:
            problems.append((name, f"{path.relative_to(root)} was made by a model that "
                                   f"behaves differently (behaviour fingerprint "
                                   f"{rec.get('behaviour')}, now {current}; the stored "
                                   f"baselines moved): {fix}"))
        elif root == ROOT and rec.get("job_source") != job_source_hash(name):
            problems.append((name, f"{path.relative_to(root)}: the job's code changed "
                                   f"since the result was made: {fix}"))
        else:
            now = input_hashes(rec.get("depends", []), root)
            changed = sorted(k for k in set(now) | set(rec.get("inputs", {}))
                             if now.get(k) != rec.get("inputs", {}).get(k))
            if changed:
                problems.append((name, f"{path.relative_to(root)}: {', '.join(changed[:4])}"
                                       f"{' …' if len(changed) > 4 else ''} changed since "
                                       f"the result was made: {fix}"))
        for image, digest in rec.get("images", {}).items():
            img = root / image
            if not img.exists():
                problems.append((name, f"{image} (made by docs job {name}) is missing: {fix}"))
            elif file_hash(img) != digest:
                problems.append((name, f"{image} is not the image docs job {name} made "
                                       f"(edited or made by another version): {fix}"))
    for path in sorted((root / RESULTS).glob("*.json")):
        if path.stem not in names:
            problems.append((None, f"{path.relative_to(root)} belongs to no docs job: "
                                   "delete it"))
    return problems


def result_problems(root: Path = ROOT, job_names: list[str] | None = None) -> list[str]:
    """Stored results that are missing, stale (another behaviour, job code or input) or whose
    images changed since the job made them."""
    return [problem for _, problem in _result_findings(root, job_names)]


def stale_jobs(root: Path = ROOT) -> set[str]:
    """The jobs whose stored result is missing or stale (what ``make docs`` re-runs)."""
    return {job for job, _ in _result_findings(root, None) if job is not None}


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
