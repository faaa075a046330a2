"""One run plan: every decision about a training run, made once (SPEC §2-§5, §9).

:func:`plan_run` checks ``train``'s arguments and decides everything about the run before any
kernel runs — the training and validation data, the loss, the batch size and the steps per
epoch, the starting θ and optimizer state (fresh or resumed), the learning rate η and momentum
β of every step (:class:`Rates`: one resolution of every source), the visiting order's seed,
what is recorded (and whether it fits in memory), the controllers' configurations and the
settings a resumed run must repeat — and returns a frozen :class:`RunPlan`. The engines consume
it: ``fastoptim.training.run_plan`` (the compiled steps, or the numpy reference's engine), and
``fastoptim.sweep`` (stacked plans). Nothing here imports the reference.

The η sources, and what each combination means (anything else raises, naming the argument):

- the optimizer's ``lr``: a number (constant η), or a schedule of the step ``t`` (always the
  step: it is the same function ``opt.step`` evaluates at ``state.step``);
- ``schedule=``: a schedule of the step or the epoch (``per``); the optimizer's ``lr`` must then
  be a number, which the schedule replaces (two schedules are refused);
- ``line_search=``: candidate η's, one chosen per step (SPEC §4); excludes both schedules and
  ``on_plateau``; the optimizer's number is not used;
- ``on_plateau=``: a controller that sets η after each epoch from the validation loss; it
  starts at its own ``lr`` or, without one, the optimizer's number; excludes the schedules and
  line search. The controller passed is a configuration: each run works on its own copy, so the
  same controller gives the same run twice (a resumed run continues the copy's saved state).

β: the optimizer's own (``beta`` / ``betas[0]``), or ``momentum_schedule=`` (counting as ``per``
says), only for rules whose β is a momentum (Momentum, Nesterov, and β1 of Adam, AdaMax, NAdam,
AMSGrad, RAdam, AdamP); refused elsewhere. ``per`` applies to ``schedule=`` and
``momentum_schedule=``; ``per="epoch"`` without either is refused (it would count nothing).
"""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import _checks, schedules
from .callbacks import EarlyStopping, check_callbacks
from .data import Dataset
from .optimizers import Nesterov, Optimizer, State
from .plateau import check_controller
from .runs import Run

#: Steps per call of the compiled steps: η and β are evaluated (and step records kept, with
#: record="epoch") for this many steps at a time, so a run's bookkeeping does not grow with its
#: number of steps (2^16 steps: 0.5 MiB of rates; the Python work per call, ~10 µs, is lost in
#: the ~1 ms the steps take even at batch size 1).
STEPS_PER_CALL = 1 << 16

LOSSES = ("squared", "log")
RECORDS = ("epoch", "step", "none")

#: The run settings that a resumed run must repeat (compared with the saved run's).
RESUMED_SETTINGS = ("data", "optimizer", "optimizer_arguments", "loss", "batch_size", "reduction",
                    "schedule", "per", "momentum_schedule", "shuffle", "seed", "drop_last",
                    "line_search", "record", "validation", "on_plateau", "early_stopping")


# --- η and β ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rates:
    """η and β of every step of a run, resolved once (see the module docstring).

    - ``source``: ``"constant"``, ``"schedule"`` (``schedule=``), ``"optimizer"`` (the optimizer's
      ``lr`` is a schedule of the step), ``"line_search"`` or ``"plateau"``;
    - ``lr``: the constant η (``"constant"``), or the controller's starting η (``"plateau"``);
    - ``schedule``, ``per``: the schedule and the counter it sees (``"step"``: the run's global
      step, from 0; ``"epoch"``: the epoch, from 0);
    - ``candidates``: line search's η's (float64), or None;
    - ``momentum``, ``momentum_per``: the β schedule and its counter, or None; ``beta``: the
      optimizer's own β (or β1), or None where the rule has no momentum.
    """

    source: str
    lr: float | None
    schedule: Callable | None
    per: str
    candidates: np.ndarray | None
    momentum: Callable | None
    beta: float | None

    def learning_rates(self, epoch, first_step, n, plateau_lr=None):
        """η of the steps ``first_step … first_step + n − 1`` (global step numbers) of ``epoch``,
        float64 (zeros under line search: the search chooses; ``plateau_lr``: the controller's
        current η)."""
        if self.source == "constant":
            return np.full(n, self.lr)
        if self.source == "plateau":
            return np.full(n, plateau_lr)
        if self.source == "line_search":
            return np.zeros(n)
        counters = _counters(self.per if self.source == "schedule" else "step", epoch, first_step, n)
        return schedules.evaluate(self.schedule, counters, "schedule" if self.source == "schedule" else "lr",
                                  kind="lr")

    def momenta(self, epoch, first_step, n):
        """β of those steps (float64), or an empty array: the optimizer's own β throughout."""
        if self.momentum is None:
            return np.empty(0)
        return schedules.evaluate(self.momentum, _counters(self.per, epoch, first_step, n),
                                  "momentum_schedule", kind="momentum")

    def beta_of_step(self, epoch, step):
        """β at the global step ``step`` (for the per-epoch record), or None (no momentum)."""
        if self.beta is None:
            return None
        if self.momentum is None:
            return self.beta
        return float(self.momenta(epoch, step, 1)[0])


