"""The lecture's pictures: the error surface (module 5.1), contour maps with the optimizers'
paths on them (module 5.3 onwards), loss curves, learning-rate / momentum curves and step
lengths; and a picture for every other kind of result: a sweep's heatmap of final loss over two
hyperparameters (``sweep``) and its loss curves (``sweep_curves``, or ``loss_curves`` of the
sweep), the candidates of ``lr_search`` (``lr_search``) and the learning-rate range test with
its suggested η (``range_test``).

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

Every marker drawn is named in a legend (the end of each path, a diverged run's ×, a value
below a log axis's floor); epoch and step axes have whole-number ticks; a log axis never drops
a value silently: what falls at or below its floor (a zero, a loss of 1e-30, ``floor=``) is
drawn at the floor with a ▼ and a legend entry.

Drawn artists carry a ``gid`` (``"trajectory"``, ``"start"``, ``"end"``, ``"minimum"``,
``"loss"``, ``"validation"``, ``"diverged"``, ``"below-floor"``, ``"lr"``, ``"momentum"``,
``"heatmap"``, ``"coarse"``, ``"fine"``, ``"best"``, ``"smoothed"``, ``"suggested"``) so that
tests and callers can find them.
"""
try:
    import matplotlib
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import LogLocator, MaxNLocator
    from matplotlib.transforms import blended_transform_factory
except ImportError as error:  # pragma: no cover - exercised only without matplotlib
    raise ImportError(
        "fastoptim.plot needs matplotlib, which is in the 'plot' extra: "
        'python -m pip install "fastoptim[plot]"') from error

import numpy as np

from .data import Dataset
from .error_surface import Surface
from .error_surface import surface as _surface
from .runs import Run
from .search import LRSearchResult, RangeTestResult
from .sweep_result import _RESULT_COLUMNS, SweepResult

__all__ = ["surface", "contours", "loss_curves", "lr_curves", "step_sizes", "sweep", "sweep_curves", "lr_search",
           "range_test", "color"]

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
        ax.plot([], [], marker="s", markersize=7, color="0.45", markeredgecolor="white", linestyle="none",
                label="end (in the path's colour)")[0].set_gid("end-legend")
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


# --- axes that say what they hide -------------------------------------------------------------------

def _integer_ticks(axis):
    """Ticks at whole numbers only (epochs, steps): no tick at 1.25 on a 2-epoch axis. A log
    axis keeps its own locator (its ticks are powers of ten)."""
    if axis.get_scale() == "linear":
        axis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=True))


class _Floor:
    """The floor of a log axis: values at or below it (zeros, a loss that reached 1e-30, a
    user's ``floor``) are drawn *at* it, each with a ▼ marker and one legend entry saying so,
    instead of vanishing off the axis (or being dropped by matplotlib, as a zero is)."""

    def __init__(self, floor):
        self.floor = None if floor is None else float(floor)
        self.hidden = 0

    def resolve(self, series):
        """The floor to use, from every series' values: the given one, or a tenth of the
        smallest positive value when some value is ≤ 0 (else None: nothing to hide)."""
        if self.floor is not None:
            return self.floor
        values = np.concatenate([np.ravel(np.asarray(value, dtype=np.float64)) for value in series] or [np.empty(0)])
        values = values[np.isfinite(values)]
        if values.size and (values <= 0).any():
            positive = values[values > 0]
            self.floor = float(positive.min()) / 10 if positive.size else 1e-12
        return self.floor

    def draw(self, ax, x, y, shade, zorder=4):
        """``y`` with its values below the floor raised to it, and those points marked."""
        y = np.asarray(y, dtype=np.float64)
        if self.floor is None:
            return y
        low = np.isfinite(y) & (y < self.floor)
        if low.any():
            self.hidden += int(low.sum())
            ax.plot(np.asarray(x)[low], np.full(int(low.sum()), self.floor), marker="v", color=shade,
                    markersize=5, linestyle="none", clip_on=False, zorder=zorder)[0].set_gid("below-floor")
        return np.where(low, self.floor, y)

    def finish(self, ax):
        if self.floor is None:
            return
        ax.set_ylim(bottom=self.floor)
        if self.hidden:
            ax.plot([], [], marker="v", color="0.4", linestyle="none",
                    label=f"below {self.floor:.0e}: drawn at the floor")[0].set_gid("floor-legend")


