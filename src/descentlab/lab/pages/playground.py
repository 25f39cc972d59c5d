"""Page 10: the playground: a network learns a 2-D problem while you watch every neuron.

The page holds layout and wiring only. The settings live in the address (the controls write
it, and a link sets the controls); the run lives on the server (:mod:`descentlab.lab.runs`)
as a :class:`~descentlab.lab.compute.playground.Training` trained by ``fit``, and a poll reads
its latest frame and sends ``dash.Patch`` updates of the figures.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict
from typing import Any

import dash
from dash import Input, Output, Patch, State, ctx, dcc, html

from descentlab.data import FEATURES
from descentlab.lab.compute import playground as pc
from descentlab.lab.runs import MANAGER, RunError, check_session_id, new_session_id

ORDER = 10
PATH = "/playground"
TITLE = "Playground"
EXPLANATION = (
    "A small neural network learns a two-dimensional problem. Choose the data, the input "
    "features, the width of each hidden layer and the activation, then press **Play**. The "
    "diagram shows every neuron with what it computes over the plane (orange negative, blue "
    "positive) and every weight as an edge, coloured by its sign and as thick as its size: "
    "click an edge, type a new weight and watch the boundary move. The plane on the right is "
    "the network's output, with the training points filled and the test points hollow; the "
    "curves show both losses per epoch, with a verdict on them. Training runs on the server "
    "with descentlab's `fit`, so **Show code** prints the program that reproduces this run "
    "number for number. A learning rate that is too large makes the numbers overflow: the "
    "run stops and says at which epoch and in which layer. The address holds every setting, "
    "so a link reproduces the set-up."
)

RUN = "playground"
POLL_PLAYING_MS = 300
DIAGRAM_SECONDS = 1.0  # while playing, the diagram (the costliest figure to redraw) is
# refreshed at most this often; the output plane and the curves follow every poll
FRAME_SECONDS = 0.25  # the worker builds at most one frame per this many seconds (< a poll)
POLL_IDLE_MS = 5000  # a paused page still polls now and then, so its run is not reaped
NEG, POS = "#f59322", "#0877bd"
SCALE = [[0.0, NEG], [0.5, "#e8eaeb"], [1.0, POS]]
WIDTH_BINS = ((0.5, 0.7), (1.0, 1.6), (2.0, 3.0), (math.inf, 5.0))  # |w| below -> line width
CONTROLS = [f for f in pc.FIELDS if f not in ("hidden", "features", *pc.VIEW_FIELDS)]


def _cid(name: str) -> str:
    return "playground-" + name.replace("_", "-")


def _options(values, fmt=str) -> list[dict]:
    return [{"label": fmt(v), "value": v} for v in values]


def _dropdown(name: str, label: str, options: list, value: Any) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=_cid(name)),
            dcc.Dropdown(
                id=_cid(name), options=options, value=value, clearable=False, searchable=False
            ),
        ],
        className="lab-control",
    )


def _slider(name: str, label: str, lo: float, hi: float, step: float, value: Any) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=_cid(name)),
            dcc.Slider(
                id=_cid(name),
                min=lo,
                max=hi,
                step=step,
                value=value,
                marks=None,
                allow_direct_input=True,
                updatemode="mouseup",
            ),
        ],
        className="lab-control lab-control-wide",
    )


def _button(label: str, name: str, primary: bool = False) -> html.Button:
    kind = "lab-button lab-button-primary" if primary else "lab-button"
    return html.Button(label, id=_cid(name), n_clicks=0, className=kind)


def _layer_box(k: int) -> html.Div:
    return html.Div(
        [
            html.Span(f"layer {k + 1}: "),
            html.Button("−", id=f"playground-layer-{k}-minus", n_clicks=0, className="lab-button"),
            html.Span("8", id=f"playground-layer-{k}-width", style={"margin": "0 0.3rem"}),
            html.Button("+", id=f"playground-layer-{k}-plus", n_clicks=0, className="lab-button"),
        ],
        id=f"playground-layer-{k}",
        style={"display": "none"},
    )


def layout() -> html.Div:
    d = pc.Settings()
    view = [v for v in pc.VIEW_FIELDS if getattr(d, v)]
    buttons = html.Div(
        [
            _button("Play", "play", primary=True),
            _button("Step", "step"),
            _button("Reset", "reset"),
            _button("Show code", "show-code"),
            html.Span("Epoch 0", id="playground-epoch", className="lab-verdict"),
            html.Span(id="playground-metrics", className="lab-readout"),
        ],
        className="lab-controls",
    )
    # Diagram and output side by side from 1024 px wide up, so both start above the fold.
    figures = html.Div(
        [
            dcc.Graph(
                id="playground-diagram",
                config={"displaylogo": False},
                style={"flex": "1 1 17rem"},
            ),
            dcc.Graph(
                id="playground-boundary",
                config={"displaylogo": False},
                style={"flex": "1 1 15rem"},
            ),
        ],
        className="lab-row",
    )
    editor = html.Div(
        [
            html.Span(
                "Click an edge of the diagram to edit its weight.", id="playground-edge-label"
            ),
            dcc.Input(
                id="playground-weight",
                type="number",
                step="any",
                debounce=True,
                style={"width": "8rem", "flex": "0 0 8rem"},
            ),
            _button("Set weight", "set-weight"),
        ],
        className="lab-controls",
    )
    data = html.Div(
        [
            _dropdown(
                "dataset",
                "Dataset",
                [{"label": f"{k}: {v}", "value": k} for k, v in pc.DATASET_HELP.items()],
                d.dataset,
            ),
            _slider("noise", "Noise", 0.0, 1.0, 0.05, d.noise),
            _slider("n", "Points", 50, pc.MAX_POINTS, 50, d.n),
            _slider("train", "Training share (%)", 10, 90, 10, d.train),
            html.Div(
                [
                    html.Label("Data seed", htmlFor=_cid("seed")),
                    dcc.Input(
                        id=_cid("seed"),
                        type="number",
                        min=0,
                        max=pc.MAX_SEED,
                        step=1,
                        value=d.seed,
                        debounce=True,
                    ),
                ],
                className="lab-control",
            ),
            _button("Regenerate", "regenerate"),
            dcc.Checklist(
                id="playground-view",
                options=[
                    {"label": "Show test data", "value": "show_test"},
                    {"label": "Discretize output", "value": "discretize"},
                ],
                value=view,
                inline=True,
            ),
        ],
        className="lab-controls",
    )
    network = html.Div(
        [
            html.Div(
                [
                    html.Label("Input features"),
                    dcc.Checklist(
                        id="playground-features",
                        options=_options(FEATURES),
                        value=list(d.features),
                        inline=True,
                    ),
                ],
                className="lab-control lab-control-wide",
            ),
            html.Div(
                [
                    html.Label("Hidden layers"),
                    html.Div(
                        [
                            _button("− layer", "remove-layer"),
                            _button("+ layer", "add-layer"),
                            *[_layer_box(k) for k in range(pc.MAX_LAYERS)],
                        ],
                        className="lab-controls",
                    ),
                ],
                className="lab-control lab-control-wide",
            ),
            _dropdown("activation", "Activation", _options(pc.choices("activation")), d.activation),
            _dropdown("loss", "Loss", _options(pc.CLASS_LOSSES), d.loss),
        ],
        className="lab-controls",
    )
    training = html.Div(
        [
            _dropdown("optimizer", "Optimiser", _options(pc.choices("optimizer")), d.optimizer),
            _dropdown("lr", "Learning rate", _options(pc.LEARNING_RATES, "{:g}".format), d.lr),
            _dropdown("l2", "L2 (weight decay)", _options(pc.L2_RATES, "{:g}".format), d.l2),
            _dropdown(
                "schedule",
                "Schedule",
                [{"label": f"{k}: {v}", "value": k} for k, v in pc.SCHEDULE_HELP.items()],
                d.schedule,
            ),
            _slider("epochs", "Epochs", 10, pc.MAX_EPOCHS, 10, d.epochs),
            _dropdown("batch", "Batch size", _options(pc.BATCH_SIZES), d.batch),
            _slider("patience", "Early stop: patience (0 = off)", 0, 50, 1, d.patience),
        ],
        className="lab-controls",
    )
    return html.Div(
        [
            dcc.Location(id="playground-url", refresh=False),
            dcc.Store(id="playground-session", data=new_session_id()),
            dcc.Store(id="playground-hidden", data=list(d.hidden)),
            dcc.Store(id="playground-run-query"),  # the run part of the settings now running
            dcc.Store(id="playground-token", data=0),  # bumped when a new run starts
            dcc.Store(id="playground-drawn"),  # what the figures show: {token, seq, view}
            dcc.Store(id="playground-edge"),  # the selected edge: [layer, to, from]
            dcc.Store(id="playground-kick", data=0),  # bumped to redraw at once
            dcc.Interval(id="playground-poll", interval=POLL_IDLE_MS),
            buttons,
            html.Div(id="playground-error", className="lab-error", role="alert"),
            html.Div(id="playground-message", className="lab-error", role="alert"),
            figures,
            editor,
            html.Div(id="playground-verdict", className="lab-readout"),
            dcc.Graph(id="playground-curves", config={"displaylogo": False}),
            html.Pre(id="playground-code", style={"display": "none"}),
            data,
            network,
            training,
        ]
    )


# ------------------------------------------------------------------------------- figures


def diagram_figure(training: pc.Training, frame: dict) -> dict:
    """The network: one sprite of node thumbnails, edges by sign and |weight|, click targets."""
    s = training.settings
    columns = [training.inputs, *s.hidden, training.outputs]
    x0, x1, y0, y1 = pc.sprite_box(columns)
    spots = pc.node_positions(columns)
    labels = [
        {"x": x, "y": y, "text": name, "showarrow": False, "xanchor": "right", "xshift": -12}
        for name, (x, y) in zip(s.features, spots[0], strict=True)
    ]
    outputs = ["output"] if s.regression else ["class 0", "class 1"]
    labels += [
        {"x": x, "y": y, "text": name, "showarrow": False, "xanchor": "left", "xshift": 12}
        for name, (x, y) in zip(outputs, spots[-1], strict=True)
    ]
    labels += [
        {
            "x": pc.COLUMN_GAP * c,
            "y": y1,
            "text": f"layer {c}: {k}",
            "showarrow": False,
            "yanchor": "bottom",
        }
        for c, k in enumerate(columns[1:-1], start=1)
    ]
    return {
        "data": _edge_traces(training, frame["weights"]),
        "layout": {
            "title": {"text": "Network (click an edge)"},
            "height": min(460, 120 + 28 * max(columns)),
            "margin": {"l": 60, "r": 10, "t": 40, "b": 10},
            "xaxis": {"range": [x0 - 1.2, x1 + 1.4], "visible": False, "fixedrange": True},
            "yaxis": {
                "range": [y0, y1 + 0.4],
                "visible": False,
                "fixedrange": True,
                "scaleanchor": "x",
            },
            "showlegend": False,
            "images": [_sprite_image(columns, frame["sprite"])],
            "annotations": labels,
            "hovermode": "closest",
            "uirevision": "playground",
            "plot_bgcolor": "#ffffff",
        },
    }


def _sprite_image(columns: list[int], source: str) -> dict:
    x0, x1, y0, y1 = pc.sprite_box(columns)
    return {
        "source": source,
        "xref": "x",
        "yref": "y",
        "x": x0,
        "y": y1,
        "sizex": x1 - x0,
        "sizey": y1 - y0,
        "sizing": "stretch",
        "layer": "below",
    }


def _edge_traces(training: pc.Training, weights: list) -> list[dict]:
    """Line traces by (sign, width bin), then one marker per edge to click on."""
    columns = [training.inputs, *training.settings.hidden, training.outputs]
    spots = pc.node_positions(columns)
    half = pc.THUMB / 2 / pc.UNIT
    lines = {(sign, k): ([], []) for sign in (1, -1) for k in range(len(WIDTH_BINS))}
    mx, my, custom, text, colours = [], [], [], [], []
    for layer, matrix in enumerate(weights):
        for to, row in enumerate(matrix):
            for source, w in enumerate(row):
                (xa, ya), (xb, yb) = spots[layer][source], spots[layer + 1][to]
                xa, xb = xa + half, xb - half
                k = next(i for i, (limit, _) in enumerate(WIDTH_BINS) if abs(w) < limit)
                xs, ys = lines[(1 if w >= 0 else -1, k)]
                xs += [xa, xb, None]
                ys += [ya, yb, None]
                # Not the midpoint (crossing edges share it): edges into one neuron put their
                # targets at one x, edges into different neurons at different x.
                t = 0.2 + 0.6 * (to + 0.5) / len(matrix)
                mx.append(xa + t * (xb - xa))
                my.append(ya + t * (yb - ya))
                custom.append([layer, to, source])
                text.append(f"w = {w:.3f}")
                colours.append(POS if w >= 0 else NEG)
    traces = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": xs,
            "y": ys,
            "line": {"color": POS if sign > 0 else NEG, "width": WIDTH_BINS[k][1]},
            "hoverinfo": "skip",
        }
        for (sign, k), (xs, ys) in lines.items()
    ]
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "weights",
            "x": mx,
            "y": my,
            "customdata": custom,
            "text": text,
            "hovertemplate": "%{text}<extra></extra>",
            "marker": {"size": 8, "color": colours, "opacity": 0.55},
        }
    )
    return traces


def _plane_z(training: pc.Training, frame: dict, discretize: bool) -> list:
    z = frame["z"]
    if not discretize:
        return z
    if training.settings.regression:
        return [[1.0 if v >= 0 else -1.0 for v in row] for row in z]
    return [[1.0 if v >= 0.5 else 0.0 for v in row] for row in z]


def boundary_figure(training: pc.Training, frame: dict, view: list) -> dict:
    """The network's output over the plane, with the train (filled) and test (hollow) points."""
    s, data = training.settings, training.data
    x0, x1, y0, y1 = data.bounds
    lo = -1.0 if s.regression else 0.0
    xs = [x0 + (x1 - x0) * i / (pc.GRID - 1) for i in range(pc.GRID)]
    ys = [y0 + (y1 - y0) * i / (pc.GRID - 1) for i in range(pc.GRID)]

    def points(X, y, name, hollow, visible=True):
        if s.regression:
            colours = [float(v) for v in y]
        else:
            colours = [POS if k == 1 else NEG for k in y]
        marker = {"size": 7, "line": {"width": 1.5, "color": "#ffffff"}, "color": colours}
        if s.regression:
            marker.update(colorscale=SCALE, cmin=-1.0, cmax=1.0)
        if hollow:
            marker["line"] = {"width": 2, "color": "#1d2430"}
        return {
            "type": "scatter",
            "mode": "markers",
            "name": name,
            "x": X[:, 0].tolist(),
            "y": X[:, 1].tolist(),
            "marker": marker,
            "visible": visible,
        }

    return {
        "data": [
            {
                "type": "heatmap",
                "name": "output",
                "x": xs,
                "y": ys,
                "z": _plane_z(training, frame, "discretize" in view),
                "colorscale": SCALE,
                "zmin": lo,
                "zmax": 1.0,
                "showscale": False,
                "hoverinfo": "skip",
                "opacity": 0.6,
                "zsmooth": False if "discretize" in view else "best",
            },
            points(data.X_train, data.y_train, "train", False),
            points(data.X_test, data.y_test, "test", True, "show_test" in view),
        ],
        "layout": {
            "title": {"text": f"Output, epoch {frame['epoch']}"},
            "height": 340,
            "margin": {"l": 40, "r": 10, "t": 40, "b": 30},
            "xaxis": {"range": [x0, x1], "constrain": "domain"},
            "yaxis": {"range": [y0, y1], "scaleanchor": "x"},
            "legend": {"orientation": "h", "y": -0.08},
            "uirevision": "playground",
        },
    }


