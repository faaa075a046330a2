"""The lecture's pictures: the error surface (module 5.1), contour maps with the optimizers'
paths on them (module 5.3 onwards), loss curves, and learning-rate / momentum curves.

Needs matplotlib (the ``plot`` extra: ``python -m pip install "fastoptim[plot]"``).

>>> import fastoptim as fo
>>> from fastoptim import plot
>>> data = fo.data.two_points()
>>> runs = [fo.train(data, opt, epochs=100, init=[-2, -2], reduction="sum", record="step")
...         for opt in (fo.GD(lr=1.0), fo.Momentum(lr=1.0), fo.Nesterov(lr=1.0))]
>>> fig = plot.contours(fo.surface(data), runs, save="contours.png")  # doctest: +SKIP

Every function returns a ``matplotlib.figure.Figure`` and takes

- ``ax``: draw into these axes instead of a new figure (``contours``, ``loss_curves`` and
  ``lr_curves`` need 2-D axes, ``surface`` 3-D axes), to compose several pictures into one;
- ``save``: a path; the figure is written there, PNG or SVG (or any format matplotlib knows)
  by the file's extension, at ``dpi``;
- ``labels``: one name per run; the default is the optimizer's class name.

Runs are ``fastoptim.Run`` objects: one, a list, or a ``{label: run}`` dict. Trajectories need
``record="step"``. The figures are built with ``matplotlib.figure.Figure``, not pyplot: nothing
global is touched and no figure is kept alive by matplotlib; in a notebook the returned figure
is displayed, in a script pass your own axes (``fig, ax = plt.subplots()``) to show it with
pyplot.

Drawn artists carry a ``gid`` (``"trajectory"``, ``"start"``, ``"end"``, ``"minimum"``,
``"loss"``, ``"lr"``, ``"momentum"``) so that tests and callers can find them.
"""
try:
    import matplotlib
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure
    from matplotlib.ticker import LogLocator
except ImportError as error:  # pragma: no cover - exercised only without matplotlib
    raise ImportError(
        "fastoptim.plot needs matplotlib, which is in the 'plot' extra: "
        'python -m pip install "fastoptim[plot]"') from error

import numpy as np

from .data import Dataset
from .error_surface import Surface
from .error_surface import surface as _surface
from .runs import Run

__all__ = ["surface", "contours", "loss_curves", "lr_curves", "step_sizes", "color"]

#: One color per optimizer, the same in every picture. The lecture draws momentum in green
#: and NAG in blue against black for (stochastic) gradient descent.
COLORS = {
    "GD": "#111111", "Momentum": "#1a9a2a", "Nesterov": "#1f5fd0", "AdaGrad": "#d62728",
    "RMSProp": "#ff7f0e", "AdaDelta": "#8c564b", "Adam": "#9b30d9", "AdaMax": "#e377c2",
    "NAdam": "#17becf", "AMSGrad": "#bcbd22", "RAdam": "#7f7f7f", "AdamP": "#4b0082",
    "AdamW": "#c71585", "NAdamW": "#008b8b", "RMSPropW": "#b8860b", "AdaGradW": "#800000",
}
_FALLBACK = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442"]

#: Most rows of a trajectory drawn; longer ones are thinned evenly (first and last kept).
MAX_POINTS = 4000


def color(name, index=0):
    """The color of optimizer ``name`` (``COLORS``), or a fallback by ``index``."""
    return COLORS.get(name, _FALLBACK[index % len(_FALLBACK)])


# --- arguments ------------------------------------------------------------------------------------

def _runs(runs, labels):
    """``[(label, run)]`` from a Run, a sequence of Runs or a ``{label: run}`` mapping."""
    if runs is None:
        return []
    if isinstance(runs, Run):
        runs = [runs]
    if isinstance(runs, dict):
        pairs = [(str(label), run) for label, run in runs.items()]
    else:
        runs = list(runs)
        if labels is None:
            labels = [run.settings["optimizer"] if isinstance(run, Run) else "?" for run in runs]
        labels = list(labels)
        if len(labels) != len(runs):
            raise ValueError(f"labels must name each run: {len(runs)} runs, {len(labels)} labels")
        pairs = list(zip((str(label) for label in labels), runs))
    for label, run in pairs:
        if not isinstance(run, Run):
            raise TypeError(f"runs must be fastoptim.Run objects, got {type(run).__name__} for {label!r}")
    return pairs


def _grid(grid):
    if isinstance(grid, Dataset):
        return _surface(grid)
    if not isinstance(grid, Surface):
        raise TypeError(f"grid must be a fastoptim.Surface (fastoptim.surface(data)) or a Dataset, "
                        f"got {type(grid).__name__}")
    return grid