def _log_scale(ax, log, floor):
    if log:
        ax.set_yscale("log")
    return _Floor(floor if log else None)


# --- one curve per run, or per row of a sweep -------------------------------------------------------

class _Series:
    """What a loss curve needs, from a Run or from one row of a SweepResult."""

    def __init__(self, label, optimizer, loss, validation, diverged, shade, steps=None, step_loss=None,
                 per_epoch=1):
        self.label, self.optimizer, self.loss, self.validation = label, optimizer, loss, validation
        self.diverged, self.shade, self.step_loss, self.per_epoch = diverged, shade, step_loss, per_epoch


def _sweep_labels(result):
    """A label per row of a sweep: the optimizer and the hyperparameters that differ between
    rows (and the seed, with several)."""
    varying = []
    for name, values in result.columns.items():
        if name in _RESULT_COLUMNS or name == "optimizer":
            continue
        if len({_label_value(value) for value in values}) > 1:
            varying.append(name)
    kinds = len(set(result.columns["optimizer"])) > 1
    seeds = len(set(result.columns["seed"].tolist())) > 1
    labels = []
    for index in range(len(result)):
        parts = [f"{name}={_label_value(result.columns[name][index])}" for name in varying
                 if result.columns[name][index] is not None and not _isnan(result.columns[name][index])]
        if seeds:
            parts.append(f"seed {result.columns['seed'][index]}")
        head = result.columns["optimizer"][index] if kinds or not parts else ""
        labels.append((head + " " + ", ".join(parts)).strip())
    return labels


def _isnan(value):
    return isinstance(value, float) and value != value


def _label_value(value):
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return str(value)


def _series(runs, labels):
    """``[_Series]`` from runs (as :func:`_runs` takes them) or a SweepResult (one per row,
    colours from a colormap; ``labels`` default to the varying hyperparameters)."""
    if isinstance(runs, SweepResult):
        names = _sweep_labels(runs) if labels is None else [str(label) for label in labels]
        if len(names) != len(runs):
            raise ValueError(f"labels must name each row: {len(runs)} rows, {len(names)} labels")
        shades = colormaps["viridis"](np.linspace(0.0, 0.9, max(len(runs), 1)))
        validation = runs.validation_loss
        return [_Series(names[k], runs.columns["optimizer"][k], runs.loss[k],
                        None if validation is None else validation[k], bool(runs.columns["diverged"][k]), shades[k])
                for k in range(len(runs))]
    series = []
    for index, (label, run) in enumerate(_runs(runs, labels)):
        per_epoch = run.steps // run.epochs if run.epochs else 1
        series.append(_Series(label, run.settings["optimizer"], run.loss, run.validation_loss,
                              run.diverged is not None, color(run.settings["optimizer"], index),
                              step_loss=run.step_loss, per_epoch=per_epoch))
    return series


def _last_finite(values):
    finite = np.flatnonzero(np.isfinite(values))
    return int(finite[-1]) if finite.size else None


