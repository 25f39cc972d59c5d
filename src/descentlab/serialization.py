"""Saving and loading named arrays (state dicts, checkpoints) as ``.npz`` files.

A descentlab file is an ordinary NumPy ``.npz`` archive: one array per state-dict name, plus
one reserved entry, ``__metadata__``, holding UTF-8 JSON as a ``uint8`` array::

    {"format": "descentlab", "format_version": 1, "metadata": {...user metadata...}}

Loading never runs code: ``np.load(..., allow_pickle=False)``, JSON, and object arrays are
refused. Saving writes a temporary file in the target's directory and renames it over the
target (``os.replace``), so an interrupted save leaves the previous file intact.

>>> import numpy as np, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
>>> save({"weight": np.ones((2, 3))}, path, metadata={"epoch": 3})
>>> arrays, meta = load(path, with_metadata=True)
>>> arrays["weight"].shape, meta
((2, 3), {'epoch': 3})
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["FORMAT_VERSION", "METADATA_KEY", "SerializationError", "load", "save"]

FORMAT_VERSION = 1
METADATA_KEY = "__metadata__"
_FORMAT_NAME = "descentlab"

# What a damaged archive can raise from zipfile, zlib or NumPy's header parser.
_READ_ERRORS = (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error)


class SerializationError(ValueError):
    """A file could not be written or read as a descentlab ``.npz`` file."""


class MissingFileError(SerializationError, FileNotFoundError):
    """The file to load does not exist."""


def _to_array(name: str, value: Any) -> np.ndarray:
    data = value
    if not isinstance(value, np.ndarray) and isinstance(getattr(value, "_data", None), np.ndarray):
        data = value._data  # a Tensor or Parameter
    arr = np.asarray(data)
    if arr.dtype.hasobject:
        raise SerializationError(
            f"save: entry {name!r} has dtype {arr.dtype} (object arrays cannot be saved; "
            f"expected a numeric or boolean array)"
        )
    return arr


def save(
    state_dict: Mapping[str, Any], path: str | os.PathLike, metadata: Mapping | None = None
) -> None:
    """Write named arrays and a JSON metadata dict to ``path`` (an ``.npz`` file), atomically.

    Args:
        state_dict: name -> array (``np.ndarray``, ``Tensor``/``Parameter`` or number); for
            example ``model.state_dict()``. Names are non-empty strings other than
            ``"__metadata__"``.
        path: the file to write, used as given (no suffix is added); its directory must exist.
        metadata: a JSON-serialisable dict (epoch, config, history, ...), read back with
            ``load(path, with_metadata=True)``.

    Raises:
        SerializationError: a bad name, an object array, or metadata that is not JSON.
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"save: state_dict must be a mapping, got {type(state_dict).__name__}")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(f"save: metadata must be a dict or None, got {type(metadata).__name__}")
    arrays: dict[str, np.ndarray] = {}
    for name, value in state_dict.items():
        if not isinstance(name, str) or not name:
            raise SerializationError(f"save: names must be non-empty strings, got {name!r}")
        if name == METADATA_KEY:
            raise SerializationError(f"save: the name {METADATA_KEY!r} is reserved")
        arrays[name] = _to_array(name, value)
    header = {
        "format": _FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "metadata": dict(metadata) if metadata is not None else {},
    }
    try:
        text = json.dumps(header, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise SerializationError(f"save: metadata is not JSON-serialisable: {exc}") from None
    arrays[METADATA_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)

    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _read_header(path: str, files: list[str], npz: Any) -> dict:
    not_ours = f"{path!r} is not a descentlab .npz file"
    if METADATA_KEY not in files:
        raise SerializationError(f"{not_ours} (it has no {METADATA_KEY!r} entry)")
    raw = npz[METADATA_KEY]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise SerializationError(f"{not_ours} (its {METADATA_KEY!r} entry is not UTF-8 bytes)")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SerializationError(f"{not_ours} (its {METADATA_KEY!r} entry is not JSON)") from None
    if not isinstance(header, dict) or header.get("format") != _FORMAT_NAME:
        raise SerializationError(f"{not_ours} (unknown format in {METADATA_KEY!r})")
    version = header.get("format_version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise SerializationError(
            f"{path!r}: unsupported format version {version!r} "
            f"(this descentlab reads versions 1 to {FORMAT_VERSION})"
        )
    metadata = header.get("metadata", {})
    if not isinstance(metadata, dict):
        raise SerializationError(f"{not_ours} (metadata is not a JSON object)")
    return metadata


def _check_archive(path: str) -> None:
    """Refuse a file that is not a sound zip archive before NumPy parses it.

    NumPy reads members without reaching their end, so it never checks their CRC: a flipped
    byte would load silently. ``testzip`` reads every member and checks it.
    """
    with open(path, "rb") as f:
        head = f.read(4)
    if head != b"PK\x03\x04":
        if head == b"\x93NUM":
            raise SerializationError(
                f"cannot load {path!r}: not a descentlab .npz file (it is a single .npy array)"
            )
        what = "an empty file" if not head else "not a zip archive"
        if head[:2] == b"PK" or not head:
            raise SerializationError(f"cannot load {path!r}: truncated or corrupted file ({what})")
        raise SerializationError(f"cannot load {path!r}: not a descentlab .npz file ({what})")
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
    except Exception as exc:  # zipfile raises many types on damaged input; all mean the same
        raise SerializationError(
            f"cannot load {path!r}: truncated or corrupted file ({type(exc).__name__}: {exc})"
        ) from None
    if bad is not None:
        raise SerializationError(
            f"cannot load {path!r}: truncated or corrupted file (entry {bad!r} fails its CRC check)"
        )


def load(
    path: str | os.PathLike, with_metadata: bool = False
) -> dict[str, np.ndarray] | tuple[dict[str, np.ndarray], dict]:
    """Read a file written by :func:`save`.

    Args:
        path: the ``.npz`` file.
        with_metadata: also return the metadata dict given to :func:`save`.

    Returns:
        ``{name: np.ndarray}`` in the order saved, or ``(arrays, metadata)`` when
        ``with_metadata``.

    Raises:
        MissingFileError: no such file (also a ``FileNotFoundError``).
        SerializationError: the file is truncated or corrupted, is not a descentlab ``.npz``
            file, holds pickled objects, or comes from a newer format version. The message
            names the file and, where it applies, the entry.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise MissingFileError(f"cannot load {path!r}: no such file")
    if os.path.isdir(path):
        raise SerializationError(f"cannot load {path!r}: it is a directory, not an .npz file")
    _check_archive(path)
    try:
        npz = np.load(path, allow_pickle=False)
    except Exception as exc:  # the archive passed its CRC check; anything left is damage
        raise SerializationError(
            f"cannot load {path!r}: truncated or corrupted file ({type(exc).__name__}: {exc})"
        ) from None
    with npz:
        files = list(npz.files)
        arrays: dict[str, np.ndarray] = {}
        name = METADATA_KEY
        try:
            metadata = _read_header(path, files, npz)
            for name in files:
                if name != METADATA_KEY:
                    arrays[name] = npz[name]
        except SerializationError:
            raise
        except ValueError as exc:
            if "pickle" in str(exc) or "Object arrays" in str(exc):
                raise SerializationError(
                    f"cannot load {path!r}: entry {name!r} holds pickled Python objects, which "
                    f"are refused (loading must not run code)"
                ) from None
            raise SerializationError(
                f"cannot load {path!r}: entry {name!r} is truncated or corrupted ({exc})"
            ) from None
        except _READ_ERRORS as exc:
            raise SerializationError(
                f"cannot load {path!r}: entry {name!r} is truncated or corrupted "
                f"({type(exc).__name__}: {exc})"
            ) from None
    return (arrays, metadata) if with_metadata else arrays
