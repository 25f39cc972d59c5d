"""Page 9: the optimiser race, and the step-size/momentum map of the ravine."""

from __future__ import annotations

from typing import Any

import dash
import numpy as np
from dash import ALL, Input, Output, Patch, State, dcc, html

from descentlab import landscapes, registry
from descentlab.lab import widgets as w
from descentlab.lab.compute import optimizers as compute
from descentlab.lab.compute.surfaces import check_surface, fit_window
from descentlab.lab.path_runs import column, path_player, register_path_player

ORDER = 9
PATH = "/optimizers"
TITLE = "Optimiser race"
EXPLANATION = """
Seven optimisers from `descentlab.optim` start from the same point (type it, or click the
contour) and take the same number of steps; **Play** runs the race again on the server, step
by step at the chosen speed (**Step** takes one, the slider shows any step already taken).
**SGD** follows the gradient. **Momentum** keeps a velocity: in the course's form a moving average,
`v ← βv + (1 − β)g` from `v = 0`, then `w ← w − lr·v` (that is `SGD(momentum=β,
dampening=β)` with a zero buffer); in PyTorch's heavy-ball form `v ← βv + g`, whose steps are
`1/(1 − β)` times longer for the same `lr`. It builds speed along a valley floor and damps
the zig-zag across it; **Nesterov** takes its gradient after the look-ahead, which brakes
sooner. **AdaGrad** divides each coordinate's step by the root of its summed squared
gradients, so steep directions slow down; **RMSprop** uses a moving average instead, so the
steps do not shrink for ever; **Adam** combines that with momentum and a bias correction;
**AdamW** adds weight decay applied to the weights directly.

Below, the ravine `x² + b·y²` run for every pair of learning rate and momentum at once:
colour is the number of steps to converge, grey cells diverged. The dashed line is the
theoretical edge: with momentum `m` the largest stable learning rate grows by `1 + m`.
"""

CHOICES = registry.optimizers.names()
COLOR = {name: w.SERIES_COLORS[i] for i, name in enumerate(CHOICES)}
DEFAULT = landscapes.get_surface("ravine")
STEPS_LOW, STEPS_HIGH = 10, compute.STEPS_HIGH
ADDRESS = (
    w.Field("surface", "optimizers-surface", kind="text"),
    w.Field("x", "optimizers-x"),
    w.Field("y", "optimizers-y"),
    w.Field("steps", "optimizers-steps"),
    w.Field("form", "optimizers-form", kind="text"),
    *[
        w.Field(key, "optimizers-query", prop="data", pick=key, kind=kind)
        for key, kind in ((k, "list" if k == "on" else "number") for k in compute.ADDRESS_KEYS)
    ],
    w.Field("speed", "optimizers-speed"),
)


def _param_input(name: str, key: str, value: float) -> Any:
    label = compute.PARAMS[name][key][0]
    return html.Span(
        [
            html.Label(label, style={"marginRight": "0.25rem"}),
            dcc.Input(
                id={"type": "optimizers-param", "opt": name, "key": key},
                type="number",
                value=value,
                step="any",
                debounce=True,
                style={"width": "5.5rem"},
            ),
        ],
        style={"marginRight": "0.8rem", "whiteSpace": "nowrap"},
    )


