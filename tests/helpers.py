"""Comparison helpers shared by the tests (the tolerances themselves live in tolerances.py)."""
import numpy as np


def assert_relative(actual, expected, rtol, scale=None):
    """``|actual − expected| <= rtol · max(|expected|, scale)`` element-wise.

    ``scale`` (default 0) is a floor for values that cancel to ~0, e.g. the sum of the
    absolute per-point terms of a gradient component.
    """
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    bound = rtol * np.maximum(np.abs(expected), 0.0 if scale is None else scale)
    error = np.abs(actual - expected)
    assert np.all(error <= bound), f"max error {error.max():.3e}, bound {bound.min():.3e}\n{actual}\n{expected}"
