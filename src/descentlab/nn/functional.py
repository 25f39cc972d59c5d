"""``torch.nn.functional``'s place, so ``import descentlab.nn.functional as F`` works: the
same functions as :mod:`descentlab.functional`, which is where they are written."""

from descentlab.functional import *  # noqa: F403 - the one module re-exported whole
from descentlab.functional import __all__  # noqa: F401
