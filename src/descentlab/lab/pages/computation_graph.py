"""Page 6: the computation graph of f = (x + y) * z, forward values and backward gradients."""

from __future__ import annotations

import dash
from dash import Input, Output, State, ctx, dcc, html

from descentlab.lab.compute.circuit import build_circuit, error_sentence, stage_view
from descentlab.lab.pages.circuit import (
    ERRORS,
    SLIDER,
    figure_panel,
    graph_elements,
    next_stage,
    node_table,
    step_buttons,
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
_SLIDER = {**SLIDER, "step": 0.1}


def _control(name: str) -> html.Div:
    id_ = f"computation-graph-{name}"
    return html.Div(
        [html.Label(name, htmlFor=id_), dcc.Slider(id=id_, value=DEFAULTS[name], **_SLIDER)],
        className="lab-control lab-control-wide",
    )


def layout() -> html.Div:
    return html.Div(
        [
            html.Div([_control(name) for name in DEFAULTS], className="lab-controls"),
            step_buttons("computation-graph"),
            html.Div(id="computation-graph-error", className="lab-error", role="alert"),
            dcc.Store(id="computation-graph-stage", data=0),
            figure_panel("computation-graph"),
        ]
    )


def update_stage(trigger, _f, _b, _s, _r, stage, x, y, z) -> int:
    """The stage store after pressing ``trigger`` (Forward, Backward, Step or Reset)."""
    try:
        circuit = build_circuit(EXPRESSION, {"x": x, "y": y, "z": z})
    except ERRORS:
        return 0
    return next_stage(str(trigger).removeprefix("computation-graph-"), stage, circuit)


def render(stage, x, y, z):
    """Graph elements, table, narration and error for the sliders at the current stage."""
    try:
        circuit = build_circuit(EXPRESSION, {"x": x, "y": y, "z": z})
    except ERRORS as exc:
        return [], [], "", error_sentence(exc)
    view = stage_view(circuit, stage)
    return (
        graph_elements(circuit, view),
        node_table("computation-graph", circuit, view),
        view.message,
        "",
    )


def register_callbacks(app: dash.Dash) -> None:
    sliders = [State(f"computation-graph-{name}", "value") for name in DEFAULTS]
    app.callback(
        Output("computation-graph-stage", "data"),
        Input("computation-graph-forward", "n_clicks"),
        Input("computation-graph-backward", "n_clicks"),
        Input("computation-graph-step", "n_clicks"),
        Input("computation-graph-reset", "n_clicks"),
        State("computation-graph-stage", "data"),
        *sliders,
        prevent_initial_call=True,
    )(lambda *args: update_stage(ctx.triggered_id, *args))
    app.callback(
        Output("computation-graph-graph", "elements"),
        Output("computation-graph-table", "children"),
        Output("computation-graph-status", "children"),
        Output("computation-graph-error", "children"),
        Input("computation-graph-stage", "data"),
        *[Input(f"computation-graph-{name}", "value") for name in DEFAULTS],
    )(render)
