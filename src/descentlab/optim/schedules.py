"""Learning-rate schedules as functions of the step: ``schedule(t) -> lr``, ``t = 0, 1, ...``.

Each function here builds one schedule from its numbers; :func:`join` runs schedules one after
another, each restarting from its own step 0, so warm-up then decay is two schedules joined
(optax's habit). The scheduler classes of :mod:`descentlab.optim.lr_scheduler` (torch's API)
are these functions applied to every parameter group's ``initial_lr``.

>>> warm_then_cosine = join([linear(0.01, 0.1, 5), cosine(0.1, 96)], [5])
>>> [round(warm_then_cosine(t), 4) for t in (0, 1, 5, 53, 101)]
[0.01, 0.028, 0.1, 0.05, 0.0]
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence

__all__ = [
    "Schedule",
    "anneal",
    "constant",
    "cosine",
    "exponential",
    "join",
    "linear",
    "multistep",
    "step_decay",
]

Schedule = Callable[[int], float]


def constant(value: float) -> Schedule:
    """``lr_t = value``."""
    return lambda t: value


def step_decay(value: float, step_size: int, gamma: float) -> Schedule:
    """``lr_t = value * gamma ** (t // step_size)``: decay by gamma every step_size steps."""
    return lambda t: value * gamma ** (t // step_size)


def multistep(value: float, milestones: Sequence[int], gamma: float) -> Schedule:
    """``lr_t = value * gamma ** (number of milestones <= t)`` (sorted; repeats count twice)."""
    marks = sorted(milestones)
    return lambda t: value * gamma ** bisect_right(marks, t)


def exponential(value: float, gamma: float) -> Schedule:
    """``lr_t = value * gamma ** t``."""
    return lambda t: value * gamma**t


def linear(start: float, end: float, steps: int) -> Schedule:
    """``lr_t = start + (end - start) * min(t, steps) / steps``: a ramp, then ``end``."""
    return lambda t: start + (end - start) * min(t, steps) / steps


def cosine(value: float, steps: int, end: float = 0.0) -> Schedule:
    """``lr_t = end + (value - end) * (1 + cos(pi * t / steps)) / 2``.

    From ``value`` at ``t = 0`` down to ``end`` at ``t = steps``; further on it rises along the
    same cosine (period ``2 * steps``), as torch's CosineAnnealingLR does.
    """
    return lambda t: end + (value - end) * (1 + math.cos(math.pi * t / steps)) / 2


def anneal(start: float, end: float, steps: float, shape: str = "cos") -> Schedule:
    """From ``start`` at ``t = 0`` to ``end`` at ``t = steps``, along ``shape``.

    With ``x = t / steps``: ``"cos"`` is ``end + (start - end) * (1 + cos(pi x)) / 2``,
    ``"linear"`` is ``start + (end - start) * x`` (the phases of the 1cycle policy).
    """
    if shape == "cos":
        return lambda t: end + (start - end) / 2.0 * (math.cos(math.pi * (t / steps)) + 1)
    return lambda t: (end - start) * (t / steps) + start


def join(schedules: Sequence[Schedule], boundaries: Sequence[float]) -> Schedule:
    """``schedules[k]`` from ``boundaries[k-1]`` on, at its own step ``t - boundaries[k-1]``.

    ``boundaries`` are increasing, one fewer than ``schedules``; ``schedules[0]`` runs from
    ``t = 0`` and the last one for ever.
    """
    pieces, marks = list(schedules), list(boundaries)
    if len(marks) != len(pieces) - 1:
        from descentlab.errors import InvalidArgument

        raise InvalidArgument(
            "boundaries", f"{len(pieces) - 1} (one fewer than the schedules)", str(len(marks))
        )
    starts = [0, *marks]

    def joined(t: int) -> float:
        k = bisect_right(marks, t)
        return pieces[k](t - starts[k])

    return joined
