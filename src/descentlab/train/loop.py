"""The training loop: ``fit`` and ``evaluate``.

One step is the textbook loop (forward, loss, zero_grad, backward, step); everything else is a
callback (:mod:`descentlab.train.callbacks`). The per-batch bookkeeping is a few float
additions: the batch loss is read once with ``.item()``, accuracy is an argmax on the logits the
forward pass already made, and the squared global gradient norm (for the history, the
divergence guard and clipping) is one ``vdot`` per parameter.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from descentlab.data.loader import DataLoader
from descentlab.train.callbacks import (
    Callback,
    DivergenceGuard,
    DivergenceWarning,
    StopTraining,
)
from descentlab.train.history import History

LossFn = Callable[[Any, Any], Any]


def _resolve_loss(loss: LossFn | str) -> LossFn:
    if isinstance(loss, str):
        from descentlab import registry

        return registry.losses.build(loss)
    if not callable(loss):
        raise TypeError(f"Invalid loss: {loss!r} (expected a callable or a loss name)")
    return loss


def _correct(out: np.ndarray, y: np.ndarray) -> int | None:
    """Number of correct class predictions, or None when targets are not class indices."""
    if y.dtype.kind not in "iub":
        return None
    if out.ndim == 2 and out.shape[1] > 1:
        return int(np.count_nonzero(out.argmax(axis=1) == y))
    return int(np.count_nonzero((out.reshape(y.shape) > 0) == y))


def evaluate(model, loss: LossFn | str, data, batch_size: int = 1024) -> dict[str, float]:
    """Mean loss and accuracy of ``model`` on ``data`` in eval mode, without gradients.

    Args:
        data: ``(X, y)`` arrays or a :class:`DataLoader`.
        batch_size: examples per forward pass (memory only; the result does not depend on it
            beyond rounding).

    Returns:
        ``{"loss": mean loss over examples, "acc": accuracy (NaN for non-class targets),
        "n": number of examples}``.
    """
    import descentlab as dl

    loss_fn = _resolve_loss(loss)
    loader = data if isinstance(data, DataLoader) else DataLoader(*data, batch_size=batch_size)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    total = correct = 0.0
    n = 0
    has_acc = True
    try:
        with dl.no_grad():
            for xb, yb in loader:
                out = model(xb)
                b = len(xb)
                total += loss_fn(out, yb).item() * b
                c = _correct(out._data, yb._data)
                if c is None:
                    has_acc = False
                else:
                    correct += c
                n += b
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    return {"loss": total / n, "acc": correct / n if has_acc else math.nan, "n": n}


class Loop:
    """The state of a running fit, handed to every callback hook (see callbacks.py)."""

    def __init__(
        self,
        model,
        loss_fn: LossFn,
        optimizer,
        train_loader: DataLoader,
        val_data,
        epochs: int,
        callbacks: Sequence[Callback],
        track_grad_norm: bool,
        config: dict | None,
        compute_acc: bool = True,
    ) -> None:
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.train_loader = train_loader
        self.val_data = val_data
        self.epochs = epochs
        self.callbacks = list(callbacks)
        self.track_grad_norm = track_grad_norm
        self.config = config
        self.compute_acc = compute_acc
        self.history = History()
        self.named_params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        self.grad_params = [p for _, p in self.named_params]
        self.steps_per_epoch = len(train_loader)
        self.epoch = 0
        self.step = 0
        self.batch = 0
        self.last_completed_epoch = 0
        self.loss_value = math.nan
        self.grad_sq_norm: float | None = None
        self.logs: dict[str, float] = {}
        self.seen = 0
        self.loss_sum = 0.0
        self.correct_count: int | None = 0
        self.stop_requested = False
        self.stop_reason: str | None = None
        self.completed_cleanly = True

    @property
    def current_lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def request_stop(self, reason: str) -> None:
        """End training after the current epoch (callbacks call this from on_epoch_end)."""
        self.stop_requested = True
        self.stop_reason = self.stop_reason or reason

    def _hooks(self, name: str, order: Iterable[Callback] | None = None) -> list:
        base = getattr(Callback, name)
        cbs = self.callbacks if order is None else order
        return [
            getattr(cb, name)
            for cb in cbs
            if getattr(type(cb), name, base) is not base or name in vars(cb)
        ]

    def run(self) -> History:
        first = [cb for cb in self.callbacks if not cb.runs_last]
        last = [cb for cb in self.callbacks if cb.runs_last]
        epoch_begin = self._hooks("on_epoch_begin")
        after_backward = self._hooks("on_after_backward")
        batch_end = self._hooks("on_batch_end")
        epoch_end_first = self._hooks("on_epoch_end", first)
        epoch_end_last = self._hooks("on_epoch_end", last)

        model, loss_fn, optimizer = self.model, self.loss_fn, self.optimizer
        params, track = self.grad_params, self.track_grad_norm
        vdot, isfinite = np.vdot, math.isfinite
        try:
            for epoch in range(self.last_completed_epoch + 1, self.epochs + 1):
                self.epoch = epoch
                self.seen, self.loss_sum = 0, 0.0
                self.correct_count = 0 if self.compute_acc else None
                self.logs = {}
                lr = self.current_lr
                norm_sum, norm_max, n_steps = 0.0, 0.0, 0
                t0 = time.perf_counter()
                if hasattr(model, "train"):
                    model.train()
                for cb in epoch_begin:
                    cb(self)
                for batch, (xb, yb) in enumerate(self.train_loader):
                    self.batch = batch
                    out = model(xb)
                    loss = loss_fn(out, yb)
                    optimizer.zero_grad()
                    loss.backward()
                    lv = self.loss_value = loss.item()
                    if track:
                        sq = 0.0
                        for p in params:
                            g = p._grad
                            if g is not None:
                                g = g._data
                                sq += float(vdot(g, g))
                        self.grad_sq_norm = sq
                        if isfinite(sq):
                            norm = math.sqrt(sq)
                            norm_sum += norm
                            norm_max = max(norm_max, norm)
                            n_steps += 1
                    for cb in after_backward:
                        cb(self)
                    optimizer.step()
                    self.step += 1
                    b = len(xb)
                    self.seen += b
                    self.loss_sum += lv * b
                    if self.correct_count is not None and yb is not None:
                        c = _correct(out._data, yb._data)
                        self.correct_count = None if c is None else self.correct_count + c
                    for cb in batch_end:
                        cb(self)
                logs = self.logs
                logs["epoch"] = epoch
                logs["train_loss"] = self.loss_sum / self.seen
                if self.correct_count is not None:
                    logs["train_acc"] = self.correct_count / self.seen
                if self.val_data is not None:
                    ev = evaluate(model, loss_fn, self.val_data)
                    logs["val_loss"] = ev["loss"]
                    if self.compute_acc and not math.isnan(ev["acc"]):
                        logs["val_acc"] = ev["acc"]
                logs["lr"] = lr
                if n_steps:
                    logs["grad_norm"] = norm_sum / n_steps
                    logs["grad_norm_max"] = norm_max
                logs["time"] = time.perf_counter() - t0
                for cb in epoch_end_first:
                    cb(self)
                self.history.append(logs)
                self.last_completed_epoch = epoch
                for cb in epoch_end_last:
                    cb(self)
                if self.stop_requested:
                    break
        except StopTraining as stop:
            self._stopped_mid_epoch(stop)
        if self.stop_reason and not self.history.stop_reason:
            self.history.stop_reason = self.stop_reason
        for cb in self._hooks("on_train_end"):
            cb(self)
        return self.history

    def _stopped_mid_epoch(self, stop: StopTraining) -> None:
        self.completed_cleanly = False
        self.stop_reason = stop.reason
        self.history.stop_reason = stop.reason
        self.history.diverged = stop.diverged
        if stop.diverged:
            # The partial epoch shows the blow-up in the curves: its loss is the bad one.
            row = {"epoch": self.epoch, "train_loss": self.loss_value, "lr": self.current_lr}
            self.history.append(row)
            warnings.warn(stop.reason, DivergenceWarning, stacklevel=3)


def fit(
    model,
    loss: LossFn | str,
    optimizer,
    train,
    val=None,
    *,
    epochs: int = 10,
    batch_size: int | str | None = 32,
    callbacks: Sequence[Callback] = (),
    metrics: Sequence[str] = ("accuracy",),
    shuffle: bool = True,
    seed: int | None = None,
    drop_last: bool = False,
    track_grad_norm: bool = True,
    guard: bool = True,
    resume: str | Path | None = None,
    config: dict | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train``; return the per-epoch History.

    Each step: ``out = model(xb)``, ``l = loss(out, yb)``, ``optimizer.zero_grad()``,
    ``l.backward()``, callbacks' ``on_after_backward`` (guard, clipping, monitoring),
    ``optimizer.step()``. After each epoch the validation set (if any) is evaluated in eval mode.

    Args:
        model: a Module (anything with ``named_parameters()``, ``train()``, ``eval()``,
            ``state_dict()``).
        loss: a callable ``loss(output, target) -> scalar Tensor`` or a name from
            ``descentlab.registry.losses`` ("cross_entropy", "mse", ...).
        optimizer: an optimizer over the model's parameters.
        train: a :class:`DataLoader`, or ``(X, y)`` arrays batched with ``batch_size``,
            ``shuffle``, ``seed`` and ``drop_last``.
        val: ``(X, y)`` arrays or a DataLoader, evaluated after every epoch.
        epochs: the total number of epochs (a resumed run continues up to it).
        batch_size: for ``(X, y)`` input: an int, or None / "full" for full-batch descent.
        callbacks: :mod:`~descentlab.train.callbacks` instances.
        metrics: ("accuracy",) records train/val accuracy for class-index targets; () skips it.
        seed: seeds the shuffling of ``(X, y)`` input (None: the library generator).
        track_grad_norm: record the mean and max global gradient norm per epoch.
        guard: add a :class:`DivergenceGuard` (stop on NaN/Inf) unless ``callbacks`` has one.
        resume: a checkpoint file or a directory holding ``last.npz``: restore the model,
            optimizer, history, generators and callback states, then run the remaining epochs.
        config: stored in checkpoints (the CLI passes the resolved config).

    Returns:
        The :class:`History`. The same seeds give the same numbers, run after run, and a run
        resumed from a checkpoint ends with the same weights and history (but ``time``) as one
        that never stopped.

    Example:
        >>> import descentlab as dl, descentlab.nn as nn, descentlab.optim as optim
        >>> from descentlab.data import xor
        >>> _ = dl.manual_seed(0)
        >>> X, y = xor()
        >>> model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
        >>> h = fit(model, "cross_entropy", optim.Adam(model.parameters(), lr=0.05), (X, y),
        ...         epochs=300, batch_size="full")
        >>> h["train_acc"][-1]
        1.0
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"Invalid epochs: {epochs!r} (expected an integer >= 1)")
    unknown = [m for m in metrics if m not in ("accuracy", "acc")]
    if unknown:
        raise ValueError(f"Unknown metric: {unknown[0]!r} (allowed: accuracy)")
    loss_fn = _resolve_loss(loss)
    if isinstance(train, DataLoader):
        loader = train
    else:
        try:
            X, y = train
        except (TypeError, ValueError):
            raise TypeError(
                f"Invalid train: {type(train).__name__} (expected a DataLoader or an (X, y) pair)"
            ) from None
        loader = DataLoader(
            X, y, batch_size=batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last
        )
    if val is not None and not isinstance(val, DataLoader):
        Xv, yv = val
        val = DataLoader(Xv, yv, batch_size=1024)
    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"Invalid callback: {cb!r} (expected a descentlab Callback)")
    if guard and not any(isinstance(cb, DivergenceGuard) for cb in callbacks):
        callbacks.insert(0, DivergenceGuard())
    # The guard looks at gradients before anything changes them (clipping).
    callbacks.sort(key=lambda cb: not isinstance(cb, DivergenceGuard))

    loop = Loop(
        model,
        loss_fn,
        optimizer,
        loader,
        val,
        epochs,
        callbacks,
        track_grad_norm,
        config,
        compute_acc=bool(metrics),
    )
    saved = None
    if resume is not None:
        from descentlab.train.checkpoint import load_checkpoint, resolve_checkpoint

        saved = load_checkpoint(resolve_checkpoint(resume))
        saved.restore_loop(loop)
    for hook in loop._hooks("on_train_begin"):
        hook(loop)
    if saved is not None:
        saved.restore_callbacks(loop)
        if saved.stopped or loop.last_completed_epoch >= epochs:
            loop.epochs = max(epochs, loop.last_completed_epoch)
            for hook in loop._hooks("on_train_end"):
                hook(loop)
            return loop.history
    # A diverging run overflows: the divergence guard reports it in one message, so
    # NumPy's own overflow warnings would only repeat it.
    with np.errstate(over="ignore", invalid="ignore"):
        return loop.run()
