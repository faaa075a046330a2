"""A vectorizable ``exp`` for the hot loops.

``math.exp`` inside numba is a scalar libm call on this machine (no SVML): 4.3 ns a value,
which makes a compiled sigmoid no faster than numpy (DESIGN.md, performance facts). This one
is branch-free, so LLVM vectorizes the loops that call it.

Method (Cody & Waite range reduction, as in Muller, *Elementary Functions*, ch. 11):
``x = k ln2 + r`` with ``k = round(x / ln2)`` and ``|r| <= ln2 / 2``; ``e^r`` by its Taylor
polynomial of degree 13 (truncation error below 2e-17 relative), evaluated by Estrin's scheme; ``2^k`` built from its bits
in two halves, so subnormal results (down to ``x = -745.13``) come out right. Maximum
relative error about 3e-16 on the normal range (tested against ``np.exp`` in
tests/test_exp.py). Overflow gives ``inf``, deep underflow ``0``, ``exp(nan)`` is ``nan``.
"""
import math

import numba
from numba import types
from numba.extending import intrinsic

from .policy import jit

LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k * LN2_HI is exact for |k| < 2^11
LN2_LO = 1.90821492927058770002e-10
# Past these, exp(x) is inf / rounds to 0 in float64.
OVERFLOW = 709.782712893384
UNDERFLOW = -745.1332191019412


@intrinsic
def _int64_bits_as_float64(typingctx, bits):
    """Reinterpret the bits of an int64 as a float64 (a bitcast, vectorizable)."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        (value,) = args
        value = context.cast(builder, value, signature.args[0], types.int64)
        return builder.bitcast(value, context.get_value_type(types.float64))

    return types.float64(bits), codegen


@jit(inline="always")
def _pow2(k):
    """2.0 ** k for an integer-valued float64 ``k`` in [-1022, 1023]."""
    return _int64_bits_as_float64((numba.int64(k) + 1023) << 52)


@jit(inline="always")
def exp(x):
    """e^x for a float64 ``x``, branch-free (see the module docstring)."""
    # Clamp so that the exponent arithmetic below never leaves int range; the selects at the
    # end restore inf, 0 and nan.
    xc = min(max(x, -746.0), 710.0)
    k = math.floor(xc * LOG2E + 0.5)
    r = (xc - k * LN2_HI) - k * LN2_LO
    # e^r = Σ_{j=0..13} r^j / j!, by Estrin's scheme: pairs, then pairs of pairs, so that the
    # chain of dependent operations is 4 levels deep instead of Horner's 13. The throughput
    # of a vectorized loop hardly changes, but one stochastic-gradient step waits for this
    # polynomial before the next step can start: the latency sets its cost.
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    p01 = 1.0 + r
    p23 = 0.5 + r * (1.0 / 6.0)
    p45 = 1.0 / 24.0 + r * (1.0 / 120.0)
    p67 = 1.0 / 720.0 + r * (1.0 / 5040.0)
    p89 = 1.0 / 40320.0 + r * (1.0 / 362880.0)
    p1011 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0)
    p1213 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0)
    p0_3 = p01 + r2 * p23
    p4_7 = p45 + r2 * p67
    p8_11 = p89 + r2 * p1011
    p0_7 = p0_3 + r4 * p4_7
    p8_13 = p8_11 + r4 * p1213
    p = p0_7 + r8 * p8_13
    half = math.floor(k * 0.5)
    y = p * _pow2(half) * _pow2(k - half)
    y = math.inf if x > OVERFLOW else y
    y = 0.0 if x < UNDERFLOW else y
    return x if x != x else y


@jit
def exp_array(x, out):
    """``out[i] = exp(x[i])`` over 1-D arrays, in float64; for tests and benchmarks."""
    for i in range(x.size):
        out[i] = exp(numba.float64(x[i]))