def layout() -> Any:
    start = compute.defaults("ravine")
    rows = [
        html.Tr(
            [
                html.Td(
                    dcc.Checklist(
                        id={"type": "optimizers-on", "opt": name},
                        options=[
                            {"label": f" {registry.optimizers.get(name).label}", "value": name}
                        ],
                        value=[name],
                        labelStyle={"color": COLOR[name], "fontWeight": 700},
                    )
                ),
                html.Td(
                    [_param_input(name, key, start[name][key]) for key in compute.PARAMS[name]]
                ),
            ]
        )
        for name in CHOICES
    ]
    return html.Div(
        [
            html.Div(
                [
                    w.control(
                        "Surface (a name or a formula in x, y)",
                        w.surface_input("optimizers-surface", "ravine", width="14rem"),
                    ),
                    w.control("Start x", w.number_input("optimizers-x", DEFAULT.start[0])),
                    w.control("Start y", w.number_input("optimizers-y", DEFAULT.start[1])),
                    w.control(
                        "Steps",
                        w.slider_box(
                            "optimizers-steps",
                            STEPS_LOW,
                            STEPS_HIGH,
                            10,
                            150,
                            marks={s: str(s) for s in (10, 100, 200, 300, 400, 500)},
                        ),
                        wide=True,
                    ),
                    w.button("optimizers-defaults", "Default settings"),
                ],
                className="lab-controls",
            ),
            html.Div(id="optimizers-error"),
            path_player("optimizers", speed=20),
            html.Div(
                [
                    w.graph("optimizers-paths", height=420),
                    w.graph("optimizers-losses", height=420),
                ],
                className="lab-row",
            ),
            html.Div(
                [
                    html.Div(id="optimizers-summary"),
                    html.P(id="optimizers-note", className="lab-note"),
                ]
            ),
            w.control(
                "Momentum's form",
                dcc.RadioItems(
                    id="optimizers-form",
                    options=[
                        {"label": f" {text}", "value": k} for k, text in compute.FORMS.items()
                    ],
                    value="average",
                    inline=True,
                ),
                wide=True,
            ),
            html.Table(html.Tbody(rows), className="lab-table"),
            html.H3("Step size and momentum on the ravine x² + b·y²"),
            html.Div(
                [
                    w.control(
                        "b",
                        dcc.Dropdown(
                            id="optimizers-map-b",
                            options=[{"label": str(b), "value": b} for b in (10, 100)],
                            value=10,
                            clearable=False,
                            style={"width": "7rem"},
                        ),
                    ),
                    w.control(
                        "Momentum form",
                        dcc.RadioItems(
                            id="optimizers-map-method",
                            options=[
                                {"label": " heavy ball", "value": "heavy"},
                                {"label": " Nesterov", "value": "nesterov"},
                            ],
                            value="heavy",
                            inline=True,
                        ),
                    ),
                ],
                className="lab-controls",
            ),
            w.graph("optimizers-map", height=460),
            dcc.Store(id="optimizers-query", storage_type="memory"),
        ]
    )


def paths_figure(result: dict[str, Any]) -> dict[str, Any]:
    surface = check_surface(result["surface"])
    window = fit_window(surface.window, [result["start"]])
    xs, ys, z = landscapes.evaluate_grid(surface, 100, window)
    x0, x1, y0, y1 = window
    data = [
        w.contour_trace(xs, ys, z, surface.log_scale),
        w.minima_trace(surface.minima),
        {
            "type": "scatter",
            "x": [result["start"][0]],
            "y": [result["start"][1]],
            "mode": "markers",
            "marker": {"size": 12, "color": "#ffffff", "line": {"width": 2, "color": "#000"}},
            "name": "start",
            "hoverinfo": "skip",
        },
    ]
    for name, run in result["runs"].items():
        data.append(
            {
                "type": "scatter",
                "x": w.plain(run["path"][:, 0]),
                "y": w.plain(run["path"][:, 1]),
                "mode": "lines",
                "line": {"color": COLOR[name], "width": 2},
                "name": registry.optimizers.get(name).label,
                "hoverinfo": "skip",
            }
        )
    return {
        "data": data,
        "layout": w.base_layout(
            title={"text": f"f(x, y) = {surface.formula}"},
            xaxis=w.axis("x", range=[x0, x1]),
            yaxis=w.axis("y", range=[y0, y1]),
            clickmode="event",
            hovermode="closest",
            uirevision=f"{surface.name}|{window}",
        ),
    }


def losses_figure(result: dict[str, Any]) -> dict[str, Any]:
    surface = check_surface(result["surface"])
    bounded = surface.min_value is not None
    data = []
    for name, run in result["runs"].items():
        values = run["losses"] - surface.min_value if bounded else run["losses"]
        if bounded:
            values = np.maximum(values, 1e-16)  # exactly 0 cannot sit on a log axis
        data.append(
            {
                "type": "scatter",
                "x": list(range(len(values))),
                "y": w.plain(values),
                "mode": "lines",
                "line": {"color": COLOR[name], "width": 2},
                "name": registry.optimizers.get(name).label,
            }
        )
    positive = all(min(t["y"], key=lambda v: v if v is not None else 1) > 0 for t in data if t["y"])
    if bounded:
        yaxis = w.axis("f − f(minimum)", type="log", exponentformat="power")
    elif positive:
        yaxis = w.axis("f", type="log", exponentformat="power")
    else:
        yaxis = w.axis("f (no known minimum)")
    return {
        "data": data,
        "layout": w.base_layout(title={"text": "loss per step"}, xaxis=w.axis("step"), yaxis=yaxis),
    }


