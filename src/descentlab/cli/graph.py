"""``descentlab graph "EXPR" --at x=-2,y=5,z=-4``: forward and backward through an expression.

Prints every node of the computation graph with its forward value and its gradient, then
f and df/d(variable) for each variable; ``--dot``, ``--svg`` and ``--json`` write the graph.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from descentlab.cli import UsageError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "graph",
        help="trace an expression: each node's value and gradient, as a table, DOT or SVG",
        description=(
            "Build the computation graph of EXPR (numbers, variables, + - * / **, unary -, "
            "and the functions abs cos exp log max min relu sigmoid sin sqrt tanh), run the "
            "forward and backward passes, and print each node's value and gradient."
        ),
        epilog='example: descentlab graph "(x + y) * z" --at x=-2,y=5,z=-4 --svg graph.svg',
    )
    parser.add_argument("expression", metavar="EXPR", help='e.g. "(x + y) * z + max(x, w)"')
    parser.add_argument(
        "--at",
        action="append",
        default=[],
        metavar="NAME=VALUE,...",
        help="the variables' values, e.g. x=-2,y=5,z=-4 (may be repeated)",
    )
    parser.add_argument("--dot", type=Path, metavar="FILE", help="write the graph as DOT")
    parser.add_argument("--svg", type=Path, metavar="FILE", help="write the graph as SVG")
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="write the graph as JSON (NaN and Inf as null)"
    )
    parser.set_defaults(func=run)


def parse_assignments(items: list[str]) -> dict[str, float]:
    """``["x=-2,y=5", "z=1e-3"]`` -> ``{"x": -2.0, "y": 5.0, "z": 0.001}``."""
    values: dict[str, float] = {}
    for item in items:
        for part in item.split(","):
            name, sep, text = (s.strip() for s in part.partition("="))
            if not sep or not name.isidentifier() or not text:
                raise UsageError(f"--at: expected NAME=NUMBER, received {part.strip()!r}")
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise UsageError(f"--at: {name} must be a finite number, received {text!r}")
            if name in values:
                raise UsageError(f"--at: {name} is given twice")
            values[name] = value
    return values


def run(args: argparse.Namespace) -> int:
    from descentlab import graph

    values = parse_assignments(args.at)
    try:
        names = graph.variable_names(args.expression)
    except graph.ExpressionError as exc:
        raise UsageError(str(exc)) from None
    missing = [n for n in names if n not in values]
    if missing:
        wanted = ",".join(f"{n}=..." for n in missing)
        raise UsageError(
            f"no value for {', '.join(missing)}: add --at {wanted} "
            f"(the expression uses {', '.join(names)})"
        )
    unused = [n for n in values if n not in names]
    if unused:
        uses = ", ".join(names) if names else "no variables"
        raise UsageError(
            f"--at gives {', '.join(unused)}, which the expression does not use (it uses {uses})"
        )
    try:
        parsed = graph.parse(args.expression, **values)
    except graph.ExpressionError as exc:
        raise UsageError(str(exc)) from None
    traced = graph.trace(parsed)
    written = _write_outputs(args, traced)
    print(_report(args.expression, parsed, traced, values))
    for flag, path in written:
        print(f"wrote {flag[2:].upper()}: {path}")
    return 0


def _write_outputs(args: argparse.Namespace, traced: Any) -> list[tuple[str, Path]]:
    """Write the files asked for; returns ``(flag, path)`` of each one written."""
    outputs = [
        ("--dot", args.dot, traced.to_dot),
        ("--svg", args.svg, traced.to_svg),
        ("--json", args.json, lambda: json.dumps(_strict(traced.to_dict()), indent=1) + "\n"),
    ]
    written = []
    for flag, path, render in outputs:
        if path is None:
            continue
        try:
            path.write_text(render(), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {flag} {path}: {exc.strerror or exc}") from None
        written.append((flag, path))
    return written


def _strict(data: Any) -> Any:
    """JSON has no NaN or Infinity: write them as null, as Plotly and Dash do."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, list):
        return [_strict(v) for v in data]
    if isinstance(data, dict):
        return {k: _strict(v) for k, v in data.items()}
    return data


def _number(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _report(expression: str, parsed: Any, traced: Any, values: dict[str, float]) -> str:
    at = ", ".join(f"{n}={_number(v)}" for n, v in values.items())
    inputs: dict[int, list[str]] = {}
    for edge in traced.edges:
        inputs.setdefault(edge.dst, []).append(f"n{edge.src}")
    header = ("node", "op", "label", "inputs", "value", "grad")
    rows = [header] + [
        (
            f"n{n.id}",
            n.op,
            n.label,
            " ".join(inputs.get(n.id, [])) or "-",
            _number(n.value),
            _number(n.grad),
        )
        for n in traced.nodes
    ]
    widths = [max(len(row[k]) for row in rows) for k in range(len(header))]
    lines = [f"f = {expression}" + (f"   at {at}" if at else ""), ""]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines += ["", f"f = {_number(parsed.item())}"]
    for name, leaf in parsed.variables.items():
        lines.append(f"df/d{name} = {_number(None if leaf.grad is None else float(leaf.grad))}")
    return "\n".join(lines)
