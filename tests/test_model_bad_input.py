"""Bad input to the data, model and surface API: the exception type, and a message naming the
argument (and where useful its value). Every check runs before any kernel."""
import numpy as np
import pytest

import fastoptim as fo

GOOD = fo.data.two_points()
F64 = np.array([0.5, 2.5])


def dataset(X, y):
    return lambda: fo.Dataset(X, y)


BAD_INPUTS = [
    ("empty X", dataset(np.array([]), np.array([])), ValueError,
     r"^Invalid X: array\(shape=\(0,\), dtype=float64\) \(must hold at least one point\)$"),
    ("length mismatch", dataset(F64, np.array([0.2])), ValueError,
     r"^Invalid y: array\(shape=\(1,\), dtype=float64\) \(must have one target per point of X: X has 2, y has 1\)$"),
    ("NaN in X", dataset(np.array([0.5, np.nan]), F64), ValueError,
     r"^Invalid X: array\(shape=\(2,\), dtype=float64\) \(must be finite, holds nan at index 1\)$"),
    ("inf in y", dataset(F64, np.array([0.2, np.inf])), ValueError,
     r"^Invalid y: array\(shape=\(2,\), dtype=float64\) \(must be finite, holds inf at index 1\)$"),
    ("complex X", dataset(F64.astype(complex), F64), TypeError,
     r"^Invalid X: array\(shape=\(2,\), dtype=complex128\) \(must hold real numbers, not dtype complex128\)$"),
    ("string y", dataset(F64, np.array(["a", "b"])), TypeError, r"^Invalid y: .* \(must hold real numbers, not dtype <U1\)$"),
    ("3-D X", dataset(np.zeros((2, 1, 1)), F64), ValueError,
     r"^Invalid X: array\(shape=\(2, 1, 1\), dtype=float64\) \(must have 1 or 2 dimension\(s\)\)$"),
    ("2-D y", dataset(F64, np.zeros((2, 1))), ValueError, r"^Invalid y: array\(shape=\(2, 1\), dtype=float64\) \(must have 1 dimension\(s\)"),
    ("zero features", dataset(np.zeros((2, 0)), F64), ValueError,
     r"^Invalid X: array\(shape=\(2, 0\), dtype=float64\) \(must have at least one feature\)$"),
    ("theta too short", lambda: fo.model.loss(GOOD, [1.0]), ValueError, r"^Invalid theta: \[1\.0\] \(must have length d \+ 1 = 2"),
    ("theta too long", lambda: fo.model.gradient(GOOD, [1.0, 2.0, 3.0]), ValueError, r"^Invalid theta: \[1\.0, 2\.0, 3\.0\] \(must have length"),
    ("theta NaN", lambda: fo.model.gradient(GOOD, [np.nan, 0.0]), ValueError, r"^Invalid theta: .* \(must be finite, holds nan at index 0\)"),
    ("theta 2-D", lambda: fo.model.loss(GOOD, [[1.0, 2.0]]), ValueError, r"^Invalid theta: .* \(must have 1 dimension\(s\)\)"),
    ("theta strings", lambda: fo.model.loss(GOOD, ["w", "b"]), TypeError, r"^Invalid theta: \['w', 'b'\] \(must hold real numbers"),
    ("unknown reduction", lambda: fo.model.loss(GOOD, [0.0, 0.0], reduction="avg"), ValueError, r"^Invalid reduction: 'avg' \(must be one of 'sum', 'mean'\)$"),
    ("reduction None", lambda: fo.model.gradient(GOOD, [0.0, 0.0], reduction=None), ValueError, r"^Invalid reduction: None \(must be one of 'sum', 'mean'\)$"),
    ("unknown loss", lambda: fo.model.gradient(GOOD, [0.0, 0.0], loss="hinge"), ValueError, r"^Invalid loss: 'hinge' \(must be one of 'squared', 'log'\)$"),
    ("log loss of targets above 1", lambda: fo.model.loss(fo.Dataset(F64, np.array([0.2, 1.5])), [0.0, 0.0], loss="log"),
     ValueError, r"^Invalid loss: 'log' \(the log loss needs targets in \[0, 1\]; data\.y\[1\] = 1\.5\)$"),
    ("surface log loss of targets below 0", lambda: fo.surface(fo.Dataset(F64, np.array([-0.2, 0.5])), loss="log"),
     ValueError, r"^Invalid loss: 'log' \(the log loss needs targets in \[0, 1\]; data\.y\[0\] = -0\.2\)$"),
    ("data not a Dataset", lambda: fo.model.loss((F64, F64), [0.0, 0.0]), TypeError, r"^Invalid data: .* \(must be a fastoptim\.data\.Dataset\)$"),
    ("surface of d=2 data", lambda: fo.surface(fo.data.synthetic(10, d=2)), ValueError, r"^Invalid data: .* \(must have one feature \(d = 1\)"),
    ("surface resolution 1", lambda: fo.surface(GOOD, resolution=1), ValueError, r"^Invalid resolution: 1 \(must be an integer >= 2\)$"),
    ("surface resolution float", lambda: fo.surface(GOOD, resolution=10.5), TypeError, r"^Invalid resolution: 10\.5 \(must be an integer >= 2\)$"),
    ("surface empty range", lambda: fo.surface(GOOD, w_range=(1, 1)), ValueError, r"^Invalid w_range: \(1, 1\) \(must have low < high\)$"),
    ("surface range not a pair", lambda: fo.surface(GOOD, b_range=3), TypeError, r"^Invalid b_range: 3 \(must be a pair \(low, high\)\)$"),
    ("surface range inf", lambda: fo.surface(GOOD, b_range=(-np.inf, 0)), ValueError, r"^Invalid b_range\[0\]: -inf \(must be finite\)$"),
    ("surface unknown loss", lambda: fo.surface(GOOD, loss="l2"), ValueError, r"^Invalid loss: 'l2'"),
    ("split fraction 1", lambda: GOOD.split(1.0), ValueError, r"^Invalid validation_fraction: 1\.0 \(must be in \(0, 1\)\)$"),
    ("split leaves empty part", lambda: GOOD.split(0.1), ValueError,
     r"^Invalid validation_fraction: 0\.1 \(leaves an empty part of a data set of 2 points\)$"),
    ("synthetic n = 0", lambda: fo.data.synthetic(0), ValueError, r"^Invalid n: 0 \(must be an integer >= 1\)$"),
    ("synthetic dtype int", lambda: fo.data.synthetic(10, dtype=np.int32), TypeError,
     r"^Invalid dtype: dtype\('int32'\) \(must be float32 or float64\)$"),
    ("synthetic dtype nonsense", lambda: fo.data.synthetic(10, dtype="nonsense"), TypeError,
     r"^Invalid dtype: 'nonsense' \(must be float32 or float64\)$"),
    ("synthetic w wrong length", lambda: fo.data.synthetic(10, w=[1.0, 2.0], d=3), ValueError,
     r"^Invalid w: \[1\.0, 2\.0\] \(must be a number or have length d = 3\)$"),
    ("synthetic negative noise", lambda: fo.data.synthetic(10, noise=-1.0), ValueError, r"^Invalid noise: -1\.0 \(must be >= 0\)$"),
    ("sparse zero_fraction 1", lambda: fo.data.sparse(zero_fraction=1.0), ValueError, r"^Invalid zero_fraction: 1\.0 \(must be in \[0, 1\)\)$"),
]


@pytest.mark.parametrize("call, error, message", [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_raises_naming_the_argument(call, error, message):
    with pytest.raises(error, match=message) as caught:
        call()
    assert caught.value.argument == str(caught.value).split(":")[0].removeprefix("Invalid ").split("[")[0]
