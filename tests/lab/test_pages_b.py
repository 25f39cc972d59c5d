"""Pages 6, 7, 8, 10, 11 and 12 in a real headless Chromium (fixtures in conftest.py).

Every test is marked ``browser``, so the conftest guard also checks that the page made no
request outside 127.0.0.1, showed no console error, and that the server logged no traceback.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import descentlab as dl

pytestmark = pytest.mark.browser


def _cell(page, table: str, node: str, kind: str) -> str:
    return page.inner_text(f"#{table} tr[data-node='{node}'] td.{kind}").strip()


def _wait_text(lab, selector: str, pattern: str, timeout: float = 10.0) -> str:
    """Poll the text of ``selector`` until it matches ``pattern``; return it."""
    regex = re.compile(pattern)

    def read():
        text = lab.page.inner_text(selector)
        return text if regex.search(text) else None

    return lab.wait_for(read, timeout=timeout)


def _set_slider(page, slider_id: str, value: float) -> None:
    """Type into a Dash 4 slider's number box and leave it (the value is taken on blur)."""
    box = page.locator(f"#{slider_id} input.dash-range-slider-input")
    box.fill(str(value))
    box.press("Tab")


def test_computation_graph_forward_backward_and_steps(lab):
    page = lab.page
    lab.open("/computation-graph", ready="#computation-graph-table tr[data-node='f']")
    table = "computation-graph-table"
    assert _cell(page, table, "f", "value") == "" and _cell(page, table, "x", "value") == "-2"
    page.click("#computation-graph-forward")
    lab.wait_for(lambda: _cell(page, table, "f", "value") == "-12")
    assert _cell(page, table, "q", "value") == "3" and _cell(page, table, "x", "grad") == ""
    page.click("#computation-graph-backward")
    lab.wait_for(lambda: _cell(page, table, "x", "grad") == "-4")
    grads = {n: _cell(page, table, n, "grad") for n in ("x", "y", "q", "z", "f")}
    assert grads == {"x": "-4", "y": "-4", "q": "-4", "z": "3", "f": "1"}
    # Gate by gate: Reset, then one Step computes the add gate only.
    page.click("#computation-graph-reset")
    lab.wait_for(lambda: _cell(page, table, "f", "grad") == "")
    page.click("#computation-graph-step")
    _wait_text(lab, "#computation-graph-status", r"Forward 1/2: q = x \+ y = \(-2\) \+ 5 = 3\.")
    assert _cell(page, table, "q", "value") == "3" and _cell(page, table, "f", "value") == ""
    for _ in range(4):
        page.click("#computation-graph-step")
    _wait_text(lab, "#computation-graph-status", r"Backward 2/2")
    # Moving x by one slider step (0.1) moves f by df/dx * 0.1 = -0.4.
    lab.slide("computation-graph-x")
    lab.wait_for(lambda: _cell(page, table, "f", "value") == "-12.4")
    assert _cell(page, table, "z", "grad") == "3.1"


def test_circuit_two_paths_and_a_bad_expression(lab):
    page = lab.page
    lab.open("/circuit", ready="#circuit-table tr[data-node='f']")
    page.click("#circuit-forward")
    lab.wait_for(lambda: _cell(page, "circuit-table", "f", "value") == "-5")
    page.click("#circuit-backward")
    lab.wait_for(lambda: _cell(page, "circuit-table", "x", "grad") == "-3")
    assert _cell(page, "circuit-table", "w", "grad") == "1"
    assert _cell(page, "circuit-table", "z", "grad") == "3"
    _wait_text(lab, "#circuit-contributions", r"= -3 \(via q1 = x \+ y\) \+ 0 \(via q3")
    # With x = 5 the max gate routes its gradient to x: both paths contribute.
    _set_slider(page, "circuit-var-0", 5)
    _wait_text(
        lab, "#circuit-contributions", r"-3 \(via q1 = x \+ y\) \+ 1 \(via q3 = max\(x, w\)\) = -2"
    )
    assert _cell(page, "circuit-table", "x", "grad") == "-2"
    # An expression that does not parse: one sentence, and the graph is cleared.
    page.fill("#circuit-expr", "x * (y + ")
    page.press("#circuit-expr", "Enter")
    error = _wait_text(lab, "#circuit-error", r"column")
    assert error.endswith(".") and "\n" not in error.strip()
    assert page.locator("#circuit-table tr[data-node]").count() == 0
    # A new expression: its variables get sliders, and the error goes away.
    page.fill("#circuit-expr", "a * b + a")
    page.press("#circuit-expr", "Enter")
    lab.wait_for(lambda: lab.text("circuit-var-1-name") == "b")
    lab.wait_for(lambda: lab.text("circuit-error").strip() == "")
    assert not page.is_visible("#circuit-var-2-box")
    page.click("#circuit-backward")
    lab.wait_for(lambda: _cell(page, "circuit-table", "a", "grad") == "2")  # b + 1 at a=b=1


