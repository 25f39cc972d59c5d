"""Neural-network building blocks with PyTorch's names: ``Module``, layers, losses, ``init``.

>>> import descentlab as dl, descentlab.nn as nn
>>> model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
>>> loss = nn.CrossEntropyLoss()(model(dl.randn(8, 2)), dl.tensor([0, 1, 2, 0, 1, 2, 0, 1]))
>>> loss.backward()
>>> model[0].weight.grad.shape
(16, 2)
"""

from descentlab.nn import init
from descentlab.nn.activation import (
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from descentlab.nn.containers import ModuleList, Residual, Sequential
from descentlab.nn.conv import Conv1d, Conv2d
from descentlab.nn.dropout import Dropout
from descentlab.nn.linear import Flatten, Identity, Linear
from descentlab.nn.loss import (
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
)
from descentlab.nn.module import IncompatibleKeys, Module, Parameter
from descentlab.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from descentlab.nn.pooling import AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from descentlab.nn.regularization import l1_penalty, l2_penalty

__all__ = [
    "ELU",
    "GELU",
    "AvgPool1d",
    "AvgPool2d",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "Identity",
    "IncompatibleKeys",
    "L1Loss",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool1d",
    "MaxPool2d",
    "Module",
    "ModuleList",
    "MultiMarginLoss",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Residual",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "init",
    "l1_penalty",
    "l2_penalty",
]
