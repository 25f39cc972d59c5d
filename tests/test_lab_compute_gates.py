"""Page 8, gate patterns: add distributes, multiply switches, max routes (and PyTorch agrees)."""

from __future__ import annotations

import pytest
import torch

from descentlab.lab.compute import gates as gc
from descentlab.lab.pages import gates as gates_page


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
    assert figure["data"][0]["y"] == [2.0, 10.0, 0.0]
    _, _, error = gates_page.render(3, None, 2)
    assert error == "y must be a number from -1000 to 1000 (received nothing)."
    _, _, error = gates_page.render(3, 2, 1e9)
    assert (
        error
        == "The upstream gradient must be a number from -1000 to 1000 (received 1000000000.0)."
    )
