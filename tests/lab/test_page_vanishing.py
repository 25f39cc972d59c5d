"""Page 11, vanishing gradients, in Chromium.

Marked ``browser``: the conftest guard also checks that no request left 127.0.0.1, the
console showed no error and the server logged no traceback."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


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
