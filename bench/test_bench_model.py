"""Family "model": the full-batch loss and gradient, kernel (serial, parallel) against the numpy
reference, float64 and float32, N = 10^2 … 10^6 (quick profile: 10^3 and 10^6)."""
import numpy as np
import pytest

import fastoptim as fo
from bench.conftest import run, size_id, sizes
from fastoptim.kernels import model as kernels

SIZES = sizes(quick=[10**3, 10**6], full=[10**2, 10**3, 10**4, 10**5, 10**6])
DTYPES = ["float64", "float32"]
IMPLS = ["reference", "kernel", "kernel-parallel"]
THETA = np.array([0.5, -0.2])


def gradient_call(impl, data):
    out = np.empty(4)  # [Σ ℓ, Σ r x, Σ r, N]: (d + 3,) (a 3-element out was written past its end)
    if impl == "reference":
        return lambda: fo.reference.model.gradient(data, THETA, "sum")
    kernel = kernels.loss_and_gradient_sum if impl == "kernel" else kernels.loss_and_gradient_sum_parallel

    def call():
        kernel(data.X, data.y, THETA, out)

    call.out = out  # what the kernel computed (checked after timing)
    return call


def check_gradient(impl, data, result):
    """The timed call's result: the kernels' ``Σ r x, Σ r`` (and count) against the numpy reference,
    the reference's against the serial kernel, to 1e-12 relative (tests/tolerances.py's
    MODEL_RTOL) with a floor of 1e-12 × Σ|terms| for sums that cancel."""
    X, y = np.asarray(data.X, np.float64), np.asarray(data.y, np.float64)
    f = 1.0 / (1.0 + np.exp(-(THETA[0] * X + THETA[1])))
    r = (f - y) * f * (1 - f)
    floor = 1e-12 * np.array([np.sum(np.abs(r * X)), np.sum(np.abs(r))])
    if impl == "reference":
        out = np.empty(4)
        kernels.loss_and_gradient_sum(data.X, data.y, THETA, out)
        got, want = np.asarray(result), out[1:3]
    else:
        got, want = result[1:3], fo.reference.model.gradient(data, THETA, "sum")
        assert result[3] == data.n
    assert np.all(np.abs(got - want) <= np.maximum(1e-12 * np.abs(want), floor)), (impl, got, want)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES, ids=size_id)
@pytest.mark.parametrize("impl", IMPLS)
def test_gradient(benchmark, impl, n, dtype):
    data = fo.data.synthetic(n, dtype=dtype, seed=0)
    call = gradient_call(impl, data)
    run(benchmark, call, family="model", kernel="gradient", impl=impl, size=n, dtype=dtype, unit="points")
    result = call()
    if impl != "reference":
        result = call.out.copy()
    check_gradient(impl, data, result)
