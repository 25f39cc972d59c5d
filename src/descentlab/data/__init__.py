"""Datasets and batching: toy 2-D problems, the 8x8 digits, seeded splits and a DataLoader."""

from descentlab.data.datasets import (
    DATASET_HELP,
    DATASETS,
    blobs,
    circles,
    digits,
    load_dataset,
    moons,
    spirals,
    xor,
)
from descentlab.data.loader import DataLoader
from descentlab.data.splits import Splits, train_val_test_split

__all__ = [
    "DATASETS",
    "DATASET_HELP",
    "DataLoader",
    "Splits",
    "blobs",
    "circles",
    "digits",
    "load_dataset",
    "moons",
    "spirals",
    "train_val_test_split",
    "xor",
]
