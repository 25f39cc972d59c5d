"""Pages 6, 7 and 8 (computation graph, circuit, gates) in Chromium, and two sessions at once.

Marked ``browser``: the conftest guard also checks that no request left 127.0.0.1, the
console showed no error and the server logged no traceback."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_computation_graph_forward_backward_and_steps(lab):
    page = lab.page
    lab.open("/computation-graph", ready="#computation-graph-table tr[data-node='f']")
    table = "computation-graph-table"
    assert lab.cell(table, "f", "value") == "" and lab.cell(table, "x", "value") == "-2"
    page.click("#computation-graph-forward")
    lab.wait_for(lambda: lab.cell(table, "f", "value") == "-12")
    assert lab.cell(table, "q", "value") == "3" and lab.cell(table, "x", "grad") == ""
    page.click("#computation-graph-backward")
    lab.wait_for(lambda: lab.cell(table, "x", "grad") == "-4")
    grads = {n: lab.cell(table, n, "grad") for n in ("x", "y", "q", "z", "f")}
    assert grads == {"x": "-4", "y": "-4", "q": "-4", "z": "3", "f": "1"}
    # Gate by gate: Reset, then one Step computes the add gate only.
    page.click("#computation-graph-reset")
    lab.wait_for(lambda: lab.cell(table, "f", "grad") == "")
    page.click("#computation-graph-step")
    lab.wait_text("#computation-graph-status", r"Forward 1/2: q = x \+ y = \(-2\) \+ 5 = 3\.")
    assert lab.cell(table, "q", "value") == "3" and lab.cell(table, "f", "value") == ""
    for _ in range(4):
        page.click("#computation-graph-step")
    lab.wait_text("#computation-graph-status", r"Backward 2/2")
    # Moving x by one slider step (0.1) moves f by df/dx * 0.1 = -0.4.
    lab.slide("computation-graph-x")
    lab.wait_for(lambda: lab.cell(table, "f", "value") == "-12.4")
    assert lab.cell(table, "z", "grad") == "3.1"


def test_circuit_two_paths_and_a_bad_expression(lab):
    page = lab.page
    lab.open("/circuit", ready="#circuit-table tr[data-node='f']")
    page.click("#circuit-forward")
    lab.wait_for(lambda: lab.cell("circuit-table", "f", "value") == "-5")
    page.click("#circuit-backward")
    lab.wait_for(lambda: lab.cell("circuit-table", "x", "grad") == "-3")
    assert lab.cell("circuit-table", "w", "grad") == "1"
    assert lab.cell("circuit-table", "z", "grad") == "3"
    lab.wait_text("#circuit-contributions", r"= -3 \(via q1 = x \+ y\) \+ 0 \(via q3")
    # With x = 5 the max gate routes its gradient to x: both paths contribute.
    lab.enter("#circuit-var-0", "5")
    lab.wait_text(
        "#circuit-contributions", r"-3 \(via q1 = x \+ y\) \+ 1 \(via q3 = max\(x, w\)\) = -2"
    )
    assert lab.cell("circuit-table", "x", "grad") == "-2"
    # An expression that does not parse: one sentence, and the graph is cleared.
    page.fill("#circuit-expr", "x * (y + ")
    page.press("#circuit-expr", "Enter")
    error = lab.wait_text("#circuit-error", r"column")
    assert error.endswith(".") and "\n" not in error.strip()
    assert page.locator("#circuit-table tr[data-node]").count() == 0
    # A new expression: its variables get sliders, and the error goes away.
    page.fill("#circuit-expr", "a * b + a")
    page.press("#circuit-expr", "Enter")
    lab.wait_for(lambda: lab.text("circuit-var-1-name") == "b")
    lab.wait_for(lambda: lab.text("circuit-error").strip() == "")
    assert not page.is_visible("#circuit-var-2-box")
    page.click("#circuit-backward")
    lab.wait_for(lambda: lab.cell("circuit-table", "a", "grad") == "2")  # b + 1 at a=b=1


def test_gate_patterns_table(lab):
    lab.open("/gates", ready="#gates-mul-grad-x")
    assert lab.text("gates-mul-grad-x") == "2" and lab.text("gates-max-grad-y") == "0"
    lab.enter("#gates-upstream", "2")
    lab.enter("#gates-y", "5")
    lab.wait_for(lambda: lab.text("gates-mul-grad-x") == "10")  # g * y = 2 * 5
    assert lab.text("gates-mul-grad-y") == "6"  # g * x = 2 * 3
    assert lab.text("gates-add-grad-x") == "2" and lab.text("gates-add-grad-y") == "2"
    assert lab.text("gates-max-grad-x") == "0" and lab.text("gates-max-grad-y") == "2"
    lab.wait_for(lambda: lab.traces("gates-figure")[0]["y"] == [2, 10, 0])


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
        lab.wait_for(lambda: lab.cell("circuit-table", "x", "grad") == "-3")
        lab.wait_for(lambda: lab.cell("circuit-table", "f", "value", other) == "1")
        assert lab.cell("circuit-table", "u", "grad", other) == ""  # forward only, over there
        assert page.locator("#circuit-table tr[data-node='u']").count() == 0
        assert other.locator("#circuit-table tr[data-node='x']").count() == 0
    finally:
        other_context.close()
    assert problems == []
