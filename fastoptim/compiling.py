"""Say when kernels are about to compile, have them ready before a run, and compile ahead of
time (``fastoptim.warmup``).

Numba compiles a kernel the first time it is called with new argument types and keeps the
machine code on disk (``cache=True``), so only a process that meets a new combination (a rule,
a loss, float32 or float64 data, 1-D or (N, d), weights or not, shuffled or not …) pays for it,
a few seconds. Before a run, ``train`` hands :func:`prepare` every compiled call the run will
make (the steps, the per-epoch loss, the schedules' loops): what is neither in the process nor
in the disk cache is compiled then, after one line on stderr (``progress=True``) that lists it,
and what the cache has is loaded, so the run's clock (``Run.seconds``) counts neither.
``fastoptim warmup`` (or :func:`fastoptim.warmup`) compiles chosen combinations ahead of time,
e.g. in CI or in a container build.
"""
import numbers
import sys

import numpy as np

from . import _checks

__all__ = ["prepare", "will_compile", "warmup"]


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
            if compiled is not None:  # loaded as numba's Dispatcher.compile loads it: the function made
                # known to the target context too, else another kernel that calls this one with these
                # types fails to lower the call ("No definition for lowering")
                if not compiled.objectmode:
                    dispatcher.targetctx.insert_user_function(compiled.entry_point, compiled.fndesc,
                                                              [compiled.library])
                dispatcher.add_overload(compiled)
                return False
        return True
    except Exception:  # numba internals: say nothing rather than fail a run
        return False


def _compile(dispatcher, args):
    """Compile ``dispatcher`` for the types of ``args``, as its first call would (and save it to
    the disk cache); a failure is left to that call, which raises it where it belongs."""
    try:
        dispatcher.compile(tuple(dispatcher.typeof_pyval(arg) for arg in args))
        return True
    except Exception:  # (a typing error is the call's to report, with its context)
        return False


def notice(what):
    """The one line that says ``what`` (descriptions) is about to compile."""
    listed = what[0] if len(what) == 1 else ", ".join(what[:-1]) + " and " + what[-1]
    return f"fastoptim: compiling {listed} (first use with these types; a few seconds, then cached on disk) ..."


#: ``(dispatcher, the arguments' type keys)`` found ready in this process: numba's typing of the
#: arguments (``typeof``, 3-8 µs an array) is done once per combination, not once per run.
_READY = set()


def _type_key(value):
    """What numba's type of ``value`` depends on, cheaply: for an array its dtype, dimensions,
    layout, writability and alignment, for anything else its class. Two values with the same key
    have the same numba type, for the arguments fastoptim passes its kernels (a key too coarse
    would only leave a compile to the call itself)."""
    if type(value) is np.ndarray:
        flags = value.flags
        return (value.dtype, value.ndim, flags.c_contiguous, flags.f_contiguous, flags.writeable, flags.aligned)
    return type(value)


def prepare(calls, *, announce=False, file=None):
    """Have every call of ``calls`` — ``(dispatcher, arguments, what)``, ``what`` a description —
    ready before it is made: loaded from numba's disk cache if it is there (:func:`will_compile`),
    else compiled now for the arguments' types. With ``announce``, one line on stderr (or
    ``file``) first, listing what compiles (each description once), and only if something does.
    Returns the descriptions of what compiled, in order (empty: everything was in the process or
    on disk)."""
    pending = []
    for dispatcher, args, what in calls:
        key = (dispatcher, tuple(_type_key(arg) for arg in args))
        if key in _READY:
            continue
        if will_compile(dispatcher, args):
            pending.append((dispatcher, args, what, key))
        else:
            _READY.add(key)
    compiled = tuple(dict.fromkeys(what for _, _, what, _ in pending))
    if announce and compiled:
        print(notice(compiled), file=sys.stderr if file is None else file, flush=True)
    for dispatcher, args, _, key in pending:
        if _compile(dispatcher, args):
            _READY.add(key)
    return compiled