def curves_figure(frame: dict) -> dict:
    h = frame["history"]
    return {
        "data": [
            {"type": "scatter", "mode": "lines", "name": name, "x": h["epoch"], "y": h[key]}
            for name, key in (("train loss", "train_loss"), ("test loss", "val_loss"))
        ],
        "layout": {
            "title": {"text": "Loss per epoch"},
            "height": 300,
            "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
            "xaxis": {"title": {"text": "epoch"}},
            "yaxis": {"title": {"text": "loss"}, "type": "log"},
            "legend": {"orientation": "h", "y": -0.15},
            "uirevision": "playground",
        },
    }


def readouts(training: pc.Training, frame: dict) -> tuple[str, str]:
    """``Epoch N of M`` and the numbers of the last epoch (as the printed code prints them)."""
    h = frame["history"]
    epoch = f"Epoch {frame['epoch']} of {frame['epochs']}"

    def g(key: str, fmt: str) -> str:
        value = h[key][-1]
        return "nan" if value is None else format(value, fmt)  # None: not finite

    parts = [f"train loss {g('train_loss', '.6g')}", f"test loss {g('val_loss', '.6g')}"]
    if not training.settings.regression and h["train_acc"][-1] is not None:
        parts.append(f"train accuracy {100 * h['train_acc'][-1]:.1f}%")
    if not training.settings.regression and h["val_acc"][-1] is not None:
        parts.append(f"test accuracy {100 * h['val_acc'][-1]:.1f}%")
    parts.append(f"lr {frame['lr']:.3g}")
    if frame["edited"]:
        parts.append("weights edited by hand")
    return epoch, ", ".join(parts)


