"""Page 15: activation functions, their derivatives, saturation and dying ReLU units."""

from __future__ import annotations

from typing import Any

import dash
import numpy as np
from dash import Input, Output, State, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute import activations as compute
from descentlab.lab.compute import bounds

ORDER = 15
PATH = "/activations"
TITLE = "Activations"
EXPLANATION = """
Without a non-linearity between them, stacked layers collapse into one linear map. The
**derivative** of the activation decides how much gradient flows back through each unit.

**Sigmoid** and **tanh** *saturate*: for large |x| their curves flatten and their derivatives
vanish (the sigmoid's is at most 1/4), so deep stacks of them pass back little gradient.
**ReLU** (max(0, x)) has derivative 1 wherever the unit is active, which is why it trains deep
networks well, and 0 wherever it is not. A unit whose input is negative for *every* example
gets no gradient at all and can never recover: a **dead** unit. A learning rate that is too
large kills many at once (lower plots). **Leaky ReLU** keeps a small slope (0.01) for x < 0, so
its units always get some gradient; **GELU**, x·Φ(x), is a smooth ReLU used by transformers.

Every derivative here is computed by descentlab's `backward()`, not written by hand.
"""

_P = "activations"


def layout() -> Any:
    return html.Div(
        [
            html.Div(
                [
                    w.control(
                        "Show",
                        dcc.Checklist(
                            id=f"{_P}-shown",
                            options=list(compute.SHOWN),
                            value=["sigmoid", "tanh", "relu"],
                            inline=True,
                        ),
                        wide=True,
                    ),
                    w.control("Read at x", w.number_input(f"{_P}-x", 2.0)),
                ],
                className="lab-controls",
            ),
            html.Div(id=f"{_P}-error", className="lab-error", role="alert"),
            html.Div(
                [w.graph(f"{_P}-values", height=340), w.graph(f"{_P}-derivatives", height=340)],
                style={"display": "grid", "gridTemplateColumns": "1fr 1fr", "gap": "8px"},
            ),
            w.readout(f"{_P}-readout"),
            html.H3("Dying ReLU: the same network with ReLU and with Leaky ReLU"),
            html.Div(
                [
                    w.control("Learning rate (SGD)", w.number_input(f"{_P}-lr", 4.0)),
                    w.control("Epochs", w.number_input(f"{_P}-epochs", 20, step=1)),
                    w.button(f"{_P}-train", "Train both", primary=True),
                ],
                className="lab-controls",
            ),
            html.Div(id=f"{_P}-dead-error", className="lab-error", role="alert"),
            w.graph(f"{_P}-dead", height=340),
            w.readout(f"{_P}-dead-readout"),
        ]
    )


def render_curves(shown: Any, x0: Any) -> tuple:
    if not isinstance(shown, list) or not all(isinstance(n, str) for n in shown):
        return dash.no_update, dash.no_update, dash.no_update, "Pick activations to show."
    try:
        curves = [compute.curve(name) for name in shown]
        x0 = bounds.number(x0, "x", -compute.X_LIMIT, compute.X_LIMIT)
    except ValueError as exc:
        return dash.no_update, dash.no_update, dash.no_update, str(exc)
    figures = []
    for what in ("value", "derivative"):
        data = [
            {
                "type": "scatter",
                "x": w.plain(c.x),
                "y": w.plain(getattr(c, what)),
                "mode": "lines",
                "name": c.name,
                "line": {"color": w.SERIES_COLORS[compute.SHOWN.index(c.name)], "width": 2.5},
            }
            for c in curves
        ]
        title = "a(x)" if what == "value" else "a'(x), from backward()"
        figures.append(
            {
                "data": data,
                "layout": w.base_layout(
                    title={"text": title},
                    xaxis=w.axis("x"),
                    shapes=[
                        {
                            "type": "line",
                            "x0": x0,
                            "x1": x0,
                            "yref": "paper",
                            "y0": 0,
                            "y1": 1,
                            "line": {"dash": "dot", "color": "#555"},
                        }
                    ],
                ),
            }
        )
    lines = [f"at x = {x0:g}:"]
    for c in curves:
        value = float(np.interp(x0, c.x, c.value))
        lines.append(
            f"  {c.name:<11} a = {value:9.5f}   a' = {c.derivative_at(x0):9.5f}   "
            f"largest a' on [-6, 6] = {c.max_derivative:.4f}"
        )
    return figures[0], figures[1], "\n".join(lines), ""


def render_dead(_clicks: Any, lr: Any, epochs: Any) -> tuple:
    try:
        runs = [compute.dead_units(a, lr=lr, epochs=epochs) for a in ("relu", "leaky_relu")]
    except ValueError as exc:
        return dash.no_update, dash.no_update, str(exc)
    data = []
    for r, color in zip(runs, ("#d62728", "#1f77b4"), strict=True):
        data.append(
            {
                "type": "scatter",
                "x": r.epochs,
                "y": r.no_gradient,
                "mode": "lines+markers",
                "name": f"{r.activation}: units with no gradient",
                "line": {"color": color, "width": 2.5},
            }
        )
        data.append(
            {
                "type": "scatter",
                "x": r.epochs,
                "y": r.inactive,
                "mode": "lines",
                "name": f"{r.activation}: units inactive on every example",
                "line": {"color": color, "dash": "dot"},
            }
        )
    figure = {
        "data": data,
        "layout": w.base_layout(
            title={"text": f"32 hidden units, moons, SGD lr {runs[0].lr:g}"},
            xaxis=w.axis("epoch"),
            yaxis=w.axis("units", rangemode="tozero"),
        ),
    }
    relu, leaky = runs
    text = (
        f"ReLU: {relu.no_gradient[-1]} of {relu.units} units got no gradient in the last epoch "
        f"(dead), accuracy {relu.final_accuracy:.1%}\n"
        f"Leaky ReLU: {leaky.no_gradient[-1]} of {leaky.units} units got no gradient "
        f"({leaky.inactive[-1]} inactive, still learning through the 0.01 slope), "
        f"accuracy {leaky.final_accuracy:.1%}"
    )
    return figure, text, ""


def register_callbacks(app: dash.Dash) -> None:
    app.callback(
        Output(f"{_P}-values", "figure"),
        Output(f"{_P}-derivatives", "figure"),
        Output(f"{_P}-readout", "children"),
        Output(f"{_P}-error", "children"),
        Input(f"{_P}-shown", "value"),
        Input(f"{_P}-x", "value"),
    )(render_curves)
    app.callback(
        Output(f"{_P}-dead", "figure"),
        Output(f"{_P}-dead-readout", "children"),
        Output(f"{_P}-dead-error", "children"),
        Input(f"{_P}-train", "n_clicks"),
        State(f"{_P}-lr", "value"),
        State(f"{_P}-epochs", "value"),
    )(render_dead)


__all__ = ["EXPLANATION", "ORDER", "PATH", "TITLE", "layout", "register_callbacks"]
