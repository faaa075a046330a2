"""Many runs at once: hyperparameter sweeps (``sweep``) and their configurations (``grid``).

A sweep trains every (configuration, seed) pair exactly as ``fastoptim.train`` would: each
pair's run is planned by ``train``'s own code (``fastoptim.plan``) and run by the same compiled
steps, so every row equals the corresponding ``train`` run bit for bit. On one machine the pairs
of each update rule run inside one compiled call per chunk of steps (``fastoptim/sweep_engine.py``,
``kernels/sweep.py``), in parallel over pairs and sharing the data; with a Dask client the pairs
are cut into chunks, each chunk runs that same engine on a worker (``fastoptim/sweep_dask.py``),
and the results are gathered into the same table (``fastoptim/sweep_result.py``). The learning-rate
searches built on sweeps are in ``fastoptim/search.py``.
"""
import dataclasses
import sys
import time
import warnings

import numpy as np

from . import _checks
from .optimizers import Optimizer
from .sweep_dask import check_executor, run_dask
from .sweep_engine import run_pairs
from .sweep_result import SweepResult

__all__ = ["sweep", "grid", "SweepResult"]


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
        raise _checks.wrong_type("optimizer", optimizer, f"grid needs one optimizer class, got several "
                                                         f"({', '.join(kinds)}); build a grid per class and "
                                                         f"concatenate the lists")
    else:
        raise _checks.wrong_type("optimizer", optimizer, "must be an optimizer class such as fastoptim.Adam "
                                                         "(or an instance)")
    fields = {item.name for item in dataclasses.fields(cls)}
    axes = []
    for name, options in values.items():
        if name not in fields:
            raise _checks.wrong_type(name, options, f"{cls.__name__} has no hyperparameter {name!r}; it has "
                                                    f"{', '.join(sorted(fields))}")
        if isinstance(options, np.ndarray):
            options = options.tolist() if options.ndim == 1 else None
        if not isinstance(options, (list, tuple, range)):
            raise _checks.wrong_type(name, options, "must be a list of values")
        if len(options) == 0:
            raise _checks.invalid(name, options, "has no values (an empty list)")
        axes.append((name, list(options)))
    configs = [{}]
    for name, options in axes:
        configs = [{**config, name: value} for config in configs for value in options]
    if base is None:
        return [cls(**config) for config in configs]
    return [dataclasses.replace(base, **config) for config in configs]


def _check_configs(configs):
    if isinstance(configs, Optimizer):
        raise _checks.wrong_type("configs", configs, "must be a list of optimizer configurations; for a single "
                                                     "one use [optimizer] (or fastoptim.train)")
    try:
        configs = list(configs)
    except TypeError:
        raise _checks.wrong_type("configs", configs, "must be a list of optimizer configurations "
                                                     "(or fastoptim.grid(...))") from None
    if not configs:
        raise _checks.invalid("configs", configs, "is empty: give at least one optimizer configuration")
    for index, config in enumerate(configs):
        if not isinstance(config, Optimizer):
            raise _checks.wrong_type(f"configs[{index}]", config, "must be a fastoptim optimizer such as "
                                                                  "fastoptim.Adam()")
    return configs


def _check_seeds(seeds):
    given = seeds
    if _checks.is_integer(seeds):
        seeds = (seeds,)
    try:
        seeds = list(seeds)
    except TypeError:
        raise _checks.wrong_type("seeds", given, "must be a list of integers >= 0") from None
    if not seeds:
        raise _checks.invalid("seeds", given, "is empty: give at least one seed, e.g. seeds=(0,)")
    for seed in seeds:
        if not _checks.is_integer(seed):
            raise _checks.wrong_type("seeds", given, f"must be a list of integers >= 0; holds {_checks.describe(seed)}")
        if not 0 <= seed < 2**63:  # the result's seed column is int64
            raise _checks.invalid("seeds", given, f"must be a list of integers >= 0 and < 2**63; holds {seed}")
    return [int(seed) for seed in seeds]


