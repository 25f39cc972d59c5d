"""Page 18: Q-learning and SARSA on a grid world, the table filling in as episodes run."""

from __future__ import annotations

from typing import Any

import dash
import numpy as np
from dash import Output, State, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute import rl_runs as compute
from descentlab.lab.run_controls import register_run_panel, run_panel

ORDER = 18
PATH = "/q-learning"
TITLE = "Q-learning"
EXPLANATION = """
An agent moves on a grid; each move earns a reward, and it wants the most reward over the
episode. **Q-learning** keeps a table Q(s, a), its estimate of the return after taking action
a in state s, and after every step nudges it towards what it just saw:
Q(s, a) ← Q(s, a) + α (r + γ max_a' Q(s', a') − Q(s, a)). It explores with probability ε
(a random action) and otherwise acts greedily; the arrows are the greedy policy, the colours
max_a Q(s, a).

**SARSA** uses the action it will really take next, Q(s', a'), instead of the max: it learns
the value of its own exploring behaviour. On the cliff that makes the difference: Q-learning
learns the shortest path along the edge (return −13) and keeps falling off while exploring;
SARSA learns a safer path away from the edge. On slippery FrozenLake the ice moves the agent
sideways two times in three; the best policy then reaches the goal 74% of the time
(computed exactly by value iteration). The agents are `descentlab.rl`'s, on Gymnasium's
environments.
"""

_P = "q-learning"


def layout() -> Any:
    return html.Div(
        [
            html.Div(
                [
                    w.control(
                        "Grid world",
                        dcc.RadioItems(
                            id=f"{_P}-grid",
                            options=list(compute.GRIDS),
                            value="cliff",
                            inline=True,
                        ),
                    ),
                    w.control(
                        "Method",
                        dcc.RadioItems(
                            id=f"{_P}-method",
                            options=list(compute.METHODS),
                            value="q_learning",
                            inline=True,
                        ),
                    ),
                    w.control("α", w.number_input(f"{_P}-alpha", 0.5)),
                    w.control("γ", w.number_input(f"{_P}-gamma", 0.99)),
                    w.control("ε", w.number_input(f"{_P}-epsilon", 0.1)),
                    w.control("Episodes", w.number_input(f"{_P}-episodes", 500, step=1)),
                ],
                className="lab-controls",
            ),
            run_panel(_P),
            html.Div(id=f"{_P}-error", className="lab-error", role="alert"),
            html.Div(
                [w.graph(f"{_P}-grid-figure", height=380), w.graph(f"{_P}-returns", height=380)],
                style={"display": "grid", "gridTemplateColumns": "1fr 1fr", "gap": "8px"},
            ),
            w.readout(f"{_P}-readout"),
        ]
    )


def make_body(grid, method, alpha, gamma, epsilon, episodes) -> tuple:
    settings = compute.check_grid_settings(grid, method, alpha, gamma, epsilon, episodes)
    return compute.grid_body(*settings), settings[-1]


def _coords(states: list[int], cols: int) -> tuple[list[int], list[int]]:
    return [s % cols for s in states], [s // cols for s in states]


def draw(frame) -> tuple:
    d = frame.data
    layout = d["layout"]
    rows, cols = len(layout), len(layout[0])
    values = np.array(d["values"], dtype=float)
    letters = "".join(layout)
    text = [
        [
            d["arrows"][r * cols + c]
            or (letters[r * cols + c] if letters[r * cols + c] != "F" else "")
            for c in range(cols)
        ]
        for r in range(rows)
    ]
    gx, gy = _coords(d["greedy_path"], cols)
    grid = {
        "data": [
            {
                "type": "heatmap",
                "z": w.plain(values),
                "text": text,
                "texttemplate": "%{text}",
                "textfont": {"size": 20},
                "colorscale": "Viridis",
                "showscale": False,
                "hovertemplate": "row %{y}, column %{x}: max Q %{z:.3f}<extra></extra>",
            },
            {
                "type": "scatter",
                "x": gx,
                "y": gy,
                "mode": "lines",
                "line": {"color": "#ff7f0e", "width": 4},
                "name": "greedy path",
            },
        ],
        "layout": w.base_layout(
            title={"text": f"max Q(s, a) and the greedy policy after episode {d['episode']}"},
            yaxis={"autorange": "reversed", "scaleanchor": "x", "showticklabels": False},
            xaxis={"showticklabels": False},
        ),
    }
    first = d["first"]
    returns = d["returns"]
    curve = {
        "data": [
            {
                "type": "scatter",
                "x": list(range(first + 1, first + len(returns) + 1)),
                "y": returns,
                "mode": "lines",
                "line": {"color": w.COLORS["curve"], "width": 1},
                "name": "return per episode",
            }
        ],
        "layout": w.base_layout(
            title={"text": "return of each learning episode"},
            xaxis=w.axis("episode"),
            yaxis=w.axis("return"),
        ),
    }
    lines = [
        f"episode {d['episode']} of {d['episodes']}: last return {returns[-1]:g}",
        f"greedy path return {d['greedy_return']:g} (optimal policy's: "
        f"{d['optimal_path_return']:g})",
    ]
    if "greedy_success" in d:
        lines.append(
            f"greedy policy reaches the goal with probability {d['greedy_success']:.1%} "
            f"(optimal policy: {d['optimal_success']:.1%}, by value iteration)"
        )
    return grid, curve, "\n".join(lines)


def register_callbacks(app: dash.Dash) -> None:
    register_run_panel(
        app,
        _P,
        "gridworld",
        [
            State(f"{_P}-{k}", "value")
            for k in ("grid", "method", "alpha", "gamma", "epsilon", "episodes")
        ],
        make_body,
        [
            Output(f"{_P}-grid-figure", "figure"),
            Output(f"{_P}-returns", "figure"),
            Output(f"{_P}-readout", "children"),
        ],
        draw,
    )


__all__ = ["EXPLANATION", "ORDER", "PATH", "TITLE", "layout", "register_callbacks"]
