"""The 2-D surfaces the lab's pages descend: a registered name, or any formula in ``x`` and
``y`` written in the safe grammar of :func:`descentlab.graph.parse` (004's ``x**2 + 2*y**2``),
and the view window that fits a run.

A formula becomes a :class:`descentlab.landscapes.Surface` whose ``fn`` builds the parsed
expression from the Tensors it is given, so a grid and a descent both run through the engine
like any registered surface; its minimum is unknown (``min_value=None``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from descentlab import graph, landscapes
from descentlab.lab.compute import bounds

MAX_FORMULA = 200  # characters
FORMULA_WINDOW = (-3.0, 3.0, -3.0, 3.0)
MARGIN = 1.15  # a fitted window leaves 15% beyond the farthest point
MAX_EXTENT = 1e4  # a window never reaches beyond this


def surface_options() -> list[dict[str, str]]:
    """Dropdown options: one per registered surface, labelled with its formula."""
    return [
        {"label": f"{s.title}: {s.formula}" if s.name != "ravine" else s.title, "value": s.name}
        for s in landscapes.SURFACES.values()
    ]


@functools.lru_cache(maxsize=64)
def _formula_surface(text: str) -> landscapes.Surface:
    names = graph.variable_names(text)
    unknown = [n for n in names if n not in ("x", "y")]
    if unknown:
        raise ValueError(
            f"The surface may use the variables x and y only (received {unknown[0]!r})."
        )

    def fn(x: Any, y: Any) -> Any:
        # + 0*x + 0*y: both coordinates reach the output (a gradient for each, full grid)
        return graph.parse(text, x=x, y=y).output + 0 * x + 0 * y

    return landscapes.Surface(
        name=text,
        title=text,
        formula=text,
        fn=fn,
        window=FORMULA_WINDOW,
        start=(2.5, -2.0),
        minima=(),
        min_value=None,
        lr=0.1,
    )


def check_surface(name: Any) -> landscapes.Surface:
    """A registered surface by name, or the surface of a formula in ``x`` and ``y``.

    Raises ``ValueError`` with one sentence (the grammar's own message, with its column, for
    a formula it cannot read)."""
    if isinstance(name, str) and name in landscapes.SURFACES:
        return landscapes.get_surface(name)
    if not isinstance(name, str) or not name.strip():
        raise ValueError(
            f"The surface must be one of {', '.join(landscapes.SURFACES)} or a formula in x "
            f"and y such as x**2 + 2*y**2 (received {bounds.show(name)})."
        )
    text = name.strip()
    if len(text) > MAX_FORMULA:
        raise ValueError(
            f"The surface formula may be at most {MAX_FORMULA} characters long "
            f"(received {len(text)})."
        )
    try:
        surface = _formula_surface(text)
    except graph.ExpressionError as exc:
        raise ValueError(f"The surface formula {text!r} cannot be read: {exc}.") from None
    return surface


def fit_window(
    window: Sequence[float], points: Iterable[Sequence[float]]
) -> tuple[float, float, float, float]:
    """``window = (x0, x1, y0, y1)`` widened about its centre, each axis on its own, until it
    holds every finite point with a 15% margin (and at most :data:`MAX_EXTENT` out)."""
    x0, x1, y0, y1 = (float(v) for v in window)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hx, hy = (x1 - x0) / 2, (y1 - y0) / 2
    for p in points:
        px, py = float(p[0]), float(p[1])
        if np.isfinite(px) and abs(px) <= MAX_EXTENT:
            hx = max(hx, MARGIN * abs(px - cx))
        if np.isfinite(py) and abs(py) <= MAX_EXTENT:
            hy = max(hy, MARGIN * abs(py - cy))
    return (cx - hx, cx + hx, cy - hy, cy + hy)
