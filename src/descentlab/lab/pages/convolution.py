"""Page 13: convolution, a kernel sliding over a small image, one position at a time."""

from __future__ import annotations

from typing import Any

import dash
import numpy as np
from dash import Input, Output, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute import convolution as compute

ORDER = 13
PATH = "/convolution"
TITLE = "Convolution"
EXPLANATION = """
A convolutional layer slides a small grid of weights, the **kernel**, over its input. At each
position it multiplies the kernel by the patch under it, element by element, and adds the
products: one number of the **output map**. The patch is that output's **receptive field**.

The same nine weights are used at every position (**parameter sharing**), so a 3×3 kernel
has 10 parameters (with its bias) whatever the image size, where a dense layer from the same
inputs to the same outputs needs one weight per input-output pair. Sharing also makes the
layer find a pattern (an edge, a corner) wherever it is.

**Stride** is how far the kernel jumps between positions; **padding** adds rings of zeros so
the kernel can sit on the border. The output size is ⌊(H + 2p − K) / s⌋ + 1. The output map
here is computed by descentlab's `F.conv2d`; the table writes out the same sum for the
highlighted position.
"""

_P = "convolution"


def layout() -> Any:
    dropdown = {"clearable": False, "style": {"width": "12rem"}}
    return html.Div(
        [
            html.Div(
                [
                    w.control(
                        "Image",
                        dcc.Dropdown(
                            id=f"{_P}-image",
                            options=list(compute.IMAGES),
                            value="digit",
                            **dropdown,
                        ),
                    ),
                    w.control(
                        "Kernel",
                        dcc.RadioItems(
                            id=f"{_P}-kernel",
                            options=[*compute.KERNELS, "custom"],
                            value="vertical edge",
                            inline=True,
                        ),
                    ),
                    w.control(
                        "Stride",
                        dcc.Dropdown(id=f"{_P}-stride", options=[1, 2, 3], value=1, **dropdown),
                    ),
                    w.control(
                        "Padding",
                        dcc.Dropdown(id=f"{_P}-padding", options=[0, 1, 2], value=0, **dropdown),
                    ),
                ],
                className="lab-controls",
            ),
            html.Div(
                [
                    html.Label("Custom kernel (used when Kernel is 'custom')"),
                    html.Div(
                        [
                            w.number_input(f"{_P}-k{r}{c}", v)
                            for r, row in enumerate(compute.KERNELS["sharpen"])
                            for c, v in enumerate(row)
                        ],
                        className="lab-kernel-grid",
                        style={
                            "display": "grid",
                            "gridTemplateColumns": "repeat(3, 5rem)",
                            "gap": "4px",
                        },
                    ),
                ],
                className="lab-controls",
            ),
            html.Div(
                [
                    w.button(f"{_P}-play", "Play", primary=True),
                    w.control(
                        "Position (reading order)",
                        w.slider(f"{_P}-position", 0, 35, 1, 0),
                        wide=True,
                    ),
                    dcc.Interval(id=f"{_P}-clock", interval=500, disabled=True),
                ],
                className="lab-controls",
            ),
            html.Div(id=f"{_P}-error", className="lab-error", role="alert"),
            html.Div(
                [w.graph(f"{_P}-input", height=380), w.graph(f"{_P}-output", height=380)],
                style={"display": "grid", "gridTemplateColumns": "1fr 1fr", "gap": "8px"},
            ),
            html.Table(id=f"{_P}-terms", className="lab-table"),
            w.readout(f"{_P}-readout"),
        ]
    )


def _kernel(name: str, custom: list[Any]) -> np.ndarray:
    if name == "custom":
        return compute.parse_kernel([list(custom[0:3]), list(custom[3:6]), list(custom[6:9])])
    if not isinstance(name, str) or name not in compute.KERNELS:
        raise ValueError(
            f"Kernel must be one of {', '.join([*compute.KERNELS, 'custom'])} (received {name!r})."
        )
    return np.array(compute.KERNELS[name], dtype=np.float64)


