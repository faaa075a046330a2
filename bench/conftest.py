"""Shared settings of the benchmark suite.

Profiles (environment variable ``FASTOPTIM_BENCH_PROFILE``): ``quick`` (default; a few sizes,
for CI) and ``full``. Every benchmark records ``family``, ``kernel``, ``impl``, ``size`` and
``dtype`` in ``benchmark.extra_info`` so the report can pair each kernel with its reference
measured in the same run.
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


def run(benchmark, function, *, family, kernel, impl, size, dtype, rounds=None, **extra):
    """Warm up once (compiles, fills caches), record the row's labels, then time ``function``."""
    function()
    benchmark.group = f"{family}:{kernel}:{dtype}:{size_id(size)}"
    benchmark.extra_info.update(family=family, kernel=kernel, impl=impl, size=size, dtype=dtype, **extra)
    if rounds is None:
        return benchmark(function)
    return benchmark.pedantic(function, rounds=rounds, iterations=1, warmup_rounds=0)


@pytest.fixture(autouse=True)
def _quiet_numpy():
    import numpy as np

    with np.errstate(all="raise"):
        yield
