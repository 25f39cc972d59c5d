"""REINFORCE with a learned baseline on CartPole-v1, on descentlab's own engine.

    python examples/reinforce_cartpole.py                  # one seed, stops at the target
    python examples/reinforce_cartpole.py --seeds 0 1 2    # the figures in docs/algorithms.md

A 4-64-2 tanh policy network and a 4-64-1 value network (descentlab.nn), Adam at lr 0.01
(descentlab.optim), one update per episode on the advantages G_t - V(s_t), scaled to unit
variance. CartPole stops an episode after 500 steps; the run stops once the mean return over
the last 100 episodes reaches 450 (or after --episodes). The returns plot and one sampled
episode's states (cart position, velocity, pole angle, angular velocity; for an animation) go
to runs/examples/reinforce_cartpole/.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from descentlab import rl


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--episodes", type=int, default=1500)
    ap.add_argument("--target", type=float, default=450.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--out", default="runs/examples/reinforce_cartpole")
    args = ap.parse_args(argv)
    from descentlab.viz.algorithms import plot_returns

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    for seed in args.seeds:
        env = rl.make_env("cartpole")
        run = rl.train_reinforce(env, args.episodes, target=args.target, seed=seed)
        solved = f"episode {run.solved_at}" if run.solved_at else "not reached"
        print(
            f"seed {seed}: mean return (100) {run.moving_average[-1]:.1f}, target "
            f"{args.target:g}: {solved}, {len(run.returns)} episodes in {run.seconds:.1f} s"
        )
        plot_returns(
            run.returns,
            run.moving_average,
            out / f"returns_seed{seed}.png",
            title=f"REINFORCE on CartPole-v1, seed {seed}",
            target=args.target,
        )
        episode = run.agent.episode(env, seed=seed + 1000, learn=False)
        np.save(out / f"episode_states_seed{seed}.npy", episode.states)
        results[seed] = {
            "solved_at": run.solved_at,
            "seconds": run.seconds,
            "returns": run.returns,
            "episode_states": episode.states,
        }
    return results


if __name__ == "__main__":
    main()
