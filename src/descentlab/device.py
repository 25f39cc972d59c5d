"""Devices as torch names them: descentlab computes on the CPU only.

``device("cpu")``, the string ``"cpu"`` (or ``"cpu:0"``) and None are accepted wherever torch
takes a device; any other device is an error that says so. ``cuda.is_available()`` and the
other accelerator checks are False, so the usual
``"cuda" if torch.cuda.is_available() else "cpu"`` picks the CPU.

>>> import descentlab as dl
>>> dl.device("cpu"), dl.cuda.is_available()
(device(type='cpu'), False)
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


class device:  # noqa: N801 - torch's name
    """A device, as ``torch.device``; only ``"cpu"`` can hold tensors here."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu', received {type!r}")
        name, _, number = type.partition(":")
        if number:
            if index is not None:
                raise ValueError(f"device: index given twice: {type!r} and index={index}")
            index = int(number)
        self.type = name
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


def check_device(value: Any, where: str) -> None:
    """Accept None, "cpu", "cpu:0" or device("cpu"); raise for anything else."""
    if value is None:
        return
    if isinstance(value, str | device):
        d = device(value)
        if d.type == "cpu" and d.index in (None, 0):
            return
        received = str(d)
    else:
        received = repr(value)
    raise RuntimeError(
        f"{where}: descentlab runs on the CPU only, expected device 'cpu', received {received!r}"
    )


def _false() -> bool:
    return False


def _zero() -> int:
    return 0


def _no_seed(seed: int) -> None:
    """There is no CUDA generator to seed, as in a CPU build of torch: nothing to do."""


cuda = SimpleNamespace(
    is_available=_false,
    device_count=_zero,
    manual_seed=_no_seed,
    manual_seed_all=_no_seed,
)
backends = SimpleNamespace(
    mps=SimpleNamespace(is_available=_false, is_built=_false),
    cuda=SimpleNamespace(is_built=_false),
)
accelerator = SimpleNamespace(is_available=_false, current_accelerator=lambda: None)
