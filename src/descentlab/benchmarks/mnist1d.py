"""Training speed of the MNIST-1D paper's CNN: three Conv1d of 25 channels, batch 100.

The model of Greydanus's MNIST-1D benchmark (``ConvBase``): on signals of length 40,
conv 1->25 k5 stride 2 pad 1, ReLU, conv 25->25 k3 stride 2 pad 1, ReLU, the same again,
ReLU, flatten (25 x 5), linear 125->10; cross-entropy; Adam lr 1e-2, batch 100, trained
for 6,000 steps in the paper. descentlab and PyTorch start from the same weights and train
on the same synthetic batch (the data do not change the time of a step).

Run: ``descentlab bench --only mnist1d``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from descentlab.benchmarks.common import StepFn, build_steps, module_step, torch_or_none

NAME = "mnist1d"
BATCH = 100
LENGTH = 40
CHANNELS = 25
LR = 1e-2
PAPER_STEPS = 6000
# (in_channels, kernel) of the three convolutions; all stride 2, padding 1.
CONVS = ((1, 5), (CHANNELS, 3), (CHANNELS, 3))
TITLE = (
    f"MNIST-1D paper CNN (3 x Conv1d {CHANNELS} channels, stride 2, linear 125-10) on "
    f"length-{LENGTH} signals, Adam lr {LR}, batch {BATCH} ({PAPER_STEPS:,} steps in the paper)"
)
SAMPLES_PER_STEP = BATCH
SPEED_TARGETS = {"pytorch": 1.0}
MEMORY_TARGETS: dict[str, float] = {}
REPEATS = 7

_SMALL_BATCH = 2


def synthetic_batch(batch: int = BATCH, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Signals (batch, 1, 40) from N(0, 1) as float32 and labels (batch,) as int64."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, 1, LENGTH), dtype=np.float32)
    y = rng.integers(0, 10, batch, dtype=np.int64)
    return x, y


def build_model(nn: Any) -> Any:
    """The paper's ConvBase from ``descentlab.nn`` or ``torch.nn`` (same names)."""
    layers: list[Any] = []
    for in_channels, kernel in CONVS:
        layers += [nn.Conv1d(in_channels, CHANNELS, kernel, stride=2, padding=1), nn.ReLU()]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(CHANNELS * 5, 10))


def initial_weights(seed: int = 1) -> list[np.ndarray]:
    """[conv1 W (25, 1, 5), b, conv2 W, b, conv3 W, b, linear W (10, 125), b] float32.

    Every weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default.
    """
    rng = np.random.default_rng(seed)
    shapes = [((CHANNELS, c, k), c * k) for c, k in CONVS] + [((10, CHANNELS * 5), CHANNELS * 5)]
    params = []
    for shape, fan_in in shapes:
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, shape).astype(np.float32))
        params.append(rng.uniform(-bound, bound, shape[0]).astype(np.float32))
    return params


def descentlab_step(batch: int = BATCH) -> StepFn:
    import descentlab as dl
    from descentlab import nn, optim

    model = build_model(nn)
    model.load_state_dict(dict(zip(model.state_dict(), initial_weights())))
    opt = optim.Adam(model.parameters(), lr=LR)
    x, y = synthetic_batch(batch)
    return module_step(model, nn.CrossEntropyLoss(), opt, dl.tensor(x), dl.tensor(y))


def torch_step(batch: int = BATCH) -> StepFn | None:
    torch = torch_or_none()
    if torch is None:
        return None
    model = build_model(torch.nn)
    with torch.no_grad():
        for p, value in zip(model.parameters(), initial_weights()):
            p.copy_(torch.from_numpy(value))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    x, y = synthetic_batch(batch)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    return module_step(model, torch.nn.CrossEntropyLoss(), opt, xs, ys)


BUILDERS = {"descentlab": descentlab_step, "pytorch": torch_step}


def make_steps(frameworks: Iterable[str] | None = None, small: bool = False) -> dict[str, StepFn]:
    """framework -> one training step, for those asked (default all) that are installed.

    ``small`` uses a batch of 2 (the isolated worker's warm-up).
    """
    return build_steps(BUILDERS, frameworks, _SMALL_BATCH if small else BATCH)
