"""The Playground's compute layer and page callbacks, without a browser.

Oracles: the printed program run in this process must give the run's numbers exactly; the
datasets and features against their formulas; accuracy thresholds for learning.
"""

from __future__ import annotations

import base64
import contextlib
import io
import math

import numpy as np
import pytest

from descentlab.data import PlaneFeatures, multi_gaussian, plane, quadrants
from descentlab.lab.compute import playground as pc
from descentlab.lab.pages import playground as page
from descentlab.lab.runs import MANAGER, RunManager, new_session_id

LONG = 60.0


def _train(settings: pc.Settings, *, manager: RunManager | None = None) -> pc.Training:
    m = manager or RunManager(frame_interval=0.05)
    training = pc.Training(settings)
    session = new_session_id()
    m.start(session, "playground", training)
    frame = m.wait(session, "playground", lambda f: not f.alive, LONG)
    assert frame.state == "finished", frame.message
    return training


def _run_code(code: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<playground>", "exec"), {"__name__": "__main__"})
    return out.getvalue().strip()


def _printed(frame: dict) -> str:
    h = frame["history"]
    return f"train loss {h['train_loss'][-1]:.6g}, test loss {h['val_loss'][-1]:.6g}"


def test_settings_round_trip_through_the_address():
    settings = pc.validate(
        dataset="multi_gaussian", loss="l1", hidden="4,2,6", features="x1^2,x1,sin x2"
    )
    query = pc.settings_to_query(settings)
    assert "hidden=4,2,6" in query and "features=x1,x1^2,sin+x2" in query
    assert pc.settings_from_query(query) == (settings, "")
    assert settings.features == ("x1", "x1^2", "sin x2")  # Playground's order
    partial, problem = pc.settings_from_query("?dataset=plane&lr=7&hidden=8,99")
    assert partial.dataset == "plane" and partial.loss == "mse" and partial.hidden == (8, 8)
    assert problem.startswith("The learning rate must be one of")
    for bad, message in (
        ({"hidden": "1,2,3,4,5,6,7,8,9"}, "The hidden layers must be up to 8 widths from 1 to 16"),
        ({"hidden": "17"}, "The hidden layers must be up to 8 widths"),
        ({"features": "x3"}, "The input features must be some of x1, x2"),
        ({"features": ""}, "The input features must be some of"),
        ({"dataset": "plane", "loss": "cross_entropy"}, "The loss must be one of mse, l1 for"),
        ({"epochs": 10**400}, "The number of epochs must be a number"),
        ({"activation": ["relu"]}, "The activation must be one of"),
    ):
        with pytest.raises(ValueError, match=message):
            pc.validate(**bad)
    assert pc.validate(hidden="").hidden == () and "linear" in pc.choices("activation")


def test_plane_problems_and_features_follow_their_formulas():
    X, y = quadrants(n=400, seed=3)
    assert X.shape == (400, 2) and y.dtype == np.int64
    assert np.array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(np.int64))
    X, t = plane(n=50, seed=1)
    np.testing.assert_allclose(t, (X[:, 0] + X[:, 1]) / 2, rtol=1e-6, atol=1e-7)
    X, t = multi_gaussian(n=50, seed=1)
    assert t.dtype == np.float32 and -1.1 < t.min() < 0 < t.max() < 1.1
    f = PlaneFeatures(["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin x1", "sin x2"]).fit(X)
    u = (X - X.mean(axis=0)) / X.std(axis=0)
    expected = [u[:, 0], u[:, 1], u[:, 0] ** 2, u[:, 1] ** 2, u[:, 0] * u[:, 1]]
    expected += [np.sin(u[:, 0]), np.sin(u[:, 1])]
    np.testing.assert_allclose(f(X), np.stack(expected, axis=1), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"Invalid features: \['x1', 'x1'\]"):
        PlaneFeatures(["x1", "x1"])


