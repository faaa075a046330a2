"""The local engine of a sweep: every (configuration, seed) pair's plan (``fastoptim.plan``, the
same checks and decisions as ``train``), stacked, and run by ``kernels/sweep.py`` — the pairs of
each update rule in one compiled call per chunk of steps, in parallel over pairs.

Each pair's run is ``train``'s bit for bit: the same compiled steps on the same arguments (its
own θ, state, rates), its visiting order drawn from its own ``default_rng(seed)`` as ``train``
draws it (pairs with the same seed share one order), and its losses by ``train``'s loss kernel.
"""
from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _checks, compiling, threads
from .callbacks import EpochRecord, run_callbacks
from .plan import STEPS_PER_CALL, plan_run
from .training import order_dtype, permutation_into

__all__ = ["run_pairs"]


def _read_only(array):
    view = array.view()
    view.flags.writeable = False
    return view


class _AboveTheBar:
    """A file for ``print`` whose lines go above a tqdm bar (``tqdm.write``), not onto its line."""

    def __init__(self, bar):
        self.bar = bar

    def write(self, text):
        if text.strip():
            self.bar.write(text.rstrip("\n"), file=sys.stderr)

    def flush(self):
        pass


class _Orders:
    """This epoch's visiting order of every seed, exactly ``train``'s (the ``e``-th
    ``default_rng(seed).permutation(n)``, drawn in place: ``training.permutation_into``).

    The orders of epoch ``e + 1`` are drawn on a background thread while the kernels run epoch
    ``e`` (numpy's shuffle and the kernels both release the GIL): drawing them is serial work of
    about the size of an epoch's, which would otherwise cut the sweep's speed-up. That needs a
    second set of orders, ``4 S N`` more bytes for ``S`` seeds and ``N`` points: taken only while
    it keeps the shuffle's memory within ``MAX_BYTES_PER_POINT_AND_RUN`` (so a sweep of one seed
    over many configurations double-buffers; one seed per pair does not).
    """

    MAX_BYTES_PER_POINT_AND_RUN = 4.5

    def __init__(self, seeds, n, epochs, pairs):
        self.rngs = [np.random.default_rng(seed) for seed in seeds]
        dtype = order_dtype(n)
        buffered = epochs > 1 and 2 * len(seeds) * np.dtype(dtype).itemsize <= self.MAX_BYTES_PER_POINT_AND_RUN * pairs
        self.buffers = [np.empty((len(seeds), n), dtype=dtype) for _ in range(2 if buffered else 1)]
        self.epoch, self.epochs = 0, epochs
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="fastoptim-sweep-orders") if buffered else None
        self.pending = self._start(0)

    def _draw(self, buffer):
        for row, rng in zip(buffer, self.rngs):
            permutation_into(row, rng)
        return buffer

    def _start(self, epoch):
        buffer = self.buffers[epoch % len(self.buffers)]
        if self.pool is None:
            return buffer  # drawn when asked for
        return self.pool.submit(self._draw, buffer)

    def next(self):
        """This epoch's orders (S, N), and start drawing the next epoch's."""
        if self.pool is None:
            orders = self._draw(self.pending)
        else:
            orders = self.pending.result()
        self.epoch += 1
        if self.epoch < self.epochs:
            self.pending = self._start(self.epoch)
        return orders

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


class _RuleGroup:
    """The pairs of one update rule: their stacked rows, in the kernel's layout."""

    def __init__(self, rows, plans):
        first = plans[0]
        self.rows = np.array(rows, dtype=np.int64)  # the pairs' rows in the sweep
        self.template = first.hyper
        self.thetas = np.stack([plan.theta for plan in plans])
        self.slots = np.stack([plan.state.slots for plan in plans])
        self.scalars = np.stack([plan.state.scalars for plan in plans])
        self.hypers = np.array([tuple(plan.hyper) for plan in plans], dtype=np.float64)
        self.rates = [plan.rates for plan in plans]
        self.constant = all(rates.source == "constant" for rates in self.rates)
        self.momentum = any(rates.momentum is not None for rates in self.rates)
        self.seconds = 0.0

    def learning_rates(self, epoch, step0, n):
        if self.constant:
            return np.repeat(np.array([rates.lr for rates in self.rates])[:, None], n, axis=1)
        return np.stack([rates.learning_rates(epoch, step0, n) for rates in self.rates])

    def momenta(self, epoch, step0, n):
        if not self.momentum:
            return np.empty((len(self.rates), 0))
        return np.stack([rates.momenta(epoch, step0, n) if rates.momentum is not None
                         else np.full(n, rates.beta) for rates in self.rates])


