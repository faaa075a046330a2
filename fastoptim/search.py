"""Learning-rate searches: the lecture's coarse-then-fine search (``lr_search``, SPEC §5,
lecture 5.7 "tips"), one sweep per grid, and the learning-rate range test (``lr_range_test``,
Smith 2017) with its suggestion (``suggest_lr``)."""
import dataclasses
import math
import warnings
from typing import ClassVar

import numpy as np

from . import _checks, schedules
from .optimizers import Optimizer
from .sweep_result import SweepResult
from .sweeps import _sweep
from .training import train

__all__ = ["lr_search", "LRSearchResult", "lr_range_test", "RangeTestResult", "suggest_lr"]


@dataclasses.dataclass
class LRSearchResult:
    """The result of :func:`lr_search`.

    - ``best_lr``: the η with the lowest validation loss after the last epoch.
    - ``candidates``: every η tried, ranked best first: dicts with ``lr``, ``stage``
      (``"coarse"`` or ``"fine"``), ``validation_loss`` (after the last epoch; inf if the run
      diverged), ``loss`` (training), ``diverged``.
    - ``lrs``, ``validation_loss``: the same ranking as arrays; ``coarse``, ``fine``: the two
      sweeps (:class:`SweepResult`).
    """

    best_lr: float
    candidates: list
    lrs: np.ndarray
    validation_loss: np.ndarray
    coarse: SweepResult
    fine: SweepResult | None


def _with_lr(optimizer, lr):
    return dataclasses.replace(optimizer, lr=float(lr))


def _positive_rates(name, values):
    if (isinstance(values, (str, bytes)) or not hasattr(values, "__len__")
            or (isinstance(values, np.ndarray) and values.ndim != 1)):  # a 0-d array has __len__ too
        raise _checks.wrong_type(name, values, "must be a list of numbers")
    for value in values:
        if not _checks.is_real(value):
            raise _checks.wrong_type(name, values, f"must be a list of numbers; holds {_checks.describe(value)}")
    rates = np.array([_checks.to_float(value) for value in values], dtype=np.float64)
    if rates.size == 0:
        raise _checks.invalid(name, values, "is empty: give at least one value")
    if not np.all(np.isfinite(rates) & (rates > 0)):
        raise _checks.invalid(name, values, "must hold positive finite numbers")
    return rates


def _judged(result):
    """Each row's validation loss after the last epoch; inf where the run did not finish."""
    score = result.columns["final_validation_loss"].copy()
    score[result.diverged | np.isnan(score)] = np.inf
    return score


def _optimizer_instance(optimizer):
    """A configured optimizer, or an optimizer class (its defaults), as an instance."""
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        optimizer = optimizer()
    if not isinstance(optimizer, Optimizer):
        raise _checks.wrong_type("optimizer", optimizer, "must be a fastoptim optimizer (instance or class)")
    return optimizer


