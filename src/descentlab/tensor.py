"""Tensor: an ndarray, its gradient, and the op that made it.

Applying an op (see ops/base.py) to tensors runs the op's forward on their arrays and,
when any input requires a gradient and recording is on, links the result to the op
instance, which keeps its inputs as ``parents``. ``backward()`` orders that graph with an
iterative depth-first search (no recursion: a chain 100,000 ops deep works), runs each
op's backward once, sums gradients that meet at a node, and leaves the result in
``.grad`` of the leaves. The graph is freed afterwards unless ``retain_graph=True``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from descentlab import autograd_mode
from descentlab.ops import arithmetic, reduce, shape, softmax, unary
from descentlab.ops.base import Op, normalize_axis, unbroadcast

_state = autograd_mode._local


def _grad_enabled() -> bool:
    return getattr(_state, "grad_enabled", True)


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Attributes:
        data: the values, an ``np.ndarray``.
        grad: ``None`` until backward() reaches this tensor, then an ndarray of the same
            shape holding d(output)/d(this), accumulated over backward() calls.
        requires_grad: whether backward() should compute a gradient for this tensor.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_retains_grad", "__weakref__")
    __array_priority__ = 1000  # so ndarray <op> Tensor defers to Tensor's reflected op

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = _as_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"tensor: only floating-point tensors can require grad, received dtype "
                f"{self.data.dtype}"
            )
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._ctx = None
        self._retains_grad = False

    # ----------------------------------------------------------------- basics
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        return self.data

    def item(self) -> float | int | bool:
        if self.data.size != 1:
            raise ValueError(
                f"item: only a tensor with one element can become a Python number, this one "
                f"has shape {self.shape}"
            )
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same values, cut from the graph (no grad flows back through it)."""
        return _leaf(self.data)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward(), as PyTorch does."""
        self._retains_grad = True

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"requires_grad_: dtype {self.dtype} cannot require grad")
        self.requires_grad = requires_grad
        return self

    def zero_grad(self) -> None:
        self.grad = None

    def astype(self, dtype: Any) -> Tensor:
        """The values as ``dtype``; the gradient flows back cast to this tensor's dtype."""
        if np.dtype(dtype) == self.dtype:
            return self
        return apply(unary.Cast, self, dtype=np.dtype(dtype))

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        if self.data.size <= 12:
            values = np.array2string(self.data, separator=", ", precision=4)
            return f"tensor({values}, dtype={self.dtype}{grad})"
        return f"Tensor(shape={self.shape}, dtype={self.dtype}{grad})"

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __hash__(self) -> int:
        return id(self)

    # --------------------------------------------------------------- backward
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        Args:
            grad: d(loss)/d(self), same shape as self. Optional for a one-element tensor
                (taken as 1).
            retain_graph: keep the graph so that backward() can run through it again.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no graph: create the "
                "inputs with requires_grad=True (and not inside no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be left out only for a one-element output; this "
                    f"tensor has shape {self.shape}: pass grad= of that shape"
                )
            grad = np.ones_like(self.data)
        else:
            grad = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(
                    f"backward: grad has shape {grad.shape}, expected the output's shape "
                    f"{self.shape}"
                )
        _run_backward(self, grad, retain_graph)

    # ------------------------------------------------------------- arithmetic
    def __add__(self, other: Any) -> Tensor:
        return apply(arithmetic.Add, self, _lift(other, self))

    def __radd__(self, other: Any) -> Tensor:
        return apply(arithmetic.Add, _lift(other, self), self)

    def __sub__(self, other: Any) -> Tensor:
        return apply(arithmetic.Sub, self, _lift(other, self))

    def __rsub__(self, other: Any) -> Tensor:
        return apply(arithmetic.Sub, _lift(other, self), self)

    def __mul__(self, other: Any) -> Tensor:
        return apply(arithmetic.Mul, self, _lift(other, self))

    def __rmul__(self, other: Any) -> Tensor:
        return apply(arithmetic.Mul, _lift(other, self), self)

    def __truediv__(self, other: Any) -> Tensor:
        return apply(arithmetic.Div, self, _lift(other, self))

    def __rtruediv__(self, other: Any) -> Tensor:
        return apply(arithmetic.Div, _lift(other, self), self)

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, int | float) and not isinstance(exponent, bool):
            return apply(arithmetic.PowScalar, self, exponent=exponent)
        return apply(arithmetic.Pow, self, _lift(exponent, self))

    def __rpow__(self, base: Any) -> Tensor:
        return apply(arithmetic.Pow, _lift(base, self), self)

    def __matmul__(self, other: Any) -> Tensor:
        from descentlab.ops.matmul import MatMul

        return apply(MatMul, self, _lift(other, self))

    def __rmatmul__(self, other: Any) -> Tensor:
        from descentlab.ops.matmul import MatMul

        return apply(MatMul, _lift(other, self), self)

    def __neg__(self) -> Tensor:
        return apply(arithmetic.Neg, self)

    def __pos__(self) -> Tensor:
        return self

    # Comparisons give boolean tensors that are not part of any graph.
    def __lt__(self, other: Any) -> Tensor:
        return _leaf(self.data < _raw(other))

    def __le__(self, other: Any) -> Tensor:
        return _leaf(self.data <= _raw(other))

    def __gt__(self, other: Any) -> Tensor:
        return _leaf(self.data > _raw(other))

    def __ge__(self, other: Any) -> Tensor:
        return _leaf(self.data >= _raw(other))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _leaf(self.data == _raw(other))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _leaf(self.data != _raw(other))

    def __getitem__(self, index: Any) -> Tensor:
        return apply(shape.GetItem, self, index=_raw_index(index))

    def __setitem__(self, index: Any, value: Any) -> None:
        if self.requires_grad and _grad_enabled():
            raise RuntimeError(
                "setitem: in-place assignment into a tensor that requires grad would corrupt "
                "its gradient; assign under no_grad() or build a new tensor with where()"
            )
        self.data[_raw_index(index)] = _raw(value)

    # ------------------------------------------------------------- reductions
    def sum(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: bool | None = None) -> Tensor:  # fmt: skip
        axis, keep = _dims("sum", self, dim, axis, keepdim, keepdims)
        return apply(reduce.Sum, self, axis=axis, keepdims=keep)

    def mean(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
             keepdims: bool | None = None) -> Tensor:  # fmt: skip
        axis, keep = _dims("mean", self, dim, axis, keepdim, keepdims)
        return apply(reduce.Mean, self, axis=axis, keepdims=keep)

    def var(self, dim: Any = None, keepdim: bool = False, *, correction: int = 1,
            unbiased: bool | None = None, axis: Any = None,
            keepdims: bool | None = None) -> Tensor:  # fmt: skip
        """Variance; ``correction=1`` (or ``unbiased=True``) divides by n - 1, as torch.var."""
        axis, keep = _dims("var", self, dim, axis, keepdim, keepdims)
        if unbiased is not None:
            correction = int(unbiased)
        return apply(reduce.Var, self, axis=axis, keepdims=keep, correction=correction)

    def std(self, dim: Any = None, keepdim: bool = False, *, correction: int = 1,
            axis: Any = None, keepdims: bool | None = None) -> Tensor:  # fmt: skip
        return self.var(dim, keepdim, correction=correction, axis=axis, keepdims=keepdims).sqrt()

    def max(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: bool | None = None) -> Tensor:  # fmt: skip
        """Largest value (over ``dim`` if given); returns values only, not indices."""
        axis, keep = _dims("max", self, dim, axis, keepdim, keepdims)
        return apply(reduce.Max, self, axis=axis, keepdims=keep)

    def min(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: bool | None = None) -> Tensor:  # fmt: skip
        axis, keep = _dims("min", self, dim, axis, keepdim, keepdims)
        return apply(reduce.Min, self, axis=axis, keepdims=keep)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return _leaf(_arg(np.argmax, self.data, dim, keepdim))

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return _leaf(_arg(np.argmin, self.data, dim, keepdim))

    def logsumexp(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
                  keepdims: bool | None = None) -> Tensor:  # fmt: skip
        axis, keep = _dims("logsumexp", self, dim, axis, keepdim, keepdims)
        return apply(softmax.LogSumExp, self, axis=axis, keepdims=keep)

    def softmax(self, dim: int = -1) -> Tensor:
        return apply(softmax.Softmax, self, axis=normalize_axis(dim, self.ndim, "softmax"))

    def log_softmax(self, dim: int = -1) -> Tensor:
        return apply(softmax.LogSoftmax, self, axis=normalize_axis(dim, self.ndim, "log_softmax"))

    # ---------------------------------------------------------- elementwise
    def exp(self) -> Tensor:
        return apply(unary.Exp, self)

    def log(self) -> Tensor:
        return apply(unary.Log, self)

    def sqrt(self) -> Tensor:
        return apply(unary.Sqrt, self)

    def abs(self) -> Tensor:
        return apply(unary.Abs, self)

    def sin(self) -> Tensor:
        return apply(unary.Sin, self)

    def cos(self) -> Tensor:
        return apply(unary.Cos, self)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        if min is None and max is None:
            raise ValueError("clip: give at least one of min and max")
        return apply(unary.Clip, self, low=min, high=max)

    clamp = clip

    def relu(self) -> Tensor:
        return apply(unary.ReLU, self)

    def sigmoid(self) -> Tensor:
        return apply(unary.Sigmoid, self)

    def tanh(self) -> Tensor:
        return apply(unary.Tanh, self)

    # ------------------------------------------------------------ shape ops
    def reshape(self, *shape_args: Any) -> Tensor:
        target = _resolve_shape(self.shape, _shape_arg(shape_args))
        if target == self.shape:
            return self
        return apply(shape.Reshape, self, shape=target)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        start = normalize_axis(start_dim, self.ndim, "flatten")
        end = normalize_axis(end_dim, self.ndim, "flatten")
        new_shape = self.shape[:start] + (-1,) + self.shape[end + 1 :]
        return self.reshape(new_shape)

    def permute(self, *dims: Any) -> Tensor:
        order = tuple(normalize_axis(d, self.ndim, "permute") for d in _shape_arg(dims))
        if sorted(order) != list(range(self.ndim)):
            raise ValueError(
                f"permute: dims {order} are not a permutation of the {self.ndim} dimensions "
                f"of a tensor of shape {self.shape}"
            )
        return apply(shape.Permute, self, dims=order)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        order = list(range(self.ndim))
        a = normalize_axis(dim0, self.ndim, "transpose")
        b = normalize_axis(dim1, self.ndim, "transpose")
        order[a], order[b] = order[b], order[a]
        return apply(shape.Permute, self, dims=tuple(order))

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        return apply(shape.Permute, self, dims=tuple(reversed(range(self.ndim))))

    def unsqueeze(self, dim: int) -> Tensor:
        d = normalize_axis(dim, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim: int | None = None) -> Tensor:
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        d = normalize_axis(dim, self.ndim, "squeeze")
        if self.shape[d] != 1:
            return self
        return self.reshape(self.shape[:d] + self.shape[d + 1 :])

    def expand(self, *sizes: Any) -> Tensor:
        target = _shape_arg(sizes)
        lead = len(target) - self.ndim
        resolved = tuple(self.shape[i - lead] if s == -1 else s for i, s in enumerate(target))
        try:
            np.broadcast_shapes(self.shape, resolved)
        except ValueError:
            raise ValueError(f"expand: cannot expand shape {self.shape} to {resolved}") from None
        return apply(shape.Expand, self, shape=resolved)


