"""Resumable checkpoints: one ``.npz`` file written with :func:`descentlab.save`.

Arrays (weights, optimizer buffers, a callback's best weights) are entries of the archive under
``model/``, ``optimizer/`` and ``callbacks/<i>/``; everything else is the JSON metadata::

    {"kind": "descentlab-checkpoint", "version": 1, "epoch": 7, "step": 315,
     "epochs": 30, "stopped": false, "history": {...}, "optimizer": {...},
     "loader": {"generator": {...bit generator state...}}, "rng": {...library generator...},
     "callbacks": [{"class": "EarlyStopping", "state": {...}}, ...], "config": {...}}

Nested optimizer / callback states are stored as JSON with arrays replaced by
``{"__array__": "<entry name>"}``, tuples by ``{"__tuple__": [...]}`` and dicts with non-string
keys by ``{"__items__": [[key, value], ...]}``, so they load back exactly as saved.
Checkpoints are saved at epoch ends, so the shuffling generator's state is the one the next
epoch starts from, and the resumed run draws the same permutations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CHECKPOINT_KIND = "descentlab-checkpoint"
CHECKPOINT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint could not be found, read, or matched to the run resuming from it."""


def pack(obj: Any, arrays: dict[str, np.ndarray], prefix: str) -> Any:
    """Turn ``obj`` into JSON data, moving its ndarrays into ``arrays`` under ``prefix``."""
    if isinstance(obj, np.ndarray):
        name = f"{prefix}{len(arrays)}"
        arrays[name] = obj
        return {"__array__": name}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, tuple):
        return {"__tuple__": [pack(v, arrays, prefix) for v in obj]}
    if isinstance(obj, list):
        return [pack(v, arrays, prefix) for v in obj]
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: pack(v, arrays, prefix) for k, v in obj.items()}
        return {
            "__items__": [
                [pack(k, arrays, prefix), pack(v, arrays, prefix)] for k, v in obj.items()
            ]
        }
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise CheckpointError(
        f"cannot store a {type(obj).__name__} in a checkpoint (expected arrays, numbers, "
        "strings, lists, tuples or dicts)"
    )


