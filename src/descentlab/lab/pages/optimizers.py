"""Page 9: the optimiser race, and the step-size/momentum map of the ravine."""

from __future__ import annotations

from typing import Any

import dash
import numpy as np
from dash import ALL, Input, Output, State, dcc, html

from descentlab import landscapes, registry
from descentlab.lab import widgets as w
from descentlab.lab.compute import optimizers as compute
from descentlab.lab.compute.landscape import check_surface, surface_options

ORDER = 9
PATH = "/optimizers"
TITLE = "Optimiser race"
EXPLANATION = """
Seven optimisers from `descentlab.optim` start from the same point (click the contour to
move it) and take the same number of steps. **SGD** follows the gradient. **Momentum** keeps
a running sum of past gradients, a heavy ball that builds speed along a valley floor and damps
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
                        "Surface",
                        dcc.Dropdown(
                            id="optimizers-surface",
                            options=surface_options(),
                            value="ravine",
                            clearable=False,
                            style={"width": "20rem"},
                        ),
                    ),
                    w.control(
                        "Steps",
                        w.slider(
                            "optimizers-steps",
                            10,
                            compute.STEPS_HIGH,
                            10,
                            150,
                            marks={s: str(s) for s in (10, 100, 200, 300, 400, 500)},
                        ),
                        wide=True,
                        label_id="optimizers-steps-label",
                    ),
                    w.button("optimizers-defaults", "Default settings"),
                ],
                className="lab-controls",
            ),
            html.Table(html.Tbody(rows), className="lab-table"),
            html.Div(id="optimizers-error"),
            html.Div(
                [
                    w.graph("optimizers-paths", height=480),
                    w.graph("optimizers-losses", height=480),
                ],
                className="lab-row",
            ),
            html.Div(id="optimizers-summary"),
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
            dcc.Store(id="optimizers-start", storage_type="memory"),
        ]
    )


def paths_figure(result: dict[str, Any]) -> dict[str, Any]:
    surface = check_surface(result["surface"])
    xs, ys, z = landscapes.evaluate_grid(surface, 100)
    x0, x1, y0, y1 = surface.window
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
            uirevision=surface.name,
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
    yaxis = (
        w.axis("f − f(minimum)", type="log", exponentformat="power")
        if bounded
        else w.axis("f (unbounded below)")
    )
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
                    html.Td(w.fmt(run["final_loss"], 6)),
                    html.Td(arrived),
                    html.Td(note),
                ]
            )
        )
    return html.Table([html.Thead(header), html.Tbody(rows)], className="lab-table")


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


def _settings(on_values: list[Any], on_ids: list[dict], values: list[Any], ids: list[dict]):
    enabled = {i["opt"] for i, v in zip(on_ids, on_values) if v}
    settings: dict[str, dict[str, Any]] = {name: {} for name in CHOICES if name in enabled}
    for component_id, value in zip(ids, values):
        if component_id["opt"] in settings:
            settings[component_id["opt"]][component_id["key"]] = value
    return settings


def register_callbacks(app: dash.Dash) -> None:
    param_ids = {"type": "optimizers-param", "opt": ALL, "key": ALL}
    on_ids = {"type": "optimizers-on", "opt": ALL}

    @app.callback(
        Output(param_ids, "value"),
        Output("optimizers-start", "data"),
        Input("optimizers-surface", "value"),
        Input("optimizers-defaults", "n_clicks"),
        State(param_ids, "id"),
    )
    def reset(surface_name, _clicks, ids):
        try:
            surface = check_surface(surface_name)
        except ValueError:
            return [dash.no_update] * len(ids), dash.no_update
        values = compute.defaults(surface.name)
        start = {"surface": surface.name, "point": list(surface.start)}
        return [values[i["opt"]][i["key"]] for i in ids], start

    @app.callback(
        Output("optimizers-start", "data", allow_duplicate=True),
        Input("optimizers-paths", "clickData"),
        State("optimizers-start", "data"),
        prevent_initial_call=True,
    )
    def place(click, start):
        if not click or not click.get("points") or not isinstance(start, dict):
            return dash.no_update
        point = click["points"][0]
        return {"surface": start.get("surface"), "point": [point.get("x"), point.get("y")]}

    @app.callback(
        Output("optimizers-paths", "figure"),
        Output("optimizers-losses", "figure"),
        Output("optimizers-summary", "children"),
        Output("optimizers-steps-label", "children"),
        Output("optimizers-error", "children"),
        Input("optimizers-start", "data"),
        Input("optimizers-steps", "value"),
        Input(on_ids, "value"),
        Input(param_ids, "value"),
        State(on_ids, "id"),
        State(param_ids, "id"),
    )
    def run(start, steps, on_values, values, on_id_list, id_list):
        keep = dash.no_update
        if not isinstance(start, dict):
            return keep, keep, keep, keep, keep
        try:
            settings = _settings(on_values, on_id_list, values, id_list)
            result = compute.race(start.get("surface"), start.get("point"), steps, settings)
        except ValueError as exc:
            return keep, keep, keep, keep, str(exc)
        return (
            paths_figure(result),
            losses_figure(result),
            summary(result),
            f"Steps = {result['steps']}",
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
