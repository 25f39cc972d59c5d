"""The engine's behaviour: graphs, accumulation, modes, dtypes, errors and conventions."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from torch_compare import compare_with_torch, sum_of

import descentlab as dl
import descentlab.functional as F

# ------------------------------------------------------------ worked examples


def test_course_local_gradients_example():
    # 003: f = (x + y) * z at x=-2, y=5, z=-4; q = x + y = 3, f = q z = -12,
    # df/dz = q = 3, df/dq = z = -4, and the add gate passes -4 to x and y.
    x, y, z = (dl.tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    f = (x + y) * z
    f.backward()
    assert f.item() == -12.0
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)
    assert all(type(t.grad) is dl.Tensor and t.grad.shape == () for t in (x, y, z))


def test_course_two_function_chain():
    # 001: L = (x w1 + b1) w2 + b2 with x=2, w1=0.5, b1=1, w2=1.5, b2=0.5:
    # z = 2, L = 3.5, dL/dw1 = w2 x = 3, dL/dw2 = z = 2.
    x = dl.tensor(2.0)
    w1, b1, w2, b2 = (dl.tensor(v, requires_grad=True) for v in (0.5, 1.0, 1.5, 0.5))
    loss = (x * w1 + b1) * w2 + b2
    loss.backward()
    assert loss.item() == 3.5
    assert w1.grad == 3.0 and w2.grad == 2.0
    assert b1.grad == 1.5 and b2.grad == 1.0


# ------------------------------------------------------------------ graphs


def test_chain_of_100000_ops_backpropagates():
    x = dl.tensor(1.0, requires_grad=True, dtype=np.float64)
    out = x
    for _ in range(100_000):
        out = out * 1.0001
    out.backward()
    assert x.grad == pytest.approx(1.0001**100_000, rel=1e-9)


def test_graph_is_freed_after_backward():
    x = dl.tensor(np.ones(3), requires_grad=True)
    y = x.exp()
    loss = (y * 2).sum()
    ref = weakref.ref(y)
    del y
    loss.backward()
    gc.collect()
    assert ref() is None
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_retain_graph_allows_a_second_backward_and_accumulates():
    x = dl.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_gradients_accumulate_across_calls_until_zeroed():
    x = dl.tensor([1.0, -1.0], requires_grad=True)
    for _ in range(3):
        (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [9.0, 9.0])
    x.zero_grad()
    assert x.grad is None


def test_a_variable_used_twice_gets_both_contributions():
    x = dl.tensor(3.0, requires_grad=True)
    (x * x + x).backward()
    assert x.grad == 7.0


@pytest.mark.parametrize(
    "fn, expected",
    [
        (lambda x: x + x * 2, 3.0),  # the direct use is pushed before the product
        (lambda x: x * 2 + x, 3.0),
        (lambda x: (x * x + x) * (x + 1), 3 + 4 + 1),  # d/dx (x^3 + 2x^2 + x) at 1
        (lambda x: (lambda h: h + h * h)(x.exp()), np.e + 2 * np.e**2),
    ],
)
def test_reused_nodes_receive_every_contribution_before_propagating(fn, expected):
    x = dl.tensor(1.0, requires_grad=True, dtype=np.float64)
    fn(x).backward()
    assert x.grad == pytest.approx(expected)
    assert type(x.grad) is dl.Tensor and x.grad.shape == ()


def test_diamond_graph_matches_torch():
    values = np.array([0.3, -1.2, 2.0])
    x = dl.tensor(values, requires_grad=True, dtype=np.float64)
    h = x.tanh()
    ((h * 2 + h.exp()) * h + h).sum().backward()
    t = torch.tensor(values, requires_grad=True)
    g = t.tanh()
    ((g * 2 + g.exp()) * g + g).sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy())


def test_leaf_gradients_are_private_arrays():
    a = dl.tensor([1.0, 2.0], requires_grad=True)
    b = dl.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad *= 10  # must not change b.grad
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_no_grad_records_nothing():
    x = dl.tensor([1.0], requires_grad=True)
    with dl.no_grad():
        y = x * 2
        assert not dl.is_grad_enabled()
        with dl.enable_grad():
            assert (x * 2).requires_grad
    assert dl.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf


def test_grad_mode_and_anomaly_mode_belong_to_the_thread():
    seen = {}

    def other_thread():
        x = dl.tensor([1.0], requires_grad=True)
        seen["records"] = (x * 2).requires_grad
        seen["anomaly"] = dl.autograd_mode.is_anomaly_enabled()

    with dl.no_grad(), dl.detect_anomaly():
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
    assert seen == {"records": True, "anomaly": False}


def test_backward_runs_each_op_after_every_op_that_used_its_output():
    # Two branches of different lengths meet again, and an input is used after a later
    # op: every op must have its whole gradient before its backward runs.
    x = dl.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True, dtype=np.float64)
    a = x * 3
    long = a.exp().sin().tanh()
    b = a * x
    out = (long + b + a).sum()
    out.backward()
    xt = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    at = xt * 3
    (at.exp().sin().tanh() + at * xt + at).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


def test_detach_cuts_the_graph():
    x = dl.tensor([2.0], requires_grad=True)
    y = (x * x).detach()
    assert not y.requires_grad
    z = x * y
    z.backward()
    np.testing.assert_array_equal(x.grad, [4.0])


def test_retain_grad_keeps_intermediate_gradient():
    x = dl.tensor(2.0, requires_grad=True)
    q = x * 3
    q.retain_grad()
    (q * q).backward()
    assert q.grad == 12.0 and x.grad == 36.0


def test_backward_on_non_scalar_needs_grad():
    x = dl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match="grad can be implicitly created only for scalar outputs"
    ):
        (x * 2).backward()
    (x * 2).backward(np.array([1.0, 0.5]))
    np.testing.assert_array_equal(x.grad, [2.0, 1.0])


def test_backward_without_graph_says_so():
    with pytest.raises(RuntimeError, match="does not require grad"):
        dl.tensor(1.0).backward()


# ------------------------------------------------------------------ dtypes


def test_float32_by_default_float64_on_request():
    assert dl.tensor([1.0]).dtype == np.float32
    assert dl.tensor([1.0], dtype=np.float64).dtype == np.float64
    assert dl.tensor([1, 2]).dtype.kind == "i"
    assert (dl.tensor([1.0]) * 2.5).dtype == np.float32
    dl.set_default_dtype("float64")
    assert dl.tensor([1.0]).dtype == np.float64 and dl.randn(2).dtype == np.float64
    dl.set_default_dtype("float32")
    assert dl.zeros(3, dtype=np.float64).dtype == np.float64
    assert dl.randn(2, dtype="float64").dtype == np.float64


def test_astype_is_differentiable_and_keeps_the_leaf_dtype():
    x = dl.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    assert x.astype(np.float32) is x


def test_set_default_dtype_rejects_other_types():
    with pytest.raises(TypeError, match="float32 or float64"):
        dl.set_default_dtype(np.int32)


def test_gradients_keep_the_leaf_dtype():
    x = dl.tensor([1.0, 2.0], requires_grad=True)
    (x * np.array([1.0, 2.0])).sum().backward()
    assert x.grad.dtype == np.float32


def test_manual_seed_makes_draws_repeatable():
    dl.manual_seed(3)
    a = dl.randn(4).data.numpy().copy()
    dl.manual_seed(3)
    np.testing.assert_array_equal(a, dl.randn(4).data)


# ------------------------------------------------------------------ errors


def test_matmul_error_names_the_shapes():
    a, b = dl.randn(32, 64), dl.randn(32, 10)
    with pytest.raises(
        ValueError, match=r"matmul: \(32, 64\) @ \(32, 10\): inner dimensions 64 and 32 differ"
    ):  # noqa: E501
        a @ b


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: inputs of shapes \(3, 4\) and \(5,\)"):
        dl.randn(3, 4) + dl.randn(5)


def test_reshape_error_names_both_shapes():
    with pytest.raises(
        RuntimeError, match=r"shape '\[4, 2\]' is invalid for input of size 6 .*shape \(2, 3\)"
    ):  # noqa: E501
        dl.randn(2, 3).reshape(4, 2)


def test_empty_reductions_are_errors():
    empty = dl.tensor(np.zeros((0, 3)))
    for reduce in (lambda t: t.max(), lambda t: t.min(dim=0), lambda t: t.mean()):
        with pytest.raises(ValueError, match="empty"):
            reduce(empty)
    assert empty.sum().item() == 0.0  # the sum of nothing is 0, as in PyTorch


def test_dim_out_of_range():
    with pytest.raises(IndexError, match=r"sum: dim 2 is out of range .* 2 dimension"):
        dl.randn(2, 3).sum(dim=2)


def test_detect_anomaly_names_the_forward_op():
    x = dl.tensor([0.0, 1.0], requires_grad=True)
    with (
        dl.detect_anomaly(),
        pytest.raises(FloatingPointError, match="log produced Inf in its forward"),
    ):  # noqa: E501
        x.log()


def test_detect_anomaly_names_the_backward_op():
    x = dl.tensor([0.0, 4.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        y = x.sqrt()  # forward is finite: sqrt(0) = 0
    with dl.detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(FloatingPointError, match="sqrt produced Inf in its backward"):
            y.sum().backward()


# ---------------------------------------------------- conventions at kinks


@pytest.mark.parametrize(
    "ours, theirs, values",
    [
        (F.relu, torch.relu, [-1.0, 0.0, 2.0]),
        (lambda t: t.abs(), torch.abs, [-1.0, 0.0, 2.0]),
        (lambda t: t.clip(0.0, 1.0), lambda t: t.clamp(0.0, 1.0), [0.0, 0.5, 1.0, 2.0]),
        (lambda t: F.leaky_relu(t, 0.2), lambda t: torch.nn.functional.leaky_relu(t, 0.2), [0.0]),
        (lambda t: t.max(), lambda t: t.max(), [1.0, 3.0, 3.0, 2.0]),
        (lambda t: t.max(dim=0).values, lambda t: t.max(dim=0).values, [1.0, 3.0, 3.0, 2.0]),
        (lambda t: t.min(dim=0).values, lambda t: t.min(dim=0).values, [2.0, 1.0, 1.0]),
        (lambda t: F.maximum(t, t * 0 + 1.0), lambda t: torch.maximum(t, t * 0 + 1.0), [1.0, 2.0]),
        (
            lambda t: F.max_pool1d(t.reshape(1, 1, 4), 2),
            lambda t: torch.nn.functional.max_pool1d(t.reshape(1, 1, 4), 2),
            [5.0, 5.0, 1.0, 1.0],
        ),  # fmt: skip
    ],
)
def test_ties_and_kinks_follow_pytorch(ours, theirs, values):
    compare_with_torch(sum_of(ours), sum_of(theirs), [values], upstream=np.array(1.0))


# -------------------------------------------------- broadcasting (hypothesis)


@st.composite
def broadcastable_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                    max_side=4))  # fmt: skip
    a, b = shapes.input_shapes
    elements = st.floats(-3, 3, allow_nan=False, width=64)
    return (draw(hnp.arrays(np.float64, a, elements=elements)),
            draw(hnp.arrays(np.float64, b, elements=elements)))  # fmt: skip


@settings(max_examples=60, deadline=None, derandomize=True)
@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "maximum"]))
def test_broadcasting_gradients_match_torch(pair, op):
    a, b = pair
    fns = {
        "add": (lambda x, y: x + y, lambda x, y: x + y),
        "sub": (lambda x, y: x - y, lambda x, y: x - y),
        "mul": (lambda x, y: x * y, lambda x, y: x * y),
        "maximum": (F.maximum, torch.maximum),
    }
    ours_fn, torch_fn = fns[op]
    compare_with_torch(ours_fn, torch_fn, [a, b], atol=1e-12, grad_atol=1e-12)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=4, max_side=5),
        elements=st.floats(-5, 5, width=64),
    ),  # fmt: skip
    st.data(),
)
def test_reductions_with_any_dim_and_keepdim_match_torch(array, data):
    dim = data.draw(st.integers(-array.ndim, array.ndim - 1))
    keepdim = data.draw(st.booleans())
    name = data.draw(st.sampled_from(["sum", "mean", "logsumexp", "softmax"]))
    if name == "softmax":
        ours, theirs = (lambda x: F.softmax(x, dim)), (lambda t: torch.softmax(t, dim))
    else:
        ours = theirs = lambda x: getattr(x, name)(dim=dim, keepdim=keepdim)
    compare_with_torch(ours, theirs, [array], atol=1e-12, grad_atol=1e-10)


def test_numpy_style_aliases():
    x = dl.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.sum(axis=1, keepdims=True).data, [[3.0], [12.0]])
    np.testing.assert_array_equal(x.max(axis=0).data, [3.0, 4.0, 5.0])


def test_softmax_is_stable_for_huge_logits():
    x = dl.tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    out = F.log_softmax(x, dim=1)
    assert np.isfinite(out.data).all()
    F.cross_entropy(x, np.array([0])).backward()
    assert np.isfinite(x.grad).all()


def test_dropout_scales_survivors_and_is_identity_in_eval():
    x = dl.ones(1000)
    y = F.dropout(x, 0.25)
    kept = y.data[y.data != 0]
    assert np.allclose(kept, 1 / 0.75)
    assert 0.65 < kept.numel() / 1000 < 0.85
    assert F.dropout(x, 0.25, training=False) is x


def test_tensor_repr_says_what_matters():
    assert repr(dl.tensor([1.0, 2.0], requires_grad=True)).endswith("requires_grad=True)")
    assert repr(dl.zeros(2, 3)) == "tensor([[0., 0., 0.],\n        [0., 0., 0.]])"
