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
    out = np.empty(3)
    if impl == "reference":
        return lambda: fo.reference.model.gradient(data, THETA, "sum")
    kernel = kernels.loss_and_gradient_sum if impl == "kernel" else kernels.loss_and_gradient_sum_parallel
    return lambda: kernel(data.X, data.y, THETA, out)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES, ids=size_id)
@pytest.mark.parametrize("impl", IMPLS)
def test_gradient(benchmark, impl, n, dtype):
    data = fo.data.synthetic(n, dtype=dtype, seed=0)
    run(benchmark, gradient_call(impl, data), family="model", kernel="gradient", impl=impl,
        size=n, dtype=dtype, unit="points")
