"""The lab's shell: page discovery and the page contract, routing, the CLI, and (in Chromium)
the index page and navigation."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from urllib.parse import urlsplit

import pytest
from labkit import (
    dash_call,
    dash_callback_payload,
    dash_dependencies,
    free_port,
    stop,
    wait_until_serving,
)

from descentlab.lab.app import create_app, discover_pages, page_frame


def _owner(component_id) -> str:
    """The id a component is known by: the string, or a pattern-matching id's "type"."""
    if isinstance(component_id, str) and component_id.startswith("{"):
        component_id = json.loads(component_id)
    if isinstance(component_id, dict):
        return str(component_id.get("type", ""))
    return str(component_id)


@pytest.fixture(scope="module")
def pages():
    return discover_pages()


def test_pages_follow_the_contract(pages):
    assert [p.order for p in pages] == sorted(p.order for p in pages)
    assert len({p.path for p in pages}) == len(pages)
    all_ids: dict[str, str] = {}
    for page in pages:
        assert page.title.strip() and len(page.explanation.split()) >= 15, page.slug
        ids = [c.id for c in page.module.layout()._traverse() if getattr(c, "id", None) is not None]
        assert page.error_id in ids, f"{page.slug} has no #{page.error_id}"
        for component_id in ids:
            owner = _owner(component_id)
            assert owner.startswith(page.prefix + "-"), (
                f"{page.slug}: id {component_id!r} does not start with {page.prefix!r}"
            )
            key = json.dumps(component_id, sort_keys=True)
            assert key not in all_ids, f"id {key} used by {page.slug} and {all_ids[key]}"
            all_ids[key] = page.slug


def test_every_callback_targets_one_page(pages):
    app = create_app()
    prefixes = [p.prefix + "-" for p in pages] + ["lab-"]
    for key, spec in app.callback_map.items():
        ids = [dep["id"] for dep in spec["inputs"] + spec["state"]]
        ids += [out.rsplit(".", 1)[0] for out in key.strip(".").split("...")]
        for component_id in ids:
            owner = _owner(component_id)
            assert any(owner.startswith(p) for p in prefixes), (key, component_id)


def test_each_page_renders_in_its_frame(pages):
    for page in pages:
        frame = page_frame(page)
        assert frame.id == f"lab-frame-{page.prefix}"


def _route(client, path):
    body = dash_callback_payload(
        [("lab-page", "children"), ("lab-nav", "children")],
        [("lab-url", "pathname", path)],
        [("lab-url", "search", "")],
    )
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data[:300]
    return json.loads(response.data)["response"]


def test_router_serves_home_pages_and_a_not_found_message(lab_client, pages):
    home = json.dumps(_route(lab_client, "/"))
    assert "lab-home" in home
    for page in pages:
        assert page.path in home and page.title in home
    missing = json.dumps(_route(lab_client, "/no-such-simulation"))
    assert "lab-not-found" in missing and "/no-such-simulation" in missing
    for page in pages:
        rendered = json.dumps(_route(lab_client, page.path))
        assert f"lab-frame-{page.prefix}" in rendered and page.error_id in rendered


def test_no_asset_comes_from_outside(lab_client):
    html = lab_client.get("/").data.decode()
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith("/"), url