def _axes(ax, figsize, projection=None):
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=figsize, layout="constrained")
    return figure, figure.add_subplot(projection=projection)


def _finish(figure, save, dpi):
    if save is not None:
        figure.savefig(save, dpi=dpi)
    return figure


def _thin(rows, limit=MAX_POINTS):
    """At most about ``limit`` rows: half evenly spaced, half log-spaced (dense at the start,
    where a path moves most), the first and last always kept."""
    n = len(rows)
    if n <= limit:
        return rows
    half = limit // 2
    keep = np.concatenate([[0, n - 1], np.linspace(0, n - 1, half), np.geomspace(1, n - 1, half)])
    return rows[np.unique(keep.round().astype(np.int64))]


def _trajectory(label, run):
    if run.trajectory is None:
        raise ValueError(f"run {label!r} has no trajectory: train it with record='step'")
    if run.trajectory.shape[1] != 2:
        raise ValueError(f"run {label!r} has {run.trajectory.shape[1] - 1} weights; the (w, b) plane "
                         "needs one-feature data")
    return np.asarray(run.trajectory, dtype=np.float64)


def _levels(loss, count):
    """``count`` contour levels, evenly spaced in log(J) between J's 1st percentile (at least
    max/1e6) and its maximum: the lecture's maps show the shape near the minimum as well as
    the plateaus."""
    finite = loss[np.isfinite(loss) & (loss > 0)]
    top = float(finite.max()) if finite.size else 1.0
    low = max(float(np.percentile(finite, 1)) if finite.size else top * 1e-6, top * 1e-6)
    if not low < top:
        low = top / 10
    return np.geomspace(low, top, count)


# --- the pictures ---------------------------------------------------------------------------------

def surface(grid, runs=None, *, labels=None, title=None, cmap="viridis", elev=30, azim=-60,
            ax=None, save=None, dpi=100, figsize=(7.0, 5.6)):
    """The error surface ``J(w, b)`` in 3-D (lecture 5.1), the brute-force minimum marked,
    and the paths of ``runs`` drawn on it (their ``J`` read off the grid, bilinearly).

    ``grid`` is a ``fastoptim.Surface`` (``fastoptim.surface(data, ...)``) or a Dataset, whose
    surface is then computed with the defaults (``[−6, 6]²``, the lecture's summed ``J``).
    """
    grid = _grid(grid)
    figure, ax = _axes(ax, figsize, projection="3d")
    W, B = grid.grids
    ax.plot_surface(W, B, grid.loss, cmap=cmap, linewidth=0, antialiased=True, alpha=0.85,
                    rcount=min(80, grid.loss.shape[0]), ccount=min(80, grid.loss.shape[1]))
    for index, (label, run) in enumerate(_runs(runs, labels)):
        rows = _thin(_trajectory(label, run))
        z = _bilinear(grid, rows[:, 0], rows[:, 1])
        (line,) = ax.plot(rows[:, 0], rows[:, 1], z, color=color(run.settings["optimizer"], index),
                          linewidth=2, label=label, zorder=10)
        line.set_gid("trajectory")
    ax.scatter([grid.best_w], [grid.best_b], [grid.best_loss], marker="*", s=160, color="white",
               edgecolors="black", depthshade=False, zorder=11, label="minimum (grid)").set_gid("minimum")
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    ax.set_zlabel("J(w, b)")
    ax.view_init(elev=elev, azim=azim)
    ax.set_title(title if title is not None else "Error surface")
    if runs is not None:
        ax.legend(loc="upper left", fontsize="small")
    return _finish(figure, save, dpi)


def _bilinear(grid, w, b):
    """``J`` at the points ``(w, b)`` by bilinear interpolation on the grid (clipped to it)."""
    w = np.clip(w, grid.w[0], grid.w[-1])
    b = np.clip(b, grid.b[0], grid.b[-1])
    j = np.clip(np.searchsorted(grid.w, w) - 1, 0, grid.w.size - 2)
    i = np.clip(np.searchsorted(grid.b, b) - 1, 0, grid.b.size - 2)
    tw = (w - grid.w[j]) / (grid.w[j + 1] - grid.w[j])
    tb = (b - grid.b[i]) / (grid.b[i + 1] - grid.b[i])
    loss = grid.loss
    return ((1 - tb) * ((1 - tw) * loss[i, j] + tw * loss[i, j + 1])
            + tb * ((1 - tw) * loss[i + 1, j] + tw * loss[i + 1, j + 1]))


