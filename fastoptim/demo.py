"""``fastoptim demo`` (also ``python -m fastoptim``): the lecture "Learning Parameters" retold on
built-in data, as printed tables and pictures.

1. the two points' error surface (lecture 5.1): the lecture's table of J and the brute-force
   best point; 2. batch GD, momentum, Nesterov and the adaptive methods from the same start
   (5.2-5.5); 3. a sparse feature (5.9): AdaGrad, RMSProp and Adam against GD; 4. a mini-batch
   run on 10^6 points (5.6), timed against the numpy reference. :func:`run` prints the story
   and writes the pictures into a folder; the command line (``fastoptim.cli``) checks the folder
   and matplotlib first.
"""
import math
import os
import time

import numpy as np

from . import data as datasets
from . import schedules
from ._figures import grid_around, plot_module
from .error_surface import surface
from .kernels.model import PARALLEL_THRESHOLD
from .training import train

__all__ = ["run", "LECTURE_POINTS"]

#: The lecture's (w, b) table (module 5.1) and the exact minimum of J on the two points:
#: σ(0.5 w + b) = 0.2 and σ(2.5 w + b) = 0.9 give w* = (logit 0.9 − logit 0.2) / 2.
LECTURE_POINTS = [(0.50, 0.00), (-0.10, 0.00), (0.94, -0.94), (1.42, -1.73), (1.65, -2.08), (1.78, -2.27)]
_W_STAR = (math.log(9.0) - math.log(0.25)) / 2.0
_B_STAR = math.log(0.25) - 0.5 * _W_STAR


def _logit_note():
    return f"w* = {_W_STAR:.2f}, b* = {_B_STAR:.2f}"


def _u_turns(trajectory, axis):
    """Reversals of direction along one axis of a path."""
    moves = np.diff(trajectory[:, axis])
    moves = moves[np.abs(moves) > 1e-9]
    return int(np.count_nonzero(np.sign(moves[1:]) != np.sign(moves[:-1])))


def _first_epoch_below(run, level):
    below = np.flatnonzero(run.loss < level)
    return str(int(below[0]) + 1) if below.size else "—"


def _effective_rates(run, optimizer):
    """``η / (√v + ε)`` per parameter at the end of an AdaGrad / RMSProp / Adam run (with
    Adam's bias correction), or None."""
    state = run.state
    if "v" not in state.slot_names or optimizer.name not in ("AdaGrad", "RMSProp", "Adam"):
        return None
    v = state.slot("v").astype(np.float64)
    if optimizer.name == "Adam":
        v = v / (1.0 - optimizer.betas[1] ** state.step)
    return optimizer.lr / (np.sqrt(v) + optimizer.eps)


class _Pictures:
    """Writes the demo's figures into one folder and remembers their names."""

    def __init__(self, folder, extension, enabled):
        self.folder, self.extension, self.enabled, self.names = folder, extension, enabled, []
        if enabled:
            os.makedirs(folder, exist_ok=True)
            self.plot = plot_module()
            from matplotlib.figure import Figure

            self.Figure = Figure

    def figure(self, width, height):
        return self.Figure(figsize=(width, height), layout="constrained")

    def save(self, figure, name):
        path = os.path.join(self.folder, f"{name}.{self.extension}")
        figure.savefig(path, dpi=80)
        self.names.append(os.path.basename(path))
        return path


def _batch_runs(data, optimizers, epochs, init, progress):
    """Batch GD with each optimizer from ``init``, J summed, every step recorded (sections 2, 3)."""
    return [train(data, optimizer, epochs=epochs, init=init, reduction="sum", record="step", progress=progress)
            for optimizer in optimizers]


def _print_header(header):
    """A table's header line and its rule of dashes (the header's indent of three spaces kept)."""
    print(header)
    print("   " + "-" * (len(header) - 3))


