"""Small classification datasets: toy 2-D problems and scikit-learn's 8x8 digits.

Their names, parameters and help for configs, the CLI and the lab are in
:data:`descentlab.registry.datasets`.

Every generator returns ``(X, y)``: ``X`` of shape ``(n, n_features)`` (float32 unless
``dtype`` says otherwise) and ``y`` of shape ``(n,)`` holding int64 class indices. The same
``seed`` always gives the same arrays; ``seed=None`` draws a seed from the library generator
(:func:`descentlab.random.get_generator` when the engine is present), so ``dl.manual_seed``
makes those runs repeatable too.
"""

from __future__ import annotations

import numpy as np


def _seed(seed: int | None) -> int:
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"Invalid seed: {seed!r} (expected an integer >= 0 or None)")
        return int(seed)
    try:
        from descentlab.random import get_generator
    except ImportError:
        return int(np.random.default_rng().integers(2**31 - 1))
    return int(get_generator().integers(2**31 - 1))


def _check(n: int, noise: float, *, min_n: int = 1) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < min_n:
        raise ValueError(f"Invalid number of samples: n={n!r} (expected an integer >= {min_n})")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"Invalid noise: {noise!r} (expected a finite number >= 0)")


def _out(X: np.ndarray, y: np.ndarray, dtype) -> tuple[np.ndarray, np.ndarray]:
    return np.ascontiguousarray(X, dtype=dtype), np.ascontiguousarray(y, dtype=np.int64)


def xor(
    n: int = 4, noise: float = 0.0, seed: int | None = 0, dtype=np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: points near the corners of the unit square, class ``x0 XOR x1``.

    With ``n=4`` and ``noise=0`` this is exactly the truth table
    ``[[0,0],[0,1],[1,0],[1,1]] -> [0,1,1,0]``. Larger ``n`` cycles through the four corners and
    adds Gaussian noise of standard deviation ``noise`` to each point.

    Returns:
        X: (n, 2), y: (n,) in {0, 1}.
    """
    _check(n, noise)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0])
    idx = np.arange(n) % 4
    X = corners[idx]
    if noise > 0:
        X = X + np.random.default_rng(_seed(seed)).normal(0.0, noise, size=X.shape)
    return _out(X, labels[idx], dtype)


def moons(
    n: int = 200, noise: float = 0.1, seed: int | None = 0, dtype=np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's ``make_moons``).

    Returns:
        X: (n, 2), y: (n,) in {0, 1}.
    """
    from sklearn.datasets import make_moons

    _check(n, noise, min_n=2)
    X, y = make_moons(n_samples=n, noise=noise or None, random_state=_seed(seed))
    return _out(X, y, dtype)


def circles(
    n: int = 200,
    noise: float = 0.05,
    seed: int | None = 0,
    factor: float = 0.5,
    dtype=np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle inside a large one (scikit-learn's ``make_circles``).

    ``factor`` is the ratio of the inner radius to the outer one, in (0, 1).

    Returns:
        X: (n, 2), y: (n,) in {0, 1} (1 is the inner circle).
    """
    from sklearn.datasets import make_circles

    _check(n, noise, min_n=2)
    if not 0 < factor < 1:
        raise ValueError(f"Invalid factor: {factor!r} (expected 0 < factor < 1)")
    X, y = make_circles(n_samples=n, noise=noise or None, factor=factor, random_state=_seed(seed))
    return _out(X, y, dtype)


def spirals(
    n: int = 300,
    noise: float = 0.2,
    seed: int | None = 0,
    classes: int = 2,
    turns: float = 1.0,
    dtype=np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n / TensorFlow Playground problem).

    Point ``i`` of arm ``k`` sits at radius ``r = i / m`` (``m`` points per arm) and angle
    ``theta = 2 pi (turns * r + k / classes)`` plus Gaussian angle noise of standard deviation
    ``noise`` radians: ``(r cos theta, r sin theta)``. Arms get ``n // classes`` points, the
    first ``n % classes`` arms one more.

    Returns:
        X: (n, 2) in about [-1, 1]^2, y: (n,) in {0, ..., classes - 1}.
    """
    _check(n, noise, min_n=classes)
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 2:
        raise ValueError(f"Invalid number of classes: {classes!r} (expected an integer >= 2)")
    rng = np.random.default_rng(_seed(seed))
    xs, ys = [], []
    for k in range(classes):
        m = n // classes + (k < n % classes)
        r = np.linspace(0.05, 1.0, m)
        theta = 2 * np.pi * (turns * r + k / classes) + rng.normal(0.0, noise, m)
        xs.append(np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1))
        ys.append(np.full(m, k))
    return _out(np.concatenate(xs), np.concatenate(ys), dtype)


def blobs(
    n: int = 300,
    noise: float = 1.0,
    seed: int | None = 0,
    centers: int = 3,
    n_features: int = 2,
    dtype=np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters (scikit-learn's ``make_blobs``).

    ``noise`` is each cluster's standard deviation; the centres are drawn uniformly from
    ``[-10, 10]^n_features``.

    Returns:
        X: (n, n_features), y: (n,) in {0, ..., centers - 1}.
    """
    from sklearn.datasets import make_blobs

    _check(n, noise, min_n=1)
    if isinstance(centers, bool) or not isinstance(centers, int) or centers < 1:
        raise ValueError(f"Invalid number of centers: {centers!r} (expected an integer >= 1)")
    X, y = make_blobs(
        n_samples=n,
        n_features=n_features,
        centers=centers,
        cluster_std=noise,
        random_state=_seed(seed),
    )
    return _out(X, y, dtype)


def digits(
    image: bool = False, n: int | None = None, dtype=np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 handwritten digits (8x8 grey images, 16 grey levels).

    Pixels are scaled from 0..16 to [0, 1]. The data ship with scikit-learn, so nothing is
    downloaded.

    Args:
        image: return images of shape (N, 1, 8, 8) (for a CNN) instead of vectors (N, 64).
        n: keep only the first ``n`` examples (quick experiments); None keeps all 1,797.

    Returns:
        X: (N, 64) or (N, 1, 8, 8), y: (N,) in {0, ..., 9}.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X, y = bunch.data / 16.0, bunch.target
    if n is not None:
        _check(n, 0.0)
        X, y = X[:n], y[:n]
    if image:
        X = X.reshape(-1, 1, 8, 8)
    return _out(X, y, dtype)
