"""The numbers behind lab pages 6, 7, 8, 11 and 12, checked without a browser.

Oracles: the course's worked examples (exact) and PyTorch 2.13 for gradients. The page
callbacks are called directly as plain functions. (Page 10: tests/test_lab_playground.py.)
"""

from __future__ import annotations

import pytest
import torch

from descentlab.lab.compute import backprop_by_hand as hand
from descentlab.lab.compute import circuit as cc
from descentlab.lab.compute import gates as gc
from descentlab.lab.compute import vanishing as vc
from descentlab.lab.pages import backprop_by_hand as hand_page
from descentlab.lab.pages import circuit as circuit_page
from descentlab.lab.pages import computation_graph as cg_page
from descentlab.lab.pages import gates as gates_page
from descentlab.lab.pages import vanishing as van_page


def _by_name(circuit: cc.Circuit) -> dict[str, cc.CircuitNode]:
    return {node.name: node for node in circuit.nodes}


def _cells(table: list) -> dict[str, tuple[str, str]]:
    """{node name: (value text, gradient text)} from a page's node table."""
    out = {}
    for row in table[1].children:
        cells = row.children
        out[cells[0].children] = (cells[2].children, cells[3].children)
    return out


# ------------------------------------------------------------------ pages 6 and 7: circuits


def test_course_example_local_gradients():
    circuit = cc.build_circuit("(x + y) * z", {"x": -2, "y": 5, "z": -4})
    nodes = _by_name(circuit)
    assert nodes["q"].value == 3 and nodes["f"].value == -12
    assert (nodes["x"].grad, nodes["y"].grad, nodes["z"].grad) == (-4, -4, 3)
    assert nodes["q"].grad == -4 and nodes["f"].grad == 1
    assert nodes["q"].formula == "x + y" and nodes["f"].formula == "q * z"


def test_stepping_reveals_values_then_gradients_gate_by_gate():
    circuit = cc.build_circuit("(x + y) * z", {"x": -2, "y": 5, "z": -4})
    names = {node.id: node.name for node in circuit.nodes}
    assert circuit.n_stages == 6  # inputs, 2 forward, seed, 2 backward

    def view(stage):
        v = cc.stage_view(circuit, stage)
        return (
            {names[k]: val for k, val in v.values.items()},
            {names[k]: g for k, g in v.grads.items()},
        )

    values, grads = view(0)
    assert values == {"x": -2, "y": 5, "q": None, "z": -4, "f": None}
    assert all(g is None for g in grads.values())
    values, _ = view(1)
    assert values["q"] == 3 and values["f"] is None
    values, grads = view(2)
    assert values["f"] == -12 and all(g is None for g in grads.values())
    _, grads = view(3)
    assert grads == {"x": None, "y": None, "q": None, "z": None, "f": 1.0}
    _, grads = view(4)  # the multiply gate fires
    assert grads == {"x": None, "y": None, "q": -4, "z": 3, "f": 1.0}
    _, grads = view(5)  # the add gate fires
    assert grads == {"x": -4, "y": -4, "q": -4, "z": 3, "f": 1.0}
    assert view(99) == view(5)  # clamped
    assert "q = x + y" in cc.stage_view(circuit, 1).message
    assert cc.stage_view(circuit, 5).message.startswith("Backward 2/2")


def test_buttons_move_between_stages():
    circuit = cc.build_circuit("(x + y) * z", {"x": -2, "y": 5, "z": -4})
    assert circuit_page.next_stage("forward", 0, circuit) == 2
    assert circuit_page.next_stage("backward", 0, circuit) == 5
    assert circuit_page.next_stage("step", 4, circuit) == 5
    assert circuit_page.next_stage("step", 5, circuit) == 5
    assert circuit_page.next_stage("reset", 5, circuit) == 0
    assert cg_page.update_stage("computation-graph-backward", 0, 1, 0, 0, 0, -2, 5, -4) == 5
    assert cg_page.update_stage("computation-graph-step", 0, 0, 1, 0, 2, -2, 5, -4) == 3


def test_computation_graph_page_shows_the_course_numbers():
    elements, table, status, error = cg_page.render(5, -2, 5, -4)
    assert error == ""
    cells = _cells(table)
    assert cells["f"] == ("-12", "1")
    assert cells["x"] == ("-2", "-4") and cells["y"] == ("5", "-4") and cells["z"] == ("-4", "3")
    assert cells["q"] == ("3", "-4")
    labels = {e["data"]["id"]: e["data"]["label"] for e in elements if "source" not in e["data"]}
    assert any("df/dz 3" in label for label in labels.values())
    _, table, _, _ = cg_page.render(0, -2, 5, -4)
    assert _cells(table)["f"] == ("", "")
    _, _, _, error = cg_page.render(0, None, 5, -4)
    assert error.startswith("Variable x has no value")


