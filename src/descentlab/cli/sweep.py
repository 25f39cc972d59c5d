"""``descentlab sweep [CONFIG.toml] --param KEY=DIST(...) ... --trials N``: an Optuna study on Dask.

Each trial is an ordinary run directory under the sweep folder; the study lives in SQLite
there (or any SQLAlchemy URL given with ``--storage``); ``--resume SWEEP_DIR`` continues a
sweep that was killed, without losing or repeating a finished trial. For example::

    descentlab sweep --param optim.lr=loguniform(1e-4,1e-1) \\
        --param model.hidden=choice([32],[64,64]) --param train.batch_size=choice(16,32,64) \\
        --trials 40 --workers 2
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from typing import Any

from descentlab.cli import UsageError
from descentlab.cli.train import fresh_run_dir

#: Keys of a config file's ``[sweep]`` table, and the command-line flag each stands for.
TABLE_KEYS = ("params", "trials", "sampler", "seed", "wave", "metric", "direction", "prune")


def _base_and_table(path: str | None, overrides: list[str]) -> tuple[dict, dict]:
    from descentlab.train import config as C

    raw = C.read_toml(path) if path else {}
    table = raw.pop("sweep", {})
    if not isinstance(table, dict):
        raise C.ConfigError("sweep: expected a table [sweep]")
    unknown = sorted(set(table) - set(TABLE_KEYS))
    if unknown:
        raise C.ConfigError(f"sweep.{unknown[0]}: unknown key (allowed: {', '.join(TABLE_KEYS)})")
    return C.validate(C.apply_overrides(raw, overrides)), table


def _spec(args: argparse.Namespace):
    from descentlab.sweep import SweepSpec
    from descentlab.train.config import ConfigError

    try:
        base, table = _base_and_table(args.config, args.overrides)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    params = dict(table.get("params", {}))
    if not isinstance(params, dict):
        raise UsageError('sweep.params: expected a table of KEY = "DIST(...)"')
    texts = [f"{k}={v}" for k, v in params.items()]
    texts += args.param
    given = {k: getattr(args, k) for k in TABLE_KEYS[1:] if getattr(args, k) is not None}
    settings: dict[str, Any] = {k: table[k] for k in TABLE_KEYS[1:] if k in table}
    settings.update(given)
    settings.setdefault("seed", base["seed"])
    if settings.get("metric", "val_loss").endswith("acc"):
        settings.setdefault("direction", "maximize")
    return SweepSpec(base=base, params=texts, storage=args.storage, **settings)


def _progress(console, total: int):
    state = {"done": 0, "running": 0, "pruned": 0, "failed": 0, "best": None}

    def on_event(kind: str, info: dict[str, Any]) -> None:
        if kind == "start":
            state["running"] += 1
            return
        state["running"] -= 1
        state["done"] += 1
        state[info["state"]] = state.get(info["state"], 0) + (info["state"] != "complete")
        value = info.get("value")
        if info["state"] == "complete" and value is not None and math.isfinite(value):
            best = state["best"]
            if best is None or (value < best[0]) == (state.get("minimize", True)):
                state["best"] = (value, info["slot"])
        best = state["best"]
        best_text = f"best {best[0]:.4g} (slot {best[1]})" if best else "best -"
        what = f"{value:.4g}" if value is not None and math.isfinite(value) else "-"
        note = f" ({info['error']})" if info.get("error") else ""
        console.print(
            f"[{state['done']}/{total} done, {state['running']} running, "
            f"{state['pruned']} pruned] slot {info['slot']}: {info['state']} {what}{note} · "
            f"{best_text}",
            markup=False,
            highlight=False,
        )

    return state, on_event


def run_command(args: argparse.Namespace) -> int:
    from rich.console import Console

    from descentlab.sweep import Sweep, SweepError, make_executor
    from descentlab.sweep.report import best_table, write_plots, write_results
    from descentlab.sweep.space import ParamError

    if args.workers is not None and not 0 <= args.workers <= 256:
        raise UsageError(f"--workers: allowed 0 to 256, got {args.workers}")
    console = Console()
    try:
        if args.resume:
            sweep = Sweep.open(args.resume)
            console.print(f"resuming {args.resume}", markup=False, highlight=False)
        else:
            spec = _spec(args)
            folder = (
                Path(args.out)
                if args.out
                else fresh_run_dir(Path("runs") / f"{spec.base['name']}-sweep")
            )
            sweep = Sweep.create(spec, folder)
    except (SweepError, ParamError) as exc:
        raise UsageError(str(exc)) from None
    spec = sweep.spec
    final = sweep.final_trials()
    console.print(
        f"sweep {sweep.folder}: {sweep.total} trials ({spec.sampler}, seed {spec.seed}, "
        f"waves of {spec.wave}), objective {spec.metric} ({spec.direction}), "
        f"{'median pruning' if spec.prune else 'no pruning'}; {len(final)} already finished",
        markup=False,
        highlight=False,
    )
    workers = 2 if args.workers is None else args.workers
    executor = make_executor(workers, args.scheduler)
    try:
        console.print(f"trials run {executor.description}", markup=False, highlight=False)
        if executor.dashboard:
            console.print(f"Dask dashboard: {executor.dashboard}", markup=False, highlight=False)
        state, on_event = _progress(console, sweep.total)
        state["minimize"] = spec.direction == "minimize"
        state["done"] = len(final)
        try:
            sweep.run(executor, on_event)
        except SweepError as exc:
            raise UsageError(str(exc)) from None
    finally:
        executor.close()
    console.print(best_table(sweep))
    written = write_results(sweep)
    if not args.no_plots:
        plots, skipped = write_plots(sweep)
        written += plots
        for line in skipped:
            console.print(f"plot left out: {line}", markup=False, highlight=False)
    for path in written:
        console.print(f"wrote {path}", markup=False, highlight=False)
    best = sweep.best()
    if best is not None:
        console.print(
            f"best: slot {best['slot']} {spec.metric} {best[spec.metric]:.4g}; train it with "
            f"`descentlab train {sweep.folder / 'best.toml'}`",
            markup=False,
            highlight=False,
        )
    return 0


DESCRIPTION = (
    "Search hyperparameters with an Optuna study (TPE by default; random or grid on request) "
    "whose trials run on Dask: a local cluster of worker processes by default, or any "
    "scheduler (--scheduler tcp://HOST:8786). Hopeless trials are pruned from their "
    "per-epoch validation loss (median rule). The study is kept in SQLite in the sweep folder "
    "(or --storage URL); --resume SWEEP_DIR continues a killed sweep."
)


def register(subparsers) -> None:
    from descentlab.cli.train import add_config_arguments

    p = subparsers.add_parser(
        "sweep",
        help="hyperparameter search: an Optuna study whose trials run on Dask",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_arguments(p)
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=DIST(...)",
        help="a key to search: loguniform(a,b), uniform(a,b), int(a,b[,step]), logint(a,b), "
        "choice(v1,v2,...)",
    )
    p.add_argument("--trials", type=int, help="number of trials (default 20)")
    p.add_argument("--sampler", choices=("tpe", "random", "grid"), help="default tpe")
    p.add_argument("--seed", type=int, help="sampler seed (default: the config's seed)")
    p.add_argument(
        "--wave",
        type=int,
        help="trials proposed together (default 4); results depend on it, never on --workers",
    )
    p.add_argument("--metric", help="objective: val_loss (default), val_acc, train_loss, ...")
    p.add_argument("--direction", choices=("minimize", "maximize"))
    p.add_argument(
        "--no-prune", dest="prune", action="store_false", default=None, help="no pruning"
    )
    p.add_argument(
        "--workers",
        type=int,
        help=f"local Dask worker processes (default 2; this machine has {os.cpu_count()} "
        "cores); 0 runs trials serially in this process",
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler")
    p.add_argument("--storage", metavar="URL", help="SQLAlchemy URL of the study's database")
    p.add_argument("--out", metavar="DIR", help="the sweep folder (default runs/NAME-sweep)")
    p.add_argument("--resume", metavar="SWEEP_DIR", help="continue a sweep folder")
    p.add_argument("--no-plots", action="store_true", help="do not write the PNG plots")
    p.set_defaults(func=run_command)
