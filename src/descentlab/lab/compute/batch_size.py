"""Page 5, batch against mini-batch against stochastic gradient descent on a real regression.

The data: ``N`` points ``y = 2x - 1 + noise`` drawn from a seeded generator. The model:
``ŷ = w x + b``, two parameters, so its mean-squared-error loss is a surface over ``(w, b)``
that can be drawn. The three runs share everything (start, lr, epochs, data order seed) but
the batch size: ``N`` (batch), ``B`` (mini-batch) and ``1`` (stochastic). Each is a real
training loop: :class:`descentlab.data.DataLoader` batches, ``F.mse_loss``, ``backward()`` and
:class:`descentlab.optim.SGD`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import descentlab as dl
import descentlab.functional as F
from descentlab.data import DataLoader
from descentlab.lab.compute import bounds
from descentlab.optim import SGD

N = 100
TRUE_W, TRUE_B, NOISE = 2.0, -1.0, 0.5
START = (-2.0, 3.0)
WINDOW = (-3.0, 5.0, -4.0, 4.0)  # (w_min, w_max, b_min, b_max)
GRID = 70
LR_LOW, LR_HIGH = 1e-3, 1.0
EPOCHS_HIGH = 5
STEPS_HIGH = 500  # equal steps: each run takes this many updates at most
SEED_HIGH = 10_000
MODES = ("epochs", "steps")


def dataset(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``x`` (N,) and ``y`` (N,), float32, from ``np.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(N).astype(np.float32)
    y = (TRUE_W * x + TRUE_B + NOISE * rng.standard_normal(N)).astype(np.float32)
    return x, y


def loss_grid(x: np.ndarray, y: np.ndarray, n: int = GRID) -> dict[str, Any]:
    """The full-data MSE on an ``n x n`` grid of ``(w, b)``, one batched Tensor expression:
    ``z[i, j] = mean_k (ws[j] x_k + bs[i] - y_k)²``."""
    w0, w1, b0, b1 = WINDOW
    ws, bs = np.linspace(w0, w1, n), np.linspace(b0, b1, n)
    with dl.no_grad():
        W = dl.tensor(ws.reshape(1, n, 1), dtype=np.float64)
        B = dl.tensor(bs.reshape(n, 1, 1), dtype=np.float64)
        X = dl.tensor(x.reshape(1, 1, -1), dtype=np.float64)
        Y = dl.tensor(y.reshape(1, 1, -1), dtype=np.float64)
        z = ((W * X + B - Y) ** 2).mean(dim=2)
    return {"ws": ws, "bs": bs, "z": z.detach().numpy()}


def path_losses(path: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The full-data MSE at every point of a path (P, 2), in one batched Tensor expression."""
    with dl.no_grad():
        W = dl.tensor(path[:, :1], dtype=np.float64)
        B = dl.tensor(path[:, 1:], dtype=np.float64)
        X = dl.tensor(x.reshape(1, -1), dtype=np.float64)
        Y = dl.tensor(y.reshape(1, -1), dtype=np.float64)
        return ((W * X + B - Y) ** 2).mean(dim=1).detach().numpy()


def _train(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    lr: float,
    epochs: int,
    seed: int,
    steps: int | None = None,
):
    """``epochs`` passes over the data, or exactly ``steps`` updates when given (as many
    passes as they take)."""
    w = dl.tensor(START[0], requires_grad=True, dtype=np.float64)
    b = dl.tensor(START[1], requires_grad=True, dtype=np.float64)
    opt = SGD([w, b], lr=lr)
    loader = DataLoader(x, y, batch_size=batch_size, shuffle=True, seed=seed)
    path, seen = [[START[0], START[1]]], [0]
    if steps is not None:
        epochs = -(-steps // len(loader))
    for _ in range(epochs):
        for xb, yb in loader:
            if steps is not None and len(path) > steps:
                break
            opt.zero_grad()
            F.mse_loss(w * xb + b, yb).backward()
            opt.step()
            path.append([w.item(), b.item()])
            seen.append(seen[-1] + len(xb._data))
    points = np.array(path)
    return {
        "batch_size": batch_size,
        "path": points,
        "losses": path_losses(points, x, y),
        "epochs_seen": np.array(seen) / N,
        "updates": len(path) - 1,
    }


def compare(
    batch_size: Any,
    epochs: Any,
    lr: Any,
    seed: Any = 0,
    by: Any = "epochs",
    steps: Any = 20,
) -> dict[str, Any]:
    """Train the same line three ways: full batch, mini-batch ``batch_size``, one example;
    ``by="epochs"`` gives each run ``epochs`` passes over the data (the stochastic run then
    takes N times as many steps as the batch run), ``by="steps"`` gives each ``steps``
    updates (the batch run then sees N times as much data).

    Returns ``{"runs": [batch, mini-batch, stochastic], "grid": loss_grid(...), "x", "y",
    "least_squares": [w*, b*], "n": N, "by": ...}``; each run has ``path`` (updates + 1, 2),
    ``losses`` (full-data MSE after each update), ``epochs_seen`` and ``updates``.
    """
    batch_size = bounds.number(batch_size, "The batch size", 1, N, integer=True)
    epochs = bounds.number(epochs, "The number of epochs", 1, EPOCHS_HIGH, integer=True)
    lr = bounds.number(lr, "The learning rate", LR_LOW, LR_HIGH)
    seed = bounds.number(seed, "The seed", 0, SEED_HIGH, integer=True)
    by = bounds.choice(by, "The comparison", MODES)
    count = None
    if by == "steps":
        count = bounds.number(steps, "The number of steps", 1, STEPS_HIGH, integer=True)
    x, y = dataset(seed)
    runs = [_train(x, y, size, lr, epochs, seed, count) for size in (N, batch_size, 1)]
    return {
        "by": by,
        "runs": runs,
        "grid": loss_grid(x, y),
        "x": x,
        "y": y,
        "least_squares": least_squares(x, y),
        "n": N,
    }


def least_squares(x: np.ndarray, y: np.ndarray) -> list[float]:
    """The exact minimum of the MSE, ``w* = cov(x, y) / var(x)``, ``b* = mean(y) - w* mean(x)``,
    computed with Tensor ops in float64."""
    with dl.no_grad():
        X = dl.tensor(x, dtype=np.float64)
        Y = dl.tensor(y, dtype=np.float64)
        dx, dy = X - X.mean(), Y - Y.mean()
        w = (dx * dy).mean() / (dx * dx).mean()
        b = Y.mean() - w * X.mean()
    return [w.item(), b.item()]
