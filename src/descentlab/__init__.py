"""descentlab: gradient descent and backpropagation from scratch, on NumPy.

The top level has torch's names, so ``import descentlab as torch`` runs CPU programs
written for PyTorch (see the README's "PyTorch compatibility" for what is and is not there).

>>> import descentlab as dl
>>> x = dl.tensor([1.0, 2.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([2., 4.])
"""

from descentlab import functional
from descentlab import random as random
from descentlab import return_types as return_types
from descentlab.allocator import tune_malloc
from descentlab.autograd_mode import (
    detect_anomaly,
    enable_grad,
    get_default_dtype,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_default_dtype,
    set_grad_enabled,
)
from descentlab.device import accelerator, backends, cuda, device
from descentlab.dtypes import (
    bool,
    double,
    finfo,
    float,
    float16,
    float32,
    float64,
    half,
    iinfo,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    short,
    uint8,
)
from descentlab.dtypes import result_type as _result_type
from descentlab.factories import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from descentlab.functional import clip, concatenate, maximum, minimum, stack, where
from descentlab.functions import (
    abs,
    add,
    allclose,
    amax,
    amin,
    argmax,
    argmin,
    argsort,
    bmm,
    cat,
    chunk,
    clamp,
    clone,
    concat,
    cos,
    cumsum,
    div,
    dot,
    einsum,
    equal,
    exp,
    flatten,
    gather,
    index_select,
    is_tensor,
    isfinite,
    isnan,
    log,
    log1p,
    matmul,
    max,
    mean,
    min,
    mm,
    mul,
    neg,
    norm,
    numel,
    permute,
    pow,
    prod,
    relu,
    reshape,
    sigmoid,
    sign,
    sin,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    std,
    sub,
    sum,
    t,
    tan,
    tanh,
    topk,
    transpose,
    unbind,
    unsqueeze,
    var,
)
from descentlab.gradcheck import GradcheckError, GradcheckReport, gradcheck
from descentlab.printing import set_printoptions
from descentlab.random import Generator, manual_seed, seed
from descentlab.tensor import Tensor
from descentlab.tensor_methods import Size

__version__ = "0.1.0"


def result_type(a: object, b: object) -> object:
    """torch.result_type: the dtype an operation between ``a`` and ``b`` gives."""
    return _result_type(*(x._data if isinstance(x, Tensor) else x for x in (a, b)))


def is_floating_point(x: Tensor) -> bool:
    return x.is_floating_point()


__all__ = [
    "Generator", "GradcheckError", "GradcheckReport", "Size", "Tensor", "abs", "accelerator",
    "add", "allclose", "amax", "amin", "arange", "argmax", "argmin", "argsort", "as_tensor",
    "backends", "bmm", "bool", "cat", "chunk", "clamp", "clip", "clone", "concat",
    "concatenate", "cos", "cuda", "cumsum", "detect_anomaly", "device", "div", "dot",
    "double", "einsum", "empty", "empty_like", "enable_grad", "equal", "exp", "eye", "finfo",
    "flatten", "float", "float16", "float32", "float64", "from_numpy", "full", "full_like",
    "functional", "gather", "get_default_dtype", "gradcheck", "half", "iinfo", "index_select",
    "inference_mode", "int", "int8", "int16", "int32", "int64", "is_floating_point",
    "is_grad_enabled", "is_inference_mode_enabled", "is_tensor", "isfinite", "isnan",
    "linspace", "log", "log1p", "logspace", "long", "manual_seed", "matmul", "max", "maximum",
    "mean", "min", "minimum", "mm", "mul", "neg", "no_grad", "norm", "normal", "numel", "ones",
    "ones_like", "permute", "pow", "prod", "promote_types", "rand", "rand_like", "randint",
    "randn", "randn_like", "random", "randperm", "relu", "reshape", "result_type",
    "return_types", "seed", "set_default_dtype", "set_grad_enabled", "set_printoptions",
    "short", "sigmoid", "sign", "sin", "sort", "split", "sqrt", "square", "squeeze", "stack",
    "std", "sub", "sum", "t", "tan", "tanh", "tensor", "topk", "transpose", "tune_malloc", "uint8",
    "unbind",
    "unsqueeze", "var", "where", "zeros", "zeros_like",
]  # fmt: skip


def __getattr__(name: str):
    # Subpackages that import more than NumPy load on first use, so `import descentlab`
    # stays light: dl.nn, dl.optim, dl.data, dl.utils, dl.train, dl.graph, dl.save / dl.load.
    import importlib

    if name in ("nn", "optim", "data", "utils", "train", "graph", "landscapes", "viz"):
        return importlib.import_module(f"descentlab.{name}")
    if name in ("save", "load"):
        return getattr(importlib.import_module("descentlab.serialization"), name)
    raise AttributeError(f"module 'descentlab' has no attribute {name!r}")
