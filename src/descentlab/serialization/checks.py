"""What a model file may hold, and the bounds a load stays within.

Every reader checks a file against these rules before it allocates anything, so a hostile or
damaged file costs a few kilobytes of reading and one clear error, never gigabytes of memory,
a pickle, a path outside the state dict's names or a ``RecursionError``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Limits",
    "MissingFileError",
    "SerializationError",
    "check_dtype",
    "check_name",
    "get_limits",
    "parse_json",
    "set_limits",
]


class SerializationError(ValueError):
    """A file could not be written or read as a descentlab model file."""


class MissingFileError(SerializationError, FileNotFoundError):
    """The file to load does not exist."""


@dataclass(frozen=True)
class Limits:
    """Upper bounds for one :func:`descentlab.load`.

    Attributes:
        max_bytes: total bytes of all arrays (default 4 GiB).
        max_expansion: for compressed ``.npz`` files, how many times larger than the file the
            arrays may be (default 50; ``np.savez`` files are not compressed, a ratio of 1).
        max_entries: number of arrays (default 100,000).
        max_metadata_bytes: size of the JSON metadata (default 16 MiB).
        max_metadata_depth: nesting depth of the JSON metadata (default 64).
        max_header_bytes: size of a safetensors header (default 100 MB, as the safetensors
            library itself allows).
    """

    max_bytes: int = 4 * 2**30
    max_expansion: float = 50.0
    max_entries: int = 100_000
    max_metadata_bytes: int = 16 * 2**20
    max_metadata_depth: int = 64
    max_header_bytes: int = 100_000_000


_limits = Limits()


def get_limits() -> Limits:
    """The limits :func:`descentlab.load` uses when it is given none."""
    return _limits


def set_limits(**changes: float) -> Limits:
    """Change the default limits (e.g. ``set_limits(max_bytes=16 * 2**30)``); returns the old.

    This reaches loads made for you (``load_checkpoint``, ``load_run``, ``descentlab
    predict``); a single ``dl.load(path, limits=Limits(...))`` can also pass its own.
    """
    global _limits
    names = {f.name for f in dataclasses.fields(Limits)}
    for key, value in changes.items():
        if key not in names:
            raise TypeError(f"set_limits: unknown limit {key!r} (expected one of {sorted(names)})")
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"set_limits: {key} must be a positive number, got {value!r}")
    old, _limits = _limits, dataclasses.replace(_limits, **changes)
    return old


def raise_hint(field: str) -> str:
    return f"raise it with descentlab.serialization.set_limits({field}=...)"


def human_bytes(n: float) -> str:
    if n < 1024:
        return f"{n:,.0f} bytes"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024:
            return f"{n:.1f} {unit}"
    return f"{n / 1024:,.1f} TiB"


# A state-dict key: segments of letters, digits, '_' or '-', joined by '.' (module paths) or '/'
# (a checkpoint's sections). No empty, '.' or '..' segment, so no name can act as a path.
_NAME = re.compile(r"[A-Za-z0-9_-]+(?:[./][A-Za-z0-9_-]+)*")
MAX_NAME_LENGTH = 1000


def check_name(name: Any, where: str) -> str:
    """``name`` if it is a valid state-dict key, else a SerializationError naming ``where``."""
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH or not _NAME.fullmatch(name):
        shown = repr(name) if not isinstance(name, str) or len(name) <= 80 else repr(name[:80])
        raise SerializationError(
            f"{where}: entry name {shown} is not a valid state-dict key (expected up to "
            f"{MAX_NAME_LENGTH} letters, digits, '_' or '-' in segments joined by '.' or '/', "
            "e.g. 'layers.0.weight')"
        )
    return name


_ALLOWED_KINDS = "biuf"  # bool, signed and unsigned integers, floats


def check_dtype(dtype: np.dtype, name: str, where: str) -> np.dtype:
    """``dtype`` if it is a plain bool, integer or float of at most 8 bytes."""
    if dtype.kind not in _ALLOWED_KINDS or dtype.fields is not None or dtype.itemsize > 8:
        raise SerializationError(
            f"{where}: entry {name!r} has dtype {dtype.str} ({dtype}); allowed: bool, integers "
            "and floats of up to 64 bits"
        )
    return dtype


def array_bytes(shape: tuple[int, ...], itemsize: int) -> int:
    """The byte count of an array, in Python integers (a 1e12-element header cannot overflow)."""
    return math.prod(int(d) for d in shape) * itemsize


# JSON strings, so that brackets inside them do not count towards the depth.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def json_depth(raw: bytes) -> int:
    """The deepest bracket nesting in JSON text (vectorised: no recursion, no Python loop)."""
    codes = np.frombuffer(_JSON_STRING.sub(b'""', raw), dtype=np.uint8)
    if codes.size == 0:
        return 0
    return int(np.cumsum(_OPEN[codes], dtype=np.int64).max(initial=0))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise SerializationError(f"the key {key!r} appears twice")
        out[key] = value
    return out


def parse_json(raw: bytes, what: str, limits: Limits, max_bytes: int | None = None) -> Any:
    """JSON text read within ``limits`` (size, depth), refusing duplicate keys.

    Raises:
        SerializationError: one line naming ``what`` and the bound or the defect.
    """
    cap = limits.max_metadata_bytes if max_bytes is None else max_bytes
    field = "max_metadata_bytes" if max_bytes is None else "max_header_bytes"
    if len(raw) > cap:
        raise SerializationError(
            f"{what} is {human_bytes(len(raw))}, over the limit of {human_bytes(cap)} "
            f"({raise_hint(field)})"
        )
    depth = json_depth(raw)
    if depth > limits.max_metadata_depth:
        raise SerializationError(
            f"{what} is nested {depth} levels deep, over the limit of "
            f"{limits.max_metadata_depth} ({raise_hint('max_metadata_depth')})"
        )
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except SerializationError as exc:
        raise SerializationError(f"{what} is not valid: {exc}") from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise SerializationError(f"{what} is not JSON") from None
