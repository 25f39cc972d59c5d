"""Animated paths as server-side runs: a run body that walks a sequence of steps.

The learning-rate, optimiser-race and batch-size pages animate several paths at once. Each
describes its animation as a generator of *records*, one per step, made by the same compute
code as the page's synchronous summary (no second copy of the maths)::

    record = [point_0, point_1, ...]     # one entry per path (series) on the page
    point = (x, y, ...) | None           # floats: where that path is after this step, or
                                         # None when it did not move (or ended) at this step

Record 0 holds every path's start. :class:`PathRun` is the run body
(:mod:`descentlab.lab.runs`): each unit of work shows one more step, computing its record from
the generator only the first time (a run scrubbed back replays what it already knows, then
computes on), paced by ``delay`` seconds (:meth:`~descentlab.lab.runs.Control.wait`). Its frame
holds the shown step and, per path, the points up to it as columns (``[[x...], [y...], ...]``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from descentlab.lab.compute import bounds
from descentlab.lab.runs import Control

Point = tuple[float, ...]
Record = list[Point | None]

#: The paces a page offers, in steps per second.
SPEEDS = (1, 2, 5, 10, 20, 50, 100)
_TOKENS = itertools.count(1)  # tells one run's frames from another's (not per-user state)


def check_speed(value: Any) -> float:
    """``value`` if it is one of :data:`SPEEDS` (steps per second), else a sentence."""
    if isinstance(value, bool) or value not in SPEEDS:
        shown = ", ".join(str(s) for s in SPEEDS)
        raise ValueError(
            f"The speed must be one of {shown} steps per second (received {bounds.show(value)})."
        )
    return float(value)


def lockstep(runs: Sequence[Iterator[Any]]) -> Iterator[list[Any]]:
    """Advance several iterators together: one item of each per step, None for those that
    ended, until all have ended."""
    live = list(runs)
    done = [False] * len(live)
    while True:
        items = []
        for i, run in enumerate(live):
            item = None if done[i] else next(run, None)
            done[i] = done[i] or item is None
            items.append(item)
        if all(done):
            return
        yield items


@dataclass(frozen=True)
class PathSpec:
    """What a page animates, made from its checked settings.

    Attributes:
        key: the settings, as text: a run made from other settings is never resumed.
        width: how many paths each record holds.
        steps: makes a fresh generator of records (see the module docstring).
        total: the last step (the slider's end); the generator may end sooner.
        meta: constant, JSON-ready data the page's drawing needs (names, floors...).
    """

    key: str
    width: int
    steps: Callable[[], Iterator[Record]]
    total: int
    meta: dict[str, Any] = field(default_factory=dict)


class PathRun:
    """A run body that shows a :class:`PathSpec`'s steps one per unit of work.

    ``cursor`` is the step shown; ``records`` the steps computed so far (never more than
    ``total + 1``). Start it (or start it again, once its run is over) with ``MANAGER.start``;
    :meth:`seek` moves the cursor over what is known, through ``MANAGER.edit`` while its run
    is parked or over. The run ends, finished, once the last step is shown.
    """

    def __init__(self, spec: PathSpec, cursor: int = 0, delay: float = 0.1, fill: bool = False):
        self.spec = spec
        self.records: list[Record] = []
        self.exhausted = False
        self.cursor = max(0, min(int(cursor), spec.total))
        self.delay = float(delay)
        self.fill = fill  # compute every step up front (a scrub before any Play)
        self.token = ""
        self._steps: Iterator[Record] | None = None

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def end(self) -> int:
        """The last step there is: ``total``, or the last record once the generator ended."""
        return len(self.records) - 1 if self.exhausted else self.spec.total

    @property
    def at_end(self) -> bool:
        return self.cursor >= self.end

    def _compute(self, upto: int) -> None:
        """Compute records until step ``upto`` is known (or the generator ends)."""
        if self._steps is None:
            self._steps = self.spec.steps()
        while len(self.records) <= min(upto, self.spec.total) and not self.exhausted:
            record = next(self._steps, None)
            if record is None:
                self.exhausted = True
            else:
                self.records.append(list(record))

    def seek(self, step: int) -> dict[str, Any]:
        """Show step ``step`` (clamped to the steps already computed); returns the frame."""
        self.cursor = max(0, min(int(step), len(self.records) - 1))
        return self.frame()

    def frame(self) -> dict[str, Any]:
        """``{"run", "shown", "total", "known", "series", "meta"}``: ``series[i]`` is path i's
        points up to the shown step, as columns (one list per coordinate)."""
        points: list[list[Point]] = [[] for _ in range(self.spec.width)]
        for record in self.records[: self.cursor + 1]:
            for i, point in enumerate(record[: self.spec.width]):
                if point is not None:
                    points[i].append(point)
        series = [[list(column) for column in zip(*p)] for p in points]
        return {
            "run": self.token,
            "shown": max(self.cursor, 0),
            "total": self.end,
            "known": len(self.records) - 1,
            "series": series,
            "meta": self.spec.meta,
        }

    def __call__(self, control: Control) -> str:
        self.token = f"{next(_TOKENS)}"
        self._compute(self.spec.total if self.fill else self.cursor)
        self.cursor = max(0, min(self.cursor, len(self.records) - 1))
        control.publish(self.frame, force=True)
        while not self.at_end:
            control.checkpoint()
            self._compute(self.cursor + 1)
            if self.at_end:  # the generator ended at the step shown
                break
            self.cursor += 1
            control.publish(self.frame)
            control.wait(self.delay)
        control.publish(self.frame, force=True)
        return f"Step {self.cursor} of {self.end}: the end of the run."


__all__ = ["SPEEDS", "PathRun", "PathSpec", "Point", "Record", "check_speed", "lockstep"]
