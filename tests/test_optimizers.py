"""The update kernels against the numpy reference, and the properties SPEC §3 promises.

Every optimizer runs through its public API (``opt.step``: the checked edge, then the serial
dispatcher, then the per-rule kernel) and through ``fastoptim.reference.updates``, on random
shapes, dtypes, hyperparameters, schedules and step counts; the parameters and every state
slot must agree to the tolerances of ``tests/tolerances.py``.
"""
from __future__ import annotations

import dataclasses
import math

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastoptim.kernels import layout
from fastoptim.kernels import updates as kernels
from fastoptim.optimizers import (GD, OPTIMIZERS, AdaDelta, Adam, AdamP, AdamW, AMSGrad, Momentum,
                                  NAdam, Nesterov, RAdam)
from fastoptim.reference import updates as reference
from tolerances import UPDATE_ABSOLUTE, UPDATE_RTOL, UPDATE_TRAJECTORY_FACTOR

DTYPES = ("float64", "float32")
ALL = sorted(OPTIMIZERS)


# --- the reference, driven like the API ------------------------------------------------------
def reference_step(opt, params, grads, slots, t, lr, mu_product):
    """One reference step of ``opt``: returns (params, [slots...], mu_product)."""
    return reference.apply(opt.hyper, params, grads, slots, t, lr, mu_product=mu_product)


def run_both(opt, params, gradients):
    """Run ``opt`` through the API and through the reference on the same gradients."""
    api_params = params.copy()
    state = opt.init(api_params)
    ref_params = params.copy()
    ref_slots = [np.zeros_like(params) for _ in range(opt.n_slots)]
    mu_product = 1.0
    for t, grads in enumerate(gradients, start=1):
        opt.step(api_params, grads, state)
        ref_params, ref_slots, mu_product = reference_step(opt, ref_params, grads, ref_slots, t,
                                                           opt.lr_at(t - 1), mu_product)
    return (api_params, state), (ref_params, ref_slots, mu_product)


def compare_step_by_step(opt, params, gradients, dtype, what=""):
    """Each step from the same state: the API's step against one reference step from a copy
    of the API's state (so rounding differences do not compound through the trajectory)."""
    api_params = params.copy()
    state = opt.init(api_params)
    coupled = opt.weight_decay > 0 and not opt.decoupled
    for t, grads in enumerate(gradients, start=1):
        if coupled:  # no cancellation inside g + λθ (see tests/tolerances.py)
            grads = np.copysign(grads, api_params)
        before = [api_params.copy()] + [slot.reshape(params.shape).copy() for slot in state.slots]
        mu_product = float(state.scalars[kernels.S_MU_PRODUCT])
        ref = reference_step(opt, before[0].copy(), grads, [slot.copy() for slot in before[1:]],
                             t, opt.lr_at(t - 1), mu_product)
        opt.step(api_params, grads, state)
        assert_agree((api_params, state), ref, dtype, (what, t), before)


def excess(actual, expected, dtype, before=None, factor=1.0):
    """max over the array of |a − b| / max(rtol·|b|, absolute·scale): ≤ 1 means agreement.

    ``scale`` is the largest |value| of the array after the step and (if given) before it.
    The absolute part covers elements formed by cancellation (``m ← β1 m + (1−β1) g`` near
    0, ``θ − Δ`` near 0): their error is a few roundings of the terms, whose size is bounded
    by the array's values before and after the step, not by the result (tests/tolerances.py).
    """
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    if expected.size == 0:
        return 0.0
    scale = np.max(np.abs(expected))
    if before is not None:
        scale = max(scale, np.max(np.abs(before)))
    allowed = factor * np.maximum(UPDATE_RTOL[dtype] * np.abs(expected),
                                  UPDATE_ABSOLUTE[dtype] * scale)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(actual == expected, 0.0, np.abs(actual - expected) / allowed)
    return float(np.max(ratio))


