"""The Gymnasium environments descentlab learns on, and the known model of the tabular ones.

``make_env("frozenlake" | "cliff" | "cartpole")`` builds ``FrozenLake-v1`` (4x4 map, slippery
or not), ``CliffWalking-v1`` (Gymnasium 1.x's id for the cliff; ``-v0`` no longer exists) or
``CartPole-v1``, with Gymnasium's own wrappers (FrozenLake stops after 100 steps, CartPole
after 500; CliffWalking has no limit, so every loop here caps an episode itself).

The tabular environments expose their dynamics as ``env.unwrapped.P[s][a]``, a list of
``(probability, next_state, reward, terminated)``; :func:`tabular_model` turns it into arrays
for dynamic programming, and :func:`grid_layout` gives the map as rows of letters
(``S`` start, ``F`` frozen, ``H`` hole, ``G`` goal; the cliff's cells are ``C``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ENVS", "ACTION_ARROWS", "TabularModel", "grid_layout", "make_env", "tabular_model"]

ENVS = {"frozenlake": "FrozenLake-v1", "cliff": "CliffWalking-v1", "cartpole": "CartPole-v1"}
# the grid worlds' actions (FrozenLake: left, down, right, up; CliffWalking: up, right,
# down, left) as arrows, for drawing a greedy policy
ACTION_ARROWS = {"frozenlake": "←↓→↑", "cliff": "↑→↓←"}


def make_env(name: str, *, slippery: bool = False, render_mode: str | None = None) -> Any:
    """A Gymnasium environment by short name (``ENVS``).

    Args:
        name: ``"frozenlake"``, ``"cliff"`` or ``"cartpole"``.
        slippery: FrozenLake only: the ice moves the agent at right angles to the chosen
            direction two times in three.
    """
    import gymnasium as gym

    if name not in ENVS:
        raise ValueError(f"Invalid environment: {name!r} (expected one of {', '.join(ENVS)})")
    kwargs: dict[str, Any] = {"render_mode": render_mode}
    if name == "frozenlake":
        kwargs |= {"map_name": "4x4", "is_slippery": bool(slippery)}
    return gym.make(ENVS[name], **kwargs)


@dataclass
class TabularModel:
    """A finite MDP as arrays.

    Attributes:
        P: (S, A, S) transition probabilities ``P[s, a, s']``.
        R: (S, A, S) reward on the transition ``s -a-> s'``.
        terminal: (S, A, S) whether that transition ends the episode.
    """

    P: np.ndarray
    R: np.ndarray
    terminal: np.ndarray

    @property
    def n_states(self) -> int:
        return self.P.shape[0]

    @property
    def n_actions(self) -> int:
        return self.P.shape[1]


def tabular_model(env: Any) -> TabularModel:
    """The known model ``env.unwrapped.P`` of a tabular Gymnasium environment, as arrays."""
    table = env.unwrapped.P
    n_s, n_a = len(table), len(table[0])
    P = np.zeros((n_s, n_a, n_s))
    R = np.zeros((n_s, n_a, n_s))
    T = np.zeros((n_s, n_a, n_s), dtype=bool)
    for s in range(n_s):
        for a in range(n_a):
            for prob, s2, reward, done in table[s][a]:
                P[s, a, s2] += prob
                R[s, a, s2] = reward
                T[s, a, s2] = done
    return TabularModel(P, R, T)


def grid_layout(env: Any) -> list[str]:
    """The grid world's map, one string per row (``S F H G`` and ``C`` for the cliff)."""
    inner = env.unwrapped
    if hasattr(inner, "desc"):
        return [b"".join(row).decode() for row in inner.desc]
    rows, cols = inner.shape
    grid = [["F"] * cols for _ in range(rows)]
    for r, c in zip(*np.nonzero(inner._cliff)):
        grid[r][c] = "C"
    grid[rows - 1][0], grid[rows - 1][cols - 1] = "S", "G"
    return ["".join(row) for row in grid]
