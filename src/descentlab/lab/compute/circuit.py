"""Circuits: an expression's computation graph, its forward values and backward gradients, and
the stages of stepping through both passes gate by gate.

``build_circuit("(x + y) * z", {"x": -2, "y": 5, "z": -4})`` parses the expression with the
engine's safe grammar (:func:`descentlab.graph.parse`), runs ``backward`` from the output, and
reads the graph back with :func:`descentlab.graph.trace`. The result lists the nodes in
topological order (every node after its inputs) and the edges with the gradient each carries
back: a variable used twice, as ``x`` in ``(x + y) * z + max(x, w)``, has two edges whose
contributions add up to its gradient (the multivariate chain rule).

Stepping (:func:`stage_view`): stage 0 shows the inputs only; each of the next ``n`` stages
computes one gate forward (``n`` = number of gates); then one stage seeds ``df/df = 1`` at the
output; then each of ``n`` stages fires one gate backward, in reverse topological order, sending
``upstream * local gradient`` along each of its input edges. A node's gradient on screen is the
sum of the contributions that have reached it so far.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from descentlab import graph

__all__ = [
    "MAX_VARIABLES",
    "STAGE_NAMES",
    "Circuit",
    "CircuitEdge",
    "CircuitNode",
    "StageView",
    "build_circuit",
    "check_values",
    "error_sentence",
    "next_stage",
    "fmt",
    "stage_view",
    "variable_paths",
    "variables_of",
]

MAX_VARIABLES = 8
MAX_GATES = 40  # a graph this size still reads on one screen
VALUE_LIMIT = 1e6

_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}


def fmt(value: float | None) -> str:
    """A number as the lab shows it: up to 6 significant digits, ``-0`` written ``0``."""
    if value is None:
        return ""
    value = float(value)
    if not np.isfinite(value):
        return "nan" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    return f"{value + 0.0:.6g}"


def error_sentence(exc: Exception) -> str:
    """One sentence for the page: capitalised and ending with a full stop."""
    text = str(exc).strip() or type(exc).__name__
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


@dataclass(frozen=True)
class CircuitNode:
    """One node: a variable, a constant or a gate.

    ``name`` is what the page calls it (``x``, ``q``, ``f``); ``op`` the engine's op name
    (``"add"``, ``"mul"``, ``"maximum"``...) or ``"input"``/``"const"`` for leaves;
    ``formula`` the gate in terms of its inputs' names (``"x + y"``); ``parents`` the ids of its
    inputs in order; ``grad`` is ``df/dnode`` (None for constants).
    """

    id: str
    name: str
    op: str
    formula: str
    value: float
    grad: float | None
    parents: tuple[str, ...]

    @property
    def is_gate(self) -> bool:
        return bool(self.parents)


@dataclass(frozen=True)
class CircuitEdge:
    """An input edge ``source -> target``; ``grad`` is what flows back along it:
    ``df/dtarget * dtarget/dsource``."""

    source: str
    target: str
    grad: float | None


@dataclass(frozen=True)
class Circuit:
    expression: str
    values: dict[str, float]
    nodes: tuple[CircuitNode, ...]  # topological order: every node after its parents
    edges: tuple[CircuitEdge, ...]
    output: str

    @property
    def gates(self) -> tuple[CircuitNode, ...]:
        return tuple(node for node in self.nodes if node.is_gate)

    @property
    def n_stages(self) -> int:
        """Stages 0..n_stages-1: inputs, n forward steps, the seed, n backward steps."""
        return 2 * len(self.gates) + 2

    def node(self, node_id: str) -> CircuitNode:
        return next(node for node in self.nodes if node.id == node_id)

    def contributions(self) -> dict[str, list[tuple[str, float]]]:
        """For each variable reached along more than one edge: (gate name, contribution)."""
        return {
            name: [(gate, grad or 0.0) for gate, _, grad in parts]
            for name, parts, _ in variable_paths(self, stage_view(self, self.n_stages - 1))
        }


def variable_paths(
    circuit: Circuit, view: StageView
) -> list[tuple[str, list[tuple[str, str, float | None]], float | None]]:
    """The variables that feed more than one gate, with what has flowed back along each path.

    Returns ``(name, [(gate name, gate formula, contribution or None)], total)`` per such
    variable, where ``total`` (the sum, its gradient) is set once every path has flowed.
    """
    names = {node.id: node for node in circuit.nodes}
    out = []
    for node in circuit.nodes:
        if node.op != "input":
            continue
        edges = [i for i, edge in enumerate(circuit.edges) if edge.source == node.id]
        if len(edges) < 2:
            continue
        parts = [
            (
                names[circuit.edges[i].target].name,
                names[circuit.edges[i].target].formula,
                view.edge_grads[i],
            )
            for i in edges
        ]
        done = all(grad is not None for _, _, grad in parts)
        out.append((node.name, parts, view.grads[node.id] if done else None))
    return out


def variables_of(expression: str) -> tuple[str, ...]:
    """The variable names of ``expression`` in order of first appearance.

    Raises:
        ValueError: the expression is outside the grammar or uses too many variables.
    """
    names = graph.variable_names(expression)
    if len(names) > MAX_VARIABLES:
        raise ValueError(
            f"The expression uses {len(names)} variables ({', '.join(names)}); "
            f"the lab allows at most {MAX_VARIABLES}."
        )
    return names


def check_values(names: tuple[str, ...], values: Mapping[str, object]) -> dict[str, float]:
    """The values of ``names`` as floats, each finite and within +-1e6, or one ValueError."""
    out = {}
    for name in names:
        value = values.get(name)
        if value is None or value == "":
            raise ValueError(f"Variable {name} has no value: enter a number.")
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"Variable {name} must be a number (received {value!r}).") from None
        if not np.isfinite(number) or abs(number) > VALUE_LIMIT:
            raise ValueError(
                f"Variable {name} must be between {-VALUE_LIMIT:g} and {VALUE_LIMIT:g} "
                f"(received {number:g})."
            )
        out[name] = number
    return out


def _formula(op: str, args: list[str]) -> str:
    if op in _SYMBOLS and len(args) == 2:
        return f"{_paren(args[0])} {_SYMBOLS[op]} {_paren(args[1])}"
    if op == "neg" and len(args) == 1:
        return f"-{_paren(args[0])}"
    function = {"maximum": "max", "minimum": "min"}.get(op, op)
    return f"{function}({', '.join(args)})"


def build_circuit(expression: str, values: Mapping[str, object]) -> Circuit:
    """Parse ``expression``, evaluate it at ``values`` and backpropagate from its output.

    Args:
        expression: an expression in the engine's safe grammar (see descentlab.graph).
        values: a number for every variable of the expression (others are ignored).

    Raises:
        ValueError: the expression does not parse, a value is missing or out of range, the
            graph has more than 40 gates, or a value along the way is not a finite number.
    """
    names = variables_of(expression)
    numbers = check_values(names, values)
    with np.errstate(all="ignore"):
        traced = graph.trace(graph.parse(expression, **numbers))
    circuit = _from_trace(expression, numbers, traced)
    if len(circuit.gates) > MAX_GATES:
        raise ValueError(
            f"The expression has {len(circuit.gates)} gates; the lab draws at most {MAX_GATES}."
        )
    for node in circuit.nodes:
        if not np.isfinite(node.value):
            raise ValueError(
                f"At these inputs {node.name} = {node.formula} is {fmt(node.value)}: "
                "an input is outside the domain of a function (log or sqrt of a negative "
                "number, a division by zero) or a value overflowed."
            )
    return circuit


def _from_trace(expression: str, values: dict[str, float], traced: graph.Graph) -> Circuit:
    """Name the traced nodes as the course does: variables by name, gates q (or q1, q2...)
    in forward order, and the output f."""
    output_id = traced.nodes[-1].id
    parents: dict[int, list[tuple[int, int]]] = {}
    for edge in traced.edges:
        parents.setdefault(edge.dst, []).append((edge.index, edge.src))
    order = _topological(traced.nodes, parents)
    if len(order) != len(traced.nodes):
        raise ValueError("The traced graph has nodes that do not lead to its output.")
    inner = [n.id for n in order if n.op not in ("input", "const") and n.id != output_id]
    gate_names = {i: ("q" if len(inner) == 1 else f"q{k + 1}") for k, i in enumerate(inner)}
    gate_names[output_id] = "f"
    name_of: dict[int, str] = {}
    nodes = []
    for node in order:
        inputs = tuple(src for _, src in sorted(parents.get(node.id, [])))
        if node.op in ("input", "const"):
            name = node.label
            formula = name
        else:
            name = gate_names[node.id]
            formula = _formula(node.op, [name_of[src] for src in inputs])
        name_of[node.id] = name
        grad = None if node.grad is None else float(node.grad)
        nodes.append(
            CircuitNode(
                f"n{node.id}",
                name,
                node.op,
                formula,
                float(node.value),
                grad,
                tuple(f"n{src}" for src in inputs),
            )
        )
    edges = tuple(
        CircuitEdge(f"n{e.src}", f"n{e.dst}", None if e.grad is None else float(e.grad))
        for e in traced.edges
    )
    return Circuit(expression, dict(values), tuple(nodes), edges, f"n{output_id}")


def _topological(nodes, parents: dict[int, list[tuple[int, int]]]) -> list:
    """Every node after its inputs, by a depth-first walk from the output that visits inputs
    in argument order, so variables come in the order the expression uses them."""
    by_id = {node.id: node for node in nodes}
    placed: set[int] = set()
    order = []
    for node in nodes[-1:]:
        stack = [(node.id, False)]
        while stack:
            node_id, expanded = stack.pop()
            if node_id in placed:
                continue
            if expanded:
                placed.add(node_id)
                order.append(by_id[node_id])
                continue
            stack.append((node_id, True))
            for _, src in sorted(parents.get(node_id, []), reverse=True):
                if src not in placed:
                    stack.append((src, False))
    return order


def _paren(text: str) -> str:
    """A negative number in a formula gets parentheses: ``x * (-3)``."""
    return f"({text})" if text.startswith("-") else text


@dataclass(frozen=True)
class StageView:
    """What the page shows at one stage of stepping through a circuit.

    ``values[id]`` is the node's value once computed (None before); ``grads[id]`` the sum of
    the gradient contributions it has received (None before any); ``edge_grads[i]`` the
    contribution on edge ``i`` once it has flowed; ``active`` the gate that just fired.
    """

    stage: int
    n_stages: int
    phase: str  # "inputs", "forward", "seed", "backward"
    values: dict[str, float | None]
    grads: dict[str, float | None]
    edge_grads: list[float | None]
    active: str | None
    message: str


STAGE_NAMES = ("inputs", "forward", "backward")


def clamp_stage(circuit: Circuit, stage: object) -> int:
    """``stage`` kept within 0..n_stages-1: a whole number, or a name from an address
    (``"inputs"`` is 0, ``"forward"`` the end of the forward pass, ``"backward"`` the end of
    the backward pass); anything else is 0."""
    if stage == "forward":
        return len(circuit.gates)
    if stage == "backward":
        return circuit.n_stages - 1
    if isinstance(stage, str) and stage.isdigit() and len(stage) < 6:
        stage = int(stage)
    if isinstance(stage, bool) or not isinstance(stage, int | float) or stage != stage:
        return 0
    return int(max(0, min(stage, circuit.n_stages - 1)))


def stage_view(circuit: Circuit, stage: int) -> StageView:
    """The values, gradients and narration visible after ``stage`` steps (clamped)."""
    stage = clamp_stage(circuit, stage)
    gates = circuit.gates
    n = len(gates)
    names = {node.id: node.name for node in circuit.nodes}
    forward_done = min(stage, n)
    computed = {node.id for node in circuit.nodes if not node.is_gate}
    computed |= {gate.id for gate in gates[:forward_done]}
    values = {node.id: (node.value if node.id in computed else None) for node in circuit.nodes}

    grads: dict[str, float | None] = {node.id: None for node in circuit.nodes}
    edge_grads: list[float | None] = [None] * len(circuit.edges)
    fired: list[CircuitNode] = []
    if stage > n:
        grads[circuit.output] = 1.0
        fired = list(reversed(gates))[: stage - n - 1]
        for gate in fired:
            for i, edge in enumerate(circuit.edges):
                if edge.target == gate.id and edge.grad is not None:
                    edge_grads[i] = edge.grad
                    grads[edge.source] = (grads[edge.source] or 0.0) + edge.grad

    active = None
    if stage == 0:
        phase = "inputs"
        shown = ", ".join(
            f"{node.name} = {fmt(node.value)}" for node in circuit.nodes if node.op == "input"
        )
        message = f"Inputs: {shown}. Press Forward or Step to compute the gates."
    elif stage <= n:
        phase = "forward"
        gate = gates[stage - 1]
        active = gate.id
        inputs = _formula(gate.op, [fmt(circuit.node(p).value) for p in gate.parents])
        message = (
            f"Forward {stage}/{n}: {gate.name} = {gate.formula} = {inputs} = {fmt(gate.value)}."
        )
    elif stage == n + 1:
        phase = "seed"
        active = circuit.output
        out = names[circuit.output]
        message = (
            f"Backward starts at the output: d{out}/d{out} = 1. "
            "Press Step to send it back gate by gate."
        )
    else:
        phase = "backward"
        gate = fired[-1]
        active = gate.id
        out = names[circuit.output]
        sent = "; ".join(
            f"to {names[edge.source]}: {fmt(edge.grad)}"
            for edge in circuit.edges
            if edge.target == gate.id and edge.grad is not None
        )
        message = (
            f"Backward {stage - n - 1}/{n}: {gate.name} = {gate.formula} receives "
            f"d{out}/d{gate.name} = {fmt(gate.grad)} and multiplies it by its local gradients: "
            f"{sent}."
        )
    return StageView(stage, circuit.n_stages, phase, values, grads, edge_grads, active, message)


def next_stage(trigger: str | None, stage: int | None, circuit: Circuit) -> int:
    """The stage after pressing ``trigger`` (``forward``, ``backward``, ``step``, ``reset``)."""
    n = len(circuit.gates)
    current = clamp_stage(circuit, stage)
    if trigger == "forward":
        return n
    if trigger == "backward":
        return circuit.n_stages - 1
    if trigger == "step":
        return clamp_stage(circuit, current + 1)
    if trigger == "reset":
        return 0
    return current
