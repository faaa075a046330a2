"""A sweep spread over a Dask cluster (``sweep(..., executor=client)``): the pairs cut into
chunks, each chunk run by the local engine (``fastoptim/sweep_engine.py``) on a worker, the data
scattered once, the results gathered into the table a local run would give."""
import math
import sys
import uuid

import numpy as np

from . import _checks
from .sweep_engine import run_pairs

__all__ = ["check_executor", "run_dask"]


def _dask_client_class():
    try:
        from distributed import Client
    except ImportError:
        return None
    return Client


def check_executor(executor):
    if executor is None:
        return None
    client_class = _dask_client_class()
    if client_class is None:
        raise _checks.wrong_type("executor", executor, "must be a dask.distributed.Client; dask is not "
                                                       "installed: pip install 'fastoptim[distributed]'")
    if not isinstance(executor, client_class):
        raise _checks.wrong_type("executor", executor, "must be a dask.distributed.Client (or None to run here)")
    return executor


def run_dask(client, data, configs, seeds, options, chunk_size, progress, callbacks=()):
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
    futures = [client.submit(_run_chunk, data_future, configs[start:stop], seeds[start:stop], options, callbacks,
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
    joined = {name: (None if results[0][name] is None else np.concatenate([r[name] for r in results]))
              for name in results[0] if name != "wall"}
    return joined


def _run_chunk(data, configs, seeds, options, callbacks):
    """What a Dask worker runs: the local engine on one chunk of pairs."""
    return run_pairs(data, configs, seeds, options, callbacks=callbacks)


def _bar(total, unit):
    """A tqdm progress bar on stderr, over chunks."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=unit, desc="sweep", file=sys.stderr)
