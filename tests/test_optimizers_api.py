"""The Python API of the optimizers: validation (a table of bad inputs), immutability,
schedules, and state that saves and resumes bit for bit."""
from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest

from fastoptim.kernels import layout
from fastoptim.kernels import updates as kernels
from fastoptim.optimizers import (GD, OPTIMIZERS, AdaDelta, AdaGrad, Adam, AdaMax, AdamP, AdamW,
                                  AMSGrad, Momentum, NAdam, Nesterov, RAdam, RMSProp, State)

P = np.ones(4)
G = np.full(4, 0.5)


def big_endian():
    return np.ones(4, dtype=">f8") if np.little_endian else np.ones(4, dtype="<f8")


def read_only():
    array = np.ones(4)
    array.flags.writeable = False
    return array


def overlapping():
    base = np.ones(5)
    return base[:4], base[1:]


def step_with(params, grads, opt=None, state=None):
    opt = opt or Adam()
    state = state if state is not None else opt.init(np.ones(4))
    return lambda: opt.step(params, grads, state)


# (call, exception type, message regex): every bad input the API must refuse.
NUMBER_OR_SCHEDULE = r"must be a finite number >= 0, or a schedule \(a function of the step\)"
BETA = r"must be a number in \[0, 1\)"
BAD_INPUTS = {  # one message shape: "Invalid {name}: {value} ({requirement})" (fastoptim._checks)
    # learning rate
    "negative lr": (lambda: Adam(lr=-0.1), ValueError, rf"^Invalid lr: -0\.1 \({NUMBER_OR_SCHEDULE}\)$"),
    "nan lr": (lambda: GD(lr=math.nan), ValueError, rf"^Invalid lr: nan \({NUMBER_OR_SCHEDULE}\)$"),
    "infinite lr": (lambda: RMSProp(lr=math.inf), ValueError, rf"^Invalid lr: inf \({NUMBER_OR_SCHEDULE}\)$"),
    "string lr": (lambda: Adam(lr="0.1"), TypeError, rf"^Invalid lr: '0\.1' \({NUMBER_OR_SCHEDULE}\)$"),
    "None lr": (lambda: Momentum(lr=None), TypeError, rf"^Invalid lr: None \({NUMBER_OR_SCHEDULE}\)$"),
    "bool lr": (lambda: Adam(lr=True), TypeError, rf"^Invalid lr: True \({NUMBER_OR_SCHEDULE}\)$"),
    "array lr": (lambda: Adam(lr=np.array([0.1])), TypeError, r"^Invalid lr: array\(shape=\(1,\)"),
    # found by tests/test_fuzz.py: a timedelta64 passed for a number (a numpy integer, whose float()
    # fails: a bare TypeError), and an int beyond float64 (float() raised OverflowError)
    "timedelta64 lr": (lambda: GD(lr=np.timedelta64(1, "s")), TypeError,
                       rf"^Invalid lr: np\.timedelta64\(1,'s'\) \({NUMBER_OR_SCHEDULE}\)$"),
    "timedelta64 eps": (lambda: Adam(eps=np.timedelta64(1)), TypeError, r"^Invalid eps: .* \(must be a finite number > 0\)$"),
    "lr beyond float64": (lambda: GD(lr=10**400), ValueError, rf"^Invalid lr: 1000.* \({NUMBER_OR_SCHEDULE}\)$"),
    "beta2 beyond float64": (lambda: Adam(betas=(0.9, 10**400)), ValueError, rf"^Invalid betas\[1\]: 1000.* \({BETA}\)$"),
    "weight_decay beyond float64": (lambda: AdamW(weight_decay=-(10**400)), ValueError,
                                    r"^Invalid weight_decay: -1000.* \(must be a finite number >= 0\)$"),
    # betas
    "beta2 = 1": (lambda: Adam(betas=(0.9, 1.0)), ValueError, rf"^Invalid betas\[1\]: 1\.0 \({BETA}\)$"),
    "negative beta1": (lambda: NAdam(betas=(-0.1, 0.999)), ValueError, rf"^Invalid betas\[0\]: -0\.1 \({BETA}\)$"),
    "nan beta1": (lambda: AMSGrad(betas=(math.nan, 0.999)), ValueError, rf"^Invalid betas\[0\]: nan \({BETA}\)$"),
    "betas not a pair": (lambda: Adam(betas=(0.9,)), TypeError,
                         r"^Invalid betas: \(0\.9,\) \(must be a pair \(beta1, beta2\)\)$"),
    "betas a number": (lambda: RAdam(betas=0.9), TypeError, r"^Invalid betas: 0\.9 \(must be a pair"),
    "beta not a number": (lambda: AdaMax(betas=("a", 0.9)), TypeError, rf"^Invalid betas\[0\]: 'a' \({BETA}\)$"),
    "beta = 1": (lambda: Momentum(beta=1.0), ValueError, rf"^Invalid beta: 1\.0 \({BETA}\)$"),
    "negative beta": (lambda: Nesterov(beta=-0.5), ValueError, rf"^Invalid beta: -0\.5 \({BETA}\)$"),
    "beta > 1": (lambda: RMSProp(beta=1.5), ValueError, rf"^Invalid beta: 1\.5 \({BETA}\)$"),
    "AdaDelta beta = 1": (lambda: AdaDelta(beta=1), ValueError, rf"^Invalid beta: 1 \({BETA}\)$"),
    "beta a string": (lambda: Momentum(beta="0.9"), TypeError, rf"^Invalid beta: '0\.9' \({BETA}\)$"),
    # epsilon, weight decay, flags
    "zero eps": (lambda: Adam(eps=0.0), ValueError, r"^Invalid eps: 0\.0 \(must be a finite number > 0\)$"),
    "negative eps": (lambda: AdaGrad(eps=-1e-8), ValueError, r"^Invalid eps: -1e-08 \(must be a finite number > 0\)$"),
    "AdaDelta zero eps": (lambda: AdaDelta(eps=0), ValueError, r"^Invalid eps: 0 \(must be a finite number > 0\)$"),
    "negative weight_decay": (lambda: AdamW(weight_decay=-0.01), ValueError,
                              r"^Invalid weight_decay: -0\.01 \(must be a finite number >= 0\)$"),
    "infinite weight_decay": (lambda: GD(weight_decay=math.inf), ValueError,
                              r"^Invalid weight_decay: inf \(must be a finite number >= 0\)$"),
    "decoupled an int": (lambda: Adam(decoupled=1), TypeError, r"^Invalid decoupled: 1 \(must be True or False\)$"),
    "zero momentum_decay": (lambda: NAdam(momentum_decay=0.0), ValueError,
                            r"^Invalid momentum_decay: 0\.0 \(must be a finite number > 0\)$"),
    "negative momentum_decay": (lambda: NAdam(momentum_decay=-4e-3), ValueError,
                                r"^Invalid momentum_decay: -0\.004 \(must be a finite number > 0\)$"),
    "bias_correction a string": (lambda: AMSGrad(bias_correction="yes"), TypeError,
                                 r"^Invalid bias_correction: 'yes' \(must be True or False\)$"),
    "negative delta": (lambda: AdamP(delta=-0.1), ValueError, r"^Invalid delta: -0\.1 \(must be a finite number >= 0\)$"),
    "wd_ratio > 1": (lambda: AdamP(wd_ratio=1.5), ValueError, r"^Invalid wd_ratio: 1\.5 \(must be a number in \[0, 1\]\)$"),
    "nesterov None": (lambda: AdamP(nesterov=None), TypeError, r"^Invalid nesterov: None \(must be True or False\)$"),
    "betas positional": (lambda: Adam(0.1, (0.9, 0.99)), TypeError, r"positional argument"),
    "unknown option": (lambda: GD(momentum=0.9), TypeError, r"unexpected keyword argument"),
    # params and grads at the edge
    "params a list": (step_with([1.0, 1.0, 1.0, 1.0], G), TypeError,
                      r"^Invalid params: \[1\.0, 1\.0, 1\.0, 1\.0\] \(must be a numpy\.ndarray\)$"),
    "params int64": (step_with(np.ones(4, np.int64), G), TypeError,
                     r"^Invalid params: array\(shape=\(4,\), dtype=int64\) \(must have dtype float32 or float64"),
    "params float16": (step_with(np.ones(4, np.float16), G), TypeError,
                       r"^Invalid params: array\(shape=\(4,\), dtype=float16\) \(must have dtype float32 or float64"),
    "params complex": (step_with(np.ones(4, complex), G), TypeError,
                       r"^Invalid params: array\(shape=\(4,\), dtype=complex128\) \(must have dtype float32"),
    "params big-endian": (step_with(big_endian(), G), TypeError,
                          r"^Invalid params: .* \(must have dtype float32 or float64 \(native byte order\)\)$"),
    "grads int": (step_with(P.copy(), np.ones(4, np.int32)), TypeError,
                  r"^Invalid grads: array\(shape=\(4,\), dtype=int32\) \(must have dtype float32 or float64"),
    "grads a tuple": (step_with(P.copy(), (0.5,) * 4), TypeError,
                      r"^Invalid grads: \(0\.5, 0\.5, 0\.5, 0\.5\) \(must be a numpy\.ndarray\)$"),
    "grads float32 for float64 params": (step_with(P.copy(), G.astype(np.float32)), ValueError,
                                         r"^Invalid grads: .* \(must have the dtype of params, float64\)$"),
    "grads of another shape": (step_with(P.copy(), np.ones(5)), ValueError,
                               r"^Invalid grads: .* \(must have the shape of params, \(4,\)\)$"),
    "grads transposed": (step_with(np.ones((2, 3)), np.ones((3, 2)), state=Adam().init(
        np.ones((2, 3)))), ValueError, r"^Invalid grads: .* \(must have the shape of params, \(2, 3\)\)$"),
    "params strided": (step_with(np.ones(8)[::2], G), ValueError, r"^Invalid params: .* \(must be C-contiguous"),
    "grads Fortran-ordered": (step_with(np.ones((3, 2)), np.asfortranarray(np.ones((3, 2))),
                                        state=Adam().init(np.ones((3, 2)))), ValueError,
                              r"^Invalid grads: .* \(must be C-contiguous"),
    "params read-only": (step_with(read_only(), G), ValueError, r"^Invalid params: .* \(must be writable"),
    "grads read-only": (step_with(P.copy(), read_only()), ValueError, r"^Invalid grads: .* \(must be writable"),
    "grads is params": (lambda: (lambda a: Adam().step(a, a, Adam().init(a)))(np.ones(4)),
                        ValueError, r"^Invalid grads: .* \(must not share memory with params\)$"),
    "grads overlap params": (step_with(*overlapping()), ValueError,
                             r"^Invalid grads: .* \(must not share memory with params\)$"),
    # the state
    "state of another optimizer": (step_with(P.copy(), G, opt=AdamW(), state=Adam().init(P)),
                                   ValueError, r"^Invalid state: State\(optimizer='Adam'.*\(belongs to Adam, not to AdamW\)$"),
    "state of another shape": (step_with(P.copy(), G, state=Adam().init(np.ones(3))), ValueError,
                               r"^Invalid state: .*\(is for shape \(3,\) and dtype float64"),
    "state of another dtype": (step_with(P.copy(), G, state=Adam().init(P.astype(np.float32))),
                               ValueError, r"^Invalid state: .*\(is for shape \(4,\) and dtype float32"),
    "state a dict": (step_with(P.copy(), G, state={"step": 0}), TypeError,
                     r"^Invalid state: \{'step': 0\} \(must be a State \(from opt\.init\)\)$"),
    # schedules (the one validator of schedule values: fastoptim.schedules.evaluate)
    "schedule gives a negative lr": (step_with(P.copy(), G, opt=Adam(lr=lambda t: -1.0)), ValueError,
                                     r"^Invalid lr: <function .* \(must give a finite rate >= 0 at every step of "
                                     r"the run, gave -1\.0 at t = 0\)$"),
    "schedule gives nan": (step_with(P.copy(), G, opt=Adam(lr=lambda t: math.nan)), ValueError,
                           r"^Invalid lr: <function .* gave nan at t = 0\)$"),
    "schedule gives a string": (step_with(P.copy(), G, opt=Adam(lr=lambda t: "0.1")), TypeError,
                                r"^Invalid lr: <function .* \(must return a real number, returned '0\.1' at t = 0\)$"),
    # init
    "init of a list": (lambda: Adam().init([1.0, 2.0]), TypeError,
                       r"^Invalid params: \[1\.0, 2\.0\] \(must be a numpy\.ndarray\)$"),
    # found by tests/test_fuzz.py: printing a float16 Series for the message made pandas warn
    # (an error under -W error) instead of the refusal
    "init of a float16 Series": (lambda: Adam().init(__import__("pandas").Series(np.zeros(2, np.float16))),
                                 TypeError, r"^Invalid params: 0 +0\.0 1 +0\.0 dtype: float16 \(must be a numpy\.ndarray\)$"),
    "state step a timedelta64": (lambda: State("GD", np.timedelta64(2, "s"), np.zeros((0, 2)), np.array([1.0, 0.0]),
                                               (2,), "float64", ()), TypeError,
                                 r"^Invalid step: np\.timedelta64\(2,'s'\) \(must be an integer in \[0, 2\*\*53\)\)$"),
    "init of ints": (lambda: Adam().init(np.arange(3)), TypeError,
                     r"^Invalid params: array\(shape=\(3,\), dtype=int64\) \(must have dtype float32 or float64"),
}


