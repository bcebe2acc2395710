"""``edusim-viz``: serve the browser view (built from Mesa's visualisation pieces) on this
machine.

    edusim-viz                       # http://127.0.0.1:8765
    edusim-viz --port 9000
    edusim-viz --host 0.0.0.0        # reachable from other machines (be deliberate)

The server runs in this process (its process id is this command's) and stops with Ctrl+C or
a TERM signal. Before Solara starts, :func:`prepare_server` quiets Mesa's per-step log and
freezes the server's imported objects for the garbage collector.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys

from sim.terminal import version_line

__all__ = ["APP", "exposure_warning", "main", "prepare_server", "solara_arguments"]

#: what Solara serves: the ``Page`` component of this module
APP = "sim.viz.app"


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
                    "chosen policies (Mesa and Solara).")
    ap.add_argument("--version", action="version", version=version_line(ap.prog))
    ap.add_argument("--host", type=_host, default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1: this machine only)")
    ap.add_argument("--port", type=_port, default=8765, help="port, 1-65535 (default 8765)")
    ap.add_argument("--log-level", default="warning",
                    choices=["critical", "error", "warning", "info", "debug"],
                    help="server log level (default warning)")
    return ap


def exposure_warning(host: str) -> str | None:
    """A warning when ``host`` makes the view reachable from other machines (any address
    but the loopback ones), or None. The view has no login: anyone who can reach the port
    can run models on this machine."""
    import ipaddress

    if host.lower() == "localhost":
        return None
    try:
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            return None
    except ValueError:  # a host name other than localhost
        pass
    return (f"edusim-viz: warning: --host {host} makes the browser view reachable from other "
            "machines on the network; it has no login, so anyone who can reach it can "
            "run simulations on this machine. Use the default 127.0.0.1 unless that is "
            "what you want.")


def solara_arguments(host: str, port: int, log_level: str = "warning") -> list[str]:
    """The arguments of ``solara`` that serve the page."""
    return ["run", APP, "--host", host, "--port", str(port), "--production", "--no-open",
            "--log-level", log_level]


def prepare_server() -> int:
    """Set up this process to serve the page; returns how many objects are frozen.

    Mesa logs every step at INFO: the server log should show requests and errors only.
    The server's imports (Solara, Mesa, pandas, the model's modules, ...) are some 200,000
    Python objects that live as long as the server. Frozen (``gc.freeze``), the garbage
    collector's full collections no longer walk them: one such collection, set off every so
    many years by the dictionaries the charts' data are made of, paused a county_l step for
    ≈ 120 ms. No model exists yet (:func:`sim.viz.app.initial_model` builds each session's
    model when its page is first shown), so a model replaced by Reset is still collected.
    """
    for name in ("MESA", "mesa"):
        logging.getLogger(name).setLevel(logging.WARNING)
    import solara.__main__  # noqa: F401  (the server's imports)

    import sim.viz.app  # noqa: F401  (the page's imports)

    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # before solara loads
    from sim.viz import assets

    todo = assets.missing()
    if todo:
        print("edusim-viz: warning: Solara's front-end assets are not installed locally "
              f"({', '.join(todo)}); without access to public CDNs the page stays blank.\n"
              "        Fetch them once with `make viz` or `.venv/bin/python -m "
              "sim.viz.assets`.", file=sys.stderr)
    warning = exposure_warning(args.host)
    if warning:
        print(warning, file=sys.stderr)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"edusim-viz: browser view on http://{shown}:{args.port}/ (Ctrl+C stops it)",
          file=sys.stderr, flush=True)
    prepare_server()
    from solara.__main__ import cli as solara_cli

    solara_cli.main(solara_arguments(args.host, args.port, args.log_level), prog_name="solara")
    return 0  # not reached: solara's command line exits


if __name__ == "__main__":
    sys.exit(main())
