"""Reading a data file into a :class:`fastoptim.data.Dataset`: :func:`load` (also
``fastoptim.data.load``).

``.npy`` and ``.npz`` need numpy only; CSV, TSV and Parquet are read by pyarrow, the optional
extra ``files`` (``pip install "fastoptim[files]"``), imported when such a file is read.

Every problem with the file is one line in the package's shape, ``Invalid {name}: {value}
({requirement})``, a ``ValueError`` or ``TypeError`` (``fastoptim._checks.InvalidValue`` /
``InvalidType``; a missing file is also a ``FileNotFoundError``; a missing pyarrow an
``ImportError``) whose ``argument`` is the argument of :func:`load` it concerns (``path``,
``target``, ``features``, ``weights``, ``dtype``, ``mmap``), naming the file, the column and,
for a bad value, where it is: ``line L`` of a CSV/TSV file (as an editor numbers lines),
``row i`` of the other formats (counted from 0, as ``data.X[i]``). A bad value is a
``fastoptim.data.DataValueError`` that also carries ``row`` (the data row, from 0), ``column``
(the file's column), ``value`` and ``requirement``:
``Invalid weights: -1.0 (points.csv, column 'w', line 3: must be >= 0)``.
"""
import errno
import numbers
import os
import re
import struct
import zipfile

import numpy as np

from . import _checks

#: What to run when pyarrow is missing.
FILES_EXTRA = 'pip install "fastoptim[files]"'

#: File name endings :func:`load` reads (lower case; the test is case-insensitive).
FORMATS = (".npy", ".npz", ".csv", ".tsv", ".parquet")

_DELIMITERS = {".csv": ",", ".tsv": "\t"}
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_ROW_BLOCK_BYTES = 1 << 22  # rows copied per block out of a 2-D array (bounds the temporary)


class MissingFileError(FileNotFoundError, _checks.InvalidValue):
    """The file (or a second ``.npy`` of a pair) does not exist: a ``FileNotFoundError`` for
    code that expects one, and an ``InvalidValue`` (a ``ValueError`` with ``argument``: ``path``,
    or ``target``/``weights`` for the ``.npy`` of y or of the weights) like every other problem
    with a data file."""

    def __init__(self, path, argument="path"):
        FileNotFoundError.__init__(self, errno.ENOENT, os.strerror(errno.ENOENT), path)
        self.argument = argument

    def __str__(self):
        return f"Invalid {self.argument}: {self.filename!r} (no such file)"


def _invalid(argument, shown, requirement, error=ValueError):
    """``Invalid {argument}: {shown} ({requirement})`` as the package's exception, ``shown``
    already written out (a path is shown whole, not cut as ``_checks.describe`` cuts)."""
    kind = _checks.InvalidType if issubclass(error, TypeError) else _checks.InvalidValue
    return kind(argument, f"Invalid {argument}: {shown} ({requirement})")


def _bad_file(path, requirement, error=ValueError, argument="path"):
    """A problem of the file itself: ``Invalid path: '{path}' ({requirement})``."""
    return _invalid(argument, repr(path), requirement, error)


def _bad_column(role, key, path, requirement, error=ValueError):
    """A problem of the column given as ``role`` (``target``, ``features``, ``weights``):
    ``Invalid {role}: {key} ({path}: {requirement})``."""
    return _invalid(role, _checks.describe(key), f"{path}: {requirement}", error)


#: The argument of ``load`` that gives a Dataset's array.
_ROLE = {"X": "features", "y": "target", "weights": "weights"}


