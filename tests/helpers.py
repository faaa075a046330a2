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


#: Packages of the test extra (pyproject.toml) that are not otherwise needed: if all of them import,
#: the test extra is installed.
TEST_EXTRA_MARKERS = ("pytest_benchmark", "hypothesis")


def require_test_extra(module):
    """``import module``, which the test extra installs: when the extra is installed (its
    packages ``TEST_EXTRA_MARKERS`` import) a module that does not import fails the test, so that
    a broken install cannot make its tests vanish as skips; without the extra, the test is
    skipped (a bare ``pip install pytest``)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        import pytest

        missing = []
        for marker in TEST_EXTRA_MARKERS:
            try:
                importlib.import_module(marker)
            except ImportError:
                missing.append(marker)
        if missing:
            pytest.skip(f"{module} is not installed, nor is the test extra ({', '.join(missing)} missing): "
                        f"pip install -e '.[test]'")
        pytest.fail(f"the test extra is installed but {module} does not import ({error}): the install is broken")
