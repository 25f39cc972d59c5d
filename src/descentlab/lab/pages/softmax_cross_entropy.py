"""Page 14: softmax and cross-entropy: logits to probabilities to loss, and the gradient p − y."""

from __future__ import annotations

from typing import Any

import dash
import numpy as np
from dash import Input, Output, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute import softmax_ce as compute

ORDER = 14
PATH = "/softmax-cross-entropy"
TITLE = "Softmax cross-entropy"
EXPLANATION = """
A classifier's last layer gives one score per class, the **logits** z. **Softmax** turns them
into probabilities, p_i = e^(z_i) / Σ_j e^(z_j): all positive, summing to 1, the largest logit
getting the largest share. Adding the same number to every logit changes nothing.

**Cross-entropy** scores the probability given to the true class t: L = −log p_t. A right and
confident answer (p_t near 1) costs almost nothing; a wrong and confident one costs a lot:
p_t = 0.01 costs −log 0.01 = 4.6, and when a wrong class's logit exceeds the true one by m the
loss grows like m itself (the lower plot), so confident mistakes dominate the gradient.

Together they have the simplest gradient in deep learning: ∂L/∂z_i = p_i − y_i, with y the
one-hot target. The true class's logit is pushed up by 1 − p_t, every other logit down by its
probability. The bars come from descentlab's `F.cross_entropy` and `backward()`; the readout
checks them against p − y.
"""

_P = "softmax-cross-entropy"
N = compute.MAX_CLASSES
START = [2.0, 1.0, 0.1, -1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0]


def layout() -> Any:
    logit_boxes = [
        html.Div(
            w.control(f"z{i + 1}", w.number_input(f"{_P}-z{i}", START[i])),
            id=f"{_P}-z{i}-box",
        )
        for i in range(N)
    ]
    return html.Div(
        [
            html.Div(
                [
                    w.control(
                        "Classes",
                        dcc.Dropdown(
                            id=f"{_P}-classes",
                            options=list(range(2, N + 1)),
                            value=3,
                            clearable=False,
                            style={"width": "6rem"},
                        ),
                    ),
                    w.control(
                        "True class",
                        dcc.Dropdown(
                            id=f"{_P}-target",
                            options=list(range(1, N + 1)),
                            value=1,
                            clearable=False,
                            style={"width": "6rem"},
                        ),
                    ),
                    *logit_boxes,
                ],
                className="lab-controls",
            ),
            html.Div(id=f"{_P}-error", className="lab-error", role="alert"),
            html.Div(
                [w.graph(f"{_P}-bars", height=360), w.graph(f"{_P}-margin", height=360)],
                style={"display": "grid", "gridTemplateColumns": "1fr 1fr", "gap": "8px"},
            ),
            w.readout(f"{_P}-readout"),
        ]
    )


def render(classes: Any, target: Any, *logits: Any) -> tuple:
    hidden = [
        {"display": "block" if isinstance(classes, int) and i < classes else "none"}
        for i in range(N)
    ]
    if not isinstance(classes, int) or not 2 <= classes <= N:
        return (
            (dash.no_update,) * 3
            + tuple(hidden)
            + (f"Classes must be a whole number from 2 to {N} (received {classes!r}).",)
        )
    try:
        r = compute.softmax_cross_entropy(list(logits[:classes]), target)
    except ValueError as exc:
        return (dash.no_update,) * 3 + tuple(hidden) + (str(exc),)
    names = [f"class {i + 1}" for i in range(classes)]
    colors = ["#2a9d8f" if i == r.target else "#8d99ae" for i in range(classes)]
    bars = {
        "data": [
            {
                "type": "bar",
                "x": names,
                "y": w.plain(r.probabilities),
                "marker": {"color": colors},
                "name": "probability p",
                "text": [f"{p:.3f}" for p in r.probabilities],
                "textposition": "outside",
            },
            {
                "type": "bar",
                "x": names,
                "y": w.plain(r.gradient),
                "marker": {"color": "#e67e22"},
                "name": "gradient dL/dz = p − y",
            },
        ],
        "layout": w.base_layout(
            title={"text": f"softmax probabilities and the gradient (true class {r.target + 1})"},
            barmode="group",
            yaxis=w.axis("", range=[-1.05, 1.15]),
        ),
    }
    wrong = np.delete(r.logits, r.target)
    margin = float(wrong.max() - r.logits[r.target])
    ms = np.linspace(-10, 10, 201)
    curve = compute.loss_against_margin(ms)
    margin_fig = {
        "data": [
            {
                "type": "scatter",
                "x": w.plain(ms),
                "y": w.plain(curve),
                "mode": "lines",
                "name": "two classes: log(1 + e^m)",
                "line": {"color": w.COLORS["curve"], "width": 2.5},
            },
            {
                "type": "scatter",
                "x": [margin],
                "y": [r.loss],
                "mode": "markers",
                "marker": {"size": 12, "color": "#e6194b"},
                "name": "this example",
            },
        ],
        "layout": w.base_layout(
            title={"text": "loss against the margin of the best wrong class"},
            xaxis=w.axis("m = max wrong logit − true logit"),
            yaxis=w.axis("cross-entropy"),
        ),
    }
    check = float(np.max(np.abs(r.gradient - r.formula_gradient)))
    readout = (
        f"p = softmax(z) = [{', '.join(f'{p:.6f}' for p in r.probabilities)}]\n"
        f"loss L = −log p_{r.target + 1} = −log {r.probabilities[r.target]:.6f} = {r.loss:.6f}\n"
        f"dL/dz from backward = [{', '.join(f'{g:.6f}' for g in r.gradient)}]\n"
        f"p − y               = [{', '.join(f'{g:.6f}' for g in r.formula_gradient)}]"
        f"   (largest difference {check:.1e})\n"
        f"margin m = {margin:.4g}: "
        + (
            "a wrong class leads, so the loss grows about linearly in m."
            if margin > 0
            else "the true class leads; the loss shrinks like e^m."
        )
    )
    return (bars, margin_fig, readout, *hidden, "")


def register_callbacks(app: dash.Dash) -> None:
    app.callback(
        Output(f"{_P}-bars", "figure"),
        Output(f"{_P}-margin", "figure"),
        Output(f"{_P}-readout", "children"),
        *[Output(f"{_P}-z{i}-box", "style") for i in range(N)],
        Output(f"{_P}-error", "children"),
        Input(f"{_P}-classes", "value"),
        Input(f"{_P}-target", "value"),
        *[Input(f"{_P}-z{i}", "value") for i in range(N)],
    )(render)


__all__ = ["EXPLANATION", "ORDER", "PATH", "TITLE", "layout", "register_callbacks"]
