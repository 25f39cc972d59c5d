"""Server-side runs: anything in the lab that animates is a run owned by the server.

A page never trains or iterates inside a request. It *starts* a run (a body function), then
*plays*, *pauses*, *steps* or *stops* it, and a polling callback *reads* its latest frame. Each
run has its own worker thread, which executes the body at its own pace; the body publishes
small, JSON-ready frames. A slow or late poll only skips frames: the work goes on.

Runs are keyed by ``(session, name)``: ``session`` is a random id the page keeps in a
``dcc.Store`` (:func:`new_session_id`), ``name`` says which animation of the page it is
(``"playground"``, ``"race"``...). Starting a run under a key that already has one stops the old
run first, so one page has one run per name.

The body is ``body(control) -> str | None`` and is written as an ordinary loop::

    def body(control: Control) -> str:
        w = 10.0
        for _ in range(100):
            control.checkpoint()          # waits while paused; ends the run when told to
            w -= 0.1 * 2 * w              # one unit of work
            control.publish(lambda: {"w": w, "step": control.step})
            control.wait(0.05)            # an animation's pace (returns at once when paused)
        return "finished after 100 steps"

- :meth:`Control.checkpoint` comes before each unit of work: it blocks while the run is paused
  (or has used up its steps), counts the unit, and raises :class:`RunCancelled` when the run
  must end (stopped, replaced, reaped as idle, or out of its step or time budget).
- :meth:`Control.publish` offers a frame. Passing a function makes the frame lazy: it is only
  built when one is due (at most one per ``frame_interval``), and the latest offer is always
  built before the run parks or ends, so a paused or finished run shows its exact state.
- :meth:`Control.wait` paces an animation: it builds the latest frame and sleeps while the
  run plays on, returning at once on Pause, Step or a stop.
- The body's return value (a sentence, or None) becomes the finished frame's ``message``; an
  exception makes the run ``"failed"`` with a sentence naming it (and is logged).

Bounds (all :class:`RunManager` arguments): ``max_runs`` runs alive in the process (each holds a
thread), ``max_runs_per_session`` per session (the least recently seen one is stopped to make
room), ``max_steps`` units and ``max_seconds`` of unpaused time per run, and ``idle_seconds``:
a run that nobody has read or controlled for that long is stopped and forgotten.

A page's side, in three callbacks: one starts the run (``MANAGER.start(sid, name, body,
playing=False)``) and forwards Play / Pause / Step / Reset; a ``dcc.Interval`` callback reads
``MANAGER.frame(sid, name)``, returns ``dash.no_update`` when ``frame.seq`` is the one it drew
and ``dash.Patch`` updates otherwise, and polls often while ``frame.working`` and rarely
otherwise (a page that stops polling for ``idle_seconds`` loses its run); edits of a paused
run's objects go through :meth:`RunManager.edit`. Start a callable object as the body to reach
its state later with :meth:`RunManager.body` (the Playground does: its ``Training``).

:data:`MANAGER` is the process's one manager; every page uses it.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MANAGER",
    "STATES",
    "Control",
    "Frame",
    "RunCancelled",
    "RunError",
    "RunManager",
    "check_session_id",
    "new_session_id",
]

log = logging.getLogger("descentlab.lab.runs")

#: A run's states. "playing" and "paused" runs have a live thread; the other three are final.
STATES = ("playing", "paused", "finished", "failed", "stopped")
_SESSION = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class RunError(ValueError):
    """A run cannot be started or controlled; the message is one sentence for the page."""


class RunCancelled(Exception):
    """Raised by :meth:`Control.checkpoint` inside a body: the run must end now.

    ``reason`` is a sentence; ``final_state`` is "finished" (a step or time budget ran out)
    or "stopped" (reset, replaced or reaped).
    """

    def __init__(self, reason: str, final_state: str = "stopped") -> None:
        super().__init__(reason)
        self.reason = reason
        self.final_state = final_state


@dataclass(frozen=True)
class Frame:
    """What a page reads of a run.

    Attributes:
        seq: how many frames were published (0: none yet); a page that saw ``seq`` already
            has nothing new to draw.
        step: units of work done (calls of :meth:`Control.checkpoint` that let work through).
        state: one of :data:`STATES`.
        data: the last published frame (whatever the body made: small, JSON-ready), or None.
        message: why the run ended (a sentence), or "".
        working: the thread is doing work now (playing, or paused but finishing a step):
            a page polls often while this is true and rarely otherwise.
    """

    seq: int
    step: int
    state: str
    data: Any
    message: str
    working: bool = False

    @property
    def alive(self) -> bool:
        """True while the run can still do work (playing or paused)."""
        return self.state in ("playing", "paused")


def new_session_id() -> str:
    """A fresh random session id (22 URL-safe characters) for a page's ``dcc.Store``."""
    return secrets.token_urlsafe(16)


