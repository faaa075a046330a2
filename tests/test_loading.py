"""fastoptim.data.load: a round trip of every format (bits), columns by name and index, the
dtype rule, memory maps (no copy), every bad file as one line naming the file, the column and
the line or row, peak memory, and an import that stays cheap."""
import importlib.util
import os
import pathlib
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest

import fastoptim as fo

ROOT = pathlib.Path(__file__).resolve().parents[1]
HAVE_PYARROW = importlib.util.find_spec("pyarrow") is not None
needs_pyarrow = pytest.mark.skipif(not HAVE_PYARROW, reason="pyarrow (the 'files' extra) is not installed")

N = 257
RNG = np.random.default_rng(5)
X3 = RNG.standard_normal((N, 3))            # full-precision doubles: the hardest text round trip
Y = RNG.random(N)
W = RNG.random(N) * 3


def same_bits(actual, expected):
    expected = np.asarray(expected)
    return actual.dtype == expected.dtype and actual.shape == expected.shape and (
        actual.tobytes() == np.ascontiguousarray(expected).tobytes())


def mapped(array):
    """The np.memmap an array is a view of, or None."""
    while array is not None:
        if isinstance(array, np.memmap):
            return array
        array = array.base
    return None


def arrow_table(columns):
    import pyarrow as pa

    return pa.table(columns)


def write_csv(path, columns, delimiter=","):
    import pyarrow.csv as csv

    csv.write_csv(arrow_table(columns), path, write_options=csv.WriteOptions(delimiter=delimiter))


def write_parquet(path, columns):
    import pyarrow.parquet as pq

    pq.write_table(arrow_table(columns), path)


COLUMNS = {"x0": X3[:, 0], "x1": X3[:, 1], "x2": X3[:, 2], "w": W, "label": Y}
NAMES = ("x0", "x1", "x2")


def npy_one_array(tmp):
    np.save(tmp / "data.npy", np.c_[X3, W, Y])
    return tmp / "data.npy", dict(target=4, weights=3), None, None


def npy_pair(tmp):
    for name, array in (("X", X3), ("y", Y), ("w", W)):
        np.save(tmp / f"{name}.npy", array)
    return tmp / "X.npy", dict(target=str(tmp / "y.npy"), weights=tmp / "w.npy"), None, None


def npz_columns(tmp):
    np.savez(tmp / "data.npz", **COLUMNS)
    return tmp / "data.npz", dict(target="label", weights="w"), NAMES, "label"


def npz_matrix(tmp):
    np.savez(tmp / "data.npz", X=X3, y=Y, w=W)
    return tmp / "data.npz", dict(target="y", weights="w"), None, "y"


def npz_compressed(tmp):
    np.savez_compressed(tmp / "data.npz", X=X3, y=Y, w=W)
    return tmp / "data.npz", dict(target="y", weights="w"), None, "y"


def npz_one_array(tmp):
    np.savez(tmp / "data.npz", np.c_[X3, W, Y])
    return tmp / "data.npz", dict(target=-1, weights=3), None, None


def csv_file(tmp):
    write_csv(tmp / "data.csv", COLUMNS)
    return tmp / "data.csv", dict(target="label", weights="w"), NAMES, "label"


def tsv_file(tmp):
    write_csv(tmp / "data.tsv", COLUMNS, delimiter="\t")
    return tmp / "data.tsv", dict(target="label", weights="w"), NAMES, "label"


def parquet_file(tmp):
    write_parquet(tmp / "data.parquet", COLUMNS)
    return tmp / "data.parquet", dict(target="label", weights="w"), NAMES, "label"


FORMATS = [npy_one_array, npy_pair, npz_columns, npz_matrix, npz_compressed, npz_one_array,
           pytest.param(csv_file, marks=needs_pyarrow), pytest.param(tsv_file, marks=needs_pyarrow),
           pytest.param(parquet_file, marks=needs_pyarrow)]


@pytest.mark.parametrize("write", FORMATS)
def test_every_format_round_trips_bit_for_bit(write, tmp_path):
    path, columns, feature_names, target_name = write(tmp_path)
    data = fo.data.load(path, **columns)
    assert same_bits(data.X, X3) and same_bits(data.y, Y) and same_bits(data.weights, W)
    assert data.feature_names == feature_names and data.target_name == target_name
    assert not data.X.flags.writeable and data.X.flags.c_contiguous
    assert fo.data.load(str(path), **columns).n == N  # str and os.PathLike alike


