"""Page 1: the loss landscape. Click (or type) a start, then step or run downhill."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, Patch, State, dcc, html

from descentlab import landscapes
from descentlab.lab import widgets as w
from descentlab.lab.compute import bounds
from descentlab.lab.compute import landscape as compute
from descentlab.lab.compute.paths import check_speed
from descentlab.lab.path_runs import POLL_FAST_MS, POLL_SLOW_MS, speed_control
from descentlab.lab.runs import MANAGER, check_session_id, new_session_id

ORDER = 1
PATH = "/landscape"
TITLE = "Loss landscape"
EXPLANATION = """
A model with two weights has a loss for every pair of values: a surface, drawn here as
contours (darker is lower). **Click** anywhere, or type a start, to put the weights there.
The red arrow is the next step, `−lr · ∇f`: its length is `lr · |∇f|`, so it shrinks as the
slope flattens and disappears near a minimum. **Step** moves the point once,
`w ← w − lr · ∇f(w)`, with descentlab's `SGD` on the surface written as Tensor code; **Run**
keeps stepping, on the server at the chosen speed, until `|∇f|` falls below the tolerance
(**Run** again pauses, **Step** takes one more), and the plot beside draws the loss at each
step.

The surface is a named one or any formula in `x` and `y` (`x**2 + 2*y**2`, `x*y + tanh(x)`...,
with `+ - * / **` and exp, log, sqrt, abs, relu, sigmoid, tanh, max, min); the view widens to
hold the start. Try the ravine to see a path bounce between steep walls, Rosenbrock to see it
crawl along a curved valley floor, Himmelblau to see the start decide which of four minima
you reach, and the saddle to see a point balanced on a ridge slide off sideways.
"""

TRACE_PATH, TRACE_POINT = 2, 3  # indices in the figure's data
RUN = "landscape"  # the name of the page's run (lab.runs)
ADDRESS = (
    w.Field("surface", "landscape-surface", kind="text"),
    w.Field("x", "landscape-x"),
    w.Field("y", "landscape-y"),
    w.Field("lr", "landscape-lr"),
    w.Field("tol", "landscape-tol"),
    w.Field("speed", "landscape-speed"),
    w.Field("steps", "landscape-state", prop="data", pick="steps"),
)
DEFAULT = landscapes.get_surface("bowl")


def layout() -> Any:
    return html.Div(
        [
            html.Div(
                [
                    w.control(
                        "Surface (a name or a formula in x, y)",
                        w.surface_input("landscape-surface", "bowl", width="16rem"),
                    ),
                    w.control("Start x", w.number_input("landscape-x", DEFAULT.start[0])),
                    w.control("Start y", w.number_input("landscape-y", DEFAULT.start[1])),
                    w.control("Learning rate", w.number_input("landscape-lr", DEFAULT.lr)),
                    w.control("Run stops at |∇f| <", w.number_input("landscape-tol", compute.TOL)),
                    w.control("Speed", speed_control("landscape-speed", 20)),
                    w.button("landscape-step", "Step", primary=True),
                    w.button("landscape-run", "Run"),
                    w.button("landscape-reset", "Reset"),
                    html.Span(id="landscape-run-state", className="lab-run-state"),
                ],
                className="lab-controls",
            ),
            html.Div(id="landscape-error"),
            html.Div(
                [
                    w.graph("landscape-graph", height=440),
                    html.Div(
                        [
                            w.readout("landscape-readout"),
                            w.graph("landscape-losses", height=260),
                        ]
                    ),
                ],
                className="lab-row",
            ),
            dcc.Store(id="landscape-state", storage_type="memory"),
            dcc.Store(id="landscape-session", data=new_session_id()),
            dcc.Store(id="landscape-seen", data=""),
            dcc.Interval(id="landscape-poll", interval=POLL_SLOW_MS),
        ]
    )


def _arrow_annotation(state: dict[str, Any], lr: float) -> dict[str, Any]:
    arrow = compute.arrow(state, lr)
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


def figure(view: dict[str, Any], state: dict[str, Any], lr: float) -> dict[str, Any]:
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
            annotations=[_arrow_annotation(state, lr)],
            showlegend=False,
            # a new surface or start is a new view: the axes refit to it
            uirevision=f"{view['name']}|{view['window']}",
            clickmode="event",
            hovermode="closest",
        ),
    }


def losses_figure(state: dict[str, Any]) -> dict[str, Any]:
    losses = state["losses"]
    positive = all(v > 0 for v in losses)
    return {
        "data": [
            {
                "type": "scatter",
                "x": list(range(len(losses))),
                "y": losses,
                "mode": "lines+markers",
                "marker": {"size": 4},
                "line": {"color": w.COLORS["curve"]},
                "name": "f",
            }
        ],
        "layout": w.base_layout(
            title={"text": "loss per step"},
            xaxis=w.axis("step"),
            yaxis=w.axis("f(x, y)", type="log" if positive else "linear"),
            showlegend=False,
            uirevision=None,
        ),
    }


def losses_patch(state: dict[str, Any]) -> Patch:
    """The loss-per-step plot's curve (and its axis type) for :func:`losses_figure`'s figure."""
    losses = state["losses"]
    patched = Patch()
    patched["data"][0]["x"] = list(range(len(losses)))
    patched["data"][0]["y"] = losses
    patched["layout"]["yaxis"]["type"] = "log" if all(v > 0 for v in losses) else "linear"
    return patched


def patch(state: dict[str, Any], lr: float) -> Patch:
    """Only what changes between steps: the path, the point and the arrow."""
    path, point = _path_traces(state)
    patched = Patch()
    patched["data"][TRACE_PATH]["x"] = path["x"]
    patched["data"][TRACE_PATH]["y"] = path["y"]
    patched["data"][TRACE_POINT]["x"] = point["x"]
    patched["data"][TRACE_POINT]["y"] = point["y"]
    patched["layout"]["annotations"][0] = _arrow_annotation(state, lr)
    return patched


STATUS = {
    "converged": "Stopped: |∇f| fell below the tolerance {tol:g} (converged).",
    "diverged": "Stopped: the loss blew up (diverged); lower the learning rate and Reset.",
    "left the view": "Stopped: the point left the view; lower the learning rate or Reset.",
    "step limit": f"Stopped: {compute.MAX_PATH} steps, the most one run keeps; press Reset.",
}


def course(value: float) -> str:
    """Four decimals, trailing zeros cut, as 004 prints a 2-D run (3.2, 0.1407, 16.72)."""
    if not 1e-4 <= abs(value) < 1e6:
        return w.fmt(value)
    return f"{value:.4f}".rstrip("0").rstrip(".")


def readout(state: dict[str, Any], lr: float, tol: float) -> str:
    x, y = state["path"][-1]
    gx, gy = state["grads"][-1]
    arrow = compute.arrow(state, lr)
    norm = float((gx * gx + gy * gy) ** 0.5)
    lines = [
        f"step {len(state['path']) - 1}   point (x, y) = ({course(x)}, {course(y)})",
        f"f(x, y) = {course(state['losses'][-1])}",
        f"gradient ∇f = ({w.fmt(gx)}, {w.fmt(gy)})   |∇f| = {w.fmt(norm)}",
        "arrow: the next step −lr·∇f"
        if arrow
        else "arrow hidden: the next step is too short to see",
    ]
    if state.get("status"):
        lines.append(STATUS[state["status"]].format(tol=tol))
    return "\n".join(lines)


def _click_point(click: Any) -> list[float] | None:
    """The (x, y) of a click on the contour, or None for anything else."""
    if not isinstance(click, dict) or not isinstance(click.get("points"), list):
        return None
    points = click["points"]
    if not points or not isinstance(points[0], dict):
        return None
    return [points[0].get("x"), points[0].get("y")]


def _steps(state: Any) -> int:
    """The steps to take at once on load (``?steps=15``), 0 when none were asked for."""
    if isinstance(state, dict) and "path" not in state and "steps" in state:
        return bounds.number(
            state["steps"], "The number of steps", 0, compute.MAX_PATH, integer=True
        )
    return 0


def _state_of(frame: Any, stored: Any) -> Any:
    """The state to go on from: the run's (it is ahead of the page) or, with no run, the
    page's store."""
    if frame is not None and isinstance(frame.data, dict):
        return frame.data["state"]
    return stored


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("landscape-graph", "figure"),
        Output("landscape-losses", "figure"),
        Output("landscape-state", "data"),
        Output("landscape-readout", "children"),
        Output("landscape-error", "children"),
        Output("landscape-run", "children", allow_duplicate=True),
        Output("landscape-x", "value"),
        Output("landscape-y", "value"),
        Output("landscape-lr", "value"),
        Output("landscape-poll", "interval", allow_duplicate=True),
        Output("landscape-seen", "data", allow_duplicate=True),
        Input("landscape-surface", "value"),
        Input("landscape-x", "value"),
        Input("landscape-y", "value"),
        Input("landscape-reset", "n_clicks"),
        Input("landscape-graph", "clickData"),
        Input("landscape-step", "n_clicks"),
        State("landscape-state", "data"),
        State("landscape-lr", "value"),
        State("landscape-tol", "value"),
        State("landscape-session", "data"),
        prevent_initial_call="initial_duplicate",
    )
    def update(surface, x, y, _reset, click, _step, state, lr, tol, session):
        trigger = dash.ctx.triggered_id
        keep = dash.no_update
        try:
            if trigger == "landscape-surface":
                # a new surface starts at its own start, with its own learning rate
                named = compute.check_surface(surface)
                x, y, lr = named.start[0], named.start[1], named.lr
                new_x, new_y, new_lr = x, y, lr
            elif trigger == "landscape-graph":
                point = _click_point(click)
                if point is None:
                    return (keep,) * 11
                x, y = compute.check_start(point)
                new_x, new_y, new_lr = x, y, keep
            else:
                new_x = new_y = new_lr = keep
            lr = compute.check_lr(lr)
            tol = compute.check_tol(tol)
            sid = check_session_id(session)
            if trigger != "landscape-step":
                # a new start (or the page opening): the run of the old one stops, and a new
                # seen mark calls the poll again, so that Dash drops a poll answer in flight
                MANAGER.stop(sid, RUN)
                steps = _steps(state) if trigger is None else 0
                view = compute.surface_view(surface, [x, y])
                state = compute.start_state(surface, [x, y])
                if steps:
                    state = compute.step_state(state, lr, steps, tol=tol)
                return (
                    figure(view, state, lr),
                    losses_figure(state),
                    state,
                    readout(state, lr, tol),
                    "",
                    "Run",
                    new_x,
                    new_y,
                    new_lr,
                    POLL_SLOW_MS,
                    f"new:{new_session_id()}",
                )
            frame = MANAGER.frame(sid, RUN)
            body = MANAGER.body(sid, RUN)
            if frame is not None and frame.alive and isinstance(body, compute.Descent):
                # one step of the run (pausing it): its frame comes by the poll
                if frame.state == "paused":
                    MANAGER.edit(sid, RUN, lambda: body.retune(lr, tol))
                MANAGER.step(sid, RUN)
                return (*(keep,) * 4, "", "Run", keep, keep, keep, POLL_FAST_MS, keep)
            state = compute.step_state(_state_of(frame, state), lr, 1, tol=tol)
            MANAGER.stop(sid, RUN)  # a run that ended: the page's store goes on from here
            out = (patch(state, lr), losses_patch(state), state, readout(state, lr, tol), "")
            return (*out, "Run", keep, keep, keep, keep, keep)
        except ValueError as exc:
            return (*(keep,) * 4, str(exc), *(keep,) * 6)

    @app.callback(
        Output("landscape-run", "children"),
        Output("landscape-error", "children", allow_duplicate=True),
        Output("landscape-poll", "interval", allow_duplicate=True),
        Input("landscape-run", "n_clicks"),
        Input("landscape-speed", "value"),
        State("landscape-session", "data"),
        State("landscape-state", "data"),
        State("landscape-lr", "value"),
        State("landscape-tol", "value"),
        prevent_initial_call=True,
    )
    def run_or_pause(_clicks, speed, session, state, lr, tol):
        """Run starts the server's run from the current state, or pauses or resumes it."""
        keep = dash.no_update
        try:
            sid = check_session_id(session)
            delay = 1.0 / check_speed(speed)
            frame = MANAGER.frame(sid, RUN)
            body = MANAGER.body(sid, RUN)
            mine = body if isinstance(body, compute.Descent) and frame is not None else None
            if dash.ctx.triggered_id == "landscape-speed":
                if mine is not None:
                    mine.delay = delay  # read by the worker before its next pause
                return keep, "", keep
            if mine is not None and frame.state == "playing":
                MANAGER.pause(sid, RUN)
                return "Run", "", POLL_FAST_MS
            lr, tol = compute.check_lr(lr), compute.check_tol(tol)
            if mine is not None and frame.alive:
                MANAGER.edit(sid, RUN, lambda: mine.retune(lr, tol))
                mine.delay = delay
                MANAGER.play(sid, RUN)
            else:
                run = compute.Descent(_state_of(frame, state), lr, tol, delay)
                MANAGER.start(sid, RUN, run, max_steps=compute.MAX_PATH + 1)
            return "Pause", "", POLL_FAST_MS
        except ValueError as exc:
            return "Run", str(exc), keep

    @app.callback(
        Output("landscape-graph", "figure", allow_duplicate=True),
        Output("landscape-losses", "figure", allow_duplicate=True),
        Output("landscape-state", "data", allow_duplicate=True),
        Output("landscape-readout", "children", allow_duplicate=True),
        Output("landscape-run", "children", allow_duplicate=True),
        Output("landscape-run-state", "children"),
        Output("landscape-seen", "data"),
        Output("landscape-poll", "interval"),
        Input("landscape-poll", "n_intervals"),
        Input("landscape-seen", "data"),
        State("landscape-session", "data"),
        prevent_initial_call=True,
    )
    def poll(_tick, seen, session):
        """Draw the run's latest frame: path, point, arrow, loss per step and readout."""
        keep = dash.no_update
        try:
            frame = MANAGER.frame(check_session_id(session), RUN)
        except ValueError:
            return (keep,) * 8
        if frame is None or not isinstance(frame.data, dict):
            return (keep,) * 8
        data = frame.data
        mark = f"{data['run']}:{frame.seq}:{frame.state}"
        interval = POLL_FAST_MS if frame.working else POLL_SLOW_MS
        if mark == seen:
            return (*(keep,) * 7, interval)
        state, lr = data["state"], data["lr"]
        shown = frame.state + (f": {frame.message}" if frame.state == "failed" else "")
        return (
            patch(state, lr),
            losses_patch(state),
            state,
            readout(state, lr, data["tol"]),
            "Pause" if frame.state == "playing" else "Run",
            shown,
            mark,
            interval,
        )
