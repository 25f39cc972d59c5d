"""Training metrics as callbacks: running means over an epoch's batches, written to the logs.

``fit`` puts them first among its callbacks, so every other callback finds their values in the
logs: the batch logs get the running means so far (``train_loss``, ``train_acc``), the epoch
logs the epoch's values (``train_loss``, ``train_acc``, ``grad_norm``, ``grad_norm_max``).
The bookkeeping is a few float additions per batch: the loss is read once with ``.item()`` by
the loop, accuracy is an argmax on the logits the forward pass already made, and the squared
global gradient norm is one ``vdot`` per parameter.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descentlab.train.hooks import Callback

__all__ = ["AccuracyMetric", "GradNormMetric", "LossMetric", "correct_count"]


def correct_count(out: np.ndarray, y: np.ndarray) -> int | None:
    """Number of correct class predictions, or None when targets are not class indices.

    ``out`` is ``(N, C)`` logits (the prediction is the argmax) or ``(N,)``/``(N, 1)`` binary
    logits (the prediction is ``out > 0``); ``y`` is ``(N,)`` integer or bool labels.
    """
    if y.dtype.kind not in "iub":
        return None
    if out.ndim == 2 and out.shape[1] > 1:
        return int(np.count_nonzero(out.argmax(axis=1) == y))
    return int(np.count_nonzero((out.reshape(y.shape) > 0) == y))


class LossMetric(Callback):
    """``train_loss``: the mean of the batch losses, weighted by batch size."""

    def on_epoch_begin(self, loop, logs: dict[str, Any]) -> None:
        self.total, self.n = 0.0, 0

    def on_batch_end(self, loop, logs: dict[str, Any]) -> None:
        b = logs["size"]
        self.total += logs["loss"] * b
        self.n += b
        logs["train_loss"] = self.total / self.n

    def on_epoch_end(self, loop, logs: dict[str, Any]) -> None:
        logs["train_loss"] = self.total / max(self.n, 1)


class AccuracyMetric(Callback):
    """``train_acc``: the share of correct class predictions (class-index targets only).

    For other targets (regression) it writes nothing.
    """

    def on_epoch_begin(self, loop, logs: dict[str, Any]) -> None:
        self.correct: int | None = 0
        self.n = 0

    def on_batch_end(self, loop, logs: dict[str, Any]) -> None:
        if self.correct is None:
            return
        target = logs["target"]
        c = None if target is None else correct_count(logs["output"]._data, target._data)
        if c is None:
            self.correct = None
            return
        self.correct += c
        self.n += logs["size"]
        logs["train_acc"] = self.correct / self.n

    def on_epoch_end(self, loop, logs: dict[str, Any]) -> None:
        if self.correct is not None and self.n:
            logs["train_acc"] = self.correct / self.n


class GradNormMetric(Callback):
    """``grad_norm`` and ``grad_norm_max``: mean and largest global L2 gradient norm of the
    epoch's steps (finite ones), before any clipping.

    Each step it puts the squared norm ``sum_p ||g_p||^2`` in the batch logs as
    ``grad_sq_norm``, for the divergence guard and gradient clipping.
    """

    def on_epoch_begin(self, loop, logs: dict[str, Any]) -> None:
        self.total, self.largest, self.n = 0.0, 0.0, 0

    def on_after_backward(self, loop, logs: dict[str, Any]) -> None:
        vdot, sq = np.vdot, 0.0
        for p in loop.grad_params:
            g = p._grad
            if g is not None:
                g = g._data
                sq += float(vdot(g, g))
        logs["grad_sq_norm"] = sq
        if math.isfinite(sq):
            norm = math.sqrt(sq)
            self.total += norm
            self.largest = max(self.largest, norm)
            self.n += 1

    def on_epoch_end(self, loop, logs: dict[str, Any]) -> None:
        if self.n:
            logs["grad_norm"] = self.total / self.n
            logs["grad_norm_max"] = self.largest
