"""The optimizers of SPEC §3 as immutable, validated configurations over fused kernels.

>>> import numpy as np
>>> from fastoptim.optimizers import Adam
>>> opt = Adam(lr=0.1)                      # validated once, frozen
>>> params = np.array([-2.0, -2.0]); grads = np.array([0.5, -0.25])
>>> state = opt.init(params)                # slots (m, v) and the step count
>>> opt.step(params, grads, state)          # one fused kernel call, params updated in place
>>> state.step
1

``lr`` is a number or a schedule: a function of the integer counter ``t = state.step``
(0 before the first update, as in SPEC §5) returning a finite ``η ≥ 0``. The kernel's step
(the ``t`` of the bias corrections) is ``state.step + 1``.

Each class writes its rule in its docstring; the formulas, sources and the differences from
PyTorch are those of the kernels in :mod:`fastoptim.kernels.updates` (SPEC §3) and of the
numpy reference :mod:`fastoptim.reference.updates`.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
import operator
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Union

import numpy as np

from fastoptim import _checks
from fastoptim.kernels import layout as _kernels

Schedule = Callable[[int], float]
LearningRate = Union[float, Schedule]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_FLOAT64 = np.dtype(np.float64)
_STATE_KEYS = ("optimizer", "step", "slots", "scalars", "shape", "dtype")
#: The two forms of a Nesterov state (SPEC §3.1): ``opt.step``'s, where the parameters are the
#: stored look-ahead point φ = θ − β u, and ``fastoptim.train``'s, where they are θ itself. Every
#: other rule has one form, "stored".
FORMS = ("stored", "lookahead")


# --- validation (the package's vocabulary: fastoptim._checks, "Invalid {name}: {value} (...)") ---
_is_real = _checks.is_real


def _real(name: str, value: Any, requirement: str) -> float:
    if not _is_real(value):
        raise _checks.wrong_type(name, value, requirement)
    try:
        return float(value)
    except OverflowError:  # an int or Fraction beyond float64's range
        raise _checks.invalid(name, value, requirement) from None


def _flag(name: str, value: Any) -> bool:
    return _checks.flag(name, value)


def _learning_rate(lr: Any) -> LearningRate:
    if callable(lr):
        return lr
    requirement = "must be a finite number >= 0, or a schedule (a function of the step)"
    value = _real("lr", lr, requirement)
    if not (math.isfinite(value) and value >= 0):
        raise _checks.invalid("lr", lr, requirement)
    return value


def _beta(beta: Any) -> float:
    value = _real("beta", beta, "must be a number in [0, 1)")
    if not 0.0 <= value < 1.0:
        raise _checks.invalid("beta", beta, "must be a number in [0, 1)")
    return value


def _betas(betas: Any) -> tuple[float, float]:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise _checks.wrong_type("betas", betas, "must be a pair (beta1, beta2)")
    checked = []
    for index, beta in enumerate(betas):
        value = _real(f"betas[{index}]", beta, "must be a number in [0, 1)")
        if not 0.0 <= value < 1.0:
            raise _checks.invalid(f"betas[{index}]", beta, "must be a number in [0, 1)")
        checked.append(value)
    return checked[0], checked[1]


def _positive(name: str, value: Any) -> float:
    number = _real(name, value, "must be a finite number > 0")
    if not (math.isfinite(number) and number > 0):
        raise _checks.invalid(name, value, "must be a finite number > 0")
    return number


def _non_negative(name: str, value: Any, upper: float = math.inf) -> float:
    requirement = "must be a finite number >= 0" if upper == math.inf else f"must be a number in [0, {upper:g}]"
    number = _real(name, value, requirement)
    if not (math.isfinite(number) and 0 <= number <= upper):
        raise _checks.invalid(name, value, requirement)
    return number


def _check_float_array(name: str, array: Any) -> np.ndarray:
    """``array`` as a plain ``numpy.ndarray`` of float32/float64: a subclass (``np.matrix``,
    ``np.memmap``) as its base-class view of the same memory; a masked array is refused."""
    array = _checks.plain_array(name, array)
    if array.dtype not in _FLOAT_DTYPES or not array.dtype.isnative:
        raise _checks.wrong_type(name, array, "must have dtype float32 or float64 (native byte order)")
    return array


def _check_arrays(params: Any, grads: Any) -> tuple[np.ndarray, np.ndarray]:
    """Check ``params``/``grads`` at the edge; return them as plain ndarrays (the same memory)."""
    params = _check_float_array("params", params)
    grads = _check_float_array("grads", grads)
    if grads.dtype != params.dtype:
        raise _checks.invalid("grads", grads, f"must have the dtype of params, {params.dtype}")
    if grads.shape != params.shape:
        raise _checks.invalid("grads", grads, f"must have the shape of params, {params.shape}")
    for name, array in (("params", params), ("grads", grads)):
        if not array.flags.c_contiguous:
            raise _checks.invalid(name, array, "must be C-contiguous (use np.ascontiguousarray)")
        if not array.flags.writeable:
            raise _checks.invalid(name, array, "must be writable (it is read-only)")
    if params.size and np.shares_memory(params, grads):
        raise _checks.invalid("grads", grads, "must not share memory with params")
    return params, grads


def _rows(params: np.ndarray) -> int:
    """AdamP's row count: ``shape[0]`` for 2 or more dimensions, 0 (1-D) otherwise."""
    return _rows_of(params.shape)


