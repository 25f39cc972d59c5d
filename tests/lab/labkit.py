"""Helpers shared by the lab's tests: the server subprocess, the Chromium launch, a page driver.

Imported by tests/lab/conftest.py and by the test modules (``from labkit import ...``).
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the lab server exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_dash-layout", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"the lab server did not answer on {url} within {timeout} s")


def stop(proc: subprocess.Popen, timeout: float = 30.0) -> int:
    """Ctrl-C the server and wait; kill it if it does not stop. Returns its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class LabServer:
    """A running ``descentlab lab`` subprocess and its log."""

    def __init__(self, proc: subprocess.Popen, url: str, log_path: Path) -> None:
        self.proc = proc
        self.url = url
        self.log_path = log_path

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, offset: int) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            handle.seek(offset)
            return handle.read()


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in LOCAL_HOSTS


# Plotly 6+ sends NumPy arrays base64-encoded ({dtype, bdata}); plotly.js may keep either
# form in gd.data, so decode both to plain arrays.
_READ_TRACES_JS = """
(id) => {
  const root = document.getElementById(id);
  const gd = root && (root.classList.contains('js-plotly-plot')
    ? root : root.querySelector('.js-plotly-plot'));
  if (!gd || !gd.data) return null;
  const types = {f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array,
    i2: Int16Array, u2: Uint16Array, i1: Int8Array, u1: Uint8Array};
  const decode = (v) => {
    if (v === null || v === undefined) return v;
    if (ArrayBuffer.isView(v)) return Array.from(v);
    if (Array.isArray(v)) return v.map(decode);
    if (typeof v === 'object' && v.bdata !== undefined) {
      const raw = atob(v.bdata);
      const bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      const kind = types[String(v.dtype).replace(/[<>|]/, '')] || Float64Array;
      let flat = Array.from(new kind(bytes.buffer));
      if (v.shape) {
        const [rows, cols] = String(v.shape).split(',').map(Number);
        if (cols) {
          const out = [];
          for (let r = 0; r < rows; r++) out.push(flat.slice(r * cols, (r + 1) * cols));
          flat = out;
        }
      }
      return flat;
    }
    return v;
  };
  return gd.data.map((t) => ({name: t.name === undefined ? null : t.name, type: t.type || null,
    x: decode(t.x), y: decode(t.y), z: decode(t.z), visible: t.visible === undefined
    ? true : t.visible}));
}
"""


_DATA_TO_PIXEL_JS = """
([id, x, y]) => {
  const gd = document.querySelector('#' + id + ' .js-plotly-plot');
  const fl = gd._fullLayout;
  const box = gd.getBoundingClientRect();
  // _offset: where each axis starts inside the graph (it moves when an axis is constrained)
  return [box.left + fl.xaxis._offset + fl.xaxis.l2p(x),
          box.top + fl.yaxis._offset + fl.yaxis.l2p(y)];
}
"""


