"""The sigmoid neuron in plain numpy (SPEC §1, §9), written as the lecture writes it.

This is what the kernels in ``kernels/model.py`` must compute. Every point is computed in
float64 (float32 data is widened first), as the kernels do. ``data`` is anything with ``X``,
``y`` and (optionally) ``weights``: a ``fastoptim.Dataset``, or a batch of one.
"""
import numpy as np

LOSSES = ("squared", "log")


def sigmoid(z):
    """σ(z) = 1 / (1 + e^−z), in the stable two-branch form."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _columns(X):
    """X as a float64 matrix of shape (N, d)."""
    X = np.asarray(X, dtype=np.float64)
    return X.reshape(-1, 1) if X.ndim == 1 else X


def _z(X, theta):
    theta = np.asarray(theta, dtype=np.float64)
    return _columns(X) @ theta[:-1] + theta[-1]


def f(X, theta):
    """The neuron's output σ(w·x + b) for every point."""
    return sigmoid(_z(X, theta))


def _weights(data, n):
    weights = getattr(data, "weights", None)
    return np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)


def _softplus(z):
    """log(1 + e^z) = max(z, 0) + log(1 + e^−|z|), numpy's ``logaddexp(0, z)``."""
    return np.logaddexp(0.0, z)


def point_losses(data, theta, loss="squared"):
    """Every point's loss: ½ (f − y)², or −y log f − (1 − y) log(1 − f) with
    log f = −softplus(−z) and log(1 − f) = −softplus(z) (SPEC §9)."""
    y = np.asarray(data.y, dtype=np.float64)
    z = _z(data.X, theta)
    if loss == "squared":
        return 0.5 * (sigmoid(z) - y) ** 2
    if loss == "log":
        return y * _softplus(-z) + (1.0 - y) * _softplus(z)
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


def _over_weight(total, weights, reduction):
    """``total / Σ s`` for ``"mean"``; a set of total weight 0 (a batch of zero-weight points)
    has the sum, 0: it contributes nothing (SPEC §9: the weighted mean, defined where Σ s > 0)."""
    weight = np.sum(weights)
    return total / weight if reduction == "mean" and weight != 0.0 else total


def loss(data, theta, reduction="mean", loss="squared"):
    """J = Σ s_i ℓ_i, or that over Σ s_i (``"mean"``); weights s_i = 1 without weights."""
    values = point_losses(data, theta, loss)
    weights = _weights(data, values.size)
    return _over_weight(np.sum(weights * values), weights, reduction)


def gradient(data, theta, reduction="mean", loss="squared"):
    """∇J = [Σ s r x, Σ s r] with r = ∂ℓ/∂z = (f − y) f (1 − f) (squared error, lecture 5.2) or
    f − y (log loss), or that over Σ s."""
    y = np.asarray(data.y, dtype=np.float64)
    fx = f(data.X, theta)
    if loss == "squared":
        r = (fx - y) * fx * (1.0 - fx)
    elif loss == "log":
        r = fx - y
    else:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    weights = _weights(data, y.size)
    r = weights * r
    return _over_weight(np.append(_columns(data.X).T @ r, np.sum(r)), weights, reduction)