def _counters(per, epoch, first_step, n):
    if per == "epoch":
        return np.full(n, epoch, dtype=np.int64)
    return np.arange(first_step, first_step + n, dtype=np.int64)


def _line_search(candidates):
    if candidates is None:
        return None
    if isinstance(candidates, (str, bytes)) or not hasattr(candidates, "__len__"):
        raise _checks.wrong_type("line_search", candidates, "must be a list of learning rates")
    values = []
    for index, value in enumerate(candidates):
        if not _checks.is_real(value):
            raise _checks.wrong_type("line_search", candidates,
                                     f"must be a list of numbers; item {index} is {_checks.describe(value)}")
        values.append(_checks.to_float(value))
    if not values:
        raise _checks.invalid("line_search", candidates, "must hold at least one learning rate")
    array = np.array(values, dtype=np.float64)
    if not np.all(np.isfinite(array) & (array > 0)):
        raise _checks.invalid("line_search", candidates, "learning rates must be positive and finite")
    return array


def resolve_rates(optimizer, *, schedule, per, momentum_schedule, line_search, on_plateau):
    """The one resolution of η and β for a run (see the module docstring); raises for any
    combination without a meaning, naming the argument."""
    per = _checks.choice("per", per, ("step", "epoch"))
    if schedule is not None and not callable(schedule):
        raise _checks.wrong_type("schedule", schedule,
                                 "must be a function of the step, e.g. fastoptim.schedules.cosine(...)")
    if momentum_schedule is not None:
        if not callable(momentum_schedule):
            raise _checks.wrong_type("momentum_schedule", momentum_schedule, "must be a function of the step")
        if optimizer.momentum_field is None:
            raise _checks.invalid("momentum_schedule", momentum_schedule,
                                  f"{optimizer.name} has no momentum: its β, if any, averages squared "
                                  f"gradients; a momentum schedule applies to Momentum, Nesterov and "
                                  f"β1 of the Adam family")
    candidates = _line_search(line_search)
    optimizer_schedule = callable(optimizer.lr)
    if per == "epoch" and schedule is None and momentum_schedule is None:
        raise _checks.invalid("per", per, "counts the steps or epochs of schedule= and momentum_schedule=, "
                                          "and neither is given (the optimizer's own lr schedule counts steps)")
    if schedule is not None and optimizer_schedule:
        raise _checks.invalid("schedule", schedule, f"the optimizer's lr is already a schedule "
                                                   f"({_checks.describe(optimizer.lr)}): give one of the two")
    if candidates is not None and (schedule is not None or optimizer_schedule):
        raise _checks.invalid("line_search", line_search, "chooses the learning rate of every step: "
                                                        "schedule= and a schedule as the optimizer's lr are excluded")
    beta = None
    if optimizer.momentum_field is not None:
        beta = float(getattr(optimizer.hyper, optimizer.momentum_field))
    if on_plateau is not None:
        check_controller(on_plateau)
        if schedule is not None or candidates is not None or optimizer_schedule:
            raise _checks.invalid("on_plateau", on_plateau, "sets the learning rate after each epoch: "
                                                          "schedule=, line_search= and a schedule as the "
                                                          "optimizer's lr are excluded")
        start = on_plateau.lr if on_plateau.lr is not None else optimizer.lr
        on_plateau.copy().start(start)  # the configuration against the starting rate (min_lr <= lr)
        return Rates("plateau", float(start), None, per, None, momentum_schedule, beta)
    if candidates is not None:
        return Rates("line_search", None, None, per, candidates, momentum_schedule, beta)
    if schedule is not None:
        return Rates("schedule", None, schedule, per, None, momentum_schedule, beta)
    if optimizer_schedule:
        return Rates("optimizer", None, optimizer.lr, "step", None, momentum_schedule, beta)
    return Rates("constant", float(optimizer.lr), None, per, None, momentum_schedule, beta)


