"""What the command line (``fastoptim.cli``) and the demo (``fastoptim.demo``) share to draw
their pictures: ``fastoptim.plot`` with a file backend, and the error surface over a box that
holds a set of paths (of a sample of a large data set)."""
import os

import numpy as np

from . import data as _data
from .error_surface import Surface, surface

#: Points of a large data set used to draw its error surface (the surface of a sample).
SURFACE_SAMPLE = 20_000


def plot_module():
    """``fastoptim.plot``, with matplotlib's file backend unless one is chosen already."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    from . import plot

    return plot


def sample(data, limit=SURFACE_SAMPLE):
    """The first ``limit`` points of ``data`` (``data`` itself if it has no more)."""
    if data.n <= limit:
        return data
    weights = None if data.weights is None else data.weights[:limit]
    return _data.Dataset(data.X[:limit], data.y[:limit], weights)


def grid_around(data, runs, reduction, resolution=121, loss="squared"):
    """The error surface over a box holding every path and the minimum (of a sample of a large
    data set), with a margin; returns ``(surface, note)``, the note saying when the surface is a
    sample's."""
    part = sample(data)
    coarse = surface(part, resolution=61, reduction=reduction, loss=loss)
    points = [np.array([[coarse.best_w - 0.75, coarse.best_b - 0.75], [coarse.best_w + 0.75, coarse.best_b + 0.75]])]
    for run in runs:
        if run.trajectory is not None:
            rows = run.trajectory[np.all(np.isfinite(run.trajectory), axis=1)]
            points.append(np.clip(rows, -50, 50))
    every = np.concatenate(points)
    low, high = every.min(axis=0), every.max(axis=0)
    margin = 0.12 * (high - low) + 0.25
    low, high = low - margin, high + margin
    grid = surface(part, w_range=(low[0], high[0]), b_range=(low[1], high[1]), resolution=resolution,
                   reduction=reduction, loss=loss)
    if reduction == "sum" and part.n < data.n:
        grid = scaled(grid, data.n / part.n)
    note = f" (surface of the first {part.n:,} points)" if part.n < data.n else ""
    return grid, note


def scaled(grid, factor):
    """``grid`` with its losses multiplied by ``factor`` (a sample's summed J as the whole's)."""
    return Surface(grid.w, grid.b, grid.loss * factor, grid.best_w, grid.best_b, grid.best_loss * factor,
                   grid.evaluations)
