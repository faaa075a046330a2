"""Whole training runs (SPEC §2-§5): ``fastoptim.train`` and its numpy twin
``fastoptim.reference.train``.

Python checks the arguments, precomputes the learning rates (and momenta) of every step,
draws the epoch's permutation, and between epochs computes the losses, runs the plateau
controller and keeps the record; each epoch itself is one call of an *epoch engine*: the
compiled ``kernels/epochs.py`` for ``train``, the numpy per-step loop
``reference/epochs.py`` for ``reference.train``. Both receive the same arrays, so the two runs
can be compared step by step.
"""
import dataclasses
import hashlib
import numbers
import time
import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from . import _checks, schedules
from .data import Dataset
from .kernels import epochs as _compiled_epochs
from .kernels import model as _model_kernels
from .kernels import updates as _updates
from .optimizers import Optimizer
from .runs import Run
from .progress import EpochBar
from .reference import epochs as _reference_epochs
from .reference import model as _reference_model

#: Optimizer kinds that have a β (or β1), so that a momentum schedule applies.
_KINDS_WITH_BETA = frozenset({
    _updates.MOMENTUM, _updates.NESTEROV, _updates.RMSPROP, _updates.ADADELTA, _updates.ADAM,
    _updates.ADAMAX, _updates.NADAM, _updates.AMSGRAD, _updates.RADAM, _updates.ADAMP})

#: The run settings that a resumed run must repeat (compared with the saved run's).
_SETTINGS = ("data", "optimizer", "optimizer_arguments", "batch_size", "reduction", "schedule", "per",
             "momentum_schedule", "shuffle", "seed", "drop_last", "line_search", "record",
             "validation", "on_plateau")


def _compiled_loss(X, y, theta, mean):
    return _model_kernels.loss_total(X, y, theta, mean, True)


def _reference_loss(X, y, theta, mean):
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite loss is divergence, found by value
        return _reference_model.loss(_reference_epochs.Batch(X, y), theta, "mean" if mean else "sum")


@dataclass(frozen=True)
class _Engine:
    run_epoch: object
    loss: object


COMPILED = _Engine(_compiled_epochs.run_epoch, _compiled_loss)
REFERENCE = _Engine(_reference_epochs.run_epoch, _reference_loss)


def _optimizer_settings(optimizer):
    """The optimizer's class and constructor arguments, as JSON values (a schedule as its repr)."""
    arguments = {}
    for item in dataclasses.fields(optimizer):
        value = getattr(optimizer, item.name)
        arguments[item.name] = list(value) if isinstance(value, tuple) else value
    if callable(optimizer.lr):
        arguments["lr"] = _describe_function(optimizer.lr)
    return arguments


def _describe_function(function):
    """A schedule as saved with a run: a fastoptim schedule's repr (its arguments); any other
    function by its module and qualified name only (its repr holds a memory address, and its
    code cannot be compared), so resuming with another function of that name is not caught."""
    if isinstance(function, schedules.Schedule):
        return repr(function)
    name = getattr(function, "__qualname__", None) or type(function).__qualname__
    return f"{getattr(function, '__module__', None) or '?'}.{name}"


def _describe_controller(controller):
    """An ``on_plateau`` controller's kind and configuration (not its state, which changes)."""
    config = {name: getattr(controller, name) for name in ("factor", "patience", "threshold", "min_lr")
              if hasattr(controller, name)}
    return f"{type(controller).__qualname__}({', '.join(f'{k}={v!r}' for k, v in config.items())})"