@needs_pyarrow
@pytest.mark.parametrize("ending", [".csv", ".parquet"])
def test_float32_columns_round_trip_as_float32(ending, tmp_path):
    columns = {"a": X3[:, 0].astype(np.float32), "b": X3[:, 1].astype(np.float32), "y": Y.astype(np.float32)}
    path = tmp_path / f"data{ending}"
    (write_csv if ending == ".csv" else write_parquet)(path, columns)
    data = fo.data.load(path, target="y", dtype="float32" if ending == ".csv" else None)
    assert data.dtype == np.float32
    assert same_bits(data.X, np.c_[columns["a"], columns["b"]]) and same_bits(data.y, columns["y"])
    assert fo.data.load(path, target="y", dtype=np.float64).dtype == np.float64


@needs_pyarrow
def test_csv_text_reads_as_float64_and_integers_as_numbers(tmp_path):
    (tmp_path / "d.csv").write_text("n,x,y\n1,0.5,0\n2,0.25,1\n3,0.125,1\n")
    data = fo.data.load(tmp_path / "d.csv", target="y")
    assert data.dtype == np.float64 and data.X.tolist() == [[1, 0.5], [2, 0.25], [3, 0.125]]
    assert data.y.tolist() == [0, 1, 1] and data.feature_names == ("n", "x")


@needs_pyarrow
@pytest.mark.parametrize("ending", [".csv", ".parquet"])
def test_columns_by_name_or_index_in_the_order_given(ending, tmp_path):
    path = tmp_path / f"data{ending}"
    (write_csv if ending == ".csv" else write_parquet)(path, COLUMNS)
    data = fo.data.load(path, target=-1, features=["x2", 0], weights="w")
    assert same_bits(data.X, X3[:, [2, 0]]) and same_bits(data.y, Y) and data.feature_names == ("x2", "x0")
    one = fo.data.load(path, target="label", features="x1")
    assert one.X.shape == (N,) and one.d == 1 and same_bits(one.X, X3[:, 1]) and one.weights is None
    everything = fo.data.load(path, target="label")  # every other column, weights included
    assert everything.feature_names == ("x0", "x1", "x2", "w")


def test_npy_columns_by_index(tmp_path):
    np.save(tmp_path / "a.npy", np.c_[X3, Y])
    data = fo.data.load(tmp_path / "a.npy", target=3, features=[2, 0])
    assert same_bits(data.X, X3[:, [2, 0]]) and same_bits(data.y, Y)
    assert same_bits(fo.data.load(tmp_path / "a.npy", target=0).X, np.c_[X3[:, 1:], Y])
    np.save(tmp_path / "X.npy", X3)
    np.save(tmp_path / "y.npy", Y)
    pair = fo.data.load(tmp_path / "X.npy", target=tmp_path / "y.npy", features=[1])
    assert same_bits(pair.X, X3[:, 1])


@needs_pyarrow
def test_the_dtype_rule_applies_to_file_columns(tmp_path):
    small = {"a": np.arange(N, dtype=np.int16), "b": X3[:, 0].astype(np.float32), "y": Y}
    write_parquet(tmp_path / "small.parquet", small)
    data = fo.data.load(tmp_path / "small.parquet", target="y")
    assert data.dtype == np.float32 and data.y.dtype == np.float32 and same_bits(data.y, Y.astype(np.float32))
    wide = {"a": np.arange(N, dtype=np.int64), "b": X3[:, 0].astype(np.float32), "y": (Y > 0.5)}
    write_parquet(tmp_path / "wide.parquet", wide)
    data = fo.data.load(tmp_path / "wide.parquet", target="y")
    assert data.dtype == np.float64 and data.y.tolist() == (Y > 0.5).tolist()
    np.savez(tmp_path / "mixed.npz", a=np.arange(N, dtype=np.uint8), b=X3[:, 0].astype(np.float32), y=Y)
    assert fo.data.load(tmp_path / "mixed.npz", target="y").dtype == np.float32


