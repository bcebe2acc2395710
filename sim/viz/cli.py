"""``edusim-viz``: serve the browser view (built from Mesa's visualisation pieces) on this
machine.

    edusim-viz                       # http://127.0.0.1:8765
    edusim-viz --port 9000
    edusim-viz --host 0.0.0.0        # reachable from other machines (be deliberate)

Before anything starts, :func:`listen_problem` checks that the server can listen on
``--host``/``--port`` (an address of this machine, a free port); if not, the command ends
with exit code 2 and one line naming the option. The server runs in this process (its
process id is this command's) and stops with Ctrl+C or a TERM signal. Before Solara starts,
:func:`prepare_server` quiets Mesa's per-step log and freezes the server's imported objects
for the garbage collector.
"""

from __future__ import annotations

import argparse
import errno
import gc
import logging
import os
import socket
import sys

from sim.terminal import EXIT_USAGE, version_line

__all__ = ["APP", "exposure_warning", "listen_problem", "main", "prepare_server",
           "solara_arguments"]

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


def _bind_problem(host: str, port: int, err: OSError, address: str | None = None) -> str:
    """The one line (without the command's name) that says why the server cannot listen on
    ``host``:``port``: ``err`` is what resolving or binding raised, ``address`` the address
    (of those ``host`` resolves to) that could not be bound."""
    reason = (err.strerror or (os.strerror(err.errno) if err.errno else str(err))).lower()
    if isinstance(err, socket.gaierror):
        return _unresolved(host, reason)
    if "error while attempting to bind on address" in reason and err.errno:
        reason = os.strerror(err.errno).lower()  # asyncio's wording: the reason only
    if err.errno == errno.EADDRINUSE:
        return (f"--port {port}: the port is in use on {address or host} ({reason}); "
                "choose another (--port, 1024-65535)")
    if err.errno == errno.EADDRNOTAVAIL:
        shown = host if address in (None, host) else f"{host} ({address})"
        return (f"--host {shown}: not an address of this machine ({reason}); use one of its "
                "addresses, e.g. 127.0.0.1 (the default)")
    if err.errno == errno.EACCES:
        return (f"--port {port}: not allowed to listen on this port here ({reason}); "
                "choose another (--port, 1024-65535)")
    return (f"--host {host} --port {port}: cannot listen there ({reason}); use an address "
            "of this machine, e.g. 127.0.0.1 (the default), and a free port (1024-65535)")


def _unresolved(host: str, reason: str) -> str:
    hint = ("write an IPv6 address without brackets (--host ::1)" if host.startswith("[")
            else "use an address of this machine, e.g. 127.0.0.1 (the default)")
    return f"--host {host}: not a host name or address that resolves here ({reason}); {hint}"


def listen_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host``:``port`` (one line naming ``--host`` or
    ``--port``), or None if it can. Resolves ``host`` and binds every address it resolves
    to as the server does (asyncio's ``create_server``, which uvicorn calls: SO_REUSEADDR,
    IPv6 sockets IPv6-only), then closes the sockets again: nothing is left listening.
    The port can still be taken between this check and the server's start; :func:`main`
    reports that in the same words."""
    try:
        infos = set(socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0,
                                       socket.AI_PASSIVE))
    except socket.gaierror as err:
        return _bind_problem(host, port, err)
    except (OSError, UnicodeError) as err:  # e.g. a label longer than 63 characters
        return _unresolved(host, str(err))
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in sorted(infos, key=lambda i: (int(i[0]), repr(i[4]))):
            try:
                sock = socket.socket(family, kind, proto)
            except OSError:  # a family this machine lacks: the server skips it too
                continue
            sockets.append(sock)
            if os.name == "posix" and sys.platform != "cygwin":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as err:
                return _bind_problem(host, port, err, str(address[0]))
        if not sockets:
            return (f"--host {host}: this machine cannot listen on any address it resolves "
                    "to; use one of its addresses, e.g. 127.0.0.1 (the default)")
    finally:
        for sock in sockets:
            sock.close()
    return None


class _HeldBindFailure(logging.Filter):
    """Holds back uvicorn's log line of a failed bind (it logs the exception itself, then
    exits with code 3), so that :func:`main` can say it in the command's words instead:
    the port taken by another process after :func:`listen_problem` found it free."""

    def __init__(self) -> None:
        super().__init__()
        self.error: OSError | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if self.error is None and isinstance(record.msg, OSError):
            self.error = record.msg
            return False
        return True


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
    problem = listen_problem(args.host, args.port)
    if problem:
        print(f"edusim-viz: {problem}", file=sys.stderr)
        return EXIT_USAGE
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

    held = _HeldBindFailure()
    logging.getLogger("uvicorn.error").addFilter(held)  # kept by Solara's logging set-up
    try:
        solara_cli.main(solara_arguments(args.host, args.port, args.log_level),
                        prog_name="solara")
    except SystemExit:
        if held.error is None:
            raise
        print(f"edusim-viz: {_bind_problem(args.host, args.port, held.error)}",
              file=sys.stderr)
        return EXIT_USAGE
    finally:
        logging.getLogger("uvicorn.error").removeFilter(held)
    return 0  # not reached: solara's command line exits


if __name__ == "__main__":
    sys.exit(main())