def load(path, *, target, features=None, weights=None, dtype=None, mmap=True):
    """Read a data file into a :class:`~fastoptim.data.Dataset`: ``X`` from the feature
    columns, ``y`` from the target column, optional sample weights from a weights column.

    Parameters
    ----------
    path : str or os.PathLike
        The file; its ending says the format (case-insensitive):

        - ``.npy``: a 2-D array whose columns are the features, the target (``target`` a
          column index) and the weights (``weights`` a column index); or the inputs alone (1-D
          or 2-D) with ``y`` in a second ``.npy`` file (``target`` its path, e.g.
          ``load("X.npy", target="y.npy")``; ``weights`` likewise a path). A relative path is
          taken from the current folder, as every path.
        - ``.npz`` (``np.savez``): arrays by member name. ``target`` and ``weights`` name 1-D
          members; ``features`` names 1-D members (one column each) or 2-D ones (their
          columns), by default every other member. An archive of one 2-D member reads as that
          ``.npy`` (columns by index).
        - ``.csv``, ``.tsv``: a header row of column names, then one row a point; columns by
          name or by position (0-based). Blank lines are skipped; an empty field, ``NA``,
          ``NaN``, ``null`` … is a missing value, and an error.
        - ``.parquet``: columns by name or position; only the selected columns are read.
    target : str, int or os.PathLike
        The target column (name or index), or for ``.npy`` a column index or the path of
        ``y``'s ``.npy``.
    features : str, int, or a sequence of them, optional
        The feature columns, in the order ``X`` gets them; default every column that is
        neither the target nor the weights. One feature makes ``X`` 1-D, shape ``(N,)``
        (``d = 1``, as the built-in data sets), unless it is a 2-D array stored as such.
    weights : str, int or os.PathLike, optional
        The sample-weights column (or ``.npy`` path): finite, ``>= 0``, not all zero.
    dtype : "float32", "float64" or None
        The data's dtype. ``None`` applies the :class:`~fastoptim.data.Dataset` rule: the
        features' type decides (float32 for float32 columns, or float16, bool and integers of
        at most 16 bits; float64 otherwise), and CSV/TSV text reads as float64 (every printed
        digit of a double kept). Given, everything is converted to it (a float32 CSV is parsed
        straight to float32).
    mmap : bool
        Memory-map ``.npy`` files and the uncompressed members of ``.npz`` files
        (``np.save``/``np.savez`` write them so): nothing is read until used, and an array that
        is already contiguous and of the data's dtype is used in place, never copied. Columns
        taken out of a 2-D array (a target column beside the features) are copied once into a
        contiguous ``X`` (the kernels read a point's features side by side): save ``X`` and
        ``y`` as separate arrays to avoid that copy. ``False`` reads the arrays into memory.
        Parquet files are memory-mapped for reading; CSV/TSV ignore it.

    Returns
    -------
    Dataset
        With ``feature_names`` and ``target_name`` where the file names its columns.

    Memory: the file's selected columns are held once as read (pyarrow's table, or the ``.npz``
    members) and once as ``X``, ``y``, ``weights``, each column released once copied, so
    loading never needs much more than twice the data.
    """
    shown = _file("path", path)
    ending = _ending(shown)
    if not os.path.exists(shown):
        raise MissingFileError(shown)
    if os.path.isdir(shown):
        raise _bad_file(shown, "is a folder, not a data file")
    if ending not in FORMATS:
        raise _bad_file(shown, f"unknown file type {ending or '(no extension)'!r}: fastoptim.data.load "
                               f"reads {', '.join(FORMATS)}")
    if os.path.getsize(shown) == 0:
        raise _bad_file(shown, "the file is empty")
    if dtype is not None:
        given = dtype
        try:
            dtype = np.dtype(dtype)
        except TypeError as error:
            raise _checks.wrong_type("dtype", given, "must be 'float32', 'float64' or None") from error
        if dtype not in _FLOAT_DTYPES:
            raise _checks.wrong_type("dtype", given, "must be 'float32', 'float64' or None")
    mmap = _checks.flag("mmap", mmap)
    if features is not None:
        given = features
        features = [features] if isinstance(features, (str, numbers.Integral)) else features
        try:
            features = list(features)
        except TypeError:
            raise _checks.wrong_type("features", given, "must be a column, a sequence of columns or None") from None
        if not features:
            raise _checks.invalid("features", given, "must name at least one column")
    reader = {".npy": _load_npy, ".npz": _load_npz, ".parquet": _load_parquet}.get(ending, _load_text)
    return reader(shown, target=target, features=features, weights=weights, dtype=dtype, mmap=bool(mmap))


# --- arguments -------------------------------------------------------------------------------

def _file(name, value):
    if isinstance(value, (str, os.PathLike)):
        text = os.fspath(value)
        if isinstance(text, str) and text:
            return text
    raise _checks.wrong_type(name, value, "must be a file path: a str or os.PathLike")


