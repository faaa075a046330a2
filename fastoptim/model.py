"""Loss, gradient and predictions of the sigmoid neuron over a data set (SPEC §1, §9), on the
compiled kernels.

``theta = [w_1 … w_d, b]``; ``loss="squared"`` is the lecture's ``½ (f − y)²`` and ``"log"`` the
cross-entropy ``−y log f − (1 − y) log(1 − f)`` (targets in [0, 1]); the data's sample weights,
if any, weigh each point. ``reduction="sum"`` is ``J = Σ s ℓ`` (the lecture's ``J`` on the two
points), ``"mean"`` (the default) divides by the total weight ``Σ s`` (``N`` without weights).
Arithmetic and sums are float64 for float32 data too. Large data sets are summed on several
threads (``fastoptim.threads``), with the same bits as one thread.
"""
import numpy as np

from . import _checks
from .kernels import layout as _layout
from .kernels import model as _kernels

LOSSES = tuple(_layout.LOSSES)


def _arguments(data, theta, reduction, loss):
    data = _checks.dataset(data)
    theta = _checks.theta(theta, data.d)
    reduction = _checks.reduction(reduction)
    loss = _checks.choice("loss", loss, LOSSES)
    if loss == "log":
        check_labels(data, "data")
    return data, theta, reduction, _layout.LOSSES[loss]


def check_labels(data, name="data"):
    """The log loss needs targets in [0, 1]: ``ValueError`` naming the first one outside."""
    outside = (data.y < 0) | (data.y > 1)
    if outside.any():
        index = int(np.argmax(outside))
        raise _checks.invalid("loss", "log", f"the log loss needs targets in [0, 1]; {name}.y[{index}] = "
                                             f"{float(data.y[index])!r}")


def loss_and_gradient(data, theta, reduction="mean", loss="squared"):
    """``(J, ∇J)`` in one pass over the data; ``∇J`` is a float64 array shaped like ``theta``."""
    data, theta, reduction, marker = _arguments(data, theta, reduction, loss)
    out = data_sums(data, theta, _kernels.LossAndGradientSum(), marker)
    sums = out[:-1]
    if reduction == "mean":
        sums = sums / out[-1]
    return float(sums[0]), sums[1:].copy()


def loss(data, theta, reduction="mean", loss="squared"):
    """``J(θ)``: ``Σ s ℓ(σ(w·x_i + b), y_i)`` (``"sum"``) or that over ``Σ s`` (``"mean"``)."""
    data, theta, reduction, marker = _arguments(data, theta, reduction, loss)
    value = total_loss(data, theta, marker, reduction == "mean")
    if not np.isfinite(value) and np.isfinite(theta).all():
        _checks.finite("X", data.X)  # the data changed after the Dataset checked it (it keeps a view)
        _checks.finite("y", data.y)
    return value


def gradient(data, theta, reduction="mean", loss="squared"):
    """``∇J(θ)``: ``Σ s r_i [x_i, 1]`` (or that over ``Σ s``), ``r = ∂ℓ/∂z``: ``(f − y) f (1 − f)``
    for the squared error (lecture 5.2), ``f − y`` for the log loss."""
    return loss_and_gradient(data, theta, reduction, loss)[1]


def sigmoid(z):
    """σ(z) element-wise in the stable two-branch form (the kernels' ``sigmoid``), computed in
    float64; float32 input gives float32 output, integers give float64."""
    z = np.asarray(z)
    out = _kernels.sigmoid_ufunc(z)
    return out.astype(np.float32) if z.dtype == np.float32 else out