def unpack(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Inverse of :func:`pack`."""
    if isinstance(obj, list):
        return [unpack(v, arrays) for v in obj]
    if isinstance(obj, dict):
        if "__array__" in obj:
            return np.array(arrays[obj["__array__"]], copy=True)
        if "__tuple__" in obj:
            return tuple(unpack(v, arrays) for v in obj["__tuple__"])
        if "__items__" in obj:
            return {_key(unpack(k, arrays)): unpack(v, arrays) for k, v in obj["__items__"]}
        return {k: unpack(v, arrays) for k, v in obj.items()}
    return obj


def _key(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k


def save_checkpoint(path: str | Path, loop) -> None:
    """Write everything needed to resume ``loop`` after its last completed epoch."""
    write_payload(path, checkpoint_payload(loop))


def write_payload(path: str | Path, payload: tuple[dict, dict]) -> None:
    """Write a payload made by :func:`checkpoint_payload` (atomically, via dl.save)."""
    from descentlab.serialization import save

    arrays, meta = payload
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save(arrays, path, metadata=meta)


def checkpoint_payload(loop) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and JSON metadata of a checkpoint of ``loop``, in memory (copies)."""
    from descentlab.random import get_rng_state

    arrays: dict[str, np.ndarray] = {f"model/{k}": v for k, v in loop.model.state_dict().items()}
    optimizer = pack(loop.optimizer.state_dict(), arrays, "optimizer/")
    callbacks = [
        {"class": type(cb).__name__, "state": pack(cb.state_dict(), arrays, f"callbacks/{i}/")}
        for i, cb in enumerate(loop.callbacks)
    ]
    loader_state = (
        loop.train_loader.state_dict() if hasattr(loop.train_loader, "state_dict") else {}
    )
    meta = {
        "kind": CHECKPOINT_KIND,
        "version": CHECKPOINT_VERSION,
        "epoch": loop.last_completed_epoch,
        "step": loop.step,
        "epochs": loop.epochs,
        "stopped": bool(loop.stop_requested),
        "history": loop.history.to_dict(),
        "optimizer": optimizer,
        "loader": pack(loader_state, arrays, "loader/"),
        "rng": get_rng_state(),
        "callbacks": callbacks,
        "config": loop.config,
    }
    return arrays, meta


@dataclass
class SavedCheckpoint:
    """A checkpoint read back: ``model_state`` (name -> array), ``epoch``, ``step``,
    ``history``, ``config``, and the raw states :meth:`restore_loop` puts back."""

    path: Path
    model_state: dict[str, np.ndarray]
    optimizer_state: dict[str, Any]
    epoch: int
    step: int
    epochs: int
    stopped: bool
    history: Any
    loader_state: dict[str, Any]
    rng_state: dict[str, Any]
    callback_states: list[dict[str, Any]]
    config: dict | None

    def restore_loop(self, loop) -> None:
        """Model, optimizer, history, counters and generators (before on_train_begin)."""
        from descentlab.random import set_rng_state

        try:
            loop.model.load_state_dict(self.model_state)
        except RuntimeError as exc:
            first = str(exc).splitlines()[-1].strip()
            raise CheckpointError(
                f"{self.path}: the saved weights do not fit this model ({first})"
            ) from None
        try:
            loop.optimizer.load_state_dict(self.optimizer_state)
        except (ValueError, KeyError) as exc:
            raise CheckpointError(
                f"{self.path}: the optimizer state does not fit this optimizer ({exc})"
            ) from None
        loop.history = self.history
        loop.last_completed_epoch = loop.epoch = self.epoch
        loop.step = self.step
        if hasattr(loop.train_loader, "load_state_dict"):
            loop.train_loader.load_state_dict(self.loader_state)
        set_rng_state(self.rng_state)

    def restore_callbacks(self, loop) -> None:
        """Callback states, matched by position and class name (after on_train_begin)."""
        saved = list(self.callback_states)
        for cb in loop.callbacks:
            name = type(cb).__name__
            for i, entry in enumerate(saved):
                if entry["class"] == name:
                    cb.load_state_dict(entry["state"])
                    del saved[i]
                    break


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint file, or ``last.npz`` inside a directory (or its ``checkpoints/``)."""
    p = Path(path)
    if p.is_dir():
        for candidate in (p / "last.npz", p / "checkpoints" / "last.npz"):
            if candidate.is_file():
                return candidate
        raise CheckpointError(
            f"no checkpoint in {path} (expected last.npz or checkpoints/last.npz)"
        )
    if not p.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    return p


def load_checkpoint(path: str | Path, model=None, optimizer=None) -> SavedCheckpoint:
    """Read a checkpoint; load its weights into ``model`` and its state into ``optimizer``
    when given.

    Args:
        path: a checkpoint file, or a directory holding ``last.npz``.

    Returns:
        A :class:`SavedCheckpoint` (``.epoch``, ``.history``, ``.config``, ``.model_state``...).
    """
    from descentlab.serialization import SerializationError, load
    from descentlab.train.history import History

    p = resolve_checkpoint(path)
    try:
        arrays, meta = load(p, with_metadata=True)
    except SerializationError as exc:
        raise CheckpointError(str(exc)) from None
    if meta.get("kind") != CHECKPOINT_KIND:
        raise CheckpointError(f"{p} is a descentlab file but not a training checkpoint")
    if meta.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(
            f"{p}: unsupported checkpoint version {meta.get('version')!r} "
            f"(expected {CHECKPOINT_VERSION})"
        )
    model_state = {k[len("model/") :]: v for k, v in arrays.items() if k.startswith("model/")}
    saved = SavedCheckpoint(
        path=p,
        model_state=model_state,
        optimizer_state=unpack(meta["optimizer"], arrays),
        epoch=int(meta["epoch"]),
        step=int(meta["step"]),
        epochs=int(meta["epochs"]),
        stopped=bool(meta.get("stopped", False)),
        history=History.from_dict(meta["history"]),
        loader_state=unpack(meta.get("loader", {}), arrays),
        rng_state=meta["rng"],
        callback_states=[
            {"class": c["class"], "state": unpack(c["state"], arrays)} for c in meta["callbacks"]
        ],
        config=meta.get("config"),
    )
    if model is not None:
        model.load_state_dict(model_state)
    if optimizer is not None:
        optimizer.load_state_dict(saved.optimizer_state)
    return saved
