"""``descentlab tree [--dataset iris|breast_cancer|moons] [options]``: a CART classification tree.

Grows a tree (Gini or entropy, depth and split limits) on 70 % of the data, prints it as
text with each node's impurity and samples, its train/test accuracy and, with
``--sklearn``, whether scikit-learn's DecisionTreeClassifier grows the same tree. Writes a run
directory: config.toml, metrics.json, tree.json (the nodes as plain data), tree.txt and, for
the 2-D moons, decision_regions.png.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from descentlab.cli import UsageError
from descentlab.cli.algo_runs import run_dir_for, say, write_run
from descentlab.tree import CRITERIA

if TYPE_CHECKING:
    from descentlab.tree import DecisionTreeClassifier

DATASETS = ("iris", "breast_cancer", "moons")


def load(name: str, seed: int) -> tuple[Any, Any, list[str]]:
    """``(X, y, feature names)`` of a dataset by name."""
    if name == "moons":
        from descentlab.data import moons

        X, y = moons(300, noise=0.3, seed=seed)
        return X, y, ["x0", "x1"]
    from sklearn import datasets

    bunch = datasets.load_iris() if name == "iris" else datasets.load_breast_cancer()
    return bunch.data, bunch.target, [str(f) for f in bunch.feature_names]


def same_as_sklearn(tree: DecisionTreeClassifier, kwargs: dict, X: Any, y: Any) -> bool:
    """Whether scikit-learn grows the same nodes (features, thresholds, class counts)."""
    import numpy as np
    from sklearn.tree import DecisionTreeClassifier

    sk = DecisionTreeClassifier(**kwargs).fit(X, y).tree_
    if sk.node_count != len(tree.nodes):
        return False
    for i, node in enumerate(tree.nodes):
        counts = np.rint(sk.value[i, 0] * sk.weighted_n_node_samples[i]).astype(int).tolist()
        split = None if sk.children_left[i] == -1 else (int(sk.feature[i]), sk.threshold[i])
        mine = None if node.is_leaf else (node.feature, node.threshold)
        if counts != node.value or split != mine:
            return False
    return True


def run_command(args: argparse.Namespace) -> int:
    import numpy as np
    from rich.console import Console

    from descentlab.data.splits import train_val_test_split
    from descentlab.tree import DecisionTreeClassifier

    console = Console()
    X, y, names = load(args.dataset, args.seed)
    splits = train_val_test_split(X, y, val=0.0, test=0.3, seed=args.seed)
    (Xtr, ytr), (Xte, yte) = splits.train, splits.test
    kwargs = {
        "criterion": args.criterion,
        "max_depth": args.max_depth,
        "min_samples_split": args.min_samples_split,
        "min_samples_leaf": args.min_samples_leaf,
        "random_state": args.seed,
    }
    try:
        tree = DecisionTreeClassifier(**kwargs).fit(Xtr, ytr)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    text = tree.export_text(names)
    say(console, text)
    metrics = {
        "dataset": args.dataset,
        "train_accuracy": tree.score(Xtr, ytr),
        "test_accuracy": tree.score(Xte, yte),
        "depth": tree.depth,
        "leaves": tree.n_leaves,
        "nodes": len(tree.nodes),
    }
    if args.sklearn:
        metrics["same_tree_as_sklearn"] = same_as_sklearn(tree, kwargs, Xtr, ytr)
    run_dir = run_dir_for(args.out, f"tree-{args.dataset}")
    config = {k: v for k, v in vars(args).items() if k not in ("func", "out") and v is not None}
    write_run(run_dir, config, metrics)
    (run_dir / "tree.json").write_text(json.dumps(tree.to_dict(), indent=1) + "\n")
    (run_dir / "tree.txt").write_text(text + "\n")
    if X.shape[1] == 2 and not args.no_plots:
        from descentlab.viz.algorithms import plot_tree_regions

        plot_tree_regions(
            tree,
            np.asarray(X),
            y,
            run_dir / "decision_regions.png",
            title=f"{args.dataset}: depth {tree.depth}, {tree.n_leaves} leaves",
        )
    summary = (
        f"depth {tree.depth}, {tree.n_leaves} leaves; accuracy train "
        f"{metrics['train_accuracy']:.2%}, test {metrics['test_accuracy']:.2%}"
    )
    if args.sklearn:
        same = metrics["same_tree_as_sklearn"]
        summary += "; scikit-learn: " + ("the same tree" if same else "a different tree")
    say(console, summary)
    say(console, f"run directory: {run_dir}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "tree", help="a CART classification tree (Gini or entropy)", description=__doc__
    )
    p.add_argument("--dataset", choices=DATASETS, default="iris")
    p.add_argument("--criterion", choices=CRITERIA, default="gini")
    p.add_argument("--max-depth", type=int, default=3, help="deepest leaf (default 3)")
    p.add_argument("--min-samples-split", type=int, default=2)
    p.add_argument("--min-samples-leaf", type=int, default=1)
    p.add_argument("--seed", type=int, default=0, help="data split, tie order")
    p.add_argument("--sklearn", action="store_true", help="compare with scikit-learn's tree")
    p.add_argument("--out", metavar="RUN_DIR", help="run directory (default: runs/tree-<data>)")
    p.add_argument("--no-plots", action="store_true", help="write no PNG plots")
    p.set_defaults(func=run_command)
