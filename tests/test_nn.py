"""descentlab.nn against PyTorch: every layer and loss, forward and gradients, in float64.

Each layer comparison builds the descentlab module and its torch twin, copies the weights
across through ``state_dict`` (so the parameter and buffer names must match torch's too), runs
the same input, backpropagates the same random upstream gradient, and compares the output,
the input's gradient and every parameter's gradient. Then ``descentlab.gradcheck`` checks the
same layer against finite differences.
"""

from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager

import numpy as np
import pytest
import torch

import descentlab as dl
import descentlab.nn as nn
from descentlab.nn.module import Module, Parameter

RTOL, ATOL = 1e-7, 1e-9


@pytest.fixture(autouse=True)
def _float64():
    previous = dl.get_default_dtype()
    dl.set_default_dtype(np.float64)
    dl.manual_seed(0)
    yield
    dl.set_default_dtype(previous)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def copy_to_torch(ours: Module, theirs: torch.nn.Module) -> None:
    """Load our state into the torch twin; the key sets must be identical."""
    state = {k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()}
    assert list(state) == list(theirs.state_dict()), "state_dict names differ from torch's"
    theirs.load_state_dict(state)


def run_both(ours, theirs, x: np.ndarray, target=None, seed: int = 1):
    """Forward and backward through both; return (out, x.grad, {name: grad}) per library."""
    xd = dl.tensor(x, requires_grad=True, dtype=np.float64)
    xt = torch.tensor(x, requires_grad=True, dtype=torch.float64)
    if target is None:
        out_d, out_t = ours(xd), theirs(xt)
    else:
        tgt_t = torch.from_numpy(np.asarray(target))
        out_d, out_t = ours(xd, dl.tensor(target)), theirs(xt, tgt_t)
    upstream = rng(seed).standard_normal(out_t.shape)
    out_d.backward(upstream.copy() if out_d.ndim else None)
    out_t.backward(torch.from_numpy(upstream) if out_t.ndim else None)
    grads_d = {n: p.grad for n, p in ours.named_parameters()}
    grads_t = {n: p.grad.numpy() for n, p in theirs.named_parameters()}
    return (out_d.data, xd.grad, grads_d), (out_t.detach().numpy(), xt.grad.numpy(), grads_t)


def assert_matches(ours, theirs, x, target=None, rtol=RTOL, atol=ATOL):
    (out_d, gx_d, gp_d), (out_t, gx_t, gp_t) = run_both(ours, theirs, x, target)
    assert out_d.shape == out_t.shape, f"output shape {out_d.shape} vs torch {out_t.shape}"
    assert out_d.dtype == np.float64
    np.testing.assert_allclose(out_d, out_t, rtol=rtol, atol=atol, err_msg="forward")
    np.testing.assert_allclose(gx_d, gx_t, rtol=rtol, atol=atol, err_msg="input gradient")
    assert list(gp_d) == list(gp_t), "parameter names/order differ from torch's"
    for name in gp_d:
        np.testing.assert_allclose(
            gp_d[name], gp_t[name], rtol=rtol, atol=atol, err_msg=f"gradient of {name}"
        )


@contextmanager
def _swapped(module: Module, names: list[str], leaves: list[dl.Tensor]):
    """Run ``module`` with gradcheck's float64 leaves in place of its parameters."""
    saved = []
    for name, leaf in zip(names, leaves):
        *path, attr = name.split(".")
        owner = module
        for part in path:
            owner = owner._modules[part]
        saved.append((owner, attr, owner._parameters[attr]))
        owner._parameters[attr] = leaf  # bypasses __setattr__'s Parameter check on purpose
    try:
        yield
    finally:
        for owner, attr, param in saved:
            owner._parameters[attr] = param


def gradcheck_module(module: Module, x: np.ndarray, target=None, reseed: bool = False) -> None:
    """dl.gradcheck with respect to the input and every parameter of ``module``."""
    names = [n for n, _ in module.named_parameters()]
    params = [p.data.numpy() for _, p in module.named_parameters()]

    def fn(xt, *leaves):
        if reseed:  # dropout: the same mask on every evaluation
            dl.manual_seed(1234)
        with _swapped(module, names, list(leaves)):
            return module(xt) if target is None else module(xt, dl.tensor(target))

    report = dl.gradcheck(fn, [x, *params], atol=1e-6, rtol=1e-4)
    assert report.passed and len(report.inputs) == 1 + len(params)


