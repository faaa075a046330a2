"""Many runs at once: hyperparameter sweeps in one parallel kernel (``sweep``), the lecture's
learning-rate search (``lr_search``, SPEC §5), the learning-rate range test
(``lr_range_test``), and sweeps spread over a Dask cluster (``sweep(..., executor=client)``).

A sweep trains every (configuration, seed) pair exactly as ``fastoptim.train`` would — the
arguments are checked and the per-step learning rates computed by ``train``'s own code
(``training._prepare``), each pair's permutation is drawn from its own
``numpy.random.default_rng(seed)``, and each epoch of each pair is ``train``'s compiled
``run_epoch`` — so every row equals the corresponding ``train`` run bit for bit. On one machine
all the pairs run inside one compiled call per epoch (``kernels/sweep.py``), in parallel over
pairs and sharing the data; with a Dask client the pairs are cut into chunks, each chunk runs
that same call on a worker, and the results are gathered into the same table.
"""
import csv
import dataclasses
import io
import math
import numbers
import sys
import time
import uuid
import warnings
from typing import ClassVar

import numpy as np

from . import _checks, schedules, training
from .kernels import sweep as _kernel
from .optimizers import Optimizer

__all__ = ["sweep", "grid", "SweepResult", "lr_search", "LRSearchResult", "lr_range_test",
           "RangeTestResult", "suggest_lr"]

#: The sweep options handed to ``training._prepare`` for every pair (the others are fixed:
#: no plateau controller, no resume, records per epoch).
_RUN_OPTIONS = ("epochs", "batch_size", "init", "reduction", "schedule", "per", "momentum_schedule",
                "shuffle", "drop_last", "line_search", "validation")


# --- configurations ----------------------------------------------------------------------------

def grid(optimizer, **values):
    """Every combination of hyperparameter values for one optimizer class, as a list of
    configurations for :func:`sweep`.

    ``optimizer``: an optimizer class (``fastoptim.Adam``) or a configured instance whose other
    settings are kept (``fastoptim.Adam(eps=1e-6)``). Each keyword names a hyperparameter and
    gives a list of values (a tuple, range or 1-D array also works; for a pair-valued
    hyperparameter give a list of pairs: ``betas=[(0.9, 0.999), (0.8, 0.99)]``). The order is
    that of ``itertools.product`` over the keywords in the order given (the last varies fastest).

    >>> grid(Adam, lr=[1e-3, 1e-2], eps=[1e-8, 1e-6])   # 4 configurations
    """
    if isinstance(optimizer, Optimizer):
        base, cls = optimizer, type(optimizer)
    elif isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        base, cls = None, optimizer
    elif isinstance(optimizer, (list, tuple, set)):
        kinds = sorted({getattr(item, "__name__", type(item).__name__) for item in optimizer})
        raise TypeError(f"grid needs one optimizer class, got several ({', '.join(kinds)}); "
                        f"build a grid per class and concatenate the lists")
    else:
        raise TypeError(f"grid needs an optimizer class such as fastoptim.Adam (or an instance), "
                        f"got {_checks.describe(optimizer)}")
    fields = {item.name for item in dataclasses.fields(cls)}
    axes = []
    for name, options in values.items():
        if name not in fields:
            raise TypeError(f"{cls.__name__} has no hyperparameter {name!r}; it has {', '.join(sorted(fields))}")
        if isinstance(options, np.ndarray):
            options = options.tolist() if options.ndim == 1 else None
        if not isinstance(options, (list, tuple, range)):
            raise TypeError(f"grid: {name} must be a list of values, got {_checks.describe(options)}")
        if len(options) == 0:
            raise ValueError(f"grid: {name} has no values (an empty list)")
        axes.append((name, list(options)))
    configs = [{}]
    for name, options in axes:
        configs = [{**config, name: value} for config in configs for value in options]
    if base is None:
        return [cls(**config) for config in configs]
    return [dataclasses.replace(base, **config) for config in configs]


def _check_configs(configs):
    if isinstance(configs, Optimizer):
        raise TypeError("configs must be a list of optimizer configurations; for a single one use "
                        "[optimizer] (or fastoptim.train)")
    try:
        configs = list(configs)
    except TypeError:
        raise TypeError(f"configs must be a list of optimizer configurations (or fastoptim.grid(...)), "
                        f"got {_checks.describe(configs)}") from None
    if not configs:
        raise ValueError("configs is empty: give at least one optimizer configuration")
    for index, config in enumerate(configs):
        if not isinstance(config, Optimizer):
            raise TypeError(f"configs[{index}] must be a fastoptim optimizer such as fastoptim.Adam(), "
                            f"got {_checks.describe(config)}")
    return configs


