"""The orchestration of a run against the naive loop of ``tests/naive.py`` (issue 13, item 3).

``fastoptim.reference.train`` shares ``fastoptim.train``'s orchestration, so the two cannot
disagree about counters, ``per``, the per-step η and β, the shuffle order, the validation split,
``drop_last``, divergence, the plateau controllers or resume. ``tests/naive.py`` writes all of
that again from SPEC §2-§7, sharing only the numpy model and update rules; here both engines of
``fastoptim`` must equal it on small data (2-200 points, d = 1 and d = 3), and every η the run
records is checked against the naive schedules' formulas (never against ``fastoptim.schedules``).

Every scenario builds the same run twice, side by side: with ``fastoptim`` objects for ``train``
and with ``tests/naive.py``'s plain functions and dicts for the naive loop (its docstring maps
one to the other).

η and β: ``Run`` records both per epoch (the epoch's last step's, ``run.lr``, ``run.beta``)
and, with ``record="step"``, per step (``run.step_lr``, ``run.step_beta``); the naive loop keeps
them per step (``want.lr``, ``want.beta``), and :func:`assert_same_run` compares both.
"""
import math

import numpy as np
import pytest

import fastoptim as fo
from fastoptim import schedules
from tests import naive
from tests.helpers import assert_relative
from tests.tolerances import NAIVE_FLOOR, NAIVE_LR_RTOL, NAIVE_RTOL

ENGINES = {"train": fo.train, "reference.train": fo.reference.train}


# --- data -----------------------------------------------------------------------------------------

def line(n, dtype="float64", seed=1, noise=0.1):
    """1-D data: y = σ(1.5 x − 0.5) + noise."""
    return fo.data.synthetic(n, w=1.5, b=-0.5, noise=noise, seed=seed, dtype=dtype)


def cube(n, dtype="float64", seed=2, noise=0.1):
    """d = 3 data: y = σ(1.5 x1 − x2 + 0.5 x3 − 0.3) + noise."""
    return fo.data.synthetic(n, w=[1.5, -1.0, 0.5], b=-0.3, noise=noise, d=3, seed=seed, dtype=dtype)


def init_for(data):
    return tuple([0.3] * data.d + [-0.2])


# --- schedules: the fastoptim one and the naive one, built from the same arguments ---------------

def both(name, *args, **kwargs):
    """``(fastoptim.schedules.<name>(...), naive.<name>(...))``."""
    return getattr(schedules, name)(*args, **kwargs), getattr(naive, name)(*args, **kwargs)


def joined(parts, boundaries):
    return (schedules.join([fast for fast, _ in parts], boundaries),
            naive.join([slow for _, slow in parts], boundaries))


# --- running and comparing ---------------------------------------------------------------------

def run_engines(data, optimizer, *, warns=None, **options):
    """``{engine name: Run}`` of both fastoptim engines; ``warns``: the divergence warning's
    text expected of each (any other warning is an error: pyproject.toml's filterwarnings)."""
    runs = {}
    for name, train in ENGINES.items():
        if warns is None:
            runs[name] = train(data, optimizer, **options)
        else:
            with pytest.warns(RuntimeWarning, match=warns):
                runs[name] = train(data, optimizer, **options)
    return runs


def per_epoch(values, want, epochs):
    """The value of the last step of each of the first ``epochs`` epochs (η, β: what ``Run``
    keeps per epoch), from the naive loop's per-step record."""
    return values[[(e + 1) * want.steps_per_epoch - 1 for e in range(epochs)]]


def assert_same_run(run, want, dtype, *, line_search=False):
    """``run`` (a ``fastoptim.Run``) equals ``want`` (a ``naive.NaiveRun``).

    Counters and divergence exactly; η of every step (when recorded) and of each epoch's last
    step to NAIVE_LR_RTOL of the run's largest η, β likewise (to NAIVE_LR_RTOL); θ, the
    trajectory, the slots and the losses to NAIVE_RTOL[dtype] (tests/tolerances.py)."""
    rtol = NAIVE_RTOL[dtype]
    assert (run.epochs, run.steps, run.diverged) == (want.epochs, want.steps, want.diverged)
    assert run.state.step == want.steps
    assert run.theta.dtype == np.dtype(dtype) and run.state.slots.dtype == np.dtype(dtype)
    # η: the naive formulas, evaluated at the naive counters
    completed = run.lr.size
    assert completed == run.epochs
    if run.step_lr is not None:
        assert run.step_lr.shape == want.lr.shape
    if want.lr.size:
        scale = np.max(np.abs(want.lr))
        assert_relative(run.lr, per_epoch(want.lr, want, completed), NAIVE_LR_RTOL, scale=scale)
        if run.step_lr is not None:
            assert_relative(run.step_lr, want.lr, NAIVE_LR_RTOL, scale=scale)
    if line_search:  # chosen among the candidates: the same values exactly
        assert np.array_equal(run.lr, per_epoch(want.lr, want, completed))
        if run.step_lr is not None:
            assert np.array_equal(run.step_lr, want.lr)
    # β (or β1) of every step and of each epoch's last step
    if want.beta is None:  # GD, AdaGrad, RMSProp, AdaDelta: no momentum β
        assert run.beta is None and run.step_beta is None
    else:
        assert_relative(run.beta, per_epoch(want.beta, want, completed), NAIVE_LR_RTOL, scale=1.0)
        if run.step_beta is not None:
            assert_relative(run.step_beta, want.beta, NAIVE_LR_RTOL, scale=1.0)
    # θ and the optimizer's state
    assert_relative(run.theta, want.theta, rtol, scale=NAIVE_FLOOR)
    assert set(run.state.slot_names) == set(want.slots)
    for name, value in want.slots.items():
        slot = run.state.slot(name)
        assert_relative(slot, value, rtol, scale=max(float(np.max(np.abs(value))), np.finfo(dtype).tiny))
    # the per-epoch losses (never cancelling: sums of squares)
    assert_relative(run.loss, want.loss, rtol)
    if want.validation_loss is None:
        assert run.validation_loss is None
    else:
        assert_relative(run.validation_loss, want.validation_loss, rtol)
    # per step, when recorded
    if run.trajectory is not None:
        assert_relative(run.trajectory, want.trajectory, rtol, scale=NAIVE_FLOOR)
        assert_relative(run.step_loss, want.step_loss, rtol)


