"""Training-step time of a 2-16-16-1 tanh MLP on 100 moons points (full batch, MSE, SGD).

descentlab, PyTorch and a hand-written NumPy version of the same network train from the
same initial weights, interleaved in one process (round-robin repeats, best of each), so
machine noise hits all three alike. Run: ``python bench/bench_tiny_mlp.py`` or
``descentlab bench --only tiny_mlp``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

LR = 0.05
SIZES = (2, 16, 16, 1)


def moons_data() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_moons

    x, y = make_moons(100, noise=0.1, random_state=0)
    return x.astype(np.float32), y.astype(np.float32).reshape(-1, 1)


def initial_weights(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return params


def descentlab_step(x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    import descentlab as dl
    import descentlab.functional as F

    params = [dl.tensor(p, requires_grad=True) for p in initial_weights()]
    xs, ys = dl.tensor(x), dl.tensor(y)

    def step() -> float:
        w1, b1, w2, b2, w3, b3 = params
        h = F.linear(xs, w1, b1).tanh()
        h = F.linear(h, w2, b2).tanh()
        loss = F.mse_loss(F.linear(h, w3, b3), ys)
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
            p.grad = None
        return float(loss.data)

    return step


def numpy_step(x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
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


def torch_step(x: np.ndarray, y: np.ndarray) -> Callable[[], float] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    params = [torch.tensor(p, requires_grad=True) for p in initial_weights()]
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.SGD(params, lr=LR)

    def step() -> float:
        w1, b1, w2, b2, w3, b3 = params
        h = torch.tanh(torch.nn.functional.linear(xs, w1, b1))
        h = torch.tanh(torch.nn.functional.linear(h, w2, b2))
        loss = torch.nn.functional.mse_loss(torch.nn.functional.linear(h, w3, b3), ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def time_interleaved(steps: dict[str, Callable[[], float]], repeats: int = 7,
                     iterations: int = 300) -> dict[str, float]:  # fmt: skip
    """Best seconds per call of each step function, measured round-robin."""
    best = {name: float("inf") for name in steps}
    for fn in steps.values():
        for _ in range(20):
            fn()  # warm up
    for _ in range(repeats):
        for name, fn in steps.items():
            start = time.perf_counter()
            for _ in range(iterations):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / iterations)
    return best


def run(repeats: int = 7, iterations: int = 300) -> dict[str, float]:
    x, y = moons_data()
    steps = {"descentlab": descentlab_step(x, y), "numpy": numpy_step(x, y)}
    torch_fn = torch_step(x, y)
    if torch_fn is not None:
        steps["pytorch"] = torch_fn
    return time_interleaved(steps, repeats, iterations)


def main() -> None:
    times = run()
    ours = times["descentlab"]
    print(f"tiny MLP 2-16-16-1 tanh, 100 moons points, full batch, MSE, SGD lr {LR}")
    for name, seconds in times.items():
        ratio = ours / seconds
        print(f"  {name:<10} {seconds * 1e6:8.1f} us/step   descentlab / {name} = {ratio:5.2f}")

if __name__ == "__main__":
    main()
