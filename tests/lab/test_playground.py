"""The Playground in a real headless Chromium: runs on the server, the diagram, the code.

Every test is marked ``browser`` (the conftest guard checks requests, console and server log).
Waits are on the page's state with generous bounds, never on the clock of a shared machine.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.browser
READY = "#playground-metrics:has-text('loss')"
WAIT = 30  # seconds: generous, for a loaded machine
LOSSES = re.compile(r"train loss (\S+), test loss ([^,\s]+)")


_DIAGRAM_JS = """
() => {
  const gd = document.querySelector('#playground-diagram .js-plotly-plot');
  if (!gd || !gd.data || !gd.layout.images) return null;
  return {traces: gd.data.map((t) => ({x: t.x, y: t.y, customdata: t.customdata || null,
                                      color: t.line ? t.line.color : null})),
          image: gd.layout.images[0].source};
}
"""


def _open(page, url: str) -> None:
    # The first run of a fresh server imports scikit-learn (seconds on a loaded machine).
    page.goto(url)
    page.wait_for_selector(READY, timeout=90_000)


def _epoch(page) -> int:
    match = re.search(r"Epoch (\d+) of", page.inner_text("#playground-epoch"))
    return int(match.group(1)) if match else -1


def test_two_sessions_play_at_once_and_both_advance(lab, lab_url):
    """Two browsers press Play on circles 2x8 together; each counter passes 200 epochs."""
    page = lab.page
    other_context = page.context.browser.new_context()
    other = other_context.new_page()
    try:
        # 1000 epochs: neither run may finish (and Play restart it) before the other is read
        setup = "/playground?dataset=circles&hidden=8,8&epochs=1000"
        _open(page, lab_url + setup)
        _open(other, lab_url + setup)
        assert _epoch(page) == 0 and _epoch(other) == 0
        start = time.monotonic()
        page.click("#playground-play")
        other.click("#playground-play")
        passed = {}

        def both_past_200() -> bool:
            for name, p in (("first", page), ("second", other)):
                if name not in passed and _epoch(p) > 200:
                    passed[name] = time.monotonic() - start
            return len(passed) == 2

        lab.wait_for(both_past_200, timeout=120, interval=0.2)
        print(f"\nEpoch 200 passed after {passed['first']:.1f} s and {passed['second']:.1f} s")
        # Each page shows its own run: pausing one leaves the other playing.
        page.click("#playground-play")
        lab.wait_for(lambda: page.inner_text("#playground-play") == "Play", timeout=WAIT)
        for _ in range(2):  # the first wait lets the paused run's last frame arrive
            paused, mark = _epoch(page), _epoch(other)
            lab.wait_for(lambda m=mark: _epoch(other) > m + 20, timeout=120, interval=0.2)
        assert _epoch(page) == paused
    finally:
        other_context.close()


def test_diagram_and_an_edited_weight_move_the_boundary(lab):
    page = lab.page
    _open(page, lab.url + "/playground?dataset=quadrants&features=x1,x2,x1*x2&hidden=3&seed=2")
    diagram = lab.wait_for(lambda: page.evaluate(_DIAGRAM_JS))
    *lines, edges = diagram["traces"]
    assert len(edges["customdata"]) == 3 * 3 + 3 * 2  # inputs -> 3 neurons -> 2 outputs
    assert {t["color"] for t in lines} == {"#0877bd", "#f59322"}  # by sign
    assert diagram["image"].startswith("data:image/png;base64,")  # the neurons' thumbnails
    before = lab.traces("playground-boundary")[0]["z"]
    k = edges["customdata"].index([0, 0, 2])  # from x1*x2 to neuron 1 of layer 1
    chosen = "from x1*x2 to neuron 1 of layer 1"
    for _ in range(5):  # a click that lands while Plotly redraws the diagram is lost: again
        lab.click_at("playground-diagram", edges["x"][k], edges["y"][k])
        try:
            lab.wait_for(lambda: chosen in lab.text("playground-edge-label"), timeout=6)
            break
        except AssertionError:
            continue
    assert chosen in lab.text("playground-edge-label")
    page.fill("#playground-weight", "6")
    page.press("#playground-weight", "Enter")
    after = lab.wait_for_change(lambda: lab.traces("playground-boundary")[0]["z"], before, WAIT)
    assert after != before and _epoch(page) == 0
    lab.wait_for(lambda: "weights edited by hand" in lab.text("playground-metrics"), timeout=WAIT)
    # A control writes the whole set-up into the address.
    page.click("#playground-add-layer")
    lab.wait_for(lambda: "hidden=3,3" in page.url, timeout=WAIT)
    assert "features=x1,x2,x1*x2" in page.url.replace("%2A", "*").replace("%2C", ",")


def test_show_code_prints_a_program_that_gives_the_pages_loss(lab, tmp_path):
    page = lab.page
    _open(
        page,
        lab.url + "/playground?dataset=moons&hidden=5,3&activation=relu&schedule=cosine"
        "&epochs=20&features=x1,x2,sin+x1&batch=8&optimizer=momentum&lr=0.1",
    )
    page.click("#playground-play")
    lab.wait_for(lambda: lab.text("playground-epoch") == "Epoch 20 of 20", timeout=60)
    shown = LOSSES.search(lab.text("playground-metrics")).groups()
    page.click("#playground-show-code")
    code = lab.wait_for(lambda: page.inner_text("#playground-code").strip(), timeout=WAIT)
    assert "fit(" in code and "epochs=20" in code
    script = tmp_path / "playground_run.py"
    script.write_text(code)
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    )
    assert LOSSES.search(out.stdout).groups() == shown


def test_divergence_stops_the_run_and_says_where(lab):
    page = lab.page
    _open(
        page,
        lab.url + "/playground?dataset=quadrants&optimizer=sgd&lr=10&activation=relu"
        "&hidden=16,16,16&loss=mse",
    )
    page.click("#playground-play")
    lab.wait_for(lambda: "Training diverged" in lab.text("playground-message"), timeout=60)
    message = lab.text("playground-message")
    assert re.search(r"Training diverged at epoch \d+", message)
    assert re.search(r"the (weights|biases) of (hidden layer \d|the output layer)", message)
    assert "Lower the learning rate" in message and "Error" not in message
    lab.wait_for(lambda: page.inner_text("#playground-play") == "Play", timeout=WAIT)
