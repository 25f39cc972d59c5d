"""``Tensor.grad_fn`` and ``next_functions``: the recorded graph as torch shows it.

A tensor made by an op answers its backward node (``MulBackward0``, ``SumBackward0``, ...);
``next_functions`` lists, for each input, the node that made it, ``AccumulateGrad`` for a
leaf that requires grad, or None, each with the output index 0, as in torch.

>>> import descentlab as dl
>>> x = dl.tensor([1.0, 2.0], requires_grad=True)
>>> y = (x * 3).sum()
>>> y.grad_fn.name(), y.grad_fn.next_functions[0][0].name()
('SumBackward0', 'MulBackward0')
"""

from __future__ import annotations

from typing import Any

from descentlab.ops.base import Op


class Node:
    """The backward node of one op application (a view on the op's ctx)."""

    __slots__ = ("_ctx",)

    def __init__(self, ctx: Op) -> None:
        self._ctx = ctx

    def name(self) -> str:
        return "".join(part.capitalize() for part in self._ctx.name.split("_")) + "Backward0"

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        parents = self._ctx.parents
        if parents is None:
            return ()
        return tuple((node_of(p), 0) for p in parents)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self._ctx):#x}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and other._ctx is self._ctx

    def __hash__(self) -> int:
        return id(self._ctx)


class AccumulateGrad:
    """The node that adds a gradient into a leaf's ``.grad``; ``variable`` is the leaf."""

    __slots__ = ("variable",)

    def __init__(self, variable: Any) -> None:
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    @property
    def next_functions(self) -> tuple:
        return ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self.variable):#x}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self) -> int:
        return id(self.variable)


def node_of(tensor: Any) -> Node | AccumulateGrad | None:
    """What ``next_functions`` shows for ``tensor`` as an input."""
    if tensor._ctx is not None:
        return Node(tensor._ctx)
    return AccumulateGrad(tensor) if tensor.requires_grad else None
