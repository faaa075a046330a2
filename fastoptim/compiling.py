"""Say when a kernel is about to compile, and compile ahead of time (``fastoptim.warmup``).

Numba compiles a kernel the first time it is called with new argument types and keeps the
machine code on disk (``cache=True``), so only a process that meets a new combination (a rule,
a loss, float32 or float64 data, 1-D or (N, d), weights or not, shuffled or not …) pays for it,
a few seconds. :func:`announce` prints one line on stderr before such a call, when nothing in
the process or on disk has the code yet; ``fastoptim warmup`` (or :func:`fastoptim.warmup`)
compiles chosen combinations ahead of time, e.g. in CI or in a container build.
"""
import sys

__all__ = ["announce", "will_compile"]


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
