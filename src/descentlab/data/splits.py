"""Seeded train / validation / test splits."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

Pair = tuple[np.ndarray, np.ndarray]


class Splits(NamedTuple):
    """``train``, ``val`` and ``test`` as ``(X, y)`` pairs; ``val``/``test`` are None when empty."""

    train: Pair
    val: Pair | None
    test: Pair | None


def _fraction(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise ValueError(f"Invalid {name} fraction: {value!r} (expected 0 <= {name} < 1)")
    return float(value)


def _split(X, y, size: float, seed: int, stratify: bool) -> tuple[Pair, Pair]:
    from sklearn.model_selection import train_test_split

    strat = y if stratify else None
    try:
        Xa, Xb, ya, yb = train_test_split(X, y, test_size=size, random_state=seed, stratify=strat)
    except ValueError:
        # Too few members in some class to stratify (tiny toy sets): split at random instead.
        Xa, Xb, ya, yb = train_test_split(X, y, test_size=size, random_state=seed)
    return (Xa, ya), (Xb, yb)


def train_val_test_split(
    X: np.ndarray,
    y: np.ndarray,
    val: float = 0.15,
    test: float = 0.15,
    seed: int = 0,
    stratify: bool = True,
) -> Splits:
    """Split ``(X, y)`` into train, validation and test sets, the same way for the same seed.

    Args:
        X: (n, ...) features; y: (n,) labels or (n, k) targets.
        val, test: fractions of the whole set in [0, 1) with ``val + test < 1``.
        seed: seeds the shuffle.
        stratify: keep the class proportions in every part (class-index ``y`` only); falls back
            to a plain random split when a class is too small to share out.

    Returns:
        Splits(train, val, test), each an ``(X, y)`` pair, ``None`` for a zero fraction.
    """
    val, test = _fraction("val", val), _fraction("test", test)
    if val + test >= 1:
        raise ValueError(f"Invalid split: val + test = {val + test:g} (expected val + test < 1)")
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y differ in length: {len(X)} and {len(y)}")
    stratify = stratify and y.ndim == 1 and np.issubdtype(y.dtype, np.integer)
    rest: Pair = (X, y)
    test_part = val_part = None
    if test > 0:
        rest, test_part = _split(X, y, test, seed, stratify)
    if val > 0:
        rest, val_part = _split(*rest, val / (1 - test), seed + 1, stratify)
    return Splits(rest, val_part, test_part)
