"""Containers: ``Sequential``, ``ModuleList`` and ``Residual``."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from descentlab.nn.module import Module

__all__ = ["ModuleList", "Residual", "Sequential"]


def _check_module(where: str, index: Any, module: Any) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{where}: item {index!r} must be a Module, got {type(module).__name__}")
    return module


class Sequential(Module):
    """Apply modules one after another: ``forward(x) = m_k(...m_2(m_1(x)))``.

    Args:
        *modules: the modules in order, named ``"0"``, ``"1"``, ...; or one ``OrderedDict``
            of ``name -> module``.

    Supports ``len``, iteration, ``model[i]`` (a module) and ``model[i:j]`` (a Sequential).

    >>> import descentlab.nn as nn
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    >>> len(model), model[1]
    (3, Tanh())
    """

    def __init__(self, *modules: Module | OrderedDict) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(str(name), _check_module("Sequential", name, module))
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), _check_module("Sequential", i, module))

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Module:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        if not -len(items) <= index < len(items):
            raise IndexError(f"Sequential index {index} out of range (length {len(items)})")
        return items[index][1]

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; return self."""
        self.add_module(str(len(self)), _check_module("Sequential.append", len(self), module))
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain list's are not).

    Args:
        modules: an iterable of modules, named ``"0"``, ``"1"``, ...
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        for module in modules or ():
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), _check_module("ModuleList.append", len(self), module))
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int) -> Module:
        items = list(self._modules.values())
        return items[index]


class Residual(Module):
    """A skip connection: ``forward(x) = x + block(x)``.

    The gradient reaches ``x`` through the identity path unattenuated, which is why deep
    residual networks train where plain stacks of the same depth see vanishing gradients.

    Args:
        block: a module whose output has the input's shape.

    Shape:
        - Input: any shape ``(N, *)``; Output: the same.
    """

    def __init__(self, block: Module) -> None:
        super().__init__()
        self.block = _check_module("Residual", "block", block)

    def forward(self, x: Any) -> Any:
        out = self.block(x)
        if tuple(out.shape) != tuple(x.shape):
            raise ValueError(
                f"Residual: block output shape {tuple(out.shape)} differs from input shape "
                f"{tuple(x.shape)} (x + block(x) needs equal shapes)"
            )
        return x + out
