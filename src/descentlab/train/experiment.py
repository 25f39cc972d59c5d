"""From a resolved config to a trained model and a run directory.

``build_experiment(cfg)`` makes the data splits, model, loss, optimizer, schedule and loader;
``run(cfg, run_dir)`` trains it with the configured callbacks and writes the run directory::

    runs/<name>/
        config.toml          the resolved config (every default written out)
        history.csv          one row per epoch
        metrics.json         final train/val/test loss and accuracy, best epoch, diagnosis
        checkpoints/         last.npz (resume point) and best.npz
        preprocessing.json   with your own file: features, the training split's mean and std,
                             target, task and classes (read back by load_run and predict)
        learning_curves.png  and, for 2-D data, decision_boundary.png; with
                             train.monitor_gradients, gradient_flow.png (written by
                             descentlab.viz.run_plots: train/ does not import viz/)

The same config and seed give the same numbers; ``run(..., resume=True)`` continues from
``checkpoints/last.npz`` and ends exactly where an uninterrupted run would.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from descentlab import registry
from descentlab.data.files import Table
from descentlab.data.loader import DataLoader
from descentlab.data.splits import Splits, train_val_test_split
from descentlab.registry import InvalidArgument
from descentlab.train import config as C
from descentlab.train.callbacks import (
    Callback,
    Checkpoint,
    EarlyStopping,
    GradientClipping,
    GradientMonitor,
    LRSchedule,
    ProgressBar,
    ReduceLROnPlateau,
)
from descentlab.train.checkpoint import CheckpointError
from descentlab.train.diagnose import Diagnosis, diagnose
from descentlab.train.history import History
from descentlab.train.sizes import check_model

PREPROCESSING_FILE = "preprocessing.json"  # read back by descentlab.train.inference


@dataclass
class Experiment:
    """Everything a config describes, built and ready to train."""

    config: dict[str, Any]
    splits: Splits
    in_shape: tuple[int, ...]
    n_classes: int
    model: Any
    loss_fn: Any
    optimizer: Any
    train_loader: DataLoader
    scheduler: Any = None
    schedule_interval: str = "epoch"
    preprocessing: dict[str, Any] | None = None

    @property
    def val(self):
        return self.splits.val

    @property
    def test(self):
        return self.splits.test

    def callbacks(
        self, run_dir: str | Path | None = None, progress: bool = False, console=None
    ) -> list[Callback]:
        """The callbacks the config asks for (+ a Checkpoint when ``run_dir`` is given)."""
        cfg = self.config
        cbs: list[Callback] = []
        clip = cfg["clip"]
        if clip.get("max_norm") is not None or clip.get("value") is not None:
            cbs.append(GradientClipping(clip.get("max_norm"), clip.get("value")))
        if cfg["train"]["monitor_gradients"]:
            cbs.append(GradientMonitor())
        sched = cfg["schedule"]
        if sched["name"] == "plateau":
            cbs.append(
                ReduceLROnPlateau(
                    "val_loss",
                    factor=sched["factor"],
                    patience=sched["patience"],
                    min_lr=sched["min_lr"],
                )
            )
        elif self.scheduler is not None:
            cbs.append(LRSchedule(self.scheduler, interval=self.schedule_interval))
        es = cfg["early_stopping"]
        if es["enabled"]:
            cbs.append(
                EarlyStopping(
                    es["monitor"],
                    patience=es["patience"],
                    min_delta=es["min_delta"],
                    restore_best_weights=es["restore_best_weights"],
                )
            )
        if run_dir is not None:
            ck = cfg["checkpoint"]
            cbs.append(
                Checkpoint(
                    Path(run_dir) / "checkpoints",
                    every=ck["every"],
                    save_best=ck["best"],
                    monitor=ck["monitor"],
                )
            )
        if progress:
            cbs.append(ProgressBar(console=console))
        return cbs


def standardizer(X_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature ``(mean, std)`` of the training inputs, shaped ``(1, *feature shape)``;
    a constant feature gets std 1, so ``(x - mean) / std`` is always defined."""
    mean = X_train.mean(axis=0, keepdims=True)
    std = X_train.std(axis=0, keepdims=True)
    return mean, np.where(std > 1e-8, std, 1.0)


@dataclass
class Data:
    """The config's data, split: what :func:`load_dataset` returns.

    Attributes:
        splits: train/val/test ``(X, y)`` pairs.
        in_shape: the shape of one example.
        n_classes: classes (classification) or 1 (regression: one output).
        task: ``"classification"`` or ``"regression"``.
        preprocessing: for your own file, the ``preprocessing.json`` a run saves (feature
            names, the training split's mean and std, target, task, classes); else None.
    """

    splits: Splits
    in_shape: tuple[int, ...]
    n_classes: int
    task: str = "classification"
    preprocessing: dict[str, Any] | None = None


