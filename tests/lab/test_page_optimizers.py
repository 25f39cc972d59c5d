"""Page 9, the optimiser race, in Chromium.

Marked ``browser``: the conftest guard also checks that no request left 127.0.0.1, the
console showed no error and the server logged no traceback."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


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
    lab.enter(adam_lr, "-1")
    message = lab.wait_for(lambda: lab.text("optimizers-error"))
    assert message == "Adam's lr must be a number from 0 to 10 (received -1)."
