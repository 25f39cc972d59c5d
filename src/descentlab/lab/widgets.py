"""Small building blocks shared by the lab's pages: labelled controls, graphs, figure pieces.

Figures are plain dicts (``{"data": [...], "layout": {...}}``) rather than ``go.Figure``:
they need no validation pass on every request, and small arrays travel as lists. Large grids
(contour ``z``) travel as Plotly's base64 typed arrays, which plotly.js decodes.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import dash_cytoscape as cyto
import numpy as np
from dash import dcc, html

from descentlab import landscapes
from descentlab.lab.compute.circuit import Circuit, StageView, variable_paths
from descentlab.lab.compute.circuit import fmt as circuit_fmt

COLORS = {
    "path": "#ff7f0e",
    "point": "#ffffff",
    "tangent": "#ff7f0e",
    "secant": "#17a2a2",
    "curve": "#1d4f80",
    "minimum": "#e6194b",
}
# One colour per optimiser (and per batch size on the batch page), fixed so that a line keeps
# its colour when others are switched off.
SERIES_COLORS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
]


def plain(values: Any) -> Any:
    """A NumPy array (or scalar) as JSON-ready lists of floats, with NaN/inf as None."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        x = float(arr)
        return x if math.isfinite(x) else None
    out = arr.astype(object)
    out[~np.isfinite(arr)] = None
    return out.tolist()


