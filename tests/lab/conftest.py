"""Fixtures for the lab's browser tests (one server and one Chromium per session).

- ``lab_server`` / ``lab_url``: ``python -m descentlab lab --port <free>`` in a subprocess,
  waited for, stopped with Ctrl-C (SIGINT) at the end; its output goes to a log file.
- ``page``: a fresh page per test in one session-wide context (so the browser cache keeps
  the scripts), in Debian's Chromium launched as LAB-STACK.md says (pytest-playwright's
  ``browser`` with ``browser_type_launch_args`` overridden).
- an autouse guard for tests marked ``browser``: records every request and every console
  error; after the test, asserts that no request left 127.0.0.1, that the console showed no
  error, and that the server logged no traceback while the test ran.
- ``lab``: a small helper around ``page`` (open a page, read a figure's traces, move a
  slider, wait for a text to change).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from labkit import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Lab,
    LabServer,
    free_port,
    is_local,
    stop,
    wait_until_serving,
)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("lab") / "server.log"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "descentlab", "lab", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, proc)
        yield LabServer(proc, url, log_path)
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def lab_url(lab_server: LabServer) -> str:
    return lab_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 950}}


@pytest.fixture(scope="session")
def lab_context(browser: Any, browser_context_args: dict[str, Any]) -> Iterator[Any]:
    """One browser context for the session, so its HTTP cache keeps Dash's and Plotly's
    scripts (a few MB) between tests instead of loading them again for every test."""
    context = browser.new_context(**browser_context_args)
    yield context
    context.close()


@pytest.fixture
def page(lab_context: Any) -> Iterator[Any]:
    """A fresh page per test, in the shared context (overrides pytest-playwright's)."""
    page = lab_context.new_page()
    yield page
    page.close()


@pytest.fixture(autouse=True)
def _lab_browser_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    page = request.getfixturevalue("page")
    server: LabServer = request.getfixturevalue("lab_server")
    page.set_default_timeout(30_000)  # generous: CI may share its 2 cores with other work
    offset = server.log_size()
    outside: list[str] = []
    errors: list[str] = []
    page.on("request", lambda req: None if is_local(req.url) else outside.append(req.url))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield
    assert outside == [], f"requests left 127.0.0.1: {outside}"
    assert errors == [], f"console errors: {errors}"
    logged = server.log_since(offset)
    assert "Traceback" not in logged, f"the server logged an exception:\n{logged}"


@pytest.fixture
def lab(page: Any, lab_url: str) -> Lab:
    return Lab(page, lab_url)


@pytest.fixture(scope="session")
def lab_client() -> Any:
    """A Flask test client of a freshly built lab app (no browser, no subprocess)."""
    from descentlab.lab.app import create_app

    return create_app().server.test_client()
