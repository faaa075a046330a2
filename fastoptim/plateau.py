"""Epoch-level learning-rate controllers fed the validation loss (SPEC §5; lecture 5.7): the
lecture's halving rule and its generalisation, reduce-on-plateau. ``fastoptim.train`` calls
``update(validation_loss)`` after each epoch and uses the returned rate for the next one.

A controller passed to ``train`` is a configuration: the run works on its own
:meth:`~PlateauController.copy`, so the object passed is never changed and the same controller
gives the same run twice; the run's final controller state is saved with it (``Run``) and a
resumed run continues from that.

A bad argument raises ``fastoptim._checks.InvalidValue`` (a ``ValueError``, as the schedules'
do) whose ``argument`` names it (``"factor"``, ``"patience"``, ``"lr"``, ``"state"`` …).
"""
from __future__ import annotations

from typing import Any

from . import _checks
from .schedules import _in_interval, _integer, _invalid, _non_negative, _real

__all__ = ["PlateauController", "HalveOnIncrease", "ReduceOnPlateau", "halve_on_increase",
           "check_controller"]


def check_controller(value: Any) -> None:
    """``TypeError`` naming ``on_plateau`` unless ``value`` is a controller instance."""
    if isinstance(value, type) and issubclass(value, PlateauController):
        raise _checks.wrong_type("on_plateau", value, f"must be a controller instance: call it, e.g. "
                                                      f"{value.__name__}(...)")
    if not isinstance(value, PlateauController):
        raise _checks.wrong_type("on_plateau", value, "must be a controller such as "
                                                      "fastoptim.plateau.halve_on_increase()")


def _loss(validation_loss: Any) -> float:
    return _real("validation_loss", validation_loss, "must be a finite number")


def _state_number(state: dict[str, Any], key: str, kind: str) -> Any:
    if key not in state:
        raise _checks.InvalidValue("state", f"Invalid state: missing key {key!r}")
    value = state[key]
    if kind == "count":
        return _integer(f"state[{key!r}]", value, 0)
    if kind == "rate":
        return _non_negative(f"state[{key!r}]", value)
    return _real(f"state[{key!r}]", value, "must be a finite number")


def _check_keys(state: Any, keys: tuple[str, ...]) -> None:
    if not isinstance(state, dict):
        raise _invalid("state", state, "must be a dict from state_dict()")
    unknown = sorted(set(state) - set(keys))
    if unknown:
        raise _checks.InvalidValue("state", f"Invalid state: unknown keys {unknown}")


class PlateauController:
    """The base of the epoch-level controllers: the current rate, which may come later
    (``start``), its state (``state_dict``), and its configuration (``configuration``, saved with
    a run; ``copy``, a new controller of the same configuration and starting rate, with no
    epochs seen: what each ``train`` run works on)."""

    __slots__ = ("_lr", "_initial")

    def __init__(self, lr: float | None) -> None:
        self._lr = None if lr is None else _non_negative("lr", lr)
        self._initial = self._lr

    @property
    def lr(self) -> float | None:
        """The current learning rate (None until the controller has one: see :meth:`start`)."""
        return self._lr

    def start(self, lr: float) -> float:
        """Give the controller its initial rate ``lr`` if it was built without one
        (``fastoptim.train`` passes the optimizer's ``lr``); return the current rate."""
        if self._lr is None:
            initial = _non_negative("lr", lr)
            self._check_initial(initial)
            self._lr = initial
        return self._lr

    def _check_initial(self, lr: float) -> None:
        """Checks of the configuration against the initial rate (none here)."""

    def configuration(self) -> str:
        """The kind and configuration (not the state, which changes), e.g. for a saved run."""
        return f"{type(self).__qualname__}({', '.join(f'{k}={v!r}' for k, v in self._settings().items())})"

    def _settings(self) -> dict[str, Any]:
        return {}

    def copy(self) -> "PlateauController":
        """A new controller of this configuration with the rate it was built with (None: it
        starts at the optimizer's), and no epochs seen."""
        raise NotImplementedError  # pragma: no cover - every controller implements it

    def _current(self) -> float:
        if self._lr is None:
            raise _checks.InvalidValue("lr", f"{type(self).__name__} has no learning rate yet: build it with lr=..., "
                                             f"or call start(lr) (fastoptim.train does, with the optimizer's lr)")
        return self._lr

    def _state_lr(self, state: dict[str, Any]) -> float | None:
        """The saved ``lr``: None (a controller saved before it had a rate), or a rate."""
        if "lr" in state and state["lr"] is None:
            return None
        return _state_number(state, "lr", "rate")  # (a missing key is reported here)


