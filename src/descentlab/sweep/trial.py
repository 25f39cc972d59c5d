"""One trial, as a Dask worker (or the coordinator itself, serially) runs it.

``run_trial(job)`` trains an ordinary run directory from a resolved config and returns plain
data: the trial's state (``complete``, ``pruned`` or ``failed``), its objective value and the
monitored metric per epoch. The worker never opens the study's database: the coordinator
writes every result, so workers on other machines need only the package, not the storage.

Pruning happens inside the worker, after every epoch, with Optuna's ``MedianPruner`` asked
about an in-memory study that holds the trials of earlier waves (``job["history"]``). Trials
of the same wave never see each other, so the decision is the same however many workers run
and in whatever order they finish.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any

from descentlab.train.callbacks import Callback, StopTraining

PRUNED_REASON = "pruned: the validation metric is worse than the median of earlier trials"


class MedianPruning(Callback):
    """After each epoch, stop the run when Optuna's median rule says the trial is hopeless.

    Args:
        metric: the history column the sweep optimises (e.g. ``"val_loss"``).
        direction: ``"minimize"`` or ``"maximize"``.
        history: frozen earlier trials (``optuna.trial.FrozenTrial``), the pruner's reference.
        n_startup_trials, n_warmup_steps: MedianPruner's arguments.
    """

    def __init__(
        self,
        metric: str,
        direction: str,
        history: list,
        n_startup_trials: int = 2,
        n_warmup_steps: int = 2,
    ) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.metric = metric
        self.values: dict[int, float] = {}
        self.pruned = False
        self._pruner = optuna.pruners.MedianPruner(
            n_startup_trials=n_startup_trials, n_warmup_steps=n_warmup_steps
        )
        self._reference = optuna.create_study(direction=direction)
        if history:
            self._reference.add_trials(history)

    def on_epoch_end(self, loop, logs) -> None:
        import optuna

        value = logs.get(self.metric)
        if value is None or not math.isfinite(value):
            return
        step = len(self.values) + 1
        self.values[step] = float(value)
        now = optuna.trial.create_trial(
            state=optuna.trial.TrialState.RUNNING,
            intermediate_values=dict(self.values),
        )
        if self._pruner.prune(self._reference, now):
            self.pruned = True
            raise StopTraining(PRUNED_REASON)


def objective_value(values: dict[int, float], direction: str) -> float:
    """The trial's value: the best monitored value over its epochs (NaN when there is none)."""
    finite = [v for v in values.values() if math.isfinite(v)]
    if not finite:
        return math.nan
    return min(finite) if direction == "minimize" else max(finite)


def run_trial(job: dict[str, Any]) -> dict[str, Any]:
    """Train one trial and describe how it ended.

    Args:
        job: ``config`` (a resolved config), ``run_dir``, ``metric``, ``direction``,
            ``history`` (earlier trials for the pruner) and ``pruner`` (its arguments, or None
            for no pruning).

    Returns:
        ``{"state", "value", "values" (epoch -> metric), "epochs", "seconds", "pid", "error"}``.
    """
    from descentlab.train.experiment import run

    out = Path(job["run_dir"])
    if out.exists():  # a retried trial starts from nothing
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / "worker.json").write_text(json.dumps({"pid": os.getpid(), "host": os.uname()[1]}))
    callbacks = []
    pruning = None
    if job.get("pruner") is not None:
        pruning = MedianPruning(
            job["metric"], job["direction"], job.get("history") or [], **job["pruner"]
        )
        callbacks.append(pruning)
    t0 = time.perf_counter()
    try:
        result = run(job["config"], out, progress=False, callbacks=callbacks)
    except Exception as exc:  # a trial that cannot train fails alone; the sweep goes on
        return {
            "state": "failed",
            "value": math.nan,
            "values": {},
            "epochs": 0,
            "seconds": time.perf_counter() - t0,
            "pid": os.getpid(),
            "error": f"{type(exc).__name__}: {exc}",
        }
    if pruning is not None:
        values = dict(pruning.values)
    else:
        column = result.history.get(job["metric"], [])
        values = {i + 1: float(v) for i, v in enumerate(column) if v is not None and v == v}
    value = objective_value(values, job["direction"])
    state = "pruned" if pruning is not None and pruning.pruned else "complete"
    error = None
    if state == "complete" and not math.isfinite(value):
        state, error = "failed", f"no finite {job['metric']} (the run diverged)"
    return {
        "state": state,
        "value": value,
        "values": values,
        "epochs": len(values),
        "seconds": time.perf_counter() - t0,
        "pid": os.getpid(),
        "error": error,
    }


__all__ = ["PRUNED_REASON", "MedianPruning", "objective_value", "run_trial"]
