"""The concept pages in a real Chromium: convolution, softmax cross-entropy, activations. Each
loads cleanly, a key interaction changes what is shown with the library's numbers, and a bad
input shows the page's own sentence."""

from __future__ import annotations

import re

import numpy as np
import pytest

from descentlab.lab.compute import convolution, softmax_ce

pytestmark = pytest.mark.browser


def _enter(lab, selector: str, value: str) -> None:
    lab.page.fill(selector, value)
    lab.page.press(selector, "Enter")


def test_convolution_slides_the_kernel_and_shows_the_library_sum(lab):
    lab.open("/convolution")
    first = lab.wait_for(
        lambda: "position 1 of 36" in (t := lab.text("convolution-readout")) and t, timeout=30
    )
    assert "output (0, 0)" in first
    lab.slide("convolution-position", times=8)  # output (1, 2)
    c = convolution.convolve(
        convolution.make_image("digit"), np.array(convolution.KERNELS["vertical edge"]), 1, 0
    )
    i, j = c.position(8)
    want = f"position 9 of 36: output ({i}, {j})"
    text = lab.wait_for(lambda: want in (t := lab.text("convolution-readout")) and t)
    value = float(re.search(r"sum of the 9 products = (-?[0-9.e+-]+)", text).group(1))
    assert value == pytest.approx(c.output[i, j], abs=1e-3)
    assert "a dense layer with the same inputs and outputs 2,340" in text
    lab.page.click("#convolution-play")
    lab.wait_for(lambda: "position 1" not in lab.text("convolution-readout")[:12])
    lab.page.click("#convolution-play")  # pause
    _enter(lab, "#convolution-k11", "1e9")
    lab.page.locator("#convolution-kernel input[value='custom']").check()
    message = lab.wait_for(lambda: lab.text("convolution-error"))
    assert (
        message == "Kernel weight (2, 2) must be a number from -100 to 100 (received 1000000000)."
    )


def test_softmax_page_shows_probabilities_loss_and_p_minus_y(lab):
    lab.open("/softmax-cross-entropy")
    text = lab.wait_for(lambda: lab.text("softmax-cross-entropy-readout"), timeout=30)
    r = softmax_ce.softmax_cross_entropy([2.0, 1.0, 0.1], 1)
    assert f"loss L = −log p_1 = −log {r.probabilities[0]:.6f} = {r.loss:.6f}" in text
    _enter(lab, "#softmax-cross-entropy-z0", "-3")  # now confidently wrong
    text = lab.wait_for_change(lambda: lab.text("softmax-cross-entropy-readout"), text)
    wrong = softmax_ce.softmax_cross_entropy([-3.0, 1.0, 0.1], 1)
    assert f"= {wrong.loss:.6f}" in text and "a wrong class leads" in text
    grads = [float(g) for g in re.search(r"backward = \[([^\]]+)\]", text).group(1).split(",")]
    np.testing.assert_allclose(grads, wrong.formula_gradient, atol=1e-6)
    _enter(lab, "#softmax-cross-entropy-z1", "99")
    message = lab.wait_for(lambda: lab.text("softmax-cross-entropy-error"))
    assert message == "Logit 2 must be a number from -50 to 50 (received 99)."


def test_activations_derivatives_and_dead_relu_units(lab):
    lab.open("/activations")
    text = lab.wait_for(lambda: lab.text("activations-readout"), timeout=30)
    assert "largest a' on [-6, 6] = 0.2500" in text  # the sigmoid's derivative peaks at 1/4
    traces = lab.wait_for_traces("activations-derivatives", timeout=30)
    assert [t["name"] for t in traces] == ["sigmoid", "tanh", "relu"]
    lab.page.click("#activations-train")
    dead = lab.wait_for(lambda: lab.text("activations-dead-readout"), timeout=60)
    relu = int(re.search(r"ReLU: (\d+) of 32 units got no gradient", dead).group(1))
    leaky = int(re.search(r"Leaky ReLU: (\d+) of 32", dead).group(1))
    assert relu >= 10 and leaky == 0
    _enter(lab, "#activations-lr", "-1")
    lab.page.click("#activations-train")
    message = lab.wait_for(lambda: lab.text("activations-dead-error"))
    assert message == "Learning rate must be a number above 0 up to 10 (received -1)."


