"""CART classification trees: greedy binary splits that minimise Gini impurity (or entropy).

A node holding ``n`` samples with class counts ``n_k`` has impurity

    Gini     G = 1 - sum_k (n_k / n)^2
    entropy  H = -sum_k (n_k / n) log2(n_k / n)

A split ``x_f <= t`` sends ``n_L`` samples left and ``n_R`` right; the tree takes, over every
feature ``f`` and every threshold ``t`` halfway between two consecutive distinct values of
``x_f`` in the node, the split with the largest impurity decrease

    Delta = (n / N) * (I - (n_L / n) I_L - (n_R / n) I_R)          (N: samples at the root)

which is the split that maximises the proxy ``-(n_L I_L + n_R I_R)``. Growth stops at a pure
node, at ``max_depth``, below ``min_samples_split`` samples, or when no split leaves
``min_samples_leaf`` samples on both sides. Nodes are numbered depth first (a node, then its
left subtree, then its right one), as scikit-learn numbers them.

The arithmetic follows scikit-learn's ``DecisionTreeClassifier`` (``splitter="best"``, every
feature considered): features are compared in float32, values closer than 1e-7 count as equal,
the threshold is ``a / 2 + b / 2`` in float64 (``a`` when that rounds up to ``b``), and the
proxy is computed with the same operations, so both libraries grow the same tree.

Ties. When two splits have exactly the same proxy, the first one found wins, and within a
feature thresholds are tried from low to high, in both libraries. Which feature comes first is
where they could differ: scikit-learn visits the features in a random order drawn per node
(a Fisher-Yates shuffle driven by its own xorshift generator, seeded from ``random_state``, that
also skips features found constant higher up). With ``random_state=None`` this module visits
features in index order, so a tie goes to the lowest feature index; with an integer
``random_state`` it draws scikit-learn's order with scikit-learn's generator, so
``DecisionTreeClassifier(random_state=k)`` here and there grow the same tree, ties included.
Ties are common: on iris the root's petal length <= 2.45 and petal width <= 0.8 both isolate
setosa, and on breast cancer radius, perimeter and area often sort a node's samples the same way.

>>> import numpy as np
>>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
>>> tree = DecisionTreeClassifier(max_depth=1).fit(X, np.array([0, 0, 1, 1]))
>>> root = tree.nodes[0]
>>> root.feature, root.threshold, root.impurity, root.samples
(0, 1.5, 0.5, 4)
>>> tree.predict(np.array([[0.4], [2.6]])).tolist()
[0, 1]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["CRITERIA", "DecisionTreeClassifier", "FeatureOrder", "Node"]

CRITERIA = ("gini", "entropy")
FEATURE_THRESHOLD = 1e-7  # values closer than this are one value (scikit-learn's constant)
EPSILON = float(np.finfo(np.float64).eps)  # impurity at or below this is a pure node


@dataclass
class Node:
    """One node of a fitted tree, as plain data.

    Attributes:
        id: position in :attr:`DecisionTreeClassifier.nodes` (depth-first order).
        depth: 0 at the root.
        samples: training samples that reach the node.
        value: class counts of those samples, one per class in ``classes_`` order.
        impurity: Gini or entropy of the node.
        feature: the feature index split on; None at a leaf.
        threshold: samples with ``x[feature] <= threshold`` go left; None at a leaf.
        left, right: child ids; None at a leaf.
        improvement: the weighted impurity decrease ``Delta`` of the split (0 at a leaf).
    """

    id: int
    depth: int
    samples: int
    value: list[int]
    impurity: float
    feature: int | None = None
    threshold: float | None = None
    left: int | None = None
    right: int | None = None
    improvement: float = 0.0

    @property
    def is_leaf(self) -> bool:
        return self.feature is None


def _impurity(counts: np.ndarray, n: np.ndarray, criterion: str) -> np.ndarray:
    """Impurity of class counts ``counts`` (..., K) over ``n`` (...) samples, in float64."""
    if criterion == "gini":
        sq = (counts * counts).sum(axis=-1)
        return 1.0 - sq / (n * n)
    p = counts / n[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(counts > 0, p * np.log2(np.where(counts > 0, p, 1.0)), 0.0)
    return -terms.sum(axis=-1)


def _check_int(name: str, value: Any, low: int, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        extra = " or None" if allow_none else ""
        raise ValueError(f"Invalid {name}: {value!r} (expected an integer >= {low}{extra})")
    return int(value)


class FeatureOrder:
    """The order in which a node's features are tried (scikit-learn's ``BestSplitter`` order).

    With ``random_state=None`` features come in index order. With an integer, this reproduces
    scikit-learn: a 32-bit xorshift generator seeded with
    ``RandomState(random_state).randint(0, 2**31 - 1)`` drives a Fisher-Yates draw over a
    feature array shared by all nodes, in which features found constant at a node are moved
    to the front and never drawn for its descendants.
    """

    RAND_R_MAX = 2**31 - 1

    def __init__(self, n_features: int, random_state: int | None):
        self.n = n_features
        self.random = random_state is not None
        self.features = np.arange(n_features)
        self.constant = np.zeros(n_features, dtype=int)
        if self.random:
            self.state = int(np.random.RandomState(random_state).randint(0, self.RAND_R_MAX))

    def _rand_int(self, low: int, high: int) -> int:
        """scikit-learn's ``rand_int``: ``low + xorshift32() % (high - low)``."""
        x = self.state or 1  # the generator never holds 0
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.state = x
        return low + (x % (self.RAND_R_MAX + 1)) % (high - low)

    def visit(
        self, n_known_constants: int, is_constant: Callable[[int], bool]
    ) -> tuple[list[int], int]:
        """Non-constant features in visiting order, and the constants known to the children."""
        if not self.random:
            return [f for f in range(self.n) if not is_constant(f)], 0
        feats, n_known = self.features, n_known_constants
        f_i, n_found, n_drawn, n_total, visited, order = self.n, 0, 0, n_known, 0, []
        while f_i > n_total and (visited < self.n or visited <= n_found + n_drawn):
            visited += 1
            f_j = self._rand_int(n_drawn, f_i - n_found)
            if f_j < n_known:  # a feature constant since an ancestor: set aside, not tried
                feats[[n_drawn, f_j]] = feats[[f_j, n_drawn]]
                n_drawn += 1
                continue
            f_j += n_found
            if is_constant(feats[f_j]):
                feats[[f_j, n_total]] = feats[[n_total, f_j]]
                n_found += 1
                n_total += 1
                continue
            f_i -= 1
            feats[[f_i, f_j]] = feats[[f_j, f_i]]
            order.append(int(feats[f_i]))
        feats[:n_known] = self.constant[:n_known]
        self.constant[n_known:n_total] = feats[n_known:n_total]
        return order, n_total


