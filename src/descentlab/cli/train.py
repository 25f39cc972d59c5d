"""``descentlab train [CONFIG.toml] [--data FILE --target COL] [--set KEY=VALUE] [--resume DIR]``.

With no config it trains the default example (an MLP 64-128-64-10 on the 8x8 digits), shows a
live progress bar, then a summary table and a diagnosis of the learning curves, and writes the
run directory (resolved config, history.csv, metrics.json, checkpoints, PNG plots).
"""

from __future__ import annotations

import argparse
import math
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from descentlab.cli import UsageError
from descentlab.registry import invalid


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
        help="override a config key, e.g. --set optim.lr=0.01 --set train.epochs=5 "
        "(every key: descentlab config)",
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


RUNS = Path("runs")


def fresh_run_dir(base: Path) -> Path:
    """``base`` if free, else ``base-2``, ``base-3``... (announced on stderr when renamed)."""
    if not base.exists():
        return base
    i = 2
    while Path(f"{base}-{i}").exists():
        i += 1
    fresh = Path(f"{base}-{i}")
    print(f"{base} exists: writing to {fresh}", file=sys.stderr)
    return fresh


def output_dir(out: str | None, name: str, create: bool = True) -> Path:
    """The directory to write: ``--out`` as given, else a fresh ``runs/<name>``; created and
    probed for writing unless ``create`` is False (train creates it once the config builds).

    ``name`` comes from a validated config (no ``/``, no leading ``.``), so the default stays
    inside runs/; ``--out`` must be a directory that can be created and written.
    """
    if out is None:
        base = RUNS / name
        if base.resolve().parent != RUNS.resolve():  # the schema's pattern already ensures it
            raise UsageError(invalid("name", "a name inside runs/", repr(name)))
        path = fresh_run_dir(base)
    else:
        if "\0" in out:
            raise UsageError(invalid("--out", "a path without NUL bytes", repr(out)))
        path = Path(out)
        if path.exists() and not path.is_dir():
            raise UsageError(invalid("--out", "a directory (new or existing)", f"{out} (a file)"))
    return writable(path, "--out" if out is not None else "run directory") if create else path


def writable(path: Path, what: str = "run directory") -> Path:
    """``path`` created if needed and probed with a file write, or a one-line UsageError."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".descentlab-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise UsageError(
            invalid(what, "a directory that can be written", f"{path} ({why})")
        ) from None
    return path


def check_resume(run_dir: Path, cfg: dict, force: bool) -> str | None:
    """Why resuming ``run_dir`` with ``cfg`` must not go on, or None.

    A changed dataset or model is refused unless ``force``; a run that has already finished
    its epochs (or stopped early) is reported, since resuming it would train nothing.
    """
    from descentlab.train.checkpoint import load_checkpoint
    from descentlab.train.config import load_config

    saved_cfg = load_config(run_dir / "config.toml")
    for sec in ("data", "model"):
        changed = [
            k
            for k in sorted({*saved_cfg[sec], *cfg[sec]})
            if saved_cfg[sec].get(k) != cfg[sec].get(k)
        ]
        if changed and not force:
            k = changed[0]
            raise UsageError(
                invalid(
                    "--resume",
                    f"the run's own [{sec}] (or --force to continue on a changed one)",
                    f"{sec}.{k} changed from {saved_cfg[sec].get(k)!r} to {cfg[sec].get(k)!r}",
                )
            )
    saved = load_checkpoint(run_dir / "checkpoints")
    if saved.stopped and saved.epoch < cfg["train"]["epochs"]:
        return (
            f"the run in {run_dir} already stopped early at epoch {saved.epoch}; nothing to resume"
        )
    if saved.epoch >= cfg["train"]["epochs"]:
        return (
            f"the run in {run_dir} already finished its {saved.epoch} epochs; nothing to resume "
            f"(to train on, raise train.epochs: --set train.epochs={saved.epoch + 10})"
        )
    return None


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


def data_overrides(args: argparse.Namespace) -> list[str]:
    """``--data FILE --target COL [--task T]`` as config overrides (data.path ...)."""
    if args.data is None:
        if args.target is not None or args.task is not None:
            raise UsageError(invalid("--target/--task", "--data FILE with them", "no --data"))
        return []
    out = ["data.name=file", f"data.path={_toml_string(str(Path(args.data).resolve()))}"]
    if args.target is not None:
        out.append(f"data.target={_toml_string(args.target)}")
    if args.task is not None:
        out.append(f"data.task={args.task}")
    return out


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_command(args: argparse.Namespace) -> int:
    import warnings

    from rich.console import Console

    from descentlab import tune_malloc
    from descentlab.train.callbacks import DivergenceWarning
    from descentlab.train.experiment import run

    tune_malloc()  # freed arrays stay in the process: the next step reuses them
    console = Console()
    overrides = [*args.overrides, *data_overrides(args)]
    if args.resume:
        run_dir = Path(args.resume)
        if not (run_dir / "config.toml").is_file():
            raise UsageError(
                invalid("--resume", "a run directory holding config.toml", str(run_dir))
            )
        if args.config:
            raise UsageError(invalid("--resume", "the run directory alone", "a config file too"))
        cfg = load_cli_config(str(run_dir / "config.toml"), overrides)
        with user_errors():
            finished = check_resume(run_dir, cfg, args.force)
        if finished:
            console.print(finished, markup=False, highlight=False)
            return 0
    else:
        cfg = load_cli_config(args.config, overrides)
        run_dir = output_dir(args.out, cfg["name"], create=False)
    progress = cfg["train"]["progress"] and not args.no_progress
    with user_errors(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)  # the summary says it, in one line
        try:
            result = run(cfg, run_dir, resume=bool(args.resume), progress=progress, console=console)
        except OSError as exc:  # the run directory cannot be created or written
            why = exc.strerror or type(exc).__name__
            what = "--out" if args.out else "run directory"
            raise UsageError(
                invalid(what, "a directory that can be written", f"{run_dir} ({why})")
            ) from None
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
    p.add_argument(
        "--data", metavar="FILE", help="train on your own file: CSV/TSV with a header, .npy/.npz"
    )
    p.add_argument("--target", metavar="COLUMN", help="with --data: the column to predict")
    from descentlab import registry

    p.add_argument(
        "--task",
        choices=registry.datasets.params("file")["task"].choice_names(),
        type=str.lower,
        help="with --data: the task (default auto: inferred from the target)",
    )
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR")
    p.add_argument(
        "--force", action="store_true", help="with --resume: allow a changed [data] or [model]"
    )
    p.add_argument("--out", metavar="RUN_DIR", help="run directory (default: runs/<name>)")
    p.add_argument("--no-progress", action="store_true", help="no live progress bar")
    p.set_defaults(func=run_command)