def test_the_gradient_checks_can_fail():
    """A parameter cut out of the graph must be caught by both checks above."""

    class Broken(Module):
        def __init__(self):
            super().__init__()
            self.w = Parameter(np.array([1.5, -0.5, 2.0]))

        def forward(self, x):
            # The value depends on w, the recorded graph does not: its gradient is lost.
            return x * self.w.detach() + 0.0 * self.w

    class TorchTwin(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))

        def forward(self, x):
            return x * self.w

    ours, theirs = Broken(), TorchTwin()
    copy_to_torch(ours, theirs)
    x = rng().standard_normal((2, 3))
    with pytest.raises(AssertionError, match="gradient of w"):
        assert_matches(ours, theirs, x)
    with pytest.raises(dl.GradcheckError, match="input 1"):
        gradcheck_module(ours, x)


# ============================================================================ layers


LINEAR_CASES = [((5, 4), True), ((5, 4), False), ((2, 3, 4), True)]


@pytest.mark.parametrize("shape, bias", LINEAR_CASES)
def test_linear(shape, bias):
    ours = nn.Linear(4, 3, bias=bias)
    theirs = torch.nn.Linear(4, 3, bias=bias, dtype=torch.float64)
    copy_to_torch(ours, theirs)
    x = rng().standard_normal(shape)
    assert_matches(ours, theirs, x)
    gradcheck_module(ours, x)


CONV1D_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=2, dilation=2, padding=2, bias=False),
    dict(kernel_size=4, padding="same"),
    dict(kernel_size=3, padding="valid", stride=3),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kw", CONV1D_CASES, ids=str)
def test_conv1d(kw):
    ours = nn.Conv1d(3, 4, **kw)
    theirs = torch.nn.Conv1d(3, 4, dtype=torch.float64, **kw)
    copy_to_torch(ours, theirs)
    x = rng().standard_normal((2, 3, 9))
    assert_matches(ours, theirs, x)
    gradcheck_module(ours, x[:1, :, :7])


CONV2D_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0)),
    dict(kernel_size=3, dilation=2, padding=2, bias=False),
    dict(kernel_size=(2, 3), dilation=(2, 1), padding="same"),
    dict(kernel_size=1),
]


@pytest.mark.parametrize("kw", CONV2D_CASES, ids=str)
def test_conv2d(kw):
    ours = nn.Conv2d(2, 3, **kw)
    theirs = torch.nn.Conv2d(2, 3, dtype=torch.float64, **kw)
    copy_to_torch(ours, theirs)
    x = rng().standard_normal((2, 2, 7, 8))
    assert_matches(ours, theirs, x)
    gradcheck_module(ours, x[:1, :, :5, :5])


def test_conv_rejects_unsupported_options():
    with pytest.raises(ValueError, match="only groups=1 is supported, got groups=2"):
        nn.Conv2d(4, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode='zeros'"):
        nn.Conv1d(4, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="padding='same' needs stride=1"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="kernel_size must be an integer >= 1"):
        nn.Conv2d(1, 1, 0)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, H, W\) with C=3"):
        nn.Conv2d(3, 1, 3)(dl.randn(1, 2, 5, 5))


POOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2),
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=2, stride=3),
]


@pytest.mark.parametrize("kw", POOL_CASES, ids=str)
@pytest.mark.parametrize(
    "ours_cls, theirs_cls, shape",
    [
        (nn.MaxPool1d, torch.nn.MaxPool1d, (2, 3, 11)),
        (nn.AvgPool1d, torch.nn.AvgPool1d, (2, 3, 11)),
        (nn.MaxPool2d, torch.nn.MaxPool2d, (2, 3, 7, 8)),
        (nn.AvgPool2d, torch.nn.AvgPool2d, (2, 3, 7, 8)),
    ],
    ids=["max1d", "avg1d", "max2d", "avg2d"],
)
def test_pooling(ours_cls, theirs_cls, shape, kw):
    ours, theirs = ours_cls(**kw), theirs_cls(**kw)
    x = rng().standard_normal(shape)
    assert_matches(ours, theirs, x)
    gradcheck_module(ours, x[:1, :2])


def test_pool2d_rectangular_kernel():
    ours, theirs = nn.MaxPool2d((2, 3), stride=(1, 2)), torch.nn.MaxPool2d((2, 3), stride=(1, 2))
    assert_matches(ours, theirs, rng().standard_normal((1, 2, 5, 7)))


