"""Family "loading": ``fastoptim.data.load`` of a file of N rows × 6 float64 columns (five
features, the target) against ``pandas.read_csv`` / ``pandas.read_parquet`` (a peer, skipped
when pandas is missing) and, for CSV, numpy's own text reader ``np.loadtxt`` (the reference).
N = 10^6 (quick profile: 10^5).

Every implementation ends with the same arrays: ``X`` of shape ``(N, 5)``, C-contiguous (a
point's features side by side, as the kernels read them), and ``y`` of shape ``(N,)``.
pandas' own ``to_numpy()`` of the five columns is Fortran-ordered (its block is column-major),
so its row includes the one copy that makes it C-contiguous, as ``Dataset`` would make it.
``load`` also checks every value (finite, the Dataset's checks); the others do not. The
files hold random doubles at full precision (17 significant digits in CSV: the parser's worst
case), written once per session by pyarrow (CSV ~118 MB at 10^6 rows). ``bytes`` is the file's
size, so the report's GB/s column is the reading throughput.

Besides the time, each row records ``peak_memory``: the peak resident memory of one load in a
fresh process (VmHWM, reset just before the call, above the resident memory then), over the
bytes of ``X`` and ``y`` (issue 14: "loading never holds more than about twice the data"),
with each library's default allocator.
"""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from bench.conftest import run, sizes

pa = pytest.importorskip("pyarrow", reason="pyarrow (the 'files' extra) reads CSV and Parquet")
import pyarrow.csv  # noqa: E402
import pyarrow.parquet  # noqa: E402

import fastoptim as fo  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
N = sizes(quick=10**5, full=10**6)
FEATURES = [f"x{j}" for j in range(5)]
FORMATS = ["csv", "parquet"]
IMPLS = ["load", "pandas", "reference"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The benchmark's files, and small ones of the same columns (to warm a fresh process up)."""
    folder = tmp_path_factory.mktemp("loading")
    rng = np.random.default_rng(0)
    columns = {name: rng.standard_normal(N) for name in FEATURES} | {"y": rng.random(N)}
    paths = {}
    for label, rows in (("", N), ("small-", 100)):
        table = pa.table({name: values[:rows] for name, values in columns.items()})
        pyarrow.csv.write_csv(table, folder / f"{label}data.csv")
        pyarrow.parquet.write_table(table, folder / f"{label}data.parquet")
    for ending in FORMATS:
        paths[ending] = (folder / f"data.{ending}", folder / f"small-data.{ending}")
    return paths


def call(impl, ending, path):
    """One load of ``path`` into ``(X, y)`` by ``impl``."""
    if impl == "load":
        return lambda: fo.data.load(path, target="y")
    if impl == "pandas":
        pandas = pytest.importorskip("pandas")
        reader = pandas.read_csv if ending == "csv" else pandas.read_parquet

        def with_pandas():
            frame = reader(path)
            return np.ascontiguousarray(frame[FEATURES].to_numpy()), frame["y"].to_numpy()
        return with_pandas
    if ending != "csv":
        pytest.skip("numpy has no Parquet reader")

    def with_numpy():
        table = np.loadtxt(path, delimiter=",", skiprows=1)
        return np.ascontiguousarray(table[:, :5]), table[:, 5].copy()
    return with_numpy


PEAK_PROBE = """
import sys
impl, ending, path, small = sys.argv[1:]
import numpy as np
import fastoptim as fo
from bench.test_bench_loading import call

def status(field):  # bytes, from /proc/self/status (kB there)
    return next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith(field + ":"))

def nbytes(result):
    return result.X.nbytes + result.y.nbytes if hasattr(result, "X") else sum(a.nbytes for a in result)

call(impl, ending, small)()        # imports, thread pools
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")              # VmHWM starts again from the resident size now
start = status("VmRSS")
result = call(impl, ending, path)()
print((status("VmHWM") - start) / nbytes(result))
"""


def peak_memory(impl, ending, path, small):
    """Peak resident memory of one load in a fresh process over the bytes it returns (None
    where /proc cannot say)."""
    if not os.path.exists("/proc/self/clear_refs"):
        return None
    result = subprocess.run([sys.executable, "-c", PEAK_PROBE, impl, ending, str(path), str(small)], cwd=ROOT,
                            capture_output=True, text=True)
    return round(float(result.stdout), 3) if result.returncode == 0 else None


@pytest.mark.parametrize("ending", FORMATS)
@pytest.mark.parametrize("impl", IMPLS)
def test_load(benchmark, files, impl, ending):
    path, small = files[ending]
    function = call(impl, ending, path)
    run(benchmark, function, family="loading", kernel=ending, impl=impl, size=N, dtype="float64",
        unit="rows", bytes=os.path.getsize(path), columns=6, peak_memory=peak_memory(impl, ending, path, small))
