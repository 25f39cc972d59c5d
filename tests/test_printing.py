"""Tensors print as torch prints them: the same text once "torch." reads "descentlab."."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import descentlab as dl

VALUES = {
    "floats": [[1.5, -2.0], [3.25, 4.0]],
    "whole floats": [1.0, 2.0, -3.0],
    "zeros": np.zeros((2, 3)),
    "small and large": [1e-5, 1.0, 123.0],
    "huge": [1e10, 1.0],
    "nan and inf": [float("nan"), float("inf"), -1.5],
    "ints": [[1, -20], [300, 4]],
    "bools": [True, False, True],
    "scalar": 3.0,
    "int scalar": 7,
    "empty": np.zeros((0,)),
    "empty 2-d": np.zeros((0, 3)),
    "wide row": np.arange(30.0) * 1.37,
    "summarised": np.arange(3000.0).reshape(3, 1000) * 1.5,
    "summarised ints": np.arange(2000).reshape(2, 10, 100),
    "3-d": np.arange(24.0).reshape(2, 3, 4) / 7,
    "float64": np.array([0.1, 0.2]),
    "int32": np.array([1, 2], dtype=np.int32),
}


def _pair(value):
    array = np.asarray(value)
    if array.dtype == np.float64 and not isinstance(value, np.ndarray):
        array = array.astype(np.float32)  # a Python list of floats: the default dtype
    return dl.from_numpy(array.copy()), torch.from_numpy(array.copy())


@pytest.mark.parametrize("name", list(VALUES))
def test_repr_matches_torch(name):
    ours, theirs = _pair(VALUES[name])
    assert repr(ours) == repr(theirs).replace("torch.", "descentlab.")


def test_requires_grad_and_grad_fn_suffixes_match_torch():
    for lib in (dl, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        texts = [repr(x), repr(x * 2), repr((x * 2).sum()), repr(x.detach())]
        if lib is dl:
            ours = texts
        else:
            assert ours == texts


def test_print_options_follow_torch():
    try:
        for lib in (dl, torch):
            lib.set_printoptions(precision=2)
        assert repr(dl.tensor([1.12345])) == repr(torch.tensor([1.12345])) == "tensor([1.12])"
        for lib in (dl, torch):
            lib.set_printoptions(threshold=5)
        assert repr(dl.arange(10)) == repr(torch.arange(10))
    finally:
        for lib in (dl, torch):
            lib.set_printoptions(profile="default")


def test_size_and_dtype_objects_print_like_torch():
    assert repr(dl.zeros(2, 3).size()) == "descentlab.Size([2, 3])"
    assert repr(dl.device("cpu")) == repr(torch.device("cpu"))
    values, indices = dl.tensor([[1.0, 5.0]]).max(1)
    assert (repr(values), repr(indices)) == ("tensor([5.])", "tensor([1])")
