"""Page 10: the playground: train a small network on a 2-D dataset and watch it learn."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

import dash
from dash import Input, Output, Patch, State, ctx, dcc, html

from descentlab.lab.compute.playground import (
    ACTIVATIONS,
    BATCH_SIZES,
    DATASETS,
    LEARNING_RATES,
    LOSSES,
    MAX_EPOCHS,
    MAX_LAYERS,
    MAX_NEURONS,
    MAX_POINTS,
    MAX_SEED,
    OPTIMIZERS,
    REG_RATES,
    REGULARIZERS,
    SCHEDULE_HELP,
    SCHEDULES,
    Settings,
    Snapshot,
    export_model,
    new_run,
    settings_from_query,
    settings_to_query,
    snapshot,
    train,
    validate,
)

ORDER = 10
PATH = "/playground"
TITLE = "Playground"
EXPLANATION = (
    "A small neural network learns to separate two-dimensional points. Choose a dataset, the "
    "network's hidden layers and neurons, its activation, the loss and the optimiser, then "
    "press **Play**: each epoch runs mini-batch gradient descent over the training points, "
    "and the background shows what the network predicts everywhere in the plane (the "
    "decision boundary is where the colour changes). Filled dots are training points, hollow "
    "ones the held-out test points; the curves show both losses per epoch. A test loss that "
    "rises while the training loss keeps falling is overfitting: try fewer neurons, more "
    "points or L2 regularisation. A learning rate that is too large makes the loss explode; "
    "the page stops and says so. The address bar holds every setting, so a link reproduces "
    "the run, and **Export** saves the trained weights as a descentlab `.npz` file."
)

FIELDS = [f.name for f in fields(Settings)]
CLASS_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c")
INTERVAL_MS = 300
# What a run kept in the browser can raise when it does not fit its settings.
STORE_ERRORS = (ValueError, KeyError, TypeError, IndexError, AttributeError)


def _cid(name: str) -> str:
    return "playground-" + name.replace("_", "-")


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


def _options(values, fmt=str) -> list[dict]:
    return [{"label": fmt(v), "value": v} for v in values]


def layout() -> html.Div:
    d = Settings()
    controls = [
        html.Div(
            [
                _dropdown("dataset", "Dataset", _options(DATASETS), d.dataset),
                _slider("noise", "Noise", 0.0, 1.0, 0.05, d.noise),
                _slider("n", "Points", 50, MAX_POINTS, 50, d.n),
                _slider("train", "Training share (%)", 10, 90, 10, d.train),
                html.Div(
                    [
                        html.Label("Data seed", htmlFor=_cid("seed")),
                        dcc.Input(
                            id=_cid("seed"),
                            type="number",
                            min=0,
                            max=MAX_SEED,
                            step=1,
                            value=d.seed,
                            debounce=True,
                        ),
                    ],
                    className="lab-control",
                ),
                html.Button(
                    "Regenerate", id="playground-regenerate", n_clicks=0, className="lab-button"
                ),
            ],
            className="lab-controls",
        ),
        html.Div(
            [
                _slider("layers", "Hidden layers", 0, MAX_LAYERS, 1, d.layers),
                _slider("neurons", "Neurons per layer", 1, MAX_NEURONS, 1, d.neurons),
                _dropdown("activation", "Activation", _options(ACTIVATIONS), d.activation),
                _dropdown("loss", "Loss", _options(LOSSES), d.loss),
            ],
            className="lab-controls",
        ),
        html.Div(
            [
                _dropdown("optimizer", "Optimiser", _options(OPTIMIZERS), d.optimizer),
                _dropdown("lr", "Learning rate", _options(LEARNING_RATES, "{:g}".format), d.lr),
                _dropdown(
                    "schedule",
                    "Schedule",
                    [{"label": f"{s}: {SCHEDULE_HELP[s]}", "value": s} for s in SCHEDULES],
                    d.schedule,
                ),
                _slider("epochs", "Epochs", 10, MAX_EPOCHS, 10, d.epochs),
                _dropdown("batch", "Batch size", _options(BATCH_SIZES), d.batch),
                _dropdown("reg", "Regularisation", _options(REGULARIZERS), d.reg),
                _dropdown(
                    "reg_rate",
                    "Regularisation rate",
                    _options(REG_RATES, "{:g}".format),
                    d.reg_rate,
                ),
            ],
            className="lab-controls",
        ),
    ]
    buttons = html.Div(
        [
            html.Button(
                "Play",
                id="playground-play",
                n_clicks=0,
                className="lab-button lab-button-primary",
            ),
            html.Button("Step", id="playground-step", n_clicks=0, className="lab-button"),
            html.Button("Reset", id="playground-reset", n_clicks=0, className="lab-button"),
            html.Button("Export model", id="playground-export", n_clicks=0, className="lab-button"),
            html.Span("Epoch 0", id="playground-epoch", className="lab-verdict"),
            html.Span(id="playground-metrics", className="lab-readout"),
        ],
        className="lab-controls",
    )
    return html.Div(
        [
            dcc.Location(id="playground-url", refresh=False),
            *controls,
            buttons,
            html.Div(id="playground-error", className="lab-error", role="alert"),
            html.Div(id="playground-diverged", className="lab-error", role="alert"),
            html.Div(
                [
                    dcc.Graph(id="playground-boundary", config={"displaylogo": False}),
                    dcc.Graph(id="playground-curves", config={"displaylogo": False}),
                ],
                className="lab-row",
            ),
            dcc.Store(id="playground-run"),
            dcc.Interval(id="playground-interval", interval=INTERVAL_MS, disabled=True),
            dcc.Download(id="playground-download"),
        ]
    )


# ------------------------------------------------------------------------------- figures


def _colourscale(classes: int) -> list:
    if classes == 2:
        return [[0.0, "#9ecae1"], [0.5, "#f7f7f7"], [1.0, "#fdbe85"]]
    light = ("#9ecae1", "#fdbe85", "#a1d99b")
    scale = []
    for k in range(classes):
        scale += [[k / classes, light[k]], [(k + 1) / classes, light[k]]]
    return scale


def boundary_figure(run: dict, snap: Snapshot) -> dict:
    """The heatmap of the network's predictions with the train and test points on top."""
    from descentlab.lab.compute.playground import make_data

    settings = validate(**run["settings"])
    data = make_data(settings)
    heat = {
        "type": "heatmap",
        "name": "prediction",
        "x": snap.xs,
        "y": snap.ys,
        "z": snap.z,
        "colorscale": _colourscale(snap.classes),
        "zmin": 0,
        "zmax": 1 if snap.classes == 2 else snap.classes,
        "showscale": False,
        "hoverinfo": "skip",
    }
    if snap.classes > 2:
        heat["z"] = [[v + 0.5 for v in row] for row in snap.z]

    def points(X, y, name, hollow):
        colours = [CLASS_COLOURS[int(k) % len(CLASS_COLOURS)] for k in y]
        marker = {"size": 7, "line": {"width": 1.5, "color": colours if hollow else "#ffffff"}}
        marker["color"] = "rgba(255,255,255,0.9)" if hollow else colours
        return {
            "type": "scatter",
            "mode": "markers",
            "name": name,
            "x": X[:, 0].tolist(),
            "y": X[:, 1].tolist(),
            "marker": marker,
        }

    return {
        "data": [
            heat,
            points(data.X_train, data.y_train, "train", False),
            points(data.X_test, data.y_test, "test", True),
        ],
        "layout": {
            "title": {"text": f"Decision surface, epoch {snap.epoch}"},
            "height": 430,
            "margin": {"l": 40, "r": 10, "t": 40, "b": 30},
            "xaxis": {"range": [snap.xs[0], snap.xs[-1]], "constrain": "domain"},
            "yaxis": {"range": [snap.ys[0], snap.ys[-1]], "scaleanchor": "x"},
            "legend": {"orientation": "h", "y": -0.08},
            "uirevision": "playground",
        },
    }


