"""Peak memory of a run above its data (issue 13), measured in a fresh process.

    python -m bench.memory SCENARIO N        # from the repository root: one JSON line on stdout

The scenarios (:data:`SCENARIOS`): ``train`` at batch size 1 for 3 epochs with
``record="epoch"`` on ``N`` points held in memory (float64, ``X`` of shape ``(N,)``); shuffled
training on a float32 memory map of ``N`` points (``X`` and ``y`` written as ``.npy`` files to a
temporary folder and opened with ``np.load(mmap_mode="r")``); and the same two as sweeps of 64
runs (``fastoptim.sweep``: 64 learning rates at batch size 1; one configuration with 64 seeds,
each run its own visiting order, on the memory map).

What is measured, in this order, in one process (Linux: ``/proc/self/status``):

1. the data is made (or written and mapped) and every byte of it read (a memory map's pages
   become resident), and wrapped in a ``Dataset`` (views: no copy);
2. the warm-up: the same call on the first :data:`WARMUP_POINTS` points (2 ×
   ``PARALLEL_THRESHOLD``, so the parallel loss kernels are met too) for one epoch: numba loads
   (or compiles) every kernel the measured call needs, the worker threads start;
3. ``gc.collect()``, then the **baseline**: ``VmRSS`` (interpreter, numpy, numba and the
   loaded machine code, the threads, the data);
4. the peak is reset to the current RSS (``5`` written to ``/proc/self/clear_refs``, Linux ≥
   4.0), so that neither making the data nor the warm-up's compile counts;
5. the measured call, then the **peak**: ``VmHWM``.

``above_data`` = peak − baseline: every byte the call added at its peak, the record, the
schedule chunks, the visiting orders, temporaries. Where the peak cannot be reset (no
``clear_refs``), ``peak_reset`` is False and the figure is an upper bound (the warm-up's peak
may be in it).
"""
import argparse
import gc
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scenario:
    """One measured call: ``what`` (``"train"`` or ``"sweep"``), its arguments, the data's kind
    (``"memory"``: float64 arrays; ``"memmap"``: float32 ``.npy`` files mapped read-only), the
    number of runs and of seeds (a sweep of one configuration over ``seeds`` seeds, or of
    ``runs`` learning rates with one seed). The issue's limits are the report's targets
    (``bench/report.py``, ``TARGETS``, family ``memory``)."""

    what: str
    data: str
    options: dict
    runs: int = 1
    seeds: int = 1


SCENARIOS = {
    "train/batch-1/record-epoch": Scenario("train", "memory", dict(epochs=3, batch_size=1, record="epoch")),
    "train/shuffled/float32-memmap": Scenario("train", "memmap", dict(epochs=2, batch_size=100, shuffle=True)),
    "sweep-64/batch-1/record-epoch": Scenario("sweep", "memory", dict(epochs=3, batch_size=1, record="epoch"),
                                              runs=64),
    "sweep-64/shuffled/float32-memmap": Scenario("sweep", "memmap", dict(epochs=1, batch_size=100, shuffle=True),
                                                 runs=64, seeds=64),
}

#: Points of the warm-up run: above the kernels' parallel threshold (2 × 32,768).
WARMUP_POINTS = 1 << 16


def _status(field):
    """``VmRSS``, ``VmHWM`` … of this process, in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def _reset_peak():
    """VmHWM := VmRSS; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _data(kind, n, folder):
    """``(X, y)`` of ``n`` points: float64 in memory, or float32 ``.npy`` files in ``folder``
    opened with ``np.load(mmap_mode="r")``; every page read once."""
    import fastoptim as fo

    source = fo.data.synthetic(n, seed=0)
    if kind == "memory":
        X, y = source.X, source.y
    else:
        for name, values in (("X", source.X), ("y", source.y)):
            np.save(os.path.join(folder, f"{name}.npy"), values.astype(np.float32))
        del source
        X, y = (np.load(os.path.join(folder, f"{name}.npy"), mmap_mode="r") for name in ("X", "y"))
    for array in (X, y):  # touch every page: resident before the baseline
        float(np.add.reduce(array, dtype=np.float64))
    return X, y


def _call(scenario, data, epochs):
    import fastoptim as fo

    options = dict(scenario.options, epochs=epochs)
    if scenario.what == "train":
        return fo.train(data, fo.GD(lr=0.05), init=(0.0, 0.0), **options)
    if scenario.seeds > 1:
        configs, seeds = [fo.GD(lr=0.05)], list(range(scenario.seeds))
    else:
        configs, seeds = fo.grid(fo.GD, lr=np.geomspace(1e-3, 0.1, scenario.runs).tolist()), [0]
    return fo.sweep(data, configs, seeds=seeds, init=(0.0, 0.0), **options)


def measure(name, n):
    """The figures of scenario ``name`` on ``n`` points (a dict; see the module docstring)."""
    import fastoptim as fo

    scenario = SCENARIOS[name]
    with tempfile.TemporaryDirectory(prefix="fastoptim-memory-") as folder:
        X, y = _data(scenario.data, n, folder)
        data = fo.Dataset(X, y)
        assert np.shares_memory(data.X, X) and np.shares_memory(data.y, y)  # views, not copies
        warm = min(n, WARMUP_POINTS)
        _call(scenario, fo.Dataset(X[:warm], y[:warm]), epochs=1)
        gc.collect()
        baseline = _status("VmRSS")
        reset = _reset_peak()
        started = time.perf_counter()
        result = _call(scenario, data, epochs=scenario.options["epochs"])
        seconds = time.perf_counter() - started
        peak = _status("VmHWM")
        runs = len(result) if scenario.what == "sweep" else 1
        assert runs == scenario.runs
        data_bytes, dtype = data.X.nbytes + data.y.nbytes, str(data.dtype)
        del result, data, X, y
    above = peak - baseline
    return {"scenario": name, "points": n, "runs": runs, "dtype": dtype, "data_bytes": data_bytes,
            "baseline_bytes": baseline, "peak_bytes": peak, "above_data_bytes": above,
            "bytes_per_point": above / n, "bytes_per_run": above / runs, "peak_reset": reset,
            "seconds": seconds}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("points", type=int)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.scenario, args.points)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
