"""The lab's run manager without a browser: threads, play/pause/step, bounds, reaping, sessions.

Every wait is on a state with a generous bound (``RunManager.wait``), never on the clock.
"""

from __future__ import annotations

import threading
import time

import pytest

from descentlab.lab.runs import (
    Control,
    RunCancelled,
    RunError,
    RunManager,
    check_session_id,
    new_session_id,
)

A, B = "session-aaaa", "session-bbbb"
LONG = 30.0  # generous: only reached when something is broken


def counter(units: int = 10**9, work=lambda: None):
    """A body that counts units and publishes the count; returns a sentence at the end."""

    def body(control: Control) -> str:
        for _ in range(units):
            control.checkpoint()
            work()
            control.publish(lambda: {"count": control.step})
        return f"done after {control.step}"

    return body


@pytest.fixture
def manager():
    m = RunManager(frame_interval=0.001, idle_seconds=30)
    yield m
    m.shutdown()


def test_a_run_plays_to_its_end_and_its_last_frame_is_exact(manager):
    manager.start(A, "count", counter(500))
    frame = manager.wait(A, "count", lambda f: not f.alive, LONG)
    assert frame.state == "finished" and frame.message == "done after 500"
    assert frame.step == 500 and frame.data == {"count": 500}


def test_pause_parks_at_a_checkpoint_and_step_lets_exactly_n_through(manager):
    manager.start(A, "count", counter(), playing=False)
    frame = manager.wait(A, "count", lambda f: f.step == 0, LONG)
    assert frame.state == "paused" and frame.data is None
    manager.step(A, "count", 3)
    frame = manager.wait(A, "count", lambda f: f.data == {"count": 3}, LONG)
    time.sleep(0.05)  # nothing more may happen while paused
    assert manager.frame(A, "count").step == 3
    manager.play(A, "count")
    manager.wait(A, "count", lambda f: f.step > 1000, LONG)
    manager.pause(A, "count")
    # The frame built while parking is the exact state: its count equals the step count.
    frame = manager.wait(A, "count", lambda f: f.data["count"] == f.step, LONG)
    time.sleep(0.05)
    assert manager.frame(A, "count").step == frame.step


def test_edit_runs_only_while_parked_and_publishes_its_frame(manager):
    box = {"w": 1.0}

    def body(control: Control) -> None:
        while True:
            control.checkpoint()
            box["w"] *= 0.5
            control.publish(lambda: dict(box))

    manager.start(A, "halve", body)
    with pytest.raises(RunError, match="Pause the run before editing it"):
        manager.edit(A, "halve", lambda: None)
    manager.pause(A, "halve")

    def change():
        box["w"] = 8.0
        return dict(box)

    assert manager.edit(A, "halve", change).data == {"w": 8.0}
    manager.step(A, "halve")
    assert manager.wait(A, "halve", lambda f: f.data == {"w": 4.0}, LONG).data == {"w": 4.0}


def test_two_sessions_advance_at_once_and_do_not_see_each_other(manager):
    manager.start(A, "count", counter(work=lambda: sum(range(200))))
    manager.start(B, "count", counter(work=lambda: sum(range(200))))
    for s in (A, B):
        assert manager.wait(s, "count", lambda f: f.step >= 300, LONG).step >= 300
    manager.stop(A, "count")
    assert manager.frame(A, "count") is None
    assert manager.frame(B, "count").state == "playing"


def test_restarting_a_key_replaces_the_run_and_its_thread_ends(manager):
    manager.start(A, "count", counter())
    manager.wait(A, "count", lambda f: f.step > 10, LONG)
    first = manager._runs[(A, "count")]
    manager.start(A, "count", counter(5))
    first.thread.join(LONG)
    assert not first.thread.is_alive() and first.state == "stopped"
    assert "replaced" in first.message
    assert manager.wait(A, "count", lambda f: not f.alive, LONG).step == 5


def test_step_and_time_budgets_finish_a_run_with_a_sentence():
    m = RunManager(max_steps=50, max_seconds=0.2, frame_interval=0.001)
    try:
        m.start(A, "count", counter())
        frame = m.wait(A, "count", lambda f: not f.alive, LONG)
        assert frame.state == "finished" and frame.step == 50
        assert frame.message == "The run stopped after 50 steps, the lab's limit for one run."
        m.start(A, "slow", counter(work=lambda: time.sleep(0.01)), max_steps=40)
        frame = m.wait(A, "slow", lambda f: not f.alive, LONG)
        assert frame.state == "finished" and frame.step < 40
        assert frame.message.startswith("The run stopped after 0.2 s of work")
    finally:
        m.shutdown()


def test_bounds_on_runs_per_session_and_in_the_process():
    m = RunManager(max_runs=3, max_runs_per_session=2, frame_interval=0.001)
    try:
        m.start(A, "one", counter(), playing=False)
        m.start(A, "two", counter(), playing=False)
        m.frame(A, "two")
        m.start(A, "three", counter(), playing=False)  # stops "one", seen least recently
        assert m.frame(A, "one") is None and m.count(A) == 2
        m.start(B, "one", counter(), playing=False)
        with pytest.raises(RunError, match="already running 3 simulations, its limit"):
            m.start(B, "two", counter())
    finally:
        m.shutdown()


