"""Time of one epoch of ``descentlab.train.fit`` against a plain PyTorch loop and scikit-learn.

The network is the default example's: MLP 64-128-64-10 (ReLU) on the 8x8 digits (80 % train
split, 1,437 images), Adam lr 1e-3, batch 32, reshuffled every epoch, float32. Contenders:

- ``fit + progress``: ``descentlab.train.fit`` with its live progress bar rendered (to an
  in-memory terminal, so drawing costs what it costs on a screen), grad-norm tracking and the
  divergence guard on: what ``descentlab train`` runs;
- ``descentlab loop``: the same steps written by hand with descentlab (forward, loss,
  zero_grad, backward, step): the engine alone, so ``fit / loop`` is the loop's overhead;
- ``pytorch loop``: the same network and steps in PyTorch, a plain loop over a shuffled index
  (skipped when torch is not installed);
- ``sklearn MLPClassifier``: ``hidden_layer_sizes=(128, 64)``, solver adam, batch 32.

Each round runs every contender for ``--epochs`` epochs in turn, in one process, so machine
noise hits all alike; the table gives the median and the best round in ms per epoch and the
ratio of each to ``fit + progress`` (> 1: fit is faster).

    python bench/bench_fit.py                    # 7 rounds of 10 epochs
    python bench/bench_fit.py --threads 1        # one BLAS / torch thread for everyone
    python bench/bench_fit.py --markdown /tmp/fit.md   # then paste into docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import time
import warnings
from collections.abc import Callable

import numpy as np

import descentlab as dl
import descentlab.functional as F
import descentlab.nn as nn
import descentlab.optim as optim
from descentlab.data import DataLoader, digits, train_val_test_split
from descentlab.train import ProgressBar, fit

BATCH, LR, SEED = 32, 1e-3, 0


def load():
    X, y = digits()
    split = train_val_test_split(X, y, val=0.0, test=0.2, seed=SEED)
    return split.train


def descentlab_model():
    dl.manual_seed(SEED)
    model = nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    )
    return model, optim.Adam(model.parameters(), lr=LR)


def run_fit(X, y, epochs: int, progress: bool = True) -> float:
    model, opt = descentlab_model()
    from rich.console import Console

    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    start = time.perf_counter()
    fit(
        model,
        "cross_entropy",
        opt,
        (X, y),
        epochs=epochs,
        batch_size=BATCH,
        seed=SEED,
        callbacks=[ProgressBar(console=console)] if progress else [],
    )
    return (time.perf_counter() - start) / epochs


def run_loop(X, y, epochs: int) -> float:
    model, opt = descentlab_model()
    loader = DataLoader(X, y, batch_size=BATCH, shuffle=True, seed=SEED)
    start = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return (time.perf_counter() - start) / epochs


def torch_runner(X, y) -> Callable[[int], float] | None:
    try:
        import torch
    except ImportError:
        return None
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    n = len(Xt)

    def run(epochs: int) -> float:
        torch.manual_seed(SEED)
        model = torch.nn.Sequential(
            torch.nn.Linear(64, 128),
            torch.nn.ReLU(),
            torch.nn.Linear(128, 64),
            torch.nn.ReLU(),
            torch.nn.Linear(64, 10),
        )
        opt = torch.optim.Adam(model.parameters(), lr=LR)
        loss_fn = torch.nn.CrossEntropyLoss()
        start = time.perf_counter()
        for _ in range(epochs):
            perm = torch.randperm(n)
            for i in range(0, n, BATCH):
                idx = perm[i : i + BATCH]
                loss = loss_fn(model(Xt[idx]), yt[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
        return (time.perf_counter() - start) / epochs

    return run


def run_sklearn(X, y, epochs: int) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=(128, 64),
        solver="adam",
        learning_rate_init=LR,
        batch_size=BATCH,
        max_iter=epochs,
        shuffle=True,
        random_state=SEED,
        tol=0.0,
        n_iter_no_change=epochs + 1,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return (time.perf_counter() - start) / epochs


def environment(threads: int | None) -> dict:
    from threadpoolctl import threadpool_info

    info = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "blas_threads": [
            p.get("num_threads") for p in threadpool_info() if p.get("user_api") == "blas"
        ],
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "threads_limit": threads,
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    import sklearn

    info["sklearn"] = sklearn.__version__
    return info


def measure(rounds: int, epochs: int, threads: int | None) -> dict:
    X, y = load()
    contenders: dict[str, Callable[[int], float]] = {
        "fit + progress": lambda e: run_fit(X, y, e),
        "fit, no progress bar": lambda e: run_fit(X, y, e, progress=False),
        "descentlab loop": lambda e: run_loop(X, y, e),
    }
    torch_run = torch_runner(X, y)
    if torch_run is not None:
        contenders["pytorch loop"] = torch_run
    contenders["sklearn MLPClassifier"] = lambda e: run_sklearn(X, y, e)
    for run in contenders.values():  # warm up: imports, first allocations, thread pools
        run(1)
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            samples[name].append(run(epochs) * 1000)
    return {
        "samples_ms": samples,
        "environment": environment(threads),
        "rounds": rounds,
        "epochs_per_round": epochs,
        "batches_per_epoch": -(-len(X) // BATCH),
    }


def table(result: dict) -> list[dict]:
    samples = result["samples_ms"]
    fit_med = float(np.median(samples["fit + progress"]))
    fit_best = min(samples["fit + progress"])
    rows = []
    for name, values in samples.items():
        med, best = float(np.median(values)), min(values)
        rows.append(
            {
                "contender": name,
                "median_ms": med,
                "best_ms": best,
                "ratio_median": med / fit_med,
                "ratio_best": best / fit_best,
            }
        )
    return rows


def format_table(rows: list[dict]) -> str:
    lines = [
        "| contender | ms / epoch (median) | ms / epoch (best) | time / fit's (median, best) |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['contender']} | {r['median_ms']:.1f} | {r['best_ms']:.1f} | "
            f"{r['ratio_median']:.2f}, {r['ratio_best']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--epochs", type=int, default=10, help="epochs per contender per round")
    ap.add_argument(
        "--threads",
        type=int,
        default=None,
        help="limit BLAS and torch threads (default: leave them as they are)",
    )
    ap.add_argument("--json", metavar="FILE", help="write the raw samples and table as JSON")
    ap.add_argument("--markdown", metavar="FILE", help="write the table as a Markdown section")
    args = ap.parse_args(argv)
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
        try:
            import torch

            torch.set_num_threads(args.threads)
        except ImportError:
            pass
    result = measure(args.rounds, args.epochs, args.threads)
    rows = table(result)
    result["table"] = rows
    env = result["environment"]
    print(
        f"fit epoch benchmark: MLP 64-128-64-10 on the digits, Adam, batch {BATCH}, "
        f"{result['batches_per_epoch']} batches per epoch; {args.rounds} rounds x "
        f"{args.epochs} epochs, interleaved"
    )
    print(json.dumps(env))
    print(format_table(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    if args.markdown:
        with open(args.markdown, "a") as f:
            f.write(f"\n`{json.dumps(env)}`\n\n{format_table(rows)}\n")
    return result


if __name__ == "__main__":
    main()
