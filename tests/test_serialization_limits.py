"""Hostile model files: every class of issue 10's crafted files is one clean error, and a
bounded fuzz of ``dl.load`` finds nothing but ``SerializationError``s and sound arrays."""

from __future__ import annotations

import io
import json
import struct
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from descentlab.serialization import (
    METADATA_KEY,
    Limits,
    SerializationError,
    get_limits,
    load,
    save,
    set_limits,
)

HEADER = {"format": "descentlab", "format_version": 1, "metadata": {}}


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=True)
    return buf.getvalue()


def _npy_header(shape: tuple, descr: str = "<f8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return buf.getvalue()


def _meta(text: bytes | None = None) -> bytes:
    raw = json.dumps(HEADER).encode() if text is None else text
    return _npy(np.frombuffer(raw, dtype=np.uint8))


def _zip(path, members: list[tuple[str, bytes]], compress=zipfile.ZIP_STORED) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name test
        with zipfile.ZipFile(path, "w", compression=compress) as zf:
            for name, data in members:
                zf.writestr(name, data)


def _safetensors(path, header: dict | bytes, data: bytes = b"") -> None:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)


def _error(path, **limits) -> str:
    with pytest.raises(SerializationError) as info:
        load(path, limits=Limits(**limits) if limits else None)
    message = str(info.value)
    assert "\n" not in message and str(path.name) in message
    return message


# -------------------------------------------------------------------------- size and bombs
def test_a_compressed_bomb_is_refused_against_the_file_size(tmp_path):
    path = tmp_path / "bomb.npz"
    _zip(
        path,
        [(f"{METADATA_KEY}.npy", _meta()), ("w.npy", _npy(np.zeros(4_000_000)))],
        zipfile.ZIP_DEFLATED,
    )
    assert path.stat().st_size < 100_000
    message = _error(path)
    assert "its arrays hold 30.5 MiB" in message and "the limit is 50 times" in message
    assert "set_limits(max_expansion=...)" in message
    assert load(path, limits=Limits(max_expansion=1e4))["w"].shape == (4_000_000,)


@pytest.mark.parametrize("name", ["m.safetensors", "m.npz"])
def test_total_size_is_bounded_and_the_limit_can_be_raised(tmp_path, name):
    path = tmp_path / name
    save({"w": np.zeros(1000)}, path)
    message = _error(path, max_bytes=4000)
    assert "over the limit of 3.9 KiB" in message and "set_limits(max_bytes=...)" in message
    old = set_limits(max_bytes=4000)
    try:
        assert get_limits().max_bytes == 4000
        with pytest.raises(SerializationError, match="over the limit"):
            load(path)
        set_limits(max_bytes=16000)
        assert load(path)["w"].shape == (1000,)
    finally:
        set_limits(**vars(old))
    with pytest.raises(ValueError, match="max_bytes must be a positive number, got -1"):
        set_limits(max_bytes=-1)
    with pytest.raises(TypeError, match="unknown limit 'size'"):
        set_limits(size=1)


def test_a_trillion_element_header_is_refused_before_allocating(tmp_path):
    npz = tmp_path / "huge.npz"
    _zip(npz, [(f"{METADATA_KEY}.npy", _meta()), ("w.npy", _npy_header((10**12,)) + b"\0" * 8)])
    assert "declares shape (1000000000000,) of float64 (7.3 TiB) but holds 8 bytes" in _error(npz)
    st_path = tmp_path / "huge.safetensors"
    _safetensors(
        st_path, {"w": {"dtype": "F64", "shape": [10**12], "data_offsets": [0, 8]}}, b"0" * 8
    )
    assert "declares shape (1000000000000,) of float64, 7.3 TiB" in _error(st_path)


def test_a_huge_safetensors_header_length_is_refused(tmp_path):
    path = tmp_path / "long.safetensors"
    path.write_bytes(struct.pack("<Q", 2**62) + b"{}")
    assert "its header declares 4,194,304.0 TiB, over the limit" in _error(path)


