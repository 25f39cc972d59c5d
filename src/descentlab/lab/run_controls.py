"""Start / Pause / Reset buttons and a poll for a page whose animation is a server-side run.

A page that animates a run of :mod:`descentlab.lab.runs` puts :func:`run_panel` in its layout
and calls :func:`register_run_panel` with a function that validates the page's settings and
returns the run's body. The panel keeps the browser's session id in a store, starts, pauses,
resumes and stops the run, and polls its frames: the page's own ``draw(frame)`` turns the
latest frame into its outputs, and is called only when a new frame was published.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import dash
from dash import Input, Output, State, ctx, dcc, html

from descentlab.lab.runs import MANAGER, Frame, RunError, check_session_id, new_session_id

POLL_MS = 300


def run_panel(prefix: str) -> html.Div:
    """``<prefix>-start``, ``-pause`` and ``-reset`` buttons, the session store and the poll."""
    return html.Div(
        [
            html.Button(
                "Start", id=f"{prefix}-start", n_clicks=0, className="lab-button lab-button-primary"
            ),
            html.Button("Pause", id=f"{prefix}-pause", n_clicks=0, className="lab-button"),
            html.Button("Reset", id=f"{prefix}-reset", n_clicks=0, className="lab-button"),
            html.Span(id=f"{prefix}-state", className="lab-run-state"),
            dcc.Store(id=f"{prefix}-session", data=new_session_id()),
            dcc.Store(id=f"{prefix}-seq", data=""),
            dcc.Interval(id=f"{prefix}-poll", interval=POLL_MS),
        ],
        className="lab-controls",
    )


def register_run_panel(
    app: dash.Dash,
    prefix: str,
    run: str,
    settings: Sequence[State],
    make_body: Callable[..., tuple[Callable, int]],
    outputs: Sequence[Output],
    draw: Callable[[Frame], tuple],
) -> None:
    """Wire the panel: ``make_body(*settings) -> (body, steps)`` (raising ``ValueError`` with
    the page's sentence on a bad setting) and ``draw(frame) -> values for outputs``.
    The page's error div ``<prefix>-error`` shows what went wrong."""

    @app.callback(
        Output(f"{prefix}-error", "children", allow_duplicate=True),
        Output(f"{prefix}-pause", "children"),
        Input(f"{prefix}-start", "n_clicks"),
        Input(f"{prefix}-pause", "n_clicks"),
        Input(f"{prefix}-reset", "n_clicks"),
        State(f"{prefix}-session", "data"),
        *settings,
        prevent_initial_call=True,
    )
    def _control(_start: Any, _pause: Any, _reset: Any, session: Any, *values: Any) -> tuple:
        try:
            sid = check_session_id(session)
            if ctx.triggered_id == f"{prefix}-start":
                body, steps = make_body(*values)
                MANAGER.start(sid, run, body, max_steps=steps)
                return "", "Pause"
            if ctx.triggered_id == f"{prefix}-reset":
                MANAGER.stop(sid, run)
                return "", "Pause"
            frame = MANAGER.frame(sid, run)
            if frame is None or not frame.alive:
                return "Press Start first.", "Pause"
            if frame.state == "playing":
                MANAGER.pause(sid, run)
                return "", "Play"
            MANAGER.play(sid, run)
            return "", "Pause"
        except (RunError, ValueError) as exc:
            return str(exc), dash.no_update

    @app.callback(
        *outputs,
        Output(f"{prefix}-state", "children"),
        Output(f"{prefix}-seq", "data"),
        Input(f"{prefix}-poll", "n_intervals"),
        State(f"{prefix}-session", "data"),
        State(f"{prefix}-seq", "data"),
    )
    def _poll(_n: Any, session: Any, seen: Any) -> tuple:
        keep = (dash.no_update,) * (len(outputs) + 2)
        try:
            frame = MANAGER.frame(check_session_id(session), run)
        except RunError:
            return keep
        mark = f"{frame.seq}:{frame.state}" if frame is not None else None
        if frame is None or frame.data is None or mark == seen:
            return keep
        state = frame.state + (f": {frame.message}" if frame.message else "")
        return (*draw(frame), state, mark)


__all__ = ["POLL_MS", "register_run_panel", "run_panel"]
