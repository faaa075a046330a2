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
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Union

import numpy as np

from fastoptim.kernels import layout as _layout

Schedule = Callable[[int], float]
LearningRate = Union[float, Schedule]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_STATE_KEYS = ("optimizer", "step", "slots", "scalars", "shape", "dtype")
#: The two forms of a Nesterov state (SPEC §3.1): ``opt.step``'s, where the parameters are the
#: stored look-ahead point φ = θ − β u, and ``fastoptim.train``'s, where they are θ itself. Every
#: other rule has one form, "stored".
FORMS = ("stored", "lookahead")


# --- validation ----------------------------------------------------------------------------------
def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _real(name: str, value: Any) -> float:
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)


def _learning_rate(lr: Any) -> LearningRate:
    if callable(lr):
        return lr
    if not _is_real(lr):
        raise TypeError("lr must be a number or a schedule (a function of the step), "
                        f"got {type(lr).__name__}")
    if not (math.isfinite(lr) and lr >= 0):
        raise ValueError(f"Invalid learning rate: {lr}")
    return float(lr)


def _beta(beta: Any) -> float:
    beta = _real("beta", beta)
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"Invalid beta value: {beta}")
    return beta


def _betas(betas: Any) -> tuple[float, float]:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    checked = []
    for index, beta in enumerate(betas):
        beta = _real(f"betas[{index}]", beta)
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")
        checked.append(beta)
    return checked[0], checked[1]


def _positive(name: str, value: Any, label: str) -> float:
    value = _real(name, value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"Invalid {label} value: {value}")
    return value


def _non_negative(name: str, value: Any, label: str, upper: float = math.inf) -> float:
    value = _real(name, value)
    if not (math.isfinite(value) and 0 <= value <= upper):
        raise ValueError(f"Invalid {label} value: {value}")
    return value


def _check_float_array(name: str, array: Any) -> None:
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(array).__name__}")
    if array.dtype not in _FLOAT_DTYPES or not array.dtype.isnative:
        raise TypeError(f"{name} must have dtype float32 or float64, got {array.dtype}")


def _check_arrays(params: Any, grads: Any) -> tuple[np.ndarray, np.ndarray]:
    """Check ``params``/``grads`` at the edge; return their flat (1-D) views."""
    _check_float_array("params", params)
    _check_float_array("grads", grads)
    if grads.dtype != params.dtype:
        raise ValueError(f"grads has dtype {grads.dtype} but params has dtype {params.dtype}")
    if grads.shape != params.shape:
        raise ValueError(f"grads has shape {grads.shape} but params has shape {params.shape}")
    for name, array in (("params", params), ("grads", grads)):
        if not array.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous (use np.ascontiguousarray)")
        if not array.flags.writeable:
            raise ValueError(f"{name} must be writable (it is read-only)")
    if params.size and np.shares_memory(params, grads):
        raise ValueError("params and grads share memory")
    return params.reshape(-1), grads.reshape(-1)


def _rows(params: np.ndarray) -> int:
    """AdamP's row count: ``shape[0]`` for 2 or more dimensions, 0 (1-D) otherwise."""
    return int(params.shape[0]) if params.ndim >= 2 else 0


