"""Page 20: a genetic algorithm races gradient descent on one landscape."""

from __future__ import annotations

from typing import Any

import dash
import numpy as np
from dash import Input, Output, State, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute import ga_race as compute

ORDER = 20
PATH = "/genetic-algorithm"
TITLE = "Genetic algorithm"
EXPLANATION = """
A **genetic algorithm** needs no gradient. It keeps a population of candidate points and makes
each generation from the last: the best few pass on unchanged (**elitism**), parents are the
winners of small random **tournaments**, a **crossover** blends two parents into a child, and
**mutation** nudges a few coordinates at random. Selection pushes the population downhill;
mutation keeps it exploring, so it can escape a local minimum that would trap gradient descent.

The race counts **function evaluations** until the best loss reaches the target: a generation
costs one per new member, a gradient-descent step one loss and one gradient. On a smooth bowl
the gradient wins easily; on a twisted valley such as Rosenbrock's, or where the gradient is
no use, the population can win. Both runs come from `descentlab.evolve`.
"""

_P = "genetic-algorithm"


def layout() -> Any:
    return html.Div(
        [
            html.Div(
                [
                    w.control(
                        "Surface",
                        dcc.RadioItems(
                            id=f"{_P}-surface",
                            options=compute.surfaces(),
                            value="himmelblau",
                            inline=True,
                        ),
                    ),
                    w.control("Target loss", w.number_input(f"{_P}-target", 0.01)),
                    w.control("Population", w.number_input(f"{_P}-population", 50, step=1)),
                    w.control("Generations", w.number_input(f"{_P}-generations", 100, step=1)),
                    w.control("Mutation rate", w.number_input(f"{_P}-mutation", 0.2)),
                    w.button(f"{_P}-run", "Race", primary=True),
                ],
                className="lab-controls",
            ),
            html.Div(
                [
                    w.button(f"{_P}-play", "Play"),
                    w.control("Generation", w.slider(f"{_P}-generation", 0, 1, 1, 0), wide=True),
                    dcc.Interval(id=f"{_P}-clock", interval=250, disabled=True),
                ],
                className="lab-controls",
            ),
            html.Div(id=f"{_P}-error", className="lab-error", role="alert"),
            dcc.Store(id=f"{_P}-race"),
            w.graph(f"{_P}-graph", height=480),
            w.readout(f"{_P}-readout"),
        ]
    )


def run_race(_clicks, surface, target, population, generations, mutation) -> tuple:
    try:
        r = compute.race_frames(surface, target, population, generations, mutation)
    except ValueError as exc:
        return dash.no_update, dash.no_update, dash.no_update, str(exc)
    data = {
        "surface": r["surface"],
        "target": r["target"],
        "xs": w.plain(r["xs"]),
        "ys": w.plain(r["ys"]),
        "z": np.asarray(r["z"]).round(5).tolist(),
        "populations": np.asarray(r["populations"]).round(4).tolist(),
        "best_loss": w.plain(r["best_loss"]),
        "evaluations": np.asarray(r["evaluations"]).tolist(),
        "gd_path": np.asarray(r["gd_path"]).round(5).tolist(),
        "ga_evaluations": r["ga_evaluations"],
        "gd_evaluations": r["gd_evaluations"],
    }
    last = len(data["populations"]) - 1
    return data, last, 0, ""


def draw(race: Any, generation: Any) -> tuple:
    if not isinstance(race, dict) or "populations" not in race:
        return dash.no_update, "Press Race to run both methods."
    last = len(race["populations"]) - 1
    g = generation if isinstance(generation, int) and 0 <= generation <= last else last
    pop = np.array(race["populations"][g])
    path = np.array(race["gd_path"])
    # gradient descent's evaluations so far, matched to the GA's at this generation
    gd_steps = min(len(path), max(1, int(race["evaluations"][g])))
    figure = {
        "data": [
            w.contour_trace(
                np.array(race["xs"]), np.array(race["ys"]), np.array(race["z"]), log_scale=True
            ),
            {
                "type": "scatter",
                "x": w.plain(pop[:, 0]),
                "y": w.plain(pop[:, 1]),
                "mode": "markers",
                "marker": {"size": 7, "color": "#ffffff", "line": {"color": "#222", "width": 1}},
                "name": f"GA population, generation {g}",
            },
            {
                "type": "scatter",
                "x": w.plain(path[:gd_steps, 0]),
                "y": w.plain(path[:gd_steps, 1]),
                "mode": "lines+markers",
                "line": {"color": w.COLORS["path"], "width": 2.5},
                "marker": {"size": 4},
                "name": "gradient descent",
            },
        ],
        "layout": w.base_layout(
            title={"text": f"{race['surface']}: after {race['evaluations'][g]} GA evaluations"},
            xaxis=w.axis("x"),
            yaxis=w.axis("y"),
        ),
    }

    def count(n: Any) -> str:
        return f"{n:,} evaluations" if isinstance(n, int) else "did not reach it"

    text = (
        f"generation {g}: GA best loss {race['best_loss'][g]:.5g}\n"
        f"to reach loss {race['target']:g}: GA {count(race['ga_evaluations'])}, "
        f"gradient descent {count(race['gd_evaluations'])}"
    )
    return figure, text


def register_callbacks(app: dash.Dash) -> None:
    app.callback(
        Output(f"{_P}-race", "data"),
        Output(f"{_P}-generation", "max"),
        Output(f"{_P}-generation", "value"),
        Output(f"{_P}-error", "children"),
        Input(f"{_P}-run", "n_clicks"),
        State(f"{_P}-surface", "value"),
        State(f"{_P}-target", "value"),
        State(f"{_P}-population", "value"),
        State(f"{_P}-generations", "value"),
        State(f"{_P}-mutation", "value"),
    )(run_race)
    app.callback(
        Output(f"{_P}-graph", "figure"),
        Output(f"{_P}-readout", "children"),
        Input(f"{_P}-race", "data"),
        Input(f"{_P}-generation", "value"),
    )(draw)

    w.register_index_player(app, f"{_P}-play", f"{_P}-clock", f"{_P}-generation")


__all__ = ["EXPLANATION", "ORDER", "PATH", "TITLE", "layout", "register_callbacks"]
