"""fastoptim's Numba kernels (installed as ``fastoptim.kernels``).

Kernels take contiguous float32/float64 arrays and plain scalars, assume valid input (the
Python API checks it) and can be called from users' own ``@numba.njit`` code. Every kernel is
compiled with the policy of ``fastoptim.kernels.policy``, lazily, for the types it is first
called with, and cached on disk. Constants (optimizer kinds, the layouts of ``slots``,
``scalars`` and ``hyper``) live in ``fastoptim.kernels.updates``.

The names below are imported on first access (PEP 562), so ``import fastoptim.kernels.x``
imports numba and ``x`` only.
"""
import importlib

_MODULES = ("epochs", "exp", "model", "policy", "schedules", "shuffle", "surface", "sweep", "updates")
_NAMES = {
    "exp": "exp", "exp_array": "exp",
    "loss_and_gradient_sum": "model", "loss_and_gradient_sum_parallel": "model",
    "loss_sum": "model", "loss_sum_parallel": "model", "sigmoid": "model", "sigmoid_ufunc": "model",
    "loss_grid": "surface",
    **{name: "updates" for name in (
        "adadelta_update", "adagrad_update", "adam_update", "adamax_update", "adamp_update",
        "amsgrad_update", "gd_update", "initial_scalars", "memory_limit_update",
        "memory_limit_update_parallel", "momentum_update", "nadam_update", "nesterov_update",
        "radam_rectification", "radam_update", "rmsprop_update", "update", "update_parallel",
        "update_views")},
}

__all__ = sorted({*_MODULES, *_NAMES})


def __getattr__(name):
    if name in _NAMES:
        value = getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
    elif name in _MODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'fastoptim.kernels' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *__all__})
