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

Loading validates the metadata as a schema (:mod:`descentlab.train.checkpoint_schema`) and
the packed states against the arrays, so a damaged or tampered file is one ``CheckpointError``
line. Saving ``last.npz`` keeps the one it replaces as ``previous.npz``; when ``last.npz`` is
damaged, :func:`load_checkpoint` uses ``previous.npz`` (then ``best.npz``) and warns.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CHECKPOINT_KIND = "descentlab-checkpoint"
CHECKPOINT_VERSION = 1
LAST = "last.npz"
PREVIOUS = "previous.npz"
BEST = "best.npz"


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
    """Inverse of :func:`pack`; CheckpointError where the data does not follow its rules."""
    if isinstance(obj, list):
        return [unpack(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__array__" in obj:
        name = obj["__array__"]
        if not isinstance(name, str) or name not in arrays:
            raise CheckpointError(f"the array {name!r} it refers to is missing from the file")
        return np.array(arrays[name], copy=True)
    if "__tuple__" in obj:
        if not isinstance(obj["__tuple__"], list):
            raise CheckpointError("a packed tuple is not a list")
        return tuple(unpack(v, arrays) for v in obj["__tuple__"])
    if "__items__" in obj:
        items = obj["__items__"]
        if not isinstance(items, list) or not all(
            isinstance(kv, list) and len(kv) == 2 for kv in items
        ):
            raise CheckpointError("a packed dict is not a list of [key, value] pairs")
        out = {}
        for k, v in items:
            key = _key(unpack(k, arrays))
            try:
                out[key] = unpack(v, arrays)
            except TypeError:
                raise CheckpointError(f"a packed dict has an unhashable key {key!r}") from None
        return out
    return {k: unpack(v, arrays) for k, v in obj.items()}


def _key(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k


def save_checkpoint(path: str | Path, loop) -> None:
    """Write everything needed to resume ``loop`` after its last completed epoch.

    Writing ``last.npz`` first keeps the checkpoint it replaces as ``previous.npz`` (a hard
    link, so nothing is copied), the fallback :func:`load_checkpoint` uses when the last one
    is damaged.
    """
    path = Path(path)
    if path.name == LAST and path.is_file() and _is_sound(path):
        copy_atomic(path, path.with_name(PREVIOUS))
    write_payload(path, checkpoint_payload(loop))
    if path.name == LAST:
        _written[path.resolve()] = _stamp(path)


# The last checkpoints this process wrote, by (mtime, size): those are sound without reading
# them again. One found on disk (a run resumed after a kill) is read once before it becomes
# previous.npz, so a damaged one never replaces the good fallback.
_written: dict[Path, tuple[int, int]] = {}


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_mtime_ns, st.st_size


def _is_sound(path: Path) -> bool:
    if _written.get(path.resolve()) == _stamp(path):
        return True
    try:
        read_checkpoint(path)
    except CheckpointError:
        return False
    return True


def copy_atomic(src: str | Path, dst: str | Path) -> None:
    """Make ``dst`` the file ``src`` is now, atomically: a hard link (nothing copied) where the
    file system has them, else a copy, under a temporary name renamed over ``dst``.

    Checkpoints are replaced by renames, never rewritten in place, so a link stays the old
    bytes when ``src`` is saved again.
    """
    src, dst = Path(src), Path(dst)
    import shutil
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=src.suffix, dir=dst.parent)
    os.close(fd)
    try:
        os.remove(tmp)
        try:
            os.link(src, tmp)
        except OSError:  # a file system without hard links
            shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def remove_stale_temporaries(directory: str | Path) -> list[Path]:
    """Delete the ``.tmp-*`` files that interrupted saves left in ``directory``; returns them.

    Saves write ``.tmp-<random>.npz`` (or ``.safetensors``) next to their target and rename it, so
    such a file is only left behind by a process killed mid-write; call this before a run
    writes into ``directory`` again.
    """
    removed = []
    d = Path(directory)
    if d.is_dir():
        for tmp in d.glob(".tmp-*"):
            if tmp.is_file() and tmp.suffix in (".npz", ".safetensors"):
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
    return removed


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
        "stopped": loop.stop_reason is not None,
        "history": loop.history.to_dict(),
        "optimizer": optimizer,
        "loader": pack(loader_state, arrays, "loader/"),
        "rng": get_rng_state(),
        "callbacks": callbacks,
        "config": loop.config,
    }
    return arrays, meta


class CheckpointWarning(UserWarning):
    """A damaged checkpoint was skipped in favour of an earlier one."""


@dataclass
class SavedCheckpoint:
    """A checkpoint read back: ``model_state`` (name -> array), ``epoch``, ``step``,
    ``history``, ``config``, and the raw states :meth:`restore_loop` puts back.
    ``skipped`` lists the damaged checkpoints passed over to reach this one, with why."""

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
    skipped: tuple[str, ...] = ()

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
        _check_groups(self.path, loop.optimizer.param_groups, self.optimizer_state["param_groups"])
        try:
            loop.optimizer.load_state_dict(self.optimizer_state)
        except (ValueError, KeyError, TypeError) as exc:
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
                    try:
                        cb.load_state_dict(entry["state"])
                    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                        raise CheckpointError(
                            f"{self.path}: the saved state of callback {name} does not fit it "
                            f"({type(exc).__name__}: {exc})"
                        ) from None
                    del saved[i]
                    break


def _same_kind(current: Any, saved: Any) -> bool:
    def number(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool)

    if isinstance(current, bool):
        return isinstance(saved, bool)
    if number(current):
        return number(saved)
    if isinstance(current, tuple | list):
        return (
            isinstance(saved, tuple | list)
            and len(saved) == len(current)
            and all(_same_kind(c, v) for c, v in zip(current, saved, strict=True))
        )
    if current is None:
        return saved is None or number(saved)
    return isinstance(saved, type(current))


def _check_groups(path: Path, groups: list[dict], saved_groups: list[dict]) -> None:
    """The saved optimiser options have this optimiser's names and kinds of values, so a
    tampered group is refused here rather than by a TypeError in the first step."""
    for i, (group, saved) in enumerate(zip(groups, saved_groups, strict=False)):
        want, got = set(group) - {"params"}, set(saved) - {"params"}
        if want != got:
            raise CheckpointError(
                f"{path}: the optimizer state's group {i} lacks or adds option(s) "
                f"{sorted(want ^ got)} (this optimizer has {sorted(want)})"
            )
        for key in sorted(want):
            if not _same_kind(group[key], saved[key]):
                raise CheckpointError(
                    f"{path}: the optimizer option {key!r} of group {i} is {saved[key]!r} "
                    f"(expected a value like {group[key]!r})"
                )


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint file, or ``last.npz`` inside a directory (or its ``checkpoints/``).

    A directory that holds only ``previous.npz`` (a kill between the two renames of a save)
    resolves to its ``last.npz`` all the same; :func:`load_checkpoint` then falls back.
    """
    p = Path(path)
    if p.is_dir():
        for d in (p, p / "checkpoints"):
            if (d / LAST).is_file() or (d / PREVIOUS).is_file():
                return d / LAST
        raise CheckpointError(f"no checkpoint in {path} (expected {LAST} or checkpoints/{LAST})")
    if not p.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    return p


def _fallbacks(p: Path) -> list[Path]:
    """``p`` and, for ``last.npz``, the checkpoints to try when it is damaged, in order."""
    if p.name != LAST:
        return [p]
    return [p, *(c for c in (p.with_name(PREVIOUS), p.with_name(BEST)) if c.is_file())]


def read_checkpoint(p: Path) -> SavedCheckpoint:
    """One checkpoint file, validated (no fallback); CheckpointError naming the defect."""
    from descentlab.serialization import SerializationError, load
    from descentlab.train.checkpoint_schema import check_optimizer_state, validate_metadata
    from descentlab.train.history import History

    if not p.is_file():
        raise CheckpointError(f"checkpoint not found: {p}")
    try:
        arrays, meta = load(p, with_metadata=True)
    except SerializationError as exc:
        raise CheckpointError(str(exc)) from None
    validate_metadata(meta, p)
    try:
        optimizer_state = check_optimizer_state(unpack(meta["optimizer"], arrays), p)
        loader_state = unpack(meta["loader"], arrays)
        callback_states = [
            {"class": c["class"], "state": unpack(c["state"], arrays)} for c in meta["callbacks"]
        ]
    except CheckpointError as exc:
        if str(exc).startswith(str(p)):
            raise
        raise CheckpointError(f"{p}: {exc}") from None
    model_state = {k[len("model/") :]: v for k, v in arrays.items() if k.startswith("model/")}
    if not model_state:
        raise CheckpointError(f"{p}: the checkpoint holds no model weights (no 'model/' entries)")
    return SavedCheckpoint(
        path=p,
        model_state=model_state,
        optimizer_state=optimizer_state,
        epoch=meta["epoch"],
        step=meta["step"],
        epochs=meta["epochs"],
        stopped=meta["stopped"],
        history=History.from_dict(meta["history"]),
        loader_state=loader_state,
        rng_state=meta["rng"],
        callback_states=callback_states,
        config=meta["config"],
    )


def load_checkpoint(path: str | Path, model=None, optimizer=None) -> SavedCheckpoint:
    """Read a checkpoint; load its weights into ``model`` and its state into ``optimizer``
    when given.

    Args:
        path: a checkpoint file, or a directory holding ``last.npz``.

    When ``last.npz`` is damaged (truncated, tampered, missing after a kill), the checkpoint it
    replaced, ``previous.npz``, is used, then ``best.npz``, with a :class:`CheckpointWarning`
    saying which file was skipped and why. A resumed run is still exact: it repeats the epochs
    since that checkpoint and draws the same numbers.

    Returns:
        A :class:`SavedCheckpoint` (``.epoch``, ``.history``, ``.config``, ``.model_state``...).

    Raises:
        CheckpointError: no usable checkpoint; the message names the first file's defect.
    """
    p = resolve_checkpoint(path)
    errors: list[str] = []
    saved = None
    for candidate in _fallbacks(p):
        try:
            saved = read_checkpoint(candidate)
            break
        except CheckpointError as exc:
            errors.append(str(exc))
    if saved is None:
        raise CheckpointError(
            errors[0]
            if len(errors) == 1
            else f"{errors[0]} (and "
            f"{len(errors) - 1} fallback(s) failed too: {'; '.join(errors[1:])})"
        )
    if errors:
        saved.skipped = tuple(errors)
        warnings.warn(
            f"{p.name} is damaged ({errors[0]}); using {saved.path.name} (epoch {saved.epoch}) "
            "instead",
            CheckpointWarning,
            stacklevel=1,  # one place, so Python's filter shows it once though a resume reads twice
        )
    return _load_into(saved, model, optimizer)


def _load_into(saved: SavedCheckpoint, model, optimizer) -> SavedCheckpoint:
    if model is not None:
        model.load_state_dict(saved.model_state)
    if optimizer is not None:
        optimizer.load_state_dict(saved.optimizer_state)
    return saved
