"""Say when a kernel is about to compile, and compile ahead of time (``fastoptim.warmup``).

Numba compiles a kernel the first time it is called with new argument types and keeps the
machine code on disk (``cache=True``), so only a process that meets a new combination (a rule,
a loss, float32 or float64 data, 1-D or (N, d), weights or not, shuffled or not …) pays for it,
a few seconds. :func:`announce` prints one line on stderr before such a call, when nothing in
the process or on disk has the code yet; ``fastoptim warmup`` (or :func:`fastoptim.warmup`)
compiles chosen combinations ahead of time, e.g. in CI or in a container build.
"""
import sys

__all__ = ["announce", "will_compile", "warmup"]


def will_compile(dispatcher, args):
    """True if calling ``dispatcher(*args)`` compiles: no specialisation for the arguments' types
    in this process, and none in numba's on-disk cache (loaded into the process if found). False
    when unsure (numba's internals differ from the version this was written for)."""
    try:
        signature = tuple(dispatcher.typeof_pyval(arg) for arg in args)
        if signature in dispatcher.overloads:
            return False
        if dispatcher._cache is not None:
            compiled = dispatcher._cache.load_overload(signature, dispatcher.targetctx)
            if compiled is not None:
                dispatcher.add_overload(compiled)
                return False
        return True
    except Exception:  # numba internals: say nothing rather than fail a run
        return False


def announce(dispatcher, args, what, file=None):
    """One line on stderr (or ``file``) if calling ``dispatcher(*args)`` is about to compile."""
    if will_compile(dispatcher, args):
        print(f"fastoptim: compiling {what} (first use with these types; a few seconds, then cached on disk) ...",
              file=sys.stderr if file is None else file, flush=True)
        return True
    return False


def warmup(optimizers=("Adam",), *, losses=("squared",), dtypes=("float64",), features=(1,),
           batch_sizes=(1, 32, None), shuffle=(False, True), weights=(False,), line_search=False,
           sweep=False, progress=True):
    """Compile (or load from numba's disk cache) the kernels ``train`` uses for every
    combination of the arguments, so that later runs start at once: e.g. in CI, or when a
    container image is built (``fastoptim warmup`` on the command line).

    ``optimizers``: class names (``"Adam"``) or classes; ``losses``: ``"squared"``, ``"log"``;
    ``dtypes``: ``"float64"``, ``"float32"``; ``features``: ``d`` values (1 is ``X`` of shape
    (N,)); ``batch_sizes``: as ``train`` takes them (None: batch GD, whose batches are large
    enough for the parallel kernels); ``shuffle``, ``weights``: which of False/True; ``sweep``:
    also the sweep kernels. Each combination is a short run on a small synthetic data set above
    ``model.PARALLEL_THRESHOLD`` points (so the parallel loss of the record compiles too).
    Returns the number of combinations run; with ``progress``, one line on stderr for each that
    had to compile.
    """
    import itertools
    import time

    import numpy as np

    from . import _checks, data as datasets
    from .optimizers import OPTIMIZERS, Optimizer

    names = []
    for optimizer in (optimizers,) if isinstance(optimizers, (str, type)) else optimizers:
        if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
            optimizer = optimizer.__name__
        if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
            raise _checks.invalid("optimizers", optimizers, f"must name fastoptim optimizers: {', '.join(OPTIMIZERS)}")
        names.append(optimizer)
    from .kernels.model import PARALLEL_THRESHOLD
    from .training import train

    count = 0
    cache = {}
    for name, loss, dtype, d, batch_size, shuffled, weighted in itertools.product(
            names, losses, dtypes, features, batch_sizes, shuffle, weights):
        key = (dtype, d, weighted)
        if key not in cache:
            base = datasets.synthetic(2 * PARALLEL_THRESHOLD, d=d, dtype=dtype, seed=0)
            y = np.clip(base.y, 0.0, 1.0)
            cache[key] = datasets.Dataset(base.X, y, weights=np.ones(base.n, dtype=base.dtype) if weighted else None)
        data = cache[key]
        started = time.perf_counter()
        options = dict(epochs=1, batch_size=batch_size, init=np.zeros(data.d + 1), loss=loss, shuffle=shuffled,
                       line_search=[0.1, 1.0] if line_search else None)
        optimizer = OPTIMIZERS[name]()
        train(data, optimizer, **options)
        if sweep:
            from .sweeps import sweep as run_sweep

            run_sweep(data, [optimizer], epochs=1, batch_size=batch_size, init=np.zeros(data.d + 1), loss=loss,
                      shuffle=shuffled)
        seconds = time.perf_counter() - started
        count += 1
        if progress and seconds > 0.2:
            print(f"fastoptim warmup: {name}, {loss} loss, {dtype}, d = {d}, batch {batch_size or 'full'}"
                  f"{', shuffled' if shuffled else ''}{', weighted' if weighted else ''}: {seconds:.1f} s",
                  file=sys.stderr, flush=True)
    return count
