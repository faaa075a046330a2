"""fastoptim's Numba kernels (installed as ``fastoptim.kernels``).

Kernels take contiguous float32/float64 arrays and plain scalars, assume valid input (the
Python API checks it) and can be called from users' own ``@numba.njit`` code. Every kernel is
compiled with the policy of ``fastoptim.kernels.policy``. Constants (optimizer kinds, the
layouts of ``slots``, ``scalars`` and ``hyper``) live in ``fastoptim.kernels.updates``.
"""
from . import epochs, model, schedules, surface, updates
from .exp import exp, exp_array
from .model import (
    loss_and_gradient_sum,
    loss_and_gradient_sum_parallel,
    loss_sum,
    loss_sum_parallel,
    sigmoid,
    sigmoid_ufunc,
)
from .surface import loss_grid
from .updates import (
    adadelta_update,
    adagrad_update,
    adam_update,
    adamax_update,
    adamp_update,
    amsgrad_update,
    gd_update,
    initial_scalars,
    memory_limit_update,
    memory_limit_update_parallel,
    momentum_update,
    nadam_update,
    nesterov_update,
    radam_rectification,
    radam_update,
    rmsprop_update,
    update,
    update_parallel,
    update_views,
)

__all__ = [
    "adadelta_update", "adagrad_update", "adam_update", "adamax_update", "adamp_update",
    "amsgrad_update", "epochs", "exp", "exp_array", "gd_update", "initial_scalars",
    "loss_and_gradient_sum", "loss_and_gradient_sum_parallel", "loss_grid", "loss_sum",
    "loss_sum_parallel", "memory_limit_update", "memory_limit_update_parallel", "model",
    "momentum_update", "nadam_update", "nesterov_update", "radam_rectification", "radam_update",
    "rmsprop_update", "schedules", "sigmoid", "sigmoid_ufunc", "surface", "update",
    "update_parallel", "update_views", "updates",
]
