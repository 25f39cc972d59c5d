"""A model's size checked against the memory that is free, before anything is allocated.

``model.hidden = [2000000000]`` is a valid list of widths that no machine holds.
:func:`check_model` estimates the bytes a run will hold and raises
:class:`~descentlab.train.config.ConfigError` (one line: the key, what fits, what was asked)
when that exceeds what the machine has free. (Datasets are bounded by ``data.n`` and by the
file reader's limits.)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

from descentlab.train.config import ConfigError

FLOAT_BYTES = 4  # float32 parameters and activations
COPIES = 4  # a weight, its gradient and up to two optimiser buffers (Adam's moments)


def available_bytes() -> int:
    """Memory free for this process: MemAvailable from /proc/meminfo, else free pages."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB"


def _linear_params(widths: Sequence[int]) -> int:
    return sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))


def parameter_count(cfg: dict[str, Any], in_shape: Sequence[int], n_outputs: int) -> int:
    """The number of weights the config's model will have (exact for mlp, linear and cnn)."""
    m = cfg["model"]
    flat = math.prod(in_shape)
    if m["name"] == "linear":
        return _linear_params([flat, n_outputs])
    if m["name"] == "mlp":
        return _linear_params([flat, *m["hidden"], n_outputs])
    c, h, w = (list(in_shape) + [1, 1, 1])[:3]
    total = 0
    for out in m["channels"]:
        total += c * out * 9 + out
        if min(h, w) >= 2:
            h, w = h // 2, w // 2
        c = out
    return total + _linear_params([c * h * w, *m["hidden"], n_outputs])


def check_model(cfg: dict[str, Any], in_shape: Sequence[int], n_outputs: int, n_train: int) -> None:
    """Weights, gradients, optimiser state and one batch of activations must fit in memory.

    The estimate: 4 bytes x (4 copies of every weight + 3 activations per hidden unit per
    example of a batch); ``n_train`` is the batch when ``train.batch_size = "full"``.
    """
    m = cfg["model"]
    widths = [*m.get("channels", []), *m["hidden"]] if m["name"] == "cnn" else m.get("hidden", [])
    if m["name"] == "linear":
        widths = []
    batch = cfg["train"]["batch_size"]
    batch = n_train if batch == "full" else min(batch, n_train)
    need = FLOAT_BYTES * (
        COPIES * parameter_count(cfg, in_shape, n_outputs) + 3 * batch * sum(widths, 0)
    )
    free = available_bytes()
    if need > free:
        key = "model.hidden" if m["name"] != "cnn" else "model.channels / model.hidden"
        raise ConfigError(
            key,
            f"layers that fit in memory ({_gib(free)} free)",
            f"{widths} (about {_gib(need)} of weights, gradients and optimiser state)",
        )
