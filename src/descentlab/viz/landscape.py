"""Loss landscapes of two parameters with optimiser paths drawn on top."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from descentlab.viz._figure import new_figure, save


def plot_landscape(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray],
    paths: Mapping[str, np.ndarray] | None = None,
    xlim: tuple[float, float] = (-2.0, 2.0),
    ylim: tuple[float, float] = (-2.0, 2.0),
    path: str | Path | None = None,
    resolution: int = 200,
    levels: int = 30,
    log: bool = True,
    title: str | None = None,
    minimum: tuple[float, float] | None = None,
):
    """Contours of ``f(x, y)`` with each optimiser's trajectory.

    Args:
        f: vectorised ``f(X, Y) -> Z`` on NumPy grids (shape (R, R)).
        paths: name -> (T, 2) array of the visited points, first row the start.
        log: space the contour levels logarithmically (ravines then show their floor).
        minimum: where to draw a star for the known minimum.
    """
    xs = np.linspace(*xlim, resolution)
    ys = np.linspace(*ylim, resolution)
    X, Y = np.meshgrid(xs, ys)
    Z = np.asarray(f(X, Y), dtype=np.float64)
    fig, ax = new_figure(size=(6.4, 5.2))
    if log:
        # Contours of log10(f - min + small): a ravine's floor gets as many lines as its walls.
        Zs = np.log10(Z - Z.min() + 1e-3 * (np.ptp(Z) or 1.0))
        cs = ax.contourf(X, Y, Zs, levels=levels, cmap="viridis")
        ax.contour(X, Y, Zs, levels=levels, colors="white", linewidths=0.3, alpha=0.5)
        fig.colorbar(cs, ax=ax, label="log10(f - min f)")
    else:
        cs = ax.contourf(X, Y, Z, levels=levels, cmap="viridis")
        fig.colorbar(cs, ax=ax, label="f")
    for name, pts in (paths or {}).items():
        pts = np.asarray(pts, dtype=np.float64)
        ax.plot(pts[:, 0], pts[:, 1], ".-", markersize=3, linewidth=1.2, label=str(name))
        ax.plot(pts[0, 0], pts[0, 1], "o", color="white", markeredgecolor="k")
    if minimum is not None:
        ax.plot(*minimum, "*", color="red", markersize=12, label="minimum")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if paths or minimum is not None:
        ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title)
    return save(fig, path)