@pytest.mark.parametrize("start_dim, end_dim", [(1, -1), (0, -1), (1, 2), (2, 3)])
def test_flatten(start_dim, end_dim):
    ours, theirs = nn.Flatten(start_dim, end_dim), torch.nn.Flatten(start_dim, end_dim)
    assert_matches(ours, theirs, rng().standard_normal((2, 3, 4, 5)))


def test_residual():
    ours = nn.Residual(nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 4)))

    class TorchResidual(torch.nn.Module):
        def __init__(self, block):
            super().__init__()
            self.block = block

        def forward(self, x):
            return x + self.block(x)

    theirs = TorchResidual(
        torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 4))
    ).double()
    copy_to_torch(ours, theirs)
    x = rng().standard_normal((3, 4))
    assert_matches(ours, theirs, x)
    gradcheck_module(ours, x)
    with pytest.raises(ValueError, match=r"block output shape \(3, 2\) differs"):
        nn.Residual(nn.Linear(4, 2))(dl.tensor(x))


# ------------------------------------------------------------------------ dropout


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_train_mask_structure_and_scaling(p):
    # No zeros, so dropped elements are visible; a seed unlike the library's (0), so that x
    # and the mask are independent.
    x = rng(99).uniform(1.0, 2.0, size=(200, 100))
    layer = nn.Dropout(p)
    xd = dl.tensor(x, requires_grad=True)
    out = layer(xd)
    out.sum().backward()
    kept = out.data != 0
    # Survivors are scaled by 1/(1-p); the gradient is the same mask and scale.
    np.testing.assert_allclose(out.data[kept], x[kept] / (1 - p), rtol=1e-12)
    np.testing.assert_allclose(xd.grad, kept / (1 - p), rtol=1e-12)
    # The drop rate is p: binomial standard deviation sqrt(p(1-p)/n) is < 0.0036 here.
    assert abs((~kept).float().mean().item() - p) < 0.02
    # torch's dropout has the same structure: values in {0, x/(1-p)}, rate p.
    t_out = torch.nn.functional.dropout(torch.from_numpy(x), p, training=True).numpy()
    t_kept = t_out != 0
    np.testing.assert_allclose(t_out[t_kept], x[t_kept] / (1 - p), rtol=1e-12)
    assert abs((~t_kept).mean() - (~kept).float().mean().item()) < 0.03
    # Expectation preserved: E[out] = x.
    assert abs(out.data.mean() / x.mean() - 1) < 0.05


def test_dropout_eval_is_identity_and_edge_probabilities():
    x = rng().standard_normal((4, 5))
    layer = nn.Dropout(0.5).eval()
    xd = dl.tensor(x, requires_grad=True)
    out = layer(xd)
    np.testing.assert_array_equal(out.data, x)
    out.sum().backward()
    np.testing.assert_array_equal(xd.grad, np.ones_like(x))
    np.testing.assert_array_equal(nn.Dropout(0.0)(dl.tensor(x)).data, x)
    np.testing.assert_array_equal(nn.Dropout(1.0)(dl.tensor(x)).data, np.zeros_like(x))
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)


def test_dropout_is_reproducible_under_manual_seed_and_gradchecks():
    x = rng().standard_normal((3, 4))
    dl.manual_seed(7)
    a = nn.Dropout(0.5)(dl.tensor(x)).data
    dl.manual_seed(7)
    b = nn.Dropout(0.5)(dl.tensor(x)).data
    np.testing.assert_array_equal(a, b)
    gradcheck_module(nn.Dropout(0.3), x, reseed=True)


# ---------------------------------------------------------------------- batchnorm


BN_CASES = [
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (8, 3), {}),
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (4, 3, 5), {}),
    (nn.BatchNorm2d, torch.nn.BatchNorm2d, (4, 3, 5, 6), {}),
    (nn.BatchNorm2d, torch.nn.BatchNorm2d, (4, 3, 2, 3), dict(momentum=None)),
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (6, 3), dict(affine=False, momentum=0.3)),
    (nn.BatchNorm2d, torch.nn.BatchNorm2d, (3, 3, 2, 2), dict(track_running_stats=False)),
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (5, 3), dict(bias=False)),
]