def _describe_data(data):
    """A data set as saved with a run: its size, dtype and a digest of up to 4096 evenly spaced
    points, the first among them (not of all of them: cheap at 10^8 points, and enough to
    catch another data set)."""
    every = -(-data.n // 4096)
    digest = hashlib.blake2b(digest_size=8)
    digest.update(data.X[::every].tobytes())
    digest.update(data.y[::every].tobytes())
    return f"Dataset(n={data.n}, d={data.d}, dtype={data.dtype}, sample={digest.hexdigest()})"


# --- argument checks ------------------------------------------------------------------------------

def _schedule_values(schedule, counters, name):
    """``schedule`` at every counter, as float64: one vectorized call for a fastoptim schedule,
    one call per counter for any other function of the step."""
    if isinstance(schedule, schedules.Schedule):
        return np.asarray(schedule(counters), dtype=np.float64)
    values = [schedule(int(t)) for t in counters]
    for t, value in zip(counters, values):
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must return a real number, got {_checks.describe(value)} at t = {int(t)}")
    return np.array(values, dtype=np.float64)


def _learning_rates(schedule, counters):
    """The learning rate at every counter; ``ValueError`` if one is negative or NaN."""
    values = _schedule_values(schedule, counters, "schedule")
    bad = ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        index = int(np.argmax(bad))
        raise ValueError(f"schedule yields an invalid rate {values[index]} at t = {int(counters[index])} within the run")
    return values


def _momenta(schedule, counters):
    """β (or β1) at every counter; ``ValueError`` if one is outside [0, 1)."""
    values = _schedule_values(schedule, counters, "momentum_schedule")
    bad = ~((values >= 0) & (values < 1))
    if bad.any():
        index = int(np.argmax(bad))
        raise ValueError(f"momentum_schedule yields {values[index]} at t = {int(counters[index])}, outside [0, 1)")
    return values


def _validation_set(validation, data, seed):
    if validation is None:
        return data, None, None
    if isinstance(validation, Dataset):
        if validation.d != data.d or validation.dtype != data.dtype:
            raise ValueError(f"validation must have d = {data.d} and dtype {data.dtype} like data, "
                             f"got d = {validation.d} and dtype {validation.dtype}")
        return data, validation, _describe_data(validation)
    if isinstance(validation, numbers.Real) and not isinstance(validation, bool):
        if not 0.0 < float(validation) < 1.0:
            raise ValueError(f"validation must be a Dataset or a fraction in (0, 1), got {validation}")
        try:  # (the fraction is checked above: only an empty part is left to fail)
            train_part, validation_part = data.split(float(validation), seed)
        except ValueError as error:  # reworded to name train's argument
            raise ValueError(f"validation={validation} leaves an empty part of a data set of {data.n} points") from error
        return train_part, validation_part, float(validation)
    raise TypeError(f"validation must be a Dataset or a fraction in (0, 1), got {_checks.describe(validation)}")


def _line_search(candidates):
    if candidates is None:
        return np.empty(0)
    try:
        values = np.array(candidates, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"line_search must be a list of learning rates, got {_checks.describe(candidates)}") from error
    if values.ndim != 1:
        raise TypeError(f"line_search must be a flat list of learning rates, got {_checks.describe(candidates)}")
    if values.size == 0:
        raise ValueError("line_search must hold at least one learning rate, got an empty list")
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"line_search learning rates must be positive and finite, got {list(candidates)}")
    return values


def _steps_per_epoch(n, batch_size, drop_last):
    return n // batch_size if drop_last else -(-n // batch_size)


# --- the loop -------------------------------------------------------------------------------------

class _Prepared(NamedTuple):
    """A checked run, ready for its first epoch (``_prepare``)."""

    epochs: Any
    reduction: Any
    seed: Any
    candidates: Any
    train_data: Any
    validation_data: Any
    n: Any
    batch: Any
    n_steps: Any
    settings: Any
    dtype: Any
    theta: Any
    state: Any
    theta_start: Any
    first_epoch: Any
    first_step: Any
    total_steps: Any
    lrs: Any
    betas: Any


