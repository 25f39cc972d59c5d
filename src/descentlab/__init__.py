"""descentlab: gradient descent and backpropagation from scratch, on NumPy.

import descentlab as dl
x = dl.tensor([1.0, 2.0], requires_grad=True)
(x * x).sum().backward()
x.grad  # array([2., 4.], dtype=float32)
"""

from descentlab import functional
from descentlab import random as random
from descentlab.allocator import tune_malloc
from descentlab.autograd_mode import (
    detect_anomaly,
    enable_grad,
    get_default_dtype,
    is_grad_enabled,
    no_grad,
    set_default_dtype,
    set_grad_enabled,
)
from descentlab.factories import (
    arange,
    full,
    ones,
    ones_like,
    rand,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from descentlab.functional import clip, concatenate, maximum, minimum, stack, where
from descentlab.gradcheck import GradcheckError, GradcheckReport, gradcheck
from descentlab.random import manual_seed
from descentlab.tensor import Tensor

__version__ = "0.1.0"

float32 = "float32"
float64 = "float64"

__all__ = [
    "GradcheckError",
    "GradcheckReport",
    "Tensor",
    "arange",
    "clip",
    "concatenate",
    "detect_anomaly",
    "enable_grad",
    "full",
    "functional",
    "get_default_dtype",
    "gradcheck",
    "is_grad_enabled",
    "manual_seed",
    "maximum",
    "minimum",
    "no_grad",
    "ones",
    "ones_like",
    "rand",
    "randn",
    "randn_like",
    "random",
    "set_default_dtype",
    "set_grad_enabled",
    "stack",
    "tensor",
    "tune_malloc",
    "where",
    "zeros",
    "zeros_like",
]


def __getattr__(name: str):
    # Subpackages that import more than NumPy load on first use, so `import descentlab`
    # stays light: dl.nn, dl.optim, dl.data, dl.train, dl.graph, dl.save / dl.load.
    import importlib

    if name in ("nn", "optim", "data", "train", "graph", "landscapes", "viz"):
        return importlib.import_module(f"descentlab.{name}")
    if name in ("save", "load"):
        return getattr(importlib.import_module("descentlab.serialization"), name)
    raise AttributeError(f"module 'descentlab' has no attribute {name!r}")
