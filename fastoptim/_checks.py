"""Input checks at the Python edge: one place for every message about bad input.

Kernels assume valid input; everything a kernel receives passes through here first, and a
problem raises ``TypeError``/``ValueError`` naming the argument and its value.
"""
import numbers
import os

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


# --- the package's one message shape (issue 12): "Invalid {name}: {value!r} ({requirement})" ----
# New checks use these; the older helpers above keep their wording until they are migrated.

def shown(value):
    """``value`` as it appears in an ``Invalid ...`` message: ``repr`` for plain values (cut at
    80 characters), type, shape and dtype for arrays (never their contents)."""
    if isinstance(value, np.ndarray):
        kind = "array" if type(value) is np.ndarray else type(value).__name__
        return f"{kind}(shape={value.shape}, dtype={value.dtype})"
    return describe(value)


def invalid(name, value, requirement, error=ValueError):
    """The exception ``error`` (ValueError by default, TypeError for a wrong kind of value) with
    the message ``Invalid {name}: {value!r} ({requirement})``: ``raise invalid(...)``."""
    return error(f"Invalid {name}: {shown(value)} ({requirement})")


#: Largest step counter accepted: every integer up to 2**53 is exact in float64 (as
#: ``fastoptim.schedules.MAX_T``), and the kernels' ``step + 1`` fits an int64.
MAX_STEP = 2**53


def step_count(name, value):
    """An optimizer's step counter: an integer (Python or numpy, or a 0-d integer array as
    ``np.load`` returns it; not a bool, not a float) in ``[0, 2**53)``, as a Python int."""
    if type(value) is int and 0 <= value < MAX_STEP:  # the common case, fast
        return value
    requirement = "must be an integer in [0, 2**53)"
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise invalid(name, value, requirement, TypeError)
    if not 0 <= int(value) < MAX_STEP:
        raise invalid(name, value, requirement)
    return int(value)


def plain_array(name, value):
    """``value`` itself if it is a ``numpy.ndarray``, its base-class view if it is a subclass
    (``np.matrix``, ``np.memmap``: the same memory, so in-place updates reach the caller), and
    a TypeError for a masked array (whose mask a kernel would ignore) or anything else."""
    if type(value) is np.ndarray:
        return value
    if isinstance(value, np.ma.MaskedArray):
        raise invalid(name, value, "a masked array: its mask would be ignored; pass .filled() "
                                   "or the unmasked part", TypeError)
    if isinstance(value, np.ndarray):
        return value.view(np.ndarray)
    raise invalid(name, value, "must be a numpy.ndarray", TypeError)


def kernel_array(name, value, dtype, shape):
    """Check an array a kernel writes in place: exactly ``dtype`` (native byte order) and
    ``shape`` (a tuple), C-contiguous, writable. Returns the base-class view (see :func:`plain_array`)."""
    array = value if type(value) is np.ndarray else plain_array(name, value)
    if array.dtype != dtype:  # (a non-native byte order compares unequal too)
        raise invalid(name, value, f"must have dtype {np.dtype(dtype).name}", TypeError)
    if array.shape != shape:
        raise invalid(name, value, f"must have shape {shape}")
    flags = array.flags
    if not flags.c_contiguous:
        raise invalid(name, value, "must be C-contiguous (use np.ascontiguousarray)")
    if not flags.writeable:
        raise invalid(name, value, "must be writable (it is read-only)")
    return array


# --- memory: estimate before allocating (issue 12) -----------------------------------------------

def available_memory():
    """Bytes of memory available to a new allocation: ``MemAvailable`` of ``/proc/meminfo``
    (free memory plus caches the kernel can drop) where there is one, else the free physical
    pages (``os.sysconf``); None where neither is known."""
    try:
        with open("/proc/meminfo") as file:
            for line in file:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def byte_size(nbytes):
    """``nbytes`` for a reader: ``'7.28 TiB'``, ``'512 MiB'``."""
    value = float(nbytes)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if value < 1024 or unit == "EiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.3g} {unit}"
        value /= 1024
    return f"{value:.3g} EiB"  # pragma: no cover


def fits_in_memory(name, value, nbytes, what):
    """Raise ``Invalid {name}: {value} ({what} needs about N, more than the M of memory
    available)`` (a ValueError) if ``nbytes`` exceed the memory available now."""
    available = available_memory()
    if available is not None and nbytes > available:
        raise invalid(name, value, f"{what} needs about {byte_size(nbytes)}, more than the "
                                   f"{byte_size(available)} of memory available")
