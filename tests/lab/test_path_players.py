"""The animated paths of the learning-rate, optimiser-race and batch-size pages, in Chromium:
Play advances a run on the server, Pause stops it, Step moves it by one, the scrubber seeks,
Reset goes back to step 0.

Each page opens at 1 step per second (``?speed=1``), so that a paused run is caught before it
ends; every wait is on the page's state (the step label, the run's state), bounded at 30 s.
Marked ``browser``: the conftest guard also checks that no request left 127.0.0.1, the
console showed no error and the server logged no traceback."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

# (address, prefix, last step, graph, index of a path trace that moves at every step)
PAGES = [
    ("/learning-rate?speed=1", "learning-rate", 20, "learning-rate-path1d", 1),
    ("/optimizers?speed=1", "optimizers", 150, "optimizers-paths", 3),
    ("/batch-size?speed=1", "batch-size", 200, "batch-size-paths", 8),
]


def _shown(lab, prefix: str) -> int | None:
    match = re.match(r"^step (\d+) of \d+$", lab.text(f"{prefix}-frame-label"))
    return int(match.group(1)) if match else None


def _points(lab, graph: str, trace: int) -> int:
    return len(lab.traces(graph)[trace]["x"])


@pytest.mark.parametrize(("address", "prefix", "last", "graph", "trace"), PAGES)
def test_play_pause_step_scrub_and_reset_drive_a_server_run(
    lab, address, prefix, last, graph, trace
):
    lab.open(address, ready=f"#{graph} .js-plotly-plot")
    lab.wait_text(f"#{prefix}-frame-label", rf"^step {last} of {last}$")
    assert _points(lab, graph, trace) == last + 1  # the whole run, drawn at once
    # Play from the end starts again from step 0 and advances on its own
    lab.page.click(f"#{prefix}-play")
    lab.wait_for(lambda: (_shown(lab, prefix) or 0) >= 1 and lab.text(f"{prefix}-run-state"))
    assert lab.text(f"{prefix}-run-state") == "playing"
    lab.page.click(f"#{prefix}-play")  # Pause
    lab.wait_text(f"#{prefix}-run-state", r"^paused$")
    lab.wait_text(f"#{prefix}-play", r"^Play$")
    paused = _shown(lab, prefix)
    assert 1 <= paused < last
    lab.page.wait_for_timeout(2500)  # over two steps' time at 1 step/s: nothing moves
    assert _shown(lab, prefix) == paused
    lab.wait_for(lambda: _points(lab, graph, trace) == paused + 1)
    # Step: exactly one more
    lab.page.click(f"#{prefix}-step")
    lab.wait_for(lambda: _shown(lab, prefix) == paused + 1)
    lab.wait_for(lambda: _points(lab, graph, trace) == paused + 2)
    assert lab.text(f"{prefix}-run-state") == "paused"
    # the scrubber shows a step already taken
    lab.slide(f"{prefix}-frame", "ArrowLeft")
    lab.wait_for(lambda: _shown(lab, prefix) == paused)
    lab.wait_for(lambda: _points(lab, graph, trace) == paused + 1)
    # Reset: step 0, the starts alone; Step goes on from there
    lab.page.click(f"#{prefix}-reset")
    lab.wait_text(f"#{prefix}-frame-label", rf"^step 0 of {last}$")
    lab.wait_for(lambda: _points(lab, graph, trace) == 1)
    lab.page.click(f"#{prefix}-step")
    lab.wait_text(f"#{prefix}-frame-label", rf"^step 1 of {last}$")
    lab.wait_for(lambda: _points(lab, graph, trace) == 2)


def test_scrubbing_before_any_play_seeks_on_the_server_and_play_goes_on_from_there(lab):
    lab.open("/learning-rate?speed=2", ready="#learning-rate-path1d .js-plotly-plot")
    lab.wait_text("#learning-rate-frame-label", r"^step 20 of 20$")
    lab.slide("learning-rate-frame", "ArrowLeft", times=3)
    lab.wait_text("#learning-rate-frame-label", r"^step 17 of 20$")
    lab.wait_for(lambda: _points(lab, "learning-rate-path1d", 1) == 18)
    assert lab.text("learning-rate-run-state") == "paused"
    lab.page.click("#learning-rate-play")
    lab.wait_text("#learning-rate-run-state", r"^finished$")
    assert lab.text("learning-rate-frame-label") == "step 20 of 20"
    assert _points(lab, "learning-rate-path1d", 1) == 21
    lab.wait_text("#learning-rate-play", r"^Play$")


def test_the_batch_page_compares_by_equal_steps_from_its_address(lab):
    lab.open("/batch-size?by=steps&steps=30&speed=100", ready="#batch-size-paths .js-plotly-plot")
    lab.wait_text("#batch-size-frame-label", r"^step 30 of 30$")
    assert lab.page.is_checked("#batch-size-by input[value=steps]")
    text = lab.wait_text("#batch-size-readout", r"stochastic")
    assert text.count("  30 steps") == 3  # every run takes the same number of updates
    lab.page.click("#batch-size-reset")
    lab.wait_text("#batch-size-frame-label", r"^step 0 of 30$")
    lab.page.click("#batch-size-play")
    lab.wait_text("#batch-size-run-state", r"^finished$")
    traces = lab.traces("batch-size-paths")
    assert [len(traces[i]["x"]) for i in (2, 5, 8)] == [31, 31, 31]  # all moved at every step


def test_two_sessions_race_at_once_and_pausing_one_leaves_the_other_running(lab, lab_url):
    from labkit import Lab

    other_context = lab.page.context.browser.new_context()
    other = Lab(other_context.new_page(), lab_url)
    try:
        for driver in (lab, other):
            driver.open("/optimizers?speed=5&steps=500", ready="#optimizers-paths .js-plotly-plot")
            driver.wait_text("#optimizers-frame-label", r"^step 500 of 500$")
            driver.page.click("#optimizers-play")
        for driver in (lab, other):
            driver.wait_for(lambda d=driver: (_shown(d, "optimizers") or 0) >= 3)
        lab.page.click("#optimizers-play")  # pause the first session only
        lab.wait_text("#optimizers-run-state", r"^paused$")
        paused = _shown(lab, "optimizers")
        going = _shown(other, "optimizers")
        other.wait_for(lambda: _shown(other, "optimizers") >= going + 3)
        assert other.text("optimizers-run-state") == "playing"
        assert _shown(lab, "optimizers") == paused
    finally:
        other_context.close()
