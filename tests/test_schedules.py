"""Tests of fastoptim.schedules against the SPEC §5 formulas, computed here independently.

Every expected value below is computed from the SPEC formula with Python floats and ``math``
(one value at a time), never with the library's code. Agreement is to 1e-12 relative
(``assert_exact``); scalar and array evaluation of a schedule must agree bit for bit.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
from fractions import Fraction

import numpy as np
import pytest

from fastoptim import schedules
from fastoptim._checks import InvalidType, InvalidValue
from fastoptim.schedules import (
    HalveOnIncrease,
    ReduceOnPlateau,
    Schedule,
    constant,
    cosine,
    cyclic,
    exponential,
    halve_on_increase,
    inverse_time,
    join,
    linear_warmup,
    step_decay,
    sutskever_momentum,
    transformer_warmup,
    warm_restarts,
)

RTOL = 1e-12  # float64, formula against formula (different libm calls, same maths)
BILLION = 10**9
MAX_T = 2**53


def assert_exact(actual: float, expected: float, t: int) -> None:
    assert isinstance(actual, float)
    assert abs(actual - expected) <= RTOL * abs(expected), (t, actual, expected)


# --- the SPEC §5 formulas, written plainly, one value at a time -------------------------------


def spec_constant(lr):
    return lambda t: lr


def spec_step_decay(lr, factor, every):
    return lambda t: lr * factor ** (t // every)


def spec_exponential(lr, k):
    return lambda t: lr * math.exp(-k * t)


def spec_inverse_time(lr, k):
    return lambda t: lr / (1 + k * t)


def spec_cyclic(base_lr, max_lr, s, mode="triangular", gamma=1.0):
    """In exact rational arithmetic (the lecture's float code drifts by ~ulp(t/s): see
    test_triangular_reproduces_the_lecture_code)."""
    def value(t):
        c = 1 + t // (2 * s)  # = ⌊1 + t/(2s)⌋
        x = abs(Fraction(t, s) - 2 * c + 1)
        if mode == "triangular":
            scale = Fraction(1)
        elif mode == "triangular2":
            scale = Fraction(1, 2 ** (c - 1)) if c < 1200 else Fraction(0)  # below base's ulp
        else:
            scale = Fraction(gamma**t)
        return float(Fraction(base_lr) + (Fraction(max_lr) - Fraction(base_lr)) * max(Fraction(0), 1 - x) * scale)
    return value


def spec_cosine(max_lr, min_lr, period):
    return lambda t: min_lr + 0.5 * (max_lr - min_lr) * (1 + math.cos(math.pi * min(t, period)
                                                                      / period))


def spec_period(t, T0, T_mult):
    """(start of the period holding t, its length), by walking the periods one by one."""
    if T_mult == 1:
        return t - t % T0, T0
    start, length = 0, T0
    while t >= start + length:
        start, length = start + length, length * T_mult
    return start, length


def spec_warm_restarts(max_lr, min_lr, T0, T_mult):
    def value(t):
        start, length = spec_period(t, T0, T_mult)
        return min_lr + 0.5 * (max_lr - min_lr) * (1 + math.cos(math.pi * (t - start) / length))
    return value


def spec_linear_warmup(lr, warmup, start_lr=0.0):
    return lambda t: start_lr + (lr - start_lr) * t / warmup if t < warmup else lr


def spec_transformer_warmup(d_model, warmup=4000, scale=1.0):
    return lambda t: scale * d_model**-0.5 * min((t + 1) ** -0.5, (t + 1) * warmup**-1.5)


def spec_sutskever(beta_max, every=250):
    return lambda t: min(1 - 2 ** (-1 - math.log2(t // every + 1)), beta_max)


def lecture_cyclic_lr(iteration, max_lr, base_lr, step_size):
    """The lecture's code (module "learning rate schemes", CLR: triangular), verbatim."""
    cycle = np.floor(1 + iteration / (2 * step_size))
    x = np.abs(iteration / step_size - 2 * cycle + 1)
    lr = base_lr + (max_lr - base_lr) * np.maximum(0, (1 - x))
    return lr


def around(*points):
    """Each point and its neighbours (>= 0)."""
    return sorted({p + d for p in points for d in (-1, 0, 1) if p + d >= 0})


def restarts(T0, T_mult, up_to):
    """The restart counts S_i <= up_to."""
    starts, start, length = [], 0, T0
    while start <= up_to:
        starts.append(start)
        start, length = start + length, length * T_mult
    return starts


# --- one table: (id, schedule, SPEC formula, points to check) ---------------------------------