def summary(result: dict[str, Any]) -> Any:
    header = html.Tr([html.Th(t) for t in ("optimiser", "final loss", "arrived at step", "")])
    rows = []
    for name, run in result["runs"].items():
        arrived = "—" if run["arrived_at"] is None else str(run["arrived_at"])
        note = "diverged" if run["diverged"] else ""
        rows.append(
            html.Tr(
                [
                    html.Td(
                        registry.optimizers.get(name).label,
                        style={"color": COLOR[name], "fontWeight": 700},
                    ),
                    html.Td(_final(run["final_loss"]), id=f"optimizers-final-{name}"),
                    html.Td(arrived),
                    html.Td(note),
                ]
            )
        )
    return html.Table([html.Thead(header), html.Tbody(rows)], className="lab-table")


def _final(value: float) -> str:
    """Six decimals, as 004 prints its final losses (0.002656), scientific when tiny/huge."""
    return f"{value:.6f}" if 1e-6 <= abs(value) < 1e6 or value == 0 else w.fmt(value, 6)


def map_figure(result: dict[str, Any]) -> dict[str, Any]:
    steps = result["steps"]
    cap = compute.MAP_STEPS
    shown = np.where(np.isinf(steps), cap, steps)  # nan (diverged) stays a gap
    text = np.where(
        np.isnan(steps),
        "diverged",
        np.where(np.isinf(steps), f"not within {cap} steps", "converged in "),
    ).astype(object)
    finite = np.isfinite(steps)
    text[finite] = [f"converged in {int(s)} steps" for s in steps[finite]]
    return {
        "data": [
            {
                "type": "heatmap",
                "x": w.plain(result["lrs"]),
                "y": w.plain(result["momenta"]),
                "z": w.plain(shown),
                "text": text.tolist(),
                "colorscale": "Viridis",
                "reversescale": True,
                "zmin": 0,
                "zmax": cap,
                "colorbar": {"title": {"text": "steps"}},
                "hovertemplate": "lr=%{x:.3g}<br>momentum=%{y:.2f}<br>%{text}<extra></extra>",
                "name": "steps to converge",
            },
            {
                "type": "scatter",
                "x": w.plain(result["edge"]),
                "y": w.plain(result["momenta"]),
                "mode": "lines",
                "line": {"color": "#ffffff", "width": 2, "dash": "dash"},
                "name": "stability edge",
                "hoverinfo": "skip",
            },
        ],
        "layout": w.base_layout(
            title={
                "text": f"{'Nesterov' if result['nesterov'] else 'heavy-ball'} momentum on "
                f"x² + {result['b']:g}y²: steps to converge (grey: diverged)"
            },
            xaxis=w.axis(
                "learning rate",
                type="log",
                range=[np.log10(result["lrs"][0]) - 0.05, np.log10(result["lrs"][-1]) + 0.05],
            ),
            yaxis=w.axis("momentum", range=[-0.03, 0.98]),
            plot_bgcolor="#bbbbbb",
            showlegend=False,
        ),
    }


def _settings(on_values: Any, on_ids: Any, values: Any, ids: Any) -> dict[str, dict[str, Any]]:
    """``{optimiser: {key: value}}`` for the enabled rows, from the pattern-matched inputs."""
    lists = (on_values, on_ids, values, ids)
    if not all(isinstance(v, list) for v in lists) or not all(
        isinstance(i, dict) for i in on_ids + ids
    ):
        raise ValueError("The optimiser settings are damaged; press Default settings.")
    enabled = {i.get("opt") for i, v in zip(on_ids, on_values) if v}
    settings: dict[str, dict[str, Any]] = {name: {} for name in CHOICES if name in enabled}
    for component_id, value in zip(ids, values):
        if component_id.get("opt") in settings and isinstance(component_id.get("key"), str):
            settings[component_id["opt"]][component_id["key"]] = value
    return settings


def _click_point(click: Any) -> list[Any] | None:
    if not isinstance(click, dict) or not isinstance(click.get("points"), list):
        return None
    points = click["points"]
    if not points or not isinstance(points[0], dict):
        return None
    return [points[0].get("x"), points[0].get("y")]


def draw_frame(data: dict[str, Any]) -> tuple[Patch, Patch]:
    """One frame of the race (:class:`~descentlab.lab.compute.paths.PathRun`): every path and
    loss curve up to the shown step, as :func:`paths_figure` and :func:`losses_figure` draw
    them."""
    paths, losses = Patch(), Patch()
    floor = data["meta"]["floor"]
    for i in range(len(data["meta"]["names"])):
        paths["data"][3 + i]["x"] = column(data, i, 0)
        paths["data"][3 + i]["y"] = column(data, i, 1)
        values = column(data, i, 2)
        if floor is not None:
            values = [max(v - floor, 1e-16) for v in values]
        losses["data"][i]["x"] = list(range(len(values)))
        losses["data"][i]["y"] = values
    return paths, losses