def sweep(data, configs, *, epochs, batch_size=None, init, seeds=(0,), loss="squared", reduction="mean",
          schedule=None, per="step", momentum_schedule=None, shuffle=False, drop_last=False, line_search=None,
          validation=None, record="epoch", callbacks=(), executor=None, chunk_size=None, progress=False):
    """Train every (configuration, seed) pair; return a :class:`SweepResult`.

    - ``configs``: a list of optimizer configurations (``[fo.Adam(lr=0.01), fo.GD(lr=0.5)]``,
      kinds may be mixed) or ``fastoptim.grid(fo.Adam, lr=[...], eps=[...])``.
    - ``seeds``: each configuration is run once per seed; the pairs are ordered configs × seeds
      (``configs[0]`` with every seed, then ``configs[1]``, …).
    - the other options are those of ``fastoptim.train`` and mean the same; every pair's run
      equals ``train(data, config, seed=seed, **options)`` bit for bit (``θ``, the per-epoch
      losses, divergence). ``record="none"`` skips the training loss after each epoch (the
      validation loss, if any, is still computed); ``callbacks`` are called after every epoch
      of every pair with that pair's ``EpochRecord`` (``run_index`` is its row; ``lr`` NaN under
      line search) and may stop that pair (``fastoptim.STOP``): ``result.stopped_epoch``.
    - ``executor``: None (this process) or a ``dask.distributed.Client`` (the pairs in chunks of
      ``chunk_size``, default ≈ pairs / (2 × workers), one task per chunk; the data scattered
      once; callbacks run on the workers).
    - ``progress``: show a progress bar over pair-epochs (here) or chunks (Dask).

    A pair that diverges (``Run.diverged``) is marked (``result.diverged``) and stops, as
    ``train`` stops; the others go on. One ``RuntimeWarning`` sums up the diverged pairs.

    Memory: per pair, its parameters, state and a chunk of rates (at most 2^16 steps, 0.5 MiB),
    and when shuffling, the visiting orders: 4 bytes per point and seed (8 while the next
    epoch's are drawn in the background, which is done only if it keeps within 4.5 bytes per
    point and pair); with a Dask client, per chunk on each worker.
    """
    result = _sweep(data, configs, epochs=epochs, batch_size=batch_size, init=init, seeds=seeds, loss=loss,
                    reduction=reduction, schedule=schedule, per=per, momentum_schedule=momentum_schedule,
                    shuffle=shuffle, drop_last=drop_last, line_search=line_search, validation=validation,
                    record=record, callbacks=callbacks, executor=executor, chunk_size=chunk_size,
                    progress=progress)
    count = int(result.diverged.sum())
    if count:
        rows = np.flatnonzero(result.diverged)
        shown = ", ".join(str(int(row)) for row in rows[:10]) + (", …" if count > 10 else "")
        warnings.warn(f"{count} of {len(result)} runs of the sweep diverged (rows {shown}): their "
                      f"gradient, parameters or state, or their loss after an epoch, became "
                      f"non-finite; each keeps its last finite parameters "
                      f"(result.diverged, result.diverged_epoch)", RuntimeWarning, stacklevel=2)
    return result


def _sweep(data, configs, *, epochs, batch_size, init, seeds, loss, reduction, schedule, per, momentum_schedule,
           shuffle, drop_last, line_search, validation, record, callbacks, executor, chunk_size, progress):
    from .callbacks import check_callbacks
    from .plan import plan_run

    started = time.perf_counter()
    _checks.dataset(data)
    configs = _check_configs(configs)
    seeds = _check_seeds(seeds)
    epochs = _checks.positive_int("epochs", epochs, minimum=0)
    client = check_executor(executor)
    if chunk_size is not None:
        chunk_size = _checks.positive_int("chunk_size", chunk_size)
    progress = _checks.flag("progress", progress)
    record = _checks.choice("record", record, ("epoch", "none"))
    callbacks = check_callbacks(callbacks)
    options = dict(epochs=epochs, batch_size=batch_size, init=init, loss=loss, reduction=reduction,
                   schedule=schedule, per=per, momentum_schedule=momentum_schedule, shuffle=shuffle,
                   drop_last=drop_last, line_search=line_search, validation=validation, record=record)
    pair_configs = [config for config in configs for _ in seeds]
    pair_seeds = [seed for _ in configs for seed in seeds]
    if client is None:  # (run_pairs plans every pair before any kernel runs)
        bar = _bar(len(pair_configs) * epochs, "pair-epochs") if progress else None
        try:
            record_ = run_pairs(data, pair_configs, pair_seeds, options, bar, callbacks)
        finally:
            if bar is not None:
                bar.close()
    else:
        for config, seed in zip(pair_configs, pair_seeds):  # every check, here, before sending any work
            plan_run(data, config, seed=seed, **options)
        record_ = run_dask(client, data, pair_configs, pair_seeds, options, chunk_size, progress, callbacks)
    return SweepResult._build(pair_configs, pair_seeds, record_, epochs, time.perf_counter() - started)


def _bar(total, unit):
    """A tqdm progress bar on stderr, over pair-epochs."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=unit, desc="sweep", file=sys.stderr)