def _heatmap(z: np.ndarray, colorscale: str, zmid: float | None = None) -> dict[str, Any]:
    trace = {
        "type": "heatmap",
        "z": w.plain(z),
        "colorscale": colorscale,
        "showscale": False,
        "hovertemplate": "row %{y}, column %{x}: %{z:.3g}<extra></extra>",
        "texttemplate": "%{z:.2g}",
        "textfont": {"size": 14},
    }
    if zmid is not None:
        trace["zmid"] = zmid
    return trace


def _box(top: int, left: int, size: int, color: str) -> dict[str, Any]:
    return {
        "type": "rect",
        "x0": left - 0.5,
        "x1": left + size - 0.5,
        "y0": top - 0.5,
        "y1": top + size - 0.5,
        "line": {"color": color, "width": 4},
    }


def render(image, kernel, stride, padding, position, *custom) -> tuple:
    try:
        k = _kernel(kernel, list(custom))
        c = compute.convolve(compute.make_image(image), k, stride, padding)
    except ValueError as exc:
        return (dash.no_update,) * 5 + (str(exc),)
    count = c.positions
    index = position if isinstance(position, int) and 0 <= position < count else 0
    i, j = c.position(index)
    top, left, window = c.window(i, j)
    size = k.shape[0]
    rows_axis = {"autorange": "reversed", "scaleanchor": "x", "constrain": "domain"}
    inp = {
        "data": [_heatmap(c.padded, "Greys")],
        "layout": w.base_layout(
            title={"text": f"input {c.image.shape[0]}×{c.image.shape[1]}, padding {c.padding}"},
            shapes=[_box(top, left, size, "#e6194b")],
            yaxis=rows_axis,
            xaxis={"constrain": "domain"},
        ),
    }
    out = {
        "data": [_heatmap(c.output, "RdBu", zmid=0.0)],
        "layout": w.base_layout(
            title={"text": f"output map {c.output.shape[0]}×{c.output.shape[1]}"},
            shapes=[_box(i, j, 1, "#e6194b")],
            yaxis=rows_axis,
            xaxis={"constrain": "domain"},
        ),
    }
    terms = c.terms(i, j)
    table = [
        html.Thead(html.Tr([html.Th("kernel × patch")] + [html.Th(f"col {b}") for b in range(3)]))
    ]
    body = [
        html.Tr(
            [html.Td(f"row {a}")]
            + [
                html.Td(f"{k[a, b]:.3g} × {window[a, b]:.3g} = {terms[a, b]:.3g}")
                for b in range(size)
            ]
        )
        for a in range(size)
    ]
    table.append(html.Tbody(body))
    h, wd = c.image.shape
    counts = compute.parameter_counts(h, wd, size, *c.output.shape)
    readout = (
        f"position {index + 1} of {count}: output ({i}, {j}) = sum of the 9 products = "
        f"{c.output[i, j]:.4g}\n"
        f"receptive field: rows {top}..{top + size - 1}, columns {left}..{left + size - 1} "
        f"of the padded input\n"
        f"output size: floor(({h} + 2·{c.padding} − {size}) / {c.stride}) + 1 = "
        f"{c.output.shape[0]}\n"
        f"parameters: this conv channel {counts['conv']} (9 weights + 1 bias); a dense layer "
        f"with the same inputs and outputs {counts['dense']:,}"
    )
    return inp, out, table, readout, count - 1, ""


def register_callbacks(app: dash.Dash) -> None:
    custom = [Input(f"{_P}-k{r}{c}", "value") for r in range(3) for c in range(3)]
    app.callback(
        Output(f"{_P}-input", "figure"),
        Output(f"{_P}-output", "figure"),
        Output(f"{_P}-terms", "children"),
        Output(f"{_P}-readout", "children"),
        Output(f"{_P}-position", "max"),
        Output(f"{_P}-error", "children"),
        Input(f"{_P}-image", "value"),
        Input(f"{_P}-kernel", "value"),
        Input(f"{_P}-stride", "value"),
        Input(f"{_P}-padding", "value"),
        Input(f"{_P}-position", "value"),
        *custom,
    )(render)

    w.register_index_player(app, f"{_P}-play", f"{_P}-clock", f"{_P}-position")


__all__ = ["EXPLANATION", "ORDER", "PATH", "TITLE", "layout", "register_callbacks"]
