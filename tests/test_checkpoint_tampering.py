"""Tampered and damaged checkpoints: one clean CheckpointError per class of defect (the message
pinned), the fallback to the previous good checkpoint, and stale temporary files removed."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import descentlab as dl
import descentlab.nn as nn
from descentlab.optim import SGD
from descentlab.serialization import METADATA_KEY, load
from descentlab.train import Checkpoint, CheckpointError, EarlyStopping, fit, load_checkpoint
from descentlab.train.checkpoint import CheckpointWarning


def _data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 2)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return (X[:48], y[:48]), (X[48:], y[48:])


def _train(directory, epochs=3, resume=None):
    dl.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    train, val = _data()
    history = fit(
        model,
        "cross_entropy",
        opt,
        train,
        val,
        epochs=epochs,
        batch_size=16,
        seed=0,
        callbacks=[EarlyStopping(patience=50), Checkpoint(directory)],
        resume=resume,
    )
    return model, history


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("ckpt")
    _train(d)
    return d


def _tampered(run_dir, tmp_path, change):
    """A copy of the run's last checkpoint with ``change(arrays, meta)`` applied."""
    arrays, meta = load(run_dir / "last.npz", with_metadata=True)
    change(arrays, meta)
    path = tmp_path / "tampered.npz"
    header = {"format": "descentlab", "format_version": 1, "metadata": meta}
    raw = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, **arrays, **{METADATA_KEY: raw})  # not dl.save, which refuses bad dtypes
    return path


def _refused(path) -> str:
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "\n" not in message and "tampered.npz" in message
    return message


def _buffer_name(arrays, meta) -> str:
    return meta["optimizer"]["state"]["__items__"][0][1]["momentum_buffer"]["__array__"]


CASES = {
    "missing key": (
        lambda a, m: m.pop("step"),
        "checkpoint metadata 'step': is missing",
    ),
    "unknown key": (
        lambda a, m: m.update(surprise=1),
        "checkpoint metadata 'surprise': is not a checkpoint key",
    ),
    "wrong type": (
        lambda a, m: m.update(epoch="3"),
        "checkpoint metadata 'epoch': input should be a valid integer (got '3')",
    ),
    "negative epoch": (
        lambda a, m: m.update(epoch=-5),
        "checkpoint metadata 'epoch': input should be greater than or equal to 0 (got -5)",
    ),
    "epoch after the end": (
        lambda a, m: m.update(epoch=99),
        "checkpoint metadata: epoch 99 is after the last epoch, 3",
    ),
    "history of the wrong shape": (
        lambda a, m: m["history"].update(rows={"epoch": 1}),
        "checkpoint metadata 'history.rows': input should be a valid list (got {'epoch': 1})",
    ),
    "bad generator state": (
        lambda a, m: m["rng"].update(bit_generator="seed"),
        "checkpoint metadata 'rng': unknown bit generator 'seed' (expected one of",
    ),
    "damaged generator state": (
        lambda a, m: m["rng"]["state"].update(state="x"),
        "checkpoint metadata 'rng': not a NumPy generator state",
    ),
    "callback entry without its class": (
        lambda a, m: m["callbacks"][0].pop("class"),
        "checkpoint metadata 'callbacks.0.class': is missing",
    ),
    "missing optimiser buffer array": (
        lambda a, m: a.pop(_buffer_name(a, m)),
        "the array 'optimizer/",
    ),
    "optimiser buffer removed from one parameter": (
        lambda a, m: m["optimizer"]["state"]["__items__"][1][1].pop("momentum_buffer"),
        "the optimizer state of parameter 1 lacks or adds buffer(s) ['momentum_buffer']",
    ),
    "complex optimiser buffer": (
        lambda a, m: a.update({_buffer_name(a, m): a[_buffer_name(a, m)].astype(complex)}),
        "has dtype <c16 (complex128); allowed: bool, integers and floats",
    ),
    "no model weights": (
        lambda a, m: [a.pop(k) for k in list(a) if k.startswith("model/")],
        "the checkpoint holds no model weights",
    ),
    "not a checkpoint": (
        lambda a, m: m.update(kind="something"),
        "is a descentlab file but not a training checkpoint",
    ),
    "a future version": (
        lambda a, m: m.update(version=7),
        "unsupported checkpoint version 7 (expected 1)",
    ),
    "malformed packed dict": (
        lambda a, m: m["optimizer"]["state"].update(__items__=[[0]]),
        "a packed dict is not a list of [key, value] pairs",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_tampering_is_one_clean_error(run_dir, tmp_path, case):
    change, expected = CASES[case]
    message = _refused(_tampered(run_dir, tmp_path, change))
    assert expected in message, message


def test_a_tampered_callback_state_is_refused_on_resume(run_dir, tmp_path):
    def change(arrays, meta):
        entry = next(c for c in meta["callbacks"] if c["class"] == "EarlyStopping")
        entry["state"] = {"best": "not a number"}

    work = tmp_path / "run"
    work.mkdir()
    _tampered(run_dir, tmp_path, change).rename(work / "last.npz")
    with pytest.raises(CheckpointError, match="the saved state of callback EarlyStopping"):
        _train(work, epochs=5, resume=work)


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            lambda group: group.pop("dampening"),
            "the optimizer state's group 0 lacks or adds option(s) ['dampening']",
        ),
        (
            lambda group: group.update(lr=None),
            "the optimizer option 'lr' of group 0 is None (expected a value like 0.1)",
        ),
        (
            lambda group: group.update(nesterov="yes"),
            "the optimizer option 'nesterov' of group 0 is 'yes' (expected a value like False)",
        ),
    ],
)
def test_a_tampered_optimizer_group_is_refused_on_resume(run_dir, tmp_path, change, expected):
    work = tmp_path / "run"
    work.mkdir()
    path = _tampered(run_dir, tmp_path, lambda a, m: change(m["optimizer"]["param_groups"][0]))
    path.rename(work / "last.npz")
    with pytest.raises(CheckpointError) as info:
        _train(work, epochs=5, resume=work)
    assert expected in str(info.value)


