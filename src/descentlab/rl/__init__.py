"""Reinforcement learning on Gymnasium environments, with descentlab's engine for the policy.

- :mod:`descentlab.rl.envs`: ``make_env("frozenlake" | "cliff" | "cartpole")``, the tabular
  environments' known model as arrays, the grid maps.
- :mod:`descentlab.rl.planning`: value iteration and exact policy evaluation on the model.
- :mod:`descentlab.rl.tabular`: Q-learning and SARSA with an epsilon schedule.
- :mod:`descentlab.rl.reinforce`: REINFORCE with a learned baseline (descentlab.nn/optim).

Everything returns plain arrays (Q-tables, policies, per-episode returns, episodes' state
sequences), so a plot or a page draws it without maths of its own.
"""

from descentlab.rl.envs import ENVS, TabularModel, grid_layout, make_env, tabular_model
from descentlab.rl.planning import ValueIteration, evaluate_policy, value_iteration
from descentlab.rl.reinforce import (
    PolicyNetwork,
    Reinforce,
    ReinforceRun,
    discounted_returns,
    policy_episode,
    train_reinforce,
)
from descentlab.rl.tabular import (
    Episode,
    EpsilonSchedule,
    TabularRun,
    TDAgent,
    greedy_episode,
    train_tabular,
)

__all__ = [
    "ENVS",
    "Episode",
    "EpsilonSchedule",
    "PolicyNetwork",
    "Reinforce",
    "ReinforceRun",
    "TDAgent",
    "TabularModel",
    "TabularRun",
    "ValueIteration",
    "discounted_returns",
    "evaluate_policy",
    "grid_layout",
    "greedy_episode",
    "make_env",
    "policy_episode",
    "tabular_model",
    "train_reinforce",
    "train_tabular",
    "value_iteration",
]
