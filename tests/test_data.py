"""Built-in data sets (SPEC §7) and Dataset.split."""
import numpy as np
import pytest

import fastoptim as fo


def test_two_points_are_the_lectures():
    data = fo.data.two_points()
    assert data.X.tolist() == [0.5, 2.5] and data.y.tolist() == [0.2, 0.9]
    assert (data.n, data.d) == (2, 1)


def test_sparse_has_the_requested_fraction_of_zeros():
    data = fo.data.sparse(n=20_000, zero_fraction=0.8, seed=1)
    assert abs(np.mean(data.X == 0) - 0.8) < 0.02
    assert np.array_equal(data.X, fo.data.sparse(n=20_000, zero_fraction=0.8, seed=1).X)
    assert fo.data.sparse().n == 500


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [1, 3])
def test_synthetic_shapes_dtypes_and_seeds(d, dtype):
    data = fo.data.synthetic(1000, d=d, dtype=dtype, seed=7)
    assert data.X.shape == ((1000,) if d == 1 else (1000, d)) and data.X.dtype == dtype and data.y.dtype == dtype
    again = fo.data.synthetic(1000, d=d, dtype=dtype, seed=7)
    assert np.array_equal(data.X, again.X) and np.array_equal(data.y, again.y)
    assert not np.array_equal(data.y, fo.data.synthetic(1000, d=d, dtype=dtype, seed=8).y)


def test_synthetic_is_the_model_plus_noise_in_every_chunk():
    n = fo.data.SYNTHETIC_CHUNK + 200_000
    data = fo.data.synthetic(n, w=1.5, b=-0.5, noise=0.05, seed=0)
    residual = data.y - fo.reference.model.f(data.X, [1.5, -0.5])
    for part in (residual[:200_000], residual[-200_000:]):
        assert abs(part.mean()) < 1e-3 and abs(part.std() - 0.05) < 1e-3


def test_dataset_arrays_are_read_only_views():
    X = np.linspace(0, 1, 10)
    data = fo.Dataset(X, X.copy())
    assert np.shares_memory(data.X, X)
    with pytest.raises(ValueError):
        data.X[0] = 5.0
    X[0] = 0.5  # the caller's own array stays writable


def test_split_sizes_disjoint_and_seeded():
    data = fo.data.synthetic(1000, seed=0)
    train, validation = data.split(0.2, seed=1)
    assert (train.n, validation.n) == (800, 200)
    joined = np.sort(np.concatenate([train.X, validation.X]))
    assert np.array_equal(joined, np.sort(data.X))
    assert np.array_equal(validation.X, data.split(0.2, seed=1)[1].X)


@pytest.mark.parametrize("fraction, size", [(0.27, 3), (0.34, 3), (0.36, 4), (0.51, 5), (0.59, 6)])
def test_split_rounds_the_validation_size(fraction, size):
    """round(fraction · N) points, not the truncation: 0.27 of 10 points is 3, 0.59 is 6."""
    train, validation = fo.data.synthetic(10, seed=0).split(fraction, seed=1)
    assert (train.n, validation.n) == (10 - size, size)


# --- Dataset: the dtype rule, weights, names, refusals, labels --------------------------------

N = 6
F64 = np.linspace(-1.0, 1.0, N)
Y = np.linspace(0.0, 1.0, N)

# (X's dtype, y's dtype) -> the data's dtype: X decides (data_dtype), y follows it.
DTYPE_RULE = [
    (np.float32, np.float64, np.float32),
    (np.float64, np.float32, np.float64),
    (np.float16, np.float64, np.float32),
    (np.int8, np.float64, np.float32),
    (np.uint8, np.float32, np.float32),
    (np.int16, np.int64, np.float32),
    (np.uint16, np.float64, np.float32),
    (np.int32, np.float32, np.float64),
    (np.int64, np.float32, np.float64),
    (np.uint64, np.int8, np.float64),
    (np.bool_, np.bool_, np.float32),
    (np.longdouble, np.float64, np.float64),
]


