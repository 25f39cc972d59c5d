"""Page 17: CART with Gini impurity: decision regions as the tree grows, and the tree itself."""

from __future__ import annotations

from typing import Any

import dash
import numpy as np
from dash import Input, Output, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute import cart as compute

ORDER = 17
PATH = "/decision-tree"
TITLE = "Decision tree (CART)"
EXPLANATION = """
A classification tree asks one yes/no question per node, **x_f ≤ s**, and sends each point
left or right until it reaches a leaf, which predicts its majority class. Its regions are
rectangles with sides parallel to the axes.

**CART** grows the tree greedily: at each node it tries every feature and every threshold
between two neighbouring values and keeps the split that lowers the **Gini impurity**
1 − Σ_k p_k² the most (weighted by the share of samples on each side). A pure node has Gini 0;
two balanced classes give 0.5. Entropy, −Σ p_k log₂ p_k, usually picks the same splits.

Deeper trees fit the training data ever better; past some depth the test accuracy stops
improving or falls: the tree is memorising noise (the table). The trees come from
`descentlab.tree`, which builds the same tree as scikit-learn's `DecisionTreeClassifier`.
"""

_P = "decision-tree"
CLASS_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]


def layout() -> Any:
    return html.Div(
        [
            html.Div(
                [
                    w.control(
                        "Dataset",
                        dcc.RadioItems(
                            id=f"{_P}-data",
                            options=list(compute.DATASETS),
                            value="moons",
                            inline=True,
                        ),
                    ),
                    w.control(
                        "Criterion",
                        dcc.RadioItems(
                            id=f"{_P}-criterion",
                            options=["gini", "entropy"],
                            value="gini",
                            inline=True,
                        ),
                    ),
                    w.control(
                        "Max depth",
                        w.slider(f"{_P}-depth", 1, compute.MAX_DEPTH, 1, 2),
                        wide=True,
                    ),
                    w.control("Min samples per leaf", w.number_input(f"{_P}-leaf", 1, step=1)),
                    w.control("Noise", w.number_input(f"{_P}-noise", 0.25)),
                ],
                className="lab-controls",
            ),
            html.Div(id=f"{_P}-error", className="lab-error", role="alert"),
            html.Div(
                [w.graph(f"{_P}-regions", height=430), w.graph(f"{_P}-tree", height=430)],
                style={"display": "grid", "gridTemplateColumns": "1fr 1fr", "gap": "8px"},
            ),
            html.Table(id=f"{_P}-table", className="lab-table"),
            w.readout(f"{_P}-readout"),
        ]
    )


def _tree_figure(tree) -> dict[str, Any]:
    """Nodes placed by depth (y) and in order of their leaves (x); edges as lines."""
    xpos: dict[int, float] = {}
    counter = [0]

    def place(i: int) -> float:
        node = tree.nodes[i]
        if node.is_leaf:
            xpos[i] = counter[0]
            counter[0] += 1
        else:
            xpos[i] = (place(node.left) + place(node.right)) / 2
        return xpos[i]

    place(0)
    ex: list = []
    ey: list = []
    for node in tree.nodes:
        if not node.is_leaf:
            for child in (node.left, node.right):
                ex += [xpos[node.id], xpos[child], None]
                ey += [-node.depth, -tree.nodes[child].depth, None]
    ids = [n.id for n in tree.nodes]
    short = [
        (
            f"class {tree.classes_[int(np.argmax(n.value))]}"
            if n.is_leaf
            else f"x{n.feature + 1} ≤ {n.threshold:.2f}"
        )
        + f"<br>{tree.criterion} {n.impurity:.2f} · n {n.samples}"
        for n in tree.nodes
    ]
    colors = [
        CLASS_COLORS[int(np.argmax(n.value)) % len(CLASS_COLORS)] if n.is_leaf else "#ffffff"
        for n in tree.nodes
    ]
    return {
        "data": [
            {
                "type": "scatter",
                "x": ex,
                "y": ey,
                "mode": "lines",
                "line": {"color": "#8d99ae"},
                "hoverinfo": "skip",
                "showlegend": False,
            },
            {
                "type": "scatter",
                "x": [xpos[i] for i in ids],
                "y": [-tree.nodes[i].depth for i in ids],
                "mode": "markers+text",
                "text": short,
                "textposition": "bottom center",
                "textfont": {"size": 11},
                "hovertext": [compute.node_label(tree, i).replace("\n", "<br>") for i in ids],
                "hoverinfo": "text",
                "marker": {"size": 14, "color": colors, "line": {"color": "#333", "width": 1}},
                "showlegend": False,
            },
        ],
        "layout": w.base_layout(
            title={"text": f"the tree: depth {tree.depth}, {tree.n_leaves} leaves"},
            xaxis={"visible": False},
            yaxis={"visible": False, "range": [-tree.depth - 0.8, 0.4]},
        ),
    }


