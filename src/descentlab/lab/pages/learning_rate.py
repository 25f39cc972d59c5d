"""Page 4: one learning rate, gradient descent on a 1-D loss and a 2-D surface, and verdicts."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, Patch, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute import learning_rate as compute
from descentlab.lab.compute.numerical_gradient import loss_options
from descentlab.lab.compute.surfaces import surface_options
from descentlab.lab.path_runs import column, path_player, register_path_player

ORDER = 4
PATH = "/learning-rate"
TITLE = "Learning rate"
EXPLANATION = """
Gradient descent repeats `w ← w − lr · ∇L(w)`. The learning rate `lr` is the size of the
stride, and the same `lr` behaves very differently on different losses. On `w²` a step
multiplies `w` by `1 − 2·lr`: below `lr = 0.5` the point creeps in from one side, at
exactly `0.5` it lands in one step, between `0.5` and `1` it jumps across the minimum and
back (oscillating, yet converging), and beyond `1` every jump is longer than the last.

A surface is only as forgiving as its steepest direction: in the ravine `x² + 10y²` the `y`
direction is ten times steeper, so the ravine starts to oscillate and diverge at a tenth of
the learning rate that `w²` tolerates, while along `x` it still creeps. The 1-D verdict is the
course's (004 §4.1): converged once the loss is under 0.01, slow above it, diverging when it
grows; the 2-D one comes from `descentlab.landscapes.classify_run`. **Play** runs the
steps again on the server, one at a time at the chosen speed (**Step** takes one, the slider
shows any step already taken); the table lists every one.
"""

LR_EXP_LOW, LR_EXP_HIGH = -3.0, 0.5
VERDICT_COLORS = {
    "too small": "#8a6d00",
    "slow": "#8a6d00",
    "good": "#1e7b34",
    "converged": "#1e7b34",
    "oscillating": "#b35c00",
    "diverging": "#b42318",
}
ADDRESS = (
    w.Field("lr", "learning-rate-lr"),
    w.Field("w0", "learning-rate-w0"),
    w.Field("steps", "learning-rate-steps"),
    w.Field("loss", "learning-rate-loss", kind="text"),
    w.Field("surface", "learning-rate-surface", kind="text"),
    w.Field("speed", "learning-rate-speed"),
)


def layout() -> Any:
    return html.Div(
        [
            html.Div(
                [
                    w.control(
                        "Learning rate lr",
                        w.slider_box(
                            "learning-rate-lr",
                            LR_EXP_LOW,
                            LR_EXP_HIGH,
                            0.05,
                            0.1,
                            marks={-3: "0.001", -2: "0.01", -1: "0.1", 0: "1"},
                            log=True,
                        ),
                        wide=True,
                    ),
                    w.control("Start w0 (1-D)", w.number_input("learning-rate-w0", 10)),
                    w.control("Steps", w.number_input("learning-rate-steps", 20, step=1)),
                    w.control(
                        "1-D loss",
                        dcc.Dropdown(
                            id="learning-rate-loss",
                            options=loss_options(),
                            value="square",
                            clearable=False,
                            style={"width": "13rem"},
                        ),
                    ),
                    w.control(
                        "2-D surface",
                        dcc.Dropdown(
                            id="learning-rate-surface",
                            options=surface_options(),
                            value="ravine",
                            clearable=False,
                            style={"width": "13rem"},
                        ),
                    ),
                ],
                className="lab-controls",
            ),
            html.Div(id="learning-rate-error"),
            path_player("learning-rate", speed=5),
            html.Div(
                [
                    html.Div(
                        [
                            w.graph("learning-rate-path1d", height=330),
                            html.Div(id="learning-rate-verdict1d", className="lab-verdict"),
                        ]
                    ),
                    html.Div(
                        [
                            w.graph("learning-rate-path2d", height=330),
                            html.Div(id="learning-rate-verdict2d", className="lab-verdict"),
                        ]
                    ),
                ],
                className="lab-row",
            ),
            html.Div(
                [
                    w.graph("learning-rate-losses", height=300),
                    html.Div(
                        [
                            html.H4("Every step of the 1-D run"),
                            html.Div(
                                html.Table(id="learning-rate-table", className="lab-table"),
                                className="lab-scroll",
                            ),
                        ]
                    ),
                ],
                className="lab-row",
            ),
        ]
    )


def _path1d(one: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "scatter",
        "x": w.plain(one["path"][:, 0]),
        "y": w.plain(one["losses"]),
        "mode": "lines+markers",
        "line": {"color": w.COLORS["path"], "width": 1.5},
        "marker": {"size": 7, "color": w.COLORS["path"]},
        "name": "steps",
    }


def _path2d(two: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "scatter",
        "x": w.plain(two["path"][:, 0]),
        "y": w.plain(two["path"][:, 1]),
        "mode": "lines+markers",
        "line": {"color": w.COLORS["path"], "width": 2},
        "marker": {"size": 5, "color": w.COLORS["path"]},
        "name": "steps",
    }


def figure1d(one: dict[str, Any]) -> dict[str, Any]:
    values = one["values"]
    low, high = float(values.min()), float(values.max())
    pad = 0.08 * (high - low or 1.0)
    return {
        "data": [
            {
                "type": "scatter",
                "x": w.plain(one["ws"]),
                "y": w.plain(values),
                "mode": "lines",
                "line": {"color": w.COLORS["curve"], "width": 2.5},
                "name": "L(w)",
            },
            _path1d(one),
        ],
        "layout": w.base_layout(
            title={"text": f"1-D: L(w) = {one['title']}"},
            xaxis=w.axis("w", range=list(one["window"])),
            yaxis=w.axis("L(w)", range=[low - pad, high + pad]),
            showlegend=False,
        ),
    }


def figure2d(two: dict[str, Any]) -> dict[str, Any]:
    x0, x1, y0, y1 = two["window"]
    return {
        "data": [
            w.contour_trace(two["xs"], two["ys"], two["z"], two["log_scale"]),
            w.minima_trace(two["minima"]),
            _path2d(two),
        ],
        "layout": w.base_layout(
            title={"text": f"2-D: f(x, y) = {two['formula']}"},
            xaxis=w.axis("x", range=[x0, x1]),
            yaxis=w.axis("y", range=[y0, y1]),
            showlegend=False,
        ),
    }


def losses_figure(result: dict[str, Any]) -> dict[str, Any]:
    data = []
    for key, label, color in (("one", "1-D", "#1f77b4"), ("two", "2-D", "#ff7f0e")):
        run = result[key]
        # the gap to the minimum (or, unbounded below, to the lowest loss seen, nudged so
        # that the log axis can show it)
        known = run["min_value"]
        floor = known if known is not None else float(run["losses"].min()) - 1e-12
        data.append(
            {
                "type": "scatter",
                "x": list(range(len(run["losses"]))),
                "y": w.plain(run["losses"] - floor),
                "mode": "lines+markers",
                "marker": {"size": 4},
                "line": {"color": color},
                "name": f"{label}: {run['title']}",
            }
        )
    return {
        "data": data,
        "layout": w.base_layout(
            title={"text": "loss per step"},
            xaxis=w.axis("step"),
            yaxis=w.axis("loss − minimum", type="log", exponentformat="power"),
        ),
    }


def verdict(run: dict[str, Any], label: str) -> Any:
    return [
        html.Span(f"{label}: "),
        html.Span(run["verdict"], style={"color": VERDICT_COLORS[run["verdict"]]}),
        html.Span(f" ({run['reason']})", style={"fontWeight": 400}),
    ]


def verdict1d(one: dict[str, Any]) -> Any:
    """The 1-D run's final loss and the course's verdict (the engine's in brackets when it
    sees more, such as a zig-zag)."""
    parts = [
        html.Span(f"1-D: f after {len(one['losses']) - 1} steps = "),
        html.Span(one["final"], id="learning-rate-final"),
        html.Span(": "),
        html.Span(
            one["course"],
            id="learning-rate-course-verdict",
            style={"color": VERDICT_COLORS[one["course"]]},
        ),
        html.Span(f" ({one['course_reason']})", style={"fontWeight": 400}),
    ]
    if one["verdict"] == "oscillating":
        parts.append(html.Span(f"; the engine: oscillating, {one['reason']}"))
    return parts


def steps_table(one: dict[str, Any]) -> list[Any]:
    """Step, w and L(w) for every step, with six decimals as 004 §1.2 prints them."""
    header = html.Tr([html.Th("step"), html.Th("w"), html.Th("L(w)")])
    rows = [
        html.Tr([html.Td(str(i)), html.Td(f"{p[0]:.6f}"), html.Td(f"{loss:.6f}")])
        for i, (p, loss) in enumerate(zip(one["path"].tolist(), one["losses"].tolist()))
    ]
    return [html.Thead(header), html.Tbody(rows)]


SETTINGS = ("lr", "w0", "steps", "loss", "surface")


def draw_frame(data: dict[str, Any]) -> tuple[Patch, Patch, Patch]:
    """One frame of the animation (:class:`~descentlab.lab.compute.paths.PathRun`): both paths
    and the loss per step up to the shown step."""
    one, two, losses = Patch(), Patch(), Patch()
    one["data"][1]["x"], one["data"][1]["y"] = column(data, 0, 0), column(data, 0, 1)
    two["data"][2]["x"], two["data"][2]["y"] = column(data, 1, 0), column(data, 1, 1)
    for i, loss in enumerate((column(data, 0, 1), column(data, 1, 2))):
        known = data["meta"]["floors"][i]
        floor = known if known is not None else min(loss, default=0.0) - 1e-12
        losses["data"][i]["x"] = list(range(len(loss)))
        losses["data"][i]["y"] = [v - floor for v in loss]
    return one, two, losses


def register_callbacks(app: dash.Dash) -> None:
    w.link_slider(app, "learning-rate-lr", LR_EXP_LOW, LR_EXP_HIGH, log=True)
    inputs = [Input(f"learning-rate-{name}", "value") for name in SETTINGS]
    register_path_player(
        app,
        "learning-rate",
        "learning-rate",
        inputs,
        lambda lr, w0, steps, loss, surface: compute.path_spec(loss, surface, lr, steps, w0),
        [
            Output(f"learning-rate-{name}", "figure", allow_duplicate=True)
            for name in ("path1d", "path2d", "losses")
        ],
        draw_frame,
    )

    @app.callback(
        Output("learning-rate-path1d", "figure"),
        Output("learning-rate-path2d", "figure"),
        Output("learning-rate-losses", "figure"),
        Output("learning-rate-verdict1d", "children"),
        Output("learning-rate-verdict2d", "children"),
        Output("learning-rate-table", "children"),
        Output("learning-rate-error", "children"),
        *inputs,
    )
    def update(lr, w0, steps, loss_name, surface_name):
        keep = dash.no_update
        try:
            result = compute.compare(loss_name, surface_name, lr, steps, w0)
        except ValueError as exc:
            return (keep,) * 6 + (str(exc),)
        one, two = result["one"], result["two"]
        if dash.ctx.triggered_id in ("learning-rate-lr", "learning-rate-steps"):
            # only the path moves on the surface: leave the contour where it is (the 1-D
            # window follows the run, so that figure is drawn again; it is small)
            fig2 = Patch()
            fig2["data"][2] = _path2d(two)
        else:
            fig2 = figure2d(two)
        return (
            figure1d(one),
            fig2,
            losses_figure(result),
            verdict1d(one),
            verdict(two, "2-D"),
            steps_table(one),
            "",
        )
