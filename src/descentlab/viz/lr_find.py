"""The learning-rate finder's curve: smoothed loss against a log-scale lr, suggestions marked."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from descentlab.viz._figure import new_figure, save


def plot_lr_find(result, path: str | Path | None = None, title: str | None = None):
    """Plot an :class:`descentlab.train.LRFinderResult`: raw loss (faint), smoothed loss, and
    the steepest-descent and valley suggestions as vertical lines."""
    fig, ax = new_figure(size=(6.4, 4.2))
    lrs = np.asarray(result.lrs)
    ax.plot(lrs, result.raw_losses, color="lightgray", linewidth=0.8, label="loss")
    ax.plot(lrs, result.losses, linewidth=1.6, label="smoothed loss")
    if result.steepest is not None:
        ax.axvline(
            result.steepest,
            color="tab:red",
            linestyle="--",
            label=f"steepest {result.steepest:.2e}",
        )
    if result.valley is not None:
        ax.axvline(
            result.valley, color="tab:green", linestyle=":", label=f"valley {result.valley:.2e}"
        )
    ax.set_xscale("log")
    finite = np.asarray(result.losses)[np.isfinite(result.losses)]
    if finite.size:
        lo, hi = finite.min(), min(finite.max(), 4 * finite[0] if finite[0] > 0 else finite.max())
        pad = 0.05 * (hi - lo or 1.0)
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return save(fig, path)