def test_npy_files_are_memory_mapped_not_copied(tmp_path):
    X = np.random.default_rng(0).standard_normal((200_000, 5))  # 8 MB
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", X[:, 0].copy())
    tracemalloc.start()
    try:
        data = fo.data.load(tmp_path / "X.npy", target=tmp_path / "y.npy")
        allocated = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert allocated < 1e6  # nothing near the 9.6 MB of data: no copy
    for array, name in ((data.X, "X.npy"), (data.y, "y.npy")):
        assert mapped(array) is not None and pathlib.Path(mapped(array).filename).name == name
    assert np.array_equal(data.X, X)
    in_memory = fo.data.load(tmp_path / "X.npy", target=tmp_path / "y.npy", mmap=False)
    assert mapped(in_memory.X) is None and np.array_equal(in_memory.X, X)


def test_a_float32_npy_stays_float32_and_mapped_beside_a_float64_y(tmp_path):
    np.save(tmp_path / "X.npy", X3.astype(np.float32))
    np.save(tmp_path / "y.npy", Y)
    data = fo.data.load(tmp_path / "X.npy", target=tmp_path / "y.npy")
    assert data.dtype == np.float32 and mapped(data.X) is not None and same_bits(data.y, Y.astype(np.float32))
    widened = fo.data.load(tmp_path / "X.npy", target=tmp_path / "y.npy", dtype="float64")
    assert widened.dtype == np.float64 and mapped(widened.X) is None  # asked for: one copy


def test_npz_members_saved_uncompressed_are_memory_mapped(tmp_path):
    np.savez(tmp_path / "stored.npz", X=X3, y=Y)
    np.savez_compressed(tmp_path / "packed.npz", X=X3, y=Y)
    stored = fo.data.load(tmp_path / "stored.npz", target="y")
    assert mapped(stored.X) is not None and mapped(stored.y) is not None
    packed = fo.data.load(tmp_path / "packed.npz", target="y")
    assert mapped(packed.X) is None and same_bits(packed.X, X3)
    assert mapped(fo.data.load(tmp_path / "stored.npz", target="y", mmap=False).X) is None
    fortran = np.asfortranarray(X3)
    np.savez(tmp_path / "fortran.npz", X=fortran, y=Y)
    data = fo.data.load(tmp_path / "fortran.npz", target="y")
    assert same_bits(data.X, X3) and data.X.flags.c_contiguous


def test_a_target_column_beside_the_features_is_copied_once(tmp_path):
    np.save(tmp_path / "a.npy", np.c_[X3, Y])
    data = fo.data.load(tmp_path / "a.npy", target=3)
    assert mapped(data.X) is None and data.X.flags.c_contiguous and same_bits(data.X, X3)


# --- bad files: one line naming the file, the column and the line or row ---------------------

class Writer:
    """Writes one file into a folder and returns its path; ``name`` says its format (a CSV,
    TSV or Parquet case needs pyarrow)."""

    def __init__(self, name, write):
        self.name, self.write = name, write

    def __call__(self, tmp):
        self.write(tmp / self.name)
        return tmp / self.name


def text(name, content):
    return Writer(name, lambda path: path.write_text(content))


def saved(name, array=None, **members):
    return Writer(name, lambda path: np.savez(path, **members) if name.endswith(".npz") else np.save(path, array))


def parquet(name, columns):
    return Writer(name, lambda path: write_parquet(path, columns() if callable(columns) else columns))


def folder(name):
    return Writer(name, lambda path: path.mkdir())


def nothing(name):
    return Writer(name, lambda path: None)


def timestamps():
    import pyarrow as pa

    return {"t": pa.array(np.arange(3), pa.timestamp("s")), "y": [0.0, 1.0, 0.0]}