def assert_agree(api, ref, dtype, what="", before=None, factor=1.0):
    """Parameters, every slot and NAdam's product agree (``before``: the arrays before the
    step, [params, *slots], which set the scale of the absolute tolerance)."""
    (api_params, state), (ref_params, ref_slots, mu_product) = api, ref
    before = before or [None] * (1 + len(ref_slots))
    assert api_params.dtype == ref_params.dtype == np.dtype(dtype)
    errors = {"params": excess(api_params, ref_params, dtype, before[0], factor)}
    for name, ref_slot, previous in zip(state.slot_names, ref_slots, before[1:]):
        assert ref_slot.dtype == np.dtype(dtype), name
        errors[name] = excess(state.slot(name), ref_slot, dtype, previous, factor)
    errors["mu_product"] = excess(state.scalars[kernels.S_MU_PRODUCT], mu_product, "float64")
    assert all(error <= 1.0 for error in errors.values()), (what, errors)


# --- random configurations -------------------------------------------------------------------
def field_names(cls):
    return {field.name for field in dataclasses.fields(cls)}


@st.composite
def configurations(draw, cls):
    """A random, valid configuration of ``cls`` (the lr sometimes a schedule)."""
    names = field_names(cls)
    options = {}
    if "beta" in names:
        options["beta"] = draw(st.floats(0.0, 0.99))
    if "betas" in names:
        options["betas"] = (draw(st.floats(0.0, 0.99)), draw(st.floats(0.0, 0.9999)))
    if "eps" in names:
        options["eps"] = draw(st.sampled_from([1e-8, 1e-6, 1e-3]))
    options["weight_decay"] = draw(st.sampled_from([0.0, 0.0, 1e-3, 0.05]))
    options["decoupled"] = draw(st.booleans())
    if "momentum_decay" in names:
        options["momentum_decay"] = draw(st.sampled_from([None, 4e-3, 0.05]))
    if "bias_correction" in names:
        options["bias_correction"] = draw(st.booleans())
    if "delta" in names:
        options["delta"] = draw(st.sampled_from([0.0, 0.1, 0.5, 2.0]))
        options["wd_ratio"] = draw(st.floats(0.0, 1.0))
        options["nesterov"] = draw(st.booleans())
    lr = draw(st.floats(0.0, 1.0 if cls is AdaDelta else 0.1))
    if draw(st.booleans()):
        options["lr"] = lambda t, lr=lr: lr / (1.0 + 0.3 * t)
    else:
        options["lr"] = lr
    return cls(**options)


problems = st.tuples(
    st.lists(st.integers(1, 6), min_size=1, max_size=3),  # shape
    st.integers(1, 20),  # steps
    st.integers(0, 2**32 - 1),  # seed
    st.sampled_from([1e-3, 1.0, 10.0]),  # gradient scale
)


def make_problem(shape, steps, seed, scale, dtype):
    rng = np.random.default_rng(seed)
    params = rng.standard_normal(shape).astype(dtype)
    gradients = []
    for _ in range(steps):
        grads = scale * rng.standard_normal(shape)
        grads[rng.random(shape) < 0.1] = 0.0  # some exact zeros (sparse features, lecture 5.9)
        gradients.append(grads.astype(dtype))
    return params, gradients


# --- kernel == reference ---------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ALL)
def test_every_optimizer_matches_the_reference(name, dtype):
    cls = OPTIMIZERS[name]

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(opt=configurations(cls), problem=problems)
    def check(opt, problem):
        params, gradients = make_problem(*problem, dtype)
        compare_step_by_step(opt, params, gradients, dtype, (opt, problem))

    check()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ALL)
def test_defaults_match_the_reference_over_many_steps(name, dtype):
    """The SPEC defaults, 200 free-running steps (rounding differences compound), 2-D."""
    opt = OPTIMIZERS[name]()
    params, gradients = make_problem((4, 5), 200, 7, 1.0, dtype)
    api, ref = run_both(opt, params, gradients)
    assert_agree(api, ref, dtype, factor=UPDATE_TRAJECTORY_FACTOR[dtype])


