"""Gradient checking of a whole model (the course's exercise 1).

    python examples/gradient_check.py

For every parameter theta of a small MLP (in float64), compare backprop's dL/dtheta with the
centred difference (L(theta + eps) - L(theta - eps)) / (2 eps), element by element, and print
the relative error ||analytic - numerical|| / (||analytic|| + ||numerical||) per parameter.
Below 1e-7 is right; around 1e-2 or more is a bug. To show what a bug looks like, the same
check runs on a hand-written NumPy backprop of the network, once correct and once with the
classic mistake (the ReLU's derivative forgotten).
"""

from __future__ import annotations

import argparse

import numpy as np

import descentlab as dl
import descentlab.functional as F
import descentlab.nn as nn
from descentlab.gradcheck import numerical_gradient


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denom) if denom > 0 else 0.0


def check_model(model, X: np.ndarray, y: np.ndarray, eps: float = 1e-6) -> dict[str, float]:
    """Relative error of backprop against centred differences, per named parameter."""
    xt, yt = dl.tensor(X, dtype=np.float64), dl.tensor(y)

    def loss() -> float:
        with dl.no_grad():
            return F.cross_entropy(model(xt), yt).item()

    model.zero_grad()
    F.cross_entropy(model(xt), yt).backward()
    errors = {}
    for name, p in model.named_parameters():
        numerical = numerical_gradient(loss, p.data.numpy(), eps)  # perturbs p in place, restores
        errors[name] = relative_error(p.grad.numpy(), numerical)
    return errors


def manual_backprop(params: dict, X: np.ndarray, y: np.ndarray, bug: bool = False) -> dict:
    """Gradients of mean cross-entropy for x -> relu(x W1^T + b1) W2^T + b2, written by hand."""
    W1, b1, W2, b2 = params["0.weight"], params["0.bias"], params["2.weight"], params["2.bias"]
    z = X @ W1.T + b1
    h = np.maximum(z, 0)
    logits = h @ W2.T + b2
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    d_logits = p.copy()
    d_logits[np.arange(len(y)), y] -= 1
    d_logits /= len(y)
    d_h = d_logits @ W2
    d_z = d_h if bug else d_h * (z > 0)  # the bug: forgetting ReLU's derivative
    return {
        "0.weight": d_z.T @ X,
        "0.bias": d_z.sum(0),
        "2.weight": d_logits.T @ h,
        "2.bias": d_logits.sum(0),
    }


def check_manual(model, X, y, bug: bool, eps: float = 1e-6) -> dict[str, float]:
    params = {n: p.data.numpy() for n, p in model.named_parameters()}
    xt, yt = dl.tensor(X, dtype=np.float64), dl.tensor(y)

    def loss() -> float:
        with dl.no_grad():
            return F.cross_entropy(model(xt), yt).item()

    grads = manual_backprop(params, X, y, bug=bug)
    return {n: relative_error(grads[n], numerical_gradient(loss, params[n], eps)) for n in params}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hidden", type=int, default=16)
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    dl.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((args.n, 4))
    y = rng.integers(0, 3, args.n)

    deep = nn.Sequential(
        nn.Linear(4, args.hidden),
        nn.Tanh(),
        nn.Linear(args.hidden, args.hidden),
        nn.GELU(),
        nn.Linear(args.hidden, 3),
    ).double()
    relu = nn.Sequential(nn.Linear(4, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 3)).double()
    results = {
        "descentlab backprop, 3-layer tanh/GELU MLP": check_model(deep, X, y),
        "descentlab backprop, 2-layer ReLU MLP": check_model(relu, X, y),
        "hand-written NumPy backprop (correct)": check_manual(relu, X, y, bug=False),
        "hand-written NumPy backprop (ReLU derivative forgotten)": check_manual(
            relu, X, y, bug=True
        ),
    }
    for title, errors in results.items():
        worst = max(errors.values())
        verdict = "OK" if worst < 1e-7 else "WRONG"
        print(f"{title}: {verdict} (worst relative error {worst:.1e})")
        for name, err in errors.items():
            print(f"    {name:<10} {err:.2e}")
    return results


if __name__ == "__main__":
    main()
