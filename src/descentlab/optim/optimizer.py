"""The optimiser base class: parameter groups, validation, the shared preamble, lazy state.

:class:`Optimizer` does the bookkeeping every optimiser shares (groups, option checks, the
maximize and weight-decay preamble, creating a parameter's buffers before its first step,
state dicts); a subclass (:mod:`~descentlab.optim.sgd`, :mod:`~descentlab.optim.adam`, ...)
states its algorithm in its docstring and writes only its update.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from descentlab.errors import InvalidArgument, invalid, shown
from descentlab.tensor import Tensor, _leaf

__all__ = ["Optimizer", "ParamState"]


class ParamState(MutableMapping):
    """Optimiser state per parameter, keyed by the parameter object itself (by identity).

    Works like torch's ``optimizer.state``: ``opt.state[p]`` is ``p``'s dict of buffers,
    created empty on first access. Keys are compared by identity, so parameters need not
    be hashable.
    """

    def __init__(self) -> None:
        self._params: dict[int, Any] = {}
        self._states: dict[int, dict[str, Any]] = {}

    def __getitem__(self, param: Any) -> dict[str, Any]:
        key = id(param)
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = {}
            self._params[key] = param
        return state

    def __setitem__(self, param: Any, value: dict[str, Any]) -> None:
        self._states[id(param)] = value
        self._params[id(param)] = param

    def __delitem__(self, param: Any) -> None:
        del self._states[id(param)]
        del self._params[id(param)]

    def __contains__(self, param: object) -> bool:
        return id(param) in self._states

    def __iter__(self) -> Iterator[Any]:
        return (self._params[key] for key in list(self._states))

    def __len__(self) -> int:
        return len(self._states)

    def __repr__(self) -> str:
        return f"ParamState({len(self)} parameters)"


def constructor_options(arguments: dict[str, Any]) -> dict[str, Any]:
    """A subclass constructor's arguments, its ``locals()`` on entry, less ``self`` and
    ``params``: the options it passes to :class:`Optimizer` as its defaults."""
    return {k: v for k, v in arguments.items() if k not in ("self", "params", "__class__")}


@dataclass(frozen=True)
class Rule:
    """What an option allows: ``test(value, *(group[k] for k in context))`` must hold.

    ``allowed`` says it in words, for the message; ``context`` names the other options the
    test reads (Nesterov needs momentum and no dampening).
    """

    allowed: str
    test: Callable[..., bool]
    context: tuple[str, ...] = ()


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


NUMBER = Rule("a number", lambda v: _real(v) and not math.isnan(v))
NONNEGATIVE = Rule("a number >= 0", lambda v: _real(v) and v >= 0)
FLAG = Rule("True or False", lambda v: isinstance(v, bool | np.bool_))
BETAS = Rule(
    "two numbers in [0, 1), (beta1, beta2)",
    lambda v: (
        isinstance(v, tuple | list) and len(v) == 2 and all(_real(b) and 0 <= b < 1 for b in v)
    ),
)


def _typename(obj: object) -> str:
    return type(obj).__name__


def _is_tensor(obj: object) -> bool:
    return isinstance(obj, Tensor)


class Optimizer:
    """Base class of the optimisers: bookkeeping, validation and the shared preamble.

    A subclass owns only its update. It declares

    - ``_rules``: ``{option: Rule}``, what each option allows (checked here, on the defaults,
      on every group added and on every loaded state dict, with one message shape:
      ``lr: expected a number >= 0, got -0.1``);
    - ``_update_options``: the group options its update reads, in the order it takes them;
    - ``_init_state(p, state, group)``: fills a parameter's empty state before its first step
      (default: nothing, for an update that creates its buffers itself);
    - ``_update(p, g, state, *options)``: the update of one parameter, where ``p`` is its
      ndarray (updated in place), ``g`` the gradient after the preamble (read only: another
      tensor's ``.grad`` may alias it) and ``state`` its dict of named buffers; or
      ``_update_group``, the same for all of a group's parameters at once.

    The preamble, the same for every optimiser (as in torch.optim), runs before ``_update``::

        g <- -g                       if maximize
        p <- p * (1 - lr * lambda)    if lambda != 0 and decoupled_weight_decay
        g <- g + lambda * p           if lambda != 0 otherwise

    Args:
        params: an iterable of Tensors, or of dicts, each a parameter
            group ``{"params": [...], "lr": ..., ...}`` whose options override ``defaults``.
        defaults: the default value of every option (``lr``, ``momentum``, ...); it must
            hold ``weight_decay`` and ``maximize``.

    Attributes:
        param_groups: list of dicts, each with ``"params"`` (a list of Tensors) and every
            option. Schedulers write ``group["lr"]`` (and keep ``group["initial_lr"]``).
        state: a :class:`ParamState`; ``state[p]`` holds ``p``'s named buffers.
        defaults: the options given to the constructor.
    """

    _rules: dict[str, Rule] = {}
    _update_options: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        if _is_tensor(params):
            raise TypeError(
                invalid("params", "an iterable of Tensors or of dicts", _typename(params))
            )
        self._check_options(defaults)
        self.defaults = defaults
        self.state = ParamState()
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise InvalidArgument("params", "at least one Tensor", "an empty list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def _check_options(self, options: dict[str, Any]) -> None:
        """Raise :class:`InvalidArgument` for the first option its rule does not allow."""
        for name, rule in self._rules.items():
            value = options[name]
            if not rule.test(value, *(options[k] for k in rule.context)):
                got = shown(value)
                if rule.context:
                    got += " with " + ", ".join(f"{k}={shown(options[k])}" for k in rule.context)
                raise InvalidArgument(name, rule.allowed, got)

    def __repr__(self) -> str:
        lines = [f"{_typename(self)} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with its own options) to ``param_groups``.

        Options missing from ``param_group`` take the optimiser's defaults. A parameter may
        belong to one group only.
        """
        if not isinstance(param_group, dict):
            raise TypeError(invalid("param_group", "a dict", _typename(param_group)))
        if "params" not in param_group:
            raise InvalidArgument(
                "param_group", "a dict with a 'params' entry", f"keys {sorted(param_group)}"
            )
        group = dict(param_group)
        params = group["params"]
        if _is_tensor(params):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                invalid(
                    "params", "an ordered collection (a set changes order between runs)", "a set"
                )
            )
        group["params"] = params = list(params)
        for p in params:
            if not _is_tensor(p):
                raise TypeError(invalid("params", "Tensors", _typename(p)))
            if not np.issubdtype(p._data.dtype, np.floating):
                raise TypeError(
                    invalid("params", "floating-point Tensors", f"a Tensor of {p._data.dtype}")
                )
            if getattr(p, "_ctx", None) is not None:
                raise InvalidArgument(
                    "params", "leaf Tensors", "a Tensor computed from others (a non-leaf)"
                )
        if len({id(p) for p in params}) != len(params):
            raise InvalidArgument("params", "each Tensor once", "a group with duplicates")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_options(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise InvalidArgument(
                "params", "each Tensor in one group", "a Tensor already in another group"
            )
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: ``p.grad = None`` (default), or fresh zeros.

        Zeros are a new array rather than the old one zeroed in place, because another
        tensor's ``.grad`` may alias it.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is not None:
                    p._grad = None if set_to_none else _leaf(np.zeros_like(p._grad._data))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, in place; skip those whose grad is None.

        Args:
            closure: optional function that re-evaluates the model (zero_grad, forward,
                backward) and returns the loss; it runs, with gradients enabled, before
                the update.

        Returns:
            The closure's loss, or None.
        """
        loss = None
        if closure is not None:
            from descentlab.autograd_mode import enable_grad

            with enable_grad():
                loss = closure()
        init, state_of = self._init_state, self.state.__getitem__
        known = self.state._states.get  # ParamState's own table: no method call per parameter
        keys = self._update_options
        for group in self.param_groups:
            options = [group[k] for k in keys]
            maximize, decay = group["maximize"], group["weight_decay"]
            shrink = 1 - group["lr"] * decay if group.get("decoupled_weight_decay") else None
            updated: list[Tensor] = []
            arrays: list[np.ndarray] = []
            grads: list[np.ndarray] = []
            states: list[dict[str, Any]] = []
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                g, w = g._data, p._data
                if maximize:
                    g = -g
                if decay != 0:
                    if shrink is None:
                        g = g + decay * w
                    else:
                        w *= shrink
                state = known(id(p))
                if state is None:
                    state = state_of(p)
                if not state:
                    init(w, state, group)
                updated.append(p)
                arrays.append(w)
                grads.append(g)
                states.append(state)
            if updated:
                self._update_group(group, arrays, grads, states, options)
            for p in updated:
                p._version += 1
        return loss

    def _update_group(self, group: dict[str, Any], arrays: list[np.ndarray],
                      grads: list[np.ndarray], states: list[dict[str, Any]],
                      options: list[Any]) -> None:  # fmt: skip
        """Update the group's parameters that have a gradient (their arrays, in order).

        By default ``_update`` once per parameter; an optimiser may update them all at once
        (Adam, over flat buffers: see :mod:`descentlab.optim.flat`).
        """
        update = self._update
        for w, g, state in zip(arrays, grads, states):
            update(w, g, state, *options)

    def _init_state(self, p: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Fill ``state``, empty, with the buffers ``p`` needs before its first update."""

    def state_dict(self) -> dict[str, Any]:
        """The optimiser's state as plain data, a copy (torch's layout).

        Returns:
            ``{"state": {index: {buffer name: ndarray or int}}, "param_groups": [...]}``,
            where parameters are replaced by their integer index, counted across groups in
            order; each group holds its options and ``"params"``, a list of indices.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for p, buffers in self.state.items():
            if id(p) in index and buffers:
                state[index[id(p)]] = {
                    k: v.copy() if isinstance(v, np.ndarray) else copy.deepcopy(v)
                    for k, v in buffers.items()
                }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a :meth:`state_dict`: buffers and the options of every group.

        The parameters are matched by position: the saved groups must have the same sizes as
        this optimiser's. Buffers are copied (floating-point ones cast to their parameter's
        dtype) and must have their parameter's shape.
        """
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise InvalidArgument(
                "state_dict",
                f"{len(groups)} parameter groups (this optimiser's)",
                f"{len(saved_groups)} groups",
            )
        for i, (group, saved) in enumerate(zip(groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise InvalidArgument(
                    f"state_dict group {i}",
                    f"{len(group['params'])} parameters (this optimiser's group {i})",
                    f"{len(saved['params'])} parameters",
                )
        params_by_index = {
            i: p
            for group, saved in zip(groups, saved_groups)
            for i, p in zip(saved["params"], group["params"])
        }
        state = ParamState()
        for i, buffers in state_dict["state"].items():
            key = int(i)
            if key not in params_by_index:
                raise InvalidArgument(
                    "state_dict state",
                    f"parameter indices 0 to {len(params_by_index) - 1}",
                    repr(i),
                )
            p = params_by_index[key]
            state[p] = {name: _copy_buffer(name, v, p, key) for name, v in buffers.items()}
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            new_group = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            new_group["params"] = group["params"]
            new_groups.append(new_group)
        for group in new_groups:
            self._check_options(group)
        self.state = state
        self.param_groups = new_groups


def _copy_buffer(name: str, value: Any, param: Any, index: int) -> Any:
    if name == "step":  # a counter; a checkpoint may hand it back as a 0-d array or a float
        return int(value)
    if not isinstance(value, np.ndarray):
        return copy.deepcopy(value)
    if value.shape != param._data.shape:
        raise InvalidArgument(
            f"state_dict state of parameter {index} ({name!r})",
            f"the parameter's shape {param._data.shape}",
            f"shape {value.shape}",
        )
    if np.issubdtype(value.dtype, np.floating):
        return np.array(value, dtype=param._data.dtype, copy=True)
    return value.copy()
