"""torch.utils.data: Dataset, TensorDataset, Subset, ConcatDataset, random_split, DataLoader.

A :class:`DataLoader` draws indices (in order, or a fresh permutation per pass with
``shuffle=True``), fetches the samples and collates them as torch's ``default_collate``:
tensors and arrays are stacked, Python floats become a float64 tensor and ints an int64
one, and tuples, lists and dicts are collated field by field. A TensorDataset is indexed
with the whole batch at once, which gives the same batches without a per-sample loop.

Shuffled orders come from NumPy's generator (see descentlab.random), so they are
repeatable with a seed but are not the orders torch draws for the same seed.

(descentlab's own ``descentlab.data.DataLoader(X, y, ...)`` is a separate, array-based loader.)

>>> import descentlab as dl
>>> from descentlab.utils.data import DataLoader, TensorDataset
>>> ds = TensorDataset(dl.arange(10.0).reshape(5, 2), dl.arange(5))
>>> [yb.tolist() for _, yb in DataLoader(ds, batch_size=2)]
[[0, 1], [2, 3], [4]]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from descentlab import random as _random
from descentlab.tensor import Tensor, _leaf

__all__ = [
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``."""

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows of tensors that share their first dimension: ``(x[i], y[i])``."""

    def __init__(self, *tensors: Tensor) -> None:
        if any(t.shape[:1] != tensors[0].shape[:1] for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = list(indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after the other."""

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]))

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1]) if self.cumulative_sizes else 0

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = 0 if which == 0 else int(self.cumulative_sizes[which - 1])
        return self.datasets[which][index - start]


def random_split(dataset: Any, lengths: Sequence[float], generator: Any = None) -> list[Subset]:
    """Split into non-overlapping Subsets of the given lengths (or fractions summing to 1).

    Fractions are turned into counts as torch does: floor each, then hand the remainder out
    one by one from the first subset on.
    """
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = _random.numpy_generator(generator).permutation(n).tolist()
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, order[start : start + int(length)]))
        start += int(length)
    return out


def default_collate(batch: list) -> Any:
    """Stack a list of samples into a batch, field by field (torch's default_collate)."""
    first = batch[0]
    if isinstance(first, Tensor):
        from descentlab.functional import stack

        return stack(batch, dim=0)
    if isinstance(first, np.ndarray):
        return _leaf(np.stack(batch))
    if isinstance(first, bool | np.bool_):
        return _leaf(np.asarray(batch, dtype=np.bool_))
    if isinstance(first, int | np.integer):
        return _leaf(np.asarray(batch, dtype=np.int64))
    if isinstance(first, float | np.floating):
        return _leaf(np.asarray(batch, dtype=np.float64))
    if isinstance(first, str | bytes):
        return list(batch)
    if isinstance(first, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, tuple | list):
        if any(len(sample) != len(first) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(column)) for column in zip(*batch)]
        return tuple(fields) if isinstance(first, tuple) else fields
    raise TypeError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(first).__name__}"
    )


class DataLoader:
    """Batches of a dataset, as ``torch.utils.data.DataLoader``.

    Args:
        dataset: anything with ``__getitem__`` and ``__len__``.
        batch_size: samples per batch; None yields the samples one by one, not collated.
        shuffle: a new permutation at every pass, drawn from ``generator`` (or the library's).
        drop_last: drop the last batch if it is smaller than ``batch_size``.
        collate_fn: builds a batch from a list of samples (default: :func:`default_collate`).
        generator: a :class:`descentlab.Generator` for the permutations.
        num_workers, pin_memory: accepted for torch's signature; loading happens in this
            process, which gives the same batches.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool = False,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        generator: Any = None,
        **unsupported: Any,
    ) -> None:
        if unsupported:
            raise TypeError(
                f"DataLoader: {sorted(unsupported)} are torch options descentlab does not have"
            )
        if sampler is not None or batch_sampler is not None:
            raise ValueError(
                "DataLoader: custom samplers are a torch feature descentlab does not have; "
                "use shuffle=True or a Subset"
            )
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.generator = generator
        self.num_workers = num_workers

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if self.shuffle:
            return _random.numpy_generator(self.generator).permutation(n)
        return np.arange(n)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        if self.batch_size is None:
            for i in order.tolist():
                yield self.dataset[i]
            return
        for start in range(0, len(order), self.batch_size):
            index = order[start : start + self.batch_size]
            if self.drop_last and len(index) < self.batch_size:
                return
            yield self._batch(index)

    def _batch(self, index: np.ndarray) -> Any:
        if self.collate_fn is None and type(self.dataset) is TensorDataset:
            return tuple(_leaf(t._data[index]) for t in self.dataset.tensors)
        samples = [self.dataset[i] for i in index.tolist()]
        return (self.collate_fn or default_collate)(samples)