def _check_seeds(seeds):
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        seeds = (seeds,)
    try:
        seeds = list(seeds)
    except TypeError:
        raise TypeError(f"seeds must be a list of integers >= 0, got {_checks.describe(seeds)}") from None
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed, e.g. seeds=(0,)")
    return [_checks.positive_int("seed", seed, minimum=0) for seed in seeds]


def _hyperparameters(config):
    """The configuration's settings as table values (``train``'s record of them)."""
    values = training._optimizer_settings(config)
    return {name: (str(value) if isinstance(value, list) else value) for name, value in values.items()}


# --- the local engine: one process, all pairs in one compiled call per epoch ------------------------

def _prepare_all(data, configs, seeds, options):
    """``train``'s checks and preparation for every pair (raises before any kernel runs)."""
    return [training._prepare(data, config, seed=seed, record="epoch", on_plateau=None, resume=None,
                              **options)
            for config, seed in zip(configs, seeds)]


def _read_only(array):
    view = array.view()
    view.flags.writeable = False
    return view


def _index_dtype(n):
    """Visiting orders are int32 below 2^31 points (half the memory of int64)."""
    return np.int32 if n < 2**31 else np.int64


def _no_orders(n):
    """The (0, 0) orders array meaning "the data's own order" (of the dtype of ``_Orders``,
    so shuffled and ordered sweeps share one compiled kernel)."""
    return np.empty((0, 0), dtype=_index_dtype(n))


class _Orders:
    """Each pair's visiting order per epoch, exactly ``train``'s: epoch ``e``'s order of pair
    ``p`` is the ``e``-th ``default_rng(seed_p).permutation(n)`` (drawn here in place as
    ``shuffle(arange(n))``, which is how numpy computes ``permutation``: the same bits).

    The orders of epoch ``e + 1`` are drawn on a background thread while the kernel runs
    epoch ``e`` (numpy's shuffle and the kernel both release the GIL): drawing them is serial
    work of about the size of the epoch itself, and would otherwise halve the sweep's speed-up.
    Two buffers of ``(pairs, n)`` indices alternate.
    """

    def __init__(self, seeds, n, epochs):
        from concurrent.futures import ThreadPoolExecutor

        self.rngs = [np.random.default_rng(seed) for seed in seeds]
        self.base = np.arange(n, dtype=_index_dtype(n))
        self.buffers = [np.empty((len(seeds), n), dtype=self.base.dtype) for _ in range(min(epochs, 2))]
        self.epoch, self.epochs = 0, epochs
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="fastoptim-sweep-orders")
        self.pending = self.pool.submit(self._draw, self.buffers[0], range(len(seeds)))

    def _draw(self, buffer, rows):
        for p in rows:
            row = buffer[p]
            row[:] = self.base
            self.rngs[p].shuffle(row)
        return buffer

    def next(self, active):
        """This epoch's orders (rows of inactive pairs are stale), and start drawing the next."""
        orders = self.pending.result()
        self.epoch += 1
        if self.epoch < self.epochs:
            self.pending = self.pool.submit(self._draw, self.buffers[self.epoch % 2], np.flatnonzero(active).tolist())
        return orders

    def close(self):
        self.pool.shutdown(wait=True, cancel_futures=True)


