"""The safetensors layout, written and read with the ``safetensors`` package.

A safetensors file is an 8-byte little-endian header length, a JSON header naming each
tensor's dtype, shape and byte range, then the raw little-endian bytes: no code, so PyTorch's
``safetensors.torch.load_file`` reads what descentlab writes and the reverse. descentlab keeps
its own JSON (format version, the caller's metadata, the order of the names) as one string
under the header's ``__metadata__`` key ``"descentlab"``; files from elsewhere have none and
load with empty metadata.

Before the package maps the file, the header is read here and checked against the limits:
its size, every name, dtype, shape and byte range, and the total.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from descentlab.serialization.checks import (
    Limits,
    SerializationError,
    array_bytes,
    check_name,
    human_bytes,
    parse_json,
    raise_hint,
)

METADATA_FIELD = "descentlab"
DTYPES: dict[str, np.dtype] = {
    code: np.dtype(t).newbyteorder("<")
    for code, t in [
        ("BOOL", np.bool_),
        ("U8", np.uint8),
        ("I8", np.int8),
        ("U16", np.uint16),
        ("I16", np.int16),
        ("U32", np.uint32),
        ("I32", np.int32),
        ("U64", np.uint64),
        ("I64", np.int64),
        ("F16", np.float16),
        ("F32", np.float32),
        ("F64", np.float64),
    ]
}
_MAX_DIMS = 32  # NumPy's own limit is 64; no layer needs more than a handful


def write(path: str, arrays: dict[str, np.ndarray], header_text: str) -> None:
    """Write ``arrays`` (little-endian, contiguous) and descentlab's header JSON to ``path``."""
    from safetensors.numpy import save_file

    # np.require, not np.ascontiguousarray, which turns a 0-d array into shape (1,).
    tensors = {
        k: np.require(v.astype(v.dtype.newbyteorder("<"), copy=False), requirements="C")
        for k, v in arrays.items()
    }
    save_file(tensors, path, metadata={METADATA_FIELD: header_text})


def looks_like_safetensors(head: bytes) -> bool:
    """An 8-byte length followed by ``{``: the start of every safetensors file."""
    return len(head) >= 9 and head[8:9] == b"{"


def _count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _spec(name: str, spec: Any, data_len: int, where: str) -> tuple[np.dtype, tuple, int, int]:
    if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data_offsets"}:
        raise SerializationError(
            f"{where}: entry {name!r} is not a tensor description (expected dtype, shape "
            "and data_offsets)"
        )
    code, shape, offsets = spec["dtype"], spec["shape"], spec["data_offsets"]
    if code not in DTYPES:
        raise SerializationError(
            f"{where}: entry {name!r} has dtype {code!r}; allowed: {', '.join(DTYPES)}"
        )
    if not isinstance(shape, list) or len(shape) > _MAX_DIMS or not all(map(_count, shape)):
        raise SerializationError(
            f"{where}: entry {name!r} has shape {str(shape)[:80]} (expected a list of at most "
            f"{_MAX_DIMS} non-negative integers)"
        )
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_count, offsets))):
        raise SerializationError(
            f"{where}: entry {name!r} has data_offsets {str(offsets)[:80]} (expected [begin, end])"
        )
    begin, end = offsets
    dtype = DTYPES[code]
    nbytes = array_bytes(tuple(shape), dtype.itemsize)
    if not begin <= end <= data_len or end - begin != nbytes:
        raise SerializationError(
            f"{where}: truncated or corrupted file (entry {name!r} declares shape "
            f"{tuple(shape)} of {dtype.name}, {human_bytes(nbytes)}, at bytes {begin}-{end} "
            f"of a {human_bytes(data_len)} data section)"
        )
    return dtype, tuple(shape), begin, end


def read(path: str, limits: Limits) -> tuple[dict[str, np.ndarray], bytes | None]:
    """The arrays of a safetensors file and descentlab's raw header JSON (None if foreign)."""
    where = f"cannot load {path!r}"
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        if n > limits.max_header_bytes:
            raise SerializationError(
                f"{where}: its header declares {human_bytes(n)}, over the limit of "
                f"{human_bytes(limits.max_header_bytes)} ({raise_hint('max_header_bytes')})"
            )
        if n > size - 8:
            raise SerializationError(
                f"{where}: truncated or corrupted file (its header declares {n:,} bytes, the "
                f"file holds {max(size - 8, 0):,} after the length)"
            )
        raw = f.read(n)
    header = parse_json(raw, f"{where}: its header", limits, max_bytes=limits.max_header_bytes)
    if not isinstance(header, dict):
        raise SerializationError(f"{where}: truncated or corrupted file (header is not an object)")
    extra = header.pop("__metadata__", None) or {}
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        raise SerializationError(f"{where}: its __metadata__ is not a map of strings")
    if len(header) > limits.max_entries:
        raise SerializationError(
            f"{where}: {len(header)} entries, over the limit of {limits.max_entries} "
            f"({raise_hint('max_entries')})"
        )
    data_len = size - 8 - n
    specs = {check_name(k, where): _spec(k, v, data_len, where) for k, v in header.items()}
    total = sum(end - begin for _, _, begin, end in specs.values())
    if total > limits.max_bytes:
        raise SerializationError(
            f"{where}: its arrays hold {human_bytes(total)}, over the limit of "
            f"{human_bytes(limits.max_bytes)} ({raise_hint('max_bytes')})"
        )
    ranges = sorted((begin, end, k) for k, (_, _, begin, end) in specs.items())
    for (_, end_a, a), (begin_b, _, b) in zip(ranges, ranges[1:], strict=False):
        if begin_b < end_a:
            raise SerializationError(f"{where}: entries {a!r} and {b!r} overlap")
    text = extra.get(METADATA_FIELD)
    return _read_arrays(path, specs), None if text is None else text.encode("utf-8")


def _read_arrays(path: str, specs: dict[str, tuple]) -> dict[str, np.ndarray]:
    from safetensors import SafetensorError, safe_open

    where = f"cannot load {path!r}"
    try:
        with safe_open(path, framework="numpy") as f:
            out = {}
            for name, (dtype, shape, _, _) in specs.items():
                arr = f.get_tensor(name)
                if arr.shape != shape or arr.dtype != dtype:  # an invariant of the checks above
                    raise SerializationError(f"{where}: entry {name!r} does not match its header")
                arr = arr.astype(dtype.newbyteorder("="), copy=False)
                out[name] = arr if arr.flags.writeable else arr.copy()
            return out
    except SafetensorError as exc:
        raise SerializationError(f"{where}: truncated or corrupted file ({exc})") from None
