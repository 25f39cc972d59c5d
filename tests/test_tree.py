"""descentlab.tree against scikit-learn's DecisionTreeClassifier: the same tree, node for node."""

import doctest

import numpy as np
import pytest
from sklearn import datasets
from sklearn.tree import DecisionTreeClassifier as SkTree

import descentlab.tree as tree_module
from descentlab.data import moons
from descentlab.tree import DecisionTreeClassifier

DATA = {
    "iris": datasets.load_iris(return_X_y=True),
    "breast_cancer": datasets.load_breast_cancer(return_X_y=True),
    "moons": moons(300, noise=0.3, seed=0),
}


def sk_nodes(sk: SkTree) -> list[tuple]:
    """(feature, threshold, samples, class counts, impurity) per node, depth first."""
    t = sk.tree_
    out = []
    for i in range(t.node_count):
        leaf = t.children_left[i] == -1
        counts = np.rint(t.value[i, 0] * t.weighted_n_node_samples[i]).astype(int).tolist()
        feature = None if leaf else int(t.feature[i])
        threshold = None if leaf else float(t.threshold[i])
        out.append((feature, threshold, int(t.n_node_samples[i]), counts, float(t.impurity[i])))
    return out


def our_nodes(tree: DecisionTreeClassifier) -> list[tuple]:
    return [(n.feature, n.threshold, n.samples, n.value, n.impurity) for n in tree.nodes]


def assert_same_tree(ours: DecisionTreeClassifier, sk: SkTree) -> None:
    a, b = our_nodes(ours), sk_nodes(sk)
    assert len(a) == len(b), f"{len(a)} nodes against scikit-learn's {len(b)}"
    for i, (p, q) in enumerate(zip(a, b)):
        assert p[:4] == q[:4], f"node {i}: {p[:4]} against scikit-learn's {q[:4]}"
        assert p[4] == pytest.approx(q[4], abs=1e-12), f"node {i}: impurity"
    left = [-1 if n.left is None else n.left for n in ours.nodes]
    np.testing.assert_array_equal(left, sk.tree_.children_left)


@pytest.mark.parametrize("name", list(DATA))
@pytest.mark.parametrize("criterion", ["gini", "entropy"])
@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_same_tree_as_sklearn(name, criterion, depth):
    X, y = DATA[name]
    for leaf, seed in [(1, 0), (1, 7), (5, 3)]:
        kwargs = dict(
            criterion=criterion, max_depth=depth, min_samples_leaf=leaf, random_state=seed
        )
        ours = DecisionTreeClassifier(**kwargs).fit(X, y)
        sk = SkTree(**kwargs).fit(X, y)
        assert_same_tree(ours, sk)
        grid = np.random.default_rng(seed).uniform(X.min(0), X.max(0), size=(200, X.shape[1]))
        np.testing.assert_array_equal(ours.apply(grid), sk.apply(grid.astype(np.float32)))
        np.testing.assert_allclose(ours.predict_proba(grid), sk.predict_proba(grid), atol=1e-12)
        np.testing.assert_array_equal(ours.predict(X), sk.predict(X))


def test_fully_grown_tree_and_split_limits_match_sklearn():
    X, y = DATA["moons"]
    for kwargs in [{}, {"min_samples_split": 20}, {"min_samples_leaf": 8, "max_depth": 6}]:
        ours = DecisionTreeClassifier(random_state=1, **kwargs).fit(X, y)
        assert_same_tree(ours, SkTree(random_state=1, **kwargs).fit(X, y))
    full = DecisionTreeClassifier().fit(X, y)
    assert full.score(X, y) == 1.0  # no duplicate points: grown until every leaf is pure
    small = DecisionTreeClassifier(min_samples_split=20).fit(X, y)
    assert all(n.samples >= 20 for n in small.nodes if not n.is_leaf)


def test_ties_without_random_state_take_the_lowest_feature():
    X, y = DATA["iris"]
    root = DecisionTreeClassifier(max_depth=1).fit(X, y).nodes[0]
    # petal length (2) <= 2.45 and petal width (3) <= 0.8 both isolate setosa exactly
    assert (root.feature, root.threshold) == (2, 2.449999988079071)
    assert root.improvement == pytest.approx(1 / 3, abs=1e-12)  # 2/3 - (100/150) * 0.5
    widths = {SkTree(max_depth=1, random_state=s).fit(X, y).tree_.feature[0] for s in range(10)}
    assert widths == {2, 3}  # scikit-learn's pick depends on its random feature order


def test_plain_data_and_text():
    X, y = DATA["iris"]
    tree = DecisionTreeClassifier(max_depth=2).fit(X, y)
    d = tree.to_dict()
    assert d["classes"] == [0, 1, 2] and d["n_features"] == 4
    root = d["nodes"][0]
    assert root["samples"] == 150 and root["value"] == [50, 50, 50]
    assert root["impurity"] == pytest.approx(2 / 3)
    assert tree.depth == 2 and tree.n_leaves == 3
    text = tree.export_text(["sl", "sw", "pl", "pw"])
    assert text.splitlines()[0].startswith("pl <= 2.45")
    assert "leaf: class 0 value=[50, 0, 0]" in text


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"Invalid criterion: 'log' \(expected one of gini"):
        DecisionTreeClassifier("log")
    with pytest.raises(ValueError, match=r"Invalid max_depth: 0 \(expected an integer >= 1"):
        DecisionTreeClassifier(max_depth=0)
    with pytest.raises(ValueError, match=r"Invalid min_samples_leaf: 0"):
        DecisionTreeClassifier(min_samples_leaf=0)
    tree = DecisionTreeClassifier()
    with pytest.raises(RuntimeError, match="call fit"):
        tree.predict([[0.0]])
    tree.fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match=r"Invalid X: 2 features \(expected 1"):
        tree.predict([[0.0, 1.0]])
    with pytest.raises(ValueError, match=r"Invalid y: shape \(3,\)"):
        tree.fit([[0.0], [1.0]], [0, 1, 1])


def test_docstring_examples_run():
    assert doctest.testmod(tree_module).failed == 0
