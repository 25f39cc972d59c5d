"""Page 16: Kohonen self-organising maps: a grid unfolding over 2-D data; digit prototypes."""

from __future__ import annotations

from typing import Any

import dash
import numpy as np
from dash import Input, Output, State, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute import som_map as compute

ORDER = 16
PATH = "/kohonen"
TITLE = "Kohonen map"
EXPLANATION = """
A **self-organising map** is a grid of units, each holding a prototype vector in the data's
space. For every sample it finds the **best-matching unit** (the nearest prototype) and pulls
that unit *and its grid neighbours* towards the sample, weighted by a Gaussian of their grid
distance: w ← w + lr·h·(x − w). The learning rate and the neighbourhood radius σ shrink as
training goes on, so the map first unfolds as a whole, then each unit settles on its patch.

Neighbouring units end up with similar prototypes: the grid keeps the data's topology. The
**quantisation error** is the mean distance from a sample to its best unit; the
**topographic error** the share of samples whose two best units are not grid neighbours.
On the digits, each unit's 64 weights are an 8×8 image: the map sorts the digits by looks.
The maps are trained by `descentlab.som.SOM`, which matches MiniSom's weights exactly.
"""

_P = "kohonen"


def layout() -> Any:
    return html.Div(
        [
            html.Div(
                [
                    w.control(
                        "Data",
                        dcc.RadioItems(
                            id=f"{_P}-data", options=list(compute.SHAPES), value="ring", inline=True
                        ),
                    ),
                    w.control("Map side", w.number_input(f"{_P}-side", 10, step=1)),
                    w.control("Steps", w.number_input(f"{_P}-steps", 2000, step=1)),
                    w.control("Initial σ", w.number_input(f"{_P}-sigma", 5.0)),
                    w.control("Initial lr", w.number_input(f"{_P}-lr", 0.5)),
                    w.button(f"{_P}-train", "Train", primary=True),
                ],
                className="lab-controls",
            ),
            html.Div(
                [
                    w.button(f"{_P}-play", "Play"),
                    w.control(
                        "Snapshot", w.slider(f"{_P}-frame", 0, compute.SNAPSHOTS, 1, 0), wide=True
                    ),
                    dcc.Interval(id=f"{_P}-clock", interval=150, disabled=True),
                ],
                className="lab-controls",
            ),
            html.Div(id=f"{_P}-error", className="lab-error", role="alert"),
            dcc.Store(id=f"{_P}-frames"),
            w.graph(f"{_P}-map", height=460),
            w.readout(f"{_P}-readout"),
            html.H3("The digits on an 8×8 map"),
            w.button(f"{_P}-digits-train", "Train on the digits", primary=True),
            html.Div(id=f"{_P}-digits-error", className="lab-error", role="alert"),
            html.Div(id=f"{_P}-digits-box"),  # the figure appears once the map is trained
            w.readout(f"{_P}-digits-readout"),
        ]
    )


def train(_clicks: Any, data: Any, side: Any, steps: Any, sigma: Any, lr: Any) -> tuple:
    try:
        points = compute.shape_data(data)
        m = compute.train_map(points, side, steps, sigma, lr)
    except ValueError as exc:
        return dash.no_update, dash.no_update, dash.no_update, str(exc)
    frames = {
        "data": points.round(4).tolist(),
        "weights": m.run.weights.round(4).tolist(),
        "steps": m.run.steps.tolist(),
        "lr": m.run.lr.tolist(),
        "sigma": m.run.sigma.tolist(),
        "qe": m.run.quantization_error.tolist(),
        "te": m.topographic_error,
    }
    last = len(frames["steps"]) - 1
    return frames, last, last, ""


