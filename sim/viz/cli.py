"""``edusim-viz``: serve the browser view (Mesa SolaraViz) on this machine.

    edusim-viz                       # http://127.0.0.1:8765
    edusim-viz --port 9000
    edusim-viz --host 0.0.0.0        # reachable from other machines (be deliberate)

The server process replaces this one (its process id is this command's), and stops with
Ctrl+C or a TERM signal.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["main", "server_command"]

APP = Path(__file__).with_name("app.py")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--port: {text!r} is not a whole number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"--port: {port} is outside the allowed range [1, 65535]")
    return port


def _host(text: str) -> str:
    if not text.strip() or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"--host: {text!r} is not a host name or address")
    return text


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="edusim-viz",
        description="Serve edusim's browser view: a county changing year by year under the "
                    "chosen policies (Mesa SolaraViz).")
    ap.add_argument("--host", type=_host, default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1: this machine only)")
    ap.add_argument("--port", type=_port, default=8765, help="port, 1-65535 (default 8765)")
    ap.add_argument("--log-level", default="warning",
                    choices=["critical", "error", "warning", "info", "debug"],
                    help="server log level (default warning)")
    return ap


def server_command(host: str, port: int, log_level: str = "warning") -> list[str]:
    """The solara command line that serves the page."""
    return [sys.executable, "-m", "solara", "run", str(APP), "--host", host,
            "--port", str(port), "--production", "--no-open", "--log-level", log_level]


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from sim.viz import assets

    todo = assets.missing()
    if todo:
        print("edusim: warning: Solara's front-end assets are not installed locally "
              f"({', '.join(todo)}); without access to public CDNs the page stays blank.\n"
              "        Fetch them once with `make viz` or `.venv/bin/python -m "
              "sim.viz.assets`.", file=sys.stderr)
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"edusim: browser view on http://{shown}:{args.port}/ (Ctrl+C stops it)",
          file=sys.stderr, flush=True)
    cmd = server_command(args.host, args.port, args.log_level)
    os.execv(cmd[0], cmd)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
