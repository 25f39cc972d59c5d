"""TensorFlow Playground's 2-D problems and its input features.

- :func:`quadrants`: Playground's "exclusive or": points in the square, labelled by the sign of
  ``x1 * x2`` (class 1 in the first and third quadrants);
- :func:`plane` and :func:`multi_gaussian`: its two regression problems, with float targets;
- :class:`PlaneFeatures`: the inputs a Playground network sees, chosen from ``x1, x2, x1^2,
  x2^2, x1*x2, sin x1, sin x2`` and computed from coordinates standardised with the training
  set's mean and standard deviation.

Every generator draws ``n`` points uniformly from ``[-1, 1]^2`` with the given ``seed``, so the
same arguments always give the same arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from descentlab.data.datasets import _check, _seed

__all__ = ["FEATURES", "PlaneFeatures", "multi_gaussian", "plane", "quadrants"]

#: The input features, in Playground's order: name -> what it computes from (x1, x2).
FEATURES: dict[str, str] = {
    "x1": "x1",
    "x2": "x2",
    "x1^2": "x1 squared",
    "x2^2": "x2 squared",
    "x1*x2": "x1 times x2",
    "sin x1": "sine of x1",
    "sin x2": "sine of x2",
}


def _square(n: int, noise: float, seed: int | None) -> tuple[np.random.Generator, np.ndarray]:
    _check(n, noise)
    rng = np.random.default_rng(_seed(seed))
    return rng, rng.uniform(-1.0, 1.0, size=(n, 2))


def quadrants(
    n: int = 300, noise: float = 0.0, seed: int | None = 0, dtype=np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Four quadrants, class ``x1 * x2 > 0`` (TensorFlow Playground's XOR).

    The label is taken before noise: each point then moves by Gaussian noise of standard
    deviation ``noise``, so noise blurs the boundary along both axes.

    Returns:
        X: (n, 2) in about [-1, 1]^2, y: (n,) int64 in {0, 1}.
    """
    rng, X = _square(n, noise, seed)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    if noise > 0:
        X = X + rng.normal(0.0, noise, size=X.shape)
    return np.ascontiguousarray(X, dtype=dtype), y


def plane(
    n: int = 300, noise: float = 0.0, seed: int | None = 0, dtype=np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """A tilted plane: target ``t = (x1 + x2) / 2`` plus Gaussian noise of std ``noise``.

    Returns:
        X: (n, 2) in [-1, 1]^2, t: (n,) float targets in about [-1, 1].
    """
    rng, X = _square(n, noise, seed)
    t = (X[:, 0] + X[:, 1]) / 2
    if noise > 0:
        t = t + rng.normal(0.0, noise, size=n)
    return np.ascontiguousarray(X, dtype=dtype), np.ascontiguousarray(t, dtype=dtype)


# Playground's multi-Gaussian surface: bumps of either sign at fixed centres.
_BUMPS = ((-0.6, 0.6, 1.0), (0.6, 0.6, -1.0), (0.0, 0.0, 1.0), (-0.6, -0.6, -1.0), (0.6, -0.6, 1.0))
_BUMP_WIDTH = 0.25


def multi_gaussian(
    n: int = 300, noise: float = 0.0, seed: int | None = 0, dtype=np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Five Gaussian bumps of alternating sign: ``t = sum_k s_k exp(-|x - c_k|^2 / (2 w^2))``.

    Centres ``c_k`` at the square's corners (scaled by 0.6) and at the origin, signs ``s_k``
    alternating, width ``w = 0.25``; plus Gaussian noise of std ``noise`` on the target.

    Returns:
        X: (n, 2) in [-1, 1]^2, t: (n,) float targets in about [-1, 1].
    """
    rng, X = _square(n, noise, seed)
    t = np.zeros(n)
    for cx, cy, sign in _BUMPS:
        d2 = (X[:, 0] - cx) ** 2 + (X[:, 1] - cy) ** 2
        t += sign * np.exp(-d2 / (2 * _BUMP_WIDTH**2))
    if noise > 0:
        t = t + rng.normal(0.0, noise, size=n)
    return np.ascontiguousarray(X, dtype=dtype), np.ascontiguousarray(t, dtype=dtype)


class PlaneFeatures:
    """The network's inputs from 2-D points: standardise, then compute the chosen features.

    ``fit(X_train)`` records the mean ``m`` and standard deviation ``s`` of each coordinate;
    calling the object maps points ``(n, 2)`` to ``(n, len(names))`` float32 columns, each a
    function of ``u = (x - m) / s``: ``x1`` is ``u1``, ``x1^2`` is ``u1**2``, ``sin x1`` is
    ``sin(u1)``... (see :data:`FEATURES`).

    Example:
        >>> import numpy as np
        >>> f = PlaneFeatures(["x1", "x1*x2"]).fit(np.array([[0.0, 1.0], [2.0, 3.0]]))
        >>> f(np.array([[2.0, 3.0]])).tolist()
        [[1.0, 1.0]]
    """

    def __init__(self, names: Sequence[str]) -> None:
        names = list(names)
        unknown = [name for name in names if name not in FEATURES]
        if unknown or not names or len(set(names)) != len(names):
            raise ValueError(
                f"Invalid features: {names!r} (expected distinct names among {', '.join(FEATURES)})"
            )
        self.names = names
        self.mean = np.zeros(2)
        self.std = np.ones(2)

    def fit(self, X: np.ndarray) -> PlaneFeatures:
        """Record the per-coordinate mean and std of ``X`` (n, 2); returns ``self``."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
            raise ValueError(f"Invalid points: shape {X.shape} (expected (n, 2) with n >= 1)")
        self.mean = X.mean(axis=0)
        std = X.std(axis=0)
        self.std = np.where(std > 1e-8, std, 1.0)
        return self

    def __call__(self, X: np.ndarray) -> np.ndarray:
        u = (np.asarray(X, dtype=np.float64) - self.mean) / self.std
        x1, x2 = u[:, 0], u[:, 1]
        columns = {
            "x1": lambda: x1,
            "x2": lambda: x2,
            "x1^2": lambda: x1**2,
            "x2^2": lambda: x2**2,
            "x1*x2": lambda: x1 * x2,
            "sin x1": lambda: np.sin(x1),
            "sin x2": lambda: np.sin(x2),
        }
        return np.stack([columns[name]() for name in self.names], axis=1).astype(np.float32)

    def __repr__(self) -> str:
        return f"PlaneFeatures({self.names!r})"