# ----------------------------------------------------------------------------- callbacks


def _session(session: Any) -> str | None:
    try:
        return check_session_id(session)
    except RunError:
        return None


def _training(session: Any) -> pc.Training | None:
    sid = _session(session)
    body = MANAGER.body(sid, RUN) if sid else None
    return body if isinstance(body, pc.Training) else None


def sync_url(trigger, search, hidden, features, view, *values):
    """The address sets the controls when the page opens (or on back/forward); every change
    of a control rewrites the address. A regression dataset switches the loss to mse."""
    n = len(CONTROLS)
    keep = dash.no_update
    if trigger in (None, "playground-url"):
        settings, problem = pc.settings_from_query(search)
        new = asdict(settings)
        controls = [new[k] if new[k] != v else keep for k, v in zip(CONTROLS, values)]
        chosen = [v for v in pc.VIEW_FIELDS if new[v]]
        return (
            *controls,
            list(settings.hidden) if list(settings.hidden) != hidden else keep,
            list(settings.features) if list(settings.features) != features else keep,
            chosen if chosen != view else keep,
            keep,
            problem,
        )
    current = dict(zip(CONTROLS, values))
    dataset, loss = current.get("dataset"), current.get("loss")
    if isinstance(dataset, str) and dataset in pc.REGRESSION and loss not in pc.REGRESSION_LOSSES:
        switched = [pc.REGRESSION_LOSSES[0] if k == "loss" else keep for k in CONTROLS]
        return (*switched, keep, keep, keep, keep, "")
    if not features:
        return (*[keep] * n, keep, keep, keep, keep, "Choose at least one input feature.")
    view = view if isinstance(view, list) else []
    try:
        settings = pc.validate(
            **current,
            hidden=hidden if isinstance(hidden, list) else "",
            features=features,
            **{v: v in view for v in pc.VIEW_FIELDS},
        )
    except (ValueError, TypeError) as exc:
        return (*[keep] * n, keep, keep, keep, keep, str(exc))
    query = pc.settings_to_query(settings)
    return (*[keep] * n, keep, keep, keep, query if query != search else keep, "")


