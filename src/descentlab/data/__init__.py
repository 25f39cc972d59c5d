"""Datasets and batching: toy 2-D problems, the 8x8 digits, seeded splits and a DataLoader."""

from descentlab.data.datasets import (
    blobs,
    circles,
    digits,
    moons,
    spirals,
    xor,
)
from descentlab.data.loader import DataLoader
from descentlab.data.splits import Splits, train_val_test_split

__all__ = [
    "DataLoader",
    "Splits",
    "blobs",
    "circles",
    "digits",
    "moons",
    "spirals",
    "train_val_test_split",
    "xor",
]
