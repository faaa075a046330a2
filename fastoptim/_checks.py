"""Input checks at the Python edge: the one vocabulary for every message about bad input.

Kernels assume valid input; everything a kernel receives passes through here first. A problem
raises :class:`InvalidValue` (a ``ValueError``) or :class:`InvalidType` (a ``TypeError``) with
one message shape, ``Invalid {name}: {value} ({requirement})``, and the argument's name in
``error.argument`` (the command line maps that name to its flag without reading the text).
"""
import numbers

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
REDUCTIONS = ("sum", "mean")


class InvalidValue(ValueError):
    """A bad value; ``argument`` names the argument (``"epochs"``, ``"schedule"``, ``"X"`` …)."""

    def __init__(self, argument, message):
        super().__init__(message)
        self.argument = argument


class InvalidType(TypeError):
    """A value of the wrong type; ``argument`` names the argument."""

    def __init__(self, argument, message):
        super().__init__(message)
        self.argument = argument


def describe(value):
    """A short description of ``value`` for an error message (arrays by shape and dtype)."""
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype})"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def invalid(name, value, requirement, kind=InvalidValue):
    """The exception for a bad ``value`` of argument ``name`` (raise it)."""
    return kind(name.split("[")[0].split(".")[0], f"Invalid {name}: {describe(value)} ({requirement})")


def wrong_type(name, value, requirement):
    """The ``TypeError`` for a ``value`` of the wrong type (raise it)."""
    return invalid(name, value, requirement, InvalidType)


def is_real(value):
    """A real number that is not a bool (numpy scalars included)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def is_integer(value):
    """An integer that is not a bool (numpy integers included)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def flag(name, value):
    """``value`` as a bool: ``True``/``False`` or numpy's ``np.True_``/``np.False_`` only."""
    if not isinstance(value, (bool, np.bool_)):
        raise wrong_type(name, value, "must be True or False")
    return bool(value)


def dataset(value, name="data"):
    """``value`` if it is a ``fastoptim.data.Dataset``."""
    from .data import Dataset  # (data.py imports this module)

    if not isinstance(value, Dataset):
        raise wrong_type(name, value, "must be a fastoptim.data.Dataset")
    return value


def float_array(name, value, ndim=None):
    """``value`` as a C-contiguous float32/float64 array; integers are converted to float64.

    Raises ``TypeError`` for a non-numeric or complex dtype and ``ValueError`` for a wrong
    number of dimensions, naming ``name``.
    """
    if isinstance(value, np.ma.MaskedArray):
        raise wrong_type(name, value, "a masked array: its mask would be ignored; fill or drop the masked values")
    try:
        array = np.asarray(value)
    except Exception as error:  # ragged lists and the like
        raise wrong_type(name, value, "must be a numeric array") from error
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise wrong_type(name, value, f"must hold real numbers, not dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.float64)  # the one explicit conversion: ints become float64
    elif array.dtype not in FLOAT_DTYPES:
        raise wrong_type(name, value, f"must be float32 or float64, not {array.dtype}")
    if ndim is not None and array.ndim not in ndim:
        raise invalid(name, array, f"must have {' or '.join(map(str, ndim))} dimension(s)")
    return np.ascontiguousarray(array)


def finite(name, array):
    """Raise ``ValueError`` if ``array`` holds NaN or inf, saying where."""
    bad = ~np.isfinite(array)
    if bad.any():
        index = np.unravel_index(np.argmax(bad), array.shape)
        index = index[0] if len(index) == 1 else index
        raise invalid(name, array, f"must be finite, holds {array[index]} at index {index}")


def choice(name, value, options):
    """``value`` if it is one of the strings ``options``."""
    if not isinstance(value, str) or value not in options:
        raise invalid(name, value, f"must be one of {', '.join(repr(option) for option in options)}")
    return value


def reduction(value):
    """Check ``reduction`` is "sum" or "mean"."""
    return choice("reduction", value, REDUCTIONS)


def theta(value, d, name="theta", dtype=np.float64):
    """``[w_1 … w_d, b]`` as a finite array of length ``d + 1`` in ``dtype`` (float64, or the
    data's float32: a value that overflows float32 is refused, not turned into inf)."""
    array = float_array(name, value, ndim=(1,))
    if array.size != d + 1:
        raise invalid(name, value, f"must have length d + 1 = {d + 1}: [w_1 … w_d, b]")
    array = array.astype(np.float64)
    finite(name, array)
    if np.dtype(dtype) != np.float64:
        limit = float(np.finfo(dtype).max)
        if np.any(np.abs(array) > limit):
            index = int(np.argmax(np.abs(array) > limit))
            raise invalid(name, value, f"must fit in {np.dtype(dtype)} like the data: "
                                       f"{array[index]} at index {index} overflows it")
        array = array.astype(dtype)
    return array


def positive_int(name, value, minimum=1, maximum=None):
    """An ``int`` (not bool) with ``minimum <= value`` (and ``<= maximum`` if given)."""
    requirement = f"must be an integer >= {minimum}" + ("" if maximum is None else f" and <= {maximum}")
    if not is_integer(value):
        raise wrong_type(name, value, requirement)
    if value < minimum or (maximum is not None and value > maximum):
        raise invalid(name, value, requirement)
    return int(value)


def real(name, value, finite_only=True):
    """A real number (not bool) as a Python float."""
    if not is_real(value):
        raise wrong_type(name, value, "must be a real number")
    try:
        value = float(value)
    except OverflowError:  # an int or Fraction beyond float64's range
        raise invalid(name, value, "must be a finite number") from None
    if finite_only and not np.isfinite(value):
        raise invalid(name, value, "must be finite")
    return value


def interval(name, value):
    """A pair ``(low, high)`` of finite reals with ``low < high``."""
    try:
        low, high = value
    except (TypeError, ValueError) as error:
        raise wrong_type(name, value, "must be a pair (low, high)") from error
    low, high = real(f"{name}[0]", low), real(f"{name}[1]", high)
    if not low < high:
        raise invalid(name, value, "must have low < high")
    return low, high


def available_memory():
    """Bytes of memory this process may still allocate: ``MemAvailable`` of /proc/meminfo
    (Linux), else the physical memory; None where neither is known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import os

        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def fits_in_memory(name, value, nbytes, what):
    """Refuse ``value`` of argument ``name`` if ``nbytes`` (the memory ``what`` needs) cannot
    be allocated, before anything is: ``ValueError`` with the estimate."""
    available = available_memory()
    if available is not None and nbytes > available:
        raise invalid(name, value, f"{what} would need {format_bytes(nbytes)}, and "
                                   f"{format_bytes(available)} is available")


def format_bytes(nbytes):
    """``1.5 GiB``-style text."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(nbytes) < 1024 or unit == "PiB":
            return f"{nbytes:.3g} {unit}" if unit != "B" else f"{int(nbytes)} B"
        nbytes /= 1024
    return f"{nbytes:.3g} EiB"  # pragma: no cover
