"""Hyperparameter sweeps: Optuna studies whose trials run on Dask.

    from descentlab.sweep import Sweep, SweepSpec, make_executor
    from descentlab.train.config import load_config

    spec = SweepSpec(base=load_config(), params=["optim.lr=loguniform(1e-4,1e-1)"], trials=8)
    sweep = Sweep.create(spec, "runs/digits-sweep")
    executor = make_executor(workers=2)      # a Dask LocalCluster; 0 runs serially
    sweep.run(executor)
    executor.close()
    sweep.best()                             # the best slot's parameters and value

See :mod:`descentlab.sweep.study` for why the results do not depend on the number of workers.
"""

from descentlab.sweep.executors import DaskExecutor, SerialExecutor, make_executor
from descentlab.sweep.space import Param, ParamError, parse_param, parse_params
from descentlab.sweep.study import Sweep, SweepError, SweepSpec, config_with

__all__ = [
    "DaskExecutor",
    "Param",
    "ParamError",
    "SerialExecutor",
    "Sweep",
    "SweepError",
    "SweepSpec",
    "config_with",
    "make_executor",
    "parse_param",
    "parse_params",
]
