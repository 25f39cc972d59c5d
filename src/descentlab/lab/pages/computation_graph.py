"""Page 6: the computation graph of f = (x + y) * z, forward values and backward gradients."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, ctx, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute.circuit import (
    build_circuit,
    error_sentence,
    fmt,
    next_stage,
    stage_view,
)

ORDER = 6
PATH = "/computation-graph"
TITLE = "Computation graph"
EXPLANATION = (
    "The function `f = (x + y) * z` is two gates: an add gate computes `q = x + y`, and a "
    "multiply gate computes `f = q * z`. The forward pass fills in the values from left to "
    "right. The backward pass starts at the output with df/df = 1 and goes right to left: the "
    "multiply gate sends z times that gradient to q and q times it to z; the add gate then "
    "copies df/dq to both x and y. That product of a gate's local derivative with the gradient "
    "arriving from above is the chain rule, and it is all backpropagation does. At x = -2, "
    "y = 5, z = -4 the output is -12 and the gradients are -4, -4 and 3: nudging x up by 0.01 "
    "moves f down by about 0.04."
)

EXPRESSION = "(x + y) * z"
DEFAULTS = {"x": -2.0, "y": 5.0, "z": -4.0}
LOW, HIGH, STEP = -10.0, 10.0, 0.1  # the sliders; a typed value is exact and may go beyond
LIMIT = 1e6
ERRORS = (ValueError, ArithmeticError, TypeError)
ADDRESS = (
    *[w.Field(name, f"computation-graph-{name}") for name in DEFAULTS],
    w.Field("stage", "computation-graph-stage", prop="data", kind="text"),
)


def _control(name: str) -> html.Div:
    return w.control(
        name, w.slider_box(f"computation-graph-{name}", LOW, HIGH, STEP, DEFAULTS[name]), True
    )


def layout() -> html.Div:
    return html.Div(
        [
            html.Div([_control(name) for name in DEFAULTS], className="lab-controls"),
            w.step_buttons("computation-graph"),
            html.Div(id="computation-graph-result", className="lab-verdict"),
            html.Div(id="computation-graph-error", className="lab-error", role="alert"),
            dcc.Store(id="computation-graph-stage", data=0),
            w.figure_panel("computation-graph"),
        ]
    )


def _values(x: Any, y: Any, z: Any) -> dict[str, float]:
    values = {"x": x, "y": y, "z": z}
    for name, value in values.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (abs(value) <= LIMIT)
        ):
            raise ValueError(
                f"The value of {name} must be a number from {-LIMIT:g} to {LIMIT:g} "
                f"(received {value!r})."
            )
    return values


def update_stage(trigger, _f, _b, _s, _r, stage, x, y, z) -> int:
    """The stage store after pressing ``trigger`` (Forward, Backward, Step or Reset)."""
    try:
        circuit = build_circuit(EXPRESSION, _values(x, y, z))
    except ERRORS:
        return 0
    return next_stage(str(trigger).removeprefix("computation-graph-"), stage, circuit)


def render(stage, x, y, z):
    """Graph elements, table, narration and error for the boxes at the current stage."""
    try:
        circuit = build_circuit(EXPRESSION, _values(x, y, z))
    except ERRORS as exc:
        return [], [], "", "", error_sentence(exc)
    view = stage_view(circuit, stage)
    v = circuit.values
    q = fmt(v["x"] + v["y"])
    result = (
        f"f = (x + y) · z = ({fmt(v['x'])} + {fmt(v['y'])}) · ({fmt(v['z'])}) = {q} · "
        f"({fmt(v['z'])}) = {fmt(circuit.node(circuit.output).value)}"
    )
    return (
        w.graph_elements(circuit, view),
        w.node_table("computation-graph", circuit, view),
        view.message,
        result,
        "",
    )


def register_callbacks(app: dash.Dash) -> None:
    for name in DEFAULTS:
        w.link_slider(app, f"computation-graph-{name}", LOW, HIGH)
    boxes = [State(f"computation-graph-{name}", "value") for name in DEFAULTS]
    app.callback(
        Output("computation-graph-stage", "data"),
        Input("computation-graph-forward", "n_clicks"),
        Input("computation-graph-backward", "n_clicks"),
        Input("computation-graph-step", "n_clicks"),
        Input("computation-graph-reset", "n_clicks"),
        State("computation-graph-stage", "data"),
        *boxes,
        prevent_initial_call=True,
    )(lambda *args: update_stage(ctx.triggered_id, *args))
    app.callback(
        Output("computation-graph-graph", "elements"),
        Output("computation-graph-table", "children"),
        Output("computation-graph-status", "children"),
        Output("computation-graph-result", "children"),
        Output("computation-graph-error", "children"),
        Input("computation-graph-stage", "data"),
        *[Input(f"computation-graph-{name}", "value") for name in DEFAULTS],
    )(render)
