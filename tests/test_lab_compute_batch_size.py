"""Page 5, batch sizes: real training loops, seeded, by equal epochs and equal steps."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab.lab.compute import (
    batch_size,
)


def test_batch_runs_are_real_training_loops():
    result = batch_size.compare(16, 2, 0.1, seed=3)
    full, mini, sgd = result["runs"]
    n = batch_size.N
    assert [r["batch_size"] for r in result["runs"]] == [n, 16, 1]
    assert [r["updates"] for r in result["runs"]] == [2, 2 * -(-n // 16), 2 * n]
    # the full batch is plain gradient descent on the MSE, worked here in NumPy
    x, y = (v.astype(np.float64) for v in batch_size.dataset(3))
    w, b = batch_size.START
    for step in range(2):
        r = w * x + b - y
        w, b = w - 0.1 * np.mean(2 * r * x), b - 0.1 * np.mean(2 * r)
        assert full["path"][step + 1] == pytest.approx([w, b], rel=1e-6)
    # the loss recorded is the full-data MSE at each point
    pw, pb = sgd["path"][-1]
    assert sgd["losses"][-1] == pytest.approx(np.mean((pw * x + pb - y) ** 2), rel=1e-9)
    # the least-squares answer, and stochastic steps get near it first
    ws, bs = result["least_squares"]
    design = np.stack([x, np.ones_like(x)], axis=1)
    assert [ws, bs] == pytest.approx(np.linalg.lstsq(design, y, rcond=None)[0], rel=1e-10)
    assert ws == pytest.approx(batch_size.TRUE_W, abs=0.2) and bs == pytest.approx(-1, abs=0.2)
    assert max(sgd["losses"][-1], mini["losses"][-1]) < full["losses"][-1] / 10
    half_sgd = np.searchsorted(sgd["epochs_seen"], 0.5)  # after half the data has been seen
    half_mini = np.searchsorted(mini["epochs_seen"], 0.5)
    assert sgd["losses"][half_sgd] < mini["losses"][half_mini] / 5
    # the grid is the same MSE
    grid = result["grid"]
    i, j = 10, 40
    direct = np.mean((grid["ws"][j] * x + grid["bs"][i] - y) ** 2)
    assert grid["z"][i, j] == pytest.approx(direct, rel=1e-6)


def test_batch_runs_are_seeded():
    a = batch_size.compare(8, 1, 0.05, seed=1)
    b = batch_size.compare(8, 1, 0.05, seed=1)
    c = batch_size.compare(8, 1, 0.05, seed=2)
    np.testing.assert_array_equal(a["runs"][1]["path"], b["runs"][1]["path"])
    assert not np.array_equal(a["runs"][1]["path"], c["runs"][1]["path"])
    with pytest.raises(ValueError, match=r"^The batch size must be a whole number from 1 to 100"):
        batch_size.compare(0, 1, 0.05)
    with pytest.raises(ValueError, match=r"^The learning rate must be a number from 0.001 to 1"):
        batch_size.compare(8, 1, 5)
