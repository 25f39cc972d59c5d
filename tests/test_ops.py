"""Every op two ways, in float64: against centred finite differences and against PyTorch.

The helper (``compare_with_torch``, in torch_compare.py, shared by every torch comparison)
runs a case's descentlab function and its PyTorch twin on the same inputs and checks, in
order, the output shape, the dtype, the forward values and each input's gradient.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from torch_compare import compare_with_torch

import descentlab as dl
from descentlab.op_cases import OP_CASES, OpCase

T = torch.tensor


def _torch_set_row(a, row):
    out = a * 1.0
    out[1] = row
    return out * a


TORCH_TWINS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a: -a,
    "pow_scalar": lambda a: a**3,
    "pow_fractional": lambda a: a**1.5,
    "pow_tensor": lambda a, b: a**b,
    "matmul": lambda a, b: a @ b,
    "matmul_batched": lambda a, b: a @ b,
    "matmul_vector": lambda a, b: a @ b,
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "abs": torch.abs,
    "sin": torch.sin,
    "cos": torch.cos,
    "clip": lambda a: a.clamp(-0.5, 0.5),
    "relu": torch.relu,
    "leaky_relu": lambda a: TF.leaky_relu(a, 0.1),
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "gelu": TF.gelu,
    "gelu_tanh": lambda a: TF.gelu(a, approximate="tanh"),
    "elu": TF.elu,
    "softplus": TF.softplus,
    "silu": TF.silu,
    "sum": lambda a: a.sum(),
    "sum_dim": lambda a: a.sum(dim=-1, keepdim=True),
    "mean": lambda a: a.mean(dim=(0, 2)),
    "var": lambda a: a.var(dim=1),
    "max": lambda a: a.max(),
    "max_dim": lambda a: a.max(dim=1).values,
    "min_dim": lambda a: a.min(dim=0, keepdim=True).values,
    "softmax": lambda a: torch.softmax(a, dim=1),
    "log_softmax": lambda a: torch.log_softmax(a, dim=0),
    "logsumexp": lambda a: torch.logsumexp(a, dim=1),
    "reshape": lambda a: a.reshape(4, 3) * 1.0,
    "permute": lambda a: a.permute(2, 0, 1),
    "transpose": lambda a: a.T,
    "getitem_slice": lambda a: a[1:, ::2],
    "getitem_advanced": lambda a: a[torch.tensor([0, 2, 0]), 1:],
    "expand": lambda a: a.expand(3, 4),
    "pad": lambda a: TF.pad(a, (1, 2, 0, 1)),
    "concatenate": lambda a, b: torch.cat([a, b], dim=1),
    "stack": lambda a, b: torch.stack([a, b], dim=-1),
    "where": lambda a, b: torch.where(a > 0, a, b),
    "maximum": torch.maximum,
    "minimum": torch.minimum,
    "linear": TF.linear,
    "log1p": torch.log1p,
    "tan": torch.tan,
    "floor": lambda a: a.floor() * a,
    "prod": lambda a: a.prod(dim=1),
    "prod_all": lambda a: a.prod(),
    "cumsum": lambda a: a.cumsum(dim=1),
    "clone": lambda a: a.clone() * a,
    "gather": lambda a: a.gather(1, torch.tensor([[0, 0], [3, 1], [2, 2]])),
    "sort": lambda a: a.sort(dim=1, descending=True).values,
    "einsum": lambda a, b: torch.einsum("ij,jk->ik", a, b),
    "einsum_summed": lambda a, b: torch.einsum("ij,kj->i", a, b),
    "setitem": lambda a, row: _torch_set_row(a, row),
    "conv1d": lambda x, w, b: TF.conv1d(x, w, b, stride=2, padding=1),
    "conv2d": lambda x, w, b: TF.conv2d(x, w, b, padding=1),
    "conv2d_strided_dilated": lambda x, w: TF.conv2d(x, w, stride=2, dilation=2),
    "conv2d_dilated_padded": lambda x, w: TF.conv2d(x, w, padding=(1, 2), dilation=(2, 1)),
    "max_pool1d": lambda x: TF.max_pool1d(x, 2),
    "max_pool2d": lambda x: TF.max_pool2d(x, 2),
    "max_pool2d_overlap": lambda x: TF.max_pool2d(x, 3, 2, 1),
    "avg_pool1d": lambda x: TF.avg_pool1d(x, 3, 2),
    "avg_pool2d": lambda x: TF.avg_pool2d(x, 2),
    "avg_pool2d_padded": lambda x: TF.avg_pool2d(x, 3, 2, 1),
    "mse_loss": TF.mse_loss,
    "l1_loss": TF.l1_loss,
    "cross_entropy": lambda x: TF.cross_entropy(x, torch.tensor([0, 2, 1, 2])),
    "cross_entropy_smoothed": lambda x: TF.cross_entropy(
        x, torch.tensor([0, 2, 1, 2]), label_smoothing=0.1
    ),
    "cross_entropy_probs": lambda x, p: TF.cross_entropy(x, torch.softmax(p, dim=1)),
    "nll_loss": lambda x: TF.nll_loss(x, torch.tensor([1, 0, 2])),
    "bce_with_logits": TF.binary_cross_entropy_with_logits,
    "bce_with_logits_pos_weight": lambda x, y: TF.binary_cross_entropy_with_logits(
        x, y, pos_weight=torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    ),
    "multi_margin_loss": lambda x: TF.multi_margin_loss(x, torch.tensor([1, 0, 2])),
}


def test_every_case_has_a_torch_twin():
    assert sorted(TORCH_TWINS) == sorted(case.name for case in OP_CASES)


@pytest.mark.parametrize("case", OP_CASES, ids=lambda c: c.name)
def test_op_against_torch(case: OpCase):
    arrays = case.inputs(np.random.default_rng(3))
    compare_with_torch(case.fn, TORCH_TWINS[case.name], arrays)


@pytest.mark.parametrize("case", OP_CASES, ids=lambda c: c.name)
def test_op_against_finite_differences(case: OpCase):
    report = dl.gradcheck(case.fn, case.inputs(np.random.default_rng(5)), atol=1e-6, rtol=1e-4)
    assert report.passed


def test_gradcheck_catches_a_wrong_backward():
    from descentlab.ops.base import Op
    from descentlab.tensor import apply

    class WrongSquare(Op):
        name = "wrong_square"

        @staticmethod
        def forward(ctx, a):
            ctx.saved = a
            return a * a

        @staticmethod
        def backward(ctx, grad):
            return (grad * ctx.saved,)  # should be 2 * x

    with pytest.raises(dl.GradcheckError, match=r"input 0 \(3,\): element \(\d+,\)"):
        dl.gradcheck(lambda x: apply(WrongSquare, x), [np.array([1.0, -2.0, 3.0])])


def test_gradcheck_report_lists_errors_per_input():
    report = dl.gradcheck(lambda a, b: a * b, [np.ones((2, 2)), np.full((2, 2), 3.0)])
    assert report.passed and len(report.inputs) == 2
    assert report.max_abs_error < 1e-8


def test_gradcheck_needs_something_to_check():
    with pytest.raises(ValueError, match="no input to check"):
        dl.gradcheck(lambda a: a * 2, [dl.tensor([1.0])])


def test_non_contiguous_views_match_torch():
    base = np.random.default_rng(0).standard_normal((4, 6))
    view = base.T[::2]  # non-contiguous, strided
    compare_with_torch(lambda a: (a.exp() * a).sum(dim=0), lambda a: (a.exp() * a).sum(0), [view])


def _ops_in_graph(output) -> set[str]:
    names, stack, seen = set(), [output], set()
    while stack:
        node = stack.pop()
        if id(node) in seen or node._ctx is None:
            continue
        seen.add(id(node))
        names.add(node._ctx.name)
        stack.extend(node._ctx.parents)
    return names


def test_the_catalogue_covers_every_op():
    from descentlab.ops.base import Op

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    every = {op.name for op in subclasses(Op) if not op.__name__.startswith("_")}
    every -= {"wrong_square"}  # defined by the test above
    used = set()
    rng = np.random.default_rng(0)
    for case in OP_CASES:
        inputs = [dl.tensor(a, requires_grad=True, dtype=np.float64) for a in case.inputs(rng)]
        used |= _ops_in_graph(case.fn(*inputs))
    # Random and dtype-changing ops cannot be checked by finite differences; they have
    # their own tests in test_engine.py (dropout's mask and scale, astype's gradient).
    assert every - used == {"cast", "dropout", "floor_divide"}


@pytest.mark.parametrize("threads", [1, 2], ids=["one_thread", "two_threads"])
@pytest.mark.parametrize("chunk_bytes", [1, 2**30], ids=["image_chunks", "one_chunk"])
@pytest.mark.parametrize("layout_threshold", [0, 10**9], ids=["per_image", "batch_wide"])
@pytest.mark.parametrize(
    "x_shape, w_shape, options",
    [
        ((2, 3, 7, 6), (4, 3, 3, 3), {"padding": 1}),
        ((2, 2, 9, 8), (3, 2, 3, 2), {"stride": 2, "dilation": 2}),
        ((3, 2, 8, 7), (2, 2, 2, 3), {"padding": (2, 1), "dilation": (1, 2)}),
        ((1, 1, 6, 6), (2, 1, 5, 5), {"padding": 2, "stride": (1, 2)}),
        ((5, 2, 7, 7), (3, 2, 3, 3), {}),
        # signals (H = 1): the 1-D layout, images end to end
        ((4, 3, 1, 11), (2, 3, 1, 3), {"stride": (1, 2), "padding": (0, 1)}),
        ((3, 2, 1, 12), (3, 2, 1, 3), {"stride": (1, 3), "dilation": (1, 2), "padding": (0, 2)}),
        ((2, 1, 1, 9), (2, 1, 1, 4), {}),
        ((3, 2, 1, 8), (2, 2, 1, 5), {"padding": (0, 2), "dilation": (1, 2)}),
    ],
)
def test_both_conv_layouts_match_torch(
    monkeypatch, layout_threshold, chunk_bytes, threads, x_shape, w_shape, options
):
    """Every layout, split into chunks of one image or not, on one thread or two."""
    from descentlab.ops import conv

    monkeypatch.setattr(conv, "PER_IMAGE_MIN_PIXELS", layout_threshold)
    monkeypatch.setattr(conv, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(conv, "THREADS", threads)
    rng = np.random.default_rng(11)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape),
              rng.standard_normal(w_shape[0])]  # fmt: skip
    compare_with_torch(
        lambda x, w, b: dl.functional.conv2d(x, w, b, **options),
        lambda x, w, b: TF.conv2d(x, w, b, **options),
        arrays,
    )


def test_conv_chunks_cover_the_batch_once(monkeypatch):
    from descentlab.ops import conv

    monkeypatch.setattr(conv, "THREADS", 2)
    monkeypatch.setattr(conv, "CHUNK_BYTES", 1000)
    # 300 bytes an image: 3 images a chunk; 7 images in chunks of 3, 3 and 1.
    assert conv._chunks(7, 300) == [slice(0, 3), slice(3, 6), slice(6, 7)]
    # One large chunk is split in two, one per thread.
    assert conv._chunks(7, 1) == [slice(0, 4), slice(4, 7)]
    monkeypatch.setattr(conv, "THREADS", 1)
    assert conv._chunks(7, 1) == [slice(0, 7)]
    assert conv._map(lambda chunk: chunk.stop, conv._chunks(7, 300)) == [3, 6, 7]
