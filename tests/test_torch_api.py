"""torch's namespace and Tensor methods on descentlab, each case run on both libraries.

A case is one lambda taking the library module (``descentlab`` or ``torch``): it builds its
inputs with that library and returns tensors, numbers or tuples of them. The two results
must agree in value, dtype and shape; where the case differentiates, the gradients too
(via the shared ``compare_with_torch``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch_compare import compare_with_torch, sum_of

import descentlab as dl


def _plain(x):
    """A result as comparable data: (array, dtype name) for tensors, recursively for tuples."""
    if isinstance(x, dl.Tensor | torch.Tensor):
        values = x.detach().numpy()
        return values, values.dtype.name
    if isinstance(x, tuple | list):
        return [_plain(v) for v in x]
    if isinstance(x, torch.Size | dl.Size):
        return tuple(x)
    if isinstance(x, torch.dtype):
        return str(x).removeprefix("torch.")
    if isinstance(x, np.dtype):
        return "bool" if x == np.bool_ else x.name
    return x


def _assert_same(ours, theirs, path="result"):
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _assert_same(a, b, f"{path}[{i}]")
    elif isinstance(theirs, tuple) and len(theirs) == 2 and isinstance(theirs[0], np.ndarray):
        (a, da), (b, db) = ours, theirs
        assert da == db, f"{path}: dtype {da}, torch {db}"
        assert a.shape == b.shape, f"{path}: shape {a.shape}, torch {b.shape}"
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7, err_msg=path)
    elif isinstance(theirs, float):
        assert ours == pytest.approx(theirs, rel=1e-6), path
    else:
        assert ours == theirs, f"{path}: {ours!r}, torch {theirs!r}"


def _m(lib):
    return lib.tensor([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])


CASES = {
    # creation
    "tensor_ints": lambda lib: lib.tensor([1, 2, 3]),
    "tensor_floats": lambda lib: lib.tensor([[1.0, 2.0]]),
    "tensor_bool": lambda lib: lib.tensor([True, False]),
    "tensor_dtype": lambda lib: lib.tensor([1, 2], dtype=lib.float64),
    "as_tensor": lambda lib: lib.as_tensor([1.0, 2.0], dtype=lib.float32),
    "from_numpy": lambda lib: lib.from_numpy(np.arange(4, dtype=np.int32)),
    "zeros": lambda lib: lib.zeros(2, 3),
    "zeros_tuple": lambda lib: lib.zeros((2, 3), dtype=lib.long),
    "ones": lambda lib: lib.ones(3, dtype=lib.int32),
    "full_float": lambda lib: lib.full((2, 2), 1.5),
    "full_int": lambda lib: lib.full((2,), 7),
    "eye": lambda lib: lib.eye(3),
    "eye_rect": lambda lib: lib.eye(2, 3),
    "arange_int": lambda lib: lib.arange(5),
    "arange_float": lambda lib: lib.arange(0, 1, 0.25),
    "arange_step": lambda lib: lib.arange(1, 10, 3),
    "linspace": lambda lib: lib.linspace(-math.pi, math.pi, 7),
    "linspace_2000": lambda lib: lib.linspace(-math.pi, math.pi, 2000),
    "logspace": lambda lib: lib.logspace(0, 2, 3),
    "zeros_like": lambda lib: lib.zeros_like(_m(lib)),
    "ones_like": lambda lib: lib.ones_like(lib.tensor([1, 2])),
    "full_like": lambda lib: lib.full_like(_m(lib), 2.0),
    "empty_shape": lambda lib: lib.empty(2, 3).shape,
    "randn_shape": lambda lib: (lib.randn(2, 3).shape, lib.randn(2, 3).dtype),
    "randint_dtype": lambda lib: (lib.randint(0, 5, (4,)).dtype, lib.randint(3, (2, 2)).shape),
    "randperm_sorted": lambda lib: lib.randperm(6).sort().values,
    "normal_shape": lambda lib: lib.normal(0, 1, (3, 2)).shape,
    # math
    "sin": lambda lib: lib.sin(_m(lib)),
    "cos": lambda lib: lib.cos(_m(lib)),
    "tan": lambda lib: lib.tan(_m(lib) / 4),
    "exp_int": lambda lib: lib.exp(lib.tensor([0, 1, 2])),
    "log": lambda lib: lib.log(lib.abs(_m(lib))),
    "log1p": lambda lib: lib.log1p(lib.abs(_m(lib))),
    "sqrt_int": lambda lib: lib.sqrt(lib.tensor([1, 4, 9])),
    "abs": lambda lib: lib.abs(_m(lib)),
    "abs_builtin": lambda lib: abs(_m(lib)),
    "tanh": lambda lib: lib.tanh(_m(lib)),
    "sigmoid": lambda lib: lib.sigmoid(_m(lib)),
    "relu": lambda lib: lib.relu(_m(lib)),
    "pow_tensor_int_exponent": lambda lib: _m(lib).pow(lib.tensor([1, 2, 3])),
    "pow_fn": lambda lib: lib.pow(_m(lib), 2),
    "clamp": lambda lib: lib.clamp(_m(lib), min=-1.0, max=2.0),
    "clamp_min_only": lambda lib: _m(lib).clamp(min=0),
    "matmul": lambda lib: lib.matmul(_m(lib), _m(lib).T),
    "mm": lambda lib: lib.mm(_m(lib).T, _m(lib)),
    "bmm": lambda lib: lib.bmm(lib.ones(2, 2, 3), lib.ones(2, 3, 4)),
    "dot": lambda lib: lib.dot(lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])),
    "einsum": lambda lib: lib.einsum("ij,kj->ik", _m(lib), _m(lib)),
    "einsum_implicit": lambda lib: lib.einsum("ij,jk", _m(lib), _m(lib).T),
    "einsum_trace_free": lambda lib: lib.einsum("ij->j", _m(lib)),
    "sum": lambda lib: lib.sum(_m(lib)),
    "sum_dim": lambda lib: _m(lib).sum(1, keepdim=True),
    "sum_int32_is_int64": lambda lib: lib.tensor([1, 2], dtype=lib.int32).sum(),
    "sum_bool": lambda lib: (lib.tensor([1, 2, 3]) > 1).sum(),
    "mean": lambda lib: lib.mean(_m(lib), 0),
    "std": lambda lib: lib.std(_m(lib)),
    "std_dim": lambda lib: _m(lib).std(dim=1, unbiased=False),
    "var": lambda lib: lib.var(_m(lib), 1),
    "prod": lambda lib: lib.prod(_m(lib), 1),
    "prod_int": lambda lib: lib.tensor([2, 3, 4]).prod(),
    "cumsum": lambda lib: lib.cumsum(_m(lib), dim=1),
    "cumsum_int": lambda lib: lib.tensor([1, 2, 3]).cumsum(0),
    "norm": lambda lib: _m(lib).norm(),
    "norm_p1_dim": lambda lib: _m(lib).norm(p=1, dim=1),
    "max_all": lambda lib: lib.max(_m(lib)),
    "max_dim": lambda lib: tuple(lib.max(_m(lib), 1)),
    "max_dim_names": lambda lib: (_m(lib).max(dim=0).values, _m(lib).max(dim=0).indices),
    "min_dim_keepdim": lambda lib: tuple(_m(lib).min(1, keepdim=True)),
    "max_binary": lambda lib: lib.max(_m(lib), lib.zeros(2, 3)),
    "amax": lambda lib: lib.amax(_m(lib), 1),
    "argmax": lambda lib: lib.argmax(_m(lib)),
    "argmax_dim": lambda lib: _m(lib).argmax(1),
    "argmin_dim": lambda lib: lib.argmin(_m(lib), 0),
    "sort": lambda lib: tuple(lib.sort(_m(lib))),
    "sort_descending": lambda lib: tuple(_m(lib).sort(dim=0, descending=True)),
    "argsort": lambda lib: lib.argsort(_m(lib), dim=1),
    "topk": lambda lib: tuple(lib.topk(_m(lib), 2)),
    "topk_smallest": lambda lib: tuple(_m(lib).topk(1, dim=0, largest=False)),
    "gather": lambda lib: lib.gather(_m(lib), 1, lib.tensor([[2, 0], [1, 1]])),
    "where": lambda lib: lib.where(_m(lib) > 0, _m(lib), lib.zeros(2, 3)),
    "where_scalar": lambda lib: lib.where(_m(lib) > 0, _m(lib), 0.0),
    "allclose": lambda lib: lib.allclose(_m(lib), _m(lib) + 1e-9),
    "equal": lambda lib: lib.equal(_m(lib), _m(lib)),
    "isnan": lambda lib: lib.isnan(lib.tensor([1.0, float("nan")])),
    "sign_floor_round": lambda lib: (_m(lib).sign(), _m(lib).floor(), (_m(lib) * 1.3).round()),
    "remainder": lambda lib: _m(lib) % 1.25,
    "floordiv_int": lambda lib: lib.tensor([7, -7]) // 2,
    # shapes
    "cat": lambda lib: lib.cat([_m(lib), _m(lib)], dim=1),
    "cat_promotes": lambda lib: lib.cat([lib.tensor([1, 2]), lib.tensor([0.5])]),
    "stack": lambda lib: lib.stack([_m(lib), _m(lib)]),
    "flatten": lambda lib: lib.flatten(lib.ones(2, 3, 4), 1),
    "reshape": lambda lib: lib.reshape(_m(lib), (3, -1)),
    "view": lambda lib: _m(lib).view(-1),
    "view_as": lambda lib: _m(lib).view_as(lib.zeros(3, 2)),
    "squeeze": lambda lib: lib.squeeze(lib.ones(1, 3, 1)).shape,
    "unsqueeze": lambda lib: lib.unsqueeze(_m(lib), 1).shape,
    "transpose": lambda lib: lib.transpose(_m(lib), 0, 1),
    "t": lambda lib: _m(lib).t(),
    "permute": lambda lib: lib.ones(2, 3, 4).permute(2, 0, 1).shape,
    "chunk": lambda lib: lib.chunk(lib.arange(7), 3),
    "split_int": lambda lib: lib.split(lib.arange(7), 3),
    "split_sizes": lambda lib: _m(lib).split([1, 2], dim=1),
    "unbind": lambda lib: lib.unbind(_m(lib), 1),
    "repeat": lambda lib: _m(lib).repeat(2, 1),
    "repeat_new_dims": lambda lib: lib.tensor([1, 2]).repeat(2, 2),
    "expand_as": lambda lib: lib.tensor([[1.0], [2.0]]).expand_as(_m(lib)),
    "index_select": lambda lib: lib.index_select(_m(lib), 1, lib.tensor([2, 0])),
    "ravel": lambda lib: _m(lib).ravel(),
    # Tensor methods
    "size": lambda lib: (_m(lib).size(), _m(lib).size(1), _m(lib).size(-1)),
    "dim_numel": lambda lib: (_m(lib).dim(), _m(lib).numel(), _m(lib).ndim, len(_m(lib))),
    "item_tolist": lambda lib: (_m(lib)[0, 1].item(), _m(lib).tolist()),
    "clone": lambda lib: _m(lib).clone(),
    "type_string": lambda lib: _m(lib).type().split(".")[-1],
    "type_cast": lambda lib: _m(lib).type(lib.int64),
    "float_double_long_int_bool": lambda lib: (
        lib.tensor([1, 0]).float(),
        _m(lib).double(),
        _m(lib).long(),
        _m(lib).int(),
        _m(lib).bool(),
    ),
    "to_dtype": lambda lib: _m(lib).to(lib.float64),
    "to_device_and_dtype": lambda lib: _m(lib).to("cpu", lib.float64),
    "to_other": lambda lib: lib.tensor([1, 2]).to(_m(lib)),
    "cpu": lambda lib: _m(lib).cpu(),
    "device": lambda lib: (str(_m(lib).device), _m(lib).is_cuda),
    "dtype_objects": lambda lib: (lib.float, lib.double, lib.long, lib.int, lib.bool, lib.half),
    "default_dtype": lambda lib: lib.get_default_dtype(),
    "is_floating_point": lambda lib: (_m(lib).is_floating_point(), lib.is_tensor(_m(lib))),
    "new_zeros": lambda lib: _m(lib).new_zeros(2),
    "masked_fill": lambda lib: _m(lib).masked_fill(_m(lib) < 0, 0.0),
    "comparisons": lambda lib: (_m(lib).eq(1.5), _m(lib).gt(0), _m(lib) <= 0.5),
    "all_any": lambda lib: ((_m(lib) > -5).all(), (_m(lib) > 3).any(dim=1)),
    "contiguous": lambda lib: _m(lib).T.contiguous(),
    "cuda_available": lambda lib: lib.cuda.is_available(),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_result_as_torch(name):
    dl.manual_seed(0)
    torch.manual_seed(0)
    _assert_same(_plain(CASES[name](dl)), _plain(CASES[name](torch)))


PROMOTION = [
    ("float32 + int64", lambda lib: lib.ones(2) + lib.tensor([1, 2])),
    ("int64 + float32", lambda lib: lib.tensor([1, 2]) + lib.ones(2)),
    ("float32 + python float", lambda lib: lib.ones(2) * 0.1),
    ("int64 + python float", lambda lib: lib.tensor([1, 2]) * 0.5),
    ("int64 + python int", lambda lib: lib.tensor([1, 2]) + 3),
    ("int32 + python int", lambda lib: lib.tensor([1, 2], dtype=lib.int32) + 3),
    ("bool + python int", lambda lib: lib.tensor([True, False]) + 1),
    ("float32 + 0-dim float64", lambda lib: lib.ones(2) + lib.tensor(2.0, dtype=lib.float64)),
    ("int64 + 0-dim float64", lambda lib: lib.tensor([1, 2]) + lib.tensor(2.0, dtype=lib.float64)),
    ("float32 + float64", lambda lib: lib.ones(2) + lib.ones(2, dtype=lib.float64)),
    ("int32 + int64 0-dim", lambda lib: lib.tensor([1], dtype=lib.int32) + lib.tensor(1)),
    (
        "uint8 + int8",
        lambda lib: lib.tensor([1], dtype=lib.uint8) + lib.tensor([1], dtype=lib.int8),
    ),
    ("int / int", lambda lib: lib.tensor([1, 2]) / lib.tensor([2, 2])),
    ("int / python int", lambda lib: lib.tensor([3]) / 2),
    ("python float - int", lambda lib: 1.5 - lib.tensor([1, 2])),
    ("int ** python float", lambda lib: lib.tensor([4, 9]) ** 0.5),
    ("float16 + int64", lambda lib: lib.ones(2, dtype=lib.half) + lib.tensor([1, 2])),
    ("result_type", lambda lib: lib.result_type(lib.tensor([1]), 1.0)),
    ("promote_types", lambda lib: lib.promote_types(lib.int64, lib.float32)),
]


@pytest.mark.parametrize("name, case", PROMOTION, ids=[p[0] for p in PROMOTION])
def test_type_promotion_follows_torch(name, case):
    _assert_same(_plain(case(dl)), _plain(case(torch)))


GRADIENTS = [
    ("tan", lambda x: x.tan(), [[0.1, -0.4, 0.7]]),
    ("log1p", lambda x: x.log1p(), [[0.1, 0.4, 2.0]]),
    ("prod", lambda x: x.prod(1), [[[1.5, -2.0, 0.5], [0.0, 3.0, 2.0]]]),
    ("prod_with_zero", lambda x: x.prod(), [[0.0, 3.0, 2.0]]),
    ("cumsum", lambda x: x.cumsum(0), [[[1.0, 2.0], [3.0, 4.0]]]),
    ("norm", lambda x: x.norm(), [[3.0, -4.0]]),
    ("norm_dim", lambda x: x.norm(dim=1, keepdim=True), [[[3.0, -4.0], [1.0, 2.0]]]),
    ("norm_p3", lambda x: x.norm(p=3), [[1.0, -2.0, 0.5]]),
    ("std", lambda x: x.std(), [[1.0, 4.0, -2.0, 0.5]]),
    ("sort_values", lambda x: x.sort(descending=True).values, [[2.0, -1.0, 3.0]]),
    ("topk_values", lambda x: x.topk(2).values, [[2.0, -1.0, 3.0, 0.5]]),
    ("max_dim_values", lambda x: x.max(1).values, [[[1.0, 5.0], [7.0, 2.0]]]),
    ("gather", lambda x, i=None: x.gather(1, _index(x)), [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]),
    ("einsum", lambda a, b: _einsum(a)("ij,jk->ik", a, b), [[[1.0, 2.0]], [[3.0], [4.0]]]),
    ("repeat", lambda x: x.repeat(2, 3), [[[1.0, 2.0]]]),
    ("chunk", lambda x: x.chunk(2)[1] * 3, [[1.0, 2.0, 3.0]]),
    ("clone", lambda x: x.clone() * x, [[1.0, -2.0]]),
    ("remainder", lambda x: x % 0.75, [[1.0, -2.0, 2.6]]),
    ("clamp", lambda x: x.clamp(-1, 1), [[-2.0, 0.5, 3.0]]),
    ("masked_fill", lambda x: x.masked_fill(x > 1, 0.0) * x, [[0.5, 2.0, -1.0]]),
    ("int_pow_tensor", lambda x: x.pow(_ints(x)), [[1.5, 2.0, 0.5]]),
]


def _lib(x):
    return dl if isinstance(x, dl.Tensor) else torch


def _index(x):
    return _lib(x).tensor([[2, 0], [1, 1]])


def _ints(x):
    return _lib(x).tensor([1, 2, 3])


def _einsum(x):
    return _lib(x).einsum


@pytest.mark.parametrize("name, fn, inputs", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_gradients_match_torch(name, fn, inputs):
    compare_with_torch(sum_of(fn), sum_of(fn), inputs, upstream=np.array(1.0))
    compare_with_torch(fn, fn, inputs)


ERRORS = [
    ("item of many", lambda lib: lib.ones(2).item(), RuntimeError, "a Tensor with 2 elements"),
    (
        "int requires grad",
        lambda lib: lib.tensor([1, 2], requires_grad=True),
        RuntimeError,
        "Only Tensors of floating point",
    ),  # fmt: skip
    (
        "requires_grad_ int",
        lambda lib: lib.tensor([1]).requires_grad_(),
        RuntimeError,
        "only Tensors of floating point dtype can require gradients",
    ),  # fmt: skip
    (
        "mean of int",
        lambda lib: lib.tensor([1, 2]).mean(),
        RuntimeError,
        "mean(): could not infer output dtype",
    ),  # fmt: skip
    (
        "backward non-scalar",
        lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(),
        RuntimeError,
        "grad can be implicitly created only for scalar outputs",
    ),  # fmt: skip
    (
        "backward no grad",
        lambda lib: lib.ones(1).backward(),
        RuntimeError,
        "element 0 of tensors does not require grad",
    ),  # fmt: skip
    (
        "backward twice",
        lambda lib: _twice(lib),
        RuntimeError,
        "Trying to backward through the graph a second time",
    ),  # fmt: skip
    (
        "backward shape",
        lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(lib.ones(3)),
        RuntimeError,
        "Mismatch in shape: grad_output[0] has a shape of",
    ),  # fmt: skip
    (
        "matmul dtypes",
        lambda lib: lib.ones(2, 2) @ lib.ones(2, 2, dtype=lib.float64),
        RuntimeError,
        "expected m1 and m2 to have the same dtype, but got: float != double",
    ),  # fmt: skip
    (
        "reshape",
        lambda lib: lib.ones(2, 3).reshape(4, 2),
        RuntimeError,
        "shape '[4, 2]' is invalid for input of size 6",
    ),  # fmt: skip
    ("len of 0-d", lambda lib: len(lib.tensor(1.0)), TypeError, "len() of a 0-d tensor"),
    (
        "bool of many",
        lambda lib: bool(lib.ones(2)),
        RuntimeError,
        "Boolean value of Tensor with more than one value is ambiguous",
    ),  # fmt: skip
    (
        "floor_divide grad",
        lambda lib: (lib.ones(2, requires_grad=True) // 2).sum().backward(),
        RuntimeError,
        "derivative for aten::floor_divide is not implemented",
    ),  # fmt: skip
    (
        "clamp nothing",
        lambda lib: lib.ones(2).clamp(),
        RuntimeError,
        "torch.clamp: At least one of 'min' or 'max' must not be None",
    ),  # fmt: skip
    (
        "requires_grad_ False on non-leaf",
        lambda lib: (lib.ones(2, requires_grad=True) * 2).requires_grad_(False),
        RuntimeError,
        "you can only change requires_grad flags of leaf variables",
    ),  # fmt: skip
]


def _twice(lib):
    y = (lib.ones(2, requires_grad=True) * lib.ones(2, requires_grad=True)).sum()
    y.backward()
    y.backward()


@pytest.mark.parametrize("name, fn, error, words", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_use_torchs_words(name, fn, error, words):
    for lib in (torch, dl):
        with pytest.raises(error) as info:
            fn(lib)
        assert words in str(info.value), (lib.__name__, str(info.value))


@pytest.mark.parametrize(
    "fn",
    [
        lambda: dl.ones(2, device="cuda"),
        lambda: dl.ones(2).to("cuda"),
        lambda: dl.ones(2).cuda(),
        lambda: dl.tensor([1.0], device=dl.device("mps")),
        lambda: dl.nn.Linear(2, 2).to("cuda:0"),
    ],
)
def test_other_devices_are_a_clear_error(fn):
    with pytest.raises(
        RuntimeError, match="descentlab runs on the CPU only, expected device 'cpu'"
    ):
        fn()


def test_cpu_devices_are_accepted_everywhere():
    d = dl.device("cpu")
    assert d == "cpu" and repr(d) == "device(type='cpu')" and dl.ones(1).device == d
    x = dl.zeros(2, device=d).to(d).to("cpu").cpu()
    model = dl.nn.Linear(2, 1).to(d)
    assert model(x.reshape(1, 2)).shape == (1, 1)
    assert not dl.cuda.is_available() and dl.cuda.device_count() == 0
    assert not dl.backends.mps.is_available()


def test_missing_torch_features_say_so():
    x = dl.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="create_graph=True .* descentlab does not have"):
        (x * x).sum().backward(create_graph=True)
    with pytest.raises(RuntimeError, match="rounding_mode='floor'"):
        x.div(2, rounding_mode="floor")
    with pytest.raises(RuntimeError, match="view\\(dtype\\)"):
        x.view(dl.int32)
    with pytest.raises(RuntimeError, match="ellipsis"):
        dl.einsum("...i->i", x)


def test_backward_with_gradient_and_grad_fn_graph():
    for lib in (dl, torch):
        a = lib.tensor([2.0, 3.0], requires_grad=True)
        q = 3 * a**3
        assert q.grad_fn.name() == "MulBackward0"
        (fn, index), (none, _) = q.grad_fn.next_functions
        assert fn.name() == "PowBackward0" and index == 0 and none is None
        leaf = fn.next_functions[0][0]
        assert type(leaf).__name__ == "AccumulateGrad" and leaf.variable is a
        q.backward(gradient=lib.tensor([1.0, 0.5]))
        np.testing.assert_allclose(a.grad.numpy(), [36.0, 40.5])


def test_grad_modes():
    x = dl.ones(2, requires_grad=True)
    with dl.inference_mode():
        assert not (x * 2).requires_grad and dl.is_inference_mode_enabled()
    with dl.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with dl.enable_grad():
            assert (x * 2).requires_grad
    assert dl.is_grad_enabled()
    dl.set_grad_enabled(False)
    assert not dl.is_grad_enabled()
    dl.set_grad_enabled(True)

    @dl.no_grad()
    def evaluate():
        return x * 2

    assert not evaluate().requires_grad


def test_generator_streams_are_independent_and_repeatable():
    g1, g2 = dl.Generator().manual_seed(5), dl.Generator().manual_seed(5)
    a = dl.randn(3, generator=g1)
    dl.manual_seed(1)
    dl.randn(10)  # the library's stream does not disturb the generators
    assert a.equal(dl.randn(3, generator=g2))
    w = dl.empty(4)
    w.uniform_(-1, 1, generator=dl.Generator().manual_seed(2))
    assert float(w.abs().max()) <= 1 and w.dtype == dl.float32
    assert dl.randperm(5, generator=dl.Generator().manual_seed(3)).sort().values.tolist() == list(
        range(5)
    )