def _ending(path):
    return os.path.splitext(path)[1].lower()


def _is_path(value):
    return isinstance(value, os.PathLike) or isinstance(value, str)


def _key(role, value):
    """A column given as a name or an index (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Integral)):
        raise _checks.wrong_type(role, value, "must be a column name or index")
    return value if isinstance(value, str) else int(value)


def _listed(names, limit=8):
    shown = ", ".join(repr(name) for name in names[:limit])
    return shown + (f", … ({len(names)} in all)" if len(names) > limit else "")


def _looks_numeric(names):
    try:
        [float(name) for name in names]
    except ValueError:
        return False
    return bool(names)


def _distinct(path, describe, target, weights, features):
    """Refuse a column given twice (as the target and a feature, twice in ``features`` …)."""
    roles = {}
    arguments = {"the target": "target", "the weights": "weights", "a feature": "features"}
    for role, key in [("the target", target), ("the weights", weights)] + [("a feature", key) for key in features]:
        if key is None:
            continue
        if key in roles:
            twice = "listed twice in features" if role == roles[key] else f"given as {roles[key]} and as {role}"
            raise _invalid(arguments[role], describe(key), f"{path}: {twice}")
        roles[key] = role


class _Columns:
    """The columns of a file with names (CSV, TSV, Parquet): resolves target, features and
    weights to positions, and says which columns each role has."""

    def __init__(self, path, names, target, features, weights):
        self.path, self.names = path, list(names)
        self.target = self.resolve("target", target)
        self.weights = None if weights is None else self.resolve("weights", weights)
        taken = {self.target, self.weights}
        if features is None:
            self.features = [j for j in range(len(self.names)) if j not in taken]
            if not self.features:
                raise _bad_column("features", None, path, f"no feature columns: the file has only {_listed(self.names)}")
        else:
            self.features = [self.resolve("features", key) for key in features]
        _distinct(path, lambda j: f"column {self.names[j]!r}", self.target, self.weights, self.features)
        selected = self.features + [self.target] + ([] if self.weights is None else [self.weights])
        for j in selected:
            if self.names.count(self.names[j]) > 1:
                raise _bad_file(path, f"column name {self.names[j]!r} appears {self.names.count(self.names[j])} "
                                      f"times in the header: rename the copies")
        self.selected = selected

    def resolve(self, role, key):
        key = _key(role, key)
        count = len(self.names)
        if isinstance(key, str):
            if key not in self.names:
                hint = "; the first row is read as column names, and this one looks like data" \
                    if _looks_numeric(self.names) else ""
                raise _bad_column(role, key, self.path, f"no such column; its columns are {_listed(self.names)}{hint}")
            return self.names.index(key)
        if not -count <= key < count:
            raise _bad_column(role, key, self.path, f"column index out of range: the file has {count} columns")
        return key % count


# --- building the data set -------------------------------------------------------------------

def _dataset(path, X, y, w, *, feature_names, target_name, column_of, row_text):
    """``Dataset(X, y, w, …)``, its errors said in the file's terms: ``column_of(argument,
    column)`` gives ``(where, column)``, the file and its column of a point's value as text
    (``"points.csv, column 'w'"``) and the column's name or index, ``row_text(row)`` says where
    the point is in the file. A bad value is a ``DataValueError`` naming ``load``'s argument."""
    from .data import DataValueError, Dataset

    try:
        return Dataset(X, y, w, feature_names=feature_names, target_name=target_name)
    except DataValueError as error:
        where, column = column_of(error.argument, error.column)
        role = _ROLE[error.argument]
        if error.row is None:  # a problem of the whole column (weights all zero)
            shown = "the column" if column is None else _checks.describe(column)
            raise DataValueError(role, f"Invalid {role}: {shown} ({where}: {error.requirement}{error.detail})",
                                 column=column, requirement=error.requirement, detail=error.detail) from None
        raise DataValueError(role, f"Invalid {role}: {error.value!r} ({where}, {row_text(error.row)}: "
                                   f"{error.requirement})", row=error.row, column=column, value=error.value,
                             requirement=error.requirement) from None
    except (_checks.InvalidValue, _checks.InvalidType) as error:  # (shapes and types are checked before)
        kind = _checks.InvalidType if isinstance(error, TypeError) else _checks.InvalidValue
        role = _ROLE.get(error.argument, error.argument)
        body = str(error).removeprefix(f"Invalid {error.argument}: ")
        raise kind(role, f"Invalid {role}: {body[:-1]}; in {path})") from None


