"""Figures for the course's other algorithms: episode returns, a grid world's Q-values and
greedy policy, a Kohonen map's prototypes and a tree's decision regions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from descentlab.viz._figure import new_figure, save

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from descentlab.tree import DecisionTreeClassifier


def plot_returns(
    returns: np.ndarray,
    moving_average: np.ndarray | None = None,
    path: str | Path | None = None,
    title: str | None = None,
    target: float | None = None,
) -> Figure:
    """Return per episode (dots), its moving average (line) and an optional target line."""
    fig, ax = new_figure(size=(7.0, 3.8))
    episodes = np.arange(1, len(returns) + 1)
    ax.plot(episodes, returns, ".", ms=2, alpha=0.4, label="return")
    if moving_average is not None:
        ax.plot(episodes, moving_average, lw=2, label="moving average")
    if target is not None:
        ax.axhline(target, color="grey", ls=":", label=f"target {target:g}")
    ax.set_xlabel("episode")
    ax.set_ylabel("return")
    ax.legend(loc="best")
    ax.set_title(title or "returns")
    return save(fig, path)


def plot_q_grid(
    Q: np.ndarray,
    layout: list[str],
    arrows: str,
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """A grid world coloured by ``max_a Q(s, a)``, with the greedy action as an arrow and the
    map's letters (S start, G goal, H hole, C cliff) on their cells."""
    rows, cols = len(layout), len(layout[0])
    fig, ax = new_figure(size=(0.7 * cols + 1.5, 0.7 * rows + 0.8))
    values = Q.max(axis=1).reshape(rows, cols).astype(float)
    special = np.array([[ch in "GHC" for ch in line] for line in layout])
    values[special] = np.nan  # never left, never learned: drawn blank with their letter
    im = ax.imshow(values, cmap="viridis")
    fig.colorbar(im, ax=ax, label="max Q")
    policy = Q.argmax(axis=1).reshape(rows, cols)
    for r in range(rows):
        for c in range(cols):
            text = layout[r][c] if special[r, c] else arrows[policy[r, c]]
            colour = "black" if special[r, c] else "white"
            ax.text(c, r, text, ha="center", va="center", color=colour, fontsize=11)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or "Q-values and greedy policy")
    return save(fig, path)


def plot_prototypes(
    weights: np.ndarray,
    image_shape: tuple[int, int],
    labels: np.ndarray | None = None,
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Each unit of a map (rows, cols, h * w) drawn as an h x w image, with its label."""
    rows, cols, _ = weights.shape
    fig, axes = new_figure(rows, cols, size=(0.8 * cols, 0.8 * rows + 0.4))
    axes = np.asarray(axes).reshape(rows, cols)
    for r in range(rows):
        for c in range(cols):
            ax = axes[r, c]
            ax.imshow(weights[r, c].reshape(image_shape), cmap="gray_r")
            ax.set_xticks([])
            ax.set_yticks([])
            if labels is not None and labels[r, c] >= 0:
                ax.set_title(str(labels[r, c]), fontsize=7, pad=1)
    fig.suptitle(title or "prototypes")
    return save(fig, path)


def plot_tree_regions(
    tree: DecisionTreeClassifier,
    X: np.ndarray,
    y: np.ndarray,
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """A fitted 2-feature tree's predicted class over the plane, and the data."""
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], 300), np.linspace(lo[1], hi[1], 300))
    cls = tree.predict(np.stack([xx.ravel(), yy.ravel()], axis=1)).reshape(xx.shape)
    fig, ax = new_figure(size=(5.0, 4.2))
    ax.contourf(xx, yy, cls, alpha=0.3, cmap="coolwarm")
    ax.scatter(X[:, 0], X[:, 1], c=y, s=10, cmap="coolwarm", edgecolors="k", linewidths=0.3)
    ax.set_title(title or "decision regions")
    return save(fig, path)
