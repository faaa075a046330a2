"""Learning-rate and momentum schedules (SPEC.md §5), and epoch-level controllers.

A schedule is a pure function of an integer counter ``t = 0, 1, ...`` (steps or epochs, as the
caller decides). Every schedule accepts either

- a Python ``int`` (or numpy integer scalar) and returns a ``float``, or
- an integer array of any shape and returns a float64 array of the same shape,

and the two agree bit for bit: the formula is written once, as a compiled loop over a contiguous
int64 array (``fastoptim.kernels.schedules``) whose every value depends on its own counter only,
and a scalar is evaluated as a one-element array. A whole run's values are therefore one call,
``schedule.values(n_steps)`` (1-2 ns a value), whose result is handed to the compiled training
loop.

Counters must satisfy ``0 <= t <= 2**53`` (every such integer is exact in float64). Every argument
is validated when the schedule is built, so that no schedule raises, returns NaN, infinity or a
negative value at any valid ``t``. A bad argument raises ``fastoptim._checks.InvalidValue`` (a
``ValueError``, a wrong type included) whose ``argument`` names the schedule's argument
(``"max_lr"``, ``"boundaries"`` …); a bad counter ``InvalidType``/``InvalidValue`` naming ``t``.

Learning-rate schedules: :func:`constant`, :func:`step_decay`, :func:`exponential`,
:func:`inverse_time`, :func:`cyclic`, :func:`cosine`, :func:`warm_restarts`,
:func:`linear_warmup`, :func:`transformer_warmup`, and :func:`join` to chain them. Momentum
schedule: :func:`sutskever_momentum`. Controllers that need validation feedback (called by Python
between epochs): :func:`halve_on_increase` and :class:`ReduceOnPlateau`.

Sources: the lecture "Learning Parameters" (CS6910 lecture 5, module 5.7 "tips" and the
learning-rate schemes slides); Smith 2017; Loshchilov & Hutter 2017; Vaswani et al. 2017;
Sutskever et al. 2013 (each cited in the schedule's docstring). The epoch-level controllers live in
``fastoptim.plateau`` (re-exported here: ``halve_on_increase``, ``ReduceOnPlateau``).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, ClassVar, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _checks
from .kernels import schedules as _kernels

__all__ = [
    "Schedule",
    "constant",
    "step_decay",
    "exponential",
    "inverse_time",
    "cyclic",
    "cosine",
    "warm_restarts",
    "linear_warmup",
    "transformer_warmup",
    "join",
    "sutskever_momentum",
    "halve_on_increase",
    "HalveOnIncrease",
    "ReduceOnPlateau",
    "MAX_T",
    "CYCLIC_MODES",
]

#: Largest counter accepted: every integer up to 2**53 is exact in float64.
MAX_T = 2**53

#: The ``mode`` values of :func:`cyclic` (Smith 2017, §3.1).
CYCLIC_MODES = ("triangular", "triangular2", "exp_range")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


# --------------------------------------------------------------------------------------------
# argument validation: the package's vocabulary (fastoptim._checks), one message shape,
# "Invalid <name>: <value> (<requirement>)", and the argument's name in error.argument
# --------------------------------------------------------------------------------------------


def _invalid(name: str, value: Any, requirement: str) -> _checks.InvalidValue:
    """The error for a bad argument ``name`` of a schedule or a controller: an
    ``InvalidValue`` (a ``ValueError``) whose ``argument`` is ``name``, a value of the wrong type
    included (a schedule's or a controller's bad argument has always been a ``ValueError``; the
    counter ``t`` and ``n_or_t`` of a call are checked by type first, :class:`InvalidType`)."""
    error: _checks.InvalidValue = _checks.invalid(name, value, requirement)
    return error


def _real(name: str, value: Any, requirement: str) -> float:
    """``value`` as a finite float, or a ValueError naming ``name``."""
    if not _checks.is_real(value):  # (bools and timedelta64, a numpy integer, are not numbers here)
        raise _invalid(name, value, requirement)
    try:
        result = float(value)
    except OverflowError:  # an int or Fraction beyond float64's range
        raise _invalid(name, value, requirement) from None
    if not math.isfinite(result):
        raise _invalid(name, value, requirement)
    return result + 0.0  # −0.0 becomes 0.0


def _non_negative(name: str, value: Any) -> float:
    requirement = "must be a finite number >= 0"
    result = _real(name, value, requirement)
    if result < 0.0:
        raise _invalid(name, value, requirement)
    return result


def _positive(name: str, value: Any) -> float:
    requirement = "must be a finite number > 0"
    result = _real(name, value, requirement)
    if result <= 0.0:
        raise _invalid(name, value, requirement)
    return result


def _in_interval(name: str, value: Any, low: float, high: float, *, closed_low: bool,
                 closed_high: bool) -> float:
    requirement = (f"must lie in {'[' if closed_low else '('}{low:g}, {high:g}"
                   f"{']' if closed_high else ')'}")
    result = _real(name, value, requirement)
    above = result >= low if closed_low else result > low
    below = result <= high if closed_high else result < high
    if not (above and below):
        raise _invalid(name, value, requirement)
    return result


def _integer(name: str, value: Any, minimum: int) -> int:
    requirement = ("must be a positive integer" if minimum == 1
                   else f"must be an integer >= {minimum}")
    if not _checks.is_integer(value):
        raise _invalid(name, value, requirement)
    result = int(value)
    if result < minimum:
        raise _invalid(name, value, requirement)
    if result > MAX_T:
        raise _invalid(name, value, requirement + " <= 2**53")
    return result


def _counter(t: Any) -> tuple[IntArray, tuple[int, ...] | None]:
    """Check a counter's type; return it as a contiguous 1-D int64 array, and its shape.

    The shape is ``None`` for a scalar counter (the caller then returns a float). The range of
    a scalar is checked here, that of an array by the kernels as they evaluate it (the error is
    :func:`_out_of_range`).
    """
    requirement = "must be an integer in [0, 2**53]"
    if isinstance(t, (bool, np.bool_)):
        raise _checks.InvalidType("t", f"Invalid t: {t!r} ({requirement}, not a bool)")
    if isinstance(t, np.timedelta64):  # (a numpy integer type, but a duration, not a counter)
        raise _checks.InvalidType("t", f"Invalid t: {t!r} ({requirement}, not a timedelta64)")
    if isinstance(t, numbers.Integral):
        value = int(t)
        if value < 0 or value > MAX_T:
            raise _checks.InvalidValue("t", f"Invalid t: {value} ({requirement})")
        return np.array([value], dtype=np.int64), None
    if isinstance(t, numbers.Number):  # float, complex, Fraction, ...
        raise _checks.InvalidType("t", f"Invalid t: {t!r} ({requirement})")
    try:
        array = np.asarray(t)
    except ValueError as error:  # a ragged list
        raise _checks.InvalidType("t", f"Invalid t: {t!r} ({requirement}, or an array of them)") from error
    if array.size == 0 and array.dtype.kind == "f":  # [] and np.array([]): no counters
        array = array.astype(np.int64)
    if array.dtype.kind not in "iu":
        raise _checks.InvalidType("t", f"Invalid t: array of dtype {array.dtype} ({requirement}; "
                                       f"the dtype must be an integer dtype)")
    # (a uint64 counter past 2**63 wraps to a negative int64, out of range too)
    return np.ascontiguousarray(array, dtype=np.int64).reshape(-1), array.shape


def _out_of_range(t: Any) -> _checks.InvalidValue:
    """The error for an array of counters not all in [0, 2**53]."""
    array = np.asarray(t)
    low = int(array.min())
    bad = low if low < 0 else int(array.max())
    return _checks.InvalidValue("t", f"Invalid t: array containing {bad} (must be an integer in [0, 2**53])")


def _within(t: IntArray, offset: int, limit: int) -> bool:
    """Whether every counter lies in ``[offset, limit]`` (for schedules evaluated by numpy)."""
    return t.size == 0 or (int(t.min()) >= offset and int(t.max()) <= limit)


# --------------------------------------------------------------------------------------------
# the base class
# --------------------------------------------------------------------------------------------


class Schedule:
    """A pure function of an integer counter ``t >= 0``: ``s(t)``.

    ``s(t)`` for an integer returns a float; for an integer array, a float64 array of the same
    shape; both bit for bit equal. ``s.values(n)`` is ``s(np.arange(n))``. Subclasses are
    frozen dataclasses whose fields are the validated arguments; they implement
    :meth:`_kernel` (the compiled loop and its arguments) or :meth:`_evaluate` itself.
    """

    __slots__ = ()
    #: The name of the function that builds the schedule (used by ``repr``).
    name: ClassVar[str] = "schedule"

    def _kernel(self) -> tuple[Any, tuple[Any, ...]] | None:
        """The compiled loop of ``fastoptim.kernels.schedules`` that evaluates the schedule, and
        its arguments between ``(t, offset, limit)`` and ``out``; None for a schedule that
        implements :meth:`_evaluate` otherwise."""
        return None

    def _evaluate(self, t: IntArray, offset: int, limit: int, out: FloatArray) -> bool:
        """Write ``s(t − offset)`` into ``out`` (float64, the size of ``t``) for a contiguous 1-D
        int64 ``t`` whose counters all lie in ``[offset, limit]`` (``limit <= offset + 2**53``);
        return False (``out`` is then unspecified) if one does not, as the kernels of
        ``fastoptim.kernels.schedules`` do."""
        found = self._kernel()
        if found is None:  # pragma: no cover - every schedule has one or the other
            raise NotImplementedError
        kernel, arguments = found
        result: bool = kernel(t, offset, limit, *arguments, out)
        return result

    def _kernel_calls(self) -> list[tuple[Any, tuple[Any, ...], str]]:
        """``(dispatcher, arguments, name)`` of each compiled loop an evaluation calls, with
        stand-in counters and output of the types a run passes (see :func:`kernel_calls`)."""
        found = self._kernel()
        if found is None:
            return []
        kernel, arguments = found
        return [(kernel, (np.zeros(1, dtype=np.int64), 0, MAX_T, *arguments, np.empty(1)), self.name)]

    def __call__(self, t: int | ArrayLike) -> Any:
        flat, shape = _counter(t)
        out = np.empty(flat.size, dtype=np.float64)
        with np.errstate(over="ignore", under="ignore"):
            in_range = self._evaluate(flat, 0, MAX_T, out)
        if not in_range:
            raise _out_of_range(t)
        if shape is None:
            return float(out[0])
        return out.reshape(shape)

    def values(self, n_or_t: int | ArrayLike) -> FloatArray:
        """The values at ``t = 0, 1, ..., n - 1`` for an integer ``n``, or at each ``t`` of an
        integer array (a float64 array, the shape of ``t``)."""
        if _checks.is_integer(n_or_t):
            n = int(n_or_t)
            if n < 0 or n > MAX_T + 1:
                raise _checks.InvalidValue("n_or_t", f"Invalid n: {n} (must be an integer in [0, 2**53 + 1])")
            # the counters (int64) and the values (float64): refused before allocating if they cannot fit
            _checks.fits_in_memory("n_or_t", n, 16 * n, f"{n:,} values")
            result: FloatArray = self(np.arange(n, dtype=np.int64))
            return result
        if isinstance(n_or_t, (bool, np.bool_, np.timedelta64, numbers.Number)):
            raise _checks.InvalidType("n_or_t", f"Invalid n_or_t: {n_or_t!r} (must be an integer count or an "
                                                f"integer array of counters)")
        return np.asarray(self(np.asarray(n_or_t)), dtype=np.float64)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{f.name}={getattr(self, f.name)!r}"
                              for f in dataclasses.fields(self)  # type: ignore[arg-type]
                              if f.repr)
        return f"{self.name}({arguments})"


def _set(schedule: Schedule, name: str, value: Any) -> None:
    """Store a validated (normalised) value on a frozen dataclass."""
    object.__setattr__(schedule, name, value)


def _base(base: float) -> tuple[float, float]:
    """``(halvings, ln_base)`` with ``base = 2^−halvings · e^ln_base`` as the kernels take it:
    ``(j, 0)`` for ``base = 2^−j`` (its powers are then exact), else ``(0, ln base)``."""
    mantissa, exponent = math.frexp(base)
    return (float(1 - exponent), 0.0) if mantissa == 0.5 else (0.0, math.log(base))


# --------------------------------------------------------------------------------------------
# learning-rate schedules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class Constant(Schedule):
    """The schedule built by :func:`constant`."""

    name: ClassVar[str] = "constant"
    lr: float

    def __post_init__(self) -> None:
        _set(self, "lr", _non_negative("lr", self.lr))

    def _kernel(self) -> tuple[Any, tuple[Any, ...]]:
        return _kernels.constant, (self.lr,)


def constant(lr: float) -> Constant:
    """The constant learning rate ``η_t = η0`` (SPEC §5 "constant").

    Parameters
    ----------
    lr : float
        ``η0 >= 0``.
    """
    return Constant(lr)


@dataclass(frozen=True, slots=True, repr=False)
class StepDecay(Schedule):
    """The schedule built by :func:`step_decay`."""

    name: ClassVar[str] = "step_decay"
    lr: float
    factor: float = 0.5
    every: int = 5

    def __post_init__(self) -> None:
        _set(self, "lr", _non_negative("lr", self.lr))
        _set(self, "factor", _in_interval("factor", self.factor, 0.0, 1.0,
                                          closed_low=False, closed_high=True))
        _set(self, "every", _integer("every", self.every, 1))

    def _kernel(self) -> tuple[Any, tuple[Any, ...]]:
        return _kernels.geometric, (float(self.every), *_base(self.factor), self.lr)


def step_decay(lr: float, factor: float = 0.5, every: int = 5) -> StepDecay:
    """Step decay, ``η_t = η0 · γ^⌊t/s⌋`` with ``γ = factor``, ``s = every``.

    The lecture (module 5.7, "tips for annealing the learning rate"): "halve the learning rate
    after every 5 epochs", hence the defaults ``factor=0.5``, ``every=5``.

    Parameters
    ----------
    lr : float
        ``η0 >= 0``, the value for ``t < every``.
    factor : float
        ``γ`` in ``(0, 1]``.
    every : int
        ``s >= 1``, the number of counts between two decays.
    """
    return StepDecay(lr, factor, every)


@dataclass(frozen=True, slots=True, repr=False)
class Exponential(Schedule):
    """The schedule built by :func:`exponential`."""

    name: ClassVar[str] = "exponential"
    lr: float
    k: float

    def __post_init__(self) -> None:
        _set(self, "lr", _non_negative("lr", self.lr))
        _set(self, "k", _non_negative("k", self.k))

    def _kernel(self) -> tuple[Any, tuple[Any, ...]]:
        # e^(−k t) = b^t with b = e^−k
        return _kernels.geometric, (1.0, 0.0, -self.k, self.lr)


def exponential(lr: float, k: float) -> Exponential:
    """Exponential decay, ``η_t = η0 · e^(−k t)``.

    The lecture (module 5.7) writes ``η0^(−kt)``, a typo for ``η0 e^(−kt)`` (SPEC §5).

    Parameters
    ----------
    lr : float
        ``η0 >= 0``.
    k : float
        The decay rate, ``k >= 0`` (``k = 0`` is a constant).
    """
    return Exponential(lr, k)


@dataclass(frozen=True, slots=True, repr=False)
class InverseTime(Schedule):
    """The schedule built by :func:`inverse_time`."""

    name: ClassVar[str] = "inverse_time"
    lr: float
    k: float

    def __post_init__(self) -> None:
        _set(self, "lr", _non_negative("lr", self.lr))
        _set(self, "k", _non_negative("k", self.k))

    def _kernel(self) -> tuple[Any, tuple[Any, ...]]:
        # 1 + k t >= 1: never a division by zero; k t may overflow to inf, giving 0.
        return _kernels.inverse_time, (self.lr, self.k)


def inverse_time(lr: float, k: float) -> InverseTime:
    """1/t decay, ``η_t = η0 / (1 + k t)`` (the lecture, module 5.7).

    Parameters
    ----------
    lr : float
        ``η0 >= 0``.
    k : float
        ``k >= 0`` (``k = 0`` is a constant).
    """
    return InverseTime(lr, k)


@dataclass(frozen=True, slots=True, repr=False)
class Cyclic(Schedule):
    """The schedule built by :func:`cyclic`."""

    name: ClassVar[str] = "cyclic"
    base_lr: float
    max_lr: float
    step_size: int
    mode: str = "triangular"
    gamma: float = 1.0

    def __post_init__(self) -> None:
        _set(self, "base_lr", _non_negative("base_lr", self.base_lr))
        max_lr = _non_negative("max_lr", self.max_lr)
        if max_lr < self.base_lr:
            raise _invalid("max_lr", self.max_lr, f"must be >= base_lr={self.base_lr!r}")
        _set(self, "max_lr", max_lr)
        _set(self, "step_size", _integer("step_size", self.step_size, 1))
        if not isinstance(self.mode, str) or self.mode not in CYCLIC_MODES:
            raise _invalid("mode", self.mode, f"must be one of {', '.join(CYCLIC_MODES)}")
        gamma = _in_interval("gamma", self.gamma, 0.0, 1.0, closed_low=False, closed_high=True)
        if self.mode != "exp_range" and gamma != 1.0:
            raise _invalid("gamma", self.gamma, f"must be 1.0 unless mode='exp_range', the only "
                           f"mode that uses it; mode={self.mode!r}")
        _set(self, "gamma", gamma)

    def _kernel(self) -> tuple[Any, tuple[Any, ...]]:
        # scale = (½)^(halvings (c − 1)) or γ^t = e^(t ln γ)
        halvings = 1.0 if self.mode == "triangular2" else 0.0
        return _kernels.cyclic, (float(self.step_size), self.base_lr, self.max_lr, halvings, math.log(self.gamma))


def cyclic(base_lr: float, max_lr: float, step_size: int, mode: str = "triangular",
           gamma: float = 1.0) -> Cyclic:
    """Cyclical learning rate (Smith 2017, "Cyclical Learning Rates for Training Neural
    Networks", WACV, arXiv:1506.01186; the lecture's ``cyclic_lr``)::

        c = ⌊1 + t / (2 s)⌋,   x = |t/s − 2c + 1|,
        η_t = base_lr + (max_lr − base_lr) · max(0, 1 − x) · scale

    with ``s = step_size`` and ``scale = 1`` (``"triangular"``, the lecture's code),
    ``1 / 2^(c−1)`` (``"triangular2"``: the amplitude halves every cycle) or ``γ^t``
    (``"exp_range"``). ``η_0 = base_lr``, ``η_s = base_lr + (max_lr − base_lr)·scale``, one
    cycle is ``2s`` counts. The lecture's float ``t/s`` loses the position in the cycle as ``t``
    grows (~1e-9 relative at ``t = 10^9``); here ``t`` is reduced to its cycle exactly first,
    so the first cycle has the lecture code's bits and every value is exact to rounding.

    Parameters
    ----------
    base_lr, max_lr : float
        ``0 <= base_lr <= max_lr``.
    step_size : int
        ``s >= 1``, half a cycle.
    mode : {"triangular", "triangular2", "exp_range"}
    gamma : float
        ``γ`` in ``(0, 1]``, used by ``"exp_range"`` only (any other mode requires 1.0).
    """
    return Cyclic(base_lr, max_lr, step_size, mode, gamma)


@dataclass(frozen=True, slots=True, repr=False)
class Cosine(Schedule):
    """The schedule built by :func:`cosine`."""

    name: ClassVar[str] = "cosine"
    max_lr: float
    min_lr: float
    period: int

    def __post_init__(self) -> None:
        _set(self, "max_lr", _non_negative("max_lr", self.max_lr))
        min_lr = _non_negative("min_lr", self.min_lr)
        if min_lr > self.max_lr:
            raise _invalid("min_lr", self.min_lr, f"must be <= max_lr={self.max_lr!r}")
        _set(self, "min_lr", min_lr)
        _set(self, "period", _integer("period", self.period, 1))

    def _kernel(self) -> tuple[Any, tuple[Any, ...]]:
        return _kernels.cosine, (float(self.period), self.max_lr, self.min_lr)


def cosine(max_lr: float, min_lr: float, period: int) -> Cosine:
    """Cosine annealing without restarts (Loshchilov & Hutter 2017, "SGDR", ICLR,
    arXiv:1608.03983, eq. 5; the lecture's "cosine annealing")::

        η_t = min_lr + ½ (max_lr − min_lr) (1 + cos(π · min(t, T) / T))

    with ``T = period``: ``η_0 = max_lr`` (to an ulp: ``min_lr + (max_lr − min_lr)`` is
    rounded), and ``η_t = min_lr`` exactly for every ``t >= T``.

    Parameters
    ----------
    max_lr, min_lr : float
        ``0 <= min_lr <= max_lr``.
    period : int
        ``T >= 1``.
    """
    return Cosine(max_lr, min_lr, period)


@dataclass(frozen=True, slots=True, repr=False)
class WarmRestarts(Schedule):
    """The schedule built by :func:`warm_restarts`."""

    name: ClassVar[str] = "warm_restarts"
    max_lr: float
    min_lr: float
    T0: int
    T_mult: int = 1
    # For T_mult > 1: the first count of each period, S_i = T0 (T_mult^i − 1)/(T_mult − 1), for
    # every S_i <= 2**53 (at most 54 of them), and each period's length T0 T_mult^i as float64.
    _starts: IntArray = field(init=False, repr=False, compare=False, hash=False)
    _periods: FloatArray = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        _set(self, "max_lr", _non_negative("max_lr", self.max_lr))
        min_lr = _non_negative("min_lr", self.min_lr)
        if min_lr > self.max_lr:
            raise _invalid("min_lr", self.min_lr, f"must be <= max_lr={self.max_lr!r}")
        _set(self, "min_lr", min_lr)
        _set(self, "T0", _integer("T0", self.T0, 1))
        _set(self, "T_mult", _integer("T_mult", self.T_mult, 1))
        starts, periods = [0], [self.T0]
        if self.T_mult > 1:  # exact Python integers, then one table lookup per count
            while starts[-1] + periods[-1] <= MAX_T:
                starts.append(starts[-1] + periods[-1])
                periods.append(periods[-1] * self.T_mult)
        _set(self, "_starts", np.array(starts, dtype=np.int64))
        _set(self, "_periods", np.array(periods, dtype=np.float64))

    def _kernel(self) -> tuple[Any, tuple[Any, ...]]:
        return _kernels.warm_restarts, (self._starts, self._periods, self.max_lr, self.min_lr)


def warm_restarts(max_lr: float, min_lr: float, T0: int, T_mult: int = 1) -> WarmRestarts:
    """Cosine annealing with warm restarts (SGDR: Loshchilov & Hutter 2017, "SGDR: Stochastic
    Gradient Descent with Warm Restarts", ICLR, arXiv:1608.03983, eq. 5)::

        η_t = min_lr + ½ (max_lr − min_lr) (1 + cos(π · T_cur / T_i))

    where period ``i`` lasts ``T_i = T0 · T_mult^i`` counts and starts at
    ``S_i = T0 (T_mult^i − 1) / (T_mult − 1)`` (``i · T0`` for ``T_mult = 1``), and
    ``T_cur = t − S_i``. At every restart ``t = S_i`` the value is ``max_lr`` (to an ulp, as
    :func:`cosine`'s first); it approaches
    ``min_lr`` at the end of each period without reaching it (as in the paper and PyTorch's
    ``CosineAnnealingWarmRestarts``). The period is found exactly, by integer arithmetic.

    Parameters
    ----------
    max_lr, min_lr : float
        ``0 <= min_lr <= max_lr``.
    T0 : int
        The first period, ``>= 1``.
    T_mult : int
        The growth of each period, ``>= 1``.
    """
    return WarmRestarts(max_lr, min_lr, T0, T_mult)


@dataclass(frozen=True, slots=True, repr=False)
class LinearWarmup(Schedule):
    """The schedule built by :func:`linear_warmup`."""

    name: ClassVar[str] = "linear_warmup"
    lr: float
    warmup: int
    start_lr: float = 0.0

    def __post_init__(self) -> None:
        _set(self, "lr", _non_negative("lr", self.lr))
        _set(self, "warmup", _integer("warmup", self.warmup, 1))
        _set(self, "start_lr", _non_negative("start_lr", self.start_lr))

    def _kernel(self) -> tuple[Any, tuple[Any, ...]]:
        # t / w first (< 1): (lr − start_lr) · t could overflow for huge rates and warm-ups.
        return _kernels.linear_warmup, (self.lr, float(self.warmup), self.start_lr)


def linear_warmup(lr: float, warmup: int, start_lr: float = 0.0) -> LinearWarmup:
    """Linear warm-up (the lecture's "warm-start"; Goyal et al. 2017, "Accurate, Large Minibatch
    SGD", arXiv:1706.02677, §2.2)::

        η_t = start_lr + (lr − start_lr) · t / w   for t < w,      η_t = lr   for t >= w

    with ``w = warmup``; ``η_w = lr`` exactly. Chain it with a decay by :func:`join`.

    Parameters
    ----------
    lr : float
        The rate reached at the end of warm-up, ``>= 0``.
    warmup : int
        ``w >= 1``, the number of warm-up counts.
    start_lr : float
        ``η_0 >= 0``.
    """
    return LinearWarmup(lr, warmup, start_lr)


@dataclass(frozen=True, slots=True, repr=False)
class TransformerWarmup(Schedule):
    """The schedule built by :func:`transformer_warmup`."""

    name: ClassVar[str] = "transformer_warmup"
    d_model: int
    warmup: int = 4000
    scale: float = 1.0

    def __post_init__(self) -> None:
        _set(self, "d_model", _integer("d_model", self.d_model, 1))
        _set(self, "warmup", _integer("warmup", self.warmup, 1))
        _set(self, "scale", _non_negative("scale", self.scale))

    def _kernel(self) -> tuple[Any, tuple[Any, ...]]:
        return _kernels.transformer_warmup, (self.scale * self.d_model ** -0.5, self.warmup ** -1.5)


def transformer_warmup(d_model: int, warmup: int = 4000, scale: float = 1.0
                       ) -> TransformerWarmup:
    """The Transformer's warm-up then inverse-square-root decay (Vaswani et al. 2017, "Attention
    Is All You Need", NeurIPS, eq. 3; the lecture's ``warmupSteps=4000``)::

        η_t = scale · d_model^(−½) · min((t + 1)^(−½), (t + 1) · w^(−3/2))

    with ``w = warmup``. The paper counts steps from 1; this schedule's ``t`` counts from 0, hence
    ``t + 1``. The peak, ``scale · (d_model · w)^(−½)``, is at ``t = w − 1``.

    Parameters
    ----------
    d_model : int
        The model width, ``>= 1``.
    warmup : int
        ``w >= 1``.
    scale : float
        A factor ``>= 0`` on the whole schedule.
    """
    return TransformerWarmup(d_model, warmup, scale)


@dataclass(frozen=True, slots=True, repr=False)
class Join(Schedule):
    """The schedule built by :func:`join`."""

    name: ClassVar[str] = "join"
    schedules: tuple[Schedule, ...]
    boundaries: tuple[int, ...]
    _boundaries: IntArray = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if isinstance(self.schedules, (str, bytes, Schedule)) or not isinstance(
                self.schedules, Sequence) or len(self.schedules) == 0:
            raise _invalid("schedules", self.schedules, "must be a non-empty sequence of schedules")
        for position, schedule in enumerate(self.schedules):
            if not isinstance(schedule, Schedule):
                raise _invalid("schedules", schedule,
                               f"item {position} must be a fastoptim.schedules schedule")
        if isinstance(self.boundaries, (str, bytes)) or not isinstance(
                self.boundaries, Sequence):
            raise _invalid("boundaries", self.boundaries, "must be a sequence of integers")
        if len(self.boundaries) != len(self.schedules) - 1:
            raise _invalid("boundaries", self.boundaries,
                           f"must have len(schedules) - 1 = {len(self.schedules) - 1} "
                           f"items, not {len(self.boundaries)}")
        boundaries = tuple(_integer("boundaries", b, 1) for b in self.boundaries)
        if any(later <= earlier for earlier, later in zip(boundaries, boundaries[1:])):
            raise _invalid("boundaries", self.boundaries, "must be strictly increasing")
        # A warm-up must fit in the phase that shows it, or its end is never reached.
        for position, (schedule, start, end) in enumerate(
                zip(self.schedules, (0,) + boundaries, boundaries + (MAX_T + 1,))):
            _check_warmups(schedule, end - start, f"schedules[{position}]")
        _set(self, "schedules", tuple(self.schedules))
        _set(self, "boundaries", boundaries)
        _set(self, "_boundaries", np.array(boundaries, dtype=np.int64))

    def _kernel_calls(self) -> list[tuple[Any, tuple[Any, ...], str]]:
        return [call for schedule in self.schedules for call in schedule._kernel_calls()]

    def _evaluate(self, t: IntArray, offset: int, limit: int, out: FloatArray) -> bool:
        # Phase k holds the counters firsts[k] .. lasts[k], seen as counters from firsts[k].
        firsts = [offset] + [offset + boundary for boundary in self.boundaries]
        lasts = [first - 1 for first in firsts[1:]] + [limit]
        # Sorted counters (a whole run): each phase is one slice, found by a binary search and
        # confirmed by its own evaluation (which meets any counter outside the phase).
        ends = np.searchsorted(t, firsts[1:], side="left").tolist() + [t.size]
        begin = 0
        for schedule, first, last, end in zip(self.schedules, firsts, lasts, ends):
            end = max(begin, end)
            if not schedule._evaluate(t[begin:end], first, min(last, limit), out[begin:end]):
                break
            begin = end
        else:
            return True
        # Any other order: the counters of each phase gathered. A gather is a new contiguous
        # array, evaluated by the same loop as a scalar is: any order gives the same bits.
        if not _within(t, offset, limit):
            return False
        phase = np.searchsorted(self._boundaries + offset, t, side="right")
        for position, (schedule, first, last) in enumerate(zip(self.schedules, firsts, lasts)):
            in_phase = phase == position
            values = np.empty(int(np.count_nonzero(in_phase)), dtype=np.float64)
            schedule._evaluate(t[in_phase], first, last, values)
            out[in_phase] = values
        return True


def _check_warmups(schedule: Schedule, length: int, where: str) -> None:
    """A :func:`linear_warmup` shown for ``length`` counts, alone or inside nested joins (whose
    phases the outer phase may cut short), must end within them."""
    if isinstance(schedule, LinearWarmup) and schedule.warmup > length:
        raise _invalid("warmup", schedule.warmup,
                       f"{where}'s warm-up must fit in its phase of {length} counts")
    if isinstance(schedule, Join):
        for position, (inner, start, end) in enumerate(
                zip(schedule.schedules, (0,) + schedule.boundaries,
                    schedule.boundaries + (MAX_T + 1,))):
            if start < length:  # a phase the outer one reaches
                _check_warmups(inner, min(end, length) - start, f"{where}.schedules[{position}]")


def join(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Join:
    """Schedules chained at boundaries (as ``optax.join_schedules``)::

        η_t = schedules[i](t − boundaries[i−1])   for boundaries[i−1] <= t < boundaries[i]

    with ``boundaries[−1] = 0`` and ``boundaries[len] = ∞``: each later schedule sees the
    counter restarted at its boundary. A :func:`linear_warmup` must fit in its phase.

    Parameters
    ----------
    schedules : sequence of schedules
        At least one.
    boundaries : sequence of int
        ``len(schedules) − 1`` strictly increasing positive integers.
    """
    def as_tuple(items: Any) -> Any:  # lists, arrays, generators; anything else is reported
        if isinstance(items, (str, bytes, Schedule)):
            return items
        try:
            return tuple(items)
        except TypeError:
            return items

    return Join(as_tuple(schedules), as_tuple(boundaries))


# --------------------------------------------------------------------------------------------
# momentum schedule
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class SutskeverMomentum(Schedule):
    """The schedule built by :func:`sutskever_momentum`."""

    name: ClassVar[str] = "sutskever_momentum"
    beta_max: float
    every: int = 250

    def __post_init__(self) -> None:
        _set(self, "beta_max", _in_interval("beta_max", self.beta_max, 0.0, 1.0,
                                            closed_low=True, closed_high=False))
        _set(self, "every", _integer("every", self.every, 1))

    def _kernel(self) -> tuple[Any, tuple[Any, ...]]:
        # 2^(−1 − log2 n) = 1 / (2n) exactly, so β = 1 − 0.5/n with n = ⌊t/every⌋ + 1.
        return _kernels.sutskever_momentum, (float(self.every), self.beta_max)


def sutskever_momentum(beta_max: float, every: int = 250) -> SutskeverMomentum:
    """The momentum schedule of Sutskever et al. 2013 ("On the importance of initialization and
    momentum in deep learning", ICML, eq. 5; the lecture's "tips for momentum")::

        β_t = min(1 − 2^(−1 − log2(⌊t / every⌋ + 1)), β_max)
            = min(1 − 1 / (2 (⌊t / every⌋ + 1)), β_max)

    computed in the second, exact form. ``β_0 = 0.5`` (or ``β_max`` if smaller). The paper picks
    ``β_max`` from ``{0.999, 0.995, 0.99, 0.9, 0}``.

    Parameters
    ----------
    beta_max : float
        In ``[0, 1)``.
    every : int
        ``>= 1``, counts between two increases (250 in the paper).
    """
    return SutskeverMomentum(beta_max, every)


def kernel_calls(function: Any) -> list[tuple[Any, tuple[Any, ...], str]]:
    """The compiled loops evaluating ``function`` calls, as ``(dispatcher, arguments, name)``
    with stand-in counters and output of the types a run passes (the schedule's name, e.g.
    ``"cosine"``): what ``fastoptim.compiling`` checks, and compiles ahead of a run. Empty for
    a function that is not a fastoptim schedule (Python evaluates it)."""
    if isinstance(function, Schedule):
        return function._kernel_calls()
    return []


def evaluate(function: Any, counters: IntArray, name: str, kind: str) -> FloatArray:
    """``function`` at every counter, as float64, checked: the one validator of schedule values
    (``fastoptim.train`` and ``Optimizer.lr_at`` use it). A fastoptim schedule is one
    vectorized call and valid by construction; any other function of the step is called once
    per counter, and each value must be a real number, finite and ``>= 0`` for ``kind="lr"``,
    in ``[0, 1)`` for ``kind="momentum"``; ``ValueError``/``TypeError`` naming ``name`` and the
    counter otherwise."""
    if isinstance(function, Schedule):
        return np.asarray(function(counters), dtype=np.float64)
    values = np.empty(len(counters))
    for index, t in enumerate(counters.tolist()):
        value = function(t)
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        if not _checks.is_real(value):
            raise _checks.wrong_type(name, function, f"must return a real number, returned "
                                                     f"{_checks.describe(value)} at t = {t}")
        values[index] = value
    bad = ~(np.isfinite(values) & (values >= 0)) if kind == "lr" else ~((values >= 0) & (values < 1))
    if bad.any():
        index = int(np.argmax(bad))
        requirement = "a finite rate >= 0" if kind == "lr" else "a momentum in [0, 1)"
        raise _checks.invalid(name, function, f"must give {requirement} at every step of the run, gave "
                                              f"{values[index]} at t = {int(counters[index])}")
    return values


def __getattr__(name: str) -> Any:
    """The controllers, from their own module ``fastoptim.plateau``."""
    if name in ("halve_on_increase", "HalveOnIncrease", "ReduceOnPlateau", "PlateauController"):
        from . import plateau

        return getattr(plateau, name)
    raise AttributeError(f"module 'fastoptim.schedules' has no attribute {name!r}")
