"""Page 7: backprop through a circuit, gate by gate, for any expression in the safe grammar."""

from __future__ import annotations

import dash
import dash_cytoscape as cyto
from dash import Input, Output, State, ctx, dcc, html

from descentlab.lab.compute.circuit import (
    MAX_VARIABLES,
    Circuit,
    StageView,
    build_circuit,
    clamp_stage,
    error_sentence,
    fmt,
    stage_view,
    variable_paths,
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
SLIDER = {"min": -10, "max": 10, "step": 0.5, "allow_direct_input": True, "marks": None}
ERRORS = (ValueError, ArithmeticError, TypeError)

STYLESHEET = [
    {
        "selector": "node",
        "style": {
            "label": "data(label)",
            "text-wrap": "wrap",
            "text-valign": "center",
            "text-halign": "center",
            "font-size": 11,
            "width": 92,
            "height": 56,
            "background-color": "#f4f6f8",
            "border-width": 2,
            "border-color": "#8d99ae",
            "shape": "round-rectangle",
        },
    },
    {"selector": ".gate", "style": {"shape": "ellipse", "background-color": "#e8f4f1"}},
    {"selector": ".active", "style": {"border-color": "#e67e22", "border-width": 4}},
    {
        "selector": "edge",
        "style": {
            "curve-style": "bezier",
            "target-arrow-shape": "triangle",
            "width": 2,
            "line-color": "#8d99ae",
            "target-arrow-color": "#8d99ae",
            "label": "data(label)",
            "font-size": 11,
            "color": "#c0392b",
            "text-background-color": "#ffffff",
            "text-background-opacity": 0.8,
        },
    },
    {"selector": ".flowing", "style": {"line-color": "#e67e22", "target-arrow-color": "#e67e22"}},
]


def _layout_positions(circuit: Circuit) -> dict[str, tuple[float, float]]:
    """Gates in columns by their longest path from the inputs; each leaf one column before
    its first consumer; a gate at the mean height of its inputs, nudged down past others."""
    column: dict[str, int] = {}
    for node in circuit.nodes:
        column[node.id] = 1 + max((column[p] for p in node.parents), default=-1)
    for node in circuit.nodes:
        if not node.is_gate:
            consumers = [g for g in circuit.gates if node.id in g.parents]
            if consumers:
                column[node.id] = min(column[g.id] for g in consumers) - 1
    row: dict[str, float] = {}
    leaves = 0
    taken: dict[int, list[float]] = {}
    for node in circuit.nodes:
        if node.is_gate:
            row[node.id] = sum(row[p] for p in node.parents) / len(node.parents)
        else:
            row[node.id] = float(leaves)
            leaves += 1
        rows = taken.setdefault(column[node.id], [])
        while any(abs(row[node.id] - other) < 0.9 for other in rows):
            row[node.id] += 1.0
        rows.append(row[node.id])
    return {node.id: (column[node.id] * 170.0, row[node.id] * 95.0) for node in circuit.nodes}


def graph_elements(circuit: Circuit, view: StageView) -> list[dict]:
    """Cytoscape elements: each node shows its name, value and gradient; each edge the
    gradient contribution that flowed back along it (once it has)."""
    positions = _layout_positions(circuit)
    out_name = circuit.node(circuit.output).name
    elements: list[dict] = []
    for node in circuit.nodes:
        value, grad = view.values[node.id], view.grads[node.id]
        title = f"{node.name} = {node.formula}" if node.is_gate else node.name
        lines = [title, f"value {fmt(value)}" if value is not None else "value ?"]
        if node.op != "const":
            lines.append(f"d{out_name}/d{node.name} {fmt(grad)}" if grad is not None else "")
        classes = ["gate" if node.is_gate else "leaf"]
        if node.id == view.active:
            classes.append("active")
        x, y = positions[node.id]
        elements.append(
            {
                "data": {"id": node.id, "label": "\n".join(lines)},
                "position": {"x": x, "y": y},
                "classes": " ".join(classes),
            }
        )
    for i, edge in enumerate(circuit.edges):
        grad = view.edge_grads[i]
        elements.append(
            {
                "data": {
                    "id": f"e{i}",
                    "source": edge.source,
                    "target": edge.target,
                    "label": "" if grad is None else fmt(grad),
                },
                "classes": "flowing" if grad is not None else "",
            }
        )
    return elements


def node_table(slug: str, circuit: Circuit, view: StageView) -> list:
    """Rows of name, gate, value and gradient; rows carry ``data-node`` for tests."""
    out_name = circuit.node(circuit.output).name
    header = html.Tr(
        [html.Th("Node"), html.Th("Computes"), html.Th("Value"), html.Th(f"d{out_name}/d(node)")]
    )
    rows = []
    for node in circuit.nodes:
        value, grad = view.values[node.id], view.grads[node.id]
        rows.append(
            html.Tr(
                [
                    html.Td(node.name),
                    html.Td(node.formula if node.is_gate else node.op),
                    html.Td("" if value is None else fmt(value), className="value"),
                    html.Td("" if grad is None else fmt(grad), className="grad"),
                ],
                **{"data-node": node.name},
                className="active" if node.id == view.active else "",
            )
        )
    return [html.Thead(header), html.Tbody(rows, id=f"{slug}-table-body")]


def contributions(circuit: Circuit, view: StageView) -> list:
    """A line per variable that feeds several gates: the gradient along each path, and their
    sum once all of them have flowed back."""
    out_name = circuit.node(circuit.output).name
    lines = []
    for name, parts, total in variable_paths(circuit, view):
        flowed = [(gate, formula, g) for gate, formula, g in parts if g is not None]
        if not flowed:
            continue
        terms = " + ".join(f"{fmt(g)} (via {gate} = {formula})" for gate, formula, g in flowed)
        if total is not None:
            text = f"d{out_name}/d{name} = {terms} = {fmt(total)}"
        else:
            waiting = ", ".join(gate for gate, _, g in parts if g is None)
            text = f"d{out_name}/d{name} so far: {terms}; still to come through {waiting}"
        lines.append(html.Li(text, **{"data-variable": name}))
    if not lines:
        return []
    return [html.P("Variables reached along more than one path:"), html.Ul(lines)]


def next_stage(trigger: str | None, stage: int | None, circuit: Circuit) -> int:
    """The stage after pressing ``trigger`` (``forward``, ``backward``, ``step``, ``reset``)."""
    n = len(circuit.gates)
    current = clamp_stage(circuit, stage)
    if trigger == "forward":
        return n
    if trigger == "backward":
        return circuit.n_stages - 1
    if trigger == "step":
        return clamp_stage(circuit, current + 1)
    if trigger == "reset":
        return 0
    return current


def step_buttons(slug: str) -> html.Div:
    return html.Div(
        [
            html.Button("Forward", id=f"{slug}-forward", n_clicks=0, className="lab-button"),
            html.Button("Backward", id=f"{slug}-backward", n_clicks=0, className="lab-button"),
            html.Button("Step", id=f"{slug}-step", n_clicks=0, className="lab-button"),
            html.Button("Reset", id=f"{slug}-reset", n_clicks=0, className="lab-button"),
        ],
        className="lab-controls",
    )


def figure_panel(slug: str) -> html.Div:
    return html.Div(
        [
            html.Div(id=f"{slug}-status", className="lab-status", role="status"),
            cyto.Cytoscape(
                id=f"{slug}-graph",
                elements=[],
                layout={"name": "preset", "fit": True, "padding": 30},
                stylesheet=STYLESHEET,
                style={"width": "100%", "height": "420px"},
                userZoomingEnabled=False,
                autoungrabify=True,
            ),
            html.Div(id=f"{slug}-contributions"),
            html.Table(id=f"{slug}-table", className="lab-table"),
        ]
    )


def _var_slot(slot: int, name: str | None, value: float) -> html.Div:
    """Slider ``slot`` (one per variable, in order of first appearance); hidden when unused."""
    return html.Div(
        [
            html.Label(name or "", id=f"circuit-var-{slot}-name"),
            dcc.Slider(id=f"circuit-var-{slot}", value=value, **SLIDER),
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
            step_buttons("circuit"),
            html.Div(id="circuit-error", className="lab-error", role="alert"),
            dcc.Store(id="circuit-stage", data=0),
            dcc.Store(id="circuit-names", data=names),
            figure_panel("circuit"),
        ]
    )


def _values(expression: str | None, slots: list | tuple) -> dict[str, object]:
    """The variables of ``expression`` (in order of first appearance) with their sliders."""
    names = variables_of(_expression(expression))
    return dict(zip(names, slots))


def variable_controls(expression: str | None, old_names: list | None, *slots):
    """When the expression's variables change: rename the sliders, show as many as there are
    variables, and carry each variable's value over by name (new ones start at 1)."""
    try:
        names = variables_of(_expression(expression))
    except ERRORS:
        return (dash.no_update,) * (3 * MAX_VARIABLES + 1)
    if list(names) == list(old_names or []):
        return (dash.no_update,) * (3 * MAX_VARIABLES + 1)
    known = {**DEFAULT_VALUES, **dict(zip(old_names or [], slots))}
    labels, styles, values = [], [], []
    for i in range(MAX_VARIABLES):
        name = names[i] if i < len(names) else None
        labels.append(name or "")
        styles.append({} if name else {"display": "none"})
        values.append(_initial(known.get(name, 1.0)) if name else dash.no_update)
    return (*labels, *styles, *values, list(names))


def _initial(value: object) -> float:
    try:
        return max(-10.0, min(10.0, float(value)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1.0


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


def _expression(expression: str | None) -> str:
    expression = expression or ""
    if len(expression) > MAX_EXPRESSION:
        raise ValueError(
            f"The expression is {len(expression)} characters long; at most {MAX_EXPRESSION}."
        )
    return expression


def render(stage, expression, *slots):
    """Graph elements, table, narration, contributions and error for the current state."""
    try:
        circuit = build_circuit(_expression(expression), _values(expression, slots))
    except ERRORS as exc:
        return [], [], "", [], error_sentence(exc)
    view = stage_view(circuit, stage)
    return (
        graph_elements(circuit, view),
        node_table("circuit", circuit, view),
        view.message,
        contributions(circuit, view),
        "",
    )


def register_callbacks(app: dash.Dash) -> None:
    slots = range(MAX_VARIABLES)
    app.callback(
        *[Output(f"circuit-var-{i}-name", "children") for i in slots],
        *[Output(f"circuit-var-{i}-box", "style") for i in slots],
        *[Output(f"circuit-var-{i}", "value") for i in slots],
        Output("circuit-names", "data"),
        Input("circuit-expr", "value"),
        State("circuit-names", "data"),
        *[State(f"circuit-var-{i}", "value") for i in slots],
        prevent_initial_call=True,
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
        Output("circuit-error", "children"),
        Input("circuit-stage", "data"),
        State("circuit-expr", "value"),
        *[Input(f"circuit-var-{i}", "value") for i in slots],
    )(render)
