"""Input checks at the Python edge: one place for every message about bad input.

Kernels assume valid input; everything a kernel receives passes through here first, and a
problem raises ``TypeError``/``ValueError`` naming the argument and its value.
"""
import numbers

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
REDUCTIONS = ("sum", "mean")


def describe(value):
    """A short description of ``value`` for an error message (arrays by shape and dtype)."""
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype})"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def dataset(value):
    """``value`` if it is a ``fastoptim.data.Dataset``, else ``TypeError`` naming ``data``."""
    from .data import Dataset  # (data.py imports this module)

    if not isinstance(value, Dataset):
        raise TypeError(f"data must be a fastoptim.data.Dataset, got {describe(value)}")
    return value


def float_array(name, value, ndim=None):
    """``value`` as a C-contiguous float32/float64 array; integers are converted to float64.

    Raises ``TypeError`` for a non-numeric or complex dtype and ``ValueError`` for a wrong
    number of dimensions, naming ``name``.
    """
    try:
        array = np.asarray(value)
    except Exception as error:  # ragged lists and the like
        raise TypeError(f"{name} must be a numeric array, got {describe(value)}") from error
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.float64)  # the one explicit conversion: ints become float64
    elif array.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64, got dtype {array.dtype}")
    if ndim is not None and array.ndim not in ndim:
        raise ValueError(f"{name} must have {' or '.join(map(str, ndim))} dimension(s), got shape {array.shape}")
    return np.ascontiguousarray(array)


def finite(name, array):
    """Raise ``ValueError`` if ``array`` holds NaN or inf, saying where."""
    bad = ~np.isfinite(array)
    if bad.any():
        index = np.unravel_index(np.argmax(bad), array.shape)
        index = index[0] if len(index) == 1 else index
        raise ValueError(f"{name} must be finite, got {array[index]} at index {index}")


def reduction(value):
    """Check ``reduction`` is "sum" or "mean"."""
    if not isinstance(value, str) or value not in REDUCTIONS:
        raise ValueError(f"reduction must be 'sum' or 'mean', got {describe(value)}")
    return value


def theta(value, d, name="theta"):
    """``[w_1 … w_d, b]`` as a finite float64 array of length ``d + 1`` (errors name ``name``)."""
    array = float_array(name, value, ndim=(1,))
    if array.size != d + 1:
        raise ValueError(f"{name} must have length d + 1 = {d + 1} ([w_1 … w_d, b]), got length {array.size}")
    array = array.astype(np.float64)
    finite(name, array)
    return array


def positive_int(name, value, minimum=1):
    """An ``int`` (not bool) ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def real(name, value, finite_only=True):
    """A real number (not bool) as a Python float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {describe(value)}")
    value = float(value)
    if finite_only and not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def interval(name, value):
    """A pair ``(low, high)`` of finite reals with ``low < high``."""
    try:
        low, high = value
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a pair (low, high), got {describe(value)}") from error
    low, high = real(f"{name}[0]", low), real(f"{name}[1]", high)
    if not low < high:
        raise ValueError(f"{name} must have low < high, got {describe(value)}")
    return low, high
