"""Page 12, backprop by hand: 001's worked example and PyTorch for every activation."""

from __future__ import annotations

import pytest
import torch

from descentlab.lab.compute import backprop_by_hand as hand
from descentlab.lab.pages import backprop_by_hand as hand_page


def test_backprop_by_hand_reproduces_the_worked_example():
    r = hand.backprop_by_hand()  # x=2, w1=0.5, b1=1, w2=1.5, b2=0.5, target 5, identity
    assert r.forward["z1"] == 2.0 and r.forward["a2"] == 3.5 and r.forward["C"] == 1.125
    assert r.sensitivity["w1"] == 3.0 and r.sensitivity["w2"] == 2.0  # dL/dw1, dL/dw2
    b = r.backward
    assert b["dC/da2"] == -1.5 and b["delta2"] == -1.5 and b["dC/dw2"] == -3.0
    assert b["delta1"] == -2.25 and b["dC/dw1"] == -4.5 and b["dC/db1"] == -2.25
    course = hand.backprop_by_hand(lr=0.2, rule="course")
    assert course.after["w1"] == pytest.approx(1.1) and course.after["w2"] == pytest.approx(1.9)
    assert course.after_forward["z1"] == pytest.approx(3.2)
    assert course.after_forward["a2"] == pytest.approx(6.58)
    smaller = hand.backprop_by_hand(lr=0.1, rule="course")
    assert (smaller.after["w1"], smaller.after["w2"]) == pytest.approx((0.8, 1.7))
    assert smaller.after_forward["a2"] == pytest.approx(4.92)
    assert hand.backprop_by_hand(lr=0.1).after == smaller.after  # the course's rule by default
    descend = hand.backprop_by_hand(lr=0.1, rule="descend")
    assert (descend.after["w1"], descend.after["w2"]) == pytest.approx((0.95, 1.8))
    assert descend.after["b1"] == 1.0 and descend.after_forward["C"] < r.forward["C"]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_backprop_by_hand_matches_pytorch(activation):
    x, y, w1, b1, w2, b2 = 0.8, 0.3, 0.6, -0.1, -1.2, 0.4
    r = hand.backprop_by_hand(
        x, y, w1, b1, w2, b2, activation=activation, lr=0.5, rule="descend", learn=hand.PARAMETERS
    )
    t = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in dict(w1=w1, b1=b1, w2=w2, b2=b2).items()
    }
    act = getattr(torch, activation)
    z1 = t["w1"] * x + t["b1"]
    z2 = t["w2"] * act(z1) + t["b2"]
    z1.retain_grad()
    z2.retain_grad()
    a2 = act(z2)
    cost = 0.5 * (y - a2) ** 2
    cost.backward()
    assert r.forward["C"] == pytest.approx(cost.item(), rel=1e-12)
    assert r.backward["delta2"] == pytest.approx(z2.grad.item(), rel=1e-12)
    assert r.backward["delta1"] == pytest.approx(z1.grad.item(), rel=1e-12, abs=1e-15)
    for name in hand.PARAMETERS:
        assert r.backward[f"dC/d{name}"] == pytest.approx(t[name].grad.item(), abs=1e-14)
        assert r.after[name] == pytest.approx(t[name].item() - 0.5 * t[name].grad.item())


def test_backprop_by_hand_page():
    elements, forward, backward, update, error = hand_page.render(
        2, 5, 0.5, 1, 1.5, 0.5, "identity", 0.2, "course", ["w1", "w2"]
    )
    assert error == ""
    values = {row.children[0].children: row.children[2].children for row in forward}
    assert values["C (error)"] == "1.125" and values["a2 (prediction)"] == "3.5"
    cells = {row.children[0].children: row.children[3].children for row in update[1:5]}
    assert cells == {"w1": "1.1", "b1": "1", "w2": "1.9", "b2": "0.5"}
    applied = hand_page.apply_or_reset(
        "backprop-by-hand-apply",
        1,
        0,
        2,
        5,
        0.5,
        1,
        1.5,
        0.5,
        "identity",
        0.1,
        "descend",
        ["w1", "w2"],
    )
    assert applied[2:6] == (0.95, 1.0, 1.8, 0.5)
    *_, error = hand_page.render(2, 5, 0.5, 1, 1.5, 0.5, "identity", -1, "descend", [])
    assert error == "The learning rate must be between 0 and 10 (received -1)."
