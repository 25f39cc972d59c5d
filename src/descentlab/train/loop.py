"""The training loop: ``fit`` and ``evaluate``.

One step is the textbook loop (forward, loss, zero_grad, backward, step); everything else is a
callback (:mod:`descentlab.train.hooks` documents the hooks and their logs), metrics included
(:mod:`descentlab.train.metrics`). A callback stops training by raising
:class:`~descentlab.train.hooks.StopTraining`.
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
from descentlab.errors import InvalidArgument, shown
from descentlab.train.callbacks import DivergenceGuard
from descentlab.train.history import History
from descentlab.train.hooks import Callback, DivergenceWarning, StopTraining
from descentlab.train.metrics import AccuracyMetric, GradNormMetric, LossMetric, correct_count
from descentlab.train.progress import ProgressBar, in_notebook

LossFn = Callable[[Any, Any], Any]


def _resolve_loss(loss: LossFn | str) -> LossFn:
    if isinstance(loss, str):
        from descentlab import registry

        return registry.losses.build(loss)
    if not callable(loss):
        raise TypeError(f"loss: expected a callable or a loss name, got {loss!r}")
    return loss


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
                c = correct_count(out._data, yb._data)
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
    """A running fit, as its callbacks see it.

    Attributes:
        model, optimizer, loss_fn: what trains.
        train_loader: the :class:`DataLoader` of the training data; ``val_data`` the
            validation loader (or None).
        epochs: the last epoch to run; ``epoch``: the current one (1-based);
            ``last_completed_epoch``; ``step``: optimiser steps so far;
            ``steps_per_epoch``.
        named_params: ``(name, parameter)`` of every trainable parameter (``grad_params``:
            the parameters alone).
        callbacks: in the order their hooks run (metrics, the divergence guard, the rest,
            then ``runs_last`` ones).
        history: the :class:`History` so far.
        stop_reason: why training is ending (None while it runs on); set before the
            ``runs_last`` callbacks see the epoch a callback stopped at.
        config: stored in checkpoints.
    """

    def __init__(
        self,
        model,
        loss_fn: LossFn,
        optimizer,
        train_loader: DataLoader,
        val_data,
        epochs: int,
        callbacks: Sequence[Callback],
        config: dict | None,
        compute_acc: bool = True,
    ) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.train_loader, self.val_data = train_loader, val_data
        self.epochs, self.callbacks, self.config = epochs, list(callbacks), config
        self.compute_acc = compute_acc
        self.named_params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        self.steps_per_epoch = len(train_loader)
        self.history = History()
        self.epoch = self.last_completed_epoch = self.step = 0
        self.stop_reason: str | None = None

    @property
    def grad_params(self) -> list:
        return [p for _, p in self.named_params]

    @property
    def current_lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def hooks(self, name: str, callbacks: Iterable[Callback] | None = None) -> list:
        """The bound ``name`` hooks of the callbacks that override it, in order."""
        base = getattr(Callback, name)
        cbs = self.callbacks if callbacks is None else callbacks
        return [getattr(cb, name) for cb in cbs if getattr(type(cb), name, base) is not base]

    def call(self, name: str, logs: dict[str, Any]) -> None:
        for hook in self.hooks(name):
            hook(self, logs)

    def run(self) -> History:
        """Train the remaining epochs; return the history."""
        first = [cb for cb in self.callbacks if not cb.runs_last]
        last = [cb for cb in self.callbacks if cb.runs_last]
        epoch_begin, after_backward = self.hooks("on_epoch_begin"), self.hooks("on_after_backward")
        batch_end = self.hooks("on_batch_end")
        epoch_end, epoch_end_last = (
            self.hooks("on_epoch_end", first),
            self.hooks("on_epoch_end", last),
        )
        model, loss_fn, optimizer = self.model, self.loss_fn, self.optimizer
        logs: dict[str, Any] = {}
        batch_logs: dict[str, Any] = {}
        try:
            for epoch in range(self.last_completed_epoch + 1, self.epochs + 1):
                self.epoch = epoch
                logs = {"epoch": epoch, "lr": self.current_lr}
                t0 = time.perf_counter()
                if hasattr(model, "train"):
                    model.train()
                for hook in epoch_begin:
                    hook(self, logs)
                for batch, (xb, yb) in enumerate(self.train_loader):
                    out = model(xb)
                    loss = loss_fn(out, yb)
                    optimizer.zero_grad()
                    loss.backward()
                    batch_logs = {"batch": batch, "size": len(xb), "loss": loss.item()}
                    for hook in after_backward:
                        hook(self, batch_logs)
                    optimizer.step()
                    self.step += 1
                    batch_logs["output"], batch_logs["target"] = out, yb
                    for hook in batch_end:
                        hook(self, batch_logs)
                if self.val_data is not None:
                    ev = evaluate(model, loss_fn, self.val_data)
                    logs["val_loss"] = ev["loss"]
                    if self.compute_acc and not math.isnan(ev["acc"]):
                        logs["val_acc"] = ev["acc"]
                logs["time"] = time.perf_counter() - t0
                self._end_epoch(logs, epoch_end, epoch_end_last)
        except StopTraining as stop:
            self._stopped(stop, batch_logs)
        self.history.stop_reason = self.history.stop_reason or self.stop_reason
        self.call("on_train_end", {**logs, "stop_reason": self.stop_reason})
        return self.history

    def _end_epoch(self, logs: dict[str, Any], hooks: list, last_hooks: list) -> None:
        """Callbacks see the epoch, it joins the history, then ``runs_last`` callbacks see it;
        a StopTraining raised by the first ones ends training after all of that."""
        stop = None
        try:
            for hook in hooks:
                hook(self, logs)
        except StopTraining as raised:
            stop, self.stop_reason = raised, raised.reason
        self.history.append(logs)
        self.last_completed_epoch = self.epoch
        for hook in last_hooks:
            hook(self, logs)
        if stop is not None:
            raise stop

    def _stopped(self, stop: StopTraining, batch_logs: dict[str, Any]) -> None:
        self.stop_reason = stop.reason
        self.history.stop_reason = stop.reason
        self.history.diverged = stop.diverged
        if stop.diverged:
            # The partial epoch shows the blow-up in the curves: its loss is the bad one.
            loss = batch_logs.get("loss", math.nan)
            self.history.append({"epoch": self.epoch, "train_loss": loss, "lr": self.current_lr})
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
        raise InvalidArgument("epochs", "an integer >= 1", shown(epochs))
    unknown = [m for m in metrics if m not in ("accuracy", "acc")]
    if unknown:
        raise InvalidArgument("metrics", "'accuracy' or nothing", shown(unknown[0]))
    loss_fn = _resolve_loss(loss)
    if isinstance(train, DataLoader):
        loader = train
    else:
        try:
            X, y = train
        except (TypeError, ValueError):
            raise TypeError(
                f"train: expected a DataLoader or an (X, y) pair, got {type(train).__name__}"
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
            raise TypeError(f"callbacks: expected descentlab Callbacks, got {cb!r}")
    if guard and not any(isinstance(cb, DivergenceGuard) for cb in callbacks):
        callbacks.insert(0, DivergenceGuard())
    # The guard looks at gradients before anything changes them (clipping).
    callbacks.sort(key=lambda cb: not isinstance(cb, DivergenceGuard))
    if in_notebook() and not any(isinstance(cb, ProgressBar) for cb in callbacks):
        callbacks.append(ProgressBar())
    builtin: list[Callback] = [LossMetric()]
    if metrics:
        builtin.append(AccuracyMetric())
    if track_grad_norm:
        builtin.append(GradNormMetric())

    loop = Loop(
        model,
        loss_fn,
        optimizer,
        loader,
        val,
        epochs,
        builtin + callbacks,
        config,
        compute_acc=bool(metrics),
    )
    saved = None
    if resume is not None:
        from descentlab.train.checkpoint import load_checkpoint, resolve_checkpoint

        saved = load_checkpoint(resolve_checkpoint(resume))
        saved.restore_loop(loop)
    begin = {
        "epochs": epochs,
        "steps_per_epoch": loop.steps_per_epoch,
        "initial_epoch": loop.last_completed_epoch,
    }
    loop.call("on_train_begin", begin)
    if saved is not None:
        saved.restore_callbacks(loop)
        if saved.stopped or loop.last_completed_epoch >= epochs:
            loop.epochs = max(epochs, loop.last_completed_epoch)
            loop.stop_reason = loop.history.stop_reason
            last = dict(loop.history.rows[-1]) if len(loop.history) else {}
            loop.call("on_train_end", {**last, "stop_reason": loop.stop_reason})
            return loop.history
    # A diverging run overflows: the divergence guard reports it in one message, so
    # NumPy's own overflow warnings would only repeat it.
    with np.errstate(over="ignore", invalid="ignore"):
        return loop.run()
