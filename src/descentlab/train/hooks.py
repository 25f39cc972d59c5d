"""The callback base class, its hooks and what each hook's ``logs`` hold; the one way to stop.

:func:`descentlab.train.fit` runs the textbook loop and calls, on every callback that overrides
it, each hook below with two arguments: ``loop`` (the :class:`~descentlab.train.loop.Loop`:
``loop.model``, ``loop.optimizer``, ``loop.epoch`` (1-based), ``loop.epochs``, ``loop.step``
(optimiser steps so far), ``loop.steps_per_epoch``, ``loop.named_params``, ``loop.history``)
and ``logs``, a dict of numbers. Hooks, in the order they run, and their logs:

==================== ========================================================================
hook                 ``logs``
==================== ========================================================================
on_train_begin       ``epochs``, ``steps_per_epoch``, ``initial_epoch`` (epochs already done,
                     > 0 when resumed). Reset per-run state here (an instance can be reused).
on_epoch_begin       the epoch's logs so far: ``epoch``, ``lr`` (the lr the epoch trains with).
on_after_backward    the batch's logs: ``batch`` (0-based index in the epoch), ``size``
                     (examples), ``loss`` (the batch loss, a float), ``grad_sq_norm`` (squared
                     global gradient norm, before clipping; with ``track_grad_norm``). The
                     gradients are in ``p.grad``; the step has not happened (clip, inspect).
on_batch_end         the same dict, after ``optimizer.step()``, plus ``output`` and ``target``
                     (the batch's Tensors) and the running means of the epoch so far:
                     ``train_loss``, ``train_acc`` (with the accuracy metric).
on_epoch_end         the epoch's row of the History: ``epoch``, ``lr``, ``train_loss``,
                     ``train_acc``, ``val_loss``, ``val_acc`` (with validation data),
                     ``grad_norm``, ``grad_norm_max``, ``time`` (seconds, validation
                     included); a callback may add columns (``clip_fraction`` ...). Callbacks
                     with ``runs_last`` (checkpoints) run after the row is in ``loop.history``.
on_train_end         the last epoch's logs (empty if none ran), however training ended; plus
                     ``stop_reason`` (None when every epoch ran).
==================== ========================================================================

Only overridden hooks are called, so an unused hook costs nothing per batch. Metrics are
callbacks too (:mod:`~descentlab.train.metrics`): they run first, so every other callback sees
``train_loss`` in the logs.

To stop, raise :class:`StopTraining` from any hook: from ``on_epoch_end`` the epoch is kept
(its row recorded, checkpoints written); from a batch hook the epoch is cut short (not
recorded, except a diverged one, whose partial row shows the blow-up).

Callbacks that carry state across epochs implement ``state_dict()`` / ``load_state_dict()``
(JSON-friendly data, NumPy arrays allowed), so a resumed run continues exactly.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

__all__ = ["Callback", "DivergenceWarning", "StopTraining", "monitored"]


class StopTraining(Exception):
    """Raised from a hook to end training (early stopping, the divergence guard).

    Args:
        reason: one sentence, kept as ``history.stop_reason``.
        diverged: the loss or a gradient became NaN/Inf (sets ``history.diverged``).
    """

    def __init__(self, reason: str, diverged: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.diverged = diverged


class DivergenceWarning(RuntimeWarning):
    """Training stopped because the loss or a gradient became NaN or Inf."""


class Callback:
    """Base class: every hook does nothing. Subclasses override what they need.

    Every hook is ``hook(self, loop, logs)``; see this module's docstring for what ``logs``
    holds in each.
    """

    #: Run after the other callbacks' ``on_epoch_end`` (checkpoints see the finished epoch).
    runs_last = False

    def on_train_begin(self, loop, logs: dict[str, Any]) -> None:
        pass

    def on_epoch_begin(self, loop, logs: dict[str, Any]) -> None:
        pass

    def on_after_backward(self, loop, logs: dict[str, Any]) -> None:
        pass

    def on_batch_end(self, loop, logs: dict[str, Any]) -> None:
        pass

    def on_epoch_end(self, loop, logs: dict[str, Any]) -> None:
        pass

    def on_train_end(self, loop, logs: dict[str, Any]) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def monitored(logs: dict[str, Any], monitor: str, owner: str, warned: set) -> float | None:
    """``logs[monitor]`` as a float, or None (warning once per owner, naming what exists)."""
    value = logs.get(monitor)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if owner not in warned:
            warned.add(owner)
            available = ", ".join(
                k for k, v in logs.items() if isinstance(v, int | float) and v == v
            )
            warnings.warn(
                f"{owner}: metric {monitor!r} is not available (available: {available})",
                RuntimeWarning,
                stacklevel=3,
            )
        return None
    return float(value)