def assert_reference_bitwise(run, want, dtype):
    """``reference.train`` equals the naive loop bit for bit when both see the same η and β.

    Both call the same pure functions (``reference.model.loss``/``gradient``,
    ``reference.updates.<rule>``) on the same arrays in the same order, the gradient rounded to
    θ's dtype the same way, so only their inputs can differ: η and β (the compiled schedule
    kernels against the naive formulas: compared bit for bit here first; a momentum schedule is
    left out, SPEC's 2^(−1−log2 n) and fastoptim's 1 − 1/(2n) differ in the last bit), and
    Nesterov's look-ahead point in float32 (formed in float32 by the reference engine, in float64
    and rounded once by the naive loop and the kernel). If the reference engine's arithmetic is
    reorganised, this is the check to relax to assert_same_run's tolerances."""
    lr = run.step_lr if run.step_lr is not None else run.lr
    want_lr = want.lr if run.step_lr is not None else per_epoch(want.lr, want, run.lr.size)
    if run.step_lr is None or not np.array_equal(lr, want_lr) or want.momentum_scheduled:
        return
    for field in ("theta", "loss", "validation_loss", "trajectory", "step_loss"):
        if getattr(run, field) is not None:
            assert np.array_equal(getattr(run, field), getattr(want, field)), field
    for name, value in want.slots.items():
        assert np.array_equal(run.state.slot(name), value), name


def assert_engines_equal_naive(runs, want, dtype, **kwargs):
    """Both engines equal the naive run (assert_same_run); reference.train bit for bit where it
    can (assert_reference_bitwise)."""
    for name, run in runs.items():
        try:
            assert_same_run(run, want, dtype, **kwargs)
            if name == "reference.train":
                assert_reference_bitwise(run, want, dtype)
        except AssertionError as error:
            raise AssertionError(f"{name} differs from the naive loop: {error}") from error


# --- 1. every schedule formula of SPEC §5, per step, on the optimizer's lr and as schedule= ---------

SCHEDULES = {
    "constant": lambda: both("constant", 0.4),
    "step_decay": lambda: both("step_decay", 0.8, 0.5, every=7),
    "step_decay_0.3": lambda: both("step_decay", 0.8, 0.3, every=4),
    "exponential": lambda: both("exponential", 0.8, 0.05),
    "inverse_time": lambda: both("inverse_time", 0.8, 0.1),
    "cyclic_triangular": lambda: both("cyclic", 0.05, 0.9, 5),
    "cyclic_triangular2": lambda: both("cyclic", 0.05, 0.9, 4, mode="triangular2"),
    "cyclic_exp_range": lambda: both("cyclic", 0.05, 0.9, 3, mode="exp_range", gamma=0.97),
    "cosine": lambda: both("cosine", 0.9, 0.01, 30),
    "warm_restarts": lambda: both("warm_restarts", 0.9, 0.01, 7),
    "warm_restarts_T_mult_2": lambda: both("warm_restarts", 0.9, 0.01, 3, T_mult=2),
    "linear_warmup": lambda: both("linear_warmup", 0.8, 12, start_lr=0.01),
    "transformer_warmup": lambda: both("transformer_warmup", 4, warmup=10, scale=2.0),
    "join_three": lambda: joined([both("linear_warmup", 0.6, 5), both("constant", 0.6),
                                  both("exponential", 0.6, 0.1)], [5, 15]),
}


#: Schedules whose every value is one exact expression, bit for bit: η0, and η0 · 2^−k (a power
#: of ½ is exact, and so is its product with η0 barring underflow).
EXACT_SCHEDULES = {"constant", "step_decay"}


@pytest.mark.parametrize("where", ["optimizer lr", "schedule="])
@pytest.mark.parametrize("name", SCHEDULES)
def test_every_schedule_per_step(name, where):
    """GD on 1-D mini-batches of 8 of 60 points (a remainder of 4): 48 steps, each η from the
    schedule at the step's counter 0, 1, …, 47."""
    fast, slow = SCHEDULES[name]()
    data = line(60)
    options = dict(epochs=6, batch_size=8, init=init_for(data), record="step")
    if where == "optimizer lr":
        runs = run_engines(data, fo.GD(lr=fast), **options)
        want = naive.train(data.X, data.y, "GD", lr=slow, **options)
    else:
        runs = run_engines(data, fo.GD(lr=0.123), schedule=fast, **options)
        want = naive.train(data.X, data.y, "GD", lr=0.123, schedule=slow, **options)
    assert want.lr.tolist() == [slow(t) for t in range(48)]
    assert name == "constant" or len(set(want.lr)) > 1
    assert_engines_equal_naive(runs, want, "float64")
    if name in EXACT_SCHEDULES:
        for run in runs.values():
            assert np.array_equal(run.step_lr, want.lr)


