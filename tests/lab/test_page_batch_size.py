"""Page 5, batch sizes, in Chromium.

Marked ``browser``: the conftest guard also checks that no request left 127.0.0.1, the
console showed no error and the server logged no traceback."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_batch_size_slider_changes_the_mini_batch_path(lab):
    lab.open("/batch-size", ready="#batch-size-paths .js-plotly-plot")
    traces = lab.wait_for_traces("batch-size-paths")
    paths = [t for t in traces if t["name"] in ("batch", "mini-batch", "stochastic")]
    assert [len(t["x"]) for t in paths] == [3, 15, 201]  # 2 epochs of 100 points: B = 100, 16, 1
    lab.slide("batch-size-batch", "ArrowRight")  # B = 17: 2 x 6 steps
    lab.wait_for(lambda: lab.text("batch-size-batch-label") == "Mini-batch size B = 17")
    lab.wait_for(
        lambda: (
            len([t for t in lab.traces("batch-size-paths") if t["name"] == "mini-batch"][0]["x"])
            == 13
        )
    )
    lab.enter("#batch-size-lr", "5")
    message = lab.wait_for(lambda: lab.text("batch-size-error"))
    assert message == "The learning rate must be a number from 0.001 to 1 (received 5)."
