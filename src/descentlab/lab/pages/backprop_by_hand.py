"""Page 12: backprop by hand: the course's two-layer scalar network, every number shown."""

from __future__ import annotations

import dash
import dash_cytoscape as cyto
from dash import Input, Output, State, ctx, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute.backprop_by_hand import (
    ACTIVATIONS,
    DEFAULTS,
    PARAMETERS,
    RULES,
    HandResult,
    backprop_by_hand,
)
from descentlab.lab.compute.circuit import fmt

ORDER = 12
PATH = "/backprop-by-hand"
TITLE = "Backprop by hand"
EXPLANATION = (
    "The smallest network that still has layers: one input x, one hidden neuron "
    "`a1 = act(w1·x + b1)`, one output neuron `a2 = act(w2·a1 + b2)`, and the squared error "
    "`C = ½(y − a2)²` against the target y. The forward pass computes each line top to "
    "bottom. The backward pass starts from `dC/da2 = −(y − a2)` and defines the error term "
    "of each layer, `δ2 = dC/dz2` and `δ1 = dC/dz1 = δ2·w2·act'(z1)`: the output's error "
    "sent back through the weight that connects the layers. Every weight's gradient is its "
    "layer's δ times the input that weight multiplies, and a bias's gradient is the δ itself. "
    "With the identity activation and the defaults this is the course's worked example: "
    "z = 2, L = 3.5, dL/dw1 = 3, dL/dw2 = 2. The update rule starts as the course's, which "
    "pushes the output up towards the target, `p ← p + lr·dL/dp`: with lr = 0.1 it gives "
    "w1 = 0.8, w2 = 1.7 and L = 4.92, with lr = 0.2 it overshoots to 1.1, 1.9 and 6.58. "
    "Gradient descent on the error C is the other rule. **Apply the update** moves the "
    "parameters one step and shows the new output."
)

_S = "backprop-by-hand"
# the chain has six columns: nodes 100 model px wide, 108 apart, fit a 630 px panel at a zoom
# of about 1, so its 15 px labels stay at 14 px or more
CHAIN_STYLE = [
    *w.STYLESHEET,
    {"selector": "node", "style": {"font-size": 15, "width": 100, "height": 58}},
    {"selector": "edge", "style": {"font-size": 15}},
]
ADDRESS = (
    *[w.Field(name, f"{_S}-{name}") for name in ("x", "y", "w1", "b1", "w2", "b2", "lr")],
    w.Field("activation", f"{_S}-activation", kind="text"),
    w.Field("rule", f"{_S}-rule", kind="text"),
    w.Field("learn", f"{_S}-learn", kind="list"),
)


def _number(name: str, label: str, value: float, step: float = 0.1) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=f"{_S}-{name}"),
            dcc.Input(id=f"{_S}-{name}", type="number", value=value, step=step, debounce=True),
        ],
        className="lab-control",
    )


def layout() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    _number("x", "input x", DEFAULTS["x"]),
                    _number("y", "target y", DEFAULTS["y"]),
                    _number("w1", "w1", DEFAULTS["w1"]),
                    _number("b1", "b1", DEFAULTS["b1"]),
                    _number("w2", "w2", DEFAULTS["w2"]),
                    _number("b2", "b2", DEFAULTS["b2"]),
                    _number("lr", "learning rate", DEFAULTS["lr"], step=0.01),
                ],
                className="lab-controls",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Activation (both neurons)"),
                            dcc.RadioItems(
                                id=f"{_S}-activation",
                                options=[{"label": a, "value": a} for a in ACTIVATIONS],
                                value="identity",
                                inline=True,
                            ),
                        ],
                        className="lab-control",
                    ),
                    html.Div(
                        [
                            html.Label("Update rule"),
                            dcc.RadioItems(
                                id=f"{_S}-rule",
                                options=[{"label": text, "value": k} for k, text in RULES.items()],
                                value="course",
                            ),
                        ],
                        className="lab-control",
                    ),
                    html.Div(
                        [
                            html.Label("Parameters the update changes"),
                            dcc.Checklist(
                                id=f"{_S}-learn",
                                options=[{"label": p, "value": p} for p in PARAMETERS],
                                value=["w1", "w2"],
                                inline=True,
                            ),
                        ],
                        className="lab-control",
                    ),
                ],
                className="lab-controls",
            ),
            html.Div(
                [
                    html.Button(
                        "Apply the update",
                        id=f"{_S}-apply",
                        n_clicks=0,
                        className="lab-button lab-button-primary",
                    ),
                    html.Button(
                        "Back to the course's values",
                        id=f"{_S}-reset",
                        n_clicks=0,
                        className="lab-button",
                    ),
                ],
                className="lab-controls",
            ),
            html.Div(id=f"{_S}-error", className="lab-error", role="alert"),
            cyto.Cytoscape(
                id=f"{_S}-graph",
                elements=[],
                layout={"name": "preset", "fit": True, "padding": 20},
                stylesheet=CHAIN_STYLE,
                style={"width": "100%", "height": "260px"},
                userZoomingEnabled=False,
                autoungrabify=True,
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.H4("Forward pass"),
                            html.Table(id=f"{_S}-forward", className="lab-table"),
                        ]
                    ),
                    html.Div(
                        [
                            html.H4("Backward pass"),
                            html.Table(id=f"{_S}-backward", className="lab-table"),
                        ]
                    ),
                    html.Div(
                        [
                            html.H4("One update"),
                            html.Table(id=f"{_S}-update", className="lab-table"),
                        ]
                    ),
                ],
                className="lab-row",
            ),
        ]
    )


