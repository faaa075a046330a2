"""``fastoptim demo`` (also ``python -m fastoptim``): the lecture "Learning Parameters" retold on
built-in data, module by module, as printed tables, pictures and an ``index.html`` that shows
them together.

5.1 the two points' error surface and the brute-force point; 5.2-5.5 gradient descent, momentum
and Nesterov from the lecture's start, long enough to see momentum converge despite its u-turns
and Nesterov turn sooner; 5.6 batch, mini-batch and stochastic paths on the same contours, and a
mini-batch run on 10^6 points timed against the numpy reference; 5.7 the learning-rate
schedules (their η and what each does to the loss); 5.8 line search against a fixed η; 5.9
AdaGrad, RMSProp and Adam on a sparse feature, then every rule of the library on the same
problem. Every sentence of the text is written from the numbers of the run it describes, and
:func:`run` returns them (:class:`Section` ``facts``), so that a test can hold the text to them.
"""
import dataclasses
import html
import math
import os
import time
import warnings

import numpy as np

from . import data as datasets
from . import schedules
from ._figures import grid_around, plot_module
from .error_surface import surface
from .kernels.model import PARALLEL_THRESHOLD
from .training import train

__all__ = ["run", "Section", "Story", "LECTURE_POINTS"]

#: The lecture's (w, b) table (module 5.1) and the exact minimum of J on the two points:
#: σ(0.5 w + b) = 0.2 and σ(2.5 w + b) = 0.9 give w* = (logit 0.9 − logit 0.2) / 2.
LECTURE_POINTS = [(0.50, 0.00), (-0.10, 0.00), (0.94, -0.94), (1.42, -1.73), (1.65, -2.08), (1.78, -2.27)]
_W_STAR = (math.log(9.0) - math.log(0.25)) / 2.0
_B_STAR = math.log(0.25) - 0.5 * _W_STAR

#: Module 5.2-5.5: the lecture's settings (η = 1, β = 0.9, from (−2, −2)), run long enough for
#: momentum to come back from its u-turns (at 100 epochs it is still out in the valley).
MOMENTUM_EPOCHS = 300
#: "converged": the first epoch with J below this.
CONVERGED = 1e-4


@dataclasses.dataclass
class Section:
    """One module of the story: its ``number`` (``"5.4"``), ``title``, the printed ``table``
    (lines), the ``text`` (sentences written from the run's numbers), the ``pictures`` written
    (``(file name, caption)``) and ``facts``: the measured numbers the text states."""

    number: str
    title: str
    table: list = dataclasses.field(default_factory=list)
    text: list = dataclasses.field(default_factory=list)
    pictures: list = dataclasses.field(default_factory=list)
    facts: dict = dataclasses.field(default_factory=dict)

    def print(self):
        print(f"\n{self.number}  {self.title}\n")
        for line in self.table:
            print(f"   {line}")
        if self.table:
            print()
        for line in self.text:
            print(f"   {line}")


@dataclasses.dataclass
class Story:
    """What :func:`run` returns: the sections in order, the folder, the pictures' file names,
    the index page's path (None without pictures) and the wall time."""

    sections: list
    out_dir: str
    pictures: list
    index: str | None
    seconds: float

    def section(self, number):
        (found,) = [section for section in self.sections if section.number == number]
        return found


def _first_epoch_below(run, level):
    """1-based epoch of the first loss below ``level``, or None."""
    below = np.flatnonzero(run.loss < level)
    return int(below[0]) + 1 if below.size else None


def _epoch_text(epoch):
    return f"epoch {epoch}" if epoch is not None else "never"


def _u_turns(trajectory, axis):
    """Reversals of direction along one axis of a path."""
    moves = np.diff(trajectory[:, axis])
    moves = moves[np.abs(moves) > 1e-9]
    return int(np.count_nonzero(np.sign(moves[1:]) != np.sign(moves[:-1])))


def _turning(trajectory):
    """``(mean turn between consecutive steps in degrees, path length / distance covered)``:
    how rough a path is (0° and 1 for a straight line)."""
    moves = np.diff(np.asarray(trajectory, dtype=np.float64), axis=0)
    lengths = np.linalg.norm(moves, axis=1)
    moves, lengths = moves[lengths > 0], lengths[lengths > 0]
    if len(moves) < 2:
        return 0.0, 1.0
    cosines = np.sum(moves[1:] * moves[:-1], axis=1) / (lengths[1:] * lengths[:-1])
    angle = float(np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0))).mean())
    distance = float(np.linalg.norm(trajectory[-1] - trajectory[0]))
    return angle, float(lengths.sum()) / distance if distance > 0 else math.inf


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


def _rule(header):
    return [header, "-" * len(header)]


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

    def save(self, figure, name, section, caption):
        path = os.path.join(self.folder, f"{name}.{self.extension}")
        figure.savefig(path, dpi=80)
        self.names.append(os.path.basename(path))
        section.pictures.append((os.path.basename(path), caption))
        return path


def _batch_runs(data, optimizers, epochs, init, **options):
    """Batch GD with each optimizer from ``init``, J summed, every step recorded."""
    return [train(data, optimizer, epochs=epochs, init=init, reduction="sum", record="step", **options)
            for optimizer in optimizers]


# --- 5.1 ----------------------------------------------------------------------------------------