def run_pairs(data, configs, seeds, options, bar=None, callbacks=()):
    """Train the pairs ``zip(configs, seeds)`` in this process; a dict of per-pair arrays (the
    columns ``SweepResult`` is built from)."""
    from .kernels import layout, model, shuffle
    from .kernels import sweep as kernels

    started = time.perf_counter()
    record_loss = options.get("record", "epoch") != "none"
    notices = _AboveTheBar(bar) if bar is not None else None

    def ready(dispatcher, args, what):
        """Load or compile a kernel before its call with these arguments, saying so first (above
        the progress bar) if the sweep shows progress (``fastoptim.compiling.prepare``; a call it
        has seen costs ~µs)."""
        compiling.prepare([(dispatcher, args, what)], announce=notices is not None, file=notices)
    plans = [plan_run(data, config, seed=seed, **options) for config, seed in zip(configs, seeds)]
    pairs = len(plans)
    first = plans[0]
    epochs, n, batch, S = first.epochs, first.data.n, first.batch_size, first.steps_per_epoch
    dtype, mean, loss = first.data.dtype, first.mean, layout.LOSSES[first.loss]
    candidates = first.rates.candidates
    size = first.theta.size
    # data groups: one training set, or one per seed when each seed splits off its validation set
    group_of, group_data = {}, []
    groups = np.empty(pairs, dtype=np.int64)
    for p, plan in enumerate(plans):
        key = plan.seed if _checks.is_real(options.get("validation")) else None  # a fraction: per seed
        if key not in group_of:
            group_of[key] = len(group_data)
            group_data.append((plan.data, plan.validation))
        groups[p] = group_of[key]

    def stacked(parts, attribute):
        arrays = [getattr(part, attribute) for part in parts]
        if arrays[0] is None:
            return None
        return _read_only(arrays[0][None] if len(arrays) == 1 else np.stack(arrays))

    # read-only views, whatever their origin (a Dataset's arrays are read-only; stacked copies and
    # arrays unpickled on a Dask worker are not): numba types the two differently, and one kind
    # means one compiled kernel instead of several
    train_parts = [part for part, _ in group_data]
    Xs, ys, ws = stacked(train_parts, "X"), stacked(train_parts, "y"), stacked(train_parts, "weights")
    has_validation = first.validation is not None
    if has_validation:
        validation_parts = [part for _, part in group_data]
        Xv, yv = stacked(validation_parts, "X"), stacked(validation_parts, "y")
        wv = stacked(validation_parts, "weights")
    # seeds → orders
    distinct = sorted(set(seeds))
    order_of = np.array([distinct.index(seed) for seed in seeds], dtype=np.int64)
    if first.shuffle and n <= shuffle.MAX_POINTS:
        ready(shuffle.shuffle_range, (np.empty(1, dtype=order_dtype(n)), np.zeros(shuffle.STATE_SIZE, dtype=np.uint64)),
              "the shuffle")
    orders = _Orders(distinct, n, epochs, pairs) if first.shuffle else None
    # rule groups: the pairs of each rule in one kernel call
    by_rule = {}
    for p, plan in enumerate(plans):
        by_rule.setdefault(type(plan.hyper), []).append(p)
    rule_groups = [_RuleGroup(rows, [plans[p] for p in rows]) for rows in by_rule.values()]
    pair_rates = [plan.rates for plan in plans]
    del plans
    # the record
    losses = np.full((pairs, epochs), np.nan)
    validation_losses = np.full((pairs, epochs), np.nan) if has_validation else None
    diverged_epoch = np.full(pairs, -1, dtype=np.int64)
    diverged_step = np.full(pairs, -1, dtype=np.int64)
    stopped_epoch = np.full(pairs, -1, dtype=np.int64)
    steps = np.zeros(pairs, dtype=np.int64)
    active = np.ones(pairs, dtype=np.bool_)
    epoch_loss = np.full(pairs, np.nan)
    thetas = np.empty((pairs, size), dtype=dtype)
    for group in rule_groups:  # each pair's start: its θ after 0 epochs (epochs=0, as train's)
        thetas[group.rows] = group.thetas
    big = batch >= model.PARALLEL_THRESHOLD  # its gradients run in parallel: the pairs on one thread
    parallel = layout.Parallel() if big else layout.Serial()
    per_call = max(1, min(S, STEPS_PER_CALL // max(1, pairs // 8)))  # rates: (pairs, per_call) float64
    try:
        for epoch in range(epochs):
            if not active.any():
                break
            epoch_orders = orders.next() if orders is not None else None
            for group in rule_groups:
                group_active = active[group.rows].copy()
                if not group_active.any():
                    continue
                completed = np.zeros(group.rows.size, dtype=np.int64)
                called = time.perf_counter()
                for first_batch in range(0, S, per_call):
                    count = min(per_call, S - first_batch)
                    step0 = epoch * S + first_batch
                    lrs, betas = group.learning_rates(epoch, step0, count), group.momenta(epoch, step0, count)
                    group_groups, group_order_of = groups[group.rows], order_of[group.rows]

                    def run(task):
                        kernels.sweep_steps(group.template, loss, Xs, ys, ws, group_groups, epoch_orders,
                                            group_order_of, batch, first_batch, count, mean,
                                            parallel, group.thetas, group.slots, group.scalars, group.hypers, step0,
                                            lrs, betas, candidates, group_active, task, completed)

                    pending = np.flatnonzero(group_active)
                    ready(kernels.sweep_steps, (group.template, loss, Xs, ys, ws, group_groups, epoch_orders,
                                                group_order_of, batch, first_batch, count, mean, parallel,
                                                group.thetas, group.slots, group.scalars, group.hypers, step0, lrs,
                                                betas, candidates, group_active, pending, completed),
                          f"the sweep's {type(group.template).__name__[:-5]} steps")
                    tasks = [pending] if big else [pending[a:b] for a, b in threads.ranges(pending.size)]
                    threads.spread(tasks, run)
                    # a pair that diverged in this call stops here, as train stops
                    ran = np.flatnonzero(group_active)
                    stopped_now = ran[completed[ran] < count]
                    steps[group.rows[ran]] += completed[ran]
                    for q in stopped_now:
                        p = group.rows[q]
                        diverged_epoch[p], diverged_step[p] = epoch, first_batch + completed[q]
                        active[p] = group_active[q] = False
                group.seconds += time.perf_counter() - called
                thetas[group.rows] = group.thetas
            finished = np.flatnonzero(active)
            if finished.size:
                def losses_of(X_, y_, w_):
                    ready(kernels.sweep_losses, (loss, X_, y_, w_, groups, thetas, mean, finished, epoch_loss),
                          "the sweep's per-epoch loss")
                    threads.spread([finished[a:b] for a, b in threads.ranges(finished.size)],
                                   lambda task: kernels.sweep_losses(loss, X_, y_, w_, groups, thetas, mean, task,
                                                                     epoch_loss))
                    return epoch_loss[finished]

                if record_loss:
                    losses[finished, epoch] = losses_of(Xs, ys, ws)
                finite = np.isfinite(losses[finished, epoch]) | (not record_loss)
                if has_validation:
                    validation_losses[finished, epoch] = losses_of(Xv, yv, wv)
                    finite &= np.isfinite(validation_losses[finished, epoch])
                for p in finished[~finite]:  # as train: every step finite but a loss after the epoch not
                    diverged_epoch[p], diverged_step[p] = epoch, S
                    active[p] = False
                for p in finished[finite] if callbacks else ():
                    record = EpochRecord(epoch=epoch, loss=float(losses[p, epoch]) if record_loss else None,
                                         validation_loss=float(validation_losses[p, epoch]) if has_validation else None,
                                         theta=_frozen(thetas[p]), lr=_last_rate(pair_rates[p], epoch, steps[p]),
                                         beta=pair_rates[p].beta_of_step(epoch, int(steps[p]) - 1),
                                         steps=int(steps[p]), seconds=time.perf_counter() - started,
                                         run_index=int(p))
                    if run_callbacks(callbacks, record) is not None:
                        stopped_epoch[p] = epoch
                        active[p] = False
            if bar is not None:
                bar.update(int(finished.size))
    finally:
        if orders is not None:
            orders.close()
    if bar is not None:  # pairs that stopped skip their remaining epochs
        bar.update(bar.total - bar.n)
    seconds = np.empty(pairs)
    for group in rule_groups:
        thetas[group.rows] = group.thetas  # (every pair's last θ, also for epochs=0: its start)
        seconds[group.rows] = group.seconds / group.rows.size
    return {"theta": thetas, "loss": losses, "validation_loss": validation_losses,
            "diverged_epoch": diverged_epoch, "diverged_step": diverged_step, "stopped_epoch": stopped_epoch,
            "steps": steps, "seconds": seconds, "wall": time.perf_counter() - started}


def _frozen(row):
    copy = row.copy()
    copy.flags.writeable = False
    return copy


def _last_rate(rates, epoch, steps):
    """η of the pair's last step (NaN under line search, whose choices a sweep does not keep)."""
    if rates.source == "line_search":
        return float("nan")
    return float(rates.learning_rates(epoch, int(steps) - 1, 1)[0])
