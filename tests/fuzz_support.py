"""The machinery of the fuzz suite (tests/test_fuzz.py): recipes of hostile arguments, the calls
of every public entry point, the rule every outcome is judged by, and the worker process that
runs the calls that could crash the interpreter.

**Recipes.** A drawn argument is a *recipe*: plain values, lists, tuples and dicts of them, and
:class:`R` nodes (``R("array", values, "strided")``, ``R("opt", "Adam", {...})``) that
:func:`build` turns into the object in the process that makes the call. A recipe pickles
faithfully (a non-contiguous view, a masked array, a memory map or a hand-made ``State`` would
not), prints as a reproducer, and can be replayed: ``python tests/fuzz_worker.py --replay
FILE`` (the path is in the failure's message).

**The rule** (:func:`judge`): a call returns a finite result (for ``train``: or a documented
divergence record) or raises ``ValueError``/``TypeError`` whose message reads ``Invalid {name}:
…`` with ``name`` one of the call's arguments (its ``error.argument`` too, where it has one).
Anything else fails: another exception, a message that names no argument, a non-finite result,
an unexpected warning, a crash or a hang of the worker.

**The worker** (:class:`Worker`, ``tests/fuzz_worker.py``): one long-lived ``python`` process
that takes pickled ``(entry, recipe)`` pairs on stdin and answers with pickled outcomes, so that
hundreds of kernel calls cost one interpreter start; a segfault, an abort or a hang (no answer
within :data:`CALL_TIMEOUT` seconds) is reported with the recipe and a replay command, and the
next call starts a new worker.
"""
from __future__ import annotations

import atexit
import collections
import functools
import io
import json
import math
import numbers
import os
import pickle
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import traceback
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

#: Examples run, by entry point (printed by the terminal-summary hook of tests/conftest.py), and
#: how each ended ("ok", "raised", or the command line's "refused", "diverged"), by entry point.
EXAMPLES = collections.Counter()
OUTCOMES = collections.defaultdict(collections.Counter)

#: Seconds a worker may take to answer one call (a cold compile of a new kernel signature takes
#: a few seconds; a sweep's up to ~30 s on this machine) before it counts as hung.
CALL_TIMEOUT = float(os.environ.get("FASTOPTIM_FUZZ_TIMEOUT", "300"))

#: Scratch folder of this process (memory-mapped arrays, run files, the command line's outputs).
SCRATCH = tempfile.mkdtemp(prefix="fastoptim-fuzz-")
atexit.register(shutil.rmtree, SCRATCH, True)


# --- recipes ---------------------------------------------------------------------------------------

class R:
    """A recipe node: ``tag`` and its arguments, built by :func:`build`."""

    __slots__ = ("tag", "args")

    def __init__(self, tag, *args):
        self.tag, self.args = tag, args

    def __repr__(self):
        return f"R({', '.join(map(_short_repr, (self.tag, *self.args)))})"

    def __reduce__(self):
        return (R, (self.tag, *self.args))


def _short_repr(value):
    if isinstance(value, np.ndarray):
        with np.printoptions(threshold=64, precision=17):
            return f"np.{value!r}" if value.dtype.kind != "O" else repr(value)
    return repr(value)


class Subclass(np.ndarray):
    """An ndarray subclass of our own (``np.matrix`` and ``np.memmap`` are numpy's)."""


class Opaque:
    """An object of no numeric kind (``object()`` prints its address: not reproducible)."""

    def __repr__(self):
        return "Opaque()"

    def __eq__(self, other):
        return isinstance(other, Opaque)

    __hash__ = object.__hash__


def constant_function(value, t):
    """A user's schedule ``t -> value`` (the recipe ``R("fn", value)``)."""
    return value


def stopping_callback(epoch, record):
    """A callback that returns ``fastoptim.STOP`` after ``epoch`` (``R("callback", epoch)``)."""
    import fastoptim as fo

    return fo.STOP if record.epoch >= epoch else None


def returning_callback(value, record):
    """A callback that returns ``value`` (anything but STOP or None is refused by train)."""
    return value


def build(recipe):
    """The object a recipe describes (lists, tuples and dicts built element by element)."""
    if isinstance(recipe, R):
        return BUILDERS[recipe.tag](*recipe.args)
    if type(recipe) is list:
        return [build(item) for item in recipe]
    if type(recipe) is tuple:
        return tuple(build(item) for item in recipe)
    if type(recipe) is dict:
        return {key: build(value) for key, value in recipe.items()}
    return recipe