@pytest.mark.parametrize("x_dtype, y_dtype, expected", DTYPE_RULE,
                         ids=[f"{np.dtype(x)}-{np.dtype(y)}" for x, y, _ in DTYPE_RULE])
def test_dtype_rule_x_decides_and_y_follows(x_dtype, y_dtype, expected):
    X = (np.arange(N) % 2).astype(x_dtype)
    y = (np.arange(N) % 2).astype(y_dtype)
    data = fo.Dataset(X, y, weights=np.ones(N, dtype=np.float64))
    assert data.dtype == expected and data.y.dtype == expected and data.weights.dtype == expected
    assert fo.data.data_dtype(x_dtype) == expected
    assert np.array_equal(data.X, X.astype(np.float64)) and np.array_equal(data.y, y.astype(np.float64))
    assert data.X.flags.c_contiguous and not data.X.flags.writeable


def test_lists_of_numbers_are_float64():
    assert fo.Dataset([1, 2, 3], [0.5, 0.25, 1]).dtype == np.float64


def test_columns_of_mixed_types_take_the_widest():
    assert fo.data.data_dtype(np.float32, np.int16, np.bool_) == np.float32
    assert fo.data.data_dtype(np.float32, np.int32) == np.float64
    assert fo.data.data_dtype(np.float32, np.float64) == np.float64


def test_a_float32_memory_map_is_not_copied_or_widened_by_a_float64_y(tmp_path):
    X = np.memmap(tmp_path / "X.f32", dtype=np.float32, mode="w+", shape=(1000, 3))
    X[:] = np.arange(3000, dtype=np.float32).reshape(1000, 3) / 3000
    y = np.linspace(0, 1, 1000)  # float64
    data = fo.Dataset(X, y)
    assert data.dtype == np.float32 and np.shares_memory(data.X, X)
    assert data.y.dtype == np.float32 and np.array_equal(data.y, y.astype(np.float32))


def test_contiguous_arrays_of_the_datas_dtype_are_views_others_one_copy():
    X, y, w = np.ones((N, 2)), Y.copy(), np.ones(N)
    data = fo.Dataset(X, y, w)
    assert np.shares_memory(data.X, X) and np.shares_memory(data.y, y) and np.shares_memory(data.weights, w)
    strided = np.ones((N, 4))[:, ::2]
    converted = fo.Dataset(strided, Y.astype(np.float32), w.astype(np.float32))
    assert converted.X.flags.c_contiguous and not np.shares_memory(converted.X, strided)
    for array in (data.X, data.y, data.weights, converted.X, converted.y, converted.weights):
        assert not array.flags.writeable
    assert X.flags.writeable and w.flags.writeable  # the caller's arrays stay writable


def test_a_dataset_keeps_a_view_so_later_writes_bypass_its_checks():
    """Documented (issue 12 item 14): the check runs once, at construction; writing into the
    caller's array afterwards changes the data set."""
    X = F64.copy()
    data = fo.Dataset(X, Y)
    X[0] = np.nan
    assert np.isnan(data.X[0])
    assert "keeps a view" in fo.Dataset.__doc__ or "writing into it afterwards" in fo.Dataset.__doc__


def test_y_beyond_float32s_range_is_an_error_not_an_inf():
    y = Y.copy()
    y[3] = 1e300
    with pytest.raises(ValueError) as caught:
        fo.Dataset(F64.astype(np.float32), y)
    assert str(caught.value) == ("Invalid y: array(shape=(6,), dtype=float64) (must be finite in float32, the data's "
                                 "dtype: holds 1e+300 at index 3, beyond its range)")
    assert caught.value.requirement == "must be finite in float32, the data's dtype" and caught.value.value == 1e300


def bad_dataset(**changes):
    arguments = dict(X=F64, y=Y)
    arguments.update(changes)
    return lambda: fo.Dataset(**arguments)


MASKED = np.ma.masked_array(F64, mask=[False, True] + [False] * (N - 2))
WITH_NAN = F64.copy()
WITH_NAN[4] = np.nan

