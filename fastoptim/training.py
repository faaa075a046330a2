"""Whole training runs (SPEC §2-§5, §9): ``fastoptim.train``, and :func:`run_plan`, the loop over
epochs that every engine shares.

``train`` makes a :class:`~fastoptim.plan.RunPlan` (every decision about the run, checked once)
and runs it with the compiled engine: one call of ``kernels/epochs.run_steps`` per chunk of at
most ``plan.STEPS_PER_CALL`` steps, the schedules' values for that chunk only, the epoch's
visiting order as a permutation of positions (no copy of the data). Python works between calls:
the losses after each epoch, the plateau controller, early stopping, callbacks, progress, and the
record. ``fastoptim.reference.train`` runs the same plan with the numpy reference's engine
(``fastoptim/reference/engine.py``); ``tests/naive.py`` checks this loop itself against a plain
loop written from the SPEC.
"""
from __future__ import annotations

import time
import warnings

import numpy as np

from . import compiling
from .callbacks import EpochRecord, run_callbacks
from .optimizers import State
from .plan import STEPS_PER_CALL, check_arguments, plan_run
from .progress import EpochBar
from .runs import Run

__all__ = ["train", "check_train_arguments", "run_plan", "CompiledEngine"]


class CompiledEngine:
    """The compiled steps and losses of a plan (``kernels/epochs.py``, ``kernels/model.py``)."""

    def __init__(self, plan):
        from .kernels import epochs, layout, model

        self._epochs, self._model, self._layout = epochs, model, layout
        self.plan = plan
        self.loss_marker = layout.LOSSES[plan.loss]
        self.parallel = layout.Parallel() if plan.batch_size >= model.PARALLEL_THRESHOLD else layout.Serial()
        self.candidates = plan.rates.candidates
        self.data = plan.data
        self.weights = plan.data.weights

    def calls(self, theta, state, order, records):
        """Every compiled call the run makes, as ``(dispatcher, arguments, what)`` with arguments
        of the types it passes (``fastoptim.compiling.prepare``): the steps (one specialisation
        for the rule, the loss, the data's dtype and layout, weights, shuffling, line search,
        the record, big batches), the per-epoch losses over the training and validation data, the
        shuffle (``permutation_into``), and the compiled loops of the η and β schedules."""
        from . import model, schedules

        plan = self.plan
        variant = [f"{plan.loss} loss", f"{plan.data.dtype} data of shape {'(N,)' if plan.data.X.ndim == 1 else '(N, d)'}"]
        variant += [words for words, used in (
            ("weighted", self.weights is not None), ("shuffled", order is not None),
            ("line search", self.candidates is not None), ("every step recorded", plan.record == "step"),
            ("batches on threads", isinstance(self.parallel, self._layout.Parallel))) if used]
        calls = [(self._epochs.run_steps, self._arguments(theta, state, order, 0, 1, 0, np.zeros(1),
                                                          np.empty(0), records),
                  f"the {'Nesterov look-ahead' if plan.lookahead else type(plan.hyper).__name__[:-5]} training steps "
                  f"({', '.join(variant)})")]
        for data in (plan.data if plan.record != "none" else None, plan.validation):
            if data is not None:
                calls += [(dispatcher, arguments, "the per-epoch loss")
                          for dispatcher, arguments in model.total_loss_calls(data, self.loss_marker)]
        if order is not None:
            from .kernels import shuffle

            calls.append((shuffle.shuffle_range, (order, np.zeros(shuffle.STATE_SIZE, dtype=np.uint64)),
                          "the shuffle"))
        rates = plan.rates
        for function in (rates.schedule, rates.momentum):
            calls += [(dispatcher, arguments, f"the {name} schedule")
                      for dispatcher, arguments, name in schedules.kernel_calls(function)]
        return calls

    def prepare(self, theta, state, order, records, announce=False):
        """Load or compile every kernel of :meth:`calls` before the run's first step, with one
        line on stderr first if ``announce`` and something compiles; returns what compiled."""
        if self.plan.epochs == 0:
            return ()
        return compiling.prepare(self.calls(theta, state, order, records), announce=announce)

    def _arguments(self, theta, state, order, first_batch, n_steps, step0, lrs, betas, records):
        plan = self.plan
        return (plan.hyper, self.loss_marker, self.data.X, self.data.y, self.weights, order, plan.batch_size,
                first_batch, n_steps, plan.mean, self.parallel, theta, state.slots,
                state.scalars, step0, lrs, betas, self.candidates, *records)

    def steps(self, theta, state, order, first_batch, n_steps, step0, lrs, betas, records):
        """Run ``n_steps`` steps in place; the number completed (fewer: divergence)."""
        return self._epochs.run_steps(*self._arguments(theta, state, order, first_batch, n_steps, step0, lrs,
                                                       betas, records))

    def loss(self, data, theta):
        """``J`` over ``data`` at ``theta`` (the run's loss and reduction; large data sets on
        several threads, ``fastoptim.model.total_loss``)."""
        from .model import total_loss

        return total_loss(data, theta, self.loss_marker, self.plan.mean)