def curves_figure(run: dict) -> dict:
    history = run["history"]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": "train loss",
                "x": history["epoch"],
                "y": history["train_loss"],
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": "test loss",
                "x": history["epoch"],
                "y": history["test_loss"],
            },
        ],
        "layout": {
            "title": {"text": "Loss per epoch"},
            "height": 430,
            "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
            "xaxis": {"title": {"text": "epoch"}},
            "yaxis": {"title": {"text": "loss"}, "type": "log"},
            "legend": {"orientation": "h", "y": -0.15},
            "uirevision": "playground",
        },
    }


def _readouts(run: dict, snap: Snapshot) -> tuple[str, str]:
    m = snap.metrics
    epoch = f"Epoch {snap.epoch} of {run['settings']['epochs']}"
    metrics = (
        f"train loss {m['train_loss']:.4g}, test loss {m['test_loss']:.4g}, "
        f"train accuracy {100 * m['train_acc']:.1f}%, test accuracy {100 * m['test_acc']:.1f}%, "
        f"lr {snap.lr:.3g}"
    )
    return epoch, metrics


# ----------------------------------------------------------------------------- callbacks


def sync_url(trigger, search, *values):
    """Keep the address bar and the controls in step: the address sets the controls when the
    page opens (or on back/forward), and every change of a control rewrites the address.

    ``trigger`` is the id of the component that changed (Dash's ``ctx.triggered_id``)."""
    n = len(FIELDS)
    if trigger in (None, "playground-url"):
        settings, problem = settings_from_query(search)
        current = dict(zip(FIELDS, values))
        new = asdict(settings)
        controls = [new[k] if new[k] != current[k] else dash.no_update for k in FIELDS]
        return (*controls, dash.no_update, problem)
    try:
        settings = validate(**dict(zip(FIELDS, values)))
    except ValueError as exc:
        return (*[dash.no_update] * n, dash.no_update, str(exc))
    query = settings_to_query(settings)
    return (*[dash.no_update] * n, query if query != search else dash.no_update, "")