def loss_curves(runs, *, labels=None, x="epoch", log=True, logx=False, floor=None, validation=True, title=None,
                ax=None, save=None, dpi=100, figsize=(6.4, 4.4)):
    """The training loss of each run against the epoch (``x="epoch"``) or the step
    (``x="step"``), log scale by default (``log``; ``logx`` for the x axis too, which shows
    the first steps of a long mini-batch run).

    ``runs``: runs (one, a list, a ``{label: run}`` dict) or a ``SweepResult`` (one curve per
    row, labelled by the hyperparameters that vary). ``run.loss`` is the whole training set's
    loss after each epoch, and with ``validation`` its ``validation_loss`` is drawn dashed in
    the same colour when the run has validation data; with ``x="step"`` the epoch losses are
    drawn at the step that ended each epoch, and a run recorded with ``record="step"`` and
    several steps per epoch also gets its (noisy) batch losses drawn faintly behind. A run that
    diverged ends in a × at its last finite loss (in the legend as "diverged"). On the log
    axis, values at or below ``floor`` (or ≤ 0) are drawn at the floor with a ▼ and a legend
    entry, never silently dropped. Epoch ticks are whole numbers.
    """
    if x not in ("epoch", "step"):
        raise ValueError(f"x must be 'epoch' or 'step', got {x!r}")
    if x == "step" and isinstance(runs, SweepResult):
        raise ValueError("a sweep records the loss per epoch: x must be 'epoch'")
    figure, ax = _axes(ax, figsize)
    series = _series(runs, labels)
    shown = [item.loss for item in series] + [item.validation for item in series
                                               if validation and item.validation is not None]
    floor = _log_scale(ax, log, floor)
    floor.resolve(shown)
    diverged = never = False
    for item in series:
        epochs = np.arange(1, item.loss.size + 1)
        positions = epochs * item.per_epoch if x == "step" else epochs
        if x == "step" and item.step_loss is not None and item.per_epoch > 1:
            steps = np.arange(1, item.step_loss.size + 1)
            thin = _thin(np.column_stack([steps, item.step_loss]))
            ax.plot(thin[:, 0], floor.draw(ax, thin[:, 0], thin[:, 1], item.shade), color=item.shade, alpha=0.25,
                    linewidth=0.6, label=f"{item.label}: each batch (faint)")[0].set_gid("batch-loss")
        (line,) = ax.plot(positions, floor.draw(ax, positions, item.loss, item.shade), color=item.shade,
                          linewidth=1.8, label=item.label, marker="o" if item.loss.size <= 30 else None, markersize=3)
        line.set_gid("loss")
        if validation and item.validation is not None:
            (line,) = ax.plot(positions, floor.draw(ax, positions, item.validation, item.shade), color=item.shade,
                              linewidth=1.4, linestyle="--",
                              label=f"{item.label} (validation)" if len(series) <= _EACH_VALIDATION else None)
            line.set_gid("validation")
        last = _last_finite(item.loss)
        if item.diverged and last is not None:
            ax.plot(positions[last], max(item.loss[last], floor.floor or 0), marker="x", color=item.shade,
                    markersize=10, markeredgewidth=2, linestyle="none", zorder=6)[0].set_gid("diverged")
            diverged = True
        elif item.diverged:  # no finite loss at all: marked at the top of the axes, over its first epoch
            ax.plot(positions[0] if positions.size else 1, 1.0, marker="x", color=item.shade, markersize=10,
                    markeredgewidth=2, linestyle="none", zorder=6, clip_on=False,
                    transform=blended_transform_factory(ax.transData, ax.transAxes))[0].set_gid("diverged")
            never = True
    if validation and len(series) > _EACH_VALIDATION and any(item.validation is not None for item in series):
        ax.plot([], [], color="0.3", linestyle="--", label="validation (dashed, same colour)")[0].set_gid(
            "validation-legend")
    if diverged:
        ax.plot([], [], marker="x", color="0.3", markeredgewidth=2, linestyle="none",
                label="diverged (last finite loss)")[0].set_gid("diverged-legend")
    if never:
        ax.plot([], [], marker="x", color="0.3", markeredgewidth=2, linestyle="none",
                label="diverged in epoch 1 (at the top)")[0].set_gid("diverged-legend")
    floor.finish(ax)
    if logx:
        ax.set_xscale("log")
    _integer_ticks(ax.xaxis)
    ax.set_xlabel("epoch" if x == "epoch" else "step")
    ax.set_ylabel("loss J")
    ax.set_title(title if title is not None else "Loss")
    ax.grid(True, which="major", alpha=0.3)
    _legend(ax)
    return _finish(figure, save, dpi)


#: Up to this many runs, each validation curve has its own legend entry; beyond, one entry says
#: that the dashed line of a colour is that run's validation loss.
_EACH_VALIDATION = 6


def _legend(ax):
    """The legend inside the axes, or beside them (in columns of 18) when it has more than 10
    entries."""
    count = len(ax.get_legend_handles_labels()[1])
    if count > 10:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="x-small", ncols=-(-count // 18),
                  borderaxespad=0)
    else:
        ax.legend(loc="best", fontsize="small")