def train(data, optimizer, *, epochs, batch_size=None, init, loss="squared", reduction="mean",
          schedule=None, per="step", momentum_schedule=None, shuffle=False, seed=0, drop_last=False,
          line_search=None, record="epoch", validation=None, on_plateau=None, early_stopping=None,
          callbacks=(), resume=None, progress=False):
    """Train the sigmoid neuron on ``data`` with ``optimizer``; return a :class:`~fastoptim.Run`.

    - ``batch_size``: None for batch GD (one step per epoch), 1 for stochastic GD, ``B`` for
      mini-batches of ``B`` points (the last shorter batch kept unless ``drop_last``). A
      ``batch_size`` above ``N`` means one batch of all the points per epoch (SPEC §2).
    - ``init``: the starting ``[w…, b]`` (length ``d + 1``); with ``resume``, checked but not
      used (the run continues from its own ``θ``).
    - ``loss``: ``"squared"`` (the lecture's ½ (f − y)², SPEC §1) or ``"log"`` (cross-entropy,
      SPEC §9; targets in [0, 1]). ``reduction``: ``"mean"`` (over each batch's total weight) or
      ``"sum"``. The data's sample weights, if any, weigh every term (SPEC §9).
    - ``schedule``: the learning rate as a function of a counter that counts steps
      (``per="step"``) or epochs (``per="epoch"``), from 0, in place of the optimizer's ``lr``
      (which must then be a number; the optimizer's own ``lr`` schedule counts steps).
      ``momentum_schedule`` likewise gives β (or β1) for rules whose β is a momentum (SPEC §5).
    - ``shuffle``: visit the points in a new permutation each epoch, drawn from
      ``numpy.random.default_rng(seed)`` (the data is not copied: the epoch follows an index
      permutation, 4 bytes a point).
    - ``line_search``: candidate learning rates; each step takes the one with the lowest batch
      loss after the step (SPEC §4); excludes schedules and ``on_plateau``.
    - ``record``: ``"epoch"`` (the default: the full training loss after each epoch, and η, β),
      ``"step"`` (also the batch loss, η, β and θ of every step: memory grows with the steps,
      estimated and refused up front if it cannot fit) or ``"none"`` (no training loss: for
      sweeps and searches that judge by validation loss).
    - ``validation``: a Dataset, or a fraction of ``data`` to split off (with ``seed``); its loss
      is recorded per epoch. ``on_plateau``: a ``fastoptim.plateau`` controller fed the
      validation loss after each epoch, whose rate is used for the next epoch (the run works on
      its own copy; without its own ``lr`` it starts at the optimizer's).
    - ``early_stopping``: a ``fastoptim.EarlyStopping`` (SPEC §9); ``callbacks``: functions
      called after every epoch with a ``fastoptim.EpochRecord`` (``fastoptim.callbacks``).
    - ``resume``: a Run to continue for ``epochs`` more epochs, with the same data (compared by
      size, dtype and a sample of points) and the same settings; ``ValueError`` names the first
      that differs. A plain function as a schedule is compared by its name only.
    - ``progress``: show a bar (epochs, loss, updates/s) on a terminal for runs longer than
      about a second, updated between epochs (``fastoptim.progress``), and say on stderr, in one
      line before the first step, what the run is about to compile (its steps, the per-epoch
      loss, the schedules' loops; nothing when numba's disk cache has them).

    Every kernel the run calls is loaded from numba's cache or compiled before the first step,
    so ``run.seconds`` counts the run itself, not the compile or the load.

    ``Nesterov`` is run in the lecture's look-ahead form (the gradient at ``θ − β u``); its state
    records that form (``State.form``).
    """
    plan = plan_run(data, optimizer, epochs=epochs, batch_size=batch_size, init=init, loss=loss,
                    reduction=reduction, schedule=schedule, per=per, momentum_schedule=momentum_schedule,
                    shuffle=shuffle, seed=seed, drop_last=drop_last, line_search=line_search, record=record,
                    validation=validation, on_plateau=on_plateau, early_stopping=early_stopping,
                    callbacks=callbacks, resume=resume, progress=progress)
    return run_plan(plan, CompiledEngine)


