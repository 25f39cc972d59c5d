"""Tiny 2-16-16-1 MLP step time: descentlab vs hand-written NumPy vs PyTorch (op overhead).

The benchmark is ``descentlab.benchmarks.tiny_mlp``; this script runs it as
``descentlab bench --only tiny_mlp`` does, and takes the same options (``--quick``,
``--no-isolated``, ``--repeats N``, ``--iterations N``, ``--json FILE``).
"""

from common import main

if __name__ == "__main__":
    main("tiny_mlp")
