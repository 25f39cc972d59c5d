"""Pages 6 and 7, computation graphs and circuits: the course's numbers, stages, PyTorch."""

from __future__ import annotations

import pytest
import torch

from descentlab.lab import widgets as w
from descentlab.lab.compute import circuit as cc
from descentlab.lab.pages import circuit as circuit_page
from descentlab.lab.pages import computation_graph as cg_page


def _by_name(circuit: cc.Circuit) -> dict[str, cc.CircuitNode]:
    return {node.name: node for node in circuit.nodes}


def _cells(table: list) -> dict[str, tuple[str, str]]:
    """{node name: (value text, gradient text)} from a page's node table."""
    out = {}
    for row in table[1].children:
        cells = row.children
        out[cells[0].children] = (cells[2].children, cells[3].children)
    return out


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
    elements, table, status, result, error = cg_page.render(5, -2, 5, -4)
    assert error == "" and result.endswith("= -12")
    cells = _cells(table)
    assert cells["f"] == ("-12", "1")
    assert cells["x"] == ("-2", "-4") and cells["y"] == ("5", "-4") and cells["z"] == ("-4", "3")
    assert cells["q"] == ("3", "-4")
    labels = {e["data"]["id"]: e["data"]["label"] for e in elements if "source" not in e["data"]}
    assert any("df/dz 3" in label for label in labels.values())
    _, table, _, _, _ = cg_page.render(0, -2, 5, -4)
    assert _cells(table)["f"] == ("", "")
    # 003 §6's check: x nudged by 0.01, typed exactly (no snapping to the slider's steps)
    _, table, _, result, _ = cg_page.render("backward", -1.99, 5, -4)
    assert result == "f = (x + y) · z = (-1.99 + 5) · (-4) = 3.01 · (-4) = -12.04"
    assert _cells(table)["f"] == ("-12.04", "1")
    _, _, _, _, error = cg_page.render(0, None, 5, -4)
    assert error == "The value of x must be a number from -1e+06 to 1e+06 (received None)."


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
    rendered = w.contributions(circuit, final)
    text = " ".join(str(li.children) for li in rendered[1].children)
    assert "-3 (via q1 = x + y) + 1 (via q3 = max(x, w)) = -2" in text


def test_circuit_page_render_and_variables():
    out = circuit_page.render(9, "(x + y) * z + max(x, w)", 2, 1, -3, 4, 1, 1, 1, 1)
    elements, table, status, contributions, query, error = out
    assert error == "" and status.startswith("Backward 4/4")
    assert query == {"x": 2, "y": 1, "z": -3, "w": 4}  # what the address shows
    assert circuit_page.render("backward", "(x + y) * z + max(x, w)", 2, 1, -3, 4)[2] == status
    cells = _cells(table)
    assert cells["f"] == ("-5", "1") and cells["x"] == ("2", "-3") and cells["w"] == ("4", "1")
    assert cells["z"] == ("-3", "3")
    # A new expression renames the sliders and keeps the values of names it still uses.
    names = ["x", "y", "z", "w"]
    updated = circuit_page.variable_controls("w * a", names, None, 2, 1, -3, 4, 1, 1, 1, 1)
    n = cc.MAX_VARIABLES
    assert list(updated[:2]) == ["w", "a"] and updated[2] == ""
    assert updated[n] == {} and updated[n + 2] == {"display": "none"}
    assert updated[2 * n : 2 * n + 2] == (4.0, 1.0) and updated[-1] == ["w", "a"]
    # When the page opens, the values come from the address, by name (w's is no number:
    # it keeps its default).
    opened = circuit_page.variable_controls("w * a", None, {"a": "2.5", "w": "x"}, *[1] * n)
    assert opened[2 * n : 2 * n + 2] == (4.0, 2.5)


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