GOOD_CSV = "a,b,y\n1,2,0\n3,4,1\n"
BAD_FILES = [
    # (id, write, load's arguments, error, the error's argument, message regex; "{path}" is the file's path)
    ("missing file", nothing("data.csv"), dict(target="y"), FileNotFoundError,
     'path', r"^Invalid path: '{path}' \(no such file\)$"),
    ("missing file is a ValueError too", nothing("data.npy"), dict(target=0), ValueError,
     'path', r"^Invalid path: '{path}' \(no such file\)$"),
    ("folder", folder("data.csv"), dict(target="y"), ValueError,
     'path', r"^Invalid path: '{path}' \(is a folder, not a data file\)$"),
    ("unknown extension", text("data.xlsx", "x"), dict(target="y"), ValueError,
     'path', r"^Invalid path: '{path}' \(unknown file type '\.xlsx': fastoptim\.data\.load reads \.npy, \.npz, \.csv, \.tsv, \.parquet\)$"),
    ("no extension", text("data", "x"), dict(target="y"), ValueError,
     'path', r"^Invalid path: '{path}' \(unknown file type '\(no extension\)': fastoptim\.data\.load reads \.npy, \.npz, \.csv, \.tsv, \.parquet\)$"),
    ("empty csv", text("data.csv", ""), dict(target="y"), ValueError,
     'path', r"^Invalid path: '{path}' \(the file is empty\)$"),
    ("empty npy", text("data.npy", ""), dict(target=0), ValueError,
     'path', r"^Invalid path: '{path}' \(the file is empty\)$"),
    ("empty npz", text("data.npz", ""), dict(target="y"), ValueError,
     'path', r"^Invalid path: '{path}' \(the file is empty\)$"),
    ("empty parquet", text("data.parquet", ""), dict(target="y"), ValueError,
     'path', r"^Invalid path: '{path}' \(the file is empty\)$"),
    ("blank csv", text("data.csv", "\n\n"), dict(target="y"), ValueError,
     'path', r"^Invalid path: '{path}' \(the file is empty: no header row\)$"),
    ("header only", text("data.csv", "a,y\n"), dict(target="y"), ValueError,
     'path', r"^Invalid path: '{path}' \(no data rows after the header\)$"),
    ("missing target column", text("data.csv", GOOD_CSV), dict(target="label"), ValueError,
     'target', r"^Invalid target: 'label' \({path}: no such column; its columns are 'a', 'b', 'y'\)$"),
    ("missing feature column", text("data.csv", GOOD_CSV), dict(target="y", features=["a", "c"]), ValueError,
     'features', r"^Invalid features: 'c' \({path}: no such column; its columns are 'a', 'b', 'y'\)$"),
    ("missing weights column", text("data.csv", GOOD_CSV), dict(target="y", weights="w"), ValueError,
     'weights', r"^Invalid weights: 'w' \({path}: no such column; its columns are 'a', 'b', 'y'\)$"),
    ("no header", text("data.csv", "1,2,3\n4,5,6\n"), dict(target="y"), ValueError,
     'target', r"^Invalid target: 'y' \({path}: no such column; its columns are '1', '2', '3'; the first row is read as column names, and this one looks like data\)$"),
    ("column index out of range", text("data.csv", GOOD_CSV), dict(target=3), ValueError,
     'target', r"^Invalid target: 3 \({path}: column index out of range: the file has 3 columns\)$"),
    ("target also a feature", text("data.csv", GOOD_CSV), dict(target="y", features=["a", "y"]), ValueError,
     'features', r"^Invalid features: column 'y' \({path}: given as the target and as a feature\)$"),
    ("weights also the target", text("data.csv", GOOD_CSV), dict(target="y", weights=2), ValueError,
     'weights', r"^Invalid weights: column 'y' \({path}: given as the target and as the weights\)$"),
    ("feature twice", text("data.csv", GOOD_CSV), dict(target="y", features=["a", 0]), ValueError,
     'features', r"^Invalid features: column 'a' \({path}: listed twice in features\)$"),
    ("duplicate header name", text("data.csv", "a,a,y\n1,2,0\n"), dict(target="y"), ValueError,
     'path', r"^Invalid path: '{path}' \(column name 'a' appears 2 times in the header: rename the copies\)$"),
    ("non-numeric csv column", text("data.csv", "a,b,y\n1,2,0\n\n3,x,1\n"), dict(target="y"), ValueError,
     'features', r"^Invalid features: 'x' \({path}, column 'b', line 4: must be a number\)$"),
    ("non-numeric tsv column", text("data.tsv", "a\tb\ty\n1\t2\t0\n3\t4\tmaybe\n"), dict(target="y"), ValueError,
     'target', r"^Invalid target: 'maybe' \({path}, column 'y', line 3: must be a number\)$"),
    ("missing csv value", text("data.csv", "a,b,y\n1,2,0\n3,,1\n"), dict(target="y"), ValueError,
     'features', r"^Invalid features: a missing value \({path}, column 'b', line 3: must be a number\)$"),
    ("NaN in csv", text("data.csv", "a,b,y\n1,2,0\n3,4,1\n5,NaN,0\n"), dict(target="y"), ValueError,
     'features', r"^Invalid features: a missing value \({path}, column 'b', line 4: must be a number\)$"),
    ("inf in csv", text("data.csv", 'a,b,y\n"multi\nline",2,0\n3,inf,1\n'), dict(target="y", features=["b"]), ValueError,
     'features', r"^Invalid features: inf \({path}, column 'b', line 4: must be finite\)$"),
    ("-inf in the target", text("data.csv", "a,b,y\n1,2,-inf\n"), dict(target="y"), ValueError,
     'target', r"^Invalid target: -inf \({path}, column 'y', line 2: must be finite\)$"),
    ("ragged row, too few", text("data.csv", "a,b,y\n1,2,0\n3,4\n"), dict(target="y"), ValueError,
     'path', r"^Invalid path: '{path}' \(ragged rows: line 3 has 2 fields, the header 3\)$"),
    ("ragged row, too many", text("data.csv", "a,b,y\n1,2,0\n\n3,4,5,6\n"), dict(target="y"), ValueError,
     'path', r"^Invalid path: '{path}' \(ragged rows: line 4 has 4 fields, the header 3\)$"),
    ("negative weight", text("data.csv", "a,w,y\n1,1,0\n2,-1,1\n"), dict(target="y", weights="w"), ValueError,
     'weights', r"^Invalid weights: -1\.0 \({path}, column 'w', line 3: must be >= 0\)$"),
    ("weights all zero", text("data.csv", "a,w,y\n1,0,0\n2,0,1\n"), dict(target="y", weights="w"), ValueError,
     'weights', r"^Invalid weights: 'w' \({path}, column 'w': must not all be zero: all 2 are 0\)$"),
    ("NaN in npy", saved("data.npy", np.array([[1.0, 0.0], [np.nan, 1.0]])), dict(target=1), ValueError,
     'features', r"^Invalid features: nan \({path}, column 0, row 1: must be finite\)$"),
    ("inf in an npy target", saved("data.npy", np.array([[1.0, 0.0], [2.0, np.inf]])), dict(target=1), ValueError,
     'target', r"^Invalid target: inf \({path}, column 1, row 1: must be finite\)$"),
    ("negative weight in npy", saved("data.npy", np.array([[1.0, 1.0, 0.0], [2.0, -3.0, 1.0]])), dict(target=2, weights=1),
     ValueError, 'weights', r"^Invalid weights: -3\.0 \({path}, column 1, row 1: must be >= 0\)$"),
    ("npy of strings", saved("data.npy", np.array([["a", "b"], ["c", "d"]])), dict(target=1), TypeError,
     'path', r"^Invalid path: '{path}' \(the array is not numeric: dtype <U1\)$"),
    ("npy of objects", saved("data.npy", np.array([1, "a"], dtype=object)), dict(target=1), TypeError,
     'path', r"^Invalid path: '{path}' \(holds Python objects \(dtype object\), not numbers\)$"),
    ("npy of dates", saved("data.npy", np.zeros((3, 2), dtype="datetime64[s]")), dict(target=1), TypeError,
     'path', r"^Invalid path: '{path}' \(the array holds dates or times \(datetime64\[s\]\), not numbers\)$"),
    ("npy of durations", saved("data.npy", np.zeros((3, 2), dtype="timedelta64[s]")), dict(target=1), TypeError,
     'path', r"^Invalid path: '{path}' \(the array holds dates or times \(timedelta64\[s\]\), not numbers\)$"),
    ("1-D npy with a target column", saved("data.npy", np.zeros(3)), dict(target=0), ValueError,
     'target', r"^Invalid target: 0 \({path}: a target column needs a 2-D array, this one has shape \(3,\): pass target as the path of y's \.npy file\)$"),
    ("npy column names", saved("data.npy", np.zeros((3, 2))), dict(target=1, features=["a"]), TypeError,
     'features', r"^Invalid features: 'a' \({path}: a \.npy array has no column names: must be a column index\)$"),
    ("npy not a npy", text("data.npy", "garbage"), dict(target=0), ValueError,
     'path', r"^Invalid path: '{path}' \(not a \.npy file: no NumPy header\)$"),
    ("npy pair of another format", saved("data.npy", np.zeros(3)), dict(target="y.csv"), ValueError,
     'target', r"^Invalid target: 'y\.csv' \({path}: must be a column index or the path of a \.npy file holding y\)$"),
    ("npy pair without y", saved("data.npy", np.zeros(3)), dict(target="no-such-y.npy"), FileNotFoundError,
     'target', r"^Invalid target: 'no-such-y\.npy' \(no such file\)$"),
    ("npz missing target", saved("data.npz", x=np.zeros(3), y=np.zeros(3)), dict(target="label"), ValueError,
     'target', r"^Invalid target: 'label' \({path}: no such array; its arrays are 'x', 'y'\)$"),
    ("npz by index", saved("data.npz", x=np.zeros(3), y=np.zeros(3)), dict(target=1), TypeError,
     'target', r"^Invalid target: 1 \({path}: \.npz arrays are named: must be a member name, one of 'x', 'y' \(a column index works for an archive of one 2-D array\)\)$"),
    ("npz lengths differ", saved("data.npz", x=np.zeros(3), y=np.zeros(4)), dict(target="y"), ValueError,
     'features', r"^Invalid features: 'x' \({path}: array 'x' must hold one row a point \(4 rows, 1-D or 2-D\), not shape \(3,\)\)$"),
    ("npz NaN in a 2-D member", saved("data.npz", X=np.array([[1.0, 2.0], [1.0, np.nan]]), y=np.zeros(2)), dict(target="y"),
     ValueError, 'features', r"^Invalid features: nan \({path}, array 'X', column 1, row 1: must be finite\)$"),
    ("npz strings", saved("data.npz", x=np.array(["a", "b"]), y=np.zeros(2)), dict(target="y"), TypeError,
     'features', r"^Invalid features: 'x' \({path}: array 'x' is not numeric: dtype <U1\)$"),
    ("npz not a zip", text("data.npz", "garbage"), dict(target="y"), ValueError,
     'path', r"^Invalid path: '{path}' \(cannot read as \.npz, a zip archive of \.npy files: .+\)$"),
    ("parquet not parquet", text("data.parquet", "garbage"), dict(target="y"), ValueError,
     'path', r"^Invalid path: '{path}' \(cannot read as Parquet: .+\)$"),
]
BAD_FILES += [
    ("parquet missing column", parquet("data.parquet", {"a": [1.0], "y": [0.0]}), dict(target="y", features=["b"]),
     ValueError, 'features', r"^Invalid features: 'b' \({path}: no such column; its columns are 'a', 'y'\)$"),
    ("parquet string column", parquet("data.parquet", {"a": ["x", "y"], "y": [0.0, 1.0]}), dict(target="y"),
     TypeError, 'features', r"^Invalid features: 'a' \({path}: column 'a' is not numeric: string\)$"),
    ("parquet timestamp column", parquet("data.parquet", timestamps), dict(target="y"), TypeError,
     'features', r"^Invalid features: 't' \({path}: column 't' holds dates or times \(timestamp\[\w+\]\), not numbers\)$"),
    ("parquet null", parquet("data.parquet", {"a": [1.0, None, 2.0], "y": [0.0, 1.0, 0.0]}), dict(target="y"),
     ValueError, 'features', r"^Invalid features: a missing value \({path}, column 'a', row 1: must be a number\)$"),
    ("parquet NaN", parquet("data.parquet", {"a": [1.0, 2.0, np.nan], "y": [0.0, 1.0, 0.0]}), dict(target="y"),
     ValueError, 'features', r"^Invalid features: nan \({path}, column 'a', row 2: must be finite\)$"),
    ("parquet negative weight", parquet("data.parquet", {"a": [1.0, 2.0], "w": [1, -1], "y": [0.0, 1.0]}),
     dict(target="y", weights="w"), ValueError, 'weights', r"^Invalid weights: -1 \({path}, column 'w', row 1: must be >= 0\)$"),
    ("parquet no rows", parquet("data.parquet", {"a": np.zeros(0), "y": np.zeros(0)}), dict(target="y"),
     ValueError, 'path', r"^Invalid path: '{path}' \(no data rows\)$"),
]
CASES = [pytest.param(*case[1:], id=case[0],
                      marks=[needs_pyarrow] if case[1].name.endswith((".csv", ".tsv", ".parquet")) else [])
         for case in BAD_FILES]


