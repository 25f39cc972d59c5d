"""Tabular temporal-difference control: Q-learning (off-policy) and SARSA (on-policy).

Both keep a table ``Q[s, a]``, act epsilon-greedily (a random action with probability
``epsilon``, else ``argmax_a Q[s, a]`` with ties broken at random) and after each step
``s -a-> s'`` with reward ``r`` move ``Q[s, a]`` towards a target by the learning rate ``alpha``:

    Q[s, a] <- Q[s, a] + alpha (target - Q[s, a])
    Q-learning: target = r + gamma max_a' Q[s', a']     (the greedy policy's value)
    SARSA:      target = r + gamma Q[s', a']            (a' = the action it will take next)

with the bootstrap term dropped when ``s'`` ends the episode (a time limit is not an end:
there the target still bootstraps). Q-learning learns the values of the greedy policy while it
explores, so on CliffWalking its greedy path is the shortest one along the cliff edge (return
-13); SARSA learns the values of the epsilon-greedy policy it follows, which falls off the
edge now and then, so its greedy path keeps away from the cliff.

``epsilon`` follows an :class:`EpsilonSchedule` over episodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "METHODS",
    "Episode",
    "EpsilonSchedule",
    "TDAgent",
    "TabularRun",
    "greedy_episode",
    "train_tabular",
]

METHODS = ("q_learning", "sarsa")


@dataclass(frozen=True)
class EpsilonSchedule:
    """The exploration rate of episode ``k`` (0-based).

    ``linear``:       eps(k) = end + (start - end) max(0, 1 - k / decay_episodes)
    ``exponential``:  eps(k) = end + (start - end) exp(-k / decay_episodes)
    ``decay_episodes = 0`` keeps ``start`` throughout.
    """

    start: float = 1.0
    end: float = 0.05
    decay_episodes: int = 0
    kind: str = "linear"

    def __post_init__(self):
        for name in ("start", "end"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"Invalid epsilon {name}: {v!r} (expected 0 <= {name} <= 1)")
        if self.kind not in ("linear", "exponential"):
            raise ValueError(
                f"Invalid epsilon schedule: {self.kind!r} (expected linear or exponential)"
            )
        if self.decay_episodes < 0:
            raise ValueError(f"Invalid decay_episodes: {self.decay_episodes!r} (expected >= 0)")

    def __call__(self, k: int) -> float:
        if self.decay_episodes == 0:
            return self.start
        if self.kind == "linear":
            frac = max(0.0, 1.0 - k / self.decay_episodes)
        else:
            frac = math.exp(-k / self.decay_episodes)
        return self.end + (self.start - self.end) * frac


@dataclass
class Episode:
    """One episode as plain data.

    Attributes:
        states: (T + 1,) the states visited, the start first (observations for CartPole:
            (T + 1, 4) cart position, cart velocity, pole angle, pole angular velocity).
        actions: (T,), rewards: (T,).
        total: the undiscounted return, ``sum(rewards)``.
        terminated: the episode ended in a terminal state (not by a time or step limit).
        epsilon: the exploration rate it was run with (0 for a greedy run).
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    terminated: bool
    epsilon: float = 0.0

    @property
    def total(self) -> float:
        return float(self.rewards.sum())

    @property
    def length(self) -> int:
        return len(self.actions)


def _greedy(q_row: np.ndarray, rng: np.random.Generator) -> int:
    best = np.flatnonzero(q_row == q_row.max())
    return int(best[0] if len(best) == 1 else rng.choice(best))


