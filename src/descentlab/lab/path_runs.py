"""A player for animated paths that run on the server: Play / Pause, Step, Reset, a speed and a
scrubber, for the learning-rate, optimiser-race and batch-size pages.

A page puts :func:`path_player` in its layout and calls :func:`register_path_player` with

- ``settings``: the ``Input`` s its animation depends on (and ``extra`` ``State`` s, such as
  pattern-matched ids), in the order ``make`` takes them;
- ``make(*values) -> PathSpec`` (:mod:`descentlab.lab.compute.paths`): checks the settings
  (raising ``ValueError`` with the page's sentence) and says how to compute the steps;
- ``outputs`` (each with ``allow_duplicate=True``: the page's own callback draws the whole
  figures) and ``draw(frame_data) -> values for outputs``: ``dash.Patch`` updates of the paths
  from a :class:`~descentlab.lab.compute.paths.PathRun` frame.

The page's own callback still draws the whole run and its summary from the settings, at once
(so an address shows its numbers without Play). The animation is a run of
:data:`descentlab.lab.runs.MANAGER` keyed by the browser's session: **Play** starts it (or
resumes it) from the step the scrubber shows, and from step 0 at the end; **Pause** pauses it;
**Step** shows one more step (pausing a playing run); **Reset** goes back to step 0; moving the
scrubber pauses the run and shows any step it has computed (before any Play, a paused run
computes them all first). A change of settings stops the run. One poll reads the latest frame
and moves the scrubber with it; it polls often while the run works and rarely otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import dash
from dash import Input, Output, State, ctx, dcc, html

from descentlab.lab.compute import bounds
from descentlab.lab.compute.paths import SPEEDS, PathRun, PathSpec, check_speed
from descentlab.lab.runs import MANAGER, RunError, check_session_id, new_session_id

POLL_FAST_MS = 200
POLL_SLOW_MS = 2000  # often enough that a paused run is never reaped while its page is open


def speed_control(component_id: str, value: int) -> dcc.Dropdown:
    """A choice of pace in steps per second (:data:`~descentlab.lab.compute.paths.SPEEDS`)."""
    return dcc.Dropdown(
        id=component_id,
        options=[{"label": f"{s} steps/s", "value": s} for s in SPEEDS],
        value=value,
        clearable=False,
        searchable=False,
        style={"width": "8.5rem"},
    )


def path_player(prefix: str, speed: int = 10) -> html.Div:
    """``<prefix>-play``, ``-step``, ``-reset`` buttons, the scrubber ``<prefix>-frame`` with
    its label ``<prefix>-frame-label`` ("step k of n"), the speed ``<prefix>-speed`` (a page
    may put it in its address), the run's state ``<prefix>-run-state`` ("playing", "paused",
    "finished"...), and the session, the poll and what it drew."""
    return html.Div(
        [
            html.Button(
                "Play", id=f"{prefix}-play", n_clicks=0, className="lab-button lab-button-primary"
            ),
            html.Button("Step", id=f"{prefix}-step", n_clicks=0, className="lab-button"),
            html.Button("Reset", id=f"{prefix}-reset", n_clicks=0, className="lab-button"),
            html.Div(
                dcc.Slider(
                    id=f"{prefix}-frame",
                    min=0,
                    max=1,
                    step=1,
                    value=1,
                    marks=None,
                    updatemode="drag",
                    allow_direct_input=False,
                ),
                className="lab-slider",
            ),
            html.Span(id=f"{prefix}-frame-label", className="lab-frame-label"),
            speed_control(f"{prefix}-speed", speed),
            html.Span(id=f"{prefix}-run-state", className="lab-run-state"),
            dcc.Store(id=f"{prefix}-session", data=new_session_id()),
            dcc.Store(id=f"{prefix}-total"),
            dcc.Store(id=f"{prefix}-seen", data=""),
            dcc.Interval(id=f"{prefix}-poll", interval=POLL_SLOW_MS),
        ],
        className="lab-player",
    )


def column(data: dict[str, Any], series: int, coordinate: int) -> list[float]:
    """Path ``series``'s ``coordinate`` (0: x, 1: y, ...) up to the frame's shown step."""
    try:
        return list(data["series"][series][coordinate])
    except (IndexError, KeyError, TypeError):
        return []


def _step_of(value: Any, total: int) -> int:
    return bounds.number(value, "The step shown", 0, total, integer=True)


def register_path_player(
    app: dash.Dash,
    prefix: str,
    run: str,
    settings: Sequence[Input],
    make: Callable[..., PathSpec],
    outputs: Sequence[Output],
    draw: Callable[[dict[str, Any]], tuple],
    extra: Sequence[State] = (),
) -> None:
    """Wire :func:`path_player` (see the module docstring); ``run`` names the run."""
    ids = {name: f"{prefix}-{name}" for name in ("play", "step", "reset", "speed", "frame")}
    as_states = [State(i.component_id, i.component_property) for i in settings]
    error = Output(f"{prefix}-error", "children", allow_duplicate=True)
    keep = dash.no_update

    def _start(sid: str, body: PathRun, playing: bool) -> None:
        # no step budget of its own: a run scrubbed back replays steps (the manager's bounds
        # on steps and time still hold)
        MANAGER.start(sid, run, body, playing=playing)

    @app.callback(
        Output(f"{prefix}-total", "data"),
        Output(f"{prefix}-play", "children", allow_duplicate=True),
        *settings,
        *extra,
        State(f"{prefix}-session", "data"),
        prevent_initial_call="initial_duplicate",
    )
    def _settled(*values: Any) -> tuple:
        """New settings: the run of the old ones stops; the scrubber spans the new run."""
        try:
            spec = make(*values[:-1])
            sid = check_session_id(values[-1])
        except ValueError:  # the page's own callback says what is wrong
            return keep, keep
        MANAGER.stop(sid, run)
        return {"total": spec.total, "key": spec.key}, "Play"

    @app.callback(
        error,
        Output(f"{prefix}-play", "children", allow_duplicate=True),
        Output(f"{prefix}-poll", "interval", allow_duplicate=True),
        Input(ids["play"], "n_clicks"),
        Input(ids["step"], "n_clicks"),
        Input(ids["reset"], "n_clicks"),
        Input(ids["speed"], "value"),
        State(f"{prefix}-session", "data"),
        State(ids["frame"], "value"),
        *as_states,
        *extra,
        prevent_initial_call=True,
    )
    def _control(_play: Any, _step: Any, _reset: Any, speed: Any, session: Any, *rest: Any):
        trigger = ctx.triggered_id
        slider, values = rest[0], rest[1:]
        try:
            sid = check_session_id(session)
            delay = 1.0 / check_speed(speed)
            body = MANAGER.body(sid, run)
            if trigger == ids["speed"]:
                if isinstance(body, PathRun):
                    body.delay = delay  # read by the worker before its next pause
                return "", keep, keep
            frame = MANAGER.frame(sid, run)
            if trigger == ids["play"] and frame is not None and frame.state == "playing":
                MANAGER.pause(sid, run)
                return "", "Play", POLL_FAST_MS
            spec = make(*values)
            if trigger == ids["reset"]:
                _start(sid, PathRun(spec, 0, delay), playing=False)
                return "", "Play", POLL_FAST_MS
            playing = trigger == ids["play"]
            mine = body if isinstance(body, PathRun) and body.key == spec.key else None
            if mine is not None and frame is not None and frame.alive:
                mine.delay = delay
                if mine.at_end:
                    MANAGER.edit(sid, run, lambda: mine.seek(0))
                (MANAGER.play if playing else MANAGER.step)(sid, run)
            else:
                if mine is None or frame is None:
                    shown = _step_of(slider, spec.total)
                    mine = PathRun(spec, 0 if shown >= spec.total else shown, delay)
                elif mine.at_end:  # over: its thread is gone, the body is ours to move
                    mine.seek(0)
                mine.delay = delay
                _start(sid, mine, playing=playing)
                if not playing:
                    MANAGER.step(sid, run)
            return "", "Pause" if playing else "Play", POLL_FAST_MS
        except (RunError, ValueError) as exc:
            return str(exc), keep, keep

    @app.callback(
        *outputs,
        Output(ids["frame"], "max"),
        Output(ids["frame"], "value"),
        Output(f"{prefix}-frame-label", "children"),
        Output(f"{prefix}-run-state", "children"),
        Output(f"{prefix}-play", "children"),
        Output(f"{prefix}-seen", "data"),
        Output(f"{prefix}-poll", "interval"),
        error,
        Input(f"{prefix}-poll", "n_intervals"),
        Input(ids["frame"], "value"),
        Input(f"{prefix}-total", "data"),
        State(f"{prefix}-session", "data"),
        State(f"{prefix}-seen", "data"),
        State(ids["speed"], "value"),
        *as_states,
        *extra,
        prevent_initial_call=True,
    )
    def _poll(_tick: Any, slider: Any, total: Any, session: Any, seen: Any, speed: Any, *values):
        """Draw a new frame (the poll), seek (the scrubber moved) or span new settings."""
        n = len(outputs)
        nothing = (keep,) * (n + 8)
        trigger = ctx.triggered_id
        try:
            sid = check_session_id(session)
            if trigger == ids["frame"]:
                return (*(keep,) * (n + 6), POLL_FAST_MS, _seek(sid, slider, speed, values))
        except (RunError, ValueError) as exc:
            return (*(keep,) * (n + 7), str(exc))
        frame = MANAGER.frame(sid, run)
        if frame is None or not isinstance(frame.data, dict):
            # no run: the scrubber spans the settings' whole run. Also on a plain tick, until
            # it is done: Dash drops an answer when a newer call of this callback is made
            last = total.get("total") if isinstance(total, dict) else None
            mark = f"span:{total.get('key')}" if isinstance(total, dict) else ""
            if isinstance(last, bool) or not isinstance(last, int) or last < 0 or mark == seen:
                return nothing
            label = f"step {last} of {last}"
            return (*(keep,) * n, last, last, label, "", "Play", mark, POLL_SLOW_MS, "")
        data = frame.data
        mark = f"{data['run']}:{frame.seq}:{frame.state}"
        interval = POLL_FAST_MS if frame.working else POLL_SLOW_MS
        if mark == seen:
            return (*(keep,) * (n + 6), interval, keep)
        label = f"step {data['shown']} of {data['total']}"
        state = frame.state + (f": {frame.message}" if frame.state == "failed" else "")
        play = "Pause" if frame.state == "playing" else "Play"
        return (*draw(data), keep, data["shown"], label, state, play, mark, interval, keep)

    def _seek(sid: str, slider: Any, speed: Any, values: Sequence[Any]) -> str:
        spec = make(*values)
        shown = _step_of(slider, spec.total)
        frame = MANAGER.frame(sid, run)
        body = MANAGER.body(sid, run)
        if isinstance(body, PathRun) and body.key == spec.key and frame is not None:
            if body.cursor == shown:
                return ""  # the poll moved the scrubber to the step the run shows
            if frame.state == "playing":
                MANAGER.pause(sid, run)
            try:
                MANAGER.edit(sid, run, lambda: body.seek(shown))
            except RunError:
                pass  # still finishing a step: the next move of the scrubber seeks
            return ""
        if shown >= spec.total:
            return ""  # the page's own figures show the whole run
        delay = 1.0 / check_speed(speed)
        _start(sid, PathRun(spec, shown, delay, fill=True), playing=False)
        return ""


__all__ = ["POLL_FAST_MS", "POLL_SLOW_MS", "column", "path_player", "register_path_player"]