@pytest.mark.parametrize("write, arguments, error, argument, message", CASES)
def test_bad_file_is_one_line_naming_the_file(write, arguments, error, argument, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative pair paths ("y.csv") resolve here
    path = write(tmp_path)
    with pytest.raises(error, match=message.replace("{path}", re_escape(str(path)))) as caught:
        fo.data.load(path, **arguments)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, (fo._checks.InvalidValue, fo._checks.InvalidType))
    assert caught.value.argument == argument


def test_a_bad_value_in_a_file_says_where_it_is(tmp_path):
    """The DataValueError of a bad value carries load's argument, the data row (from 0), the
    file's column, the value and the requirement it fails."""
    (tmp_path / "d.csv").write_text("a,w,y\n1,1,0\n2,-1,1\n")
    with pytest.raises(fo.data.DataValueError) as caught:
        fo.data.load(tmp_path / "d.csv", target="y", weights="w")
    error = caught.value
    assert (error.argument, error.row, error.column, error.value, error.requirement) == ("weights", 1, "w", -1.0,
                                                                                        "must be >= 0")
    (tmp_path / "e.csv").write_text("a,y\n1,0\n2,x\n")
    with pytest.raises(fo.data.DataValueError) as caught:
        fo.data.load(tmp_path / "e.csv", target="y")
    assert (caught.value.argument, caught.value.row, caught.value.column, caught.value.value) == ("target", 1, "y", "x")


