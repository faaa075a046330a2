"""Brute-force search over the error surface (SPEC §6, lecture 5.1 "guess work")."""
import math
from dataclasses import dataclass

import numpy as np

from . import _checks


@dataclass(frozen=True)
class Surface:
    """The loss on a ``(w, b)`` grid: ``loss[i, j] = J(w[j], b[i])`` (``W, B`` from
    ``np.meshgrid(w, b)``), the best grid point and the number of loss evaluations spent."""

    w: np.ndarray
    b: np.ndarray
    loss: np.ndarray
    best_w: float
    best_b: float
    best_loss: float
    evaluations: int

    @property
    def grids(self):
        """``(W, B)``, each of shape ``loss.shape``, for contour and surface plots."""
        return np.meshgrid(self.w, self.b)


def check_arguments(data, w_range, b_range, resolution, reduction, loss="squared"):
    """Validate ``surface``'s arguments (shared with the numpy reference's entry point)."""
    _checks.dataset(data)
    if data.d != 1:
        raise _checks.invalid("data", data, "must have one feature (d = 1) for a (w, b) surface")
    w_range = _checks.interval("w_range", w_range)
    b_range = _checks.interval("b_range", b_range)
    for name, (low, high) in (("w_range", w_range), ("b_range", b_range)):
        if not np.isfinite(high - low):  # np.linspace would give NaN grid points
            raise _checks.invalid(name, (low, high), "high - low must be finite: it overflows float64 "
                                                     "and the grid's points would be NaN")
    resolution = _checks.positive_int("resolution", resolution, minimum=2)
    _checks.fits_in_memory("resolution", resolution, grid_bytes(resolution),
                           f"a {resolution} × {resolution} grid")
    loss = _checks.choice("loss", loss, ("squared", "log"))
    if loss == "log":
        data.check_labels(loss)
        _check_log_loss_fits(data, w_range, b_range)
    return w_range, b_range, resolution, _checks.reduction(reduction), loss


def _check_log_loss_fits(data, w_range, b_range):
    """Refuse ranges over which the summed log loss could exceed float64: per point it is at most
    |z| + log 2 with |z| ≤ max|w|·max|x| + max|b| (the squared error is at most ½ a point)."""
    largest_x = float(np.max(np.abs(data.X))) if data.X.size else 0.0
    largest_w = max(abs(w_range[0]), abs(w_range[1]))
    largest_b = max(abs(b_range[0]), abs(b_range[1]))
    total = data.n if data.weights is None else float(np.sum(data.weights, dtype=np.float64))
    from_w, from_b = largest_w * largest_x, largest_b  # Python floats: an overflow is inf, not an error
    bound = (from_w + from_b + math.log(2.0)) * total
    if not bound <= np.finfo(np.float64).max:
        name, value = ("w_range", w_range) if from_w >= from_b else ("b_range", b_range)
        raise _checks.invalid(name, value, f"the log loss summed over the data can exceed the float64 range "
                                           f"there (up to ~{bound:.3g}): narrow the range")


def grid_bytes(resolution):
    """Bytes ``surface`` allocates for a ``resolution × resolution`` grid (float64 losses and
    the two axes)."""
    return 8 * resolution * resolution + 16 * resolution


def best_point(w, b, loss, reduction):
    """The grid point of least loss (the first in row-major order on a tie) as a ``Surface``."""
    i, j = np.unravel_index(np.argmin(loss), loss.shape)
    return Surface(w, b, loss, float(w[j]), float(b[i]), float(loss[i, j]), int(loss.size))


def surface(data, w_range=(-6.0, 6.0), b_range=(-6.0, 6.0), resolution=121, reduction="sum", loss="squared"):
    """Evaluate ``J`` on a ``resolution × resolution`` grid over ``w_range × b_range``.

    The default grid has a step of 0.1 over the lecture's ``[−6, 6]²``; ``reduction="sum"`` is
    the lecture's ``J`` (``"mean"`` divides by the total weight); ``loss`` as in ``train``. One
    evaluation is ``J`` at one grid point over all the data.
    """
    w_range, b_range, resolution, reduction, loss = check_arguments(data, w_range, b_range, resolution,
                                                                    reduction, loss)
    from .kernels.layout import LOSSES
    from .kernels.surface import loss_grid  # here: the numpy reference imports this module's checks

    w = np.linspace(*w_range, resolution)
    b = np.linspace(*b_range, resolution)
    grid = np.empty((resolution, resolution))
    loss_grid(data.X, data.y, w, b, grid, LOSSES[loss], data.weights)
    if reduction == "mean":
        grid /= data.n if data.weights is None else float(np.sum(data.weights, dtype=np.float64))
    return best_point(w, b, grid, reduction)
