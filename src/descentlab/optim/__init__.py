"""Optimisers and learning-rate schedules, with PyTorch's names and numbers.

>>> from descentlab.optim import SGD, Adam
>>> from descentlab.optim.lr_scheduler import OneCycleLR
>>> from descentlab.optim.schedules import cosine, join, linear
"""

from descentlab.optim import lr_scheduler, schedules
from descentlab.optim.adagrad import Adagrad
from descentlab.optim.adam import Adam, AdamW
from descentlab.optim.monitor import Monitor
from descentlab.optim.optimizer import Optimizer, ParamState
from descentlab.optim.rmsprop import RMSprop
from descentlab.optim.sgd import SGD

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Monitor",
    "Optimizer",
    "ParamState",
    "RMSprop",
    "lr_scheduler",
    "schedules",
]
