"""Many training runs in one compiled call: a chunk of steps of every (configuration, seed) pair
of a hyperparameter sweep (``fastoptim.sweep``), and their losses after an epoch.

Each pair ``p`` owns row ``p`` of every stacked array (``thetas[p]``, ``slots[p]``,
``scalars[p]``, ``hypers[p]``, ``lrs[p]``, …) and is run by ``epochs.run_steps`` on that row —
the same compiled steps as ``fastoptim.train``'s, with the same arguments, so a pair's run is
``train``'s bit for bit. The pairs of one call share one update rule: ``template`` is a record
of that rule (``kernels/layout.py``) whose type selects the code, and ``hypers[p]`` holds pair
``p``'s values of its fields, in order (so only the rules a sweep uses are compiled). A pair
writes only its own rows: ``sweep_steps`` runs the pairs in parallel (``prange``) with no shared
writes, and the result does not depend on the number of threads.

Data: ``Xs`` (G, N) or (G, N, d), ``ys`` (G, N) and ``ws`` (G, N) or None hold ``G`` training sets
of equal size (G > 1 only when each seed splits off its own validation set); pair ``p`` trains on
group ``groups[p]``. ``orders`` (S, N) holds this epoch's visiting orders (one per seed, drawn by
the caller from ``default_rng(seed)`` as ``train`` does; uint32 below 2^32 points), pair ``p``
following ``orders[order_of[p]]``, or is None for the data's own order.

Nested parallelism: ``run_steps`` may compute batches of ``model.PARALLEL_THRESHOLD`` points or
more with a parallel kernel, which must not be launched from inside a ``prange``: such sweeps use
``sweep_steps_serial`` (the pairs one after another, each big batch in parallel, as in ``train``).
"""
import numpy as np
from numba import prange
from numba.np.unsafe.ndarray import to_fixed_tuple

from .epochs import run_steps
from .layout import Parallel, Serial
from .model import _is_none, loss_total
from .policy import jit, jit_parallel, overload

__all__ = ["sweep_steps", "sweep_steps_serial", "sweep_losses"]


def record_from_row(template, row):
    """A record of ``template``'s type holding the values ``row`` (its fields in order)."""


@overload(record_from_row)
def _record_from_row(template, row):
    rule = template.instance_class
    fields = len(template)

    def build(template, row):
        return rule(*to_fixed_tuple(row, fields))
    return build


def row_of(stack, index):
    """``stack[index]``, or None for a None stack."""


@overload(row_of)
def _row_of(stack, index):
    if _is_none(stack):
        return lambda stack, index: None
    return lambda stack, index: stack[index]


@jit
def _pair_steps(p, template, loss, Xs, ys, ws, groups, orders, order_of, batch_size, first_batch,
                n_steps, mean, lookahead, parallel, thetas, slots, scalars, hypers, step0, lrs, betas,
                candidates, completed):
    """Pair ``p``'s steps (see the module docstring); writes only row ``p``."""
    g = groups[p]
    order = row_of(orders, order_of[p])
    completed[p] = run_steps(record_from_row(template, hypers[p]), loss, Xs[g], ys[g], row_of(ws, g),
                             order, batch_size, first_batch, n_steps, mean, lookahead, parallel,
                             thetas[p], slots[p], scalars[p], step0, lrs[p], betas[p], candidates,
                             None, None, None, None)


@jit_parallel
def sweep_steps(template, loss, Xs, ys, ws, groups, orders, order_of, batch_size, first_batch,
                n_steps, mean, lookahead, thetas, slots, scalars, hypers, step0, lrs, betas,
                candidates, active, completed):
    """``n_steps`` steps of every active pair, in parallel over pairs (``prange``).

    Shapes (P pairs, G data groups, S orders, k the rule's slot count, n_steps steps):
    ``groups``, ``order_of`` (P,) int64; ``active`` (P,) bool: pairs that have not diverged (the
    others are skipped); per pair, in place: ``thetas`` (P, d+1), ``slots`` (P, k, d+1),
    ``scalars`` (P, N_SCALARS); read: ``hypers`` (P, fields of ``template``), ``lrs`` (P,
    n_steps) float64, ``betas`` (P, n_steps) or (P, 0), ``candidates`` (line search, shared) or
    None; ``step0``: steps taken before this call (the same for all). Output: ``completed`` (P,)
    int64, the steps completed (``< n_steps``: diverged, ``θ`` restored, as ``run_steps``).
    Batches must be smaller than ``PARALLEL_THRESHOLD`` (see the module docstring).
    """
    for q in prange(groups.size):
        p = np.int64(q)
        if active[p]:
            _pair_steps(p, template, loss, Xs, ys, ws, groups, orders, order_of, batch_size,
                        first_batch, n_steps, mean, lookahead, Serial(), thetas, slots, scalars,
                        hypers, step0, lrs, betas, candidates, completed)


@jit
def sweep_steps_serial(template, loss, Xs, ys, ws, groups, orders, order_of, batch_size, first_batch,
                       n_steps, mean, lookahead, thetas, slots, scalars, hypers, step0, lrs, betas,
                       candidates, active, completed):
    """``sweep_steps`` with the pairs one after another (for batches of ``PARALLEL_THRESHOLD``
    points or more, which ``run_steps`` then computes in parallel)."""
    for p in range(groups.size):
        if active[p]:
            _pair_steps(p, template, loss, Xs, ys, ws, groups, orders, order_of, batch_size,
                        first_batch, n_steps, mean, lookahead, Parallel(), thetas, slots, scalars,
                        hypers, step0, lrs, betas, candidates, completed)


@jit_parallel
def sweep_losses(loss, Xs, ys, ws, groups, thetas, mean, pairs, out):
    """``out[p] = J`` of pair ``p`` over its group's data at ``thetas[p]`` for ``p`` in ``pairs``
    (``model.loss_total``: the function, and so the bits, that ``train`` records), in parallel
    over pairs."""
    for q in prange(pairs.size):
        p = pairs[q]
        g = groups[p]
        out[p] = loss_total(loss, Xs[g], ys[g], row_of(ws, g), thetas[p], mean, False)
