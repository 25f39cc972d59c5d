"""Activation functions, their derivatives, saturation, and ReLU units that die.

For each activation ``a`` the page plots ``a(x)`` and ``a'(x)``, the derivative taken by the
engine's ``backward`` on a grid (no hand-written derivative): sigmoid' = s(1 - s) peaks at 1/4,
tanh' = 1 - tanh^2 peaks at 1, both vanish for large |x| (saturation); ReLU' is 1 for x > 0 and
0 otherwise (0 at x = 0, as in PyTorch); Leaky ReLU' is 1 or the slope 0.01; GELU' dips slightly
below 0 near x = -0.75.

Dying ReLU: a unit whose pre-activation is negative for every example outputs 0 and gets a zero
gradient for every example, so gradient descent can never revive it. :func:`dead_units` trains
the same small network on the moons with ReLU and with Leaky ReLU (same seed, a deliberately
large learning rate) and counts, after every epoch, the hidden units that are inactive
(pre-activation <= 0) on the whole training set. ReLU's dead units stay dead; Leaky ReLU's units
keep a gradient of 0.01 times the upstream one, so none is stuck.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

import descentlab as dl
from descentlab import registry
from descentlab.lab.compute import bounds
from descentlab.lab.compute.seeding import seeded

#: The activations the page compares (names from the registry).
SHOWN = ("sigmoid", "tanh", "relu", "leaky_relu", "gelu")
X_LIMIT = 10.0
MAX_POINTS = 801


@dataclass(frozen=True)
class Curve:
    name: str
    help: str
    x: np.ndarray
    value: np.ndarray
    derivative: np.ndarray

    @property
    def max_derivative(self) -> float:
        return float(self.derivative.max())

    def derivative_at(self, x0: float) -> float:
        return float(np.interp(x0, self.x, self.derivative))


def curve(name: str, low: float = -6.0, high: float = 6.0, points: int = 241) -> Curve:
    """``a(x)`` and ``a'(x)`` on ``points`` evenly spaced x in ``[low, high]`` (float64)."""
    bounds.choice(name, "Activation", SHOWN)
    low = bounds.number(low, "x from", -X_LIMIT, X_LIMIT)
    high = bounds.number(high, "x to", -X_LIMIT, X_LIMIT)
    points = bounds.number(points, "Points", 3, MAX_POINTS, integer=True)
    if not low < high:
        raise ValueError(f"x from must be below x to (received {low:g} and {high:g}).")
    xs = np.linspace(low, high, points)
    x = dl.tensor(xs, dtype="float64", requires_grad=True)
    y = registry.activations.build(name)(x)
    y.sum().backward()
    return Curve(
        name,
        registry.activations.help(name),
        xs,
        y.detach().numpy().copy(),
        np.array(x.grad, dtype=float),
    )


@dataclass(frozen=True)
class DeadUnits:
    """Per epoch (0 = before training) for ``units`` hidden units: ``inactive``, the units whose
    pre-activation is <= 0 on every training example, and ``no_gradient``, the units whose
    incoming weights and bias received exactly zero gradient over the whole epoch."""

    activation: str
    lr: float
    epochs: list[int]
    inactive: list[int]
    no_gradient: list[int]
    units: int
    final_accuracy: float


def dead_units(
    activation: str, lr: float = 4.0, epochs: int = 20, seed: int = 0, width: int = 32
) -> DeadUnits:
    """Train Linear(2, width) -> act -> Linear(width, 2) on 200 moons with SGD (batches of 10)
    and count inactive and gradient-free hidden units after every epoch.

    With a learning rate as large as the default, a few updates push many ReLU units to a
    negative pre-activation on every example; from then on their gradient is exactly 0 and they
    never change again (dead). Leaky ReLU's inactive units still get 0.01 times the gradient, so
    none is gradient-free and each can still move.
    """
    bounds.choice(activation, "Activation", ("relu", "leaky_relu"))
    lr = bounds.number(lr, "Learning rate", 0.0, 10.0, open_low=True)
    epochs = bounds.number(epochs, "Epochs", 1, 200, integer=True)
    width = bounds.number(width, "Hidden units", 1, 64, integer=True)
    seed = bounds.number(seed, "Seed", 0, 2**31 - 1, integer=True)
    from descentlab import nn, optim
    from descentlab.data import moons
    from descentlab.functional import cross_entropy

    X, y = moons(200, noise=0.2, seed=seed)
    act = partial(registry.activations.build, activation)
    model = seeded(seed, lambda: nn.Sequential(nn.Linear(2, width), act(), nn.Linear(width, 2)))
    hidden = model[0]
    opt = optim.SGD(model.parameters(), lr=lr)
    xt = dl.tensor(X)

    def inactive() -> int:
        with dl.no_grad():
            pre = hidden(xt).detach().numpy()
        return int(np.sum(np.all(pre <= 0, axis=0)))

    counts, silent = [inactive()], [0]
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        moved = np.zeros(width)
        for idx in np.array_split(rng.permutation(len(X)), 20):
            opt.zero_grad()
            cross_entropy(model(dl.tensor(X[idx])), y[idx]).backward()
            gw = np.abs(np.asarray(hidden.weight.grad, dtype=np.float64)).sum(axis=1)
            moved += gw + np.abs(np.asarray(hidden.bias.grad, dtype=np.float64))
            opt.step()
        counts.append(inactive())
        silent.append(int(np.sum(moved == 0)))
    with dl.no_grad():
        acc = float(np.mean(model(xt).detach().numpy().argmax(1) == y))
    return DeadUnits(activation, lr, list(range(epochs + 1)), counts, silent, width, acc)


__all__ = ["SHOWN", "Curve", "DeadUnits", "curve", "dead_units"]