def test_the_printed_code_reproduces_a_run_with_edits_schedule_and_early_stop():
    settings = pc.validate(
        dataset="moons", hidden="5,3", activation="relu", schedule="cosine", epochs=12,
        features="x1,x2,x1*x2", batch="8", optimizer="momentum", lr=0.1, patience=3, l2=0.001,
    )  # fmt: skip
    m = RunManager(frame_interval=0.05)
    session = new_session_id()
    training = pc.Training(settings)
    m.start(session, "playground", training, playing=False)
    m.wait(session, "playground", lambda f: f.data is not None and not f.working, LONG)
    m.edit(session, "playground", lambda: training.edit_weight(0, 1, 2, 1.5))  # before epoch 1
    m.step(session, "playground", 4)
    m.wait(session, "playground", lambda f: f.data["epoch"] == 4 and not f.working, LONG)
    m.edit(session, "playground", lambda: training.edit_weight(2, 0, 1, -2.0))  # after epoch 4
    m.play(session, "playground")
    frame = m.wait(session, "playground", lambda f: not f.alive, LONG)
    code = training.code(frame.data["epoch"])
    assert "class Edits(Callback)" in code and "model[0].weight[1, 2] = 1.5" in code
    assert _run_code(code) == _printed(frame.data)
    assert frame.data["edited"] and frame.data["epoch"] >= 5


def test_regression_learns_the_plane_and_its_code_agrees():
    training = _train(pc.validate(dataset="plane", loss="mse", hidden="4", epochs=20))
    frame = training.frame()
    assert frame["history"]["val_loss"][-1] < 0.1 * frame["history"]["val_loss"][0]
    assert _run_code(training.code()) == _printed(frame)