def _run_pairs(data, configs, seeds, options, bar=None):
    """Train the pairs ``zip(configs, seeds)`` in this process; a dict of per-pair arrays."""
    started = time.perf_counter()
    cycles_started = _kernel.cycles()
    plans = _prepare_all(data, configs, seeds, options)
    pairs = len(plans)
    first = plans[0]
    epochs, n, batch, n_steps = first.epochs, first.n, first.batch, first.n_steps
    candidates, dtype, mean = first.candidates, first.dtype, first.reduction == "mean"
    shuffle = bool(options["shuffle"])
    size = first.theta.size
    # data groups: one training set, or one per seed when each seed splits off its validation set
    per_seed = isinstance(options["validation"], numbers.Real) and not isinstance(options["validation"], bool)
    group_of, group_data, groups = {}, [], np.empty(pairs, dtype=np.int64)
    for p, plan in enumerate(plans):
        key = plan.seed if per_seed else None
        if key not in group_of:
            group_of[key] = len(group_data)
            group_data.append((plan.train_data, plan.validation_data))
        groups[p] = group_of[key]
    if len(group_data) == 1:  # shared, no copy
        Xs, ys = group_data[0][0].X[None], group_data[0][0].y[None]
    else:
        Xs, ys = np.stack([g[0].X for g in group_data]), np.stack([g[0].y for g in group_data])
    has_validation = first.validation_data is not None
    if not has_validation:
        Xv = np.empty((1, 0) + Xs.shape[2:], dtype=dtype)
        yv = np.empty((1, 0), dtype=dtype)
    elif len(group_data) == 1:
        Xv, yv = group_data[0][1].X[None], group_data[0][1].y[None]
    else:
        Xv, yv = np.stack([g[1].X for g in group_data]), np.stack([g[1].y for g in group_data])
    # read-only views, whatever their origin (a Dataset's arrays are read-only; stacked copies,
    # the empty validation placeholder and arrays unpickled on a Dask worker are not): numba
    # types the two differently, and one kind means one compiled kernel instead of several
    Xs, ys, Xv, yv = (_read_only(array) for array in (Xs, ys, Xv, yv))
    # every pair's rows
    kinds = np.array([config.kind for config in configs], dtype=np.int64)
    thetas = np.stack([plan.theta for plan in plans])
    slot_rows = max(plan.state.slots.shape[0] for plan in plans)
    slots = np.zeros((pairs, slot_rows, size), dtype=dtype)
    for p, plan in enumerate(plans):
        slots[p, :plan.state.slots.shape[0]] = plan.state.slots
    scalars = np.stack([plan.state.scalars for plan in plans])
    hypers = np.stack([config.hyper for config in configs])
    lrs = np.stack([plan.lrs for plan in plans])
    betas = np.stack([plan.betas for plan in plans]) if first.betas.size else None
    del plans
    # the record
    losses = np.full((pairs, epochs), np.nan)
    validation_losses = np.full((pairs, epochs), np.nan) if has_validation else None
    diverged_epoch = np.full(pairs, -1, dtype=np.int64)
    diverged_step = np.full(pairs, -1, dtype=np.int64)
    steps = np.zeros(pairs, dtype=np.int64)
    ticks = np.zeros(pairs, dtype=np.int64)
    # work arrays
    active = np.ones(pairs, dtype=np.bool_)
    completed = np.zeros(pairs, dtype=np.int64)
    epoch_loss = np.full(pairs, np.nan)
    epoch_validation_loss = np.full(pairs, np.nan)
    step_loss = np.empty((pairs, n_steps))
    lr_used = np.empty((pairs, n_steps))
    trajectory = np.empty((0, size), dtype=dtype)
    no_betas = np.empty((pairs, 0))
    kernel = _kernel.sweep_epoch if batch < _kernel.PARALLEL_THRESHOLD else _kernel.sweep_epoch_serial
    orders = _Orders(seeds, n, epochs) if shuffle else None
    try:
        for epoch in range(epochs):
            if not active.any():
                break
            window = slice(epoch * n_steps, (epoch + 1) * n_steps)
            epoch_lrs = np.ascontiguousarray(lrs[:, window])
            epoch_betas = np.ascontiguousarray(betas[:, window]) if betas is not None else no_betas
            kernel(kinds, Xs, ys, groups, orders.next(active) if shuffle else _no_orders(n), batch, n_steps,
                   mean, thetas, slots, scalars, hypers, epoch * n_steps, epoch_lrs, epoch_betas, candidates,
                   step_loss, lr_used, trajectory, Xv, yv, active,
                   completed, epoch_loss, epoch_validation_loss, ticks)
            ran = np.flatnonzero(active)
            steps[ran] += completed[ran]
            finished = ran[completed[ran] == n_steps]
            losses[finished, epoch] = epoch_loss[finished]
            finite = np.isfinite(epoch_loss[finished])
            if has_validation:
                validation_losses[finished, epoch] = epoch_validation_loss[finished]
                finite &= np.isfinite(epoch_validation_loss[finished])
            # as train: a step that diverged, or every step finite but a loss after the epoch not
            stopped = np.concatenate([ran[completed[ran] < n_steps], finished[~finite]])
            diverged_epoch[stopped] = epoch
            diverged_step[stopped] = completed[stopped]
            active[stopped] = False
            if bar is not None:
                bar.update(ran.size)
    finally:
        if shuffle:
            orders.close()
    if bar is not None:  # pairs that diverged skip their remaining epochs
        bar.update(bar.total - bar.n)
    wall = time.perf_counter() - started
    spent = _kernel.cycles() - cycles_started
    if spent > 0 and wall > 0:
        seconds = ticks / (spent / wall)
    else:  # no cycle counter on this target: the wall time, shared evenly
        seconds = np.full(pairs, wall / pairs)
    return {"theta": thetas, "loss": losses, "validation_loss": validation_losses,
            "diverged_epoch": diverged_epoch, "diverged_step": diverged_step, "steps": steps,
            "seconds": seconds}


def _run_chunk(data, configs, seeds, options):
    """What a Dask worker runs: ``_run_pairs`` on one chunk of pairs."""
    return _run_pairs(data, configs, seeds, options)


# --- progress -----------------------------------------------------------------------------------

