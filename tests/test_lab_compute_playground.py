"""Page 10, the Playground: settings in the URL, real accuracy, seeded runs, divergence."""

from __future__ import annotations

import json
import math
import threading

import numpy as np
import pytest

import descentlab as dl
from descentlab.lab.compute import playground as pc
from descentlab.lab.pages import playground as pg_page


def test_settings_round_trip_through_the_url():
    settings = pc.validate(dataset="moons", lr=0.3, layers=3, neurons=5, batch="full")
    query = pc.settings_to_query(settings)
    assert query.startswith("?dataset=moons&") and "lr=0.3" in query
    assert pc.settings_from_query(query) == (settings, "")
    partial, problem = pc.settings_from_query("?dataset=spirals&lr=7&bogus=1")
    assert partial.dataset == "spirals" and partial.lr == pc.Settings().lr
    assert problem.startswith("The learning rate must be one of")
    assert problem.endswith("the default was used instead.")
    with pytest.raises(ValueError, match=r"The number of hidden layers must be between 0 and 6"):
        pc.validate(layers=7)
    with pytest.raises(ValueError, match=r"The dataset must be one of"):
        pc.validate(dataset="mnist")


def test_playground_learns_circles_above_90_percent():
    run = pc.new_run(pc.validate(dataset="circles", seed=3))
    assert run["history"]["test_acc"][0] < 0.8
    run = pc.train(run, epochs=30, seconds=60)
    assert run["epoch"] == 30 and run["diverged"] == ""
    assert run["history"]["test_acc"][-1] > 0.9
    assert run["history"]["train_loss"][-1] < 0.5 * run["history"]["train_loss"][0]
    json.dumps(run)  # the whole state lives in the browser: plain JSON


def test_training_in_pieces_gives_the_same_numbers():
    settings = pc.validate(
        dataset="moons",
        optimizer="momentum",
        lr=0.1,
        schedule="cosine",
        epochs=20,
        batch="8",
        reg="l2",
        reg_rate=0.001,
    )
    whole = pc.train(pc.new_run(settings), epochs=6, seconds=60)
    pieces = pc.new_run(settings)
    for _ in range(3):
        pieces = pc.train(json.loads(json.dumps(pieces)), epochs=2, seconds=60)
    assert pieces["history"] == whole["history"]
    assert pieces["params"] == whole["params"]


def test_concurrent_sessions_do_not_share_state():
    settings = [pc.validate(dataset="xor", noise=0.5, seed=s, n=100) for s in (1, 2)]
    alone = [pc.train(pc.new_run(s), epochs=3, seconds=60)["params"] for s in settings]
    results: dict[int, dict] = {}

    def session(i):
        for _ in range(3):
            results[i] = pc.train(pc.new_run(settings[i]), epochs=3, seconds=60)["params"]

    threads = [threading.Thread(target=session, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0] == alone[0] and results[1] == alone[1]
    assert alone[0] != alone[1]


def test_divergence_stops_training_and_says_why():
    settings = pc.validate(
        dataset="spirals",
        optimizer="sgd",
        lr=10.0,
        loss="mse",
        layers=3,
        neurons=16,
        activation="relu",
    )
    run = pc.train(pc.new_run(settings), epochs=20, seconds=60)
    assert run["diverged"].startswith("Training diverged at epoch ")
    assert "learning rate 10" in run["diverged"] and "lower the learning rate" in run["diverged"]
    assert run["epoch"] < 20
    assert pc.train(run, epochs=5)["epoch"] == run["epoch"]  # a diverged run stays stopped
    assert all(math.isfinite(v) for v in pc.snapshot(run).z[0])


def test_export_is_a_descentlab_npz_that_rebuilds_the_model(tmp_path):
    run = pc.train(pc.new_run(pc.validate(dataset="blobs", layers=1, neurons=4)), epochs=3)
    blob = pc.export_model(run)
    path = tmp_path / "model.npz"
    path.write_bytes(blob)
    arrays, meta = dl.load(path, with_metadata=True)
    assert sorted(arrays) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert meta["layers"] == [2, 4, 3] and meta["epoch"] == 3
    model, _ = pc.load_exported(blob)
    X = np.array([[0.0, 1.0], [-5.0, 2.0]], dtype=np.float32)
    mean, std = np.array(meta["input_mean"]), np.array(meta["input_std"])
    with dl.no_grad():
        got = model(dl.tensor(((X - mean) / std).astype(np.float32))).data
        data = pc.make_data(pc.validate(**run["settings"]))
        again, _, _ = pc._load_run(pc.validate(**run["settings"]), run, data.classes)
        want = again(dl.tensor(((X - data.mean) / data.std).astype(np.float32))).data
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_playground_callbacks():
    d = [getattr(pc.Settings(), name) for name in pg_page.FIELDS]
    out = pg_page.step_run(None, 0, 0, None, None, False, *d)
    run, boundary, curves, epoch, metrics, diverged = out[:6]
    assert epoch == "Epoch 0 of 300" and diverged == ""
    assert [t["name"] for t in boundary["data"]] == ["prediction", "train", "test"]
    assert len(boundary["data"][0]["z"]) == pc.GRID
    out = pg_page.step_run("playground-step", 0, 1, None, run, False, *d)
    assert out[0]["epoch"] == 1 and out[3] == "Epoch 1 of 300"
    patch = out[1].to_plotly_json()
    assert [op["location"] for op in patch["operations"]][0] == ["data", 0, "z"]
    # A tick while paused changes nothing; a bad setting gives one sentence.
    assert all(
        v is pg_page.dash.no_update
        for v in pg_page.step_run("playground-interval", 0, 0, 1, run, False, *d)
    )
    bad = list(d)
    bad[pg_page.FIELDS.index("neurons")] = 0
    assert pg_page.step_run(None, 0, 0, None, None, False, *bad)[-1].startswith(
        "The number of neurons per layer must be between 1 and 32"
    )
    synced = pg_page.sync_url("playground-url", "?dataset=moons&layers=4", *d)
    assert synced[pg_page.FIELDS.index("dataset")] == "moons"
    assert synced[pg_page.FIELDS.index("layers")] == 4
    moved = list(d)
    moved[0] = "xor"
    synced = pg_page.sync_url("playground-dataset", "", *moved)
    assert synced[-2].startswith("?dataset=xor&") and synced[-1] == ""


def test_a_tampered_run_store_starts_again_instead_of_failing():
    d = [getattr(pc.Settings(), name) for name in pg_page.FIELDS]
    run = pg_page.step_run(None, 0, 0, None, None, False, *d)[0]
    for broken in (
        {**run, "params": {"0.weight": run["params"]["0.bias"]}},
        {**run, "optimizer": {"__dict__": 5}},
        {**run, "history": None},
    ):
        out = pg_page.step_run("playground-step", 0, 1, None, broken, False, *d)
        assert out[3] == "Epoch 0 of 300"
        assert out[-1] == "The stored run could not be read, so it was started again."
    assert pg_page.download(1, {"settings": {}}) is pg_page.dash.no_update