def contours(grid, runs=None, *, labels=None, title=None, levels=24, cmap="Blues_r", markers=True,
             legend=True, colorbar=True, ax=None, save=None, dpi=100, figsize=(6.4, 5.2)):
    """A contour map of ``J(w, b)`` (lecture 5.3) with each run's path on it.

    Filled contours at levels evenly spaced in ``log J`` (close lines: a steep slope; far
    apart: a gentle one), each run's trajectory as a line with a dot at every step when there
    are few, its start (circle) and end (square) marked, the grid's minimum as a star, and a
    legend with one entry per run. ``grid`` is a ``fastoptim.Surface`` or a Dataset.
    """
    grid = _grid(grid)
    figure, ax = _axes(ax, figsize)
    W, B = grid.grids
    loss = np.where(grid.loss > 0, grid.loss, np.nan)
    level_values = _levels(grid.loss, levels) if np.ndim(levels) == 0 else np.asarray(levels)
    norm = LogNorm(level_values[0], level_values[-1])
    filled = ax.contourf(W, B, np.clip(loss, level_values[0], level_values[-1]), levels=level_values,
                         cmap=cmap, norm=norm, extend="neither")
    ax.contour(W, B, loss, levels=level_values, colors="white", linewidths=0.4, alpha=0.6)
    if colorbar:
        bar = figure.colorbar(filled, ax=ax, shrink=0.9, pad=0.02)
        bar.set_label("J(w, b)")
        bar.locator = LogLocator()
        bar.update_ticks()
    pairs = _runs(runs, labels)
    for index, (label, run) in enumerate(pairs):
        rows = _thin(_trajectory(label, run))
        shade = color(run.settings["optimizer"], index)
        dots = len(rows) <= 300
        (line,) = ax.plot(rows[:, 0], rows[:, 1], color=shade, linewidth=1.6, label=label,
                          marker="." if dots else None, markersize=4, zorder=3)
        line.set_gid("trajectory")
        if markers:
            ax.plot(rows[-1, 0], rows[-1, 1], marker="s", markersize=7, color=shade,
                    markeredgecolor="white", linestyle="none", zorder=5)[0].set_gid("end")
    if markers and pairs:
        starts = np.array([_trajectory(label, run)[0] for label, run in pairs])
        ax.plot(starts[:, 0], starts[:, 1], marker="o", markersize=8, color="white",
                markeredgecolor="black", linestyle="none", zorder=6, label="start")[0].set_gid("start")
    ax.plot(grid.best_w, grid.best_b, marker="*", markersize=15, color="gold", markeredgecolor="black",
            linestyle="none", zorder=7, label="minimum (grid)")[0].set_gid("minimum")
    ax.set_xlim(grid.w[0], grid.w[-1])
    ax.set_ylim(grid.b[0], grid.b[-1])
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    ax.set_title(title if title is not None else "Contours of J(w, b)")
    if legend:
        ax.legend(loc="best", fontsize="small", framealpha=0.85)
    return _finish(figure, save, dpi)


def loss_curves(runs, *, labels=None, x="epoch", log=True, logx=False, title=None, ax=None, save=None,
                dpi=100, figsize=(6.4, 4.4)):
    """The training loss of each run against the epoch (``x="epoch"``) or the step
    (``x="step"``), log scale by default (``log``; ``logx`` for the x axis too, which shows
    the first steps of a long mini-batch run).

    ``run.loss`` is the whole training set's loss after each epoch (and ``run.validation_loss``,
    dashed, when the run has validation data); with ``x="step"`` it is drawn at the step that
    ended each epoch, and a run recorded with ``record="step"`` and several steps per epoch also
    gets its (noisy) batch losses drawn faintly behind.
    """
    if x not in ("epoch", "step"):
        raise ValueError(f"x must be 'epoch' or 'step', got {x!r}")
    figure, ax = _axes(ax, figsize)
    for index, (label, run) in enumerate(_runs(runs, labels)):
        shade = color(run.settings["optimizer"], index)
        epochs = np.arange(1, run.loss.size + 1)
        if x == "step":
            per_epoch = run.steps // run.epochs if run.epochs else 1
            if run.step_loss is not None and per_epoch > 1:
                steps = np.arange(1, run.step_loss.size + 1)
                thin = _thin(np.column_stack([steps, run.step_loss]))
                ax.plot(thin[:, 0], thin[:, 1], color=shade, alpha=0.25, linewidth=0.6)
            positions = epochs * per_epoch
        else:
            positions = epochs
        (line,) = ax.plot(positions, run.loss, color=shade, linewidth=1.8, label=label,
                          marker="o" if run.loss.size <= 30 else None, markersize=3)
        line.set_gid("loss")
        if run.validation_loss is not None:
            (line,) = ax.plot(positions, run.validation_loss, color=shade, linewidth=1.4, linestyle="--",
                              label=f"{label} (validation)")
            line.set_gid("validation")
        if run.diverged is not None:
            ax.plot(positions[-1:] if positions.size else [0], run.loss[-1:] if run.loss.size else [np.nan],
                    marker="x", color=shade, markersize=10, linestyle="none")
    if log:
        ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel("epoch" if x == "epoch" else "step")
    ax.set_ylabel("loss J")
    ax.set_title(title if title is not None else "Loss")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return _finish(figure, save, dpi)


