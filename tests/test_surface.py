"""Brute-force search over the error surface (SPEC §6)."""
import numpy as np

import fastoptim as fo
from fastoptim.kernels import model as kernels
from tests.helpers import assert_relative
from tests.tolerances import MODEL_RTOL


def test_surface_equals_reference_and_finds_the_lectures_minimum():
    data = fo.data.two_points()
    got, want = fo.surface(data, resolution=61), fo.reference.surface(data, resolution=61)
    assert_relative(got.loss, want.loss, MODEL_RTOL["float64"])
    assert (got.best_w, got.best_b) == (want.best_w, want.best_b)
    full = fo.surface(data)  # step 0.1 on [−6, 6]²
    assert (round(full.best_w, 6), round(full.best_b, 6)) == (1.8, -2.3)  # lecture: (1.78, −2.27)
    assert full.evaluations == 121 * 121 and full.loss.shape == (121, 121)


def test_surface_cell_has_the_bits_of_loss_sum():
    data = fo.data.synthetic(5000, seed=2, dtype=np.float32)
    s = fo.surface(data, w_range=(-1, 3), b_range=(-2, 1), resolution=7)
    for i, j in [(0, 0), (3, 5), (6, 6)]:
        assert s.loss[i, j] == kernels.loss_sum(data.X, data.y, np.array([s.w[j], s.b[i]]))[0]
    W, B = s.grids
    assert W.shape == B.shape == s.loss.shape and W[2, 4] == s.w[4] and B[2, 4] == s.b[2]


def test_surface_mean_is_sum_over_n():
    data = fo.data.sparse(n=300)
    assert np.allclose(fo.surface(data, resolution=9, reduction="mean").loss * 300,
                       fo.surface(data, resolution=9).loss, rtol=1e-15)
