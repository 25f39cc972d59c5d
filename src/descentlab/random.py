"""The library's random number generator.

Every random draw in descentlab (initialisation, dropout, shuffling without an explicit
seed) comes from this one NumPy ``Generator``, so ``manual_seed(n)`` makes a run repeatable.
"""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the library's generator and return it."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"manual_seed: expected a non-negative integer, received {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def get_generator() -> np.random.Generator:
    """The generator every random draw in descentlab uses."""
    return _generator


def get_rng_state() -> dict:
    """The generator's state as plain JSON-able data (for checkpoints)."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state captured by ``get_rng_state``."""
    _generator.bit_generator.state = state