def _each(name, value, check, what):
    """``value`` as a list: one value (a string, a bool, None or a number is one) or a non-empty
    sequence of them, each passed through ``check`` (which raises naming ``name``)."""
    if value is None or isinstance(value, (str, bytes, bool, np.bool_, numbers.Number)):
        items = [value]
    else:
        try:
            items = list(value)
        except TypeError:
            items = [value]
    if not items:
        raise _checks.invalid(name, value, f"must name at least one {what}")
    return [check(item) for item in items]


def _optimizer_name(optimizers):
    from .optimizers import OPTIMIZERS, Optimizer

    def check(optimizer):
        if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
            optimizer = optimizer.__name__
        if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
            raise _checks.invalid("optimizers", optimizers, f"must name fastoptim optimizers: {', '.join(OPTIMIZERS)}")
        return optimizer
    return check


def _dtype_name(value):
    if not isinstance(value, str):
        try:
            value = np.dtype(value).name
        except TypeError:
            pass
    return _checks.choice("dtypes", value, WARMUP_DTYPES)


def _batch_size(value):
    return None if value is None else _checks.positive_int("batch_sizes", value)


WARMUP_LOSSES = ("squared", "log")
WARMUP_DTYPES = ("float64", "float32")


def warmup(optimizers=("Adam",), *, losses=("squared",), dtypes=("float64",), features=(1,),
           batch_sizes=(1, 32, None), shuffle=(False, True), weights=(False,), line_search=False,
           sweep=False, progress=True):
    """Compile (or load from numba's disk cache) the kernels ``train`` uses for every
    combination of the arguments, so that later runs start at once: e.g. in CI, or when a
    container image is built (``fastoptim warmup`` on the command line).

    ``optimizers``: class names (``"Adam"``) or classes; ``losses``: ``"squared"``, ``"log"``;
    ``dtypes``: ``"float64"``, ``"float32"``; ``features``: ``d`` values (1 is ``X`` of shape
    (N,)); ``batch_sizes``: as ``train`` takes them (None: batch GD, whose batches are large
    enough for the parallel kernels); ``shuffle``, ``weights``: which of False/True (each of these
    one value or a sequence of them); ``line_search``, ``sweep`` (also the sweep kernels),
    ``progress``: True or False. Every argument is checked before anything compiles
    (``ValueError``/``TypeError`` naming it). Each combination is a short run on a small
    synthetic data set above ``model.PARALLEL_THRESHOLD`` points (so the parallel loss of the
    record compiles too). Returns the number of combinations run; with ``progress``, ``train``'s
    own line on stderr (:func:`prepare`) for each run that compiles something, and none for one
    whose kernels were in the process or on disk. (The sweep kernels compile without a line.)
    """
    import itertools

    from . import data as datasets

    names = _each("optimizers", optimizers if not isinstance(optimizers, type) else [optimizers],
                  _optimizer_name(optimizers), "optimizer")
    losses = _each("losses", losses, lambda value: _checks.choice("losses", value, WARMUP_LOSSES), "loss")
    dtypes = _each("dtypes", dtypes, _dtype_name, "dtype")
    features = _each("features", features, lambda value: _checks.positive_int("features", value), "feature count")
    batch_sizes = _each("batch_sizes", batch_sizes, _batch_size, "batch size")
    shuffle = _each("shuffle", shuffle, lambda value: _checks.flag("shuffle", value), "value")
    weights = _each("weights", weights, lambda value: _checks.flag("weights", value), "value")
    line_search = _checks.flag("line_search", line_search)
    sweep = _checks.flag("sweep", sweep)
    progress = _checks.flag("progress", progress)

    from . import training
    from .kernels.model import PARALLEL_THRESHOLD
    from .optimizers import OPTIMIZERS

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
        options = dict(epochs=1, batch_size=batch_size, init=np.zeros(data.d + 1), loss=loss, shuffle=shuffled,
                       line_search=[0.1, 1.0] if line_search else None)
        optimizer = OPTIMIZERS[name]()
        training.train(data, optimizer, progress=progress, **options)
        if sweep:
            from .sweeps import sweep as run_sweep

            run_sweep(data, [optimizer], epochs=1, batch_size=batch_size, init=np.zeros(data.d + 1), loss=loss,
                      shuffle=shuffled)
        count += 1
    return count
