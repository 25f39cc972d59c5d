"""``Module`` and ``Parameter``: the bookkeeping every layer shares, as in ``torch.nn``.

A Module registers, in the order they are assigned, its Parameters, its buffers (arrays that
are state but not trained, such as BatchNorm's running statistics) and its sub-Modules. From
that registry come ``parameters()``, ``state_dict()``, ``train()``/``eval()`` and the printed
tree, all recursive.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from descentlab.autograd_mode import get_default_dtype
from descentlab.tensor import Tensor, _leaf

__all__ = ["IncompatibleKeys", "Module", "Parameter"]


class Parameter(Tensor):
    """A Tensor that a :class:`Module` registers as trainable; ``requires_grad=True`` by default.

    Args:
        data: an array, a Tensor (its data is used, not copied into a new graph) or nested
            lists. Integer or boolean data is cast to the default dtype.
        requires_grad: whether the optimiser should see a gradient for it.
    """

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        arr = data._data if isinstance(data, Tensor) else np.asarray(data)
        if not np.issubdtype(arr.dtype, np.floating):
            arr = arr.astype(get_default_dtype())
        super().__init__(arr, requires_grad=requires_grad, dtype=arr.dtype)

    def __repr__(self) -> str:
        return f"Parameter(shape={tuple(self.shape)}, dtype={self.dtype})"


class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` returns: the keys it could not match."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _as_buffer(name: str, value: Any) -> np.ndarray | None:
    if value is None:
        return None
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray):
        return value
    raise TypeError(
        f"buffer {name!r} must be an np.ndarray, a Tensor or None, got {type(value).__name__}"
    )


class Module:
    """Base class of every layer and model.

    Subclasses call ``super().__init__()`` first, assign their Parameters and sub-Modules as
    attributes (they are registered in that order) and define ``forward``; calling the module
    runs ``forward``. ``training`` is True after construction; ``eval()`` clears it recursively.

    >>> import descentlab.nn as nn
    >>> model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    >>> [name for name, _ in model.named_parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    >>> print(model)
    Sequential(
      (0): Linear(in_features=2, out_features=16, bias=True)
      (1): ReLU()
      (2): Linear(in_features=16, out_features=1, bias=True)
    )
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- registration -------------------------------------------------------------------------

    def _check_init(self) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign a parameter or module before {type(self).__name__}.__init__ "
                f"calls super().__init__()"
            )

    def _forget(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent.discard(name)
        self.__dict__.pop(name, None)

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            self._check_init()
            self._forget(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._check_init()
            self._forget(name)
            self._modules[name] = value
        elif "_parameters" in self.__dict__ and name in self._parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} "
                    f"(expected a Parameter or None)"
                )
            self._parameters[name] = None
        elif "_modules" in self.__dict__ and name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as child module {name!r} "
                    f"(expected a Module or None)"
                )
            self._modules[name] = None
        elif "_buffers" in self.__dict__ and name in self._buffers:
            self._buffers[name] = _as_buffer(name, value)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: the registries hold the real values.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a Parameter (or None, for an absent optional one such as ``bias``)."""
        self._check_init()
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter: {name!r} must be a Parameter or None, "
                f"got {type(param).__name__}"
            )
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Add a buffer: state that is saved in ``state_dict`` (unless not ``persistent``) but
        not trained. Stored as an ``np.ndarray`` (a Tensor's data is used)."""
        self._check_init()
        self._forget(name)
        self._buffers[name] = _as_buffer(name, tensor)
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name``."""
        self._check_init()
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        self._forget(name)
        self._modules[name] = module

    # -- traversal ----------------------------------------------------------------------------

    def named_modules(self, prefix: str = "", memo: set | None = None) -> Iterator[tuple]:
        """Yield ``(name, module)`` for this module and all below it, depth first, once each."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool) -> Iterator[tuple]:
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted name, Parameter)`` in registration order, a shared one once."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yield every Parameter (what an optimiser is given)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, np.ndarray]]:
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[np.ndarray]:
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module (children first) and on this module; return self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- modes and gradients ------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode, recursively; return self."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode must be a bool, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: Dropout is the identity, BatchNorm uses its running statistics."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` (to None, or to zeros if not ``set_to_none``)."""
        for param in self.parameters():
            if param._grad is None:
                continue
            if set_to_none:
                param._grad = None
            else:
                param._grad = _leaf(np.zeros_like(param._data))

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter; return self."""
        for param in self.parameters():
            param.requires_grad = requires_grad
        return self

    def to(self, *args: Any, dtype: Any = None, device: Any = None,
           non_blocking: bool = False) -> Module:  # fmt: skip
        """Cast every floating-point parameter and buffer to ``dtype`` in place; return self.

        As torch's ``Module.to``: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``; the
        device must be the CPU. The Parameter objects stay the same (an optimiser holding
        them keeps working).
        """
        from descentlab.device import check_device
        from descentlab.device import device as device_type

        for arg in args:
            if isinstance(arg, str | device_type):
                device = arg
            else:
                dtype = arg
        check_device(device, "Module.to")
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"to: dtype must be float32 or float64, got {dtype}")
        for module in self.modules():
            for param in module._parameters.values():
                if param is not None:
                    param._data = param._data.astype(dtype)
                    if param._grad is not None:
                        param._grad = _leaf(param._grad._data.astype(dtype))
            for name, buf in module._buffers.items():
                if buf is not None and np.issubdtype(buf.dtype, np.floating):
                    module._buffers[name] = buf.astype(dtype)
        return self

    def cpu(self) -> Module:
        return self

    def double(self) -> Module:
        """Cast parameters and floating buffers to float64 (as for gradcheck)."""
        return self.to(np.float64)

    def float(self) -> Module:
        """Cast parameters and floating buffers to float32."""
        return self.to(np.float32)

    # -- state --------------------------------------------------------------------------------

    def state_dict(self, prefix: str = "") -> OrderedDict[str, np.ndarray]:
        """Every parameter and persistent buffer as ``dotted name -> np.ndarray`` (copies).

        Order as in PyTorch: a module's own parameters, then its buffers, then each child's.
        Save it with ``descentlab.save(model.state_dict(), path)``.
        """
        out: OrderedDict[str, np.ndarray] = OrderedDict()
        self._save_to(out, prefix)
        return out

    def _save_to(self, out: OrderedDict, prefix: str) -> None:
        for name, param in self._parameters.items():
            if param is not None:
                out[prefix + name] = param._data.copy()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent:
                out[prefix + name] = np.array(buf, copy=True)
        for name, module in self._modules.items():
            if module is not None:
                module._save_to(out, f"{prefix}{name}.")

    def _state_slots(self) -> OrderedDict[str, tuple[Module, str, str]]:
        """name -> (owning module, attribute, 'param' | 'buffer') for every state_dict entry."""
        # Walks the tree as _save_to does (a shared sub-module under each of its names).
        slots: OrderedDict[str, tuple[Module, str, str]] = OrderedDict()
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            prefix, module = stack.pop()
            for name, param in module._parameters.items():
                if param is not None:
                    slots[prefix + name] = (module, name, "param")
            for name, buf in module._buffers.items():
                if buf is not None and name not in module._non_persistent:
                    slots[prefix + name] = (module, name, "buffer")
            children = [(f"{prefix}{n}.", m) for n, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))
        return slots

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy arrays from ``state_dict`` into this module's parameters and buffers, in place.

        Args:
            state_dict: name -> ``np.ndarray`` (or Tensor), e.g. from ``descentlab.load(path)``.
            strict: refuse missing and unexpected keys (shape mismatches are always refused).

        Returns:
            ``IncompatibleKeys(missing_keys, unexpected_keys)`` (both empty when strict).

        Raises:
            RuntimeError: one message listing every missing, unexpected and mis-shaped key.
                Nothing is copied unless the whole dict is accepted.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict: expected a mapping of name -> array, "
                f"got {type(state_dict).__name__}"
            )
        slots = self._state_slots()
        missing = [k for k in slots if k not in state_dict]
        unexpected = [k for k in state_dict if k not in slots]
        mismatched: list[str] = []
        arrays: dict[str, np.ndarray] = {}
        for key, (module, name, kind) in slots.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            arr = value._data if isinstance(value, Tensor) else np.asarray(value)
            target = module._parameters[name]._data if kind == "param" else module._buffers[name]
            if arr.shape != target.shape:
                mismatched.append(
                    f"{key}: shape {tuple(arr.shape)} in the file, {tuple(target.shape)} "
                    f"in the model"
                )
            elif arr.dtype.hasobject or not np.can_cast(arr.dtype, target.dtype, "same_kind"):
                mismatched.append(
                    f"{key}: dtype {arr.dtype} cannot be loaded into dtype {target.dtype}"
                )
            else:
                arrays[key] = arr
        problems = []
        if strict and missing:
            problems.append("Missing key(s): " + ", ".join(repr(k) for k in missing))
        if strict and unexpected:
            problems.append("Unexpected key(s): " + ", ".join(repr(k) for k in unexpected))
        if mismatched:
            problems.append("Mismatched: " + "; ".join(mismatched))
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(problems)
            )
        for key, arr in arrays.items():
            module, name, kind = slots[key]
            target = module._parameters[name]._data if kind == "param" else module._buffers[name]
            target[...] = arr
        return IncompatibleKeys(missing, unexpected)

    # -- printing -----------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's line (override in layers)."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}(" + (f"\n  {extra}" if extra else "")
        return head + "\n" + "\n".join(lines) + "\n)"

    def __dir__(self) -> list[str]:
        return sorted(
            set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules)
        )