# --- descriptions saved with a run ------------------------------------------------------------------

def describe_function(function):
    """A schedule as saved with a run: a fastoptim schedule's repr (its arguments); any other
    function by its module and qualified name only (its repr holds a memory address, and its
    code cannot be compared), so resuming with another function of that name is not caught."""
    if isinstance(function, schedules.Schedule):
        return repr(function)
    name = getattr(function, "__qualname__", None) or type(function).__qualname__
    return f"{getattr(function, '__module__', None) or '?'}.{name}"


def describe_data(data):
    """A data set as saved with a run: its size, dtype and a digest of up to 1024 evenly spaced
    points (and their weights), the first among them (not of all of them: cheap at 10^8 points,
    and enough to catch another data set)."""
    every = -(-data.n // 1024)
    digest = hashlib.blake2b(digest_size=8)
    digest.update(data.X[::every].tobytes())
    digest.update(data.y[::every].tobytes())
    weights = getattr(data, "weights", None)
    if weights is not None:
        digest.update(weights[::every].tobytes())
    return f"Dataset(n={data.n}, d={data.d}, dtype={data.dtype}, sample={digest.hexdigest()})"


def optimizer_settings(optimizer):
    """The optimizer's constructor arguments, as JSON values (a schedule as its description)."""
    arguments = {}
    for item in dataclasses.fields(optimizer):
        value = getattr(optimizer, item.name)
        arguments[item.name] = list(value) if isinstance(value, tuple) else value
    if callable(optimizer.lr):
        arguments["lr"] = describe_function(optimizer.lr)
    return arguments


# --- the plan ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunPlan:
    """Every decision about one training run (see the module docstring), frozen.

    The arrays it holds (``theta``, ``state``'s) are the run's starting point: engines copy them
    into their own working state, so a plan can be run again.
    """

    optimizer: Optimizer
    hyper: Any                      # the kernels' rule record the steps use
    lookahead: bool                 # Nesterov in the lecture's look-ahead form
    loss: str                       # "squared" or "log"
    reduction: str
    mean: bool
    data: Dataset                   # the training part
    validation: Dataset | None
    batch_size: int                 # points per step (N for batch GD)
    steps_per_epoch: int
    epochs: int                     # to run now
    first_epoch: int                # epochs before (resume)
    first_step: int                 # steps before (resume)
    theta: np.ndarray               # starting θ, the data's dtype
    state: State                    # starting optimizer state
    rates: Rates
    shuffle: bool
    seed: int
    rng_state: dict | None          # the shuffle generator's state to continue from (resume)
    record: str                     # "epoch", "step" or "none"
    controller: Any                 # on_plateau's configuration, or None
    controller_state: dict | None   # its state to continue from (resume)
    early_stopping: EarlyStopping | None
    early_stopping_state: dict | None
    callbacks: tuple
    progress: bool
    settings: dict                  # what the run saves and a resumed run must repeat
    resume: Run | None

    @property
    def total_steps(self):
        """Steps this plan runs (before any early stop or divergence)."""
        return self.steps_per_epoch * self.epochs


def steps_per_epoch(n, batch_size, drop_last):
    """SPEC §2: 1 for batch GD, ⌈N/B⌉ (or ⌊N/B⌋ with ``drop_last``) for mini-batches."""
    return n // batch_size if drop_last else -(-n // batch_size)


def _validation_argument(validation):
    """``validation`` on its own (no data needed): None, a Dataset, or a fraction in (0, 1) (a
    real number, not a bool), as a float."""
    if validation is None or isinstance(validation, Dataset):
        return validation
    if not _checks.is_real(validation):
        raise _checks.wrong_type("validation", validation, "must be a Dataset or a fraction in (0, 1)")
    fraction = _checks.to_float(validation)
    if not 0.0 < fraction < 1.0:  # (NaN fails too)
        raise _checks.invalid("validation", validation, "must be a Dataset or a fraction in (0, 1)")
    return fraction


def _validation_set(validation, data, seed, given):
    """The training and validation parts of ``data`` for a checked ``validation``
    (:func:`_validation_argument`; ``given``: the caller's value, for the message)."""
    if validation is None:
        return data, None, None
    if isinstance(validation, Dataset):
        if validation.d != data.d or validation.dtype != data.dtype:
            raise _checks.invalid("validation", validation, f"must have d = {data.d} and dtype {data.dtype} like data")
        return data, validation, describe_data(validation)
    try:  # (the fraction is checked: only an empty part is left to fail)
        train_part, validation_part = data.split(validation, seed)
    except ValueError as error:  # reworded to name train's argument
        raise _checks.invalid("validation", given,
                              f"leaves an empty part of a data set of {data.n} points") from error
    return train_part, validation_part, validation


def _check_loss_labels(loss, data, validation):
    if loss == "log":
        for name, part in (("data", data), ("validation", validation)):
            if part is None:
                continue
            y = part.y
            outside = (y < 0) | (y > 1)
            if outside.any():
                index = int(np.argmax(outside))
                raise _checks.invalid("loss", loss, f"the log loss needs targets in [0, 1]; {name}.y[{index}] = "
                                                    f"{float(y[index])!r}")
    return loss


def _record_memory(record, epochs, steps, size, itemsize, validation):
    """Bytes the record of a run needs: per epoch always, per step with ``record="step"``."""
    per_epoch = 8 * (4 + (validation is not None))
    per_step = 8 * 3 + size * itemsize if record == "step" else 0
    return epochs * per_epoch + steps * per_step


def _check_record_memory(record, epochs, steps, size, itemsize, validation):
    """The record must fit before anything is allocated: ``ValueError`` naming ``epochs`` (or
    ``record``, when every step is recorded) otherwise."""
    _checks.fits_in_memory("epochs" if record != "step" else "record", epochs if record != "step" else record,
                           _record_memory(record, epochs, steps, size, itemsize, validation),
                           f"the record of {epochs:,} epochs" + (f" and {steps:,} steps" if record == "step" else ""))


@dataclass(frozen=True)
class RunArguments:
    """``train``'s arguments that need no data, checked and normalised (:func:`check_arguments`)."""

    optimizer: Optimizer
    epochs: int
    batch_size: int | None          # None: batch GD
    loss: str
    reduction: str
    record: str
    shuffle: bool
    drop_last: bool
    progress: bool
    seed: int
    rates: Rates
    schedule: Callable | None
    per: str
    momentum_schedule: Callable | None
    validation: Any                 # None, a Dataset, or a fraction (float) in (0, 1)
    on_plateau: Any
    early_stopping: EarlyStopping | None
    callbacks: tuple
    resume: Run | None


def _check_arguments(optimizer, *, epochs, batch_size, loss, reduction, schedule, per, momentum_schedule, shuffle,
                     seed, drop_last, line_search, record, validation, on_plateau, early_stopping, callbacks, resume,
                     progress):
    if not isinstance(optimizer, Optimizer):
        raise _checks.wrong_type("optimizer", optimizer, "must be a fastoptim optimizer such as fastoptim.Adam()")
    epochs = _checks.positive_int("epochs", epochs, minimum=0)
    reduction = _checks.reduction(reduction)
    record = _checks.choice("record", record, RECORDS)
    shuffle = _checks.flag("shuffle", shuffle)
    drop_last = _checks.flag("drop_last", drop_last)
    progress = _checks.flag("progress", progress)
    if not _checks.is_integer(seed):
        raise _checks.wrong_type("seed", seed, "must be an integer >= 0")
    seed = _checks.positive_int("seed", seed, minimum=0)
    rates = resolve_rates(optimizer, schedule=schedule, per=per, momentum_schedule=momentum_schedule,
                          line_search=line_search, on_plateau=on_plateau)
    validation = _validation_argument(validation)
    if on_plateau is not None and validation is None:
        raise _checks.invalid("on_plateau", on_plateau, "needs a validation set: pass validation=<Dataset or fraction>")
    if early_stopping is not None:
        if not isinstance(early_stopping, EarlyStopping):
            raise _checks.wrong_type("early_stopping", early_stopping, "must be a fastoptim.EarlyStopping(...)")
        if early_stopping.monitor == "validation" and validation is None:
            raise _checks.invalid("early_stopping", early_stopping,
                                  "monitors the validation loss: pass validation=<Dataset or fraction>, "
                                  "or monitor='loss'")
        if early_stopping.monitor == "loss" and record == "none":
            raise _checks.invalid("record", record, "'none' computes no training loss, which early_stopping monitors")
    callbacks = check_callbacks(callbacks)
    loss = _checks.choice("loss", loss, LOSSES)
    if batch_size is not None:
        batch_size = _checks.positive_int("batch_size", batch_size)
    if resume is not None and not isinstance(resume, Run):
        raise _checks.wrong_type("resume", resume, "must be a Run (from train or load_run)")
    return RunArguments(optimizer=optimizer, epochs=epochs, batch_size=batch_size, loss=loss, reduction=reduction,
                        record=record, shuffle=shuffle, drop_last=drop_last, progress=progress, seed=seed, rates=rates,
                        schedule=schedule, per=per,
                        momentum_schedule=momentum_schedule, validation=validation, on_plateau=on_plateau,
                        early_stopping=early_stopping, callbacks=callbacks, resume=resume)


def check_arguments(optimizer, *, epochs, batch_size=None, loss="squared", reduction="mean", schedule=None,
                    per="step", momentum_schedule=None, shuffle=False, seed=0, drop_last=False, line_search=None,
                    record="epoch", validation=None, on_plateau=None, early_stopping=None, callbacks=(),
                    resume=None, progress=False):
    """Check ``train``'s arguments that need no data (all but ``data`` and ``init``), as
    :func:`plan_run` checks them, with the same errors; return them as :class:`RunArguments`.

    Not checked here, because they depend on the data: ``init``'s length and dtype, a
    validation Dataset's ``d`` and dtype, whether a validation fraction leaves both parts
    non-empty, the log loss's targets, ``resume``'s settings against this run's, and the
    record's exact size. The record is checked at the least it can need (one step an epoch,
    one feature, float32: refused here only if no data could make it fit)."""
    arguments = _check_arguments(optimizer, epochs=epochs, batch_size=batch_size, loss=loss, reduction=reduction,
                                 schedule=schedule, per=per, momentum_schedule=momentum_schedule, shuffle=shuffle,
                                 seed=seed, drop_last=drop_last, line_search=line_search, record=record,
                                 validation=validation, on_plateau=on_plateau, early_stopping=early_stopping,
                                 callbacks=callbacks, resume=resume, progress=progress)
    _check_record_memory(arguments.record, arguments.epochs, arguments.epochs, 2, 4, arguments.validation)
    return arguments


def plan_run(data, optimizer, *, epochs, batch_size=None, init, loss="squared", reduction="mean",
             schedule=None, per="step", momentum_schedule=None, shuffle=False, seed=0,
             drop_last=False, line_search=None, record="epoch", validation=None, on_plateau=None,
             early_stopping=None, callbacks=(), resume=None, progress=False):
    """Check ``train``'s arguments and decide the run (see ``fastoptim.train`` for each
    argument's meaning); raises ``ValueError``/``TypeError`` naming the argument before any
    kernel runs or any run-sized memory is allocated: first every argument on its own
    (:func:`check_arguments`), then those that depend on the data."""
    _checks.dataset(data)
    given_validation = validation
    arguments = _check_arguments(optimizer, epochs=epochs, batch_size=batch_size, loss=loss, reduction=reduction,
                                 schedule=schedule, per=per, momentum_schedule=momentum_schedule, shuffle=shuffle,
                                 seed=seed, drop_last=drop_last, line_search=line_search, record=record,
                                 validation=validation, on_plateau=on_plateau, early_stopping=early_stopping,
                                 callbacks=callbacks, resume=resume, progress=progress)
    epochs, reduction, record, loss = arguments.epochs, arguments.reduction, arguments.record, arguments.loss
    shuffle, drop_last, progress, seed = arguments.shuffle, arguments.drop_last, arguments.progress, arguments.seed
    rates, callbacks = arguments.rates, arguments.callbacks
    train_data, validation_data, validation_setting = _validation_set(arguments.validation, data, seed,
                                                                      given_validation)
    _check_loss_labels(loss, train_data, validation_data)
    n = train_data.n
    batch = n if batch_size is None else min(arguments.batch_size, n)
    n_steps = steps_per_epoch(n, batch, drop_last)
    dtype = train_data.dtype
    start = _checks.theta(init, train_data.d, name="init", dtype=dtype)  # checked even on resume
    # memory: the record must fit before anything is allocated
    total_steps = n_steps * epochs
    _check_record_memory(record, epochs, total_steps, train_data.d + 1, dtype.itemsize, validation_data)
    settings = {
        "data": describe_data(data),
        "optimizer": optimizer.name, "optimizer_arguments": optimizer_settings(optimizer), "loss": loss,
        "batch_size": None if batch_size is None else int(batch_size), "reduction": reduction,
        "schedule": describe_function(schedule) if schedule is not None else None, "per": per,
        "momentum_schedule": describe_function(momentum_schedule) if momentum_schedule is not None else None,
        "shuffle": shuffle, "seed": seed, "drop_last": drop_last,
        "line_search": None if rates.candidates is None else rates.candidates.tolist(), "record": record,
        "validation": validation_setting,
        "on_plateau": on_plateau.configuration() if on_plateau is not None else None,
        "early_stopping": early_stopping.configuration() if early_stopping is not None else None,
    }
    lookahead = isinstance(optimizer, Nesterov)
    if resume is not None:
        changed = [key for key in RESUMED_SETTINGS if resume.settings.get(key) != settings[key]]
        if changed:
            key = changed[0]
            raise _checks.invalid("resume", resume, f"its {key} differs: the run has {resume.settings.get(key)!r}, "
                                                    f"this call {settings[key]!r}")
        if resume.diverged is not None:
            raise _checks.invalid("resume", resume, f"the run diverged at {resume.diverged}; it cannot be continued")
        if resume.theta.shape != (train_data.d + 1,) or resume.theta.dtype != dtype:
            raise _checks.invalid("resume", resume, f"its theta has shape {resume.theta.shape} and dtype "
                                                    f"{resume.theta.dtype}, the data needs ({train_data.d + 1},) "
                                                    f"and {dtype}")
        theta = resume.theta.copy()
        state = optimizer.load_state(resume.state.to_dict(), theta)
        if lookahead and state.form != "lookahead":
            raise _checks.invalid("resume", resume, "its Nesterov state is in the stored form of opt.step "
                                                    "(SPEC §3.1); train continues the look-ahead form only")
        first_epoch, first_step = resume.epochs, resume.steps
        rng_state = resume.rng_state
        if shuffle and rng_state is None:
            raise _checks.invalid("resume", resume, "the run shuffled, but holds no generator state to continue")
        controller_state, early_state = resume.controller_state, resume.early_stopping_state
    else:
        theta = start
        state = optimizer.init(theta)
        first_epoch, first_step = 0, 0
        rng_state = controller_state = early_state = None
    if lookahead:
        state.form = "lookahead"
    hyper = optimizer.hyper
    if lookahead:  # the look-ahead form: Momentum's rule at the look-ahead gradient (its own record type)
        from .kernels.layout import LookaheadHyper

        hyper = LookaheadHyper(*hyper)
    return RunPlan(
        optimizer=optimizer, hyper=hyper, lookahead=lookahead, loss=loss, reduction=reduction,
        mean=reduction == "mean", data=train_data, validation=validation_data, batch_size=batch,
        steps_per_epoch=n_steps, epochs=epochs, first_epoch=first_epoch, first_step=first_step, theta=theta,
        state=state, rates=rates, shuffle=shuffle, seed=seed, rng_state=rng_state, record=record,
        controller=on_plateau, controller_state=controller_state, early_stopping=early_stopping,
        early_stopping_state=early_state, callbacks=callbacks, progress=progress, settings=settings,
        resume=resume)


__all__ = ["RunPlan", "Rates", "RunArguments", "plan_run", "check_arguments", "resolve_rates", "steps_per_epoch", "STEPS_PER_CALL",
           "describe_data", "describe_function", "optimizer_settings"]
