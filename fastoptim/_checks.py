"""Input checks at the Python edge: the one vocabulary for every message about bad input.

Kernels assume valid input; everything a kernel receives passes through here first. A problem
raises :class:`InvalidValue` (a ``ValueError``) or :class:`InvalidType` (a ``TypeError``) with
one message shape, ``Invalid {name}: {value} ({requirement})``, and the argument's name in
``error.argument`` (the command line maps that name to its flag without reading the text).

The one rule for a ``name`` that points inside an argument (:func:`invalid`): ``error.argument``
is the name up to its first ``[`` or ``.`` (``betas[1]`` → ``"betas"``, ``state.slots`` →
``"state"``), the argument a caller passed; ``error.index`` is the integer index that directly
follows it (``betas[1]`` → ``1``), or None (no index, or a key or attribute: ``state['lr']``,
``state.slots``). So ``(error.argument, error.index)`` tells ``betas[0]`` from ``betas[1]``
without reading the message.
"""
import math
import numbers
import os
import re
import warnings

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
REDUCTIONS = ("sum", "mean")


class InvalidValue(ValueError):
    """A bad value; ``argument`` names the argument (``"epochs"``, ``"schedule"``, ``"X"`` …),
    ``index`` the item of it that is bad (``betas[1]``: 1), or None (the module docstring)."""

    index = None  # (subclasses that set ``argument`` themselves have no index)

    def __init__(self, argument, message, index=None):
        super().__init__(message)
        self.argument = argument
        self.index = index


class InvalidType(TypeError):
    """A value of the wrong type; ``argument`` and ``index`` as :class:`InvalidValue`'s."""

    index = None

    def __init__(self, argument, message, index=None):
        super().__init__(message)
        self.argument = argument
        self.index = index


def describe(value):
    """A short description of ``value`` for an error message: ``repr`` for plain values (cut at
    80 characters), type, shape and dtype for arrays (never their contents)."""
    if isinstance(value, np.ndarray):
        kind = "array" if type(value) is np.ndarray else type(value).__name__
        return f"{kind}(shape={value.shape}, dtype={value.dtype})"
    try:  # a refusal's message must not fail, nor warn, because a value prints badly
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (pandas warns printing a float16 Series)
            text = repr(value)
    except Exception:
        text = f"<{type(value).__qualname__} object>"
    text = " ".join(text.split())  # one line
    return text if len(text) <= 80 else text[:77] + "..."


shown = describe


#: An argument's name, then an optional integer index right after it: ``betas[1]``.
_NAME = re.compile(r"([^\[.]*)(?:\[(\d+)\])?")


def argument_of(name):
    """``(argument, index)`` of a ``name`` as :func:`invalid` takes it (the module docstring's
    rule): ``"betas[1]"`` → ``("betas", 1)``, ``"state.slots"`` → ``("state", None)``."""
    match = _NAME.match(name)
    return match.group(1), None if match.group(2) is None else int(match.group(2))


def invalid(name, value, requirement, error=ValueError):
    """The exception (:class:`InvalidValue`, or :class:`InvalidType` for ``error=TypeError``) with
    the message ``Invalid {name}: {value} ({requirement})``: ``raise invalid(...)``. Its
    ``argument`` is ``name`` without an index or attribute and its ``index`` the integer index
    that follows the argument (``betas[0]`` → ``betas`` and 0; see :func:`argument_of`)."""
    kind = InvalidType if issubclass(error, TypeError) else InvalidValue
    argument, index = argument_of(name)
    return kind(argument, f"Invalid {name}: {describe(value)} ({requirement})", index)


def wrong_type(name, value, requirement):
    """The ``TypeError`` for a ``value`` of the wrong type (raise it)."""
    return invalid(name, value, requirement, TypeError)


#: Registered as numbers but not numbers: bools, and ``np.timedelta64`` (a subclass of
#: ``np.signedinteger``, so ``numbers.Integral``, whose ``float()``/``int()`` fail or drop the unit).
NOT_NUMBERS = (bool, np.bool_, np.timedelta64)


def is_real(value):
    """A real number that is not a bool nor a ``timedelta64`` (numpy scalars included)."""
    return isinstance(value, numbers.Real) and not isinstance(value, NOT_NUMBERS)


def is_integer(value):
    """An integer that is not a bool nor a ``timedelta64`` (numpy integers included)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, NOT_NUMBERS)


def to_float(value):
    """A real number (``is_real``) as a float, ``±inf`` where it is beyond float64's range (an
    int or Fraction such as ``10**400``), for range checks that then refuse it by name."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


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
    if not is_integer(value):
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
    """``nbytes`` for a reader: ``'7.28 TiB'``, ``'512 MiB'`` (``'10^400 bytes'`` beyond float64)."""
    try:
        value = float(nbytes)
    except OverflowError:  # (epochs=10**400: an exact int, too large for any unit)
        return f"10^{len(str(int(nbytes))) - 1} bytes"
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if value < 1024 or unit == "EiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.3g} {unit}"
        value /= 1024
    return f"{value:.3g} EiB"  # pragma: no cover


#: Sizes up to this always pass :func:`fits_in_memory` without asking the system (reading
#: ``/proc/meminfo`` costs 15-400 µs, a sweep plans every run): an allocation this small that
#: fails is numpy's ``MemoryError``, there is nothing to estimate.
SMALL_ALLOCATION = 16 * 2**20


def fits_in_memory(name, value, nbytes, what):
    """Raise ``Invalid {name}: {value} ({what} needs about N, more than the M of memory
    available)`` (a ValueError) if ``nbytes`` exceed the memory available now."""
    if nbytes <= SMALL_ALLOCATION:
        return
    available = available_memory()
    if available is not None and nbytes > available:
        raise invalid(name, value, f"{what} needs about {byte_size(nbytes)}, more than the "
                                   f"{byte_size(available)} of memory available")
