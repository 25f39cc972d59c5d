"""The optimiser base class: parameter groups, per-parameter state, zero_grad, state_dict.

A subclass owns only the update of one parameter. It lists the group options its update reads
in ``_hyper_keys`` (read once per group per step), checks them in ``_check_options`` and
writes ``_update(p, g, state, *options)``, where ``p`` is the parameter's ndarray (updated in
place), ``g`` its gradient (read only: another tensor's ``.grad`` may alias it) and ``state``
the parameter's dict of named buffers, empty before its first step.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any

import numpy as np

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


def check_nonnegative(value: float, what: str, name: str) -> None:
    """Raise torch's message, ``Invalid learning rate: -0.1 (expected lr >= 0)``, if value < 0."""
    if not value >= 0.0:  # also refuses NaN
        raise ValueError(f"Invalid {what}: {value} (expected {name} >= 0)")


def _typename(obj: object) -> str:
    return type(obj).__name__


def _is_tensor(obj: object) -> bool:
    return isinstance(obj, Tensor)


class Optimizer:
    """Base class of the optimisers: bookkeeping only, no update rule.

    Args:
        params: an iterable of Tensors, or of dicts, each a parameter
            group ``{"params": [...], "lr": ..., ...}`` whose options override ``defaults``.
        defaults: the default value of every option (``lr``, ``momentum``, ...).

    Attributes:
        param_groups: list of dicts, each with ``"params"`` (a list of Tensors) and every
            option. Schedulers write ``group["lr"]`` (and keep ``group["initial_lr"]``).
        state: a :class:`ParamState`; ``state[p]`` holds ``p``'s named buffers.
        defaults: the options given to the constructor.
    """

    _hyper_keys: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        if _is_tensor(params):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors "
                f"or dicts, but got {_typename(params)}"
            )
        self._check_options(defaults)
        self.defaults = defaults
        self.state = ParamState()
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def _check_options(self, options: dict[str, Any]) -> None:
        """Raise ValueError for an invalid option; called on defaults and on every group."""

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
            raise TypeError(f"param_group must be a dict, but got {_typename(param_group)}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry (a list of Tensors)")
        group = dict(param_group)
        params = group["params"]
        if _is_tensor(params):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        group["params"] = params = list(params)
        for p in params:
            if not _is_tensor(p):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}"
                )
            if not np.issubdtype(p._data.dtype, np.floating):
                raise TypeError(
                    "optimizer can only optimize floating-point Tensors, but one of the params "
                    f"has dtype {p._data.dtype}"
                )
            if getattr(p, "_ctx", None) is not None:
                raise ValueError("can't optimize a non-leaf Tensor")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_options(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
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
        update, state_of, keys = self._update, self.state.__getitem__, self._hyper_keys
        for group in self.param_groups:
            options = [group[k] for k in keys]
            for p in group["params"]:
                g = p._grad
                if g is not None:
                    update(p._data, g._data, state_of(p), *options)
                    p._version += 1
        return loss

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
            raise ValueError(
                "loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)}; this optimizer has {len(groups)})"
            )
        for i, (group, saved) in enumerate(zip(groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group (group {i}: {len(saved['params'])} parameters "
                    f"saved, {len(group['params'])} here)"
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
                raise ValueError(f"loaded state dict has state for unknown parameter {i!r}")
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
        raise ValueError(
            f"loaded state for parameter {index} ({name!r}) has shape {value.shape}, "
            f"expected the parameter's shape {param._data.shape}"
        )
    if np.issubdtype(value.dtype, np.floating):
        return np.array(value, dtype=param._data.dtype, copy=True)
    return value.copy()
