"""Learning-rate and momentum schedules evaluated over a whole run of counters (SPEC §5).

Each kernel takes a contiguous int64 array ``t`` of counters, an ``offset`` and a ``limit``
(``0 <= offset <= limit <= 2**53``), and writes ``out[i] = s(t[i] − offset)`` into a float64
``out`` of the same size. It returns True, or False as soon as it meets a counter outside
``[offset, limit]`` (``out`` is then unspecified): the range check of the counters
(fastoptim.schedules) rides on the pass that reads them, block by block, before the block is
evaluated, and ``join`` finds its phases with it. Every value is a pure function of its own
counter, computed by element-wise IEEE arithmetic (no ``reassoc``, no ``contract``:
kernels/policy.py), so a counter gives the same bits whatever the array around it: a scalar
is a one-element array.

The formulas are those of fastoptim.schedules (which cites their sources); this file says how
they are evaluated quickly: loops that LLVM vectorizes, without libm calls (``math.cos``,
``math.pow`` are scalar calls here), and transcendental values shared by many counters
computed once: the powers ``b^m`` of :func:`geometric` from a table and one value per block,
the period of :func:`warm_restarts` once per block.

Blocks are views ``t[begin:begin + BLOCK]`` looped over from 0: an index that LLVM cannot prove
non-negative keeps numba's negative-index wraparound in the loop, which stops vectorization
(measured: 1.5x slower).
"""
import math

import numpy as np

from .exp import _float64_bits_as_int64, _int64_bits_as_float64, exp, fma
from .policy import jit, jit_inline

#: Counters per block.
BLOCK = 512
#: ``b^m = b^l · b^(hB)`` with ``m = hB + l``, ``0 <= l < B``: :func:`geometric` takes ``b^l``
#: from a table of ``B`` values and ``b^(hB)`` once per block (a block of BLOCK < B consecutive
#: counters holds at most two values of ``h``): :func:`powers_block`.
B = 1024


@jit_inline
def counter_range(block):
    """The smallest and the largest counter of a non-empty block."""
    first = last = block[0]
    for i in range(1, block.size):
        first = min(first, block[i])
        last = max(last, block[i])
    return first, last


#: Offsets that place an integer in a float64's mantissa (:func:`counter_value`,
#: :func:`power_of_half`), and their bits.
TWO_TO_52, TWO_TO_84 = 2.0**52, 2.0**84
TWO_TO_52_BITS = int(np.float64(TWO_TO_52).view(np.int64))
TWO_TO_84_BITS = int(np.float64(TWO_TO_84).view(np.int64))


@jit_inline
def counter_value(count):
    """An int64 in ``[0, 2**53]`` as a float64, exactly, without the int64-to-float64 conversion
    that AVX2 lacks (LLVM does it one element at a time, which cost ~0.5 ns of a schedule's
    1-3 ns a value): the low and the high 32 bits are put into mantissas by their bits
    (``2^52 + lo``, ``2^84 + hi·2^32``), the offsets subtracted exactly, and the two parts
    added (exactly: their sum is an integer no larger than ``2**53``)."""
    low = _int64_bits_as_float64((count & 0xFFFFFFFF) | TWO_TO_52_BITS) - TWO_TO_52
    high = _int64_bits_as_float64((count >> 32) | TWO_TO_84_BITS) - TWO_TO_84
    return high + low


@jit_inline
def power_of_half(exponent):
    """``2^−exponent`` for an integer-valued float ``exponent >= 0``, exactly, built from its
    bits (shifts and selects, vectorizable; a table lookup is a gather, which is not): the
    biased exponent ``1023 − e`` while normal, the single mantissa bit ``2^(1074 − e)`` while
    subnormal, 0 from 1075 on."""
    # the integer e without a float-to-int64 conversion (AVX2 has none: LLVM would scalarize):
    # e + 2^52 holds e in its low mantissa bits
    e = _float64_bits_as_int64(min(exponent, 1075.0) + TWO_TO_52) - TWO_TO_52_BITS
    normal = _int64_bits_as_float64((1023 - e) << 52)
    subnormal = _int64_bits_as_float64(np.int64(1) << (1074 - min(e, 1074)))
    value = normal if e < 1023 else subnormal
    return 0.0 if e > 1074 else value


@jit_inline
def exp_nonpositive(x):
    """``exp(x)`` for ``x <= 0``, the same value, without computing exp's underflowing path
    (several times its cost) from ``x < -746`` on, where the value is 0 anyway."""
    deep = x < -746.0
    value = exp(0.0 if deep else x)
    return 0.0 if deep else value


@jit
def powers_table(ln_base, scale):
    """``scale · b^l = scale · e^(l ln b)`` for ``l = 0 … B − 1``."""
    low = np.empty(B)
    for l in range(B):
        low[l] = scale * exp_nonpositive(l * ln_base)
    return low


