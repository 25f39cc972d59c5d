"""Callbacks: the behaviour around the training loop, one small class each.

A callback overrides any of the hooks below; each receives the running :class:`~descentlab.
train.loop.Loop` (``loop.model``, ``loop.optimizer``, ``loop.epoch`` (1-based), ``loop.step``
(optimizer steps so far), ``loop.batch`` (index in the epoch), ``loop.loss_value`` (the batch's
loss, a float), ``loop.grad_sq_norm`` (squared global gradient norm of the step, before
clipping), ``loop.logs`` (the epoch's metrics, filled at epoch end), ``loop.history``). Only
overridden hooks are called, so an unused hook costs nothing per batch.

Hooks, in the order they run:

- ``on_train_begin(loop)``: reset per-run state (an instance can be reused).
- ``on_epoch_begin(loop)``
- ``on_after_backward(loop)``: gradients are in ``p.grad``, the step has not happened (clip,
  inspect, stop).
- ``on_batch_end(loop)``: after ``optimizer.step()``.
- ``on_epoch_end(loop)``: ``loop.logs`` holds ``train_loss``, ``train_acc``, ``val_loss``,
  ``val_acc``, ``lr``, ``grad_norm``...; a callback may add columns to it. Set
  ``loop.request_stop(reason)`` to end training after this epoch.
- ``on_train_end(loop)``: always runs, however training ended.

Callbacks that carry state across epochs implement ``state_dict()`` / ``load_state_dict()``
(JSON-friendly data, NumPy arrays allowed), so a resumed run continues exactly.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from descentlab.train.history import resolve_mode


class StopTraining(Exception):
    """Raised inside a batch to end training at once (the divergence guard uses it)."""

    def __init__(self, reason: str, diverged: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.diverged = diverged


class DivergenceWarning(RuntimeWarning):
    """Training stopped because the loss or a gradient became NaN or Inf."""


class Callback:
    """Base class: every hook does nothing. Subclasses override what they need."""

    #: Run after the other callbacks' ``on_epoch_end`` (checkpoints see the finished epoch).
    runs_last = False

    def on_train_begin(self, loop) -> None:
        pass

    def on_epoch_begin(self, loop) -> None:
        pass

    def on_after_backward(self, loop) -> None:
        pass

    def on_batch_end(self, loop) -> None:
        pass

    def on_epoch_end(self, loop) -> None:
        pass

    def on_train_end(self, loop) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _monitored(loop, monitor: str, owner: str, warned: set) -> float | None:
    value = loop.logs.get(monitor)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if owner not in warned:
            warned.add(owner)
            available = ", ".join(k for k, v in loop.logs.items() if v == v)
            warnings.warn(
                f"{owner}: metric {monitor!r} is not available (available: {available})",
                RuntimeWarning,
                stacklevel=3,
            )
        return None
    return float(value)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs (Keras's semantics).

    An epoch improves when ``value < best - min_delta`` (mode "min"; "max": ``value > best +
    min_delta``). ``mode="auto"`` is "max" for names containing "acc", "min" otherwise.

    Args:
        monitor: a column of the epoch logs, e.g. "val_loss" or "val_acc".
        patience: epochs without improvement before stopping.
        min_delta: the smallest change that counts as an improvement.
        restore_best_weights: at the end of training, however it ended (patience, last epoch,
            divergence), load the weights of the best epoch.
        baseline: stop if the metric does not beat this within ``patience`` epochs.

    Attributes:
        best_epoch: the 1-based best epoch; ``stopped_epoch``: the epoch training stopped at
        (0 if it ran to the end); ``restored``: whether best weights were loaded back.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = False,
        baseline: float | None = None,
    ) -> None:
        if patience < 0:
            raise ValueError(f"Invalid patience: {patience} (expected patience >= 0)")
        if min_delta < 0:
            raise ValueError(f"Invalid min_delta: {min_delta} (expected min_delta >= 0)")
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = resolve_mode(monitor, mode)
        self.restore_best_weights = restore_best_weights
        self.baseline = baseline
        self._warned: set = set()
        self._reset()

    def _reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        if self.baseline is not None:
            self.best = float(self.baseline)
        self.best_epoch = 0
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights: dict[str, np.ndarray] | None = None
        self.restored = False

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_train_begin(self, loop) -> None:
        self._reset()

    def on_epoch_end(self, loop) -> None:
        value = _monitored(loop, self.monitor, "EarlyStopping", self._warned)
        if value is None:
            return
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, loop.epoch, 0
            if self.restore_best_weights:
                self.best_weights = loop.model.state_dict()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = loop.epoch
            loop.request_stop(
                f"early stopping at epoch {loop.epoch}: {self.monitor} did not improve for "
                f"{self.wait} epochs (best {self.best:.4g} at epoch {self.best_epoch})"
            )

    def on_train_end(self, loop) -> None:
        if (
            self.restore_best_weights
            and self.best_weights is not None
            and self.best_epoch != loop.last_completed_epoch
        ):
            loop.model.load_state_dict(self.best_weights)
            self.restored = True
            loop.history.restored_epoch = self.best_epoch

    def state_dict(self) -> dict[str, Any]:
        return {
            "best": self.best,
            "best_epoch": self.best_epoch,
            "wait": self.wait,
            "stopped_epoch": self.stopped_epoch,
            "best_weights": self.best_weights,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = float(state["best"])
        self.best_epoch = int(state["best_epoch"])
        self.wait = int(state["wait"])
        self.stopped_epoch = int(state["stopped_epoch"])
        self.best_weights = state.get("best_weights")

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
            f"min_delta={self.min_delta}, restore_best_weights={self.restore_best_weights})"
        )


class GradientClipping(Callback):
    """Clip gradients before each step: by global norm, by value, or both (value first).

    - by norm: with ``total = sqrt(sum_p ||g_p||^2)``, if ``total > max_norm`` every gradient
      is scaled by ``max_norm / (total + 1e-6)`` (PyTorch's ``clip_grad_norm_``);
    - by value: every element is clipped to ``[-clip_value, clip_value]``.

    A step counts as clipped when either rule changed a gradient. ``clip_fraction`` (the share
    of the epoch's steps that were clipped) is added to the epoch logs; ``clipped_steps`` and
    ``total_steps`` count over the whole run.
    """

    def __init__(self, max_norm: float | None = None, clip_value: float | None = None) -> None:
        if max_norm is None and clip_value is None:
            raise ValueError(
                "GradientClipping: give max_norm (clip by global norm) or clip_value "
                "(clip by value), got neither"
            )
        if max_norm is not None and not max_norm > 0:
            raise ValueError(f"Invalid max_norm: {max_norm} (expected max_norm > 0)")
        if clip_value is not None and not clip_value > 0:
            raise ValueError(f"Invalid clip_value: {clip_value} (expected clip_value > 0)")
        self.max_norm = max_norm
        self.clip_value = clip_value
        self.clipped_steps = 0
        self.total_steps = 0
        self._epoch_clipped = 0
        self._epoch_steps = 0

    def on_train_begin(self, loop) -> None:
        self.clipped_steps = self.total_steps = 0

    def on_epoch_begin(self, loop) -> None:
        self._epoch_clipped = self._epoch_steps = 0

    def on_after_backward(self, loop) -> None:
        clipped = False
        params = loop.grad_params
        if self.clip_value is not None:
            v = self.clip_value
            for p in params:
                g = p.grad
                if g is not None and (g.max() > v or g.min() < -v):
                    # A new array: another tensor's .grad may alias this one.
                    p.grad = np.clip(g, -v, v)
                    clipped = True
        if self.max_norm is not None:
            sq = loop.grad_sq_norm if not clipped else None
            if sq is None:
                sq = sum(float(np.vdot(p.grad, p.grad)) for p in params if p.grad is not None)
            total = math.sqrt(sq)
            if total > self.max_norm:
                coef = self.max_norm / (total + 1e-6)
                for p in params:
                    if p.grad is not None:
                        p.grad = p.grad * np.asarray(coef, dtype=p.grad.dtype)
                clipped = True
        self._epoch_steps += 1
        self.total_steps += 1
        if clipped:
            self._epoch_clipped += 1
            self.clipped_steps += 1

    def on_epoch_end(self, loop) -> None:
        loop.logs["clip_fraction"] = self._epoch_clipped / max(1, self._epoch_steps)

    @property
    def clip_fraction(self) -> float:
        """Share of all steps so far that were clipped."""
        return self.clipped_steps / max(1, self.total_steps)

    def state_dict(self) -> dict[str, Any]:
        return {"clipped_steps": self.clipped_steps, "total_steps": self.total_steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.clipped_steps = int(state["clipped_steps"])
        self.total_steps = int(state["total_steps"])

    def __repr__(self) -> str:
        return f"GradientClipping(max_norm={self.max_norm}, clip_value={self.clip_value})"


class LRSchedule(Callback):
    """Step any scheduler from :mod:`descentlab.optim.lr_scheduler` during training.

    Args:
        scheduler: the scheduler (built on the same optimizer as fit's).
        interval: "epoch" (step after every epoch) or "step" (after every batch, e.g.
            OneCycleLR).
        monitor: for ReduceLROnPlateau, the metric passed to ``scheduler.step(metric)``.
    """

    def __init__(self, scheduler, interval: str = "epoch", monitor: str = "val_loss") -> None:
        if interval not in ("epoch", "step"):
            raise ValueError(f"Invalid interval: {interval!r} (expected 'epoch' or 'step')")
        self.scheduler = scheduler
        self.interval = interval
        self.monitor = monitor
        self._plateau = type(scheduler).__name__ == "ReduceLROnPlateau"
        self._warned: set = set()
        if interval == "step":
            self.on_batch_end = self._step_batch

    def _step_batch(self, loop) -> None:
        self.scheduler.step()

    def on_epoch_end(self, loop) -> None:
        if self._plateau:
            value = _monitored(loop, self.monitor, "LRSchedule", self._warned)
            if value is not None:
                self.scheduler.step(value)
        elif self.interval == "epoch":
            self.scheduler.step()

    def state_dict(self) -> dict[str, Any]:
        return {"scheduler": self.scheduler.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.scheduler.load_state_dict(state["scheduler"])

    def __repr__(self) -> str:
        return f"LRSchedule({type(self.scheduler).__name__}, interval={self.interval!r})"


class ReduceLROnPlateau(Callback):
    """Multiply the lr by ``factor`` when ``monitor`` stalls for more than ``patience`` epochs.

    A wrapper around :class:`descentlab.optim.lr_scheduler.ReduceLROnPlateau` (same rules and
    arguments) that builds it on fit's optimizer and feeds it the monitored metric.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        mode: str = "auto",
    ) -> None:
        if not 0 < factor < 1:
            raise ValueError(f"Invalid factor: {factor} (expected 0 < factor < 1)")
        self.monitor = monitor
        self.kwargs = dict(
            mode=resolve_mode(monitor, mode),
            factor=factor,
            patience=patience,
            threshold=threshold,
            cooldown=cooldown,
            min_lr=min_lr,
        )
        self.scheduler = None
        self._warned: set = set()

    def on_train_begin(self, loop) -> None:
        from descentlab.optim.lr_scheduler import ReduceLROnPlateau as _Plateau

        self.scheduler = _Plateau(loop.optimizer, **self.kwargs)

    def on_epoch_end(self, loop) -> None:
        value = _monitored(loop, self.monitor, "ReduceLROnPlateau", self._warned)
        if value is not None:
            self.scheduler.step(value)

    def state_dict(self) -> dict[str, Any]:
        return {"scheduler": self.scheduler.state_dict() if self.scheduler else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("scheduler") is not None and self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])

    def __repr__(self) -> str:
        return f"ReduceLROnPlateau(monitor={self.monitor!r}, factor={self.kwargs['factor']})"


class Checkpoint(Callback):
    """Save resumable checkpoints into ``directory``.

    - ``last.npz`` every ``every`` epochs, and at the end of training: everything needed to
      resume bit-exactly (weights, optimizer state, epoch, step, history, the shuffling and
      library generators' states, the other callbacks' states, the config);
    - ``best.npz`` at the best epoch so far by ``monitor`` (``save_best``); with ``every > 1``
      it is kept in memory and written with the next ``last.npz``, so a long run of small
      epochs does not spend its time writing files;
    - ``epoch_NNNN.npz`` every ``every`` epochs as well, when ``keep_all``.

    Files are written to a temporary name and renamed, so a kill at any moment leaves the last
    good checkpoint. Resume with ``fit(..., resume=directory)``.
    """

    runs_last = True

    def __init__(
        self,
        directory: str | Path,
        every: int = 1,
        save_best: bool = True,
        monitor: str = "val_loss",
        mode: str = "auto",
        keep_all: bool = False,
    ) -> None:
        if every < 1:
            raise ValueError(f"Invalid every: {every} (expected every >= 1)")
        self.directory = Path(directory)
        self.every = int(every)
        self.save_best = save_best
        self.monitor = monitor
        self.mode = resolve_mode(monitor, mode)
        self.keep_all = keep_all
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = 0
        self._warned: set = set()
        self._saved_epoch = 0
        self._pending_best = None

    @property
    def last_path(self) -> Path:
        return self.directory / "last.npz"

    @property
    def best_path(self) -> Path:
        return self.directory / "best.npz"

    def on_train_begin(self, loop) -> None:
        from descentlab.train.checkpoint import remove_stale_temporaries

        self.directory.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(self.directory)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = 0
        self._saved_epoch = 0
        self._pending_best = None

    def on_epoch_end(self, loop) -> None:
        from descentlab.train.checkpoint import checkpoint_payload, save_checkpoint

        improved = False
        if self.save_best:
            value = _monitored(loop, self.monitor, "Checkpoint", self._warned)
            better = value is not None and (
                value < self.best if self.mode == "min" else value > self.best
            )
            if better:
                self.best, self.best_epoch, improved = value, loop.epoch, True
        due = loop.epoch % self.every == 0 or loop.stop_requested or loop.epoch == loop.epochs
        if improved and not due:
            self._pending_best = checkpoint_payload(loop)
        if due:
            self._flush_best()
            save_checkpoint(self.last_path, loop)
            self._saved_epoch = loop.epoch
            if improved:
                # The same bytes: copy rather than build and sync a second file.
                _copy_atomic(self.last_path, self.best_path)
            if self.keep_all:
                _copy_atomic(self.last_path, self.directory / f"epoch_{loop.epoch:04d}.npz")

    def _flush_best(self) -> None:
        if self._pending_best is not None:
            from descentlab.train.checkpoint import write_payload

            write_payload(self.best_path, self._pending_best)
            self._pending_best = None

    def on_train_end(self, loop) -> None:
        self._flush_best()

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = float(state["best"])
        self.best_epoch = int(state["best_epoch"])

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.directory)!r}, every={self.every}, monitor={self.monitor!r})"


