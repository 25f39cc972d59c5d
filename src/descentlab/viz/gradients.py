"""Gradient flow: per-layer gradient norms as bars (log scale), one group per run."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from descentlab.viz._figure import new_figure, save


def plot_gradient_flow(
    norms: Mapping[str, float] | Mapping[str, Mapping[str, float]],
    path: str | Path | None = None,
    title: str | None = None,
    ylabel: str = "gradient L2 norm",
):
    """Bars of gradient norm per layer, input side on the left.

    Args:
        norms: layer -> norm, or run name -> (layer -> norm) to compare runs side by side (e.g.
            a deep sigmoid net against a deep ReLU net). Layers are shown as Layer 1, 2, ... in
            the given order when runs have different layer names.
    """
    first = next(iter(norms.values()), None)
    series = {"": norms} if not isinstance(first, Mapping) else dict(norms)
    depth = max((len(v) for v in series.values()), default=0)
    fig, ax = new_figure(size=(min(10.0, max(6.0, 0.35 * depth * max(1, len(series)) + 2)), 4.0))
    width = 0.8 / max(1, len(series))
    names = next(iter(series.values())).keys() if len(series) == 1 else None
    for i, (run, layer_norms) in enumerate(series.items()):
        vals = np.asarray(list(layer_norms.values()), dtype=np.float64)
        vals = np.where(vals > 0, vals, np.nan)
        x = np.arange(len(vals)) + (i - (len(series) - 1) / 2) * width
        ax.bar(x, vals, width=width, label=run or None)
    ax.set_xticks(np.arange(depth))
    labels = list(names) if names is not None else [f"layer {j + 1}" for j in range(depth)]
    ax.set_xticklabels(
        labels, rotation=45 if depth > 6 else 0, ha="right" if depth > 6 else "center"
    )
    ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_xlabel("layer (input -> output)")
    ax.grid(alpha=0.3, axis="y")
    if len(series) > 1:
        ax.legend()
    if title:
        ax.set_title(title)
    return save(fig, path)
