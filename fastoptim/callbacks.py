"""Between epochs: early stopping (as Keras' ``EarlyStopping``, SPEC §9) and callbacks.

``train(..., callbacks=[fn, ...])`` calls each ``fn(record)`` after every epoch with an
:class:`EpochRecord` (read only). A callback stops the run cleanly by returning :data:`STOP` or
raising :class:`StopTraining`: the run ends after that epoch, ``run.stopped`` says why, and
``train(..., resume=run)`` continues it exactly where an uninterrupted run would have gone. Any
other exception a callback raises propagates unchanged, with the run so far attached to it as
``error.run`` (a ``Run`` that ``resume=`` continues). This is the hook a tuner needs to report
each epoch and prune a trial (README: an Optuna objective).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _checks

__all__ = ["EarlyStopping", "EpochRecord", "STOP", "StopTraining", "MONITORS"]

#: What early stopping can watch: the validation loss, or the training loss.
MONITORS = ("validation", "loss")


class _Stop:
    """The type of :data:`STOP`."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "fastoptim.STOP"

    def __reduce__(self):
        return (_Stop, ())


#: Returned by a callback: stop the run after this epoch.
STOP = _Stop()


class StopTraining(Exception):
    """Raised by a callback: stop the run after this epoch (the message is kept in
    ``run.stopped["message"]``)."""


@dataclass(frozen=True)
class EpochRecord:
    """What a callback sees after an epoch (0-based ``epoch``, counting resumed epochs too):
    the training ``loss`` (None with ``record="none"``), the ``validation_loss`` (None without
    validation data), ``theta`` (a read-only copy), the η and β of the epoch's last step (``beta``
    None for rules without a momentum), ``steps`` done so far, ``seconds`` since the run began,
    and ``run_index`` (the pair's row in a sweep; 0 in ``train``)."""

    epoch: int
    loss: float | None
    validation_loss: float | None
    theta: np.ndarray
    lr: float
    beta: float | None
    steps: int
    seconds: float
    run_index: int = 0


def check_callbacks(callbacks):
    """``callbacks`` as a tuple of callables (None or a single callable also accepted)."""
    if callbacks is None:
        return ()
    if callable(callbacks):
        return (callbacks,)
    if isinstance(callbacks, (str, bytes)) or not hasattr(callbacks, "__iter__"):
        raise _checks.wrong_type("callbacks", callbacks, "must be a list of functions of an EpochRecord")
    checked = tuple(callbacks)
    for index, callback in enumerate(checked):
        if not callable(callback):
            raise _checks.wrong_type("callbacks", callbacks, f"must be a list of functions; item {index} is "
                                                            f"{_checks.describe(callback)}")
    return checked


def run_callbacks(callbacks, record):
    """Call every callback with ``record``; the stop message, or None to go on (a callback's
    own exception propagates)."""
    message = None
    for callback in callbacks:
        try:
            result = callback(record)
        except StopTraining as stop:
            result = STOP
            message = str(stop) or f"{_name(callback)} raised StopTraining"
        if result is STOP and message is None:
            message = f"{_name(callback)} returned STOP"
    return message


def _name(callback):
    return getattr(callback, "__qualname__", None) or type(callback).__qualname__


class EarlyStopping:
    """Stop a run when the monitored loss stops improving (SPEC §9, Keras' ``EarlyStopping``).

    After each epoch the monitored loss ``L_e`` improves when ``L_e < best − min_delta`` (the
    first epoch always does); the run stops after ``patience`` epochs in a row without an
    improvement, that is ``patience`` epochs after the best one. With ``restore_best`` the run is
    returned as it was after its best epoch (θ, optimizer state, counters, record), as if it had
    stopped there; the discarded epochs' monitored losses are kept in ``run.stopped``.

    Parameters
    ----------
    patience : int
        Epochs without improvement tolerated, ``>= 1``.
    min_delta : float
        The improvement required, ``>= 0``.
    monitor : {"validation", "loss"}
        The validation loss (needs ``validation=``) or the training loss.
    restore_best : bool
    """

    __slots__ = ("patience", "min_delta", "monitor", "restore_best")

    def __init__(self, patience=5, min_delta=0.0, monitor="validation", restore_best=True):
        object.__setattr__(self, "patience", _checks.positive_int("patience", patience, minimum=1))
        min_delta = _checks.real("min_delta", min_delta)
        if min_delta < 0:
            raise _checks.invalid("min_delta", min_delta, "must be a finite number >= 0")
        object.__setattr__(self, "min_delta", min_delta)
        object.__setattr__(self, "monitor", _checks.choice("monitor", monitor, MONITORS))
        object.__setattr__(self, "restore_best", _checks.flag("restore_best", restore_best))

    def __setattr__(self, name, value):
        raise AttributeError("EarlyStopping is read-only: build a new one")

    def configuration(self):
        """The configuration as text, saved with a run."""
        return (f"EarlyStopping(patience={self.patience!r}, min_delta={self.min_delta!r}, "
                f"monitor={self.monitor!r}, restore_best={self.restore_best!r})")

    __repr__ = configuration

    def start(self, state=None):
        """The tracker of one run (continuing ``state``, from ``Tracker.state_dict``)."""
        return _Tracker(self, state)


class _Tracker:
    """Early stopping's state over one run: the best monitored loss, its epoch, the epochs
    since."""

    def __init__(self, config, state):
        self.config = config
        self.best, self.best_epoch, self.wait = math.inf, -1, 0
        if state is not None:
            self.best = float(state["best"])
            self.best_epoch = int(state["best_epoch"])
            self.wait = int(state["wait"])

    def update(self, epoch, value):
        """Record the monitored loss of ``epoch``; return (improved, stop)."""
        if value < self.best - self.config.min_delta:
            self.best, self.best_epoch, self.wait = float(value), int(epoch), 0
            return True, False
        self.wait += 1
        return False, self.wait >= self.config.patience

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}
