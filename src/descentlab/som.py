"""Kohonen self-organising maps: a grid of prototype vectors that learns the shape of data.

A map holds one weight vector ``w_ij`` (``dim`` numbers) per unit of a ``rows x cols`` grid.
One training step takes a sample ``x`` and

    1. finds the best-matching unit  c = argmin_ij ||x - w_ij||          (Euclidean; a tie
       goes to the first unit in row-major order)
    2. weighs every unit by a Gaussian of its grid distance to c
           h_ij = exp(-(i - c_0)^2 / (2 sigma^2)) * exp(-(j - c_1)^2 / (2 sigma^2))
    3. pulls every unit towards x:   w_ij <- w_ij + lr * h_ij * (x - w_ij)

with the learning rate ``lr`` and the radius ``sigma`` shrinking with the step ``t`` of ``T``:

    asymptotic_decay       p(t) = p0 / (1 + t / (T / 2))        (both; ends near p0 / 3)
    inverse_decay_to_zero  lr(t) = lr0 * C / (C + t),  C = T / 100
    linear_decay_to_zero   lr(t) = lr0 * (1 - t / T)
    inverse_decay_to_one   sigma(t) = sigma0 / (1 + t (sigma0 - 1) / T)
    linear_decay_to_one    sigma(t) = sigma0 + t (1 - sigma0) / T

These are MiniSom 2.3.6's schedules under its names (``asymptotic_decay`` for both by default),
and a step here is MiniSom's step in the same order (winner, then the decayed rates, then the
update), so from the same initial weights and the same sample order both libraries end with
the same weights. Samples are taken in order (sample ``t mod n`` at step ``t``, MiniSom's
``train_batch``), in a random order, or in any order given.

Two measures of a trained map: the quantisation error, the mean distance from each sample to
its best-matching unit, and the topographic error, the fraction of samples whose best and
second-best units are not neighbours on the grid (8-neighbourhood).

>>> import numpy as np
>>> som = SOM(1, 3, 1, sigma=1.0, learning_rate=0.5, weights=np.array([[[0.0], [1.0], [2.0]]]))
>>> som.bmu(np.array([1.2]))
(0, 1)
>>> som.update(np.array([1.2]), (0, 1), t=0, steps=1)  # lr 0.5; h = exp(-1/2) at the sides
>>> som.weights[0, :, 0].round(4).tolist()
[0.3639, 1.1, 1.7574]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["LR_DECAYS", "SIGMA_DECAYS", "SOM", "SOMRun"]


def _asymptotic(p0: float, t: int, steps: int) -> float:
    return p0 / (1 + t / (steps / 2))


LR_DECAYS: dict[str, Callable[[float, int, int], float]] = {
    "asymptotic_decay": _asymptotic,
    "inverse_decay_to_zero": lambda p0, t, steps: p0 * (steps / 100.0) / (steps / 100.0 + t),
    "linear_decay_to_zero": lambda p0, t, steps: p0 * (1 - t / steps),
}
SIGMA_DECAYS: dict[str, Callable[[float, int, int], float]] = {
    "asymptotic_decay": _asymptotic,
    "inverse_decay_to_one": lambda p0, t, steps: p0 / (1 + t * ((p0 - 1) / steps)),
    "linear_decay_to_one": lambda p0, t, steps: p0 + t * (1 - p0) / steps,
}


@dataclass
class SOMRun:
    """Snapshots of a training run, as plain arrays (for plots and pages).

    Attributes:
        steps: (k,) the step after which each snapshot was taken (0: the initial map).
        weights: (k, rows, cols, dim) the map at each snapshot.
        lr, sigma: (k,) the learning rate and radius used by the step before each snapshot.
        quantization_error: (k,) on the training data at each snapshot.
        order: (steps,) the sample index used at each step.
    """

    steps: np.ndarray
    weights: np.ndarray
    lr: np.ndarray
    sigma: np.ndarray
    quantization_error: np.ndarray
    order: np.ndarray


def _choice(name: str, value: str, allowed: dict) -> str:
    if value not in allowed:
        raise ValueError(f"Invalid {name}: {value!r} (expected one of {', '.join(allowed)})")
    return value


class SOM:
    """A rectangular Kohonen map with a Gaussian neighbourhood.

    Args:
        rows, cols: the grid.
        dim: length of each input vector.
        sigma: initial radius of the neighbourhood, in grid units.
        learning_rate: initial learning rate.
        decay: learning-rate schedule, a key of :data:`LR_DECAYS`.
        sigma_decay: radius schedule, a key of :data:`SIGMA_DECAYS`.
        seed: seeds the initial weights and the random sample order.
        weights: initial weights (rows, cols, dim); default: uniform in [-1, 1], each unit
            scaled to length 1 (MiniSom's initialisation, from this map's own generator).

    Attributes:
        weights: (rows, cols, dim) float64.
        order: (steps,) the sample indices of the last training run.
    """

    def __init__(
        self,
        rows: int,
        cols: int,
        dim: int,
        *,
        sigma: float = 1.0,
        learning_rate: float = 0.5,
        decay: str = "asymptotic_decay",
        sigma_decay: str = "asymptotic_decay",
        seed: int | None = 0,
        weights: Any = None,
    ):
        for name, v in (("rows", rows), ("cols", cols), ("dim", dim)):
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
                raise ValueError(f"Invalid {name}: {v!r} (expected an integer >= 1)")
        for name, v in (("sigma", sigma), ("learning_rate", learning_rate)):
            if not np.isfinite(v) or v <= 0:
                raise ValueError(f"Invalid {name}: {v!r} (expected a number > 0)")
        self.shape = (int(rows), int(cols))
        self.dim = int(dim)
        self.sigma = float(sigma)
        self.learning_rate = float(learning_rate)
        self.decay = _choice("decay", decay, LR_DECAYS)
        self.sigma_decay = _choice("sigma_decay", sigma_decay, SIGMA_DECAYS)
        self.rng = np.random.default_rng(seed)
        if weights is None:
            w = self.rng.uniform(-1.0, 1.0, size=(rows, cols, dim))
            weights = w / np.linalg.norm(w, axis=-1, keepdims=True)
        weights = np.array(weights, dtype=np.float64)
        if weights.shape != (rows, cols, dim):
            raise ValueError(
                f"Invalid weights: shape {weights.shape} (expected {(rows, cols, dim)})"
            )
        self.weights = weights
        self._rows = np.arange(rows, dtype=np.float64)
        self._cols = np.arange(cols, dtype=np.float64)

    def __repr__(self) -> str:
        return f"SOM({self.shape[0]}x{self.shape[1]}, dim={self.dim}, sigma={self.sigma:g})"

    def init_from_data(self, data: Any) -> None:
        """Set every unit to a sample drawn at random from ``data`` (n, dim)."""
        data = self._check_data(data)
        self.weights = data[self.rng.integers(len(data), size=self.shape)].copy()

    # -- one step ------------------------------------------------------------------------

    def schedule(self, t: int, steps: int) -> tuple[float, float]:
        """``(lr, sigma)`` at step ``t`` of ``steps``."""
        return (
            LR_DECAYS[self.decay](self.learning_rate, t, steps),
            SIGMA_DECAYS[self.sigma_decay](self.sigma, t, steps),
        )

    def distances(self, x: np.ndarray) -> np.ndarray:
        """``||x - w_ij||`` for every unit: (rows, cols)."""
        return np.linalg.norm(x - self.weights, axis=-1)

    def bmu(self, x: np.ndarray) -> tuple[int, int]:
        """The best-matching unit of one sample ``x`` (dim,): its grid position."""
        i, j = np.unravel_index(np.argmin(self.distances(x)), self.shape)
        return int(i), int(j)

    def neighbourhood(self, c: tuple[int, int], sigma: float) -> np.ndarray:
        """The Gaussian ``h_ij`` around unit ``c``: (rows, cols), 1 at ``c``."""
        d = 2 * sigma * sigma
        gi = np.exp(-((self._rows - c[0]) ** 2) / d)
        gj = np.exp(-((self._cols - c[1]) ** 2) / d)
        return np.outer(gi, gj)

    def update(self, x: np.ndarray, c: tuple[int, int], t: int, steps: int) -> None:
        """One step: ``w <- w + lr(t) h(c, sigma(t)) (x - w)`` for every unit."""
        lr, sigma = self.schedule(t, steps)
        g = self.neighbourhood(c, sigma) * lr
        self.weights += g[:, :, None] * (x - self.weights)

    # -- training ------------------------------------------------------------------------

    def sample_order(self, n: int, steps: int, order: Any = "sequential") -> np.ndarray:
        """Which sample each step uses: ``"sequential"`` (``t mod n``), ``"random"`` (each
        sample equally often, shuffled) or an explicit sequence of ``steps`` indices."""
        if isinstance(order, str):
            idx = np.arange(steps) % n
            if order == "random":
                self.rng.shuffle(idx)
            elif order != "sequential":
                raise ValueError(
                    f"Invalid order: {order!r} (expected 'sequential', 'random' or indices)"
                )
            return idx
        idx = np.asarray(order)
        if idx.shape != (steps,) or idx.dtype.kind not in "iu" or idx.min() < 0 or idx.max() >= n:
            raise ValueError(
                f"Invalid order: expected {steps} sample indices in [0, {n}), "
                f"got shape {idx.shape} dtype {idx.dtype}"
            )
        return idx

    def iter_train(
        self, data: Any, steps: int, order: Any = "sequential", every: int = 1
    ) -> Iterator[tuple[int, float, float]]:
        """Train step by step, pausing every ``every`` steps (and after the last one).

        Yields ``(steps done, lr, sigma)`` of the step just taken, with :attr:`weights` as
        they are then: a server-side run can draw the map unfolding at its own pace. The
        schedule runs over all ``steps``, so the result is that of :meth:`train`.
        """
        data = self._check_data(data)
        if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
            raise ValueError(f"Invalid steps: {steps!r} (expected an integer >= 1)")
        if every < 1:
            raise ValueError(f"Invalid every: {every!r} (expected an integer >= 1)")
        idx = self.sample_order(len(data), steps, order)
        self.order = idx
        for t in range(steps):
            x = data[idx[t]]
            self.update(x, self.bmu(x), t, steps)
            if (t + 1) % every == 0 or t + 1 == steps:
                yield (t + 1, *self.schedule(t, steps))

    def train(
        self,
        data: Any,
        steps: int,
        order: Any = "sequential",
        record_every: int | None = None,
        callback: Callable[[int, float], None] | None = None,
    ) -> SOMRun:
        """Train for ``steps`` single-sample steps on ``data`` (n, dim).

        Args:
            order: see :meth:`sample_order`.
            record_every: keep a snapshot every this many steps (and the first and last
                maps); None keeps only those two.
            callback: ``callback(step, quantization_error)`` after each snapshot.

        Returns:
            a :class:`SOMRun` with the snapshots.
        """
        data = self._check_data(data)
        if record_every is not None and record_every < 1:
            raise ValueError(f"Invalid record_every: {record_every!r} (expected >= 1 or None)")
        every = steps if record_every is None else int(record_every)
        snaps = [(0, self.weights.copy(), *self.schedule(0, steps), self.quantization_error(data))]
        for t, lr, sigma in self.iter_train(data, steps, order, every):
            snaps.append((t, self.weights.copy(), lr, sigma, self.quantization_error(data)))
            if callback is not None:
                callback(t, snaps[-1][4])
        cols = list(zip(*snaps))
        return SOMRun(*(np.array(c) for c in cols), order=self.order)

    # -- measures ------------------------------------------------------------------------

    def _check_data(self, data: Any) -> np.ndarray:
        data = np.asarray(data, dtype=np.float64)
        if data.ndim != 2 or data.shape[1] != self.dim or len(data) == 0:
            raise ValueError(f"Invalid data: shape {data.shape} (expected (n, {self.dim}))")
        return data

    def _all_distances(self, data: np.ndarray) -> np.ndarray:
        """(n, rows * cols) distances from every sample to every unit.

        Expanded as ``sqrt(|x|^2 - 2 x.w + |w|^2)`` (one matrix product; clipped at 0 where
        rounding makes it negative), as MiniSom ranks units for its errors.
        """
        flat = self.weights.reshape(-1, self.dim)
        sq = (data**2).sum(axis=1, keepdims=True) - 2 * data @ flat.T + (flat**2).sum(axis=1)
        return np.sqrt(np.maximum(sq, 0.0))

    def winners(self, data: Any) -> np.ndarray:
        """The best-matching unit of each sample: (n, 2) grid positions."""
        d = self._all_distances(self._check_data(data))
        return np.stack(np.unravel_index(d.argmin(axis=1), self.shape), axis=1)

    def quantization_error(self, data: Any) -> float:
        """Mean distance from each sample of ``data`` (n, dim) to its best-matching unit."""
        data = self._check_data(data)
        best = self.weights.reshape(-1, self.dim)[self._all_distances(data).argmin(axis=1)]
        return float(np.linalg.norm(data - best, axis=1).mean())

    def topographic_error(self, data: Any) -> float:
        """Fraction of samples whose two best units are not grid neighbours (8-neighbourhood)."""
        d = self._all_distances(self._check_data(data))
        best2 = np.argsort(d, axis=1)[:, :2]
        r, c = np.unravel_index(best2, self.shape)
        apart = np.maximum(np.abs(r[:, 0] - r[:, 1]), np.abs(c[:, 0] - c[:, 1]))
        return float(np.mean(apart > 1))

    def distance_map(self) -> np.ndarray:
        """The U-matrix: each unit's mean distance to its 8 grid neighbours, scaled to [0, 1]."""
        rows, cols = self.shape
        padded = np.pad(self.weights, ((1, 1), (1, 1), (0, 0)), constant_values=np.nan)
        near = [
            np.linalg.norm(
                padded[1 + di : 1 + di + rows, 1 + dj : 1 + dj + cols] - self.weights, axis=-1
            )
            for di in (-1, 0, 1)
            for dj in (-1, 0, 1)
            if (di, dj) != (0, 0)
        ]
        umat = np.nanmean(np.stack(near), axis=0)  # off-grid neighbours are NaN: left out
        return umat / umat.max() if umat.max() > 0 else umat

    def unit_labels(self, data: Any, labels: Any) -> np.ndarray:
        """The most frequent label among the samples each unit wins: (rows, cols), -1 if none."""
        labels = np.asarray(labels)
        win = self.winners(data)
        out = np.full(self.shape, -1, dtype=int)
        for i in range(self.shape[0]):
            for j in range(self.shape[1]):
                mine = labels[(win[:, 0] == i) & (win[:, 1] == j)]
                if len(mine):
                    values, counts = np.unique(mine, return_counts=True)
                    out[i, j] = int(values[np.argmax(counts)])
        return out
