"""fastoptim: gradient-descent optimizers for the sigmoid neuron, compiled with Numba and
checked against a plain numpy reference (``fastoptim.reference``)."""
from . import data, model, schedules
from .data import Dataset
from .error_surface import Surface, surface
from .optimizers import (GD, AdaDelta, AdaGrad, AdaGradW, Adam, AdaMax, AdamP, AdamW, AMSGrad,
                         Momentum, NAdam, NAdamW, Nesterov, Optimizer, RAdam, RMSProp, RMSPropW,
                         State)
from .training import Run, load_run, train
from .sweep import grid, lr_search, sweep
from . import reference  # noqa: E402  (after training: reference.train wraps it)

__version__ = "0.1.0"

__all__ = [
    "GD", "AMSGrad", "AdaDelta", "AdaGrad", "AdaGradW", "AdaMax", "Adam", "AdamP", "AdamW",
    "Dataset", "Momentum", "NAdam", "NAdamW", "Nesterov", "Optimizer", "RAdam", "RMSProp",
    "RMSPropW", "Run", "State", "Surface", "data", "load_run", "model", "reference",
    "schedules", "surface", "train", "sweep", "lr_search", "grid",
]