def change_layers(trigger, hidden):
    """``+ layer`` / ``− layer`` and each layer's ``−`` / ``+``: the new list of widths."""
    try:
        widths = [min(pc.MAX_WIDTH, max(1, int(w))) for w in hidden][: pc.MAX_LAYERS]
    except (TypeError, ValueError, OverflowError):
        widths = list(pc.Settings().hidden)
    if trigger == "playground-add-layer" and len(widths) < pc.MAX_LAYERS:
        widths.append(widths[-1] if widths else 4)
    elif trigger == "playground-remove-layer" and widths:
        widths.pop()
    elif isinstance(trigger, str) and trigger.startswith("playground-layer-"):
        _, _, k, sign = trigger.split("-")
        k = int(k)
        if k < len(widths):
            step = 1 if sign == "plus" else -1
            widths[k] = min(pc.MAX_WIDTH, max(1, widths[k] + step))
    else:
        return dash.no_update
    return widths


def show_layers(hidden):
    widths = hidden if isinstance(hidden, list) else []
    styles = [
        {"display": "inline-block" if k < len(widths) else "none"} for k in range(pc.MAX_LAYERS)
    ]
    texts = [str(widths[k]) if k < len(widths) else "" for k in range(pc.MAX_LAYERS)]
    return (*styles, *texts)


