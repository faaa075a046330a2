"""The one compile policy of every fastoptim kernel.

Every kernel is decorated with :func:`jit` (serial) or :func:`jit_parallel` (``prange``
loops), never with a bare ``numba.njit``, so the policy is set here and only here:

- ``cache=True``: a second process loads the machine code instead of compiling again.
- ``error_model="numpy"``: a division does not carry Python's zero-division check, which
  stops LLVM from vectorizing the loop (measured 3.6-8x on Adam, DESIGN.md).
- ``fastmath=FASTMATH``: only ``nsz`` (no signed zeros). No ``nnan``/``ninf``, so NaN and inf
  checks (``x != x``) keep their meaning. No ``reassoc``: sums are added in the order the code
  says (reductions are made fast by computing terms into a buffer with a vectorized loop, then
  adding them in order: kernels/model.py); ``reassoc`` also broke the 2^k scaling of
  kernels/exp.py. No ``contract``, ``arcp`` or ``afn``: LLVM applies those (FMA fusion,
  reciprocal multiplication, approximate functions) differently depending on the code around a
  formula, so the same update rule inlined in two kernels gave different bits (the serial and
  the parallel dispatcher differed in the last bit of Momentum with ``contract``). Without
  them a formula has the same bits wherever it is compiled, which the bit-for-bit promises
  (serial = parallel, ``sweep`` = ``train``, any thread count) rest on. Where a fused
  multiply-add is wanted it is written out (``exp.fma``): one rounding wherever it is compiled.
- dtypes: kernels are compiled lazily for the dtypes they are called with; the Python API
  only ever passes C-contiguous float32 or float64 arrays (checked at the edge), so each
  kernel has at most those two specialisations per array rank.

Caching across files: numba keys a cached function on its own source file only, but kernels
here inline code from other files of this package (``epochs.run_epoch`` inlines the update
rules of ``updates.py``). After an edit of ``updates.py`` a stale ``run_epoch`` would be loaded
from the cache, with the old slot layout: wrong results or a crash (seen during development).
So the cache stamp of every kernel is the stamp of the whole ``kernels/`` folder (each file's
name, mtime and size): editing any kernel file, or this policy, recompiles them all.

Where the cache lives: never inside the package. Numba's default writes it into
``kernels/__pycache__``; for an installed package that is ``site-packages/fastoptim/kernels/``,
and pip's uninstall does not remove files it did not install, so a later ``pip install -e``
found a ``site-packages/fastoptim/`` folder without ``__init__.py`` that Python imported as a
namespace package in place of the editable one (``fo.Dataset``: AttributeError; issue 12). So
the kernels are cached, in this order of preference, in ``$NUMBA_CACHE_DIR`` if it is set, in
numba's user-wide cache folder (``$XDG_CACHE_HOME/numba`` or ``~/.cache/numba``), else in a
folder of the temporary directory; in each, under a subfolder named for the absolute path of
this ``kernels/`` folder (numba's ``kernels_<sha1 of the path>``), so two installs or checkouts
never share entries. Removing the package leaves at most a cache folder outside it.
"""
import os
import tempfile

import numba
from numba.core import caching

_KERNELS_DIR = os.path.dirname(os.path.abspath(__file__))


def _package_stamp():
    """(name, mtime, size) of every ``.py`` file of kernels/: the cache stamp of every kernel."""
    stamp = []
    for name in sorted(os.listdir(_KERNELS_DIR)):
        if name.endswith(".py"):
            status = os.stat(os.path.join(_KERNELS_DIR, name))
            stamp.append((name, status.st_mtime, status.st_size))
    return tuple(stamp)


class _PackageStamp:
    """Mixed into numba's cache locators, for functions defined in kernels/ only."""

    def get_source_stamp(self):
        return _package_stamp()

    @classmethod
    def from_function(cls, py_func, py_file):
        if os.path.dirname(os.path.abspath(py_file)) != _KERNELS_DIR:
            return None
        return super().from_function(py_func, py_file)


class _UserProvidedLocator(_PackageStamp, caching.UserProvidedCacheLocator):
    """``$NUMBA_CACHE_DIR/kernels_<hash>``, when the variable is set."""


class _UserWideLocator(_PackageStamp, caching.UserWideCacheLocator):
    """Numba's user-wide folder (``~/.cache/numba/kernels_<hash>``)."""


class _TemporaryLocator(_PackageStamp, caching.UserWideCacheLocator):
    """``<tempdir>/numba-cache-<user>/kernels_<hash>``: when the user-wide folder is not
    writable (a read-only home). Numba would otherwise fall back to its in-tree locator."""

    def __init__(self, py_func, py_file):
        super().__init__(py_func, py_file)
        user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
        self._cache_path = os.path.join(tempfile.gettempdir(), f"numba-cache-{user}",
                                        self.get_suitable_cache_subpath(py_file))


#: The locators tried, in order, for a kernel; none writes inside the package.
LOCATORS = (_UserProvidedLocator, _UserWideLocator, _TemporaryLocator)

if _UserWideLocator not in caching.CacheImpl._locator_classes:
    # Numba tries its locators in order; ours go first and decline files outside kernels/.
    caching.CacheImpl._locator_classes[0:0] = list(LOCATORS)


def cache_folder(function):
    """The folder where the compiled ``function`` (a kernel) is cached."""
    return function._cache._cache_path

# Start the threading layer now: a cached kernel that calls a parallel kernel, loaded before
# any parallel kernel has run in the process, otherwise fails with "Symbol not found:
# allocate_sched" (seen with numba 0.68).
numba.get_num_threads()

#: The fastmath flags of every kernel: no ``nnan``, no ``ninf``.
FASTMATH = frozenset({"nsz"})

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


#: What an inlined helper is compiled with: the policy (no cache: it is compiled into its
#: callers, which are cached) and ``forceinline``, LLVM's ``alwaysinline``. Numba's own
#: ``inline="always"`` (inlining numba IR before typing) gives the same machine code here but
#: compiles several times slower (measured: a block sum 5.4 s against 1.2 s).
_INLINE = dict(error_model="numpy", fastmath=set(FASTMATH), forceinline=True)


def jit_inline(function):
    """``numba.njit`` with the project's compile policy, inlined into every caller by LLVM (for
    the small helpers of the hot loops: a call per point would stop vectorization)."""
    return numba.njit(**_INLINE)(function)


def overload(function):
    """``numba.extending.overload`` whose implementations are compiled with the project's
    compile policy and inlined by LLVM (an overload's implementation is otherwise compiled with
    numba's defaults: ``error_model="python"``, whose division checks stop vectorization).
    Kernels choose code at compile time through overloads: by the rule's record type, the loss,
    the data's dimensions, or whether an optional array is None."""
    from numba.extending import overload as numba_overload

    return numba_overload(function, jit_options=dict(_INLINE))


def vectorize(function):
    """``numba.vectorize`` with the project's compile policy: a ufunc compiled lazily, for the
    dtypes it is first called with (nothing is compiled at import), and cached."""
    return numba.vectorize(cache=True, fastmath=set(FASTMATH))(function)
