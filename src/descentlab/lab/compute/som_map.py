"""What the Kohonen-map page shows: a map unfolding over 2-D data, and digit prototypes.

Both come from :class:`descentlab.som.SOM` (the library's map, checked against MiniSom): the page
only picks the data and the settings, trains once per request within fixed bounds, and draws the
snapshots the run returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from descentlab.lab.compute import bounds
from descentlab.som import SOM, SOMRun

SHAPES = ("square", "ring", "moons", "blobs")
MAX_SIDE = 15
MAX_STEPS = 5000
SNAPSHOTS = 50


def shape_data(name: str, n: int = 500, seed: int = 0) -> np.ndarray:
    """(n, 2) points of one of :data:`SHAPES`, in roughly [-1, 1]^2."""
    bounds.choice(name, "Data", SHAPES)
    rng = np.random.default_rng(seed)
    if name == "square":
        return rng.uniform(-1, 1, (n, 2))
    if name == "ring":
        angle = rng.uniform(0, 2 * np.pi, n)
        radius = np.sqrt(rng.uniform(0.5**2, 1.0, n))
        return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    from descentlab.data import blobs, moons

    X = (moons if name == "moons" else blobs)(n, noise=0.1, seed=seed)[0].astype(np.float64)
    return (X - X.mean(0)) / np.abs(X - X.mean(0)).max()


@dataclass(frozen=True)
class MapRun:
    data: np.ndarray  # (n, dim)
    run: SOMRun
    topographic_error: float
    som: SOM


def train_map(
    data: np.ndarray,
    side: int,
    steps: int,
    sigma: float,
    lr: float,
    seed: int = 0,
    init: str = "random",
) -> MapRun:
    """A ``side x side`` map trained for ``steps`` random-order steps, with 50 snapshots."""
    side = bounds.number(side, "Map side", 2, MAX_SIDE, integer=True)
    steps = bounds.number(steps, "Steps", 1, MAX_STEPS, integer=True)
    sigma = bounds.number(sigma, "Initial radius sigma", 0.0, float(MAX_SIDE), open_low=True)
    lr = bounds.number(lr, "Initial learning rate", 0.0, 1.0, open_low=True)
    bounds.choice(init, "Initial weights", ("random", "samples"))
    som = SOM(side, side, data.shape[1], sigma=sigma, learning_rate=lr, seed=seed)
    if init == "samples":
        som.init_from_data(data)
    else:  # small random weights near the data's centre: the map visibly unfolds
        som.weights = data.mean(0) + 0.05 * som.rng.standard_normal(som.weights.shape)
    run = som.train(data, steps, order="random", record_every=max(1, steps // SNAPSHOTS))
    return MapRun(data, run, som.topographic_error(data), som)


def grid_lines(weights: np.ndarray) -> tuple[list, list]:
    """The map's grid drawn in data space: x and y lists with None between the lines
    (each unit joined to its right and lower neighbour), for one (rows, cols, 2) snapshot."""
    xs: list = []
    ys: list = []
    rows, cols, _ = weights.shape
    for i in range(rows):
        xs += [*weights[i, :, 0].tolist(), None]
        ys += [*weights[i, :, 1].tolist(), None]
    for j in range(cols):
        xs += [*weights[:, j, 0].tolist(), None]
        ys += [*weights[:, j, 1].tolist(), None]
    return xs, ys


@dataclass(frozen=True)
class DigitMap:
    mosaic: np.ndarray  # (side * 8, side * 8): each unit's 64 weights as an 8x8 image
    labels: np.ndarray  # (side, side): the most frequent digit each unit wins, -1 for none
    quantization_error: float
    topographic_error: float


def digit_map(side: int = 8, steps: int = 3000, seed: int = 0) -> DigitMap:
    """A map trained on scikit-learn's 8x8 digits (scaled to [0, 1]); prototypes and labels."""
    from descentlab.data import digits

    X, y = digits()
    X = np.asarray(X, dtype=np.float64)
    X = X / X.max()
    m = train_map(X, side, steps, sigma=max(1.0, side / 2), lr=0.5, seed=seed, init="samples")
    w = m.som.weights.reshape(side, side, 8, 8)
    mosaic = w.transpose(0, 2, 1, 3).reshape(side * 8, side * 8)
    return DigitMap(
        mosaic,
        m.som.unit_labels(X, y),
        float(m.run.quantization_error[-1]),
        m.topographic_error,
    )


__all__ = [
    "MAX_SIDE",
    "MAX_STEPS",
    "SHAPES",
    "DigitMap",
    "MapRun",
    "digit_map",
    "grid_lines",
    "shape_data",
    "train_map",
]
