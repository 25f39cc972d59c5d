"""Vanishing (and exploding) gradients: the gradient's size at every layer of a deep network.

The network is ``depth`` hidden layers ``Linear(width) -> activation`` and a ``Linear`` to two
logits, applied to a batch of the two-spirals dataset with the softmax cross-entropy loss. One
backward pass gives ``dL/dW_l`` for every layer ``l``; the page shows the Frobenius norm
``||dL/dW_l||`` per layer. By the chain rule the gradient reaching layer ``l`` is a product of
one factor ``W_k^T diag(act'(z_k))`` per layer above it: with the sigmoid, ``act' <= 1/4``, so
each factor shrinks the gradient and the first layers barely learn; ReLU's derivative is 1
where active, and an initialisation scaled to the layer's width (He for ReLU, Xavier for tanh)
keeps the factors near 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import descentlab as dl
from descentlab import registry
from descentlab.lab.compute import bounds
from descentlab.lab.compute.seeding import seeded

__all__ = ["ACTIVATIONS", "INITS", "MAX_DEPTH", "MAX_WIDTH", "LayerGradients", "layer_gradients"]

#: every activation of the registry, so the page offers what a config or the CLI accepts
ACTIVATIONS = tuple(registry.activations.names())
INITS = {
    "default": "PyTorch's default for Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in))",
    "xavier": "Xavier (Glorot) normal, with the activation's gain (1 where torch has none)",
    "he": "He (Kaiming) normal, fan_in, for ReLU",
    "small": "normal with standard deviation 0.01",
    "large": "normal with standard deviation 1",
}
MAX_DEPTH = 30
MAX_WIDTH = 64
BATCH = 256


@dataclass(frozen=True)
class LayerGradients:
    """Per layer (1 = next to the input, ``depth + 1`` = the output layer): the gradient norm
    ``||dL/dW_l||``, and the standard deviation of the layer's output (after the activation;
    the logits for the last)."""

    layers: list[int]
    grad_norms: list[float]
    activation_std: list[float]
    loss: float

    @property
    def ratio(self) -> float:
        """``||dL/dW_1|| / ||dL/dW_out||``: how much smaller the first layer's gradient is."""
        last = self.grad_norms[-1]
        return self.grad_norms[0] / last if last > 0 else math.nan


def _check_int(name: str, value: object, lo: int, hi: int) -> int:
    return bounds.number(value, name, lo, hi, integer=True)


def _gain(activation: str) -> float:
    """torch's recommended gain, or 1 for the activations it gives none (gelu, elu...)."""
    from descentlab import nn

    try:
        return nn.init.calculate_gain(activation)
    except ValueError:
        return 1.0


def _initialise(model, activation: str, init: str) -> None:
    from descentlab import nn

    if init == "default":
        return
    for module in model.modules():
        if not isinstance(module, nn.Linear):
            continue
        if init == "xavier":
            nn.init.xavier_normal_(module.weight, gain=_gain(activation))
        elif init == "he":
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
        else:
            nn.init.normal_(module.weight, 0.0, 0.01 if init == "small" else 1.0)
        nn.init.zeros_(module.bias)


def layer_gradients(
    depth: int = 10,
    activation: str = "sigmoid",
    init: str = "default",
    width: int = 32,
    seed: int = 0,
) -> LayerGradients:
    """One forward and backward pass of the deep network; the gradient norm of every layer.

    Args:
        depth: hidden layers, 1..30.
        activation: a name of :data:`ACTIVATIONS` (the registry's activations).
        init: a key of :data:`INITS`.
        width: neurons per hidden layer, 2..64.
        seed: seeds the weights and the data.

    Raises:
        ValueError: an argument out of its range, in one sentence.
    """
    from descentlab import nn, registry
    from descentlab.data import spirals

    depth = _check_int("The depth", depth, 1, MAX_DEPTH)
    width = _check_int("The width", width, 2, MAX_WIDTH)
    seed = _check_int("The seed", seed, 0, 10**6)
    activation = bounds.choice(activation, "The activation", ACTIVATIONS)
    init = bounds.choice(init, "The initialisation", INITS)

    def build():
        layers = []
        fan_in = 2
        for _ in range(depth):
            layers += [nn.Linear(fan_in, width), registry.activations.build(activation)]
            fan_in = width
        layers.append(nn.Linear(fan_in, 2))
        model = nn.Sequential(*layers)
        _initialise(model, activation, init)
        return model

    model = seeded(seed, build)
    X, y = spirals(n=BATCH, noise=0.1, seed=seed)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    outputs = []
    h = dl.tensor(X)
    with np.errstate(all="ignore"):
        for module in model:
            h = module(h)
            if not isinstance(module, nn.Linear) or module is linears[-1]:
                outputs.append(float(h._data.std()))
        loss = dl.functional.cross_entropy(h, dl.tensor(y))
        loss.backward()
    norms = [float(np.linalg.norm(m.weight._grad._data)) for m in linears]
    return LayerGradients(list(range(1, len(linears) + 1)), norms, outputs, float(loss.item()))
