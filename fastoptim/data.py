"""Data sets: the lecture's (SPEC §7: the two points, sparse features, large synthetic sets) and
the user's own (:class:`Dataset` from arrays, :func:`load` from a file).

Importing this module costs numpy only: :func:`load` imports pyarrow when it reads a CSV, TSV
or Parquet file, never before.
"""
import sys
from dataclasses import KW_ONLY, dataclass

import numpy as np

from . import _checks
from .loading import load

__all__ = ["DataValueError", "Dataset", "data_dtype", "load", "sparse", "synthetic", "two_points"]

#: Points generated per chunk by ``synthetic`` (bounds its temporary memory; part of the seed's
#: meaning, so changing it changes the data a seed gives).
SYNTHETIC_CHUNK = 1 << 20

#: Losses whose label range :meth:`Dataset.check_labels` knows (SPEC §1, §9).
LOSSES = ("squared", "log")

#: Element types every value of which float32 represents exactly: ``X`` of one of these makes a
#: float32 data set (the dtype rule, :func:`data_dtype`).
FLOAT32_EXACT = frozenset(np.dtype(t) for t in (
    np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.float16, np.float32))

#: Bytes of data the finiteness check reads per block (bounds its temporaries).
_CHECK_BLOCK_BYTES = 1 << 22


def data_dtype(*dtypes):
    """The float dtype of a data set whose features have element types ``dtypes`` (the rule).

    float32 when every one is in :data:`FLOAT32_EXACT` (float32, float16, bool, integers of at
    most 16 bits: float32 holds each of their values exactly), float64 otherwise (float64,
    wider integers, ``longdouble``). Several feature columns (a CSV, a Parquet file, several
    ``.npz`` members) take the widest.
    """
    return np.dtype(np.float32) if all(np.dtype(t) in FLOAT32_EXACT for t in dtypes) else np.dtype(np.float64)


class DataValueError(_checks.InvalidValue):
    """A bad value in ``X``, ``y`` or ``weights``: the package's ``InvalidValue`` (a
    ``ValueError`` whose ``argument`` names the argument, ``"X"``, ``"y"`` or ``"weights"``),
    that also says where, so that :func:`load` can name the file's column and row: ``row`` and
    ``column`` (``None`` for a 1-D array) locate ``value``; ``requirement`` is what the value
    fails (``"must be finite"``) and ``detail`` what the message says after it (``": all 6 are
    0"``). ``row`` is ``None`` for a problem of the whole array."""

    def __init__(self, argument, message, *, row=None, column=None, value=None, requirement="", detail=""):
        super().__init__(argument, message)
        self.row, self.column, self.value, self.requirement, self.detail = row, column, value, requirement, detail


def _real_array(name, value):
    """``value`` as an ndarray of booleans, integers or floats, not yet converted; a
    ``TypeError`` naming ``name`` for masked arrays, dates and times, complex, strings, objects."""
    masked = sys.modules.get("numpy.ma")  # loaded by whoever made a masked array
    if masked is not None and isinstance(value, masked.MaskedArray):
        raise _checks.wrong_type(name, value, "a masked array (numpy.ma), whose mask fastoptim would ignore: "
                                              f"drop or fill the masked points first ({name}.filled(...) or a selection)")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:  # ragged lists and the like
        raise _checks.wrong_type(name, value, "must be a numeric array") from error
    kind = array.dtype.kind
    if kind in "mM":
        raise _checks.wrong_type(name, array, f"holds dates or times, not numbers: convert them first, e.g. "
                                              f"{name} / np.timedelta64(1, 's') for durations in seconds")
    if kind not in "biuf":
        raise _checks.wrong_type(name, array if kind == "c" else value,
                                 f"must hold real numbers, not dtype {array.dtype}")
    return array


def _converted(array, dtype):
    """``array`` as a C-contiguous array of ``dtype``: the array itself when it already is one
    (no copy), else one copy that converts and lays out at once."""
    if array.dtype == dtype and array.flags.c_contiguous:
        return array
    with np.errstate(over="ignore"):  # a float64 value beyond float32's range becomes inf: _finite says so
        return np.ascontiguousarray(array, dtype=dtype)


def _first_non_finite(array):
    """The index (a tuple) of the first NaN or inf in ``array``, or ``None``.

    Reads ``array`` in blocks of rows: a block whose sum is finite holds no NaN or inf (either
    would make the sum NaN or inf), so the exact test runs only on blocks that fail the sum (a
    NaN, an inf, or finite values whose sum overflows); no temporary larger than a block.
    """
    if array.size == 0:
        return None
    row_bytes = max(1, array[0].nbytes if array.ndim > 1 else array.itemsize)
    block = max(1, _CHECK_BLOCK_BYTES // row_bytes)
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, array.shape[0], block):
            part = array[start:start + block]
            if np.isfinite(part.sum()):
                continue
            bad = ~np.isfinite(part)
            if bad.any():
                index = np.unravel_index(np.argmax(bad), part.shape)
                return (start + int(index[0]),) + tuple(int(i) for i in index[1:])
    return None


