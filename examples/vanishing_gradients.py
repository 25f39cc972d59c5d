"""Vanishing gradients: a deep sigmoid network against a deep ReLU network.

    python examples/vanishing_gradients.py

Both nets have 10 hidden layers of 32 units (Xavier init for sigmoid, He init for ReLU) and
train on the digits with the same SGD. A
GradientMonitor records each layer's gradient norm. Backprop multiplies by sigma'(z) <= 1/4 at
every sigmoid layer, so the first layers of the sigmoid net get gradients orders of magnitude
smaller than its last ones, and barely learn; ReLU's derivative is 1 where the unit is active,
so its gradients keep their size. The script prints the norms and the first/last ratio, and
writes the bars to runs/examples/vanishing_gradients/gradient_flow.png.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import descentlab as dl
import descentlab.nn as nn
import descentlab.optim as optim
from descentlab.data import digits, train_val_test_split
from descentlab.train import GradientMonitor, fit


def deep_net(activation, depth: int, width: int) -> nn.Sequential:
    """``depth`` hidden layers, each initialised as its activation wants (Xavier for sigmoid,
    He for ReLU), so the difference left is the activation's derivative."""
    layers = [nn.Linear(64, width), activation()]
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), activation()]
    model = nn.Sequential(*layers, nn.Linear(width, 10))
    for module in model:
        if isinstance(module, nn.Linear):
            if activation is nn.ReLU:
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            else:
                nn.init.xavier_normal_(module.weight)
            nn.init.zeros_(module.bias)
    return model


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--depth", type=int, default=10)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--out", default="runs/examples/vanishing_gradients")
    args = ap.parse_args(argv)
    X, y = digits()
    split = train_val_test_split(X, y, val=0.2, test=0.0, seed=0)
    norms, ratios, accs = {}, {}, {}
    for name, act in (("sigmoid", nn.Sigmoid), ("relu", nn.ReLU)):
        dl.manual_seed(0)
        model = deep_net(act, args.depth, args.width)
        monitor = GradientMonitor()
        opt = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
        h = fit(
            model,
            "cross_entropy",
            opt,
            split.train,
            split.val,
            epochs=args.epochs,
            batch_size=32,
            seed=0,
            callbacks=[monitor],
        )
        layer_norms = monitor.layer_norms(epoch=0)  # first epoch: before anything adapts
        norms[name] = {f"layer {i + 1}": v for i, v in enumerate(layer_norms.values())}
        values = list(layer_norms.values())
        ratios[name] = values[0] / values[-1]
        accs[name] = h.last("val_acc")
        print(
            f"{name:>8}: gradient norm of layer 1 / layer {len(values)} = {ratios[name]:.1e}, "
            f"val acc after {args.epochs} epochs {accs[name]:.1%}"
        )
        print("          " + " ".join(f"{v:.1e}" for v in values))

    from descentlab.viz import plot_gradient_flow

    plot = Path(args.out) / "gradient_flow.png"
    plot_gradient_flow(
        norms, plot, title=f"{args.depth} hidden layers: mean gradient norm per layer, first epoch"
    )
    print(f"plot: {plot}")
    return {"norms": norms, "ratio": ratios, "val_acc": accs, "plot": plot}


if __name__ == "__main__":
    main()
