"""The layering of docs/architecture.md, checked on the source: no import points up.

Every ``import descentlab.X`` / ``from descentlab.X import ...`` in a module of the package,
at the top or inside a function, is read with :mod:`ast` and its target's layer compared with
the importer's. A module may import its own layer and the layers below it; a lab page may not
import another page; ops never import the Tensor class.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "descentlab"

#: Layer of each top-level name of the package, lowest first (docs/architecture.md's table).
LAYERS: list[tuple[str, ...]] = [
    # 0: the engine (tensor.py + ops/ + functional.py and the small modules around them)
    (
        "",
        "tensor",
        "ops",
        "functional",
        "autograd_mode",
        "factories",
        "random",
        "dtypes",
        "device",
        "devices",
        "printing",
        "promotion",
        "cuda",
        "allocator",
        "inplace",
        "errors",
        "functions",
        "grad_fn",
        "return_types",
        "tensor_methods",
    ),
    ("nn", "gradcheck", "graph", "serialization"),
    ("optim", "data", "utils"),
    ("landscapes", "rl", "evolve", "som", "tree", "onnx_export", "export"),
    ("registry",),
    ("train",),
    ("viz",),
    ("sweep",),
    ("lab",),
    ("cli", "benchmarks", "__main__", "op_cases"),
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
#: The one table of names every layer reads (its menus, its choices, its error class); it imports
#: nothing of the package at import time, its builders import the layers they build lazily.
READ_ANYWHERE = {"registry"}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _dotted(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(parts)


def _top(dotted: str) -> str:
    return dotted.split(".")[0] if dotted else ""


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name inside the package) of every descentlab import in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = _dotted(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "descentlab" or alias.name.startswith("descentlab."):
                    out.append((node.lineno, alias.name.removeprefix("descentlab").lstrip(".")))
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, node.module] if node.module else base)
            elif node.module and (
                node.module == "descentlab" or node.module.startswith("descentlab.")
            ):
                target = node.module.removeprefix("descentlab").lstrip(".")
            else:
                continue
            names = [a.name for a in node.names]
            if target == "" and names:  # from descentlab import nn, optim
                out += [(node.lineno, n) for n in names if n in RANK]
                if not any(n in RANK for n in names):
                    out.append((node.lineno, ""))
            else:
                out.append((node.lineno, target))
    return out


def test_every_module_has_a_layer():
    unknown = {_top(_dotted(p)) for p in _modules()} - set(RANK)
    assert not unknown, f"add these to LAYERS and docs/architecture.md: {sorted(unknown)}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: _dotted(p) or "__init__")
def test_no_import_points_up(path):
    here = _dotted(path)
    if here == "":  # the package's __init__ re-exports the public API of every layer
        return
    mine = RANK[_top(here)]
    wrong = [
        f"line {line}: {here} (layer {mine}) imports descentlab.{target} "
        f"(layer {RANK[_top(target)]})"
        for line, target in _imports(path)
        if _top(target) in RANK and RANK[_top(target)] > mine and _top(target) not in READ_ANYWHERE
    ]
    assert not wrong, "\n".join(wrong)


def test_lab_pages_do_not_import_each_other_and_ops_do_not_import_tensor():
    wrong = []
    for path in _modules():
        here = _dotted(path)
        for line, target in _imports(path):
            if here.startswith("lab.pages.") and target.startswith("lab.pages."):
                wrong.append(f"line {line}: {here} imports {target} (share code via lab.widgets)")
            if here.startswith("ops") and _top(target) == "tensor":
                wrong.append(f"line {line}: {here} imports the Tensor class")
    assert not wrong, "\n".join(wrong)
