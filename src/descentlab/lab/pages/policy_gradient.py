"""Page 19: policy gradient (REINFORCE) on CartPole: the return curve and an episode replayed."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import dash
from dash import Input, Output, State, dcc, html

from descentlab.lab import widgets as w
from descentlab.lab.compute import rl_runs as compute
from descentlab.lab.run_controls import register_run_panel, run_panel

ORDER = 19
PATH = "/policy-gradient"
TITLE = "Policy gradient"
EXPLANATION = """
Instead of a table of values, **REINFORCE** learns a *policy*: a small network that maps the
cart-pole's state (cart position and speed, pole angle and angular speed) to the probability
of pushing left or right. After each episode it raises the log-probability of every action in
proportion to the return that followed it: ∇J ≈ Σ_t ∇ log π(a_t | s_t) (G_t − b(s_t)).

The **baseline** b(s), a second network that learns the expected return, does not change the
direction on average but removes much of the noise: with it, learning is steadier. Each
episode ends when the pole tips past 12° or the cart leaves the track, or after 500 steps: the
return is the number of steps survived. The policy, its loss and its Adam optimiser are
descentlab's own (`descentlab.rl.reinforce`); the environment is Gymnasium's CartPole-v1.
The replay shows the latest episode, drawn from its recorded states.
"""

_P = "policy-gradient"


def layout() -> Any:
    start = {"episode": 0, "episodes": 600, "returns": [], "average": [], "first": 0}
    curve = draw(SimpleNamespace(data={**start, "states": [[0.0, 0.0]]}))[0]
    return html.Div(
        [
            html.Div(
                [
                    w.control("Learning rate", w.number_input(f"{_P}-lr", 0.01)),
                    w.control("Episodes", w.number_input(f"{_P}-episodes", 600, step=1)),
                    w.control(
                        "Baseline",
                        dcc.RadioItems(
                            id=f"{_P}-baseline",
                            options=["value", "none"],
                            value="value",
                            inline=True,
                        ),
                    ),
                ],
                className="lab-controls",
            ),
            run_panel(_P),
            html.Div(id=f"{_P}-error", className="lab-error", role="alert"),
            html.Div(
                [
                    w.graph(f"{_P}-returns", height=380, figure=curve),
                    w.graph(f"{_P}-cart", height=380),
                ],
                style={"display": "grid", "gridTemplateColumns": "1fr 1fr", "gap": "8px"},
            ),
            dcc.Store(id=f"{_P}-episode", data={"states": [[0.0, 0.0]], "episode": 0}),
            dcc.Store(id=f"{_P}-tick", data=0),
            # the replay ticks only once an episode has arrived (draw switches it on)
            dcc.Interval(id=f"{_P}-replay", interval=60, disabled=True),
            w.readout(f"{_P}-readout"),
        ]
    )


def make_body(lr, episodes, baseline) -> tuple:
    lr, episodes, baseline = compute.check_cartpole_settings(lr, episodes, baseline)
    return compute.cartpole_body(lr, episodes, baseline), episodes


def draw(frame) -> tuple:
    d = frame.data
    xs = list(range(d["first"] + 1, d["first"] + len(d["returns"]) + 1))
    curve = {
        "data": [
            {
                "type": "scatter",
                "x": xs,
                "y": d["returns"],
                "mode": "lines",
                "line": {"color": "#9aa5b1", "width": 1},
                "name": "return",
            },
            {
                "type": "scatter",
                "x": xs,
                "y": d["average"],
                "mode": "lines",
                "line": {"color": "#d62728", "width": 2.5},
                "name": "mean of the last 100",
            },
        ],
        "layout": w.base_layout(
            title={"text": f"episode {d['episode']} of {d['episodes']}"},
            xaxis=w.axis("episode"),
            yaxis=w.axis("return (steps survived)", range=[0, 520]),
        ),
    }
    text = (
        f"episode {d['episode']}: return {d['returns'][-1]:g}, mean of the last 100 "
        f"{d['average'][-1]:.1f}"
        if d["returns"]
        else "press Start"
    )
    states = d.get("states") or [[0.0, 0.0]]
    return curve, text, {"states": states, "episode": d["episode"]}, len(states) < 2


# The pole is drawn 1.0 long (CartPole's half-length is 0.5). The replay runs in the browser:
# it only redraws states the server already sent, so it costs the server nothing.
REPLAY_JS = """
function(n, episode, tick) {
  const none = window.dash_clientside.no_update;
  if (!episode || !Array.isArray(episode.states) || episode.states.length === 0) {
    return [none, none];
  }
  const states = episode.states;
  const last = states.length - 1;
  const t = (Number.isInteger(tick) && tick >= 0 && tick < last) ? tick + 1 : 0;
  const [x, theta] = states[t];
  const pole = {
    type: 'scatter', x: [x, x + Math.sin(theta)], y: [0.1, 0.1 + Math.cos(theta)],
    mode: 'lines', line: {color: '#c0803b', width: 8}, hoverinfo: 'skip', showlegend: false
  };
  const cart = {type: 'rect', x0: x - 0.25, x1: x + 0.25, y0: -0.05, y1: 0.15,
                fillcolor: '#1d4f80', line: {width: 0}};
  const track = {type: 'line', x0: -2.4, x1: 2.4, y0: -0.05, y1: -0.05,
                 line: {color: '#555', width: 2}};
  const title = 'episode ' + episode.episode + ', step ' + t + ' of ' + last;
  return [{
    data: [pole],
    layout: {title: {text: title}, margin: {l: 55, r: 20, t: 40, b: 45}, uirevision: 'keep',
             xaxis: {title: {text: 'cart position'}, range: [-2.6, 2.6]},
             yaxis: {range: [-0.3, 1.3], visible: false, scaleanchor: 'x'},
             shapes: [cart, track]}
  }, t];
}
"""


def register_callbacks(app: dash.Dash) -> None:
    register_run_panel(
        app,
        _P,
        "cartpole",
        [State(f"{_P}-{k}", "value") for k in ("lr", "episodes", "baseline")],
        make_body,
        [
            Output(f"{_P}-returns", "figure"),
            Output(f"{_P}-readout", "children"),
            Output(f"{_P}-episode", "data"),
            Output(f"{_P}-replay", "disabled"),
        ],
        draw,
    )

    app.clientside_callback(
        REPLAY_JS,
        Output(f"{_P}-cart", "figure"),
        Output(f"{_P}-tick", "data"),
        Input(f"{_P}-replay", "n_intervals"),
        State(f"{_P}-episode", "data"),
        State(f"{_P}-tick", "data"),
    )


__all__ = ["EXPLANATION", "ORDER", "PATH", "TITLE", "layout", "register_callbacks"]