def _rates_of(run):
    """``(x, η, β, unit)``: per step with ``record="step"``, else per epoch (the rates of each
    epoch's last step); ``β`` None for optimizers without a momentum. Read from the run's record."""
    if run.step_lr is not None:
        return np.arange(1, run.step_lr.size + 1), run.step_lr, run.step_beta, "step"
    return np.arange(1, run.lr.size + 1), run.lr, run.beta, "epoch"


def lr_curves(runs, *, labels=None, momentum=None, beta="varying", log=False, title=None, ax=None, save=None,
              dpi=100, figsize=(6.4, 4.4)):
    """The learning rate η of every step (with ``record="step"``; else of each epoch) from the
    run's record (a schedule's values, a plateau controller's, or the line search's choices),
    and on a second axis the momentum β (β1 for the Adam family) where the optimizer has one
    (the run's ``step_beta``/``beta``), or ``momentum`` if given (a schedule of the counter, an
    array, or a number).

    ``beta``: ``"varying"`` (default) draws β only when it changes during the run — a constant
    β is named in the run's legend entry instead (``Adam η (β = 0.9 throughout)``); True draws
    it always, False never.
    """
    if beta not in ("varying", True, False):
        raise ValueError(f"beta must be 'varying', True or False, got {beta!r}")
    figure, ax = _axes(ax, figsize)
    pairs = _runs(runs, labels)
    twin = None
    unit = "step"
    for index, (label, run) in enumerate(pairs):
        shade = color(run.settings["optimizer"], index)
        counters, lrs, betas, unit = _rates_of(run)
        if momentum is not None:
            if callable(momentum):
                betas = np.asarray(momentum(counters - 1), dtype=np.float64)
            else:
                betas = np.broadcast_to(np.asarray(momentum, dtype=np.float64), counters.shape)
        constant = betas is not None and betas.size and np.all(betas == betas[0])
        draw_beta = betas is not None and betas.size and (beta is True or (beta == "varying" and not constant))
        note = f" (β = {betas[0]:g} throughout)" if betas is not None and betas.size and constant and not draw_beta \
            and beta == "varying" else ""
        thin = _thin(np.column_stack([counters, lrs]))
        (line,) = ax.plot(thin[:, 0], thin[:, 1], color=shade, linewidth=1.8, label=f"{label} η{note}")
        line.set_gid("lr")
        if draw_beta:
            if twin is None:
                twin = ax.twinx()
                twin.set_ylabel("momentum β (dashed)")
            thin = _thin(np.column_stack([counters, betas]))
            (line,) = twin.plot(thin[:, 0], thin[:, 1], color=shade, linewidth=1.4, linestyle="--",
                                label=f"{label} β")
            line.set_gid("momentum")
    if log:
        ax.set_yscale("log")
    _integer_ticks(ax.xaxis)
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


def step_sizes(runs, *, labels=None, log=True, floor=None, title=None, ax=None, save=None, dpi=100,
               figsize=(6.4, 4.4)):
    """The length of every step, ``‖θ_t − θ_{t−1}‖`` (from the trajectory), against the step:
    how far each optimizer actually moves. AdaGrad's steps shrink as its sum of squared
    gradients grows (lecture 5.9: it slows down near the optimum); RMSProp's and Adam's do not.
    On the log axis a step of length 0 (or below ``floor``) is drawn at the floor, marked ▼.
    """
    figure, ax = _axes(ax, figsize)
    pairs = _runs(runs, labels)
    lengths_of = []
    for label, run in pairs:
        if run.trajectory is None:
            raise ValueError(f"run {label!r} has no trajectory: train it with record='step'")
        rows = np.asarray(run.trajectory, dtype=np.float64)
        lengths_of.append(np.sqrt(np.sum(np.diff(rows, axis=0) ** 2, axis=1)))
    floor = _log_scale(ax, log, floor)
    floor.resolve(lengths_of)
    for index, ((label, run), lengths) in enumerate(zip(pairs, lengths_of)):
        steps = np.arange(1, lengths.size + 1)
        thin = _thin(np.column_stack([steps, lengths]))
        shade = color(run.settings["optimizer"], index)
        (line,) = ax.plot(thin[:, 0], floor.draw(ax, thin[:, 0], thin[:, 1], shade), color=shade,
                          linewidth=1.6, label=label)
        line.set_gid("step")
    floor.finish(ax)
    _integer_ticks(ax.xaxis)
    ax.set_xlabel("step")
    ax.set_ylabel("step length ‖Δθ‖")
    ax.set_title(title if title is not None else "How far each step moves")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return _finish(figure, save, dpi)