def test_kohonen_map_trains_unfolds_and_plays(lab):
    lab.open("/kohonen")
    lab.page.fill("#kohonen-steps", "500")
    lab.page.press("#kohonen-steps", "Enter")
    lab.page.click("#kohonen-train")
    text = lab.wait_for(
        lambda: "step 500" in (t := lab.text("kohonen-readout")) and "after training" in t and t,
        timeout=60,
    )
    qe = [float(v) for v in re.findall(r"quantisation error ([0-9.]+)", text)]
    assert qe[-1] < 0.3
    traces = lab.wait_for_traces("kohonen-map", timeout=30)
    assert [t["name"] for t in traces] == ["data", "map units and grid links"]
    lab.page.click("#kohonen-play")
    lab.wait_for(lambda: "step 500 of" not in lab.text("kohonen-readout"), timeout=30)
    lab.page.fill("#kohonen-side", "99")
    lab.page.press("#kohonen-side", "Enter")
    lab.page.click("#kohonen-train")
    message = lab.wait_for(lambda: lab.text("kohonen-error"), timeout=30)
    assert message == "Map side must be a whole number from 2 to 15 (received 99)."


def test_decision_tree_grows_with_depth(lab):
    from descentlab.lab.compute import cart

    lab.open("/decision-tree")
    first = lab.wait_for(lambda: "depth 2" in (t := lab.text("decision-tree-readout")) and t, 30)
    lab.slide("decision-tree-depth", times=2)
    text = lab.wait_for(lambda: "depth 4" in (t := lab.text("decision-tree-readout")) and t, 30)
    assert text != first
    X, y = cart.dataset("moons")
    view = cart.grow(X, y, 4)
    assert f"{view.tree.n_leaves} leaves" in text
    assert f"test accuracy {view.test_accuracy:.1%}" in text
    _enter(lab, "#decision-tree-leaf", "0")
    message = lab.wait_for(lambda: lab.text("decision-tree-error"), timeout=30)
    assert message == "Min samples per leaf must be a whole number from 1 to 100 (received 0)."


def test_q_learning_run_fills_the_table_and_finds_the_cliff_path(lab):
    lab.open("/q-learning")
    _enter(lab, "#q-learning-episodes", "150")
    lab.page.click("#q-learning-start")
    done = lab.wait_for(lambda: "finished" in lab.text("q-learning-state"), timeout=120)
    assert done
    text = lab.wait_for(lambda: "episode 150 of 150" in (t := lab.text("q-learning-readout")) and t)
    assert "greedy path return -13 (optimal policy's: -13)" in text  # Q-learning's edge path
    traces = lab.wait_for_traces("q-learning-grid-figure", timeout=30)
    assert traces[1]["name"] == "greedy path" and len(traces[1]["x"]) == 14  # 13 moves
    _enter(lab, "#q-learning-alpha", "0")
    lab.page.click("#q-learning-start")
    message = lab.wait_for(lambda: lab.text("q-learning-error"), timeout=30)
    assert message == "Learning rate alpha must be a number above 0 up to 1 (received 0)."


def test_policy_gradient_run_shows_returns_and_replays_an_episode(lab):
    lab.open("/policy-gradient")
    _enter(lab, "#policy-gradient-episodes", "30")
    lab.page.click("#policy-gradient-start")
    lab.wait_for(lambda: "finished" in lab.text("policy-gradient-state"), timeout=120)
    text = lab.wait_for(lambda: "episode 30:" in (t := lab.text("policy-gradient-readout")) and t)
    assert "mean of the last 100" in text
    returns = lab.wait_for_traces("policy-gradient-returns", timeout=30)
    assert len(returns[0]["y"]) == 30 and all(r >= 8 for r in returns[0]["y"])
    cart = lab.wait_for_traces("policy-gradient-cart", timeout=30)  # drawn in the browser
    assert len(cart[0]["x"]) == 2


def test_genetic_algorithm_races_gradient_descent(lab):
    from descentlab.lab.compute import ga_race

    lab.open("/genetic-algorithm")
    lab.page.click("#genetic-algorithm-run")
    text = lab.wait_for(
        lambda: "GA best loss" in (t := lab.text("genetic-algorithm-readout")) and t, 60
    )
    r = ga_race.race_frames("himmelblau", 0.01, 50, 100, 0.2)
    assert f"GA {r['ga_evaluations']:,} evaluations" in text
    assert f"gradient descent {r['gd_evaluations']:,} evaluations" in text
    _enter(lab, "#genetic-algorithm-population", "1")
    lab.page.click("#genetic-algorithm-run")
    message = lab.wait_for(lambda: lab.text("genetic-algorithm-error"), timeout=30)
    assert message == "Population must be a whole number from 4 to 200 (received 1)."