_MEMMAPS = iter(range(10**9))


def build_array(values, layout="plain"):
    """``values`` (an ndarray) laid out as ``layout``: the odd arrays and array-likes of the fuzz."""
    a = np.array(values, copy=True)
    if layout == "plain":
        return a
    if layout == "list":
        return a.tolist()
    if layout == "tuple":
        return tuple(a.tolist()) if a.ndim else a.tolist()
    if layout == "fortran":
        return np.asfortranarray(a)
    if layout == "strided":  # every other element of a larger array: a non-contiguous view
        if a.ndim == 0:
            return a
        base = np.zeros((2 * a.shape[0],) + a.shape[1:], dtype=a.dtype)
        base[::2] = a
        return base[::2]
    if layout == "reversed":
        return a if a.ndim == 0 else np.flip(np.flip(a, 0).copy(), 0)
    if layout == "readonly":
        a.flags.writeable = False
        return a
    if layout == "unaligned":  # the same values at an odd address
        if a.dtype.kind == "O" or a.itemsize == 1:
            return a
        buffer = np.zeros(a.nbytes + 1, dtype=np.uint8)
        view = buffer[1:].view(a.dtype).reshape(a.shape)
        view[...] = a
        return view
    if layout == "matrix":
        if a.ndim > 2 or a.dtype.kind == "O":
            return a
        with warnings.catch_warnings():  # (numpy's advice against np.matrix: the point here)
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            return np.matrix(a)
    if layout == "masked":
        return np.ma.masked_array(a, mask=False)
    if layout == "masked_some":
        mask = np.zeros(a.shape, dtype=bool)
        if a.size:
            mask.flat[0] = True
        return np.ma.masked_array(a, mask=mask)
    if layout == "subclass":
        return a.view(Subclass)
    if layout == "memmap":
        if a.dtype.kind == "O" or a.size == 0:
            return a
        path = os.path.join(SCRATCH, f"memmap-{os.getpid()}-{next(_MEMMAPS)}.bin")
        mapped = np.memmap(path, dtype=a.dtype, mode="w+", shape=a.shape)
        mapped[...] = a
        return mapped
    if layout == "bigendian":
        return a.astype(a.dtype.newbyteorder(">")) if a.dtype.kind in "biuf" and a.itemsize > 1 else a
    if layout == "series":
        import pandas as pd

        return pd.Series(a) if a.ndim == 1 else pd.DataFrame(a) if a.ndim == 2 else a
    raise ValueError(f"unknown layout {layout!r}")  # pragma: no cover


def build_dataset(X, y, weights=None, options=None, after=None):
    """``fo.Dataset(X, y, weights, **options)``; ``after="nan"`` then writes NaN into the
    caller's ``X`` (which the data set may view: README, "A Dataset keeps a view")."""
    import fastoptim as fo

    X, y, weights = build(X), build(y), build(weights)
    data = fo.Dataset(X, y, weights, **build(options or {}))
    if after == "nan" and isinstance(X, np.ndarray) and X.flags.writeable and X.dtype.kind == "f":
        X.flat[0] = np.nan
    return data


_OPEN_FILES = []


def build_npz(entries):
    """``entries`` saved with ``np.savez`` and opened with ``np.load`` (no pickle), as the README
    saves and reloads a state; entries numpy cannot save without pickle are left out."""
    path = os.path.join(SCRATCH, f"state-{os.getpid()}-{next(_MEMMAPS)}.npz")
    arrays = {}
    for key, value in build(entries).items():
        array = np.asanyarray(value)
        if array.dtype.kind != "O" and not isinstance(array, np.ma.MaskedArray):
            arrays[key] = array
    np.savez(path, **arrays)
    stored = np.load(path, allow_pickle=False)
    _OPEN_FILES.append(stored)  # (open for the worker's life: the state may read it lazily)
    return stored


def build_optimizer(name, kwargs=None, args=()):
    import fastoptim as fo

    return fo.optimizers.OPTIMIZERS[name](*build(list(args)), **build(kwargs or {}))


def build_schedule(name, args=(), kwargs=None):
    import fastoptim as fo

    return getattr(fo.schedules, name)(*build(list(args)), **build(kwargs or {}))


def build_class(module, name):
    import importlib

    return getattr(importlib.import_module(module), name)


def build_early_stopping(kwargs):
    import fastoptim as fo

    return fo.EarlyStopping(**build(kwargs))


