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
