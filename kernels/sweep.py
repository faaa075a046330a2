"""Many training runs in one compiled call: one epoch of every (configuration, seed) pair of a
hyperparameter sweep (``fastoptim.sweep``).

Each pair ``p`` owns row ``p`` of every stacked array (``thetas[p]``, ``slots[p]``,
``scalars[p]``, ``hypers[p]``, ``lrs[p]``, …) and is run by ``epochs.run_epoch`` on that row —
the same compiled epoch as ``fastoptim.train``'s, with the same arguments, so a pair's run is
``train``'s bit for bit. Pairs may be of different optimizer kinds (``kinds[p]``: the integer
dispatch of ``updates.update``; no function is passed, so everything is served from numba's
cache). A pair writes only its own rows: ``sweep_epoch`` runs the pairs in parallel
(``prange``) with no shared writes, and the result does not depend on the number of threads.

Data: ``Xs`` (G, N) or (G, N, d) and ``ys`` (G, N) hold ``G`` training sets of equal size
(G > 1 only when each seed splits off its own validation set); pair ``p`` trains on group
``groups[p]``. ``orders`` (P, N) gives each pair's visiting order for this epoch (drawn by the
caller from the pair's own ``default_rng(seed)``, as ``train`` does) or is empty (0, 0) for the
data's own order, shared by every pair without a copy.

After its epoch, a pair that completed every step gets its full training loss (and the
validation loss, if ``Xv``/``yv`` hold validation sets) computed by ``model.loss_total`` on the
unpermuted data: the function, and so the bits, that ``train`` records.

Nested parallelism: ``run_epoch`` computes batches of ``model.PARALLEL_THRESHOLD`` points or
more with a parallel kernel, which must not be launched from inside a ``prange`` (the threading
layers here do not all support it). Such sweeps use ``sweep_epoch_serial``: the pairs one after
another, each epoch's big batches in parallel, as in ``train``.
"""
import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from . import epochs, updates
from .model import PARALLEL_THRESHOLD, loss_total
from .policy import jit, jit_parallel

__all__ = ["sweep_epoch", "sweep_epoch_serial", "cycles", "PARALLEL_THRESHOLD"]


@intrinsic
def _read_cycle_counter(typingctx):
    """The processor's cycle counter (``rdtsc`` on x86; 0 where the target has none)."""
    signature = types.int64()

    def codegen(context, builder, sig, args):
        function_type = ir.FunctionType(ir.IntType(64), [])
        function = cgutils.get_or_insert_function(builder.module, function_type, "llvm.readcyclecounter")
        return builder.call(function, [])

    return signature, codegen


@jit
def cycles():
    """The cycle counter now (for calibrating ``ticks``: ticks per second)."""
    return _read_cycle_counter()


@jit
def _pair_epoch(p, kinds, Xs, ys, groups, orders, batch_size, n_steps, mean,
                thetas, slots, scalars, hypers, step0, lrs, betas, candidates,
                step_loss, lr_used, trajectory, completed, ticks):
    """One epoch of pair ``p`` (see the module docstring); writes only row ``p``. Returns the
    steps completed."""
    started = _read_cycle_counter()
    record = trajectory.shape[0] > 0  # False (a run-time bool: a literal would compile run_epoch again)
    g = groups[p]
    X = Xs[g]
    y = ys[g]
    if orders.shape[0] > 0:
        X_epoch = np.empty_like(X)
        y_epoch = np.empty_like(y)
        for i in range(y.size):
            j = orders[p, i]
            X_epoch[i] = X[j]
            y_epoch[i] = y[j]
        done = epochs.run_epoch(kinds[p], X_epoch, y_epoch, batch_size, n_steps, mean,
                                kinds[p] == updates.NESTEROV, thetas[p], slots[p], scalars[p],
                                hypers[p], step0, lrs[p], betas[p], candidates,
                                step_loss[p], lr_used[p], trajectory, record)
    else:
        done = epochs.run_epoch(kinds[p], X, y, batch_size, n_steps, mean,
                                kinds[p] == updates.NESTEROV, thetas[p], slots[p], scalars[p],
                                hypers[p], step0, lrs[p], betas[p], candidates,
                                step_loss[p], lr_used[p], trajectory, record)
    completed[p] = done
    ticks[p] += _read_cycle_counter() - started
    return done