@jit
def powers_block(exponents, first, last, ln_base, low, index, high, out):
    """``out[i] = (low[l] · r) · r`` with ``hB + l = exponents[i]`` (integer-valued floats from
    ``first`` to ``last``) and ``r = e^(hB ln b / 2)``, for one block (``index``, ``high``: work
    arrays of at least ``exponents.size``).

    ``b^(hB)`` as the square of ``r``, which is normal wherever the value is not 0: a value in
    the subnormal range is rounded once, from a product accurate to a few ulps. ``r`` is
    computed for the first and the last ``h``, or per exponent if the block holds more than two
    ``h`` (exponents out of order): the same value either way.
    """
    h_first = np.floor(first * (1.0 / B))
    h_last = np.floor(last * (1.0 / B))
    if h_last - h_first <= 1.0:
        root_first = exp_nonpositive(h_first * (0.5 * B) * ln_base)
        root_last = exp_nonpositive(h_last * (0.5 * B) * ln_base)
        for i in range(exponents.size):
            h = np.floor(exponents[i] * (1.0 / B))
            index[i] = int(exponents[i] - h * B)
            high[i] = root_first if h == h_first else root_last
    else:
        for i in range(exponents.size):
            h = np.floor(exponents[i] * (1.0 / B))
            index[i] = int(exponents[i] - h * B)
            high[i] = exp_nonpositive(h * (0.5 * B) * ln_base)
    for i in range(exponents.size):  # a gather from a table that LLVM cannot prove apart
        out[i] = low[index[i]]       # from out: not vectorized
    for i in range(exponents.size):  # vectorized (a subnormal product takes a ~35 ns assist
        out[i] = out[i] * high[i] * high[i]  # per instruction here: per 4 values, not each)


@jit
def geometric(t, offset, limit, divisor, halvings, ln_base, scale, out):
    """``out[i] = scale · b^⌊t / divisor⌋`` (step and exponential decay, SPEC §5).

    ``b = 2^−halvings`` if ``ln_base`` is 0 (a power of ½, as the lecture's halving): each
    power exactly, from a constant table. Otherwise ``b = e^ln_base`` and the value is
    ``(scale · b^l) · b^(hB)`` (:func:`powers_block`), ``b^j = e^(j ln b)``: within
    ``|m ln b| · 2.3e-16`` (the rounding of the products ``j ln b``; below 2e-13 where the value
    is normal) and a few ulps. ``⌊t / divisor⌋`` is exact for ``t <= 2**53``: a quotient that
    is not an integer is at least ``1/divisor`` below the next one, more than its rounding
    error.
    """
    low = powers_table(ln_base, scale) if ln_base != 0.0 else np.empty(0)
    exponents, index, high = np.empty(BLOCK), np.empty(BLOCK, dtype=np.int64), np.empty(BLOCK)
    for begin in range(0, t.size, BLOCK):
        block, values = t[begin:begin + BLOCK], out[begin:begin + BLOCK]
        first, last = counter_range(block)
        if first < offset or last > limit:
            return False
        if ln_base == 0.0:
            for i in range(block.size):
                m = np.floor(counter_value(block[i] - offset) / divisor)
                values[i] = scale * power_of_half(m * halvings)
        else:
            for i in range(block.size):
                exponents[i] = np.floor(counter_value(block[i] - offset) / divisor)
            powers_block(exponents[:block.size], np.floor(float(first - offset) / divisor),
                         np.floor(float(last - offset) / divisor), ln_base, low, index, high,
                         values)
    return True


@jit
def inverse_time(t, offset, limit, lr, k, out):
    """``out[i] = lr / (1 + k t)``."""
    for begin in range(0, t.size, BLOCK):
        block, values = t[begin:begin + BLOCK], out[begin:begin + BLOCK]
        first, last = counter_range(block)
        if first < offset or last > limit:
            return False
        for i in range(block.size):
            values[i] = lr / (1.0 + k * counter_value(block[i] - offset))
    return True


@jit_inline
def _triangle(t, step_size):
    """The lecture's ``cyclic_lr`` before its scale: ``(max(0, 1 − x), c)``, ``c = ⌊1 + t/(2s)⌋``,
    ``x = |t/s − 2c + 1|``, for an integer-valued ``t <= 2**53`` and an integer ``s``.

    The lecture's float ``t/s`` loses the position within the cycle as ``t`` grows (at
    ``t = 10^9``, ``s = 30``: ~1e-9 relative). Here ``t`` is first reduced to its cycle exactly:
    ``c − 1 = ⌊t/(2s)⌋`` (the quotient's rounding cannot reach the next integer for
    ``t <= 2**53``; computed with a multiplication by ``1/(2s)``, it may be one off, which
    a select corrects) and ``r = t − 2s(c − 1)``, an exact integer;
    then ``x = |r/s − 2 + 1|``, the lecture's operations with ``c = 1``. The first cycle has
    the lecture's bits, every later one those of the first."""
    period = 2.0 * step_size
    completed = np.floor(t * (0.5 / step_size))  # ⌊t/(2s)⌋ or one off, corrected below
    r = t - period * completed  # exact: integers below 2**54
    early = r < 0.0
    late = r >= period
    completed = completed - 1.0 if early else (completed + 1.0 if late else completed)
    r = r + period if early else (r - period if late else r)
    return max(0.0, 1.0 - abs(r / step_size - 2.0 + 1.0)), completed + 1.0


