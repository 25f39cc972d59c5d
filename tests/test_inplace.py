"""In-place operations with torch's rules, each case run on descentlab and on torch.

The same program goes to both libraries (``lib`` is the module): its values and gradients
must agree, and where torch raises, descentlab must raise the same type with torch's words.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import descentlab as dl


def _run(program, lib):
    """(result, grads) of ``program(lib)``, or the exception it raised."""
    try:
        return program(lib)
    except (RuntimeError, TypeError) as exc:
        return exc


def _same(program, match: str | None = None) -> None:
    ours, theirs = _run(program, dl), _run(program, torch)
    if isinstance(theirs, Exception):
        assert isinstance(ours, type(theirs)), f"torch raised {theirs!r}, descentlab gave {ours!r}"
        if match:
            assert match in str(theirs) and match in str(ours), (str(ours), str(theirs))
        return
    assert not isinstance(ours, Exception), f"descentlab raised {ours!r}; torch gave {theirs!r}"
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-7)


def _w(lib):
    return lib.tensor([1.0, -2.0, 3.0], requires_grad=True)


# ----------------------------------------------------------- allowed, recorded or not
def _sgd_update_under_no_grad(lib):
    w = _w(lib)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with lib.no_grad():
            w -= 0.1 * w.grad
        w.grad.zero_()
    return w, w.grad


def _data_update_outside_no_grad(lib):
    w = _w(lib)
    (w**3).sum().backward()
    w.data -= 0.01 * w.grad.data
    w.data.mul_(2).add_(1)
    return (w,)


def _inplace_on_non_leaf_is_recorded(lib):
    x = _w(lib)
    y = x * 2
    y.add_(1).mul_(x)
    y.pow_(2)
    y.sum().backward()
    return y, x.grad


def _leaf_without_grad_becomes_part_of_the_graph(lib):
    w = _w(lib)
    acc = lib.zeros(3)
    acc += w * w
    acc.sub_(w)
    acc.sum().backward()
    return acc, w.grad


def _index_assignment_into_a_non_leaf(lib):
    x = _w(lib)
    y = x * 1.0
    y[1] = x[0] * 5
    y[y > 4] = 0.0
    (y * x).sum().backward()
    return y, x.grad


def _fill_zero_copy_clamp(lib):
    x = _w(lib)
    y = x.exp()
    z = y * 1.0
    z.clamp_(0.5, 10.0)
    a = x * 1.0
    a.zero_()
    b = x * 1.0
    b.fill_(2.0)
    c = lib.zeros(3)
    c.copy_(x)
    (z + a + b * x + c).sum().backward()
    return z, a, b, c, x.grad


def _grad_accumulates_and_zero_grad(lib):
    w = _w(lib)
    (w * 2).sum().backward()
    (w * 3).sum().backward()
    first = w.grad.clone()
    w.grad.zero_()
    return first, w.grad


def _int_tensor_in_place(lib):
    t = lib.tensor([1, 2, 3])
    t += 2
    t *= 3
    return (t,)


@pytest.mark.parametrize(
    "program",
    [
        _sgd_update_under_no_grad,
        _data_update_outside_no_grad,
        _inplace_on_non_leaf_is_recorded,
        _leaf_without_grad_becomes_part_of_the_graph,
        _index_assignment_into_a_non_leaf,
        _fill_zero_copy_clamp,
        _grad_accumulates_and_zero_grad,
        _int_tensor_in_place,
    ],
)
def test_in_place_programs_match_torch(program):
    _same(program)


# ---------------------------------------------------------------- refused, as torch
def _leaf_in_place(lib):
    _w(lib).add_(1.0)


def _leaf_augmented_assignment(lib):
    w = _w(lib)
    w -= 0.1


def _leaf_index_assignment(lib):
    _w(lib)[0] = 5.0


def _view_of_leaf(lib):
    _w(lib)[0].mul_(2)


def _saved_output_modified(lib):
    x = _w(lib)
    y = x.exp()  # exp saves its output for backward
    y.add_(1)
    y.sum().backward()


def _saved_input_modified(lib):
    x = _w(lib)
    h = x * 2
    y = h * h  # mul saves its inputs
    h.add_(1)
    y.sum().backward()


def _saved_input_modified_under_no_grad(lib):
    x = _w(lib)
    h = x.sigmoid()
    with lib.no_grad():
        h.mul_(2)
    h.sum().backward()


def _input_modified_after_use_by_linear(lib):
    w = _w(lib)
    x = lib.tensor([[1.0, 2.0, 3.0]])
    out = (x @ w).sum()
    x.mul_(2)
    out.backward()


def _float_into_int(lib):
    t = lib.tensor([1, 2])
    t += 1.5


def _broadcast_into_smaller(lib):
    t = lib.zeros(3)
    t.add_(lib.ones(2, 3))


@pytest.mark.parametrize(
    "program, words",
    [
        (_leaf_in_place, "a leaf Variable that requires grad is being used in an in-place"),
        (_leaf_augmented_assignment, "a leaf Variable that requires grad is being used"),
        (_leaf_index_assignment, "a leaf Variable that requires grad is being used"),
        (_view_of_leaf, "a view of a leaf Variable that requires grad is being used"),
        (_saved_output_modified, "has been modified by an inplace operation"),
        (_saved_input_modified, "has been modified by an inplace operation"),
        (_saved_input_modified_under_no_grad, "has been modified by an inplace operation"),
        (_input_modified_after_use_by_linear, "has been modified by an inplace operation"),
        (_float_into_int, "result type Float can't be cast to the desired output type Long"),
        (_broadcast_into_smaller, "doesn't match the broadcast shape"),
    ],
)
def test_refused_in_place_operations_raise_torchs_error(program, words):
    _same(program, words)


def test_the_version_counter_counts_writes_and_names_versions_in_the_error():
    x = dl.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    assert y._version == 0
    y.add_(1)
    y.mul_(2)
    assert y._version == 2
    with pytest.raises(RuntimeError, match=r"output 0 of ExpBackward0, is at version 2; expected"):
        y.sum().backward()


def test_a_rebased_tensor_used_before_the_change_is_refused_not_misrouted():
    """torch routes z's gradient to y's old history; descentlab says it cannot."""
    x = dl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y + 1  # add saves nothing, so torch would not object
    y.mul_(3)
    with pytest.raises(RuntimeError, match="clone"):
        (z.sum() + y.sum()).backward()
    assert x.grad is None  # refused before any gradient reached the leaf


def test_data_and_grad_share_memory_with_the_tensor():
    w = dl.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    assert np.shares_memory(w.data.numpy(), w.detach().numpy())
    g = w.grad
    assert g is w.grad and isinstance(g, dl.Tensor) and not g.requires_grad
    g.numpy()[0] = 7.0
    assert w.grad[0].item() == 7.0
    arr = np.zeros(2, dtype=np.float32)
    assert dl.from_numpy(arr).numpy() is arr


@pytest.mark.parametrize(
    "assign, error, words",
    [
        (lambda w: setattr(w, "grad", np.ones(2)), TypeError, "assigned grad expected to be a"),
        (lambda w, lib=None: setattr(w, "data", np.ones(2)), TypeError, "Variable data has to be"),
    ],
)
def test_grad_and_data_assignments_take_tensors(assign, error, words):
    for lib in (dl, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(error, match=words):
            assign(w)


def test_assigned_grad_must_have_the_shape():
    for lib in (dl, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="attempting to assign a gradient of size"):
            w.grad = lib.ones(3)


def test_numpy_of_a_tensor_that_requires_grad_is_refused_as_in_torch():
    for lib in (dl, torch):
        with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires"):
            lib.ones(2, requires_grad=True).numpy()
