"""The schema of a checkpoint's JSON metadata, checked with pydantic before anything is restored.

A checkpoint that was tampered with or damaged in a way its file format cannot see (a key
removed, a number turned into a string, ``epoch = -5``, an optimiser buffer missing) is refused
at load time with one line naming the key, what is allowed and what was found, instead of a
``KeyError`` three calls into a resumed run.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from descentlab.train.checkpoint import CHECKPOINT_KIND, CHECKPOINT_VERSION, CheckpointError

Number = int | float | None
_BIT_GENERATORS = {
    cls.__name__: cls
    for cls in (
        np.random.PCG64,
        np.random.PCG64DXSM,
        np.random.MT19937,
        np.random.Philox,
        np.random.SFC64,
    )
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class HistoryData(_Strict):
    rows: list[dict[str, Number | str]]
    stop_reason: str | None
    diverged: bool
    restored_epoch: int | None


class CallbackData(_Strict):
    class_: str = Field(alias="class")
    state: dict[str, Any]


class RNGState(BaseModel):
    """A NumPy bit generator's state; NumPy itself checks the inner values."""

    model_config = ConfigDict(extra="allow", strict=True)
    bit_generator: str
    state: dict[str, Any]

    @model_validator(mode="after")
    def _numpy_accepts_it(self) -> RNGState:
        if self.bit_generator not in _BIT_GENERATORS:
            raise ValueError(
                f"unknown bit generator {self.bit_generator!r} "
                f"(expected one of {sorted(_BIT_GENERATORS)})"
            )
        try:
            _BIT_GENERATORS[self.bit_generator]().state = self.model_dump()
        except (TypeError, ValueError, KeyError, OverflowError) as exc:
            raise ValueError(f"not a NumPy generator state ({type(exc).__name__}: {exc})") from None
        return self


class LoaderData(_Strict):
    generator: RNGState | None = None


class CheckpointMeta(_Strict):
    kind: Literal[CHECKPOINT_KIND]
    version: Literal[CHECKPOINT_VERSION]
    epoch: int = Field(ge=0)
    step: int = Field(ge=0)
    epochs: int = Field(ge=1)
    stopped: bool
    history: HistoryData
    optimizer: dict[str, Any]
    loader: LoaderData
    rng: RNGState
    callbacks: list[CallbackData]
    config: dict[str, Any] | None

    @model_validator(mode="after")
    def _epoch_within_epochs(self) -> CheckpointMeta:
        if self.epoch > self.epochs:
            raise ValueError(f"epoch {self.epoch} is after the last epoch, {self.epochs}")
        return self


def _where(loc: tuple) -> str:
    return ".".join(str(part) for part in loc)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validate_metadata(meta: Any, path: Any) -> CheckpointMeta:
    """``meta`` checked against :class:`CheckpointMeta`; CheckpointError on the first defect."""
    if not isinstance(meta, dict) or meta.get("kind") != CHECKPOINT_KIND:
        raise CheckpointError(f"{path} is a descentlab file but not a training checkpoint")
    if meta.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(
            f"{path}: unsupported checkpoint version {meta.get('version')!r} "
            f"(expected {CHECKPOINT_VERSION})"
        )
    try:
        return CheckpointMeta.model_validate(meta)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        if err["type"] == "missing":
            detail = "is missing"
        elif err["type"] == "extra_forbidden":
            detail = "is not a checkpoint key"
        elif err["type"] == "value_error":
            detail = str(err["ctx"]["error"])
        else:
            detail = f"{err['msg'][0].lower()}{err['msg'][1:]} (got {_shown(err['input'])})"
        where = f" '{_where(err['loc'])}'" if err["loc"] else ""
        raise CheckpointError(f"{path}: checkpoint metadata{where}: {detail}") from None


def check_optimizer_state(state: Any, path: Any) -> dict[str, Any]:
    """The unpacked optimiser state has torch's layout, and every parameter the same buffers."""

    def bad(what: str) -> CheckpointError:
        return CheckpointError(f"{path}: the optimizer state {what}")

    if not isinstance(state, dict) or set(state) != {"state", "param_groups"}:
        raise bad("is not {'state': ..., 'param_groups': [...]}")
    groups = state["param_groups"]
    if not isinstance(groups, list) or not all(
        isinstance(g, dict) and isinstance(g.get("params"), list) for g in groups
    ):
        raise bad("has param_groups that are not a list of groups with 'params'")
    if not isinstance(state["state"], dict):
        raise bad("has a 'state' that is not a map from parameter index to buffers")
    names = None
    for index, buffers in state["state"].items():
        if not isinstance(index, int) or not isinstance(buffers, dict):
            raise bad(f"has an entry for {index!r} that is not an index with its buffers")
        for name, value in buffers.items():
            if isinstance(value, np.ndarray) and value.dtype.kind not in "biuf":
                raise bad(f"buffer {name!r} of parameter {index} has dtype {value.dtype}")
        if names is not None and set(buffers) != names:
            missing = sorted(names ^ set(buffers))
            raise bad(
                f"of parameter {index} lacks or adds buffer(s) {missing} (the others have "
                f"{sorted(names)})"
            )
        names = set(buffers)
    return state