def check_train_arguments(optimizer, *, epochs, batch_size=None, loss="squared", reduction="mean", schedule=None,
                          per="step", momentum_schedule=None, shuffle=False, seed=0, drop_last=False,
                          line_search=None, record="epoch", validation=None, on_plateau=None, early_stopping=None,
                          callbacks=(), resume=None, progress=False):
    """Check :func:`train`'s arguments before there is data: every argument but ``data`` and
    ``init``, with ``train``'s own checks and errors (``ValueError``/``TypeError`` naming the
    argument in ``error.argument``); returns None, runs and compiles nothing. E.g. to refuse a
    bad configuration before a large file is read (the ``fastoptim`` command does).

    What only the data can tell is left to ``train``: ``init``'s length (``d + 1``) and whether
    it fits the data's dtype, a validation Dataset's ``d`` and dtype, whether a validation
    fraction leaves both parts non-empty, the log loss's targets in [0, 1], ``resume``'s
    settings against this run's, the values of a plain function given as a schedule (checked
    as the run evaluates them), and the record's exact size (checked here at the least any data
    could need: one step an epoch, one feature in float32). A validation fraction's range,
    (0, 1), is checked here.
    """
    check_arguments(optimizer, epochs=epochs, batch_size=batch_size, loss=loss, reduction=reduction,
                    schedule=schedule, per=per, momentum_schedule=momentum_schedule, shuffle=shuffle, seed=seed,
                    drop_last=drop_last, line_search=line_search, record=record, validation=validation,
                    on_plateau=on_plateau, early_stopping=early_stopping, callbacks=callbacks, resume=resume,
                    progress=progress)


def _copy_state(state):
    return State(state.optimizer, state.step, state.slots.copy(), state.scalars.copy(), state.shape, state.dtype,
                 state.slot_names, state.form)


def permutation_into(order, rng):
    """``order`` (uint32/uint64, length n) ← ``rng.permutation(n)``, in place, the same draws and
    the same bits, and ``rng`` left as numpy leaves it: for a PCG64 generator and n <= 2^32 by
    the compiled shuffle (``kernels/shuffle.py``, 2-5x numpy's speed), else by numpy itself."""
    from .kernels import shuffle

    n = order.size
    bits = rng.bit_generator
    if type(bits) is np.random.PCG64 and n <= shuffle.MAX_POINTS:
        current = bits.state
        state = np.array([current["state"]["state"] >> 64, current["state"]["state"] & (2**64 - 1),
                          current["state"]["inc"] >> 64, current["state"]["inc"] & (2**64 - 1),
                          current["has_uint32"], current["uinteger"]], dtype=np.uint64)
        shuffle.shuffle_range(order, state)
        bits.state = {"bit_generator": "PCG64",
                      "state": {"state": (int(state[shuffle.STATE_HIGH]) << 64) | int(state[shuffle.STATE_LOW]),
                                "inc": current["state"]["inc"]},
                      "has_uint32": int(state[shuffle.HAS_UINT32]), "uinteger": int(state[shuffle.UINTEGER])}
        return order
    if n:  # 0 … n − 1 by doubling (order[m:2m] = order[:m] + m: no temporary array), then numpy's shuffle
        order[0] = 0
    filled = 1
    while filled < n:
        count = min(filled, n - filled)
        np.add(order[:count], filled, out=order[filled:filled + count])
        filled += count
    rng.shuffle(order)
    return order


def order_dtype(n):
    """Visiting orders are uint32 below 2^32 points (4 bytes a point; unsigned, so the kernels'
    loops see no negative index), uint64 above."""
    return np.uint32 if n < 2**32 else np.uint64


class _Record:
    """The run's record: per epoch always, per step with ``record="step"``; allocated once (the
    plan checked that it fits)."""

    def __init__(self, plan):
        epochs, steps = plan.epochs, plan.total_steps
        self.loss = np.full(epochs, np.nan)
        self.validation_loss = np.full(epochs, np.nan) if plan.validation is not None else None
        self.lr = np.full(epochs, np.nan)
        self.beta = np.full(epochs, np.nan) if plan.rates.beta is not None else None
        self.by_step = plan.record == "step"
        if self.by_step:
            self.step_loss, self.step_lr, self.step_beta = np.empty(steps), np.empty(steps), np.empty(steps)
            self.trajectory = np.empty((steps, plan.theta.size), dtype=plan.theta.dtype)
        else:
            self.step_loss = self.step_lr = self.step_beta = self.trajectory = None
        # with record="epoch", line search still records each step's η for a call (the epoch's
        # last one is the epoch's η)
        self.chosen = np.empty(min(plan.steps_per_epoch, STEPS_PER_CALL)) if (
            not self.by_step and plan.rates.candidates is not None) else None

    def arrays(self, done, n):
        """The record arrays of the call's steps ``done … done + n − 1`` (None: not recorded)."""
        if self.by_step:
            window = slice(done, done + n)
            return (self.step_loss[window], self.step_lr[window], self.step_beta[window], self.trajectory[window])
        return (None, None if self.chosen is None else self.chosen[:n], None, None)