def _row(key: str, label: str, formula: str, value: float) -> html.Tr:
    return html.Tr(
        [html.Td(label), html.Td(formula), html.Td(fmt(value), id=f"{_S}-{key}")],
    )


def _p(value: float) -> str:
    text = fmt(value)
    return f"({text})" if text.startswith("-") else text


def _act(activation: str, arg: str) -> str:
    return arg if activation == "identity" else f"{activation}({arg})"


def tables(r: HandResult) -> tuple[list, list, list]:
    """The forward, backward and update tables, each formula with its numbers filled in."""
    x, y = r.inputs["x"], r.inputs["y"]
    p, f, b = r.before, r.forward, r.backward
    act = r.activation
    forward = [
        _row("z1", "z1", f"w1·x + b1 = {_p(p['w1'])}·{_p(x)} + {_p(p['b1'])}", f["z1"]),
        _row("a1", "a1", f"{_act(act, 'z1')} = {_act(act, _p(f['z1']))}", f["a1"]),
        _row("z2", "z2", f"w2·a1 + b2 = {_p(p['w2'])}·{_p(f['a1'])} + {_p(p['b2'])}", f["z2"]),
        _row("a2", "a2 (prediction)", f"{_act(act, 'z2')} = {_act(act, _p(f['z2']))}", f["a2"]),
        _row("C", "C (error)", f"½(y − a2)² = ½({_p(y)} − {_p(f['a2'])})²", f["C"]),
    ]
    s = r.sensitivity
    slope1, slope2 = b["act'(z1)"], b["act'(z2)"]
    backward = [
        _row("dC-da2", "dC/da2", f"−(y − a2) = −({_p(y)} − {_p(f['a2'])})", b["dC/da2"]),
        _row("act-z2", "act'(z2)", f"slope of {act} at z2 = {_p(f['z2'])}", slope2),
        _row(
            "delta2",
            "δ2 = dC/dz2",
            f"dC/da2·act'(z2) = {_p(b['dC/da2'])}·{_p(slope2)}",
            b["delta2"],
        ),
        _row("dC-dw2", "dC/dw2", f"δ2·a1 = {_p(b['delta2'])}·{_p(f['a1'])}", b["dC/dw2"]),
        _row("dC-db2", "dC/db2", "δ2", b["dC/db2"]),
        _row("act-z1", "act'(z1)", f"slope of {act} at z1 = {_p(f['z1'])}", slope1),
        _row(
            "delta1",
            "δ1 = dC/dz1",
            f"δ2·w2·act'(z1) = {_p(b['delta2'])}·{_p(p['w2'])}·{_p(slope1)}",
            b["delta1"],
        ),
        _row("dC-dw1", "dC/dw1", f"δ1·x = {_p(b['delta1'])}·{_p(x)}", b["dC/dw1"]),
        _row("dC-db1", "dC/db1", "δ1", b["dC/db1"]),
        _row("da2-dw1", "da2/dw1", "how the prediction moves with w1", s["w1"]),
        _row("da2-dw2", "da2/dw2", "how the prediction moves with w2", s["w2"]),
    ]
    header = html.Tr([html.Th("parameter"), html.Th("before"), html.Th("step"), html.Th("after")])
    rows = [header]
    for name in PARAMETERS:
        if r.rule == "descend":
            step = f"− {_p(r.lr)}·dC/d{name} = − {_p(r.lr)}·{_p(b['dC/d' + name])}"
        else:
            step = f"+ {_p(r.lr)}·da2/d{name} = + {_p(r.lr)}·{_p(s[name])}"
        if name not in r.learn:
            step = "fixed"
        rows.append(
            html.Tr(
                [
                    html.Td(name),
                    html.Td(fmt(r.before[name])),
                    html.Td(step),
                    html.Td(fmt(r.after[name]), id=f"{_S}-new-{name}"),
                ]
            )
        )
    a = r.after_forward
    rows.append(
        html.Tr(
            [
                html.Td("then"),
                html.Td(f"a2 = {fmt(f['a2'])}, C = {fmt(f['C'])}"),
                html.Td("→"),
                html.Td(f"a2 = {fmt(a['a2'])}, C = {fmt(a['C'])}", id=f"{_S}-after"),
            ]
        )
    )
    return forward, backward, rows