def test_adamp_projection_is_exercised_and_matches():
    """θ ⟂ g row by row: the per-row test passes and the projection runs (and then not)."""
    params = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    grads = np.array([[0.0, 1.0, 0.5], [3.0, 0.0, -1.0]])
    for delta, projected in ((0.1, True), (0.0, False)):
        opt = AdamP(lr=0.1, weight_decay=0.1, delta=delta)
        api, ref = run_both(opt, params, [grads])
        assert_agree(api, ref, "float64")
        plain = Adam(lr=0.1, weight_decay=0.1, decoupled=True)
        api_adam, _ = run_both(plain, params, [grads])
        assert np.array_equal(api[0], api_adam[0]) != projected
        if projected:  # the step is orthogonal to each row's θ
            step = api[0] - params * (1 - 0.1 * 0.1 * opt.wd_ratio)
            assert np.allclose(np.sum(step * params, axis=1), 0.0, atol=1e-15)


def test_adamp_whole_array_fallback():
    """The per-row test fails, the whole-array one passes: one projection over the array."""
    params = np.array([[1.0, 1.0], [1.0, -1.0]])
    grads = np.array([[1.0, 1.0], [-1.0, 1.0]])  # row 0 parallel to θ, row 1 antiparallel-ish
    grads[1] = [-1.0, 1.0]
    opt = AdamP(lr=0.1, delta=0.5)
    api, ref = run_both(opt, params, [grads])
    assert_agree(api, ref, "float64")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rule", layout.RULES, ids=lambda rule: rule.__name__)
def test_parallel_dispatcher_equals_serial_bit_for_bit(rule, dtype):
    """Chunks of CHUNK elements in prange give the serial result bit for bit."""
    size = 3 * kernels.CHUNK + 123
    rng = np.random.default_rng(layout.RULES.index(rule))
    values = dict(beta=0.9, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, momentum_decay=4e-3,
                  delta=0.1, wd_ratio=0.1, bias_correction=0.0, nesterov=0.0)
    serial = [rng.standard_normal(size).astype(dtype),
              np.zeros((kernels.MAX_SLOTS, size), dtype), kernels.initial_scalars(0)]
    parallel = [array.copy() for array in serial]
    for t in range(1, 4):
        grads = rng.standard_normal(size).astype(dtype)
        hyper = rule(**{name: float(t % 2) if name == "decoupled" else values[name] for name in rule._fields})
        kernels.update(hyper, serial[0], grads, serial[1], serial[2], t, 1e-2)
        kernels.update_parallel(hyper, parallel[0], grads, parallel[1], parallel[2], t, 1e-2)
    for a, b in zip(serial, parallel):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("size", [kernels.PARALLEL_THRESHOLD - 1, kernels.PARALLEL_THRESHOLD])
def test_api_uses_the_parallel_dispatcher_from_the_threshold(size, monkeypatch):
    calls = []
    for name in ("update", "update_parallel"):
        kernel = getattr(kernels, name)
        monkeypatch.setattr(kernels, name,
                            lambda *args, kernel=kernel, name=name: (calls.append(name),
                                                                      kernel(*args)))
    params = np.linspace(-1, 1, size)
    grads = np.cos(params)
    opt = Adam(lr=0.01)
    opt.step(params, grads, opt.init(params))
    parallel = size >= kernels.PARALLEL_THRESHOLD
    assert calls == ["update_parallel" if parallel else "update"]
    expected, _, _ = reference.adam(np.linspace(-1, 1, size), grads, 0 * grads, 0 * grads, 1,
                                    0.01)
    assert excess(params, expected, "float64") <= 1