ARRAY6 = "array(shape=(6,), dtype=float64)"
DATES = "holds dates or times, not numbers: convert them first, e.g. {} / np.timedelta64(1, 's') for durations in seconds"
MASKED_TEXT = ("a masked array (numpy.ma), whose mask fastoptim would ignore: drop or fill the masked points first "
               "({}.filled(...) or a selection)")

# (id, call, error, the whole message): the package's shape, Invalid {name}: {value} ({requirement})
BAD_DATASETS = [
    ("datetime64 X", bad_dataset(X=np.arange(N).astype("datetime64[s]")), TypeError,
     f"Invalid X: array(shape=(6,), dtype=datetime64[s]) ({DATES.format('X')})"),
    ("timedelta64 X", bad_dataset(X=np.arange(N).astype("timedelta64[ns]")), TypeError,
     f"Invalid X: array(shape=(6,), dtype=timedelta64[ns]) ({DATES.format('X')})"),
    ("timedelta64 y", bad_dataset(y=np.arange(N).astype("timedelta64[s]")), TypeError,
     f"Invalid y: array(shape=(6,), dtype=timedelta64[s]) ({DATES.format('y')})"),
    ("timedelta64 weights", bad_dataset(weights=np.arange(N).astype("timedelta64[s]")), TypeError,
     f"Invalid weights: array(shape=(6,), dtype=timedelta64[s]) ({DATES.format('weights')})"),
    ("masked X", bad_dataset(X=MASKED), TypeError, f"Invalid X: MaskedArray(shape=(6,), dtype=float64) ({MASKED_TEXT.format('X')})"),
    ("masked y", bad_dataset(y=np.ma.masked_array(Y, mask=np.zeros(N, bool))), TypeError,
     f"Invalid y: MaskedArray(shape=(6,), dtype=float64) ({MASKED_TEXT.format('y')})"),
    ("masked weights", bad_dataset(weights=np.ma.masked_array(np.ones(N))), TypeError,
     f"Invalid weights: MaskedArray(shape=(6,), dtype=float64) ({MASKED_TEXT.format('weights')})"),
    ("complex X", bad_dataset(X=F64.astype(complex)), TypeError,
     "Invalid X: array(shape=(6,), dtype=complex128) (must hold real numbers, not dtype complex128)"),
    ("object X", bad_dataset(X=np.array([1.0, "a"] * 3, dtype=object)), TypeError,
     "Invalid X: array(shape=(6,), dtype=object) (must hold real numbers, not dtype object)"),
    ("string y", bad_dataset(y=np.array(["a"] * N)), TypeError,
     "Invalid y: array(shape=(6,), dtype=<U1) (must hold real numbers, not dtype <U1)"),
    ("ragged X", bad_dataset(X=[[1.0], [1.0, 2.0]]), TypeError, "Invalid X: [[1.0], [1.0, 2.0]] (must be a numeric array)"),
    ("None X", bad_dataset(X=None), TypeError, "Invalid X: None (must hold real numbers, not dtype object)"),
    ("column-vector y", bad_dataset(y=Y[:, None]), ValueError,
     "Invalid y: array(shape=(6, 1), dtype=float64) (must have 1 dimension(s): pass y.ravel())"),
    ("weights 2-D", bad_dataset(weights=np.ones((N, 1))), ValueError,
     "Invalid weights: array(shape=(6, 1), dtype=float64) (must have 1 dimension(s))"),
    ("weights too short", bad_dataset(weights=np.ones(N - 1)), ValueError,
     "Invalid weights: array(shape=(5,), dtype=float64) (must have one weight per point of X: X has 6, weights has 5)"),
    ("weights NaN", bad_dataset(weights=WITH_NAN + 2), ValueError, f"Invalid weights: {ARRAY6} (must be finite, holds nan at index 4)"),
    ("weights inf", bad_dataset(weights=np.r_[np.ones(N - 1), np.inf]), ValueError,
     f"Invalid weights: {ARRAY6} (must be finite, holds inf at index 5)"),
    ("weights negative", bad_dataset(weights=np.r_[1.0, 1.0, -0.5, np.ones(N - 3)]), ValueError,
     f"Invalid weights: {ARRAY6} (must be >= 0, holds -0.5 at index 2)"),
    ("weights all zero", bad_dataset(weights=np.zeros(N)), ValueError, f"Invalid weights: {ARRAY6} (must not all be zero: all 6 are 0)"),
    ("weights round to zero in float32", bad_dataset(X=F64.astype(np.float32), weights=np.full(N, 1e-60)), ValueError,
     f"Invalid weights: {ARRAY6} (must not all be zero in float32, the data's dtype: the largest, 1e-60, rounds to 0)"),
    ("weights strings", bad_dataset(weights=["1"] * N), TypeError,
     "Invalid weights: ['1', '1', '1', '1', '1', '1'] (must hold real numbers, not dtype <U1)"),
    ("feature_names wrong length", bad_dataset(X=np.ones((N, 2)), feature_names=["a"]), ValueError,
     "Invalid feature_names: ['a'] (must name each of the d = 2 features, not 1)"),
    ("feature_names a string", bad_dataset(feature_names="x"), TypeError, "Invalid feature_names: 'x' (must be a sequence of strings)"),
    ("feature_names not strings", bad_dataset(X=np.ones((N, 2)), feature_names=["a", 2]), TypeError,
     "Invalid feature_names: ['a', 2] (must hold strings)"),
    ("feature_names twice", bad_dataset(X=np.ones((N, 2)), feature_names=["a", "a"]), ValueError,
     "Invalid feature_names: ['a', 'a'] (must be distinct, holds 'a' twice)"),
    ("target_name not a string", bad_dataset(target_name=3), TypeError, "Invalid target_name: 3 (must be a string or None)"),
    ("NaN X with names", bad_dataset(X=np.c_[F64, WITH_NAN], feature_names=["a", "b"]), ValueError,
     "Invalid X: array(shape=(6, 2), dtype=float64) (must be finite, holds nan at index (4, 1), feature 'b')"),
    ("NaN y with target name", bad_dataset(y=WITH_NAN, target_name="label"), ValueError,
     f"Invalid y: {ARRAY6} (must be finite, holds nan at index 4, target 'label')"),
]


