"""Q-learning against SARSA on the cliff, and Q-learning on FrozenLake against value iteration.

    python examples/q_learning_cliff.py

CliffWalking-v1: 4 x 12 cells, start bottom left, goal bottom right, the cells between them a
cliff (-100 and back to the start); every step costs -1. Both learners explore with
epsilon = 0.1. Q-learning (off-policy) learns the values of the greedy policy, so its greedy
path runs along the edge: 13 steps, return -13, the optimum. SARSA (on-policy) learns the
values of the exploring policy, which sometimes slips off, so its greedy path keeps away from
the edge (return -17 here), and while exploring it falls less: its mean return is higher.
Then FrozenLake 4x4, slippery: the greedy policy learned by Q-learning reaches the goal about
73 % of the time, against 74 % for the optimal policy that value iteration computes from the
known model. Plots go to runs/examples/q_learning_cliff/.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from descentlab import rl
from descentlab.rl.envs import ACTION_ARROWS


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--episodes", type=int, default=500, help="cliff episodes per learner")
    ap.add_argument("--lake-episodes", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/examples/q_learning_cliff")
    args = ap.parse_args(argv)
    from descentlab.viz.algorithms import plot_q_grid, plot_returns

    out = Path(args.out)
    cliff = rl.make_env("cliff")
    layout = rl.grid_layout(cliff)
    result: dict = {"cliff": {}}
    for method in ("q_learning", "sarsa"):
        run = rl.train_tabular(
            cliff, method, args.episodes, alpha=0.5, gamma=1.0, epsilon=0.1, seed=args.seed
        )
        greedy = rl.greedy_episode(cliff, run.agent.greedy_policy())
        result["cliff"][method] = {
            "greedy_return": greedy.total,
            "path": greedy.states.tolist(),
            "mean_return_last_100": float(run.returns[-100:].mean()),
        }
        print(
            f"cliff {method:10s}: greedy return {greedy.total:g}, mean return while exploring "
            f"(last 100 episodes) {run.returns[-100:].mean():.1f}"
        )
        plot_q_grid(run.agent.Q, layout, ACTION_ARROWS["cliff"], out / f"cliff_{method}.png")
        plot_returns(run.returns, None, out / f"cliff_{method}_returns.png", title=method)
    lake = rl.make_env("frozenlake", slippery=True)
    model = rl.tabular_model(lake)
    optimal = rl.value_iteration(model, gamma=0.99)
    run = rl.train_tabular(
        lake,
        "q_learning",
        args.lake_episodes,
        alpha=0.1,
        gamma=0.99,
        epsilon=rl.EpsilonSchedule(1.0, 0.05, int(0.75 * args.lake_episodes)),
        seed=args.seed,
    )
    learned_p = rl.evaluate_policy(model, run.agent.greedy_policy(), gamma=1.0, horizon=100)[0]
    optimal_p = rl.evaluate_policy(model, optimal.policy, gamma=1.0, horizon=100)[0]
    result["frozenlake"] = {"learned": float(learned_p), "optimal": float(optimal_p)}
    print(
        f"slippery FrozenLake: P(goal within 100 steps) greedy Q-learning {learned_p:.3f}, "
        f"optimal (value iteration) {optimal_p:.3f}"
    )
    plot_q_grid(
        run.agent.Q, rl.grid_layout(lake), ACTION_ARROWS["frozenlake"], out / "frozenlake.png"
    )
    print(f"plots: {out}/")
    result["q_table_shape"] = np.shape(run.agent.Q)
    return result


if __name__ == "__main__":
    main()
