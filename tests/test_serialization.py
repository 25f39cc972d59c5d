"""Model files: safetensors and .npz round trips, atomic writes, clear errors on bad files."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from descentlab import serialization
from descentlab.serialization import METADATA_KEY, MissingFileError, SerializationError, load, save

FORMATS = ["model.safetensors", "model.npz"]


def _state() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "layers.0.weight": rng.standard_normal((4, 3)).astype(np.float32),
        "layers.0.bias": rng.standard_normal(4),
        "bn.num_batches_tracked": np.array(7, dtype=np.int64),
        "mask": np.array([True, False, True]),
        "empty": np.zeros((0, 5)),
        "half": np.arange(3, dtype=np.float16),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    }


@pytest.mark.parametrize("name", FORMATS)
def test_round_trip_keeps_names_order_values_and_dtypes(tmp_path, name):
    state = _state()
    path = tmp_path / name
    save(state, path, metadata={"epoch": 3, "config": {"lr": 0.1, "layers": [2, 16, 1]}})
    arrays, meta = load(path, with_metadata=True)
    assert list(arrays) == list(state)
    for key, value in state.items():
        assert arrays[key].dtype == value.dtype, key
        assert arrays[key].shape == value.shape, key
        np.testing.assert_array_equal(arrays[key], value)
    assert meta == {"epoch": 3, "config": {"lr": 0.1, "layers": [2, 16, 1]}}
    assert list(load(path)) == list(state)
    arrays["layers.0.bias"][0] = 1.0  # loaded arrays are writable


def test_suffix_chooses_the_format(tmp_path):
    save({"w": np.ones(2)}, tmp_path / "a.safetensors")
    save({"w": np.ones(2)}, tmp_path / "a.bin")
    save({"w": np.ones(2)}, tmp_path / "a.npz")
    assert (tmp_path / "a.npz").read_bytes()[:4] == b"PK\x03\x04"
    for name in ("a.safetensors", "a.bin"):
        assert (tmp_path / name).read_bytes()[8:9] == b"{"


def test_load_without_metadata_flag_returns_only_arrays(tmp_path):
    save({"w": np.ones(2)}, tmp_path / "a.safetensors")
    out = load(tmp_path / "a.safetensors")
    assert isinstance(out, dict) and list(out) == ["w"]
    _, meta = load(tmp_path / "a.safetensors", with_metadata=True)
    assert meta == {}


def test_safetensors_file_is_read_by_the_safetensors_package(tmp_path):
    from safetensors import safe_open

    path = tmp_path / "m.safetensors"
    save({"w": np.arange(3.0)}, path, metadata={"step": 10})
    with safe_open(str(path), framework="numpy") as f:
        np.testing.assert_array_equal(f.get_tensor("w"), np.arange(3.0))
        header = json.loads(f.metadata()["descentlab"])
    assert header == {
        "format": "descentlab",
        "format_version": 1,
        "metadata": {"step": 10},
        "order": ["w"],
    }


def test_npz_file_is_a_plain_npz_with_a_json_metadata_entry(tmp_path):
    path = tmp_path / "m.npz"
    save({"w": np.arange(3.0)}, path, metadata={"step": 10})
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == sorted(["w", METADATA_KEY])
        header = json.loads(npz[METADATA_KEY].tobytes().decode("utf-8"))
    assert header["format"] == "descentlab" and header["metadata"] == {"step": 10}


def test_npz_files_of_the_first_format_still_load(tmp_path):
    # Written as descentlab 0.x wrote them: no "order" in the header.
    header = {"format": "descentlab", "format_version": 1, "metadata": {"epoch": 2}}
    raw = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(tmp_path / "old.npz", **{"0.weight": np.ones((2, 2)), METADATA_KEY: raw})
    arrays, meta = load(tmp_path / "old.npz", with_metadata=True)
    assert list(arrays) == ["0.weight"] and meta == {"epoch": 2}


@pytest.mark.parametrize("name", FORMATS)
def test_tensors_are_saved_as_arrays(tmp_path, name):
    import descentlab as dl

    t = dl.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    save({"t": t}, tmp_path / name)
    np.testing.assert_array_equal(load(tmp_path / name)["t"], t.detach().numpy())


@pytest.mark.parametrize("name", FORMATS)
def test_save_is_atomic_and_leaves_no_temporary_file(tmp_path, monkeypatch, name):
    path = tmp_path / name
    save({"w": np.ones(3)}, path)
    save({"w": np.full(3, 2.0)}, path)  # overwrite
    np.testing.assert_array_equal(load(path)["w"], np.full(3, 2.0))

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # a kill in the middle of writing

    monkeypatch.setattr(serialization.npz_format, "write", crash)
    monkeypatch.setattr(serialization.safetensors_format, "write", crash)
    with pytest.raises(KeyboardInterrupt):
        save({"w": np.zeros(3)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == [name]
    np.testing.assert_array_equal(load(path)["w"], np.full(3, 2.0))


# ----------------------------------------------------------------------- PyTorch interchange
def _twins(torch):
    import descentlab.nn as nn

    ours = nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1),
        nn.BatchNorm2d(3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(3 * 4 * 4, 5),
        nn.LayerNorm(5),
    )
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3, padding=1),
        torch.nn.BatchNorm2d(3),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(3 * 4 * 4, 5),
        torch.nn.LayerNorm(5),
    )
    return ours, theirs


def test_a_descentlab_model_loads_into_torch_and_back(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file, save_file

    import descentlab as dl

    dl.manual_seed(0)
    ours, theirs = _twins(torch)
    ours(dl.randn(8, 1, 4, 4))  # move the BatchNorm running statistics off their start
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(1).standard_normal((2, 1, 4, 4)).astype(np.float32)

    save(ours.state_dict(), tmp_path / "ours.safetensors")
    theirs.load_state_dict(load_file(str(tmp_path / "ours.safetensors")))
    with torch.no_grad():
        out = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, ours(dl.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)

    torch.manual_seed(3)
    fresh_theirs = _twins(torch)[1].eval()
    save_file(fresh_theirs.state_dict(), str(tmp_path / "theirs.safetensors"))
    ours.load_state_dict(load(tmp_path / "theirs.safetensors"))
    with torch.no_grad():
        expected = fresh_theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(dl.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- damaged files
@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.3, 0.6, 0.97])
def test_truncated_file_gives_a_clear_error(tmp_path, fraction, name):
    path = tmp_path / name
    save(_state(), path, metadata={"epoch": 1})
    data = path.read_bytes()
    cut = tmp_path / f"cut-{name}"
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(SerializationError, match="truncated or corrupted") as info:
        load(cut)
    assert f"cut-{name}" in str(info.value)


def test_flipped_byte_in_npz_array_data_is_detected(tmp_path):
    path = tmp_path / "m.npz"
    save({"w": np.zeros(1000)}, path)
    data = bytearray(path.read_bytes())
    # Flip a byte inside the array's payload (the zero run), which NumPy alone would not notice.
    pos = bytes(data).index(b"\x00" * 64) + 32
    data[pos] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(SerializationError, match=r"'w\.npy' fails its CRC check"):
        load(path)


def test_random_bytes_are_not_a_model_file(tmp_path):
    path = tmp_path / "noise.bin"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(
        SerializationError, match=r"noise\.bin'?: not a descentlab file \(neither safetensors"
    ):
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
        load(tmp_path / "nope.safetensors")
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
    with pytest.raises(SerializationError, match="its metadata is not JSON"):
        load(tmp_path / "m.npz")


def test_save_refuses_bad_input(tmp_path):
    path = tmp_path / "x.safetensors"
    with pytest.raises(SerializationError, match="object arrays cannot be saved"):
        save({"o": np.array([object()], dtype=object)}, path)
    with pytest.raises(SerializationError, match=r"'c' has dtype <c16 \(complex128\)"):
        save({"c": np.ones(2, dtype=complex)}, path)
    with pytest.raises(SerializationError, match="reserved"):
        save({METADATA_KEY: np.ones(1)}, path)
    with pytest.raises(SerializationError, match="non-empty strings"):
        save({3: np.ones(1)}, path)
    with pytest.raises(SerializationError, match=r"'\.\./x' is not a valid state-dict key"):
        save({"../x": np.ones(1)}, path)
    with pytest.raises(SerializationError, match="not JSON-serialisable"):
        save({"w": np.ones(1)}, path, metadata={"f": object()})
    with pytest.raises(TypeError, match="metadata must be a dict"):
        save({"w": np.ones(1)}, path, metadata=[1, 2])
    assert not path.exists() and os.listdir(tmp_path) == []


def test_metadata_keeps_rng_state_big_integers_and_nan(tmp_path):
    import descentlab as dl

    dl.manual_seed(5)
    state = dl.random.get_rng_state()  # PCG64's state holds 128-bit integers
    meta = {"rng": state, "history": {"loss": [1.0, float("nan")]}, "name": "run-é"}
    save({"w": np.ones(1)}, tmp_path / "c.safetensors", metadata=meta)
    _, back = load(tmp_path / "c.safetensors", with_metadata=True)
    assert back["rng"] == state and back["name"] == "run-é"
    assert back["history"]["loss"][0] == 1.0 and np.isnan(back["history"]["loss"][1])