def check_session_id(value: Any) -> str:
    """``value`` if it is a session id (8-64 of ``A-Z a-z 0-9 _ -``), else :class:`RunError`."""
    if not isinstance(value, str) or not _SESSION.match(value):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
        raise RunError(
            f"The session id must be 8 to 64 letters, digits, '_' or '-' (received {shown})."
        )
    return value


class Control:
    """The handle a run's body uses: :meth:`checkpoint` before each unit, :meth:`publish` after.

    Only the run's own thread calls these. ``step`` is the number of units let through so far.
    """

    def __init__(self, run: _Run) -> None:
        self._run = run

    @property
    def step(self) -> int:
        return self._run.step

    def checkpoint(self) -> None:
        """Wait until the run may do one more unit of work, then count it.

        Blocks while the run is paused or has no step credit left (building the latest
        offered frame first); raises :class:`RunCancelled` when the run was stopped, replaced,
        reaped as idle, or used up ``max_steps`` or ``max_seconds``.
        """
        self._run.gate()

    def publish(self, data: Any | Callable[[], Any], *, force: bool = False) -> None:
        """Offer a frame: a value, or a function that makes it (called only when one is due).

        A frame is due when ``frame_interval`` seconds passed since the last one, or with
        ``force``; an offer that was not due is kept and built before the run parks or ends.
        """
        self._run.offer(data, force)

    def wait(self, seconds: float) -> None:
        """The pace of an animation: sleep up to ``seconds`` while the run plays on, building
        the latest offered frame once it is due, and return at once when the run is paused,
        stepped, stopped or replaced (so Pause and Step never wait for the pace)."""
        self._run.rest(seconds)