def _demo_two_points(pictures, progress):
    data = datasets.two_points()
    print("1. The error surface (lecture 5.1). X = [0.5, 2.5], y = [0.2, 0.9], J = ½ Σ (σ(wx + b) − y)²")
    from .model import loss

    print(f"\n   {'w':>6} {'b':>6} {'J':>8}")
    for w, b in LECTURE_POINTS:
        print(f"   {w:6.2f} {b:6.2f} {loss(data, [w, b], reduction='sum'):8.4f}")
    started = time.perf_counter()
    grid = surface(data)
    seconds = time.perf_counter() - started
    print(f"\n   Brute force on [−6, 6]² in steps of 0.1: best (w, b) = ({grid.best_w:.2f}, {grid.best_b:.2f}), "
          f"J = {grid.best_loss:.1e}, {grid.evaluations:,} evaluations of J in {seconds * 1e3:.1f} ms; "
          f"the exact minimum is {_logit_note()}, J = 0.")

    from .optimizers import AdaGrad, Adam, GD, Momentum, Nesterov, RMSProp

    optimizers = [GD(lr=1.0), Momentum(lr=1.0, beta=0.9), Nesterov(lr=1.0, beta=0.9),
                  AdaGrad(lr=0.1), RMSProp(lr=0.1), Adam(lr=0.1)]
    epochs, init = 100, [-2.0, -2.0]
    runs = _batch_runs(data, optimizers, epochs, init, progress)
    print(f"\n2. Gradient descent, momentum, Nesterov and the adaptive methods on the two points (lecture 5.2-5.5):"
          f"\n   batch GD, {epochs} epochs from (w, b) = (−2, −2); {_logit_note()}\n")
    header = (f"   {'optimizer':<9} {'η':>5} {'J @10':>9} {'J @50':>9} {'J @100':>9} {'J<1e-3 at':>9} "
              f"{'max w':>6} {'min b':>6} {'u-turns w/b':>11}")
    _print_header(header)
    facts = {}
    for optimizer, run in zip(optimizers, runs):
        path = run.trajectory
        facts[optimizer.name] = (path[:, 0].max(), path[:, 1].min(), _u_turns(path, 0), _u_turns(path, 1), run.loss)
        print(f"   {optimizer.name:<9} {optimizer.lr:>5g} {run.loss[9]:>9.2e} {run.loss[49]:>9.2e} {run.loss[99]:>9.2e} "
              f"{_first_epoch_below(run, 1e-3):>9} {path[:, 0].max():>6.2f} {path[:, 1].min():>6.2f} "
              f"{_u_turns(path, 0):>5}/{_u_turns(path, 1):<5}")
    gd, momentum, nesterov = facts["GD"], facts["Momentum"], facts["Nesterov"]
    print(f"\n   GD crawls over the gentle plateau: J = {gd[4][49]:.2f} after 50 epochs, {gd[4][99]:.3f} after 100.")
    print(f"   Momentum gets off the plateau sooner (J = {momentum[4][49]:.3f} after 50 epochs) but runs past the "
          f"minimum, to w = {momentum[0]:.2f} and b = {momentum[1]:.2f}, and comes back.")
    print(f"   Nesterov looks ahead and turns sooner: w ≤ {nesterov[0]:.2f}, b ≥ {nesterov[1]:.2f}, "
          f"J = {nesterov[4][99]:.1e} after 100 epochs (momentum {momentum[4][99]:.1e}).")
    if pictures.enabled:
        plot = pictures.plot
        box, _ = grid_around(data, runs, "sum", resolution=141)
        figure = pictures.figure(12.5, 5.2)
        left, right = figure.subplots(1, 2)
        plot.contours(box, runs[:3], ax=left, colorbar=False,
                      title="GD, momentum and Nesterov (η = 1, β = 0.9)")
        plot.contours(box, [runs[0], *runs[3:]], ax=right,
                      title="GD (η = 1) and the adaptive methods (η = 0.1)")
        contours = pictures.save(figure, "two-points-contours")
        figure = pictures.figure(6.4, 4.4)
        axes = figure.subplots()
        plot.loss_curves(runs, ax=axes, title="Loss on the two points (batch GD)")
        axes.set_ylim(1e-8, None)
        pictures.save(figure, "two-points-loss")
        figure = pictures.figure(7.0, 5.6)
        plot.surface(grid, runs[:3], ax=figure.add_subplot(projection="3d"),
                     title="The error surface of the two points, and three paths down it")
        pictures.save(figure, "surface")
        return contours
    return None


