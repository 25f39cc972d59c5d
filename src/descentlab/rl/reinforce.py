"""REINFORCE with a learned baseline: a policy gradient on descentlab's own engine.

The policy ``pi(a | s)`` is a small network (:class:`PolicyNetwork`) giving action logits.
After each episode ``s_0, a_0, r_0, ..., s_{T-1}, a_{T-1}, r_{T-1}`` the agent computes the
discounted returns and the advantages

    G_t = r_t + gamma r_{t+1} + gamma^2 r_{t+2} + ...        A_t = G_t - V(s_t)

where ``V`` is a value network (the baseline), and takes one optimiser step on each of

    policy loss   L_pi = -(1/T) sum_t log pi(a_t | s_t) * Â_t
    value loss    L_V  =  (1/T) sum_t (V(s_t) - G_t)^2

with ``Â`` the advantages scaled to mean 0 and standard deviation 1 over the episode. The
gradient of ``L_pi`` is the policy-gradient estimate ``-E[grad log pi(a|s) A]``; subtracting a
baseline leaves it unbiased and shrinks its variance, and the scaling keeps the step size the
same whether an episode lasts 10 steps or 500. ``baseline="none"`` uses ``G_t`` itself (scaled
the same way). Networks, losses (``F.cross_entropy`` is ``-log pi(a|s)``, ``F.mse_loss``) and
optimisers (``optim.Adam``) are all descentlab's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import descentlab as dl
import descentlab.functional as F
from descentlab import nn, optim
from descentlab.rl.tabular import Episode
from descentlab.tensor import Tensor

__all__ = [
    "BASELINES",
    "PolicyNetwork",
    "Reinforce",
    "ReinforceRun",
    "discounted_returns",
    "policy_episode",
    "train_reinforce",
]

BASELINES = ("value", "none")


def discounted_returns(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """``G_t = sum_k gamma^k r_{t+k}`` for every ``t``: (T,) float64, computed backwards."""
    out = np.zeros(len(rewards))
    g = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        g = rewards[t] + gamma * g
        out[t] = g
    return out


class PolicyNetwork(nn.Module):
    """``obs (N, obs_dim) -> Linear -> tanh -> Linear -> (N, n_outputs)``: logits or values."""

    def __init__(self, obs_dim: int, n_outputs: int, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, n_outputs)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class Reinforce:
    """A REINFORCE agent for a discrete-action Gymnasium environment.

    Args:
        obs_dim, n_actions: sizes of the observation and the action set.
        hidden: width of the hidden layer of both networks.
        lr: Adam learning rate of the policy; ``value_lr`` of the baseline.
        gamma: discount.
        baseline: ``"value"`` (a learned ``V(s)``) or ``"none"``.
        seed: seeds the networks' initial weights and the sampling of actions.
    """

    def __init__(
        self,
        obs_dim: int,
        n_actions: int,
        *,
        hidden: int = 64,
        lr: float = 1e-2,
        value_lr: float = 1e-2,
        gamma: float = 0.99,
        baseline: str = "value",
        seed: int = 0,
    ):
        if baseline not in BASELINES:
            raise ValueError(f"Invalid baseline: {baseline!r} (expected value or none)")
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"Invalid gamma: {gamma!r} (expected 0 <= gamma <= 1)")
        dl.manual_seed(seed)
        self.policy = PolicyNetwork(obs_dim, n_actions, hidden)
        self.optimizer = optim.Adam(self.policy.parameters(), lr=lr)
        self.value = PolicyNetwork(obs_dim, 1, hidden) if baseline == "value" else None
        if self.value is not None:
            self.value_optimizer = optim.Adam(self.value.parameters(), lr=value_lr)
        self.gamma = gamma
        self.baseline = baseline
        self.rng = np.random.default_rng(seed)

    def probabilities(self, obs: np.ndarray) -> np.ndarray:
        """``pi(. | s)`` for a batch of observations (N, obs_dim): (N, n_actions)."""
        with dl.no_grad():
            x = dl.tensor(np.asarray(obs, dtype=np.float32).reshape(-1, self.n_obs))
            return F.softmax(self.policy(x), dim=-1).detach().numpy().astype(np.float64)

    @property
    def n_obs(self) -> int:
        return self.policy.net[0].in_features

    def act(self, obs: np.ndarray, greedy: bool = False) -> int:
        """Sample an action from ``pi(. | obs)`` (or take the most likely one)."""
        p = self.probabilities(obs)[0]
        if greedy:
            return int(np.argmax(p))
        return int(min(np.searchsorted(np.cumsum(p), self.rng.random() * p.sum()), len(p) - 1))

    def update(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> dict:
        """One gradient step on the policy (and the baseline) from one episode."""
        x = dl.tensor(np.asarray(states, dtype=np.float32))
        returns = discounted_returns(rewards, self.gamma)
        logs: dict[str, float] = {}
        if self.value is not None:
            values = self.value(x).reshape(-1)
            value_loss = F.mse_loss(values, dl.tensor(returns.astype(np.float32)))
            self.value_optimizer.zero_grad()
            value_loss.backward()
            self.value_optimizer.step()
            logs["value_loss"] = value_loss.item()
            advantages = returns - values.detach().numpy()
        else:
            advantages = returns.copy()
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        nll = F.cross_entropy(self.policy(x), actions.astype(np.int64), reduction="none")
        loss = (nll * dl.tensor(advantages.astype(np.float32))).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        logs["policy_loss"] = loss.item()
        return logs

    def episode(self, env: Any, seed: int | None = None, learn: bool = True) -> Episode:
        """Run one episode with the current policy and (if ``learn``) learn from it."""
        ep = policy_episode(env, self.act, seed=seed)
        if learn:
            self.update(ep.states[:-1], ep.actions, ep.rewards)
        return ep


def policy_episode(
    env: Any, act: Callable[[np.ndarray], int], seed: int | None = None, max_steps: int = 10_000
) -> Episode:
    """One episode of ``env`` choosing actions with ``act(obs)``; states are the observations
    (T + 1, obs_dim), so a page can draw every frame (CartPole: cart x, pole angle...)."""
    obs, _ = env.reset(seed=seed)
    states, actions, rewards = [obs], [], []
    terminated = False
    for _ in range(max_steps):
        a = act(obs)
        obs, r, terminated, truncated, _ = env.step(a)
        states.append(obs)
        actions.append(a)
        rewards.append(r)
        if terminated or truncated:
            break
    return Episode(
        np.array(states, dtype=np.float64),
        np.array(actions),
        np.array(rewards, dtype=float),
        terminated,
    )


@dataclass
class ReinforceRun:
    """A REINFORCE training run.

    Attributes:
        agent: the trained :class:`Reinforce` agent.
        returns: (episodes run,) the return of each episode.
        moving_average: (episodes run,) mean return over the last ``window`` episodes (fewer
            at the start).
        solved_at: the first episode (1-based) after which the moving average reached
            ``target``, or None.
        seconds: wall time of the run.
    """

    agent: Reinforce
    returns: np.ndarray
    moving_average: np.ndarray
    solved_at: int | None
    seconds: float


def train_reinforce(
    env: Any,
    episodes: int = 1500,
    *,
    target: float | None = 450.0,
    window: int = 100,
    stop_at_target: bool = True,
    seed: int = 0,
    callback: Callable[[int, Episode, float], None] | None = None,
    **agent_options: Any,
) -> ReinforceRun:
    """Train a :class:`Reinforce` agent on ``env`` (a discrete-action Gymnasium environment).

    Stops after ``episodes`` episodes, or (``stop_at_target``) once the mean return over the
    last ``window`` episodes reaches ``target``. ``callback(k, episode, moving_average)`` runs
    after each episode. ``agent_options`` go to :class:`Reinforce`.
    """
    agent = Reinforce(
        env.observation_space.shape[0], env.action_space.n, seed=seed, **agent_options
    )
    returns: list[float] = []
    averages: list[float] = []
    solved_at = None
    t0 = time.perf_counter()
    for k in range(episodes):
        ep = agent.episode(env, seed=seed if k == 0 else None)
        returns.append(ep.total)
        averages.append(float(np.mean(returns[-window:])))
        if callback is not None:
            callback(k, ep, averages[-1])
        if target is not None and solved_at is None and len(returns) >= window:
            if averages[-1] >= target:
                solved_at = k + 1
                if stop_at_target:
                    break
    return ReinforceRun(
        agent, np.array(returns), np.array(averages), solved_at, time.perf_counter() - t0
    )