BUILDERS = {
    "array": build_array,
    "dataset": build_dataset,
    "opt": build_optimizer,
    "schedule": build_schedule,
    "class": build_class,
    "es": build_early_stopping,
    "fn": lambda value: functools.partial(constant_function, value),
    "callback": lambda epoch: functools.partial(stopping_callback, epoch),
    "returning": lambda value: functools.partial(returning_callback, value),
    "opaque": Opaque,
    "range": range,
    "set": set,
    "gen": lambda items: (item for item in items),
    "dtype": np.dtype,
    "npz": build_npz,
}


# --- checks of results -----------------------------------------------------------------------------

def _non_finite(value):
    """Whether ``value`` (a number, an array, or None) holds NaN or inf."""
    if value is None:
        return False
    array = np.asarray(value, dtype=np.float64)
    return not bool(np.all(np.isfinite(array)))


def finite_problems(problems, **values):
    for name, value in values.items():
        if _non_finite(value):
            problems.append(f"{name} is not finite: {value!r}")


# --- the calls ------------------------------------------------------------------------------------
#
# Each ``call_*`` takes the built recipe and returns a list of problems with the result (empty: a
# good result); an exception it raises is the call's outcome, judged by ``judge``.

def call_dataset(args):
    import fastoptim as fo

    data = build_dataset(*args)
    problems = []
    # after="nan" wrote NaN into the caller's X after the checks: a view sees it (documented,
    # README "A Dataset keeps a view"), so X's finiteness is not promised then
    written = args[4] == "nan" if len(args) > 4 else False
    for name in ("X", "y", "weights"):
        array = getattr(data, name)
        if array is None:
            continue
        if type(array) is not np.ndarray or array.dtype not in (np.float32, np.float64):
            problems.append(f"data.{name} is {type(array).__name__} of dtype {array.dtype}")
        elif array.dtype != data.X.dtype:
            problems.append(f"data.{name} has dtype {array.dtype}, X has {data.X.dtype}")
        elif not array.flags.c_contiguous or array.flags.writeable:
            problems.append(f"data.{name} is not a read-only C-contiguous array")
        if not (written and name == "X"):
            finite_problems(problems, **{f"data.{name}": array})
    if data.weights is not None and (data.weights.min() < 0 or not data.weights.any()):
        problems.append(f"data.weights are negative or all zero: {data.weights!r}")
    if data.X.ndim == 2 and data.X.shape[1] == 0 or data.n == 0 or data.y.shape != (data.n,):
        problems.append(f"data has shapes X {data.X.shape}, y {data.y.shape}")
    assert isinstance(data, fo.Dataset)
    return problems


def call_optimizer(args):
    name, kwargs = args
    optimizer = build_optimizer(name, kwargs)
    problems = []
    hyper = optimizer.hyper
    for field, value in zip(type(hyper)._fields, hyper):
        if not isinstance(value, float) or not math.isfinite(value):
            problems.append(f"hyper.{field} = {value!r}")
    if not callable(optimizer.lr) and not (isinstance(optimizer.lr, float) and optimizer.lr >= 0):
        problems.append(f"lr = {optimizer.lr!r}")
    return problems


def call_init(args):
    optimizer, params = build(args)
    state = optimizer.init(params)
    shape = np.shape(params)
    problems = []
    if state.step != 0 or state.slots.shape != (optimizer.n_slots, math.prod(shape)) or state.shape != shape:
        problems.append(f"state {state!r} with slots of shape {state.slots.shape} for params of shape {shape}")
    if state.slots.any() or _non_finite(state.scalars):
        problems.append("a fresh state is not zeros")
    return problems


def apply_state_edits(state, edits):
    """Edits of a state through its public surface (assignments, in-place writes)."""
    for edit in edits:
        kind, value = edit[0], build(edit[1]) if len(edit) > 1 else None
        if kind == "step":
            state.step = value
        elif kind == "slots":
            state.slots = value
        elif kind == "scalars":
            state.scalars = value
        elif kind == "form":
            state.form = value
        elif kind == "reshape_slots":  # in place, where only step() can see it (numpy itself refuses
            if int(np.prod(value)) == state.slots.size:  # a shape of another size: not ours to judge)
                state.slots.shape = value
        elif kind == "write_slots":  # (numpy's own overflow warning, writing 1e308 into float32, is
            if state.slots.size:      # the user's: only what the library then does is judged)
                with np.errstate(all="ignore"):
                    state.slots.flat[0] = value
        elif kind == "write_scalars":
            with np.errstate(all="ignore"):
                state.scalars[edit[2]] = value
        else:  # pragma: no cover
            raise ValueError(f"unknown edit {kind!r}")