def re_escape(text):
    import re

    return re.escape(text)


BAD_ARGUMENTS = [
    ("path not a path", dict(path=3, target="y"), TypeError, r"^Invalid path: 3 \(must be a file path: a str or os\.PathLike\)$"),
    ("target a bool", dict(target=True), TypeError, r"^Invalid target: True \(must be a column name or index\)$"),
    ("target a float", dict(target=1.5), TypeError, r"^Invalid target: 1\.5 \(must be a column name or index\)$"),
    ("target missing", dict(target=None), TypeError, r"^Invalid target: None \(must be a column name or index\)$"),
    ("features empty", dict(target="y", features=[]), ValueError, r"^Invalid features: \[\] \(must name at least one column\)$"),
    ("features not columns", dict(target="y", features=2.5), TypeError,
     r"^Invalid features: 2\.5 \(must be a column, a sequence of columns or None\)$"),
    ("dtype int", dict(target="y", dtype="int32"), TypeError, r"^Invalid dtype: 'int32' \(must be 'float32', 'float64' or None\)$"),
    ("dtype nonsense", dict(target="y", dtype="nonsense"), TypeError,
     r"^Invalid dtype: 'nonsense' \(must be 'float32', 'float64' or None\)$"),
    ("mmap not a bool", dict(target="y", mmap="yes"), TypeError, r"^Invalid mmap: 'yes' \(must be True or False\)$"),
]