def control_run(trigger, search, session, running, token, label):
    """Start, play, pause, step and reset the server's run.

    Returns the run part of the settings now running, the token (bumped for a new run), the
    poll interval, the Play button's label and the message.
    """
    keep = dash.no_update
    sid = _session(session)
    if sid is None:
        return keep, keep, keep, keep, "This page lost its session; reload it."
    settings, _problem = pc.settings_from_query(search)
    query = pc.settings_to_query(settings.run_part())
    token = token if isinstance(token, int) else 0
    frame = MANAGER.frame(sid, RUN)
    fresh = frame is None or query != running or trigger == "playground-reset"
    if trigger == "playground-play" and frame is not None and not frame.alive:
        fresh = True  # Play on a finished run trains it again
    if trigger == "playground-url" and query == running and frame is not None:
        return keep, keep, keep, keep, keep  # only a view option changed
    playing = (
        trigger == "playground-play"
        and (frame is None or frame.state != "playing" or fresh)
        or (trigger == "playground-url" and label == "Pause")
    )
    try:
        if fresh:
            MANAGER.start(
                sid,
                RUN,
                pc.Training(settings),
                playing=playing,
                max_steps=settings.epochs,
                frame_interval=FRAME_SECONDS,
            )
            token += 1
        elif trigger == "playground-play":
            (MANAGER.play if playing else MANAGER.pause)(sid, RUN)
        if trigger == "playground-step":
            MANAGER.step(sid, RUN)
    except RunError as exc:
        return keep, keep, keep, keep, str(exc)
    interval = POLL_PLAYING_MS if playing or trigger == "playground-step" else POLL_IDLE_MS
    return query, token, interval, "Pause" if playing else "Play", ""