CASES = [
    ("constant", constant(0.1), spec_constant(0.1), around(0, 1, BILLION, MAX_T - 1)),
    ("step_decay_lecture", step_decay(0.1), spec_step_decay(0.1, 0.5, 5),
     around(0, 5, 10, 15, 50, 5 * 1074, 5 * 1075, BILLION, MAX_T - 1)),
    ("step_decay_slow", step_decay(0.3, factor=0.9, every=7), spec_step_decay(0.3, 0.9, 7),
     around(0, 7, 14, 700, 7000, BILLION, MAX_T - 1)),
    ("exponential", exponential(0.1, k=0.01), spec_exponential(0.1, 0.01),
     around(0, 1, 100, 1000, 70000, 74500, BILLION)),
    ("inverse_time", inverse_time(0.1, k=0.5), spec_inverse_time(0.1, 0.5),
     around(0, 1, 2, 1000, BILLION, MAX_T - 1)),
    ("cyclic_triangular", cyclic(0.001, 0.1, 30), spec_cyclic(0.001, 0.1, 30),
     around(0, 30, 60, 90, 120, 600, BILLION, BILLION + 30, MAX_T - 30, MAX_T - 1)),
    ("cyclic_thirds", cyclic(0.0, 1.0, 3), spec_cyclic(0.0, 1.0, 3),
     around(1, 4, 7, BILLION + 1, MAX_T - 5, MAX_T - 1)),
    ("cyclic_triangular2", cyclic(0.001, 0.1, 30, mode="triangular2"),
     spec_cyclic(0.001, 0.1, 30, "triangular2"),
     around(0, 30, 60, 90, 120, 150, 60 * 1074 + 30, 60 * 1080 + 30, BILLION, BILLION + 30, MAX_T - 1)),
    ("cyclic_exp_range", cyclic(0.001, 0.1, 30, mode="exp_range", gamma=0.999),
     spec_cyclic(0.001, 0.1, 30, "exp_range", 0.999),
     around(0, 30, 60, 90, 120, 600, 6000, BILLION, BILLION + 30)),
    ("cosine", cosine(0.1, 0.001, period=100), spec_cosine(0.1, 0.001, 100),
     around(0, 25, 50, 75, 100, BILLION, MAX_T - 1)),
    ("cosine_to_zero", cosine(0.05, 0.0, period=10), spec_cosine(0.05, 0.0, 10),
     around(0, 5, 9, 10, BILLION)),
    ("warm_restarts_1", warm_restarts(0.1, 0.001, T0=10), spec_warm_restarts(0.1, 0.001, 10, 1),
     around(*restarts(10, 1, 100), BILLION, MAX_T - 1)),
    ("warm_restarts_2", warm_restarts(0.1, 0.001, T0=10, T_mult=2),
     spec_warm_restarts(0.1, 0.001, 10, 2), around(*restarts(10, 2, MAX_T), BILLION)),
    ("warm_restarts_4", warm_restarts(0.1, 0.0, T0=3, T_mult=4),
     spec_warm_restarts(0.1, 0.0, 3, 4), around(*restarts(3, 4, MAX_T), BILLION)),
    ("linear_warmup", linear_warmup(0.1, warmup=100), spec_linear_warmup(0.1, 100),
     around(0, 50, 100, BILLION)),
    ("linear_warmup_from", linear_warmup(0.2, warmup=7, start_lr=0.05),
     spec_linear_warmup(0.2, 7, 0.05), around(0, 3, 7, BILLION)),
    ("transformer_warmup", transformer_warmup(512), spec_transformer_warmup(512),
     around(0, 3999, 4000, BILLION, MAX_T - 1)),
    ("transformer_warmup_scaled", transformer_warmup(64, warmup=10, scale=2.0),
     spec_transformer_warmup(64, 10, 2.0), around(0, 9, 10, BILLION)),
    ("sutskever_0.99", sutskever_momentum(0.99), spec_sutskever(0.99),
     around(0, 250, 500, 750, 12250, 12500, BILLION, MAX_T - 1)),
    ("sutskever_0.999_every_10", sutskever_momentum(0.999, every=10), spec_sutskever(0.999, 10),
     around(0, 10, 20, 4990, 5000, BILLION)),
    ("sutskever_0", sutskever_momentum(0.0), spec_sutskever(0.0), around(0, 250, BILLION)),
]

JOINED = join([linear_warmup(0.1, 100), cosine(0.1, 0.001, 1000), constant(0.001)],
              [100, 1100])


def spec_joined(t):
    if t < 100:
        return spec_linear_warmup(0.1, 100)(t)
    if t < 1100:
        return spec_cosine(0.1, 0.001, 1000)(t - 100)
    return 0.001


CASES.append(("join", JOINED, spec_joined, around(0, 100, 600, 1100, BILLION, MAX_T - 1)))

CASE_IDS = [case[0] for case in CASES]


@pytest.mark.parametrize("name, schedule, formula, points", CASES, ids=CASE_IDS)
def test_exact_values_at_zero_boundaries_and_huge_t(name, schedule, formula, points):
    assert 0 in points and (BILLION in points or BILLION - 1 in points)
    for t in points:
        assert_exact(schedule(t), formula(t), t)


@pytest.mark.parametrize("name, schedule, formula, points", CASES, ids=CASE_IDS)
def test_array_of_points_equals_scalars_bitwise(name, schedule, formula, points):
    array = schedule(np.array(points))
    assert array.dtype == np.float64 and array.shape == (len(points),)
    assert array.tolist() == [schedule(t) for t in points]