class ProgressBar(Callback):
    """A live rich progress bar over all steps: epoch, loss, accuracy, lr, elapsed, ETA.

    The bar is redrawn from the loop itself, at most ``refresh_per_second`` times a second (no
    drawing thread competing with the loop for the GIL); between redraws a batch pays one clock
    read.
    """

    def __init__(self, refresh_per_second: float = 8.0, console=None, transient: bool = False):
        self.refresh_per_second = refresh_per_second
        self.console = console
        self.transient = transient
        self._progress = None
        self._task = None
        self._next = 0.0
        self._epoch_text = ""

    def on_train_begin(self, loop) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[metrics]}"),
            console=self.console,
            auto_refresh=False,
            transient=self.transient,
        )
        total = loop.epochs * loop.steps_per_epoch
        self._progress.start()
        self._task = self._progress.add_task(
            self._describe(loop), total=total, completed=loop.step, metrics=""
        )
        self._epoch_text = ""
        self._next = 0.0

    def _describe(self, loop) -> str:
        return f"epoch {max(loop.epoch, 1)}/{loop.epochs}"

    def on_batch_end(self, loop) -> None:
        now = time.perf_counter()
        if now < self._next:
            return
        self._next = now + 1.0 / self.refresh_per_second
        seen = max(loop.seen, 1)
        text = f"loss {loop.loss_sum / seen:.4f}"
        if loop.correct_count is not None:
            text += f" acc {loop.correct_count / seen:.2%}"
        text += f" lr {loop.current_lr:.2e}"
        if self._epoch_text:
            text += f" | {self._epoch_text}"
        self._progress.update(
            self._task, completed=loop.step, description=self._describe(loop), metrics=text
        )
        self._progress.refresh()

    def on_epoch_end(self, loop) -> None:
        logs = loop.logs
        parts = [f"loss {logs['train_loss']:.4f}"]
        for key, label in (("train_acc", "acc"), ("val_loss", "val_loss"), ("val_acc", "val_acc")):
            v = logs.get(key)
            if v is not None and v == v:
                parts.append(f"{label} {v:.2%}" if "acc" in key else f"{label} {v:.4f}")
        parts.append(f"lr {logs['lr']:.2e}")
        self._epoch_text = f"epoch {loop.epoch}: " + " ".join(parts)
        self._progress.update(
            self._task,
            completed=loop.step,
            description=self._describe(loop),
            metrics=" ".join(parts),
        )
        now = time.perf_counter()
        if now >= self._next:
            self._next = now + 1.0 / self.refresh_per_second
            self._progress.refresh()

    def on_train_end(self, loop) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=loop.step)
            self._progress.stop()
            self._progress = None


