"""``descentlab lab``: serve the interactive simulations on this machine.

Binds 127.0.0.1 on a free port unless told otherwise, prints one line with the URL, and serves
until Ctrl-C (or SIGTERM), which stops it cleanly with exit code 0.
"""

from __future__ import annotations

import argparse
import logging
import signal
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
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.set_defaults(func=run)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"Invalid port: {args.port} (expected 0 <= port <= 65535; 0 = free port)")
    from werkzeug.serving import make_server

    from descentlab.lab.app import create_app

    # One line per request would drown the URL line; warnings and errors still show.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="descentlab lab: %(message)s")
    app = create_app()
    try:
        server = make_server(args.host, args.port, app.server, threaded=True)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc})"
        ) from exc
    except (ValueError, UnicodeError) as exc:
        raise UsageError(f"Invalid host: {args.host!r} ({exc})") from exc
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    print(f"descentlab lab: serving on http://{shown}:{port}", flush=True)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        signal.signal(signal.SIGTERM, previous)
    print("descentlab lab: stopped", file=sys.stderr, flush=True)
    return 0
