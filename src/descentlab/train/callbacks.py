"""Callbacks: the behaviour around the training loop, one small class each.

The hooks and what each hook's ``logs`` hold are documented in :mod:`descentlab.train.hooks`
(the :class:`Callback` base class); every hook is ``hook(loop, logs)``. To stop training a
callback raises :class:`StopTraining`. EarlyStopping, Checkpoint's best file and
ReduceLROnPlateau watch their metric with one helper,
:class:`descentlab.optim.monitor.Monitor`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from descentlab.errors import InvalidArgument, shown
from descentlab.optim.monitor import Monitor
from descentlab.tensor import _leaf
from descentlab.train.history import resolve_mode
from descentlab.train.hooks import Callback, DivergenceWarning, StopTraining, monitored
from descentlab.train.progress import ProgressBar


def _sq(g: np.ndarray) -> float:
    """The squared Euclidean norm of a gradient array."""
    return float(np.vdot(g, g))


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
        best, best_epoch: the best value and its 1-based epoch; ``wait``: epochs since;
        ``stopped_epoch``: the epoch training stopped at (0 if it ran to the end);
        ``restored``: whether best weights were loaded back.
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
        if not patience >= 0:
            raise InvalidArgument("patience", "an integer >= 0", shown(patience))
        if not min_delta >= 0:
            raise InvalidArgument("min_delta", "a number >= 0", shown(min_delta))
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = resolve_mode(monitor, mode)
        self.restore_best_weights = restore_best_weights
        self.baseline = baseline
        self._best = Monitor(self.mode, self.min_delta, "abs", baseline)
        self._warned: set = set()
        self._reset()

    def _reset(self) -> None:
        self._best.reset()
        self.stopped_epoch = 0
        self.best_weights: dict[str, np.ndarray] | None = None
        self.restored = False

    best = property(lambda self: self._best.best)
    best_epoch = property(lambda self: self._best.best_step)
    wait = property(lambda self: self._best.wait)

    def on_train_begin(self, loop, logs: dict[str, Any]) -> None:
        self._reset()

    def on_epoch_end(self, loop, logs: dict[str, Any]) -> None:
        value = monitored(logs, self.monitor, "EarlyStopping", self._warned)
        if value is None:
            return
        if self._best.update(value, loop.epoch):
            if self.restore_best_weights:
                self.best_weights = loop.model.state_dict()
        elif self.wait >= self.patience:
            self.stopped_epoch = loop.epoch
            raise StopTraining(
                f"early stopping at epoch {loop.epoch}: {self.monitor} did not improve for "
                f"{self.wait} epochs (best {self.best:.4g} at epoch {self.best_epoch})"
            )

    def on_train_end(self, loop, logs: dict[str, Any]) -> None:
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
        self._best.load_state_dict(
            {"best": state["best"], "best_step": state["best_epoch"], "wait": state["wait"]}
        )
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
            raise InvalidArgument(
                "GradientClipping", "max_norm (by global norm) or clip_value (by value)", "neither"
            )
        if max_norm is not None and not max_norm > 0:
            raise InvalidArgument("max_norm", "a number > 0", shown(max_norm))
        if clip_value is not None and not clip_value > 0:
            raise InvalidArgument("clip_value", "a number > 0", shown(clip_value))
        self.max_norm = max_norm
        self.clip_value = clip_value
        self.clipped_steps = 0
        self.total_steps = 0
        self._epoch_clipped = 0
        self._epoch_steps = 0

    def on_train_begin(self, loop, logs: dict[str, Any]) -> None:
        self.clipped_steps = self.total_steps = 0

    def on_epoch_begin(self, loop, logs: dict[str, Any]) -> None:
        self._epoch_clipped = self._epoch_steps = 0

    def on_after_backward(self, loop, logs: dict[str, Any]) -> None:
        clipped = False
        params = loop.grad_params
        if self.clip_value is not None:
            v = self.clip_value
            for p in params:
                g = None if p._grad is None else p._grad._data
                if g is not None and (g.max() > v or g.min() < -v):
                    # A new array: another tensor's .grad may alias this one.
                    p._grad = _leaf(np.clip(g, -v, v))
                    clipped = True
        if self.max_norm is not None:
            sq = logs.get("grad_sq_norm") if not clipped else None
            if sq is None:
                sq = sum(_sq(p._grad._data) for p in params if p._grad is not None)
            total = math.sqrt(sq)
            if total > self.max_norm:
                coef = self.max_norm / (total + 1e-6)
                for p in params:
                    if p._grad is not None:
                        g = p._grad._data
                        p._grad = _leaf(g * np.asarray(coef, dtype=g.dtype))
                clipped = True
        self._epoch_steps += 1
        self.total_steps += 1
        if clipped:
            self._epoch_clipped += 1
            self.clipped_steps += 1

    def on_epoch_end(self, loop, logs: dict[str, Any]) -> None:
        logs["clip_fraction"] = self._epoch_clipped / max(1, self._epoch_steps)

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
        monitor: for a scheduler whose ``step`` takes a metric (``takes_metric``, as
            ReduceLROnPlateau), the epoch-logs column passed to it, once per epoch.
    """

    def __init__(self, scheduler, interval: str = "epoch", monitor: str = "val_loss") -> None:
        if interval not in ("epoch", "step"):
            raise InvalidArgument("interval", "'epoch' or 'step'", shown(interval))
        self.scheduler = scheduler
        self.interval = interval
        self.monitor = monitor
        self._warned: set = set()

    def on_batch_end(self, loop, logs: dict[str, Any]) -> None:
        if self.interval == "step":
            self.scheduler.step()

    def on_epoch_end(self, loop, logs: dict[str, Any]) -> None:
        if getattr(self.scheduler, "takes_metric", False):
            value = monitored(logs, self.monitor, "LRSchedule", self._warned)
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
            raise InvalidArgument("factor", "a number in (0, 1)", shown(factor))
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

    def on_train_begin(self, loop, logs: dict[str, Any]) -> None:
        from descentlab.optim.lr_scheduler import ReduceLROnPlateau as _Plateau

        self.scheduler = _Plateau(loop.optimizer, **self.kwargs)

    def on_epoch_end(self, loop, logs: dict[str, Any]) -> None:
        value = monitored(logs, self.monitor, "ReduceLROnPlateau", self._warned)
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
        if not every >= 1:
            raise InvalidArgument("every", "an integer >= 1", shown(every))
        self.directory = Path(directory)
        self.every = int(every)
        self.save_best = save_best
        self.monitor = monitor
        self.mode = resolve_mode(monitor, mode)
        self.keep_all = keep_all
        self._best = Monitor(self.mode)
        self._warned: set = set()
        self._saved_epoch = 0
        self._pending_best = None

    @property
    def last_path(self) -> Path:
        return self.directory / "last.npz"

    @property
    def best_path(self) -> Path:
        return self.directory / "best.npz"

    best = property(lambda self: self._best.best)
    best_epoch = property(lambda self: self._best.best_step)

    def on_train_begin(self, loop, logs: dict[str, Any]) -> None:
        from descentlab.train.checkpoint import remove_stale_temporaries

        self.directory.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(self.directory)
        self._best.reset()
        self._saved_epoch = 0
        self._pending_best = None

    def on_epoch_end(self, loop, logs: dict[str, Any]) -> None:
        from descentlab.train.checkpoint import checkpoint_payload, copy_atomic, save_checkpoint

        improved = False
        if self.save_best:
            value = monitored(logs, self.monitor, "Checkpoint", self._warned)
            improved = value is not None and self._best.update(value, loop.epoch)
        stopping = loop.stop_reason is not None
        due = loop.epoch % self.every == 0 or stopping or loop.epoch == loop.epochs
        if improved and not due:
            self._pending_best = checkpoint_payload(loop)
        if due:
            self._flush_best()
            save_checkpoint(self.last_path, loop)
            self._saved_epoch = loop.epoch
            if improved:
                # The same bytes: link or copy rather than build and sync a second file.
                copy_atomic(self.last_path, self.best_path)
            if self.keep_all:
                copy_atomic(self.last_path, self.directory / f"epoch_{loop.epoch:04d}.npz")

    def _flush_best(self) -> None:
        if self._pending_best is not None:
            from descentlab.train.checkpoint import write_payload

            write_payload(self.best_path, self._pending_best)
            self._pending_best = None

    def on_train_end(self, loop, logs: dict[str, Any]) -> None:
        self._flush_best()

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._best.load_state_dict(
            {"best": state["best"], "best_step": state["best_epoch"], "wait": 0}
        )

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.directory)!r}, every={self.every}, monitor={self.monitor!r})"


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
            a = h._data.reshape(h.shape[0], -1)
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
        if not every >= 1:
            raise InvalidArgument("every", "an integer >= 1", shown(every))
        self.every = int(every)
        self.probe_size = int(probe_size)
        self.dead_relu = dead_relu
        self.records: list[dict[str, Any]] = []
        self._sums: dict[str, float] = {}
        self._count = 0

    def on_train_begin(self, loop, logs: dict[str, Any]) -> None:
        self._names = [n for n, _ in loop.named_params]

    def on_epoch_begin(self, loop, logs: dict[str, Any]) -> None:
        self._sums = dict.fromkeys(self._names, 0.0)
        self._count = 0

    def on_after_backward(self, loop, logs: dict[str, Any]) -> None:
        if loop.step % self.every:
            return
        for name, p in loop.named_params:
            if p._grad is not None:
                self._sums[name] += math.sqrt(_sq(p._grad._data))
        self._count += 1

    def on_epoch_end(self, loop, logs: dict[str, Any]) -> None:
        norms = {n: s / max(1, self._count) for n, s in self._sums.items()}
        record: dict[str, Any] = {"epoch": loop.epoch, "grad_norms": norms, "dead_relu": {}}
        shapes = {n: p._data.ndim for n, p in loop.named_params}
        for n, v in norms.items():
            if shapes[n] >= 2:
                logs[f"grad_norm/{n}"] = v
        if self.dead_relu:
            record["dead_relu"] = self._probe(loop)
            if record["dead_relu"]:
                logs["dead_relu"] = float(np.mean(list(record["dead_relu"].values())))
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

    def on_train_begin(self, loop, logs: dict[str, Any]) -> None:
        self.message = None

    def on_after_backward(self, loop, logs: dict[str, Any]) -> None:
        sq = logs.get("grad_sq_norm")
        if sq is None:
            sq = sum(_sq(p._grad._data) for p in loop.grad_params if p._grad is not None)
        if math.isfinite(logs["loss"]) and math.isfinite(sq):
            return
        self.message = describe_divergence(loop, logs)
        raise StopTraining(self.message, diverged=True)


def describe_divergence(loop, logs: dict[str, Any]) -> str:
    """One sentence naming where training blew up (epoch, step, batch, loss, layer)."""
    bad: list[str] = []
    norms: dict[str, float] = {}
    for name, p in loop.named_params:
        if p._grad is None:
            continue
        g = p._grad._data
        finite = np.isfinite(g)
        if not finite.all():
            bad.append(name)
        else:
            norms[name] = math.sqrt(_sq(g))
    where = (
        f"epoch {loop.epoch}, step {loop.step + 1} (batch {logs['batch'] + 1} of "
        f"{loop.steps_per_epoch})"
    )
    loss = f"loss = {logs['loss']:.4g}"
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