# --- equivalences ------------------------------------------------------------------------------
def trajectory(opt, params, gradients):
    params = params.copy()
    state = opt.init(params)
    for grads in gradients:
        opt.step(params, grads, state)
    return params


@pytest.mark.parametrize("dtype", DTYPES)
def test_adamw_without_decay_is_adam_bit_for_bit(dtype):
    params, gradients = make_problem((3, 4), 15, 1, 1.0, dtype)
    adam = trajectory(Adam(lr=0.05), params, gradients)
    assert np.array_equal(trajectory(AdamW(lr=0.05, weight_decay=0.0), params, gradients), adam)


@pytest.mark.parametrize("cls", [Momentum, Nesterov])
def test_momentum_and_nesterov_with_zero_beta_are_gd(cls):
    params, gradients = make_problem((7,), 20, 2, 1.0, "float64")
    gd = trajectory(GD(lr=0.05), params, gradients)
    assert excess(trajectory(cls(lr=0.05, beta=0.0), params, gradients), gd, "float64") <= 1


def test_coupled_and_decoupled_decay_coincide_for_gd():
    params, gradients = make_problem((9,), 20, 3, 1.0, "float64")
    coupled = trajectory(GD(lr=0.05, weight_decay=0.1), params, gradients)
    decoupled = trajectory(GD(lr=0.05, weight_decay=0.1, decoupled=True), params, gradients)
    assert excess(decoupled, coupled, "float64") <= 1


def test_coupled_and_decoupled_decay_differ_for_adam():
    params, gradients = make_problem((9,), 20, 3, 1.0, "float64")
    coupled = trajectory(Adam(lr=0.05, weight_decay=0.1), params, gradients)
    decoupled = trajectory(AdamW(lr=0.05, weight_decay=0.1), params, gradients)
    assert np.max(np.abs(coupled - decoupled)) > 1e-3


def quadratic_gradient(curvature, center):
    return lambda theta: curvature * (theta - center)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99])
def test_the_two_nesterov_forms_give_the_same_iterates(beta):
    """SPEC §3.1: the stored look-ahead φ_t = θ_t − β u_t of the look-ahead form's iterates."""
    rng = np.random.default_rng(4)
    curvature, center = rng.uniform(0.5, 3.0, 6), rng.standard_normal(6)
    gradient = quadratic_gradient(curvature, center)
    theta = rng.standard_normal(6)
    velocity = np.zeros(6)
    phi = theta.copy()
    opt = Nesterov(lr=0.1, beta=beta)
    state = opt.init(phi)
    for _ in range(40):
        theta, velocity = reference.nesterov_lookahead(theta, velocity, gradient, 0.1, beta)
        opt.step(phi, gradient(phi), state)
        expected = theta - beta * velocity
        assert np.allclose(phi, expected, rtol=1e-12, atol=1e-12 * np.max(np.abs(expected)))
        assert np.allclose(state.slot("velocity"), velocity, rtol=1e-12, atol=1e-15)


def test_radam_switches_branch_when_rho_passes_five():
    beta2 = 0.999
    rhos = [reference.radam_rho(t, beta2) for t in range(1, 11)]
    switch = next(t for t, rho in enumerate(rhos, start=1) if rho > 5)
    assert 2 <= switch <= 10  # both branches occur in steps 1-10
    for t, rho in enumerate(rhos, start=1):
        kernel_rho, rectification = kernels.radam_rectification(t, beta2)
        assert math.isclose(kernel_rho, rho, rel_tol=1e-14)
        assert (rectification > 0) == (t >= switch)
    params, gradients = make_problem((5,), 10, 5, 1.0, "float64")
    opt = RAdam(lr=0.01, betas=(0.9, beta2))
    state = opt.init(params := params.copy())
    ref_params, m, v = params.copy(), np.zeros(5), np.zeros(5)
    for t, grads in enumerate(gradients, start=1):
        before = params.copy()
        opt.step(params, grads, state)
        ref_params, m, v = reference.radam(ref_params, grads, m, v, t, 0.01, beta2=beta2)
        assert excess(params, ref_params, "float64") <= 1
        if t < switch:  # un-rectified: SGD with the bias-corrected momentum
            assert np.allclose(before - params, 0.01 * m / (1 - 0.9**t), rtol=1e-12, atol=0)


