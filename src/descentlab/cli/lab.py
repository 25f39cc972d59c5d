"""``descentlab lab``: serve the interactive simulations on this machine.

Binds 127.0.0.1 on a free port unless told otherwise, prints one line with the URL, and serves
until Ctrl-C (or SIGTERM), which stops it cleanly with exit code 0. ``--host`` takes an IP
address (or ``localhost``); anything but a loopback address, such as ``--host 0.0.0.0``, makes
the lab reachable from the network, and the command says so on stderr.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import signal
import socket
import sys
from typing import Any

from descentlab.cli import UsageError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lab",
        help="serve the interactive simulations in a local web app",
        description="Serve the interactive simulations (Dash) on this machine.",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port to listen on (default: a free port)"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="IP address to bind (default: 127.0.0.1, this machine only; 0.0.0.0 listens on "
        "every interface and makes the lab reachable from the network)",
    )
    parser.set_defaults(func=run)


def check_host(host: str) -> tuple[str, bool]:
    """``(address, loopback)`` for ``--host``: an IPv4 or IPv6 address, or ``localhost``.

    Raises :class:`UsageError` for anything else (a name to resolve, an empty string: an
    empty host would bind every interface without anyone having asked for it).
    """
    address = "127.0.0.1" if host == "localhost" else host
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        raise UsageError(
            f"Invalid host: {host!r} (expected an IP address such as 127.0.0.1, or 0.0.0.0 "
            "to listen on every interface)"
        ) from None
    return str(parsed), parsed.is_loopback


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"Invalid port: {args.port} (expected 0 <= port <= 65535; 0 = free port)")
    host, loopback = check_host(args.host)
    from werkzeug.serving import make_server

    from descentlab.lab.app import create_app

    # One line per request would drown the URL line; warnings and errors still show.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="descentlab lab: %(message)s")
    # Bind the socket here, so that a bad host or a busy port is one line of ours (werkzeug
    # would print its own lines and exit), then hand it to werkzeug.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, args.port), family=family)
    except OSError as exc:
        reason = str(exc.strerror or exc).split(" (while attempting")[0]
        raise UsageError(f"cannot listen on {host}:{args.port} ({reason})") from exc
    if not loopback:
        print(
            f"descentlab lab: warning: listening on {host}, so the lab is reachable from the "
            "network: anyone who can reach this machine can use it (the default, 127.0.0.1, "
            "keeps it to this machine)",
            file=sys.stderr,
            flush=True,
        )
    app = create_app()
    with sock:  # werkzeug duplicates the descriptor
        server = make_server(host, args.port, app.server, threaded=True, fd=sock.fileno())
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    # Ctrl-C (SIGINT) and SIGTERM both stop cleanly, even when started from a shell that
    # ignores SIGINT in background jobs; installed before the URL is printed, so a signal
    # sent as soon as the URL appears is handled too.
    previous = {
        sig: signal.signal(sig, _raise_interrupt) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        print(f"descentlab lab: serving on http://{shown}:{port}", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("descentlab lab: stopped", file=sys.stderr, flush=True)
    return 0