@pytest.mark.parametrize("ours_cls, theirs_cls, shape, kw", BN_CASES)
def test_batchnorm_train_then_eval(ours_cls, theirs_cls, shape, kw):
    ours = ours_cls(3, **kw)
    theirs = theirs_cls(3, dtype=torch.float64, **kw)
    if ours.weight is not None:  # non-trivial gamma and beta
        ours.weight.data[...] = rng(5).uniform(0.5, 1.5, 3)
    if ours.bias is not None:
        ours.bias.data[...] = rng(6).standard_normal(3)
    copy_to_torch(ours, theirs)
    # Several training steps: the forward and gradients use batch statistics, and the
    # running statistics must follow torch's (momentum, unbiased variance, batch count).
    for step in range(3):
        x = rng(10 + step).standard_normal(shape) * (step + 1) + step
        assert_matches(ours, theirs, x)
        for name, buf in theirs.named_buffers():
            np.testing.assert_allclose(
                getattr(ours, name), buf.numpy(), rtol=1e-12, atol=1e-14, err_msg=name
            )
    if ours.track_running_stats:
        assert int(ours.num_batches_tracked) == 3
    ours.eval()
    theirs.eval()
    x = rng(20).standard_normal(shape)
    assert_matches(ours, theirs, x)
    gradcheck_module(ours, x)
    ours.train()
    gradcheck_module(ours, x)


def test_batchnorm_buffers_are_in_state_dict_and_errors():
    bn = nn.BatchNorm2d(4)
    assert list(bn.state_dict()) == list(torch.nn.BatchNorm2d(4).state_dict())
    assert bn.state_dict()["num_batches_tracked"].dtype == np.int64
    with pytest.raises(ValueError, match="expected more than 1 value per channel"):
        nn.BatchNorm1d(3)(dl.randn(1, 3))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, H, W\) with C=4"):
        bn(dl.randn(2, 3, 4, 4))
    nn.BatchNorm1d(3).eval()(dl.randn(1, 3))  # one sample is fine in evaluation


# ---------------------------------------------------------------------- layernorm


@pytest.mark.parametrize(
    "shape, normalized, kw",
    [
        ((4, 5), 5, {}),
        ((2, 3, 4), (3, 4), {}),
        ((3, 6), 6, dict(elementwise_affine=False)),
        ((3, 2, 6), 6, dict(bias=False)),
    ],
)
def test_layernorm(shape, normalized, kw):
    ours = nn.LayerNorm(normalized, **kw)
    theirs = torch.nn.LayerNorm(normalized, dtype=torch.float64, **kw)
    if ours.weight is not None:
        ours.weight.data[...] = rng(3).uniform(0.5, 1.5, ours.weight.shape)
    if ours.bias is not None:
        ours.bias.data[...] = rng(4).standard_normal(ours.bias.shape)
    copy_to_torch(ours, theirs)
    x = rng().standard_normal(shape) * 3 + 1
    assert_matches(ours, theirs, x)
    ours.eval()
    theirs.eval()
    assert_matches(ours, theirs, x)
    gradcheck_module(ours, x)


# -------------------------------------------------------------------- activations


