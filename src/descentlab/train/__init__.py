"""Training toolkit: ``fit`` and its callbacks, History, diagnosis, the lr finder, checkpoints.

>>> from descentlab.train import fit, diagnose, EarlyStopping, lr_find
"""

from descentlab.train.callbacks import (
    Callback,
    Checkpoint,
    DivergenceGuard,
    DivergenceWarning,
    EarlyStopping,
    GradientClipping,
    GradientMonitor,
    LRSchedule,
    ProgressBar,
    ReduceLROnPlateau,
    StopTraining,
)
from descentlab.train.checkpoint import (
    CheckpointError,
    SavedCheckpoint,
    load_checkpoint,
    save_checkpoint,
)
from descentlab.train.diagnose import Diagnosis, diagnose
from descentlab.train.history import History
from descentlab.train.inference import Preprocessing, RunError, TrainedModel, load_run
from descentlab.train.loop import Loop, evaluate, fit
from descentlab.train.lr_find import LRFinderResult, lr_find

__all__ = [
    "Callback",
    "Checkpoint",
    "CheckpointError",
    "Diagnosis",
    "DivergenceGuard",
    "DivergenceWarning",
    "EarlyStopping",
    "GradientClipping",
    "GradientMonitor",
    "History",
    "LRFinderResult",
    "LRSchedule",
    "Loop",
    "Preprocessing",
    "ProgressBar",
    "ReduceLROnPlateau",
    "RunError",
    "SavedCheckpoint",
    "StopTraining",
    "TrainedModel",
    "diagnose",
    "evaluate",
    "fit",
    "load_checkpoint",
    "load_run",
    "lr_find",
    "save_checkpoint",
]
