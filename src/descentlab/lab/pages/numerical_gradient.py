"""Page 2: the numerical gradient of a 1-D loss, next to its tangent."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute import numerical_gradient as compute

ORDER = 2
PATH = "/numerical-gradient"
TITLE = "Numerical gradient"
EXPLANATION = """
The slope of the loss at `w` says which way is downhill: a positive slope means decreasing
`w` lowers the loss, a negative one means increasing it does. Without calculus, the slope
can be measured: evaluate the loss a little to each side and divide the rise by the run,

`(L(w + h) − L(w − h)) / 2h`, the **centred difference**.

The orange line is the tangent, with the exact slope that descentlab's `backward()` computes;
the teal line joins the two probes at `w ± h`. For a small `h` the two lines agree. Each probe
costs one evaluation of the loss, so a model with a million weights would need two million
evaluations for one gradient: that is why training uses backpropagation, and keeps the
numerical gradient for checking it.
"""


ADDRESS = (
    w.Field("loss", "numerical-gradient-loss", kind="text"),
    w.Field("w", "numerical-gradient-w"),
    w.Field("h", "numerical-gradient-h"),
)


def layout() -> Any:
    return html.Div(
        [
            html.Div(
                [
                    w.control(
                        "Loss",
                        dcc.Dropdown(
                            id="numerical-gradient-loss",
                            options=compute.loss_options(),
                            value="square",
                            clearable=False,
                            style={"width": "17rem"},
                        ),
                    ),
                    w.control(
                        "w",
                        w.slider_box("numerical-gradient-w", -3.0, 3.0, 0.05, 2.0),
                        wide=True,
                        label_id="numerical-gradient-w-label",
                    ),
                    w.control(
                        "Step h",
                        w.number_input("numerical-gradient-h", 0.3),
                        label_id="numerical-gradient-h-label",
                    ),
                ],
                className="lab-controls",
            ),
            html.Div(id="numerical-gradient-error"),
            w.graph("numerical-gradient-graph", height=460),
            w.readout("numerical-gradient-readout"),
        ]
    )


def figure(view: dict[str, Any], title: str) -> dict[str, Any]:
    values = view["values"]
    low, high = float(values.min()), float(values.max())
    pad = 0.08 * (high - low or 1.0)
    (t0, t1), (s0, s1) = view["tangent"], view["secant"]
    return {
        "data": [
            {
                "type": "scatter",
                "x": w.plain(view["ws"]),
                "y": w.plain(values),
                "mode": "lines",
                "line": {"color": w.COLORS["curve"], "width": 2.5},
                "name": "L(w)",
            },
            {
                "type": "scatter",
                "x": [t0[0], t1[0]],
                "y": [t0[1], t1[1]],
                "mode": "lines",
                "line": {"color": w.COLORS["tangent"], "width": 3},
                "name": "tangent (backward)",
            },
            {
                "type": "scatter",
                "x": [s0[0], s1[0]],
                "y": [s0[1], s1[1]],
                "mode": "lines",
                "line": {"color": w.COLORS["secant"], "width": 2, "dash": "dash"},
                "name": "centred difference",
            },
            {
                "type": "scatter",
                "x": [view["minus"][0], view["plus"][0]],
                "y": [view["minus"][1], view["plus"][1]],
                "mode": "markers",
                "marker": {"color": w.COLORS["secant"], "size": 9, "symbol": "diamond"},
                "name": "probes w ± h",
            },
            {
                "type": "scatter",
                "x": [view["w"]],
                "y": [view["value"]],
                "mode": "markers",
                "marker": {"color": "#1d2430", "size": 11},
                "name": "w",
            },
        ],
        "layout": w.base_layout(
            title={"text": f"L(w) = {title}"},
            xaxis=w.axis("w", range=[float(view["ws"][0]), float(view["ws"][-1])]),
            yaxis=w.axis("L(w)", range=[low - pad, high + pad]),
        ),
    }


def readout(view: dict[str, Any]) -> str:
    analytic, numerical = view["analytic"], view["numerical"]
    direction = (
        "positive slope: decrease w to go downhill"
        if analytic > 0
        else "negative slope: increase w to go downhill"
        if analytic < 0
        else "zero slope: a flat point"
    )
    return "\n".join(
        [
            f"w = {w.fmt(view['w'])}   L(w) = {w.fmt(view['value'], 8)}   h = {view['h']:.3g}",
            f"slope by backward()       = {analytic:.10g}",
            f"(L(w+h) - L(w-h)) / 2h    = {numerical:.10g}",
            f"difference                = {abs(analytic - numerical):.3g}",
            direction,
        ]
    )


def register_callbacks(app: dash.Dash) -> None:
    # the slider's range follows the loss; -4..6 holds every loss's window
    w.link_slider(app, "numerical-gradient-w", -4.0, 6.0)

    @app.callback(
        Output("numerical-gradient-graph", "figure"),
        Output("numerical-gradient-readout", "children"),
        Output("numerical-gradient-error", "children"),
        Output("numerical-gradient-w-slider", "min"),
        Output("numerical-gradient-w-slider", "max"),
        Output("numerical-gradient-w", "value"),
        Output("numerical-gradient-w-label", "children"),
        Output("numerical-gradient-h-label", "children"),
        Input("numerical-gradient-loss", "value"),
        Input("numerical-gradient-w", "value"),
        Input("numerical-gradient-h", "value"),
    )
    def update(loss_name, w_value, h):
        keep = dash.no_update
        try:
            loss = compute.check_loss(loss_name)
            low, high = keep, keep
            new_w = keep
            if dash.ctx.triggered_id in (None, "numerical-gradient-loss"):
                low, high = loss.window
            if dash.ctx.triggered_id == "numerical-gradient-loss":
                w_value = new_w = loss.start
            view = compute.view(loss.name, w_value, h)
        except ValueError as exc:
            return keep, keep, str(exc), keep, keep, keep, keep, keep
        return (
            figure(view, loss.formula),
            readout(view),
            "",
            low,
            high,
            new_w,
            f"w = {w.fmt(view['w'])}",
            f"Step h = {view['h']:.3g}",
        )
