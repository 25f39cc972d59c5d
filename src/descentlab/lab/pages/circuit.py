"""Page 7: backprop through a circuit, gate by gate, for any expression in the safe grammar."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, ctx, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute.circuit import (
    MAX_VARIABLES,
    build_circuit,
    error_sentence,
    next_stage,
    stage_view,
    variables_of,
)

ORDER = 7
PATH = "/circuit"
TITLE = "Backprop through a circuit"
EXPLANATION = (
    "Type an expression, set its inputs, then run it. **Forward** pushes values from the "
    "inputs to the output, one gate at a time. **Backward** starts from the output with "
    "gradient 1 and walks the gates in reverse: each gate multiplies the gradient it receives "
    "by its own local derivatives and passes the products to its inputs. When a variable feeds "
    "two gates, as x does in `(x + y) * z + max(x, w)`, two gradients arrive at it, one per "
    "path, and its gradient is their sum. **Step** moves one gate at a time. Expressions may "
    "use numbers, variables, `+ - * / **`, unary minus, parentheses and the functions max, min, "
    "exp, log, sqrt, abs, relu, sigmoid and tanh."
)

DEFAULT_EXPRESSION = "(x + y) * z + max(x, w)"
DEFAULT_VALUES = {"x": 2.0, "y": 1.0, "z": -3.0, "w": 4.0}
MAX_EXPRESSION = 200
LOW, HIGH, STEP = -10.0, 10.0, 0.5  # the sliders' range; a typed value may go beyond
LIMIT = 1e6
ERRORS = (ValueError, ArithmeticError, TypeError)
# the expression, the stage (a number or inputs/forward/backward) and each variable by name
ADDRESS = (
    w.Field("expr", "circuit-expr", kind="text"),
    w.Field("stage", "circuit-stage", prop="data", kind="text"),
    w.Field("*", "circuit-query", prop="data", kind="query"),
)


def _var_slot(slot: int, name: str | None, value: float) -> html.Div:
    """Box and slider ``slot`` (one per variable, in order of first appearance); hidden when
    unused."""
    return html.Div(
        [
            html.Label(name or "", id=f"circuit-var-{slot}-name"),
            w.slider_box(f"circuit-var-{slot}", LOW, HIGH, STEP, value),
        ],
        id=f"circuit-var-{slot}-box",
        className="lab-control lab-control-wide",
        style={} if name else {"display": "none"},
    )


def layout() -> html.Div:
    names = list(DEFAULT_VALUES)
    slots = [
        _var_slot(
            i,
            names[i] if i < len(names) else None,
            DEFAULT_VALUES.get(names[i] if i < len(names) else "", 1.0),
        )
        for i in range(MAX_VARIABLES)
    ]
    return html.Div(
        [
            html.Div(
                [
                    html.Label("f =", htmlFor="circuit-expr"),
                    dcc.Input(
                        id="circuit-expr",
                        type="text",
                        value=DEFAULT_EXPRESSION,
                        debounce=True,
                        maxLength=MAX_EXPRESSION,
                        spellCheck=False,
                        style={"width": "28em", "fontFamily": "monospace"},
                    ),
                ],
                className="lab-control",
            ),
            html.Div(slots, id="circuit-vars", className="lab-controls"),
            w.step_buttons("circuit"),
            html.Div(id="circuit-error", className="lab-error", role="alert"),
            dcc.Store(id="circuit-stage", data=0),
            dcc.Store(id="circuit-names", data=None),
            dcc.Store(id="circuit-query", data=None),
            w.figure_panel("circuit"),
        ]
    )


def _expression(expression: Any) -> str:
    if not isinstance(expression, str):
        raise ValueError("The expression must be text, such as (x + y) * z.")
    if len(expression) > MAX_EXPRESSION:
        raise ValueError(
            f"The expression is {len(expression)} characters long; at most {MAX_EXPRESSION}."
        )
    return expression


def _values(expression: Any, slots: list | tuple) -> dict[str, object]:
    """The variables of ``expression`` (in order of first appearance) with their boxes."""
    names = variables_of(_expression(expression))
    for name, value in zip(names, slots):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (abs(value) <= LIMIT)
        ):
            raise ValueError(
                f"The value of {name} must be a number from {-LIMIT:g} to {LIMIT:g} "
                f"(received {value!r})."
            )
    return dict(zip(names, slots))


def _start_value(text: Any, fallback: float) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return fallback
    return value if abs(value) <= LIMIT else fallback


def variable_controls(expression: Any, old_names: Any, query: Any, *slots):
    """When the expression's variables change: rename the boxes, show as many as there are
    variables, and carry each variable's value over by name (new ones start at 1). When the
    page opens (no names yet) the values come from the address (``?x=2&y=1``)."""
    try:
        names = variables_of(_expression(expression))
    except ERRORS:
        return (dash.no_update,) * (3 * MAX_VARIABLES + 1)
    if isinstance(old_names, list) and list(names) == old_names:
        return (dash.no_update,) * (3 * MAX_VARIABLES + 1)
    if isinstance(old_names, list):
        known = {**DEFAULT_VALUES, **dict(zip(old_names, slots))}
    else:
        given = query if isinstance(query, dict) else {}
        known = {n: _start_value(given.get(n), DEFAULT_VALUES.get(n, 1.0)) for n in names}
    labels, styles, values = [], [], []
    for i in range(MAX_VARIABLES):
        name = names[i] if i < len(names) else None
        labels.append(name or "")
        styles.append({} if name else {"display": "none"})
        values.append(_start_value(known.get(name), 1.0) if name else dash.no_update)
    return (*labels, *styles, *values, list(names))


def update_stage(trigger, _f, _b, _s, _r, expression, stage, *slots) -> int:
    """The stage store after pressing ``trigger`` (a button's id, Dash's
    ``ctx.triggered_id``); a new expression starts again at stage 0."""
    if trigger == "circuit-expr" or trigger is None:
        return 0
    try:
        circuit = build_circuit(_expression(expression), _values(expression, slots))
    except ERRORS:
        return 0
    return next_stage(str(trigger).removeprefix("circuit-"), stage, circuit)


def render(stage, expression, *slots):
    """Graph elements, table, narration, contributions, the address's variables and the
    error for the current state."""
    try:
        values = _values(expression, slots)
        circuit = build_circuit(_expression(expression), values)
    except ERRORS as exc:
        keep = dash.no_update
        return [], [], "", [], keep, error_sentence(exc)
    view = stage_view(circuit, stage)
    return (
        w.graph_elements(circuit, view),
        w.node_table("circuit", circuit, view),
        view.message,
        w.contributions(circuit, view),
        {name: values[name] for name in values},
        "",
    )


def register_callbacks(app: dash.Dash) -> None:
    slots = range(MAX_VARIABLES)
    for i in slots:
        w.link_slider(app, f"circuit-var-{i}", LOW, HIGH)
    app.callback(
        *[Output(f"circuit-var-{i}-name", "children") for i in slots],
        *[Output(f"circuit-var-{i}-box", "style") for i in slots],
        *[Output(f"circuit-var-{i}", "value") for i in slots],
        Output("circuit-names", "data"),
        Input("circuit-expr", "value"),
        State("circuit-names", "data"),
        State("circuit-query", "data"),
        *[State(f"circuit-var-{i}", "value") for i in slots],
    )(variable_controls)
    app.callback(
        Output("circuit-stage", "data"),
        Input("circuit-forward", "n_clicks"),
        Input("circuit-backward", "n_clicks"),
        Input("circuit-step", "n_clicks"),
        Input("circuit-reset", "n_clicks"),
        Input("circuit-expr", "value"),
        State("circuit-stage", "data"),
        *[State(f"circuit-var-{i}", "value") for i in slots],
        prevent_initial_call=True,
    )(lambda *args: update_stage(ctx.triggered_id, *args))
    app.callback(
        Output("circuit-graph", "elements"),
        Output("circuit-table", "children"),
        Output("circuit-status", "children"),
        Output("circuit-contributions", "children"),
        Output("circuit-query", "data", allow_duplicate=True),
        Output("circuit-error", "children"),
        Input("circuit-stage", "data"),
        State("circuit-expr", "value"),
        *[Input(f"circuit-var-{i}", "value") for i in slots],
        prevent_initial_call="initial_duplicate",
    )(render)