@pytest.mark.parametrize("call, error, message", [case[1:] for case in BAD_DATASETS], ids=[case[0] for case in BAD_DATASETS])
def test_bad_dataset_raises_naming_the_argument(call, error, message):
    with pytest.raises(error) as caught:
        call()
    assert str(caught.value) == message
    assert caught.value.argument == message.split(":")[0].removeprefix("Invalid ")
    assert isinstance(caught.value, (fo._checks.InvalidValue, fo._checks.InvalidType))


def test_bad_values_say_where_they_are():
    with pytest.raises(fo.data.DataValueError) as caught:
        fo.Dataset(np.c_[F64, WITH_NAN], Y)
    error = caught.value
    assert (error.argument, error.row, error.column) == ("X", 4, 1) and np.isnan(error.value)
    assert error.requirement == "must be finite" and isinstance(error, fo._checks.InvalidValue)
    with pytest.raises(fo.data.DataValueError) as caught:
        fo.Dataset(F64, Y, np.r_[1.0, -2.0, np.ones(N - 2)])
    assert (caught.value.argument, caught.value.row, caught.value.value) == ("weights", 1, -2.0)
    assert caught.value.requirement == "must be >= 0"


def test_the_finite_check_reads_in_blocks_and_finds_the_first_bad_value(monkeypatch):
    monkeypatch.setattr(fo.data, "_CHECK_BLOCK_BYTES", 64)  # 8 float64 rows a block
    X = np.ones((1000, 1))
    X[[700, 900], 0] = [np.inf, np.nan]
    with pytest.raises(ValueError, match=r"^Invalid X: array\(shape=\(1000, 1\), dtype=float64\) \(must be finite, "
                                         r"holds inf at index \(700, 0\)\)$"):
        fo.Dataset(X, np.zeros(1000))
    huge = np.full(1000, 1e308)  # finite values whose block sums overflow: no error
    assert fo.Dataset(huge, np.zeros(1000)).n == 1000