# --- 2. every rule through the loop ------------------------------------------------------------------

RULES = {
    "GD": (fo.GD(lr=0.5), "GD", {}),
    "Momentum": (fo.Momentum(lr=0.2), "Momentum", {}),
    "Nesterov": (fo.Nesterov(lr=0.2), "Nesterov", {}),
    "AdaGrad": (fo.AdaGrad(lr=0.1), "AdaGrad", {}),
    "RMSProp": (fo.RMSProp(lr=0.01), "RMSProp", {}),
    "AdaDelta": (fo.AdaDelta(), "AdaDelta", {}),
    "Adam": (fo.Adam(lr=0.01), "Adam", {}),
    "AdaMax": (fo.AdaMax(lr=0.01), "AdaMax", {}),
    "NAdam": (fo.NAdam(lr=0.01), "NAdam", {}),
    "NAdam-psi": (fo.NAdam(lr=0.01, momentum_decay=4e-3), "NAdam", dict(momentum_decay=4e-3)),
    "AMSGrad": (fo.AMSGrad(lr=0.01), "AMSGrad", {}),
    "AMSGrad-bc": (fo.AMSGrad(lr=0.01, bias_correction=True), "AMSGrad", dict(bias_correction=True)),
    "RAdam": (fo.RAdam(lr=0.01), "RAdam", {}),
    "AdamP": (fo.AdamP(lr=0.01), "AdamP", {}),
    "AdamW": (fo.AdamW(lr=0.01, weight_decay=0.1), "Adam", dict(weight_decay=0.1, decoupled=True)),
    "Momentum-L2": (fo.Momentum(lr=0.2, weight_decay=0.01), "Momentum", dict(weight_decay=0.01)),
}


@pytest.mark.parametrize("name", RULES)
def test_every_rule_through_the_loop(name):
    """Each rule of SPEC §3 on shuffled d = 3 mini-batches with a remainder, a validation
    fraction and an exponential decay from the rule's rate: the slots are the rule's, by name."""
    optimizer, rule, hyper = RULES[name]
    data = cube(47)
    fast, slow = both("exponential", optimizer.lr, 0.05)
    options = dict(epochs=4, batch_size=6, init=init_for(data), shuffle=True, seed=6, validation=0.2,
                   record="step")
    runs = run_engines(data, optimizer, schedule=fast, **options)
    want = naive.train(data.X, data.y, rule, lr=optimizer.lr, hyper=hyper, schedule=slow, **options)
    assert_engines_equal_naive(runs, want, "float64")


# --- 3. schedules per epoch -------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_schedules_per_epoch(dtype):
    """Momentum on d = 3, batches of 6 of 40 points (7 steps an epoch), 9 epochs: every step of
    epoch e has η(e)."""
    data = cube(40, dtype)
    fast, slow = both("cyclic", 0.02, 0.4, 2, mode="triangular2")
    options = dict(epochs=9, batch_size=6, init=init_for(data), per="epoch", shuffle=True, seed=4, record="step")
    runs = run_engines(data, fo.Momentum(lr=0.3, beta=0.8), schedule=fast, **options)
    want = naive.train(data.X, data.y, "Momentum", lr=0.3, hyper=dict(beta=0.8), schedule=slow, **options)
    assert want.steps_per_epoch == 7
    assert want.lr.tolist() == [slow(e) for e in range(9) for _ in range(7)]
    assert_engines_equal_naive(runs, want, dtype)


def test_per_epoch_needs_a_schedule_that_it_counts():
    """The optimizer's own lr schedule counts steps, as in ``opt.step`` (one meaning, issue 13):
    ``per="epoch"`` applies to ``schedule=`` and ``momentum_schedule=``, and with neither it
    would count nothing: refused, naming ``per``."""
    data = cube(40)
    with pytest.raises(ValueError, match="Invalid per: 'epoch'"):
        fo.train(data, fo.Momentum(lr=schedules.cosine(0.4, 0.02, 9)), epochs=2, batch_size=6,
                 init=init_for(data), per="epoch")


def test_rmsprop_inverse_time_per_epoch_and_step_decay_of_an_adagrad():
    data = cube(50)
    options = dict(epochs=5, batch_size=9, init=init_for(data), per="epoch", record="step")
    fast, slow = both("inverse_time", 0.05, 0.5)
    runs = run_engines(data, fo.RMSProp(lr=0.1), schedule=fast, **options)
    want = naive.train(data.X, data.y, "RMSProp", lr=0.1, schedule=slow, **options)
    assert_engines_equal_naive(runs, want, "float64")
    fast, slow = both("step_decay", 0.5, 0.5, every=2)
    runs = run_engines(data, fo.AdaGrad(lr=1.0), schedule=fast, **options)
    want = naive.train(data.X, data.y, "AdaGrad", lr=1.0, schedule=slow, **options)
    assert_engines_equal_naive(runs, want, "float64")


# --- 4. a joined warm-up and cosine -----------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_joined_warmup_and_cosine(dtype):
    """Adam on shuffled d = 3 mini-batches: 20 steps of linear warm-up, then a cosine of 60 steps
    (which then stays at its minimum): 13 steps an epoch × 8 epochs = 104 steps."""
    data = cube(100, dtype)
    fast, slow = joined([both("linear_warmup", 0.1, 20, start_lr=0.001), both("cosine", 0.1, 1e-4, 60)], [20])
    options = dict(epochs=8, batch_size=8, init=init_for(data), shuffle=True, seed=9, record="step")
    runs = run_engines(data, fo.Adam(lr=0.5), schedule=fast, **options)
    want = naive.train(data.X, data.y, "Adam", lr=0.5, schedule=slow, **options)
    assert want.steps == 104 and want.lr[0] == 0.001 and want.lr[20] == 0.1 and want.lr[-1] == 1e-4
    assert_engines_equal_naive(runs, want, dtype)