@pytest.mark.parametrize("base", [0.0, 0.5, 0.9, 0.96, 0.99, 0.999, 0.9999, 1 - 1e-7, 0.3])
def test_one_minus_power_skips_pow_only_where_it_gives_the_same_bits(base):
    """``1 − s·b^e`` without ``pow`` once ``e(1−b) >= 42``: the same bits as Python's
    ``1 - s * b**e`` on both sides of the threshold, for the exponents the kernels pass
    (integer steps, NAdam's ``tψ``)."""
    threshold = kernels.POWER_NEGLIGIBLE / (1.0 - base) if base < 1 else math.inf
    rng = np.random.default_rng(0)
    exponents = [1.0, 2.0, 10.0, 1e3, 1e6, 1e9, 2.0**53]
    if math.isfinite(threshold):
        exponents += [math.floor(threshold) + k for k in range(-3, 4)]
        exponents += list(rng.uniform(0.5, 2.0, 40) * threshold)
        exponents += [(math.floor(threshold / 4e-3) + k) * 4e-3 for k in range(-2, 3)]  # as tψ
    for exponent in exponents:
        for scale in (1.0, 0.5):
            expected = 1.0 - scale * base**exponent
            got = kernels._one_minus_power(base, float(exponent), scale)
            assert got == expected, (base, exponent, scale, got, expected)
    for step in (1, 7, 419, 420, 421, 41_999, 42_000, 42_001, 10**6):
        assert kernels._bias_corrections(step, 0.9, 0.999) == (1 - 0.9**step, 1 - 0.999**step)


def test_nadam_momentum_decay_keeps_the_product_in_the_state():
    opt = NAdam(lr=0.01, momentum_decay=4e-3)
    params, gradients = make_problem((3,), 5, 6, 1.0, "float64")
    api, ref = run_both(opt, params, gradients)
    expected = math.prod(0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3)) for t in range(1, 6))
    assert math.isclose(api[1].scalars[kernels.S_MU_PRODUCT], expected, rel_tol=1e-14)
    assert_agree(api, ref, "float64")


# --- special values ----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ALL)
def test_zero_gradients_leave_params_unchanged(name, dtype):
    cls = OPTIMIZERS[name]
    opt = cls(weight_decay=0.0) if "weight_decay" in field_names(cls) else cls()
    for shape in ((5,), (3, 4)):
        params = np.random.default_rng(0).standard_normal(shape).astype(dtype)
        original = params.copy()
        state = opt.init(params)
        for _ in range(30):
            opt.step(params, np.zeros_like(params), state)
        assert np.array_equal(params, original)
        assert np.all(np.isfinite(state.slots))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ALL)
def test_zero_gradients_after_real_ones_make_no_nan(name, dtype):
    opt = OPTIMIZERS[name](lr=0.01)
    params, gradients = make_problem((3, 4), 5, 8, 1.0, dtype)
    state = opt.init(params)
    for grads in gradients + [np.zeros_like(params)] * 200:
        opt.step(params, grads, state)
    assert np.all(np.isfinite(params)) and np.all(np.isfinite(state.slots))


@pytest.mark.parametrize("name", ALL)
def test_zero_learning_rate_is_an_exact_no_op(name):
    cls = OPTIMIZERS[name]
    params, gradients = make_problem((3, 4), 6, 9, 1.0, "float64")
    schedule = lambda t: 0.0 if t >= 3 else 0.01  # noqa: E731
    opt = cls(lr=schedule)
    if cls in (Momentum, Nesterov):  # the velocity carries on: no-op only from rest
        opt = cls(lr=0.0)
    state = opt.init(params)
    for t, grads in enumerate(gradients):
        before = params.copy()
        opt.step(params, grads, state)
        if opt.lr_at(t) == 0.0:
            assert np.array_equal(params, before), t