ACTIVATIONS = [
    (nn.ReLU(), torch.nn.ReLU()),
    (nn.LeakyReLU(), torch.nn.LeakyReLU()),
    (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
    (nn.Sigmoid(), torch.nn.Sigmoid()),
    (nn.Tanh(), torch.nn.Tanh()),
    (nn.GELU(), torch.nn.GELU()),
    (nn.GELU("tanh"), torch.nn.GELU("tanh")),
    (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
    (nn.Softmax(dim=0), torch.nn.Softmax(dim=0)),
    (nn.LogSoftmax(dim=-1), torch.nn.LogSoftmax(dim=-1)),
    (nn.ELU(), torch.nn.ELU()),
    (nn.Softplus(), torch.nn.Softplus()),
    (nn.SiLU(), torch.nn.SiLU()),
]


@pytest.mark.parametrize("ours, theirs", ACTIVATIONS, ids=lambda m: repr(m))
def test_activation(ours, theirs):
    x = rng().standard_normal((4, 6)) * 2
    x[np.abs(x) < 1e-3] = 0.5  # keep finite differences away from ReLU's kink
    assert_matches(ours, theirs, x)
    gradcheck_module(ours, x)


# ========================================================================= losses

N, C = 6, 4


def _logits():
    return rng(2).standard_normal((N, C)) * 2


def _indices():
    return rng(3).integers(0, C, N)


def _probs():
    p = rng(4).uniform(size=(N, C))
    return p / p.sum(1, keepdims=True)


LOSS_CASES = [
    ("mse", lambda r: (nn.MSELoss(r), torch.nn.MSELoss(reduction=r)), "regression"),
    ("l1", lambda r: (nn.L1Loss(r), torch.nn.L1Loss(reduction=r)), "regression"),
    ("ce", lambda r: (nn.CrossEntropyLoss(r), torch.nn.CrossEntropyLoss(reduction=r)), "index"),
    (
        "ce_smooth",
        lambda r: (
            nn.CrossEntropyLoss(r, label_smoothing=0.1),
            torch.nn.CrossEntropyLoss(reduction=r, label_smoothing=0.1),
        ),
        "index",
    ),
    (
        "ce_probs",
        lambda r: (nn.CrossEntropyLoss(r), torch.nn.CrossEntropyLoss(reduction=r)),
        "prob",
    ),
    (
        "ce_probs_smooth",
        lambda r: (
            nn.CrossEntropyLoss(r, label_smoothing=0.25),
            torch.nn.CrossEntropyLoss(reduction=r, label_smoothing=0.25),
        ),
        "prob",
    ),
    ("nll", lambda r: (nn.NLLLoss(r), torch.nn.NLLLoss(reduction=r)), "logprob"),
    ("bce", lambda r: (nn.BCEWithLogitsLoss(r), torch.nn.BCEWithLogitsLoss(reduction=r)), "binary"),
    (
        "bce_pos_weight",
        lambda r: (
            nn.BCEWithLogitsLoss(r, pos_weight=np.array([1.0, 2.0, 0.5, 3.0])),
            torch.nn.BCEWithLogitsLoss(
                reduction=r, pos_weight=torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=torch.float64)
            ),
        ),
        "binary",
    ),
    (
        "hinge",
        lambda r: (nn.MultiMarginLoss(reduction=r), torch.nn.MultiMarginLoss(reduction=r)),
        "index",
    ),
    (
        "hinge_sq",
        lambda r: (
            nn.MultiMarginLoss(p=2, margin=0.5, reduction=r),
            torch.nn.MultiMarginLoss(p=2, margin=0.5, reduction=r),
        ),
        "index",
    ),
]


def _loss_inputs(kind: str):
    if kind == "regression":
        return _logits(), rng(5).standard_normal((N, C))
    if kind == "index":
        return _logits(), _indices()
    if kind == "prob":
        return _logits(), _probs()
    if kind == "logprob":
        z = _logits()
        return z - np.log(np.exp(z).sum(1, keepdims=True)), _indices()
    return _logits(), (rng(6).uniform(size=(N, C)) > 0.5).astype(np.float64)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, make, kind", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_loss(name, make, kind, reduction):
    ours, theirs = make(reduction)
    x, target = _loss_inputs(kind)
    if kind != "binary":  # keep the hinge and L1 kinks away from the finite differences
        x = x + 1e-3 * rng(9).standard_normal(x.shape)
    copy_to_torch(ours, theirs)  # BCEWithLogitsLoss keeps pos_weight as a buffer, as torch
    assert_matches(ours, theirs, x, target)
    gradcheck_module(ours, x, target)


def test_loss_arguments_are_validated():
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        nn.MSELoss("avg")
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="p must be 1 or 2, got 3"):
        nn.MultiMarginLoss(p=3)


# ================================================================ regularisation


def test_l1_and_l2_penalties_against_torch():
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)
    ).double()
    copy_to_torch(ours, theirs)
    lam1, lam2 = 0.03, 0.2
    pen = nn.l1_penalty(ours, lam1) + nn.l2_penalty(ours.parameters(), lam2)
    pen.backward()
    t_pen = lam1 * sum(p.abs().sum() for p in theirs.parameters()) + lam2 * sum(
        (p * p).sum() for p in theirs.parameters()
    )
    t_pen.backward()
    assert pen.shape == ()
    np.testing.assert_allclose(pen.item(), t_pen.item(), rtol=1e-12)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12, err_msg=name)


