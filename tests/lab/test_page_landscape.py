"""Page 1, the loss landscape, in Chromium: click, step, run, a bad learning rate.

Marked ``browser``: the conftest guard also checks that no request left 127.0.0.1, the
console showed no error and the server logged no traceback."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def _numbers(text: str, label: str) -> list[float]:
    match = re.search(re.escape(label) + r"\s*=?\s*\(?([-0-9.e+, ]+)\)?", text)
    assert match, (label, text)
    return [float(v) for v in match.group(1).split(",") if v.strip()]


def _step_count(text: str) -> int:
    return int(re.search(r"step (\d+)", text).group(1))


def test_landscape_click_places_the_start_and_steps_go_downhill(lab):
    lab.open("/landscape", ready="#landscape-graph .js-plotly-plot")
    traces = lab.wait_for_traces("landscape-graph")
    assert [t["name"] for t in traces] == ["surface", "minimum", "path", "current point"]
    before = lab.text("landscape-readout")
    lab.click_at("landscape-graph", 1.5, -1.0)
    text = lab.wait_for_change(lambda: lab.text("landscape-readout"), before)
    x, y = _numbers(text, "point (x, y)")
    assert abs(x - 1.5) < 0.1 and abs(y + 1.0) < 0.1  # a contour reports its nearest grid point
    loss0 = _numbers(text, "f(x, y)")[0]
    assert loss0 == pytest.approx(x * x + y * y, rel=1e-3)  # the readout shows 5 digits
    lab.page.click("#landscape-step")
    text = lab.wait_for(lambda: (t := lab.text("landscape-readout")) and "step 1" in t and t)
    assert _numbers(text, "f(x, y)")[0] < loss0
    path = lab.traces("landscape-graph")[2]
    assert len(path["x"]) == 2 and path["x"][1] == pytest.approx(
        0.8 * path["x"][0]
    )  # lr 0.1, x²+y²


def test_landscape_run_animates_on_the_server_pauses_steps_and_a_bad_lr_says_so(lab):
    lab.open("/landscape?speed=5", ready="#landscape-graph .js-plotly-plot")
    lab.wait_for_traces("landscape-graph")
    lab.page.click("#landscape-run")
    lab.wait_for(lambda: _step_count(lab.text("landscape-readout")) >= 3)
    assert lab.text("landscape-run-state") == "playing"
    lab.page.click("#landscape-run")  # pause
    lab.wait_text("#landscape-run-state", r"^paused$")
    lab.wait_for(lambda: lab.page.inner_text("#landscape-run") == "Run")
    paused = _step_count(lab.text("landscape-readout"))
    lab.page.wait_for_timeout(1500)  # over seven steps' time at 5 steps/s: nothing moves
    assert _step_count(lab.text("landscape-readout")) == paused
    assert len(lab.traces("landscape-graph")[2]["x"]) == paused + 1
    assert len(lab.traces("landscape-losses")[0]["y"]) == paused + 1  # the loss per step
    lab.page.click("#landscape-step")  # Step goes on from the run's state
    lab.wait_for(lambda: _step_count(lab.text("landscape-readout")) == paused + 1)
    lab.wait_for(lambda: len(lab.traces("landscape-graph")[2]["x"]) == paused + 2)
    lab.page.fill("#landscape-lr", "-1")
    lab.page.press("#landscape-lr", "Enter")
    lab.page.click("#landscape-step")
    message = lab.wait_for(lambda: lab.text("landscape-error"))
    assert message == "The learning rate must be a number from 1e-06 to 10 (received -1)."


def test_landscape_run_stops_at_the_visible_tolerance(lab):
    lab.open("/landscape?tol=0.01&speed=100", ready="#landscape-graph .js-plotly-plot")
    lab.wait_for_traces("landscape-graph")
    lab.page.click("#landscape-run")
    text = lab.wait_text("#landscape-readout", r"converged")
    assert "below the tolerance 0.01" in text
    lab.wait_text("#landscape-run-state", r"^finished$")
    lab.wait_for(lambda: lab.page.inner_text("#landscape-run") == "Run")
    text = lab.text("landscape-readout")
    steps = _step_count(text)
    gx, gy = _numbers(text, "gradient ∇f")
    assert (gx * gx + gy * gy) ** 0.5 < 0.01  # stopped at the first step below tol
    assert len(lab.traces("landscape-losses")[0]["y"]) == steps + 1
    # a click elsewhere stops the run and starts again from the new point
    lab.click_at("landscape-graph", 1.5, -1.0)
    lab.wait_for(lambda: _step_count(lab.text("landscape-readout")) == 0)
    lab.page.click("#landscape-step")
    lab.wait_for(lambda: _step_count(lab.text("landscape-readout")) == 1)