def chain_elements(r: HandResult) -> list[dict]:
    """The network as a chain of nodes, each with its value and dC/d(node)."""
    f, b, p = r.forward, r.backward, r.before
    nodes = [
        ("x", f"x\n{fmt(r.inputs['x'])}", 0, 1),
        ("w1", f"w1 {fmt(p['w1'])}\ndC/dw1 {fmt(b['dC/dw1'])}", 0, 0),
        ("b1", f"b1 {fmt(p['b1'])}\ndC/db1 {fmt(b['dC/db1'])}", 0, 2),
        ("z1", f"z1 {fmt(f['z1'])}\nδ1 {fmt(b['delta1'])}", 1, 1),
        ("a1", f"a1 {fmt(f['a1'])}\ndC/da1 {fmt(b['dC/da1'])}", 2, 1),
        ("w2", f"w2 {fmt(p['w2'])}\ndC/dw2 {fmt(b['dC/dw2'])}", 2, 0),
        ("b2", f"b2 {fmt(p['b2'])}\ndC/db2 {fmt(b['dC/db2'])}", 2, 2),
        ("z2", f"z2 {fmt(f['z2'])}\nδ2 {fmt(b['delta2'])}", 3, 1),
        ("a2", f"a2 {fmt(f['a2'])}\ndC/da2 {fmt(b['dC/da2'])}", 4, 1),
        ("y", f"y\n{fmt(r.inputs['y'])}", 4, 2),
        ("C", f"C {fmt(f['C'])}\ndC/dC 1", 5, 1),
    ]
    edges = [
        ("x", "z1"),
        ("w1", "z1"),
        ("b1", "z1"),
        ("z1", "a1"),
        ("a1", "z2"),
        ("w2", "z2"),
        ("b2", "z2"),
        ("z2", "a2"),
        ("a2", "C"),
        ("y", "C"),
    ]
    gates = {"z1", "a1", "z2", "a2", "C"}
    elements = [
        {
            "data": {"id": key, "label": label},
            "position": {"x": col * 108.0, "y": row * 72.0},
            "classes": "gate" if key in gates else "leaf",
        }
        for key, label, col, row in nodes
    ]
    elements += [
        {"data": {"id": f"{a}-{b_}", "source": a, "target": b_, "label": ""}} for a, b_ in edges
    ]
    return elements


def _controls(*values):
    names = ("x", "y", "w1", "b1", "w2", "b2", "activation", "lr", "rule", "learn")
    return dict(zip(names, values))


def render(x, y, w1, b1, w2, b2, activation, lr, rule, learn):
    """The chain, the three tables and the error sentence for the current controls."""
    try:
        r = backprop_by_hand(**_controls(x, y, w1, b1, w2, b2, activation, lr, rule, learn))
    except ValueError as exc:
        keep = dash.no_update
        return keep, keep, keep, keep, str(exc)
    forward, backward, update = tables(r)
    return chain_elements(r), forward, backward, update, ""


def apply_or_reset(trigger, _apply, _reset, x, y, w1, b1, w2, b2, activation, lr, rule, learn):
    """Apply: the parameters take their updated values. Reset: the course's values.

    ``trigger`` is the id of the button pressed (Dash's ``ctx.triggered_id``)."""
    keep = dash.no_update
    if trigger == f"{_S}-reset":
        d = DEFAULTS
        return d["x"], d["y"], d["w1"], d["b1"], d["w2"], d["b2"], d["lr"], "identity"
    try:
        r = backprop_by_hand(**_controls(x, y, w1, b1, w2, b2, activation, lr, rule, learn))
    except ValueError:
        return (keep,) * 8
    # Twelve significant digits: 0.95, not 0.9500000000000001, in the input boxes.
    a = {name: float(f"{value:.12g}") for name, value in r.after.items()}
    return keep, keep, a["w1"], a["b1"], a["w2"], a["b2"], keep, keep


def register_callbacks(app: dash.Dash) -> None:
    names = ("x", "y", "w1", "b1", "w2", "b2", "activation", "lr", "rule", "learn")
    app.callback(
        Output(f"{_S}-graph", "elements"),
        Output(f"{_S}-forward", "children"),
        Output(f"{_S}-backward", "children"),
        Output(f"{_S}-update", "children"),
        Output(f"{_S}-error", "children"),
        *[Input(f"{_S}-{n}", "value") for n in names],
    )(render)
    app.callback(
        *[Output(f"{_S}-{n}", "value") for n in ("x", "y", "w1", "b1", "w2", "b2", "lr")],
        Output(f"{_S}-activation", "value"),
        Input(f"{_S}-apply", "n_clicks"),
        Input(f"{_S}-reset", "n_clicks"),
        *[State(f"{_S}-{n}", "value") for n in names],
        prevent_initial_call=True,
    )(lambda *args: apply_or_reset(ctx.triggered_id, *args))
