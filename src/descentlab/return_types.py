"""The named pairs that torch's reductions along a dim return: ``values, indices``.

>>> import descentlab as dl
>>> values, indices = dl.tensor([[1.0, 5.0], [7.0, 2.0]]).max(1)
>>> indices
tensor([1, 0])
"""

from __future__ import annotations

from typing import Any, NamedTuple


class max(NamedTuple):  # noqa: N801 - torch's name
    values: Any
    indices: Any


class min(NamedTuple):  # noqa: N801
    values: Any
    indices: Any


class sort(NamedTuple):  # noqa: N801
    values: Any
    indices: Any


class topk(NamedTuple):  # noqa: N801
    values: Any
    indices: Any