def test_a_damaged_last_checkpoint_falls_back_to_the_previous_one(tmp_path):
    whole = tmp_path / "whole"
    model_whole, history_whole = _train(whole, epochs=6)

    broken = tmp_path / "broken"
    _train(broken, epochs=4)
    assert load_checkpoint(broken / "previous.npz").epoch == 3
    data = (broken / "last.npz").read_bytes()
    (broken / "last.npz").write_bytes(data[: len(data) // 2])  # a torn write or a bad disk

    with pytest.warns(CheckpointWarning) as caught:
        saved = load_checkpoint(broken)
    assert saved.epoch == 3 and saved.path.name == "previous.npz"
    message = str(caught[0].message)
    assert message.startswith("last.npz is damaged (cannot load")
    assert "truncated or corrupted" in message
    assert message.endswith("using previous.npz (epoch 3) instead")

    with pytest.warns(CheckpointWarning, match="using previous.npz"):
        _train(broken, epochs=4, resume=broken)
    # The damaged file never became the fallback: previous.npz is still the good epoch 3.
    assert load_checkpoint(broken / "previous.npz").epoch == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model, history = _train(broken, epochs=6, resume=broken)
    # Resuming from the earlier checkpoint repeated epoch 4 and ends exactly where the
    # uninterrupted run did.
    for a, b in zip(model.parameters(), model_whole.parameters(), strict=True):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    strip = [{k: v for k, v in r.items() if k != "time"} for r in history.rows]
    assert strip == [{k: v for k, v in r.items() if k != "time"} for r in history_whole.rows]


def test_a_missing_last_checkpoint_falls_back_and_all_damaged_is_one_error(tmp_path):
    d = tmp_path / "run"
    _train(d, epochs=2)
    (d / "last.npz").unlink()  # a kill between the two renames of a save
    with pytest.warns(CheckpointWarning, match=r"last.npz is damaged \(checkpoint not found"):
        assert load_checkpoint(d).epoch == 1
    for name in ("previous.npz", "best.npz"):
        (d / name).write_bytes(b"garbage")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CheckpointError, match=r"checkpoint not found: .*last.npz \(and 2 "):
            load_checkpoint(d)


def test_stale_temporary_files_are_removed_on_start(tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    stale = [d / ".tmp-abc123.npz", d / ".tmp-def456.safetensors"]
    for p in stale:
        p.write_bytes(b"half a checkpoint")
    keep = d / "notes.txt"
    keep.write_text("mine")
    _train(d, epochs=1)
    assert not any(p.exists() for p in stale)
    assert keep.exists() and (d / "last.npz").exists()
    assert not list(d.glob(".tmp-*"))


def _paths(obj, prefix=()):
    """Every (path, value) inside nested dicts and lists."""
    yield prefix, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=5,
)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(where=st.floats(0, 1, allow_nan=False), action=st.sampled_from(["drop", "set"]), value=_JSON)
def test_fuzz_tampered_metadata_resumes_or_fails_cleanly(
    run_dir, tmp_path_factory, where, action, value
):
    arrays, meta = load(run_dir / "last.npz", with_metadata=True)
    paths = [p for p, _ in _paths(meta) if p]
    path = paths[min(int(where * len(paths)), len(paths) - 1)]
    parent = meta
    for key in path[:-1]:
        parent = parent[key]
    if action == "drop":
        parent.pop(path[-1]) if isinstance(parent, dict) else parent.pop(path[-1])
    else:
        parent[path[-1]] = value
    work = tmp_path_factory.mktemp("fuzz")
    header = {"format": "descentlab", "format_version": 1, "metadata": meta}
    raw = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(work / "last.npz", **arrays, **{METADATA_KEY: raw})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _train(work, epochs=4, resume=work)
    except CheckpointError as exc:
        assert "\n" not in str(exc)
