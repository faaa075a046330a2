"""Family "compile": the first call of a representative kernel of each family in a fresh
process, with an empty Numba cache (``cold``: the kernel compiles) and with the cache that
run left behind (``warm``: the machine code is loaded from disk).

Each round is one ``python -c`` subprocess with ``NUMBA_CACHE_DIR`` pointed at a temporary
folder; the benchmark times the whole process, and the process reports its own
``import_seconds`` (``import fastoptim``, which compiles the eager ufuncs when the cache is
empty), ``first_call_seconds`` (the number the report shows) and ``second_call_seconds`` (the
call itself, for scale) in ``extra_info``. Quick profile: the gradient and ``adam_update``;
full: also ``run_epoch`` (~10 s to compile per dtype) and the surface's ``loss_grid``.
"""
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np
import pytest

from bench.conftest import run, sizes

DTYPE = "float64"
SIZE = 1000

#: kernel -> (arguments built before the clock starts, the call that is timed)
KERNELS = {
    "model.loss_and_gradient_sum": (
        "from fastoptim.kernels import model as m\n"
        "X, y, theta, out = np.linspace(-1, 1, N), np.full(N, 0.5), np.array([0.5, -0.2]), np.empty(4)",
        "m.loss_and_gradient_sum(X, y, theta, out)"),
    "updates.adam_update": (
        "from fastoptim.kernels import updates as u\n"
        "p, g, m1, v = np.zeros(N), np.full(N, 0.1), np.zeros(N), np.zeros(N)",
        "u.adam_update(p, g, m1, v, 1, 1e-3, 0.9, 0.999, 1e-8, 0.0, False)"),
    "fastoptim.train adam batch-25": (
        "data = fastoptim.data.synthetic(N, seed=0)",
        "fastoptim.train(data, fastoptim.Adam(lr=0.01), epochs=1, batch_size=25, init=(0.0, 0.0))"),
    "surface.loss_grid": (
        "from fastoptim.kernels import surface as s\n"
        "x, y, ws, bs = np.linspace(-1, 1, N), np.full(N, 0.5), np.linspace(-6, 6, 11), np.linspace(-6, 6, 11)\n"
        "out = np.empty((11, 11))",
        "s.loss_grid(x, y, ws, bs, out)"),
}
SELECTED = sizes(quick=["model.loss_and_gradient_sum", "fastoptim.train adam batch-25"], full=list(KERNELS))

SCRIPT = """\
import json, time
started = time.perf_counter()
import numpy as np
import fastoptim
imported = time.perf_counter()
N = {size}
{setup}
before = time.perf_counter()
{call}
first = time.perf_counter()
{call}
second = time.perf_counter()
print(json.dumps({{"import_seconds": imported - started, "first_call_seconds": first - before,
                  "second_call_seconds": second - first}}))
"""

#: kernel -> a cache folder a cold run has filled (the warm run reuses it)
_filled = {}


def _process(kernel, cache_dir):
    setup, call = KERNELS[kernel]
    script = SCRIPT.format(size=SIZE, setup=setup, call=call)
    environment = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    done = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True,
                          text=True, check=False, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"compile benchmark of {kernel} failed:\n{textwrap.indent(done.stderr, '  ')}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def cache_root():
    with tempfile.TemporaryDirectory(prefix="fastoptim-compile-") as root:
        yield root


@pytest.mark.parametrize("kernel", SELECTED)
@pytest.mark.parametrize("impl", ["cold", "warm"])
def test_first_call(benchmark, cache_root, impl, kernel):
    if impl == "warm" and kernel not in _filled:
        _filled[kernel] = tempfile.mkdtemp(dir=cache_root)
        _process(kernel, _filled[kernel])  # fill the cache (untimed)
    measured = {}

    def fresh_folder():
        if impl == "cold":
            _filled[kernel] = tempfile.mkdtemp(dir=cache_root)

    def first_call():
        measured.update(_process(kernel, _filled[kernel]))

    run(benchmark, first_call, family="compile", kernel=kernel, impl=impl, size=SIZE, dtype=DTYPE,
        rounds=1, warmup=False, setup=fresh_folder, unit="s")
    benchmark.extra_info.update(measured)
    assert measured["first_call_seconds"] > 0


#: The engine issue's cold start (issue 16): the command a new user runs first, in a fresh
#: process. ``cold``: an empty cache; ``second-rule``: GD's run with the cache Adam's run filled
#: (what a second rule adds); ``warm``: the same command again, everything cached.
CLI = ("train", "--data", "synthetic", "--n", "100000", "--batch-size", "25", "--epochs", "1", "--quiet")
CLI_ROUNDS = 3
#: kernel label -> (impl, at most this many seconds per process): issue 16's targets
CLI_TARGETS = {"cli train adam (n=1e5, batch 25, 1 epoch)": ("cold", 6.0),
               "cli train gd after adam": ("second-rule", 4.0)}


def _command(optimizer, cache_dir):
    environment = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "fastoptim", *CLI, "--optimizer", optimizer], env=environment,
                          capture_output=True, text=True, check=False, timeout=600)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"fastoptim train --optimizer {optimizer} failed:\n{textwrap.indent(done.stderr, '  ')}")
    return seconds


@pytest.mark.parametrize("impl", ["cold", "second-rule", "warm"])
def test_cli_cold_start(benchmark, cache_root, impl):
    kernel = "cli train adam (n=1e5, batch 25, 1 epoch)" if impl != "second-rule" else "cli train gd after adam"
    folders = []

    def prepare():
        folders.append(tempfile.mkdtemp(dir=cache_root))
        if impl != "cold":
            _command("adam", folders[-1])  # fill the cache with Adam's run (untimed)

    def first_process():
        return _command("gd" if impl == "second-rule" else "adam", folders[-1])

    seconds = []
    run(benchmark, lambda: seconds.append(first_process()), family="compile", kernel=kernel,
        impl="cold" if impl != "warm" else "warm", size=100_000, dtype=DTYPE, rounds=CLI_ROUNDS, warmup=False,
        setup=prepare, unit="s", command="fastoptim " + " ".join(CLI))
    median = float(np.median(seconds))
    benchmark.extra_info.update(first_call_seconds=median, target_impl=impl)
    maximum = CLI_TARGETS.get(kernel, (None, None))[1] if impl != "warm" else None
    if maximum is not None:
        benchmark.extra_info["target_seconds"] = maximum
    assert median > 0
