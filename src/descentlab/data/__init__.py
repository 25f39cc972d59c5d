"""Datasets and batching: toy 2-D problems (and TensorFlow Playground's, with its input
features), the 8x8 digits, seeded splits and a DataLoader."""

from descentlab.data.datasets import (
    blobs,
    circles,
    digits,
    moons,
    spirals,
    xor,
)
from descentlab.data.loader import DataLoader
from descentlab.data.plane import FEATURES, PlaneFeatures, multi_gaussian, plane, quadrants
from descentlab.data.splits import Splits, train_val_test_split

__all__ = [
    "DataLoader",
    "FEATURES",
    "PlaneFeatures",
    "Splits",
    "blobs",
    "circles",
    "digits",
    "moons",
    "multi_gaussian",
    "plane",
    "quadrants",
    "spirals",
    "train_val_test_split",
    "xor",
]