def _bar(total, unit):
    """A tqdm progress bar on stderr (over pair-epochs here, chunks on Dask)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=unit, desc="sweep", file=sys.stderr)


# --- Dask ---------------------------------------------------------------------------------------

def _dask_client_class():
    try:
        from distributed import Client
    except ImportError:
        return None
    return Client


def _check_executor(executor):
    if executor is None:
        return None
    client_class = _dask_client_class()
    if client_class is None:
        raise TypeError(f"executor must be a dask.distributed.Client, got {_checks.describe(executor)}; "
                        f"dask is not installed: pip install 'fastoptim[distributed]'")
    if not isinstance(executor, client_class):
        raise TypeError(f"executor must be a dask.distributed.Client (or None to run here), "
                        f"got {_checks.describe(executor)}")
    return executor


def _run_dask(client, data, configs, seeds, options, chunk_size, progress):
    """The pairs in chunks on the cluster: data scattered once (to every worker, so losing one
    loses no copy), one task per chunk, the results gathered back in order. A worker lost
    mid-chunk has its tasks run again by Dask; the tasks are deterministic, so the table is the
    same."""
    from distributed import as_completed

    pairs = len(configs)
    if chunk_size is None:
        workers = max(1, len(client.nthreads()))
        chunk_size = max(1, math.ceil(pairs / (2 * workers)))
    data_future = client.scatter(data, broadcast=True, hash=False)
    token = uuid.uuid4().hex
    bounds = [(start, min(pairs, start + chunk_size)) for start in range(0, pairs, chunk_size)]
    futures = [client.submit(_run_chunk, data_future, configs[start:stop], seeds[start:stop], options,
                             key=f"fastoptim-sweep-{token}-{index}", pure=False, retries=0)
               for index, (start, stop) in enumerate(bounds)]
    index_of = {future.key: index for index, future in enumerate(futures)}
    results = [None] * len(futures)
    bar = _bar(len(futures), "chunks") if progress else None
    try:
        for future, result in as_completed(futures, with_results=True):
            results[index_of[future.key]] = result
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        client.cancel(futures + [data_future])
    return {name: (None if results[0][name] is None else np.concatenate([r[name] for r in results]))
            for name in results[0]}


# --- the sweep ----------------------------------------------------------------------------------

def sweep(data, configs, *, epochs, batch_size=None, init, seeds=(0,), reduction="mean", schedule=None,
          per="step", momentum_schedule=None, shuffle=False, drop_last=False, line_search=None,
          validation=None, executor=None, chunk_size=None, progress=False):
    """Train every (configuration, seed) pair; return a :class:`SweepResult`.

    - ``configs``: a list of optimizer configurations (``[fo.Adam(lr=0.01), fo.GD(lr=0.5)]``,
      kinds may be mixed) or ``fastoptim.grid(fo.Adam, lr=[...], eps=[...])``.
    - ``seeds``: each configuration is run once per seed; the pairs are ordered configs × seeds
      (``configs[0]`` with every seed, then ``configs[1]``, …).
    - the other options are those of ``fastoptim.train`` and mean the same; every pair's run
      equals ``train(data, config, seed=seed, **options)`` bit for bit (``θ``, the per-epoch
      losses, divergence).
    - ``executor``: None (this process: all pairs in one compiled call per epoch, in parallel
      over pairs) or a ``dask.distributed.Client`` (the pairs in chunks of ``chunk_size``,
      default ≈ pairs / (2 × workers), one task per chunk; the data scattered once).
    - ``progress``: show a progress bar over pair-epochs (here) or chunks (Dask).

    A pair that diverges (a non-finite batch loss, parameters or state, or a non-finite loss
    after an epoch: ``Run.diverged``) is marked (``result.diverged``) and stops, as ``train``
    stops; the others go on. One ``RuntimeWarning`` sums up the diverged
    pairs (``train`` warns for each run).

    Memory: as ``train`` holds the learning rate of every step of its run, a sweep holds
    pairs × steps of them (8 bytes each; with a Dask client, per chunk on each worker), plus,
    when shuffling, two (pairs, N) index arrays (4 bytes per entry).
    """
    result = _sweep(data, configs, epochs=epochs, batch_size=batch_size, init=init, seeds=seeds,
                    reduction=reduction, schedule=schedule, per=per, momentum_schedule=momentum_schedule,
                    shuffle=shuffle, drop_last=drop_last, line_search=line_search, validation=validation,
                    executor=executor, chunk_size=chunk_size, progress=progress)
    count = int(result.diverged.sum())
    if count:
        rows = np.flatnonzero(result.diverged)
        shown = ", ".join(str(int(row)) for row in rows[:10]) + (", …" if count > 10 else "")
        warnings.warn(f"{count} of {len(result)} runs of the sweep diverged (rows {shown}): their "
                      f"batch loss, parameters or state, or their loss after an epoch, became "
                      f"non-finite; each keeps its last finite parameters "
                      f"(result.diverged, result.diverged_epoch)", RuntimeWarning, stacklevel=2)
    return result


def _sweep(data, configs, *, epochs, batch_size, init, seeds, reduction, schedule, per, momentum_schedule,
           shuffle, drop_last, line_search, validation, executor, chunk_size, progress):
    started = time.perf_counter()
    _checks.dataset(data)
    configs = _check_configs(configs)
    seeds = _check_seeds(seeds)
    epochs = _checks.positive_int("epochs", epochs, minimum=1)
    client = _check_executor(executor)
    if chunk_size is not None:
        chunk_size = _checks.positive_int("chunk_size", chunk_size)
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False, got {_checks.describe(progress)}")
    options = dict(epochs=epochs, batch_size=batch_size, init=init, reduction=reduction, schedule=schedule,
                   per=per, momentum_schedule=momentum_schedule, shuffle=shuffle, drop_last=drop_last,
                   line_search=line_search, validation=validation)
    pair_configs = [config for config in configs for _ in seeds]
    pair_seeds = [seed for _ in configs for seed in seeds]
    if client is None:
        bar = _bar(len(pair_configs) * epochs, "pair-epochs") if progress else None
        try:
            record = _run_pairs(data, pair_configs, pair_seeds, options, bar)
        finally:
            if bar is not None:
                bar.close()
    else:
        _prepare_all(data, pair_configs, pair_seeds, options)  # every check, here, before sending
        record = _run_dask(client, data, pair_configs, pair_seeds, options, chunk_size, progress)
    return SweepResult._build(pair_configs, pair_seeds, record, epochs, time.perf_counter() - started)


class SweepResult:
    """The table of a sweep: one row per (configuration, seed) pair, in the order configs × seeds.

    Columns (``result.columns``, each also an attribute and ``result["name"]``): ``optimizer``;
    every hyperparameter of the configurations (the union over kinds; None where a kind has
    none); ``seed``; ``final_loss`` (training loss after the last completed epoch; NaN if none
    completed); ``final_validation_loss`` (with a validation set); ``best_epoch`` and
    ``best_loss`` (0-based epoch of the lowest validation loss, else training loss; -1 and NaN
    if no epoch completed); ``diverged``, ``diverged_epoch``, ``diverged_step`` (-1 if not);
    ``steps``; ``seconds`` (time spent on the pair inside the compiled call, read from the
    cycle counter of the thread that ran it: wall time, so it counts time the thread waited).

    Also: ``loss`` (pairs, epochs) — the training loss after every epoch, NaN after a
    divergence; ``validation_loss`` likewise or None; ``theta`` (pairs, d+1) the final
    parameters; ``configs``, ``seeds``; ``seconds_total`` (wall time of the sweep).
    ``to_csv()`` writes the table, ``loss_to_csv()`` the per-epoch loss matrix.
    """

    _FIXED: ClassVar[tuple] = ("optimizer",)

    def __init__(self, configs, columns, loss, validation_loss, theta, seconds_total):
        self.configs = configs
        self.columns = columns
        self.loss = loss
        self.validation_loss = validation_loss
        self.theta = theta
        self.seconds_total = seconds_total

    @classmethod
    def _build(cls, configs, seeds, record, epochs, seconds_total):
        pairs = len(configs)
        settings = [_hyperparameters(config) for config in configs]
        names = []
        for row in settings:
            names.extend(name for name in row if name not in names)
        columns = {"optimizer": np.array([config.name for config in configs], dtype=object)}
        for name in names:
            values = [row.get(name) for row in settings]
            numeric = all(isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in values)
            flags = all(isinstance(v, (bool, np.bool_)) for v in values)
            columns[name] = (np.array(values, dtype=np.float64) if numeric
                             else np.array(values, dtype=np.bool_) if flags
                             else np.array(values, dtype=object))
        loss, validation_loss = record["loss"], record["validation_loss"]
        judged = validation_loss if validation_loss is not None else loss
        done = ~np.isnan(judged)
        any_done = done.any(axis=1)
        best_epoch = np.where(any_done, np.argmin(np.where(done, judged, np.inf), axis=1), -1)
        best_loss = np.where(any_done, judged[np.arange(pairs), np.maximum(best_epoch, 0)], np.nan)

        def final(matrix):
            completed = (~np.isnan(matrix)).sum(axis=1)
            return np.where(completed > 0, matrix[np.arange(pairs), np.maximum(completed - 1, 0)], np.nan)

        columns["seed"] = np.array(seeds, dtype=np.int64)
        columns["final_loss"] = final(loss)
        if validation_loss is not None:
            columns["final_validation_loss"] = final(validation_loss)
        columns["best_epoch"] = best_epoch.astype(np.int64)
        columns["best_loss"] = best_loss
        columns["diverged"] = record["diverged_epoch"] >= 0
        columns["diverged_epoch"] = record["diverged_epoch"]
        columns["diverged_step"] = record["diverged_step"]
        columns["steps"] = record["steps"]
        columns["seconds"] = np.asarray(record["seconds"], dtype=np.float64)
        return cls(list(configs), columns, loss, validation_loss, record["theta"], seconds_total)

    def __len__(self):
        return len(self.configs)

    def __getattr__(self, name):
        columns = self.__dict__.get("columns", {})
        if name in columns:
            return columns[name]
        raise AttributeError(f"SweepResult has no column or attribute {name!r}; columns: {', '.join(columns)}")

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in self.columns:
                raise KeyError(f"no column {key!r}; columns: {', '.join(self.columns)}")
            return self.columns[key]
        if isinstance(key, numbers.Integral) and not isinstance(key, bool):
            return self.row(int(key))
        raise TypeError(f"index a SweepResult by a column name or a row number, got {_checks.describe(key)}")

    def row(self, index):
        """Row ``index`` as a dict (column name → Python value)."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"row {index} out of range for a sweep of {len(self)} runs")
        return {name: _plain(values[index]) for name, values in self.columns.items()}

    def rows(self):
        """Every row as a dict, in order."""
        return [self.row(index) for index in range(len(self))]

    def ranked(self):
        """Row numbers from best to worst by ``best_loss`` (diverged runs with no epoch last);
        ties keep the table order."""
        key = np.where(np.isnan(self.columns["best_loss"]), np.inf, self.columns["best_loss"])
        return np.argsort(key, kind="stable")

    def to_csv(self, path=None):
        """The table as CSV (written to ``path``, or returned as a string)."""
        header = list(self.columns)
        return _write_csv(path, header, ([_csv_value(v) for v in row.values()] for row in self.rows()))

    def loss_to_csv(self, path=None, validation=False):
        """The per-epoch loss matrix as CSV: ``optimizer``, the hyperparameters and ``seed``,
        then one column per epoch (``epoch_0`` …); the validation losses with
        ``validation=True``."""
        matrix = self.validation_loss if validation else self.loss
        if matrix is None:
            raise ValueError("this sweep has no validation set: validation_loss is None")
        keys = [name for name in self.columns if name not in _RESULT_COLUMNS or name == "seed"]
        header = keys + [f"epoch_{e}" for e in range(matrix.shape[1])]
        rows = ([_csv_value(self.columns[k][i]) for k in keys] + [_csv_value(v) for v in matrix[i]]
                for i in range(len(self)))
        return _write_csv(path, header, rows)

    def __repr__(self):
        shown = [name for name in self.columns if name in ("optimizer", "lr", "seed", "final_loss",
                                                             "best_epoch", "diverged", "seconds")]
        lines = [f"SweepResult({len(self)} runs, {self.loss.shape[1]} epochs, {self.seconds_total:.3g} s)",
                 "  ".join(f"{name:>12}" for name in shown)]
        for index in range(min(len(self), 20)):
            lines.append("  ".join(f"{_short(self.columns[name][index]):>12}" for name in shown))
        if len(self) > 20:
            lines.append(f"… {len(self) - 20} more rows")
        return "\n".join(lines)