# ------------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize(
    "arr, shown",
    [
        (np.ones(2, dtype=np.complex128), "<c16 (complex128)"),
        (np.array(["a", "bc"]), "<U2 (<U2)"),
        (np.array(["2024-01-01"], dtype="datetime64[D]"), "<M8[D] (datetime64[D])"),
        (np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]), "|V8"),
        (np.array([b"ab"]), "|S2 (|S2)"),
        (np.ones(2, dtype=np.longdouble), "<f16 (float128)"),
    ],
)
def test_only_bool_integer_and_float_arrays_load_from_npz(tmp_path, arr, shown):
    path = tmp_path / "odd.npz"
    _zip(path, [(f"{METADATA_KEY}.npy", _meta()), ("w.npy", _npy(arr))])
    message = _error(path)
    assert f"entry 'w' has dtype {shown}" in message
    assert message.endswith("allowed: bool, integers and floats of up to 64 bits")


@pytest.mark.parametrize("code", ["C64", "BF16", "F8_E4M3", "STR"])
def test_only_numpy_dtypes_load_from_safetensors(tmp_path, code):
    path = tmp_path / "odd.safetensors"
    _safetensors(path, {"w": {"dtype": code, "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8)
    assert f"entry 'w' has dtype {code!r}; allowed: BOOL, U8, I8" in _error(path)


def test_object_arrays_are_refused_from_npz(tmp_path):
    path = tmp_path / "pickle.npz"
    _zip(path, [(f"{METADATA_KEY}.npy", _meta()), ("w.npy", _npy(np.array([None, {}])))])
    assert "entry 'w' holds pickled Python objects, which are refused" in _error(path)


# -------------------------------------------------------------------------------- names
@pytest.mark.parametrize("name", ["../../evil", "/etc/passwd", "a..b", "a/./b", "", "a b", "é"])
def test_names_must_be_state_dict_keys(tmp_path, name):
    npz = tmp_path / "names.npz"
    _zip(npz, [(f"{METADATA_KEY}.npy", _meta()), (f"{name}.npy", _npy(np.ones(1)))])
    assert f"entry name {name!r} is not a valid state-dict key" in _error(npz)
    st_path = tmp_path / "names.safetensors"
    _safetensors(st_path, {name: {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8)
    assert f"entry name {name!r} is not a valid state-dict key" in _error(st_path)


def test_duplicate_names_are_refused(tmp_path):
    npz = tmp_path / "dup.npz"
    one = _npy(np.ones(1))
    _zip(npz, [(f"{METADATA_KEY}.npy", _meta()), ("w.npy", one), ("w.npy", one)])
    assert "entry 'w' appears twice" in _error(npz)
    st_path = tmp_path / "dup.safetensors"
    entry = '{"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}'
    _safetensors(st_path, f'{{"w": {entry}, "w": {entry}}}'.encode(), b"\0" * 8)
    assert "its header is not valid: the key 'w' appears twice" in _error(st_path)


def test_a_member_without_the_npy_magic_is_an_error(tmp_path):
    path = tmp_path / "raw.npz"
    _zip(path, [(f"{METADATA_KEY}.npy", _meta()), ("w.npy", b"just some bytes")])
    assert "entry 'w' is not an .npy array (it lacks the npy magic bytes)" in _error(path)
    _zip(path, [(f"{METADATA_KEY}.npy", _meta()), ("notes.txt", b"hello")])
    assert "member 'notes.txt' is not an .npy array" in _error(path)


def test_overlapping_safetensors_entries_are_refused(tmp_path):
    path = tmp_path / "overlap.safetensors"
    spec = {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}
    _safetensors(path, {"a": spec, "b": spec}, b"\0" * 8)
    assert "entries 'a' and 'b' overlap" in _error(path)


# ----------------------------------------------------------------------------- metadata
def test_deeply_nested_metadata_is_a_clean_error(tmp_path):
    deep = b'{"format": "descentlab", "format_version": 1, "metadata": ' + b"[" * 50_000
    npz = tmp_path / "deep.npz"
    _zip(npz, [(f"{METADATA_KEY}.npy", _meta(deep + b"]" * 50_000 + b"}"))])
    assert "its metadata is nested 50001 levels deep, over the limit of 64" in _error(npz)
    text = (deep + b"]" * 50_000 + b"}").decode()
    st_path = tmp_path / "deep.safetensors"
    _safetensors(st_path, {"__metadata__": {"descentlab": text}})
    assert "its metadata is nested 50001 levels deep" in _error(st_path)
    header = b'{"w": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    _safetensors(st_path, header)
    assert "its header is nested 50001 levels deep" in _error(st_path)


def test_metadata_size_is_bounded(tmp_path):
    path = tmp_path / "big.safetensors"
    save({"w": np.ones(1)}, path, metadata={"notes": "x" * 5000})
    message = _error(path, max_metadata_bytes=1000)
    assert "its metadata is 5.0 KiB, over the limit of 1,000 bytes" in message
    assert "set_limits(max_metadata_bytes=...)" in message
    assert load(path, with_metadata=True)[1]["notes"] == "x" * 5000


def test_brackets_inside_strings_do_not_count_as_depth(tmp_path):
    path = tmp_path / "brackets.safetensors"
    save({"w": np.ones(1)}, path, metadata={"text": "[" * 1000 + '\\"{'})
    assert load(path, with_metadata=True)[1]["text"] == "[" * 1000 + '\\"{'


def test_many_entries_are_bounded(tmp_path):
    path = tmp_path / "many.safetensors"
    save({f"w{i}": np.ones(1) for i in range(20)}, path)
    assert "20 entries, over the limit of 10" in _error(path, max_entries=10)


def test_a_foreign_safetensors_file_loads_with_empty_metadata(tmp_path):
    from safetensors.numpy import save_file

    path = tmp_path / "foreign.safetensors"
    save_file({"fc.weight": np.ones((2, 2), np.float32)}, str(path), metadata={"format": "pt"})
    arrays, meta = load(path, with_metadata=True)
    assert list(arrays) == ["fc.weight"] and meta == {}


# ------------------------------------------------------------------------------- the fuzz
def _sound(out) -> bool:
    return all(
        isinstance(v, np.ndarray) and v.dtype.kind in "biuf" and isinstance(k, str)
        for k, v in out.items()
    )


def _seed_files(tmp_path_factory) -> list[bytes]:
    d = tmp_path_factory.mktemp("seeds")
    state = {"a.weight": np.arange(6.0).reshape(2, 3), "a.bias": np.ones(2, np.float32)}
    seeds = []
    for name in ("s.safetensors", "s.npz"):
        save(state, d / name, metadata={"epoch": 1, "h": {"loss": [0.5, 0.25]}})
        seeds.append((d / name).read_bytes())
    return seeds


_MUTATION = st.tuples(
    st.sampled_from(["flip", "set", "cut", "insert", "delete"]),
    st.floats(0.0, 1.0, allow_nan=False),
    st.integers(0, 255),
)


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(which=st.integers(0, 1), mutations=st.lists(_MUTATION, min_size=1, max_size=4))
def test_fuzz_mutated_files_load_soundly_or_fail_cleanly(tmp_path_factory, which, mutations):
    data = bytearray(_SEEDS.setdefault("files", _seed_files(tmp_path_factory))[which])
    for kind, where, value in mutations:
        i = min(int(where * len(data)), max(len(data) - 1, 0))
        if kind == "flip" and data:
            data[i] ^= 1 << (value % 8)
        elif kind == "set" and data:
            data[i] = value
        elif kind == "cut":
            del data[i:]
        elif kind == "insert":
            data[i:i] = bytes([value]) * (1 + value % 16)
        elif kind == "delete":
            del data[i : i + 1 + value % 16]
    path = tmp_path_factory.mktemp("fuzz") / "m.bin"
    path.write_bytes(bytes(data))
    try:
        out = load(path)
    except SerializationError as exc:
        assert "\n" not in str(exc)
    else:
        assert _sound(out)


_SEEDS: dict[str, list[bytes]] = {}


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    header=st.recursive(
        st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
        max_leaves=12,
    ),
    tail=st.binary(max_size=64),
)
def test_fuzz_crafted_safetensors_headers_fail_cleanly(tmp_path_factory, header, tail):
    path = tmp_path_factory.mktemp("crafted") / "h.safetensors"
    _safetensors(path, {"w": header} if not isinstance(header, dict) else header, tail)
    try:
        out = load(path)
    except SerializationError as exc:
        assert "\n" not in str(exc)
    else:
        assert _sound(out)
