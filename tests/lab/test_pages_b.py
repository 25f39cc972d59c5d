"""Pages 6, 7, 8, 11 and 12 in a real headless Chromium (fixtures in conftest.py).

Every test is marked ``browser``, so the conftest guard also checks that the page made no
request outside 127.0.0.1, showed no console error, and that the server logged no traceback.
"""

from __future__ import annotations

import re

import pytest

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
