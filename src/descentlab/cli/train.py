"""``descentlab train [CONFIG.toml] [--set key=value ...] [--resume RUN_DIR]``.

With no config it trains the default example (an MLP 64-128-64-10 on the 8x8 digits), shows a
live progress bar, then a summary table and a diagnosis of the learning curves, and writes the
run directory (resolved config, history.csv, metrics.json, checkpoints, PNG plots).
"""

from __future__ import annotations

import argparse
import math
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from descentlab.cli import UsageError


def add_config_arguments(p: argparse.ArgumentParser, config_required: bool = False) -> None:
    """The CONFIG positional and repeated ``--set key=value`` shared by train/lr-find/compare."""
    p.add_argument(
        "config",
        nargs=None if config_required else "?",
        metavar="CONFIG.toml",
        help="experiment config (TOML); default: the digits MLP example",
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key, e.g. --set optim.lr=0.01 --set train.epochs=5",
    )


def load_cli_config(path: str | None, overrides: list[str], extra: list[str] = ()) -> dict:
    """load_config with config mistakes turned into one-line usage errors."""
    from descentlab.train.config import ConfigError, load_config

    try:
        return load_config(path, [*overrides, *extra])
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


@contextmanager
def user_errors():
    """Config and checkpoint mistakes found while building or resuming become usage errors."""
    from descentlab.train.checkpoint import CheckpointError
    from descentlab.train.config import ConfigError

    try:
        yield
    except (ConfigError, CheckpointError) as exc:
        raise UsageError(str(exc)) from None


def fresh_run_dir(base: Path) -> Path:
    """``base`` if free, else ``base-2``, ``base-3``..."""
    if not base.exists():
        return base
    i = 2
    while Path(f"{base}-{i}").exists():
        i += 1
    return Path(f"{base}-{i}")


def _fmt(v: Any, pct: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.2%}" if pct else f"{v:.4f}"


def print_summary(result, console) -> None:
    """The summary table, the diagnosis and where the files are."""
    from rich.table import Table

    m = result.metrics
    table = Table(title=f"{result.experiment.config['name']}: results", title_justify="left")
    table.add_column("")
    parts = [p for p in ("train", "val", "test") if p in m]
    for p in parts:
        table.add_column(p, justify="right")
    table.add_row("loss", *[_fmt(m[p]["loss"]) for p in parts])
    table.add_row("accuracy", *[_fmt(m[p]["acc"], pct=True) for p in parts])
    console.print(table)
    h = result.history
    per_epoch = m["timing"]["seconds_per_epoch"]
    info = [
        f"epochs run: {m['epochs_run']}",
        f"best epoch: {m['best_epoch']}",
        f"time per epoch: {per_epoch * 1000:.1f} ms" if per_epoch else "",
        f"wall time: {m['timing']['wall_seconds']:.1f} s",
    ]
    if "clip_fraction" in h:
        clipped = sum(r.get("clip_fraction", 0.0) for r in h.rows) / len(h.rows)
        info.append(f"steps clipped: {clipped:.0%}")
    console.print("  ".join(i for i in info if i))
    if h.stop_reason:
        console.print(f"stopped: {h.stop_reason}", markup=False)
    d = result.diagnosis
    style = {"diverging": "red", "overfitting": "yellow", "underfitting": "yellow"}.get(
        d.status, "green"
    )
    console.print(f"[bold {style}]diagnosis: {d.status}[/] - {d.explanation}", highlight=False)
    console.print(f"suggestion: {d.suggestion}", markup=False, highlight=False)
    if result.run_dir is not None:
        console.print(f"run directory: {result.run_dir}", markup=False, highlight=False)


def run_command(args: argparse.Namespace) -> int:
    from rich.console import Console

    from descentlab import tune_malloc
    from descentlab.train.experiment import run

    tune_malloc()  # freed arrays stay in the process: the next step reuses them
    console = Console()
    if args.resume:
        run_dir = Path(args.resume)
        if not (run_dir / "config.toml").is_file():
            raise UsageError(f"--resume: no run in {run_dir} (expected {run_dir}/config.toml)")
        if args.config:
            raise UsageError("--resume: give the run directory only, not a config file")
        cfg = load_cli_config(str(run_dir / "config.toml"), args.overrides)
    else:
        cfg = load_cli_config(args.config, args.overrides)
        run_dir = Path(args.out) if args.out else fresh_run_dir(Path("runs") / cfg["name"])
    progress = cfg["train"]["progress"] and not args.no_progress
    with user_errors():
        result = run(cfg, run_dir, resume=bool(args.resume), progress=progress, console=console)
    if cfg["train"]["plots"]:
        from descentlab.viz.run_plots import write_plots

        result.plots = write_plots(result.experiment, result.history, run_dir)
    print_summary(result, console)
    return 0


DESCRIPTION = (
    "Train a model from a TOML config (default: an MLP 64-128-64-10 on the 8x8 digits), show "
    "a live progress bar, a results table and a diagnosis, and write the run directory: "
    "resolved config, history.csv, metrics.json, checkpoints and PNG plots."
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a model from a TOML config (default: an MLP on the 8x8 digits)",
        description=DESCRIPTION,
    )
    add_config_arguments(p)
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR")
    p.add_argument("--out", metavar="RUN_DIR", help="run directory (default: runs/<name>)")
    p.add_argument("--no-progress", action="store_true", help="no live progress bar")
    p.set_defaults(func=run_command)