def moderate(*arrays, limit=1e6):
    """Whether every array is finite and at most ``limit`` in magnitude (a step from such
    inputs with moderate hyperparameters must stay finite)."""
    for array in arrays:
        array = np.asarray(array)
        if array.dtype.kind not in "biuf":
            return False
        array = array.astype(np.float64)
        if not (np.all(np.isfinite(array)) and np.all(np.abs(array) <= limit)):
            return False
    return True


def _moderate_optimizer(optimizer):
    lr = optimizer.lr
    return (not callable(lr)) and lr <= 10.0 and all(abs(v) <= 1e6 for v in optimizer.hyper)


def call_step(args):
    """``opt.step`` ``times`` times on a state from ``opt.init`` (or ``fo.State(...)`` by hand)
    edited through its public surface."""
    import fastoptim as fo

    optimizer, params, grads, state_recipe, edits, times = args
    optimizer, params, grads = build(optimizer), build(params), build(grads)
    if state_recipe == "init":
        state = optimizer.init(params)
    else:  # fo.State(optimizer, step, slots, scalars, shape, dtype, slot_names[, form])
        state = fo.State(*build(state_recipe))
    apply_state_edits(state, edits)
    slots_before = state.slots.copy()
    step_before = state.step
    for _ in range(times):
        optimizer.step(params, grads, state)
    problems = []
    if state.step != step_before + times:
        problems.append(f"state.step went from {step_before} to {state.step} in {times} steps")
    if (moderate(np.asarray(params) if not isinstance(params, np.ndarray) else params.view(np.ndarray),
                 np.asarray(grads), slots_before) and _moderate_optimizer(optimizer)
            and np.asarray(params).dtype == np.float64 and state.step < 10**6):
        finite_problems(problems, params=np.asarray(params), slots=state.slots)
    return problems


def call_load_state(args):
    """``opt.load_state(data, params)`` on a tampered ``state.to_dict()``, then a step."""
    optimizer, data, params = build(args)
    state = optimizer.load_state(data, params)
    problems = []
    if _non_finite(state.slots) or _non_finite(state.scalars):
        problems.append("a loaded state holds non-finite values")
    grads = np.full(state.shape, 0.5, dtype=state.dtype)
    before = state.step
    if state.form == "stored":
        optimizer.step(params, grads, state)
        if state.step != before + 1:
            problems.append(f"state.step went from {before} to {state.step}")
        if moderate(np.asarray(params).view(np.ndarray)) and _moderate_optimizer(optimizer) and before < 10**6:
            finite_problems(problems, params=np.asarray(params))
    return problems


def _run_problems(problems, run, name="run", loaded=False):
    """``loaded``: a run read from a file, whose earlier parts may have run with record="none"
    (NaN losses): only its last epoch's loss is promised then."""
    import fastoptim as fo

    if not isinstance(run, fo.Run):
        return problems.append(f"{name} is {type(run).__name__}")
    finite_problems(problems, **{f"{name}.theta": run.theta, f"{name}.state.slots": run.state.slots})
    if run.diverged is None:
        if run.settings.get("record") != "none":
            finite_problems(problems, **{f"{name}.loss": run.loss[-1:] if loaded else run.loss})
        validation = run.validation_loss
        finite_problems(problems, **{f"{name}.validation_loss": validation[-1:] if loaded and validation is not None
                                     else validation, f"{name}.lr": run.lr})
    elif not (isinstance(run.diverged, dict) and set(run.diverged) == {"epoch", "step"}):
        problems.append(f"{name}.diverged = {run.diverged!r}")
    if run.state.step != run.steps:
        problems.append(f"{name}.state.step = {run.state.step}, {name}.steps = {run.steps}")
    return problems


def call_train(args):
    import fastoptim as fo

    kwargs, resume_kwargs = args
    kwargs = build(kwargs)
    run = fo.train(**kwargs)
    problems = _run_problems([], run)
    if resume_kwargs is not None and run.diverged is None:
        resumed = fo.train(**{**kwargs, **build(resume_kwargs), "resume": run})
        _run_problems(problems, resumed, "resumed")
    return problems