def _finite(argument, array, *, original=None, name=None, column_names=None):
    """Raise :class:`DataValueError` naming the argument and where if ``array`` holds NaN or
    inf; ``original`` (the array before a conversion to the data's dtype, the value described
    in the message) tells a value beyond float32's range from a NaN or inf; ``name`` (the
    target's) and ``column_names`` (the features') are said beside the index."""
    index = _first_non_finite(array)
    if index is None:
        return
    row, column = index[0], (index[1] if len(index) > 1 else None)
    where = f"index {row}" if column is None else f"index {index}"
    if column is not None and column_names is not None:
        where += f", feature {column_names[column]!r}"
    if name is not None:
        where += f", target {name!r}"
    given = array if original is None else original
    if original is not None and np.isfinite(original[index]):
        value = original[index].item()
        requirement = f"must be finite in {array.dtype}, the data's dtype"
        detail = f": holds {value!r} at {where}, beyond its range"
    else:
        value, requirement = array[index].item(), "must be finite"
        detail = f", holds {value} at {where}"
    raise DataValueError(argument, _message(argument, given, requirement + detail), row=row, column=column,
                         value=value, requirement=requirement, detail=detail)


def _message(name, value, requirement):
    """The package's message shape, ``Invalid {name}: {value} ({requirement})``."""
    return str(_checks.invalid(name, value, requirement))


def _names(name, value, count):
    """``value`` (a sequence of ``count`` distinct strings, or None) as a tuple."""
    if value is None:
        return None
    if isinstance(value, str) or not hasattr(value, "__len__"):
        raise _checks.wrong_type(name, value, "must be a sequence of strings")
    names = tuple(value)
    if not all(isinstance(item, str) for item in names):
        raise _checks.wrong_type(name, value, "must hold strings")
    if len(names) != count:
        raise _checks.invalid(name, value, f"must name each of the d = {count} features, not {len(names)}")
    if len(set(names)) != len(names):
        twice = next(item for item in names if names.count(item) > 1)
        raise _checks.invalid(name, value, f"must be distinct, holds {twice!r} twice")
    return tuple(str(item) for item in names)