@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 4), (0, 2, 2)])
@pytest.mark.parametrize("name", ALL)
def test_zero_size_arrays(name, shape):
    opt = OPTIMIZERS[name]()
    for dtype in DTYPES:
        params = np.zeros(shape, dtype)
        state = opt.init(params)
        opt.step(params, np.zeros(shape, dtype), state)
        assert state.step == 1 and state.slots.shape == (opt.n_slots, 0)
        assert state.slots.dtype == params.dtype


@pytest.mark.parametrize("name", ALL)
def test_nan_and_inf_gradients_propagate_like_the_reference(name):
    """Documented behaviour (kernels/updates.py): no filtering. A NaN gradient makes its
    element NaN; an inf one makes it ±inf (GD, Momentum) or NaN (adaptive rules, inf/inf);
    the other elements are updated as usual."""
    opt = OPTIMIZERS[name](lr=0.01)
    params, gradients = make_problem((6,), 3, 10, 1.0, "float64")
    gradients[1][0] = np.nan
    gradients[1][1] = np.inf
    gradients[2][2] = -np.inf
    with np.errstate(invalid="ignore", over="ignore"):
        api, ref = run_both(opt, params, gradients)
    api_params, ref_params = api[0], ref[0]
    assert np.array_equal(np.isnan(api_params), np.isnan(ref_params))
    assert np.isnan(api_params[0])
    special = ~np.isfinite(ref_params)
    assert np.array_equal(api_params[special], ref_params[special], equal_nan=True)
    finite = np.isfinite(ref_params)
    assert finite[3:].all()
    assert excess(api_params[finite], ref_params[finite], "float64") <= 1


def test_adamp_nan_gradient_in_a_matrix_skips_the_projection():
    params = np.array([[1.0, 0.0], [0.0, 1.0]])
    grads = np.array([[0.0, np.nan], [1.0, 0.0]])
    with np.errstate(invalid="ignore"):
        api, ref = run_both(AdamP(lr=0.1, delta=2.0), params, [grads])
    assert np.array_equal(api[0], ref[0], equal_nan=True)
    assert np.isnan(api[0][0, 1]) and np.isfinite(api[0]).sum() == 3


# --- compilation -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_new_hyperparameters_compile_nothing_new(dtype):
    params = np.ones((3, 4), dtype)
    grads = np.full((3, 4), 0.5, dtype)
    for cls in (Adam, NAdam, AMSGrad, AdamP, Momentum):
        opt = cls(lr=0.1)
        opt.step(params, grads, opt.init(params))
    counts = (len(kernels.update.signatures), len(kernels.update_parallel.signatures))
    for opt in (Adam(lr=0.3, betas=(0.5, 0.6), eps=1e-3, weight_decay=0.1, decoupled=True),
                NAdam(lr=lambda t: 0.1 / (t + 1), momentum_decay=0.01),
                AMSGrad(lr=0, bias_correction=True), AdamP(delta=1.0, nesterov=True),
                Momentum(lr=1, beta=0.0), RAdam(), AdaDelta(), GD(lr=2)):
        state = opt.init(params)
        opt.step(params, grads, state)
        opt.step(params, grads, state)
    assert (len(kernels.update.signatures), len(kernels.update_parallel.signatures)) == counts


# --- the kernels from users' own compiled code -----------------------------------------------
@numba.njit
def users_adam_loop(params, grads, m, v, steps, lr):
    for t in range(1, steps + 1):
        kernels.adam_update(params, grads, m, v, t, lr, 0.9, 0.999, 1e-8, 0.0, False)


@numba.njit
def users_generic_loop(hyper, params, grads, slots, scalars, steps, lr):
    for t in range(1, steps + 1):
        kernels.update(hyper, params, grads, slots, scalars, t, lr)


