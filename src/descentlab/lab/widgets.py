"""Small building blocks shared by the lab's pages: labelled controls, graphs, figure pieces.

Figures are plain dicts (``{"data": [...], "layout": {...}}``) rather than ``go.Figure``:
they need no validation pass on every request, and small arrays travel as lists. Large grids
(contour ``z``) travel as Plotly's base64 typed arrays, which plotly.js decodes.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from dash import dcc, html

COLORS = {
    "path": "#ff7f0e",
    "point": "#ffffff",
    "tangent": "#ff7f0e",
    "secant": "#17a2a2",
    "curve": "#1d4f80",
    "minimum": "#e6194b",
}
# One colour per optimiser (and per batch size on the batch page), fixed so that a line keeps
# its colour when others are switched off.
SERIES_COLORS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
]


def plain(values: Any) -> Any:
    """A NumPy array (or scalar) as JSON-ready lists of floats, with NaN/inf as None."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        x = float(arr)
        return x if math.isfinite(x) else None
    out = arr.astype(object)
    out[~np.isfinite(arr)] = None
    return out.tolist()


def typed(values: np.ndarray) -> dict[str, str]:
    """A 1-D or 2-D array as Plotly's base64 typed-array spec (float32)."""
    arr = np.ascontiguousarray(values, dtype="<f4")
    spec = {"dtype": "f4", "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
    if arr.ndim == 2:
        spec["shape"] = f"{arr.shape[0]}, {arr.shape[1]}"
    return spec


def control(label: str, component: Any, wide: bool = False, label_id: str | None = None) -> Any:
    """A labelled control; ``label_id`` lets a callback rewrite the label (e.g. a value)."""
    kwargs = {"id": label_id} if label_id else {}
    return html.Div(
        [html.Label(label, **kwargs), component],
        className="lab-control" + (" lab-control-wide" if wide else ""),
    )


def slider(
    component_id: str,
    low: float,
    high: float,
    step: float,
    value: float,
    marks: dict[float, str] | None = None,
    direct_input: bool = False,
) -> dcc.Slider:
    """A Dash 4 slider that reports its value on every move (keyboard or drag)."""
    return dcc.Slider(
        id=component_id,
        min=low,
        max=high,
        step=step,
        value=value,
        marks=marks,
        updatemode="drag",
        allow_direct_input=direct_input,
    )


def number_input(component_id: str, value: float, step: float | str = "any") -> dcc.Input:
    return dcc.Input(id=component_id, type="number", value=value, step=step, debounce=True)


def button(component_id: str, text: str, primary: bool = False) -> html.Button:
    return html.Button(
        text,
        id=component_id,
        n_clicks=0,
        className="lab-button" + (" lab-button-primary" if primary else ""),
    )


def graph(component_id: str, height: int = 480, figure: dict | None = None) -> dcc.Graph:
    return dcc.Graph(
        id=component_id,
        figure=figure or {"data": [], "layout": base_layout()},
        style={"height": f"{height}px"},
        config={"displaylogo": False, "scrollZoom": False},
    )


def base_layout(**overrides: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "margin": {"l": 55, "r": 20, "t": 40, "b": 45},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {"size": 12},
        "legend": {"orientation": "h", "y": -0.18},
        "uirevision": "keep",
    }
    layout.update(overrides)
    return layout


def axis(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": title}, "gridcolor": "#e5e9f0", "zeroline": False, **extra}


def contour_trace(
    xs: np.ndarray, ys: np.ndarray, z: np.ndarray, log_scale: bool, **extra: Any
) -> dict[str, Any]:
    """A filled contour of ``z[i, j] = f(xs[j], ys[i])``; on ``log10(1 + z - min z)`` when
    ``log_scale`` (steep walls would otherwise leave the floor a single colour)."""
    shown = np.log10(1.0 + z - np.nanmin(z)) if log_scale else z
    return {
        "type": "contour",
        "x": plain(xs),
        "y": plain(ys),
        "z": typed(shown),
        "colorscale": "Viridis",
        "ncontours": 28,
        "line": {"width": 0.5, "color": "rgba(255,255,255,0.35)"},
        "showscale": False,
        "hovertemplate": "x=%{x:.3f}<br>y=%{y:.3f}<extra></extra>",
        "name": "surface",
        **extra,
    }


def minima_trace(minima: Sequence[Sequence[float]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "scatter",
        "x": [m[0] for m in minima],
        "y": [m[1] for m in minima],
        "mode": "markers",
        "marker": {"symbol": "star", "size": 13, "color": COLORS["minimum"]},
        "name": "minimum",
        "hoverinfo": "skip",
        **extra,
    }


def readout(component_id: str) -> html.Pre:
    return html.Pre(id=component_id, className="lab-readout")


def fmt(x: float | None, digits: int = 5) -> str:
    """A number for a readout: fixed for moderate sizes, scientific otherwise."""
    if x is None or not math.isfinite(x):
        return "—" if x is None else str(x)
    if x == 0 or 1e-3 <= abs(x) < 1e5:
        return f"{x:.{digits}g}"
    return f"{x:.{max(digits - 2, 2)}e}"
