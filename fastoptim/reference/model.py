"""The sigmoid neuron in plain numpy (SPEC §1), written as the lecture writes it.

This is what the kernels in ``kernels/model.py`` must compute. Every point is computed in
float64 (float32 data is widened first), as the kernels do.
"""
import numpy as np


def sigmoid(z):
    """σ(z) = 1 / (1 + e^−z), in the stable two-branch form."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _columns(X):
    """X as a float64 matrix of shape (N, d)."""
    X = np.asarray(X, dtype=np.float64)
    return X.reshape(-1, 1) if X.ndim == 1 else X


def f(X, theta):
    """The neuron's output σ(w·x + b) for every point."""
    theta = np.asarray(theta, dtype=np.float64)
    return sigmoid(_columns(X) @ theta[:-1] + theta[-1])


def loss(data, theta, reduction="mean"):
    """J = Σ ½ (f(x) − y)², or its mean over the points."""
    y = np.asarray(data.y, dtype=np.float64)
    total = np.sum(0.5 * (f(data.X, theta) - y) ** 2)
    return total / y.size if reduction == "mean" else total


def gradient(data, theta, reduction="mean"):
    """∇J = [Σ (f − y) f (1 − f) x, Σ (f − y) f (1 − f)], or its mean (lecture 5.2)."""
    y = np.asarray(data.y, dtype=np.float64)
    fx = f(data.X, theta)
    r = (fx - y) * fx * (1.0 - fx)
    grad_w = _columns(data.X).T @ r
    grad_b = np.sum(r)
    g = np.append(grad_w, grad_b)
    return g / y.size if reduction == "mean" else g