def lr_search(data, optimizer, *, lrs=(1e-4, 1e-3, 1e-2, 1e-1, 1), epochs=3, refine=(0.5, 2, 3),
              validation=0.2, batch_size=None, init=None, seed=0, loss="squared", reduction="mean",
              shuffle=False, executor=None, progress=False):
    """The lecture's learning-rate search (SPEC §5, lecture 5.7 "tips").

    Run ``optimizer`` with each η of the coarse grid ``lrs`` for ``epochs`` epochs, keep the
    best by validation loss (``validation``: a fraction of ``data`` split off with ``seed``,
    or a Dataset), then run the finer grid ``best × refine``; return every candidate ranked
    (:class:`LRSearchResult`). Each grid is one :func:`sweep` (one compiled call per epoch).

    ``optimizer``: a configured instance (its ``lr`` is replaced) or a class (its defaults).
    ``init``: the starting ``[w…, b]``, zeros by default; ``refine``: factors, or None / ``()``
    for no finer grid. Runs that diverge rank last (a large η diverging is an expected outcome of
    the search, so no warning is given).
    """
    optimizer = _optimizer_instance(optimizer)
    _checks.dataset(data)
    epochs = _checks.positive_int("epochs", epochs, minimum=1)  # (judged after its epochs)
    seed = _checks.positive_int("seed", seed, minimum=0, maximum=2**63 - 1)  # the result's int64 seed column  # (here: the sweep would name its own seeds)
    if validation is None:
        raise _checks.invalid("validation", validation, "lr_search judges by validation loss: must be a Dataset "
                                                        "or a fraction in (0, 1)")
    coarse_lrs = _positive_rates("lrs", lrs)
    no_refine = refine is None or (isinstance(refine, (list, tuple)) and not refine)
    factors = np.empty(0) if no_refine else _positive_rates("refine", refine)
    if init is None:
        init = np.zeros(data.d + 1)
    common = dict(epochs=epochs, batch_size=batch_size, init=init, seeds=(seed,), loss=loss,
                  reduction=reduction, schedule=None, per="step", momentum_schedule=None, shuffle=shuffle,
                  drop_last=False, line_search=None, validation=validation, record="epoch", callbacks=(),
                  executor=executor, chunk_size=None, progress=progress)
    coarse = _sweep(data, [_with_lr(optimizer, lr) for lr in coarse_lrs], **common)
    coarse_score = _judged(coarse)
    tried = list(coarse_lrs)
    scores = list(coarse_score)
    stages = ["coarse"] * len(tried)
    train_losses = list(coarse.final_loss)
    diverged = list(coarse.diverged)
    fine = None
    if factors.size and np.isfinite(coarse_score).any():
        best = coarse_lrs[int(np.argmin(coarse_score))]
        fine_lrs = [best * factor for factor in factors if not np.any(np.isclose(best * factor, tried, rtol=1e-12))]
        if fine_lrs:
            fine = _sweep(data, [_with_lr(optimizer, lr) for lr in fine_lrs], **common)
            tried += fine_lrs
            scores += list(_judged(fine))
            stages += ["fine"] * len(fine_lrs)
            train_losses += list(fine.final_loss)
            diverged += list(fine.diverged)
    scores = np.array(scores, dtype=np.float64)
    order = np.argsort(scores, kind="stable")
    candidates = [{"lr": float(tried[i]), "stage": stages[i], "validation_loss": float(scores[i]),
                   "loss": float(train_losses[i]), "diverged": bool(diverged[i])} for i in order]
    if not np.isfinite(scores).any():
        raise FloatingPointError(f"lr_search: every learning rate diverged ({', '.join(f'{lr:g}' for lr in tried)}); "
                                 f"try smaller ones")
    return LRSearchResult(best_lr=candidates[0]["lr"], candidates=candidates,
                          lrs=np.array([tried[i] for i in order]), validation_loss=scores[order],
                          coarse=coarse, fine=fine)


# --- learning-rate range test (Smith 2017) -------------------------------------------------------

@dataclasses.dataclass(frozen=True, repr=False)
class _ExponentialRange(schedules.Schedule):
    """η growing exponentially from ``min_lr`` at t = 0 to ``max_lr`` at t = ``steps − 1``,
    then held at ``max_lr``."""

    name: ClassVar[str] = "exponential_range"
    min_lr: float
    max_lr: float
    steps: int

    def _evaluate(self, t, offset, limit, out):
        if not schedules._within(t, offset, limit):
            return False
        last = max(self.steps - 1, 1)
        fraction = np.minimum(t - offset, last).astype(np.float64) / last
        out[:] = self.min_lr * np.exp(fraction * math.log(self.max_lr / self.min_lr))
        return True


@dataclasses.dataclass
class RangeTestResult:
    """The record of :func:`lr_range_test`: ``lrs`` (η of every step), ``loss`` (the batch loss
    at every step, before its update), ``smoothed`` (exponential moving average of ``loss``,
    bias-corrected), ``stopped`` (steps kept: up to the loss exceeding ``stop_factor`` × its
    minimum, or the run diverging), ``diverged``. ``suggest(method)`` picks an η."""

    lrs: np.ndarray
    loss: np.ndarray
    smoothed: np.ndarray
    stopped: int
    diverged: bool

    def suggest(self, method="steepest"):
        """See :func:`suggest_lr`."""
        return suggest_lr(self, method)


