"""The one helper that checks descentlab against PyTorch (tinygrad's ``helper_test_op``).

``compare_with_torch`` runs a descentlab function and its torch twin on the same inputs and
checks, in order, the output shape, the dtype, the forward values and each input's gradient,
with separate tolerances, saying which pass failed. Every test that compares with torch
uses it, directly or through ``torch_grads``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

import descentlab as dl


def compare_with_torch(
    dl_fn: Callable[..., Any],
    torch_fn: Callable[..., Any],
    arrays: Sequence[Any],
    *,
    dtype: Any = np.float64,
    atol: float = 1e-9,
    rtol: float = 1e-7,
    grad_atol: float = 1e-8,
    upstream: np.ndarray | None = None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Forward values and every input gradient of ``dl_fn`` against ``torch_fn``.

    Args:
        arrays: the inputs; each becomes a leaf that requires grad in both libraries.
        dtype: the inputs' dtype (float64 by default, so that only the maths differs).
        upstream: d(loss)/d(output) sent into backward; a fixed random array by default.

    Returns:
        (our gradients, torch's gradients), zeros where an input got none.
    """
    ours = [dl.tensor(a, requires_grad=True, dtype=dtype) for a in arrays]
    theirs = [torch.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
    out, ref = dl_fn(*ours), torch_fn(*theirs)
    assert out.shape == tuple(ref.shape), f"shape: {out.shape} vs torch {tuple(ref.shape)}"
    assert out.dtype == np.dtype(dtype), f"dtype: {out.dtype}, expected {np.dtype(dtype)}"
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=atol, rtol=rtol,
                               err_msg="forward")  # fmt: skip
    if upstream is None:
        upstream = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(np.asarray(upstream, dtype=dtype)))
    got_all, expected_all = [], []
    for i, (a, b) in enumerate(zip(ours, theirs)):
        expected = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        got = np.zeros(a.shape) if a.grad is None else a.grad.numpy()
        assert got.shape == a.shape, f"grad {i}: shape {got.shape} vs input {a.shape}"
        np.testing.assert_allclose(got, expected, atol=grad_atol, rtol=rtol,
                                   err_msg=f"gradient of input {i}")  # fmt: skip
        got_all.append(got)
        expected_all.append(expected)
    return got_all, expected_all


def sum_of(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` followed by ``.sum()``: compare gradients of a scalar, as the kink tests do."""
    return lambda *args: fn(*args).sum()