@needs_pyarrow
@pytest.mark.parametrize("arguments, error, message", [case[1:] for case in BAD_ARGUMENTS], ids=[case[0] for case in BAD_ARGUMENTS])
def test_bad_arguments_name_the_argument(arguments, error, message, tmp_path):
    (tmp_path / "d.csv").write_text(GOOD_CSV)
    arguments = {"path": tmp_path / "d.csv", **arguments}
    with pytest.raises(error, match=message) as caught:
        fo.data.load(arguments.pop("path"), **arguments)
    assert caught.value.argument == str(caught.value).split(":")[0].removeprefix("Invalid ")


def test_without_pyarrow_csv_and_parquet_name_the_extra(tmp_path, monkeypatch):
    (tmp_path / "d.csv").write_text(GOOD_CSV)
    (tmp_path / "d.parquet").write_bytes(b"PAR1")
    for module in ("pyarrow", "pyarrow.csv", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, module, None)
    for name in ("d.csv", "d.parquet"):
        with pytest.raises(ImportError, match=r"reading .*%s needs pyarrow, fastoptim's optional extra 'files': "
                                              r"pip install \"fastoptim\[files\]\"" % name):
            fo.data.load(tmp_path / name, target="y")
    np.save(tmp_path / "d.npy", np.c_[X3, Y])
    assert fo.data.load(tmp_path / "d.npy", target=3).n == N  # numpy formats need no pyarrow