# ====================================================================== helpers
def _as_array(data: Any, dtype: Any) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.array(data, dtype=dtype)
    array = np.array(data)
    if array.dtype.kind == "f" or array.dtype == object:
        return array.astype(autograd_mode.get_default_dtype(), copy=False)
    return array


def _leaf(data: np.ndarray) -> Tensor:
    out = Tensor.__new__(Tensor)
    out.data = data if isinstance(data, np.ndarray) else np.asarray(data)
    out.grad = None
    out.requires_grad = False
    out._ctx = None
    out._retains_grad = False
    return out


def _lift(value: Any, like: Tensor) -> Tensor:
    """A constant operand as a tensor; Python numbers take the other operand's dtype."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        dtype = like.data.dtype if like.data.dtype.kind == "f" else None
        return _leaf(np.asarray(value, dtype=dtype))
    array = np.asarray(value)
    if array.dtype == np.float64 and like.data.dtype.kind == "f":
        array = array.astype(like.data.dtype, copy=False)
    return _leaf(array)


def _raw(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def _raw_index(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_raw(i) for i in index)
    return _raw(index)


def _shape_arg(args: Sequence[Any]) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], tuple | list):
        return tuple(args[0])
    return tuple(args)


def _resolve_shape(current: tuple[int, ...], requested: tuple[int, ...]) -> tuple[int, ...]:
    size = math.prod(current)
    known = math.prod(d for d in requested if d != -1)
    free = [i for i, d in enumerate(requested) if d == -1]
    valid = len(free) <= 1 and all(d >= 0 or d == -1 for d in requested)
    if valid and free and known and size % known == 0:
        resolved = list(requested)
        resolved[free[0]] = size // known
        return tuple(resolved)
    if valid and not free and known == size:
        return tuple(int(d) for d in requested)
    raise ValueError(
        f"reshape: cannot view a tensor of shape {current} ({size} elements) as shape "
        f"{tuple(requested)}"
    )


def _dims(op: str, t: Tensor, dim: Any, axis: Any, keepdim: bool, keepdims: bool | None):
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: pass dim or axis, not both")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if isinstance(dim, list):
        dim = tuple(dim)
    return normalize_axis(dim, t.ndim, op), bool(keepdim)


def _arg(fn, data: np.ndarray, dim: int | None, keepdim: bool) -> np.ndarray:
    if dim is None:
        return np.asarray(fn(data))
    dim = normalize_axis(dim, data.ndim, fn.__name__)
    return fn(data, axis=dim, keepdims=keepdim)


def apply(op_cls: type[Op], *inputs: Tensor, **params: Any) -> Tensor:
    """Run ``op_cls`` forward on the inputs' arrays and record it if a grad is needed."""
    ctx = op_cls()
    try:
        data = op_cls.forward(ctx, *[t.data for t in inputs], **params)
    except ValueError as exc:
        message = str(exc)
        if message.startswith(op_cls.name + ":"):
            raise
        shapes = " and ".join(str(t.shape) for t in inputs)
        raise ValueError(f"{op_cls.name}: inputs of shapes {shapes}: {message}") from None
    if type(data) is not np.ndarray:
        data = np.asarray(data)
    out = Tensor.__new__(Tensor)
    out.data = data
    out.grad = None
    out._retains_grad = False
    if getattr(_state, "anomaly", False):
        _check_finite(op_cls.name, "forward", data, inputs)
    if getattr(_state, "grad_enabled", True) and any(t.requires_grad for t in inputs):
        ctx.parents = inputs
        ctx.needs_input_grad = tuple(t.requires_grad for t in inputs)
        out.requires_grad = True
        out._ctx = ctx
    else:
        out.requires_grad = False
        out._ctx = None
    return out