def _epoch_record(record, epoch, plan, theta, done, started):
    return EpochRecord(epoch=plan.first_epoch + epoch,
                       loss=None if plan.record == "none" else float(record.loss[epoch]),
                       validation_loss=None if record.validation_loss is None else float(record.validation_loss[epoch]),
                       theta=_read_only(theta.copy()), lr=float(record.lr[epoch]),
                       beta=None if record.beta is None else float(record.beta[epoch]),
                       steps=plan.first_step + done, seconds=time.perf_counter() - started)


def _read_only(array):
    array.flags.writeable = False
    return array


def run_plan(plan, engine_class):
    """Run ``plan`` with an engine (``CompiledEngine``, or the reference's): epochs of calls of
    ``engine.steps`` on chunks of steps, the losses after each epoch by ``engine.loss``, then
    the controller, callbacks and early stopping; returns the :class:`Run` (joined to the
    resumed run's record). Its ``seconds`` count from the first step, once ``engine.prepare``
    has loaded or compiled the kernels: neither is counted."""
    engine = engine_class(plan)
    theta, state = plan.theta.copy(), _copy_state(plan.state)
    rng = np.random.default_rng(plan.seed)
    if plan.rng_state is not None:
        rng.bit_generator.state = plan.rng_state
    controller = None
    if plan.controller is not None:
        controller = plan.controller.copy()
        if plan.controller_state is not None:
            controller.load_state_dict(plan.controller_state)
        controller.start(plan.rates.lr)
    tracker = plan.early_stopping.start(plan.early_stopping_state) if plan.early_stopping is not None else None
    record = _Record(plan)
    n_positions = plan.data.n
    order = np.empty(n_positions, dtype=order_dtype(n_positions)) if plan.shuffle else None
    engine.prepare(theta, state, order, record.arrays(0, 1), announce=plan.progress)
    started = time.perf_counter()  # (after the kernels are loaded or compiled)
    rates, S = plan.rates, plan.steps_per_epoch
    done = 0                 # steps done in this call of run_plan
    completed = 0            # epochs completed
    diverged = stopped = None
    best = None              # (epochs, steps, θ, state, rng, controller, tracker) after the best epoch
    discarded = []
    bar = EpochBar(plan.epochs, enabled=plan.progress)
    next_check = bar.next_check

    def snapshot():
        return (completed, done, theta.copy(), _copy_state(state), rng.bit_generator.state,
                controller.state_dict() if controller is not None else None, tracker.state_dict())

    try:
        for epoch in range(plan.epochs):
            global_epoch = plan.first_epoch + epoch
            if order is not None:
                permutation_into(order, rng)
            for first_batch in range(0, S, STEPS_PER_CALL):
                n = min(STEPS_PER_CALL, S - first_batch)
                step0 = plan.first_step + done
                lrs = rates.learning_rates(global_epoch, step0, n, controller.lr if controller is not None else None)
                betas = rates.momenta(global_epoch, step0, n)
                arrays = record.arrays(done, n)
                ran = engine.steps(theta, state, order, first_batch, n, step0, lrs, betas, arrays)
                done += ran
                state.step = plan.first_step + done
                if ran < n:
                    diverged = {"epoch": global_epoch, "step": first_batch + int(ran)}
                    break
                chosen = arrays[1]
                record.lr[epoch] = chosen[-1] if chosen is not None else lrs[-1]
                if record.beta is not None:
                    record.beta[epoch] = betas[-1] if betas.size else rates.beta
            if diverged is not None:
                warnings.warn(f"the run diverged at epoch {diverged['epoch']}, step {diverged['step']}: the "
                              f"gradient, the parameters or the optimizer's state became non-finite; the last "
                              f"finite parameters and state are kept", RuntimeWarning, stacklevel=3)
                break
            if plan.record != "none":
                record.loss[epoch] = engine.loss(plan.data, theta)
            if plan.validation is not None:
                record.validation_loss[epoch] = engine.loss(plan.validation, theta)
            if not (np.isfinite(record.loss[epoch]) or plan.record == "none") or (
                    plan.validation is not None and not np.isfinite(record.validation_loss[epoch])):
                diverged = {"epoch": global_epoch, "step": S}
                which = "training" if plan.record != "none" and not np.isfinite(record.loss[epoch]) else "validation"
                warnings.warn(f"the run diverged after epoch {global_epoch}: every step was finite but the loss "
                              f"over the {which} set is not (non-finite data, or θ too large); the run stops "
                              f"there", RuntimeWarning, stacklevel=3)
                completed += 1
                break
            completed += 1
            if controller is not None:
                controller.update(record.validation_loss[epoch])
            if plan.callbacks:
                message = run_callbacks(plan.callbacks, _epoch_record(record, epoch, plan, theta, done, started))
                if message is not None:
                    stopped = {"epoch": global_epoch, "reason": "callback", "message": message}
                    break
            if tracker is not None:
                monitored = record.validation_loss if plan.early_stopping.monitor == "validation" else record.loss
                improved, stop = tracker.update(global_epoch, monitored[epoch])
                if improved and plan.early_stopping.restore_best:
                    best, discarded = snapshot(), []
                elif plan.early_stopping.restore_best:
                    discarded.append(float(monitored[epoch]))
                if stop:
                    stopped = {"epoch": global_epoch, "reason": "early_stopping", "best_epoch": tracker.best_epoch,
                               "restored": best is not None,
                               "message": f"no improvement of the {'validation' if plan.early_stopping.monitor == 'validation' else 'training'} loss by more than "
                                          f"{plan.early_stopping.min_delta:g} for {plan.early_stopping.patience} "
                                          f"epochs after epoch {tracker.best_epoch}"}
                    break
            if epoch >= next_check:
                loss_now = record.loss[epoch] if plan.record != "none" else record.validation_loss[epoch] if (
                    record.validation_loss is not None) else None
                next_check = bar.update(epoch + 1, done, loss_now)
    except BaseException as error:
        if not isinstance(error, (KeyboardInterrupt, SystemExit)):
            error.run = _finish(plan, record, theta, state, rng, controller, tracker, completed, done, diverged,
                                stopped, started)
        raise
    finally:
        last = completed - 1
        bar.close(completed, done, record.loss[last] if completed and plan.record != "none" else None)
    if stopped is not None and stopped["reason"] == "early_stopping" and best is not None:
        completed, done, theta, state, rng_state, controller_state, tracker_state = best
        stopped["discarded"] = discarded
        rng.bit_generator.state = rng_state
        if controller is not None:
            controller.load_state_dict(controller_state)
        tracker = tracker.config.start(tracker_state)
    return _finish(plan, record, theta, state, rng, controller, tracker, completed, done, diverged, stopped,
                   started)