def _module_surface(pictures):
    from .model import loss

    data = datasets.two_points()
    section = Section("5.1", "The error surface. X = [0.5, 2.5], y = [0.2, 0.9], J = ½ Σ (σ(wx + b) − y)²")
    section.table += _rule(f"{'w':>6} {'b':>6} {'J':>8}")
    for w, b in LECTURE_POINTS:
        section.table.append(f"{w:6.2f} {b:6.2f} {loss(data, [w, b], reduction='sum'):8.4f}")
    started = time.perf_counter()
    grid = surface(data)
    seconds = time.perf_counter() - started
    step = float(grid.w[1] - grid.w[0])
    off = max(abs(grid.best_w - _W_STAR), abs(grid.best_b - _B_STAR))
    section.facts.update(best_w=grid.best_w, best_b=grid.best_b, best_loss=grid.best_loss,
                         evaluations=grid.evaluations, seconds=seconds, step=step, off=off)
    section.text += [
        f"Guess work, done thoroughly: J at every point of [−6, 6]² in steps of {step:.1f}, {grid.evaluations:,} "
        f"evaluations in {seconds * 1e3:.1f} ms, finds (w, b) = ({grid.best_w:.2f}, {grid.best_b:.2f}) with "
        f"J = {grid.best_loss:.1e}.",
        f"The exact minimum is w* = {_W_STAR:.3f}, b* = {_B_STAR:.3f} (J = 0): the grid point is {off:.3f} away, "
        f"within its half step; a finer answer costs (1/step)² more evaluations, and with more parameters the "
        f"grid grows as (points per axis)^parameters — which is why the lecture turns to gradients.",
    ]
    if pictures.enabled:
        figure = pictures.figure(7.0, 5.4)
        pictures.plot.surface(grid, ax=figure.add_subplot(projection="3d"),
                              title="The error surface of the two points; ★ the brute-force best point")
        pictures.save(figure, "surface", section, "J(w, b) of the two points over [−6, 6]²: a plateau, a steep "
                                                  "wall and a narrow valley; the star is the best grid point.")
    return section


# --- 5.2-5.5 ------------------------------------------------------------------------------------

def _module_momentum(pictures):
    from .optimizers import GD, Momentum, Nesterov

    data = datasets.two_points()
    optimizers = [GD(lr=1.0), Momentum(lr=1.0, beta=0.9), Nesterov(lr=1.0, beta=0.9)]
    epochs, init = MOMENTUM_EPOCHS, [-2.0, -2.0]
    runs = _batch_runs(data, optimizers, epochs, init)
    section = Section("5.2-5.5", f"Gradient descent, momentum and Nesterov on the two points: batch GD, η = 1, "
                                 f"β = 0.9, {epochs} epochs from (w, b) = (−2, −2)")
    section.table += _rule(f"{'optimizer':<9} {'J @50':>9} {'J @100':>9} {f'J @{epochs}':>9} "
                           f"{f'J<{CONVERGED:.0e} at':>11} {'max w':>6} {'min b':>6} {'u-turns w/b':>11}")
    facts = {}
    for optimizer, run in zip(optimizers, runs):
        path = run.trajectory
        facts[optimizer.name] = dict(
            converged=_first_epoch_below(run, CONVERGED), max_w=float(path[:, 0].max()), min_b=float(path[:, 1].min()),
            u_turns=_u_turns(path, 0) + _u_turns(path, 1), loss50=float(run.loss[49]), loss100=float(run.loss[99]),
            final=float(run.loss[-1]))
        f = facts[optimizer.name]
        section.table.append(
            f"{optimizer.name:<9} {f['loss50']:>9.2e} {f['loss100']:>9.2e} {f['final']:>9.2e} "
            f"{_epoch_text(f['converged']):>11} {f['max_w']:>6.2f} {f['min_b']:>6.2f} "
            f"{_u_turns(path, 0):>5}/{_u_turns(path, 1):<5}")
    section.facts.update(facts)
    gd, momentum, nesterov = facts["GD"], facts["Momentum"], facts["Nesterov"]

    def compared(a, b):
        if a["converged"] is None or b["converged"] is None:
            return "no sooner than"
        return "sooner than" if a["converged"] < b["converged"] else "later than"

    section.text += [
        f"GD crawls over the plateau (J = {gd['loss50']:.2f} after 50 epochs) and gets J below {CONVERGED:.0e} at "
        f"{_epoch_text(gd['converged'])}, never passing w = {gd['max_w']:.2f}.",
        f"Momentum takes big steps on the gentle slope, runs past the minimum to w = {momentum['max_w']:.2f}, "
        f"b = {momentum['min_b']:.2f} and comes back ({momentum['u_turns']} u-turns in w and b); despite them it "
        f"gets J below {CONVERGED:.0e} at {_epoch_text(momentum['converged'])}, {compared(momentum, gd)} GD.",
        f"Nesterov looks ahead and turns sooner: it overshoots only to w = {nesterov['max_w']:.2f}, b = "
        f"{nesterov['min_b']:.2f} ({nesterov['u_turns']} u-turns) and gets J below {CONVERGED:.0e} at "
        f"{_epoch_text(nesterov['converged'])}, {compared(nesterov, momentum)} momentum "
        f"(J = {nesterov['final']:.1e} against {momentum['final']:.1e} after {epochs} epochs).",
    ]
    if pictures.enabled:
        plot = pictures.plot
        box, _ = grid_around(data, runs, "sum", resolution=141)
        figure = pictures.figure(12.5, 5.0)
        left, right = figure.subplots(1, 2, width_ratios=[1.15, 1])
        plot.contours(box, runs, ax=left, title=f"GD, momentum and Nesterov: {epochs} epochs, η = 1, β = 0.9")
        plot.loss_curves(runs, ax=right, floor=1e-12, title="Loss on the two points")
        right.axhline(CONVERGED, color="0.5", linewidth=0.8, linestyle=":")
        pictures.save(figure, "two-points-contours", section,
                      "Left: the three paths on the contours of J (a circle at the start, a square at each end). "
                      "Right: their loss per epoch; the dotted line is J = 1e-4.")
    return section