# --- sweeps, learning-rate searches, the range test -------------------------------------------------

def _axis_values(result, name):
    if name not in result.columns:
        raise ValueError(f"the sweep has no column {name!r}; its columns: {', '.join(result.columns)}")
    values = result.columns[name]
    if name in _RESULT_COLUMNS or name == "optimizer":
        raise ValueError(f"{name!r} is a result of the sweep, not a hyperparameter")
    return values


def sweep(result, x="lr", y=None, *, value="final_loss", log=True, annotate=True, cmap="viridis_r", title=None,
          ax=None, save=None, dpi=100, figsize=(6.4, 4.8)):
    """A heatmap of a sweep's ``value`` (default ``final_loss``; any numeric result column,
    e.g. ``final_validation_loss`` or ``best_loss``) over two hyperparameters ``x`` and ``y``
    (one row of cells with ``y=None``): one cell per pair of values, the mean over the seeds,
    colour on a log scale (``log``), each cell's number written in it (``annotate``). A cell
    where a run diverged is hatched and marked × (in the legend as "diverged"; with several
    seeds, the finite seeds' mean is shown if any), a combination the sweep did not run is left
    blank and said in the title. Rows without ``x`` or ``y`` (another kind of optimizer) are left
    out and counted in the title.
    """
    if not isinstance(result, SweepResult):
        raise TypeError(f"result must be a fastoptim.SweepResult (fastoptim.sweep(...)), got {type(result).__name__}")
    if value not in result.columns or value in ("optimizer", "diverged"):
        raise ValueError(f"value must be a numeric result column of the sweep, got {value!r}")
    xs = _axis_values(result, x)
    ys = _axis_values(result, y) if y is not None else np.array([None] * len(result), dtype=object)
    keep = [k for k in range(len(result)) if xs[k] is not None and not _isnan(xs[k])
            and (y is None or (ys[k] is not None and not _isnan(ys[k])))]
    if not keep:
        raise ValueError(f"no row of the sweep has {x!r}" + (f" and {y!r}" if y is not None else ""))
    x_levels = sorted({xs[k] for k in keep}, key=_sort_key)
    y_levels = sorted({ys[k] for k in keep}, key=_sort_key) if y is not None else [None]
    cells = np.full((len(y_levels), len(x_levels)), np.nan)
    broken = np.zeros(cells.shape, dtype=bool)
    ran = np.zeros(cells.shape, dtype=bool)
    values = np.asarray(result.columns[value], dtype=np.float64)
    for i, y_level in enumerate(y_levels):
        for j, x_level in enumerate(x_levels):
            rows = [k for k in keep if xs[k] == x_level and (y is None or ys[k] == y_level)]
            if not rows:
                continue
            ran[i, j] = True
            broken[i, j] = bool(np.any(result.columns["diverged"][rows]))
            finite = values[rows][np.isfinite(values[rows])]
            if finite.size:
                cells[i, j] = finite.mean()
    figure, ax = _axes(ax, figsize)
    finite = cells[np.isfinite(cells) & (cells > 0)] if log else cells[np.isfinite(cells)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (1.0, 10.0)
    if not low < high:
        low, high = (low / 2, high * 2) if log else (low - 1, high + 1)
    norm = LogNorm(low, high) if log else None
    # on the log scale a cell of 0 or less is drawn in the lowest colour, and said in the title
    not_positive = int(np.sum(np.isfinite(cells) & (cells <= 0))) if log else 0
    shown = np.ma.masked_invalid(np.where(cells > 0, cells, low) if log else cells)
    image = ax.imshow(shown, origin="lower", aspect="auto", cmap=cmap, norm=norm,
                      vmin=None if log else low, vmax=None if log else high)
    image.set_gid("heatmap")
    bar = figure.colorbar(image, ax=ax, shrink=0.9, pad=0.02)
    seeds = len(set(result.columns["seed"].tolist()))
    bar.set_label(value.replace("_", " ") + (f" (mean of {seeds} seeds)" if seeds > 1 else ""))
    for i in range(len(y_levels)):
        for j in range(len(x_levels)):
            if broken[i, j]:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="//", edgecolor="0.35",
                                       linewidth=0)).set_gid("diverged-cell")
                ax.plot(j, i, marker="x", color="crimson", markersize=14, markeredgewidth=2.5,
                        linestyle="none")[0].set_gid("diverged")
            if annotate and np.isfinite(cells[i, j]):
                ax.text(j, i + (0.22 if broken[i, j] else 0), f"{cells[i, j]:.3g}", ha="center", va="center",
                        fontsize="small", color="black",
                        bbox=dict(boxstyle="round,pad=0.15", facecolor="white", alpha=0.6, linewidth=0))
    if broken.any():
        ax.plot([], [], marker="x", color="crimson", markeredgewidth=2.5, linestyle="none",
                label="diverged (hatched)")[0].set_gid("diverged-legend")
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.14), fontsize="small", frameon=False)
    ax.set_xticks(range(len(x_levels)), [_label_value(level) for level in x_levels])
    ax.set_xlabel(x)
    if y is not None:
        ax.set_yticks(range(len(y_levels)), [_label_value(level) for level in y_levels])
        ax.set_ylabel(y)
    else:
        ax.set_yticks([])
    notes = []
    if not_positive:
        notes.append(f"{not_positive} ≤ 0: drawn in the lowest colour")
    if (~ran).any():
        notes.append(f"{int((~ran).sum())} blank: not run")
    if len(keep) < len(result):
        notes.append(f"{len(result) - len(keep)} rows without {x}{'/' + y if y else ''} left out")
    default = f"{value.replace('_', ' ')} over {x}" + (f" × {y}" if y is not None else "")
    ax.set_title((title if title is not None else default) + (f" ({'; '.join(notes)})" if notes else ""))
    return _finish(figure, save, dpi)