@jit
def cyclic(t, offset, limit, step_size, base_lr, max_lr, halvings, ln_gamma, out):
    """``out[i] = base + (max − base) · triangle · scale`` (the lecture's ``cyclic_lr``, Smith
    2017): ``scale = 2^(−halvings (c − 1))`` if ``ln_gamma`` is 0 (``halvings`` 0:
    "triangular", 1: "triangular2", exactly), else ``γ^t = e^(t ln γ)`` ("exp_range", as in
    :func:`geometric`)."""
    amplitude = max_lr - base_lr
    low = powers_table(ln_gamma, 1.0) if ln_gamma != 0.0 else np.empty(0)
    exponents, index, high = np.empty(BLOCK), np.empty(BLOCK, dtype=np.int64), np.empty(BLOCK)
    for begin in range(0, t.size, BLOCK):
        block, values = t[begin:begin + BLOCK], out[begin:begin + BLOCK]
        first, last = counter_range(block)
        if first < offset or last > limit:
            return False
        if ln_gamma != 0.0:
            for i in range(block.size):
                exponents[i] = counter_value(block[i] - offset)
            powers_block(exponents[:block.size], float(first - offset), float(last - offset),
                         ln_gamma, low, index, high, values)
            for i in range(block.size):
                triangle = _triangle(exponents[i], step_size)[0]
                values[i] = triangle * amplitude * values[i] + base_lr
        elif halvings != 0.0:
            for i in range(block.size):
                triangle, cycle = _triangle(counter_value(block[i] - offset), step_size)
                values[i] = (triangle * amplitude * power_of_half((cycle - 1.0) * halvings)
                             + base_lr)
        else:
            for i in range(block.size):
                triangle = _triangle(counter_value(block[i] - offset), step_size)[0]
                values[i] = triangle * amplitude + base_lr
    return True


# 1 − cos z = Σ_{j>=1} (−1)^(j+1) z^(2j) / (2j)!, to j = 10: truncation below 2e-17 for
# |z| <= π/2, and a small relative error for small z.
_Q1, _Q2, _Q3, _Q4, _Q5, _Q6, _Q7, _Q8, _Q9, _Q10 = (
    (-1.0) ** (j + 1) / math.factorial(2 * j) for j in range(1, 11))


@jit_inline
def cos_pi(f):
    """``cos(π f)`` for ``0 <= f <= 1``, branch-free (vectorizable).

    With ``g = min(f, 1 − f)`` (exact) and ``z = π g <= π/2``: ``cos(π f) = ±(1 − q)``,
    ``q = 1 − cos z`` by its Taylor series. Near ``f = 1``, ``cos(π f) = q − 1`` is rounded
    once from an accurate ``q``, so ``1 + cos(π f)`` is the correctly rounded cosine plus one, as
    in the formula (whose value there is a few ulps of 1, and must be those ulps).
    """
    z = math.pi * min(f, 1.0 - f)
    w = z * z
    p = fma(w, _Q10, _Q9)  # Horner's scheme with explicit fused multiply-adds (exp.py): fast,
    p = fma(w, p, _Q8)     # one rounding each, the same bits wherever it is compiled
    p = fma(w, p, _Q7)
    p = fma(w, p, _Q6)
    p = fma(w, p, _Q5)
    p = fma(w, p, _Q4)
    p = fma(w, p, _Q3)
    p = fma(w, p, _Q2)
    p = fma(w, p, _Q1)
    c = fma(-w, p, 1.0)  # 1 − q, q = w p, with one rounding
    return c if f <= 0.5 else -c


@jit_inline
def annealing(fraction, max_lr, min_lr):
    """``min_lr + ½ (max_lr − min_lr) (1 + cos(π · fraction))`` for ``fraction`` in [0, 1]
    (SGDR's eq. 5; ``1 + cos`` is >= 0, the maximum only makes that explicit)."""
    return max(cos_pi(fraction) + 1.0, 0.0) * (0.5 * (max_lr - min_lr)) + min_lr