def render(data: Any, criterion: Any, depth: Any, leaf: Any, noise: Any) -> tuple:
    try:
        X, y = compute.dataset(data, noise=noise)
        view = compute.grow(X, y, depth, criterion, leaf)
    except ValueError as exc:
        return (dash.no_update,) * 4 + (str(exc),)
    classes = int(y.max()) + 1
    scale = [[k / max(classes - 1, 1), CLASS_COLORS[k % len(CLASS_COLORS)]] for k in range(classes)]
    regions = {
        "data": [
            {
                "type": "heatmap",
                "x": w.plain(view.xs),
                "y": w.plain(view.ys),
                "z": w.typed(view.regions.astype(np.float32)),
                "colorscale": scale,
                "opacity": 0.3,
                "showscale": False,
                "hoverinfo": "skip",
                "zmin": 0,
                "zmax": max(classes - 1, 1),
            },
            *[
                {
                    "type": "scatter",
                    "x": w.plain(X[y == k, 0]),
                    "y": w.plain(X[y == k, 1]),
                    "mode": "markers",
                    "marker": {"size": 5, "color": CLASS_COLORS[k % len(CLASS_COLORS)]},
                    "name": f"class {k}",
                }
                for k in range(classes)
            ],
        ],
        "layout": w.base_layout(
            title={"text": f"decision regions at depth ≤ {depth}"},
            xaxis=w.axis("x1"),
            yaxis=w.axis("x2"),
        ),
    }
    header = html.Tr([html.Th(t) for t in ("depth", "leaves", "train accuracy", "test accuracy")])
    rows = [
        html.Tr([html.Td(d), html.Td(n), html.Td(f"{a:.1%}"), html.Td(f"{b:.1%}")])
        for d, a, b, n in view.by_depth
    ]
    root = view.tree.nodes[0]
    text = (
        f"depth {view.tree.depth}, {view.tree.n_leaves} leaves: train accuracy "
        f"{view.train_accuracy:.1%}, test accuracy {view.test_accuracy:.1%}\n"
        f"root: {view.tree.criterion} {root.impurity:.4f} over {root.samples} samples "
        f"{root.value}"
    )
    if not root.is_leaf:
        text += (
            f"; split x{root.feature + 1} <= {root.threshold:.4g} lowers it by "
            f"{root.improvement:.4f}"
        )
    return regions, _tree_figure(view.tree), [html.Thead(header), html.Tbody(rows)], text, ""


def register_callbacks(app: dash.Dash) -> None:
    app.callback(
        Output(f"{_P}-regions", "figure"),
        Output(f"{_P}-tree", "figure"),
        Output(f"{_P}-table", "children"),
        Output(f"{_P}-readout", "children"),
        Output(f"{_P}-error", "children"),
        Input(f"{_P}-data", "value"),
        Input(f"{_P}-criterion", "value"),
        Input(f"{_P}-depth", "value"),
        Input(f"{_P}-leaf", "value"),
        Input(f"{_P}-noise", "value"),
    )(render)


__all__ = ["EXPLANATION", "ORDER", "PATH", "TITLE", "layout", "register_callbacks"]