def _demo_sparse(pictures, progress):
    from .optimizers import AdaGrad, Adam, GD, RMSProp

    data = datasets.sparse(500, zero_fraction=0.8, seed=0)
    optimizers = [GD(lr=0.01), AdaGrad(lr=0.3), RMSProp(lr=0.3), Adam(lr=0.3)]
    epochs, init = 200, [-4.0, 4.0]
    runs = _batch_runs(data, optimizers, epochs, init, progress)
    nonzero = int(np.count_nonzero(data.X))
    print(f"\n3. A sparse feature (lecture 5.9): {data.n} points, x = 0 for {data.n - nonzero} of them, "
          f"y = σ(2x − 1) (minimum at w = 2, b = −1);\n   batch GD, J summed, {epochs} epochs from (w, b) = (−4, 4)\n")
    header = (f"   {'optimizer':<9} {'η':>5} {'moved w,b @10':>14} {'J @20':>9} {'J @50':>9} {'J @200':>9} "
              f"{'w':>6} {'b':>6} {'step @1-10':>10} {'step @181-200':>13} {'η/(√v+ε) w, b':>17}")
    _print_header(header)
    facts = {}
    for optimizer, run in zip(optimizers, runs):
        path = run.trajectory
        lengths = np.sqrt(np.sum(np.diff(path, axis=0) ** 2, axis=1))
        moved = np.abs(path[10] - path[0])
        rates = _effective_rates(run, optimizer)
        rates_text = f"{rates[0]:.2g}, {rates[1]:.2g}" if rates is not None else "—"
        facts[optimizer.name] = (moved, lengths[:10].mean(), lengths[-20:].mean(), run.loss, rates)
        print(f"   {optimizer.name:<9} {optimizer.lr:>5g} {moved[0]:>6.2f},{moved[1]:<7.2f} {run.loss[19]:>9.2e} "
              f"{run.loss[49]:>9.2e} {run.loss[-1]:>9.2e} {run.theta[0]:>6.2f} {run.theta[1]:>6.2f} "
              f"{lengths[:10].mean():>10.3f} {lengths[-20:].mean():>13.2e} {rates_text:>17}")
    gd, adagrad, rmsprop, adam = (facts[name] for name in ("GD", "AdaGrad", "RMSProp", "Adam"))
    print(f"\n   GD first moves b, whose feature (the constant 1) is never zero: in 10 epochs it moves b by "
          f"{gd[0][1]:.2f} and w by {gd[0][0]:.2f}; AdaGrad moves both ({adagrad[0][0]:.2f}, {adagrad[0][1]:.2f}).")
    print(f"   AdaGrad slows down near the optimum: its steps shrink from {adagrad[1]:.2f} to {adagrad[2]:.1e} as its "
          f"sum of squared gradients grows (effective η on b: {adagrad[4][1]:.1e}); J = {adagrad[3][-1]:.1e} after "
          f"{epochs} epochs.")
    print(f"   RMSProp decays its denominator and gets there first (J = {rmsprop[3][49]:.0e} after 50 epochs), then "
          f"oscillates around the minimum with steps of {rmsprop[2]:.2f} (J = {rmsprop[3][-1]:.2f}): η is too large "
          f"for it there, as the lecture warns.")
    print(f"   Adam's momentum carries it past the minimum and back; J = {adam[3][-1]:.1e} after {epochs} epochs.")
    if pictures.enabled:
        plot = pictures.plot
        grid, _ = grid_around(data, runs, "sum", resolution=141)
        zoom = surface(data, w_range=(1.0, 3.0), b_range=(-2.0, 0.0), resolution=141, reduction="sum")
        figure = pictures.figure(12.5, 5.2)
        left, right = figure.subplots(1, 2)
        plot.contours(grid, runs, ax=left, colorbar=False,
                      title="Sparse x: GD (η = 0.01), AdaGrad, RMSProp, Adam (η = 0.3)")
        plot.contours(zoom, runs, ax=right, legend=False,
                      title="Near the minimum: AdaGrad stops short, RMSProp oscillates")
        pictures.save(figure, "sparse-contours")
        figure = pictures.figure(12.5, 4.4)
        left, right = figure.subplots(1, 2)
        plot.loss_curves(runs, ax=left, title="Loss on sparse data")
        left.set_ylim(1e-8, None)
        plot.step_sizes(runs, ax=right, title="Step length: AdaGrad's shrinks, RMSProp's does not")
        pictures.save(figure, "sparse-loss")


