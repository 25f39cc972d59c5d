"""XOR (the course's exercise 7): a 2-8-2 tanh network learns the truth table.

    python examples/xor.py            # trains, prints the truth table, writes the boundary

Four points, full-batch Adam. No straight line separates the classes, so a network without a
hidden layer cannot do it; one hidden layer can. Writes runs/examples/xor/decision_boundary.png.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import descentlab as dl
import descentlab.nn as nn
import descentlab.optim as optim
from descentlab.data import xor
from descentlab.train import fit


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--hidden", type=int, default=8)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/examples/xor")
    args = ap.parse_args(argv)

    dl.manual_seed(args.seed)
    X, y = xor()  # [[0,0],[0,1],[1,0],[1,1]] -> [0, 1, 1, 0]
    model = nn.Sequential(nn.Linear(2, args.hidden), nn.Tanh(), nn.Linear(args.hidden, 2))
    opt = optim.Adam(model.parameters(), lr=args.lr)
    history = fit(model, "cross_entropy", opt, (X, y), epochs=args.epochs, batch_size="full")

    with dl.no_grad():
        pred = model(dl.tensor(X)).argmax(dim=1).numpy()
    print("x1 x2 | target predicted")
    for (a, b), t, p in zip(X.astype(int), y, pred):
        print(f" {a}  {b} |   {t}       {p}")
    solved = bool(np.array_equal(pred, y))
    print(f"solved: {solved} (final loss {history['train_loss'][-1]:.2e})")

    from descentlab.viz import plot_decision_boundary

    out = Path(args.out)
    path = out / "decision_boundary.png"
    plot_decision_boundary(model, X, y, path, title="XOR: decision boundary of a 2-8-2 net")
    print(f"plot: {path}")
    return {"solved": solved, "history": history, "plot": path, "predictions": pred}


if __name__ == "__main__":
    main()