def test_idle_runs_are_stopped_and_then_forgotten():
    m = RunManager(idle_seconds=0.2, frame_interval=0.001)
    try:
        # a unit of 1 ms: the playing run cannot use up its 100,000 steps before it is idle
        m.start(A, "playing", counter(work=lambda: time.sleep(0.001)))
        m.start(A, "paused", counter(), playing=False)
        runs = [m._runs[(A, "playing")], m._runs[(A, "paused")]]
        for run in runs:  # nobody reads them: both threads end on their own
            run.thread.join(LONG)
            assert not run.thread.is_alive() and run.state == "stopped"
            assert run.message == "The run was stopped because nobody looked at it."
        time.sleep(0.25)
        assert m.frame(A, "playing") is None and m._runs == {}
    finally:
        m.shutdown()


def test_a_failing_body_is_reported_not_raised(manager, caplog):
    def body(control: Control) -> None:
        control.checkpoint()
        raise ZeroDivisionError("boom")

    manager.start(A, "bad", body)
    frame = manager.wait(A, "bad", lambda f: not f.alive, LONG)
    assert frame.state == "failed" and frame.message == "The run failed (ZeroDivisionError: boom)."
    assert "lab run bad failed" in caplog.text


def test_lazy_frames_are_built_only_when_due():
    built = []
    m = RunManager(frame_interval=60.0)
    try:

        def body(control: Control) -> None:
            for _ in range(1000):
                control.checkpoint()
                control.publish(lambda: built.append(control.step) or control.step)

        m.start(A, "lazy", body)
        frame = m.wait(A, "lazy", lambda f: not f.alive, LONG)
        # the first offer is due at once; the rest wait for the interval; the end flushes
        assert built == [1, 1000] and frame.data == 1000 and frame.seq == 2
    finally:
        m.shutdown()


def test_ids_names_and_arguments_are_validated(manager):
    assert check_session_id(new_session_id())
    for bad in ("", "short", "x" * 65, "a b c d e f", None, 12345678, ["session-aaaa"]):
        with pytest.raises(RunError, match="The session id must be 8 to 64"):
            manager.frame(bad, "count")
    with pytest.raises(RunError, match="The run name must be"):
        manager.start(A, "Bad Name", counter())
    with pytest.raises(RunError, match="The number of steps must be between 1 and 10000"):
        manager.step(A, "count", 0)
    assert manager.frame(A, "nothing") is None and manager.play(A, "nothing") is None
    with pytest.raises(ValueError, match="Invalid max_runs: 0"):
        RunManager(max_runs=0)


def test_cancelled_is_visible_to_the_body_so_it_can_clean_up(manager):
    cleaned = threading.Event()

    def body(control: Control) -> None:
        try:
            while True:
                control.checkpoint()
        except RunCancelled:
            cleaned.set()
            raise

    manager.start(A, "clean", body)
    manager.wait(A, "clean", lambda f: f.step > 5, LONG)
    manager.stop(A, "clean")
    assert cleaned.wait(LONG)


def test_working_body_and_a_per_run_frame_interval(manager):
    class Job:
        def __call__(self, control: Control) -> None:
            for _ in range(10**9):
                control.checkpoint()
                control.publish(lambda: control.step)

    job = Job()
    manager.start(A, "job", job, playing=False, frame_interval=30.0)
    frame = manager.wait(A, "job", lambda f: not f.working, LONG)
    assert frame.state == "paused" and manager.body(A, "job") is job
    manager.step(A, "job", 5)
    assert manager.frame(A, "job").working or manager.frame(A, "job").step == 5
    frame = manager.wait(A, "job", lambda f: not f.working and f.step == 5, LONG)
    # With 30 s between frames, only the first offer and the one flushed on parking are built.
    assert frame.data == 5 and frame.seq == 2
    with pytest.raises(RunError, match="The frame interval must be a number of seconds"):
        manager.start(A, "job", job, frame_interval=0)


def test_wait_paces_a_playing_run_and_returns_at_once_on_pause(manager):
    def body(control: Control) -> str:
        while True:
            control.checkpoint()
            control.publish(lambda: {"count": control.step})
            control.wait(LONG)  # a pace far longer than any wait below

    manager.start(A, "paced", body)
    frame = manager.wait(A, "paced", lambda f: f.data == {"count": 1}, LONG)
    assert frame.step == 1  # the frame was built before the pause, not after it
    manager.pause(A, "paced")
    frame = manager.wait(A, "paced", lambda f: not f.working, 5.0)
    assert frame.state == "paused" and not frame.working and frame.step == 1
    manager.step(A, "paced")
    frame = manager.wait(A, "paced", lambda f: f.step == 2 and not f.working, 5.0)
    assert frame.data == {"count": 2}


def test_a_fast_pace_builds_frames_no_more_often_than_the_frame_interval():
    m = RunManager(frame_interval=0.05, idle_seconds=30)
    try:

        def body(control: Control) -> str:
            for _ in range(300):
                control.checkpoint()
                control.publish(lambda: {"count": control.step})
                control.wait(0.001)
            return "done"

        began = time.monotonic()
        m.start(A, "fast", body)
        frame = m.wait(A, "fast", lambda f: not f.alive, LONG)
        elapsed = time.monotonic() - began
        assert frame.data == {"count": 300}  # the last frame is exact
        assert frame.seq <= elapsed / 0.05 + 3  # not one frame per step
    finally:
        m.shutdown()
