"""The one compile policy of every fastoptim kernel.

Every kernel is decorated with :func:`jit` (serial) or :func:`jit_parallel` (``prange``
loops), never with a bare ``numba.njit``, so the policy is set here and only here:

- ``cache=True``: a second process loads the machine code instead of compiling again.
- ``error_model="numpy"``: a division does not carry Python's zero-division check, which
  stops LLVM from vectorizing the loop (measured 3.6-8x on Adam, DESIGN.md).
- ``fastmath=FASTMATH``: an explicit flag set *without* ``nnan``/``ninf``, so NaN and inf
  checks (``x != x``) keep their meaning, and without ``reassoc``, so a sum is added in the
  order the code says (reductions are made fast by computing terms into a buffer with a
  vectorized loop, then adding them in order: kernels/model.py). ``reassoc`` also broke the
  2^k scaling of kernels/exp.py (``p * 2^a * 2^b`` regrouped to ``p * 2^(a+b)``, which
  overflows).
- dtypes: kernels are compiled lazily for the dtypes they are called with; the Python API
  only ever passes C-contiguous float32 or float64 arrays (checked at the edge), so each
  kernel has at most those two specialisations per array rank.

Numba's cache is keyed on the source file of each kernel: after editing this module, delete
the ``__pycache__`` folders of ``kernels/`` or the old flags are loaded from the cache.
"""
import numba

#: The fastmath flags of every kernel: no ``nnan``, no ``ninf``.
FASTMATH = frozenset({"nsz", "arcp", "contract", "afn"})

_OPTIONS = dict(cache=True, error_model="numpy", fastmath=set(FASTMATH), nogil=True)


def jit(function=None, **extra):
    """``numba.njit`` with the project's compile policy (serial)."""
    options = {**_OPTIONS, **extra}
    if function is None:
        return numba.njit(**options)
    return numba.njit(**options)(function)


def jit_parallel(function=None, **extra):
    """``numba.njit(parallel=True)`` with the project's compile policy."""
    return jit(function, parallel=True, **extra)


def vectorize(signatures):
    """``numba.vectorize`` with the project's compile policy, for eager float32/float64 ufuncs."""
    return numba.vectorize(signatures, cache=True, fastmath=set(FASTMATH))