def test_the_table_is_long_enough():
    assert len(BAD_INPUTS) >= 30


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input(case):
    call, exception, message = BAD_INPUTS[case]
    with pytest.raises(exception) as raised:
        call()
    assert not issubclass(raised.type, TypeError if exception is ValueError else ValueError), raised.type
    assert re.search(message, str(raised.value)), str(raised.value)


@pytest.mark.parametrize("call, argument, index", [
    (lambda: Adam(betas=(0.9, 1.0)), "betas", 1),
    (lambda: NAdam(betas=(-0.1, 1.0)), "betas", 0),   # β1 is checked first
    (lambda: AdaMax(betas=("a", 0.9)), "betas", 0),
    (lambda: Adam(betas=(0.9,)), "betas", None),       # the pair as a whole
    (lambda: Momentum(beta=1.0), "beta", None),
    (lambda: Adam(lr=-0.1), "lr", None),
])
def test_an_error_names_its_argument_and_the_item_of_it(call, argument, index):
    """``error.argument`` is the constructor's argument, ``error.index`` the bad item of it
    (fastoptim._checks's rule), so a caller tells β1 from β2 without reading the message."""
    with pytest.raises((ValueError, TypeError)) as raised:
        call()
    assert (raised.value.argument, raised.value.index) == (argument, index)