def test_importing_the_loader_imports_neither_pyarrow_nor_pandas_nor_numba(tmp_path):
    np.save(tmp_path / "d.npy", np.c_[X3, Y])
    code = textwrap.dedent(f"""
        import sys
        import fastoptim as fo
        data = fo.data.load({str(tmp_path / 'd.npy')!r}, target=3)
        print(sorted({{"pyarrow", "pandas", "numba"}} & set(sys.modules)))
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# --- memory: loading holds about twice the data at most ---------------------------------------

MEMORY_PROBE = """
import sys
import fastoptim as fo

def status(field):  # kB in /proc/self/status
    return next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith(field + ":"))

path, small = sys.argv[1], sys.argv[2]
fo.data.load(small, target="y")           # imports and thread pools before the measurement
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")                     # the peak (VmHWM) starts again from the resident size now
start = status("VmRSS")
data = fo.data.load(path, target="y")
print((status("VmHWM") - start) / (data.X.nbytes + data.y.nbytes))
"""


@needs_pyarrow
@pytest.mark.parametrize("ending, limit", [(".csv", 2.3), (".parquet", 2.0)])
def test_loading_holds_about_twice_the_data_at_most(ending, limit, tmp_path):
    """Peak resident memory (VmHWM, reset before the call) above the resident memory before
    the call, over the bytes of X and y
    (500,000 × 6 float64, 24 MB). Measured with the system allocator for pyarrow and a fixed
    mmap threshold, so that freed memory is given back and the peak is what was held (pyarrow's
    default allocator, mimalloc, keeps some of the parser's freed memory: ~2.4x on CSV)."""
    columns = {f"x{j}": RNG.standard_normal(500_000) for j in range(5)} | {"y": RNG.random(500_000)}
    writer = write_csv if ending == ".csv" else write_parquet
    writer(tmp_path / f"big{ending}", columns)
    writer(tmp_path / f"small{ending}", {name: values[:100] for name, values in columns.items()})
    environment = dict(os.environ, ARROW_DEFAULT_MEMORY_POOL="system", MALLOC_MMAP_THRESHOLD_="65536")
    result = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(tmp_path / f"big{ending}"),
                             str(tmp_path / f"small{ending}")], cwd=ROOT, env=environment,
                            capture_output=True, text=True, check=True)
    assert float(result.stdout) < limit


@needs_pyarrow
def test_the_readmes_own_data_snippet_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Your own data", 1)[1].split("\n## ", 1)[0]
    snippet = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(snippet, "README.md (Your own data)", "exec"), {})
    with pytest.raises(ValueError) as caught:  # the error the snippet's last comment shows
        fo.data.load("points.csv", target="lable")
    shown = " ".join(line.lstrip("# ").strip() for line in snippet.split("-> ValueError: ", 1)[1].splitlines())
    assert str(caught.value) == shown.strip()


@needs_pyarrow
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_any_float_survives_a_csv_round_trip(dtype, tmp_path_factory):
    """pyarrow writes the shortest text that reads back to the same float, and load parses it
    back bit for bit (float32 straight to float32): subnormals, -0.0 and the largest finite
    values included (hypothesis)."""
    hypothesis = pytest.importorskip("hypothesis")
    strategies = pytest.importorskip("hypothesis.strategies")
    numpy_strategies = pytest.importorskip("hypothesis.extra.numpy")
    folder = tmp_path_factory.mktemp("csv-round-trip")
    width = np.dtype(dtype).itemsize * 8

    @hypothesis.settings(max_examples=50, deadline=None)
    @hypothesis.given(numpy_strategies.arrays(dtype, strategies.tuples(strategies.integers(1, 40), strategies.just(3)),
                                              elements=strategies.floats(width=width, allow_nan=False,
                                                                         allow_infinity=False)))
    def round_trip(table):
        path = folder / "data.csv"
        write_csv(path, {"a": table[:, 0], "b": table[:, 1], "y": table[:, 2]})
        data = fo.data.load(path, target="y", dtype=dtype)
        assert same_bits(data.X, table[:, :2]) and same_bits(data.y, table[:, 2])

    round_trip()
