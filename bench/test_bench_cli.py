"""Family "cli": the command line end to end on a data file, as a user runs it — one fresh process
of ``python -m fastoptim train --data points.csv --target label --loss log --validation 0.2 --json``
on a CSV of N rows × 6 float64 columns (five features, a 0/1 label), N = 10^6 (quick profile:
10^5). The process is timed whole: Python and ``import fastoptim``, reading the file (pyarrow),
the validation split, loading the compiled kernels from Numba's disk cache, 10 epochs of batch GD
with the log loss (the defaults on a file: the API's), and the JSON on stdout.

The ``yardstick`` row is the same work through the API in a fresh process (``fastoptim.data.load``
then ``fastoptim.train`` with the same arguments): "of yardstick" is the command line's cost over
a script's, its parser, its checks (the run planned on a stand-in before the file is read) and its
summary. One warm-up process first fills Numba's cache, so no round compiles. ``train_seconds``
(the run's own time, from the JSON) and ``file_bytes`` are kept in the row.
"""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from bench.conftest import run, sizes

pa = pytest.importorskip("pyarrow", reason="pyarrow (the 'files' extra) reads CSV")
import pyarrow.csv  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
N = sizes(quick=10**5, full=10**6)
ARGUMENTS = ["--target", "label", "--loss", "log", "--validation", "0.2", "--json", "--quiet"]

API_SCRIPT = """
import sys
import numpy as np
import fastoptim as fo
data = fo.data.load(sys.argv[1], target="label")
run = fo.train(data, fo.GD(), epochs=10, init=np.zeros(data.d + 1), loss="log", validation=0.2)
print(run.loss[-1])
"""


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    """The benchmark's CSV: x1 … x5 standard normal at full precision, label from a noisy
    logistic model (~118 MB at 10^6 rows)."""
    path = tmp_path_factory.mktemp("cli") / "points.csv"
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, 5))
    label = (X @ np.array([1.0, -2.0, 0.5, 0.0, 1.5]) + 0.3 + rng.standard_normal(N) > 0).astype(np.float64)
    columns = {f"x{j + 1}": X[:, j] for j in range(5)} | {"label": label}
    pyarrow.csv.write_csv(pa.table(columns), path)
    return path


def _process(argv):
    environment = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, *argv], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} … failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def test_train_on_a_csv_file(benchmark, csv_path):
    argv = ["-m", "fastoptim", "train", "--data", str(csv_path), *ARGUMENTS]
    outputs = []
    run(benchmark, lambda: outputs.append(_process(argv)), family="cli", kernel="train-csv-log-validation",
        impl="command", size=N, dtype="float64", unit="rows", rounds=3, file_bytes=os.path.getsize(csv_path))
    summary = json.loads(outputs[-1])
    assert summary["epochs"] == 10 and summary["data"]["n"] == N
    benchmark.extra_info["train_seconds"] = summary["seconds"]


def test_the_same_through_the_api(benchmark, csv_path):
    outputs = []
    run(benchmark, lambda: outputs.append(_process(["-c", API_SCRIPT, str(csv_path)])), family="cli",
        kernel="train-csv-log-validation (load + train in a script)", impl="yardstick", size=N, dtype="float64",
        unit="rows", rounds=3, file_bytes=os.path.getsize(csv_path))
    assert float(outputs[-1]) > 0
