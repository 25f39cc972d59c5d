"""Training-step time of a 2-16-16-1 tanh MLP on 100 moons points (full batch, MSE, SGD).

descentlab, PyTorch and a hand-written NumPy version of the same network train from the
same initial weights, interleaved in one process (round-robin repeats, best of each), so
machine noise hits all three alike. At this size the time is per-op overhead, not
arithmetic. Run: ``descentlab bench --only tiny_mlp``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from descentlab.benchmarks.common import StepFn, build_steps, torch_or_none

NAME = "tiny_mlp"
LR = 0.05
SIZES = (2, 16, 16, 1)
POINTS = 100
TITLE = f"tiny MLP 2-16-16-1 tanh, {POINTS} moons points, full batch, MSE, SGD lr {LR}"
SAMPLES_PER_STEP = POINTS
# The targets: a step in at most 0.3x PyTorch's time and 1.8x hand-written NumPy's.
SPEED_TARGETS = {"numpy": 1 / 1.8, "pytorch": 1 / 0.3}
MEMORY_TARGETS: dict[str, float] = {}
REPEATS = 7


def moons_data() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_moons

    x, y = make_moons(POINTS, noise=0.1, random_state=0)
    return x.astype(np.float32), y.astype(np.float32).reshape(-1, 1)


def initial_weights(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return params


def descentlab_step(x: np.ndarray, y: np.ndarray) -> StepFn:
    import descentlab as dl
    import descentlab.functional as F

    params = [dl.tensor(p, requires_grad=True) for p in initial_weights()]
    xs, ys = dl.tensor(x), dl.tensor(y)
    opt = dl.optim.SGD(params, lr=LR)

    def step() -> float:  # the same program as torch_step below
        w1, b1, w2, b2, w3, b3 = params
        h = F.linear(xs, w1, b1).tanh()
        h = F.linear(h, w2, b2).tanh()
        loss = F.mse_loss(F.linear(h, w3, b3), ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def numpy_step(x: np.ndarray, y: np.ndarray) -> StepFn:
    w1, b1, w2, b2, w3, b3 = initial_weights()
    n = len(x)

    def step() -> float:
        h1 = np.tanh(x @ w1.T + b1)
        h2 = np.tanh(h1 @ w2.T + b2)
        out = h2 @ w3.T + b3
        diff = out - y
        loss = float((diff * diff).mean())
        d_out = diff * (2.0 / n)
        d_h2 = (d_out @ w3) * (1 - h2 * h2)
        d_h1 = (d_h2 @ w2) * (1 - h1 * h1)
        grads = (d_h1.T @ x, d_h1.sum(0), d_h2.T @ h1, d_h2.sum(0), d_out.T @ h2, d_out.sum(0))
        for p, g in zip((w1, b1, w2, b2, w3, b3), grads):
            p -= LR * g
        return loss

    return step


def torch_step(x: np.ndarray, y: np.ndarray) -> StepFn | None:
    torch = torch_or_none()
    if torch is None:
        return None
    params = [torch.tensor(p, requires_grad=True) for p in initial_weights()]
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.SGD(params, lr=LR)
    fn = torch.nn.functional

    def step() -> float:
        w1, b1, w2, b2, w3, b3 = params
        h = torch.tanh(fn.linear(xs, w1, b1))
        h = torch.tanh(fn.linear(h, w2, b2))
        loss = fn.mse_loss(fn.linear(h, w3, b3), ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


BUILDERS = {"descentlab": descentlab_step, "numpy": numpy_step, "pytorch": torch_step}


def make_steps(frameworks: Iterable[str] | None = None, small: bool = False) -> dict[str, StepFn]:
    """framework -> one training step, for those asked (default all) that are installed.

    The network is already small: ``small`` changes nothing (it is accepted so that every
    benchmark module has the same interface).
    """
    return build_steps(BUILDERS, frameworks, *moons_data())
