"""Loss and gradient of the sigmoid neuron over a data set (SPEC §1), on the compiled kernels.

``theta = [w_1 … w_d, b]``; ``reduction="sum"`` is the lecture's ``J = ½ Σ (f − y)²``,
``"mean"`` (the default) divides by ``N``. Arithmetic and sums are float64 for float32 data
too. Large data sets use the parallel kernels, which give the same bits as the serial ones.
"""
import numpy as np

from . import _checks
from .kernels import model as _kernels


def _loss_and_gradient_sum(data, theta):
    out = np.empty(data.d + 2)
    kernel = (_kernels.loss_and_gradient_sum_parallel if data.n >= _kernels.PARALLEL_THRESHOLD
              else _kernels.loss_and_gradient_sum)
    kernel(data.X, data.y, theta, out)
    return out


def loss_and_gradient(data, theta, reduction="mean"):
    """``(J, ∇J)`` in one pass over the data; ``∇J`` is a float64 array shaped like ``theta``."""
    data = _checks.dataset(data)
    theta = _checks.theta(theta, data.d)
    reduction = _checks.reduction(reduction)
    out = _loss_and_gradient_sum(data, theta)
    if reduction == "mean":
        out /= data.n
    return float(out[0]), out[1:]


def loss(data, theta, reduction="mean"):
    """``J(θ) = Σ ½ (σ(w·x_i + b) − y_i)²`` (``"sum"``) or that over ``N`` (``"mean"``)."""
    data = _checks.dataset(data)
    theta = _checks.theta(theta, data.d)
    reduction = _checks.reduction(reduction)
    return _kernels.loss_total(data.X, data.y, theta, reduction == "mean", True)


def gradient(data, theta, reduction="mean"):
    """``∇J(θ)``: ``Σ (f_i − y_i) f_i (1 − f_i) [x_i, 1]`` (or its mean); lecture 5.2."""
    return loss_and_gradient(data, theta, reduction)[1]


def sigmoid(z):
    """σ(z) element-wise in the stable two-branch form (the kernels' ``sigmoid``), computed in
    float64; float32 input gives float32 output, integers give float64."""
    z = np.asarray(z)
    out = _kernels.sigmoid_ufunc(z)
    return out.astype(np.float32) if z.dtype == np.float32 else out