class HalveOnIncrease(PlateauController):
    """The controller built by :func:`halve_on_increase`."""

    __slots__ = ("_previous_loss", "_epochs")
    _KEYS = ("lr", "previous_loss", "epochs")

    def __init__(self, lr: float | None = None) -> None:
        super().__init__(lr)
        self._previous_loss = 0.0  # meaningful once epochs > 0
        self._epochs = 0

    def copy(self) -> "HalveOnIncrease":
        return HalveOnIncrease(self._initial)

    def _settings(self) -> dict[str, Any]:
        return {"lr": self._initial}

    def update(self, validation_loss: float) -> float:
        """Record one epoch's validation loss; return the learning rate for the next epoch."""
        loss = _loss(validation_loss)
        lr = self._current()
        if self._epochs > 0 and loss > self._previous_loss:
            lr *= 0.5
        self._lr = lr
        self._previous_loss = loss
        self._epochs += 1
        return lr

    def state_dict(self) -> dict[str, float | int | None]:
        """The state as plain numbers: ``lr``, ``previous_loss`` (0.0 before the first epoch),
        ``epochs`` (losses seen)."""
        return {"lr": self._lr, "previous_loss": self._previous_loss, "epochs": self._epochs}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state returned by :meth:`state_dict` (after JSON or npz, too), exactly."""
        _check_keys(state, self._KEYS)
        lr = self._state_lr(state)
        previous_loss = _state_number(state, "previous_loss", "real")
        epochs = _state_number(state, "epochs", "count")
        self._lr, self._previous_loss, self._epochs = lr, previous_loss, epochs

    def __repr__(self) -> str:
        return (f"HalveOnIncrease(lr={self._lr!r}, previous_loss={self._previous_loss!r}, "
                f"epochs={self._epochs})")


def halve_on_increase(lr: float | None = None) -> HalveOnIncrease:
    """Halve the learning rate after an epoch whose validation loss rose.

    The lecture (module 5.7): "halve the learning rate after an epoch if the validation error is
    more than what it was at the end of the previous epoch". After each epoch,
    ``controller.update(validation_loss)`` compares the loss with the previous epoch's (strictly
    greater means it rose), halves ``lr`` if so, and returns the rate for the next epoch:
    ``η ← η/2 if J_val(e) > J_val(e − 1)``.

    Parameters
    ----------
    lr : float, optional
        The initial learning rate, ``>= 0``; by default the optimizer's, given by
        ``fastoptim.train`` (or by :meth:`~HalveOnIncrease.start`).
    """
    return HalveOnIncrease(lr)


class ReduceOnPlateau(PlateauController):
    """Multiply the learning rate by ``factor`` when the validation loss stops improving.

    The lecture's halving rule generalised (SPEC §5), with PyTorch's semantics for
    ``ReduceLROnPlateau(mode="min", threshold_mode="rel", cooldown=0)``: an epoch improves on the
    best loss so far if ``loss < best · (1 − threshold)`` (the first epoch always does). After
    more than ``patience`` epochs in a row without improvement, ``lr ← max(lr · factor, min_lr)``
    and the count restarts. ``update(validation_loss)`` returns the rate for the next epoch.
    As in PyTorch, the threshold is relative to ``best``, so for negative losses it asks for
    less than an improvement (the squared error of this library is never negative).

    Parameters
    ----------
    factor : float
        In ``(0, 1)``.
    patience : int
        Epochs without improvement tolerated, ``>= 0``.
    threshold : float
        The relative improvement required, in ``[0, 1)``.
    min_lr : float
        The floor, ``0 <= min_lr <= lr``.
    lr : float, optional (keyword)
        The initial learning rate, ``>= 0``; by default the optimizer's, given by
        ``fastoptim.train`` (or by :meth:`start`). PyTorch takes it from the optimizer too.
    """

    __slots__ = ("_factor", "_patience", "_threshold", "_min_lr", "_best", "_bad_epochs",
                 "_epochs")
    _KEYS = ("lr", "best", "bad_epochs", "epochs")

    def __init__(self, factor: float = 0.1, patience: int = 10, threshold: float = 1e-4,
                 min_lr: float = 0.0, *, lr: float | None = None) -> None:
        self._factor = _in_interval("factor", factor, 0.0, 1.0, closed_low=False,
                                    closed_high=False)
        self._patience = _integer("patience", patience, 0)
        self._threshold = _in_interval("threshold", threshold, 0.0, 1.0, closed_low=True,
                                       closed_high=False)
        self._min_lr = _non_negative("min_lr", min_lr)
        super().__init__(None)
        if lr is not None:
            self.start(lr)
            self._initial = self._lr
        self._best = 0.0  # meaningful once epochs > 0
        self._bad_epochs = 0
        self._epochs = 0

    factor = property(lambda self: self._factor, doc="The factor on the rate, in (0, 1).")
    patience = property(lambda self: self._patience, doc="Epochs without improvement tolerated.")
    threshold = property(lambda self: self._threshold, doc="The relative improvement required.")
    min_lr = property(lambda self: self._min_lr, doc="The floor of the rate.")

    def _check_initial(self, lr: float) -> None:
        if self._min_lr > lr:
            raise _invalid("min_lr", self._min_lr, f"must be <= lr={lr!r}")

    def copy(self) -> "ReduceOnPlateau":
        return ReduceOnPlateau(self._factor, self._patience, self._threshold, self._min_lr,
                               lr=self._initial)

    def _settings(self) -> dict[str, Any]:
        return {"factor": self._factor, "patience": self._patience, "threshold": self._threshold,
                "min_lr": self._min_lr, "lr": self._initial}

    def update(self, validation_loss: float) -> float:
        """Record one epoch's validation loss; return the learning rate for the next epoch."""
        loss = _loss(validation_loss)
        lr = self._current()
        if self._epochs == 0 or loss < self._best * (1.0 - self._threshold):
            self._best = loss
            self._bad_epochs = 0
        else:
            self._bad_epochs += 1
        if self._bad_epochs > self._patience:
            reduced = max(lr * self._factor, self._min_lr)
            if reduced < lr:  # never raise the rate (a restored lr below min_lr stays)
                lr = reduced
            self._bad_epochs = 0
        self._lr = lr
        self._epochs += 1
        return lr

    def state_dict(self) -> dict[str, float | int | None]:
        """The state as plain numbers: ``lr``, ``best`` (0.0 before the first epoch),
        ``bad_epochs``, ``epochs`` (losses seen). The configuration is not part of it."""
        return {"lr": self._lr, "best": self._best, "bad_epochs": self._bad_epochs,
                "epochs": self._epochs}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state returned by :meth:`state_dict` (after JSON or npz, too), exactly."""
        _check_keys(state, self._KEYS)
        lr = self._state_lr(state)
        best = _state_number(state, "best", "real")
        bad_epochs = _state_number(state, "bad_epochs", "count")
        epochs = _state_number(state, "epochs", "count")
        self._lr, self._best, self._bad_epochs, self._epochs = lr, best, bad_epochs, epochs

    def __repr__(self) -> str:
        return (f"ReduceOnPlateau(factor={self._factor!r}, patience={self._patience!r}, "
                f"threshold={self._threshold!r}, min_lr={self._min_lr!r}, lr={self._lr!r})")