_RESULT_COLUMNS = frozenset({"seed", "final_loss", "final_validation_loss", "best_epoch", "best_loss",
                             "diverged", "diverged_epoch", "diverged_step", "steps", "seconds"})


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _short(value):
    value = _plain(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _csv_value(value):
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # round-trips
    return str(value)


def _write_csv(path, header, rows):
    buffer = io.StringIO() if path is None else open(path, "w", newline="", encoding="utf-8")
    try:
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        return buffer.getvalue() if path is None else None
    finally:
        if path is not None:
            buffer.close()


# --- learning-rate search (SPEC §5) ------------------------------------------------------------

@dataclasses.dataclass
class LRSearchResult:
    """The result of :func:`lr_search`.

    - ``best_lr``: the η with the lowest validation loss after the last epoch.
    - ``candidates``: every η tried, ranked best first: dicts with ``lr``, ``stage``
      (``"coarse"`` or ``"fine"``), ``validation_loss`` (after the last epoch; inf if the run
      diverged), ``loss`` (training), ``diverged``.
    - ``lrs``, ``validation_loss``: the same ranking as arrays; ``coarse``, ``fine``: the two
      sweeps (:class:`SweepResult`).
    """

    best_lr: float
    candidates: list
    lrs: np.ndarray
    validation_loss: np.ndarray
    coarse: SweepResult
    fine: SweepResult | None


def _with_lr(optimizer, lr):
    return dataclasses.replace(optimizer, lr=float(lr))


def _positive_rates(name, values):
    try:
        rates = np.array(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a list of numbers, got {_checks.describe(values)}") from None
    if rates.size == 0:
        raise ValueError(f"{name} is empty: give at least one value")
    if not np.all(np.isfinite(rates) & (rates > 0)):
        raise ValueError(f"{name} must hold positive finite numbers, got {list(values)}")
    return rates


def _judged(result):
    """Each row's validation loss after the last epoch; inf where the run did not finish."""
    score = result.columns["final_validation_loss"].copy()
    score[result.diverged | np.isnan(score)] = np.inf
    return score


def _optimizer_instance(optimizer):
    """A configured optimizer, or an optimizer class (its defaults), as an instance."""
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        optimizer = optimizer()
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a fastoptim optimizer (instance or class), got {_checks.describe(optimizer)}")
    return optimizer


def lr_search(data, optimizer, *, lrs=(1e-4, 1e-3, 1e-2, 1e-1, 1), epochs=3, refine=(0.5, 2, 3),
              validation=0.2, batch_size=None, init=None, seed=0, reduction="mean", shuffle=False,
              executor=None, progress=False):
    """The lecture's learning-rate search (SPEC §5, lecture 5.7 "tips").

    Run ``optimizer`` with each η of the coarse grid ``lrs`` for ``epochs`` epochs, keep the
    best by validation loss (``validation``: a fraction of ``data`` split off with ``seed``,
    or a Dataset), then run the finer grid ``best × refine``; return every candidate ranked
    (:class:`LRSearchResult`). Each grid is one :func:`sweep` (one compiled call per epoch).

    ``optimizer``: a configured instance (its ``lr`` is replaced) or a class (its defaults).
    ``init``: the starting ``[w…, b]``, zeros by default. Runs that diverge rank last (a large
    η diverging is an expected outcome of the search, so no warning is given).
    """
    optimizer = _optimizer_instance(optimizer)
    _checks.dataset(data)
    if validation is None:
        raise ValueError("lr_search judges by validation loss: validation must be a Dataset or a fraction in (0, 1)")
    coarse_lrs = _positive_rates("lrs", lrs)
    factors = _positive_rates("refine", refine) if refine is not None and len(refine) else np.empty(0)
    if init is None:
        init = np.zeros(data.d + 1)
    common = dict(epochs=epochs, batch_size=batch_size, init=init, seeds=(seed,), reduction=reduction,
                  schedule=None, per="step", momentum_schedule=None, shuffle=shuffle, drop_last=False,
                  line_search=None, validation=validation, executor=executor, chunk_size=None,
                  progress=progress)
    coarse = _sweep(data, [_with_lr(optimizer, lr) for lr in coarse_lrs], **common)
    coarse_score = _judged(coarse)
    tried = list(coarse_lrs)
    scores = list(coarse_score)
    stages = ["coarse"] * len(tried)
    train_losses = list(coarse.final_loss)
    diverged = list(coarse.diverged)
    fine = None
    if factors.size and np.isfinite(coarse_score).any():
        best = coarse_lrs[int(np.argmin(coarse_score))]
        fine_lrs = [best * factor for factor in factors if not np.any(np.isclose(best * factor, tried, rtol=1e-12))]
        if fine_lrs:
            fine = _sweep(data, [_with_lr(optimizer, lr) for lr in fine_lrs], **common)
            tried += fine_lrs
            scores += list(_judged(fine))
            stages += ["fine"] * len(fine_lrs)
            train_losses += list(fine.final_loss)
            diverged += list(fine.diverged)
    scores = np.array(scores, dtype=np.float64)
    order = np.argsort(scores, kind="stable")
    candidates = [{"lr": float(tried[i]), "stage": stages[i], "validation_loss": float(scores[i]),
                   "loss": float(train_losses[i]), "diverged": bool(diverged[i])} for i in order]
    if not np.isfinite(scores).any():
        raise FloatingPointError(f"lr_search: every learning rate diverged ({', '.join(f'{lr:g}' for lr in tried)}); "
                                 f"try smaller ones")
    return LRSearchResult(best_lr=candidates[0]["lr"], candidates=candidates,
                          lrs=np.array([tried[i] for i in order]), validation_loss=scores[order],
                          coarse=coarse, fine=fine)


# --- learning-rate range test (Smith 2017) -------------------------------------------------------

@dataclasses.dataclass(frozen=True, repr=False)
class _ExponentialRange(schedules.Schedule):
    """η growing exponentially from ``min_lr`` at t = 0 to ``max_lr`` at t = ``steps − 1``,
    then held at ``max_lr``."""

    name: ClassVar[str] = "exponential_range"
    min_lr: float
    max_lr: float
    steps: int

    def _evaluate(self, t, offset, limit, out):
        if not schedules._within(t, offset, limit):
            return False
        last = max(self.steps - 1, 1)
        fraction = np.minimum(t - offset, last).astype(np.float64) / last
        out[:] = self.min_lr * np.exp(fraction * math.log(self.max_lr / self.min_lr))
        return True


@dataclasses.dataclass
class RangeTestResult:
    """The record of :func:`lr_range_test`: ``lrs`` (η of every step), ``loss`` (the batch loss
    at every step, before its update), ``smoothed`` (exponential moving average of ``loss``,
    bias-corrected), ``stopped`` (steps kept: up to the loss exceeding ``stop_factor`` × its
    minimum, or the run diverging), ``diverged``. ``suggest(method)`` picks an η."""

    lrs: np.ndarray
    loss: np.ndarray
    smoothed: np.ndarray
    stopped: int
    diverged: bool

    def suggest(self, method="steepest"):
        """See :func:`suggest_lr`."""
        return suggest_lr(self, method)


def suggest_lr(test, method="steepest"):
    """An η from a range test (within the kept steps): ``"steepest"`` — where the smoothed loss
    falls fastest against log η (Smith 2017); ``"minimum"`` — a tenth of the η of the lowest
    smoothed loss (the usual rule of thumb)."""
    if not isinstance(test, RangeTestResult):
        raise TypeError(f"suggest_lr needs the result of lr_range_test, got {_checks.describe(test)}")
    lrs, smoothed = test.lrs[:test.stopped], test.smoothed[:test.stopped]
    if lrs.size < 2:
        raise ValueError("the range test kept fewer than 2 steps: widen min_lr .. max_lr or add steps")
    if method == "minimum":
        return float(lrs[int(np.argmin(smoothed))] / 10.0)
    if method == "steepest":
        # centred differences over a window of a 20th of the kept steps: wider than the
        # step-to-step noise of the batch losses, narrow enough to find the descent
        width = max(1, lrs.size // 20)
        if lrs.size <= 2 * width:
            raise ValueError("the range test kept too few steps to estimate a slope: add steps")
        log_lrs = np.log(lrs)
        slope = ((smoothed[2 * width:] - smoothed[:-2 * width])
                 / (log_lrs[2 * width:] - log_lrs[:-2 * width]))
        return float(lrs[width + int(np.argmin(slope))])
    raise ValueError(f"method must be 'steepest' or 'minimum', got {_checks.describe(method)}")


def lr_range_test(data, optimizer, *, min_lr=1e-6, max_lr=10.0, steps=100, batch_size=32, init=None,
                  seed=0, shuffle=True, reduction="mean", smoothing=0.98, stop_factor=4.0):
    """The learning-rate range test (Smith 2017, "Cyclical learning rates", §3.3): one run
    with η growing exponentially from ``min_lr`` to ``max_lr`` over ``steps`` steps, the batch
    loss recorded at every step (``fastoptim.train`` with ``record="step"``). Returns a
    :class:`RangeTestResult`; pick η with ``result.suggest()``.

    The record is cut where the smoothed loss exceeds ``stop_factor`` × its minimum, or where
    the run diverges (expected at large η: no warning).
    """
    optimizer = _optimizer_instance(optimizer)
    _checks.dataset(data)
    min_lr = _checks.real("min_lr", min_lr)
    max_lr = _checks.real("max_lr", max_lr)
    if not 0 < min_lr < max_lr:
        raise ValueError(f"need 0 < min_lr < max_lr, got min_lr={min_lr}, max_lr={max_lr}")
    steps = _checks.positive_int("steps", steps, minimum=2)
    smoothing = _checks.real("smoothing", smoothing)
    if not 0 <= smoothing < 1:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing}")
    stop_factor = _checks.real("stop_factor", stop_factor)
    if not stop_factor > 1:
        raise ValueError(f"stop_factor must be > 1, got {stop_factor}")
    if init is None:
        init = np.zeros(data.d + 1)
    batch = data.n if batch_size is None else min(_checks.positive_int("batch_size", batch_size), data.n)
    per_epoch = -(-data.n // batch)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="the run diverged", category=RuntimeWarning)
        run = training.train(data, optimizer, epochs=-(-steps // per_epoch), batch_size=batch_size, init=init,
                             reduction=reduction, schedule=_ExponentialRange(min_lr, max_lr, steps),
                             shuffle=shuffle, seed=seed, record="step")
    kept = min(steps, run.lr.size)
    lrs, loss = run.lr[:kept].copy(), run.step_loss[:kept].copy()
    smoothed = np.empty(kept)
    average = 0.0
    for k in range(kept):  # one value per step of one run: a short loop
        average = smoothing * average + (1 - smoothing) * loss[k]
        smoothed[k] = average / (1 - smoothing ** (k + 1))
    stopped = kept
    finite = np.isfinite(smoothed)
    lowest = np.inf
    for k in range(kept):
        if not finite[k] or smoothed[k] > stop_factor * lowest:
            stopped = k
            break
        lowest = min(lowest, smoothed[k])
    return RangeTestResult(lrs=lrs, loss=loss, smoothed=smoothed, stopped=stopped,
                           diverged=run.diverged is not None)