# --- 5.6 ----------------------------------------------------------------------------------------

def _module_batch_sizes(pictures):
    from .optimizers import GD

    data = datasets.synthetic(200, noise=0.1, seed=0)
    epochs, lr = 40, 1.0
    sizes = [("batch GD", None), ("mini-batch (B = 20)", 20), ("stochastic (B = 1)", 1)]
    runs = [train(data, GD(lr=lr), epochs=epochs, batch_size=size, init=[-2.0, -2.0], shuffle=True, seed=0,
                  record="step") for _, size in sizes]
    section = Section("5.6", f"Stochastic, mini-batch and batch gradient descent: {data.n} points "
                             f"(y = σ(2x − 1) + 0.1 noise), GD η = {lr:g}, mean J, {epochs} epochs each, shuffled")
    section.table += _rule(f"{'':<20} {'steps':>6} {'J @5':>9} {f'J @{epochs}':>9} {'mean turn':>9} "
                           f"{'path/distance':>13}")
    facts = {}
    for (name, size), run in zip(sizes, runs):
        turn, ratio = _turning(run.trajectory)
        facts[name] = dict(steps=run.steps, loss5=float(run.loss[4]), final=float(run.loss[-1]), turn=turn,
                           ratio=ratio, batch_size=size)
        section.table.append(f"{name:<20} {run.steps:>6,} {run.loss[4]:>9.2e} {run.loss[-1]:>9.2e} {turn:>8.1f}° "
                             f"{ratio:>13.2f}")
    section.facts.update(facts)
    batch, mini, sgd = (facts[name] for name, _ in sizes)
    smoother = sgd["turn"] > mini["turn"] > batch["turn"]
    section.text += [
        f"In the same {epochs} epochs batch GD takes {batch['steps']} steps, mini-batch {mini['steps']:,} and "
        f"stochastic GD {sgd['steps']:,}: J = {batch['final']:.2e}, {mini['final']:.2e} and {sgd['final']:.2e} at "
        f"the end.",
        f"Each stochastic step follows one point's gradient, so the path zig-zags: it turns by {sgd['turn']:.0f}° "
        f"a step on average and is {sgd['ratio']:.1f} times longer than the distance it covers; mini-batches of 20 "
        f"turn by {mini['turn']:.0f}° ({mini['ratio']:.2f}x), the full batch by {batch['turn']:.1f}° "
        f"({batch['ratio']:.2f}x)" + (": the bigger the batch, the smoother the path." if smoother else
                                      ": here the batch size does not order the roughness."),
    ]
    if pictures.enabled:
        plot = pictures.plot
        labels = [name for name, _ in sizes]
        shades = ("#111111", "#1f5fd0", "#d62728")
        box, _ = grid_around(data, runs, "mean", resolution=121)
        figure = pictures.figure(16.5, 5.0)
        left, middle, right = figure.subplots(1, 3, width_ratios=[1.15, 1.0, 0.9])
        plot.contours(box, runs, labels=labels, ax=left, colorbar=False,
                      title=f"Batch, mini-batch, stochastic: {epochs} epochs")
        # the last 5 epochs of the two that reach the minimum, close up
        tail = 5
        ends = [dataclasses.replace(run, trajectory=run.trajectory[-(tail * run.steps // epochs) - 1:])
                for run in runs[1:]]
        points = np.concatenate([run.trajectory for run in ends])
        low, high = points.min(axis=0), points.max(axis=0)
        margin = 0.15 * (high - low) + 0.02
        zoom = surface(data, w_range=(low[0] - margin[0], high[0] + margin[0]),
                       b_range=(low[1] - margin[1], high[1] + margin[1]), resolution=101, reduction="mean")
        plot.contours(zoom, ends, labels=labels[1:], ax=middle, markers=False,
                      title=f"Close up: their last {tail} epochs")
        plot.loss_curves(runs, labels=labels, ax=right, title="Loss after each epoch")
        for ax, gid, chosen in ((left, "trajectory", shades), (left, "end", shades), (middle, "trajectory", shades[1:]),
                                (right, "loss", shades)):
            for line, shade in zip([line for line in ax.lines if line.get_gid() == gid], chosen):
                line.set_color(shade)
        for ax in (left, middle, right):
            ax.legend(loc="best", fontsize="small")
        pictures.save(figure, "batch-sizes", section,
                      "Left: the three paths on the same contours. Middle: the last 5 epochs of the mini-batch and "
                      "stochastic paths near the minimum. Right: the loss after each epoch.")
    return section


def _module_large(pictures, progress):
    from .optimizers import Adam
    from .reference import train as reference_train

    n, batch, epochs = 10**6, 25, 3
    data = datasets.synthetic(n, seed=0)
    steps = epochs * (-(-n // batch))
    options = dict(batch_size=batch, init=[-2.0, -2.0], schedule=schedules.cosine(0.05, 0.001, steps))
    run = train(data, Adam(lr=0.05), epochs=epochs, record="step", progress=progress, **options)
    sample_n = 100_000
    sample = datasets.Dataset(data.X[:sample_n], data.y[:sample_n])
    sample_options = dict(options, schedule=schedules.cosine(0.05, 0.001, -(-sample_n // batch)))
    reference = reference_train(sample, Adam(lr=0.05), epochs=1, **sample_options)
    compiled = train(sample, Adam(lr=0.05), epochs=1, **sample_options)
    rate = run.steps / run.seconds if run.seconds > 0 else math.inf
    reference_rate = reference.steps / reference.seconds
    difference = float(np.abs(compiled.theta - reference.theta).max())
    section = Section("5.6 at scale", f"Mini-batch gradient descent on {n:,} points: y = σ(2x − 1) + 0.05 noise, "
                                      f"Adam, batch {batch}, cosine schedule 0.05 → 0.001, {epochs} epochs, mean J "
                                      f"(independent draws: visited in order, no shuffle needed)")
    section.table += [
        f"compiled  fastoptim.train            {run.steps:>9,} steps in {run.seconds:6.2f} s = {rate:>11,.0f} "
        f"updates/s; J = {run.loss[-1]:.5f}, w = {run.theta[0]:.6g}, b = {run.theta[1]:.6g}",
        f"numpy     fastoptim.reference.train  {reference.steps:>9,} steps in {reference.seconds:6.2f} s = "
        f"{reference_rate:>11,.0f} updates/s, on the first {sample_n:,} points (1 epoch)"]
    first = _first_epoch_below(run, 2 * run.loss[-1])
    section.facts.update(speedup=rate / reference_rate, difference=difference, final=float(run.loss[-1]),
                         steps=run.steps)
    section.text += [
        f"At the reference's rate the full run would take ~{run.steps / reference_rate:.0f} s: the compiled run is "
        f"{rate / reference_rate:.0f}x faster; on the sample both give θ = ({compiled.theta[0]:.6f}, "
        f"{compiled.theta[1]:.6f}), max |Δθ| = {difference:.1e}.",
        f"With 40,000 steps an epoch, the loss is within 2x of its final {run.loss[-1]:.5f} after "
        f"{_epoch_text(first)}; the batch losses stay noisy around it (each batch is 25 noisy points).",
    ]
    if pictures.enabled:
        plot = pictures.plot
        grid, note = grid_around(data, [run], "mean", resolution=101)
        figure = pictures.figure(15.0, 4.6)
        left, middle, right = figure.subplots(1, 3, width_ratios=[1.2, 1, 1])
        plot.contours(grid, run, ax=left, labels=["Adam, batch 25"], title=f"Mini-batch path{note}")
        plot.loss_curves(run, ax=middle, labels=["Adam, batch 25"], x="step", logx=True,
                         title="Loss: batch losses (faint) and epoch losses")
        plot.lr_curves(run, ax=right, labels=["Adam"], title="The cosine learning rate")
        pictures.save(figure, "minibatch", section,
                      "Left: Adam's path on a million points. Middle: every batch's loss (faint) and the loss "
                      "after each epoch (dots). Right: η of every step.")
    return section


# --- 5.7 ----------------------------------------------------------------------------------------

def _module_schedules(pictures):
    from .optimizers import GD

    data = datasets.synthetic(1000, noise=0.1, seed=1)
    lr, batch, epochs = 3.0, 10, 20
    per = -(-data.n // batch)
    steps = epochs * per
    chosen = {
        "constant": None,
        "step decay (halve every 4 epochs)": schedules.step_decay(lr, 0.5, 4 * per),
        "exponential": schedules.exponential(lr, 4.0 / steps),
        "1/t": schedules.inverse_time(lr, 20.0 / steps),
        "cyclical (triangular)": schedules.cyclic(lr / 20, lr, 2 * per),
        "cosine, warm restarts": schedules.warm_restarts(lr, lr / 100, 5 * per),
        "warm-up, then cosine": schedules.join([schedules.linear_warmup(lr, 2 * per),
                                                schedules.cosine(lr, lr / 100, steps - 2 * per)], [2 * per]),
    }
    runs = {name: train(data, GD(lr=lr), epochs=epochs, batch_size=batch, init=[-2.0, -2.0], schedule=schedule,
                        shuffle=True, seed=0, record="step") for name, schedule in chosen.items()}
    best = train(data, GD(lr=lr), epochs=2000, init=[-2.0, -2.0])  # J*: batch GD to convergence
    floor = float(min(best.loss.min(), min(run.loss.min() for run in runs.values())))
    section = Section("5.7", f"Learning-rate schedules: {data.n} points, mini-batch GD (B = {batch}), η0 = {lr:g}, "
                             f"{epochs} epochs, shuffled; J* = {floor:.6f} (batch GD to convergence)")
    section.table += _rule(f"{'schedule':<34} {'J − J* @1':>10} {'J − J* @5':>10} {f'J − J* @{epochs}':>11} "
                           f"{'last η':>8}")
    facts = {}
    for name, run in runs.items():
        excess = run.loss - floor
        facts[name] = dict(first=float(excess[0]), fifth=float(excess[4]), final=float(excess[-1]),
                           last_lr=float(run.step_lr[-1]))
        section.table.append(f"{name:<34} {excess[0]:>10.2e} {excess[4]:>10.2e} {excess[-1]:>11.2e} "
                             f"{run.step_lr[-1]:>8.3g}")
    section.facts.update(facts, floor=floor)
    warm_excess = runs["warm-up, then cosine"].loss - floor
    caught = np.flatnonzero(warm_excess <= runs["constant"].loss - floor)
    catch_up = int(caught[0]) + 1 if caught.size else None
    section.facts["catch_up"] = catch_up
    constant = facts["constant"]
    decaying = {name: f for name, f in facts.items() if name != "constant"}
    below = [name for name, f in decaying.items() if f["final"] < constant["final"]]
    ranked = sorted(decaying, key=lambda name: decaying[name]["final"])
    warm = facts["warm-up, then cosine"]
    section.text += [
        f"With a constant η = {lr:g} every step is as big as the first, so the batches' noise keeps J above its "
        f"minimum: J − J* = {constant['final']:.1e} after {epochs} epochs.",
        f"{len(below)} of the {len(decaying)} schedules end lower, by shrinking η as the run goes on: best "
        f"{ranked[0]} ({decaying[ranked[0]]['final']:.1e}), then {ranked[1]} ({decaying[ranked[1]]['final']:.1e}); "
        f"the least good is {ranked[-1]} ({decaying[ranked[-1]]['final']:.1e}).",
        f"Warm-up starts with small steps: after epoch 1 its J − J* is {warm['first']:.1e} against the constant "
        f"η's {constant['first']:.1e}; it is as low as the constant η's by {_epoch_text(catch_up)}.",
    ]
    if pictures.enabled:
        plot = pictures.plot
        shades = ["#111111", "#1f5fd0", "#1a9a2a", "#d62728", "#ff7f0e", "#9b30d9", "#17becf"]
        labelled = {name: run for name, run in runs.items()}
        excess_runs = {name: dataclasses.replace(run, loss=run.loss - floor) for name, run in runs.items()}
        figure = pictures.figure(15.5, 4.8)
        left, right = figure.subplots(1, 2, width_ratios=[1, 1])
        plot.lr_curves(labelled, ax=left, title="η of every step (100 steps an epoch)")
        plot.loss_curves(excess_runs, ax=right, floor=1e-9, title="J − J* after each epoch")
        right.set_ylabel("J − J*")
        for ax, gid in ((left, "lr"), (right, "loss")):
            for line, shade in zip([line for line in ax.lines if line.get_gid() == gid], shades):
                line.set_color(shade)
        right.legend(loc="upper right", fontsize="x-small")
        left.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="x-small", borderaxespad=0)
        pictures.save(figure, "schedules", section,
                      "Left: the learning rate of each schedule, step by step. Right: how far each run's loss is "
                      "above the minimum after each epoch (log scale).")
    return section


# --- 5.8 ----------------------------------------------------------------------------------------

def _module_line_search(pictures):
    from .optimizers import GD

    data = datasets.two_points()
    epochs, candidates = 100, [0.1, 0.5, 1.0, 2.0, 10.0]
    runs = [train(data, GD(lr=1.0), epochs=epochs, init=[-2.0, -2.0], reduction="sum", record="step"),
            train(data, GD(lr=1.0), epochs=epochs, init=[-2.0, -2.0], reduction="sum", line_search=candidates,
                  record="step")]
    plain, searched = runs
    chosen, counts = np.unique(searched.step_lr, return_counts=True)
    section = Section("5.8", f"Line search: batch GD on the two points, {epochs} epochs from (−2, −2); at each step "
                             f"the η of {candidates} with the lowest J after it, against a fixed η = 1")
    section.table += _rule(f"{'':<12} {'J @10':>9} {'J @50':>9} {f'J @{epochs}':>9} {'J<1e-4 at':>10}")
    for name, run in (("fixed η = 1", plain), ("line search", searched)):
        section.table.append(f"{name:<12} {run.loss[9]:>9.2e} {run.loss[49]:>9.2e} {run.loss[-1]:>9.2e} "
                             f"{_epoch_text(_first_epoch_below(run, CONVERGED)):>10}")
    section.table.append("η chosen: " + ", ".join(f"{lr:g} × {count}" for lr, count in zip(chosen, counts)))
    most = float(chosen[int(np.argmax(counts))])
    section.facts.update(fixed_final=float(plain.loss[-1]), searched_final=float(searched.loss[-1]),
                         fixed_converged=_first_epoch_below(plain, CONVERGED),
                         searched_converged=_first_epoch_below(searched, CONVERGED),
                         chosen={float(lr): int(count) for lr, count in zip(chosen, counts)}, most=most)
    f = section.facts
    section.text += [
        f"Trying {len(candidates)} rates at every step costs {len(candidates)} extra evaluations of J a step, and "
        f"the search picks η = {most:g} in {int(counts.max())} of the {searched.steps} steps: the largest that "
        f"still lowers J, mostly on the plateau, where a fixed η = 1 crawls.",
        f"It gets J below {CONVERGED:.0e} at {_epoch_text(f['searched_converged'])} (fixed η: "
        f"{_epoch_text(f['fixed_converged'])}); after {epochs} epochs J = {f['searched_final']:.1e} against "
        f"{f['fixed_final']:.1e}.",
    ]
    if pictures.enabled:
        plot = pictures.plot
        labels = ["fixed η = 1", "line search"]
        box, _ = grid_around(data, runs, "sum", resolution=121)
        figure = pictures.figure(15.0, 4.6)
        left, middle, right = figure.subplots(1, 3, width_ratios=[1.2, 1, 1])
        plot.contours(box, runs, labels=labels, ax=left, colorbar=False, title="Paths: fixed η against line search")
        for ax, gid in ((left, "trajectory"), (left, "end")):
            lines = [line for line in ax.lines if line.get_gid() == gid]
            lines[1].set_color("#d62728")
        left.legend(loc="best", fontsize="small")
        plot.lr_curves(searched, labels=["line search"], ax=middle, log=True, title="η chosen at each step")
        middle.lines[0].set_color("#d62728")
        middle.lines[0].set_marker(".")
        middle.legend(loc="best", fontsize="small")
        plot.loss_curves(runs, labels=labels, ax=right, floor=1e-12, title="Loss")
        [line for line in right.lines if line.get_gid() == "loss"][1].set_color("#d62728")
        right.legend(loc="best", fontsize="small")
        pictures.save(figure, "line-search", section,
                      "Left: both paths on the contours. Middle: the η the search chose at each step (log "
                      "scale). Right: the loss of both runs.")
    return section


# --- 5.9 ----------------------------------------------------------------------------------------

def _module_sparse(pictures):
    from .optimizers import AdaGrad, Adam, GD, RMSProp

    data = datasets.sparse(500, zero_fraction=0.8, seed=0)
    optimizers = [GD(lr=0.01), AdaGrad(lr=0.3), RMSProp(lr=0.3), Adam(lr=0.3)]
    epochs, init = 200, [-4.0, 4.0]
    runs = _batch_runs(data, optimizers, epochs, init)
    nonzero = int(np.count_nonzero(data.X))
    section = Section("5.9", f"A sparse feature: {data.n} points, x = 0 for {data.n - nonzero} of them, y = σ(2x − 1) "
                             f"(minimum at w = 2, b = −1); batch GD, J summed, {epochs} epochs from (w, b) = (−4, 4)")
    section.table += _rule(f"{'optimizer':<9} {'η':>5} {'moved w,b @10':>14} {'J @50':>9} {'min J':>9} "
                           f"{f'J @{epochs}':>9} {'step @1-10':>10} {'step @181-200':>13} {'η/(√v+ε) w, b':>17}")
    facts = {}
    for optimizer, run in zip(optimizers, runs):
        path = run.trajectory
        lengths = np.sqrt(np.sum(np.diff(path, axis=0) ** 2, axis=1))
        moved = np.abs(path[10] - path[0])
        rates = _effective_rates(run, optimizer)
        rates_text = f"{rates[0]:.2g}, {rates[1]:.2g}" if rates is not None else "—"
        facts[optimizer.name] = dict(moved=moved, early=float(lengths[:10].mean()), late=float(lengths[-20:].mean()),
                                     loss50=float(run.loss[49]), minimum=float(run.loss.min()),
                                     minimum_epoch=int(np.argmin(run.loss)) + 1, final=float(run.loss[-1]),
                                     rates=rates, max_w=float(path[:, 0].max()),
                                     below=_first_epoch_below(run, 1e-2))
        f = facts[optimizer.name]
        section.table.append(f"{optimizer.name:<9} {optimizer.lr:>5g} {moved[0]:>6.2f},{moved[1]:<7.2f} "
                             f"{f['loss50']:>9.2e} {f['minimum']:>9.2e} {f['final']:>9.2e} {f['early']:>10.3f} "
                             f"{f['late']:>13.2e} {rates_text:>17}")
    section.facts.update(facts)
    gd, adagrad, rmsprop, adam = (facts[name] for name in ("GD", "AdaGrad", "RMSProp", "Adam"))
    # the lecture's two claims, as measured: AdaGrad's steps shrink (by 50x or more), RMSProp's do not
    shrinks = adagrad["late"] < adagrad["early"] / 50
    oscillates = rmsprop["late"] > 0.1 and rmsprop["final"] > 10 * rmsprop["minimum"]
    reached = [(f["below"], name) for name, f in facts.items() if f["below"] is not None]
    first = min(reached)[1] if reached else None
    section.facts.update(adagrad_shrinks=shrinks, rmsprop_oscillates=oscillates, first=first)
    section.text += [
        ("GD first moves b, whose feature (the constant 1) is never zero: " if gd["moved"][1] > gd["moved"][0]
         else "GD: ") + f"in 10 epochs it moves b by "
        f"{gd['moved'][1]:.2f} and w by {gd['moved'][0]:.2f}; AdaGrad scales each by its own history and moves "
        f"both ({adagrad['moved'][0]:.2f}, {adagrad['moved'][1]:.2f}).",
        f"AdaGrad {'slows down near the optimum' if shrinks else 'keeps its pace'}: its steps go from {adagrad['early']:.2f} to {adagrad['late']:.1e} "
        f"as its sum of squared gradients grows; J = {adagrad['final']:.1e} after {epochs} epochs.",
        f"RMSProp decays that sum and " + ("gets there first" if first == "RMSProp" else f"{first} gets there first")
        + f" (J below 1e-2 at epoch {rmsprop['below']}; J = {rmsprop['minimum']:.0e} at epoch "
        f"{rmsprop['minimum_epoch']}" + (", below the plot's floor of 1e-8, marked ▼" if rmsprop["minimum"] < 1e-8 else "")
        + (f"), then oscillates around the minimum with steps of {rmsprop['late']:.2f} (J = {rmsprop['final']:.2f} "
           f"at the end): η = 0.3 is too large for it there, as the lecture warns." if oscillates else
           f"), and its last steps are {rmsprop['late']:.1e} long (J = {rmsprop['final']:.1e} at the end).")
        + (f" Adam's momentum carries it past the minimum, to w = {adam['max_w']:.2f}, and back"
           if adam["max_w"] > 2.25 else " Adam does not overshoot w = 2 by more than 0.25")
        + f"; J = {adam['final']:.1e} after {epochs} epochs.",
    ]
    if pictures.enabled:
        plot = pictures.plot
        grid, _ = grid_around(data, runs, "sum", resolution=141)
        zoom = surface(data, w_range=(1.0, 3.0), b_range=(-2.0, 0.0), resolution=141, reduction="sum")
        figure = pictures.figure(12.5, 5.2)
        left, right = figure.subplots(1, 2)
        plot.contours(grid, runs, ax=left, colorbar=False,
                      title="Sparse x: GD (η = 0.01), AdaGrad, RMSProp, Adam (η = 0.3)")
        plot.contours(zoom, runs, ax=right, legend=False,
                      title="Near the minimum" + (": AdaGrad stops short" if shrinks else "")
                      + (", RMSProp oscillates" if oscillates else ""))
        pictures.save(figure, "sparse-contours", section,
                      "The four paths on sparse data (left) and near the minimum (right).")
        figure = pictures.figure(12.5, 4.4)
        left, right = figure.subplots(1, 2)
        plot.loss_curves(runs, ax=left, floor=1e-8, title="Loss on sparse data (▼: below 1e-8)")
        plot.step_sizes(runs, ax=right, title="Step length" + (": AdaGrad's shrinks" if shrinks else "")
                        + (", RMSProp's does not" if oscillates else ""))
        pictures.save(figure, "sparse-loss", section,
                      "Left: the loss per epoch; a value below 1e-8 is drawn at the floor with ▼. Right: the "
                      "length of every step.")
    return section


#: Every rule of the library on the sparse problem, in four families, with the η each is run at
#: (GD-like rules take the summed gradient as it is and need a small η; AdaDelta's η multiplies
#: a step that starts at √ε).
FAMILIES = [
    ("gradient descent", [("GD", 0.01), ("Momentum", 0.002), ("Nesterov", 0.002)]),
    ("AdaGrad, RMSProp, AdaDelta", [("AdaGrad", 0.3), ("AdaGradW", 0.3), ("RMSProp", 0.3), ("RMSPropW", 0.3),
                                    ("AdaDelta", 10.0)]),
    ("Adam and its bounds", [("Adam", 0.3), ("AdamW", 0.3), ("AdaMax", 0.3), ("AMSGrad", 0.05)]),
    ("Nesterov-Adam, rectified, projected", [("NAdam", 0.3), ("NAdamW", 0.3), ("RAdam", 0.1), ("AdamP", 0.3)]),
]


def _module_every_rule(pictures):
    from .optimizers import OPTIMIZERS

    data = datasets.sparse(500, zero_fraction=0.8, seed=0)
    epochs, init, level = 200, [-4.0, 4.0], 1e-2
    families = [(title, [(name, OPTIMIZERS[name](lr=lr)) for name, lr in members]) for title, members in FAMILIES]
    missing = set(OPTIMIZERS) - {name for _, members in families for name, _ in members}
    assert not missing, f"the demo's FAMILIES leaves out {sorted(missing)}"
    runs = {name: train(data, optimizer, epochs=epochs, init=init, reduction="sum", record="step")
            for _, members in families for name, optimizer in members}
    section = Section("5.9, every rule", f"Every update rule of the library ({len(runs)}) on the same sparse data, "
                                         f"{epochs} epochs from (−4, 4)")
    section.table += _rule(f"{'optimizer':<10} {'η':>6} {'J @20':>9} {'J @50':>9} {f'J @{epochs}':>9} "
                           f"{f'J<{level:g} at':>10} {'w':>7} {'b':>7}")
    facts = {}
    for _, members in families:
        for name, optimizer in members:
            run = runs[name]
            facts[name] = dict(lr=optimizer.lr, converged=_first_epoch_below(run, level), final=float(run.loss[-1]),
                               theta=run.theta.tolist())
            section.table.append(f"{name:<10} {optimizer.lr:>6g} {run.loss[19]:>9.2e} {run.loss[49]:>9.2e} "
                                 f"{run.loss[-1]:>9.2e} {_epoch_text(facts[name]['converged']):>10} "
                                 f"{run.theta[0]:>7.3f} {run.theta[1]:>7.3f}")
    section.facts.update(facts, level=level)
    reached = sorted((f["converged"], name) for name, f in facts.items() if f["converged"] is not None)
    never = [name for name, f in facts.items() if f["converged"] is None]
    decoupled = [(name, name + "W") for name in ("Adam", "NAdam", "RMSProp", "AdaGrad")]
    higher = [(plain, w) for plain, w in decoupled if facts[w]["final"] > facts[plain]["final"]]
    pairs_text = "; ".join(f"{plain} {facts[plain]['final']:.1e}, {w} {facts[w]['final']:.1e}" for plain, w in decoupled)
    same = runs["AdamP"].theta.tolist() == runs["Adam"].theta.tolist() and np.array_equal(runs["AdamP"].loss,
                                                                                          runs["Adam"].loss)
    adamp_text = ("ends exactly where Adam does, every epoch's J the same" if same else
                  f"ends at J = {facts['AdamP']['final']:.1e}, Adam at {facts['Adam']['final']:.1e}")
    section.text += [
        f"{len(reached)} of the {len(facts)} rules bring J below {level:g} within {epochs} epochs; the first are "
        + ", ".join(f"{name} (epoch {epoch})" for epoch, name in reached[:3])
        + (f"; {', '.join(never)} do not" if never else "") + ".",
        f"Weight decay pulls θ towards 0, away from the minimum at (2, −1): {len(higher)} of the "
        f"{len(decoupled)} W variants end higher than their plain rule ({pairs_text}).",
        f"AdamP {adamp_text}: its projection acts on weight arrays of two or more dimensions only, and the "
        f"neuron's w is one number.",
    ]
    section.facts.update(reached=[name for _, name in reached], never=never, higher=[w for _, w in higher],
                         adamp_is_adam=same)
    if pictures.enabled:
        plot = pictures.plot
        grid, _ = grid_around(data, list(runs.values()), "sum", resolution=121)
        figure = pictures.figure(19.0, 8.6)
        axes = figure.subplots(2, 4)
        for column, (title, members) in enumerate(families):
            chosen = {f"{name} (η = {optimizer.lr:g})": runs[name] for name, optimizer in members}
            plot.contours(grid, chosen, ax=axes[0, column], colorbar=False, title=title)
            axes[0, column].legend(loc="lower left", fontsize="x-small", framealpha=0.85)
            plot.loss_curves(chosen, ax=axes[1, column], floor=1e-12, title=f"Loss: {title}")
            axes[1, column].legend(loc="lower left", fontsize="x-small")
        pictures.save(figure, "every-rule", section,
                      f"All {len(runs)} rules of the library on the sparse data: their paths (top, one family a "
                      "column) and their loss (bottom; ▼ below 1e-12).")
    return section


# --- the story ----------------------------------------------------------------------------------

def _write_index(folder, sections, seconds):
    """``index.html`` beside the pictures: every picture with its caption, every table and text,
    referenced by relative paths, so the folder opens in a browser from disk."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>fastoptim demo: the lecture \"Learning Parameters\"</title>",
             "<style>body{font-family:sans-serif;max-width:1400px;margin:2em auto;padding:0 1em;line-height:1.45}"
             "pre{background:#f4f4f4;padding:.6em;overflow-x:auto;font-size:13px}img{max-width:100%;"
             "border:1px solid #ddd}figure{margin:1em 0}figcaption{color:#444;font-size:14px}</style>",
             "</head><body>", "<h1>fastoptim demo: the lecture \"Learning Parameters\" (CS6910, lecture 5)</h1>",
             f"<p>Written by <code>fastoptim demo</code> in {seconds:.1f} s. Every sentence below is written from "
             "the numbers of the run it describes.</p>", "<ul>"]
    for k, section in enumerate(sections):
        parts.append(f'<li><a href="#s{k}">{html.escape(section.number)}: {html.escape(section.title)}</a></li>')
    parts.append("</ul>")
    for k, section in enumerate(sections):
        parts.append(f'<h2 id="s{k}">{html.escape(section.number)} &mdash; {html.escape(section.title)}</h2>')
        if section.table:
            parts.append("<pre>" + html.escape("\n".join(section.table)) + "</pre>")
        for line in section.text:
            parts.append(f"<p>{html.escape(line)}</p>")
        for name, caption in section.pictures:
            parts.append(f'<figure><img src="{html.escape(name)}" alt="{html.escape(caption)}">'
                         f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    parts.append("</body></html>")
    path = os.path.join(folder, "index.html")
    with open(path, "w", encoding="utf-8") as file:
        file.write("\n".join(parts) + "\n")
    return path


def run(out_dir="fastoptim-demo", extension="png", plots=True, progress=True):
    """Tell the lecture's story on stdout and, with ``plots``, write its pictures into
    ``out_dir`` (created; needs matplotlib) as ``extension`` files, with an ``index.html`` that
    shows them with their text; ``progress``: progress bars and compile notices on stderr.
    Returns a :class:`Story`."""
    started = time.perf_counter()
    pictures = _Pictures(out_dir, extension, plots)
    print("fastoptim demo: the lecture \"Learning Parameters\" (CS6910, lecture 5) on built-in data"
          + (f"; pictures in {out_dir}/" if plots else ""))
    print("Loading the compiled kernels (the first run compiles them, about a minute; then they are cached on "
          "disk) ...", flush=True)
    loading = time.perf_counter()
    from .optimizers import GD

    train(datasets.two_points(), GD(lr=1.0), epochs=1, init=[0.0, 0.0], record="step")
    # and the parallel full-data loss of large data sets, so that no timing below includes a compile
    train(datasets.synthetic(2 * PARALLEL_THRESHOLD), GD(), epochs=1, batch_size=PARALLEL_THRESHOLD, init=[0.0, 0.0])
    schedules.cosine(1.0, 0.0, 10).values(2)  # and the schedule of the large run (compiled on first use)
    print(f"   ready in {time.perf_counter() - loading:.1f} s")
    sections = []
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="the run diverged", category=RuntimeWarning)
        for module in (_module_surface, _module_momentum, _module_batch_sizes, _module_large, _module_schedules,
                       _module_line_search, _module_sparse, _module_every_rule):
            section = module(pictures, progress) if module is _module_large else module(pictures)
            section.print()
            sections.append(section)
    seconds = time.perf_counter() - started
    index = _write_index(out_dir, sections, seconds) if plots else None
    print(f"\nDone in {seconds:.1f} s.")
    if plots:
        print(f"Pictures in {out_dir}/: {', '.join(pictures.names)}")
        print(f"Open {index} in a browser: every picture with its text and tables.")
    return Story(sections, out_dir, list(pictures.names), index, seconds)
