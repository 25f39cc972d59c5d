"""The lab's animations as server runs, without a browser: the per-step records of the
learning-rate, optimiser-race and batch-size pages, :class:`PathRun` (play, pause, step,
seek, reset) and the landscape's :class:`Descent`, each started with a run manager.

Every wait is on a state with a generous bound (``RunManager.wait``), never on the clock.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from descentlab.lab.compute import batch_size, landscape, learning_rate, optimizers, paths
from descentlab.lab.runs import RunManager

S = "session-paths"
LONG = 30.0  # generous: only reached when something is broken


@pytest.fixture
def manager():
    m = RunManager(idle_seconds=30)
    yield m
    m.shutdown()


def _series(records, i):
    return np.array([r[i] for r in records if r[i] is not None])


def test_learning_rate_records_are_the_summarys_runs():
    spec = learning_rate.path_spec("square", "ravine", 1.1, 20, 10)
    records = list(spec.steps())
    result = learning_rate.compare("square", "ravine", 1.1, 20, 10)
    np.testing.assert_array_equal(_series(records, 0)[:, 0], result["one"]["path"][:, 0])
    np.testing.assert_array_equal(_series(records, 0)[:, 1], result["one"]["losses"])
    np.testing.assert_array_equal(_series(records, 1)[:, :2], result["two"]["path"])
    assert spec.total == 20 and spec.meta["floors"] == [0.0, 0.0]
    assert f"{records[-1][0][1]:.2f}" == "146977.16"  # 004 §4.1's diverging run


@pytest.mark.parametrize("form", ["average", "heavy"])
def test_race_records_are_the_summarys_runs(form):
    settings = optimizers.from_address({"lr": 0.05, "momentum": 0.9}, "ravine")[0]
    spec = optimizers.path_spec("x**2+10*y**2", [10, 1], 50, settings, form)
    records = list(spec.steps())
    result = optimizers.race("x**2+10*y**2", [10, 1], 50, settings, form)
    assert spec.meta["names"] == list(result["runs"]) and len(records) == 51
    for i, name in enumerate(spec.meta["names"]):
        run = _series(records, i)
        np.testing.assert_array_equal(run[:, :2], result["runs"][name]["path"], err_msg=name)
        np.testing.assert_array_equal(run[:, 2], result["runs"][name]["losses"], err_msg=name)
    if form == "average":
        assert f"{records[-1][spec.meta['names'].index('momentum')][2]:.6f}" == "0.386138"


def test_batch_records_by_epochs_move_with_the_data_and_by_steps_together():
    spec = batch_size.path_spec(16, 2, 0.05, 0, "epochs")
    records = list(spec.steps())
    result = batch_size.compare(16, 2, 0.05, 0, "epochs")
    assert spec.total == len(records) - 1 == 2 * batch_size.N
    for i, run in enumerate(result["runs"]):
        ours = _series(records, i)
        np.testing.assert_allclose(ours[:, :2], run["path"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(ours[:, 2], run["losses"], rtol=1e-12)
        np.testing.assert_allclose(ours[:, 3], run["epochs_seen"])
    # one example per step: the batch run moves at steps 100 and 200 only, the stochastic
    # run at every step, the mini-batch run once per 16 examples (and at each epoch's end)
    assert [t for t, r in enumerate(records) if r[0] is not None] == [0, 100, 200]
    assert all(r[2] is not None for r in records)
    assert [t for t, r in enumerate(records) if r[1] is not None][:4] == [0, 16, 32, 48]
    spec = batch_size.path_spec(16, 2, 0.05, 0, "steps", 30)
    records = list(spec.steps())
    assert len(records) == 31 and all(None not in r for r in records)
    result = batch_size.compare(16, 2, 0.05, 0, "steps", 30)
    np.testing.assert_allclose(_series(records, 0)[:, :2], result["runs"][0]["path"])


def test_a_path_run_plays_pauses_steps_seeks_and_replays(manager):
    spec = learning_rate.path_spec("square", "bowl", 0.1, 60, 10)
    body = paths.PathRun(spec, 0, delay=0.02)
    manager.start(S, "lr", body)
    manager.wait(S, "lr", lambda f: f.data and f.data["shown"] >= 5, LONG)
    manager.pause(S, "lr")
    frame = manager.wait(S, "lr", lambda f: not f.working, LONG)
    shown = frame.data["shown"]
    assert frame.state == "paused" and 5 <= shown < 60
    assert len(frame.data["series"][0][0]) == shown + 1  # the path up to the step shown
    time.sleep(0.2)  # ten steps' time: a paused run does not move
    assert manager.frame(S, "lr").data["shown"] == shown
    manager.step(S, "lr")
    frame = manager.wait(S, "lr", lambda f: f.data["shown"] == shown + 1 and not f.working, LONG)
    assert frame.state == "paused"
    assert body.cursor == shown + 1 and len(body.records) == shown + 2  # computed as shown
    # seek back: what is known replays, nothing is computed twice
    manager.edit(S, "lr", lambda: body.seek(2))
    assert manager.frame(S, "lr").data["shown"] == 2
    manager.play(S, "lr")
    frame = manager.wait(S, "lr", lambda f: not f.alive, LONG)
    assert frame.state == "finished" and frame.data["shown"] == 60 == frame.data["total"]
    assert frame.message == "Step 60 of 60: the end of the run."
    final = learning_rate.compare("square", "bowl", 0.1, 60, 10)["one"]["path"][:, 0]
    np.testing.assert_array_equal(frame.data["series"][0][0], final)
    # once over, the same body starts again from a step it knows (what Play after a scrub
    # does); a fresh body at 0 is Reset
    body.seek(30)
    manager.start(S, "lr", body, playing=False)
    frame = manager.wait(S, "lr", lambda f: f.data is not None and not f.working, LONG)
    assert frame.data["shown"] == 30
    manager.start(S, "lr", paths.PathRun(spec, 0), playing=False)
    frame = manager.wait(S, "lr", lambda f: f.data is not None and not f.working, LONG)
    assert frame.data["shown"] == 0 and frame.data["series"][0] == [[10.0], [100.0]]


def test_a_path_run_that_diverges_ends_at_its_last_point(manager):
    spec = learning_rate.path_spec("square", "bowl", 5.0, 300, 10)  # |w| passes 1e6 soon
    manager.start(S, "lr", paths.PathRun(spec, 0, delay=0.001, fill=True), playing=True)
    frame = manager.wait(S, "lr", lambda f: not f.alive, LONG)
    run = learning_rate.compare("square", "bowl", 5.0, 300, 10)["one"]
    assert run["diverged"] and frame.data["total"] == len(run["losses"]) - 1 < 300
    assert frame.data["shown"] == frame.data["total"]


def test_a_scrub_before_play_computes_every_step_then_shows_the_one_asked_for(manager):
    spec = learning_rate.path_spec("square", "ravine", 0.1, 20, 10)
    body = paths.PathRun(spec, 7, delay=0.001, fill=True)
    manager.start(S, "lr", body, playing=False)
    frame = manager.wait(S, "lr", lambda f: f.data is not None and not f.working, LONG)
    assert frame.data["shown"] == 7 and frame.data["known"] == 20 and frame.step == 0
    with pytest.raises(ValueError, match="speed"):
        paths.check_speed(3)


def test_the_landscape_run_is_step_state_one_step_per_checkpoint(manager):
    state = landscape.start_state("x**2+2*y**2", [4, 3])
    run = landscape.Descent(state, 0.1, 1e-3, delay=0.02)
    manager.start(S, "landscape", run, max_steps=landscape.MAX_PATH + 1)
    manager.wait(S, "landscape", lambda f: f.data and f.data["state"]["steps"] >= 3, LONG)
    manager.pause(S, "landscape")
    frame = manager.wait(S, "landscape", lambda f: not f.working, LONG)
    n = frame.data["state"]["steps"]
    assert frame.step == n  # one step per checkpoint
    assert frame.data["state"] == landscape.step_state(state, 0.1, n, tol=1e-3)
    time.sleep(0.2)  # ten steps' time: a paused run does not move
    assert manager.frame(S, "landscape").data["state"]["steps"] == n
    manager.step(S, "landscape")
    frame = manager.wait(S, "landscape", lambda f: f.step == n + 1 and not f.working, LONG)
    assert frame.data["state"]["path"][-1] == landscape.step_state(state, 0.1, n + 1)["path"][-1]
    manager.edit(S, "landscape", lambda: run.retune(0.2, 1e-2))
    manager.play(S, "landscape")
    frame = manager.wait(S, "landscape", lambda f: not f.alive, LONG)
    final = frame.data["state"]
    assert frame.state == "finished" and final["status"] == "converged"
    assert float(np.hypot(*final["grads"][-1])) < 1e-2 <= float(np.hypot(*final["grads"][-2]))


@pytest.mark.parametrize(
    ("surface", "start", "lr", "status"),
    [("-exp(x**2)", [1, 0], 0.1, "diverged"), ("x**4+y**2", [2, 1], 0.2, "left the view")],
)
def test_the_landscape_run_stops_when_the_point_runs_away(manager, surface, start, lr, status):
    state = landscape.start_state(surface, start)
    manager.start(S, "landscape", landscape.Descent(state, lr, 1e-3, delay=0.001))
    frame = manager.wait(S, "landscape", lambda f: not f.alive, LONG)
    assert frame.data["state"]["status"] == status
    n = frame.data["state"]["steps"]
    assert frame.data["state"] == landscape.step_state(state, lr, n + 1, tol=1e-3)