def _frame_names(value):
    """Column names of a data frame (anything with ``columns``, not an ndarray), else None."""
    if isinstance(value, np.ndarray):
        return None
    columns = getattr(value, "columns", None)
    return None if columns is None else [str(column) for column in columns]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Inputs ``X`` (shape ``(N,)`` or ``(N, d)``), targets ``y`` (shape ``(N,)``) and optional
    per-point sample weights (shape ``(N,)``, SPEC §9), checked once, here.

    **The dtype rule.** A data set has one float dtype, float32 or float64, and ``X`` decides
    it: float32 when ``X`` is float32, or of a type whose every value float32 holds exactly
    (float16, bool, integers of at most 16 bits); float64 otherwise (float64, wider integers).
    ``y`` and ``weights`` are converted to that dtype, never the other way round: they hold one
    value per point, ``X`` holds ``d``, so a float32 ``X`` (say a 10^8-point memory map) is
    never widened because ``y`` is float64. A float64 ``y`` is rounded to float32 then; a value
    beyond float32's range is an error. Booleans are numbers here (``False``/``True`` = 0/1:
    labels for the log loss, indicator features). Refused with a ``TypeError`` naming the
    argument: dates and times (``datetime64``, ``timedelta64``), complex numbers, strings and
    objects, and masked arrays (``numpy.ma``; their mask would be ignored).

    **Checks** (``ValueError`` naming the argument and the index): ``N >= 1``, ``d >= 1``,
    ``len(y) == N``, every value finite; ``weights`` 1-D of length ``N``, ``>= 0``, not all
    zero. ``feature_names`` (``d`` distinct strings) and ``target_name`` are kept for messages
    and reports; a data frame's column names are taken when ``feature_names`` is not given.

    **Views, not copies.** ``X``, ``y`` and ``weights`` are stored as read-only views of the
    arrays given, never copied when they already are C-contiguous arrays of the data's dtype
    (other layouts and dtypes are converted once, into a new array). The caller's own array
    stays writable, and writing into it afterwards changes the data set behind its checks:
    ``X[0] = np.nan`` after ``Dataset(X, y)`` is not caught here (a non-finite loss is what
    shows it). Pass ``X.copy()`` to keep a snapshot.
    """

    X: np.ndarray
    y: np.ndarray
    weights: np.ndarray | None = None
    _: KW_ONLY
    feature_names: tuple | None = None
    target_name: str | None = None

    def __post_init__(self):
        frame_names = _frame_names(self.X)
        target_name = self.target_name
        if target_name is None and not isinstance(self.y, np.ndarray) and isinstance(getattr(self.y, "name", None), str):
            target_name = self.y.name  # a pandas Series' name
        if target_name is not None and not isinstance(target_name, str):
            raise _checks.wrong_type("target_name", target_name, "must be a string or None")
        X = _real_array("X", self.X)
        y = _real_array("y", self.y)
        if X.ndim not in (1, 2):
            raise _checks.invalid("X", X, "must have 1 or 2 dimension(s)")
        if y.ndim != 1:
            hint = ": pass y.ravel()" if y.ndim == 2 and y.shape[1] == 1 else ""
            raise _checks.invalid("y", y, f"must have 1 dimension(s){hint}")
        if X.shape[0] == 0:
            raise _checks.invalid("X", X, "must hold at least one point")
        if X.ndim == 2 and X.shape[1] == 0:
            raise _checks.invalid("X", X, "must have at least one feature")
        if y.shape[0] != X.shape[0]:
            raise _checks.invalid("y", y, f"must have one target per point of X: X has {X.shape[0]}, "
                                          f"y has {y.shape[0]}")
        d = 1 if X.ndim == 1 else X.shape[1]
        feature_names = _names("feature_names", self.feature_names if self.feature_names is not None else frame_names, d)
        dtype = data_dtype(X.dtype)
        arrays = {"X": _converted(X, dtype), "y": _converted(y, dtype)}
        _finite("X", arrays["X"], original=X if X.dtype != dtype else None, column_names=feature_names)
        _finite("y", arrays["y"], original=y if y.dtype != dtype else None, name=target_name)
        if self.weights is not None:
            weights = _real_array("weights", self.weights)
            if weights.ndim != 1:
                raise _checks.invalid("weights", weights, "must have 1 dimension(s)")
            if weights.shape[0] != X.shape[0]:
                raise _checks.invalid("weights", weights, f"must have one weight per point of X: X has "
                                                          f"{X.shape[0]}, weights has {weights.shape[0]}")
            arrays["weights"] = converted = _converted(weights, dtype)
            _finite("weights", converted, original=weights if weights.dtype != dtype else None)
            _check_weights(converted, weights)
        for name, array in arrays.items():
            view = array.view()
            view.flags.writeable = False
            object.__setattr__(self, name, view)
        object.__setattr__(self, "feature_names", feature_names)
        object.__setattr__(self, "target_name", target_name)

    @property
    def n(self):
        """Number of points ``N``."""
        return self.X.shape[0]

    @property
    def d(self):
        """Number of features ``d`` (1 for ``X`` of shape ``(N,)``)."""
        return 1 if self.X.ndim == 1 else self.X.shape[1]

    @property
    def dtype(self):
        """The data's float dtype (``X``'s, and so ``y``'s and the weights')."""
        return self.X.dtype

    def check_labels(self, loss, name="data"):
        """Check that ``y`` suits ``loss`` and return ``self``: any finite ``y`` for
        ``"squared"`` (SPEC §1), ``y`` in ``[0, 1]`` for ``"log"`` (SPEC §9: the cross-entropy
        of a probability). Otherwise a ``ValueError`` whose ``argument`` is ``loss``, naming
        the first point outside as ``{name}.y[i]`` (``name``: the data set's argument), the
        message of ``train`` and ``fastoptim.model``."""
        loss = _checks.choice("loss", loss, LOSSES)
        if loss == "log":
            y = self.y
            if y.min() < 0 or y.max() > 1:
                index = int(np.argmax((y < 0) | (y > 1)))
                raise _checks.invalid("loss", loss, f"the log loss needs targets in [0, 1]; {name}.y[{index}] = "
                                                    f"{float(y[index])!r}")
        return self

    def split(self, validation_fraction, seed=0):
        """Split into ``(train, validation)`` by a permutation from ``default_rng(seed)``.

        The validation part has ``round(validation_fraction * N)`` points; both parts must be
        non-empty (and, with weights, have a weight above zero). Each part keeps its points'
        weights, the feature names and the target name; its arrays are new (``X[indices]``).
        """
        fraction = _checks.real("validation_fraction", validation_fraction)
        if not 0.0 < fraction < 1.0:
            raise _checks.invalid("validation_fraction", fraction, "must be in (0, 1)")
        n_validation = int(round(fraction * self.n))
        if not 0 < n_validation < self.n:
            raise _checks.invalid("validation_fraction", fraction,
                                  f"leaves an empty part of a data set of {self.n} points")
        order = np.random.default_rng(seed).permutation(self.n)
        parts = []
        for label, indices in (("training", np.sort(order[n_validation:])), ("validation", np.sort(order[:n_validation]))):
            weights = None if self.weights is None else self.weights[indices]
            if weights is not None and not weights.any():
                raise _checks.invalid("validation_fraction", fraction, f"with seed={seed}, leaves the {label} part "
                                                                       f"with every weight zero")
            parts.append(Dataset(self.X[indices], self.y[indices], weights,
                                 feature_names=self.feature_names, target_name=self.target_name))
        return tuple(parts)

    def __repr__(self):
        extra = ", weighted" if self.weights is not None else ""
        if self.feature_names is not None:
            shown = ", ".join(map(repr, self.feature_names[:5])) + (", …" if self.d > 5 else "")
            extra += f", features=[{shown}]"
        if self.target_name is not None:
            extra += f", target={self.target_name!r}"
        return f"Dataset(n={self.n}, d={self.d}, dtype={self.dtype}{extra})"


def _check_weights(weights, original):
    """Weights ``>= 0`` and not all zero (finiteness is checked before); ``original``: the
    weights as given, described in the message."""
    if weights.min() < 0:
        index = int(np.argmax(weights < 0))
        value = original[index].item()
        detail = f", holds {value} at index {index}"
        raise DataValueError("weights", _message("weights", original, "must be >= 0" + detail),
                             row=index, value=value, requirement="must be >= 0", detail=detail)
    if not weights.any():
        if original.any():  # non-zero weights too small for the data's dtype
            requirement = f"must not all be zero in {weights.dtype}, the data's dtype"
            detail = f"the largest, {np.max(original).item()!r}, rounds to 0"
        else:
            requirement, detail = "must not all be zero", f"all {weights.shape[0]} are 0"
        raise DataValueError("weights", _message("weights", original, f"{requirement}: {detail}"),
                             requirement=requirement, detail=f": {detail}")


def two_points():
    """The lecture's toy: ``X = [0.5, 2.5]``, ``y = [0.2, 0.9]`` (lecture module 5.1)."""
    return Dataset(np.array([0.5, 2.5]), np.array([0.2, 0.9]))


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sparse(n=500, zero_fraction=0.8, seed=0):
    """Sparse feature (lecture 5.9): ``x ~ U(-2, 2)`` with about ``zero_fraction`` of the
    points set to 0, ``y = σ(2x − 1)``. The bias sees every point, the weight only the rare
    non-zero ones: the setting where AdaGrad's per-parameter rates help."""
    n = _checks.positive_int("n", n)
    zero_fraction = _checks.real("zero_fraction", zero_fraction)
    if not 0.0 <= zero_fraction < 1.0:
        raise _checks.invalid("zero_fraction", zero_fraction, "must be in [0, 1)")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, n)
    x[rng.random(n) < zero_fraction] = 0.0
    return Dataset(x, _sigmoid(2.0 * x - 1.0))


