"""Learning curves: loss and accuracy per epoch, the best epoch marked; runs overlaid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from descentlab.viz._figure import new_figure, save


def plot_history(history, path: str | Path | None = None, title: str | None = None):
    """Train/validation loss (left), accuracy (middle, when recorded) and lr (right, when it
    changes) against the epoch; a dotted line marks the best validation-loss epoch.

    Args:
        history: a :class:`descentlab.train.History`.
        path: PNG file to write (None: only return the figure).

    Returns:
        The matplotlib Figure.
    """
    epochs = history.array("epoch") if "epoch" in history else np.arange(1, len(history) + 1)
    has_acc = "train_acc" in history or "val_acc" in history
    has_lr = "lr" in history and np.ptp(history.array("lr")) > 0
    n = 1 + has_acc + has_lr
    fig, axes = new_figure(1, n, size=(5.0 * n, 3.8))
    axes = np.atleast_1d(axes)
    best = history.best_epoch("val_loss") if "val_loss" in history else None

    def panel(ax, keys: Sequence[str], ylabel: str, log: bool = False) -> None:
        for key, style in zip(keys, ("-", "--")):
            if key in history:
                ax.plot(epochs, history.array(key), style, marker=".", label=key)
        if best is not None:
            ax.axvline(best, color="grey", linestyle=":", label=f"best epoch {best}")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(_int_locator())
        ax.set_ylabel(ylabel)
        if log:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()

    loss = history.array("train_loss")
    log_loss = bool(np.all(loss[np.isfinite(loss)] > 0)) and np.nanmax(loss) > 10 * np.nanmin(loss)
    panel(axes[0], ("train_loss", "val_loss"), "loss", log=log_loss)
    if has_acc:
        panel(axes[1], ("train_acc", "val_acc"), "accuracy")
    if has_lr:
        ax = axes[-1]
        ax.plot(epochs, history.array("lr"), marker=".")
        ax.set_xlabel("epoch")
        ax.set_ylabel("learning rate")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return save(fig, path)


def plot_compare(
    histories: Mapping[str, object],
    path: str | Path | None = None,
    metrics: Sequence[str] = ("train_loss", "val_acc"),
    title: str | None = None,
):
    """Overlay several runs: one panel per metric, one line per run (e.g. per optimiser)."""
    metrics = [m for m in metrics if any(m in h for h in histories.values())]
    fig, axes = new_figure(1, max(1, len(metrics)), size=(5.2 * max(1, len(metrics)), 3.8))
    axes = np.atleast_1d(axes)
    for ax, metric in zip(axes, metrics):
        for name, h in histories.items():
            if metric in h:
                ax.plot(h.array("epoch"), h.array(metric), marker=".", label=str(name))
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(_int_locator())
        ax.set_ylabel(metric)
        if "loss" in metric:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return save(fig, path)


def _int_locator():
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)