def test_l2_penalty_equals_sgd_weight_decay_of_twice_lambda():
    ours = nn.Linear(3, 2)
    theirs = torch.nn.Linear(3, 2).double()
    copy_to_torch(ours, theirs)
    x, y = rng().standard_normal((5, 3)), rng(1).standard_normal((5, 2))
    lam, lr = 0.05, 0.1
    loss = nn.MSELoss()(ours(dl.tensor(x)), dl.tensor(y)) + nn.l2_penalty(ours, lam)
    loss.backward()
    stepped = {n: p.data - lr * p.grad for n, p in ours.named_parameters()}
    opt = torch.optim.SGD(theirs.parameters(), lr=lr, weight_decay=2 * lam)
    torch.nn.functional.mse_loss(theirs(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    opt.step()
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(stepped[name], p.detach().numpy(), rtol=1e-12)


def test_penalty_arguments_are_validated():
    with pytest.raises(ValueError, match="lam must be a number >= 0, got -1"):
        nn.l2_penalty(nn.Linear(2, 2), -1)
    with pytest.raises(ValueError, match="no parameters given"):
        nn.l1_penalty([], 0.1)


# ===================================================================== Module API


class TorchResidual(torch.nn.Module):
    def __init__(self, block):
        super().__init__()
        self.block = block

    def forward(self, x):
        return x + self.block(x)


def _twin_models():
    ours = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(36, 8),
        nn.LayerNorm(8),
        nn.Residual(nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8))),
        nn.Dropout(0.1),
        nn.Linear(8, 3),
    )
    t = torch.nn
    theirs = t.Sequential(
        t.Conv2d(1, 4, 3, padding=1),
        t.BatchNorm2d(4),
        t.ReLU(),
        t.MaxPool2d(2),
        t.Flatten(),
        t.Linear(36, 8),
        t.LayerNorm(8),
        TorchResidual(t.Sequential(t.Linear(8, 8), t.Tanh(), t.Linear(8, 8))),
        t.Dropout(0.1),
        t.Linear(8, 3),
    ).double()
    return ours, theirs