def test_circles_is_learned_and_the_frame_is_small_and_complete():
    training = _train(pc.validate(dataset="circles", seed=3, epochs=30))
    frame = training.frame()
    assert frame["epoch"] == 30 and frame["history"]["val_acc"][-1] > 0.9
    assert frame["verdict"].split(":")[0] in ("converged", "improving")
    assert np.shape(frame["z"]) == (pc.GRID, pc.GRID)
    assert [np.shape(w) for w in frame["weights"]] == [(8, 2), (8, 8), (2, 8)]
    png = base64.b64decode(frame["sprite"].split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == ((3 * pc.COLUMN_GAP + 1) * pc.UNIT, 8 * pc.UNIT)  # 4 columns, 8 rows
    assert len(str(frame)) < 60_000


def test_divergence_says_which_epoch_and_layer_in_words():
    settings = pc.validate(
        dataset="quadrants", optimizer="sgd", lr=10.0, activation="relu", hidden="16,16,16",
        loss="mse",
    )  # fmt: skip
    training = _train(settings)
    message = training.frame()["message"]
    assert message.startswith("Training diverged at epoch ")
    assert "the weights of" in message or "the biases of" in message
    assert "hidden layer" in message or "the output layer" in message


def test_two_runs_at_once_each_get_their_own_numbers():
    m = RunManager(frame_interval=0.05)
    sessions = [new_session_id() for _ in range(2)]
    trainings = [pc.Training(pc.validate(seed=s, epochs=10)) for s in (1, 2)]
    for session, training in zip(sessions, trainings, strict=True):
        m.start(session, "playground", training)
    frames = [m.wait(s, "playground", lambda f: not f.alive, LONG) for s in sessions]
    alone = _train(pc.validate(seed=2, epochs=10)).frame()
    assert frames[1].data["history"] == alone["history"]
    assert frames[0].data["history"] != frames[1].data["history"]


def test_page_callbacks_start_draw_and_edit_a_run():
    session = new_session_id()
    search = "?dataset=quadrants&hidden=3&epochs=10"
    query, token, _, label, error = page.control_run(
        "playground-url", search, session, None, 0, "Play"
    )
    assert token == 1 and label == "Play" and error == ""
    assert MANAGER.wait(session, "playground", lambda f: f.data and not f.working, LONG)
    out = page.draw(0, token, ["show_test"], 0, session, None)
    diagram, boundary, curves, epoch, metrics = out[:5]
    assert epoch == "Epoch 0 of 10" and metrics.startswith("train loss ")
    assert [t["name"] for t in boundary["data"]] == ["output", "train", "test"]
    assert len(diagram["data"][-1]["customdata"]) == 2 * 3 + 3 * 2
    drawn = out[8]
    assert all(
        v is page.dash.no_update for v in page.draw(1, token, ["show_test"], 0, session, drawn)[:9]
    )
    click = {"points": [{"customdata": [1, 1, 2]}]}
    edge, text, weight = page.select_edge(click, session)
    assert edge == [1, 1, 2] and text == "Weight from neuron 3 of layer 1 to the class 1 output:"
    assert page.set_weight(1, None, 3.25, edge, session, 0) == (1, "")
    assert MANAGER.frame(session, "playground").data["weights"][1][1][2] == 3.25
    for bad in (None, {"points": []}, {"points": [{"customdata": "x"}]}, "text"):
        assert page.select_edge(bad, session) == (page.dash.no_update,) * 3
    assert page.set_weight(1, None, "abc", edge, session, 0)[1].startswith("A weight must be")
    assert page.set_weight(1, None, 1e9, edge, session, 0)[1].startswith("A weight must be")
    page.control_run("playground-step", search, session, query, token, "Play")
    MANAGER.wait(session, "playground", lambda f: f.data["epoch"] == 1 and not f.working, LONG)
    code, style = page.show_code(1, session, None)
    assert "epochs=1," in code and style == {"display": "block"}
    MANAGER.stop(session, "playground")
    assert page.draw(2, token, [], 0, session, drawn) == (page.dash.no_update,) * 11
    assert page.control_run("playground-play", search, "bad id", None, 0, "Play")[-1].startswith(
        "This page lost its session"
    )


def test_address_sync_and_layer_buttons():
    values = [getattr(pc.Settings(), k) for k in page.CONTROLS]
    synced = page.sync_url(
        "playground-url", "?dataset=plane&hidden=2,2,2", [8, 8], ["x1"], [], *values
    )
    n = len(page.CONTROLS)
    assert synced[page.CONTROLS.index("dataset")] == "plane" and synced[n] == [2, 2, 2]
    moved = list(values)
    moved[page.CONTROLS.index("dataset")] = "plane"  # the loss follows a regression dataset
    synced = page.sync_url("playground-dataset", "", [8, 8], ["x1", "x2"], [], *moved)
    assert synced[page.CONTROLS.index("loss")] == "mse"
    synced = page.sync_url("playground-noise", "", [8, 8], ["x1", "x2"], ["discretize"], *values)
    assert "discretize=1" in synced[-2] and synced[-1] == ""
    assert page.change_layers("playground-add-layer", [16] * 8) is page.dash.no_update
    assert page.change_layers("playground-layer-0-plus", [16, 3]) == [16, 3]
    assert page.change_layers("playground-layer-1-minus", [16, 1]) == [16, 1]
    assert page.change_layers("playground-layer-1-plus", [16, 3]) == [16, 4]
    assert page.change_layers("playground-remove-layer", [4]) == []
    assert page.change_layers("playground-add-layer", "junk") == [8, 8, 8]
    assert [o["value"] for o in page.loss_options("plane")] == ["mse", "l1"]
    assert [o["value"] for o in page.loss_options(["x"])][0] == "cross_entropy"


GARBAGE = (None, "", "x", 10**400, -1, 2.5, math.nan, True, [], [1, 2], {}, {"points": 1}, "?a=b")


def test_callbacks_answer_any_single_bad_argument_without_raising():
    """One argument at a time replaced by garbage: every callback returns, never raises."""
    session = new_session_id()
    page.control_run("playground-url", "?hidden=2&epochs=10", session, None, 0, "Play")
    MANAGER.wait(session, "playground", lambda f: f.data and not f.working, LONG)
    values = [getattr(pc.Settings(), k) for k in page.CONTROLS]
    click = {"points": [{"customdata": [0, 1, 1]}]}
    calls = {
        page.sync_url: ["playground-noise", "?", [8, 8], ["x1", "x2"], [], *values],
        page.change_layers: ["playground-layer-0-plus", [8, 8]],
        page.show_layers: [[8, 8]],
        page.control_run: ["playground-step", "?hidden=2&epochs=10", session, None, 1, "Play"],
        page.draw: [1, 1, ["show_test"], 0, session, None],
        page.select_edge: [click, session],
        page.set_weight: [1, None, 0.5, [0, 1, 1], session, 0],
        page.show_code: [1, session, None],
        page.regenerate: [1, 3],
        page.loss_options: ["plane"],
    }
    for fn, good in calls.items():
        for i in range(len(good)):
            for bad in GARBAGE:
                args = list(good)
                args[i] = bad
                fn(*args)
    MANAGER.stop(session, "playground")