# --- state ---------------------------------------------------------------------------------------
class State:
    """The state of one optimizer over one parameter array.

    Attributes
    ----------
    optimizer : str
        The name of the optimizer class that made it (``"Adam"``).
    step : int
        Updates done so far (the next update is step ``step + 1``).
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
    """

    __slots__ = ("optimizer", "step", "slots", "scalars", "shape", "dtype", "slot_names", "form")

    def __init__(self, optimizer: str, step: int, slots: np.ndarray, scalars: np.ndarray,
                 shape: tuple[int, ...], dtype: np.dtype, slot_names: tuple[str, ...],
                 form: str = "stored"):
        self.optimizer = optimizer
        self.step = step
        self.slots = slots
        self.scalars = scalars
        self.shape = shape
        self.dtype = dtype
        self.slot_names = slot_names
        self.form = form

    def __repr__(self) -> str:
        return (f"State(optimizer={self.optimizer!r}, step={self.step}, "
                f"slots={self.slot_names}, shape={self.shape}, dtype={self.dtype}"
                + (f", form={self.form!r}" if self.form != "stored" else "") + ")")

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
            "form": self.form,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], optimizer: Optimizer,
                  params: np.ndarray) -> State:
        """The inverse of :meth:`to_dict` (also reads an ``np.load``-ed ``.npz``), checked
        against ``optimizer`` and ``params``; raises ``ValueError`` naming what differs."""
        _check_float_array("params", params)
        missing = [key for key in _STATE_KEYS if key not in data]
        if missing:
            raise ValueError(f"state is missing {', '.join(missing)}")
        name = str(np.asarray(data["optimizer"]))
        if name != optimizer.name:
            raise ValueError(f"state was saved by {name}, not by {optimizer.name}")
        dtype = str(np.asarray(data["dtype"]))
        if dtype != params.dtype.name:
            raise ValueError(f"state is for dtype {dtype}, params have dtype {params.dtype}")
        shape = tuple(int(n) for n in np.asarray(data["shape"]).reshape(-1))
        if shape != params.shape:
            raise ValueError(f"state is for shape {shape}, params have shape {params.shape}")
        step = np.asarray(data["step"])
        if step.ndim != 0 or step.dtype.kind not in "iu" or int(step) < 0:
            raise ValueError(f"state step must be an integer >= 0, got {step!r}")
        slots = np.asarray(data["slots"])
        expected = (optimizer.n_slots, params.size)
        if slots.dtype != params.dtype or slots.shape != expected:
            raise ValueError(f"state slots have shape {slots.shape} and dtype {slots.dtype}, "
                             f"expected {expected} and {params.dtype}")
        scalars = np.asarray(data["scalars"])
        if scalars.dtype != np.float64 or scalars.shape != (_layout.N_SCALARS,):
            raise ValueError(f"state scalars have shape {scalars.shape} and dtype "
                             f"{scalars.dtype}, expected ({_layout.N_SCALARS},) and float64")
        if scalars[_layout.S_ROWS] != _rows(params):
            raise ValueError(f"state scalars are for {scalars[_layout.S_ROWS]:g} rows, "
                             f"params have {_rows(params)}")
        form = str(np.asarray(data["form"])) if "form" in data else "stored"
        if form not in FORMS or (form == "lookahead" and not isinstance(optimizer, Nesterov)):
            raise ValueError(f"state form is {form!r}, expected 'stored'"
                             + (" or 'lookahead'" if isinstance(optimizer, Nesterov) else ""))
        return cls(name, int(step), np.array(slots, order="C"), np.array(scalars, order="C"),
                   shape, params.dtype, optimizer.slot_names, form)


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
                                                self.weight_decay,  # type: ignore[attr-defined]
                                                "weight_decay"))
        self._set("decoupled", _flag("decoupled", self.decoupled))  # type: ignore[attr-defined]

    @property
    def name(self) -> str:
        """The class name, recorded in saved states."""
        return type(self).__name__

    @property
    def n_slots(self) -> int:
        """Number of per-element state arrays."""
        return len(_layout.SLOT_NAMES[self.rule])

    @property
    def slot_names(self) -> tuple[str, ...]:
        """Names of the state arrays, in row order of ``State.slots``."""
        return _layout.SLOT_NAMES[self.rule]

    @property
    def hyper(self) -> Any:
        """The kernels' hyperparameter record of this rule (``kernels/layout.py``)."""
        return self._hyper  # type: ignore[attr-defined]

    @property
    def momentum_field(self) -> str | None:
        """The hyperparameter a momentum schedule replaces (``"beta"``, ``"beta1"``), or None
        where the rule has no momentum (GD, AdaGrad; RMSProp's and AdaDelta's β average
        squared gradients)."""
        return _layout.MOMENTUM_FIELD[self.rule]

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
        _check_float_array("params", params)
        slots = np.zeros((self.n_slots, params.size), dtype=params.dtype)
        scalars = np.zeros(_layout.N_SCALARS)
        scalars[_layout.S_MU_PRODUCT] = 1.0
        scalars[_layout.S_ROWS] = _rows(params)
        return State(self.name, 0, slots, scalars, params.shape, params.dtype, self.slot_names)

    def load_state(self, data: Mapping[str, Any], params: np.ndarray) -> State:
        """``State.from_dict(data, optimizer=self, params=params)``."""
        return State.from_dict(data, optimizer=self, params=params)

    def step(self, params: np.ndarray, grads: np.ndarray, state: State) -> None:
        """One update of ``params`` (in place) from ``grads``; advances ``state``.

        Checks the arrays first (same shape and float dtype, C-contiguous, writable, not
        aliased) and that ``state`` belongs to this optimizer and these params; then runs
        one fused kernel, in parallel from ``PARALLEL_THRESHOLD`` elements.
        """
        flat_params, flat_grads = _check_arrays(params, grads)
        if not isinstance(state, State):
            raise TypeError(f"state must be a State (from opt.init), got {type(state).__name__}")
        if state.optimizer != self.name:
            raise ValueError(f"state belongs to {state.optimizer}, not to {self.name}")
        if state.shape != params.shape or state.dtype != params.dtype:
            raise ValueError(f"state is for shape {state.shape} and dtype {state.dtype}, "
                             f"params have shape {params.shape} and dtype {params.dtype}")
        if state.form != "stored":
            raise ValueError(f"Invalid state: a Nesterov state in fastoptim.train's look-ahead form "
                             f"(its parameters are θ, opt.step's are φ = θ − β u, SPEC §3.1; converting "
                             f"is not exact in floating point): continue it with train(..., resume=run)")
        lr = self.lr_at(state.step)
        t = state.step + 1
        from fastoptim.kernels import updates

        parallel = flat_params.size >= updates.PARALLEL_THRESHOLD
        kernel = updates.update_parallel if parallel else updates.update
        kernel(self.hyper, flat_params, flat_grads, state.slots, state.scalars, t, lr)
        state.step = t