def _rates_of(run):
    """``(x, η, β, unit)``: per step with ``record="step"``, else per epoch (the rates of each
    epoch's last step); ``β`` None for optimizers without a momentum. Read from the run's record."""
    if run.step_lr is not None:
        return np.arange(1, run.step_lr.size + 1), run.step_lr, run.step_beta, "step"
    return np.arange(1, run.lr.size + 1), run.lr, run.beta, "epoch"


def lr_curves(runs, *, labels=None, momentum=None, log=False, title=None, ax=None, save=None, dpi=100,
              figsize=(6.4, 4.4)):
    """The learning rate η of every step (with ``record="step"``; else of each epoch) from the
    run's record (a schedule's values, a plateau controller's, or the line search's choices),
    and on a second axis the momentum β (β1 for the Adam family) where the optimizer has one
    (the run's ``step_beta``/``beta``), or ``momentum`` if given (a schedule of the counter, an
    array, or a number).
    """
    figure, ax = _axes(ax, figsize)
    pairs = _runs(runs, labels)
    twin = None
    unit = "step"
    for index, (label, run) in enumerate(pairs):
        shade = color(run.settings["optimizer"], index)
        counters, lrs, beta, unit = _rates_of(run)
        thin = _thin(np.column_stack([counters, lrs]))
        (line,) = ax.plot(thin[:, 0], thin[:, 1], color=shade, linewidth=1.8, label=f"{label} η")
        line.set_gid("lr")
        if momentum is not None:
            if callable(momentum):
                beta = np.asarray(momentum(counters - 1), dtype=np.float64)
            else:
                beta = np.broadcast_to(np.asarray(momentum, dtype=np.float64), counters.shape)
        if beta is not None and beta.size:
            if twin is None:
                twin = ax.twinx()
                twin.set_ylabel("momentum β (dashed)")
            thin = _thin(np.column_stack([counters, beta]))
            (line,) = twin.plot(thin[:, 0], thin[:, 1], color=shade, linewidth=1.4, linestyle="--",
                                label=f"{label} β")
            line.set_gid("momentum")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(unit)
    ax.set_ylabel("learning rate η")
    ax.set_title(title if title is not None else "Learning rate and momentum")
    ax.grid(True, alpha=0.3)
    handles, names = ax.get_legend_handles_labels()
    if twin is not None:
        more_handles, more_names = twin.get_legend_handles_labels()
        handles, names = handles + more_handles, names + more_names
    ax.legend(handles, names, loc="best", fontsize="small")
    return _finish(figure, save, dpi)


def step_sizes(runs, *, labels=None, log=True, title=None, ax=None, save=None, dpi=100,
               figsize=(6.4, 4.4)):
    """The length of every step, ``‖θ_t − θ_{t−1}‖`` (from the trajectory), against the step:
    how far each optimizer actually moves. AdaGrad's steps shrink as its sum of squared
    gradients grows (lecture 5.9: it slows down near the optimum); RMSProp's and Adam's do not.
    """
    figure, ax = _axes(ax, figsize)
    for index, (label, run) in enumerate(_runs(runs, labels)):
        rows = np.asarray(run.trajectory, dtype=np.float64) if run.trajectory is not None else None
        if rows is None:
            raise ValueError(f"run {label!r} has no trajectory: train it with record='step'")
        lengths = np.sqrt(np.sum(np.diff(rows, axis=0) ** 2, axis=1))
        steps = np.arange(1, lengths.size + 1)
        thin = _thin(np.column_stack([steps, lengths]))
        (line,) = ax.plot(thin[:, 0], thin[:, 1], color=color(run.settings["optimizer"], index),
                          linewidth=1.6, label=label)
        line.set_gid("step")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("step length ‖Δθ‖")
    ax.set_title(title if title is not None else "How far each step moves")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return _finish(figure, save, dpi)


def _check_matplotlib_version():
    major, minor = (int(part) for part in matplotlib.__version__.split(".")[:2])
    if (major, minor) < (3, 7):  # pragma: no cover
        raise ImportError(f"fastoptim.plot needs matplotlib >= 3.7, found {matplotlib.__version__}")


_check_matplotlib_version()