def step_run(trigger, _reset, _step, _tick, run, playing, *values):
    """Start a run when a setting changes or on Reset; train on Step and on every tick.

    Returns the run store, the two figures (whole, or a Patch of the changed arrays), the
    epoch counter, the metrics, the divergence message, and whether the ticks stop.
    """
    keep = dash.no_update
    try:
        settings = validate(**dict(zip(FIELDS, values)))
    except ValueError as exc:
        return keep, keep, keep, keep, keep, keep, True, "Play", str(exc)
    fresh = run is None or run.get("settings") != asdict(settings)
    if (
        fresh
        or trigger == "playground-reset"
        or trigger
        not in (
            "playground-step",
            "playground-interval",
        )
    ):
        run = new_run(settings)
        snap = snapshot(run)
        epoch, metrics = _readouts(run, snap)
        # Reset pauses; a changed setting starts over and keeps playing if it was.
        reset = trigger == "playground-reset"
        return (
            run,
            boundary_figure(run, snap),
            curves_figure(run),
            epoch,
            metrics,
            "",
            True if reset else keep,
            "Play" if reset else keep,
            keep,
        )
    if trigger == "playground-interval" and not playing:
        return keep, keep, keep, keep, keep, keep, keep, keep, keep
    try:
        run = train(run, epochs=1 if trigger == "playground-step" else None)
        snap = snapshot(run)
    except STORE_ERRORS:
        # The run kept in the browser did not match its settings (edited by hand, or from
        # an older version of the page): start again rather than fail.
        return step_run("playground-reset", _reset, _step, _tick, None, playing, *values)[:-1] + (
            "The stored run could not be read, so it was started again.",
        )
    epoch, metrics = _readouts(run, snap)
    boundary = Patch()
    boundary["data"][0]["z"] = (
        snap.z if snap.classes == 2 else [[v + 0.5 for v in row] for row in snap.z]
    )
    boundary["layout"]["title"]["text"] = f"Decision surface, epoch {snap.epoch}"
    curves = Patch()
    history = run["history"]
    curves["data"][0]["x"] = history["epoch"]
    curves["data"][0]["y"] = history["train_loss"]
    curves["data"][1]["x"] = history["epoch"]
    curves["data"][1]["y"] = history["test_loss"]
    done = bool(run["diverged"]) or run["epoch"] >= settings.epochs
    return (
        run,
        boundary,
        curves,
        epoch,
        metrics,
        run["diverged"],
        True if done else keep,
        "Play" if done else keep,
        keep,
    )


