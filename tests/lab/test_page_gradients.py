"""Pages 2 and 3, numerical and analytic gradients, in Chromium.

Marked ``browser``: the conftest guard also checks that no request left 127.0.0.1, the
console showed no error and the server logged no traceback."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_numerical_gradient_slider_moves_the_point_and_a_bad_h_says_so(lab):
    lab.open("/numerical-gradient", ready="#numerical-gradient-graph .js-plotly-plot")
    before = lab.wait_for_traces("numerical-gradient-graph")
    assert before[-1]["x"] == [2.0]
    lab.slide("numerical-gradient-w", "ArrowRight")
    after = lab.wait_for_change(lambda: lab.traces("numerical-gradient-graph"), before)
    assert after[-1]["x"][0] == pytest.approx(2.05)
    text = lab.text("numerical-gradient-readout")
    assert "slope by backward()       = 4.1" in text  # 2w at w = 2.05
    lab.enter("#numerical-gradient-h", "0")
    message = lab.wait_for(lambda: lab.text("numerical-gradient-error"))
    assert message == "The step h must be a number from 1e-08 to 2 (received 0)."


def test_gradient_check_h_slider_and_a_bad_w(lab):
    lab.open("/gradient-check", ready="#gradient-check-errors .js-plotly-plot")
    traces = lab.wait_for_traces("gradient-check-errors")
    assert [t["name"] for t in traces] == ["float32", "float64"]
    assert len(traces[0]["x"]) == 49 and min(traces[1]["y"]) < 1e-9
    lab.slide("gradient-check-h", "PageDown")  # ten steps of 0.25: h = 1e-2 -> 10^-4.5
    lab.wait_for(lambda: "h = 3.16e-05" in lab.text("gradient-check-readout"))
    lab.enter("#gradient-check-w", "9")
    message = lab.wait_for(lambda: lab.text("gradient-check-error"))
    assert message == "w must be a number from -3 to 3 (received 9)."
