"""Page 5: batch, mini-batch and stochastic gradient descent on one real regression."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, Patch, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute import batch_size as compute
from descentlab.lab.path_runs import column, path_player, register_path_player

ORDER = 5
PATH = "/batch-size"
TITLE = "Batch vs mini-batch vs stochastic"
EXPLANATION = """
A line `ŷ = w·x + b` is fitted to 100 noisy points by minimising the mean squared error, so
its loss is a surface over the two weights `(w, b)`, drawn three times. Each panel trains
from the same start with the same learning rate for the same number of epochs (passes over
the data); only the batch size differs.

**Batch** (left) averages the gradient over all points: a smooth path, but only one step per
epoch. **Mini-batch** (middle) takes a step per batch of `B` points: more steps per epoch,
each a noisy estimate. **Stochastic** (right) steps after every single point: many noisy
steps that reach the valley fast and then jitter around its floor. The lower plot shows the
full-data loss against epochs. Every step is a real training step: descentlab's `DataLoader`,
`F.mse_loss`, `backward()` and `optim.SGD`.

**Compare by equal steps** gives every run the same number of updates instead: then the batch
run has seen a hundred times more data than the stochastic one, and the question becomes
which gradient is worth more per step. **Play** runs the three again on the server, step by
step at the chosen speed: by epochs a step is one example seen, so the batch run moves once
per pass while the stochastic one moves at every step; by steps, every run moves at every
step. **Step** takes one; the slider shows any step already taken.
"""

RUN_NAMES = ("batch", "mini-batch", "stochastic")
RUN_COLORS = ("#17a2a2", "#ff7f0e", "#9467bd")
MINI_PATH_TRACE = 5  # each panel adds three traces: contour, best fit, path


ADDRESS = (
    w.Field("batch", "batch-size-batch"),
    w.Field("by", "batch-size-by", kind="text"),
    w.Field("epochs", "batch-size-epochs"),
    w.Field("steps", "batch-size-steps"),
    w.Field("lr", "batch-size-lr"),
    w.Field("seed", "batch-size-seed"),
    w.Field("speed", "batch-size-speed"),
)


def layout() -> Any:
    return html.Div(
        [
            html.Div(
                [
                    w.control(
                        "Mini-batch size B",
                        w.slider_box(
                            "batch-size-batch",
                            1,
                            compute.N,
                            1,
                            16,
                            marks={b: str(b) for b in (1, 8, 16, 32, 50, 64, 100)},
                        ),
                        wide=True,
                        label_id="batch-size-batch-label",
                    ),
                    w.control(
                        "Compare by",
                        dcc.RadioItems(
                            id="batch-size-by",
                            options=[
                                {"label": " equal epochs", "value": "epochs"},
                                {"label": " equal steps", "value": "steps"},
                            ],
                            value="epochs",
                            inline=True,
                        ),
                    ),
                    w.control(
                        "Epochs",
                        w.slider_box(
                            "batch-size-epochs",
                            1,
                            compute.EPOCHS_HIGH,
                            1,
                            2,
                            marks={e: str(e) for e in range(1, compute.EPOCHS_HIGH + 1)},
                        ),
                    ),
                    w.control("Steps", w.number_input("batch-size-steps", 20, step=1)),
                    w.control("Learning rate", w.number_input("batch-size-lr", 0.05)),
                    w.control("Data seed", w.number_input("batch-size-seed", 0, step=1)),
                ],
                className="lab-controls",
            ),
            html.Div(id="batch-size-error"),
            path_player("batch-size", speed=50),
            w.graph("batch-size-paths", height=360),
            w.graph("batch-size-losses", height=300),
            w.readout("batch-size-readout"),
        ]
    )


def paths_figure(result: dict[str, Any]) -> dict[str, Any]:
    grid = result["grid"]
    w0, w1, b0, b1 = compute.WINDOW
    data: list[dict[str, Any]] = []
    layout = w.base_layout(showlegend=False, margin={"l": 50, "r": 10, "t": 50, "b": 45})
    annotations = []
    for i, (run, name, color) in enumerate(zip(result["runs"], RUN_NAMES, RUN_COLORS)):
        suffix = "" if i == 0 else str(i + 1)
        xaxis, yaxis = f"x{suffix}", f"y{suffix}"
        data.append(
            w.contour_trace(grid["ws"], grid["bs"], grid["z"], True, xaxis=xaxis, yaxis=yaxis)
        )
        data.append(
            w.minima_trace([result["least_squares"]], xaxis=xaxis, yaxis=yaxis, name="best fit")
        )
        data.append(
            {
                "type": "scatter",
                "x": w.plain(run["path"][:, 0]),
                "y": w.plain(run["path"][:, 1]),
                "mode": "lines+markers",
                "line": {"color": color, "width": 1.5},
                "marker": {"size": 3, "color": color},
                "name": name,
                "xaxis": xaxis,
                "yaxis": yaxis,
            }
        )
        left = i / 3 + 0.02
        layout[f"xaxis{suffix}"] = w.axis(
            "w", domain=[left, left + 0.29], range=[w0, w1], anchor=yaxis
        )
        layout[f"yaxis{suffix}"] = w.axis("b" if i == 0 else "", range=[b0, b1], anchor=xaxis)
        annotations.append(
            {
                "text": f"{name}: B = {run['batch_size']}, {run['updates']} steps",
                "xref": "paper",
                "yref": "paper",
                "x": left + 0.145,
                "y": 1.08,
                "showarrow": False,
                "font": {"size": 14, "color": color},
            }
        )
    layout["annotations"] = annotations
    return {"data": data, "layout": layout}


def losses_figure(result: dict[str, Any]) -> dict[str, Any]:
    by_steps = result["by"] == "steps"
    return {
        "data": [
            {
                "type": "scatter",
                "x": list(range(run["updates"] + 1)) if by_steps else w.plain(run["epochs_seen"]),
                "y": w.plain(run["losses"]),
                "mode": "lines",
                "line": {"color": color, "width": 2},
                "name": f"{name} (B = {run['batch_size']})",
            }
            for run, name, color in zip(result["runs"], RUN_NAMES, RUN_COLORS)
        ],
        "layout": w.base_layout(
            title={"text": f"full-data loss (MSE) against {'steps' if by_steps else 'epochs'}"},
            legend={"x": 1, "xanchor": "right", "y": 1, "bgcolor": "rgba(255,255,255,0.8)"},
            xaxis=w.axis("steps (updates)" if by_steps else "epochs (passes over the data)"),
            yaxis=w.axis("MSE", type="log", exponentformat="power"),
        ),
    }


def readout(result: dict[str, Any]) -> str:
    w_star, b_star = result["least_squares"]
    lines = [f"least squares (exact): w = {w_star:.4f}, b = {b_star:.4f}"]
    for run, name in zip(result["runs"], RUN_NAMES):
        w_end, b_end = run["path"][-1]
        lines.append(
            f"{name:>10} B = {run['batch_size']:>3}: {run['updates']:>4} steps, "
            f"ends at w = {w_end:.4f}, b = {b_end:.4f}, MSE = {run['losses'][-1]:.4f}"
        )
    return "\n".join(lines)


PATH_TRACES = (2, 5, 8)  # the path of each panel in paths_figure


def draw_frame(data: dict[str, Any]) -> tuple[Patch, Patch]:
    """One frame of the three runs (:class:`~descentlab.lab.compute.paths.PathRun`): each path
    and its loss curve (against epochs or steps) up to the shown step."""
    paths, losses = Patch(), Patch()
    by_steps = data["meta"]["by"] == "steps"
    for i, trace in enumerate(PATH_TRACES):
        paths["data"][trace]["x"] = column(data, i, 0)
        paths["data"][trace]["y"] = column(data, i, 1)
        mse = column(data, i, 2)
        losses["data"][i]["x"] = list(range(len(mse))) if by_steps else column(data, i, 3)
        losses["data"][i]["y"] = mse
    return paths, losses


def register_callbacks(app: dash.Dash) -> None:
    w.link_slider(app, "batch-size-batch", 1, compute.N)
    w.link_slider(app, "batch-size-epochs", 1, compute.EPOCHS_HIGH)
    inputs = [
        Input(f"batch-size-{name}", "value")
        for name in ("batch", "epochs", "lr", "seed", "by", "steps")
    ]
    register_path_player(
        app,
        "batch-size",
        "batch-size",
        inputs,
        compute.path_spec,
        [
            Output(f"batch-size-{graph}", "figure", allow_duplicate=True)
            for graph in ("paths", "losses")
        ],
        draw_frame,
    )

    @app.callback(
        Output("batch-size-paths", "figure"),
        Output("batch-size-losses", "figure"),
        Output("batch-size-readout", "children"),
        Output("batch-size-batch-label", "children"),
        Output("batch-size-error", "children"),
        *inputs,
    )
    def update(batch, epochs, lr, seed, by, steps):
        keep = dash.no_update
        try:
            result = compute.compare(batch, epochs, lr, seed, by, steps)
        except ValueError as exc:
            return (keep,) * 4 + (str(exc),)
        figure = paths_figure(result)
        if dash.ctx.triggered_id == "batch-size-batch":
            # only the mini-batch run changed: send its path and title, not three contours
            patched = Patch()
            patched["data"][MINI_PATH_TRACE] = figure["data"][MINI_PATH_TRACE]
            patched["layout"]["annotations"][1] = figure["layout"]["annotations"][1]
            figure = patched
        return (
            figure,
            losses_figure(result),
            readout(result),
            f"Mini-batch size B = {result['runs'][1]['batch_size']}",
            "",
        )
