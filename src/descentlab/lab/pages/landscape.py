"""Page 1: the loss landscape. Click to place a point, then step or run downhill."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, Patch, State, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute import landscape as compute

ORDER = 1
PATH = "/landscape"
TITLE = "Loss landscape"
EXPLANATION = """
A model with two weights has a loss for every pair of values: a surface, drawn here as
contours (darker is lower). **Click** anywhere to put the weights there. The red arrow is
minus the gradient, the direction in which the loss falls fastest; its length here is fixed,
the readout gives its size. **Step** moves the point once, `w ← w − lr · ∇L(w)`, with
descentlab's `SGD` on the surface written as Tensor code; **Run** keeps stepping.

Try the ravine to see a path bounce between steep walls, Rosenbrock to see it crawl along
a curved valley floor, Himmelblau to see the start decide which of four minima you reach,
and the saddle to see a point balanced on a ridge slide off sideways.
"""

TRACE_PATH, TRACE_POINT = 2, 3  # indices in the figure's data


def layout() -> Any:
    return html.Div(
        [
            html.Div(
                [
                    w.control(
                        "Surface",
                        dcc.Dropdown(
                            id="landscape-surface",
                            options=compute.surface_options(),
                            value="bowl",
                            clearable=False,
                            style={"width": "22rem"},
                        ),
                    ),
                    w.control("Learning rate", w.number_input("landscape-lr", 0.1)),
                    w.button("landscape-step", "Step", primary=True),
                    w.button("landscape-run", "Run"),
                    w.button("landscape-reset", "Reset"),
                ],
                className="lab-controls",
            ),
            html.Div(id="landscape-error"),
            w.graph("landscape-graph", height=540),
            w.readout("landscape-readout"),
            dcc.Store(id="landscape-state", storage_type="memory"),
            dcc.Interval(id="landscape-timer", interval=150, disabled=True),
        ]
    )


def _arrow_annotation(state: dict[str, Any]) -> dict[str, Any]:
    arrow = compute.arrow(state)
    if arrow is None:
        return {"visible": False, "x": 0, "y": 0, "ax": 0, "ay": 0, "showarrow": False}
    return {
        "visible": True,
        "x": arrow["x1"],
        "y": arrow["y1"],
        "ax": arrow["x0"],
        "ay": arrow["y0"],
        "xref": "x",
        "yref": "y",
        "axref": "x",
        "ayref": "y",
        "showarrow": True,
        "arrowhead": 3,
        "arrowsize": 1.2,
        "arrowwidth": 2.5,
        "arrowcolor": "#ff4136",
        "text": "",
    }


def _path_traces(state: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    xs = [p[0] for p in state["path"]]
    ys = [p[1] for p in state["path"]]
    path = {
        "type": "scatter",
        "x": xs,
        "y": ys,
        "mode": "lines+markers",
        "line": {"color": w.COLORS["path"], "width": 2},
        "marker": {"size": 4, "color": w.COLORS["path"]},
        "name": "path",
        "hoverinfo": "skip",
    }
    point = {
        "type": "scatter",
        "x": xs[-1:],
        "y": ys[-1:],
        "mode": "markers",
        "marker": {"size": 13, "color": w.COLORS["point"], "line": {"width": 2, "color": "#000"}},
        "name": "current point",
        "hoverinfo": "skip",
    }
    return path, point


def figure(view: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    path, point = _path_traces(state)
    x0, x1, y0, y1 = view["window"]
    return {
        "data": [
            w.contour_trace(view["xs"], view["ys"], view["z"], view["log_scale"]),
            w.minima_trace(view["minima"]),
            path,
            point,
        ],
        "layout": w.base_layout(
            title={"text": f"f(x, y) = {view['formula']}"},
            # equal scales, so the arrow meets the contours at a right angle
            xaxis=w.axis("x", range=[x0, x1], constrain="domain"),
            yaxis=w.axis("y", range=[y0, y1], scaleanchor="x", scaleratio=1, constrain="domain"),
            annotations=[_arrow_annotation(state)],
            showlegend=False,
            uirevision=view["name"],
            clickmode="event",
            hovermode="closest",
        ),
    }


def patch(state: dict[str, Any]) -> Patch:
    """Only what changes between steps: the path, the point and the arrow."""
    path, point = _path_traces(state)
    patched = Patch()
    patched["data"][TRACE_PATH]["x"] = path["x"]
    patched["data"][TRACE_PATH]["y"] = path["y"]
    patched["data"][TRACE_POINT]["x"] = point["x"]
    patched["data"][TRACE_POINT]["y"] = point["y"]
    patched["layout"]["annotations"][0] = _arrow_annotation(state)
    return patched


STATUS = {
    "converged": "Stopped: the gradient vanished (converged).",
    "diverged": "Stopped: the loss blew up (diverged); lower the learning rate and Reset.",
    "left the view": "Stopped: the point left the view; lower the learning rate or Reset.",
    "step limit": f"Stopped: {compute.MAX_PATH} steps, the most one run keeps; press Reset.",
}


def readout(state: dict[str, Any]) -> str:
    x, y = state["path"][-1]
    gx, gy = state["grads"][-1]
    arrow = compute.arrow(state)
    norm = arrow["norm"] if arrow else 0.0
    lines = [
        f"step {len(state['path']) - 1}   point (x, y) = ({w.fmt(x)}, {w.fmt(y)})",
        f"loss f(x, y) = {w.fmt(state['losses'][-1], 8)}",
        f"gradient ∇f = ({w.fmt(gx)}, {w.fmt(gy)})   |∇f| = {w.fmt(norm)}",
    ]
    if state.get("status"):
        lines.append(STATUS[state["status"]])
    return "\n".join(lines)


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("landscape-graph", "figure"),
        Output("landscape-state", "data"),
        Output("landscape-readout", "children"),
        Output("landscape-error", "children"),
        Output("landscape-timer", "disabled", allow_duplicate=True),
        Output("landscape-run", "children", allow_duplicate=True),
        Output("landscape-lr", "value"),
        Input("landscape-surface", "value"),
        Input("landscape-reset", "n_clicks"),
        Input("landscape-graph", "clickData"),
        Input("landscape-step", "n_clicks"),
        Input("landscape-timer", "n_intervals"),
        State("landscape-state", "data"),
        State("landscape-lr", "value"),
        prevent_initial_call="initial_duplicate",
    )
    def update(surface, _reset, click, _step, _tick, state, lr):
        trigger = dash.ctx.triggered_id
        keep = dash.no_update
        try:
            if trigger in (None, "landscape-surface", "landscape-reset"):
                view = compute.surface_view(surface)
                state = compute.start_state(surface)
                new_lr = view["lr"] if trigger != "landscape-reset" else keep
                return figure(view, state), state, readout(state), "", True, "Run", new_lr
            if trigger == "landscape-graph":
                if not click or not click.get("points"):
                    return (keep,) * 7
                point = click["points"][0]
                state = compute.start_state(surface, [point.get("x"), point.get("y")])
                return patch(state), state, readout(state), "", True, "Run", keep
            state = compute.step_state(state, lr)
            if trigger == "landscape-timer" and not state["status"]:
                # a tick never touches the timer: a tick answered after Pause stays paused
                return patch(state), state, readout(state), "", keep, keep, keep
            return patch(state), state, readout(state), "", True, "Run", keep
        except ValueError as exc:
            return keep, keep, keep, str(exc), True, "Run", keep

    # Run/Pause is its own callback: the timer re-triggers the one above every tick, and a
    # newer call of a callback makes Dash drop the answer of the older one, Pause included.
    @app.callback(
        Output("landscape-timer", "disabled"),
        Output("landscape-run", "children"),
        Output("landscape-error", "children", allow_duplicate=True),
        Input("landscape-run", "n_clicks"),
        State("landscape-timer", "disabled"),
        State("landscape-lr", "value"),
        prevent_initial_call=True,
    )
    def run_or_pause(_clicks, stopped, lr):
        if not stopped:
            return True, "Run", dash.no_update
        try:
            compute.check_lr(lr)
        except ValueError as exc:
            return True, "Run", str(exc)
        return False, "Pause", ""
