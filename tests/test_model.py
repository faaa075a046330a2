"""The sigmoid-neuron kernels against the numpy reference, the lecture's numbers, determinism."""
import os
import subprocess
import sys

import numpy as np
import pytest

import fastoptim as fo
from fastoptim import reference
from fastoptim.kernels import model as kernels
from tests.helpers import assert_relative
from tests.tolerances import MODEL_CANCELLATION_FLOOR, MODEL_RTOL

# SPEC §8: the lecture's loss table on the two points, reduction="sum".
LECTURE_TABLE = [
    (0.50, 0.00, 0.0730), (0.94, -0.94, 0.0214), (1.42, -1.73, 0.0028),
    (1.65, -2.08, 0.0003), (1.78, -2.27, 0.0000),
]


@pytest.mark.parametrize("w, b, J", LECTURE_TABLE)
def test_lecture_loss_table(w, b, J):
    # The lecture rounds (w, b) for display; J recomputed from the rounded values agrees with
    # its 4-place J to within 0.0005 (SPEC §8).
    assert abs(fo.model.loss(fo.data.two_points(), [w, b], reduction="sum") - J) <= 5e-4


def test_lecture_loss_table_second_row_two_places():
    # Row (−0.10, 0.00) is printed as 0.14: J = 0.1481…, cut to two places.
    J = fo.model.loss(fo.data.two_points(), [-0.10, 0.0], reduction="sum")
    assert np.floor(J * 100) / 100 == 0.14


def random_dataset(n, d, dtype, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n,) if d == 1 else (n, d)).astype(dtype)
    y = rng.uniform(size=n).astype(dtype)
    return fo.Dataset(X, y)


def gradient_scale(data, theta):
    """Σ |per-point gradient terms|: the floor for components that cancel to ~0."""
    X = np.asarray(data.X, dtype=np.float64).reshape(data.n, -1)
    f = reference.model.f(data.X, theta)
    r = np.abs((f - data.y) * f * (1 - f))
    return np.append(np.abs(X).T @ r, r.sum())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("d", [1, 5])
@pytest.mark.parametrize("n", [1, 7, 513, 5000, 40_000])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_kernel_equals_reference(n, d, dtype, reduction):
    data = random_dataset(n, d, dtype, seed=n + d)
    rng = np.random.default_rng(n)
    for theta in rng.normal(scale=3.0, size=(3, d + 1)):
        divisor = n if reduction == "mean" else 1
        assert_relative(fo.model.loss(data, theta, reduction), reference.model.loss(data, theta, reduction),
                        MODEL_RTOL[dtype])
        assert_relative(fo.model.gradient(data, theta, reduction), reference.model.gradient(data, theta, reduction),
                        MODEL_RTOL[dtype], scale=MODEL_CANCELLATION_FLOOR / MODEL_RTOL[dtype] * gradient_scale(data, theta) / divisor)
        J, g = fo.model.loss_and_gradient(data, theta, reduction)
        assert J == fo.model.loss(data, theta, reduction)
        assert np.array_equal(g, fo.model.gradient(data, theta, reduction))


@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("n", [1, 511, 512, 513, 100_003])
def test_serial_and_parallel_kernels_have_the_same_bits(n, d):
    data = random_dataset(n, d, "float64", seed=3)
    theta = np.linspace(-1.0, 1.0, d + 1)
    serial, parallel = np.empty(d + 3), np.empty(d + 3)
    kernels.loss_and_gradient_sum(data.X, data.y, theta, serial)
    kernels.loss_and_gradient_sum_parallel(data.X, data.y, theta, parallel)
    assert np.array_equal(serial, parallel)
    assert kernels.loss_sum(data.X, data.y, theta) == kernels.loss_sum_parallel(data.X, data.y, theta)


THREADS_SCRIPT = """
import numpy as np, fastoptim as fo
data = fo.data.synthetic(300_001, d={d}, seed=5)
theta = np.linspace(-0.7, 0.4, {d} + 1)
J, g = fo.model.loss_and_gradient(data, theta, "mean")
print(np.array([J, *g]).tobytes().hex())
"""


@pytest.mark.parametrize("d", [1, 4])
def test_gradient_bits_do_not_depend_on_thread_count(d):
    outputs = []
    for threads in ("1", "2"):
        env = {**os.environ, "NUMBA_NUM_THREADS": threads}
        result = subprocess.run([sys.executable, "-c", THREADS_SCRIPT.format(d=d)], env=env,
                                capture_output=True, text=True, check=True)
        outputs.append(result.stdout.strip())
    assert outputs[0] == outputs[1] and len(outputs[0]) == 16 * (d + 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_ufunc(dtype):
    z = np.array([-1e30, -800.0, -30.0, -1.0, 0.0, 1.0, 30.0, 800.0, 1e30, np.inf, -np.inf], dtype=dtype)
    got = fo.model.sigmoid(z)
    assert got.dtype == dtype
    want = reference.model.sigmoid(z.astype(np.float64)).astype(dtype)
    assert np.allclose(got, want, rtol=4 * np.finfo(dtype).eps, atol=0)
    assert np.isnan(fo.model.sigmoid(np.array([np.nan], dtype=dtype))[0])
    assert got[4] == 0.5 and got[-2] == 1.0 and got[-1] == 0.0


def test_gradient_is_shaped_like_theta_and_float64():
    g = fo.model.gradient(fo.data.synthetic(100, d=3, dtype=np.float32), np.zeros(4))
    assert g.shape == (4,) and g.dtype == np.float64


def test_integer_data_is_converted_to_float64():
    data = fo.Dataset(np.array([0, 1, 2]), np.array([0, 1, 1]))
    assert data.X.dtype == np.float64 and data.y.dtype == np.float64
    assert fo.model.loss(data, [1.0, 0.0]) == reference.model.loss(data, [1.0, 0.0])