def test_parameter_and_state_dict_names_and_order_equal_torchs():
    ours, theirs = _twin_models()
    ours_params = [(n, p.shape) for n, p in ours.named_parameters()]
    assert ours_params == [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert [p.shape for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]
    ours_state = [(k, v.shape) for k, v in ours.state_dict().items()]
    assert ours_state == [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert len(list(ours.children())) == len(list(theirs.children())) == 10


def test_whole_model_matches_torch_in_train_and_eval():
    ours, theirs = _twin_models()
    copy_to_torch(ours, theirs)
    ours[8].p = theirs[8].p = 0.0  # dropout's masks cannot match across RNGs
    x = rng().standard_normal((5, 1, 6, 6))
    assert_matches(ours, theirs, x, rtol=1e-6, atol=1e-8)
    ours.eval()
    theirs.eval()
    assert_matches(ours, theirs, x, rtol=1e-6, atol=1e-8)


def test_repr_matches_torch():
    ours = nn.Sequential(
        nn.Linear(2, 16),
        nn.ReLU(),
        nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(8),
        nn.LayerNorm(4),
        nn.LeakyReLU(0.2),
        nn.GELU(),
        nn.Softmax(dim=-1),
        nn.Flatten(),
        nn.Tanh(),
        nn.Sequential(nn.Linear(16, 1), nn.Sigmoid()),
    )
    t = torch.nn
    theirs = t.Sequential(
        t.Linear(2, 16),
        t.ReLU(),
        t.Conv2d(3, 8, 3, stride=2, padding=1, bias=False),
        t.BatchNorm2d(8),
        t.LayerNorm(4),
        t.LeakyReLU(0.2),
        t.GELU(),
        t.Softmax(dim=-1),
        t.Flatten(),
        t.Tanh(),
        t.Sequential(t.Linear(16, 1), t.Sigmoid()),
    )
    assert repr(ours) == repr(theirs)
    assert repr(nn.Residual(nn.ReLU())) == "Residual(\n  (block): ReLU()\n)"
    assert repr(nn.Conv1d(2, 3, 4, padding="same")) == repr(t.Conv1d(2, 3, 4, padding="same"))


def test_train_eval_is_recursive_and_returns_self():
    ours, _ = _twin_models()
    assert all(m.training for m in ours.modules())
    assert ours.eval() is ours
    assert not any(m.training for m in ours.modules())
    ours.train()
    assert all(m.training for m in ours.modules())
    ours.train(False)
    assert not ours[7].block[0].training


def test_zero_grad_and_requires_grad():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    model(dl.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_registration_rules():
    class Net(Module):
        def __init__(self):
            super().__init__()
            self.w = Parameter(np.ones(3))
            self.sub = nn.Linear(3, 1)
            self.register_buffer("count", np.zeros(1))
            self.register_buffer("scratch", np.zeros(2), persistent=False)
            self.plain = dl.tensor([1.0, 2.0])  # a Tensor that is not a Parameter: not registered

        def forward(self, x):
            return self.sub(x * self.w)

    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["w", "sub.weight", "sub.bias"]
    assert list(net.state_dict()) == ["w", "count", "sub.weight", "sub.bias"]
    assert [n for n, _ in net.named_buffers()] == ["count", "scratch"]
    assert isinstance(net.w, Parameter) and net.w.requires_grad
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'w'"):
        net.w = dl.tensor([1.0, 2.0, 3.0])
    net.sub = None
    assert [n for n, _ in net.named_parameters()] == ["w"]
    del net.w
    assert list(net.parameters()) == []
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'missing'"):
        _ = net.missing

    class Early(Module):
        def __init__(self):
            self.w = Parameter(np.ones(1))

    with pytest.raises(AttributeError, match="before Early.__init__ calls super"):
        Early()


def test_shared_parameter_is_listed_once():
    lin = nn.Linear(2, 2)
    model = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(model.parameters())) == 2


def test_sequential_container_protocol():
    model = nn.Sequential(OrderedDict(first=nn.Linear(2, 3), act=nn.ReLU()))
    assert [n for n, _ in model.named_parameters()] == ["first.weight", "first.bias"]
    assert len(model) == 2 and isinstance(model[-1], nn.ReLU)
    assert isinstance(model[:1], nn.Sequential) and len(model[:1]) == 1
    model.append(nn.Linear(3, 1))
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    with pytest.raises(TypeError, match="item 0 must be a Module, got int"):
        nn.Sequential(3)
    ml = nn.ModuleList([nn.Linear(1, 1), nn.Linear(1, 1)])
    assert len(list(ml.parameters())) == 4 and len(ml) == 2


def test_deepcopy_gives_an_independent_model():
    import copy

    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    twin = copy.deepcopy(model)
    assert isinstance(twin[0].weight, Parameter) and twin[0].weight is not model[0].weight
    twin[0].weight.data[...] = 0.0
    assert model[0].weight.data.any()
    assert repr(twin) == repr(model)


def test_state_dict_returns_copies():
    lin = nn.Linear(2, 2)
    state = lin.state_dict()
    state["weight"][...] = 123.0
    assert not np.any(lin.weight.data == 123.0)


def test_load_state_dict_round_trip_in_place():
    a, b = _twin_models()[0], _twin_models()[0]
    a(dl.randn(4, 1, 6, 6))  # move the BatchNorm running statistics
    weight_object = b[0].weight
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b[0].weight is weight_object  # parameters are updated in place, not replaced
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(va, vb, err_msg=k)
    a.eval()
    b.eval()
    x = dl.randn(2, 1, 6, 6)
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_load_state_dict_lists_every_problem_and_changes_nothing():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1))
    before = model.state_dict()
    state = model.state_dict()
    del state["0.bias"]
    del state["1.running_var"]
    state["2.weight"] = np.zeros((2, 3))
    state["extra.weight"] = np.zeros(1)
    state["0.weight"] = np.full((3, 2), 9.0)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    msg = str(info.value)
    assert "Error(s) in loading state_dict for Sequential" in msg
    assert "Missing key(s): '0.bias', '1.running_var'" in msg
    assert "Unexpected key(s): 'extra.weight'" in msg
    assert "2.weight: shape (2, 3) in the file, (1, 3) in the model" in msg
    for k, v in model.state_dict().items():  # nothing was copied
        np.testing.assert_array_equal(v, before[k], err_msg=k)
    # Not strict: missing and unexpected keys are returned; shapes must still agree.
    state["2.weight"] = np.zeros((1, 3))
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["0.bias", "1.running_var"]
    assert result.unexpected_keys == ["extra.weight"]
    np.testing.assert_array_equal(model[0].weight.data, np.full((3, 2), 9.0))


def test_load_state_dict_accepts_torch_weights():
    ours, theirs = _twin_models()
    theirs.eval()
    ours.eval()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = rng().standard_normal((2, 1, 6, 6))
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(dl.tensor(x)).data, expected, rtol=1e-6, atol=1e-9)


def test_save_and_load_a_model(tmp_path):
    from descentlab.serialization import load, save

    model, _ = _twin_models()
    model(dl.randn(4, 1, 6, 6))
    model.eval()
    path = tmp_path / "model.npz"
    save(model.state_dict(), path, metadata={"arch": "twin"})
    fresh, _ = _twin_models()
    fresh.load_state_dict(load(path))
    fresh.eval()
    x = dl.randn(3, 1, 6, 6)
    np.testing.assert_array_equal(model(x).data, fresh(x).data)
    # A file for another architecture is refused with the keys named.
    save(nn.Linear(2, 2).state_dict(), tmp_path / "other.npz")
    with pytest.raises(RuntimeError, match=r"Missing key\(s\): '0.weight'"):
        fresh.load_state_dict(load(tmp_path / "other.npz"))


