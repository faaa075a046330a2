"""Many training runs in one compiled call: a chunk of steps of every (configuration, seed) pair
of a hyperparameter sweep (``fastoptim.sweep``), and their losses after an epoch.

Each pair ``p`` owns row ``p`` of every stacked array (``thetas[p]``, ``slots[p]``,
``scalars[p]``, ``hypers[p]``, ``lrs[p]``, …) and is run by ``epochs.run_steps`` on that row —
the same compiled steps as ``fastoptim.train``'s, with the same arguments, so a pair's run is
``train``'s bit for bit. The pairs of one call share one update rule: ``template`` is a record
of that rule (``kernels/layout.py``) whose type selects the code, and ``hypers[p]`` holds pair
``p``'s values of its fields, in order (so only the rules a sweep uses are compiled). A pair
writes only its own rows: the caller runs disjoint sets of pairs on several threads
(``fastoptim.threads``), and the result does not depend on the number of threads.

Data: ``Xs`` (G, N) or (G, N, d), ``ys`` (G, N) and ``ws`` (G, N) or None hold ``G`` training sets
of equal size (G > 1 only when each seed splits off its own validation set); pair ``p`` trains on
group ``groups[p]``. ``orders`` (S, N) holds this epoch's visiting orders (one per seed, drawn by
the caller from ``default_rng(seed)`` as ``train`` does; uint32 below 2^32 points), pair ``p``
following ``orders[order_of[p]]``, or is None for the data's own order.

Big batches: ``run_steps`` computes batches of ``model.PARALLEL_THRESHOLD`` points or more with a
parallel kernel when asked (``parallel=Parallel()``); such sweeps run their pairs on one thread,
each big batch in parallel, as in ``train``.
"""
import numpy as np
from numba.np.unsafe.ndarray import to_fixed_tuple

from .epochs import run_steps
from .model import LossSum, _is_none, range_sums
from .policy import jit, overload

__all__ = ["sweep_steps", "sweep_losses"]


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
                n_steps, mean, parallel, thetas, slots, scalars, hypers, step0, lrs, betas,
                candidates, completed):
    """Pair ``p``'s steps (see the module docstring); writes only row ``p``."""
    g = groups[p]
    order = row_of(orders, order_of[p])
    completed[p] = run_steps(record_from_row(template, hypers[p]), loss, Xs[g], ys[g], row_of(ws, g),
                             order, batch_size, first_batch, n_steps, mean, parallel,
                             thetas[p], slots[p], scalars[p], step0, lrs[p], betas[p], candidates,
                             None, None, None, None)


@jit
def sweep_steps(template, loss, Xs, ys, ws, groups, orders, order_of, batch_size, first_batch, n_steps, mean,
                parallel, thetas, slots, scalars, hypers, step0, lrs, betas, candidates, active, pairs,
                completed):
    """``n_steps`` steps of the active pairs among ``pairs`` (row numbers), one after another.

    Shapes (P pairs, G data groups, S orders, k the rule's slot count, n_steps steps):
    ``groups``, ``order_of`` (P,) int64; ``active`` (P,) bool: pairs that have not diverged (the
    others are skipped); per pair, in place: ``thetas`` (P, d+1), ``slots`` (P, k, d+1),
    ``scalars`` (P, N_SCALARS); read: ``hypers`` (P, fields of ``template``), ``lrs`` (P,
    n_steps) float64, ``betas`` (P, n_steps) or (P, 0), ``candidates`` (line search, shared) or
    None; ``step0``: steps taken before this call (the same for all); ``parallel``:
    ``layout.Serial()``, or ``Parallel()`` to let big batches use the parallel gradient (then
    call it from one thread only). Output: ``completed`` (P,) int64, the steps completed
    (``< n_steps``: diverged, ``θ`` restored, as ``run_steps``). Different calls may run
    disjoint ``pairs`` on different threads at once (``fastoptim.threads``): a pair writes only
    its own rows.
    """
    for q in range(pairs.size):
        p = pairs[q]
        if active[p]:
            _pair_steps(p, template, loss, Xs, ys, ws, groups, orders, order_of, batch_size, first_batch,
                        n_steps, mean, parallel, thetas, slots, scalars, hypers, step0, lrs, betas,
                        candidates, completed)


@jit
def sweep_losses(loss, Xs, ys, ws, groups, thetas, mean, pairs, out):
    """``out[p] = J`` of pair ``p`` over its group's data at ``thetas[p]`` for ``p`` in ``pairs``,
    one after another (the sum of ``model.range_sums``: the bits ``train`` records)."""
    sums = np.empty(thetas.shape[1] + 2)
    theta64 = np.empty(thetas.shape[1])
    for q in range(pairs.size):
        p = pairs[q]
        g = groups[p]
        for i in range(theta64.size):
            theta64[i] = thetas[p, i]
        range_sums(LossSum(), loss, Xs[g], ys[g], row_of(ws, g), None, theta64, 0, ys.shape[1], sums)
        out[p] = sums[0] / sums[sums.size - 1] if mean else sums[0]