def test_public_kernel_from_users_njit_code():
    params, (grads,) = make_problem((10,), 1, 11, 1.0, "float64")
    m, v = np.zeros(10), np.zeros(10)
    expected, ref_m, ref_v = params.copy(), m.copy(), v.copy()
    users_adam_loop(params, grads, m, v, 12, 0.01)
    for t in range(1, 13):
        expected, ref_m, ref_v = reference.adam(expected, grads, ref_m, ref_v, t, 0.01)
    for actual, wanted in ((params, expected), (m, ref_m), (v, ref_v)):
        assert excess(actual, wanted, "float64") <= 1


def test_generic_dispatcher_from_users_njit_code():
    params, (grads,) = make_problem((2,), 1, 12, 1.0, "float64")  # the neuron's [w, b]
    opt = AMSGrad(lr=0.05)
    state = opt.init(params.copy())
    users_generic_loop(opt.hyper, state_params := params.copy(), grads, state.slots, state.scalars,
                       25, 0.05)
    api_params = params.copy()
    api_state = opt.init(api_params)
    for _ in range(25):
        opt.step(api_params, grads, api_state)
    assert np.array_equal(state_params, api_params)
    assert np.array_equal(state.slots, api_state.slots)


# --- convergence (optax-style) -----------------------------------------------------------------
# Each optimizer, weight decay off, at a learning rate suited to its own scale (AdaDelta's η
# multiplies a unit-free step; sign-like rules move about η per step), must end within a stated
# distance (max norm) of the minimiser.
QUADRATIC_LR = {
    "GD": 0.1, "Momentum": 0.02, "Nesterov": 0.02, "AdaGrad": 0.5, "AdaGradW": 0.5,
    "RMSProp": 0.01, "RMSPropW": 0.01, "AdaDelta": 1.0, "Adam": 0.02, "AdamW": 0.02,
    "AdaMax": 0.02, "NAdam": 0.02, "NAdamW": 0.02, "AMSGrad": 0.02, "RAdam": 0.02, "AdamP": 0.02,
}
QUADRATIC_STEPS, QUADRATIC_TOLERANCE = 3000, 1e-2
# Rosenbrock from the classic start (−1.2, 1): (options, steps). RAdam's first, un-rectified
# steps are SGD steps on gradients of ~200, hence its smaller η; AdaDelta needs a small ε and η.
ROSENBROCK = {
    "GD": ({"lr": 1e-3}, 40000), "Momentum": ({"lr": 1e-4}, 30000),
    "Nesterov": ({"lr": 1e-4}, 30000), "AdaGrad": ({"lr": 0.3}, 20000),
    "AdaGradW": ({"lr": 0.3}, 20000), "RMSProp": ({"lr": 1e-3}, 20000),
    "RMSPropW": ({"lr": 1e-3}, 20000), "AdaDelta": ({"lr": 0.1, "eps": 1e-8}, 50000),
    "Adam": ({"lr": 1e-2}, 20000), "AdamW": ({"lr": 1e-2}, 20000),
    "AdaMax": ({"lr": 1e-2}, 20000), "NAdam": ({"lr": 1e-2}, 20000),
    "NAdamW": ({"lr": 1e-2}, 20000), "AMSGrad": ({"lr": 1e-2}, 20000),
    "RAdam": ({"lr": 1e-3}, 20000), "AdamP": ({"lr": 1e-2}, 20000),
}
ROSENBROCK_TOLERANCE = 5e-2


def minimise(opt, gradient, start, steps):
    params = np.array(start, dtype=np.float64)
    state = opt.init(params)
    for _ in range(steps):
        opt.step(params, gradient(params), state)
    return params


def rosenbrock_gradient(theta):
    x, y = theta
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def without_decay(name, **options):
    cls = OPTIMIZERS[name]
    return cls(**options, **({"weight_decay": 0.0} if "weight_decay" in field_names(cls) else {}))


