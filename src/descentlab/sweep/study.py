"""The sweep coordinator: an Optuna study in a database, trials proposed in waves, run anywhere.

A sweep has ``trials`` slots, numbered 0, 1, ... Slots are proposed ``wave`` at a time; a wave
is proposed only when every earlier wave has finished, and slot ``k``'s parameters come from a
sampler seeded with ``(seed, k)`` that sees only the finished trials of earlier waves. So the
parameters, and therefore the results, depend on the seed and the wave size alone: not on how
many workers run, in which order trials finish, or whether the coordinator was killed and
resumed. The study in the database (Optuna's RDB storage; SQLite in the sweep folder by
default) holds every attempt; a slot's attempt that was running when the coordinator died is
marked failed ("interrupted") on resume and the slot is run again with the same parameters.

Sweep folder::

    SWEEP_DIR/
        sweep.json         what was asked (base config, parameters, sampler, seed, ...)
        study.db           the Optuna study (unless --storage names another database)
        trials/trial-NNNN/ one ordinary run directory per attempt (config, history, checkpoints)
        results.csv        one row per slot; best.toml, the best trial's config
        plots/             optimisation history, parallel coordinates, slice, contour, importances
"""

from __future__ import annotations

import copy
import fcntl
import itertools
import json
import math
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from descentlab.sweep.space import Param, ParamError, extreme_values, parse_params
from descentlab.sweep.trial import run_trial
from descentlab.train import config as C

SAMPLERS = ("tpe", "random", "grid")
SPEC_FILE = "sweep.json"
MAX_TRIALS = 100_000


class SweepError(ValueError):
    """A sweep that cannot start or resume: one line naming what was wrong."""


@dataclass
class SweepSpec:
    """What a sweep was asked to do; saved as ``sweep.json`` so ``--resume`` needs nothing else.

    ``base`` is the resolved base config; ``params`` the ``--param`` texts.
    """

    base: dict[str, Any]
    params: list[str]
    trials: int = 20
    sampler: str = "tpe"
    seed: int = 0
    wave: int = 4
    metric: str = "val_loss"
    direction: str = "minimize"
    prune: bool = True
    n_startup_trials: int = 2
    n_warmup_steps: int = 2
    storage: str | None = None
    study_name: str = "descentlab-sweep"
    format: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def parsed(self) -> list[Param]:
        return parse_params(self.params)

    def check(self) -> None:
        """Every setting in range and every parameter applicable to the base config."""
        if not self.params:
            raise SweepError("--param: give at least one KEY=DIST(...) to search over")
        if self.sampler not in SAMPLERS:
            raise SweepError(f"--sampler: allowed {', '.join(SAMPLERS)}, got {self.sampler!r}")
        if self.direction not in ("minimize", "maximize"):
            raise SweepError(f"direction: allowed minimize, maximize, got {self.direction!r}")
        if not 1 <= self.trials <= MAX_TRIALS:
            raise SweepError(f"--trials: allowed 1 to {MAX_TRIALS}, got {self.trials}")
        if not 1 <= self.wave <= 1000:
            raise SweepError(f"--wave: allowed 1 to 1000, got {self.wave}")
        if not 0 <= self.seed < 2**32:
            raise SweepError(f"--seed: allowed 0 to 2**32-1, got {self.seed}")
        if self.metric not in ("val_loss", "val_acc", "train_loss", "train_acc"):
            raise SweepError(
                f"--metric: allowed val_loss, val_acc, train_loss, train_acc, got {self.metric!r}"
            )
        if self.metric.startswith("val") and not self.base["data"].get("val"):
            raise SweepError(f"--metric {self.metric}: needs a validation split (data.val > 0)")
        params = self.parsed()
        for p in params:
            for v in extreme_values(p):
                config_with(self.base, {p.key: v})
        if self.sampler == "grid":
            for p in params:
                p.grid()