class _Run:
    """One run: its thread, its state and its latest frame, guarded by one condition."""

    def __init__(
        self,
        manager: RunManager,
        key: tuple[str, str],
        body: Callable[[Control], str | None],
        *,
        playing: bool,
        max_steps: int,
        max_seconds: float,
        frame_interval: float,
    ) -> None:
        self.manager = manager
        self.key = key
        self.body = body
        self.cond = threading.Condition()
        self.state = "playing" if playing else "paused"
        self.credit = 0  # steps allowed while paused (Step presses)
        self.step = 0
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.frame_interval = frame_interval
        self.active_seconds = 0.0
        self.active_since = time.monotonic()
        self.cancel_reason: str | None = None
        self.parked = False  # the thread is blocked in gate(): the body's objects are still
        self.seq = 0
        self.data: Any = None
        self.message = ""
        self.pending: Any = None
        self.has_pending = False
        self.last_frame_at = 0.0
        self.last_seen = time.monotonic()
        self.thread = threading.Thread(
            target=self._main, name=f"descentlab-run-{key[1]}-{key[0][:6]}", daemon=True
        )

    # ---------------------------------------------------------------- called by the body
    def gate(self) -> None:
        with self.cond:
            while True:
                self._check_budget()
                if self.cancel_reason is not None:
                    raise RunCancelled(self.cancel_reason)
                if self.state == "playing" or self.credit > 0:
                    break
                self._flush()
                self._stop_clock()
                self.parked = True
                self.cond.notify_all()
                self.cond.wait(timeout=self.manager.idle_seconds / 4)
                self.parked = False
                if self.manager.is_idle(self):
                    self.cancel_reason = "The run was stopped because nobody looked at it."
                self.active_since = time.monotonic()
            if self.state != "playing":
                self.credit -= 1
            self.step += 1

    def offer(self, data: Any, force: bool) -> None:
        with self.cond:
            self.pending, self.has_pending = data, True
            now = time.monotonic()
            if force or now - self.last_frame_at >= self.frame_interval:
                self._flush()

    def rest(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with self.cond:
            while True:
                now = time.monotonic()
                due = self.last_frame_at + self.frame_interval - now
                if self.has_pending and due <= 0:
                    self._flush()  # a frame offered too soon is built once it is due
                left = deadline - now
                if self.state != "playing" or self.cancel_reason is not None or left <= 0:
                    break
                wake = min(left, due) if self.has_pending and due > 0 else left
                self.cond.wait(timeout=wake)

    # -------------------------------------------------------------- under self.cond only
    def _flush(self) -> None:
        if not self.has_pending:
            return
        data = self.pending() if callable(self.pending) else self.pending
        self.pending, self.has_pending = None, False
        self.data = data
        self.seq += 1
        self.last_frame_at = time.monotonic()

    def _stop_clock(self) -> None:
        self.active_seconds += time.monotonic() - self.active_since
        self.active_since = time.monotonic()

    def _check_budget(self) -> None:
        if self.cancel_reason is not None:
            return
        if self.step >= self.max_steps:
            raise RunCancelled(
                f"The run stopped after {self.max_steps} steps, the lab's limit for one run.",
                "finished",
            )
        used = self.active_seconds + (time.monotonic() - self.active_since)
        if self.state == "playing" and used > self.max_seconds:
            raise RunCancelled(
                f"The run stopped after {self.max_seconds:g} s of work, the lab's limit for "
                "one run.",
                "finished",
            )
        if self.state == "playing" and self.manager.is_idle(self):
            self.cancel_reason = "The run was stopped because nobody looked at it."

    def snapshot(self) -> Frame:
        busy = self.credit > 0 or not self.parked
        working = self.state == "playing" or (self.state == "paused" and busy)
        return Frame(self.seq, self.step, self.state, self.data, self.message, working)

    # ---------------------------------------------------------------------- the thread
    def _main(self) -> None:
        control = Control(self)
        final, message = "finished", ""
        try:
            result = self.body(control)
            message = result if isinstance(result, str) else ""
        except RunCancelled as stop:
            final, message = stop.final_state, stop.reason
        except Exception as err:  # a bug in a body: the page says so, the log has the trace
            log.error("lab run %s failed", self.key[1], exc_info=err)
            final, message = "failed", f"The run failed ({type(err).__name__}: {err})."
        with self.cond:
            try:
                self._flush()
            except Exception as err:
                log.error("lab run %s: the last frame failed", self.key[1], exc_info=err)
            self.state, self.message = final, message
            self.parked = False
            self.cond.notify_all()


class RunManager:
    """Owns every run of the process: starts, controls, reads, bounds and reaps them.

    Args:
        max_runs: runs alive at once in the process (each holds a thread); starting one more
            first forgets idle ones, then fails with a :class:`RunError`.
        max_runs_per_session: runs alive per session; starting one more stops the session's
            least recently seen run.
        max_steps: the default (and largest) number of units one run may do.
        max_seconds: unpaused seconds one run may work.
        idle_seconds: a run that nobody read or controlled for this long is stopped; a final
            run is then forgotten.
        frame_interval: the default least time between two built frames of a run.
    """

    def __init__(
        self,
        *,
        max_runs: int = 32,
        max_runs_per_session: int = 4,
        max_steps: int = 100_000,
        max_seconds: float = 600.0,
        idle_seconds: float = 60.0,
        frame_interval: float = 0.1,
    ) -> None:
        for label, value in (
            ("max_runs", max_runs),
            ("max_runs_per_session", max_runs_per_session),
            ("max_steps", max_steps),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Invalid {label}: {value!r} (expected an integer >= 1)")
        for label, value in (
            ("max_seconds", max_seconds),
            ("idle_seconds", idle_seconds),
            ("frame_interval", frame_interval),
        ):
            if not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"Invalid {label}: {value!r} (expected a number > 0)")
        self.max_runs = max_runs
        self.max_runs_per_session = max_runs_per_session
        self.max_steps = max_steps
        self.max_seconds = float(max_seconds)
        self.idle_seconds = float(idle_seconds)
        self.frame_interval = float(frame_interval)
        self._lock = threading.Lock()
        self._runs: dict[tuple[str, str], _Run] = {}

    # ------------------------------------------------------------------------ helpers
    def is_idle(self, run: _Run) -> bool:
        return time.monotonic() - run.last_seen > self.idle_seconds

    def _key(self, session: Any, name: Any) -> tuple[str, str]:
        if not isinstance(name, str) or not _NAME.match(name):
            raise RunError(
                f"The run name must be 1 to 32 lower-case letters, digits, '_' or '-', "
                f"starting with a letter (received {name!r})."
            )
        return check_session_id(session), name

    def _get(self, session: Any, name: Any) -> _Run | None:
        key = self._key(session, name)
        with self._lock:
            self._reap()
            run = self._runs.get(key)
        if run is not None:
            run.last_seen = time.monotonic()
        return run

    def _reap(self) -> None:
        """Forget final runs nobody looked at for ``idle_seconds`` (under ``self._lock``)."""
        for key, run in list(self._runs.items()):
            if run.state not in ("playing", "paused") and self.is_idle(run):
                del self._runs[key]

    def _alive(self) -> list[_Run]:
        return [r for r in self._runs.values() if r.state in ("playing", "paused")]

    @staticmethod
    def _cancel(run: _Run, reason: str) -> None:
        with run.cond:
            if run.cancel_reason is None:
                run.cancel_reason = reason
            run.cond.notify_all()

    # ------------------------------------------------------------------------ the API
    def start(
        self,
        session: str,
        name: str,
        body: Callable[[Control], str | None],
        *,
        playing: bool = True,
        max_steps: int | None = None,
        frame_interval: float | None = None,
    ) -> Frame:
        """Start ``body`` as the run ``(session, name)``, replacing any run under that key.

        Args:
            body: ``body(control) -> str | None`` (see the module docstring).
            playing: start playing (True) or paused, waiting for :meth:`play` or :meth:`step`.
            max_steps: this run's step budget (at most the manager's ``max_steps``).
            frame_interval: the least seconds between two built frames of this run (default:
                the manager's); a page whose frames are costly to build asks for fewer.

        Returns:
            The new run's first frame (``seq`` 0 until the body publishes).

        Raises:
            RunError: a bad session id or name, or the process already runs ``max_runs``.
        """
        key = self._key(session, name)
        steps = self.max_steps if max_steps is None else max_steps
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps:
            raise RunError(f"The step budget must be a whole number >= 1 (received {steps!r}).")
        steps = min(steps, self.max_steps)
        interval = self.frame_interval if frame_interval is None else frame_interval
        if not isinstance(interval, int | float) or not 0 < interval <= 60:
            raise RunError(
                f"The frame interval must be a number of seconds in (0, 60] "
                f"(received {interval!r})."
            )
        with self._lock:
            self._reap()
            old = self._runs.pop(key, None)
            if old is not None:
                self._cancel(old, "The run was replaced by a new one.")
            mine = [r for r in self._alive() if r.key[0] == key[0]]
            if len(mine) >= self.max_runs_per_session:
                oldest = min(mine, key=lambda r: r.last_seen)
                self._cancel(oldest, "The run was stopped to make room for a newer one.")
                self._runs.pop(oldest.key, None)
            alive = self._alive()
            if len(alive) >= self.max_runs:
                for run in alive:
                    if self.is_idle(run):
                        self._cancel(run, "The run was stopped because nobody looked at it.")
                        self._runs.pop(run.key, None)
                if len(self._alive()) >= self.max_runs:
                    raise RunError(
                        f"The lab is already running {self.max_runs} simulations, its limit; "
                        "try again when one ends."
                    )
            run = _Run(
                self,
                key,
                body,
                playing=playing,
                max_steps=steps,
                max_seconds=self.max_seconds,
                frame_interval=float(interval),
            )
            self._runs[key] = run
            run.thread.start()
        return run.snapshot()

    def frame(self, session: str, name: str) -> Frame | None:
        """The run's latest frame (None when there is no such run); marks it as seen."""
        run = self._get(session, name)
        if run is None:
            return None
        with run.cond:
            return run.snapshot()

    def body(self, session: str, name: str) -> Callable[[Control], str | None] | None:
        """The body the run was started with (None if no such run); marks it as seen.

        A page that starts a callable object as the body reaches its run's objects here (to
        print its code, say) instead of keeping them in module globals.
        """
        run = self._get(session, name)
        return None if run is None else run.body

    def play(self, session: str, name: str) -> Frame | None:
        """Let the run work continuously. A final run stays as it is."""
        return self._set(session, name, "playing")

    def pause(self, session: str, name: str) -> Frame | None:
        """Stop the run at its next checkpoint (the unit in progress completes)."""
        return self._set(session, name, "paused")

    def step(self, session: str, name: str, n: int = 1) -> Frame | None:
        """Pause the run and let exactly ``n`` more units through (1 <= n <= 10,000)."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10_000:
            raise RunError(f"The number of steps must be between 1 and 10000 (received {n!r}).")
        run = self._get(session, name)
        if run is None:
            return None
        with run.cond:
            if run.state in ("playing", "paused"):
                run.state = "paused"
                run.credit += n
                run.cond.notify_all()
            return run.snapshot()

    def stop(self, session: str, name: str) -> None:
        """End the run (its thread exits at its next checkpoint) and forget it."""
        key = self._key(session, name)
        with self._lock:
            run = self._runs.pop(key, None)
        if run is not None:
            self._cancel(run, "The run was stopped.")

    def edit(self, session: str, name: str, change: Callable[[], Any]) -> Frame | None:
        """Call ``change()`` while the run's body is parked (paused) or over, then publish.

        ``change`` may modify what the body works on (a weight, a point); its return value,
        unless None, becomes the new frame. Waits up to ``timeout`` (2 s) for a pausing run to
        reach its checkpoint.

        Raises:
            RunError: the run is playing (pause it first) or did not park in time.
        """
        run = self._get(session, name)
        if run is None:
            return None
        with run.cond:
            if run.state == "playing" or run.credit > 0:
                raise RunError("Pause the run before editing it.")
            deadline = time.monotonic() + 2.0
            while run.state == "paused" and not run.parked:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RunError("The run is still finishing a step; try again.")
                run.cond.wait(timeout=left)
            data = change()
            if data is not None:
                run.pending, run.has_pending = data, True
                run._flush()
            return run.snapshot()

    def wait(self, session: str, name: str, until: Callable[[Frame], bool], timeout: float):
        """Block until ``until(frame)`` holds or ``timeout`` seconds pass; return the frame.

        For tests and scripts; pages poll :meth:`frame` instead. Returns None if no such run.
        """
        deadline = time.monotonic() + timeout
        while True:
            frame = self.frame(session, name)
            if frame is None or until(frame) or time.monotonic() > deadline:
                return frame
            time.sleep(0.01)

    def count(self, session: str | None = None) -> int:
        """Runs alive (playing or paused), in the process or in one session."""
        with self._lock:
            return sum(1 for r in self._alive() if session is None or r.key[0] == session)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop every run and wait up to ``timeout`` seconds for their threads."""
        with self._lock:
            runs = list(self._runs.values())
            self._runs.clear()
        for run in runs:
            self._cancel(run, "The lab is shutting down.")
        deadline = time.monotonic() + timeout
        for run in runs:
            run.thread.join(max(0.0, deadline - time.monotonic()))

    def _set(self, session: str, name: str, state: str) -> Frame | None:
        run = self._get(session, name)
        if run is None:
            return None
        with run.cond:
            if run.state in ("playing", "paused"):
                if run.state == "paused" and state == "playing":
                    run.credit = 0
                run.state = state
                run.cond.notify_all()
            return run.snapshot()


#: The process's run manager: every page starts and reads its runs here.
MANAGER = RunManager()