def test_dtype_handling():
    dl.set_default_dtype(np.float32)
    lin = nn.Linear(3, 2)
    assert lin.weight.dtype == np.float32
    assert nn.Linear(3, 2, dtype=np.float64).weight.dtype == np.float64
    lin.double()
    assert lin.weight.dtype == np.float64 and lin.bias.dtype == np.float64
    bn = nn.BatchNorm1d(2).double()
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    out = lin(dl.tensor(np.ones((1, 3)), dtype=np.float64))
    assert out.dtype == np.float64


def test_layer_argument_errors():
    with pytest.raises(ValueError, match="in_features must be a positive integer, got 0"):
        nn.Linear(0, 2)
    with pytest.raises(ValueError, match="expected in_features=3"):
        nn.Linear(3, 2)(dl.randn(4, 2))
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh'"):
        nn.GELU("erf")
    with pytest.raises(ValueError, match="padding must be at most half the kernel size"):
        nn.MaxPool2d(2, padding=2)
    with pytest.raises(ValueError, match="trailing shape"):
        nn.LayerNorm(4)(dl.randn(2, 5))


def test_module_without_forward_says_so():
    with pytest.raises(TypeError, match="Module does not define forward"):
        Module()(1)


def test_docstring_examples_run():
    import doctest

    import descentlab.nn.containers
    import descentlab.nn.conv
    import descentlab.nn.linear
    import descentlab.nn.module
    import descentlab.nn.regularization
    import descentlab.serialization

    for mod in (
        nn,
        descentlab.nn.module,
        descentlab.nn.containers,
        descentlab.nn.linear,
        descentlab.nn.conv,
        descentlab.nn.regularization,
        descentlab.serialization,
    ):
        result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, mod.__name__


def test_flatten_rejects_bad_dims():
    with pytest.raises(ValueError, match=r"start_dim=3, end_dim=-1 are out of range .* \(2, 3\)"):
        nn.Flatten(3)(dl.randn(2, 3))


def test_shared_module_round_trips_like_torch():
    lin = nn.Linear(2, 2)
    model = nn.Sequential(lin, nn.ReLU(), lin)
    t_lin = torch.nn.Linear(2, 2)
    t_model = torch.nn.Sequential(t_lin, torch.nn.ReLU(), t_lin)
    assert list(model.state_dict()) == list(t_model.state_dict())
    model.load_state_dict({k: v.numpy() for k, v in t_model.state_dict().items()})
    np.testing.assert_array_equal(lin.weight.data, t_lin.weight.detach().numpy())


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: nn.Conv2d(3, 2, 3, padding="same"), (4, 3, 6, 6)),
        (lambda: nn.Conv1d(3, 2, 3), (4, 3, 6)),
        (lambda: nn.BatchNorm2d(3), (4, 3, 6, 6)),
        (lambda: nn.BatchNorm1d(3), (4, 3)),
        (lambda: nn.LayerNorm(3), (4, 3)),
        (lambda: nn.Linear(3, 2), (4, 3)),
        (lambda: nn.MaxPool2d(2), (4, 3, 6, 6)),
        (lambda: nn.AvgPool1d(2), (4, 3, 6)),
        (lambda: nn.Dropout(0.3), (4, 3)),
        (lambda: nn.GELU(), (4, 3)),
    ],
)
def test_float32_stays_float32_in_train_and_eval(make, shape):
    dl.set_default_dtype(np.float32)
    module = make()
    for training in (True, False):
        module.train(training)
        x = dl.randn(*shape, requires_grad=True)
        y = module(x)
        y.sum().backward()
        assert y.dtype == np.float32 and x.grad.dtype == np.float32
        assert all(p.grad.dtype == np.float32 for p in module.parameters())


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint8])
def test_cross_entropy_refuses_labels_outside_the_classes(dtype):
    logits = dl.tensor(np.zeros((3, 4), dtype=np.float32))
    dl.functional.cross_entropy(logits, dl.tensor(np.array([0, 3, 1], dtype=dtype)))  # fine
    bad = [[0, 4, 1]] + ([[0, -1, 2]] if np.dtype(dtype).kind == "i" else [])
    for labels in bad:
        low, high = min(labels), max(labels)
        with pytest.raises(ValueError, match=rf"in \[0, 3\], received values in \[{low}, {high}\]"):
            dl.functional.cross_entropy(logits, dl.tensor(np.array(labels, dtype=dtype)))