def _torch_grads(expression: str, values: dict[str, float]) -> tuple[float, dict[str, float]]:
    env = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in values.items()}
    funcs = {
        "max": torch.maximum,
        "min": torch.minimum,
        "exp": torch.exp,
        "log": torch.log,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
    }
    out = eval(expression, {"__builtins__": {}}, {**funcs, **env})  # test oracle only
    out.backward()
    return out.item(), {k: t.grad.item() for k, t in env.items()}


@pytest.mark.parametrize(
    ("expression", "values"),
    [
        ("(x + y) * z + max(x, w)", {"x": 2.0, "y": 1.0, "z": -3.0, "w": 4.0}),
        ("(x + y) * z + max(x, w)", {"x": 5.0, "y": 1.0, "z": -3.0, "w": 4.0}),
        ("sigmoid(a * b) / (b - 3) + exp(-a) * tanh(b)", {"a": 0.7, "b": -1.3}),
        ("x * x * x + log(x) - relu(x - 1) ** 2", {"x": 1.6}),
    ],
)
def test_circuit_gradients_match_pytorch(expression, values):
    circuit = cc.build_circuit(expression, values)
    f, grads = _torch_grads(expression, values)
    nodes = _by_name(circuit)
    assert nodes["f"].value == pytest.approx(f, rel=1e-12)
    for name, grad in grads.items():
        assert nodes[name].grad == pytest.approx(grad, rel=1e-10, abs=1e-12)
        # The multivariate chain rule: the contributions along a variable's edges add up.
        parts = [e.grad for e in circuit.edges if e.source == nodes[name].id]
        assert sum(parts) == pytest.approx(grad, rel=1e-10, abs=1e-12)


def test_a_variable_on_two_paths_shows_both_contributions():
    circuit = cc.build_circuit("(x + y) * z + max(x, w)", {"x": 5, "y": 1, "z": -3, "w": 4})
    assert circuit.contributions() == {"x": [("q1", -3.0), ("q3", 1.0)]}
    final = cc.stage_view(circuit, circuit.n_stages - 1)
    ((name, parts, total),) = cc.variable_paths(circuit, final)
    assert name == "x" and total == -2.0
    assert [(gate, grad) for gate, _, grad in parts] == [("q1", -3.0), ("q3", 1.0)]
    # Half-way back only the max path has delivered its part.
    middle = cc.stage_view(circuit, circuit.n_stages - 3)
    ((_, parts, total),) = cc.variable_paths(circuit, middle)
    assert total is None and [g for _, _, g in parts] == [None, 1.0]
    rendered = circuit_page.contributions(circuit, final)
    text = " ".join(str(li.children) for li in rendered[1].children)
    assert "-3 (via q1 = x + y) + 1 (via q3 = max(x, w)) = -2" in text


def test_circuit_page_render_and_variables():
    out = circuit_page.render(9, "(x + y) * z + max(x, w)", 2, 1, -3, 4, 1, 1, 1, 1)
    elements, table, status, contributions, error = out
    assert error == "" and status.startswith("Backward 4/4")
    cells = _cells(table)
    assert cells["f"] == ("-5", "1") and cells["x"] == ("2", "-3") and cells["w"] == ("4", "1")
    assert cells["z"] == ("-3", "3")
    # A new expression renames the sliders and keeps the values of names it still uses.
    names = ["x", "y", "z", "w"]
    updated = circuit_page.variable_controls("w * a", names, 2, 1, -3, 4, 1, 1, 1, 1)
    n = cc.MAX_VARIABLES
    assert list(updated[:2]) == ["w", "a"] and updated[2] == ""
    assert updated[n] == {} and updated[n + 2] == {"display": "none"}
    assert updated[2 * n : 2 * n + 2] == (4.0, 1.0) and updated[-1] == ["w", "a"]


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        # The grammar's own messages (descentlab.graph) name the column.
        ("(x + ", "column"),
        ("foo(x)", "'foo' at column 1"),
        ("__import__('os').system('true')", "column 1"),
        ("x.real", "column 1"),
        # The lab's own checks.
        ("log(x - 5)", "At these inputs f = log(q) is nan"),
        ("x" + " + x" * 120, "The expression is 481 characters long; at most 200."),
        ("a+b+c+d+e+f+g+h+i", "The expression uses 9 variables"),
    ],
)
def test_bad_expressions_give_one_sentence(expression, fragment):
    out = circuit_page.render(0, expression, *[1.0] * cc.MAX_VARIABLES)
    error = out[-1]
    assert fragment in error, error
    assert error[0].isupper() and error.endswith(".") and "\n" not in error
    assert out[0] == []  # the graph is cleared, not left showing the previous expression


# ---------------------------------------------------------------------------- page 8: gates