def _finish(plan, record, theta, state, rng, controller, tracker, completed, done, diverged, stopped, started):
    """The :class:`Run` of ``completed`` epochs and ``done`` steps, joined to the resumed run's."""
    def joined(previous, new):
        if new is None:
            return None
        return new if previous is None else np.concatenate([previous, new])

    resume = plan.resume
    kept = completed
    epoch_arrays = {
        "loss": record.loss[:kept], "lr": record.lr[:kept],
        "validation_loss": None if record.validation_loss is None else record.validation_loss[:kept],
        "beta": None if record.beta is None else record.beta[:kept],
    }
    step_arrays = {"step_loss": None, "step_lr": None, "step_beta": None, "trajectory": None}
    if record.by_step:
        step_arrays = {"step_loss": record.step_loss[:done].copy(), "step_lr": record.step_lr[:done].copy(),
                       "step_beta": record.step_beta[:done].copy() if record.beta is not None else None,
                       "trajectory": np.concatenate([plan.theta.reshape(1, -1) if resume is None else
                                                     resume.trajectory, record.trajectory[:done]])}
    arrays = {name: value.copy() if value is not None else None for name, value in epoch_arrays.items()}
    if resume is not None:
        arrays = {name: joined(getattr(resume, name), value) for name, value in arrays.items()}
        for name in ("step_loss", "step_lr", "step_beta"):
            step_arrays[name] = joined(getattr(resume, name), step_arrays[name])
    return Run(theta=theta, **arrays, **step_arrays, epochs=plan.first_epoch + completed,
               steps=plan.first_step + done,
               seconds=(resume.seconds if resume is not None else 0.0) + time.perf_counter() - started,
               diverged=diverged, stopped=stopped, state=state, settings=plan.settings,
               rng_state=rng.bit_generator.state if plan.shuffle else None,
               controller_state=controller.state_dict() if controller is not None else None,
               early_stopping_state=tracker.state_dict() if tracker is not None else None)
