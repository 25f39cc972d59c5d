"""The library's random number generator, and torch's ``Generator``.

Every random draw in descentlab (initialisation, dropout, shuffling without an explicit
generator) comes from one NumPy ``Generator``, so ``manual_seed(n)`` makes a run repeatable.
A :class:`Generator` is a separate stream, as ``torch.Generator``: pass it as
``generator=`` to the functions and methods that draw. The streams are NumPy's (PCG64), so
a seed gives other numbers than the same seed in torch.

>>> import descentlab as dl
>>> g = dl.Generator().manual_seed(0)
>>> a = dl.rand(2, generator=g)
>>> bool((a == dl.rand(2, generator=dl.Generator().manual_seed(0))).all())
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

_generator = np.random.default_rng()


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"manual_seed: expected a non-negative integer, received {seed!r}")
    return int(seed)


class Generator:
    """An independent random stream (torch.Generator); ``device`` must be the CPU."""

    def __init__(self, device: Any = "cpu") -> None:
        from descentlab.device import check_device

        check_device(device, "Generator")
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = _check_seed(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self.rng = np.random.default_rng(self._seed)
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        self.rng.bit_generator.state = state
        return self


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the library's generator and return it."""
    global _generator
    _generator = np.random.default_rng(_check_seed(seed))
    return _generator


def seed() -> int:
    """Reseed the library's generator from the operating system; return the seed."""
    value = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(value)
    return value


def get_generator() -> np.random.Generator:
    """The generator every random draw in descentlab uses."""
    return _generator


def numpy_generator(generator: Generator | None) -> np.random.Generator:
    """The NumPy stream behind ``generator=``: the given Generator's, else the library's."""
    if generator is None:
        return _generator
    if not isinstance(generator, Generator):
        raise TypeError(
            f"generator: expected a descentlab.Generator, received {type(generator).__name__}"
        )
    return generator.rng


def get_rng_state() -> dict:
    """The generator's state as plain JSON-able data (for checkpoints)."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state captured by ``get_rng_state``."""
    _generator.bit_generator.state = state
