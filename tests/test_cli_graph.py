"""``descentlab graph``: the printed table, the written files, and one-line usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from descentlab.cli import main

WORKED = """\
f = (x + y) * z   at x=-2, y=5, z=-4

node  op     label  inputs  value  grad
n0    input  x      -       -2     -4
n1    input  y      -       5      -4
n2    add    +      n0 n1   3      -4
n3    input  z      -       -4     3
n4    mul    *      n2 n3   -12    1

f = -12
df/dx = -4
df/dy = -4
df/dz = 3
"""


def test_worked_example_table(capsys):
    assert main(["graph", "(x + y) * z", "--at", "x=-2,y=5,z=-4"]) == 0
    assert capsys.readouterr().out == WORKED


def test_two_function_chain_and_repeated_at(capsys):
    argv = ["graph", "(x * w1 + b1) * w2 + b2", "--at", "x=2, w1=0.5", "--at", "b1=1,w2=1.5,b2=0.5"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "f = 3.5" in lines
    assert "df/dw1 = 3" in lines
    assert "df/dw2 = 2" in lines


def test_expression_without_variables(capsys):
    assert main(["graph", "2 * 3 + 1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("f = 2 * 3 + 1\n")
    assert out.endswith("f = 7\n")


def test_writes_dot_svg_and_strict_json(tmp_path, capsys):
    dot, svg, js = tmp_path / "g.dot", tmp_path / "g.svg", tmp_path / "g.json"
    argv = ["graph", "log(x) * y", "--at", "x=-1,y=2", "--dot", str(dot), "--svg", str(svg)]
    assert main([*argv, "--json", str(js)]) == 0
    capsys.readouterr()
    assert dot.read_text().startswith("digraph computation {")
    root = ET.fromstring(svg.read_text())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    data = json.loads(js.read_text())  # strict: log(-1) is NaN, written as null
    assert [n["label"] for n in data["nodes"]] == ["x", "log", "y", "*"]
    assert data["nodes"][1]["value"] is None
    assert data["nodes"][0]["grad"] == -2.0  # d/dx log(x) * y = y / x


BAD = [
    (
        ["foo(x)", "--at", "x=1"],
        "unknown function 'foo' at column 1; allowed: abs, cos, exp, "
        "log, max, min, relu, sigmoid, sin, sqrt, tanh",
    ),
    (["x +", "--at", "x=1"], "syntax error at the end of the expression: invalid syntax"),
    (["x + y", "--at", "x=1"], "no value for y: add --at y=... (the expression uses x, y)"),
    (["x * y"], "no value for x, y: add --at x=...,y=... (the expression uses x, y)"),
    (["x", "--at", "x=1,q=2"], "--at gives q, which the expression does not use (it uses x)"),
    (["x", "--at", "x:1"], "--at: expected NAME=NUMBER, received 'x:1'"),
    (["x", "--at", "x="], "--at: expected NAME=NUMBER, received 'x='"),
    (["x", "--at", "x=abc"], "--at: x must be a finite number, received 'abc'"),
    (["x", "--at", "x=inf"], "--at: x must be a finite number, received 'inf'"),
    (["x", "--at", "x=1,x=2"], "--at: x is given twice"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_user_mistakes_give_one_line_and_exit_2(args, message, capsys):
    assert main(["graph", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"descentlab graph: error: {message}\n"


def test_unwritable_output_is_a_usage_error(tmp_path, capsys):
    target = tmp_path / "missing" / "g.svg"
    assert main(["graph", "x", "--at", "x=1", "--svg", str(target)]) == 2
    err = capsys.readouterr().err
    assert (
        err == f"descentlab graph: error: cannot write --svg {target}: No such file or directory\n"
    )


def test_real_process_exit_codes():
    ok = subprocess.run(
        [sys.executable, "-m", "descentlab", "graph", "(x + y) * z", "--at", "x=-2,y=5,z=-4"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, WORKED, "")
    bad = subprocess.run(
        [sys.executable, "-m", "descentlab", "graph", "__import__('os')"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.startswith(
        "descentlab graph: error: unknown function '__import__' at column 1"
    )
    assert bad.stderr.count("\n") == 1
