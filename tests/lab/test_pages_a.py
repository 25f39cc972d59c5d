"""Engineer A's lab pages in a real Chromium: each loads cleanly, a key interaction changes
what is shown, and a bad input shows its sentence. (The numbers themselves are tested in
tests/test_lab_compute_a.py.)"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def _numbers(text: str, label: str) -> list[float]:
    match = re.search(re.escape(label) + r"\s*=?\s*\(?([-0-9.e+, ]+)\)?", text)
    assert match, (label, text)
    return [float(v) for v in match.group(1).split(",") if v.strip()]


def _step_count(text: str) -> int:
    return int(re.search(r"step (\d+)", text).group(1))


def test_landscape_click_places_the_start_and_steps_go_downhill(lab):
    lab.open("/landscape", ready="#landscape-graph .js-plotly-plot")
    traces = lab.wait_for_traces("landscape-graph")
    assert [t["name"] for t in traces] == ["surface", "minimum", "path", "current point"]
    before = lab.text("landscape-readout")
    lab.click_at("landscape-graph", 1.5, -1.0)
    text = lab.wait_for_change(lambda: lab.text("landscape-readout"), before)
    x, y = _numbers(text, "point (x, y)")
    assert abs(x - 1.5) < 0.1 and abs(y + 1.0) < 0.1  # a contour reports its nearest grid point
    loss0 = _numbers(text, "loss f(x, y)")[0]
    assert loss0 == pytest.approx(x * x + y * y, rel=1e-3)  # the readout shows 5 digits
    lab.page.click("#landscape-step")
    text = lab.wait_for(lambda: (t := lab.text("landscape-readout")) and "step 1" in t and t)
    assert _numbers(text, "loss f(x, y)")[0] < loss0
    path = lab.traces("landscape-graph")[2]
    assert len(path["x"]) == 2 and path["x"][1] == pytest.approx(
        0.8 * path["x"][0]
    )  # lr 0.1, x²+y²


def test_landscape_run_animates_and_a_bad_learning_rate_says_so(lab):
    lab.open("/landscape", ready="#landscape-graph .js-plotly-plot")
    lab.wait_for_traces("landscape-graph")
    lab.page.click("#landscape-run")
    lab.wait_for(lambda: _step_count(lab.text("landscape-readout")) >= 3)
    lab.page.click("#landscape-run")  # pause
    lab.wait_for(lambda: lab.page.inner_text("#landscape-run") == "Run")
    lab.page.fill("#landscape-lr", "-1")
    lab.page.press("#landscape-lr", "Enter")
    lab.page.click("#landscape-step")
    message = lab.wait_for(lambda: lab.text("landscape-error"))
    assert message == "The learning rate must be a number from 1e-06 to 10 (received -1)."


def _enter(lab, selector: str, value: str) -> None:
    lab.page.fill(selector, value)
    lab.page.press(selector, "Enter")


def test_numerical_gradient_slider_moves_the_point_and_a_bad_h_says_so(lab):
    lab.open("/numerical-gradient", ready="#numerical-gradient-graph .js-plotly-plot")
    before = lab.wait_for_traces("numerical-gradient-graph")
    assert before[-1]["x"] == [2.0]
    lab.slide("numerical-gradient-w", "ArrowRight")
    after = lab.wait_for_change(lambda: lab.traces("numerical-gradient-graph"), before)
    assert after[-1]["x"][0] == pytest.approx(2.05)
    text = lab.text("numerical-gradient-readout")
    assert "slope by backward()       = 4.1" in text  # 2w at w = 2.05
    _enter(lab, "#numerical-gradient-h", "0")
    message = lab.wait_for(lambda: lab.text("numerical-gradient-error"))
    assert message == "The step h must be a number from 1e-08 to 2 (received 0)."


def test_gradient_check_h_slider_and_a_bad_w(lab):
    lab.open("/gradient-check", ready="#gradient-check-errors .js-plotly-plot")
    traces = lab.wait_for_traces("gradient-check-errors")
    assert [t["name"] for t in traces] == ["float32", "float64"]
    assert len(traces[0]["x"]) == 49 and min(traces[1]["y"]) < 1e-9
    lab.slide("gradient-check-h", "PageDown")  # ten steps of 0.25: h = 1e-2 -> 10^-4.5
    lab.wait_for(lambda: "h = 3.16e-05" in lab.text("gradient-check-readout"))
    _enter(lab, "#gradient-check-w", "9")
    message = lab.wait_for(lambda: lab.text("gradient-check-error"))
    assert message == "w must be a number from -2.2 to 2.2 (received 9)."


def test_learning_rate_slider_changes_paths_and_verdicts(lab):
    lab.open("/learning-rate", ready="#learning-rate-path2d .js-plotly-plot")
    lab.wait_for_traces("learning-rate-path2d")
    assert lab.text("learning-rate-verdict1d").startswith("1-D: good")
    before = lab.traces("learning-rate-path2d")[2]
    lab.slide("learning-rate-lr", "PageUp")  # ten steps of 0.05: lr = 0.1 -> 10^-0.5 = 0.316
    lab.wait_for(lambda: "0.316" in lab.text("learning-rate-lr-label"))
    lab.wait_for(lambda: lab.text("learning-rate-verdict2d").startswith("2-D: diverging"))
    assert lab.text("learning-rate-verdict1d").startswith("1-D: good")
    assert lab.traces("learning-rate-path2d")[2] != before
    _enter(lab, "#learning-rate-steps", "0")
    message = lab.wait_for(lambda: lab.text("learning-rate-error"))
    assert message == "The number of steps must be a whole number from 1 to 300 (received 0)."


def test_batch_size_slider_changes_the_mini_batch_path(lab):
    lab.open("/batch-size", ready="#batch-size-paths .js-plotly-plot")
    traces = lab.wait_for_traces("batch-size-paths")
    paths = [t for t in traces if t["name"] in ("batch", "mini-batch", "stochastic")]
    assert [len(t["x"]) for t in paths] == [3, 15, 201]  # 2 epochs of 100 points: B = 100, 16, 1
    lab.slide("batch-size-batch", "ArrowRight")  # B = 17: 2 x 6 steps
    lab.wait_for(lambda: lab.text("batch-size-batch-label") == "Mini-batch size B = 17")
    lab.wait_for(
        lambda: (
            len([t for t in lab.traces("batch-size-paths") if t["name"] == "mini-batch"][0]["x"])
            == 13
        )
    )
    _enter(lab, "#batch-size-lr", "5")
    message = lab.wait_for(lambda: lab.text("batch-size-error"))
    assert message == "The learning rate must be a number from 0.001 to 1 (received 5)."


def test_optimizer_race_toggles_moves_the_start_and_checks_settings(lab):
    lab.open("/optimizers", ready="#optimizers-paths .js-plotly-plot")
    traces = lab.wait_for_traces("optimizers-paths")
    names = [t["name"] for t in traces]
    assert names[3:] == ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "AdamW"]
    heat = lab.wait_for_traces("optimizers-map")
    assert heat[0]["type"] == "heatmap" and len(heat[0]["z"]) == 20
    # switch SGD off: its path goes
    lab.page.locator("[id*='optimizers-on'] input").first.uncheck()
    lab.wait_for(lambda: "SGD" not in [t["name"] for t in lab.traces("optimizers-paths")])
    # click the contour: every path now starts there
    lab.click_at("optimizers-paths", 1.5, -1.0)
    lab.wait_for(lambda: abs(lab.traces("optimizers-paths")[2]["x"][0] - 1.5) < 0.1)
    start = lab.traces("optimizers-paths")[2]
    for trace in lab.traces("optimizers-paths")[3:]:
        assert trace["x"][0] == start["x"][0] and trace["y"][0] == start["y"][0]
    adam_lr = "[id*='optimizers-param'][id*='adam\"'][id*='lr']"
    _enter(lab, adam_lr, "-1")
    message = lab.wait_for(lambda: lab.text("optimizers-error"))
    assert message == "Adam's lr must be a number from 0 to 10 (received -1)."