def load_dataset(cfg: dict[str, Any]) -> Data:
    """The config's dataset, split and (optionally) standardised with train statistics.

    A file (``data.name = "file"``) is always standardised, with the mean and std of the
    training split only, and its preprocessing is returned to be saved with the run.
    """
    data = cfg["data"]
    entry = registry.datasets.get(data["name"])
    kwargs: dict[str, Any] = {}
    for key in entry.param_map():
        if key == "seed":
            kwargs["seed"] = cfg["seed"]
        elif key == "image":
            kwargs["image"] = cfg["model"]["name"] == "cnn"
        elif data.get(key) is not None:
            kwargs[key] = data[key]
    loaded = registry.datasets.build(entry.name, **kwargs)
    X, y = loaded
    table = loaded if isinstance(loaded, Table) else None
    task = table.task if table is not None else "classification"
    if task == "regression":
        n_classes = 1
    else:
        n_classes = len(table.classes) if table is not None else int(y.max()) + 1
    splits = train_val_test_split(
        X, y, val=data["val"], test=data["test"], seed=cfg["seed"], stratify=task != "regression"
    )
    prep = None
    if data["standardize"] or table is not None:
        mean, std = standardizer(splits.train[0].astype(np.float64))

        def scale(part):
            return None if part is None else (((part[0] - mean) / std).astype(X.dtype), part[1])

        splits = Splits(scale(splits.train), scale(splits.val), scale(splits.test))
        if table is not None:
            prep = {
                "format": 1,
                "features": table.features,
                "mean": [float(v) for v in mean.ravel()],
                "std": [float(v) for v in std.ravel()],
                "target": table.target,
                "task": table.task,
                "classes": table.classes,
            }
    return Data(splits, tuple(X.shape[1:]), n_classes, task, prep)


def load_data(cfg: dict[str, Any]) -> tuple[Splits, tuple[int, ...], int]:
    """:func:`load_dataset` as ``(splits, input shape of one example, number of classes)``."""
    d = load_dataset(cfg)
    return d.splits, d.in_shape, d.n_classes


#: Losses for class targets only; a regression target trains with mse (or l1).
CLASS_ONLY_LOSSES = ("cross_entropy", "hinge", "bce_with_logits")


def _loss_for(cfg: dict[str, Any], task: str) -> dict[str, Any]:
    """The config with a loss that suits the task: cross_entropy (the default) becomes mse
    for a regression target; another class-only loss there is a config error."""
    loss = cfg["train"]["loss"]
    if task != "regression" or loss not in CLASS_ONLY_LOSSES:
        return cfg
    if loss != "cross_entropy":
        raise C.ConfigError("train.loss", "mse or l1 for a regression target", repr(loss))
    return {**cfg, "train": {**cfg["train"], "loss": "mse"}}


def build_model(cfg: dict[str, Any], in_shape: tuple[int, ...], n_classes: int):
    """The network the config's ``model`` section describes, for inputs of ``in_shape``.

    It has ``n_classes`` outputs (one logit with the ``bce_with_logits`` loss); its weights are
    drawn from the library generator as it stands.
    """
    m = cfg["model"]
    n_outputs = 1 if cfg["train"]["loss"] == "bce_with_logits" else n_classes
    model_params = registry.models.params(m["name"])
    return registry.models.build(
        m["name"], in_shape, n_outputs, **{k: v for k, v in m.items() if k in model_params}
    )


def build_experiment(cfg: dict[str, Any]) -> Experiment:
    """Seed the library generator with ``cfg["seed"]``, then build data, model, optimizer."""
    import descentlab as dl

    data = load_dataset(cfg)
    cfg = _loss_for(cfg, data.task)
    splits, in_shape, n_classes = data.splits, data.in_shape, data.n_classes
    dl.manual_seed(cfg["seed"])
    train = cfg["train"]
    n_outputs = 1 if train["loss"] == "bce_with_logits" else n_classes
    check_model(cfg, in_shape, n_outputs, len(splits.train[1]))
    model = build_model(cfg, in_shape, n_classes)
    loss_fn = registry.losses.build(train["loss"])
    o = cfg["optim"]
    optimizer = registry.optimizers.build(
        o["name"], model.parameters(), **{k: v for k, v in o.items() if k != "name"}
    )
    bs = train["batch_size"]
    loader = DataLoader(
        *splits.train,
        batch_size=None if bs == "full" else bs,
        shuffle=train["shuffle"],
        seed=cfg["seed"],
    )
    s = cfg["schedule"]
    lr = optimizer.param_groups[0]["lr"]
    sched_params = registry.schedules.params(s["name"])
    scheduler = None
    if s["name"] != "plateau":  # plateau reads val_loss: the ReduceLROnPlateau callback
        scheduler = registry.schedules.build(
            s["name"],
            optimizer,
            **{k: v for k, v in s.items() if k in sched_params},
            epochs=train["epochs"],
            lr=lr,
            total_steps=train["epochs"] * len(loader),
        )
    return Experiment(
        config=cfg,
        splits=splits,
        in_shape=in_shape,
        n_classes=n_classes,
        model=model,
        loss_fn=loss_fn,
        optimizer=optimizer,
        train_loader=loader,
        scheduler=scheduler,
        schedule_interval="step" if s["name"] == "onecycle" else "epoch",
        preprocessing=data.preprocessing,
    )


