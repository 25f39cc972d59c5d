"""The lab's pages inline in a Jupyter notebook: ``descentlab.lab.show("playground")``.

The first call starts the lab's server once, in a background thread of the kernel, on a free
port of 127.0.0.1 (nothing leaves the machine); every call returns an ``IPython.display.IFrame``
of one page, which Jupyter draws under the cell. The server stops with the kernel, or with
:func:`stop`.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlencode

__all__ = ["show", "stop", "url"]

_lock = threading.Lock()
_server: Any = None


def _base_url() -> str:
    """Start the server if it is not running; its ``http://127.0.0.1:PORT``."""
    global _server
    with _lock:
        if _server is None:
            import logging

            from werkzeug.serving import make_server

            from descentlab.lab.app import create_app

            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
            server = make_server("127.0.0.1", 0, create_app().server, threaded=True)
            thread = threading.Thread(
                target=server.serve_forever, name="descentlab-lab", daemon=True
            )
            thread.start()
            _server = server
        host, port = _server.server_address[:2]
    return f"http://{host}:{port}"


def _page_path(page: str) -> str:
    from descentlab.lab.app import discover_pages

    if page in ("", "/", "home"):
        return "/"
    wanted = page.strip("/").replace("_", "-").lower()
    pages = discover_pages()
    for p in pages:
        if wanted in (p.path.strip("/"), p.prefix, p.title.lower()):
            return p.path
    names = ", ".join(["home", *(p.path.strip("/") for p in pages)])
    raise ValueError(f"show: unknown page {page!r} (expected one of: {names})")


def url(page: str = "home", **settings: Any) -> str:
    """The address of ``page`` (a page's path, slug or title) on the notebook's lab server,
    with ``settings`` as its query string (pages keep their settings in the address)."""
    path = _page_path(page)
    query = f"?{urlencode(settings)}" if settings else ""
    return f"{_base_url()}{path}{query}"


def show(page: str = "home", *, width: str | int = "100%", height: int = 720, **settings: Any):
    """An ``IPython.display.IFrame`` of a lab page, drawn inline when it ends a cell.

    Args:
        page: ``"home"`` or a page: its path or slug (``"playground"``, ``"learning-rate"``,
            ``"learning_rate"``) or its title.
        width, height: the frame's size (CSS width, pixels of height).
        settings: query parameters for the page, e.g. a link's settings.
    """
    try:
        from IPython.display import IFrame
    except ImportError:
        raise ImportError(
            "show: needs IPython, i.e. a Jupyter notebook (pip install jupyterlab); outside "
            "one, descentlab.lab.url(page) gives the page's address"
        ) from None
    return IFrame(url(page, **settings), width=width, height=height)


def stop() -> None:
    """Stop the notebook's lab server (the next :func:`show` starts a new one)."""
    global _server
    with _lock:
        if _server is not None:
            _server.shutdown()
            _server.server_close()
            _server = None
