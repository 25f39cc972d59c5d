"""LeNet-style CNN training speed: descentlab vs hand-written NumPy (im2col) vs PyTorch.

The benchmark is ``descentlab.benchmarks.cnn``; this script runs it as
``descentlab bench --only cnn`` does, and takes the same options (``--quick``,
``--no-isolated``, ``--repeats N``, ``--iterations N``, ``--json FILE``).
"""

from common import main

if __name__ == "__main__":
    main("cnn")