def _demo_minibatch(pictures, progress):
    from .optimizers import Adam
    from .reference import train as reference_train

    n, batch, epochs = 10**6, 25, 3
    print(f"\n4. Mini-batch gradient descent on {n:,} points (lecture 5.6): y = σ(2x − 1) + 0.05 noise, "
          f"Adam, batch {batch}, cosine schedule 0.05 → 0.001, {epochs} epochs, mean J\n   (the points "
          f"are drawn independently, so they are visited in order: no shuffle needed)")
    data = datasets.synthetic(n, seed=0)
    steps = epochs * (-(-n // batch))
    options = dict(batch_size=batch, init=[-2.0, -2.0],
                   schedule=schedules.cosine(0.05, 0.001, steps))
    run = train(data, Adam(lr=0.05), epochs=epochs, record="step", progress=progress, **options)
    sample_n = 100_000
    sample = datasets.Dataset(data.X[:sample_n], data.y[:sample_n])
    sample_options = dict(options, schedule=schedules.cosine(0.05, 0.001, -(-sample_n // batch)))
    reference = reference_train(sample, Adam(lr=0.05), epochs=1, **sample_options)
    compiled = train(sample, Adam(lr=0.05), epochs=1, **sample_options)
    reference_rate = reference.steps / reference.seconds
    print(f"\n   compiled  fastoptim.train            {run.steps:>9,} steps in {run.seconds:6.2f} s = "
          f"{_rate(run):>11,.0f} updates/s; J = {run.loss[-1]:.5f}, {_theta_text(run.theta)}")
    print(f"   numpy     fastoptim.reference.train  {reference.steps:>9,} steps in {reference.seconds:6.2f} s = "
          f"{reference_rate:>11,.0f} updates/s, timed on the first {sample_n:,} points (1 epoch):")
    print(f"             at that rate the full run would take ~{run.steps / reference_rate:.0f} s: the compiled "
          f"run is {_rate(run) / reference_rate:.0f}x faster.")
    print(f"   On that sample both give θ = ({compiled.theta[0]:.6f}, {compiled.theta[1]:.6f}); "
          f"max |Δθ| = {np.abs(compiled.theta - reference.theta).max():.1e}.")
    if pictures.enabled:
        plot = pictures.plot
        grid, note = grid_around(data, [run], "mean", resolution=101)
        figure = pictures.figure(15.0, 4.6)
        left, middle, right = figure.subplots(1, 3, width_ratios=[1.2, 1, 1])
        plot.contours(grid, run, ax=left, labels=["Adam, batch 25"], title=f"Mini-batch path{note}")
        plot.loss_curves(run, ax=middle, labels=["Adam, batch 25"], x="step", logx=True,
                         title="Loss: batch losses (faint) and epoch losses")
        plot.lr_curves(run, ax=right, labels=["Adam"], title="Cosine learning rate, β1")
        pictures.save(figure, "minibatch")


def _theta_text(theta):
    return f"w = {theta[0]:.6g}, b = {theta[1]:.6g}"


def _rate(run):
    return run.steps / run.seconds if run.seconds > 0 else float("inf")


def run(out_dir="fastoptim-demo", extension="png", plots=True, progress=True):
    """Tell the lecture's story on stdout and, with ``plots``, write its pictures into
    ``out_dir`` (created; needs matplotlib) as ``extension`` files; ``progress``: progress bars
    and compile notices on stderr."""
    started = time.perf_counter()
    pictures = _Pictures(out_dir, extension, plots)
    print("fastoptim demo: the lecture \"Learning Parameters\" (CS6910, lecture 5) on built-in data"
          + (f"; pictures in {out_dir}/" if plots else ""))
    print("Loading the compiled training kernel (the first run compiles it, 15-30 s; then it is cached on disk) ...",
          flush=True)
    loading = time.perf_counter()
    from .optimizers import GD

    train(datasets.two_points(), GD(lr=1.0), epochs=1, init=[0.0, 0.0], record="step")
    # and the parallel full-data loss of large data sets, so that no timing below includes a compile
    train(datasets.synthetic(2 * PARALLEL_THRESHOLD), GD(), epochs=1, batch_size=PARALLEL_THRESHOLD, init=[0.0, 0.0])
    schedules.cosine(1.0, 0.0, 10).values(2)  # and the schedule of part 4 (its kernel compiles on first use)
    print(f"   ready in {time.perf_counter() - loading:.1f} s\n")
    contours = _demo_two_points(pictures, progress)
    _demo_sparse(pictures, progress)
    _demo_minibatch(pictures, progress)
    print(f"\nDone in {time.perf_counter() - started:.1f} s.")
    if plots:
        print(f"Pictures in {out_dir}/: {', '.join(pictures.names)}")
        print(f"Start with {contours}: momentum's long u-turns, Nesterov's shorter ones.")