# every schedule kind once, for the long sweeps (scalar calls cost ~5-10 µs each)
SWEEP = {
    "constant": constant(0.1),
    "step_decay": step_decay(0.1, 0.9, 3),
    "exponential": exponential(0.1, 1e-3),
    "inverse_time": inverse_time(0.1, 1e-2),
    "cyclic_triangular": cyclic(0.001, 0.1, 30),
    "cyclic_triangular2": cyclic(0.001, 0.1, 7, "triangular2"),
    "cyclic_exp_range": cyclic(0.001, 0.1, 30, "exp_range", 0.9999),
    "cosine": cosine(0.1, 0.001, 50_000),
    "warm_restarts_1": warm_restarts(0.1, 0.0, 1000),
    "warm_restarts_2": warm_restarts(0.1, 0.001, 10, 2),
    "linear_warmup": linear_warmup(0.1, 50_000, 0.01),
    "transformer_warmup": transformer_warmup(512),
    "join": JOINED,
    "sutskever_momentum": sutskever_momentum(0.999),
}


@pytest.mark.parametrize("schedule", SWEEP.values(), ids=SWEEP.keys())
def test_scalar_and_vectorized_agree_bitwise_up_to_1e5(schedule):
    t = np.arange(100_001)
    array = schedule(t)
    assert array.dtype == np.float64 and array.shape == t.shape
    scalars = np.array([schedule(i) for i in range(100_001)])
    np.testing.assert_array_equal(array.view(np.int64), scalars.view(np.int64))
    np.testing.assert_array_equal(schedule.values(100_001).view(np.int64), array.view(np.int64))


@pytest.mark.parametrize("schedule", SWEEP.values(), ids=SWEEP.keys())
def test_any_shape_any_integer_dtype_and_order(schedule):
    rng = np.random.default_rng(0)
    t = rng.integers(0, 10**6, size=(3, 40))
    expected = schedule(t)
    assert expected.shape == (3, 40)
    assert schedule(t.T).tolist() == expected.T.tolist()  # non-contiguous input
    assert schedule(t.astype(np.uint32)).tolist() == expected.tolist()
    assert schedule(t[:, ::-1]).tolist() == expected[:, ::-1].tolist()
    assert schedule([int(i) for i in t[0]]).tolist() == expected[0].tolist()
    assert schedule(np.int32(t[0, 0])) == expected[0, 0]
    zero_d = schedule(np.array(7))
    assert isinstance(zero_d, np.ndarray) and zero_d.shape == () and zero_d == schedule(7)
    assert schedule(np.array([], dtype=np.int64)).shape == (0,)


@pytest.mark.parametrize("schedule", SWEEP.values(), ids=SWEEP.keys())
def test_never_nan_negative_or_infinite(schedule):
    t = np.concatenate([np.arange(2000), np.arange(0, BILLION + 1, 997_001),
                        np.array([BILLION, 2**31, 2**32 + 1, 2**52 + 3, MAX_T - 1, MAX_T])])
    values = schedule(t)
    assert np.all(np.isfinite(values)) and np.all(values >= 0.0)


EXTREMES = [
    step_decay(1e300, factor=1e-300, every=1),
    step_decay(0.1, factor=1.0, every=1),
    step_decay(0.1, factor=1 - 1e-15, every=1),
    exponential(1e300, k=1e300),
    exponential(0.0, k=0.0),
    inverse_time(1e300, k=1e300),
    cyclic(0.0, 1e300, 1, "triangular2"),
    cyclic(0.0, 1.0, 1, "exp_range", gamma=1e-300),
    cyclic(0.0, 1.0, 2**53, "exp_range", gamma=1.0),
    cosine(1e300, 0.0, 1),
    cosine(1.0, 1.0, 2**53),
    warm_restarts(1.0, 0.0, 1, T_mult=10**6),
    warm_restarts(1.0, 0.0, 2**53, T_mult=2),
    warm_restarts(1.0, 0.0, 1, T_mult=1),
    linear_warmup(0.0, 1, start_lr=1e300),
    linear_warmup(1e300, 2**53),
    transformer_warmup(1, warmup=1, scale=1e300),
    transformer_warmup(2**53, warmup=2**53),
    sutskever_momentum(0.0, every=1),
    sutskever_momentum(np.nextafter(1.0, 0.0), every=1),
]


@pytest.mark.parametrize("schedule", EXTREMES, ids=[repr(s) for s in EXTREMES])
def test_extreme_arguments_stay_finite_and_non_negative(schedule):
    t = np.array([0, 1, 2, 3, 1000, 2**31, BILLION, 2**52, MAX_T - 1, MAX_T])
    values = schedule(t)
    assert np.all(np.isfinite(values)) and np.all(values >= 0.0)
    assert [schedule(int(i)) for i in t] == values.tolist()


# --- the lecture's cyclical code, and the two other modes -------------------------------------


