"""Public PyTorch tutorial programs, run on descentlab and on torch.

Each file here is the tutorial's code with ``import torch`` changed to
``import descentlab as torch`` (and torch's submodule imports to descentlab's). The test
runs the file as it is, then the same text with the imports changed back, on PyTorch, and
compares what the two runs printed or computed. Where the program draws random initial
weights the two libraries draw different numbers, so those programs are compared where
training makes them agree: the fitted coefficients and the final loss.
"""

from __future__ import annotations

import contextlib
import io
import random
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import descentlab as dl

HERE = Path(__file__).parent
TO_TORCH = [
    ("import descentlab as torch", "import torch"),
    ("from descentlab import nn", "from torch import nn"),
    ("from descentlab.utils.data import", "from torch.utils.data import"),
]


RANDOM = ("randn", "rand", "normal")


@contextlib.contextmanager
def same_random_draws(lib: str, draws: list):
    """Record torch's random tensors into ``draws``, or replay them into descentlab.

    The two libraries' generators give different numbers for a seed; replaying torch's
    draws makes a program that starts from random weights comparable number for number.
    """
    module = torch if lib == "torch" else dl
    originals = {name: getattr(module, name) for name in RANDOM}

    def recording(fn):
        def draw(*args, **kwargs):
            out = fn(*args, **kwargs)
            draws.append(out.detach().numpy().copy())
            return out

        return draw

    def replaying(fn):
        def draw(*args, **kwargs):
            shape = tuple(fn(*args, **kwargs).shape)
            values = draws.pop(0)
            assert values.shape == shape, (values.shape, shape)
            return dl.tensor(values, requires_grad=kwargs.get("requires_grad", False))

        return draw

    wrap = recording if lib == "torch" else replaying
    for name, fn in originals.items():
        setattr(module, name, wrap(fn))
    try:
        yield
    finally:
        for name, fn in originals.items():
            setattr(module, name, fn)


def run(name: str, lib: str, draws: list | None = None) -> tuple[dict, str]:
    """Run program ``name`` on "descentlab" or "torch": (its globals, what it printed).

    With ``draws``, the torch run records its random tensors there and the descentlab run
    replays them (see :func:`same_random_draws`).
    """
    source = (HERE / name).read_text()
    if lib == "torch":
        for ours, theirs in TO_TORCH:
            source = source.replace(ours, theirs)
    assert "descentlab" not in source or lib == "descentlab"
    random.seed(0)
    dl.manual_seed(0)
    torch.manual_seed(0)
    namespace: dict = {"__name__": "__main__"}
    out = io.StringIO()
    replay = same_random_draws(lib, draws) if draws is not None else contextlib.nullcontext()
    with replay, contextlib.redirect_stdout(out):
        exec(compile(source, str(HERE / name), "exec"), namespace)  # noqa: S102 - our own file
    return namespace, out.getvalue()


def value(x) -> np.ndarray:
    return np.asarray(x.detach().numpy() if hasattr(x, "detach") else x, dtype=np.float64)


def test_the_programs_differ_from_the_tutorials_by_the_imports_only():
    for path in HERE.glob("*.py"):
        if path.name == "test_programs.py":
            continue
        text = path.read_text()
        assert "import descentlab as torch" in text, path.name
        lines = [ln for ln in text.splitlines() if "descentlab" in ln]
        assert all(ln.startswith(("import descentlab", "from descentlab")) for ln in lines)


def test_autograd_blitz_prints_what_torch_prints():
    _, ours = run("autograd_blitz.py", "descentlab")
    _, theirs = run("autograd_blitz.py", "torch")

    def normal(text: str) -> str:
        return re.sub(r"0x[0-9a-f]+", "0x?", text).replace("torch.", "descentlab.")

    assert normal(ours) == normal(theirs)
    assert "grad_fn=<MulBackward0>" in ours and "tensor(True)" in ours


def test_autograd_blitz_vector_jacobian_product():
    ours, _ = run("autograd_blitz.py", "descentlab")
    doublings = value(ours["doublings"])
    assert np.allclose(doublings, doublings[0]) and np.log2(doublings[0]) % 1 == 0


def test_micrograd_engine_values_and_gradients_match_torch():
    ours, _ = run("micrograd_engine.py", "descentlab")
    theirs, _ = run("micrograd_engine.py", "torch")
    for name in ("ypt", "gpt"):
        np.testing.assert_allclose(value(ours[name]), value(theirs[name]), rtol=1e-12)
    for name in ("xpt", "apt", "bpt"):
        np.testing.assert_allclose(value(ours[name].grad), value(theirs[name].grad), rtol=1e-12)
    assert ours["gpt"].dtype == dl.float64


def test_polynomial_fit_with_autograd_follows_torch_step_by_step():
    draws: list = []
    theirs, expected = run("polynomial_autograd.py", "torch", draws)
    ours, printed = run("polynomial_autograd.py", "descentlab", draws)
    assert not draws  # every random draw of torch's run was replayed
    for name in "abcd":
        np.testing.assert_allclose(value(ours[name]), value(theirs[name]), rtol=2e-4)
    losses = [float(line.split()[1]) for line in printed.splitlines()[:-1]]
    torch_losses = [float(line.split()[1]) for line in expected.splitlines()[:-1]]
    np.testing.assert_allclose(losses, torch_losses, rtol=2e-4)


def test_polynomial_fit_with_nn_reaches_torchs_loss():
    ours, printed = run("polynomial_nn.py", "descentlab")
    theirs, _ = run("polynomial_nn.py", "torch")
    assert ours["loss"].item() == pytest.approx(theirs["loss"].item(), rel=0.1)
    assert printed.count("\n") == 21 and printed.splitlines()[-1].startswith("Result: y = ")


def test_polynomial_fit_with_rmsprop_gives_torchs_coefficients():
    ours, _ = run("polynomial_optim.py", "descentlab")
    theirs, _ = run("polynomial_optim.py", "torch")
    for part in ("weight", "bias"):
        a = value(getattr(ours["linear_layer"], part))
        b = value(getattr(theirs["linear_layer"], part))
        np.testing.assert_allclose(a, b, atol=2e-3)
    assert ours["loss"].item() == pytest.approx(theirs["loss"].item(), rel=0.02)


def test_d2l_linear_regression_from_scratch_follows_torch_step_by_step():
    draws: list = []
    theirs, expected = run("linear_regression_scratch.py", "torch", draws)
    ours, printed = run("linear_regression_scratch.py", "descentlab", draws)
    assert not draws
    np.testing.assert_allclose(value(ours["w"]), value(theirs["w"]), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(value(ours["b"]), value(theirs["b"]), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(value(ours["w"]).ravel(), [2, -3.4], atol=5e-3)
    assert printed.splitlines()[:2] == expected.splitlines()[:2]  # epoch losses, 6 digits
    assert "error in estimating w: tensor([" in printed


def test_tensordataset_classifier_learns_as_torch_does():
    ours, printed = run("tensordataset_classifier.py", "descentlab")
    theirs, _ = run("tensordataset_classifier.py", "torch")
    assert ours["accuracy"] >= 0.95 and theirs["accuracy"] >= 0.95
    assert abs(ours["test_loss"] - theirs["test_loss"]) < 0.1
    assert "Accuracy:" in printed
