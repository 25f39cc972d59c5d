"""The reinforcement-learning pages' runs: tabular Q-learning/SARSA on a grid world, and
REINFORCE on CartPole, each as a body for :mod:`descentlab.lab.runs` (one episode per unit of
work) that publishes small frames.

Everything is computed by :mod:`descentlab.rl`: the agents, the environments (Gymnasium's), the
optimal policy by value iteration and the greedy policy's exact success rate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from descentlab.lab.compute import bounds
from descentlab.lab.compute.seeding import seeded

#: The grid worlds a page offers: (environment, slippery).
GRIDS = {
    "frozenlake": ("frozenlake", False),
    "frozenlake-slippery": ("frozenlake", True),
    "cliff": ("cliff", False),
}
METHODS = ("q_learning", "sarsa")
MAX_EPISODES = 5000
MAX_CARTPOLE_EPISODES = 2000
RETURNS_SHOWN = 2000
MAX_STEPS = {"frozenlake": 100, "cliff": 200}


def check_grid_settings(
    grid: Any, method: Any, alpha: Any, gamma: Any, epsilon: Any, episodes: Any
):
    """The grid-world page's settings, validated (one sentence on a bad one)."""
    bounds.choice(grid, "Grid world", GRIDS)
    bounds.choice(method, "Method", METHODS)
    return (
        grid,
        method,
        bounds.number(alpha, "Learning rate alpha", 0.0, 1.0, open_low=True),
        bounds.number(gamma, "Discount gamma", 0.0, 0.999),
        bounds.number(epsilon, "Exploration epsilon", 0.0, 1.0),
        bounds.number(episodes, "Episodes", 1, MAX_EPISODES, integer=True),
    )


def grid_body(
    grid: str, method: str, alpha: float, gamma: float, epsilon: float, episodes: int, seed=0
) -> Callable:
    """A run body: ``episodes`` learning episodes, publishing the table and the curves."""
    from descentlab.rl import envs
    from descentlab.rl.planning import evaluate_policy, value_iteration
    from descentlab.rl.tabular import TDAgent, greedy_episode

    name, slippery = GRIDS[grid]
    env = envs.make_env(name, slippery=slippery)
    probe = envs.make_env(name, slippery=slippery)
    layout = envs.grid_layout(env)
    rows, cols = len(layout), len(layout[0])
    model = envs.tabular_model(env)
    optimal = value_iteration(model, gamma=min(gamma, 0.99) if gamma < 1 else 0.99)
    start = int(np.flatnonzero(np.array(list("".join(layout))) == "S")[0])
    arrows = envs.ACTION_ARROWS[name]
    agent = TDAgent(
        env.observation_space.n, env.action_space.n, method, alpha, gamma, epsilon, seed
    )
    returns: list[float] = []

    def frame(last) -> dict[str, Any]:
        policy = agent.greedy_policy()
        greedy = greedy_episode(probe, policy, seed=seed, max_steps=MAX_STEPS[name])
        cells = []
        for s, letter in enumerate("".join(layout)):
            learned = bool(np.any(agent.Q[s] != 0))
            cells.append(arrows[policy[s]] if letter in "SF" and learned else "")
        out = {
            "episode": agent.episodes_done,
            "episodes": episodes,
            "layout": layout,
            "values": agent.Q.max(axis=1).reshape(rows, cols).round(4).tolist(),
            "arrows": cells,
            "returns": returns[-RETURNS_SHOWN:],
            "first": max(0, len(returns) - RETURNS_SHOWN),
            "path": [int(s) for s in last.states],
            "greedy_path": [int(s) for s in greedy.states],
            "greedy_return": float(greedy.total),
            "optimal_path_return": float(
                greedy_episode(probe, optimal.policy, seed=seed, max_steps=MAX_STEPS[name]).total
            ),
        }
        if name == "frozenlake":
            out["greedy_success"] = float(evaluate_policy(model, policy)[start])
            out["optimal_success"] = float(evaluate_policy(model, optimal.policy)[start])
        return out

    def body(control) -> str:
        last = None
        for k in range(episodes):
            control.checkpoint()
            last = agent.episode(env, max_steps=MAX_STEPS[name], seed=seed if k == 0 else None)
            returns.append(float(last.total))
            control.publish(lambda last=last: frame(last))
        done = frame(last)
        control.publish(done, force=True)
        text = f"{episodes} episodes of {method.replace('_', '-')}: the greedy path's return is "
        text += f"{done['greedy_return']:g} (the optimal policy's: {done['optimal_path_return']:g})"
        if "greedy_success" in done:
            text += (
                f"; it reaches the goal with probability {done['greedy_success']:.1%} "
                f"(optimal {done['optimal_success']:.1%})"
            )
        return text + "."

    return body


def check_cartpole_settings(lr: Any, episodes: Any, baseline: Any) -> tuple:
    return (
        bounds.number(lr, "Learning rate", 0.0, 1.0, open_low=True),
        bounds.number(episodes, "Episodes", 1, MAX_CARTPOLE_EPISODES, integer=True),
        bounds.choice(baseline, "Baseline", ("value", "none")),
    )


def cartpole_body(lr: float, episodes: int, baseline: str, seed: int = 0) -> Callable:
    """A run body: REINFORCE on CartPole-v1, one episode per unit, publishing the returns and
    the states of the latest episode (cart position, velocity, pole angle, angular velocity)."""
    from descentlab.rl import envs
    from descentlab.rl.reinforce import Reinforce

    env = envs.make_env("cartpole")
    agent = seeded(
        seed,
        lambda: Reinforce(
            env.observation_space.shape[0], env.action_space.n, lr=lr, baseline=baseline, seed=seed
        ),
    )
    returns: list[float] = []

    def frame(last) -> dict[str, Any]:
        r = np.array(returns)
        avg = [float(r[max(0, i - 99) : i + 1].mean()) for i in range(len(r))]
        return {
            "episode": len(returns),
            "episodes": episodes,
            "returns": returns[-RETURNS_SHOWN:],
            "average": avg[-RETURNS_SHOWN:],
            "first": max(0, len(returns) - RETURNS_SHOWN),
            "states": last.states[:, [0, 2]].round(4).tolist(),
        }

    def body(control) -> str:
        last = None
        for k in range(episodes):
            control.checkpoint()
            last = agent.episode(env, seed=seed if k == 0 else None)
            returns.append(float(last.total))
            control.publish(lambda last=last: frame(last))
        control.publish(frame(last), force=True)
        best = max(float(np.mean(returns[max(0, i - 99) : i + 1])) for i in range(len(returns)))
        return (
            f"{episodes} episodes: last return {returns[-1]:g}, best mean return over 100 "
            f"episodes {best:.1f} (CartPole-v1 counts as solved at 475)."
        )

    return body


__all__ = [
    "GRIDS",
    "MAX_EPISODES",
    "METHODS",
    "cartpole_body",
    "check_cartpole_settings",
    "check_grid_settings",
    "grid_body",
]