def test_a_refused_step_changes_nothing():
    params = np.ones(4)
    opt = Adam(lr=0.1)
    state = opt.init(params)
    with pytest.raises(ValueError):
        opt.step(params, np.ones(5), state)
    assert state.step == 0 and not state.slots.any() and np.all(params == 1.0)


# --- configuration ------------------------------------------------------------------------------
def test_defaults_are_the_spec():
    assert (GD().lr, Momentum().beta, Nesterov().lr) == (0.01, 0.9, 0.01)
    assert (AdaGrad().lr, AdaGrad().eps) == (0.01, 1e-8)
    assert (RMSProp().lr, RMSProp().beta, RMSProp().eps) == (0.01, 0.9, 1e-8)
    assert (AdaDelta().lr, AdaDelta().beta, AdaDelta().eps) == (1.0, 0.95, 1e-6)
    for cls, lr in ((Adam, 1e-3), (AdaMax, 2e-3), (NAdam, 2e-3), (AMSGrad, 1e-3),
                    (RAdam, 1e-3), (AdamP, 1e-3)):
        opt = cls()
        assert (opt.lr, opt.betas, opt.eps, opt.weight_decay) == (lr, (0.9, 0.999), 1e-8, 0.0)
    assert NAdam().momentum_decay is None and AMSGrad().bias_correction is False
    assert (AdamP().delta, AdamP().wd_ratio, AdamP().nesterov) == (0.1, 0.1, False)
    for name in ("AdamW", "NAdamW", "RMSPropW", "AdaGradW"):
        opt = OPTIMIZERS[name]()
        assert (opt.weight_decay, opt.decoupled) == (0.01, True)
    for name in ("GD", "Adam", "NAdam", "RMSProp", "AdaGrad", "Momentum"):
        assert OPTIMIZERS[name]().decoupled is False