def _check_finite(name: str, phase: str, array: np.ndarray, inputs: Iterable[Tensor]) -> None:
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        shapes = ", ".join(str(t.shape) for t in inputs)
        kind = "NaN" if np.isnan(array).any() else "Inf"
        raise FloatingPointError(
            f"detect_anomaly: {name} produced {kind} in its {phase} pass "
            f"(input shapes {shapes}, output shape {array.shape})"
        )


def _topological_order(root: Tensor) -> list[Tensor]:
    """Nodes that need a gradient, each after all of its inputs (iterative DFS).

    A node is marked when it is expanded, not when it is pushed: it is appended only
    after every input reachable from it, however many paths lead there.
    """
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        ctx = node._ctx
        if ctx is not None and ctx.parents is not None:
            for parent in ctx.parents:
                if parent.requires_grad and id(parent) not in seen:
                    stack.append((parent, False))
    return order


def _run_backward(root: Tensor, grad: np.ndarray, retain_graph: bool) -> None:
    anomaly = getattr(_state, "anomaly", False)
    pending: dict[int, np.ndarray] = {id(root): grad}
    handed_out: set[int] = set()
    user_grad = id(grad)
    for node in reversed(_topological_order(root)):
        g = pending.pop(id(node), None)
        if g is None:
            continue
        if type(g) is not np.ndarray:  # NumPy gives scalars for 0-d results
            g = np.asarray(g)
        ctx = node._ctx
        if ctx is None or node._retains_grad:
            # Leaves (and retained non-leaves) keep a private array: the same gradient
            # array may flow to several inputs, and .grad may be edited in place later.
            if g.base is not None or id(g) in handed_out or id(g) == user_grad:
                g = g.copy()
            if g.dtype != node.data.dtype:
                g = g.astype(node.data.dtype)
            handed_out.add(id(g))
            node.grad = g if node.grad is None else np.asarray(node.grad + g)
            if ctx is None:
                continue
        if ctx.parents is None:
            raise RuntimeError(
                f"backward: the graph through '{ctx.name}' was already freed by an earlier "
                f"backward(); call the first backward(retain_graph=True) to go through it twice"
            )
        grads = ctx.backward(ctx, g)
        for parent, parent_grad in zip(ctx.parents, grads):
            if parent_grad is None or not parent.requires_grad:
                continue
            if parent_grad.shape != parent.data.shape:
                parent_grad = unbroadcast(parent_grad, parent.data.shape)
            if anomaly:
                _check_finite(ctx.name, "backward", parent_grad, ctx.parents)
            key = id(parent)
            previous = pending.get(key)
            pending[key] = parent_grad if previous is None else previous + parent_grad
        if not retain_graph:
            ctx.parents = None
            ctx.saved = None