def test_gate_patterns_table(lab):
    page = lab.page
    lab.open("/gates", ready="#gates-mul-grad-x")
    assert lab.text("gates-mul-grad-x") == "2" and lab.text("gates-max-grad-y") == "0"
    _set_slider(page, "gates-upstream", 2)
    _set_slider(page, "gates-y", 5)
    lab.wait_for(lambda: lab.text("gates-mul-grad-x") == "10")  # g * y = 2 * 5
    assert lab.text("gates-mul-grad-y") == "6"  # g * x = 2 * 3
    assert lab.text("gates-add-grad-x") == "2" and lab.text("gates-add-grad-y") == "2"
    assert lab.text("gates-max-grad-x") == "0" and lab.text("gates-max-grad-y") == "2"
    lab.wait_for(lambda: lab.traces("gates-figure")[0]["y"] == [2, 10, 0])


def _test_accuracy(lab) -> float:
    match = re.search(r"test accuracy ([\d.]+)%", lab.text("playground-metrics"))
    return float(match.group(1)) if match else -1.0


def test_playground_learns_circles_and_exports(lab, tmp_path):
    page = lab.page
    lab.open("/playground?dataset=circles&seed=3", ready="#playground-metrics:has-text('loss')")
    assert lab.text("playground-epoch") == "Epoch 0 of 300"
    assert _test_accuracy(lab) < 90
    page.click("#playground-step")
    _wait_text(lab, "#playground-epoch", r"^Epoch 1 of 300$")
    page.click("#playground-play")
    lab.wait_for(lambda: _test_accuracy(lab) > 90, timeout=30)
    page.click("#playground-play")  # pause
    _wait_text(lab, "#playground-play", r"^Play$")

    def settled():
        # A tick already on its way when Pause was pressed may still land: read the counter
        # and the curves until they agree.
        epoch = int(re.search(r"Epoch (\d+)", lab.text("playground-epoch")).group(1))
        losses = lab.traces("playground-curves")[0]["y"]
        return (epoch, losses) if len(losses) == epoch + 1 else None

    epoch, losses = lab.wait_for(settled)
    assert 1 < epoch <= 150 and losses[-1] < losses[0]
    assert [t["name"] for t in lab.traces("playground-boundary")] == ["prediction", "train", "test"]
    with page.expect_download() as info:
        page.click("#playground-export")
    path = tmp_path / "model.npz"
    info.value.save_as(path)
    arrays, meta = dl.load(path, with_metadata=True)
    assert meta["layers"] == [2, 8, 8, 2] and meta["epoch"] >= epoch
    assert all(np.isfinite(a).all() for a in arrays.values())
    # Changing a control writes every setting into the address, so the page can be shared.
    lab.slide("playground-layers")
    lab.wait_for(lambda: "layers=3" in page.url)
    assert "dataset=circles" in page.url and "seed=3" in page.url
    _wait_text(lab, "#playground-epoch", r"^Epoch 0 of 300$")


