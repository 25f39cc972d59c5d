"""Page 5, batch against mini-batch against stochastic gradient descent on a real regression.

The data: ``N`` points ``y = 2x - 1 + noise`` drawn from a seeded generator. The model:
``ŷ = w x + b``, two parameters, so its mean-squared-error loss is a surface over ``(w, b)``
that can be drawn. The three runs share everything (start, lr, epochs, data order seed) but
the batch size: ``N`` (batch), ``B`` (mini-batch) and ``1`` (stochastic). Each is a real
training loop: :class:`descentlab.data.DataLoader` batches, ``F.mse_loss``, ``backward()`` and
:class:`descentlab.optim.SGD`, one update at a time (``_updates``): :func:`compare` runs
them to the end for the page's summary, :func:`path_spec` step by step for its animation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np

import descentlab as dl
import descentlab.functional as F
from descentlab.data import DataLoader
from descentlab.lab.compute import bounds, paths
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


def _updates(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    lr: float,
    epochs: int,
    seed: int,
    steps: int | None = None,
) -> Iterator[tuple[float, float, int]]:
    """One training run, an update at a time: ``(w, b, examples seen)`` at the start and after
    each update, for ``epochs`` passes over the data, or exactly ``steps`` updates when given
    (as many passes as they take). Each update is computed only when asked for."""
    w = dl.tensor(START[0], requires_grad=True, dtype=np.float64)
    b = dl.tensor(START[1], requires_grad=True, dtype=np.float64)
    opt = SGD([w, b], lr=lr)
    loader = DataLoader(x, y, batch_size=batch_size, shuffle=True, seed=seed)
    yield START[0], START[1], 0
    done, seen = 0, 0
    if steps is not None:
        epochs = -(-steps // len(loader))
    for _ in range(epochs):
        for xb, yb in loader:
            if steps is not None and done >= steps:
                return
            opt.zero_grad()
            F.mse_loss(w * xb + b, yb).backward()
            opt.step()
            done, seen = done + 1, seen + len(xb._data)
            yield w.item(), b.item(), seen


def _train(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    lr: float,
    epochs: int,
    seed: int,
    steps: int | None = None,
):
    """The whole of :func:`_updates` run: its path, full-data losses and epochs seen."""
    visits = list(_updates(x, y, batch_size, lr, epochs, seed, steps))
    points = np.array([v[:2] for v in visits])
    return {
        "batch_size": batch_size,
        "path": points,
        "losses": path_losses(points, x, y),
        "epochs_seen": np.array([v[2] for v in visits]) / N,
        "updates": len(visits) - 1,
    }


def _checked(batch_size: Any, epochs: Any, lr: Any, seed: Any, by: Any, steps: Any) -> tuple:
    batch_size = bounds.number(batch_size, "The batch size", 1, N, integer=True)
    epochs = bounds.number(epochs, "The number of epochs", 1, EPOCHS_HIGH, integer=True)
    lr = bounds.number(lr, "The learning rate", LR_LOW, LR_HIGH)
    seed = bounds.number(seed, "The seed", 0, SEED_HIGH, integer=True)
    by = bounds.choice(by, "The comparison", MODES)
    count = None
    if by == "steps":
        count = bounds.number(steps, "The number of steps", 1, STEPS_HIGH, integer=True)
    return batch_size, epochs, lr, seed, by, count


def path_spec(
    batch_size: Any,
    epochs: Any,
    lr: Any,
    seed: Any = 0,
    by: Any = "epochs",
    steps: Any = 20,
) -> paths.PathSpec:
    """The animation of :func:`compare`'s three runs (batch, mini-batch, stochastic), from the
    same :func:`_updates` that :func:`compare` consumes: records of ``(w, b, MSE, epochs
    seen)`` per run (:mod:`descentlab.lab.compute.paths`).

    By steps, a step of the animation is one update of every run. By epochs, it is one
    example seen: the stochastic run moves at every step, the mini-batch run every B steps
    and the batch run every N, so the three go through the data together.
    ``meta["by"]`` is the comparison."""
    batch_size, epochs, lr, seed, by, count = _checked(batch_size, epochs, lr, seed, by, steps)
    sizes = (N, batch_size, 1)

    def point(visit: tuple[float, float, int], x: np.ndarray, y: np.ndarray) -> paths.Point:
        mse = float(path_losses(np.array([visit[:2]]), x, y)[0])
        return (visit[0], visit[1], mse, visit[2] / N)

    def records() -> Iterator[paths.Record]:
        x, y = dataset(seed)
        runs = [_updates(x, y, size, lr, epochs, seed, count) for size in sizes]
        if by == "steps":
            for visits in paths.lockstep(runs):
                yield [None if v is None else point(v, x, y) for v in visits]
            return
        # by epochs: hold each run's next update back until the data it saw is reached
        ahead = [next(run) for run in runs]
        for seen in range(N * epochs + 1):
            record: paths.Record = [None, None, None]
            for i, run in enumerate(runs):
                if ahead[i] is not None and ahead[i][2] <= seen:
                    record[i] = point(ahead[i], x, y)
                    ahead[i] = next(run, None)
            yield record

    total = count if by == "steps" else N * epochs
    key = json.dumps([batch_size, epochs, lr, seed, by, count])
    return paths.PathSpec(key, 3, records, total, {"by": by})


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
    batch_size, epochs, lr, seed, by, count = _checked(batch_size, epochs, lr, seed, by, steps)
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