class DecisionTreeClassifier:
    """A CART classification tree (scikit-learn's name and arguments).

    Args:
        criterion: ``"gini"`` or ``"entropy"``.
        max_depth: the deepest a leaf may be (None: grow until pure or too small).
        min_samples_split: a node with fewer samples is a leaf.
        min_samples_leaf: each child of a split keeps at least this many samples.
        random_state: None tries features in index order; an integer tries them in the order
            scikit-learn's tree with the same ``random_state`` does (it only matters for ties).

    Attributes (after :meth:`fit`):
        nodes: list of :class:`Node`, depth first, the root at 0.
        classes_: (K,) the sorted class labels.
        n_features_in_: number of features.
    """

    def __init__(
        self,
        criterion: str = "gini",
        max_depth: int | None = None,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
        random_state: int | None = None,
    ):
        if criterion not in CRITERIA:
            raise ValueError(f"Invalid criterion: {criterion!r} (expected one of gini, entropy)")
        self.criterion = criterion
        self.max_depth = _check_int("max_depth", max_depth, 1, allow_none=True)
        self.min_samples_split = _check_int("min_samples_split", min_samples_split, 2)
        self.min_samples_leaf = _check_int("min_samples_leaf", min_samples_leaf, 1)
        self.random_state = _check_int("random_state", random_state, 0, allow_none=True)
        self.nodes: list[Node] = []

    def __repr__(self) -> str:
        fitted = f", nodes={len(self.nodes)}" if self.nodes else ""
        return (
            f"DecisionTreeClassifier(criterion={self.criterion!r}, max_depth={self.max_depth}"
            f"{fitted})"
        )

    # -- fitting -------------------------------------------------------------------------

    def fit(self, X: Any, y: Any) -> DecisionTreeClassifier:
        """Grow the tree on ``X`` (n, d) and labels ``y`` (n,). Returns self."""
        X = self._check_X(X, fitting=True)
        y = np.asarray(y)
        if y.shape != (len(X),):
            raise ValueError(f"Invalid y: shape {y.shape} (expected ({len(X)},), one per row)")
        self.classes_, codes = np.unique(y, return_inverse=True)
        onehot = np.zeros((len(X), len(self.classes_)))
        onehot[np.arange(len(X)), codes] = 1.0
        self.nodes = []
        order = FeatureOrder(X.shape[1], self.random_state)
        n_total = len(X)
        max_depth = np.inf if self.max_depth is None else self.max_depth
        # depth first: pop a node, record it, push its right child then its left one;
        # each entry: (sample indices, depth, parent id, is left child, known constant features)
        stack = [(np.arange(n_total), 0, None, True, 0)]
        while stack:
            idx, depth, parent, is_left, n_constant = stack.pop()
            counts = onehot[idx].sum(axis=0)
            n = len(idx)
            impurity = float(_impurity(counts, np.float64(n), self.criterion))
            node = Node(len(self.nodes), depth, n, counts.astype(int).tolist(), impurity)
            self.nodes.append(node)
            if parent is not None:
                setattr(self.nodes[parent], "left" if is_left else "right", node.id)
            if (
                depth >= max_depth
                or n < self.min_samples_split
                or n < 2 * self.min_samples_leaf
                or impurity <= EPSILON
            ):
                continue
            split, n_constant = self._best_split(X[idx], onehot[idx], order, n_constant)
            if split is None:
                continue
            feature, threshold, left_mask = split
            counts_l = onehot[idx[left_mask]].sum(axis=0)
            n_l = float(left_mask.sum())
            imp_l = _impurity(counts_l, np.float64(n_l), self.criterion)
            imp_r = _impurity(counts - counts_l, np.float64(n - n_l), self.criterion)
            node.feature, node.threshold = feature, threshold
            node.improvement = float(
                n / n_total * (impurity - n_l / n * imp_l - (n - n_l) / n * imp_r)
            )
            stack.append((idx[~left_mask], depth + 1, node.id, False, n_constant))
            stack.append((idx[left_mask], depth + 1, node.id, True, n_constant))
        return self

    def _best_split(self, X: np.ndarray, onehot: np.ndarray, order: FeatureOrder, n_constant):
        """The best ``(feature, threshold, left mask)`` for the samples ``X`` (or None), and
        the number of features known constant for the children."""
        n = len(X)
        leaf = self.min_samples_leaf
        eps = np.float32(FEATURE_THRESHOLD)
        lo, hi = X.min(axis=0), X.max(axis=0)
        features, n_constant = order.visit(n_constant, lambda f: hi[f] <= lo[f] + eps)
        best_proxy, best = -np.inf, None
        n_left = np.arange(1, n, dtype=np.float64)  # left child holds the first i sorted samples
        n_right = n - n_left
        for f in features:
            sort = np.argsort(X[:, f], kind="stable")
            xs = X[sort, f]
            left = np.cumsum(onehot[sort], axis=0)[:-1]
            right = left[-1] + onehot[sort[-1]] - left
            proxy = -n_right * _impurity(right, n_right, self.criterion) - n_left * _impurity(
                left, n_left, self.criterion
            )
            valid = (xs[1:] > xs[:-1] + eps) & (n_left >= leaf) & (n_right >= leaf)
            if not valid.any():
                continue
            proxy = np.where(valid, proxy, -np.inf)
            i = int(np.argmax(proxy))  # the first maximum: the lowest threshold wins a tie
            if proxy[i] > best_proxy:
                a, b = float(xs[i]), float(xs[i + 1])
                threshold = a / 2.0 + b / 2.0
                if threshold == b or not np.isfinite(threshold):
                    threshold = a
                best_proxy, best = proxy[i], (f, threshold)
        if best is None:
            return None, n_constant
        f, threshold = best
        return (f, threshold, X[:, f] <= threshold), n_constant

    # -- prediction ----------------------------------------------------------------------

    def _check_X(self, X: Any, fitting: bool = False) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)  # scikit-learn compares features in float32
        if X.ndim != 2 or len(X) == 0:
            raise ValueError(f"Invalid X: shape {X.shape} (expected (n_samples, n_features))")
        if not np.all(np.isfinite(X)):
            raise ValueError("Invalid X: contains NaN or infinity (expected finite values)")
        if fitting:
            self.n_features_in_ = X.shape[1]
        else:
            if not self.nodes:
                raise RuntimeError("DecisionTreeClassifier: call fit(X, y) before predicting")
            if X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"Invalid X: {X.shape[1]} features (expected {self.n_features_in_}, as in fit)"
                )
        return X

    def apply(self, X: Any) -> np.ndarray:
        """The leaf id each row of ``X`` (n, d) lands in: (n,) int."""
        X = self._check_X(X)
        feature = np.array([-1 if n.is_leaf else n.feature for n in self.nodes])
        threshold = np.array([0.0 if n.is_leaf else n.threshold for n in self.nodes])
        left = np.array([-1 if n.is_leaf else n.left for n in self.nodes])
        right = np.array([-1 if n.is_leaf else n.right for n in self.nodes])
        at = np.zeros(len(X), dtype=int)
        rows = np.arange(len(X))
        while True:  # one level per pass: every row still at an inner node moves down
            inner = feature[at] >= 0
            if not inner.any():
                return at
            r, node = rows[inner], at[inner]
            go_left = X[r, feature[node]] <= threshold[node]
            at[r] = np.where(go_left, left[node], right[node])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class frequencies of the leaf each row reaches: (n, K), rows sum to 1."""
        leaves = self.apply(X)
        counts = np.array([node.value for node in self.nodes], dtype=np.float64)
        return (counts / counts.sum(axis=1, keepdims=True))[leaves]

    def predict(self, X: Any) -> np.ndarray:
        """The majority class of the leaf each row reaches: (n,) labels from ``classes_``."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X: Any, y: Any) -> float:
        """Accuracy of :meth:`predict` on ``(X, y)``."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    # -- inspection ----------------------------------------------------------------------

    @property
    def depth(self) -> int:
        return max(node.depth for node in self.nodes)

    @property
    def n_leaves(self) -> int:
        return sum(node.is_leaf for node in self.nodes)

    def to_dict(self) -> dict[str, Any]:
        """The fitted tree as plain data (for drawing, JSON or a comparison)."""
        return {
            "criterion": self.criterion,
            "classes": self.classes_.tolist(),
            "n_features": self.n_features_in_,
            "nodes": [asdict(node) for node in self.nodes],
        }

    def export_text(self, feature_names: list[str] | None = None) -> str:
        """The tree as indented text: one line per node with its split or its class counts."""
        names = feature_names or [f"x[{i}]" for i in range(self.n_features_in_)]
        lines: list[str] = []

        def walk(i: int, prefix: str) -> None:
            node = self.nodes[i]
            stats = f"{self.criterion}={node.impurity:.3f} samples={node.samples}"
            if node.is_leaf:
                label = self.classes_[int(np.argmax(node.value))]
                lines.append(f"{prefix}leaf: class {label} value={node.value} {stats}")
                return
            lines.append(f"{prefix}{names[node.feature]} <= {node.threshold:.4g}  {stats}")
            walk(node.left, prefix + "|   ")
            lines.append(f"{prefix}{names[node.feature]} >  {node.threshold:.4g}")
            walk(node.right, prefix + "|   ")

        walk(0, "")
        return "\n".join(lines)