def test_playground_divergence_and_a_bad_address(lab):
    page = lab.page
    lab.open(
        "/playground?dataset=spirals&optimizer=sgd&lr=10&loss=mse&layers=3&neurons=16"
        "&activation=relu",
        ready="#playground-metrics:has-text('loss')",
    )
    page.click("#playground-play")
    message = _wait_text(lab, "#playground-diverged", r"Training diverged at epoch \d+", 20)
    assert "learning rate 10" in message and "lower the learning rate" in message
    _wait_text(lab, "#playground-play", r"^Play$")
    lab.open("/playground?lr=7", ready="#playground-metrics:has-text('loss')")
    error = _wait_text(lab, "#playground-error", r"learning rate")
    assert error.startswith("The learning rate must be one of") and error.endswith(".")


def test_vanishing_gradients_bars(lab):
    page = lab.page
    lab.open("/vanishing", ready="#vanishing-summary:has-text('orders of magnitude')")
    sigmoid = lab.wait_for_traces("vanishing-figure")[0]["y"]
    assert len(sigmoid) == 11 and sigmoid[0] < 1e-5 * sigmoid[-1]
    page.check("#vanishing-activation input[value='relu']")
    lab.wait_for(lambda: lab.traces("vanishing-figure")[0]["y"] != sigmoid)
    relu = lab.traces("vanishing-figure")[0]["y"]
    assert relu[0] / relu[-1] > 1e3 * sigmoid[0] / sigmoid[-1]
    lab.slide("vanishing-depth", "ArrowLeft", 5)
    lab.wait_for(lambda: len(lab.traces("vanishing-figure")[0]["y"]) == 6)


def test_backprop_by_hand_values_and_update(lab):
    page = lab.page
    lab.open("/backprop-by-hand", ready="#backprop-by-hand-C")
    values = {k: lab.text(f"backprop-by-hand-{k}") for k in ("z1", "a2", "C", "delta2", "delta1")}
    assert values == {"z1": "2", "a2": "3.5", "C": "1.125", "delta2": "-1.5", "delta1": "-2.25"}
    assert lab.text("backprop-by-hand-dC-dw1") == "-4.5"
    assert (
        lab.text("backprop-by-hand-da2-dw1") == "3" and lab.text("backprop-by-hand-da2-dw2") == "2"
    )
    page.click("#backprop-by-hand-apply")
    lab.wait_for(lambda: page.input_value("#backprop-by-hand-w1") == "0.95")
    assert page.input_value("#backprop-by-hand-w2") == "1.8"
    lab.wait_for(lambda: lab.text("backprop-by-hand-z1") == "2.9")
    page.fill("#backprop-by-hand-lr", "-3")
    page.press("#backprop-by-hand-lr", "Enter")
    _wait_text(lab, "#backprop-by-hand-error", r"The learning rate must be between 0 and 10")


def test_two_sessions_keep_their_own_state(lab, lab_url):
    """Two browser sessions at once: each keeps its own expression, stage and numbers."""
    page = lab.page
    other_context = page.context.browser.new_context()
    other = other_context.new_page()
    problems: list[str] = []
    other.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    other.on(
        "request", lambda req: None if req.url.startswith(lab_url) else problems.append(req.url)
    )
    try:
        lab.open("/circuit", ready="#circuit-table tr[data-node='f']")
        other.goto(lab_url + "/circuit")
        other.wait_for_selector("#circuit-table tr[data-node='f']")
        other.fill("#circuit-expr", "u * v")
        other.press("#circuit-expr", "Enter")
        other.wait_for_selector("#circuit-table tr[data-node='u']")
        page.click("#circuit-backward")
        other.click("#circuit-forward")
        lab.wait_for(lambda: _cell(page, "circuit-table", "x", "grad") == "-3")
        lab.wait_for(lambda: _cell(other, "circuit-table", "f", "value") == "1")
        assert _cell(other, "circuit-table", "u", "grad") == ""  # forward only, over there
        assert page.locator("#circuit-table tr[data-node='u']").count() == 0
        assert other.locator("#circuit-table tr[data-node='x']").count() == 0
    finally:
        other_context.close()
    assert problems == []
