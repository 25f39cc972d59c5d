"""Page 3: analytic against numerical gradients, and the error of the numerical one against h."""

from __future__ import annotations

from typing import Any

import dash
import numpy as np
from dash import Input, Output, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute import bounds
from descentlab.lab.compute import gradient_check as compute
from descentlab.lab.compute.numerical_gradient import loss_options

ORDER = 3
PATH = "/gradient-check"
TITLE = "Analytic vs numerical"
EXPLANATION = """
Left: the derivative from `backward()` (orange line) and the centred difference at the same
points (teal dots). Right: how far the centred difference lands from the exact value as `h`
shrinks, in float32 and float64.

Going right to left, the error first falls with `h²`: that is **truncation**, the curvature
the straight line between the probes ignores. Then it rises again like `1/h`: that is
**round-off**, two nearly equal losses subtracted, whose last digits are noise. The best `h`
sits where the two meet, near the cube root of the machine epsilon: about `5e-3` in
float32 and `6e-6` in float64. This is why gradient checks run in float64.

A gradient check reads the relative error `|a − n| / max(|a|, |n|)` against the coloured
bands. At a kink, such as `|w|` at 0, the probes straddle it and even correct code fails.
"""

H_EXP_LOW, H_EXP_HIGH = -12.0, 0.0
DTYPE_COLORS = {"float32": "#d62728", "float64": "#1f77b4"}


ADDRESS = (
    w.Field("loss", "gradient-check-loss", kind="text"),
    w.Field("w", "gradient-check-w"),
    w.Field("h", "gradient-check-h"),
)


def layout() -> Any:
    return html.Div(
        [
            html.Div(
                [
                    w.control(
                        "Loss",
                        dcc.Dropdown(
                            id="gradient-check-loss",
                            options=loss_options(),
                            value="square",
                            clearable=False,
                            style={"width": "17rem"},
                        ),
                    ),
                    w.control("w", w.number_input("gradient-check-w", 2.0)),
                    w.control(
                        "h",
                        w.slider_box(
                            "gradient-check-h",
                            H_EXP_LOW,
                            H_EXP_HIGH,
                            0.25,
                            0.01,
                            marks={k: f"1e{k}" for k in range(-12, 1, 3)},
                            log=True,
                        ),
                        wide=True,
                    ),
                ],
                className="lab-controls",
            ),
            html.Div(id="gradient-check-error"),
            html.Div(
                [
                    w.graph("gradient-check-side", height=440),
                    w.graph("gradient-check-errors", height=440),
                ],
                className="lab-row",
            ),
            w.readout("gradient-check-readout"),
        ]
    )


def side_figure(side: dict[str, Any], formula: str, derivative: str) -> dict[str, Any]:
    return {
        "data": [
            {
                "type": "scatter",
                "x": w.plain(side["ws"]),
                "y": w.plain(side["analytic"]),
                "mode": "lines",
                "line": {"color": w.COLORS["tangent"], "width": 3},
                "name": f"backward(): {derivative}",
            },
            {
                "type": "scatter",
                "x": w.plain(side["ws"]),
                "y": w.plain(side["numerical"]),
                "mode": "markers",
                "marker": {"color": w.COLORS["secant"], "size": 7},
                "name": "centred difference",
            },
        ],
        "layout": w.base_layout(
            title={"text": f"dL/dw for L(w) = {formula}"},
            xaxis=w.axis("w"),
            yaxis=w.axis("dL/dw"),
        ),
    }


def errors_figure(curves: dict[str, Any], h: float) -> dict[str, Any]:
    hs = curves["hs"]
    data = []
    for label in ("float32", "float64"):
        rel = np.maximum(curves[label]["relative"], compute.FLOOR)
        data.append(
            {
                "type": "scatter",
                "x": w.plain(hs),
                "y": w.plain(rel),
                "mode": "lines+markers",
                "marker": {"size": 4},
                "line": {"color": DTYPE_COLORS[label], "width": 2},
                "name": label,
            }
        )
    shapes, annotations = [], []
    lower = compute.FLOOR
    for upper, label, color in compute.BANDS:
        top = min(upper, 10.0)
        shapes.append(
            {
                "type": "rect",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": lower,
                "y1": top,
                "fillcolor": color,
                "line": {"width": 0},
                "layer": "below",
            }
        )
        annotations.append(
            {
                "xref": "paper",
                "x": 0.01,
                "xanchor": "left",
                "yref": "y",
                # annotations on a log axis take log10 positions (shapes take data values)
                "y": float(np.log10(np.sqrt(max(lower, 1e-16) * top))),
                "text": label.split(":")[0],
                "showarrow": False,
                "font": {"size": 14, "color": "#555"},
            }
        )
        lower = top
    shapes.append(
        {
            "type": "line",
            "x0": h,
            "x1": h,
            "yref": "paper",
            "y0": 0,
            "y1": 1,
            "line": {"color": "#1d2430", "width": 1.5, "dash": "dot"},
        }
    )
    return {
        "data": data,
        "layout": w.base_layout(
            title={"text": f"relative error at w = {w.fmt(curves['w'])}"},
            xaxis=w.axis("h", type="log", exponentformat="power"),
            yaxis=w.axis("relative error", type="log", exponentformat="power", range=[-17, 1]),
            shapes=shapes,
            annotations=annotations,
        ),
    }


def readout(check: dict[str, Any], curves: dict[str, Any]) -> str:
    lines = [
        f"w = {w.fmt(check['w'])}   h = {check['h']:.3g}",
        f"backward() (float64)        {check['analytic']:.12g}",
    ]
    for label in ("float32", "float64"):
        c = check[label]
        lines.append(
            f"centred difference {label}  {c['numerical']:.12g}   relative error "
            f"{c['relative']:.2e}: {c['band']}"
        )
    lines.append(
        f"best h here: float32 {curves['float32']['best_h']:.1e}, "
        f"float64 {curves['float64']['best_h']:.1e}"
    )
    return "\n".join(lines)


def register_callbacks(app: dash.Dash) -> None:
    w.link_slider(app, "gradient-check-h", H_EXP_LOW, H_EXP_HIGH, log=True)

    @app.callback(
        Output("gradient-check-side", "figure"),
        Output("gradient-check-errors", "figure"),
        Output("gradient-check-readout", "children"),
        Output("gradient-check-error", "children"),
        Output("gradient-check-w", "value"),
        Input("gradient-check-loss", "value"),
        Input("gradient-check-w", "value"),
        Input("gradient-check-h", "value"),
    )
    def update(loss_name, w_value, h):
        keep = dash.no_update
        try:
            loss = compute.check_loss(loss_name)
            new_w = keep
            if dash.ctx.triggered_id == "gradient-check-loss":
                w_value = new_w = loss.start
            h = bounds.number(h, "The step h", compute.H_LOW, compute.H_HIGH)
            side = compute.side_by_side(loss.name, h)
            curves = compute.error_curves(loss.name, w_value)
            check = compute.check_at(loss.name, w_value, h, curves)
        except ValueError as exc:
            return keep, keep, keep, str(exc), keep
        return (
            side_figure(side, loss.formula, loss.derivative),
            errors_figure(curves, h),
            readout(check, curves),
            "",
            new_w,
        )
