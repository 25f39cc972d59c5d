"""Page 4, the learning rate, in Chromium: the slider and box, verdicts, a bad input.

Marked ``browser``: the conftest guard also checks that no request left 127.0.0.1, the
console showed no error and the server logged no traceback."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_learning_rate_slider_changes_paths_and_verdicts(lab):
    lab.open("/learning-rate", ready="#learning-rate-path2d .js-plotly-plot")
    lab.wait_for_traces("learning-rate-path2d")
    assert lab.text("learning-rate-verdict1d").startswith("1-D: good")
    before = lab.traces("learning-rate-path2d")[2]
    lab.slide("learning-rate-lr", "PageUp")  # ten steps of 0.05: lr = 0.1 -> 10^-0.5 = 0.316
    lab.wait_for(lambda: "0.316" in lab.text("learning-rate-lr-label"))
    lab.wait_for(lambda: lab.text("learning-rate-verdict2d").startswith("2-D: diverging"))
    assert lab.text("learning-rate-verdict1d").startswith("1-D: good")
    assert lab.traces("learning-rate-path2d")[2] != before
    lab.enter("#learning-rate-steps", "0")
    message = lab.wait_for(lambda: lab.text("learning-rate-error"))
    assert message == "The number of steps must be a whole number from 1 to 300 (received 0)."