def _rows_of(shape: tuple[int, ...]) -> int:
    return int(shape[0]) if len(shape) >= 2 else 0


# --- state ---------------------------------------------------------------------------------------
#: Slots that hold sums or averages of squares, or maxima of ``|g|``: never negative (a negative
#: one makes ``√v`` NaN). The others (``m``, ``velocity``) may have either sign.
NON_NEGATIVE_SLOTS = frozenset({"v", "u", "v_max"})


def _slot_values(name: str, slots: np.ndarray, slot_names: tuple[str, ...]) -> None:
    """Every slot finite, and those of :data:`NON_NEGATIVE_SLOTS` ``>= 0`` (one pass each)."""
    for row, slot in zip(slots, slot_names):
        bad = ~np.isfinite(row)
        if slot in NON_NEGATIVE_SLOTS:
            bad |= row < 0
        if bad.any():
            index = int(np.argmax(bad))
            rule = "finite and >= 0" if slot in NON_NEGATIVE_SLOTS else "finite"
            raise _checks.invalid(name, slots, f"slot {slot!r} must be {rule}, got {float(row[index])!r} "
                                               f"at index {index}")


def _scalar_values(name: str, scalars: np.ndarray, shape: tuple[int, ...]) -> None:
    rows = _rows_of(shape)
    if scalars[_kernels.S_ROWS] != rows:
        raise _checks.invalid(name, scalars, f"scalars[{_kernels.S_ROWS}] is AdamP's row count, "
                                             f"{rows} for shape {shape}; got "
                                             f"{float(scalars[_kernels.S_ROWS])!r}")
    product = float(scalars[_kernels.S_MU_PRODUCT])
    if not 0.0 <= product <= 1.0:
        raise _checks.invalid(name, scalars, f"scalars[{_kernels.S_MU_PRODUCT}] is NAdam's "
                                             f"momentum product, in [0, 1]; got {product!r}")


