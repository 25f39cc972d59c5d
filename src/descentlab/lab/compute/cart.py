"""What the CART page shows: a classification tree on 2-D data as its depth grows.

For each node the tree keeps its class counts, samples and impurity; a split on feature f at
threshold s sends ``x[f] <= s`` left. Gini impurity is ``1 - sum_k p_k^2`` (0 for a pure node,
``1 - 1/K`` at most), entropy ``-sum_k p_k log2 p_k``; the chosen split maximises the decrease
``N_t/N * (I(t) - N_L/N_t I(L) - N_R/N_t I(R))``. The trees come from
:class:`descentlab.tree.DecisionTreeClassifier` (checked node for node against scikit-learn).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from descentlab.lab.compute import bounds
from descentlab.tree import CRITERIA, DecisionTreeClassifier

DATASETS = ("moons", "circles", "xor", "blobs", "spirals")
MAX_DEPTH = 10
GRID = 120


def dataset(name: str, n: int = 300, noise: float = 0.25, seed: int = 0):
    """(X, y) of one 2-D dataset of :mod:`descentlab.data`."""
    bounds.choice(name, "Dataset", DATASETS)
    n = bounds.number(n, "Points", 20, 2000, integer=True)
    noise = bounds.number(noise, "Noise", 0.0, 1.0)
    from descentlab import data

    fn = getattr(data, name)
    X, y = fn(n, noise=noise, seed=seed)
    return np.asarray(X, dtype=np.float64), np.asarray(y)


@dataclass(frozen=True)
class TreeView:
    tree: DecisionTreeClassifier
    xs: np.ndarray  # (GRID,)
    ys: np.ndarray  # (GRID,)
    regions: np.ndarray  # (GRID, GRID) predicted class at (xs[j], ys[i])
    train_accuracy: float
    test_accuracy: float
    by_depth: list[tuple[int, float, float, int]]  # (depth, train acc, test acc, leaves)


def grow(
    X: np.ndarray,
    y: np.ndarray,
    depth: int,
    criterion: str = "gini",
    min_samples_leaf: int = 1,
    seed: int = 0,
) -> TreeView:
    """Fit trees of depth 1..``depth`` on a 70/30 split; the regions of the deepest one."""
    depth = bounds.number(depth, "Max depth", 1, MAX_DEPTH, integer=True)
    bounds.choice(criterion, "Criterion", CRITERIA)
    min_samples_leaf = bounds.number(min_samples_leaf, "Min samples per leaf", 1, 100, integer=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X))
    cut = int(0.7 * len(X))
    tr, te = order[:cut], order[cut:]
    by_depth = []
    tree = None
    for d in range(1, depth + 1):
        tree = DecisionTreeClassifier(
            criterion=criterion, max_depth=d, min_samples_leaf=min_samples_leaf, random_state=0
        ).fit(X[tr], y[tr])
        by_depth.append((d, tree.score(X[tr], y[tr]), tree.score(X[te], y[te]), tree.n_leaves))
    pad = 0.1 * (X.max(0) - X.min(0))
    xs = np.linspace(X[:, 0].min() - pad[0], X[:, 0].max() + pad[0], GRID)
    ys = np.linspace(X[:, 1].min() - pad[1], X[:, 1].max() + pad[1], GRID)
    gx, gy = np.meshgrid(xs, ys)
    regions = tree.predict(np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(GRID, GRID)
    return TreeView(tree, xs, ys, regions, by_depth[-1][1], by_depth[-1][2], by_depth)


def node_label(tree: DecisionTreeClassifier, i: int, names=("x1", "x2")) -> str:
    """One node as text: its split (or class), impurity, samples and class counts."""
    node = tree.nodes[i]
    head = (
        f"class {tree.classes_[int(np.argmax(node.value))]}"
        if node.is_leaf
        else f"{names[node.feature]} <= {node.threshold:.3g}"
    )
    return (
        f"{head}\n{tree.criterion} = {node.impurity:.3f}\nsamples = {node.samples}\n"
        f"value = {node.value}"
    )


__all__ = ["DATASETS", "GRID", "MAX_DEPTH", "TreeView", "dataset", "grow", "node_label"]
