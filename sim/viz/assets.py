"""Solara's front-end assets, provided locally so the browser view works offline.

Solara's page loads its JavaScript and CSS through the server's ``/_solara/cdn/`` proxy,
which fetches each file from a public CDN on first use and caches it under
``<venv>/share/solara/cdn/<package>@<version>/``. On a machine without access to public
CDNs the page stays white. This module fills that cache from the npm registry (through
the machine's ``npm``, so its registry configuration applies) once, at set-up:

    python -m sim.viz.assets            # fetch what is missing (idempotent)
    python -m sim.viz.assets --check    # exit 1 and list what is missing

The packages are read from the installed solara's own sources (the ``getCdn()`` /
``{{cdn}}`` URLs), so a solara upgrade asks for the right versions by itself. Each
package is unpacked into a temporary folder and renamed into place, so an interrupted
fetch leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

__all__ = ["cache_dir", "fetch", "missing", "required_specs"]

#: packages the Vue-2 page needs beyond what solara's sources name explicitly: the vega
#: stack that draws every chart of the page (solara's vegalite widget asks for these
#: majors; also what Mesa's altair components use) and Font Awesome
#: (``solara.server.settings.Assets.fontawesome_path``)
_EXTRA_SPECS = ("vega@5", "vega-lite@5", "vega-embed@6")
_SPEC_RE = re.compile(
    r"(?:getCdn\(\)\}|\{\{\s*cdn\s*\}\})/((?:@[\w.-]+/)?[\w.-]+@[\w.+-]+)/")
_MARKER = ".edusim-complete"


def cache_dir() -> Path:
    """Solara's CDN cache folder of the running interpreter's environment."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def required_specs() -> list[str]:
    """``name@version`` of every front-end package the page loads through the proxy."""
    import solara
    from solara.server import settings

    root = Path(solara.__file__).parent
    specs: set[str] = set(_EXTRA_SPECS)
    for path in root.rglob("*"):
        if path.suffix not in {".vue", ".js", ".html", ".py", ".j2"} or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="ignore")
        except OSError:
            continue
        specs.update(_SPEC_RE.findall(text))
    fa = settings.assets.fontawesome_path.strip("/").split("/")[0]
    if fa:
        specs.add(fa)
    # the Vue-3 app is only used with ipyvue >= 2, which edusim excludes (mesa #3806)
    return sorted(s for s in specs if "vuetify3" not in s)


def missing(root: Path | None = None) -> list[str]:
    """Specs whose folder is not complete in the cache."""
    root = cache_dir() if root is None else root
    return [s for s in required_specs() if not (root / s / _MARKER).exists()]


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "edusim: the browser view needs Solara's front-end assets, fetched once with npm, "
            "which was not found on the PATH.\n"
            "        Install Node.js and npm (Debian/Ubuntu: apt-get install -y npm) and run "
            "`make viz` again, or run the page on a machine with internet access.")
    return npm


def _fetch_one(npm: str, spec: str, root: Path) -> None:
    target = root / spec
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".fetch-") as tmp:
        tmp_path = Path(tmp)
        proc = subprocess.run(
            [npm, "pack", spec, "--json", "--pack-destination", str(tmp_path)],
            cwd=tmp_path, capture_output=True, text=True, stdin=subprocess.DEVNULL,
            env={**os.environ, "npm_config_update_notifier": "false",
                 "npm_config_fund": "false", "npm_config_audit": "false"})
        if proc.returncode != 0:
            raise RuntimeError(f"npm pack {spec} failed:\n{proc.stderr.strip()}")
        filename = json.loads(proc.stdout)[0]["filename"]
        # scoped packages are packed as scope-name-version.tgz
        tarball = tmp_path / filename.replace("@", "").replace("/", "-")
        if not tarball.exists():
            found = list(tmp_path.glob("*.tgz"))
            if len(found) != 1:
                raise RuntimeError(f"npm pack {spec}: tarball not found in {tmp_path}")
            tarball = found[0]
        unpacked = tmp_path / "unpacked"
        with tarfile.open(tarball) as tar:
            members = []
            for m in tar.getmembers():
                parts = Path(m.name).parts
                if len(parts) < 2 or not (m.isfile() or m.isdir()):
                    continue
                m.name = str(Path(*parts[1:]))  # drop the top folder ("package/")
                members.append(m)
            tar.extractall(unpacked, members=members, filter="data")
        (unpacked / _MARKER).write_text(spec + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(unpacked, target)


def fetch(root: Path | None = None, quiet: bool = False) -> list[str]:
    """Fetch every missing package into the cache; returns the specs fetched."""
    root = cache_dir() if root is None else root
    todo = missing(root)
    if not todo:
        return []
    npm = _npm()
    for spec in todo:
        if not quiet:
            print(f"edusim: fetching front-end asset {spec} ...", file=sys.stderr)
        _fetch_one(npm, spec, root)
    return todo


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m sim.viz.assets",
        description="Provide Solara's front-end assets locally so the browser view works "
                    "offline.")
    ap.add_argument("--check", action="store_true",
                    help="only report missing assets (exit 1 if any)")
    args = ap.parse_args(argv)
    if args.check:
        todo = missing()
        for spec in todo:
            print(f"missing: {spec}")
        return 1 if todo else 0
    try:
        done = fetch()
    except RuntimeError as exc:
        print(f"edusim: {exc}", file=sys.stderr)
        return 1
    if done:
        print(f"edusim: front-end assets ready in {cache_dir()} ({len(done)} fetched)",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