def typed(values: np.ndarray) -> dict[str, str]:
    """A 1-D or 2-D array as Plotly's base64 typed-array spec (float32)."""
    arr = np.ascontiguousarray(values, dtype="<f4")
    spec = {"dtype": "f4", "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
    if arr.ndim == 2:
        spec["shape"] = f"{arr.shape[0]}, {arr.shape[1]}"
    return spec


def control(label: str, component: Any, wide: bool = False, label_id: str | None = None) -> Any:
    """A labelled control; ``label_id`` lets a callback rewrite the label (e.g. a value)."""
    kwargs = {"id": label_id} if label_id else {}
    return html.Div(
        [html.Label(label, **kwargs), component],
        className="lab-control" + (" lab-control-wide" if wide else ""),
    )


def slider(
    component_id: str,
    low: float,
    high: float,
    step: float,
    value: float,
    marks: dict[float, str] | None = None,
    direct_input: bool = False,
) -> dcc.Slider:
    """A Dash 4 slider that reports its value on every move (keyboard or drag)."""
    return dcc.Slider(
        id=component_id,
        min=low,
        max=high,
        step=step,
        value=value,
        marks=marks,
        updatemode="drag",
        allow_direct_input=direct_input,
    )


def number_input(component_id: str, value: float, step: float | str = "any") -> dcc.Input:
    return dcc.Input(id=component_id, type="number", value=value, step=step, debounce=True)


def surface_input(component_id: str, value: str, width: str = "16rem") -> html.Div:
    """A text box for a surface, a name or a formula in x and y, suggesting the named ones
    (``landscapes.SURFACES``) from a datalist ``<component_id>s``; Enter or leaving commits."""
    return html.Div(
        [
            dcc.Input(
                id=component_id,
                type="text",
                value=value,
                list=f"{component_id}s",
                debounce=True,
                style={"width": width},
            ),
            html.Datalist(
                id=f"{component_id}s",
                children=[html.Option(value=name, label=name) for name in landscapes.SURFACES],
            ),
        ]
    )


def button(component_id: str, text: str, primary: bool = False) -> html.Button:
    return html.Button(
        text,
        id=component_id,
        n_clicks=0,
        className="lab-button" + (" lab-button-primary" if primary else ""),
    )


def graph(component_id: str, height: int = 480, figure: dict | None = None) -> dcc.Graph:
    return dcc.Graph(
        id=component_id,
        figure=figure or {"data": [], "layout": base_layout()},
        style={"height": f"{height}px"},
        config={"displaylogo": False, "scrollZoom": False},
    )


def base_layout(**overrides: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "margin": {"l": 55, "r": 20, "t": 40, "b": 45},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {"size": 14},  # projector-ready: no graph text under 14 px
        "legend": {"orientation": "h", "y": -0.18},
        "uirevision": "keep",
    }
    layout.update(overrides)
    return layout


def axis(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": title}, "gridcolor": "#e5e9f0", "zeroline": False, **extra}


def contour_trace(
    xs: np.ndarray, ys: np.ndarray, z: np.ndarray, log_scale: bool, **extra: Any
) -> dict[str, Any]:
    """A filled contour of ``z[i, j] = f(xs[j], ys[i])``; on ``log10(1 + z - min z)`` when
    ``log_scale`` (steep walls would otherwise leave the floor a single colour)."""
    shown = np.log10(1.0 + z - np.nanmin(z)) if log_scale else z
    return {
        "type": "contour",
        "x": plain(xs),
        "y": plain(ys),
        "z": typed(shown),
        "colorscale": "Viridis",
        "ncontours": 28,
        "line": {"width": 0.5, "color": "rgba(255,255,255,0.35)"},
        "showscale": False,
        "hovertemplate": "x=%{x:.3f}<br>y=%{y:.3f}<extra></extra>",
        "name": "surface",
        **extra,
    }


def minima_trace(minima: Sequence[Sequence[float]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "scatter",
        "x": [m[0] for m in minima],
        "y": [m[1] for m in minima],
        "mode": "markers",
        "marker": {"symbol": "star", "size": 13, "color": COLORS["minimum"]},
        "name": "minimum",
        "hoverinfo": "skip",
        **extra,
    }


def readout(component_id: str) -> html.Pre:
    return html.Pre(id=component_id, className="lab-readout")


def fmt(x: float | None, digits: int = 5) -> str:
    """A number for a readout: fixed for moderate sizes, scientific otherwise."""
    if x is None or not math.isfinite(x):
        return "—" if x is None else str(x)
    if x == 0 or 1e-3 <= abs(x) < 1e5:
        return f"{x:.{digits}g}"
    return f"{x:.{max(digits - 2, 2)}e}"


# ------------------------------------------------------------------ exact numbers
def slider_box(
    component_id: str,
    low: float,
    high: float,
    step: float,
    value: float,
    marks: dict[float, str] | None = None,
    log: bool = False,
) -> html.Div:
    """A number box ``component_id`` (the value pages read: typed values are exact, Enter or
    leaving the box commits) with a slider ``<component_id>-slider`` beside it for quick moves.

    With ``log`` the slider moves ``log10(value)`` between ``low`` and ``high`` (exponents);
    :func:`link_slider` keeps the two in step.
    """
    start = math.log10(value) if log else value
    return html.Div(
        [
            dcc.Input(
                id=component_id,
                type="number",
                value=value,
                step="any",
                debounce=True,
                className="lab-box",
            ),
            html.Div(
                dcc.Slider(
                    id=f"{component_id}-slider",
                    min=low,
                    max=high,
                    step=step,
                    value=start,
                    marks=marks,
                    updatemode="drag",
                    allow_direct_input=False,
                ),
                className="lab-slider",
            ),
        ],
        className="lab-slider-box",
    )


def _finite(value: Any) -> float | None:
    """``value`` as a finite float, or None (not a number, a bool, too large, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        x = float(value)
    except OverflowError:
        return None
    return x if math.isfinite(x) else None


def slider_to_box(position: Any, log: bool) -> float | None:
    """The box value for a slider position (3 significant digits on a log slider)."""
    position = _finite(position)
    if position is None or abs(position) > 1e6:
        return None
    if log:
        return float(f"{10.0**position:.3g}") if abs(position) <= 300 else None
    return float(position)


def box_to_slider(value: Any, low: float, high: float, log: bool) -> float | None:
    """The slider position for a box value, clipped to the slider's range (None: leave it)."""
    value = _finite(value)
    if value is None:
        return None
    if log:
        if value <= 0:
            return None
        value = math.log10(value)
    return min(max(float(value), low), high)


def link_slider(app: Any, component_id: str, low: float, high: float, log: bool = False) -> None:
    """Keep a :func:`slider_box` pair in step: the slider writes a rounded value into the box;
    a typed value moves the slider (clipped to its range) and stays exact in the box."""
    from dash import Input, Output, ctx, no_update

    slider_id = f"{component_id}-slider"

    @app.callback(
        Output(component_id, "value", allow_duplicate=True),
        Output(slider_id, "value"),
        Input(component_id, "value"),
        Input(slider_id, "value"),
        prevent_initial_call="initial_duplicate",
    )
    def _sync(value: Any, position: Any) -> tuple[Any, Any]:
        if ctx.triggered_id == slider_id:
            new = slider_to_box(position, log)
            return (no_update if new is None or new == value else new), no_update
        spot = box_to_slider(value, low, high, log)
        here = _finite(position)
        if spot is None or (here is not None and abs(spot - here) < 1e-12):
            return no_update, no_update
        return no_update, spot


# ------------------------------------------------------------------ the address
MAX_QUERY = 2000  # characters of a query string the lab reads


@dataclass(frozen=True)
class Field:
    """One part of a page's state kept in its address (``?key=value``).

    ``component``/``prop`` is where the value lives in the page (a number box, a dropdown, a
    store); ``kind`` says how the text of the address becomes a value: ``"number"`` (a float,
    an int when whole), ``"text"`` or ``"list"`` (comma-separated). With ``pick`` the value
    lives under that key of a store's dict (``{"steps": 15}``). ``kind="query"`` (key
    ``"*"``) hands a store the whole query as text, and writes back every key of the store's
    dict: for state whose keys are not known in advance (a circuit's variables).
    """

    key: str
    component: str
    prop: str = "value"
    kind: str = "number"
    pick: str | None = None


def parse_query(search: Any) -> dict[str, str]:
    """``"?lr=0.1&w0=10"`` as ``{"lr": "0.1", "w0": "10"}``.

    ``+`` stays a plus (an address such as ``?surface=x**2+2*y**2`` carries an expression),
    ``%XX`` escapes are decoded; anything that is not a string, or longer than
    :data:`MAX_QUERY`, reads as no query at all.
    """
    if not isinstance(search, str) or len(search) > MAX_QUERY:
        return {}
    query: dict[str, str] = {}
    for part in search.removeprefix("?").split("&"):
        key, _, value = part.partition("=")
        if key:
            query[unquote(key)] = unquote(value)
    return query


def query_value(text: str, kind: str) -> Any:
    """The value for a component from the text of the address (see :class:`Field`); a number
    that does not parse stays text, so that the page's own check names it."""
    if kind == "list":
        return [part for part in text.split(",") if part]
    if kind == "number":
        try:
            x = float(text)
        except ValueError:
            return text
        if not math.isfinite(x):
            return text
        return int(x) if x.is_integer() and abs(x) < 2**53 else x
    return text


def apply_address(layout: Any, fields: Sequence[Field], query: dict[str, str]) -> Any:
    """Set the components of ``layout`` named by ``fields`` from ``query`` (in place)."""
    wanted: dict[str, list[Field]] = {}
    for f in fields:
        if f.key in query or (f.kind == "query" and query):
            wanted.setdefault(f.component, []).append(f)
    if not wanted:
        return layout
    for component in layout._traverse():
        component_id = getattr(component, "id", None)
        for f in wanted.get(component_id, []) if isinstance(component_id, str) else []:
            if f.kind == "query":
                setattr(component, f.prop, dict(query))
                continue
            value = query_value(query[f.key], f.kind)
            if f.pick is None:
                setattr(component, f.prop, value)
            else:
                current = getattr(component, f.prop, None)
                merged = dict(current) if isinstance(current, dict) else {}
                merged[f.pick] = value
                setattr(component, f.prop, merged)
    return layout


# Writes the page's fields into the address bar with history.replaceState (no reload, no
# request): keys in the page's order, values with encodeURIComponent, lists comma-joined.
_ADDRESS_JS = """
function(...values) {
  const fields = %s, path = %s;
  const parts = [], seen = new Set();
  const put = (key, v) => {
    if (v === null || v === undefined || v === '' || seen.has(key)) return;
    if (Array.isArray(v)) v = v.join(',');
    if (typeof v === 'object') return;
    seen.add(key);
    parts.push(encodeURIComponent(key) + '=' + encodeURIComponent(String(v)));
  };
  fields.forEach(([key, pick], i) => {
    let v = values[i];
    if (key === '*') {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        Object.keys(v).forEach((k) => put(k, v[k]));
      }
      return;
    }
    if (pick !== null) v = (v && typeof v === 'object') ? v[pick] : undefined;
    put(key, v);
  });
  const search = parts.length ? '?' + parts.join('&') : '';
  if (window.location.pathname === path && window.location.search !== search) {
    window.history.replaceState(window.history.state, '', path + search);
  }
  return search;
}
"""


def register_address(app: Any, prefix: str, path: str, fields: Sequence[Field]) -> None:
    """Keep the address bar of page ``path`` in step with its ``fields``, in the browser.

    The page's layout must hold ``dcc.Store(id=f"{prefix}-address")`` (:func:`address_store`).
    """
    import json

    from dash import Input, Output

    spec = json.dumps([[f.key, f.pick] for f in fields])
    app.clientside_callback(
        _ADDRESS_JS % (spec, json.dumps(path)),
        Output(f"{prefix}-address", "data"),
        *[Input(f.component, f.prop) for f in fields],
    )


def address_store(prefix: str) -> dcc.Store:
    return dcc.Store(id=f"{prefix}-address")


# ------------------------------------------------------------------ circuits (cytoscape)
# Labels of 20 model pixels on a grid of 210 x 115: a four-column circuit fitted to its
# panel at 1024x768 (about 630 px wide) is drawn at a zoom of about 0.73, its text at 14 px+.
STYLESHEET = [
    {
        "selector": "node",
        "style": {
            "label": "data(label)",
            "text-wrap": "wrap",
            "text-valign": "center",
            "text-halign": "center",
            "font-size": 20,
            "width": 170,
            "height": 96,
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
            "font-size": 16,
            "color": "#c0392b",
            "text-background-color": "#ffffff",
            "text-background-opacity": 0.8,
        },
    },
    {"selector": ".flowing", "style": {"line-color": "#e67e22", "target-arrow-color": "#e67e22"}},
]


def circuit_positions(circuit: Circuit) -> dict[str, tuple[float, float]]:
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
    return {node.id: (column[node.id] * 210.0, row[node.id] * 115.0) for node in circuit.nodes}


def graph_elements(circuit: Circuit, view: StageView) -> list[dict]:
    """Cytoscape elements: each node shows its name, value and gradient; each edge the
    gradient contribution that flowed back along it (once it has)."""
    positions = circuit_positions(circuit)
    out_name = circuit.node(circuit.output).name
    elements: list[dict] = []
    for node in circuit.nodes:
        value, grad = view.values[node.id], view.grads[node.id]
        title = f"{node.name} = {node.formula}" if node.is_gate else node.name
        lines = [title, f"value {circuit_fmt(value)}" if value is not None else "value ?"]
        if node.op != "const":
            lines.append(
                f"d{out_name}/d{node.name} {circuit_fmt(grad)}" if grad is not None else ""
            )
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
                    "label": "" if grad is None else circuit_fmt(grad),
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
                    html.Td("" if value is None else circuit_fmt(value), className="value"),
                    html.Td("" if grad is None else circuit_fmt(grad), className="grad"),
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
        terms = " + ".join(
            f"{circuit_fmt(g)} (via {gate} = {formula})" for gate, formula, g in flowed
        )
        if total is not None:
            text = f"d{out_name}/d{name} = {terms} = {circuit_fmt(total)}"
        else:
            waiting = ", ".join(gate for gate, _, g in parts if g is None)
            text = f"d{out_name}/d{name} so far: {terms}; still to come through {waiting}"
        lines.append(html.Li(text, **{"data-variable": name}))
    if not lines:
        return []
    return [html.P("Variables reached along more than one path:"), html.Ul(lines)]


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


# ------------------------------------------------------------------ stepping through an index
# Play/Pause over a slider whose value is a frame index (the page's own callback draws the
# frame): the button toggles the timer; each tick moves one on and stops at the slider's max.
_INDEX_PLAY_JS = """
function(clicks, disabled, k, last) {
  if (!disabled) return [true, 'Play', window.dash_clientside.no_update];
  return [false, 'Pause', (typeof k === 'number' && k < last) ? k : 0];
}
"""
_INDEX_TICK_JS = """
function(ticks, k, last) {
  const next = Math.min((typeof k === 'number' ? k : 0) + 1, last || 0);
  return [next, next >= last, next >= last ? 'Play' : 'Pause'];
}
"""


def register_index_player(app: Any, button_id: str, clock_id: str, slider_id: str) -> None:
    """Wire a Play button and a ``dcc.Interval`` to step a slider from its value to its max,
    in the browser (no request per tick): Play from the end starts again at 0."""
    from dash import Input, Output, State

    app.clientside_callback(
        _INDEX_PLAY_JS,
        Output(clock_id, "disabled"),
        Output(button_id, "children"),
        Output(slider_id, "value", allow_duplicate=True),
        Input(button_id, "n_clicks"),
        State(clock_id, "disabled"),
        State(slider_id, "value"),
        State(slider_id, "max"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        _INDEX_TICK_JS,
        Output(slider_id, "value", allow_duplicate=True),
        Output(clock_id, "disabled", allow_duplicate=True),
        Output(button_id, "children", allow_duplicate=True),
        Input(clock_id, "n_intervals"),
        State(slider_id, "value"),
        State(slider_id, "max"),
        prevent_initial_call=True,
    )
