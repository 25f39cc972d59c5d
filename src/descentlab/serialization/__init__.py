"""Saving and loading named arrays (state dicts, checkpoints): safetensors, and ``.npz``.

``save(state_dict, path)`` writes the safetensors format, which PyTorch reads
(``torch_model.load_state_dict(safetensors.torch.load_file(path))``), unless ``path`` ends in
``.npz``, which writes descentlab's earlier NumPy archive. ``load`` reads either, by content,
and reads safetensors files written by any library. descentlab's own metadata is JSON::

    {"format": "descentlab", "format_version": 1, "metadata": {...}, "order": [names]}

stored as a string in the safetensors header (``__metadata__["descentlab"]``) or as the
``__metadata__`` entry of an ``.npz`` archive.

Loading never runs code (no pickle) and is bounded before anything is allocated
(:class:`Limits`: total array bytes, the expansion of a compressed file, the number of
entries, metadata size and depth); only bool, integer and float arrays load, under names that
are state-dict keys. Saving writes a temporary file in the target's directory and renames it
over the target (``os.replace``), so an interrupted save leaves the previous file intact.

>>> import numpy as np, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
>>> save({"weight": np.ones((2, 3))}, path, metadata={"epoch": 3})
>>> arrays, meta = load(path, with_metadata=True)
>>> arrays["weight"].shape, meta
((2, 3), {'epoch': 3})
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from descentlab.serialization import npz_format, safetensors_format
from descentlab.serialization.checks import (
    Limits,
    MissingFileError,
    SerializationError,
    check_dtype,
    check_name,
    get_limits,
    parse_json,
    set_limits,
)

__all__ = [
    "FORMAT_VERSION",
    "METADATA_KEY",
    "Limits",
    "MissingFileError",
    "SerializationError",
    "get_limits",
    "load",
    "save",
    "set_limits",
]

FORMAT_VERSION = 1
METADATA_KEY = "__metadata__"
_FORMAT_NAME = "descentlab"


def _to_array(name: str, value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        arr = value
    elif hasattr(value, "detach") and hasattr(value, "numpy"):
        arr = value.detach().numpy()  # a descentlab or torch Tensor / Parameter
    else:
        arr = np.asarray(value)
    if arr.dtype.hasobject:
        raise SerializationError(
            f"save: entry {name!r} has dtype {arr.dtype} (object arrays cannot be saved; "
            f"expected a numeric or boolean array)"
        )
    check_dtype(arr.dtype, name, "save")
    return arr


def save(
    state_dict: Mapping[str, Any], path: str | os.PathLike, metadata: Mapping | None = None
) -> None:
    """Write named arrays and a JSON metadata dict to ``path``, atomically.

    Args:
        state_dict: name -> array (``np.ndarray``, ``Tensor``/``Parameter`` or number); for
            example ``model.state_dict()``. Names are state-dict keys: letters, digits, ``_``
            and ``-`` in segments joined by ``.`` or ``/``. Arrays are bool, integer or float.
        path: the file to write, used as given; ``.npz`` writes a NumPy archive, any other
            name safetensors. Its directory must exist.
        metadata: a JSON-serialisable dict (epoch, config, history, ...), read back with
            ``load(path, with_metadata=True)``.

    Raises:
        SerializationError: a bad name or dtype, or metadata that is not JSON.
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"save: state_dict must be a mapping, got {type(state_dict).__name__}")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(f"save: metadata must be a dict or None, got {type(metadata).__name__}")
    arrays: dict[str, np.ndarray] = {}
    for name, value in state_dict.items():
        if name == METADATA_KEY:
            raise SerializationError(f"save: the name {METADATA_KEY!r} is reserved")
        if not isinstance(name, str) or not name:
            raise SerializationError(f"save: names must be non-empty strings, got {name!r}")
        arrays[check_name(name, "save")] = _to_array(name, value)
    header = {
        "format": _FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "metadata": dict(metadata) if metadata is not None else {},
        "order": list(arrays),
    }
    try:
        text = json.dumps(header, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise SerializationError(f"save: metadata is not JSON-serialisable: {exc}") from None

    path = os.fspath(path)
    npz = path.endswith(".npz")
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.splitext(path)[1], dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            if npz:
                npz_format.write(f, {**arrays, METADATA_KEY: npz_format.metadata_array(text)})
        if not npz:
            safetensors_format.write(tmp, arrays, text)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _read_header(path: str, raw: bytes, limits: Limits, names: list[str]) -> tuple[dict, list]:
    not_ours = f"{path!r} is not a descentlab file"
    header = parse_json(raw, f"cannot load {path!r}: its metadata", limits)
    if not isinstance(header, dict) or header.get("format") != _FORMAT_NAME:
        raise SerializationError(f"{not_ours} (unknown format in its metadata)")
    version = header.get("format_version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise SerializationError(
            f"{path!r}: unsupported format version {version!r} "
            f"(this descentlab reads versions 1 to {FORMAT_VERSION})"
        )
    metadata = header.get("metadata", {})
    if not isinstance(metadata, dict):
        raise SerializationError(f"{not_ours} (metadata is not a JSON object)")
    order = header.get("order", names)
    if not isinstance(order, list) or sorted(map(str, order)) != sorted(names):
        raise SerializationError(
            f"cannot load {path!r}: its metadata lists other entries than the file holds"
        )
    return metadata, order


def _sniff(path: str) -> str:
    with open(path, "rb") as f:
        head = f.read(9)
    if npz_format.is_npz(head):
        return "npz"
    if safetensors_format.looks_like_safetensors(head):
        return "safetensors"
    where = f"cannot load {path!r}"
    if head[:4] == b"\x93NUM":
        raise SerializationError(f"{where}: not a descentlab file (it is a single .npy array)")
    if len(head) < 9 or head[:2] == b"PK":
        what = (
            "an empty file"
            if not head
            else f"{len(head)} bytes"
            if len(head) < 9
            else "not a zip archive"
        )
        raise SerializationError(f"{where}: truncated or corrupted file ({what})")
    raise SerializationError(f"{where}: not a descentlab file (neither safetensors nor .npz)")


def load(
    path: str | os.PathLike, with_metadata: bool = False, *, limits: Limits | None = None
) -> dict[str, np.ndarray] | tuple[dict[str, np.ndarray], dict]:
    """Read a file written by :func:`save` (or any safetensors file), within bounds.

    Args:
        path: a safetensors or descentlab ``.npz`` file (told apart by content).
        with_metadata: also return the metadata dict given to :func:`save` (``{}`` for a
            safetensors file written elsewhere).
        limits: the bounds for this load (default :func:`get_limits`, changed with
            :func:`set_limits`).

    Returns:
        ``{name: np.ndarray}`` in the order saved, or ``(arrays, metadata)`` when
        ``with_metadata``.

    Raises:
        MissingFileError: no such file (also a ``FileNotFoundError``).
        SerializationError: one line naming the file and what is wrong: truncated or
            corrupted, not a model file, over a limit (and how to raise it), a name that is not
            a state-dict key or appears twice, a dtype other than bool/integer/float, pickled
            objects, or a newer format version.
    """
    path = os.fspath(path)
    limits = limits or get_limits()
    if not os.path.exists(path):
        raise MissingFileError(f"cannot load {path!r}: no such file")
    if os.path.isdir(path):
        raise SerializationError(f"cannot load {path!r}: it is a directory, not a model file")
    if _sniff(path) == "npz":
        arrays, raw = npz_format.read(path, limits, METADATA_KEY)
        if raw is None:
            raise SerializationError(
                f"{path!r} is not a descentlab .npz file (it has no {METADATA_KEY!r} entry)"
            )
    else:
        arrays, raw = safetensors_format.read(path, limits)
    metadata: dict = {}
    if raw is not None:
        metadata, order = _read_header(path, raw, limits, list(arrays))
        arrays = {name: arrays[name] for name in order}
    return (arrays, metadata) if with_metadata else arrays
