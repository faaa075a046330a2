"""fastoptim's Numba kernels (installed as ``fastoptim.kernels``).

Kernels take contiguous float32/float64 arrays and plain scalars, assume valid input (the
Python API checks it) and can be called from users' own ``@numba.njit`` code. Every kernel is
compiled with the policy of ``fastoptim.kernels.policy``.
"""
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

__all__ = [
    "exp", "exp_array", "loss_and_gradient_sum", "loss_and_gradient_sum_parallel", "loss_grid",
    "loss_sum", "loss_sum_parallel", "sigmoid", "sigmoid_ufunc",
]