def test_booleans_are_zero_and_one():
    data = fo.Dataset(np.array([True, False, True]), np.array([True, True, False]), np.array([True, False, True]))
    assert data.X.tolist() == [1, 0, 1] and data.y.tolist() == [1, 1, 0] and data.weights.tolist() == [1, 0, 1]


def test_weights_are_converted_to_the_datas_dtype_and_kept_as_given():
    w = np.arange(1, N + 1)
    data = fo.Dataset(F64.astype(np.float32), Y, w)
    assert data.weights.dtype == np.float32 and data.weights.tolist() == list(range(1, N + 1))
    assert fo.Dataset(F64, Y).weights is None


def test_names_are_kept_and_a_data_frames_are_taken():
    data = fo.Dataset(np.ones((N, 2)), Y, feature_names=["a", "b"], target_name="label")
    assert data.feature_names == ("a", "b") and data.target_name == "label"
    assert repr(data) == "Dataset(n=6, d=2, dtype=float64, features=['a', 'b'], target='label')"
    assert repr(fo.Dataset(F64, Y, np.ones(N))) == "Dataset(n=6, d=1, dtype=float64, weighted)"
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": F64, "b": F64.astype(np.float32)})
    data = fo.Dataset(frame, pd.Series(Y, name="label"))
    assert data.feature_names == ("a", "b") and data.target_name == "label" and data.dtype == np.float64


def test_split_carries_weights_and_names():
    X = np.arange(100.0)
    data = fo.Dataset(np.c_[X, -X], X / 100, 2 * X + 1, feature_names=["x", "minus x"], target_name="t")
    train, validation = data.split(0.3, seed=2)
    assert (train.n, validation.n) == (70, 30)
    for part in (train, validation):
        assert np.array_equal(part.weights, 2 * part.X[:, 0] + 1) and np.array_equal(part.y, part.X[:, 0] / 100)
        assert part.feature_names == ("x", "minus x") and part.target_name == "t"
    assert np.array_equal(np.sort(np.r_[train.weights, validation.weights]), 2 * X + 1)
    assert fo.data.synthetic(10).split(0.5)[0].weights is None


def test_split_refuses_a_part_with_every_weight_zero():
    weights = np.zeros(10)
    weights[0] = 1.0
    data = fo.Dataset(np.arange(10.0), np.zeros(10), weights)
    with pytest.raises(ValueError, match=r"^Invalid validation_fraction: 0\.5 \(with seed=\d+, leaves the (training|validation) "
                                         r"part with every weight zero\)$"):
        for seed in range(10):  # whichever part point 0 is not in has only zero weights
            data.split(0.5, seed=seed)


def test_check_labels_for_the_log_loss():
    data = fo.Dataset(F64, Y)
    assert data.check_labels("squared") is data and data.check_labels("log") is data
    outside = fo.Dataset(F64, Y + 0.5, target_name="label")
    assert outside.check_labels("squared") is outside
    with pytest.raises(ValueError, match=r"^Invalid loss: 'log' \(the log loss needs targets in \[0, 1\]; "
                                         r"data\.y\[3\] = 1\.1\)$") as caught:
        outside.check_labels("log")
    assert caught.value.argument == "loss"
    with pytest.raises(ValueError, match=r"^Invalid loss: 'log' \(the log loss needs targets in \[0, 1\]; "
                                         r"validation\.y\[0\] = -1\.0\)$"):
        fo.Dataset(F64, -Y[::-1] * 2 + 1).check_labels("log", name="validation")
    with pytest.raises(ValueError, match=r"^Invalid loss: 'hinge' \(must be one of 'squared', 'log'\)$"):
        data.check_labels("hinge")
