"""Dynamic programming on a known model: the optimal values and policy, and what a policy earns.

Value iteration repeats the Bellman optimality backup until the values stop moving:

    Q(s, a) = sum_s' P(s' | s, a) [ R(s, a, s') + gamma (1 - done(s, a, s')) V(s') ]
    V(s)    = max_a Q(s, a)

stopping when ``max_s |V_new(s) - V(s)| < tol``; the greedy policy ``argmax_a Q(s, a)`` is then
optimal (ties go to the lowest action). :func:`evaluate_policy` gives the exact expected return
of a fixed policy over a finite horizon, by the same backup with the policy's action in place
of the max, run ``horizon`` times from ``V = 0``. With ``gamma = 1`` on FrozenLake (reward 1 at
the goal, 0 elsewhere; Gymnasium stops an episode after 100 steps) it is the probability of
reaching the goal, which is how a learned policy is compared with the optimal one.

>>> from descentlab.rl.envs import make_env, tabular_model
>>> model = tabular_model(make_env("frozenlake"))
>>> vi = value_iteration(model, gamma=0.9)
>>> round(float(vi.V[0]), 6)  # six steps to the goal, no ice: 0.9 ** 5
0.59049
>>> float(evaluate_policy(model, vi.policy, gamma=1.0, horizon=100)[0])
1.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from descentlab.rl.envs import TabularModel

__all__ = ["ValueIteration", "evaluate_policy", "value_iteration"]


@dataclass
class ValueIteration:
    """What value iteration found.

    Attributes:
        V: (S,) optimal state values.
        Q: (S, A) optimal action values.
        policy: (S,) the greedy action in each state.
        iterations: number of sweeps until the change fell under ``tol``.
        deltas: (iterations,) the largest value change of each sweep.
    """

    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray
    iterations: int
    deltas: np.ndarray


def _backup(model: TabularModel, V: np.ndarray, gamma: float) -> np.ndarray:
    """``Q(s, a)`` from state values ``V``: (S, A)."""
    future = gamma * (~model.terminal) * V[None, None, :]
    return (model.P * (model.R + future)).sum(axis=2)


def value_iteration(
    model: TabularModel, gamma: float = 0.99, tol: float = 1e-10, max_iterations: int = 100_000
) -> ValueIteration:
    """The optimal values and a greedy optimal policy of ``model`` for discount ``gamma``."""
    if not 0.0 <= gamma < 1.0:
        raise ValueError(f"Invalid gamma: {gamma!r} (expected 0 <= gamma < 1)")
    V = np.zeros(model.n_states)
    deltas = []
    for _ in range(max_iterations):
        Q = _backup(model, V, gamma)
        V_new = Q.max(axis=1)
        deltas.append(float(np.max(np.abs(V_new - V))))
        V = V_new
        if deltas[-1] < tol:
            break
    Q = _backup(model, V, gamma)
    return ValueIteration(V, Q, np.argmax(Q, axis=1), len(deltas), np.array(deltas))


def evaluate_policy(
    model: TabularModel, policy: np.ndarray, gamma: float = 1.0, horizon: int = 100
) -> np.ndarray:
    """Expected return of the deterministic ``policy`` (S,) within ``horizon`` steps: (S,)."""
    policy = np.asarray(policy)
    if policy.shape != (model.n_states,):
        raise ValueError(
            f"Invalid policy: shape {policy.shape} (expected ({model.n_states},), one action "
            "per state)"
        )
    V = np.zeros(model.n_states)
    rows = np.arange(model.n_states)
    for _ in range(horizon):
        V = _backup(model, V, gamma)[rows, policy]
    return V