def predict(theta, X):
    """``f(x) = σ(w·x + b)`` for every point of ``X``, float64: ``X`` of shape (N, d), or (N,) for
    N points of one feature (as everywhere in fastoptim)."""
    theta = np.asarray(theta, dtype=np.float64)
    if theta.ndim != 1 or theta.size < 2:
        raise _checks.invalid("theta", theta, "must be [w_1 … w_d, b], of length d + 1 >= 2")
    X = _checks.float_array("X", X, ndim=(1, 2))
    d = 1 if X.ndim == 1 else X.shape[1]
    if d + 1 != theta.size:
        raise _checks.invalid("X", X, f"must have d = {theta.size - 1} features for theta of length {theta.size}")
    _checks.finite("X", X)
    columns = X.reshape(-1, 1) if X.ndim == 1 else X
    return sigmoid(columns.astype(np.float64) @ theta[:-1] + theta[-1])


def evaluate(data, theta, loss="squared", reduction="mean"):
    """``{"loss": J, "accuracy": …}`` on ``data`` at ``theta``: the accuracy (prediction
    ``f >= 0.5`` against a label ``y >= 0.5``, weighted) only for 0/1 labels, else None."""
    value = globals()["loss"](data, theta, reduction, loss)
    labels = np.unique(data.y)
    accuracy = None
    if np.all(np.isin(labels, (0.0, 1.0))):
        right = (predict(theta, data.X) >= 0.5) == (data.y >= 0.5)
        weights = np.ones(data.n) if data.weights is None else data.weights.astype(np.float64)
        accuracy = float(np.sum(weights * right) / np.sum(weights))
    return {"loss": float(value), "accuracy": accuracy}


# --- sums over large data sets, spread over threads ---------------------------------------------

def _serial(n):
    """Whether :func:`data_sums` sums ``n`` points on one thread."""
    from . import threads

    return n < _kernels.PARALLEL_THRESHOLD or threads.thread_count() == 1


def data_sums(data, theta, sums, loss, order=None):
    """``[Σ s ℓ, Σ s r x_1 … Σ s r x_d, Σ s r, Σ s]`` over ``data`` at ``theta`` (float64), as
    ``sums`` asks (``kernels.model.LossSum()`` …; ``loss`` the kernels' marker): in the order of
    ``kernels/model.py``, serially below ``PARALLEL_THRESHOLD`` points, else block by block on
    threads (``fastoptim.threads``) and the blocks' sums added in order: the same bits."""
    from . import threads

    theta = np.asarray(theta, dtype=np.float64)
    out = np.empty(theta.size + 2)
    n = data.n if order is None else order.size
    if _serial(n):
        _kernels.range_sums(sums, loss, data.X, data.y, data.weights, order, theta, 0, n, out)
        return out
    partials = np.empty((-(-n // _kernels.BLOCK), out.size))
    threads.spread(threads.ranges(partials.shape[0]), lambda task: _kernels.block_sums(
        sums, loss, data.X, data.y, data.weights, order, theta, 0, n, task[0], task[1], partials))
    _kernels.combine(partials, out)
    return out


def total_loss(data, theta, loss, mean):
    """``J`` over ``data`` at ``theta`` (``loss``: the kernels' marker), summed or over the
    total weight (``mean``): :func:`data_sums`."""
    out = data_sums(data, theta, _kernels.LossSum(), loss)
    return float(out[0] / out[-1]) if mean else float(out[0])


def sums_calls(data, sums, loss, order=None):
    """The compiled calls :func:`data_sums` makes over ``data`` (the same arguments), as
    ``(dispatcher, arguments)`` with a stand-in θ and outputs of the types it passes: what
    ``fastoptim.compiling`` checks, and compiles ahead of a run."""
    theta = np.zeros(data.d + 1)
    out = np.empty(theta.size + 2)
    n = data.n if order is None else order.size
    if _serial(n):
        return [(_kernels.range_sums, (sums, loss, data.X, data.y, data.weights, order, theta, 0, n, out))]
    partials = np.empty((1, out.size))
    return [(_kernels.block_sums, (sums, loss, data.X, data.y, data.weights, order, theta, 0, n, 0, 1, partials)),
            (_kernels.combine, (partials, out))]


def total_loss_calls(data, loss):
    """The compiled calls of :func:`total_loss` over ``data`` (see :func:`sums_calls`)."""
    return sums_calls(data, _kernels.LossSum(), loss)