def test_triangular_reproduces_the_lecture_code():
    """Bit for bit in the first cycle (the same operations); later, within the lecture's own
    rounding: its ``t/s − 2c + 1`` carries an error of up to ~ulp(t/s) in ``x``, where the
    kernel reduces ``t`` to its cycle first (exact: test_exact_values at t = 10^9 and 2^53)."""
    schedule = cyclic(base_lr=0.001, max_lr=0.1, step_size=30)
    for i in range(60):  # the first cycle; the lecture calls it with a Python int
        assert schedule(i) == lecture_cyclic_lr(i, max_lr=0.1, base_lr=0.001, step_size=30)
    for base, top, step_size in ((0.001, 0.1, 30), (0.2, 0.9, 1), (0.2, 0.9, 2), (0.2, 0.9, 7), (0.2, 0.9, 1000)):
        t = np.arange(0, 200_000 * step_size, max(1, step_size // 50))
        lecture = lecture_cyclic_lr(t, top, base, step_size)
        first = t < 2 * step_size
        np.testing.assert_array_equal(cyclic(base, top, step_size)(t[first]), lecture[first])
        drift = (top - base) * 2 * np.spacing(t / step_size + 2)  # the lecture's rounding of x
        assert np.all(np.abs(cyclic(base, top, step_size)(t) - lecture) <= drift + np.spacing(lecture))


def test_triangular_shape():
    schedule = cyclic(0.001, 0.1, 30)
    assert schedule(0) == 0.001 and schedule(30) == 0.1 and schedule(60) == 0.001
    assert schedule(15) == pytest.approx(0.0505, rel=1e-15)
    assert schedule(10**9 - 10) == 0.1  # 10^9 - 10 = 60 * 16666666 + 30, a peak
    assert schedule(10**9 + 20) == 0.001  # a cycle's start
    assert schedule(60 * 10**7 + 30) == 0.1


def test_triangular2_halves_the_amplitude_each_cycle():
    base, top, s = 0.001, 0.1, 30
    schedule = cyclic(base, top, s, mode="triangular2")
    for cycle in range(1200):  # each peak, exactly: scale = 1/2^(c-1) is a power of two
        assert schedule(s + 2 * s * cycle) == base + (top - base) * 0.5**cycle
    for t in range(0, 600):  # the same triangle as "triangular", scaled by 1/2^(c-1)
        c = t // (2 * s) + 1
        assert_exact(schedule(t) - base, (cyclic(base, top, s)(t) - base) / 2 ** (c - 1), t)
    assert schedule(2 * s * 1100 + s) == base  # amplitude underflowed to 0, not NaN


def test_exp_range_multiplies_by_gamma_to_the_t():
    base, top, s, gamma = 0.001, 0.1, 30, 0.995
    schedule = cyclic(base, top, s, mode="exp_range", gamma=gamma)
    triangular = cyclic(base, top, s)
    for t in range(0, 3000, 7):
        assert_exact(schedule(t) - base + 1.0, (triangular(t) - base) * gamma**t + 1.0, t)
    for t in (30, 90, 150, 1230):  # at the peaks: exactly base + (max - base) * gamma^t
        assert_exact(schedule(t), base + (top - base) * gamma**t, t)
    assert schedule(BILLION + 30) == base


# --- cosine, warm restarts, warm-up, momentum ---------------------------------------------------


def test_cosine_ends_exactly_at_min_lr_and_stays():
    schedule = cosine(0.1, 0.001, period=100)
    assert schedule(0) == 0.1 and schedule(100) == 0.001 and schedule(BILLION) == 0.001
    assert schedule(50) == pytest.approx(0.0505, rel=1e-14)
    values = schedule(np.arange(200))
    assert np.all(np.diff(values[:101]) < 0) and np.all(values[100:] == 0.001)


@pytest.mark.parametrize("T_mult", [1, 2, 4])
@pytest.mark.parametrize("T0", [1, 3, 10])
def test_warm_restarts_restart_at_every_period(T0, T_mult):
    max_lr, min_lr = 0.1, 0.001
    schedule = warm_restarts(max_lr, min_lr, T0, T_mult)
    formula = spec_warm_restarts(max_lr, min_lr, T0, T_mult)
    starts = restarts(T0, T_mult, 3000 if T_mult == 1 else MAX_T)
    if T_mult == 1:
        starts += [BILLION - BILLION % T0, MAX_T - MAX_T % T0]
    for start in starts:
        assert schedule(start) == max_lr, start  # every restart, exactly
        for t in (start - 1, start + 1):
            if 0 <= t <= MAX_T:
                assert_exact(schedule(t), formula(t), t)
    for t in (BILLION - 1, BILLION, BILLION + 1):
        assert_exact(schedule(t), formula(t), t)
    t = np.arange(20_000)  # every count against the period-by-period walk
    expected = [formula(i) for i in range(20_000)]
    np.testing.assert_allclose(schedule(t), expected, rtol=RTOL, atol=0)


def test_warm_restarts_finds_periods_exactly_near_2_to_53():
    schedule = warm_restarts(1.0, 0.0, T0=1, T_mult=2)
    for i in range(40, 53):  # S_i = 2^i - 1, each restart and the count before it
        start = 2**i - 1
        assert schedule(start) == 1.0
        assert schedule(start - 1) == spec_warm_restarts(1.0, 0.0, 1, 2)(start - 1) < 1e-20


def test_linear_warmup_reaches_lr_exactly_at_its_end():
    schedule = linear_warmup(0.3, warmup=7, start_lr=0.1)
    assert schedule(0) == 0.1
    assert schedule(7) == 0.3 and schedule(8) == 0.3 and schedule(BILLION) == 0.3
    assert_exact(schedule(6), 0.1 + 0.2 * 6 / 7, 6)
    down = linear_warmup(0.0, warmup=3, start_lr=1.0)  # a warm-down never goes below lr
    assert down(np.arange(5)).tolist() == [1.0, 1 - 1 / 3, 1 - 2 / 3, 0.0, 0.0]


def test_transformer_warmup_peaks_at_the_end_of_warmup():
    schedule = transformer_warmup(512, warmup=4000)
    values = schedule(np.arange(20_000))
    assert int(np.argmax(values)) == 3999
    assert_exact(values[3999], (512 * 4000) ** -0.5, 3999)
    assert_exact(schedule(0), 512**-0.5 * 4000**-1.5, 0)


def test_sutskever_momentum_values():
    schedule = sutskever_momentum(0.99)
    assert schedule(0) == 0.5 and schedule(249) == 0.5
    assert schedule(250) == 0.75 and schedule(500) == 1 - 1 / 6
    assert schedule(12_249) == 1 - 1 / 98 and schedule(12_250) == 0.99
    assert schedule(BILLION) == 0.99
    assert sutskever_momentum(0.0)(np.arange(1000)).tolist() == [0.0] * 1000
    assert sutskever_momentum(0.3)(0) == 0.3


# --- join ---------------------------------------------------------------------------------------


def test_join_hands_each_later_schedule_t_minus_its_boundary():
    first, second, third = cyclic(0.001, 0.1, 7), exponential(0.1, 0.01), step_decay(0.05)
    joined = join([first, second, third], [50, 130])
    t = np.arange(400)
    expected = np.concatenate([first(np.arange(50)), second(np.arange(80)),
                               third(np.arange(270))])
    np.testing.assert_array_equal(joined(t), expected)
    assert joined(49) == first(49) and joined(50) == second(0) and joined(51) == second(1)
    assert joined(129) == second(79) and joined(130) == third(0)
    assert joined(BILLION) == third(BILLION - 130)
    nested = join([joined, constant(1.0)], [200])
    assert nested(199) == joined(199) and nested(200) == 1.0
    assert join([constant(0.3)], [])(BILLION) == 0.3


def test_join_points_in_random_order():
    rng = np.random.default_rng(1)
    t = rng.integers(0, 3000, size=5000)
    assert JOINED(t).tolist() == [JOINED(int(i)) for i in t]


# --- bad arguments: one table -------------------------------------------------------------------

BAD_ARGUMENTS = [
    (constant, dict(lr=-0.1), "lr"),
    (constant, dict(lr=float("nan")), "lr"),
    (constant, dict(lr="0.1"), "lr"),
    (step_decay, dict(lr=0.1, factor=0.0), "factor"),
    (step_decay, dict(lr=0.1, factor=1.5), "factor"),
    (step_decay, dict(lr=0.1, every=0), "every"),
    (step_decay, dict(lr=0.1, every=2.5), "every"),
    (step_decay, dict(lr=0.1, every=True), "every"),
    (exponential, dict(lr=0.1, k=-1e-3), "k"),
    (exponential, dict(lr=float("inf"), k=1e-3), "lr"),
    (inverse_time, dict(lr=0.1, k=float("nan")), "k"),
    (inverse_time, dict(lr=-1.0, k=0.1), "lr"),
    (cyclic, dict(base_lr=0.001, max_lr=0.1, step_size=0), "step_size"),
    (cyclic, dict(base_lr=0.001, max_lr=0.1, step_size=-30), "step_size"),
    (cyclic, dict(base_lr=0.001, max_lr=0.1, step_size=30.0), "step_size"),
    (cyclic, dict(base_lr=-0.001, max_lr=0.1, step_size=30), "base_lr"),
    (cyclic, dict(base_lr=0.1, max_lr=0.001, step_size=30), "max_lr"),
    (cyclic, dict(base_lr=0.001, max_lr=0.1, step_size=30, mode="sawtooth"), "mode"),
    (cyclic, dict(base_lr=0.001, max_lr=0.1, step_size=30, mode="exp_range", gamma=0.0), "gamma"),
    (cyclic, dict(base_lr=0.001, max_lr=0.1, step_size=30, mode="exp_range", gamma=1.01),
     "gamma"),
    (cyclic, dict(base_lr=0.001, max_lr=0.1, step_size=30, gamma=0.99), "gamma"),
    (cosine, dict(max_lr=0.1, min_lr=0.001, period=0), "period"),
    (cosine, dict(max_lr=0.1, min_lr=0.2, period=10), "min_lr"),
    (cosine, dict(max_lr=-0.1, min_lr=0.0, period=10), "max_lr"),
    (warm_restarts, dict(max_lr=0.1, min_lr=0.0, T0=0), "T0"),
    (warm_restarts, dict(max_lr=0.1, min_lr=0.0, T0=10, T_mult=0), "T_mult"),
    (warm_restarts, dict(max_lr=0.1, min_lr=0.0, T0=10, T_mult=1.5), "T_mult"),
    (warm_restarts, dict(max_lr=0.1, min_lr=-0.1, T0=10), "min_lr"),
    (warm_restarts, dict(max_lr=0.1, min_lr=0.0, T0=2**53 + 1), "T0"),
    (linear_warmup, dict(lr=0.1, warmup=0), "warmup"),
    (linear_warmup, dict(lr=0.1, warmup=-5), "warmup"),
    (linear_warmup, dict(lr=0.1, warmup=10, start_lr=-0.01), "start_lr"),
    (transformer_warmup, dict(d_model=0), "d_model"),
    (transformer_warmup, dict(d_model=512, warmup=0), "warmup"),
    (transformer_warmup, dict(d_model=512, scale=-1.0), "scale"),
    (transformer_warmup, dict(d_model=512.0), "d_model"),
    (sutskever_momentum, dict(beta_max=1.0), "beta_max"),
    (sutskever_momentum, dict(beta_max=-0.1), "beta_max"),
    (sutskever_momentum, dict(beta_max=0.99, every=0), "every"),
    (join, dict(schedules=[], boundaries=[]), "schedules"),
    (join, dict(schedules=[constant(0.1), 0.1], boundaries=[5]), "schedules"),
    (join, dict(schedules=[constant(0.1), constant(0.2)], boundaries=[]), "boundaries"),
    (join, dict(schedules=[constant(0.1)] * 3, boundaries=[10, 10]), "boundaries"),
    (join, dict(schedules=[constant(0.1)] * 3, boundaries=[10, 5]), "boundaries"),
    (join, dict(schedules=[constant(0.1)] * 2, boundaries=[0]), "boundaries"),
    (join, dict(schedules=[constant(0.1)] * 2, boundaries=[2.5]), "boundaries"),
    (join, dict(schedules=[linear_warmup(0.1, 100), cosine(0.1, 0.0, 10)], boundaries=[50]),
     "warmup"),
    (join, dict(schedules=[join([linear_warmup(0.1, 100), constant(0.1)], [100]), constant(0.0)],
                boundaries=[50]), "warmup"),  # nested: the outer phase cuts the warm-up short
    (join, dict(schedules=[constant(0.1), join([constant(0.1), linear_warmup(0.1, 30)], [10])],
                boundaries=[5]), None),  # the last phase is unbounded: fine
    (constant, dict(lr=10**400), "lr"),  # beyond float64: a ValueError, not an OverflowError
    (cosine, dict(max_lr=0.1, min_lr=0.0, period=10**400), "period"),
    (halve_on_increase, dict(lr=-0.5), "lr"),
    (ReduceOnPlateau, dict(lr=0.1, factor=1.0), "factor"),
    (ReduceOnPlateau, dict(lr=0.1, factor=0.0), "factor"),
    (ReduceOnPlateau, dict(lr=0.1, patience=-1), "patience"),
    (ReduceOnPlateau, dict(lr=0.1, threshold=-1e-4), "threshold"),
    (ReduceOnPlateau, dict(lr=0.1, min_lr=0.2), "min_lr"),
    (ReduceOnPlateau, dict(lr=float("nan")), "lr"),
]


@pytest.mark.parametrize("factory, kwargs, argument", BAD_ARGUMENTS,
                         ids=[f"{f.__name__}-{a}-{i}" for i, (f, _, a) in
                              enumerate(BAD_ARGUMENTS)])
def test_bad_argument_raises_value_error_naming_it(factory, kwargs, argument):
    if argument is None:  # a near miss that is valid
        factory(**kwargs)
        return
    with pytest.raises(ValueError, match=rf"Invalid {argument}\b") as error:
        factory(**kwargs)
    assert "must" in str(error.value)
    # the package's error, naming the argument for callers that map it (the command line's flags)
    assert isinstance(error.value, InvalidValue) and error.value.argument == argument


def test_the_bad_argument_table_is_large():
    assert len(BAD_ARGUMENTS) >= 20


@pytest.mark.parametrize("bad_t, error", [
    (-1, ValueError), (2**53 + 1, ValueError), (1.0, TypeError), (True, TypeError),
    (np.float64(3.0), TypeError), (np.array([1.0, 2.0]), TypeError),
    (np.array([True]), TypeError), (np.array([0, -3]), ValueError),
    (np.array([2**63 - 1], dtype=np.uint64), ValueError), ("3", TypeError), (None, TypeError),
    ([[1, 2], [3]], TypeError),
])
def test_bad_counter_is_rejected_naming_t(bad_t, error):
    with pytest.raises(error, match=r"Invalid t\b") as raised:
        cosine(0.1, 0.0, 10)(bad_t)
    assert isinstance(raised.value, (InvalidValue, InvalidType)) and raised.value.argument == "t"


def test_empty_counters_give_an_empty_array_and_negative_zero_is_zero():
    for empty in ([], np.array([]), np.empty((0, 3), dtype=np.int32)):
        values = cosine(0.1, 0.0, 10)(empty)
        assert values.dtype == np.float64 and values.shape == np.shape(empty)
    assert math.copysign(1.0, constant(-0.0)(5)) == 1.0 and repr(constant(-0.0)) == "constant(lr=0.0)"


def test_values_takes_a_count_or_an_array():
    schedule = cyclic(0.001, 0.1, 30)
    assert schedule.values(0).shape == (0,)
    np.testing.assert_array_equal(schedule.values(1000), schedule(np.arange(1000)))
    np.testing.assert_array_equal(schedule.values(np.array([[5, 6]])), [[schedule(5),
                                                                         schedule(6)]])
    with pytest.raises(ValueError, match="Invalid n"):
        schedule.values(-1)
    with pytest.raises(TypeError, match="Invalid n_or_t"):
        schedule.values(10.0)


# --- repr, immutability, docstrings ------------------------------------------------------------

ALL_SCHEDULES = [case[1] for case in CASES] + list(SWEEP.values()) + EXTREMES


@pytest.mark.parametrize("schedule", ALL_SCHEDULES, ids=[repr(s)[:60] for s in ALL_SCHEDULES])
def test_repr_is_the_call_that_rebuilds_it(schedule):
    text = repr(schedule)
    assert text.startswith(type(schedule).name + "(") and "_starts" not in text
    rebuilt = eval(text, vars(schedules))  # noqa: S307 - our own repr
    assert rebuilt == schedule and hash(rebuilt) == hash(schedule)
    np.testing.assert_array_equal(rebuilt(np.arange(300)), schedule(np.arange(300)))


def test_repr_examples():
    assert repr(step_decay(0.1)) == "step_decay(lr=0.1, factor=0.5, every=5)"
    assert repr(join([constant(1), cosine(1, 0, 5)], [3])) == (
        "join(schedules=(constant(lr=1.0), cosine(max_lr=1.0, min_lr=0.0, period=5)), "
        "boundaries=(3,))")
    assert repr(ReduceOnPlateau(lr=0.1)) == ("ReduceOnPlateau(factor=0.1, patience=10, "
                                             "threshold=0.0001, min_lr=0.0, lr=0.1)")
    assert repr(ReduceOnPlateau(0.5, 3, 1e-3, 1e-5)) == (  # the signature; lr comes later
        "ReduceOnPlateau(factor=0.5, patience=3, threshold=0.001, min_lr=1e-05, lr=None)")
    assert repr(halve_on_increase(0.5)).startswith("HalveOnIncrease(lr=0.5")


def test_schedules_are_immutable():
    schedule = cosine(0.1, 0.0, 10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        schedule.period = 0  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        schedule.extra = 1  # type: ignore[attr-defined]
    assert isinstance(schedule, Schedule)


FACTORIES = [constant, step_decay, exponential, inverse_time, cyclic, cosine, warm_restarts,
             linear_warmup, transformer_warmup, join, sutskever_momentum, halve_on_increase,
             ReduceOnPlateau]


@pytest.mark.parametrize("factory", FACTORIES, ids=[f.__name__ for f in FACTORIES])
def test_docstring_gives_the_formula_and_its_source(factory):
    doc = factory.__doc__ or ""
    assert "Parameters" in doc and ("=" in doc or "←" in doc)
    sources = ("lecture", "Smith", "Loshchilov", "Vaswani", "Sutskever", "Goyal", "optax",
               "PyTorch", "SPEC")
    assert any(source in doc for source in sources), factory.__name__


# --- controllers ----------------------------------------------------------------------------------


def test_halve_on_increase_follows_the_lecture_rule():
    controller = halve_on_increase(0.8)
    losses = [1.0, 0.9, 0.95, 0.95, 0.7, 0.71, 0.72, 0.5]
    rates = [controller.update(loss) for loss in losses]
    assert rates == [0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.1, 0.1]
    assert controller.lr == 0.1


def reference_plateau(lr, losses, factor, patience, threshold, min_lr):
    """PyTorch ReduceLROnPlateau(mode="min", threshold_mode="rel", cooldown=0), eps=0."""
    best, bad, rates = math.inf, 0, []
    for loss in losses:
        if loss < best * (1 - threshold):
            best, bad = loss, 0
        else:
            bad += 1
        if bad > patience:
            lr, bad = max(lr * factor, min_lr), 0
        rates.append(lr)
    return rates


def test_reduce_on_plateau_matches_pytorch_semantics():
    rng = np.random.default_rng(3)
    losses = list(np.maximum(1.0 / np.arange(1, 301) + 0.01 * rng.random(300), 0.0).tolist())
    losses[100:140] = [losses[99]] * 40  # a long plateau
    for factor, patience, threshold, min_lr in [(0.1, 10, 1e-4, 0.0), (0.5, 0, 0.0, 1e-3),
                                                (0.5, 3, 0.05, 0.0), (0.9, 2, 0.0, 0.05)]:
        controller = ReduceOnPlateau(factor, patience, threshold, min_lr, lr=0.1)
        rates = [controller.update(loss) for loss in losses]
        assert rates == reference_plateau(0.1, losses, factor, patience, threshold, min_lr)
    controller = ReduceOnPlateau(factor=0.5, patience=2, threshold=0.1, lr=1.0)
    assert [controller.update(x) for x in [1.0, 0.95, 0.95, 0.95, 0.8]] == [1.0, 1.0, 1.0,
                                                                             0.5, 0.5]


@pytest.mark.parametrize("make", [lambda: halve_on_increase(0.3),
                                  lambda: ReduceOnPlateau(0.5, 2, 1e-3, 1e-4, lr=0.3)],
                         ids=["halve_on_increase", "ReduceOnPlateau"])
@pytest.mark.parametrize("via", ["dict", "json", "npz"])
def test_controller_state_saves_and_restores_exactly(make, via):
    rng = np.random.default_rng(5)
    losses = (1.0 / np.arange(1, 81) + 0.05 * rng.random(80)).tolist()
    straight = make()
    expected = [straight.update(loss) for loss in losses]
    first = make()
    for loss in losses[:37]:
        first.update(loss)
    state = first.state_dict()
    assert all(type(v) in (int, float) for v in state.values())
    if via == "json":
        state = json.loads(json.dumps(state, allow_nan=False))
    elif via == "npz":
        buffer = io.BytesIO()
        np.savez(buffer, **state)
        buffer.seek(0)
        with np.load(buffer) as archive:
            state = {key: archive[key][()] for key in archive.files}
    resumed = make()
    resumed.load_state_dict(state)
    assert resumed.state_dict() == first.state_dict()
    assert [resumed.update(loss) for loss in losses[37:]] == expected[37:]
    assert resumed.lr == straight.lr


@pytest.mark.parametrize("controller", [halve_on_increase(0.1), ReduceOnPlateau(lr=0.1)],
                         ids=["halve_on_increase", "ReduceOnPlateau"])
@pytest.mark.parametrize("loss", [float("nan"), float("inf"), np.nan, "0.5", None, True])
def test_controller_rejects_a_bad_validation_loss(controller, loss):
    with pytest.raises(ValueError, match="validation_loss") as raised:
        controller.update(loss)
    assert raised.value.argument == "validation_loss"
    assert controller.state_dict()["epochs"] == 0


@pytest.mark.parametrize("state, match", [
    ({"lr": -1.0, "previous_loss": 0.0, "epochs": 0}, "lr"),
    ({"lr": 0.1, "previous_loss": 0.0, "epochs": 1.5}, "epochs"),
    ({"lr": 0.1, "previous_loss": 0.0}, "epochs"),
    ({"lr": 0.1, "previous_loss": 0.0, "epochs": 0, "other": 1}, "other"),
    ([0.1, 0.0, 0], "state"),
])
def test_bad_state_is_rejected(state, match):
    with pytest.raises(ValueError, match=match) as raised:
        HalveOnIncrease(0.1).load_state_dict(state)
    assert isinstance(raised.value, InvalidValue) and raised.value.argument == "state"


@pytest.mark.parametrize("make", [halve_on_increase, lambda: ReduceOnPlateau(0.5, 0, 0.0, 0.01)],
                         ids=["halve_on_increase", "ReduceOnPlateau"])
def test_controller_without_lr_starts_at_the_rate_it_is_given(make):
    controller = make()
    assert controller.lr is None
    with pytest.raises(ValueError, match="no learning rate yet"):
        controller.update(1.0)
    assert controller.state_dict()["epochs"] == 0 and controller.state_dict()["lr"] is None
    assert controller.start(0.2) == 0.2 and controller.start(0.7) == 0.2  # only the first counts
    assert controller.update(1.0) == 0.2 and controller.update(2.0) == 0.1


def test_controller_configuration_is_read_only_and_checked_at_start():
    controller = ReduceOnPlateau(min_lr=0.5)
    with pytest.raises(AttributeError):
        controller.factor = 7.0
    with pytest.raises(ValueError, match="min_lr"):
        controller.start(0.1)
    with pytest.raises(ValueError, match="Invalid lr"):
        halve_on_increase().start(-1.0)


def test_reduce_on_plateau_never_raises_a_restored_rate_below_min_lr():
    controller = ReduceOnPlateau(factor=0.5, patience=0, min_lr=0.01, lr=0.1)
    controller.load_state_dict({"lr": 0.001, "best": 1.0, "bad_epochs": 0, "epochs": 5})
    assert controller.update(2.0) == 0.001


@pytest.mark.parametrize("lr", [0.1, 1e-3, 0.3, 5e-324])
def test_constant_is_exactly_its_rate(lr):
    """A constant schedule gives its rate's own bits at every counter (assert_exact's relative
    bound would let an ulp through: a constant one ulp off survived the mutation check)."""
    schedule = constant(lr)
    assert schedule(0) == lr and schedule(BILLION) == lr and schedule(MAX_T - 1) == lr
    assert np.all(schedule.values(10_000) == lr)