def toggle_play(_clicks, disabled, run):
    """Play starts the ticks, Pause stops them; a finished or diverged run does not restart."""
    try:
        finished = bool(run) and run["epoch"] >= run["settings"]["epochs"]
    except STORE_ERRORS:
        finished = False
    if disabled and run and (run.get("diverged") or finished):
        return True, "Play"
    return (False, "Pause") if disabled else (True, "Play")


def regenerate(_clicks, seed):
    """A new sample of the same dataset: the next data seed."""
    try:
        seed = int(seed)
    except (TypeError, ValueError):
        seed = 0
    return (seed + 1) % (MAX_SEED + 1)


def download(_clicks, run):
    if not run:
        return dash.no_update
    try:
        name = f"playground-{run['settings']['dataset']}-epoch{int(run['epoch'])}.npz"
        return dcc.send_bytes(export_model(run), name)
    except STORE_ERRORS:
        return dash.no_update


def register_callbacks(app: dash.Dash) -> None:
    controls_in = [Input(_cid(name), "value") for name in FIELDS]
    app.callback(
        *[Output(_cid(name), "value") for name in FIELDS],
        Output("playground-url", "search"),
        Output("playground-error", "children", allow_duplicate=True),
        Input("playground-url", "search"),
        *controls_in,
        prevent_initial_call="initial_duplicate",
    )(lambda *args: sync_url(ctx.triggered_id, *args))
    app.callback(
        Output("playground-run", "data"),
        Output("playground-boundary", "figure"),
        Output("playground-curves", "figure"),
        Output("playground-epoch", "children"),
        Output("playground-metrics", "children"),
        Output("playground-diverged", "children"),
        Output("playground-interval", "disabled", allow_duplicate=True),
        Output("playground-play", "children", allow_duplicate=True),
        Output("playground-error", "children", allow_duplicate=True),
        Input("playground-reset", "n_clicks"),
        Input("playground-step", "n_clicks"),
        Input("playground-interval", "n_intervals"),
        State("playground-run", "data"),
        State("playground-interval", "disabled"),
        *controls_in,
        prevent_initial_call="initial_duplicate",
    )(
        lambda reset, step, tick, run, disabled, *values: step_run(
            ctx.triggered_id, reset, step, tick, run, not disabled, *values
        )
    )
    app.callback(
        Output("playground-interval", "disabled"),
        Output("playground-play", "children"),
        Input("playground-play", "n_clicks"),
        State("playground-interval", "disabled"),
        State("playground-run", "data"),
        prevent_initial_call=True,
    )(toggle_play)
    app.callback(
        Output(_cid("seed"), "value", allow_duplicate=True),
        Input("playground-regenerate", "n_clicks"),
        State(_cid("seed"), "value"),
        prevent_initial_call=True,
    )(regenerate)
    app.callback(
        Output("playground-download", "data"),
        Input("playground-export", "n_clicks"),
        State("playground-run", "data"),
        prevent_initial_call=True,
    )(download)