@jit_parallel
def sweep_epoch(kinds, Xs, ys, groups, orders, batch_size, n_steps, mean,
                thetas, slots, scalars, hypers, step0, lrs, betas, candidates,
                step_loss, lr_used, trajectory, Xv, yv, active,
                completed, losses, validation_losses, ticks):
    """One epoch of every active pair, in parallel over pairs (``prange``).

    Shapes (P pairs, G data groups, S = the largest slot count, n_steps steps):
    - ``kinds`` (P,) int64; ``groups`` (P,) int64; ``orders`` (P, N) int32 (int64 from 2^31 points) or (0, 0);
      ``active`` (P,) bool: pairs that have not diverged (the others are skipped).
    - ``Xs`` (G, N[, d]), ``ys`` (G, N); ``Xv``, ``yv``: validation sets (G, Nv[, d]), or
      ``yv`` of shape (G, 0) for none.
    - per pair, in place: ``thetas`` (P, d+1), ``slots`` (P, S, d+1), ``scalars`` (P, N_SCALARS),
      ``hypers`` (P, N_HYPER); ``step0``: steps taken before this epoch (the same for all).
    - inputs: ``lrs`` (P, n_steps) float64, ``betas`` (P, n_steps) or (P, 0), ``candidates``
      (line search, shared, read only); ``trajectory`` (0, d+1), unused.
    - outputs: ``step_loss``, ``lr_used`` (P, n_steps) work rows; ``completed`` (P,) int64: the
      steps completed (``< n_steps``: diverged, ``θ`` restored, as ``run_epoch``);
      ``losses``, ``validation_losses`` (P,): after the epoch; ``ticks`` (P,) int64: cycle
      counter ticks spent on the pair, added.

    Batches must be smaller than ``PARALLEL_THRESHOLD`` (see the module docstring).
    """
    for q in prange(kinds.size):
        p = np.int64(q)
        if active[p]:
            done = _pair_epoch(p, kinds, Xs, ys, groups, orders, batch_size, n_steps, mean,
                               thetas, slots, scalars, hypers, step0, lrs, betas, candidates,
                               step_loss, lr_used, trajectory, completed, ticks)
            if done == n_steps:
                started = _read_cycle_counter()
                g = groups[p]
                losses[p] = loss_total(Xs[g], ys[g], thetas[p], mean, False)
                if yv.shape[1] > 0:
                    validation_losses[p] = loss_total(Xv[g], yv[g], thetas[p], mean, False)
                ticks[p] += _read_cycle_counter() - started


@jit
def sweep_epoch_serial(kinds, Xs, ys, groups, orders, batch_size, n_steps, mean,
                       thetas, slots, scalars, hypers, step0, lrs, betas, candidates,
                       step_loss, lr_used, trajectory, Xv, yv, active,
                       completed, losses, validation_losses, ticks):
    """``sweep_epoch`` with the pairs one after another (for batches of ``PARALLEL_THRESHOLD``
    points or more, whose gradients ``run_epoch`` computes in parallel, as do the losses)."""
    for p in range(kinds.size):
        if active[p]:
            done = _pair_epoch(p, kinds, Xs, ys, groups, orders, batch_size, n_steps, mean,
                               thetas, slots, scalars, hypers, step0, lrs, betas, candidates,
                               step_loss, lr_used, trajectory, completed, ticks)
            if done == n_steps:
                started = _read_cycle_counter()
                g = groups[p]
                losses[p] = loss_total(Xs[g], ys[g], thetas[p], mean, True)
                if yv.shape[1] > 0:
                    validation_losses[p] = loss_total(Xv[g], yv[g], thetas[p], mean, True)
                ticks[p] += _read_cycle_counter() - started
