"""The compiled visiting order (kernels/shuffle.py) is numpy's ``Generator.permutation``: the same
values, and the generator left in the same state (so every later draw, and a resumed run's
orders, are numpy's)."""
import numpy as np
import pytest

from fastoptim.kernels import shuffle
from fastoptim.training import permutation_into

SIZES = [0, 1, 2, 3, 5, 17, shuffle.CHUNK - 1, shuffle.CHUNK, shuffle.CHUNK + 1, 1000, 65537, 200_001]


@pytest.mark.parametrize("dtype", [np.uint32, np.uint64])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", [0, 1, 12345])
@pytest.mark.parametrize("odd_draws", [False, True], ids=["even", "odd"])
def test_the_order_is_numpys_permutation(seed, n, dtype, odd_draws):
    ours, numpys = np.random.default_rng(seed), np.random.default_rng(seed)
    if odd_draws:  # a 32-bit half buffered in the state (has_uint32 = 1) before the permutation
        for rng in (ours, numpys):
            rng.integers(0, 2**32 - 1, size=3, dtype=np.uint32)
    want = numpys.permutation(n)
    got = permutation_into(np.empty(n, dtype=dtype), ours)
    assert got.dtype == dtype and np.array_equal(got, want)
    assert ours.bit_generator.state == numpys.bit_generator.state
    assert ours.random() == numpys.random()


def test_epochs_in_a_row_draw_numpys_orders():
    ours, numpys = np.random.default_rng(7), np.random.default_rng(7)
    order = np.empty(10_001, dtype=np.uint32)
    for _ in range(5):
        assert np.array_equal(permutation_into(order, ours), numpys.permutation(order.size))
    assert ours.bit_generator.state == numpys.bit_generator.state


def test_other_bit_generators_are_shuffled_by_numpy():
    ours, numpys = np.random.Generator(np.random.MT19937(3)), np.random.Generator(np.random.MT19937(3))
    assert np.array_equal(permutation_into(np.empty(1000, dtype=np.uint32), ours), numpys.permutation(1000))
    assert ours.bit_generator.state["state"]["pos"] == numpys.bit_generator.state["state"]["pos"]
