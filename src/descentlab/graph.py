"""Computation graphs: a safe expression parser and graph export.

``parse("(x + y) * z + max(x, w)", x=2, y=1, z=-3, w=4)`` builds engine Tensors from a small
grammar by walking the tree of Python's own ``ast`` module with a whitelist: nothing is ever
passed to ``eval`` or ``exec``, and the input is bounded (length, nesting, node count, literal
exponents) so no expression can hang the caller. ``trace(output)`` returns the graph behind a
Tensor as plain data (nodes with op, value and gradient; edges with the gradient that flows
back along each), exported as DOT, SVG or a JSON-ready dict.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from html import escape
from typing import TYPE_CHECKING

import numpy as np

import descentlab as dl
from descentlab.ops.base import unbroadcast
from descentlab.tensor import Tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

# Bounds on what parse() accepts: 500 characters hold any formula a person types, and keep
# ast.parse fast; the node count then binds before the depth for chains like a + b + c + ...
# (each operator nests one level), so the depth bound only meets true nesting (- - - x).
# Building the Tensors recurses once per level, far below Python's recursion limit.
MAX_LENGTH = 500
MAX_NODES = 300
MAX_DEPTH = 200
MAX_EXPONENT = 100.0


class ExpressionError(ValueError):
    """An expression outside the grammar, or values that do not fit it: one sentence saying
    what is wrong and at which column (counted from 1)."""


_BINARY_SYMBOLS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
}
_ALLOWED_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_UNARY_SYMBOLS = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not", ast.Invert: "~"}

# What the user wrote, in words, for syntax outside the grammar.
_SYNTAX_NAMES = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Slice: "slice",
    ast.Lambda: "lambda",
    ast.Compare: "comparison",
    ast.BoolOp: "boolean operator",
    ast.IfExp: "conditional expression",
    ast.NamedExpr: "assignment",
    ast.List: "list",
    ast.Tuple: "tuple",
    ast.Set: "set",
    ast.Dict: "dict",
    ast.ListComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "generator",
    ast.JoinedStr: "f-string",
    ast.Starred: "unpacking",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


# Each name calls the Tensor method of the same name.
_UNARY_FUNCTIONS = ("abs", "cos", "exp", "log", "relu", "sigmoid", "sin", "sqrt", "tanh")
_BINARY_FUNCTIONS = {"max": "maximum", "min": "minimum"}
FUNCTIONS: tuple[str, ...] = tuple(sorted(_UNARY_FUNCTIONS + tuple(_BINARY_FUNCTIONS)))
_GRAMMAR = f"numbers, variables, + - * / **, unary -, parentheses and {', '.join(FUNCTIONS)}"


def _at(node: ast.AST) -> str:
    return f"at column {node.col_offset + 1}"


def _segment(expr: str, node: ast.AST) -> str:
    return ast.get_source_segment(expr, node) or type(node).__name__


def _literal(node: ast.expr) -> float | None:
    """The value of a number literal, signs included (``-2``, ``+-3``), else None."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        try:
            return sign * float(node.value)
        except OverflowError:  # an int literal of more than 308 digits
            return sign * math.inf
    return None


