"""Page 11: vanishing gradients: the gradient's size at every layer of a deep network."""

from __future__ import annotations

import math

import dash
from dash import Input, Output, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute.vanishing import (
    ACTIVATIONS,
    INITS,
    MAX_DEPTH,
    MAX_WIDTH,
    layer_gradients,
)

ORDER = 11
PATH = "/vanishing"
TITLE = "Vanishing gradients"
EXPLANATION = (
    "Backpropagation multiplies the gradient by one factor per layer on its way from the loss "
    "to the first layer: the layer's weights times the derivative of its activation. If those "
    "factors are below 1 the product shrinks geometrically with depth and the first layers "
    "hardly learn; above 1 it grows and training blows up. The sigmoid's derivative is at "
    "most 1/4, so a deep sigmoid network loses orders of magnitude of gradient: count the "
    "decades on the logarithmic axis. ReLU passes the gradient unchanged wherever it is "
    "active, and an initialisation scaled to the layer's width (He for ReLU, Xavier for tanh) "
    "keeps each factor close to 1, so every layer receives a usable gradient. Every "
    "activation of the registry is offered: compare GELU, ELU or SiLU with the three classics, "
    "or `linear`, whose deep network is still one linear map. The bars are the norm of "
    "dL/dW for each layer after one backward pass on a batch of spirals."
)


ADDRESS = (
    w.Field("depth", "vanishing-depth"),
    w.Field("width", "vanishing-width"),
    w.Field("activation", "vanishing-activation", kind="text"),
    w.Field("init", "vanishing-init", kind="text"),
    w.Field("seed", "vanishing-seed"),
)


def _control(label: str, component) -> html.Div:
    return html.Div([html.Label(label, htmlFor=component.id), component], className="lab-control")


def layout() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    w.control(
                        "Hidden layers",
                        w.slider_box("vanishing-depth", 1, MAX_DEPTH, 1, 10),
                        wide=True,
                    ),
                    w.control(
                        "Neurons per layer",
                        w.slider_box("vanishing-width", 2, MAX_WIDTH, 1, 32),
                        wide=True,
                    ),
                ],
                className="lab-controls",
            ),
            html.Div(
                [
                    _control(
                        "Activation",
                        dcc.RadioItems(
                            id="vanishing-activation",
                            options=[{"label": a, "value": a} for a in ACTIVATIONS],
                            value="sigmoid",
                            inline=True,
                        ),
                    ),
                    _control(
                        "Initialisation",
                        dcc.Dropdown(
                            id="vanishing-init",
                            options=[{"label": f"{k}: {v}", "value": k} for k, v in INITS.items()],
                            value="default",
                            clearable=False,
                            searchable=False,
                            style={"minWidth": "24rem"},
                        ),
                    ),
                    _control(
                        "Seed",
                        dcc.Input(
                            id="vanishing-seed",
                            type="number",
                            min=0,
                            step=1,
                            value=0,
                            debounce=True,
                        ),
                    ),
                ],
                className="lab-controls",
            ),
            html.Div(id="vanishing-error", className="lab-error", role="alert"),
            html.Div(id="vanishing-summary", className="lab-readout"),
            dcc.Graph(id="vanishing-figure", config={"displaylogo": False}),
        ]
    )


def render(depth, width, activation, init, seed):
    """The bar figure, the one-line summary and the error sentence."""
    try:
        result = layer_gradients(depth, activation, init, width, seed)
    except ValueError as exc:
        return dash.no_update, dash.no_update, str(exc)
    names = [f"layer {k}" for k in result.layers[:-1]] + ["output"]
    finite = [g for g in result.grad_norms if g > 0 and math.isfinite(g)]
    figure = {
        "data": [
            {
                "type": "bar",
                "name": "||dL/dW||",
                "x": names,
                "y": result.grad_norms,
                "marker": {"color": "#e67e22"},
            }
        ],
        "layout": w.base_layout(
            title={"text": f"Gradient norm per layer ({activation}, {init} init)"},
            yaxis=w.axis("||dL/dW|| (log scale)", type="log"),
            xaxis=w.axis("input side → output side"),
            height=420,
            margin={"l": 60, "r": 20, "t": 50, "b": 60},
        ),
    }
    if finite:
        decades = math.log10(max(finite) / min(finite)) if min(finite) > 0 else math.inf
        summary = (
            f"Loss {result.loss:.4g}. The first layer's gradient is {result.ratio:.3g} times "
            f"the output layer's; the gradients span {decades:.1f} orders of magnitude."
        )
    else:
        summary = f"Loss {result.loss:.4g}. Every gradient is zero or not finite."
    return figure, summary, ""


def register_callbacks(app: dash.Dash) -> None:
    w.link_slider(app, "vanishing-depth", 1, MAX_DEPTH)
    w.link_slider(app, "vanishing-width", 2, MAX_WIDTH)
    app.callback(
        Output("vanishing-figure", "figure"),
        Output("vanishing-summary", "children"),
        Output("vanishing-error", "children"),
        Input("vanishing-depth", "value"),
        Input("vanishing-width", "value"),
        Input("vanishing-activation", "value"),
        Input("vanishing-init", "value"),
        Input("vanishing-seed", "value"),
    )(render)