def call_sweep(args):
    """``fo.sweep``; every row must equal the ``fo.train`` run of its (config, seed) with the same
    arguments, bit for bit (θ, the per-epoch losses, divergence: the sweep's documented promise)."""
    import fastoptim as fo

    kwargs = build(args)
    result = fo.sweep(**kwargs)
    problems = []
    options = {key: value for key, value in kwargs.items()
               if key not in ("configs", "seeds", "executor", "chunk_size", "progress", "callbacks")}
    configs = list(kwargs["configs"])
    seeds = kwargs.get("seeds", (0,))
    seeds = [seeds] if isinstance(seeds, numbers.Integral) else list(seeds)
    pairs = [(config, seed) for config in configs for seed in seeds]
    if len(result) != len(pairs):
        return [f"{len(result)} rows for {len(pairs)} pairs"]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="the run diverged", category=RuntimeWarning)
        for row, (config, seed) in enumerate(pairs):
            run = fo.train(optimizer=config, seed=seed, **options)
            if not np.array_equal(result.theta[row], run.theta):
                problems.append(f"row {row}: theta {result.theta[row]!r}, train's {run.theta!r}")
            if bool(result.diverged[row]) != (run.diverged is not None):
                problems.append(f"row {row}: diverged {bool(result.diverged[row])}, train's {run.diverged}")
            if run.diverged is None and not np.array_equal(result.loss[row], run.loss, equal_nan=True):
                problems.append(f"row {row}: loss {result.loss[row]!r}, train's {run.loss!r}")
    finite_problems(problems, theta=result.theta)
    return problems


def call_lr_search(args):
    import fastoptim as fo

    try:
        found = fo.lr_search(**build(args))
    except FloatingPointError as error:  # documented: every rate diverged (tests/test_lr_search.py)
        if "every learning rate diverged" not in str(error):
            raise
        return []
    problems = []
    if not (isinstance(found.best_lr, float) and math.isfinite(found.best_lr) and found.best_lr > 0):
        problems.append(f"best_lr = {found.best_lr!r}")
    finite_problems(problems, best_validation_loss=found.validation_loss[0])
    return problems


def call_surface(args):
    import fastoptim as fo

    grid = fo.surface(**build(args))
    problems = []
    finite_problems(problems, best_w=grid.best_w, best_b=grid.best_b, best_loss=grid.best_loss, w=grid.w,
                    b=grid.b, loss=grid.loss)
    return problems


def call_schedule(args):
    """Build a schedule (or controller) and evaluate it at each counter of ``uses``."""
    name, sargs, skwargs, uses = args
    schedule = build_schedule(name, sargs, skwargs)
    problems = []
    momentum = name == "sutskever_momentum"
    for kind, t in uses:
        t = build(t)
        if name in ("halve_on_increase", "ReduceOnPlateau"):
            schedule.start(0.1)
            value = schedule.update(t)
        elif kind == "call":
            value = schedule(t)
        else:
            value = schedule.values(t)
        values = np.asarray(value, dtype=np.float64)
        if kind == "call" and isinstance(t, numbers.Integral) and not isinstance(value, float):
            problems.append(f"s({t!r}) is {type(value).__name__}, not float")
        if not np.all(np.isfinite(values)) or np.any(values < 0) or (momentum and np.any(values >= 1)):
            problems.append(f"{kind}({t!r}) = {values!r}")
    return problems


_BASE_RUNS = {}


def _base_run(kind):
    """A small finished run, saved to a file in the scratch folder: its path, and the run."""
    import fastoptim as fo

    if kind not in _BASE_RUNS:
        data = fo.data.two_points()
        options = {"plain": dict(epochs=2, init=[0.0, 0.0]),
                   "shuffled": dict(epochs=2, batch_size=1, shuffle=True, init=[0.0, 0.0], record="step"),
                   "adam": dict(epochs=2, init=[0.0, 0.0], validation=data)}[kind]
        optimizer = fo.Adam(lr=0.1) if kind == "adam" else fo.GD(lr=0.5)
        run = fo.train(data, optimizer, **options)
        path = run.save(os.path.join(SCRATCH, f"base-{kind}-{os.getpid()}.npz"))
        _BASE_RUNS[kind] = (path, run, optimizer, options)
    return _BASE_RUNS[kind]


_TAMPERED = iter(range(10**9))


