"""``descentlab som [options]``: a Kohonen map of the 8x8 digits.

Trains a self-organising map on scikit-learn's 1,797 digits (pixels in [0, 1]), prints its
quantisation and topographic errors (and MiniSom's on the same start with ``--minisom``), and
writes a run directory: config.toml, history.csv (learning rate, radius and quantisation error
along the run), metrics.json, weights.npy and prototypes.png (each unit drawn as an image with
the digit it wins most).
"""

from __future__ import annotations

import argparse
import time

from descentlab.cli import UsageError
from descentlab.cli.algo_runs import progress_bar, run_dir_for, say, write_run
from descentlab.som import LR_DECAYS, SIGMA_DECAYS


def run_command(args: argparse.Namespace) -> int:
    import numpy as np
    from rich.console import Console

    from descentlab.data import digits
    from descentlab.som import SOM

    console = Console()
    X, y = digits(dtype=np.float64)
    ms = _new_minisom(args) if args.minisom else None
    try:
        som = SOM(
            args.rows,
            args.cols,
            64,
            sigma=args.sigma,
            learning_rate=args.lr,
            decay=args.decay,
            sigma_decay=args.sigma_decay,
            seed=args.seed,
            weights=None if ms is None else ms.get_weights(),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    every = max(args.steps // 50, 1)
    with progress_bar(args.steps, "SOM on digits", not args.no_progress, console) as up:
        t0 = time.perf_counter()
        run = som.train(
            X,
            args.steps,
            order=args.order,
            record_every=every,
            callback=lambda t, qe: up(t, f"quantisation error {qe:.4f}"),
        )
        seconds = time.perf_counter() - t0
    labels = som.unit_labels(X, y)
    win = som.winners(X)
    metrics = {
        "quantization_error": som.quantization_error(X),
        "topographic_error": som.topographic_error(X),
        "label_purity": float(np.mean(labels[win[:, 0], win[:, 1]] == y)),
        "wall_seconds": seconds,
    }
    if ms is not None:
        metrics["minisom"] = _minisom_metrics(ms, args, X, som, run.order)
    rows = [
        {"step": int(s), "lr": float(lr), "sigma": float(sg), "quantization_error": float(qe)}
        for s, lr, sg, qe in zip(run.steps, run.lr, run.sigma, run.quantization_error)
    ]
    run_dir = run_dir_for(args.out, "som-digits")
    config = {k: v for k, v in vars(args).items() if k not in ("func", "out", "no_progress")}
    write_run(run_dir, config, metrics, rows)
    np.save(run_dir / "weights.npy", som.weights)
    if not args.no_plots:
        from descentlab.viz.algorithms import plot_prototypes

        plot_prototypes(
            som.weights, (8, 8), labels, run_dir / "prototypes.png", title="digit prototypes"
        )
    say(
        console,
        f"quantisation error {metrics['quantization_error']:.4f}  topographic error "
        f"{metrics['topographic_error']:.4f}  label purity {metrics['label_purity']:.1%}  "
        f"({args.steps} steps, {seconds:.1f} s)",
    )
    if args.minisom:
        m = metrics["minisom"]
        say(
            console,
            f"MiniSom from the same start: quantisation error {m['quantization_error']:.4f}  "
            f"topographic error {m['topographic_error']:.4f}  largest weight difference "
            f"{m['max_weight_difference']:.2e}",
        )
    say(console, f"run directory: {run_dir}")
    return 0


def _new_minisom(args):
    """A MiniSom with this run's map and schedule; its initial weights start both maps."""
    try:
        from minisom import MiniSom
    except ModuleNotFoundError:
        raise UsageError("--minisom: MiniSom is not installed (pip install -e '.[dev]')") from None
    return MiniSom(
        args.rows,
        args.cols,
        64,
        sigma=args.sigma,
        learning_rate=args.lr,
        decay_function=args.decay,
        sigma_decay_function=args.sigma_decay,
        random_seed=args.seed,
    )


def _minisom_metrics(ms, args, X, som, order) -> dict:
    """Train MiniSom on the same sample order (its own update step) and compare."""
    import numpy as np

    for t, i in enumerate(order):
        ms.update(X[i], ms.winner(X[i]), t, args.steps)
    return {
        "quantization_error": float(ms.quantization_error(X)),
        "topographic_error": float(ms.topographic_error(X)),
        "max_weight_difference": float(np.abs(ms.get_weights() - som.weights).max()),
    }


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "som", help="a Kohonen self-organising map of the 8x8 digits", description=__doc__
    )
    p.add_argument("--rows", type=int, default=10, help="map rows")
    p.add_argument("--cols", type=int, default=10, help="map columns")
    p.add_argument("--steps", type=int, default=5000, help="training steps (one sample each)")
    p.add_argument("--sigma", type=float, default=3.0, help="initial neighbourhood radius")
    p.add_argument("--lr", type=float, default=0.5, help="initial learning rate")
    p.add_argument("--decay", choices=list(LR_DECAYS), default="asymptotic_decay")
    p.add_argument("--sigma-decay", choices=list(SIGMA_DECAYS), default="asymptotic_decay")
    p.add_argument("--order", choices=("random", "sequential"), default="random")
    p.add_argument("--seed", type=int, default=0, help="seeds the weights and sample order")
    p.add_argument("--minisom", action="store_true", help="also train MiniSom, compare")
    p.add_argument("--out", metavar="RUN_DIR", help="run directory (default: runs/som-digits)")
    p.add_argument("--no-progress", action="store_true", help="no live progress bar")
    p.add_argument("--no-plots", action="store_true", help="write no PNG plots")
    p.set_defaults(func=run_command)