def test_gate_patterns_match_the_rules_and_pytorch():
    results = {r.key: r for r in gc.gate_patterns(3.0, 2.0, 2.0)}
    assert (results["add"].grad_x, results["add"].grad_y) == (2.0, 2.0)
    assert (results["mul"].local_x, results["mul"].local_y) == (2.0, 3.0)
    assert (results["mul"].grad_x, results["mul"].grad_y) == (4.0, 6.0)
    assert (results["max"].grad_x, results["max"].grad_y) == (2.0, 0.0)
    # The course's question: f = x*y, upstream 2, y = 5: x receives 10.
    assert {r.key: r for r in gc.gate_patterns(3.0, 5.0, 2.0)}["mul"].grad_x == 10.0
    for x, y, g in [(1.5, 1.5, -0.7), (-4.0, 2.5, 3.0)]:
        got = {r.key: (r.value, r.grad_x, r.grad_y) for r in gc.gate_patterns(x, y, g)}
        for key, fn in [("add", torch.add), ("mul", torch.mul), ("max", torch.maximum)]:
            tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            ty = torch.tensor(y, dtype=torch.float64, requires_grad=True)
            out = fn(tx, ty)
            out.backward(torch.tensor(g, dtype=torch.float64))
            assert got[key] == pytest.approx((out.item(), tx.grad.item(), ty.grad.item()))


def test_gates_page_table_and_errors():
    table, figure, error = gates_page.render(3, 5, 2)
    assert error == ""
    body = {row.children[0].children: row for row in table[1].children}
    mul = [cell.children for cell in body["Multiply"].children]
    assert mul[1] == "x * y = 15" and mul[5:7] == ["10", "6"]
    assert list(figure.data[0].y) == [2.0, 10.0, 0.0]
    _, _, error = gates_page.render(3, None, 2)
    assert error == "y is empty: enter a number between -1000 and 1000."
    _, _, error = gates_page.render(3, 2, 1e9)
    assert error.startswith("The upstream gradient must be between -1000 and 1000")


# -------------------------------------------------------------------- page 12: by hand


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
    descend = hand.backprop_by_hand(lr=0.1)
    assert (descend.after["w1"], descend.after["w2"]) == pytest.approx((0.95, 1.8))
    assert descend.after["b1"] == 1.0 and descend.after_forward["C"] < r.forward["C"]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_backprop_by_hand_matches_pytorch(activation):
    x, y, w1, b1, w2, b2 = 0.8, 0.3, 0.6, -0.1, -1.2, 0.4
    r = hand.backprop_by_hand(
        x, y, w1, b1, w2, b2, activation=activation, lr=0.5, learn=hand.PARAMETERS
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


# --------------------------------------------------------------- page 11: vanishing gradients


def test_sigmoid_gradients_vanish_and_relu_with_he_keeps_them():
    sigmoid = vc.layer_gradients(depth=10, activation="sigmoid", init="default")
    relu = vc.layer_gradients(depth=10, activation="relu", init="he")
    assert len(sigmoid.grad_norms) == 11
    assert sigmoid.ratio < 1e-5  # the first layer's gradient is tiny next to the output's
    assert relu.ratio > 1e-2
    # Each sigmoid layer shrinks the gradient on the way back.
    assert all(a < b for a, b in zip(sigmoid.grad_norms[:-1], sigmoid.grad_norms[1:]))


def test_layer_gradient_norms_match_pytorch():
    from descentlab import nn
    from descentlab.data import spirals

    result = vc.layer_gradients(depth=3, activation="tanh", init="xavier", width=8, seed=4)
    # Rebuild the same network (same seed, same init) and hand its weights to PyTorch.
    from descentlab.lab.compute.seeding import seeded

    def build():
        layers, fan_in = [], 2
        for _ in range(3):
            layers += [nn.Linear(fan_in, 8), nn.Tanh()]
            fan_in = 8
        layers.append(nn.Linear(fan_in, 2))
        net = nn.Sequential(*layers)
        vc._initialise(net, "tanh", "xavier")
        return net

    net = seeded(4, build)
    X, y = spirals(n=vc.BATCH, noise=0.1, seed=4)
    h = torch.tensor(X, dtype=torch.float64)
    weights = []
    for module in net:
        if isinstance(module, nn.Linear):
            w = torch.tensor(module.weight.data.numpy(), dtype=torch.float64, requires_grad=True)
            b = torch.tensor(module.bias.data.numpy(), dtype=torch.float64)
            weights.append(w)
            h = h @ w.T + b
        else:
            h = torch.tanh(h)
    torch.nn.functional.cross_entropy(h, torch.tensor(y)).backward()
    expected = [w.grad.norm().item() for w in weights]
    assert result.grad_norms == pytest.approx(expected, rel=1e-4)


def test_vanishing_page_and_bounds():
    figure, summary, error = van_page.render(10, 32, "sigmoid", "default", 0)
    assert error == "" and "orders of magnitude" in summary
    assert figure["data"][0]["x"][0] == "layer 1" and figure["data"][0]["x"][-1] == "output"
    *_, error = van_page.render(500, 32, "sigmoid", "default", 0)
    assert error == "The depth must be a whole number from 1 to 30 (received 500)."
    *_, error = van_page.render(5, 32, "swish", "default", 0)
    assert error.startswith("The activation must be one of sigmoid, tanh, relu")
