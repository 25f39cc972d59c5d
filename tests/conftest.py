"""Shared test set-up: a fixed seed for the library's generator before every test."""

import numpy as np
import pytest

import descentlab as dl

try:  # PyTorch is the test oracle; one thread is faster for its small problems here
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - the dev extra installs it
    pass


try:
    # Most arrays in the tests are small: a second BLAS thread only adds contention,
    # above all while a browser and a server share the two cores.
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
    pass


@pytest.fixture(autouse=True)
def _seed_and_default_dtype():
    dl.manual_seed(0)
    previous = dl.get_default_dtype()
    yield
    dl.set_default_dtype(previous)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
