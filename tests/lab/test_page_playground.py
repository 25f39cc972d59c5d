"""Page 10, the Playground, in Chromium: it learns circles, exports, diverges in words.

Marked ``browser``: the conftest guard also checks that no request left 127.0.0.1, the
console showed no error and the server logged no traceback."""

from __future__ import annotations

import re

import numpy as np
import pytest

import descentlab as dl

pytestmark = pytest.mark.browser


def _test_accuracy(lab) -> float:
    match = re.search(r"test accuracy ([\d.]+)%", lab.text("playground-metrics"))
    return float(match.group(1)) if match else -1.0


def test_playground_learns_circles_and_exports(lab, tmp_path):
    page = lab.page
    lab.open("/playground?dataset=circles&seed=3", ready="#playground-metrics:has-text('loss')")
    assert lab.text("playground-epoch") == "Epoch 0 of 300"
    assert _test_accuracy(lab) < 90
    page.click("#playground-step")
    lab.wait_text("#playground-epoch", r"^Epoch 1 of 300$")
    page.click("#playground-play")
    lab.wait_for(lambda: _test_accuracy(lab) > 90, timeout=30)
    page.click("#playground-play")  # pause
    lab.wait_text("#playground-play", r"^Play$")

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
    lab.wait_text("#playground-epoch", r"^Epoch 0 of 300$")


def test_playground_divergence_and_a_bad_address(lab):
    page = lab.page
    lab.open(
        "/playground?dataset=spirals&optimizer=sgd&lr=10&loss=mse&layers=3&neurons=16"
        "&activation=relu",
        ready="#playground-metrics:has-text('loss')",
    )
    page.click("#playground-play")
    message = lab.wait_text("#playground-diverged", r"Training diverged at epoch \d+", 20)
    assert "learning rate 10" in message and "lower the learning rate" in message
    lab.wait_text("#playground-play", r"^Play$")
    lab.open("/playground?lr=7", ready="#playground-metrics:has-text('loss')")
    error = lab.wait_text("#playground-error", r"learning rate")
    assert error.startswith("The learning rate must be one of") and error.endswith(".")