def _spec(surface, x, y, steps, form, on_values, values, on_id_list, id_list):
    settings = _settings(on_values, on_id_list, values, id_list)
    return compute.path_spec(surface, [x, y], steps, settings, form)


def register_callbacks(app: dash.Dash) -> None:
    param_ids = {"type": "optimizers-param", "opt": ALL, "key": ALL}
    on_ids = {"type": "optimizers-on", "opt": ALL}
    w.link_slider(app, "optimizers-steps", STEPS_LOW, STEPS_HIGH)
    inputs = [
        *[Input(f"optimizers-{name}", "value") for name in ("surface", "x", "y", "steps", "form")],
        Input(on_ids, "value"),
        Input(param_ids, "value"),
    ]
    register_path_player(
        app,
        "optimizers",
        "race",
        inputs,
        _spec,
        [
            Output(f"optimizers-{graph}", "figure", allow_duplicate=True)
            for graph in ("paths", "losses")
        ],
        draw_frame,
        extra=[State(on_ids, "id"), State(param_ids, "id")],
    )

    @app.callback(
        Output(param_ids, "value"),
        Output(on_ids, "value"),
        Output("optimizers-x", "value"),
        Output("optimizers-y", "value"),
        Input("optimizers-surface", "value"),
        Input("optimizers-defaults", "n_clicks"),
        State(param_ids, "id"),
        State(on_ids, "id"),
        State("optimizers-query", "data"),
    )
    def reset(surface_name, _clicks, ids, on_id_list, query):
        keep = dash.no_update
        trigger = dash.ctx.triggered_id
        try:
            surface = check_surface(surface_name)
        except ValueError:
            return [keep] * len(ids), [keep] * len(on_id_list), keep, keep
        if trigger is None:  # the page opens: the address's settings over the defaults
            values, on = compute.from_address(query, surface.name)
            x = y = keep
        else:
            values, on = compute.defaults(surface.name), list(CHOICES)
            x, y = surface.start
        return (
            [values[i["opt"]][i["key"]] for i in ids],
            [[i["opt"]] if i["opt"] in on else [] for i in on_id_list],
            x,
            y,
        )

    @app.callback(
        Output("optimizers-x", "value", allow_duplicate=True),
        Output("optimizers-y", "value", allow_duplicate=True),
        Input("optimizers-paths", "clickData"),
        prevent_initial_call=True,
    )
    def place(click):
        point = _click_point(click)
        if point is None:
            return dash.no_update, dash.no_update
        return point[0], point[1]

    @app.callback(
        Output("optimizers-paths", "figure"),
        Output("optimizers-losses", "figure"),
        Output("optimizers-summary", "children"),
        Output("optimizers-note", "children"),
        Output("optimizers-query", "data"),
        Output("optimizers-error", "children"),
        *inputs,
        State(on_ids, "id"),
        State(param_ids, "id"),
    )
    def run(surface, x, y, steps, form, on_values, values, on_id_list, id_list):
        keep = dash.no_update
        try:
            settings = _settings(on_values, on_id_list, values, id_list)
            result = compute.race(surface, [x, y], steps, settings, form)
            checked = compute.check_settings(settings)
        except ValueError as exc:
            return (keep,) * 5 + (str(exc),)
        enabled = [i["opt"] for i, v in zip(on_id_list, on_values) if v]
        every = _settings([[i["opt"]] for i in on_id_list], on_id_list, values, id_list)
        query = compute.to_address(every, enabled, result["surface"])
        return (
            paths_figure(result),
            losses_figure(result),
            summary(result),
            compute.momentum_note(result, checked),
            query,
            "",
        )

    @app.callback(
        Output("optimizers-map", "figure"),
        Output("optimizers-error", "children", allow_duplicate=True),
        Input("optimizers-map-b", "value"),
        Input("optimizers-map-method", "value"),
        prevent_initial_call="initial_duplicate",
    )
    def ravine_map(b, method):
        try:
            result = compute.ravine_map(b, nesterov=method == "nesterov")
        except ValueError as exc:
            return dash.no_update, str(exc)
        return map_figure(result), dash.no_update
