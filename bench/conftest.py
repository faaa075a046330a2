"""Shared settings of the benchmark suite.

Profiles (environment variable ``FASTOPTIM_BENCH_PROFILE``): ``quick`` (default; a few sizes,
for CI) and ``full``. Every benchmark records ``family``, ``kernel``, ``impl``, ``size`` and
``dtype`` in ``benchmark.extra_info`` so the report can pair each kernel with its reference
measured in the same run (``python -m bench.report``). Optional keys the report reads:
``unit`` and ``count`` (what one call processes and how many, default ``size``: the "ns per
unit" column), ``bytes`` (bytes moved per call: the GB/s column; the updates family gives
``n_slots`` instead), ``scaled_from`` (the reference ran on this many points and its time is
scaled to ``size``), ``batch_size`` and ``optimizer`` (the training plot).
"""
import os

import pytest

PROFILE = os.environ.get("FASTOPTIM_BENCH_PROFILE", "quick")
if PROFILE not in ("quick", "full"):
    raise ValueError(f"FASTOPTIM_BENCH_PROFILE must be 'quick' or 'full', got {PROFILE!r}")


def sizes(quick, full):
    """The sizes of the current profile."""
    return quick if PROFILE == "quick" else full


def size_id(n):
    """10**6 -> '1e6' (readable benchmark ids)."""
    exponent = len(str(n)) - 1
    return f"1e{exponent}" if n == 10**exponent else str(n)


def run(benchmark, function, *, family, kernel, impl, size, dtype, rounds=None, warmup=True,
        setup=None, **extra):
    """Warm up once (compiles, fills caches), record the row's labels, then time ``function``.

    ``warmup=False`` skips the warm-up call and ``setup`` (untimed, before each round; needs
    ``rounds``) prepares each round: for measurements of a first call (bench/test_bench_compile.py).
    """
    if warmup:
        function()
    benchmark.group = f"{family}:{kernel}:{dtype}:{size_id(size)}"
    benchmark.extra_info.update(family=family, kernel=kernel, impl=impl, size=size, dtype=dtype, **extra)
    if rounds is None:
        return benchmark(function)
    return benchmark.pedantic(function, setup=setup, rounds=rounds, iterations=1, warmup_rounds=0)


def pytest_benchmark_update_machine_info(config, machine_info):
    """Add what the report states about the machine: library versions and the profile."""
    import numba
    import numpy as np

    machine_info.update(numpy=np.__version__, numba=numba.__version__, profile=PROFILE,
                        numba_threads=numba.config.NUMBA_NUM_THREADS, cpu_count=os.cpu_count())
    if hasattr(os, "getloadavg"):
        machine_info["load_average"] = list(os.getloadavg())
    try:
        import torch
    except ImportError:
        pass
    else:
        machine_info["torch"] = torch.__version__
    from importlib import metadata

    for distribution in ("jax", "optax", "scikit-learn"):  # the optional peers (bench/peers.py)
        try:
            machine_info[distribution] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            pass
    if "jax" in machine_info:
        from bench import peers

        machine_info["xla_threads"] = peers.jax_threads()


@pytest.fixture(autouse=True)
def _quiet_numpy():
    import numpy as np

    with np.errstate(all="raise"):
        yield