def tampered_run_file(kind, tamper):
    """A run file: the saved base run, then ``tamper``: ``("truncate", k)``, ``("flip", k,
    byte)`` (a raw change, which the checksum finds), or ``("member", name, value)`` /
    ``("meta", key, value)`` / ``("drop", name)`` (a consistent change, the checksum recomputed,
    which the deeper checks must find)."""
    from fastoptim import runs

    base, _, _, _ = _base_run(kind)
    path = os.path.join(SCRATCH, f"run-{os.getpid()}-{next(_TAMPERED)}.npz")
    with open(base, "rb") as file:
        raw = file.read()
    action = tamper[0] if tamper else None
    if action in (None, "truncate", "flip"):
        if action == "truncate":
            raw = raw[: tamper[1] % (len(raw) + 1)]
        elif action == "flip":
            raw = bytearray(raw)
            raw[tamper[1] % len(raw)] ^= tamper[2] or 1
            raw = bytes(raw)
        with open(path, "wb") as file:
            file.write(raw)
        return path
    with np.load(base, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    if action == "member":
        value = build(tamper[2])
        try:
            arrays[tamper[1]] = np.asarray(value)
        except ValueError:  # a ragged list: numpy stores it only as an object array (pickled)
            arrays[tamper[1]] = np.array(value, dtype=object)
    elif action == "meta":
        meta = json.loads(str(arrays["meta"]))
        target = meta
        keys = tamper[1].split("/")
        for key in keys[:-1]:
            target = target.get(key) if isinstance(target, dict) else None
        if isinstance(target, dict):  # (a path into a null member changes nothing)
            target[keys[-1]] = tamper[2]
        arrays["meta"] = np.array(json.dumps(meta))
    elif action == "drop":
        arrays.pop(tamper[1], None)
    arrays.pop("checksum", None)
    arrays["checksum"] = np.array(runs._checksum(arrays))
    with open(path, "wb") as file:
        np.savez(file, **arrays)
    return path


def call_load_run(args):
    """``fo.load_run`` on a run file (tampered or not), or on a hostile path; a loaded run is
    resumed for one epoch with the base run's own arguments."""
    import fastoptim as fo

    kind, tamper, path = args
    if path is None:
        path = tampered_run_file(kind, tamper)
    else:
        path = build(path)
    run = fo.load_run(path)
    problems = _run_problems([], run, loaded=True)
    if run.diverged is None and run.stopped is None:
        _, _, optimizer, options = _base_run(kind)
        resumed = fo.train(fo.data.two_points(), optimizer, **{**options, "epochs": 1, "resume": run})
        _run_problems(problems, resumed, "resumed", loaded=True)
    return problems


def call_cli(argv):
    """``fastoptim.cli.main(argv)`` in the scratch folder, its output captured."""
    from fastoptim import cli

    argv = [item.replace("{scratch}", SCRATCH) for item in argv]
    if any("{run}" in item for item in argv):
        path, _, _, _ = _base_run("plain")
        argv = [item.replace("{run}", path) for item in argv]
    if any("{damaged}" in item for item in argv):
        argv = [item.replace("{damaged}", tampered_run_file("plain", ("flip", 200, 0x5A))) for item in argv]
    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(SCRATCH)
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        status = cli.main(argv)
    finally:
        sys.stdout, sys.stderr = stdout, stderr
        os.chdir(previous)
    return {"status": status, "stdout": out.getvalue(), "stderr": err.getvalue(), "argv": argv}


def call_crash(signal_number):
    """The worker's own test (tests/test_fuzz.py): die of ``signal_number``, as a kernel that
    segfaults would."""
    import signal

    os.kill(os.getpid(), signal_number or signal.SIGSEGV)


CALLS = {
    "crash": call_crash,
    "Dataset": call_dataset, "optimizer": call_optimizer, "init": call_init, "step": call_step,
    "load_state": call_load_state, "train": call_train, "sweep": call_sweep, "lr_search": call_lr_search,
    "surface": call_surface, "schedule": call_schedule, "load_run": call_load_run, "cli": call_cli,
}

#: Warnings that are documented outcomes, not failures: a run that diverged says so.
EXPECTED_WARNINGS = ("the run diverged", "runs of the sweep diverged")


def execute(entry, recipe):
    """Run one call; return its outcome as plain data (picklable)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="numba")
        try:
            result = CALLS[entry](recipe)
        except Exception as error:  # the outcome to judge (BaseException: not ours to catch)
            outcome = {"raised": _exception(error)}
        else:
            outcome = {"result": result}
    outcome["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught
                           if not (issubclass(w.category, RuntimeWarning)
                                   and str(w.message).startswith(EXPECTED_WARNINGS))]
    return outcome


def _exception(error):
    return {"type": type(error).__name__, "module": type(error).__module__,
            "value_error": isinstance(error, ValueError), "type_error": isinstance(error, TypeError),
            "message": str(error), "argument": getattr(error, "argument", None),
            "traceback": "".join(traceback.format_exception(type(error), error, error.__traceback__)[-12:])}


# --- the rule ---------------------------------------------------------------------------------------

_NAMED = re.compile(r"Invalid (?P<name>[^:]+?): ")


def named_argument(message):
    """The argument a message names: ``Invalid {name}: …`` → ``name`` without an index or
    attribute (``betas[0]`` → ``betas``, ``state.slots`` → ``state``, ``data['slots']`` →
    ``data``); None if it has not that shape."""
    match = _NAMED.match(message)
    if match is None:
        return None
    return re.split(r"[\[.]", match["name"])[0]


def judge(entry, recipe, outcome, allowed, *, invalid=None, must_succeed=False):
    """Fail (AssertionError) unless ``outcome`` keeps the rule (module docstring).

    ``allowed``: the names an error may give (the call's arguments); ``invalid``: when the
    strategy knows which arguments it made bad (a set, possibly empty), an error must name one of
    them and no error is allowed when it is empty; ``must_succeed``: the arguments are all valid.
    """
    where = f"{entry}{_reproducer(recipe)}"
    if outcome.get("crashed"):
        raise AssertionError(f"the call crashed the process: {outcome['crashed']}\n{where}")
    assert not outcome["warnings"], f"unexpected warnings {outcome['warnings']}\n{where}"
    raised = outcome.get("raised")
    if raised is None:
        problems = outcome["result"]
        assert not problems, f"a bad result: {problems}\n{where}"
        return _ended(entry, "ok")
    shown = f"{raised['module']}.{raised['type']}: {raised['message']}\n{raised['traceback']}\n{where}"
    assert not must_succeed and invalid != set(), f"valid arguments were refused: {shown}"
    assert raised["value_error"] or raised["type_error"], f"neither ValueError nor TypeError: {shown}"
    assert not (raised["value_error"] and raised["type_error"]), f"both ValueError and TypeError: {shown}"
    name = named_argument(raised["message"])
    if name is None:  # Python's own message for an unknown keyword names it too
        unexpected = re.search(r"unexpected keyword argument '(\w+)'", raised["message"])
        name = unexpected[1] if unexpected else None
    assert name is not None, f"the message does not read 'Invalid {{name}}: …': {shown}"
    assert name in allowed, f"the message names {name!r}, not one of the arguments {sorted(allowed)}: {shown}"
    if raised["argument"] is not None:
        argument = re.split(r"[\[.]", raised["argument"])[0]
        assert argument in allowed, f"error.argument is {raised['argument']!r}, not one of {sorted(allowed)}: {shown}"
    if invalid:
        assert name in invalid, f"the message names {name!r}, but the bad arguments are {sorted(invalid)}: {shown}"
    return _ended(entry, "raised")


def _ended(entry, how):
    OUTCOMES[entry.split("(")[0]][how] += 1
    return how


def _reproducer(recipe):
    text = repr(recipe)
    return f"\nrecipe: {text if len(text) < 4000 else text[:4000] + ' …'}"


def judge_cli(argv, outcome, flags):
    """The command line's rule: exit 0 (output printed, finite numbers in --json), 1 (the run
    diverged, said on stderr) or 2 (one line on stderr naming a flag); never an exception, a
    traceback or another status. ``flags``: the command's flags."""
    where = f"cli.main({argv!r})"
    if outcome.get("crashed"):
        raise AssertionError(f"the call crashed the process: {outcome['crashed']}\n{where}")
    raised = outcome.get("raised")
    assert raised is None, f"main raised {raised and raised['type']}: {raised and raised['message']}\n" \
                           f"{raised and raised['traceback']}\n{where}"
    result = outcome["result"]
    status, stdout, stderr = result["status"], result["stdout"], result["stderr"]
    assert not outcome["warnings"], f"unexpected warnings {outcome['warnings']}\n{where}\nstderr: {stderr}"
    assert "Traceback" not in stderr, f"a traceback on stderr:\n{stderr}\n{where}"
    assert status in (0, 1, 2), f"exit status {status}\nstderr: {stderr}\n{where}"
    if status == 2:
        lines = stderr.strip().splitlines()
        assert len(lines) == 1, f"exit 2 with {len(lines)} lines on stderr:\n{stderr}\n{where}"
        line = lines[0]
        assert line.startswith("fastoptim") and "error:" in line, f"not an error line: {line}\n{where}"
        named = re.findall(r"--[a-z][a-z0-9-]*", line)
        assert any(flag in flags for flag in named) or "invalid choice" in line or "required" in line \
            or "unrecognized arguments" in line, f"the error names no flag: {line}\n{where}"
        return _ended("cli", "refused")
    if status == 1:
        assert "diverged" in stderr, f"exit 1 without a divergence:\nstderr: {stderr}\n{where}"
        return _ended("cli", "diverged")
    assert stdout.strip(), f"exit 0 and nothing printed\n{where}"
    if "--json" in argv:
        document = json.loads(stdout)
        runs = document.get("runs", [document])
        for run in runs:
            for key in ("final_loss", "theta", "validation_loss", "best_w", "best_b", "best_loss"):
                if key in run and run[key] is not None:
                    assert not _non_finite(run[key]), f"--json {key} is not finite: {run[key]}\n{where}"
    return _ended("cli", "ok")


# --- the worker -------------------------------------------------------------------------------------

def _send(stream, payload):
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def _read_exactly(fd, count, timeout):
    chunks, got = [], 0
    while got < count:
        if timeout is not None:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                raise TimeoutError
        chunk = os.read(fd, min(count - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _receive(stream, timeout=None):
    """One message from ``stream`` (a pipe), or None at end of file; TimeoutError after
    ``timeout`` seconds without data."""
    fd = stream.fileno()
    header = _read_exactly(fd, 8, timeout)
    if header is None:
        return None
    data = _read_exactly(fd, struct.unpack("<Q", header)[0], timeout)
    return None if data is None else pickle.loads(data)


class Worker:
    """The long-lived worker process (``tests/fuzz_worker.py``) and its pipe."""

    def __init__(self):
        self.process = None
        self.log = None
        self.calls = 0

    def _start(self):
        self.log = tempfile.TemporaryFile(mode="w+b")
        env = dict(os.environ)
        env["PYTHONFAULTHANDLER"] = "1"
        self.process = subprocess.Popen([sys.executable, os.path.join(HERE, "fuzz_worker.py")],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                        cwd=ROOT, env=env)

    def call(self, entry, recipe):
        """The outcome of ``execute(entry, recipe)`` in the worker; ``{"crashed": …}`` if it died
        or hung (it is then stopped, and the next call starts another)."""
        if self.process is not None and self.process.poll() is not None:
            self._discard()
        if self.process is None:
            self._start()
        self.calls += 1
        try:
            _send(self.process.stdin, (entry, recipe))
            answer = _receive(self.process.stdout, CALL_TIMEOUT)
        except TimeoutError:
            self.process.kill()
            return self._crashed(entry, recipe, f"no answer within {CALL_TIMEOUT:g} s (a hang)")
        except (BrokenPipeError, OSError):
            answer = None
        if answer is None:
            return self._crashed(entry, recipe, "the worker died")
        return answer

    def _crashed(self, entry, recipe, what):
        status = self.process.wait()
        self.log.seek(0)
        tail = self.log.read().decode(errors="replace")[-3000:]
        self._discard()
        replay = os.path.join(tempfile.gettempdir(), f"fastoptim-fuzz-crash-{os.getpid()}-{self.calls}.pkl")
        with open(replay, "wb") as file:
            pickle.dump((entry, recipe), file)
        signal = f"signal {-status}" if status is not None and status < 0 else f"exit status {status}"
        return {"crashed": f"{what} ({signal}); replay: python tests/fuzz_worker.py --replay {replay}\n"
                           f"worker's stderr:\n{tail}"}

    def _discard(self):
        """Close the pipes and the log of a worker that has ended."""
        for stream in (self.process.stdin, self.process.stdout, self.log):
            try:
                stream.close()
            except OSError:
                pass
        self.process = self.log = None

    def close(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self._discard()


WORKER = Worker()
atexit.register(WORKER.close)


def run_in_worker(entry, recipe):
    return WORKER.call(entry, recipe)


def run_here(entry, recipe):
    return execute(entry, recipe)