class TDAgent:
    """An epsilon-greedy tabular agent that learns by Q-learning or SARSA.

    Args:
        n_states, n_actions: the table's shape.
        method: ``"q_learning"`` or ``"sarsa"``.
        alpha: learning rate, in (0, 1].
        gamma: discount, in [0, 1].
        epsilon: an :class:`EpsilonSchedule`, or a number for a constant rate.
        seed: seeds the agent's exploration (the environment is seeded by its first reset).

    Attributes:
        Q: (n_states, n_actions) the action values, zero at the start.
        episodes_done: how many learning episodes have run.
    """

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        method: str = "q_learning",
        alpha: float = 0.1,
        gamma: float = 0.99,
        epsilon: EpsilonSchedule | float = 0.1,
        seed: int | None = 0,
    ):
        if method not in METHODS:
            raise ValueError(f"Invalid method: {method!r} (expected q_learning or sarsa)")
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"Invalid alpha: {alpha!r} (expected 0 < alpha <= 1)")
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"Invalid gamma: {gamma!r} (expected 0 <= gamma <= 1)")
        if not isinstance(epsilon, EpsilonSchedule):
            epsilon = EpsilonSchedule(start=float(epsilon))
        self.method, self.alpha, self.gamma, self.epsilon = method, alpha, gamma, epsilon
        self.Q = np.zeros((n_states, n_actions))
        self.rng = np.random.default_rng(seed)
        self.episodes_done = 0

    def act(self, s: int, eps: float) -> int:
        """An epsilon-greedy action in state ``s``."""
        if self.rng.random() < eps:
            return int(self.rng.integers(self.Q.shape[1]))
        return _greedy(self.Q[s], self.rng)

    def greedy_policy(self) -> np.ndarray:
        """``argmax_a Q[s, a]`` per state (ties: the lowest action): (n_states,)."""
        return np.argmax(self.Q, axis=1)

    def episode(self, env: Any, max_steps: int = 1000, seed: int | None = None) -> Episode:
        """Run one episode in ``env``, learning after every step; returns what happened."""
        eps = self.epsilon(self.episodes_done)
        s, _ = env.reset(seed=seed)
        a = self.act(s, eps)
        states, actions, rewards = [s], [], []
        terminated = False
        for _ in range(max_steps):
            s2, r, terminated, truncated, _ = env.step(a)
            if self.method == "sarsa":  # SARSA's target needs the next action first
                a2 = self.act(s2, eps)
                bootstrap = self.Q[s2, a2]
            else:
                bootstrap = self.Q[s2].max()
            target = r if terminated else r + self.gamma * bootstrap
            self.Q[s, a] += self.alpha * (target - self.Q[s, a])
            states.append(s2)
            actions.append(a)
            rewards.append(r)
            if terminated or truncated:
                break
            # Q-learning picks its next action after the update, with the Q just learned
            s, a = s2, (a2 if self.method == "sarsa" else self.act(s2, eps))
        self.episodes_done += 1
        return Episode(
            np.array(states), np.array(actions), np.array(rewards, dtype=float), terminated, eps
        )


@dataclass
class TabularRun:
    """A learning run: the agent and one number per episode.

    Attributes:
        agent: the trained :class:`TDAgent` (its ``Q`` and ``greedy_policy()``).
        returns, lengths, epsilons: (episodes,) per episode.
        q_history: (k, S, A) snapshots of ``Q`` every ``record_every`` episodes (empty if not
            asked).
    """

    agent: TDAgent
    returns: np.ndarray
    lengths: np.ndarray
    epsilons: np.ndarray
    q_history: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))


def train_tabular(
    env: Any,
    method: str = "q_learning",
    episodes: int = 1000,
    *,
    alpha: float = 0.1,
    gamma: float = 0.99,
    epsilon: EpsilonSchedule | float = 0.1,
    seed: int = 0,
    max_steps: int = 1000,
    record_every: int | None = None,
    callback=None,
) -> TabularRun:
    """Learn ``Q`` on a tabular Gymnasium ``env`` for ``episodes`` episodes.

    The environment is reset with ``seed`` once, then continues its own random stream, so a
    seed fixes the whole run. ``callback(k, episode)``, if given, is called after each episode.
    """
    agent = TDAgent(
        env.observation_space.n, env.action_space.n, method, alpha, gamma, epsilon, seed
    )
    returns, lengths, epsilons, snaps = [], [], [], []
    for k in range(episodes):
        ep = agent.episode(env, max_steps=max_steps, seed=seed if k == 0 else None)
        returns.append(ep.total)
        lengths.append(ep.length)
        epsilons.append(ep.epsilon)
        if record_every and (k + 1) % record_every == 0:
            snaps.append(agent.Q.copy())
        if callback is not None:
            callback(k, ep)
    q_history = np.array(snaps) if snaps else np.zeros((0, *agent.Q.shape))
    return TabularRun(agent, np.array(returns), np.array(lengths), np.array(epsilons), q_history)


def greedy_episode(
    env: Any, policy: np.ndarray, seed: int | None = 0, max_steps: int = 200
) -> Episode:
    """Follow a deterministic ``policy`` (S,) from a reset; no learning. Returns an Episode."""
    s, _ = env.reset(seed=seed)
    states, actions, rewards = [s], [], []
    terminated = False
    for _ in range(max_steps):
        a = int(policy[s])
        s, r, terminated, truncated, _ = env.step(a)
        states.append(s)
        actions.append(a)
        rewards.append(r)
        if terminated or truncated:
            break
    return Episode(np.array(states), np.array(actions), np.array(rewards, dtype=float), terminated)