# --- 5. momentum schedules ----------------------------------------------------------------------------

MOMENTUM_CASES = {
    "Momentum": (lambda lr: fo.Momentum(lr=lr, beta=0.5), "Momentum", dict(beta=0.5)),
    "Nesterov": (lambda lr: fo.Nesterov(lr=lr, beta=0.5), "Nesterov", dict(beta=0.5)),
    "Adam": (lambda lr: fo.Adam(lr=lr, betas=(0.5, 0.99)), "Adam", dict(beta1=0.5, beta2=0.99)),
    "NAdam": (lambda lr: fo.NAdam(lr=lr), "NAdam", {}),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("per", ["step", "epoch"])
@pytest.mark.parametrize("name", MOMENTUM_CASES)
def test_momentum_schedules(name, per, dtype):
    """Sutskever's β_t (SPEC §5) as β (Momentum, Nesterov: also the look-ahead's β) or β1 (Adam,
    NAdam), over a learning-rate schedule on the same counter."""
    make, rule, hyper = MOMENTUM_CASES[name]
    data = line(45, dtype)
    every = 6 if per == "step" else 2
    beta_fast, beta_slow = both("sutskever_momentum", 0.95, every=every)
    fast, slow = both("exponential", 0.2, 0.01)
    options = dict(epochs=7, batch_size=10, init=init_for(data), per=per, shuffle=True, seed=1, record="step")
    runs = run_engines(data, make(0.05), schedule=fast, momentum_schedule=beta_fast, **options)
    want = naive.train(data.X, data.y, rule, lr=0.05, hyper=hyper, schedule=slow, momentum_schedule=beta_slow,
                       **options)
    counters = range(35) if per == "step" else [e for e in range(7) for _ in range(5)]
    assert want.beta.tolist() == [beta_slow(t) for t in counters] and want.beta[0] == 0.5 and want.beta.max() > 0.8
    # (the β comparison itself: assert_same_run, behind CHECK_BETA)
    assert_engines_equal_naive(runs, want, dtype)


# --- 6. line search -----------------------------------------------------------------------------------

LINE_SEARCH_RULES = {
    "GD": (fo.GD(), {}), "Momentum": (fo.Momentum(beta=0.6), dict(beta=0.6)),
    "Nesterov": (fo.Nesterov(beta=0.6), dict(beta=0.6)), "Adam": (fo.Adam(), {}),
    "NAdam": (fo.NAdam(momentum_decay=4e-3), dict(momentum_decay=4e-3)),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("rule", LINE_SEARCH_RULES)
def test_line_search(rule, dtype):
    """SPEC §4 with its default candidates on shuffled d = 3 mini-batches (summed, so that large
    rates overshoot and the choice varies): each step's η is the first with the lowest batch
    loss after the step, on the same batch (for the other rules, after the rule's own step from
    the same state and t; Nesterov's gradient at the look-ahead point; NAdam's running μ-product
    the winner's)."""
    data = cube(60, dtype)
    candidates = [0.1, 0.5, 1, 2, 10]
    options = dict(epochs=4, batch_size=11, init=init_for(data), shuffle=True, seed=3, record="step",
                   line_search=candidates, reduction="sum")
    optimizer, hyper = LINE_SEARCH_RULES[rule]
    runs = run_engines(data, optimizer, **options)
    want = naive.train(data.X, data.y, rule, lr=0.01, hyper=hyper, **options)
    assert len(set(want.lr)) > 1  # the choice changes along the run
    assert_engines_equal_naive(runs, want, dtype, line_search=True)
    if rule == "NAdam":
        for run in runs.values():
            assert run.state.scalars[0] == pytest.approx(want.mu_product, rel=1e-14)


@pytest.mark.parametrize("candidates, first_choice", [([0.1, 1e4, 1e5], 1e4), ([1e5, 1e4, 0.1], 1e5)])
def test_line_search_first_lowest_wins(candidates, first_choice):
    """y = 0 and x >= 1: after a step of 1e4 or 1e5 every σ is exactly 0 (z < −745), a batch loss
    of exactly 0 for both: the first of them wins. From then on the gradient is exactly 0, every
    candidate ties, and the first candidate wins."""
    X = np.linspace(1.0, 2.0, 12)
    data = fo.data.Dataset(X, np.zeros(12))
    options = dict(epochs=3, batch_size=4, init=(0.0, 0.0), line_search=candidates, record="step")
    runs = run_engines(data, fo.GD(), **options)
    want = naive.train(data.X, data.y, "GD", lr=0.01, **options)
    assert want.lr.tolist() == [first_choice] + [candidates[0]] * 8 and want.loss.tolist() == [0.0] * 3
    assert_engines_equal_naive(runs, want, "float64", line_search=True)


# --- 7. validation and the plateau controllers -------------------------------------------------------

CONTROLLERS = {
    "halve own lr": (lambda: schedules.halve_on_increase(40.0), lambda: naive.halve_on_increase(40.0)),
    "halve optimizer lr": (lambda: schedules.halve_on_increase(), lambda: naive.halve_on_increase()),
    "reduce": (lambda: schedules.ReduceOnPlateau(0.5, 1, 0.01, 1.0),
               lambda: naive.reduce_on_plateau(0.5, 1, 0.01, 1.0)),
    "reduce patience 0 own lr": (lambda: schedules.ReduceOnPlateau(0.3, 0, 0.0, 0.5, lr=25.0),
                                 lambda: naive.reduce_on_plateau(0.3, 0, 0.0, 0.5, lr=25.0)),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("validation", ["fraction", "Dataset"])
@pytest.mark.parametrize("name", CONTROLLERS)
def test_validation_and_controllers(name, validation, dtype):
    """GD with a large rate on noisy shuffled data, so that the validation loss rises now and
    then: the controller's rate after each epoch is the next epoch's η (SPEC §5). The
    validation part is a fraction (split as Dataset.split does) or a Dataset."""
    data = line(120, dtype, seed=9, noise=0.3)
    fast, slow = CONTROLLERS[name]
    options = dict(epochs=14, batch_size=10, init=(3.0, 3.0), shuffle=True, seed=5)
    if validation == "fraction":
        fast_validation = slow_validation = 0.25
    else:
        held_out = line(30, dtype, seed=10, noise=0.3)
        fast_validation, slow_validation = held_out, (held_out.X, held_out.y)
    runs = {engine: train(data, fo.GD(lr=30.0), validation=fast_validation, on_plateau=fast(), **options)
            for engine, train in ENGINES.items()}
    want = naive.train(data.X, data.y, "GD", lr=30.0, validation=slow_validation, on_plateau=slow(), **options)
    epoch_lr = want.lr.reshape(14, -1)[:, 0]
    assert np.all(want.lr.reshape(14, -1) == epoch_lr[:, None])
    assert np.all(np.diff(epoch_lr) <= 0) and epoch_lr[-1] < epoch_lr[0]  # the controller acted
    assert_engines_equal_naive(runs, want, dtype)
    for run in runs.values():  # η · ½, max(η · factor, min_lr): one rounding each, the same bits
        assert np.array_equal(run.lr, epoch_lr)
        assert run.controller_state["lr"] == want.controller["lr"]


def test_validation_fraction_split_and_shuffle_use_two_generators():
    """The split draws permutation(N) from default_rng(seed); the training part's epochs draw
    permutation(n) from another default_rng(seed) (Dataset.split, train's docstring)."""
    data = cube(199)
    options = dict(epochs=4, batch_size=4, init=init_for(data), shuffle=True, seed=21, validation=0.3,
                   record="step")
    runs = run_engines(data, fo.AdaMax(lr=0.05), **options)
    want = naive.train(data.X, data.y, "AdaMax", lr=0.05, **options)
    assert want.steps_per_epoch == 35  # round(0.3 · 199) = 60 validation points, 139 training points
    assert_engines_equal_naive(runs, want, "float64")


def test_a_controller_used_twice_gives_the_same_run():
    """A run does not leave its state in the controller for the next run (issue 13, item 5):
    two runs with the same controller object each equal the naive run."""
    data = line(120, noise=0.3, seed=9)
    controller = schedules.ReduceOnPlateau(0.5, 0, 0.0)
    options = dict(epochs=14, batch_size=10, init=(3.0, 3.0), validation=0.25, shuffle=True, seed=5)
    want = naive.train(data.X, data.y, "GD", lr=30.0, on_plateau=naive.reduce_on_plateau(0.5, 0, 0.0), **options)
    assert want.lr[-1] < want.lr[0]
    for attempt in range(2):
        run = fo.train(data, fo.GD(lr=30.0), on_plateau=controller, **options)
        assert_same_run(run, want, "float64")


# --- 8. shuffling -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("seed", [0, 1, 7, 2**40 + 3])
def test_shuffle_with_several_seeds(seed, dtype):
    """Epoch e visits the e-th permutation(n) of default_rng(seed); mini-batches of 5 of 37."""
    data = cube(37, dtype)
    options = dict(epochs=4, batch_size=5, init=init_for(data), shuffle=True, seed=seed, record="step")
    runs = run_engines(data, fo.Adam(lr=0.05), **options)
    want = naive.train(data.X, data.y, "Adam", lr=0.05, **options)
    assert_engines_equal_naive(runs, want, dtype)


def test_shuffled_stochastic_gd_on_the_lecture_points_and_batch_gd():
    data = fo.data.two_points()
    for options in (dict(batch_size=1, shuffle=True, seed=3, reduction="sum"), dict(reduction="sum"),
                    dict(batch_size=1, reduction="mean")):
        options = dict(epochs=25, init=(-2.0, -2.0), record="step", **options)
        runs = run_engines(data, fo.Nesterov(lr=1.0, beta=0.9), **options)
        want = naive.train(data.X, data.y, "Nesterov", lr=1.0, hyper=dict(beta=0.9), **options)
        assert_engines_equal_naive(runs, want, "float64")


# --- 9. drop_last -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("batch_size, drop_last, steps", [(7, True, 4), (7, False, 5), (30, True, 1),
                                                          (45, True, 1), (1, True, 30)])
def test_drop_last(batch_size, drop_last, steps, shuffle, dtype):
    """30 points in batches of 7: 4 steps with drop_last (the last 2 points of each epoch's order
    unseen: the same two unless shuffled), 5 without; a batch_size of N or above is one batch of
    N, with or without drop_last (train's docstring); batch_size 1 drops nothing."""
    data = cube(30, dtype)
    options = dict(epochs=3, batch_size=batch_size, drop_last=drop_last, shuffle=shuffle, seed=2,
                   init=init_for(data), record="step")
    runs = run_engines(data, fo.AMSGrad(lr=0.05), **options)
    want = naive.train(data.X, data.y, "AMSGrad", lr=0.05, **options)
    assert want.steps == 3 * steps
    assert_engines_equal_naive(runs, want, dtype)


# --- 10. divergence ----------------------------------------------------------------------------------

def jump_at(step, low=0.1, high=1e308):
    """A plain schedule function: η = low before ``step``, then high (shared by both runs: it is
    the argument, not fastoptim's code)."""
    return lambda t: low if t < step else high


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_divergence_mid_epoch_when_the_update_overflows(dtype):
    """Steps 0-10 at η = 0.1, then η = 1e308 (1e38 in float32) from step 11 (epoch 2, step 1 at 5
    steps an epoch), with a coupled weight decay λ = 1: u = βu + η(g + λθ) ~ ηθ, so θ and u
    overflow within two steps; the run stops with θ and the velocity from before the step that
    overflowed."""
    data = line(25, dtype)
    high = 1e308 if dtype == "float64" else 1e38
    options = dict(epochs=6, batch_size=5, init=init_for(data), reduction="sum", record="step",
                   schedule=jump_at(11, high=high))
    want = naive.train(data.X, data.y, "Momentum", lr=0.1, hyper=dict(weight_decay=1.0), **options)
    assert want.diverged in ({"epoch": 2, "step": 1}, {"epoch": 2, "step": 2})
    runs = run_engines(data, fo.Momentum(lr=0.1, weight_decay=1.0), **options,
                       warns=f"diverged at epoch {want.diverged['epoch']}, step {want.diverged['step']}:")
    assert_engines_equal_naive(runs, want, dtype)


def test_divergence_mid_epoch_when_a_state_slot_overflows():
    """Adam, η = 1e300 with λ = 1: the coupled gradient g + λθ ~ 1e300 squares to v = inf at
    step 1 (θ − η m̂/(√v̂ + ε) may stay finite): the state is checked too."""
    data = line(12)
    options = dict(epochs=3, batch_size=2, init=init_for(data), record="step")
    runs = run_engines(data, fo.Adam(lr=1e300, weight_decay=1.0), warns="diverged at epoch 0, step 1:", **options)
    want = naive.train(data.X, data.y, "Adam", lr=1e300, hyper=dict(weight_decay=1.0), **options)
    assert want.diverged == {"epoch": 0, "step": 1} and want.steps == 1
    assert_engines_equal_naive(runs, want, "float64")


@pytest.mark.parametrize("shuffle", [False, True])
def test_divergence_mid_epoch_when_the_gradient_overflows(shuffle):
    """float32 data with one point (x = 1e10, y = 1e30) whose gradient, finite in float64
    (~ −2.5e39), overflows float32: the run stops before that step's update (the gradient is
    rounded to θ's dtype first), in whichever epoch and step the order puts it."""
    X = np.linspace(-1.0, 1.0, 20).astype(np.float32)
    y = np.full(20, 0.4, dtype=np.float32)
    X[13], y[13] = 1e10, 1e30
    data = fo.data.Dataset(X, y)
    options = dict(epochs=4, batch_size=3, init=(1e-10, 0.0), shuffle=shuffle, seed=8, record="step")
    want = naive.train(data.X, data.y, "GD", lr=1e-12, **options)  # (θ barely moves: z stays ~1 there)
    assert want.diverged is not None and want.diverged["step"] < 7 and want.diverged["epoch"] == 0
    if not shuffle:
        assert want.diverged == {"epoch": 0, "step": 4} and want.steps == 4
    runs = run_engines(data, fo.GD(lr=1e-12),
                       warns=f"diverged at epoch {want.diverged['epoch']}, step {want.diverged['step']}:", **options)
    assert_engines_equal_naive(runs, want, "float32")


def test_divergence_under_line_search():
    """Candidates so large, with a coupled weight decay λ = 1, that the second step makes θ
    infinite whichever wins: the run stops before it (SPEC §4 keeps the first lowest finite loss;
    when none is finite the first is taken, and diverges)."""
    data = line(20)
    options = dict(epochs=5, batch_size=4, init=init_for(data), reduction="sum", record="step",
                   line_search=[1e307, 1e308])
    want = naive.train(data.X, data.y, "Momentum", lr=0.01, hyper=dict(beta=0.9, weight_decay=1.0), **options)
    assert want.diverged == {"epoch": 0, "step": 1}
    runs = run_engines(data, fo.Momentum(beta=0.9, weight_decay=1.0), warns="diverged at epoch 0, step 1:", **options)
    assert_engines_equal_naive(runs, want, "float64", line_search=True)


@pytest.mark.parametrize("where", ["training", "validation"])
def test_divergence_after_an_epoch(where):
    """Every step finite, but the epoch's loss is not: the run stops after the epoch, which is
    counted and whose loss (inf) is the last recorded. Training: three targets of 1.2e154 whose
    squared errors (7.2e307 each) sum to inf; validation: the same three as a validation set."""
    big = fo.data.Dataset(np.array([0.5, 2.5, 1.0]), np.array([1.2e154] * 3))
    small = line(9)
    if where == "training":
        data, validation, slow_validation = big, None, None
        optimizer, lr, batch_size = fo.GD(lr=1e-160), 1e-160, 1
    else:
        data, validation, slow_validation = small, big, (big.X, big.y)
        optimizer, lr, batch_size = fo.GD(lr=0.5), 0.5, 4
    options = dict(epochs=3, batch_size=batch_size, init=(0.5, 0.5), reduction="sum", record="step")
    want = naive.train(data.X, data.y, "GD", lr=lr, validation=slow_validation, **options)
    steps = want.steps_per_epoch
    assert want.diverged == {"epoch": 0, "step": steps} and want.epochs == 1 and want.steps == steps
    runs = {name: None for name in ENGINES}
    for name, train in ENGINES.items():
        with pytest.warns(RuntimeWarning, match="diverged after epoch 0"):
            runs[name] = train(data, optimizer, validation=validation, **options)
    for run in runs.values():  # inf == inf: assert_relative cannot compare them
        if where == "training":
            assert run.loss.tolist() == want.loss.tolist() == [np.inf]
        else:
            assert run.validation_loss.tolist() == want.validation_loss.tolist() == [np.inf]
            assert_relative(run.loss, want.loss, NAIVE_RTOL["float64"])
        assert (run.epochs, run.steps, run.diverged) == (want.epochs, want.steps, want.diverged)
        assert_relative(run.theta, want.theta, NAIVE_RTOL["float64"], scale=NAIVE_FLOOR)
        assert_relative(run.trajectory, want.trajectory, NAIVE_RTOL["float64"], scale=NAIVE_FLOOR)
        assert_relative(run.step_lr, want.lr, NAIVE_LR_RTOL)


# --- 11. resume -------------------------------------------------------------------------------------

HELD_OUT = line(20, noise=0.3, seed=5)  # a validation Dataset


def warmup_cosine():
    return joined([both("linear_warmup", 0.2, 9), both("cosine", 0.2, 0.01, 50)], [9])


# name: (data, the fastoptim optimizer and options, the naive rule and options, common options);
# each call builds fresh controllers
RESUME_CASES = {
    "Adam, shuffled, validation fraction, reduce-on-plateau": lambda dtype: (
        cube(90, dtype, noise=0.3),
        (fo.Adam(lr=0.3), dict(on_plateau=schedules.ReduceOnPlateau(0.5, 0, 0.0), validation=0.2)),
        ("Adam", dict(lr=0.3, on_plateau=naive.reduce_on_plateau(0.5, 0, 0.0), validation=0.2)),
        dict(batch_size=8, shuffle=True, seed=13)),
    "Nesterov, epoch schedule, momentum schedule, shuffled, drop_last": lambda dtype: (
        line(50, dtype),
        (fo.Nesterov(lr=0.1), dict(schedule=schedules.step_decay(0.5, 0.5, every=2),
                                   momentum_schedule=schedules.sutskever_momentum(0.9, every=3))),
        ("Nesterov", dict(lr=0.1, hyper=dict(beta=0.9), schedule=naive.step_decay(0.5, 0.5, every=2),
                          momentum_schedule=naive.sutskever_momentum(0.9, every=3))),
        dict(batch_size=6, drop_last=True, per="epoch", shuffle=True, seed=4)),
    "NAdam ψ, joined step schedule as the optimizer's lr, step momentum schedule, validation Dataset": lambda dtype: (
        line(60, dtype, noise=0.3),
        (fo.NAdam(lr=warmup_cosine()[0], momentum_decay=4e-3),
         dict(validation=HELD_OUT, momentum_schedule=schedules.sutskever_momentum(0.95, every=5))),
        ("NAdam", dict(lr=warmup_cosine()[1], hyper=dict(momentum_decay=4e-3), validation=(HELD_OUT.X, HELD_OUT.y),
                       momentum_schedule=naive.sutskever_momentum(0.95, every=5))),
        dict(batch_size=7, shuffle=True, seed=99)),
    "RMSProp, batch GD, halve on increase, validation Dataset": lambda dtype: (
        line(60, dtype, noise=0.3),
        (fo.RMSProp(lr=0.5), dict(validation=HELD_OUT, on_plateau=schedules.halve_on_increase(0.8))),
        ("RMSProp", dict(lr=0.5, validation=(HELD_OUT.X, HELD_OUT.y), on_plateau=naive.halve_on_increase(0.8))),
        dict(batch_size=None)),
}


@pytest.mark.parametrize("record", ["epoch", "step"])
@pytest.mark.parametrize("name", RESUME_CASES)
def test_resume_in_the_middle_of_a_run(name, record, tmp_path):
    """3 epochs, saved with Run.save and read with load_run, resumed for 4 more == 7 in one go
    == the naive loop's 7 (which equals its own 3 + 4)."""
    data, _, (rule, slow), common = RESUME_CASES[name]("float64")
    options = dict(init=init_for(data), record=record, **common)
    want = naive.train(data.X, data.y, rule, epochs=7, **slow, **options)
    first = naive.train(data.X, data.y, rule, epochs=3, **slow, **options)
    continued = naive.train(data.X, data.y, rule, epochs=4, resume=first, **slow, **options)
    assert np.array_equal(continued.trajectory, want.trajectory) and np.array_equal(continued.lr, want.lr)
    assert np.array_equal(continued.loss, want.loss) and want.epochs == 7
    for engine, train in ENGINES.items():
        optimizer, fast = RESUME_CASES[name]("float64")[1]
        whole = train(data, optimizer, epochs=7, **fast, **options)
        optimizer, fast = RESUME_CASES[name]("float64")[1]
        train(data, optimizer, epochs=3, **fast, **options).save(tmp_path / f"{engine}.npz")
        optimizer, fast = RESUME_CASES[name]("float64")[1]
        resumed = train(data, optimizer, epochs=4, resume=fo.load_run(tmp_path / f"{engine}.npz"), **fast, **options)
        for run in (whole, resumed):
            try:
                assert_same_run(run, want, "float64")
            except AssertionError as error:
                raise AssertionError(f"{engine} ({'resumed' if run is resumed else 'whole'}): {error}") from error
        for field in ("theta", "loss", "validation_loss", "lr", "beta", "trajectory", "step_loss", "step_lr",
                      "step_beta"):
            assert np.array_equal(getattr(resumed, field), getattr(whole, field)), (engine, field)
        assert np.array_equal(resumed.state.slots, whole.state.slots)


def test_divergence_in_a_resumed_run_counts_the_whole_run(tmp_path):
    """A run resumed after 2 epochs that diverges later (η jumps to 1e308 at step 15, epoch 2 at 6
    steps an epoch, with a coupled λ = 1): the epoch and step of ``diverged``, the counters and
    the record are the whole run's, as if it had not been interrupted."""
    data = line(30)
    options = dict(batch_size=5, init=init_for(data), reduction="sum", record="step", shuffle=True, seed=3,
                   schedule=jump_at(15))
    want = naive.train(data.X, data.y, "Momentum", lr=0.1, hyper=dict(weight_decay=1.0), epochs=6, **options)
    assert want.diverged is not None and want.diverged["epoch"] == want.epochs == 2 and want.steps >= 15
    for engine, train in ENGINES.items():
        train(data, fo.Momentum(lr=0.1, weight_decay=1.0), epochs=2, **options).save(tmp_path / f"{engine}.npz")
        with pytest.warns(RuntimeWarning, match=f"diverged at epoch 2, step {want.diverged['step']}:"):
            run = train(data, fo.Momentum(lr=0.1, weight_decay=1.0), epochs=4,
                        resume=fo.load_run(tmp_path / f"{engine}.npz"), **options)
        assert_same_run(run, want, "float64")


def test_resume_in_float32(tmp_path):
    make = RESUME_CASES["Adam, shuffled, validation fraction, reduce-on-plateau"]
    data, _, (rule, slow), common = make("float32")
    options = dict(init=init_for(data), record="step", **common)
    want = naive.train(data.X, data.y, rule, epochs=7, **slow, **options)
    optimizer, fast = make("float32")[1]
    fo.train(data, optimizer, epochs=3, **fast, **options).save(tmp_path / "run.npz")
    optimizer, fast = make("float32")[1]
    resumed = fo.train(data, optimizer, epochs=4, resume=fo.load_run(tmp_path / "run.npz"), **fast, **options)
    assert_same_run(resumed, want, "float32")


# --- the naive loop's own schedules, against numbers worked out by hand ----------------------------

def test_naive_schedules_give_the_spec_values():
    """The judge's formulas at values a reader checks by hand (SPEC §5)."""
    assert [naive.step_decay(1.0)(t) for t in (0, 4, 5, 10)] == [1.0, 1.0, 0.5, 0.25]
    assert naive.exponential(2.0, 0.5)(2) == 2.0 * math.exp(-1.0)
    assert naive.inverse_time(1.0, 0.5)(2) == 0.5
    tri = naive.cyclic(0.0, 1.0, 2)
    assert [tri(t) for t in range(9)] == [0.0, 0.5, 1.0, 0.5, 0.0, 0.5, 1.0, 0.5, 0.0]
    tri2 = naive.cyclic(0.0, 1.0, 2, mode="triangular2")
    assert [tri2(t) for t in (2, 6, 10)] == [1.0, 0.5, 0.25]
    assert naive.cyclic(0.0, 1.0, 2, mode="exp_range", gamma=0.5)(2) == 0.25
    assert naive.cosine(1.0, 0.0, 4)(0) == 1.0 and naive.cosine(1.0, 0.0, 4)(4) == 0.0
    assert naive.cosine(1.0, 0.0, 4)(2) == pytest.approx(0.5, abs=1e-16) and naive.cosine(1.0, 0.0, 4)(9) == 0.0
    restarts = naive.warm_restarts(1.0, 0.0, 2, T_mult=2)  # periods [0, 2), [2, 6), [6, 14)
    assert [restarts(t) for t in (0, 2, 6, 14)] == [1.0] * 4 and restarts(4) == pytest.approx(0.5, abs=1e-16)
    assert [naive.linear_warmup(1.0, 4)(t) for t in (0, 1, 4, 7)] == [0.0, 0.25, 1.0, 1.0]
    assert naive.transformer_warmup(16, warmup=4)(3) == 0.25 * 4 * 4 ** -1.5  # the peak, t + 1 = w
    assert naive.transformer_warmup(16, warmup=4)(15) == 0.25 * 16 ** -0.5
    three = naive.join([naive.constant(1.0), naive.linear_warmup(2.0, 2), naive.constant(3.0)], [2, 5])
    assert [three(t) for t in range(7)] == [1.0, 1.0, 0.0, 1.0, 2.0, 3.0, 3.0]
    beta = naive.sutskever_momentum(0.99)
    assert [beta(t) for t in (0, 249, 250, 750, 10**6)] == [0.5, 0.5, 0.75, 0.875, 0.99]


def test_naive_controllers_follow_their_rules():
    halve = naive.halve_on_increase(1.0)
    for loss in (3.0, 2.0, 2.5, 2.5, 2.6):
        naive._controller_update(halve, loss)
    assert halve["lr"] == 0.25  # halved after 2.5 > 2.0 and 2.6 > 2.5, not after 2.5 == 2.5
    reduce = naive.reduce_on_plateau(0.5, 1, 0.1, 0.2, lr=1.0)
    lrs = []
    for loss in (1.0, 0.95, 0.92, 0.5, 0.5, 0.5, 0.5, 0.5):  # 0.95 > 0.9 = best (1 − 0.1): no improvement
        naive._controller_update(reduce, loss)
        lrs.append(reduce["lr"])
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2]