def _prepare(data, optimizer, *, epochs, batch_size, init, reduction, schedule, per, momentum_schedule,
             shuffle, seed, drop_last, line_search, record, validation, on_plateau, resume):
    """Check ``train``'s arguments and prepare the run: the split data, the starting θ and
    state, and every step's learning rate and momentum (also used by ``fastoptim.sweep``, so
    that a sweep's runs are ``train``'s bit for bit)."""
    # --- check everything before any kernel runs
    _checks.dataset(data)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a fastoptim optimizer such as fastoptim.Adam(), got {_checks.describe(optimizer)}")
    epochs = _checks.positive_int("epochs", epochs, minimum=0)
    reduction = _checks.reduction(reduction)
    if per not in ("step", "epoch"):
        raise ValueError(f"per must be 'step' or 'epoch', got {_checks.describe(per)}")
    if record not in ("epoch", "step"):
        raise ValueError(f"record must be 'epoch' or 'step', got {_checks.describe(record)}")
    for name, value in (("shuffle", shuffle), ("drop_last", drop_last)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {_checks.describe(value)}")
    seed = _checks.positive_int("seed", seed, minimum=0)
    if schedule is not None and not callable(schedule):
        raise TypeError(f"schedule must be a function of the step (e.g. fastoptim.schedules.cosine(...)), got {_checks.describe(schedule)}")
    if momentum_schedule is not None:
        if not callable(momentum_schedule):
            raise TypeError(f"momentum_schedule must be a function of the step, got {_checks.describe(momentum_schedule)}")
        if optimizer.kind not in _KINDS_WITH_BETA:
            raise ValueError(f"momentum_schedule needs an optimizer with a β or β1; {optimizer.name} has none")
    candidates = _line_search(line_search)
    if candidates.size and schedule is not None:
        raise ValueError("line_search chooses the learning rate of every step: schedule must be None")
    if on_plateau is not None:
        if not all(hasattr(on_plateau, name) for name in ("update", "lr", "start", "state_dict", "load_state_dict")):
            raise TypeError(f"on_plateau must be a controller such as fastoptim.schedules.halve_on_increase(), got {_checks.describe(on_plateau)}")
        if validation is None:
            raise ValueError("on_plateau needs a validation set: pass validation=<Dataset or fraction>")
        if schedule is not None or candidates.size:
            raise ValueError("on_plateau sets the learning rate: schedule and line_search must be None")
        if on_plateau.lr is None and callable(optimizer.lr) and (resume is None or resume.controller_state is None):
            raise ValueError("on_plateau has no initial lr and the optimizer's lr is a schedule: "
                             "give the controller lr=... or the optimizer a number")
    train_data, validation_data, validation_setting = _validation_set(validation, data, seed)
    n = train_data.n
    if batch_size is None:
        batch = n
    else:
        batch = min(_checks.positive_int("batch_size", batch_size), n)
    n_steps = _steps_per_epoch(n, batch, drop_last)
    lr_schedule = schedule if schedule is not None else optimizer.lr
    settings = {
        "data": _describe_data(data),
        "optimizer": optimizer.name, "optimizer_arguments": _optimizer_settings(optimizer),
        "batch_size": None if batch_size is None else int(batch_size), "reduction": reduction,
        "schedule": _describe_function(lr_schedule) if callable(lr_schedule) else None, "per": per,
        "momentum_schedule": _describe_function(momentum_schedule) if momentum_schedule is not None else None,
        "shuffle": bool(shuffle), "seed": seed, "drop_last": bool(drop_last),
        "line_search": candidates.tolist() or None, "record": record, "validation": validation_setting,
        "on_plateau": _describe_controller(on_plateau) if on_plateau is not None else None,
    }
    dtype = train_data.dtype
    start = _checks.theta(init, train_data.d, name="init").astype(dtype)  # checked even on resume
    if resume is not None:
        if not isinstance(resume, Run):
            raise TypeError(f"resume must be a Run, got {_checks.describe(resume)}")
        changed = [key for key in _SETTINGS if resume.settings.get(key) != settings[key]]
        if changed:
            key = changed[0]
            raise ValueError(f"resume: {key} differs from the run's: {settings[key]!r} != {resume.settings.get(key)!r}")
        if resume.diverged is not None:
            raise ValueError(f"resume: the run diverged at {resume.diverged}; it cannot be continued")
        if resume.theta.shape != (train_data.d + 1,) or resume.theta.dtype != dtype:
            raise ValueError(f"resume: the run's theta has shape {resume.theta.shape} and dtype {resume.theta.dtype}, "
                             f"data needs ({train_data.d + 1},) and {dtype}")
        theta = resume.theta.copy()
        state = optimizer.load_state(resume.state.to_dict(), theta)
        if on_plateau is not None and resume.controller_state is not None:
            on_plateau.load_state_dict(resume.controller_state)
    else:
        theta = start
        state = optimizer.init(theta)
    if on_plateau is not None and on_plateau.lr is None:  # starts at the optimizer's rate
        on_plateau.start(optimizer.lr)
    theta_start = theta.copy()
    first_epoch = resume.epochs if resume is not None else 0
    first_step = resume.steps if resume is not None else state.step
    total_steps = n_steps * epochs
    # every step's rate and momentum, computed (and checked) before the first step; the
    # counter of each step is its step number or its epoch number (``per``)
    if per == "step":
        counters = np.arange(first_step, first_step + total_steps, dtype=np.int64)
    else:
        counters = np.repeat(np.arange(first_epoch, first_epoch + epochs, dtype=np.int64), n_steps)
    if candidates.size or on_plateau is not None:
        lrs = np.zeros(total_steps)
    elif callable(lr_schedule):
        lrs = _learning_rates(lr_schedule, counters)
    else:
        lrs = np.full(total_steps, float(lr_schedule))
    betas = _momenta(momentum_schedule, counters) if momentum_schedule is not None else np.empty(0)
    return _Prepared(epochs, reduction, seed, candidates, train_data, validation_data, n, batch, n_steps,
                     settings, dtype, theta, state, theta_start, first_epoch, first_step, total_steps,
                     lrs, betas)


def train(data, optimizer, *, epochs, batch_size=None, init, reduction="mean", schedule=None,
          per="step", momentum_schedule=None, shuffle=False, seed=0, drop_last=False,
          line_search=None, record="epoch", validation=None, on_plateau=None, resume=None,
          progress=False, _engine=COMPILED):
    """Train the sigmoid neuron on ``data`` with ``optimizer``; return a :class:`Run`.

    - ``batch_size``: None for batch GD (one step per epoch), 1 for stochastic GD, ``B`` for
      mini-batches of ``B`` points (the last shorter batch kept unless ``drop_last``). A
      ``batch_size`` above ``N`` means one batch of all the points per epoch (SPEC §2).
    - ``init``: the starting ``[w…, b]`` (length ``d + 1``); with ``resume``, checked but not
      used (the run continues from its own ``θ``).
    - ``schedule``: the learning rate as a function of a counter that counts steps
      (``per="step"``) or epochs (``per="epoch"``), from 0; default: the optimizer's ``lr``
      (a number, or itself a schedule of the step). ``momentum_schedule`` likewise gives β (or
      β1) for optimizers that have one (SPEC §5).
    - ``shuffle``: visit the points in a new permutation each epoch, drawn from
      ``numpy.random.default_rng(seed)``.
    - ``line_search``: candidate learning rates; each step takes the one with the lowest batch
      loss after the step (SPEC §4); excludes ``schedule`` and ``on_plateau``.
    - ``record``: ``"epoch"`` (losses per epoch) or ``"step"`` (also ``θ`` and the batch loss
      after every step).
    - ``validation``: a Dataset, or a fraction of ``data`` to split off (with ``seed``); its loss
      is recorded per epoch. ``on_plateau``: a ``schedules.halve_on_increase`` /
      ``ReduceOnPlateau`` controller fed the validation loss after each epoch; its rate is used
      for the next epoch (a controller built without ``lr`` starts at the optimizer's).
    - ``resume``: a Run to continue for ``epochs`` more epochs, with the same data (compared by
      size, dtype and a sample of points) and the same settings; ``ValueError`` names the first
      that differs. A plain function as a schedule is compared by its name only.
    - ``progress``: show a bar (epochs, loss, updates/s) on a terminal for runs longer than
      about a second, updated between epochs (``fastoptim.progress``).

    ``Nesterov`` is run in the lecture's look-ahead form (the gradient at ``θ − β u``).
    """
    started = time.perf_counter()
    (epochs, reduction, seed, candidates, train_data, validation_data, n, batch, n_steps,
     settings, dtype, theta, state, theta_start, first_epoch, first_step, total_steps, lrs, betas) = _prepare(
        data, optimizer, epochs=epochs, batch_size=batch_size, init=init, reduction=reduction,
        schedule=schedule, per=per, momentum_schedule=momentum_schedule, shuffle=shuffle, seed=seed,
        drop_last=drop_last, line_search=line_search, record=record, validation=validation,
        on_plateau=on_plateau, resume=resume)

    # --- the epochs
    rng = np.random.default_rng(seed)
    if resume is not None and resume.rng_state is not None:
        rng.bit_generator.state = resume.rng_state
    hyper = optimizer.hyper
    lookahead = optimizer.kind == _updates.NESTEROV
    mean = reduction == "mean"
    X, y = train_data.X, train_data.y
    if shuffle:
        X_epoch, y_epoch = np.empty_like(X), np.empty_like(y)
    record_steps = record == "step"
    lr_used = np.empty(total_steps)
    step_loss = np.empty(total_steps if record_steps else n_steps)  # kept for every step, or one epoch's
    trajectory = np.empty((total_steps if record_steps else 0, theta.size), dtype=dtype)
    losses, validation_losses = [], []
    diverged = None
    done = 0
    bar = EpochBar(epochs, enabled=progress)
    next_check = bar.next_check
    for epoch in range(epochs):
        if shuffle:
            order = rng.permutation(n)
            np.take(X, order, axis=0, out=X_epoch)
            np.take(y, order, out=y_epoch)
        else:
            X_epoch, y_epoch = X, y
        window = slice(done, done + n_steps)
        step_window = window if record_steps else slice(0, n_steps)
        epoch_lrs = lrs[window]
        if on_plateau is not None:
            epoch_lrs[:] = on_plateau.lr
        completed = _engine.run_epoch(
            optimizer.kind, X_epoch, y_epoch, batch, n_steps, mean, lookahead,
            theta, state.slots, state.scalars, hyper, first_step + done,
            epoch_lrs, betas[window], candidates,
            step_loss[step_window], lr_used[window], trajectory[window] if record_steps else trajectory,
            record_steps)
        done += completed
        state.step = first_step + done
        if completed < n_steps:
            diverged = {"epoch": first_epoch + epoch, "step": int(completed)}
            warnings.warn(f"the run diverged at epoch {first_epoch + epoch}, step {completed}: the batch loss, "
                          f"the parameters or the optimizer's state became non-finite; the last finite "
                          f"parameters and state are kept", RuntimeWarning, stacklevel=2)
            break
        losses.append(_engine.loss(X, y, theta, mean))
        if validation_data is not None:
            validation_losses.append(_engine.loss(validation_data.X, validation_data.y, theta, mean))
        if not (np.isfinite(losses[-1]) and (validation_data is None or np.isfinite(validation_losses[-1]))):
            diverged = {"epoch": first_epoch + epoch, "step": n_steps}
            warnings.warn(f"the run diverged after epoch {first_epoch + epoch}: every step was finite but the "
                          f"loss over the {'validation' if np.isfinite(losses[-1]) else 'training'} set is "
                          f"not; the run stops there", RuntimeWarning, stacklevel=2)
            break
        if on_plateau is not None:
            on_plateau.update(validation_losses[-1])
        if epoch >= next_check:
            next_check = bar.update(epoch + 1, done, losses[-1])
    bar.close(len(losses), done, losses[-1] if losses else None)
    completed_epochs = len(losses)

    # --- the record, appended to the resumed run's
    def joined(previous, new):
        return new if previous is None else np.concatenate([previous, new])

    loss = np.array(losses, dtype=np.float64)
    validation_loss = np.array(validation_losses, dtype=np.float64) if validation_data is not None else None
    lr_record = lr_used[:done].copy()
    trajectory_record = step_record = None
    if record_steps:
        first_rows = resume.trajectory if resume is not None else theta_start.reshape(1, -1)
        trajectory_record = np.concatenate([first_rows, trajectory[:done]])
        step_record = step_loss[:done].copy()
    if resume is not None:
        loss = joined(resume.loss, loss)
        validation_loss = joined(resume.validation_loss, validation_loss) if validation_loss is not None else None
        lr_record = joined(resume.lr, lr_record)
        step_record = joined(resume.step_loss, step_record) if record_steps else None
    return Run(
        theta=theta, loss=loss, validation_loss=validation_loss, lr=lr_record,
        chosen_lr=lr_record.copy() if candidates.size else None, step_loss=step_record,
        trajectory=trajectory_record, epochs=first_epoch + completed_epochs, steps=first_step + done,
        seconds=(resume.seconds if resume is not None else 0.0) + time.perf_counter() - started,
        diverged=diverged, state=state, settings=settings,
        rng_state=rng.bit_generator.state if shuffle else None,
        controller_state=on_plateau.state_dict() if on_plateau is not None else None)