def draw(frames: Any, frame: Any) -> tuple:
    if not isinstance(frames, dict) or "weights" not in frames:
        return dash.no_update, "Press Train to fit a map."
    last = len(frames["weights"]) - 1
    k = frame if isinstance(frame, int) and 0 <= frame <= last else last
    weights = np.array(frames["weights"][k])
    gx, gy = compute.grid_lines(weights)
    data = np.array(frames["data"])
    figure = {
        "data": [
            {
                "type": "scatter",
                "x": w.plain(data[:, 0]),
                "y": w.plain(data[:, 1]),
                "mode": "markers",
                "marker": {"size": 4, "color": "#9aa5b1"},
                "name": "data",
            },
            {
                "type": "scatter",
                "x": gx,
                "y": gy,
                "mode": "lines+markers",
                "line": {"color": "#d62728", "width": 1.5},
                "marker": {"size": 5, "color": "#d62728"},
                "name": "map units and grid links",
            },
        ],
        "layout": w.base_layout(
            title={"text": f"step {frames['steps'][k]} of {frames['steps'][-1]}"},
            xaxis=w.axis("x1", range=[-1.3, 1.3]),
            yaxis=w.axis("x2", range=[-1.3, 1.3], scaleanchor="x"),
        ),
    }
    text = (
        f"step {frames['steps'][k]}: learning rate {frames['lr'][k]:.4f}, radius σ "
        f"{frames['sigma'][k]:.3f}, quantisation error {frames['qe'][k]:.4f}\n"
        f"after training: quantisation error {frames['qe'][-1]:.4f}, topographic error "
        f"{frames['te']:.3f}"
    )
    return figure, text


def digits(_clicks: Any) -> tuple:
    m = compute.digit_map()
    side = m.labels.shape[0]
    annotations = [
        {
            "x": 8 * j + 3.5,
            "y": 8 * i + 3.5,
            "text": str(m.labels[i, j]) if m.labels[i, j] >= 0 else "",
            "showarrow": False,
            "font": {"size": 16, "color": "#e6194b"},
        }
        for i in range(side)
        for j in range(side)
    ]
    figure = {
        "data": [
            {
                "type": "heatmap",
                "z": w.plain(m.mosaic),
                "colorscale": "Greys",
                "showscale": False,
                "hoverinfo": "skip",
            }
        ],
        "layout": w.base_layout(
            title={"text": "each unit's prototype, with the digit it wins most often"},
            annotations=annotations,
            yaxis={"autorange": "reversed", "scaleanchor": "x", "showticklabels": False},
            xaxis={"showticklabels": False},
        ),
    }
    text = (
        f"quantisation error {m.quantization_error:.4f}, topographic error "
        f"{m.topographic_error:.3f} (1,797 digits, pixels scaled to [0, 1])"
    )
    return w.graph(f"{_P}-digits", height=460, figure=figure), text, ""


def register_callbacks(app: dash.Dash) -> None:
    app.callback(
        Output(f"{_P}-frames", "data"),
        Output(f"{_P}-frame", "value"),
        Output(f"{_P}-frame", "max"),
        Output(f"{_P}-error", "children"),
        Input(f"{_P}-train", "n_clicks"),
        State(f"{_P}-data", "value"),
        State(f"{_P}-side", "value"),
        State(f"{_P}-steps", "value"),
        State(f"{_P}-sigma", "value"),
        State(f"{_P}-lr", "value"),
    )(train)
    app.callback(
        Output(f"{_P}-map", "figure"),
        Output(f"{_P}-readout", "children"),
        Input(f"{_P}-frames", "data"),
        Input(f"{_P}-frame", "value"),
    )(draw)
    app.callback(
        Output(f"{_P}-digits-box", "children"),
        Output(f"{_P}-digits-readout", "children"),
        Output(f"{_P}-digits-error", "children"),
        Input(f"{_P}-digits-train", "n_clicks"),
        prevent_initial_call=True,
    )(digits)

    w.register_index_player(app, f"{_P}-play", f"{_P}-clock", f"{_P}-frame")


__all__ = ["EXPLANATION", "ORDER", "PATH", "TITLE", "layout", "register_callbacks"]
