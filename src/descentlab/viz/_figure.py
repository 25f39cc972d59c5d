"""One place that touches matplotlib's backend: figures are drawn with the Agg canvas.

Figures are built with the object API (``matplotlib.figure.Figure``), never pyplot, so no global
state is shared between calls or threads (the lab draws from a server).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def new_figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (6.4, 4.8), **kw: Any):
    """A Figure on an Agg canvas and its axes (a single Axes when nrows == ncols == 1)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=True, **kw)
    return fig, axes


def save(fig, path: str | Path | None, dpi: int = 100):
    """Write ``fig`` as PNG when ``path`` is given (parents created); returns ``fig``."""
    if path is not None:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(p, dpi=dpi, format="png")
    return fig