def _check_syntax(expr: str) -> tuple[ast.expr, dict[str, int]]:
    """Parse ``expr`` with ``ast`` and check every node against the grammar, without values.

    Returns the root and each variable name with the column where it first appears.
    """
    if not isinstance(expr, str):
        raise TypeError(f"expression must be a str, received {type(expr).__name__}")
    if len(expr) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is too long: {len(expr)} characters (at most {MAX_LENGTH})"
        )
    if not expr.strip():
        raise ExpressionError("expression is empty")
    for i, char in enumerate(expr):
        # ASCII only: Python folds some Unicode letters into ASCII names (NFKC), and columns
        # in ast are counted in bytes; both are simple when every character is one byte.
        if not " " <= char <= "~":
            raise ExpressionError(
                f"unexpected character {char!r} at column {i + 1} "
                "(expressions use printable ASCII only)"
            )
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        offset = exc.offset or 0
        where = f"column {offset}" if 1 <= offset <= len(expr) else "the end of the expression"
        raise ExpressionError(f"syntax error at {where}: {exc.msg}") from None
    # Iterative pre-order walk, left to right, so the leftmost mistake is the one reported.
    count = 0
    names: dict[str, int] = {}
    stack: list[tuple[ast.expr, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(
                f"expression is too large: more than {MAX_NODES} numbers, names, operators "
                "and calls"
            )
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"expression is nested more than {MAX_DEPTH} levels deep {_at(node)}"
            )
        _check_node(expr, node)
        if isinstance(node, ast.Name):
            names.setdefault(node.id, node.col_offset + 1)
        stack.extend((child, depth + 1) for child in reversed(_operands(node)))
    return tree.body, names


def _operands(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _check_node(expr: str, node: ast.expr) -> None:
    """Raise ExpressionError if ``node`` itself is outside the grammar."""
    if isinstance(node, ast.Constant):
        if type(node.value) not in (int, float):
            kind = "string" if isinstance(node.value, str | bytes) else "constant"
            raise ExpressionError(
                f"unsupported {kind} {_segment(expr, node)!r} {_at(node)}; "
                f"expressions may use {_GRAMMAR}"
            )
        if not math.isfinite(_literal(node)):
            raise ExpressionError(
                f"number {_segment(expr, node)!r} {_at(node)} is too large for float64"
            )
        return
    if isinstance(node, ast.Name):
        if not node.id[0].isalpha():
            raise ExpressionError(
                f"name {node.id!r} {_at(node)} is not allowed (names start with a letter)"
            )
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            symbol = _UNARY_SYMBOLS.get(type(node.op), type(node.op).__name__)
            raise ExpressionError(
                f"unsupported operator {symbol!r} {_at(node)}; allowed: + - * / ** and unary -"
            )
        return
    if isinstance(node, ast.BinOp):
        symbol = _BINARY_SYMBOLS.get(type(node.op), type(node.op).__name__)
        if not isinstance(node.op, _ALLOWED_BINARY):
            # ast places a BinOp at its left operand: find the operator between the operands.
            column = expr.find(symbol, node.left.end_col_offset, node.right.col_offset) + 1
            raise ExpressionError(
                f"unsupported operator {symbol!r} at column {column}; "
                "allowed: + - * / ** and unary -"
            )
        exponent = _literal(node.right) if isinstance(node.op, ast.Pow) else None
        if exponent is not None and abs(exponent) > MAX_EXPONENT:
            raise ExpressionError(
                f"exponent {_segment(expr, node.right)} {_at(node.right)} is too large "
                f"(at most {MAX_EXPONENT:g} in absolute value)"
            )
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ExpressionError(
                f"unsupported call {_segment(expr, node)!r} {_at(node)}; "
                f"only these functions can be called: {', '.join(FUNCTIONS)}"
            )
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExpressionError(
                f"unknown function {name!r} {_at(node)}; allowed: {', '.join(FUNCTIONS)}"
            )
        if node.keywords:
            raise ExpressionError(f"function {name!r} {_at(node)} takes no keyword arguments")
        for arg in node.args:
            if isinstance(arg, ast.Starred):  # before counting: max(*x) has "one" argument
                _check_node(expr, arg)
        arity = 2 if name in _BINARY_FUNCTIONS else 1
        if len(node.args) != arity:
            plural = "s" if arity > 1 else ""
            raise ExpressionError(
                f"function {name!r} {_at(node)} takes {arity} argument{plural} "
                f"(got {len(node.args)})"
            )
        return
    kind = _SYNTAX_NAMES.get(type(node), type(node).__name__.lower())
    raise ExpressionError(
        f"unsupported syntax {_segment(expr, node)!r} ({kind}) {_at(node)}; "
        f"expressions may use {_GRAMMAR}"
    )


def variable_names(expr: str) -> tuple[str, ...]:
    """The variables ``expr`` uses, in order of first appearance; checks the whole grammar.

    >>> variable_names("(x + y) * z + max(x, w)")
    ('x', 'y', 'z', 'w')
    """
    return tuple(_check_syntax(expr)[1])


@dataclass(frozen=True)
class ParsedExpression:
    """What :func:`parse` builds.

    Attributes:
        source: the expression text.
        output: the Tensor the expression evaluates to (float64).
        variables: each variable name mapped to its leaf Tensor, in order of first
            appearance; after ``backward()``, ``variables["x"].grad`` holds d(output)/dx.
    """

    source: str
    output: Tensor
    variables: dict[str, Tensor]

    def backward(self) -> None:
        """``output.backward()``: fills ``.grad`` of every variable."""
        self.output.backward()

    def item(self) -> float:
        return float(self.output.item())


def parse(expr: str, /, **values: ArrayLike | Tensor) -> ParsedExpression:
    """Build the computation ``expr`` describes out of engine Tensors.

    The grammar: int and float literals, variable names, ``+ - * / **``, unary ``-`` and
    ``+``, parentheses, and calls to the functions in :data:`FUNCTIONS` (``max`` and
    ``min`` take two arguments, the rest one). Each variable needs a value: a number or an
    array becomes a float64 leaf with ``requires_grad=True``; a Tensor is used as given, so
    the caller can hold its own leaves. Values the expression does not use are ignored.
    Each number literal becomes a constant leaf (``-3`` is the constant -3, not a negation);
    a part made of constants only, such as ``2 * 3``, is computed at once and stays one
    constant, since the engine records only what needs a gradient.

    >>> f = parse("(x + y) * z", x=-2, y=5, z=-4)
    >>> f.backward()
    >>> f.item(), [float(t.grad) for t in f.variables.values()]
    (-12.0, [-4.0, -4.0, 3.0])

    Raises:
        ExpressionError: ``expr`` is outside the grammar or its bounds, or a variable has no
            usable value; the message is one sentence with the column (counted from 1).
    """
    root, columns = _check_syntax(expr)
    variables: dict[str, Tensor] = {}
    for name, column in columns.items():
        if name not in values:
            if name in FUNCTIONS:
                raise ExpressionError(
                    f"{name!r} at column {column} is a function: call it as {name}(...)"
                )
            given = ", ".join(sorted(values)) if values else "none"
            raise ExpressionError(
                f"unknown variable {name!r} at column {column}; values were given for: {given}"
            )
        variables[name] = _variable(name, values[name])
    with np.errstate(all="ignore"):
        output = _build(root, variables)
    return ParsedExpression(expr, output, variables)


def _variable(name: str, value: object) -> Tensor:
    if isinstance(value, Tensor):
        return value
    try:
        if isinstance(value, str | bytes):
            raise TypeError
        data = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ExpressionError(
            f"value of {name!r} must be a number or an array of numbers, received {value!r}"
        ) from None
    return dl.tensor(data, requires_grad=True, dtype=np.float64)


_BINARY_OPS: dict[type, Callable[[Tensor, Tensor], Tensor]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def _build(node: ast.expr, variables: Mapping[str, Tensor]) -> Tensor:
    """Evaluate a checked tree; recursion is bounded by MAX_DEPTH."""
    value = _literal(node)
    if value is not None:
        return dl.tensor(value, dtype=np.float64)
    if isinstance(node, ast.Name):
        return variables[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _build(node.operand, variables)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = _build(node.left, variables), _build(node.right, variables)
        return _BINARY_OPS[type(node.op)](left, right)
    assert isinstance(node, ast.Call), f"unchecked node {ast.dump(node)}"
    name = node.func.id
    args = [_build(arg, variables) for arg in node.args]
    if name in _BINARY_FUNCTIONS:
        return getattr(dl, _BINARY_FUNCTIONS[name])(*args)
    return getattr(args[0], name)()


# ================================================================== tracing
_SYMBOLS = {
    "add": "+",
    "sub": "-",
    "mul": "*",
    "div": "/",
    "pow": "**",
    "neg": "-",
    "maximum": "max",
    "minimum": "min",
    "matmul": "@",
}


@dataclass(frozen=True)
class Node:
    """One tensor of a traced graph.

    Attributes:
        id: index in a topological order (every node after its inputs, the output last);
            the same computation always gets the same ids.
        op: ``"input"`` for a leaf that requires grad, ``"const"`` for one that does not,
            else the name of the op that made it (``"add"``, ``"mul"``, ``"maximum"``, ...).
        label: what to print on the node: the variable's name, the constant's value, or
            the op's symbol (``"+"``, ``"*"``, ``"max"``).
        shape: the tensor's shape; ``()`` for a scalar.
        value: the forward value: a float for a scalar, else nested lists.
        grad: d(output)/d(this node) in the same form, or None where no gradient was
            computed (constants, or ``trace(..., backward=False)`` before any backward).
    """

    id: int
    op: str
    label: str
    shape: tuple[int, ...]
    value: float | list
    grad: float | list | None


@dataclass(frozen=True)
class Edge:
    """Input ``src`` is argument number ``index`` of the op node ``dst``.

    ``grad`` is the part of d(output)/d(src) that flows back along this edge alone: the
    upstream gradient of ``dst`` times the local derivative d(dst)/d(src). The edges
    leaving a node add up to that node's ``grad`` (a variable used twice gets two parts).
    """

    src: int
    dst: int
    index: int
    grad: float | list | None


@dataclass(frozen=True)
class Graph:
    """A computation graph as plain data (see :func:`trace`); ``nodes[-1]`` is the output."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    @property
    def output(self) -> Node:
        return self.nodes[-1]

    def to_dict(self) -> dict:
        """``{"nodes": [...], "edges": [...], "output": id}`` of plain lists, floats and str,
        ready for ``json.dumps``; NaN and Inf stay floats (strict JSON writers map them)."""
        nodes = [{**asdict(n), "shape": list(n.shape)} for n in self.nodes]
        return {"nodes": nodes, "edges": [asdict(e) for e in self.edges], "output": self.output.id}

    def to_dot(self) -> str:
        """Graphviz DOT text: inputs on the left, the output on the right."""
        lines = [
            "digraph computation {",
            "  rankdir=LR;",
            '  node [shape=box, style="rounded,filled", fillcolor="#f8f9fa", '
            'fontname="Helvetica", fontsize=11];',
            '  edge [fontname="Helvetica", fontsize=10, fontcolor="#d9480f"];',
        ]
        for node in self.nodes:
            label = "\\n".join(_dot_escape(line) for line in _node_lines(node))
            shape = ', shape=ellipse, fillcolor="#e7f5ff"' if node.op == "input" else ""
            if node.op == "const":
                shape = ', shape=plain, style=""'
            lines.append(f'  n{node.id} [label="{label}"{shape}];')
        for edge in self.edges:
            label = "" if edge.grad is None else f' [label="{_dot_escape(_fmt(edge.grad))}"]'
            lines.append(f"  n{edge.src} -> n{edge.dst}{label};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def to_svg(self) -> str:
        """A standalone SVG drawing (no Graphviz needed): inputs on the left, values in
        green, gradients in orange, each edge labelled with the gradient it carries back."""
        return _svg(self)


def trace(
    output: Tensor | ParsedExpression,
    *,
    names: Mapping[str, Tensor] | None = None,
    backward: bool = True,
) -> Graph:
    """The computation graph behind ``output`` as plain data, with values and gradients.

    Args:
        output: a Tensor (its graph must not have been freed by an earlier backward), or
            what :func:`parse` returned, whose variables then name the input nodes.
        names: labels for leaf tensors, e.g. ``dict(model.named_parameters())``.
        backward: run ``output.backward(retain_graph=True)`` (output must then have one
            element) after asking every inner node to retain its gradient, so every node
            gets ``grad`` and every edge its part. Like any backward(), it adds to the
            ``.grad`` the leaves already hold. With False, grads are whatever the tensors
            hold and edges carry none.

    >>> graph = trace(parse("(x + y) * z", x=-2, y=5, z=-4))
    >>> [(n.label, n.value, n.grad) for n in graph.nodes]
    [('x', -2.0, -4.0), ('y', 5.0, -4.0), ('+', 3.0, -4.0), ('z', -4.0, 3.0), ('*', -12.0, 1.0)]
    """
    if isinstance(output, ParsedExpression):
        names = {**output.variables, **(names or {})}
        output = output.output
    if not isinstance(output, Tensor):
        raise TypeError(f"trace: output must be a Tensor, received {type(output).__name__}")
    label_of = {id(t): name for name, t in (names or {}).items()}
    order = _graph_order(output)
    parts: dict[tuple[int, int], np.ndarray] = {}  # (id of op output, argument) -> part
    if backward and output.requires_grad:
        for t in order:
            if t._ctx is not None:
                t.retain_grad()
        with np.errstate(all="ignore"):
            output.backward(retain_graph=True)
            for t in order:
                if t._ctx is not None and t._grad is not None:
                    parts.update(_edge_parts(t))
    ids = {id(t): i for i, t in enumerate(order)}
    nodes, edges = [], []
    for i, t in enumerate(order):
        if t._ctx is None:
            op = "input" if t.requires_grad else "const"
            label = label_of.get(id(t), op if op == "input" else _fmt(_plain(t._data)))
        else:
            op = t._ctx.name
            label = _SYMBOLS.get(op, op)
            for k, parent in enumerate(t._ctx.parents):
                part = parts.get((id(t), k))
                edges.append(Edge(ids[id(parent)], i, k, None if part is None else _plain(part)))
        grad = None if t._grad is None else _plain(t._grad._data)
        nodes.append(Node(i, op, label, tuple(t.shape), _plain(t._data), grad))
    return Graph(tuple(nodes), tuple(edges))


def _graph_order(root: Tensor) -> list[Tensor]:
    """Every tensor of the graph (constants too), each after its inputs, by an iterative
    depth-first search that visits inputs in argument order."""
    order: list[Tensor] = []
    expanded: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        # Marked when expanded, not when pushed: a tensor reached again deeper down must
        # still come out before the op that reached it.
        if id(t) in expanded:
            continue
        expanded.add(id(t))
        stack.append((t, True))
        if t._ctx is None:
            continue
        if t._ctx.parents is None:
            raise ValueError(
                f"trace: the graph through '{t._ctx.name}' was freed by backward(); trace "
                "before calling backward (trace runs it), or use backward(retain_graph=True)"
            )
        stack.extend((p, False) for p in reversed(t._ctx.parents) if id(p) not in expanded)
    return order


def _edge_parts(t: Tensor) -> dict[tuple[int, int], np.ndarray]:
    """What t's op sends back to each of its inputs (the engine's own backward, replayed)."""
    ctx = t._ctx
    grads = ctx.backward(ctx, t._grad._data)
    parts = {}
    for k, (parent, grad) in enumerate(zip(ctx.parents, grads)):
        if grad is not None and parent.requires_grad:
            parts[(id(t), k)] = unbroadcast(np.asarray(grad), parent.shape)
    return parts


def _plain(array: np.ndarray) -> float | list:
    array = np.asarray(array)
    return float(array) if array.ndim == 0 else array.astype(np.float64).tolist()


def _fmt(value: float | list) -> str:
    if isinstance(value, list):
        flat = np.asarray(value, dtype=np.float64)
        if flat.size > 4:
            return "array" + str(flat.shape).replace(" ", "")
        return "[" + ", ".join(f"{v:.4g}" for v in flat.ravel()) + "]"
    return f"{value:.4g}"


def _node_lines(node: Node) -> list[str]:
    lines = [node.label]
    if node.op != "const":
        lines.append(f"value {_fmt(node.value)}")
    if node.grad is not None:
        lines.append(f"grad {_fmt(node.grad)}")
    return lines


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


# ==================================================================== SVG
_CHAR_WIDTH, _LINE_HEIGHT, _PAD, _GAP_X, _GAP_Y, _LANE = 7.0, 16.0, 8.0, 80.0, 18.0, 8.0
_FILL = {"input": "#e7f5ff", "const": "#fff9db"}
_TEXT_COLOR = {"value": "#2b8a3e", "grad": "#d9480f"}

# A column of the drawing holds nodes (their ids) and bends (edge number, column) where an
# edge that skips columns passes through, so no edge is drawn across a node.
_Item = int | tuple[int, int]


def _layers(graph: Graph) -> list[int]:
    """Column of each node: inputs at 0, an op one right of its right-most input, and a
    constant just left of the first op that uses it (so it sits beside it)."""
    parents: dict[int, list[int]] = {}
    users: dict[int, list[int]] = {}
    for edge in graph.edges:
        parents.setdefault(edge.dst, []).append(edge.src)
        users.setdefault(edge.src, []).append(edge.dst)
    layer = [0] * len(graph.nodes)
    for node in graph.nodes:
        if node.id in parents:
            layer[node.id] = 1 + max(layer[p] for p in parents[node.id])
    for node in graph.nodes:
        if node.op == "const" and node.id in users:
            layer[node.id] = max(0, min(layer[u] for u in users[node.id]) - 1)
    return layer


def _arrange(graph: Graph) -> tuple[list[list[_Item]], list[list[_Item]]]:
    """The columns, ordered to cut crossings (two barycentre sweeps each way, as in
    Sugiyama's layered drawing), and each edge's route from its source to its target."""
    layer = _layers(graph)
    columns: list[list[_Item]] = [[] for _ in range(max(layer) + 1)]
    for node in graph.nodes:
        columns[layer[node.id]].append(node.id)
    before: dict[_Item, list[_Item]] = {}
    after: dict[_Item, list[_Item]] = {}
    routes = []
    for k, edge in enumerate(graph.edges):
        bends = [(k, c) for c in range(layer[edge.src] + 1, layer[edge.dst])]
        for bend in bends:
            columns[bend[1]].append(bend)
        route = [edge.src, *bends, edge.dst]
        for a, b in zip(route, route[1:]):
            after.setdefault(a, []).append(b)
            before.setdefault(b, []).append(a)
        routes.append(route)
    # Column 0 keeps the inputs in the order the expression names them.
    last = len(columns) - 1
    for _ in range(2):
        for c in range(1, last + 1):
            columns[c] = _reorder(columns[c], columns[c - 1], before)
        for c in range(last - 1, 0, -1):
            columns[c] = _reorder(columns[c], columns[c + 1], after)
    return columns, routes


def _reorder(
    column: list[_Item], adjacent: list[_Item], neighbours: dict[_Item, list[_Item]]
) -> list[_Item]:
    """Sort a column by the mean position of each item's neighbours in the adjacent one."""
    position = {item: i for i, item in enumerate(adjacent)}

    def key(i: int) -> tuple[float, int]:
        near = [position[n] for n in neighbours.get(column[i], ()) if n in position]
        return (sum(near) / len(near) if near else i), i

    return [column[i] for i in sorted(range(len(column)), key=key)]


def _svg(graph: Graph) -> str:
    lines = {n.id: _node_lines(n) for n in graph.nodes}
    size = {
        i: (max(len(s) for s in ls) * _CHAR_WIDTH + 2 * _PAD, len(ls) * _LINE_HEIGHT + _PAD)
        for i, ls in lines.items()
    }
    columns, routes = _arrange(graph)
    heights = [
        sum(size[i][1] if isinstance(i, int) else _LANE for i in col) + _GAP_Y * (len(col) - 1)
        for col in columns
    ]
    total_height = max(heights) + 2 * _GAP_Y
    box: dict[_Item, tuple[float, float, float, float]] = {}  # x, y, width, height
    x = _GAP_Y
    for col, height in zip(columns, heights):
        width = max(size[i][0] for i in col if isinstance(i, int))
        y = (total_height - height) / 2
        for item in col:
            # A bend runs straight across its column, between its two curves.
            w, h = size[item] if isinstance(item, int) else (width, _LANE)
            box[item] = (x + (width - w) / 2, y, w, h)
            y += h + _GAP_Y
        x += width + _GAP_X
    total_width = x - _GAP_X + _GAP_Y

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width:.0f}" '
        f'height="{total_height:.0f}" viewBox="0 0 {total_width:.0f} {total_height:.0f}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="12">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#868e96"/></marker></defs>',
    ]
    arity: dict[int, int] = {}
    for edge in graph.edges:
        arity[edge.dst] = max(arity.get(edge.dst, 0), edge.index + 1)
    for edge, route in zip(graph.edges, routes):
        sx, sy, sw, sh = box[edge.src]
        dx, dy, _, dh = box[edge.dst]
        # The inputs of one op meet its left side spread out, in argument order.
        end = (dx, dy + dh * (edge.index + 1) / (arity[edge.dst] + 1))
        points = [(sx + sw, sy + sh / 2)]
        for bend in route[1:-1]:
            bx, by, bw, bh = box[bend]
            points += [(bx, by + bh / 2), (bx + bw, by + bh / 2)]
        points.append(end)
        path = [f"M {points[0][0]:.1f} {points[0][1]:.1f}"]
        for k in range(0, len(points) - 1, 2):
            (x0, y0), (x1, y1) = points[k], points[k + 1]
            mid = (x0 + x1) / 2
            path.append(f"C {mid:.1f} {y0:.1f}, {mid:.1f} {y1:.1f}, {x1:.1f} {y1:.1f}")
            if k + 2 < len(points):
                path.append(f"L {points[k + 2][0]:.1f} {points[k + 2][1]:.1f}")
        out.append(
            f'<path d="{" ".join(path)}" fill="none" stroke="#868e96" stroke-width="1.2" '
            'marker-end="url(#arrow)"/>'
        )
        if edge.grad is not None:
            out.append(
                f'<text x="{end[0] - 9:.1f}" y="{end[1] - 3:.1f}" text-anchor="end" '
                f'fill="{_TEXT_COLOR["grad"]}" font-size="10" stroke="white" '
                f'stroke-width="3" paint-order="stroke">{escape(_fmt(edge.grad))}</text>'
            )
    for node in graph.nodes:
        x, y, w, h = box[node.id]
        radius = h / 2 if node.op == "input" else 6
        stroke = 2.2 if node.id == graph.output.id else 1.0
        out.append(f"<g><title>{escape(node.op)} {escape(str(node.shape))}</title>")
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'rx="{radius:.1f}" fill="{_FILL.get(node.op, "#f8f9fa")}" stroke="#495057" '
            f'stroke-width="{stroke}"/>'
        )
        for k, text in enumerate(lines[node.id]):
            color = _TEXT_COLOR.get(text.split(" ", 1)[0], "#212529") if k else "#212529"
            weight = ' font-weight="bold"' if k == 0 else ""
            out.append(
                f'<text x="{x + w / 2:.1f}" y="{y + _PAD / 2 + (k + 0.75) * _LINE_HEIGHT:.1f}" '
                f'text-anchor="middle" fill="{color}"{weight}>{escape(text)}</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
