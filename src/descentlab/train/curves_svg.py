"""A History's loss curves as a small SVG, for Jupyter's inline display of ``History``.

``train/`` sits below ``viz/`` (matplotlib), so the notebook's inline curves are drawn here as
plain SVG text; the PNGs of a run directory come from :mod:`descentlab.viz`.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

__all__ = ["loss_curves_svg"]

WIDTH, HEIGHT, PAD = 480, 260, 44
COLOURS = {"train_loss": "#1f77b4", "val_loss": "#ff7f0e"}


def loss_curves_svg(epochs: list[float], columns: dict[str, list[float]]) -> str:
    """``train_loss`` / ``val_loss`` against the epoch, on a linear scale, as SVG text.

    Args:
        epochs: the x values, one per row.
        columns: name -> values (NaN where a row has none); drawn in :data:`COLOURS`.
    """
    finite = [v for vals in columns.values() for v in vals if math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if hi == lo:
        hi = lo + 1.0
    x0, x1 = (epochs[0], epochs[-1]) if epochs and epochs[-1] > epochs[0] else (0.0, 1.0)

    def xy(e: float, v: float) -> str:
        x = PAD + (e - x0) / (x1 - x0) * (WIDTH - 2 * PAD)
        y = HEIGHT - PAD - (v - lo) / (hi - lo) * (HEIGHT - 2 * PAD)
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'font-family="sans-serif" font-size="11">',
        f'<rect x="{PAD}" y="{PAD}" width="{WIDTH - 2 * PAD}" height="{HEIGHT - 2 * PAD}" '
        'fill="none" stroke="#999"/>',
        f'<text x="{PAD - 4}" y="{PAD + 4}" text-anchor="end">{hi:.3g}</text>',
        f'<text x="{PAD - 4}" y="{HEIGHT - PAD}" text-anchor="end">{lo:.3g}</text>',
        f'<text x="{PAD}" y="{HEIGHT - PAD + 14}">{x0:g}</text>',
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - PAD + 14}" text-anchor="end">epoch {x1:g}</text>',
    ]
    for k, (name, values) in enumerate(columns.items()):
        points = " ".join(xy(e, v) for e, v in zip(epochs, values) if math.isfinite(v))
        colour = COLOURS.get(name, "#2ca02c")
        parts.append(
            f'<polyline data-column="{escape(name)}" points="{points}" fill="none" '
            f'stroke="{colour}" stroke-width="1.6"/>'
        )
        parts.append(
            f'<text x="{WIDTH - PAD - 4}" y="{PAD + 14 + 14 * k}" text-anchor="end" '
            f'fill="{colour}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
