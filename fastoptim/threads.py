"""Work spread over threads from Python: the compiled kernels release the GIL (``nogil``), so
Python threads run them side by side.

Used where one call does a lot of independent work — the loss over a large data set (its
blocks), a sweep's pairs — instead of numba's ``prange``, for two reasons measured here: a
``prange`` kernel compiles several times slower than the same serial kernel (a first run paid
~1.7 s for the parallel loss alone), and its threads meet at a barrier, so when another process
holds the other core the call waits for that core's next time slice (seen: a 1 ms loss pass
taking 16-30 ms). Here the work is cut into more tasks than threads and every thread, the
caller's included, takes the next task until none is left: a thread that is not running takes
none, and the caller waits only for tasks already started.

The result never depends on how the tasks fell to the threads: each task writes only its own
rows, and the caller combines them in a fixed order afterwards.
"""
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["spread", "ranges", "thread_count"]

_pool = None
_pool_size = 0
_lock = threading.Lock()
#: Tasks per thread: enough that a late thread leaves little to wait for, few enough that the
#: cost of a task (~5 µs of Python) stays small.
TASKS_PER_THREAD = 4


def thread_count():
    """Threads to use: numba's (``NUMBA_NUM_THREADS``, ``numba.set_num_threads``)."""
    import numba

    return max(1, numba.get_num_threads())


def _workers(count):
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < count:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(count, thread_name_prefix="fastoptim")
            _pool_size = count
        return _pool


def spread(tasks, run):
    """Call ``run(task)`` for every ``task`` of the list ``tasks``, on the calling thread and up
    to ``thread_count() − 1`` others; return when all are done (an exception in a task is
    raised here, after the tasks already started finished). The caller waits only for tasks
    another thread has started: a helper that has not run yet finds none left."""
    threads = min(thread_count(), len(tasks))
    if threads <= 1:
        for task in tasks:
            run(task)
        return
    state = {"next": 0, "active": 0}
    errors = []
    done = threading.Condition()

    def work():
        while True:
            with done:
                if state["next"] >= len(tasks) or errors:
                    return
                task = tasks[state["next"]]
                state["next"] += 1
                state["active"] += 1
            try:
                run(task)
            except BaseException as error:  # kept, raised by the caller
                errors.append(error)
            finally:
                with done:
                    state["active"] -= 1
                    done.notify_all()

    pool = _workers(threads - 1)
    for _ in range(threads - 1):
        pool.submit(work)
    work()
    with done:
        while state["active"] > 0:
            done.wait()
    if errors:
        raise errors[0]


def ranges(count, threads=None):
    """``count`` items cut into about ``TASKS_PER_THREAD`` contiguous ranges per thread:
    a list of ``(first, last)`` (``last`` exclusive)."""
    threads = thread_count() if threads is None else threads
    parts = max(1, min(count, threads * TASKS_PER_THREAD))
    bounds = [count * k // parts for k in range(parts + 1)]
    return [(bounds[k], bounds[k + 1]) for k in range(parts) if bounds[k] < bounds[k + 1]]