@dataclass
class RunResult:
    """What ``run`` returns: the experiment, its history, final metrics and diagnosis."""

    experiment: Experiment
    history: History
    metrics: dict[str, Any]
    diagnosis: Diagnosis
    run_dir: Path | None
    plots: list[Path] = field(default_factory=list)


def resolved_lr(cfg: dict[str, Any]) -> dict[str, Any]:
    """The config with ``optim.lr`` filled in from the optimizer's default when unset."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in cfg.items()}
    if out["optim"].get("lr") is None:
        out["optim"]["lr"] = registry.optimizers.defaults(out["optim"]["name"])["lr"]
    return out


def run(
    cfg: dict[str, Any],
    run_dir: str | Path | None = None,
    *,
    resume: bool = False,
    progress: bool = False,
    console=None,
    callbacks: list[Callback] = (),
) -> RunResult:
    """Train the experiment ``cfg`` describes; write the run directory when given.

    Args:
        cfg: a resolved config (:func:`descentlab.train.config.load_config`).
        run_dir: where to write config, history, metrics and checkpoints (None: nothing
            is written and nothing is checkpointed). The PNG plots are written by the layer
            above, :func:`descentlab.viz.run_plots.write_plots` (``descentlab train`` calls it).
        resume: continue from ``run_dir/checkpoints/last.npz``.
        progress: show the live progress bar.
        callbacks: extra callbacks, run after the ones the config asks for (a sweep's pruner).
    """
    from descentlab.train.loop import evaluate, fit

    exp = build_checked(resolved_lr(cfg))
    cfg = exp.config  # with the loss a regression target needs
    out = Path(run_dir) if run_dir is not None else None
    if resume and out is not None:
        from descentlab.train.checkpoint import load_checkpoint

        saved = load_checkpoint(out / "checkpoints")
        try:
            exp.model.load_state_dict(saved.model_state)  # fit loads it again; this only checks
        except RuntimeError as exc:
            first = str(exc).splitlines()[-1].strip()
            raise CheckpointError(
                f"{saved.path}: the saved weights do not fit this model ({first})"
            ) from None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.toml").write_text(C.dumps(cfg))
        if exp.preprocessing is not None:
            text = json.dumps(exp.preprocessing, indent=1) + "\n"
            (out / PREPROCESSING_FILE).write_text(text)
    t0 = time.perf_counter()
    history = fit(
        exp.model,
        exp.loss_fn,
        exp.optimizer,
        exp.train_loader,
        exp.val,
        epochs=cfg["train"]["epochs"],
        callbacks=[*exp.callbacks(out, progress=progress, console=console), *callbacks],
        resume=(out / "checkpoints") if resume and out is not None else None,
        config=cfg,
    )
    wall = time.perf_counter() - t0
    diag = _diagnose(history, exp.optimizer.param_groups[0]["lr"])
    metrics: dict[str, Any] = {}
    parts = {"train": exp.splits.train, "val": exp.val, "test": exp.test}
    for name, part in parts.items():
        if part is not None:
            ev = evaluate(exp.model, exp.loss_fn, part)
            metrics[name] = {
                "loss": ev["loss"],
                "acc": None if math.isnan(ev["acc"]) else ev["acc"],
            }
    metrics["epochs_run"] = sum("time" in r for r in history.rows)  # finished epochs
    metrics["best_epoch"] = diag.best_epoch
    metrics["stop_reason"] = history.stop_reason
    metrics["diverged"] = history.diverged
    metrics["diagnosis"] = {
        "status": diag.status,
        "explanation": diag.explanation,
        "suggestion": diag.suggestion,
    }
    times = [t for t in history.get("time", []) if t == t]
    metrics["timing"] = {
        "seconds_per_epoch": float(np.mean(times)) if times else None,
        "wall_seconds": wall,
    }
    result = RunResult(exp, history, metrics, diag, out)
    if out is not None:
        history.to_csv(out / "history.csv")
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2, allow_nan=True) + "\n")
    return result


def build_checked(cfg: dict[str, Any]) -> Experiment:
    """:func:`build_experiment`, with a builder's refusal turned into a one-line ConfigError."""
    try:
        return build_experiment(cfg)
    except C.ConfigError:
        raise
    except InvalidArgument as exc:
        raise C.ConfigError(exc.argument, exc.allowed, exc.received) from None
    except (ValueError, TypeError) as exc:
        # A combination the schema cannot see (nesterov without momentum...): a config mistake.
        raise C.ConfigError("config", "settings the components accept", str(exc)) from None


def _diagnose(history: History, lr: float) -> Diagnosis:
    """diagnose(), or "diverging" when not one epoch ended with a finite loss."""
    try:
        return diagnose(history)
    except ValueError:
        why = history.stop_reason or "The loss was not finite in the first epoch."
        hint = f" (lr {lr:.3g} -> {lr * 0.1:.3g})" if math.isfinite(lr) else ""
        return Diagnosis(
            "diverging",
            why.split(". ")[0].rstrip(".") + ".",
            f"Lower the learning rate by 10x{hint}, or clip gradients by norm.",
            None,
        )