def config_with(base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The base config with dotted keys set, validated like a config file."""
    raw = copy.deepcopy(base)
    for key, value in values.items():
        sec, _, sub = key.rpartition(".")
        if sec:
            table = raw.get(sec)
            if not isinstance(table, dict):
                raise SweepError(f"--param {key}: unknown section {sec!r}")
            table[sub] = value
        else:
            raw[sub] = value
    try:
        return C.validate(raw)
    except C.ConfigError as exc:
        raise SweepError(f"--param: {exc}") from None


def _slot_seed(seed: int, slot: int) -> int:
    return (seed * 1_000_003 + slot) % 2**32


class Sweep:
    """A sweep folder and its study: propose, run and record trials; resumable at any point."""

    def __init__(self, spec: SweepSpec, folder: str | Path) -> None:
        import optuna

        self.spec = spec
        self.folder = Path(folder)
        self.params = spec.parsed()
        self.distributions = {p.key: p.distribution() for p in self.params}
        storage = spec.storage or f"sqlite:///{(self.folder / 'study.db').resolve()}"
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.study = optuna.create_study(
            study_name=spec.study_name,
            storage=storage,
            direction=spec.direction,
            load_if_exists=True,
            sampler=optuna.samplers.RandomSampler(seed=spec.seed),  # every trial is enqueued
        )
        self.grid = (
            list(itertools.product(*(p.grid() for p in self.params)))
            if spec.sampler == "grid"
            else None
        )
        self.total = min(spec.trials, len(self.grid)) if self.grid is not None else spec.trials

    # ------------------------------------------------------------ creating and reopening
    @classmethod
    def create(cls, spec: SweepSpec, folder: str | Path) -> Sweep:
        spec.check()
        folder = Path(folder)
        if (folder / SPEC_FILE).exists():
            raise SweepError(f"{folder}: already holds a sweep; resume it with --resume {folder}")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / SPEC_FILE).write_text(json.dumps(asdict(spec), indent=2) + "\n")
        return cls(spec, folder)

    @classmethod
    def open(cls, folder: str | Path) -> Sweep:
        folder = Path(folder)
        path = folder / SPEC_FILE
        if not path.is_file():
            raise SweepError(f"--resume {folder}: no {SPEC_FILE} there (not a sweep folder)")
        try:
            data = json.loads(path.read_text())
            spec = SweepSpec(**data)
            spec.check()
        except (json.JSONDecodeError, TypeError, ParamError, ValueError) as exc:
            raise SweepError(f"{path}: not a valid sweep description ({exc})") from None
        return cls(spec, folder)

    # ------------------------------------------------------------ the study's state
    def attempts(self) -> dict[int, list]:
        """Slot -> its attempts (frozen Optuna trials), oldest first."""
        out: dict[int, list] = {}
        for t in self.study.get_trials(deepcopy=False):
            if "slot" in t.user_attrs:
                out.setdefault(int(t.user_attrs["slot"]), []).append(t)
        return out

    @staticmethod
    def _finished(t) -> bool:
        from optuna.trial import TrialState

        if t.state in (TrialState.COMPLETE, TrialState.PRUNED):
            return True
        return t.state == TrialState.FAIL and "error" in t.user_attrs

    def final_trials(self) -> dict[int, Any]:
        """Slot -> the attempt that finished it (complete, pruned or failed in training)."""
        return {
            slot: next(t for t in reversed(ts) if self._finished(t))
            for slot, ts in self.attempts().items()
            if any(self._finished(t) for t in ts)
        }

    # ------------------------------------------------------------ proposing
    def _propose(self, slot: int, earlier: list) -> dict[str, Any]:
        """Slot ``slot``'s parameters (Optuna's encoding), from earlier waves' trials only."""
        import optuna

        if self.grid is not None:
            return dict(zip(self.distributions, self.grid[slot], strict=True))
        seed = _slot_seed(self.spec.seed, slot)
        if self.spec.sampler == "random":
            sampler = optuna.samplers.RandomSampler(seed=seed)
        else:
            sampler = optuna.samplers.TPESampler(seed=seed)
        scratch = optuna.create_study(direction=self.spec.direction, sampler=sampler)
        usable = [t for t in earlier if t.state.name in ("COMPLETE", "PRUNED")]
        if usable:
            scratch.add_trials(usable)
        return scratch.ask(self.distributions).params

    def trial_config(self, params: dict[str, Any]) -> dict[str, Any]:
        values = {p.key: p.decode(params[p.key]) for p in self.params}
        return config_with(self.spec.base, values)

    # ------------------------------------------------------------ running
    def run(self, executor, on_event: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        """Run every slot that has not finished, wave by wave. Safe to call again after a kill."""
        from optuna.trial import TrialState

        lock = open(self.folder / ".coordinator.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SweepError(f"{self.folder}: another coordinator is running this sweep") from None
        event = on_event or (lambda kind, info: None)
        try:
            for start in range(0, self.total, self.spec.wave):
                slots = range(start, min(start + self.spec.wave, self.total))
                attempts = self.attempts()
                final = self.final_trials()
                earlier = [final[s] for s in range(start) if s in final]
                todo = [s for s in slots if s not in final]
                if not todo:
                    continue
                jobs, trials = [], []
                for slot in todo:
                    old = attempts.get(slot, [])
                    for t in old:
                        if t.state == TrialState.RUNNING:  # its coordinator died
                            self.study.tell(t.number, state=TrialState.FAIL)
                            shutil.rmtree(t.user_attrs.get("run_dir", ""), ignore_errors=True)
                    params = old[-1].params if old else self._propose(slot, earlier)
                    trial = self._start(slot, params, retry=bool(old))
                    trials.append(trial)
                    jobs.append(self._job(trial, earlier))
                    event("start", {"slot": slot, "number": trial.number, "retry": bool(old)})
                for i, result in executor.run(run_trial, jobs):
                    info = self._record(trials[i], result)
                    event("end", info)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()

    def _start(self, slot: int, params: dict[str, Any], retry: bool):
        self.study.enqueue_trial(params, user_attrs={"slot": slot, "retry": retry})
        trial = self.study.ask(self.distributions)
        run_dir = (self.folder / "trials" / f"trial-{trial.number:04d}").resolve()
        trial.set_user_attr("run_dir", str(run_dir))
        return trial

    def _job(self, trial, earlier: list) -> dict[str, Any]:
        s = self.spec
        pruner = (
            {"n_startup_trials": s.n_startup_trials, "n_warmup_steps": s.n_warmup_steps}
            if s.prune
            else None
        )
        return {
            "config": self.trial_config(trial.params),
            "run_dir": trial.user_attrs["run_dir"],
            "metric": s.metric,
            "direction": s.direction,
            "history": [t for t in earlier if t.state.name == "COMPLETE"],
            "pruner": pruner,
        }

    def _record(self, trial, result: dict[str, Any]) -> dict[str, Any]:
        from optuna.trial import TrialState

        for step, value in sorted((result.get("values") or {}).items()):
            trial.report(float(value), int(step))
        for key in ("epochs", "seconds", "pid"):
            if result.get(key) is not None:
                trial.set_user_attr(key, result[key])
        state = result.get("state", "failed")
        if state == "complete":
            self.study.tell(trial, float(result["value"]))
        elif state == "pruned":
            self.study.tell(trial, state=TrialState.PRUNED)
        else:
            trial.set_user_attr("error", str(result.get("error") or "failed"))
            self.study.tell(trial, state=TrialState.FAIL)
        return {
            "slot": trial.user_attrs["slot"],
            "number": trial.number,
            "state": state,
            "value": result.get("value", math.nan),
            "error": result.get("error"),
        }

    # ------------------------------------------------------------ results
    def rows(self) -> list[dict[str, Any]]:
        """One row per finished slot, in slot order: parameters, state, value, epochs."""
        from descentlab.sweep.trial import objective_value

        out = []
        for slot, t in sorted(self.final_trials().items()):
            value = t.value if t.state.name == "COMPLETE" else None
            if t.state.name == "PRUNED":  # the best it reached before it was stopped
                value = objective_value(t.intermediate_values, self.spec.direction)
            state = {"COMPLETE": "complete", "PRUNED": "pruned"}.get(t.state.name, "failed")
            row = {"slot": slot, "trial": t.number, "state": state}
            row.update({p.key: p.decode(t.params[p.key]) for p in self.params})
            row[self.spec.metric] = value
            row["epochs"] = t.user_attrs.get("epochs")
            row["run_dir"] = t.user_attrs.get("run_dir")
            out.append(row)
        return out

    def best(self) -> dict[str, Any] | None:
        """The finished slot with the best value (None before any trial completed)."""
        key = self.spec.metric
        done = [r for r in self.rows() if r["state"] == "complete" and math.isfinite(r[key])]
        if not done:
            return None
        return (min if self.spec.direction == "minimize" else max)(done, key=lambda r: r[key])


__all__ = ["SAMPLERS", "Sweep", "SweepError", "SweepSpec", "config_with"]