def synthetic(n, w=2.0, b=-1.0, noise=0.05, d=1, seed=0, dtype=np.float64):
    """``y = σ(w·x + b) + noise·N(0, 1)`` with ``x ~ N(0, 1)``, for large-N experiments.

    ``w`` is a number (used for every feature) or a sequence of ``d`` numbers. ``X`` has shape
    ``(n,)`` for ``d = 1`` and ``(n, d)`` otherwise. Generated in chunks of
    ``SYNTHETIC_CHUNK`` points straight into the output arrays, so 10^8 points need only the
    arrays themselves plus a few chunk-sized temporaries.
    """
    n = _checks.positive_int("n", n)
    d = _checks.positive_int("d", d)
    given = dtype
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise _checks.wrong_type("dtype", given, "must be float32 or float64") from None
    if dtype not in _checks.FLOAT_DTYPES:
        raise _checks.wrong_type("dtype", dtype, "must be float32 or float64")
    given = w
    w = np.broadcast_to(np.asarray(w, dtype=np.float64), (d,)) if np.ndim(w) == 0 else np.asarray(w, dtype=np.float64)
    if w.shape != (d,):
        raise _checks.invalid("w", given, f"must be a number or have length d = {d}")
    b = _checks.real("b", b)
    noise = _checks.real("noise", noise)
    if noise < 0:
        raise _checks.invalid("noise", noise, "must be >= 0")
    rng = np.random.default_rng(seed)
    X = np.empty((n,) if d == 1 else (n, d), dtype=dtype)
    y = np.empty(n, dtype=dtype)
    for start in range(0, n, SYNTHETIC_CHUNK):
        stop = min(n, start + SYNTHETIC_CHUNK)
        x = rng.standard_normal((stop - start, d))
        X[start:stop] = x[:, 0] if d == 1 else x
        y[start:stop] = _sigmoid(x @ w + b) + noise * rng.standard_normal(stop - start)
    return Dataset(X, y)
