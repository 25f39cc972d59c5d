"""SGD against SGD with momentum on the ravine f(x, y) = x^2 + 10 y^2 (the course's 3.3).

    python examples/sgd_vs_momentum.py

The course's update is the moving-average form of momentum,
``v <- b v + (1 - b) g; w <- w - lr v`` from ``v = 0``, which is
``optim.SGD(momentum=b, dampening=b)`` with a zero initial buffer; start (10, 1), lr 0.05,
50 steps, b = 0.9. The steps are computed by descentlab's autograd and optimiser; the script
checks them against the course's hand-written loop. Writes the landscape with both paths to
runs/examples/sgd_vs_momentum/paths.png.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import descentlab as dl
import descentlab.optim as optim


def f(p):
    """f(x, y) = x^2 + 10 y^2 on a Tensor p = (x, y) (or NumPy arrays x, y)."""
    return p[0] ** 2 + 10 * p[1] ** 2


def descend(optimizer_factory, start, steps: int) -> np.ndarray:
    """Run ``steps`` optimiser steps on f from ``start``; return the (steps + 1, 2) path."""
    p = dl.tensor(start, requires_grad=True, dtype=np.float64)
    opt = optimizer_factory([p])
    if opt.param_groups[0]["momentum"]:
        # The course starts from v = 0 (torch starts the buffer at the first gradient).
        opt.state[p]["momentum_buffer"] = np.zeros(p.shape)
    path = [p.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        f(p).backward()
        opt.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


def course_loop(momentum: float, start, lr: float, steps: int) -> np.ndarray:
    """The course's loop, written out: v = m v + (1 - m) g; w -= lr v."""
    x, y = start
    vx = vy = 0.0
    path = [(x, y)]
    for _ in range(steps):
        gx, gy = 2 * x, 20 * y
        vx = momentum * vx + (1 - momentum) * gx
        vy = momentum * vy + (1 - momentum) * gy
        x, y = x - lr * vx, y - lr * vy
        path.append((x, y))
    return np.array(path)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--out", default="runs/examples/sgd_vs_momentum")
    args = ap.parse_args(argv)
    start, b = (10.0, 1.0), args.momentum

    paths = {
        "SGD": descend(lambda ps: optim.SGD(ps, lr=args.lr), start, args.steps),
        f"SGD + momentum {b}": descend(
            lambda ps: optim.SGD(ps, lr=args.lr, momentum=b, dampening=b), start, args.steps
        ),
    }
    reference = {
        "SGD": course_loop(0.0, start, args.lr, args.steps),
        f"SGD + momentum {b}": course_loop(b, start, args.lr, args.steps),
    }
    finals = {}
    for name, path in paths.items():
        finals[name] = float(f(path[-1]))
        assert np.allclose(path, reference[name], rtol=1e-12, atol=1e-12), name
        x, y = path[-1]
        print(f"{name:>20}: final loss = {finals[name]:.6f} at ({x:.4f}, {y:.4f})")

    from descentlab.viz import plot_landscape

    plot = Path(args.out) / "paths.png"
    plot_landscape(
        lambda X, Y: X**2 + 10 * Y**2,
        paths,
        xlim=(-11, 11),
        ylim=(-3, 3),
        path=plot,
        minimum=(0.0, 0.0),
        title=f"f(x, y) = x^2 + 10 y^2, lr = {args.lr:g}",
    )
    print(f"plot: {plot}")
    return {"paths": paths, "final_loss": finals, "plot": plot}


if __name__ == "__main__":
    main()
