"""Saving and loading .npz files: round trips, atomic writes, and clear errors on bad files."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

from descentlab import serialization
from descentlab.serialization import METADATA_KEY, MissingFileError, SerializationError, load, save


def _state() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "layers.0.weight": rng.standard_normal((4, 3)).astype(np.float32),
        "layers.0.bias": rng.standard_normal(4),
        "bn.num_batches_tracked": np.array(7, dtype=np.int64),
        "mask": np.array([True, False, True]),
        "empty": np.zeros((0, 5)),
    }


def test_round_trip_keeps_names_order_values_and_dtypes(tmp_path):
    state = _state()
    path = tmp_path / "model.npz"
    save(state, path, metadata={"epoch": 3, "config": {"lr": 0.1, "layers": [2, 16, 1]}})
    arrays, meta = load(path, with_metadata=True)
    assert list(arrays) == list(state)
    for name, value in state.items():
        assert arrays[name].dtype == value.dtype, name
        assert arrays[name].shape == value.shape, name
        np.testing.assert_array_equal(arrays[name], value)
    assert meta == {"epoch": 3, "config": {"lr": 0.1, "layers": [2, 16, 1]}}
    assert list(load(path)) == list(state)


def test_load_without_metadata_flag_returns_only_arrays(tmp_path):
    save({"w": np.ones(2)}, tmp_path / "a.npz")
    out = load(tmp_path / "a.npz")
    assert isinstance(out, dict) and list(out) == ["w"]
    _, meta = load(tmp_path / "a.npz", with_metadata=True)
    assert meta == {}


def test_file_is_a_plain_npz_with_a_json_metadata_entry(tmp_path):
    path = tmp_path / "m.npz"
    save({"w": np.arange(3.0)}, path, metadata={"step": 10})
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == sorted(["w", METADATA_KEY])
        header = json.loads(npz[METADATA_KEY].tobytes().decode("utf-8"))
    assert header == {"format": "descentlab", "format_version": 1, "metadata": {"step": 10}}


def test_tensors_are_saved_as_arrays(tmp_path):
    import descentlab as dl

    t = dl.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    save({"t": t}, tmp_path / "t.npz")
    np.testing.assert_array_equal(load(tmp_path / "t.npz")["t"], t.data)


def test_save_is_atomic_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save({"w": np.ones(3)}, path)
    save({"w": np.full(3, 2.0)}, path)  # overwrite
    np.testing.assert_array_equal(load(path)["w"], np.full(3, 2.0))

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # a kill in the middle of writing

    monkeypatch.setattr(serialization.np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        save({"w": np.zeros(3)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    np.testing.assert_array_equal(load(path)["w"], np.full(3, 2.0))


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.3, 0.6, 0.97])
def test_truncated_file_gives_a_clear_error(tmp_path, fraction):
    path = tmp_path / "full.npz"
    save(_state(), path, metadata={"epoch": 1})
    data = path.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(SerializationError, match="truncated or corrupted") as info:
        load(cut)
    assert "cut.npz" in str(info.value)


def test_flipped_byte_in_array_data_is_detected(tmp_path):
    path = tmp_path / "m.npz"
    save({"w": np.zeros(1000)}, path)
    data = bytearray(path.read_bytes())
    # Flip a byte inside the array's payload (the zero run), which NumPy alone would not notice.
    pos = bytes(data).index(b"\x00" * 64) + 32
    data[pos] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(SerializationError, match=r"'w\.npy' fails its CRC check"):
        load(path)


def test_random_bytes_are_not_a_descentlab_file(tmp_path):
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(SerializationError, match=r"noise\.npz.*not a descentlab \.npz file"):
        load(path)


def test_plain_numpy_files_are_refused(tmp_path):
    np.savez(tmp_path / "plain.npz", w=np.ones(3))
    with pytest.raises(SerializationError, match="has no '__metadata__' entry"):
        load(tmp_path / "plain.npz")
    np.save(tmp_path / "single.npy", np.ones(3))
    with pytest.raises(SerializationError, match="single .npy array"):
        load(tmp_path / "single.npy")


def test_pickled_object_array_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    save({"w": np.ones(2)}, path)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["payload"] = np.array([{"a": 1}, None], dtype=object)  # pickled by np.savez
    np.savez(path, **arrays)
    with pytest.raises(SerializationError, match="'payload' holds pickled Python objects"):
        load(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(MissingFileError, match="no such file") as info:
        load(tmp_path / "nope.npz")
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(SerializationError, match="is a directory"):
        load(tmp_path)


def test_newer_format_version_is_refused(tmp_path):
    header = {"format": "descentlab", "format_version": 99, "metadata": {}}
    raw = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(tmp_path / "future.npz", **{METADATA_KEY: raw, "w": np.ones(1)})
    with pytest.raises(SerializationError, match="unsupported format version 99"):
        load(tmp_path / "future.npz")


def test_bad_metadata_entry_is_refused(tmp_path):
    np.savez(tmp_path / "m.npz", **{METADATA_KEY: np.frombuffer(b"{not json", dtype=np.uint8)})
    with pytest.raises(SerializationError, match="is not JSON"):
        load(tmp_path / "m.npz")


def test_save_refuses_bad_input(tmp_path):
    path = tmp_path / "x.npz"
    with pytest.raises(SerializationError, match="object arrays cannot be saved"):
        save({"o": np.array([object()], dtype=object)}, path)
    with pytest.raises(SerializationError, match="reserved"):
        save({METADATA_KEY: np.ones(1)}, path)
    with pytest.raises(SerializationError, match="non-empty strings"):
        save({3: np.ones(1)}, path)
    with pytest.raises(SerializationError, match="not JSON-serialisable"):
        save({"w": np.ones(1)}, path, metadata={"f": object()})
    with pytest.raises(TypeError, match="metadata must be a dict"):
        save({"w": np.ones(1)}, path, metadata=[1, 2])
    assert not path.exists() and os.listdir(tmp_path) == []


def test_entries_survive_the_zip_round_trip_with_their_names(tmp_path):
    path = tmp_path / "m.npz"
    save({"a.b.c": np.ones(1)}, path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == sorted(["a.b.c.npy", METADATA_KEY + ".npy"])


def test_metadata_keeps_rng_state_big_integers_and_nan(tmp_path):
    import descentlab as dl

    dl.manual_seed(5)
    state = dl.random.get_rng_state()  # PCG64's state holds 128-bit integers
    meta = {"rng": state, "history": {"loss": [1.0, float("nan")]}, "name": "run-é"}
    save({"w": np.ones(1)}, tmp_path / "c.npz", metadata=meta)
    _, back = load(tmp_path / "c.npz", with_metadata=True)
    assert back["rng"] == state and back["name"] == "run-é"
    assert back["history"]["loss"][0] == 1.0 and np.isnan(back["history"]["loss"][1])
