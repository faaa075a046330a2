"""The vectorizable exp of kernels/exp.py against np.exp over the whole float range."""
import numpy as np
import pytest

from fastoptim.kernels import exp_array

TINY64 = np.finfo(np.float64).tiny  # smallest normal
SUBNORMAL_STEP = np.float64(5e-324)


def kernel_exp(x):
    x = np.ascontiguousarray(x)
    out = np.empty(x.shape, dtype=np.float64)
    exp_array(x, out)
    return out


def test_float64_normal_range_relative_error():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-708.3, 709.7, 400_000), rng.uniform(-1, 1, 100_000),
                        np.linspace(-708.3, 709.78, 100_001)])
    got, want = kernel_exp(x), np.exp(x)
    assert np.all(want >= TINY64)
    assert np.max(np.abs(got - want) / want) < 1e-15


def test_float64_subnormal_results_within_one_step():
    x = np.linspace(-745.13, -708.4, 100_001)
    got, want = kernel_exp(x), np.exp(x)
    # Subnormal results carry fewer significant bits: compare in units of the smallest step.
    assert np.max(np.abs(got - want)) <= 2 * SUBNORMAL_STEP


@pytest.mark.parametrize("x, want", [
    (np.inf, np.inf), (-np.inf, 0.0), (0.0, 1.0), (-0.0, 1.0), (1e-300, 1.0),
    (709.78, np.exp(709.78)), (709.79, np.inf), (1e308, np.inf), (-745.2, 0.0),
    (-1e308, 0.0), (1.0, np.e),
])
def test_float64_extremes(x, want):
    got = kernel_exp(np.array([x]))[0]
    assert got == want or abs(got - want) <= 1e-15 * want


def test_nan_stays_nan():
    assert np.isnan(kernel_exp(np.array([np.nan, -np.nan]))).all()


def test_float32_whole_range_within_one_ulp():
    """Against the correctly rounded float32 value (np.exp in float64, then rounded): within
    1 ulp. (np.exp on float32 arrays is itself up to 2 ulp off on this machine: it is not the
    yardstick here.)"""
    info = np.finfo(np.float32)
    x = np.concatenate([
        np.random.default_rng(2).uniform(-104.0, 89.0, 200_000),
        np.array([info.max, -info.max, 88.72, 88.73, -103.97, -87.3, 0.0]),
    ]).astype(np.float32)
    with np.errstate(over="ignore", under="ignore"):
        got = kernel_exp(x).astype(np.float32)  # what kernels do for float32 data
        want = np.exp(x.astype(np.float64)).astype(np.float32)
    finite = np.isfinite(want)
    assert np.array_equal(np.isinf(got), np.isinf(want))
    ulp = np.spacing(np.abs(want[finite]))
    assert np.all(np.abs(got[finite] - want[finite]) <= ulp)
    special = kernel_exp(np.array([np.inf, -np.inf, np.nan], dtype=np.float32))
    assert special[0] == np.inf and special[1] == 0.0 and np.isnan(special[2])
