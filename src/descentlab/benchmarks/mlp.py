"""Training speed of an MLP 784-512-256-10 (ReLU, cross-entropy, SGD momentum 0.9, batch 128).

descentlab (``nn.Sequential`` + ``nn.CrossEntropyLoss`` + ``optim.SGD``), PyTorch and a
hand-written NumPy version of the same network start from the same float32 weights and
train on the same synthetic batch. The NumPy version writes the forward pass, the backward
pass and the momentum update out by hand, allocating little: it is what NumPy's float32
GEMM allows, so descentlab's distance to it is the autograd overhead.

Run: ``descentlab bench --only mlp``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from descentlab.benchmarks.common import (
    StepFn,
    build_steps,
    module_step,
    torch_or_none,
)

NAME = "mlp"
SIZES = (784, 512, 256, 10)
BATCH = 128
LR = 0.01
MOMENTUM = 0.9
TITLE = (
    f"MLP {'-'.join(map(str, SIZES))}, ReLU, cross-entropy, SGD momentum {MOMENTUM}, "
    f"batch {BATCH}, float32"
)
SAMPLES_PER_STEP = BATCH
SPEED_TARGETS = {"numpy": 0.97, "pytorch": 1.05}
MEMORY_TARGETS = {"pytorch": 1.2}
REPEATS = 7

# The small network trained in the memory subprocess before measuring (same layer kinds).
_SMALL = ((32, 16, 16, 10), 8)


def synthetic_batch(
    sizes: tuple[int, ...] = SIZES, batch: int = BATCH, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (batch, sizes[0]) from N(0, 1) as float32 and labels (batch,) as int64."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], batch, dtype=np.int64)
    return x, y


def initial_weights(sizes: tuple[int, ...] = SIZES, seed: int = 1) -> list[np.ndarray]:
    """[W1 (out, in), b1, W2, b2, ...] float32, drawn as PyTorch's Linear does.

    W and b ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform with a = sqrt(5)).
    """
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return params


def build_mlp(nn: Any, sizes: tuple[int, ...]) -> Any:
    """Linear layers with ReLU between them, from ``descentlab.nn`` or ``torch.nn``."""
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def descentlab_step(sizes: tuple[int, ...] = SIZES, batch: int = BATCH) -> StepFn:
    import descentlab as dl
    from descentlab import nn, optim

    model = build_mlp(nn, sizes)
    model.load_state_dict(dict(zip(model.state_dict(), initial_weights(sizes))))
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, y = synthetic_batch(sizes, batch)
    xs, ys = dl.tensor(x), dl.tensor(y)
    return module_step(model, loss_fn, opt, xs, ys)


def numpy_loss_and_grads(
    weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray, y: np.ndarray
) -> tuple[float, list[np.ndarray]]:
    """Mean softmax cross-entropy of the ReLU MLP on (x, y) and [gW1, gb1, gW2, gb2, ...].

    Written out by hand, allocating little: the floor NumPy's float32 GEMM allows.
    """
    batch, depth = len(x), len(weights)
    rows = np.arange(batch)
    acts = [x]
    for i, (w, b) in enumerate(zip(weights, biases)):
        z = acts[-1] @ w.T
        z += b
        if i < depth - 1:
            np.maximum(z, 0, out=z)
        acts.append(z)
    # Softmax cross-entropy, mean over the batch; its gradient is (softmax - onehot) / n.
    z = acts.pop()
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    total = e.sum(axis=1, keepdims=True)
    loss = float(np.log(total[:, 0]).mean() - z[rows, y].mean())
    e /= total
    e[rows, y] -= 1.0
    e *= 1.0 / batch
    grad = e
    grads: list[np.ndarray] = []
    for i in range(depth - 1, -1, -1):
        a = acts[i]
        grads += [grad.sum(axis=0), grad.T @ a]
        if i:
            grad = grad @ weights[i]
            grad *= a > 0  # ReLU: the activation a is positive exactly where it passed
    grads.reverse()  # now [gW1, gb1, gW2, gb2, ...]
    return loss, grads


def numpy_step(sizes: tuple[int, ...] = SIZES, batch: int = BATCH) -> StepFn:
    """Forward, backward and SGD-momentum update written out by hand (any depth)."""
    params = initial_weights(sizes)
    weights, biases = params[0::2], params[1::2]
    buffers = [np.zeros_like(p) for p in params]  # mu * 0 + g = g: torch's first step
    x, y = synthetic_batch(sizes, batch)

    def step() -> float:
        loss, grads = numpy_loss_and_grads(weights, biases, x, y)
        for p, g, buf in zip(params, grads, buffers):
            buf *= MOMENTUM
            buf += g
            p -= LR * buf
        return loss

    return step


def torch_step(sizes: tuple[int, ...] = SIZES, batch: int = BATCH) -> StepFn | None:
    torch = torch_or_none()
    if torch is None:
        return None
    model = build_mlp(torch.nn, sizes)
    with torch.no_grad():
        for p, value in zip(model.parameters(), initial_weights(sizes)):
            p.copy_(torch.from_numpy(value))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, y = synthetic_batch(sizes, batch)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    return module_step(model, loss_fn, opt, xs, ys)


BUILDERS = {"descentlab": descentlab_step, "numpy": numpy_step, "pytorch": torch_step}


def make_steps(frameworks: Iterable[str] | None = None, small: bool = False) -> dict[str, StepFn]:
    """framework -> one training step, for those asked (default all) that are installed.

    ``small`` builds a small network of the same layers (the memory benchmark's warm-up).
    """
    sizes, batch = _SMALL if small else (SIZES, BATCH)
    return build_steps(BUILDERS, frameworks, sizes, batch)