def draw(_tick, token, view, _kick, session, drawn):
    """Read the run's latest frame and update the figures (whole for a new run, else a Patch).

    Returns the diagram, the output plane, the curves, the epoch counter, the metrics, the
    verdict, the message and its class, what was drawn, the poll interval and the Play
    button's label.
    """
    keep = dash.no_update
    sid = _session(session)
    training = _training(sid)
    frame = MANAGER.frame(sid, RUN) if sid else None
    if training is None or frame is None or frame.data is None:
        # a run that was just started publishes its first frame in a moment: ask again soon
        return (*[keep] * 9, POLL_PLAYING_MS if training is not None else keep, keep)
    view = [v for v in view if v in pc.VIEW_FIELDS] if isinstance(view, list) else []
    drawn = drawn if isinstance(drawn, dict) else {}
    now = {"token": token, "seq": frame.seq, "view": view, "diagram": drawn.get("diagram", 0.0)}
    interval = POLL_PLAYING_MS if frame.working else POLL_IDLE_MS
    label = "Pause" if frame.state == "playing" else "Play"
    if {**drawn, "diagram": 0} == {**now, "diagram": 0}:
        return (*[keep] * 9, interval, label)
    clock = time.monotonic()
    data = frame.data
    epoch, metrics = readouts(training, data)
    if drawn.get("token") != token:
        now["diagram"] = clock
        figures = (
            diagram_figure(training, data),
            boundary_figure(training, data, view),
            curves_figure(data),
        )
    else:
        diagram = keep
        stale = not isinstance(now["diagram"], float) or clock - now["diagram"] > DIAGRAM_SECONDS
        if stale or not frame.working:
            now["diagram"] = clock
            diagram = Patch()
            diagram["data"] = _edge_traces(training, data["weights"])
            diagram["layout"]["images"][0]["source"] = data["sprite"]
        boundary = Patch()
        boundary["data"][0]["z"] = _plane_z(training, data, "discretize" in view)
        boundary["data"][0]["zsmooth"] = False if "discretize" in view else "best"
        boundary["data"][2]["visible"] = "show_test" in view
        boundary["layout"]["title"]["text"] = f"Output, epoch {data['epoch']}"
        curves = Patch()
        curves["data"][0]["x"] = data["history"]["epoch"]
        curves["data"][0]["y"] = data["history"]["train_loss"]
        curves["data"][1]["x"] = data["history"]["epoch"]
        curves["data"][1]["y"] = data["history"]["val_loss"]
        figures = (diagram, boundary, curves)
    message = data["message"] or (frame.message if frame.state == "failed" else "")
    alarm = frame.state == "failed" or message.startswith("Training diverged")
    kind = "lab-error" if alarm else "lab-verdict"
    return (*figures, epoch, metrics, data["verdict"], message, kind, now, interval, label)