@dataclasses.dataclass(frozen=True)
class GD(Optimizer):
    """Gradient descent (lecture 5.2): ``θ ← θ − η g``.

    Parameters: ``lr`` η (0.01), ``weight_decay`` λ (0), ``decoupled`` (False); coupled and
    decoupled decay coincide (SPEC §3.2). Same as PyTorch's ``SGD(momentum=0)``.
    """

    lr: LearningRate = 0.01
    weight_decay: float = _kw(0.0)
    decoupled: bool = _kw(False)
    rule: ClassVar[type] = _layout.GDHyper

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
    rule: ClassVar[type] = _layout.MomentumHyper

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

    rule: ClassVar[type] = _layout.NesterovHyper


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
    rule: ClassVar[type] = _layout.AdaGradHyper

    def _validate(self) -> None:
        self._set("eps", _positive("eps", self.eps, "epsilon"))
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
    rule: ClassVar[type] = _layout.RMSPropHyper

    def _validate(self) -> None:
        self._set("beta", _beta(self.beta))
        self._set("eps", _positive("eps", self.eps, "epsilon"))
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
    rule: ClassVar[type] = _layout.AdaDeltaHyper


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
    rule: ClassVar[type] = _layout.AdamHyper

    def _validate(self) -> None:
        self._set("betas", _betas(self.betas))
        self._set("eps", _positive("eps", self.eps, "epsilon"))
        self._set_decay()


@dataclasses.dataclass(frozen=True)
class AdaMax(Adam):
    """AdaMax (Kingma & Ba 2015, §7.1).

    ``m`` as Adam;  ``u ← max(β2 u, |g|)``;  ``θ ← θ − η m̂ / (u + ε)``. Parameters as
    :class:`Adam`, ``lr`` 2e-3. Slots ``m``, ``u``. PyTorch adds ε inside the max
    (``max(β2 u, |g| + ε)``); here it is added after (SPEC §3.5).
    """

    lr: LearningRate = 2e-3
    rule: ClassVar[type] = _layout.AdaMaxHyper


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
    rule: ClassVar[type] = _layout.NAdamHyper

    def _validate(self) -> None:
        super()._validate()
        if self.momentum_decay is not None:
            self._set("momentum_decay",
                      _positive("momentum_decay", self.momentum_decay, "momentum_decay"))


@dataclasses.dataclass(frozen=True)
class AMSGrad(Adam):
    """AMSGrad (Reddi, Kale & Kumar 2018, Algorithm 2; lecture 5.9).

    ``m, v`` as Adam;  ``v̂max ← max(v̂max, v)``;  ``θ ← θ − η m / (√v̂max + ε)``: no bias
    correction, as in the lecture and the paper. ``bias_correction=True`` is PyTorch's
    ``Adam(amsgrad=True)``: ``θ ← θ − η/(1−β1^t) · m / (√v̂max/√(1−β2^t) + ε)``.
    Parameters as :class:`Adam`. Slots ``m``, ``v``, ``v_max``.
    """

    bias_correction: bool = _kw(False)
    rule: ClassVar[type] = _layout.AMSGradHyper

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

    rule: ClassVar[type] = _layout.RAdamHyper


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
    rule: ClassVar[type] = _layout.AdamPHyper

    def _validate(self) -> None:
        super()._validate()
        self._set("delta", _non_negative("delta", self.delta, "delta"))
        self._set("wd_ratio", _non_negative("wd_ratio", self.wd_ratio, "wd_ratio", 1.0))
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
