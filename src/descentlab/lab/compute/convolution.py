"""Convolution, one position at a time: a kernel sliding over a small image.

A convolutional layer (PyTorch's and descentlab's ``conv2d`` is a cross-correlation) computes,
for an input ``x`` of shape (H, W) and a kernel ``k`` of shape (K, K), with stride ``s`` and
zero padding ``p``::

    out[i, j] = sum_{a, b} k[a, b] * x_pad[i*s + a, j*s + b]        0 <= a, b < K
    out has shape (H_out, W_out), H_out = floor((H + 2p - K) / s) + 1

The window ``x_pad[i*s : i*s+K, j*s : j*s+K]`` is output (i, j)'s *receptive field*. The same
K*K weights (+1 bias) are used at every position: *parameter sharing*. A dense layer mapping the
same H*W inputs to the same H_out*W_out outputs needs H*W*H_out*W_out weights + H_out*W_out
biases. The output map comes from :func:`descentlab.functional.conv2d`; the per-position
products are the same sum written out, so the page can show each term.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import descentlab as dl
import descentlab.functional as F
from descentlab.lab.compute import bounds

#: Images the page offers (8x8, values in [0, 1]).
IMAGES = ("digit", "vertical bar", "square", "checkerboard", "gradient")

#: Kernels the page offers (3x3).
KERNELS: dict[str, list[list[float]]] = {
    "vertical edge": [[1, 0, -1], [1, 0, -1], [1, 0, -1]],
    "horizontal edge": [[1, 1, 1], [0, 0, 0], [-1, -1, -1]],
    "blur": [[1 / 9] * 3] * 3,
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
}

MAX_WEIGHT = 100.0


def make_image(name: str) -> np.ndarray:
    """One of :data:`IMAGES` as an (8, 8) float64 array."""
    bounds.choice(name, "Image", IMAGES)
    img = np.zeros((8, 8))
    if name == "digit":  # a hand-drawn 7
        img[1, 1:7] = 1.0
        for r, c in ((2, 6), (3, 5), (4, 4), (5, 4), (6, 3)):
            img[r, c] = 1.0
    elif name == "vertical bar":
        img[:, 3:5] = 1.0
    elif name == "square":
        img[2:6, 2:6] = 1.0
    elif name == "checkerboard":
        img = (np.add.outer(np.arange(8), np.arange(8)) % 2).astype(float)
    else:
        img = np.tile(np.linspace(0.0, 1.0, 8), (8, 1))
    return img


@dataclass(frozen=True)
class Convolution:
    """Everything the page shows for one image, kernel, stride and padding."""

    image: np.ndarray  # (H, W)
    padded: np.ndarray  # (H + 2p, W + 2p)
    kernel: np.ndarray  # (K, K)
    output: np.ndarray  # (H_out, W_out), from F.conv2d
    stride: int
    padding: int

    @property
    def positions(self) -> int:
        return self.output.size

    def window(self, i: int, j: int) -> tuple[int, int, np.ndarray]:
        """Output (i, j)'s receptive field: (top row, left column, the K x K window) in padded
        coordinates."""
        k = self.kernel.shape[0]
        top, left = i * self.stride, j * self.stride
        return top, left, self.padded[top : top + k, left : left + k]

    def terms(self, i: int, j: int) -> np.ndarray:
        """The K x K products kernel * window whose sum is ``output[i, j]``."""
        return self.kernel * self.window(i, j)[2]

    def position(self, index: int) -> tuple[int, int]:
        """The ``index``-th output position in reading order (row by row)."""
        return divmod(index % self.positions, self.output.shape[1])


def convolve(image: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0):
    """Run ``F.conv2d`` on one single-channel image and keep what the page shows."""
    image = np.asarray(image, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    stride = bounds.number(stride, "Stride", 1, 3, integer=True)
    padding = bounds.number(padding, "Padding", 0, 2, integer=True)
    k = kernel.shape[0]
    if image.shape[0] + 2 * padding < k or image.shape[1] + 2 * padding < k:
        raise ValueError(f"Kernel size {k} is larger than the padded image.")
    x = dl.tensor(image[None, None], dtype="float64")
    w = dl.tensor(kernel[None, None], dtype="float64")
    out = F.conv2d(x, w, stride=stride, padding=padding).detach().numpy()[0, 0]
    padded = np.pad(image, padding)
    return Convolution(image, padded, kernel, out, stride, padding)


def parse_kernel(rows: list) -> np.ndarray:
    """A 3x3 kernel typed in the page (nine numbers within +-MAX_WEIGHT)."""
    if not isinstance(rows, list) or len(rows) != 3:
        raise ValueError("The kernel must be 3 rows of 3 numbers.")
    values = []
    for r, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != 3:
            raise ValueError("The kernel must be 3 rows of 3 numbers.")
        for c, v in enumerate(row):
            values.append(
                bounds.number(v, f"Kernel weight ({r + 1}, {c + 1})", -MAX_WEIGHT, MAX_WEIGHT)
            )
    return np.array(values).reshape(3, 3)


def parameter_counts(h: int, w: int, k: int, h_out: int, w_out: int) -> dict[str, int]:
    """Weights + biases of one conv channel against a dense layer with the same inputs/outputs."""
    return {
        "conv": k * k + 1,
        "dense": h * w * h_out * w_out + h_out * w_out,
    }


__all__ = [
    "IMAGES",
    "KERNELS",
    "Convolution",
    "convolve",
    "make_image",
    "parameter_counts",
    "parse_kernel",
]