def _expected_slot_names(optimizer: Any) -> tuple[str, ...]:
    if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
        raise _checks.invalid("optimizer", optimizer, "must be the name of a fastoptim "
                                                      f"optimizer: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[optimizer]().slot_names


def _unpickled_state(optimizer, step, slots, scalars, shape, dtype, slot_names, form):
    """A pickled :class:`State` read back: its own writable arrays, checked by the constructor."""
    return State(optimizer, step, np.array(slots), np.array(scalars), shape, dtype, slot_names, form)


class State:
    """The state of one optimizer over one parameter array.

    Attributes
    ----------
    optimizer : str
        The name of the optimizer class that made it (``"Adam"``).
    step : int
        Updates done so far (the next update is step ``step + 1``), in ``[0, 2**53)``.
    slots : ndarray, shape ``(n_slots, params.size)``, the params' dtype
        The per-element state, rows named by ``slot_names`` (``("m", "v")`` for Adam).
    scalars : ndarray, float64, shape ``(N_SCALARS,)``
        Per-run scalars: NAdam's μ-product and AdamP's row count
        (:mod:`fastoptim.kernels.updates`).
    shape, dtype
        Of the parameters this state belongs to.
    form : str
        ``"stored"`` (``opt.step``), or ``"lookahead"`` for a Nesterov state made by
        ``fastoptim.train``, whose parameters are θ rather than ``φ = θ − β u`` (SPEC §3.1):
        ``opt.step`` refuses it, since converting between the forms is not exact in floating
        point (continue it with ``train(..., resume=run)``).

    Checks: a state is checked whole where it enters, ``State(...)``, ``State.from_dict`` (and
    ``Optimizer.load_state``), and when ``step``, ``slots`` or ``scalars`` is assigned: types,
    shapes, dtype, layout (C-contiguous, writable) and values (every slot finite, the squared
    ones ``>= 0``, the scalars in range). ``Optimizer.step`` checks again everything that costs
    O(1) (not the values: that would be one more pass over the slots per step); writing
    non-finite numbers into the slot arrays in place is, like non-finite ``grads``, passed on to
    the parameters. Errors read ``Invalid {name}: {value} ({requirement})``.
    """

    __slots__ = ("optimizer", "_step", "_slots", "_scalars", "shape", "dtype", "slot_names", "_form")

    def __init__(self, optimizer: str, step: int, slots: np.ndarray, scalars: np.ndarray,
                 shape: tuple[int, ...], dtype: np.dtype, slot_names: tuple[str, ...],
                 form: str = "stored"):
        expected = _expected_slot_names(optimizer)
        if tuple(slot_names) != expected:
            raise _checks.invalid("slot_names", slot_names, f"{optimizer}'s slots are {expected}")
        try:
            shape = tuple(operator.index(n) for n in shape)
        except TypeError:
            raise _checks.invalid("shape", shape, "must be a tuple of integers", TypeError) from None
        if any(n < 0 for n in shape):
            raise _checks.invalid("shape", shape, "must be a tuple of integers >= 0")
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise _checks.invalid("dtype", dtype, "must be float32 or float64", TypeError) from None
        if dtype not in _FLOAT_DTYPES:
            raise _checks.invalid("dtype", dtype, "must be float32 or float64", TypeError)
        object.__setattr__(self, "optimizer", optimizer)
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "dtype", dtype)
        object.__setattr__(self, "slot_names", expected)
        self._set_step("step", step)
        self._set_slots("slots", slots)
        self._set_scalars("scalars", scalars)
        self.form = form

    def __reduce__(self) -> tuple:
        """Pickled (and deep-copied) through the constructor, so that a state read back passes
        the same checks as one made by hand; its arrays are copied on the way in (a loader may
        hand them back read-only, as joblib's memory maps are)."""
        return (_unpickled_state, (self.optimizer, self._step, self._slots, self._scalars, self.shape,
                                   self.dtype, self.slot_names, self._form))

    @classmethod
    def _fresh(cls, optimizer: str, slots: np.ndarray, scalars: np.ndarray,
               shape: tuple[int, ...], dtype: np.dtype, slot_names: tuple[str, ...]) -> State:
        """A state made by ``Optimizer.init`` (zeros: nothing to check)."""
        self = object.__new__(cls)
        for name, value in (("optimizer", optimizer), ("_step", 0), ("_slots", slots),
                            ("_scalars", scalars), ("shape", shape), ("dtype", dtype),
                            ("slot_names", slot_names), ("_form", "stored")):
            object.__setattr__(self, name, value)
        return self

    # checked attributes
    @property
    def step(self) -> int:
        return self._step

    @step.setter
    def step(self, value: int) -> None:
        self._set_step("state.step", value)

    @property
    def slots(self) -> np.ndarray:
        return self._slots

    @slots.setter
    def slots(self, value: np.ndarray) -> None:
        self._set_slots("state.slots", value)

    @property
    def scalars(self) -> np.ndarray:
        return self._scalars

    @scalars.setter
    def scalars(self, value: np.ndarray) -> None:
        self._set_scalars("state.scalars", value)

    @property
    def form(self) -> str:
        return self._form

    @form.setter
    def form(self, value: str) -> None:
        if value not in FORMS:
            raise _checks.invalid("state.form", value, f"must be one of {', '.join(map(repr, FORMS))}")
        if value == "lookahead" and self.optimizer != "Nesterov":
            raise _checks.invalid("state.form", value, f"only a Nesterov state has a look-ahead form, "
                                                       f"not {self.optimizer}'s")
        object.__setattr__(self, "_form", value)

    def _set_step(self, name: str, value: Any) -> None:
        object.__setattr__(self, "_step", _checks.step_count(name, value))

    def _set_slots(self, name: str, value: Any) -> None:
        slots = _checks.kernel_array(name, value, self.dtype,
                                     (len(self.slot_names), math.prod(self.shape)))
        _slot_values(name, slots, self.slot_names)
        object.__setattr__(self, "_slots", slots)

    def _set_scalars(self, name: str, value: Any) -> None:
        scalars = _checks.kernel_array(name, value, _FLOAT64, (_kernels.N_SCALARS,))
        _scalar_values(name, scalars, self.shape)
        object.__setattr__(self, "_scalars", scalars)

    def _check_for(self, optimizer: Optimizer, params: np.ndarray, grads: np.ndarray) -> None:
        """What ``Optimizer.step`` checks before its kernel runs, all O(1): the state belongs to
        ``optimizer`` and ``params``, and its arrays have the layout the kernel needs and do not
        overlap ``params`` or ``grads``."""
        if self.optimizer != optimizer.name:
            raise _checks.invalid("state", self, f"belongs to {self.optimizer}, not to {optimizer.name}")
        if self.shape != params.shape or self.dtype != params.dtype:
            raise _checks.invalid("state", self, f"is for shape {self.shape} and dtype {self.dtype}, "
                                                 f"params have shape {params.shape} and dtype {params.dtype}")
        if self._form != "stored":
            raise _checks.invalid("state", self, "a Nesterov state in fastoptim.train's look-ahead form (its "
                                                 "parameters are θ, opt.step's are φ = θ − β u, SPEC §3.1; "
                                                 "converting is not exact in floating point): continue it "
                                                 "with train(..., resume=run)")
        if self.slot_names != optimizer.slot_names:
            raise _checks.invalid("state.slot_names", self.slot_names,
                                  f"{optimizer.name}'s slots are {optimizer.slot_names}")
        # (``step`` needs no check here: it is checked whenever it is assigned)
        slots = _checks.kernel_array("state.slots", self._slots, self.dtype,
                                     (optimizer.n_slots, params.size))
        scalars = _checks.kernel_array("state.scalars", self._scalars, _FLOAT64,
                                       (_kernels.N_SCALARS,))
        if scalars[_kernels.S_ROWS] != _rows(params):
            _scalar_values("state.scalars", scalars, params.shape)
        if params.flags.owndata and grads.flags.owndata:
            owners = slots.flags.owndata and scalars.flags.owndata
            if owners:  # four separate allocations cannot overlap (the common case: no more to check)
                return
        if slots.size and (np.may_share_memory(slots, params) or np.may_share_memory(slots, grads)):
            raise _checks.invalid("state.slots", slots, "must not share memory with params or grads")
        if np.may_share_memory(scalars, params) or np.may_share_memory(scalars, grads):
            raise _checks.invalid("state.scalars", scalars, "must not share memory with params or grads")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("optimizer", "shape", "dtype", "slot_names"):
            raise AttributeError(f"State.{name} is fixed when the state is made "
                                 "(Optimizer.init, State(...) or State.from_dict)")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return (f"State(optimizer={self.optimizer!r}, step={self.step}, "
                f"slots={self.slot_names}, shape={self.shape}, dtype={self.dtype}"
                + (f", form={self._form!r}" if self._form != "stored" else "") + ")")

    def slot(self, name: str) -> np.ndarray:
        """The slot ``name`` (e.g. ``"m"``) as a view of the parameters' shape."""
        if name not in self.slot_names:
            raise KeyError(f"{self.optimizer} has no slot {name!r}; its slots: {self.slot_names}")
        return self.slots[self.slot_names.index(name)].reshape(self.shape)

    def to_dict(self) -> dict[str, Any]:
        """Plain values and copies of the arrays, for ``np.savez(path, **state.to_dict())``."""
        return {
            "optimizer": self.optimizer,
            "step": int(self.step),
            "slots": self.slots.copy(),
            "scalars": self.scalars.copy(),
            "shape": np.array(self.shape, dtype=np.int64),
            "dtype": self.dtype.name,
            "form": self._form,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], optimizer: Optimizer,
                  params: np.ndarray) -> State:
        """The inverse of :meth:`to_dict` (also reads an ``np.load``-ed ``.npz``), checked
        against ``optimizer`` and ``params`` and checked whole (see :class:`State`); raises
        ``TypeError``/``ValueError`` naming the entry (``data['slots']``) that is wrong."""
        if not isinstance(optimizer, Optimizer):
            raise _checks.invalid("optimizer", optimizer, "must be a fastoptim optimizer "
                                                          "(fastoptim.Adam(...))", TypeError)
        params = _check_float_array("params", params)
        if not isinstance(data, Mapping):
            raise _checks.invalid("data", data, "must be a mapping from State.to_dict(), or "
                                                "np.load of the .npz it was saved to", TypeError)
        missing = [key for key in _STATE_KEYS if key not in data]
        if missing:
            raise _checks.invalid("data", data, f"the state is missing {', '.join(missing)}")

        def entry(key: str) -> str:
            return f"data[{key!r}]"

        def text(key: str) -> str:
            value = np.asarray(data[key])
            if value.ndim != 0 or value.dtype.kind != "U":
                raise _checks.invalid(entry(key), data[key], "must be a string", TypeError)
            return str(value)

        name = text("optimizer")
        if name != optimizer.name:
            raise _checks.invalid(entry("optimizer"), name,
                                  f"the state was saved by {name}, not by {optimizer.name}")
        dtype = text("dtype")
        if dtype != params.dtype.name:
            raise _checks.invalid(entry("dtype"), dtype, f"the state is for dtype {dtype}, "
                                                         f"params have dtype {params.dtype}")
        shape = np.asarray(data["shape"])
        if shape.ndim != 1 or shape.dtype.kind not in "iu":
            raise _checks.invalid(entry("shape"), data["shape"], "must be a 1-d integer array", TypeError)
        shape = tuple(int(n) for n in shape)
        if shape != params.shape:
            raise _checks.invalid(entry("shape"), shape, f"the state is for shape {shape}, "
                                                         f"params have shape {params.shape}")
        step = _checks.step_count(entry("step"), data["step"])
        slots = _checks.plain_array(entry("slots"), np.asanyarray(data["slots"]))
        expected = (optimizer.n_slots, params.size)
        if slots.dtype != params.dtype or slots.shape != expected:
            raise _checks.invalid(entry("slots"), slots, f"expected shape {expected} and dtype "
                                                         f"{params.dtype}")
        scalars = _checks.plain_array(entry("scalars"), np.asanyarray(data["scalars"]))
        if scalars.dtype != np.float64 or scalars.shape != (_kernels.N_SCALARS,):
            raise _checks.invalid(entry("scalars"), scalars,
                                  f"expected shape ({_kernels.N_SCALARS},) and dtype float64")
        slots, scalars = np.array(slots, order="C"), np.array(scalars, order="C")
        _slot_values(entry("slots"), slots, optimizer.slot_names)
        _scalar_values(entry("scalars"), scalars, params.shape)
        state = cls._fresh(name, slots, scalars, shape, params.dtype, optimizer.slot_names)._at(step)
        if "form" in data:
            state.form = text("form")
        return state

    def _at(self, step: int) -> State:
        object.__setattr__(self, "_step", step)
        return self


# --- optimizers ----------------------------------------------------------------------------------
def _kw(default: Any) -> Any:
    return dataclasses.field(default=default, kw_only=True)


@dataclasses.dataclass(frozen=True)
class Optimizer:
    """Base of every optimizer: a frozen configuration, validated at construction.

    Subclasses set ``rule``, the kernels' hyperparameter record of their update rule
    (``fastoptim.kernels.layout.AdamHyper`` ...), and their fields; the record is filled from
    the fields of the same names (``beta1``, ``beta2`` from ``betas``; booleans as 0.0/1.0).
    """

    rule: ClassVar[type]

    def __post_init__(self) -> None:
        object.__setattr__(self, "lr", _learning_rate(self.lr))  # type: ignore[attr-defined]
        self._validate()
        values = {}
        for name in self.rule._fields:
            if name in ("beta1", "beta2"):
                value = self.betas[0 if name == "beta1" else 1]  # type: ignore[attr-defined]
            else:
                value = getattr(self, name)
            values[name] = 0.0 if value is None else float(value)  # NAdam's ψ = None: 0.0
        object.__setattr__(self, "_hyper", self.rule(**values))

    def _validate(self) -> None:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError


    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    def _set_decay(self) -> None:
        self._set("weight_decay", _non_negative("weight_decay",
                                                self.weight_decay))  # type: ignore[attr-defined]
        self._set("decoupled", _flag("decoupled", self.decoupled))  # type: ignore[attr-defined]


    @property
    def name(self) -> str:
        """The class name, recorded in saved states."""
        return type(self).__name__

    @property
    def n_slots(self) -> int:
        """Number of per-element state arrays."""
        return len(_kernels.SLOT_NAMES[self.rule])

    @property
    def slot_names(self) -> tuple[str, ...]:
        """Names of the state arrays, in row order of ``State.slots``."""
        return _kernels.SLOT_NAMES[self.rule]

    @property
    def hyper(self) -> Any:
        """The kernels' hyperparameter record of this rule (``kernels/layout.py``)."""
        return self._hyper  # type: ignore[attr-defined]

    @property
    def momentum_field(self) -> str | None:
        """The hyperparameter a momentum schedule replaces (``"beta"``, ``"beta1"``), or None
        where the rule has no momentum (GD, AdaGrad; RMSProp's and AdaDelta's β average
        squared gradients)."""
        return _kernels.MOMENTUM_FIELD[self.rule]

    def lr_at(self, t: int) -> float:
        """The learning rate at counter ``t`` (= ``state.step`` before the update), checked by
        the validator of every schedule value (``fastoptim.schedules.evaluate``)."""
        lr = self.lr  # type: ignore[attr-defined]
        if not callable(lr):
            return lr
        from . import schedules

        return float(schedules.evaluate(lr, np.array([t], dtype=np.int64), "lr", kind="lr")[0])

    def init(self, params: np.ndarray) -> State:
        """A fresh state for ``params`` (any shape, float32 or float64): zero slots, step 0."""
        params = _check_float_array("params", params)
        slots = np.zeros((self.n_slots, params.size), dtype=params.dtype)
        scalars = np.zeros(_kernels.N_SCALARS)
        scalars[_kernels.S_MU_PRODUCT] = 1.0
        scalars[_kernels.S_ROWS] = _rows(params)
        return State._fresh(self.name, slots, scalars, params.shape, params.dtype, self.slot_names)

    def load_state(self, data: Mapping[str, Any], params: np.ndarray) -> State:
        """``State.from_dict(data, optimizer=self, params=params)``."""
        return State.from_dict(data, optimizer=self, params=params)

    def step(self, params: np.ndarray, grads: np.ndarray, state: State) -> None:
        """One update of ``params`` (in place) from ``grads``; advances ``state``.

        Checks the arrays first (same shape and float dtype, C-contiguous, writable, not
        aliased) and that ``state`` belongs to this optimizer and these params, with slots and
        scalars of the kernel's layout (all O(1); see :class:`State`); then runs one fused
        kernel, in parallel from ``PARALLEL_THRESHOLD`` elements.
        """
        params, grads = _check_arrays(params, grads)
        if not isinstance(state, State):
            raise _checks.wrong_type("state", state, "must be a State (from opt.init)")
        state._check_for(self, params, grads)
        lr = self.lr_at(state.step)
        t = state.step + 1
        from fastoptim.kernels import updates

        kernel = updates.update_parallel if params.size >= updates.PARALLEL_THRESHOLD else updates.update
        kernel(self.hyper, params.reshape(-1), grads.reshape(-1), state.slots, state.scalars, t, lr)
        state._at(t)


@dataclasses.dataclass(frozen=True)
class GD(Optimizer):
    """Gradient descent (lecture 5.2): ``θ ← θ − η g``.

    Parameters: ``lr`` η (0.01), ``weight_decay`` λ (0), ``decoupled`` (False); coupled and
    decoupled decay coincide (SPEC §3.2). Same as PyTorch's ``SGD(momentum=0)``.
    """

    lr: LearningRate = 0.01
    weight_decay: float = _kw(0.0)
    decoupled: bool = _kw(False)
    rule: ClassVar[type] = _kernels.GDHyper

    def _validate(self) -> None:
        self._set_decay()


@dataclasses.dataclass(frozen=True)
class Momentum(Optimizer):
    """Momentum (lecture 5.4; Polyak 1964): ``u ← β u + η g``;  ``θ ← θ − u``.

    Parameters: ``lr`` (0.01), ``beta`` β (0.9), ``weight_decay``, ``decoupled``. Slot
    ``velocity``. PyTorch accumulates ``g`` and multiplies by the current η: the same under
    a constant η, not under a schedule (SPEC §3.5).
    """

    lr: LearningRate = 0.01
    beta: float = _kw(0.9)
    weight_decay: float = _kw(0.0)
    decoupled: bool = _kw(False)
    rule: ClassVar[type] = _kernels.MomentumHyper

    def _validate(self) -> None:
        self._set("beta", _beta(self.beta))
        self._set_decay()


@dataclasses.dataclass(frozen=True)
class Nesterov(Momentum):
    """Nesterov accelerated gradient (lecture 5.5), stored-look-ahead form (SPEC §3.1).

    ``u ← β u + η g``;  ``φ ← φ − β u − η g``: ``params`` hold the look-ahead point
    ``φ = θ − β u`` and ``grads`` must be the gradient there; the iterates are those of the
    lecture's look-ahead form. PyTorch's ``SGD(nesterov=True)`` is this form with
    ``u = η·buf``. Parameters as :class:`Momentum`.
    """

    rule: ClassVar[type] = _kernels.NesterovHyper


@dataclasses.dataclass(frozen=True)
class AdaGrad(Optimizer):
    """AdaGrad (Duchi, Hazan & Singer 2011; lecture 5.9).

    ``v ← v + g²``;  ``θ ← θ − η g / (√v + ε)``. Parameters: ``lr`` (0.01), ``eps`` (1e-8;
    PyTorch 1e-10), ``weight_decay``, ``decoupled``. Slot ``v``.
    """

    lr: LearningRate = 0.01
    eps: float = _kw(1e-8)
    weight_decay: float = _kw(0.0)
    decoupled: bool = _kw(False)
    rule: ClassVar[type] = _kernels.AdaGradHyper

    def _validate(self) -> None:
        self._set("eps", _positive("eps", self.eps))
        self._set_decay()


@dataclasses.dataclass(frozen=True)
class RMSProp(Optimizer):
    """RMSProp (Hinton, Coursera *Neural Networks* lecture 6e; lecture 5.9).

    ``v ← β v + (1−β) g²``;  ``θ ← θ − η g / (√v + ε)``. Parameters: ``lr`` (0.01),
    ``beta`` (0.9; PyTorch's ``alpha`` defaults to 0.99), ``eps`` (1e-8), ``weight_decay``,
    ``decoupled``. Slot ``v``.
    """

    lr: LearningRate = 0.01
    beta: float = _kw(0.9)
    eps: float = _kw(1e-8)
    weight_decay: float = _kw(0.0)
    decoupled: bool = _kw(False)
    rule: ClassVar[type] = _kernels.RMSPropHyper

    def _validate(self) -> None:
        self._set("beta", _beta(self.beta))
        self._set("eps", _positive("eps", self.eps))
        self._set_decay()


@dataclasses.dataclass(frozen=True)
class AdaDelta(RMSProp):
    """AdaDelta (Zeiler 2012; lecture 5.9).

    ``v ← β v + (1−β) g²``;  ``Δ = g √(u + ε) / √(v + ε)``;  ``u ← β u + (1−β) Δ²``;
    ``θ ← θ − η Δ``. Parameters: ``lr`` (1.0), ``beta`` (0.95; PyTorch's ``rho`` 0.9),
    ``eps`` (1e-6), ``weight_decay``, ``decoupled``. Slots ``v``, ``u``.
    """

    lr: LearningRate = 1.0
    beta: float = _kw(0.95)
    eps: float = _kw(1e-6)
    rule: ClassVar[type] = _kernels.AdaDeltaHyper


@dataclasses.dataclass(frozen=True)
class Adam(Optimizer):
    """Adam (Kingma & Ba 2015, Algorithm 1, https://arxiv.org/abs/1412.6980; lecture 5.9).

    ``m ← β1 m + (1−β1) g``;  ``v ← β2 v + (1−β2) g²``;  ``m̂ = m/(1−β1^t)``,
    ``v̂ = v/(1−β2^t)``;  ``θ ← θ − η m̂ / (√v̂ + ε)``. Parameters: ``lr`` (1e-3),
    ``betas`` (0.9, 0.999), ``eps`` (1e-8), ``weight_decay`` (0), ``decoupled`` (False;
    True is AdamW). Slots ``m``, ``v``. Same as PyTorch's ``Adam``.
    """

    lr: LearningRate = 1e-3
    betas: tuple[float, float] = _kw((0.9, 0.999))
    eps: float = _kw(1e-8)
    weight_decay: float = _kw(0.0)
    decoupled: bool = _kw(False)
    rule: ClassVar[type] = _kernels.AdamHyper

    def _validate(self) -> None:
        self._set("betas", _betas(self.betas))
        self._set("eps", _positive("eps", self.eps))
        self._set_decay()


@dataclasses.dataclass(frozen=True)
class AdaMax(Adam):
    """AdaMax (Kingma & Ba 2015, §7.1).

    ``m`` as Adam;  ``u ← max(β2 u, |g|)``;  ``θ ← θ − η m̂ / (u + ε)``. Parameters as
    :class:`Adam`, ``lr`` 2e-3. Slots ``m``, ``u``. PyTorch adds ε inside the max
    (``max(β2 u, |g| + ε)``); here it is added after (SPEC §3.5).
    """

    lr: LearningRate = 2e-3
    rule: ClassVar[type] = _kernels.AdaMaxHyper


@dataclasses.dataclass(frozen=True)
class NAdam(Adam):
    """NAdam (Dozat 2016, "Incorporating Nesterov momentum into Adam"; lecture 5.9).

    Lecture form (``momentum_decay=None``, the default): ``m, v, m̂, v̂`` as Adam;
    ``θ ← θ − η (β1 m̂ + (1−β1) g/(1−β1^t)) / (√v̂ + ε)``.
    ``momentum_decay=ψ > 0``: Dozat's momentum schedule as in PyTorch's ``NAdam`` (whose
    default is ψ = 4e-3): ``μ_t = β1 (1 − ½·0.96^(tψ))``, ``Π_t = Π_{t−1} μ_t``,
    ``θ ← θ − η (1−μ_t)/(1−Π_t) · g/d − η μ_{t+1}/(1−Π_t μ_{t+1}) · m/d``,
    ``d = √(v/(1−β2^t)) + ε`` (SPEC §3.5); ``Π`` is kept in ``State.scalars``.
    Parameters as :class:`Adam`, ``lr`` 2e-3.
    """

    lr: LearningRate = 2e-3
    momentum_decay: float | None = _kw(None)
    rule: ClassVar[type] = _kernels.NAdamHyper

    def _validate(self) -> None:
        super()._validate()
        if self.momentum_decay is not None:
            self._set("momentum_decay",
                      _positive("momentum_decay", self.momentum_decay))


