"""DataLoader: full-batch, mini-batch and single-example iteration with seeded shuffling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np


def _as_float(a: np.ndarray) -> np.ndarray:
    from descentlab import get_default_dtype

    return np.ascontiguousarray(a, dtype=get_default_dtype())


class DataLoader:
    """Iterate over ``(X, y)`` in batches, as ``(Tensor, Tensor)`` pairs.

    ``batch_size=None`` (or ``"full"``) gives one batch holding the whole set (batch gradient
    descent); ``batch_size=1`` gives one example per step (stochastic gradient descent); anything
    between gives mini-batches. With ``shuffle=True`` each pass (epoch) starts with a fresh
    permutation drawn from the loader's generator: ``np.random.default_rng(seed)``, or the library
    generator (``descentlab.random.get_generator()``) when ``seed`` is None. A full batch is never
    shuffled (the order of one batch changes nothing but rounding).

    Args:
        X: (n, ...) features; floats become the default dtype.
        y: (n,) class indices (kept as int64) or (n, ...) float targets; None for unlabeled data,
            then batches are ``(Tensor, None)``.
        batch_size: examples per batch, an int >= 1, or None / "full".
        shuffle: reshuffle at the start of every epoch.
        seed: seeds this loader's own generator.
        drop_last: drop the last batch when it is smaller than ``batch_size``.

    The generator's state is in :meth:`state_dict`, so a run resumed at an epoch boundary draws
    the same permutations as one that never stopped.

    Example:
        >>> import numpy as np
        >>> loader = DataLoader(np.zeros((10, 2)), np.arange(10), batch_size=4, drop_last=True)
        >>> len(loader), [tuple(xb.shape) for xb, _ in loader]
        (2, [(4, 2), (4, 2)])
    """

    def __init__(
        self,
        X: Any,
        y: Any = None,
        batch_size: int | str | None = 32,
        shuffle: bool = False,
        seed: int | None = None,
        drop_last: bool = False,
    ) -> None:
        X = np.asarray(getattr(X, "data", X))
        if X.ndim == 0:
            raise ValueError("Invalid X: a scalar (expected an array of shape (n, ...))")
        n = len(X)
        if n == 0:
            raise ValueError("Invalid X: no examples (expected at least one row)")
        if y is not None:
            y = np.asarray(getattr(y, "data", y))
            if len(y) != n:
                raise ValueError(f"X and y differ in length: {n} and {len(y)}")
            y = (
                np.ascontiguousarray(y, dtype=np.int64)
                if np.issubdtype(y.dtype, np.integer) or y.dtype == bool
                else _as_float(y)
            )
        if batch_size is None or batch_size == "full":
            batch_size = n
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
            raise ValueError(
                f"Invalid batch_size: {batch_size!r} (expected an integer >= 1, None or 'full')"
            )
        if batch_size < 1:
            raise ValueError(f"Invalid batch_size: {batch_size} (expected batch_size >= 1)")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ValueError(f"Invalid seed: {seed!r} (expected an integer >= 0 or None)")
        self.X = _as_float(X) if np.issubdtype(X.dtype, np.floating) else X
        self.y = y
        self.batch_size = int(min(batch_size, n))
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self.generator = np.random.default_rng(seed) if seed is not None else None

    @property
    def n_samples(self) -> int:
        return len(self.X)

    def __len__(self) -> int:
        n, b = len(self.X), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def _rng(self) -> np.random.Generator:
        if self.generator is not None:
            return self.generator
        from descentlab.random import get_generator

        return get_generator()

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        from descentlab import tensor

        X, y, b = self.X, self.y, self.batch_size
        n = len(X)
        if self.shuffle and b < n:
            # One gather per epoch, then contiguous views: cheaper than fancy-indexing per batch.
            perm = self._rng().permutation(n)
            X = X[perm]
            y = y[perm] if y is not None else None
        stop = n - n % b if self.drop_last else n
        for i in range(0, stop, b):
            yield tensor(X[i : i + b]), (tensor(y[i : i + b]) if y is not None else None)

    def state_dict(self) -> dict:
        """The shuffling generator's state as JSON-friendly data (None: the library generator)."""
        gen = self.generator
        return {"generator": gen.bit_generator.state if gen is not None else None}

    def load_state_dict(self, state: dict) -> None:
        if state.get("generator") is not None:
            if self.generator is None:
                self.generator = np.random.default_rng()
            self.generator.bit_generator.state = state["generator"]

    def __repr__(self) -> str:
        return (
            f"DataLoader(n={len(self.X)}, batch_size={self.batch_size}, batches={len(self)}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )
