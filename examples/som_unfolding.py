"""A Kohonen map unfolding over the unit square, then the digits' prototypes.

    python examples/som_unfolding.py

A 10 x 10 map starts as a crumpled ball (random unit vectors) and is trained on 1,000 points
drawn uniformly from the unit square: each step pulls the best-matching unit and its grid
neighbours (Gaussian, radius shrinking from 3) towards a sample. The snapshots show the grid
spreading out until it covers the square with neighbours next to neighbours; the quantisation
error falls and the topographic error (best and second-best units not adjacent) goes to about
zero. Snapshots go to runs/examples/som_unfolding/unfolding.png. The digits version is the
command ``descentlab som`` (add ``--minisom`` to compare with MiniSom).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from descentlab.som import SOM


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--size", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/examples/som_unfolding")
    args = ap.parse_args(argv)
    from descentlab.viz._figure import new_figure, save

    data = np.random.default_rng(args.seed).uniform(0, 1, size=(1000, 2))
    som = SOM(args.size, args.size, 2, sigma=3.0, learning_rate=0.5, seed=args.seed)
    run = som.train(data, args.steps, order="random", record_every=max(args.steps // 5, 1))
    te = som.topographic_error(data)
    for step, qe in zip(run.steps, run.quantization_error):
        print(f"step {step:5d}: quantisation error {qe:.4f}")
    print(f"topographic error at the end: {te:.3f}")
    fig, axes = new_figure(1, len(run.steps), size=(2.6 * len(run.steps), 2.8))
    for ax, step, w in zip(np.atleast_1d(axes), run.steps, run.weights):
        ax.scatter(data[:, 0], data[:, 1], s=1, c="0.8")
        ax.plot(w[:, :, 0], w[:, :, 1], "b-", lw=0.7)
        ax.plot(w[:, :, 0].T, w[:, :, 1].T, "b-", lw=0.7)
        ax.set_title(f"step {step}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    path = Path(args.out) / "unfolding.png"
    save(fig, path)
    print(f"plot: {path}")
    return {"quantization_error": run.quantization_error, "topographic_error": te, "plot": path}


if __name__ == "__main__":
    main()
