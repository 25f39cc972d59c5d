"""One epoch of ``descentlab.train.fit`` against a hand-written NumPy loop and a PyTorch loop.

The network is the default example's: MLP 64-128-64-10 (ReLU) on scikit-learn's 8x8 digits
(the 80 % training split, 1,437 images), cross-entropy, Adam lr 1e-3, batch 32, reshuffled
every epoch, float32. One step of this benchmark is one run of EPOCHS (5) epochs, so that
``fit``'s set-up (its loader, callbacks and the progress bar's first and last drawing, about
10 ms) counts once per run, as in a user's run:

- descentlab: ``fit`` with its live progress bar drawn (to an in-memory terminal, so
  drawing costs what it costs on a screen), accuracy, gradient-norm tracking and the
  divergence guard on: what ``descentlab train`` runs;
- numpy: the same epochs written by hand (forward, backward and Adam update), the floor;
- pytorch: the same network and steps in a plain loop.

All three draw the same permutations and start from the same weights, so their epoch losses
agree. Run: ``descentlab bench --only fit``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import numpy as np

from descentlab.benchmarks.common import StepFn, build_steps, torch_or_none
from descentlab.benchmarks.mlp import build_mlp, initial_weights, numpy_loss_and_grads

NAME = "fit"
SIZES = (64, 128, 64, 10)
BATCH = 32
LR = 1e-3
BETAS = (0.9, 0.999)
EPS = 1e-8
SEED = 0
TRAIN_SIZE = 1437  # 80 % of the 1,797 digits
EPOCHS = 5
TITLE = (
    f"fit, {EPOCHS} epochs: MLP {'-'.join(map(str, SIZES))} on the digits ({TRAIN_SIZE} "
    f"images), Adam lr {LR}, batch {BATCH}, progress bar on"
)
SAMPLES_PER_STEP = EPOCHS * TRAIN_SIZE
# The target: fit's epochs within 1.3x the hand-written loop's time.
SPEED_TARGETS = {"numpy": 1 / 1.3}
MEMORY_TARGETS: dict[str, float] = {}
REPEATS = 7

_SMALL = 64  # images in the isolated worker's warm-up


def digits_train(limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The digits' training split: images (n, 64) float32 in [0, 1], labels (n,) int64."""
    from descentlab.data import digits, train_val_test_split

    X, y = digits()
    X, y = train_val_test_split(X, y, val=0.0, test=0.2, seed=SEED).train
    return (X, y) if limit is None else (X[:limit], y[:limit])


def _permutations():
    """The shuffling generator, seeded as descentlab's DataLoader seeds its own."""
    return np.random.default_rng(SEED)


def descentlab_step(X: np.ndarray, y: np.ndarray) -> StepFn:
    from rich.console import Console

    from descentlab import nn, optim
    from descentlab.data import DataLoader
    from descentlab.train import ProgressBar, fit

    model = build_mlp(nn, SIZES)
    model.load_state_dict(dict(zip(model.state_dict(), initial_weights(SIZES))))
    opt = optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)
    loader = DataLoader(X, y, batch_size=BATCH, shuffle=True, seed=SEED)
    console = Console(file=io.StringIO(), force_terminal=True, width=120)

    def step() -> float:
        console.file = io.StringIO()  # the drawn bar must not pile up over the epochs
        bar = ProgressBar(console=console)
        history = fit(model, "cross_entropy", opt, loader, epochs=EPOCHS, callbacks=[bar])
        return float(history["train_loss"][-1])

    return step


def numpy_step(X: np.ndarray, y: np.ndarray) -> StepFn:
    """The epochs by hand: shuffle, then per batch the MLP's gradients and Adam's update."""
    params = initial_weights(SIZES)
    weights, biases = params[0::2], params[1::2]
    exp_avg = [np.zeros_like(p) for p in params]
    exp_avg_sq = [np.zeros_like(p) for p in params]
    rng = _permutations()
    beta1, beta2 = BETAS
    count = [0]

    def epoch() -> float:
        perm = rng.permutation(len(X))
        xs, ys = X[perm], y[perm]
        loss_sum = 0.0
        for i in range(0, len(xs), BATCH):
            xb, yb = xs[i : i + BATCH], ys[i : i + BATCH]
            loss, grads = numpy_loss_and_grads(weights, biases, xb, yb)
            loss_sum += loss * len(xb)
            count[0] += 1
            t = count[0]
            step_size = LR / (1 - beta1**t)
            root_correction = np.sqrt(1 - beta2**t)
            for p, g, m, v in zip(params, grads, exp_avg, exp_avg_sq):
                m *= beta1
                m += (1 - beta1) * g
                v *= beta2
                v += (1 - beta2) * g * g
                denom = np.sqrt(v)
                denom /= root_correction
                denom += EPS
                p -= step_size * m / denom
        return loss_sum / len(xs)

    return lambda: [epoch() for _ in range(EPOCHS)][-1]


def torch_step(X: np.ndarray, y: np.ndarray) -> StepFn | None:
    torch = torch_or_none()
    if torch is None:
        return None
    model = build_mlp(torch.nn, SIZES)
    with torch.no_grad():
        for p, value in zip(model.parameters(), initial_weights(SIZES)):
            p.copy_(torch.from_numpy(value))
    opt = torch.optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    rng = _permutations()

    def epoch() -> float:
        perm = torch.from_numpy(rng.permutation(len(X)))
        xs, ys = Xt[perm], yt[perm]
        loss_sum = 0.0
        for i in range(0, len(xs), BATCH):
            xb, yb = xs[i : i + BATCH], ys[i : i + BATCH]
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(xb)
        return loss_sum / len(xs)

    return lambda: [epoch() for _ in range(EPOCHS)][-1]


BUILDERS: dict[str, Any] = {
    "descentlab": descentlab_step,
    "numpy": numpy_step,
    "pytorch": torch_step,
}


def make_steps(frameworks: Iterable[str] | None = None, small: bool = False) -> dict[str, StepFn]:
    """framework -> one run of EPOCHS epochs, for those asked (default all) that are installed.

    ``small`` trains on the first 64 images only (the isolated worker's warm-up).
    """
    return build_steps(BUILDERS, frameworks, *digits_train(_SMALL if small else None))