@dataclasses.dataclass(frozen=True)
class AMSGrad(Adam):
    """AMSGrad (Reddi, Kale & Kumar 2018, Algorithm 2; lecture 5.9).

    ``m, v`` as Adam;  ``v̂max ← max(v̂max, v)``;  ``θ ← θ − η m / (√v̂max + ε)``: no bias
    correction, as in the lecture and the paper. ``bias_correction=True`` is PyTorch's
    ``Adam(amsgrad=True)``: ``θ ← θ − η/(1−β1^t) · m / (√v̂max/√(1−β2^t) + ε)``.
    Parameters as :class:`Adam`. Slots ``m``, ``v``, ``v_max``.
    """

    bias_correction: bool = _kw(False)
    rule: ClassVar[type] = _kernels.AMSGradHyper

    def _validate(self) -> None:
        super()._validate()
        self._set("bias_correction", _flag("bias_correction", self.bias_correction))


@dataclasses.dataclass(frozen=True)
class RAdam(Adam):
    """RAdam (Liu et al. 2020, https://arxiv.org/abs/1908.03265; SPEC §3.3).

    ``ρ∞ = 2/(1−β2) − 1``;  ``ρ_t = ρ∞ − 2 t β2^t / (1 − β2^t)``. If ``ρ_t > 5`` (PyTorch's
    threshold; the paper uses 4): ``r_t = √((ρ_t−4)(ρ_t−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρ_t))``,
    ``θ ← θ − η r_t m̂ √(1−β2^t) / (√v + ε)``; else ``θ ← θ − η m̂`` (SGD with momentum).
    With the default β2 the first 5 steps are un-rectified. Parameters as :class:`Adam`.
    """

    rule: ClassVar[type] = _kernels.RAdamHyper


@dataclasses.dataclass(frozen=True)
class AdamP(Adam):
    """AdamP (Heo et al. 2021, https://arxiv.org/abs/2006.08217, Algorithm 2; SPEC §3.4).

    Adam's direction ``p = m̂/(√v̂ + ε)`` (``nesterov=True``: ``(β1 m + (1−β1) g)/(1−β1^t)``
    in place of ``m̂``). For params of 2 or more dimensions, if the largest
    ``|cos(g, θ)|`` per row (first axis) is below ``δ/√(row size)`` — or, failing that, over
    the whole array below ``δ/√size`` — ``p`` loses its component along ``θ/(‖θ‖+ε)`` and
    the weight decay is scaled by ``wd_ratio``; then ``θ ← θ(1 − η λ r) − η p``. 1-D params
    update as Adam. Parameters as :class:`Adam` plus ``delta`` (0.1), ``wd_ratio`` (0.1),
    ``nesterov`` (False); ``decoupled`` defaults to True, as in the paper (with False, λθ
    is added to g and ``wd_ratio`` has no effect).
    """

    decoupled: bool = _kw(True)
    delta: float = _kw(0.1)
    wd_ratio: float = _kw(0.1)
    nesterov: bool = _kw(False)
    rule: ClassVar[type] = _kernels.AdamPHyper

    def _validate(self) -> None:
        super()._validate()
        self._set("delta", _non_negative("delta", self.delta))
        self._set("wd_ratio", _non_negative("wd_ratio", self.wd_ratio, 1.0))
        self._set("nesterov", _flag("nesterov", self.nesterov))



# --- decoupled presets ("W" family, Loshchilov & Hutter 2019) ------------------------------------
@dataclasses.dataclass(frozen=True)
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019): ``θ ← θ(1 − ηλ)`` then
    Adam on the raw gradient; ``weight_decay`` 0.01, ``decoupled`` True (PyTorch's AdamW)."""

    weight_decay: float = _kw(0.01)
    decoupled: bool = _kw(True)


@dataclasses.dataclass(frozen=True)
class NAdamW(NAdam):
    """NAdam with decoupled weight decay (``weight_decay`` 0.01, ``decoupled`` True)."""

    weight_decay: float = _kw(0.01)
    decoupled: bool = _kw(True)


@dataclasses.dataclass(frozen=True)
class RMSPropW(RMSProp):
    """RMSProp with decoupled weight decay (``weight_decay`` 0.01, ``decoupled`` True)."""

    weight_decay: float = _kw(0.01)
    decoupled: bool = _kw(True)


@dataclasses.dataclass(frozen=True)
class AdaGradW(AdaGrad):
    """AdaGrad with decoupled weight decay (``weight_decay`` 0.01, ``decoupled`` True)."""

    weight_decay: float = _kw(0.01)
    decoupled: bool = _kw(True)


#: Every optimizer class, by name.
OPTIMIZERS = {cls.__name__: cls for cls in (
    GD, Momentum, Nesterov, AdaGrad, RMSProp, AdaDelta, Adam, AdaMax, NAdam, AMSGrad, RAdam,
    AdamP, AdamW, NAdamW, RMSPropW, AdaGradW)}

__all__ = ["Optimizer", "State", "OPTIMIZERS", *OPTIMIZERS]