class Lab:
    """Helpers for driving one lab page in the browser."""

    def __init__(self, page: Any, url: str) -> None:
        self.page = page
        self.url = url

    def open(self, path: str, ready: str | None = None) -> None:
        """Go to ``path`` and wait until the page's frame (or ``ready``) is on screen."""
        self.page.goto(self.url + path)
        self.page.wait_for_selector(ready or "#lab-page h2")

    def traces(self, graph_id: str) -> list[dict[str, Any]] | None:
        """The traces of a dcc.Graph as plain lists (None until Plotly has drawn it)."""
        return self.page.evaluate(_READ_TRACES_JS, graph_id)

    def wait_for_traces(self, graph_id: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        return self.wait_for(lambda: self.traces(graph_id), timeout=timeout)

    def click_at(self, graph_id: str, x: float, y: float) -> None:
        """Click a Plotly graph at data coordinates (x, y) (hover first: Plotly reports a click
        on the point it is hovering, the nearest grid point of a contour)."""
        self.page.locator(f"#{graph_id}").scroll_into_view_if_needed()
        px, py = self.page.evaluate(_DATA_TO_PIXEL_JS, [graph_id, x, y])
        self.page.mouse.move(px - 3, py - 3)
        self.page.mouse.move(px, py)
        self.page.wait_for_timeout(60)
        self.page.mouse.click(px, py)

    def text(self, element_id: str) -> str:
        return self.page.inner_text(f"#{element_id}")

    def slide(self, slider_id: str, key: str = "ArrowRight", times: int = 1) -> None:
        """Move a Dash 4 (Radix) slider with the keyboard (the slider of a number box
        ``slider_id`` made by ``widgets.slider_box``, or a bare slider of that id)."""
        paired = self.page.locator(f"#{slider_id}-slider [role=slider]")
        handle = paired if paired.count() else self.page.locator(f"#{slider_id} [role=slider]")
        handle.focus()
        for _ in range(times):
            handle.press(key)

    def enter(self, selector: str, value: str) -> None:
        """Type ``value`` into a box and press Enter (which commits it)."""
        self.page.fill(selector, value)
        self.page.press(selector, "Enter")

    def wait_text(self, selector: str, pattern: str, timeout: float = 30.0) -> str:
        """Poll the text of ``selector`` until it matches the regex ``pattern``; return it."""
        regex = re.compile(pattern)

        def read() -> str | None:
            text = self.page.inner_text(selector)
            return text if regex.search(text) else None

        return self.wait_for(read, timeout=timeout)

    def cell(self, table: str, node: str, kind: str, page: Any = None) -> str:
        """The ``kind`` ("value" or "grad") cell of a circuit table's row for ``node``."""
        page = page or self.page
        return page.inner_text(f"#{table} tr[data-node='{node}'] td.{kind}").strip()

    def wait_for(
        self, condition: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05
    ) -> Any:
        """Poll ``condition`` until it returns something truthy; return that value."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout} s")
            self.page.wait_for_timeout(interval * 1000)

    def wait_for_change(self, read: Callable[[], Any], old: Any, timeout: float = 30.0) -> Any:
        """Poll ``read()`` until it differs from ``old``; return the new value."""
        box: list[Any] = []

        def changed() -> bool:
            value = read()
            if value is not None and value != old:
                box.append(value)
                return True
            return False

        self.wait_for(changed, timeout=timeout)
        return box[-1]


def dash_callback_payload(
    outputs: list[tuple[str, str]],
    inputs: list[tuple[str, str, Any]],
    state: list[tuple[str, str, Any]] = (),
    changed: list[str] | None = None,
) -> dict[str, Any]:
    """The JSON body Dash's front end posts to ``/_dash-update-component``."""
    output_key = (
        f"{outputs[0][0]}.{outputs[0][1]}"
        if len(outputs) == 1
        else ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."
    )
    out_spec: Any = (
        {"id": outputs[0][0], "property": outputs[0][1]}
        if len(outputs) == 1
        else [{"id": i, "property": p} for i, p in outputs]
    )
    return {
        "output": output_key,
        "outputs": out_spec,
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": changed
        if changed is not None
        else [f"{i}.{p}" for i, p, _ in inputs[:1]],
    }


def dash_dependencies(url: str) -> list[dict[str, Any]]:
    """The app's callbacks as its front end sees them (``/_dash-dependencies``)."""
    with urllib.request.urlopen(url + "/_dash-dependencies", timeout=30) as response:
        return json.loads(response.read())


def dash_call(
    url: str,
    dependencies: list[dict[str, Any]],
    first_output: str,
    inputs: dict[str, Any],
    state: dict[str, Any],
    changed: str,
) -> dict[str, Any]:
    """POST one callback the way the browser does and return its ``response`` part.

    ``first_output`` ("landscape-graph.figure") picks the callback; ``inputs``/``state`` map
    "id.property" to values, in any order.
    """
    dep = next(d for d in dependencies if d["output"].strip(".").startswith(first_output))
    outputs = [o.split(".", 1) for o in dep["output"].strip(".").split("...")]

    def values(specs: list[dict[str, Any]], given: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {"id": d["id"], "property": d["property"], "value": given[f"{d['id']}.{d['property']}"]}
            for d in specs
        ]

    body = {
        "output": dep["output"],
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": values(dep["inputs"], inputs),
        "state": values(dep["state"], state),
        "changedPropIds": [changed],
    }
    request = urllib.request.Request(
        url + "/_dash-update-component",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["response"]
