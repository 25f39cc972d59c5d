"""What the ``rl``, ``som`` and ``tree`` commands share: a run directory laid out as
``train``'s (config.toml, history.csv, metrics.json, PNG plots) and a live progress bar."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from descentlab.cli.train import fresh_run_dir

if TYPE_CHECKING:
    from rich.console import Console


def run_dir_for(out: str | None, name: str) -> Path:
    """``--out`` if given, else a fresh ``runs/<name>`` (``runs/<name>-2``... when taken)."""
    return Path(out) if out else fresh_run_dir(Path("runs") / name)


def write_run(
    run_dir: Path,
    config: Mapping[str, Any],
    metrics: Mapping[str, Any],
    rows: list[Mapping[str, float]] | None = None,
) -> None:
    """Write ``config.toml``, ``metrics.json`` and (with ``rows``) ``history.csv``."""
    from descentlab.train.config import dumps
    from descentlab.train.history import History

    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.toml").write_text(dumps(config))
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    if rows:
        History(rows).to_csv(run_dir / "history.csv")


def say(console: Console, text: str) -> None:
    """Print one plain line: no markup, no highlighting, no wrapping mid-line."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@contextmanager
def progress_bar(
    total: int, description: str, enabled: bool, console: Console
) -> Iterator[Callable[..., None]]:
    """A rich progress bar over ``total`` items; yields ``update(completed, text)``."""
    if not enabled:
        yield lambda completed, text="": None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[text]}"),
        console=console,
        refresh_per_second=8,
    ) as progress:
        task = progress.add_task(description, total=total, text="")

        def update(completed: int, text: str = "") -> None:
            progress.update(task, completed=completed, text=text)

        yield update