@pytest.mark.parametrize("name", ALL)
def test_converges_on_a_convex_quadratic(name):
    curvature, center = np.array([1.0, 3.0, 0.5]), np.array([1.0, -2.0, 0.5])
    opt = without_decay(name, lr=QUADRATIC_LR[name])
    params = minimise(opt, quadratic_gradient(curvature, center), [3.0, 3.0, -3.0],
                      QUADRATIC_STEPS)
    assert np.max(np.abs(params - center)) < QUADRATIC_TOLERANCE, params


@pytest.mark.parametrize("name", ALL)
def test_converges_on_rosenbrock(name):
    options, steps = ROSENBROCK[name]
    params = minimise(without_decay(name, **options), rosenbrock_gradient, [-1.2, 1.0], steps)
    assert np.max(np.abs(params - 1.0)) < ROSENBROCK_TOLERANCE, params


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(7,), (4, 6)], ids=["1-D", "2-D"])
def test_adamp_nesterov_direction(shape, dtype):
    """AdamP(nesterov=True): the Nesterov direction (β1 m + (1−β1) g)/(1−β1^t) in place of m̂,
    on a 1-D array (Adam's one pass) and on a matrix with δ = 1, where the projection applies.
    (No other test steps AdamP with nesterov=True against the reference.)"""
    rng = np.random.default_rng(3)
    params = rng.normal(size=shape).astype(dtype)
    gradients = [rng.normal(size=shape).astype(dtype) for _ in range(10)]
    opt = AdamP(lr=0.05, nesterov=True, delta=1.0 if len(shape) > 1 else 0.1)
    compare_step_by_step(opt, params, gradients, dtype, "nesterov")
    plain_params = params.copy()
    plain = AdamP(lr=0.05, delta=opt.delta)
    state = plain.init(plain_params)
    nesterov_params = params.copy()
    nesterov_state = opt.init(nesterov_params)
    for grads in gradients:
        plain.step(plain_params, grads, state)
        opt.step(nesterov_params, grads, nesterov_state)
    assert not np.array_equal(plain_params, nesterov_params)  # the option changes the steps


@pytest.mark.parametrize("dtype", DTYPES)
def test_adamp_projects_per_row_between_the_row_and_the_whole_threshold(dtype):
    """Each row's |cos(g, θ)| = 0.06, between δ/√(row size) = 0.2/√6 = 0.082 and δ/√size =
    0.2/√24 = 0.041: the per-row test projects each row (the whole-array test would not
    project at all). A per-row threshold computed from the whole size survived every other test."""
    rng = np.random.default_rng(11)
    params = rng.normal(size=(4, 6))
    gradients = []
    for _ in range(3):
        unit = params / np.linalg.norm(params, axis=1, keepdims=True)
        g = rng.normal(size=(4, 6))
        g -= unit * np.sum(g * unit, axis=1, keepdims=True)
        g = 0.998 * g / np.linalg.norm(g, axis=1, keepdims=True) + 0.06 * unit
        cosines = np.abs(np.sum(g * unit, axis=1)) / np.linalg.norm(g, axis=1)
        assert np.all((0.2 / np.sqrt(24) < cosines) & (cosines < 0.2 / np.sqrt(6)))
        gradients.append(g.astype(dtype))
    opt = AdamP(lr=0.01, delta=0.2)
    compare_step_by_step(opt, params.astype(dtype), gradients, dtype, "per row")
    projected, plain = params.astype(dtype), params.astype(dtype)
    state, plain_state = opt.init(projected), Adam(lr=0.01).init(plain)
    for grads in gradients:
        opt.step(projected, grads, state)
        Adam(lr=0.01).step(plain, grads, plain_state)
    assert not np.allclose(projected, plain, rtol=1e-9, atol=0)  # the projection changed the steps