def select_edge(click, session):
    """A click on an edge's midpoint selects it: its label and its weight in the box."""
    keep = dash.no_update
    try:
        layer, to, source = (int(v) for v in click["points"][0]["customdata"])
    except (TypeError, KeyError, IndexError, ValueError, OverflowError):
        return keep, keep, keep
    if min(layer, to, source) < 0:
        return keep, keep, keep
    training = _training(session)
    frame = MANAGER.frame(session, RUN) if training is not None else None
    if frame is None or frame.data is None:
        return keep, keep, keep
    try:
        w = frame.data["weights"][layer][to][source]
    except (IndexError, TypeError):
        return keep, keep, keep
    s = training.settings
    origin = s.features[source] if layer == 0 else f"neuron {source + 1} of layer {layer}"
    if layer < len(s.hidden):
        target = f"neuron {to + 1} of layer {layer + 1}"
    else:
        target = "the output" if s.regression else f"the class {to} output"
    return [layer, to, source], f"Weight from {origin} to {target}:", w


def set_weight(_clicks, _submit, value, edge, session, kick):
    """Pause the run and set the selected weight; the next draw shows the new boundary."""
    keep = dash.no_update
    training = _training(session)
    if training is None or not isinstance(edge, list) or len(edge) != 3:
        return keep, "Click an edge of the diagram first."
    try:
        number = float(value)
        layer, to, source = (int(v) for v in edge)
    except (TypeError, ValueError, OverflowError):
        return keep, f"A weight must be a number from -100 to 100 (received {value!r})."
    try:
        MANAGER.pause(session, RUN)
        MANAGER.edit(session, RUN, lambda: training.edit_weight(layer, to, source, number))
    except ValueError as exc:  # RunError, or the weight or the edge out of range
        return keep, str(exc)
    return (kick if isinstance(kick, int) else 0) + 1, ""


def show_code(_clicks, session, drawn):
    """The descentlab program of the run as the page shows it (the epoch on screen)."""
    training = _training(session)
    frame = MANAGER.frame(session, RUN) if training is not None else None
    if frame is None or frame.data is None:
        return dash.no_update, dash.no_update
    return training.code(frame.data["epoch"]), {"display": "block"}


def loss_options(dataset):
    """The losses that fit the dataset: class losses, or mse and l1 for regression."""
    regression = isinstance(dataset, str) and dataset in pc.REGRESSION
    return _options(pc.REGRESSION_LOSSES if regression else pc.CLASS_LOSSES)


def regenerate(_clicks, seed):
    """A new sample of the same dataset: the next data seed."""
    try:
        seed = int(seed)
    except (TypeError, ValueError, OverflowError):
        seed = 0
    return (seed + 1) % (pc.MAX_SEED + 1)


def _warm_up() -> None:
    """Import scikit-learn (the datasets) now: it takes seconds, and the first run needs it."""
    import sklearn.datasets  # noqa: F401


