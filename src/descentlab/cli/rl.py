"""``descentlab rl frozenlake|cliff|cartpole [options]``: reinforcement learning on Gymnasium.

``frozenlake`` and ``cliff`` learn a Q-table by Q-learning or SARSA and compare the greedy
policy with the optimal one from value iteration on the known model; ``cartpole`` trains a
REINFORCE policy network on descentlab's engine until the mean return over 100 episodes
reaches the target. Each writes a run directory like ``train``'s: config.toml, history.csv
(one row per episode), metrics.json, the learned table or policy, and PNG plots.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from descentlab.cli import UsageError
from descentlab.cli.algo_runs import progress_bar, run_dir_for, say, write_run
from descentlab.rl.reinforce import BASELINES
from descentlab.rl.tabular import METHODS

# per environment: (episodes, alpha, gamma, epsilon start, end, decay episodes)
TABULAR_DEFAULTS = {
    "frozenlake": (2000, 0.1, 0.99, 1.0, 0.05, 1500),
    "cliff": (500, 0.5, 1.0, 0.1, 0.1, 0),
}


def _positive(kind):
    def parse(text: str) -> int | float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a number > 0, received {text}")
        return value

    return parse


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0, help="seeds the agent and the environment")
    p.add_argument("--out", metavar="RUN_DIR", help="run directory (default: runs/rl-<env>)")
    p.add_argument("--no-progress", action="store_true", help="no live progress bar")
    p.add_argument("--no-plots", action="store_true", help="write no PNG plots")


def _tabular(args: argparse.Namespace, console) -> dict[str, Any]:
    import numpy as np

    from descentlab import rl
    from descentlab.rl.envs import ACTION_ARROWS

    env = rl.make_env(args.env, slippery=getattr(args, "slippery", False))
    model = rl.tabular_model(env)
    try:
        schedule = rl.EpsilonSchedule(args.epsilon, args.epsilon_end, args.epsilon_decay)
        rl.TDAgent(1, 1, args.method, args.alpha, args.gamma, schedule)  # validates the options
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    rows: list[dict[str, float]] = []
    with progress_bar(args.episodes, f"{args.method} on {args.env}", args.progress, console) as up:

        def record(k: int, ep: rl.Episode) -> None:
            rows.append(
                {"episode": k + 1, "return": ep.total, "length": ep.length, "epsilon": ep.epsilon}
            )
            if (k + 1) % 20 == 0 or k + 1 == args.episodes:
                recent = np.mean([r["return"] for r in rows[-100:]])
                up(k + 1, f"mean return (100) {recent:.3f} eps {ep.epsilon:.3f}")

        t0 = time.perf_counter()
        run = rl.train_tabular(
            env,
            args.method,
            args.episodes,
            alpha=args.alpha,
            gamma=args.gamma,
            epsilon=schedule,
            seed=args.seed,
            callback=record,
        )
        seconds = time.perf_counter() - t0
    policy = run.agent.greedy_policy()
    vi = rl.value_iteration(model, gamma=min(args.gamma, 0.999))
    start = int(np.argmax(env.unwrapped.initial_state_distrib))
    horizon = env.spec.max_episode_steps or 200
    greedy = rl.greedy_episode(env, policy, seed=args.seed, max_steps=horizon)
    metrics = {
        "env": rl.ENVS[args.env],
        "episodes": args.episodes,
        "greedy_return": greedy.total,
        "greedy_path": greedy.states.tolist(),
        "expected_greedy_return": float(
            rl.evaluate_policy(model, policy, gamma=1.0, horizon=horizon)[start]
        ),
        "expected_optimal_return": float(
            rl.evaluate_policy(model, vi.policy, gamma=1.0, horizon=horizon)[start]
        ),
        "mean_return_last_100": float(np.mean(run.returns[-100:])),
        "wall_seconds": seconds,
    }
    if getattr(args, "slippery", False):  # stochastic: also count successes over episodes
        returns = [rl.greedy_episode(env, policy, None, horizon).total for _ in range(1000)]
        metrics["greedy_mean_return_1000_episodes"] = float(np.mean(returns))
    layout = rl.grid_layout(env)
    arrows = ACTION_ARROWS[args.env]
    say(console, "greedy policy:")
    cols = len(layout[0])
    for r, line in enumerate(layout):
        cells = [ch if ch in "GHC" else arrows[policy[r * cols + c]] for c, ch in enumerate(line)]
        say(console, "  " + " ".join(cells))
    return {"rows": rows, "metrics": metrics, "run": run, "layout": layout, "arrows": arrows}


def _cartpole(args: argparse.Namespace, console) -> dict[str, Any]:
    from descentlab import rl

    env = rl.make_env("cartpole")
    rows: list[dict[str, float]] = []
    with progress_bar(args.episodes, "REINFORCE on CartPole-v1", args.progress, console) as up:

        def record(k: int, ep: rl.Episode, avg: float) -> None:
            rows.append({"episode": k + 1, "return": ep.total, "moving_average": avg})
            up(k + 1, f"return {ep.total:.0f} mean (100) {avg:.1f}")

        try:
            run = rl.train_reinforce(
                env,
                args.episodes,
                target=args.target,
                stop_at_target=not args.keep_going,
                seed=args.seed,
                callback=record,
                hidden=args.hidden,
                lr=args.lr,
                value_lr=args.value_lr,
                gamma=args.gamma,
                baseline=args.baseline,
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    greedy = run.agent.episode(env, seed=args.seed + 1, learn=False)
    metrics = {
        "env": rl.ENVS["cartpole"],
        "episodes_run": len(run.returns),
        "target": args.target,
        "solved_at": run.solved_at,
        "final_moving_average": float(run.moving_average[-1]),
        "sampled_episode_return": greedy.total,
        "wall_seconds": run.seconds,
    }
    return {"rows": rows, "metrics": metrics, "run": run, "episode": greedy}


def run_command(args: argparse.Namespace) -> int:
    import numpy as np
    from rich.console import Console

    console = Console()
    args.progress = not args.no_progress
    run_dir = run_dir_for(args.out, f"rl-{args.env}")
    config = {
        k: v
        for k, v in vars(args).items()
        if k not in ("func", "out", "no_progress", "progress", "command") and v is not None
    }
    result = _cartpole(args, console) if args.env == "cartpole" else _tabular(args, console)
    write_run(run_dir, config, result["metrics"], result["rows"])
    run = result["run"]
    if args.env == "cartpole":
        from descentlab.serialization import save

        save(run.agent.policy.state_dict(), run_dir / "policy.safetensors")
        np.save(run_dir / "episode_states.npy", result["episode"].states)
    else:
        np.save(run_dir / "q_table.npy", run.agent.Q)
    if not args.no_plots:
        from descentlab.viz.algorithms import plot_q_grid, plot_returns

        ma = result["run"].moving_average if args.env == "cartpole" else None
        plot_returns(
            run.returns,
            ma,
            run_dir / "returns.png",
            title=f"{args.env}: return per episode",
            target=args.target if args.env == "cartpole" else None,
        )
        if args.env != "cartpole":
            plot_q_grid(run.agent.Q, result["layout"], result["arrows"], run_dir / "q_values.png")
    m = result["metrics"]
    if args.env == "cartpole":
        solved = f"solved at episode {m['solved_at']}" if m["solved_at"] else "not solved"
        say(
            console,
            f"{solved}: mean return over the last 100 episodes {m['final_moving_average']:.1f} "
            f"(target {args.target:g}), {m['episodes_run']} episodes, "
            f"{m['wall_seconds']:.1f} s",
        )
    else:
        say(
            console,
            f"greedy return {m['greedy_return']:g} (expected {m['expected_greedy_return']:.4f};"
            f" optimal policy {m['expected_optimal_return']:.4f}), "
            f"{args.episodes} episodes in {m['wall_seconds']:.1f} s",
        )
    say(console, f"run directory: {run_dir}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "rl",
        help="Q-learning/SARSA on FrozenLake and CliffWalking, REINFORCE on CartPole",
        description=__doc__.split("\n\n", 1)[1],
    )
    envs = p.add_subparsers(dest="env", metavar="ENV", required=True)
    for name, title in (("frozenlake", "FrozenLake-v1 (4x4)"), ("cliff", "CliffWalking-v1")):
        episodes, alpha, gamma, eps, eps_end, decay = TABULAR_DEFAULTS[name]
        q = envs.add_parser(name, help=f"a Q-table on {title}")
        q.add_argument("--method", choices=METHODS, default="q_learning", help="TD update")
        q.add_argument("--episodes", type=_positive(int), default=episodes)
        q.add_argument("--alpha", type=float, default=alpha, help="learning rate")
        q.add_argument("--gamma", type=float, default=gamma, help="discount")
        q.add_argument("--epsilon", type=float, default=eps, help="exploration rate at the start")
        q.add_argument("--epsilon-end", type=float, default=eps_end, help="... at the end")
        q.add_argument(
            "--epsilon-decay",
            type=int,
            default=decay,
            metavar="EPISODES",
            help="episodes of linear decay (0: constant)",
        )
        if name == "frozenlake":
            q.add_argument("--slippery", action="store_true", help="slippery ice")
        _common(q)
    c = envs.add_parser("cartpole", help="REINFORCE with a baseline on CartPole-v1")
    c.add_argument("--episodes", type=_positive(int), default=1500, help="most episodes to run")
    c.add_argument("--target", type=float, default=450.0, help="mean return over 100 episodes")
    c.add_argument("--keep-going", action="store_true", help="do not stop at the target")
    c.add_argument("--hidden", type=_positive(int), default=64, help="hidden units")
    c.add_argument("--lr", type=_positive(float), default=1e-2, help="policy learning rate")
    c.add_argument("--value-lr", type=_positive(float), default=1e-2, help="baseline's rate")
    c.add_argument("--gamma", type=float, default=0.99, help="discount")
    c.add_argument("--baseline", choices=BASELINES, default="value")
    _common(c)
    p.set_defaults(func=run_command)
