"""Page 8: gate patterns: add distributes, multiply switches, max routes."""

from __future__ import annotations

import dash
from dash import Input, Output, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute.gates import LIMIT, gate_patterns

ORDER = 8
PATH = "/gates"
TITLE = "Gate patterns"
EXPLANATION = (
    "Three gates cover most of what backpropagation does. Each one receives the gradient of "
    "the loss with respect to its output (the upstream gradient) and multiplies it by its own "
    "local derivatives. The **add** gate has local derivatives 1 and 1, so it hands the "
    "upstream gradient unchanged to both inputs: a distributor. The **multiply** gate's local "
    "derivative for one input is the other input, so the inputs swap roles on the way back: a "
    "switcher, and the reason a large input can make another input's gradient explode. The "
    "**max** gate passes the whole gradient to whichever input won and nothing to the other: a "
    "router. ReLU is a max gate against 0, which is why a neuron whose input is negative "
    "learns nothing from that example."
)

LOW, HIGH, STEP = -10.0, 10.0, 0.5  # the sliders; a typed value may go beyond
ADDRESS = (
    w.Field("x", "gates-x"),
    w.Field("y", "gates-y"),
    w.Field("upstream", "gates-upstream"),
)


def _control(label: str, id_: str, value: float) -> html.Div:
    return w.control(label, w.slider_box(id_, LOW, HIGH, STEP, value), wide=True)


def layout() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    _control("x", "gates-x", 3.0),
                    _control("y", "gates-y", 2.0),
                    _control("upstream gradient dL/df", "gates-upstream", 1.0),
                ],
                className="lab-controls",
            ),
            html.Div(id="gates-error", className="lab-error", role="alert"),
            html.Table(id="gates-table", className="lab-table"),
            dcc.Graph(id="gates-figure", config={"displaylogo": False}),
        ]
    )


def _fmt(value: float) -> str:
    return f"{value + 0.0:.6g}"


def render(x: float, y: float, upstream: float) -> tuple[list, dict, str]:
    """The table rows, the bar figure (a plain dict, as widgets builds them) and the error
    sentence for the given controls."""
    try:
        results = gate_patterns(x, y, upstream)
    except ValueError as exc:
        return dash.no_update, dash.no_update, str(exc)
    header = html.Tr(
        [
            html.Th(text)
            for text in (
                "Gate",
                "Forward f",
                "Local gradients",
                "df/dx",
                "df/dy",
                "dL/dx = g·df/dx",
                "dL/dy = g·df/dy",
                "Role",
            )
        ]
    )
    rows = [
        html.Tr(
            [
                html.Td(r.name),
                html.Td(f"{r.formula} = {_fmt(r.value)}", id=f"gates-{r.key}-value"),
                html.Td(r.local_rule),
                html.Td(_fmt(r.local_x), id=f"gates-{r.key}-local-x"),
                html.Td(_fmt(r.local_y), id=f"gates-{r.key}-local-y"),
                html.Td(_fmt(r.grad_x), id=f"gates-{r.key}-grad-x"),
                html.Td(_fmt(r.grad_y), id=f"gates-{r.key}-grad-y"),
                html.Td(r.role),
            ]
        )
        for r in results
    ]
    names = [r.name for r in results]
    bars = [
        {"type": "bar", "name": name, "x": names, "y": values, "marker": {"color": color}}
        for name, values, color in (
            ("dL/dx", [r.grad_x for r in results], "#e67e22"),
            ("dL/dy", [r.grad_y for r in results], "#2a9d8f"),
        )
    ]
    figure = {
        "data": bars,
        "layout": w.base_layout(
            barmode="group",
            title={"text": f"Gradients sent back for upstream gradient g = {_fmt(upstream)}"},
            yaxis=w.axis("gradient"),
            height=320,
            margin={"l": 50, "r": 20, "t": 50, "b": 40},
        ),
    }
    return [html.Thead(header), html.Tbody(rows)], figure, ""


def register_callbacks(app: dash.Dash) -> None:
    for name in ("x", "y", "upstream"):
        w.link_slider(app, f"gates-{name}", LOW, HIGH)
    app.callback(
        Output("gates-table", "children"),
        Output("gates-figure", "figure"),
        Output("gates-error", "children"),
        Input("gates-x", "value"),
        Input("gates-y", "value"),
        Input("gates-upstream", "value"),
    )(render)


__all__ = ["EXPLANATION", "LIMIT", "ORDER", "PATH", "TITLE", "layout", "register_callbacks"]
