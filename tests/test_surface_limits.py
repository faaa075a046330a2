"""Issue 12, item 9: ``fo.surface`` refuses, before computing, ranges whose grid would hold
NaN points and resolutions whose grid does not fit in memory, naming the argument."""
import numpy as np
import pytest

import fastoptim as fo
from fastoptim import _checks


@pytest.mark.parametrize("name", ["w_range", "b_range"])
@pytest.mark.parametrize("extreme", [(-1e308, 1e308), (-1e308, 9e307), (-np.finfo(float).max, np.finfo(float).max)])
def test_a_range_whose_span_overflows_is_refused(name, extreme):
    """Issue: ``w_range=(-1e308, 1e308)`` returned a NaN best point silently."""
    with pytest.raises(ValueError) as raised:
        fo.surface(fo.data.two_points(), resolution=5, **{name: extreme})
    assert str(raised.value) == (f"Invalid {name}: {(float(extreme[0]), float(extreme[1]))!r} (high - low "
                                 "must be finite: it overflows float64 and the grid's points would be NaN)")


@pytest.mark.parametrize("extreme", [(-1e300, 1e300), (-8e307, 8e307), (-np.finfo(float).max, 1.0), (0.0, 1e-320)])
def test_extreme_ranges_that_fit_give_a_finite_best_point(extreme):
    grid = fo.surface(fo.data.two_points(), w_range=extreme, resolution=5)
    assert np.all(np.isfinite(grid.w)) and np.isfinite(grid.best_loss)
    assert np.isfinite(grid.best_w) and np.isfinite(grid.best_b)


def test_a_resolution_whose_grid_cannot_fit_is_refused_before_allocating(monkeypatch):
    """Issue: ``resolution=10**6`` raised numpy's MemoryError (7.28 TiB)."""
    with pytest.raises(ValueError) as raised:
        fo.surface(fo.data.two_points(), resolution=10**6)
    message = str(raised.value)
    assert message.startswith("Invalid resolution: 1000000 (a 1000000 × 1000000 grid needs about 7.28 TiB, "
                              "more than the "), message
    assert message.endswith(" of memory available)")
    monkeypatch.setattr(_checks, "available_memory", lambda: 10**6)
    monkeypatch.setattr(_checks, "SMALL_ALLOCATION", 0)  # (sizes this small pass unasked otherwise)
    with pytest.raises(ValueError, match=r"^Invalid resolution: 400 \(a 400 × 400 grid needs about 1.23 MiB"):
        fo.surface(fo.data.two_points(), resolution=400)
    assert fo.surface(fo.data.two_points(), resolution=300).loss.shape == (300, 300)
    with pytest.raises(ValueError, match=r"^Invalid resolution: 400 "):
        fo.reference.surface(fo.data.two_points(), resolution=400)


def test_byte_sizes_read_well():
    assert [_checks.byte_size(n) for n in (0, 1023, 1024, 5 * 2**20, 8 * 10**12, 2**70)] == \
        ["0 bytes", "1023 bytes", "1 KiB", "5 MiB", "7.28 TiB", "1.02e+03 EiB"]


def test_a_log_loss_that_would_overflow_the_sum_is_refused_naming_the_range():
    """Found by the fuzz suite: two points, b up to 1e308, log loss summed: ~2e308 is inf."""
    data = fo.Dataset(np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match=r"^Invalid b_range: \(0\.0, 1e\+308\) \(the log loss summed over the data "
                                         r"can exceed the float64 range there"):
        fo.surface(data, b_range=(0.0, 1e308), loss="log")
    with pytest.raises(ValueError, match=r"^Invalid w_range: "):
        fo.surface(fo.Dataset(np.full(2, 1e200), np.zeros(2)), w_range=(-1e200, 1e200), loss="log")
    fine = fo.surface(data, b_range=(0.0, 1e300), loss="log", resolution=5)  # ~2e300: fits
    assert np.all(np.isfinite(fine.loss)) and fine.best_b == 0.0