@jit
def cosine(t, offset, limit, period, max_lr, min_lr, out):
    """``out[i] = annealing(min(t, T) / T)``, and exactly ``min_lr`` for ``t >= T``."""
    for begin in range(0, t.size, BLOCK):
        block, values = t[begin:begin + BLOCK], out[begin:begin + BLOCK]
        first, last = counter_range(block)
        if first < offset or last > limit:
            return False
        for i in range(block.size):
            ti = counter_value(block[i] - offset)
            value = annealing(min(ti, period) / period, max_lr, min_lr)
            values[i] = min_lr if ti >= period else value
    return True


@jit_inline
def _period(t, starts, periods):
    """``(S_j, T_j)``, the start and length of the period holding counter ``t``: ``(jT, T)``
    with ``j = ⌊t/T⌋`` for one repeating period (``starts.size == 1``), else the last
    ``starts[j] <= t`` (a short search: at most 54 periods start at or before 2**53)."""
    if starts.size == 1:
        period = periods[0]
        return period * np.floor(t / period), period
    j = 0
    while j + 1 < starts.size and starts[j + 1] <= t:
        j += 1
    return float(starts[j]), periods[j]


@jit
def warm_restarts(t, offset, limit, starts, periods, max_lr, min_lr, out):
    """``out[i] = annealing((t − S_j) / T_j)`` for the period ``j`` holding ``t``.

    ``starts``: the first counter of each period (int64, increasing, ``starts[0] = 0``);
    ``periods``: their lengths (float64); one period (``T_mult = 1``) repeats forever. The
    periods are found once per block for its first and last counters; a block that holds more
    than two periods (counters out of order, or periods shorter than half a block) finds each
    counter's own.
    """
    for begin in range(0, t.size, BLOCK):
        block, values = t[begin:begin + BLOCK], out[begin:begin + BLOCK]
        first, last = counter_range(block)
        if first < offset or last > limit:
            return False
        start, period = _period(float(first - offset), starts, periods)
        next_start, next_period = _period(float(last - offset), starts, periods)
        if next_start <= start + period:  # one or two periods (a period starts where one ends)
            for i in range(block.size):
                ti = counter_value(block[i] - offset)
                later = ti >= next_start
                values[i] = (ti - (next_start if later else start)) / (
                    next_period if later else period)
        elif starts.size == 1:
            for i in range(block.size):
                ti = counter_value(block[i] - offset)
                values[i] = (ti - period * np.floor(ti / period)) / period
        else:
            for i in range(block.size):
                ti = counter_value(block[i] - offset)
                own_start, own_period = _period(ti, starts, periods)
                values[i] = (ti - own_start) / own_period
        for i in range(block.size):
            values[i] = annealing(values[i], max_lr, min_lr)
    return True


@jit
def linear_warmup(t, offset, limit, lr, warmup, start_lr, out):
    """``out[i] = start_lr + (lr − start_lr) · (t / w)`` for ``t < w``, else ``lr``."""
    for begin in range(0, t.size, BLOCK):
        block, values = t[begin:begin + BLOCK], out[begin:begin + BLOCK]
        first, last = counter_range(block)
        if first < offset or last > limit:
            return False
        for i in range(block.size):
            ti = counter_value(block[i] - offset)
            ramp = start_lr + (lr - start_lr) * (ti / warmup)
            values[i] = ramp if ti < warmup else lr
    return True


@jit
def transformer_warmup(t, offset, limit, factor, ramp_slope, out):
    """``out[i] = factor · min((t + 1)^(−½), (t + 1) · ramp_slope)``."""
    for begin in range(0, t.size, BLOCK):
        block, values = t[begin:begin + BLOCK], out[begin:begin + BLOCK]
        first, last = counter_range(block)
        if first < offset or last > limit:
            return False
        for i in range(block.size):
            t_plus_one = counter_value(block[i] - offset) + 1.0
            values[i] = factor * min(1.0 / np.sqrt(t_plus_one), t_plus_one * ramp_slope)
    return True


@jit
def sutskever_momentum(t, offset, limit, every, beta_max, out):
    """``out[i] = min(1 − 0.5 / n, beta_max)`` with ``n = ⌊t / every⌋ + 1`` (exact, as in
    :func:`geometric`)."""
    for begin in range(0, t.size, BLOCK):
        block, values = t[begin:begin + BLOCK], out[begin:begin + BLOCK]
        first, last = counter_range(block)
        if first < offset or last > limit:
            return False
        for i in range(block.size):
            n = np.floor(counter_value(block[i] - offset) / every) + 1.0
            values[i] = min(1.0 - 0.5 / n, beta_max)
    return True


@jit
def constant(t, offset, limit, lr, out):
    """``out[i] = lr``."""
    for begin in range(0, t.size, BLOCK):
        block, values = t[begin:begin + BLOCK], out[begin:begin + BLOCK]
        first, last = counter_range(block)
        if first < offset or last > limit:
            return False
        values[:] = lr
    return True
