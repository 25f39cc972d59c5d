"""Every docstring example in the package runs, so the documentation cannot drift."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import descentlab

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(descentlab.__path__, "descentlab.")
    if not name.startswith("descentlab.benchmarks.")  # scripts timed by `descentlab bench`
    and name != "descentlab.__main__"  # running it is the CLI
)


def test_the_walk_finds_the_package():
    assert {"descentlab.tensor", "descentlab.utils.data", "descentlab.optim.sgd"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