def test_cli_serves_on_the_given_host_and_port_and_stops_on_ctrl_c():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "descentlab", "lab", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == f"descentlab lab: serving on http://127.0.0.1:{port}"
        wait_until_serving(f"http://127.0.0.1:{port}", proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert b"descentlab lab" in response.read()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert "Traceback" not in proc.stderr.read()
    finally:
        stop(proc)


def test_cli_picks_a_free_port_by_default_and_rejects_a_bad_one():
    proc = subprocess.Popen(
        [sys.executable, "-m", "descentlab", "lab"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        match = re.fullmatch(
            r"descentlab lab: serving on http://127\.0\.0\.1:(\d+)", proc.stdout.readline().strip()
        )
        assert match and int(match.group(1)) > 0
    finally:
        assert stop(proc) == 0
    bad = subprocess.run(
        [sys.executable, "-m", "descentlab", "lab", "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 2
    assert "Invalid port: 70000" in bad.stderr and "Traceback" not in bad.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run(
            [sys.executable, "-m", "descentlab", "lab", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert busy.returncode == 2
    assert busy.stderr.strip() == (
        f"descentlab lab: error: cannot listen on 127.0.0.1:{port} (Address already in use)"
    )


@pytest.mark.browser
def test_home_page_lists_every_simulation_and_navigates(lab, pages):
    lab.open("/", ready="#lab-home")
    for page in pages:
        assert lab.page.locator(f"#lab-card-{page.prefix}").count() == 1
        assert lab.page.locator(f"#lab-nav-{page.prefix}").count() == 1
    if pages:
        lab.page.click(f"#lab-nav-{pages[0].prefix}")
        lab.page.wait_for_selector(f"#lab-frame-{pages[0].prefix}")
        assert urlsplit(lab.page.url).path == pages[0].path
        assert pages[0].title in lab.page.inner_text(".lab-page-title")


@pytest.mark.browser
def test_unknown_path_shows_a_message(lab):
    lab.open("/nowhere", ready="#lab-not-found")
    assert "/nowhere" in lab.text("lab-not-found")


def test_ten_users_at_once_each_keep_their_own_state(lab_server):
    """Ten threads step ten different runs through the real server, interleaved, each in its
    own session; each must get exactly what its own run computes alone (with no run on the
    server, Step goes on from the state in the request)."""
    from concurrent.futures import ThreadPoolExecutor

    from descentlab.lab.compute import landscape
    from descentlab.lab.runs import new_session_id

    surfaces = ["bowl", "ravine", "rosenbrock", "himmelblau", "beale"] * 2
    users = [
        (landscape.start_state(name, [0.3 * (i + 1) - 1.5, 1.0 - 0.2 * i]), 0.001 * (i + 1))
        for i, name in enumerate(surfaces)
    ]

    dependencies = dash_dependencies(lab_server.url)

    def session(user):
        state, lr = user
        sid = new_session_id()
        for _ in range(8):
            response = dash_call(
                lab_server.url,
                dependencies,
                "landscape-graph.figure",
                {
                    "landscape-surface.value": state["surface"],
                    "landscape-x.value": state["path"][0][0],
                    "landscape-y.value": state["path"][0][1],
                    "landscape-reset.n_clicks": 0,
                    "landscape-graph.clickData": None,
                    "landscape-step.n_clicks": 1,
                },
                {
                    "landscape-state.data": state,
                    "landscape-lr.value": lr,
                    "landscape-tol.value": 1e-8,
                    "landscape-session.data": sid,
                },
                changed="landscape-step.n_clicks",
            )
            assert response["landscape-error"]["children"] == ""
            state = response["landscape-state"]["data"]
        return state

    with ThreadPoolExecutor(max_workers=10) as pool:
        finals = list(pool.map(session, users))
    for (state, lr), final in zip(users, finals):
        alone = state
        for _ in range(8):
            alone = landscape.step_state(alone, lr)
        assert final["path"] == alone["path"] and final["surface"] == state["surface"]


def test_a_callback_that_raises_is_logged_and_told_in_its_page(caplog):
    """The safety net for bugs (user input never gets here): one sentence in the page's
    error div, the traceback in the server's log."""
    from dash import Input, Output

    app = create_app()

    @app.callback(Output("landscape-error", "title"), Input("landscape-reset", "title"))
    def broken(_):
        raise RuntimeError("kaboom")

    body = dash_callback_payload(
        [("landscape-error", "title")], [("landscape-reset", "title", "x")]
    )
    with caplog.at_level("ERROR", logger="descentlab.lab"):
        response = app.server.test_client().post("/_dash-update-component", json=body)
    assert response.status_code == 200
    assert json.loads(response.data)["sideUpdate"] == {
        "landscape-error": {"children": "This could not be computed (RuntimeError: kaboom)."}
    }
    assert "kaboom" in caplog.text


@pytest.mark.browser
def test_every_page_loads_cleanly(lab, pages):
    """Each page renders its frame and its first figures; the guard fixture checks that the
    console stayed clean and that nothing left 127.0.0.1."""
    lab.open("/", ready="#lab-home")
    for page in pages:  # through the navigation bar: the router swaps the page in place
        lab.page.click(f"#lab-nav-{page.prefix}")
        lab.page.wait_for_selector(f"#lab-frame-{page.prefix}")
        assert urlsplit(lab.page.url).path == page.path
        lab.page.wait_for_function(
            """() => [...document.querySelectorAll('.dash-graph')].every((g) => {
                const gd = g.querySelector('.js-plotly-plot');
                return gd && gd.data && gd.data.length > 0; })"""
        )
        assert page.title in lab.page.inner_text(".lab-page-title")
