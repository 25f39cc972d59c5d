"""Repeatable weight initialisation for the lab's pages, safe when many users share a server.

Weight initialisation draws from the library's one generator (``descentlab.random``). The lab
seeds it and builds the model in one step under a lock, so that two users who start a run at
the same moment each get the weights of their own seed, never a mix of the two.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import descentlab as dl

__all__ = ["seeded"]

T = TypeVar("T")
_LOCK = threading.Lock()


def seeded(seed: int, build: Callable[[], T]) -> T:
    """``build()`` with the library generator freshly seeded with ``seed``."""
    with _LOCK:
        dl.manual_seed(int(seed))
        return build()