def test_configurations_are_immutable():
    opt = Adam(lr=0.1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        opt.lr = 0.2
    with pytest.raises(AttributeError):  # the kernels' record is a NamedTuple: read-only
        opt.hyper.beta1 = 0.5
    assert opt.hyper.beta1 == 0.9


def test_hyperparameter_records():
    """Each optimizer fills its rule's record (kernels/layout.py) from its fields, by name."""
    hyper = AdamP(betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1, delta=0.2, wd_ratio=0.3, nesterov=True).hyper
    assert hyper == layout.AdamPHyper(beta1=0.8, beta2=0.95, eps=1e-6, weight_decay=0.1, decoupled=1.0,
                                      delta=0.2, wd_ratio=0.3, nesterov=1.0)
    assert Momentum(beta=0.7).hyper == layout.MomentumHyper(0.7, 0.0, 0.0)
    assert NAdam(momentum_decay=4e-3).hyper.momentum_decay == 4e-3 and NAdam().hyper.momentum_decay == 0.0
    assert AMSGrad(bias_correction=True).hyper.bias_correction == 1.0
    assert type(AdamW().hyper) is layout.AdamHyper and type(Nesterov().hyper) is layout.NesterovHyper


def test_numbers_are_normalised_to_floats():
    opt = Adam(lr=1, betas=[np.float32(0.5), 0], eps=np.float64(1e-3), weight_decay=0)
    assert opt.betas == (0.5, 0.0) and type(opt.betas[0]) is float
    assert type(opt.lr) is float and type(opt.weight_decay) is float


def test_every_class_names_its_kind_and_slots():
    for name, cls in OPTIMIZERS.items():
        opt = cls()
        assert opt.name == name
        assert len(opt.slot_names) == opt.n_slots == len(layout.SLOT_NAMES[opt.rule])
    assert AMSGrad().slot_names == ("m", "v", "v_max") and AdaDelta().slot_names == ("v", "u")


# --- schedules ---------------------------------------------------------------------------------
def test_schedule_is_called_with_the_step_counter():
    seen = []

    def schedule(t):
        seen.append(t)
        return 0.1 / (1 + t)

    opt = GD(lr=schedule)
    params = np.zeros(3)
    state = opt.init(params)
    for _ in range(4):
        opt.step(params, np.ones(3), state)
    assert seen == [0, 1, 2, 3]
    assert np.allclose(params, -sum(0.1 / (1 + t) for t in range(4)), rtol=1e-15, atol=0)
    assert opt.lr_at(9) == 0.01 and GD(lr=0.5).lr_at(100) == 0.5


def test_schedule_may_return_numpy_scalars():
    opt = Adam(lr=lambda t: np.float32(0.5) * np.ones(()))
    assert opt.lr_at(0) == 0.5 and type(opt.lr_at(0)) is float


# --- state: save, load, resume -----------------------------------------------------------------
def run(opt, params, gradients, state):
    for grads in gradients:
        opt.step(params, grads, state)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_resume_from_npz_is_bit_for_bit(name, dtype, tmp_path):
    cls = OPTIMIZERS[name]
    opt = cls(lr=lambda t: 0.05 / (1 + 0.1 * t), **(
        {"momentum_decay": 4e-3} if cls.__name__.startswith("NAdam") else {}))
    rng = np.random.default_rng(1)
    start = rng.standard_normal((3, 4)).astype(dtype)
    gradients = [rng.standard_normal((3, 4)).astype(dtype) for _ in range(10)]
    straight = start.copy()
    run(opt, straight, gradients, straight_state := opt.init(straight))

    params = start.copy()
    state = opt.init(params)
    run(opt, params, gradients[:5], state)
    np.savez(tmp_path / "checkpoint.npz", params=params, **state.to_dict())
    with np.load(tmp_path / "checkpoint.npz", allow_pickle=False) as saved:
        resumed_params = saved["params"].copy()
        resumed = opt.load_state(saved, resumed_params)
    assert resumed.step == 5 and resumed.optimizer == name
    run(opt, resumed_params, gradients[5:], resumed)
    assert np.array_equal(resumed_params, straight)
    assert np.array_equal(resumed.slots, straight_state.slots)
    assert np.array_equal(resumed.scalars, straight_state.scalars)


def test_to_dict_is_a_snapshot_and_from_dict_copies():
    params = np.ones(3)
    opt = Adam(lr=0.1)
    state = opt.init(params)
    opt.step(params, np.ones(3), state)
    saved = state.to_dict()
    opt.step(params, np.ones(3), state)
    assert saved["step"] == 1 and not np.array_equal(saved["slots"], state.slots)
    loaded = State.from_dict(saved, optimizer=opt, params=params)
    loaded.slots[:] = 0
    assert saved["slots"].any()
    assert set(saved) == {"optimizer", "step", "slots", "scalars", "shape", "dtype", "form"}


def saved_adam_state(**changes):
    params = np.ones((2, 3))
    state = Adam().init(params)
    Adam().step(params, np.ones((2, 3)), state)
    return {**state.to_dict(), **changes}


BAD_STATES = {
    "another optimizer": (RAdam(), saved_adam_state(), np.ones((2, 3)),
                          r"^Invalid data\['optimizer'\]: 'Adam' \(the state was saved by Adam, not by RAdam\)$"),
    "another shape": (Adam(), saved_adam_state(), np.ones((3, 2)),
                      r"^Invalid data\['shape'\]: \(2, 3\) \(the state is for shape \(2, 3\), params have shape \(3, 2\)\)$"),
    "another dtype": (Adam(), saved_adam_state(), np.ones((2, 3), np.float32),
                      r"^Invalid data\['dtype'\]: 'float64' \(the state is for dtype float64, params have dtype float32\)$"),
    "missing slots": (Adam(), {k: v for k, v in saved_adam_state().items() if k != "slots"},
                      np.ones((2, 3)), r"^Invalid data: .* \(the state is missing slots\)$"),
    "slots of the wrong shape": (Adam(), saved_adam_state(slots=np.zeros((3, 6))), np.ones((2, 3)),
                                 r"^Invalid data\['slots'\]: array\(shape=\(3, 6\), dtype=float64\) "
                                 r"\(expected shape \(2, 6\) and dtype float64\)$"),
    "slots of the wrong dtype": (Adam(), saved_adam_state(slots=np.zeros((2, 6), np.float32)),
                                 np.ones((2, 3)), r"^Invalid data\['slots'\]: array\(shape=\(2, 6\), "
                                                  r"dtype=float32\)"),
    "negative step": (Adam(), saved_adam_state(step=-1), np.ones((2, 3)),
                      r"^Invalid data\['step'\]: -1 \(must be an integer in \[0, 2\*\*53\)\)$"),
    "fractional step": (Adam(), saved_adam_state(step=1.5), np.ones((2, 3)),
                        r"^Invalid data\['step'\]: 1\.5 \(must be an integer in \[0, 2\*\*53\)\)$"),
    "scalars of the wrong shape": (Adam(), saved_adam_state(scalars=np.zeros(3)), np.ones((2, 3)),
                                   r"^Invalid data\['scalars'\]: array\(shape=\(3,\)"),
    "scalars for other rows": (Adam(), saved_adam_state(scalars=np.array([1.0, 5.0])),
                               np.ones((2, 3)), r"^Invalid data\['scalars'\]: .*AdamP's row count, 2 for shape \(2, 3\); got 5\.0\)$"),
}


@pytest.mark.parametrize("case", sorted(BAD_STATES))
def test_loading_a_mismatched_state_is_refused(case):
    opt, data, params, message = BAD_STATES[case]
    with pytest.raises((ValueError, TypeError), match=message) as raised:
        opt.load_state(data, params)
    expected = TypeError if "step" in case and "fractional" in case else ValueError
    assert not issubclass(raised.type, TypeError if expected is ValueError else ValueError)


def test_state_slot_views_have_the_params_shape():
    params = np.ones((2, 3), np.float32)
    state = AMSGrad().init(params)
    assert state.slots.shape == (3, 6) and state.slots.dtype == np.float32
    assert state.slot("v_max").shape == (2, 3)
    assert np.shares_memory(state.slot("m"), state.slots)
    with pytest.raises(KeyError, match="AMSGrad has no slot 'u'"):
        state.slot("u")
    assert state.scalars.tolist() == [1.0, 2.0]  # Π_0 = 1, AdamP's rows
    assert Adam().init(np.ones(5)).scalars.tolist() == [1.0, 0.0]
    assert "AMSGrad" in repr(state)
