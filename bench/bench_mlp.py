"""MLP 784-512-256-10 training speed: descentlab vs hand-written NumPy vs PyTorch.

The benchmark is ``descentlab.benchmarks.mlp``; this script runs it as
``descentlab bench --only mlp`` does, and takes the same options (``--quick``,
``--no-isolated``, ``--repeats N``, ``--iterations N``, ``--json FILE``).
"""

from common import main

if __name__ == "__main__":
    main("mlp")