def _sort_key(value):
    return (0, float(value)) if isinstance(value, (int, float, np.integer, np.floating)) else (1, str(value))


def sweep_curves(result, *, labels=None, log=True, floor=None, validation=True, title=None, ax=None, save=None,
                 dpi=100, figsize=(7.2, 4.8)):
    """The loss curves of every row of a sweep (``loss_curves`` of a ``SweepResult``): one
    colour per row from a colormap, labelled by the hyperparameters that vary, the validation
    loss dashed, a diverged run ending in ×."""
    if not isinstance(result, SweepResult):
        raise TypeError(f"result must be a fastoptim.SweepResult (fastoptim.sweep(...)), got {type(result).__name__}")
    return loss_curves(result, labels=labels, log=log, floor=floor, validation=validation,
                       title=title if title is not None else f"Loss of the {len(result)} runs of the sweep",
                       ax=ax, save=save, dpi=dpi, figsize=figsize)


def lr_search(result, *, title=None, ax=None, save=None, dpi=100, figsize=(6.4, 4.4)):
    """Each candidate η of ``fastoptim.lr_search`` against its validation loss after the
    search's epochs (log-log): the coarse grid as circles joined by a line, the finer grid as
    triangles, the chosen η as a star, and a run that diverged as a × along the top of the axes
    (its loss is infinite), each in the legend."""
    if not isinstance(result, LRSearchResult):
        raise TypeError(f"result must be the result of fastoptim.lr_search, got {type(result).__name__}")
    figure, ax = _axes(ax, figsize)
    ax.set_xscale("log")
    ax.set_yscale("log")
    candidates = result.candidates
    # the η axis set by hand before anything is drawn, a fifth of a decade beyond the candidates
    # (within float64: an η of 1e308 would overflow matplotlib's own margins); every marker is
    # drawn even at the edge
    logs = np.log10([c["lr"] for c in candidates])
    margin = max(0.2, 0.05 * float(logs.max() - logs.min()))
    ax.set_xlim(10 ** max(float(logs.min()) - margin, -307.0), 10 ** min(float(logs.max()) + margin, 308.0))
    finite = [c["validation_loss"] for c in candidates if np.isfinite(c["validation_loss"])]
    top = max(finite) * 3 if finite else 1.0
    for stage, marker, shade in (("coarse", "o", "#1f5fd0"), ("fine", "^", "#d62728")):
        chosen = sorted((c for c in candidates if c["stage"] == stage and np.isfinite(c["validation_loss"])),
                        key=lambda c: c["lr"])
        if chosen:
            ax.plot([c["lr"] for c in chosen], [c["validation_loss"] for c in chosen], marker=marker, color=shade,
                    linestyle="-" if stage == "coarse" else "none", markersize=7,
                    label=f"{stage} grid ({len(chosen)})")[0].set_gid(stage)
    broken = [c for c in candidates if not np.isfinite(c["validation_loss"])]
    if broken:
        ax.plot([c["lr"] for c in broken], [top] * len(broken), marker="x", color="crimson", markersize=10,
                markeredgewidth=2.5, linestyle="none", label=f"diverged ({len(broken)}), drawn at the top"
                )[0].set_gid("diverged")
    best = candidates[0]
    ax.plot(best["lr"], best["validation_loss"], marker="*", markersize=17, color="gold", markeredgecolor="black",
            linestyle="none", zorder=5, label=f"best η = {best['lr']:.3g}")[0].set_gid("best")
    for line in ax.lines:
        line.set_clip_on(False)
    ax.set_xlabel("learning rate η")
    ax.set_ylabel("validation loss after the search's epochs")
    ax.set_title(title if title is not None else "Learning-rate search: coarse grid, then finer")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return _finish(figure, save, dpi)