def suggest_lr(test, method="steepest"):
    """An η from a range test (within the kept steps): ``"steepest"`` — where the smoothed loss
    falls fastest against log η (Smith 2017); ``"minimum"`` — a tenth of the η of the lowest
    smoothed loss (the usual rule of thumb)."""
    if not isinstance(test, RangeTestResult):
        raise _checks.wrong_type("test", test, "must be the result of lr_range_test")
    lrs, smoothed = test.lrs[:test.stopped], test.smoothed[:test.stopped]
    if lrs.size < 2:
        raise _checks.invalid("test", test, "the range test kept fewer than 2 steps: widen min_lr .. max_lr "
                                            "or add steps")
    if method == "minimum":
        return float(lrs[int(np.argmin(smoothed))] / 10.0)
    if method == "steepest":
        # centred differences over a window of a 20th of the kept steps: wider than the
        # step-to-step noise of the batch losses, narrow enough to find the descent
        width = max(1, lrs.size // 20)
        if lrs.size <= 2 * width:
            raise _checks.invalid("test", test, "the range test kept too few steps to estimate a slope: add steps")
        log_lrs = np.log(lrs)
        slope = ((smoothed[2 * width:] - smoothed[:-2 * width])
                 / (log_lrs[2 * width:] - log_lrs[:-2 * width]))
        return float(lrs[width + int(np.argmin(slope))])
    raise _checks.invalid("method", method, "must be 'steepest' or 'minimum'")


def lr_range_test(data, optimizer, *, min_lr=1e-6, max_lr=10.0, steps=100, batch_size=32, init=None,
                  seed=0, shuffle=True, loss="squared", reduction="mean", smoothing=0.98, stop_factor=4.0):
    """The learning-rate range test (Smith 2017, "Cyclical learning rates", §3.3): one run
    with η growing exponentially from ``min_lr`` to ``max_lr`` over ``steps`` steps, the batch
    loss recorded at every step (``fastoptim.train`` with ``record="step"``). Returns a
    :class:`RangeTestResult`; pick η with ``result.suggest()``.

    The record is cut where the smoothed loss exceeds ``stop_factor`` × its minimum, or where
    the run diverges (expected at large η: no warning).
    """
    optimizer = _optimizer_instance(optimizer)
    _checks.dataset(data)
    min_lr = _checks.real("min_lr", min_lr)
    max_lr = _checks.real("max_lr", max_lr)
    if not 0 < min_lr < max_lr:
        raise _checks.invalid("min_lr" if not min_lr > 0 else "max_lr", min_lr if not min_lr > 0 else max_lr,
                              f"need 0 < min_lr < max_lr, got min_lr={min_lr}, max_lr={max_lr}")
    steps = _checks.positive_int("steps", steps, minimum=2)
    smoothing = _checks.real("smoothing", smoothing)
    if not 0 <= smoothing < 1:
        raise _checks.invalid("smoothing", smoothing, "must be in [0, 1)")
    stop_factor = _checks.real("stop_factor", stop_factor)
    if not stop_factor > 1:
        raise _checks.invalid("stop_factor", stop_factor, "must be > 1")
    if init is None:
        init = np.zeros(data.d + 1)
    batch = data.n if batch_size is None else min(_checks.positive_int("batch_size", batch_size), data.n)
    per_epoch = -(-data.n // batch)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="the run diverged", category=RuntimeWarning)
        run = train(data, optimizer, epochs=-(-steps // per_epoch), batch_size=batch_size, init=init, loss=loss,
                    reduction=reduction, schedule=_ExponentialRange(min_lr, max_lr, steps), shuffle=shuffle,
                    seed=seed, record="step")
    kept = min(steps, run.step_lr.size)
    lrs, losses = run.step_lr[:kept].copy(), run.step_loss[:kept].copy()
    smoothed = np.empty(kept)
    average = 0.0
    for k in range(kept):  # one value per step of one run: a short loop
        average = smoothing * average + (1 - smoothing) * losses[k]
        smoothed[k] = average / (1 - smoothing ** (k + 1))
    stopped = kept
    finite = np.isfinite(smoothed)
    lowest = np.inf
    for k in range(kept):
        if not finite[k] or smoothed[k] > stop_factor * lowest:
            stopped = k
            break
        lowest = min(lowest, smoothed[k])
    return RangeTestResult(lrs=lrs, loss=losses, smoothed=smoothed, stopped=stopped,
                           diverged=run.diverged is not None)
