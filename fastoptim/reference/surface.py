"""Brute-force search over the error surface in plain numpy (SPEC §6)."""
import numpy as np

from ..error_surface import best_point, check_arguments
from .model import loss as model_loss


def surface(data, w_range=(-6.0, 6.0), b_range=(-6.0, 6.0), resolution=121, reduction="sum", loss="squared"):
    """J at every grid point, one grid point at a time (lecture 5.1, "guess work")."""
    w_range, b_range, resolution, reduction, loss = check_arguments(data, w_range, b_range, resolution,
                                                                    reduction, loss)
    objective = loss
    w = np.linspace(*w_range, resolution)
    b = np.linspace(*b_range, resolution)
    J = np.empty((resolution, resolution))
    for i in range(resolution):
        for j in range(resolution):
            J[i, j] = model_loss(data, [w[j], b[i]], reduction, objective)
    return best_point(w, b, J, reduction)
