"""Data sets of the lecture (SPEC §7): the two points, sparse features, large synthetic sets."""
from dataclasses import dataclass

import numpy as np

from . import _checks

#: Points generated per chunk by ``synthetic`` (bounds its temporary memory; part of the seed's
#: meaning, so changing it changes the data a seed gives).
SYNTHETIC_CHUNK = 1 << 20


@dataclass(frozen=True, eq=False)
class Dataset:
    """Inputs ``X`` (shape ``(N,)`` or ``(N, d)``) and targets ``y`` (shape ``(N,)``).

    Checked once, here: non-empty, lengths equal, finite, one float dtype (float32 or
    float64; integer arrays are converted to float64). ``X`` and ``y`` are stored as read-only
    views, never copied when they are already contiguous float arrays.
    """

    X: np.ndarray
    y: np.ndarray
    weights: np.ndarray | None = None  # (placeholder until the data work lands)

    def __post_init__(self):
        X = _checks.float_array("X", self.X, ndim=(1, 2))
        y = _checks.float_array("y", self.y, ndim=(1,))
        if X.shape[0] == 0:
            raise ValueError(f"X must hold at least one point, got shape {X.shape}")
        if X.ndim == 2 and X.shape[1] == 0:
            raise ValueError(f"X must have at least one feature, got shape {X.shape}")
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"y must have one target per point of X: X has {X.shape[0]}, y has {y.shape[0]}")
        if X.dtype != y.dtype:
            raise TypeError(f"X and y must have the same dtype, got X {X.dtype} and y {y.dtype}")
        _checks.finite("X", X)
        _checks.finite("y", y)
        X, y = X.view(), y.view()
        X.flags.writeable = False
        y.flags.writeable = False
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)

    @property
    def n(self):
        """Number of points ``N``."""
        return self.X.shape[0]

    @property
    def d(self):
        """Number of features ``d`` (1 for ``X`` of shape ``(N,)``)."""
        return 1 if self.X.ndim == 1 else self.X.shape[1]

    @property
    def dtype(self):
        return self.X.dtype

    def split(self, validation_fraction, seed=0):
        """Split into ``(train, validation)`` by a permutation from ``default_rng(seed)``.

        The validation part has ``round(validation_fraction * N)`` points; both parts must be
        non-empty.
        """
        fraction = _checks.real("validation_fraction", validation_fraction)
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"validation_fraction must be in (0, 1), got {fraction}")
        n_validation = int(round(fraction * self.n))
        if not 0 < n_validation < self.n:
            raise ValueError(
                f"validation_fraction={fraction} leaves an empty part of a data set of {self.n} points")
        order = np.random.default_rng(seed).permutation(self.n)
        train, validation = np.sort(order[n_validation:]), np.sort(order[:n_validation])
        return (Dataset(self.X[train], self.y[train]), Dataset(self.X[validation], self.y[validation]))

    def __repr__(self):
        return f"Dataset(n={self.n}, d={self.d}, dtype={self.dtype})"


def two_points():
    """The lecture's toy: ``X = [0.5, 2.5]``, ``y = [0.2, 0.9]`` (lecture module 5.1)."""
    return Dataset(np.array([0.5, 2.5]), np.array([0.2, 0.9]))


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sparse(n=500, zero_fraction=0.8, seed=0):
    """Sparse feature (lecture 5.9): ``x ~ U(-2, 2)`` with about ``zero_fraction`` of the
    points set to 0, ``y = σ(2x − 1)``. The bias sees every point, the weight only the rare
    non-zero ones: the setting where AdaGrad's per-parameter rates help."""
    n = _checks.positive_int("n", n)
    zero_fraction = _checks.real("zero_fraction", zero_fraction)
    if not 0.0 <= zero_fraction < 1.0:
        raise ValueError(f"zero_fraction must be in [0, 1), got {zero_fraction}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, n)
    x[rng.random(n) < zero_fraction] = 0.0
    return Dataset(x, _sigmoid(2.0 * x - 1.0))


def synthetic(n, w=2.0, b=-1.0, noise=0.05, d=1, seed=0, dtype=np.float64):
    """``y = σ(w·x + b) + noise·N(0, 1)`` with ``x ~ N(0, 1)``, for large-N experiments.

    ``w`` is a number (used for every feature) or a sequence of ``d`` numbers. ``X`` has shape
    ``(n,)`` for ``d = 1`` and ``(n, d)`` otherwise. Generated in chunks of
    ``SYNTHETIC_CHUNK`` points straight into the output arrays, so 10^8 points need only the
    arrays themselves plus a few chunk-sized temporaries.
    """
    n = _checks.positive_int("n", n)
    d = _checks.positive_int("d", d)
    dtype = np.dtype(dtype)
    if dtype not in _checks.FLOAT_DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    w = np.broadcast_to(np.asarray(w, dtype=np.float64), (d,)) if np.ndim(w) == 0 else np.asarray(w, dtype=np.float64)
    if w.shape != (d,):
        raise ValueError(f"w must be a number or have length d = {d}, got shape {w.shape}")
    b = _checks.real("b", b)
    noise = _checks.real("noise", noise)
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    X = np.empty((n,) if d == 1 else (n, d), dtype=dtype)
    y = np.empty(n, dtype=dtype)
    for start in range(0, n, SYNTHETIC_CHUNK):
        stop = min(n, start + SYNTHETIC_CHUNK)
        x = rng.standard_normal((stop - start, d))
        X[start:stop] = x[:, 0] if d == 1 else x
        y[start:stop] = _sigmoid(x @ w + b) + noise * rng.standard_normal(stop - start)
    return Dataset(X, y)
