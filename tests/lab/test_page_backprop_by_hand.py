"""Page 12, backprop by hand, in Chromium.

Marked ``browser``: the conftest guard also checks that no request left 127.0.0.1, the
console showed no error and the server logged no traceback."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_backprop_by_hand_values_and_update(lab):
    page = lab.page
    lab.open("/backprop-by-hand", ready="#backprop-by-hand-C")
    values = {k: lab.text(f"backprop-by-hand-{k}") for k in ("z1", "a2", "C", "delta2", "delta1")}
    assert values == {"z1": "2", "a2": "3.5", "C": "1.125", "delta2": "-1.5", "delta1": "-2.25"}
    assert lab.text("backprop-by-hand-dC-dw1") == "-4.5"
    assert (
        lab.text("backprop-by-hand-da2-dw1") == "3" and lab.text("backprop-by-hand-da2-dw2") == "2"
    )
    # the course's rule by default: w <- w + lr dL/dw, 0.5 + 0.1 * 3 and 1.5 + 0.1 * 2
    page.click("#backprop-by-hand-apply")
    lab.wait_for(lambda: page.input_value("#backprop-by-hand-w1") == "0.8")
    assert page.input_value("#backprop-by-hand-w2") == "1.7"
    lab.wait_for(lambda: lab.text("backprop-by-hand-z1") == "2.6")
    page.fill("#backprop-by-hand-lr", "-3")
    page.press("#backprop-by-hand-lr", "Enter")
    lab.wait_text("#backprop-by-hand-error", r"The learning rate must be between 0 and 10")