def range_test(result, *, method="steepest", title=None, ax=None, save=None, dpi=100, figsize=(6.4, 4.4)):
    """The learning-rate range test (``fastoptim.lr_range_test``): every step's batch loss
    (faint) and its smoothed curve against η (log-log), the steps after the test stopped
    (the loss grew past its limit, or diverged) drawn grey and dotted, and the η that
    ``result.suggest(method)`` picks as a vertical line, in the legend with its value."""
    if not isinstance(result, RangeTestResult):
        raise TypeError(f"result must be the result of fastoptim.lr_range_test, got {type(result).__name__}")
    figure, ax = _axes(ax, figsize)
    kept = result.stopped
    floor = _log_scale(ax, True, None)
    floor.resolve([result.loss, result.smoothed])
    ax.plot(result.lrs[:kept], floor.draw(ax, result.lrs[:kept], result.loss[:kept], "#9b30d9"), color="#9b30d9",
            alpha=0.3, linewidth=0.8, label="batch loss")[0].set_gid("loss")
    ax.plot(result.lrs[:kept], floor.draw(ax, result.lrs[:kept], result.smoothed[:kept], "#9b30d9"),
            color="#9b30d9", linewidth=2, label="smoothed")[0].set_gid("smoothed")
    if kept < result.lrs.size:
        rest = np.isfinite(result.smoothed[kept:])
        ax.plot(result.lrs[kept:][rest], result.smoothed[kept:][rest], color="0.5", linestyle=":", linewidth=1.5,
                label="after the stop" + (" (diverged)" if result.diverged else ""))[0].set_gid("stopped")
    suggested = result.suggest(method)
    ax.axvline(suggested, color="#1a9a2a", linewidth=1.8, linestyle="--",
               label=f"suggested η = {suggested:.3g} ({method})").set_gid("suggested")
    floor.finish(ax)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate η (growing each step)")
    ax.set_ylabel("batch loss")
    ax.set_title(title if title is not None else "Learning-rate range test")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return _finish(figure, save, dpi)


def _check_matplotlib_version():
    major, minor = (int(part) for part in matplotlib.__version__.split(".")[:2])
    if (major, minor) < (3, 7):  # pragma: no cover
        raise ImportError(f"fastoptim.plot needs matplotlib >= 3.7, found {matplotlib.__version__}")


_check_matplotlib_version()
