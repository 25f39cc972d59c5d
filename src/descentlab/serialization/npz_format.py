"""The ``.npz`` layout: a zip of ``.npy`` members, one per array, plus ``__metadata__.npy``.

This was descentlab's first format and is still read and (for paths ending in ``.npz``)
written. The reader never calls ``np.load``: it walks the zip directory itself, so every
member's name, npy header, dtype and size is checked before a byte of array data is read, and
every member is read to its end, which makes zipfile check its CRC.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from typing import IO, Any

import numpy as np

from descentlab.serialization.checks import (
    Limits,
    SerializationError,
    array_bytes,
    check_dtype,
    check_name,
    human_bytes,
    raise_hint,
)

MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 24  # read members in 16 MiB pieces: no second full-size buffer


def write(f: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    """``arrays`` (the metadata entry included) as an uncompressed ``.npz`` into ``f``."""
    np.savez(f, **arrays)


def _read_header(f: IO[bytes], where: str, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    try:
        version = np.lib.format.read_magic(f)
    except ValueError:
        raise SerializationError(
            f"{where}: entry {name!r} is not an .npy array (it lacks the npy magic bytes)"
        ) from None
    readers = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }
    if version not in readers:
        raise SerializationError(
            f"{where}: entry {name!r} uses npy format version {version} (expected 1.0 or 2.0)"
        )
    try:
        shape, fortran, dtype = readers[version](f, max_header_size=10_000)
    except (ValueError, TypeError, SyntaxError) as exc:
        # NumPy refuses object dtypes here only at read time; say what it is.
        text = str(exc).splitlines()[0]
        raise SerializationError(f"{where}: entry {name!r} has a bad npy header ({text})") from None
    return shape, fortran, dtype


def _read_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, name: str, limits: Limits
) -> np.ndarray:
    with zf.open(info) as f:
        shape, fortran, dtype = _read_header(f, where, name)
        if dtype.hasobject:
            raise SerializationError(
                f"{where}: entry {name!r} holds pickled Python objects, which are refused "
                "(loading must not run code)"
            )
        check_dtype(dtype, name, where)
        nbytes = array_bytes(shape, dtype.itemsize)
        held = info.file_size - f.tell()
        if nbytes != held:
            raise SerializationError(
                f"{where}: entry {name!r} declares shape {shape} of {dtype} "
                f"({human_bytes(nbytes)}) but holds {human_bytes(held)}"
            )
        buf = np.empty(nbytes, dtype=np.uint8)
        view = memoryview(buf)
        done = 0
        while done < nbytes:
            got = f.readinto(view[done : done + _CHUNK])
            if not got:
                break
            done += got
        if done != nbytes or f.read(1):  # reading past the end makes zipfile check the CRC
            raise SerializationError(f"{where}: entry {name!r} is truncated or corrupted")
    return buf.view(dtype).reshape(shape, order="F" if fortran else "C")


def read(
    path: str, limits: Limits, metadata_key: str
) -> tuple[dict[str, np.ndarray], bytes | None]:
    """The arrays of an ``.npz`` file and its raw metadata bytes (None when absent)."""
    where = f"cannot load {path!r}"
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise SerializationError(
            f"{where}: truncated or corrupted file ({type(exc).__name__}: {exc})"
        ) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_entries + 1:
            raise SerializationError(
                f"{where}: {len(infos)} entries, over the limit of {limits.max_entries} "
                f"({raise_hint('max_entries')})"
            )
        members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise SerializationError(
                    f"{where}: member {info.filename[:80]!r} is not an .npy array"
                )
            name = info.filename[: -len(".npy")]
            if name != metadata_key:
                check_name(name, where)
            if name in members:
                raise SerializationError(f"{where}: entry {name!r} appears twice")
            members[name] = info
        total = sum(i.file_size for i in infos)
        if total > limits.max_bytes:
            raise SerializationError(
                f"{where}: its arrays hold {human_bytes(total)}, over the limit of "
                f"{human_bytes(limits.max_bytes)} ({raise_hint('max_bytes')})"
            )
        size = os.path.getsize(path)
        if total > limits.max_expansion * size + 65536:
            raise SerializationError(
                f"{where}: its arrays hold {human_bytes(total)}, {total / max(size, 1):,.0f} "
                f"times the file's {human_bytes(size)} (the limit is {limits.max_expansion:g} "
                f"times; {raise_hint('max_expansion')})"
            )
        raw_meta = None
        arrays: dict[str, np.ndarray] = {}
        name = metadata_key
        try:
            if metadata_key in members:
                meta = _read_member(zf, members[metadata_key], where, metadata_key, limits)
                if meta.dtype != np.uint8 or meta.ndim != 1:
                    raise SerializationError(
                        f"{path!r} is not a descentlab .npz file (its {metadata_key!r} entry "
                        "is not UTF-8 bytes)"
                    )
                raw_meta = meta.tobytes()
            for name, info in members.items():
                if name != metadata_key:
                    arrays[name] = _read_member(zf, info, where, name, limits)
        except SerializationError:
            raise
        except zipfile.BadZipFile as exc:
            if "CRC" in str(exc):
                raise SerializationError(
                    f"{where}: truncated or corrupted file (entry {name + '.npy'!r} fails its "
                    "CRC check)"
                ) from None
            raise SerializationError(f"{where}: entry {name!r} is truncated or corrupted") from None
        except (OSError, EOFError, ValueError, NotImplementedError, RuntimeError, zlib.error) as e:
            # zipfile and its decompressors raise many types on damaged input; all mean this.
            raise SerializationError(
                f"{where}: entry {name!r} is truncated or corrupted ({type(e).__name__}: {e})"
            ) from None
    return arrays, raw_meta


def is_npz(head: bytes) -> bool:
    return head[:4] == MAGIC


def metadata_array(text: str) -> Any:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
