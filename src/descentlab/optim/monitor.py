"""The best value of a metric so far, and how long since it improved.

One helper for everything that watches a metric: ``ReduceLROnPlateau`` (here and as a
training callback), ``EarlyStopping`` and ``Checkpoint``'s best file.

>>> m = Monitor("min", threshold=0.1, threshold_mode="rel")
>>> [m.update(v, step) for step, v in enumerate([1.0, 0.95, 0.8, 0.79], start=1)]
[True, False, True, False]
>>> m.best, m.best_step, m.wait
(0.8, 3, 1)
"""

from __future__ import annotations

import math
from typing import Any

from descentlab.errors import InvalidArgument, shown

__all__ = ["Monitor"]


class Monitor:
    """Tracks ``best`` (the best value so far), ``best_step`` and ``wait`` (updates since).

    A value improves on the best when it beats it by the threshold::

        mode "min", "abs":  value < best - threshold       "rel":  value < best * (1 - threshold)
        mode "max", "abs":  value > best + threshold       "rel":  value > best * (1 + threshold)

    (the rules of torch's ReduceLROnPlateau; Keras's ``min_delta`` is an "abs" threshold).

    Args:
        mode: "min" (lower is better) or "max".
        threshold: the margin an improvement needs, >= 0. Default: 0 (any strict gain).
        threshold_mode: "abs" or "rel". Default: "abs".
        baseline: the value to beat first (default: +inf for "min", -inf for "max").
    """

    def __init__(
        self,
        mode: str = "min",
        threshold: float = 0.0,
        threshold_mode: str = "abs",
        baseline: float | None = None,
    ) -> None:
        if mode not in ("min", "max"):
            raise InvalidArgument("mode", "'min' or 'max'", shown(mode))
        if threshold_mode not in ("rel", "abs"):
            raise InvalidArgument("threshold_mode", "'rel' or 'abs'", shown(threshold_mode))
        if not threshold >= 0:
            raise InvalidArgument("threshold", "a number >= 0", shown(threshold))
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.baseline = baseline
        self.reset()

    def reset(self) -> None:
        """Forget every value seen: a new run."""
        worst = math.inf if self.mode == "min" else -math.inf
        self.best = worst if self.baseline is None else float(self.baseline)
        self.best_step = 0
        self.wait = 0

    def is_better(self, value: float) -> bool:
        """Whether ``value`` improves on ``best`` by the threshold."""
        best, th = self.best, self.threshold
        if self.mode == "min":
            return value < (best * (1.0 - th) if self.threshold_mode == "rel" else best - th)
        return value > (best * (th + 1.0) if self.threshold_mode == "rel" else best + th)

    def update(self, value: float, step: int) -> bool:
        """Record ``value`` seen at ``step``; True when it is the new best."""
        if self.is_better(value):
            self.best, self.best_step, self.wait = value, step, 0
            return True
        self.wait += 1
        return False

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_step": self.best_step, "wait": self.wait}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = float(state["best"])
        self.best_step = int(state["best_step"])
        self.wait = int(state["wait"])

    def __repr__(self) -> str:
        return f"Monitor({self.mode!r}, best={self.best:.6g} at step {self.best_step})"