def register_callbacks(app: dash.Dash) -> None:
    threading.Thread(target=_warm_up, name="descentlab-playground-warm-up", daemon=True).start()
    controls = [Input(_cid(name), "value") for name in CONTROLS]
    app.callback(
        *[Output(_cid(name), "value") for name in CONTROLS],
        Output("playground-hidden", "data"),
        Output("playground-features", "value"),
        Output("playground-view", "value"),
        Output("playground-url", "search"),
        Output("playground-error", "children", allow_duplicate=True),
        Input("playground-url", "search"),
        Input("playground-hidden", "data"),
        Input("playground-features", "value"),
        Input("playground-view", "value"),
        *controls,
        prevent_initial_call="initial_duplicate",
    )(lambda *args: sync_url(ctx.triggered_id, *args))
    layer_buttons = [
        Input(f"playground-layer-{k}-{sign}", "n_clicks")
        for k in range(pc.MAX_LAYERS)
        for sign in ("minus", "plus")
    ]
    app.callback(
        Output("playground-hidden", "data", allow_duplicate=True),
        Input("playground-add-layer", "n_clicks"),
        Input("playground-remove-layer", "n_clicks"),
        *layer_buttons,
        State("playground-hidden", "data"),
        prevent_initial_call=True,
    )(lambda *args: change_layers(ctx.triggered_id, args[-1]))
    app.callback(
        *[Output(f"playground-layer-{k}", "style") for k in range(pc.MAX_LAYERS)],
        *[Output(f"playground-layer-{k}-width", "children") for k in range(pc.MAX_LAYERS)],
        Input("playground-hidden", "data"),
    )(show_layers)
    app.callback(
        Output("playground-run-query", "data"),
        Output("playground-token", "data"),
        Output("playground-poll", "interval", allow_duplicate=True),
        Output("playground-play", "children", allow_duplicate=True),
        Output("playground-error", "children", allow_duplicate=True),
        Input("playground-url", "search"),
        Input("playground-play", "n_clicks"),
        Input("playground-step", "n_clicks"),
        Input("playground-reset", "n_clicks"),
        State("playground-session", "data"),
        State("playground-run-query", "data"),
        State("playground-token", "data"),
        State("playground-play", "children"),
        prevent_initial_call="initial_duplicate",
    )(lambda search, _p, _s, _r, *state: control_run(ctx.triggered_id, search, *state))
    app.callback(
        Output("playground-diagram", "figure"),
        Output("playground-boundary", "figure"),
        Output("playground-curves", "figure"),
        Output("playground-epoch", "children"),
        Output("playground-metrics", "children"),
        Output("playground-verdict", "children"),
        Output("playground-message", "children"),
        Output("playground-message", "className"),
        Output("playground-drawn", "data"),
        Output("playground-poll", "interval"),
        Output("playground-play", "children"),
        Input("playground-poll", "n_intervals"),
        Input("playground-token", "data"),
        Input("playground-view", "value"),
        Input("playground-kick", "data"),
        State("playground-session", "data"),
        State("playground-drawn", "data"),
    )(draw)
    app.callback(
        Output("playground-edge", "data"),
        Output("playground-edge-label", "children"),
        Output("playground-weight", "value"),
        Input("playground-diagram", "clickData"),
        State("playground-session", "data"),
        prevent_initial_call=True,
    )(select_edge)
    app.callback(
        Output("playground-kick", "data"),
        Output("playground-error", "children", allow_duplicate=True),
        Input("playground-set-weight", "n_clicks"),
        Input("playground-weight", "n_submit"),
        State("playground-weight", "value"),
        State("playground-edge", "data"),
        State("playground-session", "data"),
        State("playground-kick", "data"),
        prevent_initial_call=True,
    )(set_weight)
    app.callback(
        Output("playground-code", "children"),
        Output("playground-code", "style"),
        Input("playground-show-code", "n_clicks"),
        State("playground-session", "data"),
        State("playground-drawn", "data"),
        prevent_initial_call=True,
    )(show_code)
    app.callback(Output(_cid("loss"), "options"), Input(_cid("dataset"), "value"))(loss_options)
    app.callback(
        Output(_cid("seed"), "value", allow_duplicate=True),
        Input("playground-regenerate", "n_clicks"),
        State(_cid("seed"), "value"),
        prevent_initial_call=True,
    )(regenerate)