def _numeric(path, where, dtype, role=None, key=None):
    """Refuse a column whose numpy dtype is not a number (bool, integer, float): the column of
    ``role`` (given as ``key``), or without a role the file's whole array."""
    kind = np.dtype(dtype).kind
    requirement = None
    if kind in "mM":
        requirement = f"{where} holds dates or times ({dtype}), not numbers"
    elif kind not in "biuf":
        requirement = f"{where} is not numeric: dtype {dtype}"
    if requirement is not None:
        raise (_bad_file(path, requirement, TypeError) if role is None
               else _bad_column(role, key, path, requirement, TypeError))


def _as(array, dtype):
    return array if dtype is None else np.asarray(array, dtype=dtype)


# --- .npy ------------------------------------------------------------------------------------

def _read_npy(path, mmap, argument="path"):
    if not os.path.exists(path):
        raise MissingFileError(path, argument)
    if os.path.getsize(path) == 0:
        raise _bad_file(path, "the file is empty", argument=argument)
    try:
        with open(path, "rb") as handle:
            if handle.read(6) != b"\x93NUMPY":
                raise _bad_file(path, "not a .npy file: no NumPy header", argument=argument)
            handle.seek(0)
            version = np.lib.format.read_magic(handle)
            header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            dtype = header(handle)[2] if version in ((1, 0), (2, 0)) else None
        if dtype is not None and dtype.hasobject:
            raise _bad_file(path, f"holds Python objects (dtype {dtype}), not numbers", TypeError, argument)
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (_checks.InvalidValue, _checks.InvalidType):
        raise
    except (ValueError, OSError, EOFError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise _bad_file(path, f"cannot read as .npy: {reason}", argument=argument) from None


def _take_columns(array, columns, dtype):
    """``array[:, columns]`` as a new C-contiguous array of ``dtype``, copied in blocks of rows
    (one pass over a memory map, no temporary larger than a block). One column gives 1-D."""
    shape = (array.shape[0],) if len(columns) == 1 else (array.shape[0], len(columns))
    out = np.empty(shape, dtype=dtype)
    rows = max(1, _ROW_BLOCK_BYTES // max(1, array.itemsize * array.shape[1]))
    single = columns[0] if len(columns) == 1 else None
    for start in range(0, array.shape[0], rows):
        block = array[start:start + rows]
        out[start:start + rows] = block[:, single] if single is not None else block[:, columns]
    return out


def _index(path, role, key, count):
    key = _key(role, key)
    if isinstance(key, str):
        raise _bad_column(role, key, path, "a .npy array has no column names: must be a column index", TypeError)
    if not -count <= key < count:
        raise _bad_column(role, key, path, f"column index out of range: the array has {count} columns")
    return key % count


def _load_npy(path, *, target, features, weights, dtype, mmap):
    array = _read_npy(path, mmap)
    if _is_path(target):
        return _load_npy_pair(path, array, target=target, features=features, weights=weights, dtype=dtype, mmap=mmap)
    if weights is not None and _is_path(weights):
        raise _bad_column("weights", weights, path, "must be a column index when the target is one", TypeError)
    if array.ndim != 2:
        raise _bad_column("target", target, path, f"a target column needs a 2-D array, this one has shape "
                                                   f"{array.shape}: pass target as the path of y's .npy file")
    return _npy_columns(path, array, target, features, weights, dtype)


def _npy_columns(path, array, target, features, weights, dtype):
    """A 2-D array whose columns are the features, the target and the weights (by index)."""
    _numeric(path, "the array", array.dtype)
    count = array.shape[1]
    target = _index(path, "target", target, count)
    weights = None if weights is None else _index(path, "weights", weights, count)
    if features is None:
        features = [j for j in range(count) if j not in (target, weights)]
        if not features:
            raise _bad_column("features", None, path, f"no feature columns: the array has {count} columns")
    else:
        features = [_index(path, "features", key, count) for key in features]
    _distinct(path, lambda j: f"column {j}", target, weights, features)
    X = _take_columns(array, features, dtype or _data_dtype(array.dtype))
    y, w = _as(array[:, target], dtype), None if weights is None else _as(array[:, weights], dtype)

    def column_of(argument, column):
        j = {"X": features[0 if column is None else column], "y": target, "weights": weights}[argument]
        return f"{path}, column {j}", j

    return _dataset(path, X, y, w, feature_names=None, target_name=None, column_of=column_of,
                    row_text=lambda row: f"row {row}")


def _load_npy_pair(path, X, *, target, features, weights, dtype, mmap):
    target = _file("target", target)
    if _ending(target) != ".npy":
        raise _bad_column("target", target, path, "must be a column index or the path of a .npy file holding y")
    y = _read_npy(target, mmap, "target")
    w = None
    if weights is not None:
        given = weights
        weights = _file("weights", weights) if _is_path(weights) else None
        if weights is None or _ending(weights) != ".npy":
            raise _bad_column("weights", given, path, "with y in its own file, must be the path of a .npy file too",
                              TypeError)
        w = _read_npy(weights, mmap, "weights")
    for argument, name, array in (("path", path, X), ("target", target, y)) + (
            () if w is None else (("weights", weights, w),)):
        if argument == "path":
            _numeric(name, "the array", array.dtype)
        else:
            _numeric(name, "the array", array.dtype, argument, name)
    if y.ndim != 1 or (w is not None and w.ndim != 1):
        role, name, array = ("target", target, y) if y.ndim != 1 else ("weights", weights, w)
        raise _bad_file(name, f"must hold a 1-D array (one value a point), not shape {array.shape}", argument=role)
    if X.ndim not in (1, 2):
        raise _bad_file(path, f"must hold a 1-D or 2-D array (one row a point), not shape {X.shape}")
    if y.shape[0] != X.shape[0]:
        raise _bad_file(target, f"holds {y.shape[0]} targets, {path} holds {X.shape[0]} points", argument="target")
    if w is not None and w.shape[0] != X.shape[0]:
        raise _bad_file(weights, f"holds {w.shape[0]} weights, {path} holds {X.shape[0]} points", argument="weights")
    if features is not None:
        if X.ndim != 2:
            raise _bad_column("features", features, path, f"select columns of a 2-D array, this one has shape {X.shape}")
        columns = [_index(path, "features", key, X.shape[1]) for key in features]
        _distinct(path, lambda j: f"column {j}", None, None, columns)
        X = _take_columns(X, columns, dtype or _data_dtype(X.dtype))
    else:
        columns = None
    X, y, w = _as(X, dtype), _as(y, dtype), None if w is None else _as(w, dtype)

    def column_of(argument, column):
        if argument == "X":
            j = column if columns is None or column is None else columns[column]
            return (path if j is None else f"{path}, column {j}"), j
        return {"y": target, "weights": weights}[argument], None

    return _dataset(path, X, y, w, feature_names=None, target_name=None, column_of=column_of,
                    row_text=lambda row: f"row {row}")


# --- .npz ------------------------------------------------------------------------------------

def _member_array(path, archive, name, mmap):
    """One member of an ``.npz`` archive: a read-only memory map when it is stored
    uncompressed and ``mmap`` (``np.savez``), else read into memory."""
    info = archive.getinfo(name + ".npy")
    if mmap:
        mapped = _mapped_member(path, info)
        if mapped is not None:
            return mapped
    try:
        with archive.open(info) as handle:
            return np.lib.format.read_array(handle, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise _bad_file(path, f"cannot read member {name!r}: {str(error).splitlines()[0]}") from None


def _mapped_member(path, info):
    """A memory map of an uncompressed, unencrypted member, or None when it cannot be one."""
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
        return None
    with open(path, "rb") as handle:
        handle.seek(info.header_offset)
        local = handle.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            return None
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        handle.seek(info.header_offset + 30 + name_length + extra_length)
        try:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
            else:
                return None
        except ValueError:
            return None
        offset = handle.tell()
    if dtype.hasobject or int(np.prod(shape)) == 0:
        return None
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C")


def _load_npz(path, *, target, features, weights, dtype, mmap):
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise _bad_file(path, f"cannot read as .npz, a zip archive of .npy files: {error}") from None
    with archive:
        members = [name[:-4] for name in archive.namelist() if name.endswith(".npy")]
        if not members:
            raise _bad_file(path, "holds no arrays")
        if isinstance(target, numbers.Integral) and not isinstance(target, bool):
            only = _member_array(path, archive, members[0], mmap) if len(members) == 1 else None
            if only is None or only.ndim != 2:
                raise _bad_column("target", target, path, f".npz arrays are named: must be a member name, one of "
                                                          f"{_listed(members)} (a column index works for an archive "
                                                          f"of one 2-D array)", TypeError)
            return _npy_columns(path, only, target, features, weights, dtype)

        def member(role, key):
            if isinstance(key, bool) or not isinstance(key, str):
                raise _bad_column(role, key, path, "must name a member of the archive", TypeError)
            if key not in members:
                raise _bad_column(role, key, path, f"no such array; its arrays are {_listed(members)}")
            return key

        target = member("target", target)
        weights = None if weights is None else member("weights", weights)
        if features is None:
            features = [name for name in members if name not in (target, weights)]
            if not features:
                raise _bad_column("features", None, path, f"no feature arrays: it holds only {_listed(members)}")
        else:
            features = [member("features", key) for key in features]
        _distinct(path, lambda name: f"array {name!r}", target, weights, features)
        y = _member_array(path, archive, target, mmap)
        w = None if weights is None else _member_array(path, archive, weights, mmap)
        for role, name, array in (("target", target, y), ("weights", weights, w)):
            if array is not None:
                _numeric(path, f"array {name!r}", array.dtype, role, name)
                if array.ndim != 1:
                    raise _bad_column(role, name, path, f"array {name!r} must be 1-D (one value a point), "
                                                        f"not shape {array.shape}")
        n = y.shape[0]
        if w is not None and w.shape[0] != n:
            raise _bad_column("weights", weights, path, f"array {weights!r} holds {w.shape[0]} weights, "
                                                        f"{target!r} {n} targets")
        parts, shapes = [], {}
        for name in features:  # headers first: types and shapes before any data is read
            info = archive.getinfo(name + ".npy")
            with archive.open(info) as handle:
                version = np.lib.format.read_magic(handle)
                reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                shape, _, member_dtype = reader(handle)
            _numeric(path, f"array {name!r}", member_dtype, "features", name)
            if len(shape) not in (1, 2) or shape[0] != n:
                raise _bad_column("features", name, path, f"array {name!r} must hold one row a point ({n} rows, "
                                                          f"1-D or 2-D), not shape {shape}")
            shapes[name] = (shape, member_dtype)
        for name in features:
            shape = shapes[name][0]
            parts += [(name, None)] if len(shape) == 1 else [(name, j) for j in range(shape[1])]
        if len(features) == 1:
            X = _as(_member_array(path, archive, features[0], mmap), dtype)
        else:
            X = np.empty((n, len(parts)), dtype=dtype or _data_dtype(*(dt for _, dt in shapes.values())))
            column = 0
            for name in features:  # one member at a time: it is released once copied
                array = _member_array(path, archive, name, mmap)
                width = 1 if array.ndim == 1 else array.shape[1]
                X[:, column:column + width] = array.reshape(n, width)
                column += width
                del array
        named = all(j is None for _, j in parts)

    def column_of(argument, column):
        if argument == "X":
            name, j = parts[0 if column is None else column]
            return f"{path}, array {name!r}" + ("" if j is None else f", column {j}"), name
        name = target if argument == "y" else weights
        return f"{path}, array {name!r}", name

    return _dataset(path, X, _as(y, dtype), None if w is None else _as(w, dtype),
                    feature_names=[name for name, _ in parts] if named else None, target_name=target,
                    column_of=column_of, row_text=lambda row: f"row {row}")


def _data_dtype(*dtypes):
    """The Dataset's dtype rule (fastoptim.data.data_dtype) for feature columns of ``dtypes``."""
    from .data import data_dtype

    return data_dtype(*dtypes)


# --- pyarrow: CSV, TSV, Parquet --------------------------------------------------------------

def _pyarrow(path, module):
    """``pyarrow`` and its submodule ``module``, or an ImportError naming the extra."""
    import importlib

    try:
        return importlib.import_module("pyarrow"), importlib.import_module(f"pyarrow.{module}")
    except ImportError as error:
        raise ImportError(f"reading {path} needs pyarrow, fastoptim's optional extra 'files': {FILES_EXTRA}") from error


def _from_columns(path, n, column, chosen, *, dtype, feature_dtype, row_text, pool):
    """The data set from pyarrow columns: ``column(k)`` gives the ChunkedArray of
    ``chosen.selected[k]`` (the features, the target, the weights, in that order), each checked
    for missing values and copied into ``X``, ``y``, ``weights``, then released; at the end the
    memory they held is handed back to the system (``pool.release_unused()``: pyarrow's
    allocator keeps freed memory for itself, and numpy allocates elsewhere)."""
    if n == 0:
        raise _bad_file(path, "no data rows" + (" after the header" if _ending(path) in _DELIMITERS else ""))
    names, d = chosen.names, len(chosen.features)
    X = np.empty((n,) if d == 1 else (n, d), dtype=dtype or feature_dtype)
    arrays = []
    for k, position in enumerate(chosen.selected):
        values = column(k)
        if values.null_count:
            from .data import DataValueError

            row, role = _first_null(values), ("features" if k < d else "target" if k == d else "weights")
            raise DataValueError(role, f"Invalid {role}: a missing value ({path}, column {names[position]!r}, "
                                       f"{row_text(row)}: must be a number)", row=row, column=names[position],
                                 requirement="must be a number")
        if k < d:
            out = X if d == 1 else X[:, k]
        else:
            out = np.empty(n, dtype=dtype or values.type.to_pandas_dtype())
            arrays.append(out)
        offset = 0
        for chunk in values.chunks:
            out[offset:offset + len(chunk)] = chunk.to_numpy(zero_copy_only=False)
            offset += len(chunk)
        del values, chunk
    pool.release_unused()
    y, w = arrays[0], arrays[1] if len(arrays) > 1 else None

    def column_of(argument, column):
        j = {"X": chosen.features[0 if column is None else column], "y": chosen.target,
             "weights": chosen.weights}[argument]
        return f"{path}, column {names[j]!r}", names[j]

    return _dataset(path, X, y, w, feature_names=[names[j] for j in chosen.features],
                    target_name=names[chosen.target], column_of=column_of, row_text=row_text)


def _first_null(column):
    offset = 0
    for chunk in column.chunks:
        if chunk.null_count:
            return offset + int(np.argmax(chunk.is_null().to_numpy(zero_copy_only=False)))
        offset += len(chunk)
    return None


def _load_parquet(path, *, target, features, weights, dtype, mmap):
    pa, pq = _pyarrow(path, "parquet")
    try:
        parquet = pq.ParquetFile(path)  # read, not mapped: a map's pages would count beside the decoded columns
        schema = parquet.schema_arrow
    except (pa.ArrowException, OSError) as error:
        raise _bad_file(path, f"cannot read as Parquet: {str(error).splitlines()[0]}") from None
    with parquet:
        chosen = _Columns(path, schema.names, target, features, weights)
        feature_dtypes = []
        for position in chosen.selected:
            field = schema.field(position)
            kind = field.type
            role = ("features" if position in chosen.features else "target" if position == chosen.target
                    else "weights")
            if pa.types.is_temporal(kind):
                raise _bad_column(role, field.name, path, f"column {field.name!r} holds dates or times ({kind}), "
                                                          f"not numbers", TypeError)
            if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)):
                raise _bad_column(role, field.name, path, f"column {field.name!r} is not numeric: {kind}", TypeError)
            if position in chosen.features:
                feature_dtypes.append(np.dtype(kind.to_pandas_dtype()))

        def column(k):  # one column at a time: only it is held beside the arrays being filled
            try:
                return parquet.read(columns=[chosen.names[chosen.selected[k]]], use_threads=True).column(0)
            except (pa.ArrowException, OSError) as error:
                raise _bad_file(path, f"cannot read as Parquet: {str(error).splitlines()[0]}") from None

        return _from_columns(path, parquet.metadata.num_rows, column, chosen, dtype=dtype,
                             feature_dtype=_data_dtype(*feature_dtypes), row_text=lambda row: f"row {row}",
                             pool=pa.default_memory_pool())


def _csv_records(path, delimiter):
    """The file's non-blank records, each with the line it starts on, by Python's csv module
    (for the header and for finding the line of an error, never for the data itself)."""
    import csv

    with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        end = 0
        for record in reader:
            start, end = end + 1, reader.line_num
            if record:
                yield record, start


def _csv_line(path, delimiter, row):
    """``line L`` of data row ``row`` (0-based, after the header), as the file numbers it."""
    for index, (_, line) in enumerate(_csv_records(path, delimiter)):
        if index == row + 1:
            return f"line {line}"
    return f"data row {row + 1}"


_PARSE_ERROR = re.compile(r"Expected (\d+) columns, got (\d+)")
_CONVERSION_ERROR = re.compile(r"In CSV column #(\d+): CSV conversion error to \w+: invalid value '(.*)'$", re.S)


def _csv_error(path, delimiter, names, chosen, error):
    """pyarrow's error on a CSV/TSV file as one line naming the file, the column, the line."""
    from .data import DataValueError

    text = str(error)
    ragged = _PARSE_ERROR.search(text)
    if ragged:
        expected = len(names)
        for record, line in _csv_records(path, delimiter):
            if len(record) != expected:
                return _bad_file(path, f"ragged rows: line {line} has {len(record)} fields, the header {expected}")
        return _bad_file(path, f"ragged rows: a row has {ragged.group(2)} fields, the header {ragged.group(1)}")
    bad = _CONVERSION_ERROR.search(text)
    if bad:
        column, value = int(bad.group(1)), bad.group(2)
        name = names[column] if column < len(names) else f"#{column}"
        role = "target" if column == chosen.target else "weights" if column == chosen.weights else "features"
        records = _csv_records(path, delimiter)
        next(records, None)
        for row, (record, line) in enumerate(records):
            if column < len(record) and record[column] == value:
                return DataValueError(role, f"Invalid {role}: {value!r} ({path}, column {name!r}, line {line}: "
                                            f"must be a number)", row=row, column=name, value=value,
                                      requirement="must be a number")
        return DataValueError(role, f"Invalid {role}: {value!r} ({path}, column {name!r}: must be a number)",
                              column=name, value=value, requirement="must be a number")
    return _bad_file(path, f"cannot read as {'TSV' if delimiter == chr(9) else 'CSV'}: {text.splitlines()[0]}")


def _load_text(path, *, target, features, weights, dtype, mmap):
    pa, csv = _pyarrow(path, "csv")
    delimiter = _DELIMITERS[_ending(path)]
    try:
        header = next(_csv_records(path, delimiter), None)
    except OSError as error:
        raise _bad_file(path, f"cannot read: {error.strerror or error}") from None
    if header is None:
        raise _bad_file(path, "the file is empty: no header row")
    names = header[0]
    chosen = _Columns(path, names, target, features, weights)
    selected = [names[j] for j in chosen.selected]
    float_type = pa.float32() if dtype == np.float32 else pa.float64()
    try:
        table = csv.read_csv(
            path, parse_options=csv.ParseOptions(delimiter=delimiter),
            convert_options=csv.ConvertOptions(include_columns=selected,
                                               column_types={name: float_type for name in selected}))
    except pa.ArrowInvalid as error:
        raise _csv_error(path, delimiter, names, chosen, error) from None
    except OSError as error:
        raise _bad_file(path, f"cannot read: {str(error).splitlines()[0]}") from None
    n, columns = table.num_rows, table.columns
    del table
    pool = pa.default_memory_pool()
    pool.release_unused()  # the parser's buffers

    def column(k):  # hand over the last reference: the column is released once copied
        values, columns[k] = columns[k], None
        return values

    return _from_columns(path, n, column, chosen, dtype=dtype, feature_dtype=np.dtype(dtype or np.float64),
                         row_text=lambda row: _csv_line(path, delimiter, row), pool=pool)
