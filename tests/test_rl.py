"""descentlab.rl: value iteration on the known model is the oracle for the tabular learners;
REINFORCE must learn CartPole (reduced budget, fixed seed; full figures in docs/algorithms.md)."""

import doctest

import numpy as np
import pytest

import descentlab.rl.planning as planning_module
from descentlab.rl import (
    EpsilonSchedule,
    TDAgent,
    discounted_returns,
    evaluate_policy,
    greedy_episode,
    grid_layout,
    make_env,
    tabular_model,
    train_reinforce,
    train_tabular,
    value_iteration,
)

CLIFF_EDGE = set(range(25, 35))  # row 2, columns 1..10: the cells right above the cliff


def test_model_arrays_and_maps():
    env = make_env("frozenlake", slippery=True)
    m = tabular_model(env)
    assert m.P.shape == (16, 4, 16)
    np.testing.assert_allclose(m.P.sum(axis=2), 1.0)
    assert m.R[14, 2, 15] == 1.0 and m.terminal[14, 2, 15]
    assert grid_layout(env) == ["SFFF", "FHFH", "FFFH", "HFFG"]
    assert grid_layout(make_env("cliff"))[3] == "SCCCCCCCCCCG"


def test_value_iteration_by_hand():
    m = tabular_model(make_env("cliff"))
    vi = value_iteration(m, gamma=1 - 1e-9, tol=1e-12)
    # the shortest path from the start (36) is 13 steps of reward -1
    assert vi.V[36] == pytest.approx(-13.0, abs=1e-6)
    assert evaluate_policy(m, vi.policy, gamma=1.0, horizon=100)[36] == -13.0
    assert greedy_episode(make_env("cliff"), vi.policy).total == -13.0


def test_frozenlake_deterministic_greedy_policy_always_reaches_the_goal():
    env = make_env("frozenlake")
    run = train_tabular(
        env, "q_learning", 300, alpha=0.5, gamma=0.99, epsilon=EpsilonSchedule(1.0, 0.01, 200)
    )
    policy = run.agent.greedy_policy()
    assert evaluate_policy(tabular_model(env), policy, gamma=1.0, horizon=100)[0] == 1.0
    for seed in range(5):
        ep = greedy_episode(env, policy, seed=seed)
        assert ep.total == 1.0 and ep.terminated and ep.length == 6


def test_frozenlake_slippery_within_five_points_of_optimal():
    env = make_env("frozenlake", slippery=True)
    m = tabular_model(env)
    optimal = evaluate_policy(m, value_iteration(m, 0.99).policy, gamma=1.0, horizon=100)[0]
    assert optimal == pytest.approx(0.7402, abs=1e-4)  # reach the goal within 100 steps
    run = train_tabular(
        env, "q_learning", 2000, alpha=0.1, gamma=0.99, epsilon=EpsilonSchedule(1.0, 0.05, 1500)
    )
    learned = evaluate_policy(m, run.agent.greedy_policy(), gamma=1.0, horizon=100)[0]
    assert learned >= optimal - 0.05
    # the exact success probability is what the episodes show
    wins = [greedy_episode(env, run.agent.greedy_policy(), seed=s).total for s in range(400)]
    assert np.mean(wins) == pytest.approx(learned, abs=0.07)


@pytest.mark.parametrize("seed", [0, 1])
def test_cliff_q_learning_takes_the_edge_sarsa_the_safe_path(seed):
    env = make_env("cliff")
    kw = dict(episodes=500, alpha=0.5, gamma=1.0, epsilon=0.1, seed=seed)
    q = greedy_episode(env, train_tabular(env, "q_learning", **kw).agent.greedy_policy())
    s = greedy_episode(env, train_tabular(env, "sarsa", **kw).agent.greedy_policy())
    assert q.total == -13.0  # optimal: along the edge
    assert set(q.states.tolist()) >= CLIFF_EDGE
    assert s.terminated and s.total < -13.0  # longer, and never beside the cliff
    assert not set(s.states.tolist()) & CLIFF_EDGE


def test_td_updates_by_hand():
    env = make_env("frozenlake")
    for method, expected in [("q_learning", 0.01 + 0.5 * (0.9 * 0.4 - 0.01)), ("sarsa", None)]:
        agent = TDAgent(16, 4, method, alpha=0.5, gamma=0.9, epsilon=0.0, seed=0)
        agent.Q[0] = [0.0, 0.0, 0.01, 0.0]  # greedy: right, to state 1
        agent.Q[1] = [0.2, 0.4, 0.0, 0.0]  # greedy there: down (0.4)
        ep = agent.episode(env, max_steps=1, seed=0)
        assert ep.states.tolist() == [0, 1] and ep.actions.tolist() == [2]
        # both bootstrap from Q[1, down] = 0.4 here: SARSA's next action is the greedy one
        assert agent.Q[0, 2] == pytest.approx(expected or 0.01 + 0.5 * (0.9 * 0.4 - 0.01))
    sched = EpsilonSchedule(1.0, 0.1, 10)
    assert [sched(k) for k in (0, 5, 10, 20)] == pytest.approx([1.0, 0.55, 0.1, 0.1])
    exp = EpsilonSchedule(1.0, 0.0, 10, kind="exponential")
    assert exp(10) == pytest.approx(np.exp(-1))


def test_discounted_returns_by_hand():
    np.testing.assert_allclose(discounted_returns(np.array([1.0, 1.0, 1.0]), 0.5), [1.75, 1.5, 1])


def test_reinforce_learns_cartpole():
    env = make_env("cartpole")
    run = train_reinforce(env, 100, target=None, seed=2)
    first, last = run.returns[:20].mean(), run.returns[-20:].mean()
    # a random policy lasts ~22 steps; 100 episodes of REINFORCE reach ~250
    assert first < 60 and last > 150
    assert run.moving_average[-1] == pytest.approx(run.returns.mean())
    ep = run.agent.episode(env, seed=0, learn=False)
    assert ep.states.shape == (ep.length + 1, 4)  # cart x, velocity, pole angle, angular velocity


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"Invalid environment: 'pong' \(expected one of"):
        make_env("pong")
    with pytest.raises(ValueError, match=r"Invalid method: 'td' \(expected q_learning or sarsa"):
        TDAgent(4, 2, "td")
    with pytest.raises(ValueError, match=r"Invalid alpha: 0"):
        TDAgent(4, 2, alpha=0)
    with pytest.raises(ValueError, match=r"Invalid epsilon start: 1.5"):
        EpsilonSchedule(1.5)
    with pytest.raises(ValueError, match=r"Invalid gamma: 1.0 \(expected 0 <= gamma < 1\)"):
        value_iteration(tabular_model(make_env("cliff")), gamma=1.0)


def test_docstring_examples_run():
    assert doctest.testmod(planning_module).failed == 0