def _copy_atomic(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` through a temporary file and a rename (never half-written)."""
    import os
    import shutil
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _dead_relu_fractions(model, x) -> dict[str, float]:
    """Fraction of each ReLU layer's units that output 0 for every example of ``x``.

    Walks nested ``Sequential`` containers in order (other modules are called whole), so it
    needs no hooks.
    """
    from descentlab import nn

    out: dict[str, float] = {}

    def walk(module, name: str, h):
        if isinstance(module, nn.Sequential):
            for child_name, child in module.named_children():
                h = walk(child, f"{name}.{child_name}" if name else child_name, h)
            return h
        h = module(h)
        if isinstance(module, nn.ReLU):
            a = h.data.reshape(h.shape[0], -1)
            out[name] = float(np.mean(np.all(a <= 0, axis=0)))
        return h

    walk(model, "", x)
    return out


class GradientMonitor(Callback):
    """Per-layer gradient norms and the share of dead ReLU units, per epoch.

    Every ``every`` steps it records the L2 norm of each parameter's gradient (before clipping);
    at epoch end it stores their means in ``records`` and adds to the logs
    ``grad_norm/<parameter>`` columns (weights only: ``ndim >= 2``) and ``dead_relu`` (mean over
    ReLU layers of the fraction of units that are 0 on every one of up to ``probe_size``
    training examples; Sequential models).

    Attributes:
        records: list of ``{"epoch": e, "grad_norms": {name: norm}, "dead_relu": {layer: f}}``.
    """

    def __init__(self, every: int = 1, probe_size: int = 256, dead_relu: bool = True) -> None:
        if every < 1:
            raise ValueError(f"Invalid every: {every} (expected every >= 1)")
        self.every = int(every)
        self.probe_size = int(probe_size)
        self.dead_relu = dead_relu
        self.records: list[dict[str, Any]] = []
        self._sums: dict[str, float] = {}
        self._count = 0

    def on_train_begin(self, loop) -> None:
        self._names = [n for n, _ in loop.named_params]

    def on_epoch_begin(self, loop) -> None:
        self._sums = dict.fromkeys(self._names, 0.0)
        self._count = 0

    def on_after_backward(self, loop) -> None:
        if loop.step % self.every:
            return
        for name, p in loop.named_params:
            g = p.grad
            if g is not None:
                self._sums[name] += math.sqrt(float(np.vdot(g, g)))
        self._count += 1

    def on_epoch_end(self, loop) -> None:
        norms = {n: s / max(1, self._count) for n, s in self._sums.items()}
        record: dict[str, Any] = {"epoch": loop.epoch, "grad_norms": norms, "dead_relu": {}}
        shapes = {n: p.data.ndim for n, p in loop.named_params}
        for n, v in norms.items():
            if shapes[n] >= 2:
                loop.logs[f"grad_norm/{n}"] = v
        if self.dead_relu:
            record["dead_relu"] = self._probe(loop)
            if record["dead_relu"]:
                loop.logs["dead_relu"] = float(np.mean(list(record["dead_relu"].values())))
        self.records.append(record)

    def _probe(self, loop) -> dict[str, float]:
        import descentlab as dl

        X = getattr(loop.train_loader, "X", None)
        if X is None:
            return {}
        model = loop.model
        was_training = getattr(model, "training", True)
        model.eval()
        try:
            with dl.no_grad():
                return _dead_relu_fractions(model, dl.tensor(X[: self.probe_size]))
        finally:
            model.train(was_training)

    def layer_norms(self, epoch: int = -1, weights_only: bool = True) -> dict[str, float]:
        """Mean gradient norm per parameter for one recorded epoch (default: the last)."""
        rec = self.records[epoch]["grad_norms"]
        if not weights_only:
            return dict(rec)
        return {n: v for n, v in rec.items() if not n.endswith("bias")}

    def state_dict(self) -> dict[str, Any]:
        return {"records": self.records}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.records = list(state.get("records", []))


class DivergenceGuard(Callback):
    """Stop at the first step whose loss or gradient is NaN or Inf, before the bad step.

    The message names the epoch, the global step, the batch, the loss and the parameter whose
    gradient blew up first: gradients are computed from the output back, so it is the
    non-finite gradient nearest the output. The weights are left as they were before the bad
    step. ``fit`` adds a guard unless given one (or ``guard=False``).
    """

    def __init__(self) -> None:
        self.message: str | None = None

    def on_train_begin(self, loop) -> None:
        self.message = None

    def on_after_backward(self, loop) -> None:
        sq = loop.grad_sq_norm
        if sq is None:
            sq = sum(float(np.vdot(p.grad, p.grad)) for p in loop.grad_params)
        if math.isfinite(loop.loss_value) and math.isfinite(sq):
            return
        self.message = describe_divergence(loop)
        raise StopTraining(self.message, diverged=True)


def describe_divergence(loop) -> str:
    """One sentence naming where training blew up (epoch, step, batch, loss, layer)."""
    bad: list[str] = []
    norms: dict[str, float] = {}
    for name, p in loop.named_params:
        g = p.grad
        if g is None:
            continue
        finite = np.isfinite(g)
        if not finite.all():
            bad.append(name)
        else:
            norms[name] = math.sqrt(float(np.vdot(g, g)))
    where = (
        f"epoch {loop.epoch}, step {loop.step + 1} (batch {loop.batch + 1} of "
        f"{loop.steps_per_epoch})"
    )
    loss = f"loss = {loop.loss_value:.4g}"
    if bad:
        first = bad[-1]  # parameters are listed input -> output; backward runs the other way
        others = [b for b in reversed(bad) if b != first]
        layer = f"the gradient of {first!r} blew up first (it is not finite)"
        if others:
            more = "..." if len(others) > 4 else ""
            layer += f"; also not finite: {', '.join(others[:4])}{more}"
    elif norms:
        top = max(norms, key=norms.get)
        layer = f"gradients are finite; the largest is {top!r} (norm {norms[top]:.3g})"
    else:
        layer = "no gradient was computed"
    return (
        f"Training diverged at {where}: {loss}; {layer}. "
        "Lower the learning rate or clip gradients (GradientClipping)."
    )


__all__: Sequence[str] = [
    "Callback",
    "Checkpoint",
    "DivergenceGuard",
    "DivergenceWarning",
    "EarlyStopping",
    "GradientClipping",
    "GradientMonitor",
    "LRSchedule",
    "ProgressBar",
    "ReduceLROnPlateau",
    "StopTraining",
]
