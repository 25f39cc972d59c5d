"""Training speed of a LeNet-style CNN on 1x28x28 inputs, batch 64, float32.

conv 1->6 5x5 pad 2, ReLU, maxpool 2, conv 6->16 5x5, ReLU, maxpool 2, flatten,
400->120, ReLU, 120->84, ReLU, 84->10; cross-entropy; SGD momentum 0.9.

descentlab (``nn.Conv2d``/``nn.MaxPool2d``/``nn.Flatten``/``nn.Linear``), PyTorch and a
straightforward hand-written NumPy version (im2col: one GEMM per convolution over a strided
window view; col2im as one slice-add per kernel offset; pooling by reshape) start from the
same weights and train on the same synthetic batch.

Run: ``descentlab bench --only cnn``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from descentlab.benchmarks.common import (
    StepFn,
    build_steps,
    module_step,
    torch_or_none,
)

NAME = "cnn"
BATCH = 64
LR = 0.01
MOMENTUM = 0.9
# (out_channels, in_channels, kernel, padding) of the two convolutions; then the Linears.
CONVS = ((6, 1, 5, 2), (16, 6, 5, 0))
FCS = (400, 120, 84, 10)
TITLE = (
    f"LeNet CNN 1x28x28 (conv 6@5x5 pad 2, pool 2, conv 16@5x5, pool 2, 400-120-84-10), "
    f"ReLU, cross-entropy, SGD momentum {MOMENTUM}, batch {BATCH}, float32"
)
SAMPLES_PER_STEP = BATCH
SPEED_TARGETS = {"pytorch": 1.0}
MEMORY_TARGETS = {"pytorch": 1.2}
REPEATS = 7

_SMALL_BATCH = 2  # the memory subprocess's warm-up batch


def synthetic_batch(batch: int = BATCH, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Images (batch, 1, 28, 28) from N(0, 1) as float32 and labels (batch,) as int64."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, FCS[-1], batch, dtype=np.int64)
    return x, y


def initial_weights(seed: int = 1) -> list[np.ndarray]:
    """[conv1 W (6,1,5,5), b, conv2 W (16,6,5,5), b, fc1 W (120,400), b, fc2 ..., fc3 ...].

    Every weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default.
    """
    rng = np.random.default_rng(seed)
    shapes = [((o, c, k, k), c * k * k) for o, c, k, _ in CONVS]
    shapes += [((fan_out, fan_in), fan_in) for fan_in, fan_out in zip(FCS[:-1], FCS[1:])]
    params = []
    for shape, fan_in in shapes:
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, shape).astype(np.float32))
        params.append(rng.uniform(-bound, bound, shape[0]).astype(np.float32))
    return params


def build_lenet(nn: Any) -> Any:
    """The LeNet of this benchmark, from ``descentlab.nn`` or ``torch.nn`` (same names)."""
    (o1, c1, k1, p1), (o2, c2, k2, p2) = CONVS
    return nn.Sequential(
        nn.Conv2d(c1, o1, k1, padding=p1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(c2, o2, k2, padding=p2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(FCS[0], FCS[1]),
        nn.ReLU(),
        nn.Linear(FCS[1], FCS[2]),
        nn.ReLU(),
        nn.Linear(FCS[2], FCS[3]),
    )


def descentlab_step(batch: int = BATCH) -> StepFn:
    import descentlab as dl
    from descentlab import nn, optim

    model = build_lenet(nn)
    model.load_state_dict(dict(zip(model.state_dict(), initial_weights())))
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, y = synthetic_batch(batch)
    xs, ys = dl.tensor(x), dl.tensor(y)
    return module_step(model, loss_fn, opt, xs, ys)


# ------------------------------------------------------------- hand-written NumPy
def _conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, pad: int):
    """x (N, C, H, W) * w (O, C, K, K) -> (N, O, OH, OW), and the im2col matrix."""
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, c = x.shape[:2]
    o, _, k, _ = w.shape
    win = sliding_window_view(x, (k, k), axis=(2, 3))  # (N, C, OH, OW, K, K), a view
    oh, ow = win.shape[2:4]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * k * k)  # the copy
    out = cols @ w.reshape(o, -1).T
    out += b
    return out.reshape(n, oh, ow, o).transpose(0, 3, 1, 2), cols


def _conv_backward(grad: np.ndarray, cols: np.ndarray, w: np.ndarray, x_shape, pad: int,
                   need_x: bool):  # fmt: skip
    """Gradients of w, b and (if need_x) x from grad (N, O, OH, OW)."""
    n, o, oh, ow = grad.shape
    _, c, k, _ = w.shape
    g2 = grad.transpose(0, 2, 3, 1).reshape(-1, o)
    gw = (g2.T @ cols).reshape(w.shape)
    gb = g2.sum(axis=0)
    if not need_x:
        return gw, gb, None
    gcols = (g2 @ w.reshape(o, -1)).reshape(n, oh, ow, c, k, k)
    h, wd = x_shape[2] + 2 * pad, x_shape[3] + 2 * pad
    gx = np.zeros((n, c, h, wd), dtype=grad.dtype)
    for i in range(k):  # col2im: one slice-add per kernel offset
        for j in range(k):
            gx[:, :, i : i + oh, j : j + ow] += gcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    if pad:
        gx = gx[:, :, pad:-pad, pad:-pad]
    return gw, gb, gx


def _pool_forward(x: np.ndarray):
    """2x2 max pooling by reshape: (N, C, H, W) -> (N, C, H/2, W/2)."""
    n, c, h, w = x.shape
    tiles = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = tiles.max(axis=(3, 5))
    return out, tiles


def _pool_backward(grad: np.ndarray, tiles: np.ndarray, out: np.ndarray) -> np.ndarray:
    # Ties send the gradient to every maximal element; after a ReLU the only ties are
    # zeros, whose gradient the ReLU then stops, so the result equals argmax routing.
    mask = tiles == out[:, :, :, None, :, None]
    gx = mask * grad[:, :, :, None, :, None]
    n, c, h2, _, w2, _ = tiles.shape
    return gx.reshape(n, c, h2 * 2, w2 * 2)


def numpy_step(batch: int = BATCH) -> StepFn:
    params = initial_weights()
    buffers = [np.zeros_like(p) for p in params]
    (w1, b1, w2, b2, w3, b3, w4, b4, w5, b5) = params
    (_, _, _, pad1), (_, _, _, pad2) = CONVS
    x, y = synthetic_batch(batch)
    rows = np.arange(batch)

    def step() -> float:
        # forward
        c1, cols1 = _conv_forward(x, w1, b1, pad1)
        r1 = np.maximum(c1, 0)
        p1, t1 = _pool_forward(r1)
        c2, cols2 = _conv_forward(p1, w2, b2, pad2)
        r2 = np.maximum(c2, 0)
        p2, t2 = _pool_forward(r2)
        f0 = p2.reshape(batch, -1)
        f1 = np.maximum(f0 @ w3.T + b3, 0)
        f2 = np.maximum(f1 @ w4.T + b4, 0)
        z = f2 @ w5.T + b5
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        loss = float(np.log(total[:, 0]).mean() - z[rows, y].mean())
        # backward: softmax cross-entropy, then the layers in reverse
        e /= total
        e[rows, y] -= 1.0
        g = e / batch
        gw5, gb5 = g.T @ f2, g.sum(0)
        g = (g @ w5) * (f2 > 0)
        gw4, gb4 = g.T @ f1, g.sum(0)
        g = (g @ w4) * (f1 > 0)
        gw3, gb3 = g.T @ f0, g.sum(0)
        g = (g @ w3).reshape(p2.shape)
        g = _pool_backward(g, t2, p2) * (r2 > 0)
        gw2, gb2, g = _conv_backward(g, cols2, w2, p1.shape, pad2, need_x=True)
        g = _pool_backward(g, t1, p1) * (r1 > 0)
        gw1, gb1, _ = _conv_backward(g, cols1, w1, x.shape, pad1, need_x=False)
        grads = (gw1, gb1, gw2, gb2, gw3, gb3, gw4, gb4, gw5, gb5)
        for p, grad, buf in zip(params, grads, buffers):
            buf *= MOMENTUM
            buf += grad
            p -= LR * buf
        return loss

    return step


def torch_step(batch: int = BATCH) -> StepFn | None:
    torch = torch_or_none()
    if torch is None:
        return None
    nn = torch.nn
    model = build_lenet(nn)
    with torch.no_grad():
        for p, value in zip(model.parameters(), initial_weights()):
            p.copy_(torch.from_numpy(value))
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, y = synthetic_batch(batch)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    return module_step(model, loss_fn, opt, xs, ys)


BUILDERS = {"descentlab": descentlab_step, "numpy": numpy_step, "pytorch": torch_step}


def make_steps(frameworks: Iterable[str] | None = None, small: bool = False) -> dict[str, StepFn]:
    """framework -> one training step, for those asked (default all) that are installed.

    ``small`` uses a batch of 2 (the memory benchmark's warm-up).
    """
    batch = _SMALL_BATCH if small else BATCH
    return build_steps(BUILDERS, frameworks, batch)
