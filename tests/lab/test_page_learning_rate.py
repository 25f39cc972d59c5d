"""Page 4, the learning rate, in Chromium: the slider and box, verdicts, a bad input.

Marked ``browser``: the conftest guard also checks that no request left 127.0.0.1, the
console showed no error and the server logged no traceback."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_learning_rate_slider_changes_paths_and_verdicts(lab):
    lab.open("/learning-rate", ready="#learning-rate-path2d .js-plotly-plot")
    lab.wait_for_traces("learning-rate-path2d")
    # 004 §4.1's set-up by default: w0 = 10, 20 steps, lr = 0.1
    lab.wait_text("#learning-rate-verdict1d", r"^1-D: f after 20 steps = 0.0133: slow")
    before = lab.traces("learning-rate-path2d")[2]
    lab.slide("learning-rate-lr", "PageUp")  # ten steps of 0.05: lr = 0.1 -> 10^-0.5 = 0.316
    lab.wait_for(lambda: lab.page.input_value("#learning-rate-lr") == "0.316")
    lab.wait_text("#learning-rate-verdict2d", r"^2-D: diverging")
    lab.wait_text("#learning-rate-verdict1d", r"converged")
    assert lab.traces("learning-rate-path2d")[2] != before
    # play from the start: the scrubber runs through the frames to the last step
    lab.page.click("#learning-rate-play")
    lab.wait_text("#learning-rate-frame-label", r"^step 20 of 20$")
    lab.wait_text("#learning-rate-play", r"^Play$")
    lab.enter("#learning-rate-steps", "0")
    message = lab.wait_for(lambda: lab.text("learning-rate-error"))
    assert message == "The number of steps must be a whole number from 1 to 300 (received 0)."
