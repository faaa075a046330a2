"""A vectorizable ``exp`` for the hot loops.

``math.exp`` inside numba is a scalar libm call on this machine (no SVML): 4.3 ns a value,
which makes a compiled sigmoid no faster than numpy (DESIGN.md, performance facts). This one
is branch-free, so LLVM vectorizes the loops that call it, and its chain of dependent
operations is short, which sets the cost of a stochastic-gradient step (each step waits for
the previous one's exp).

Method: the table-driven reduction of Tang (ACM TOMS 15(2), 1989), in the form of ARM's
optimized-routines / musl ``exp``: ``x = (k N + j) ln2 / N + r`` with ``N = 128``,
``|r| <= ln2 / 256``; ``e^x = 2^k · 2^(j/N) · e^r``. ``2^(j/N)`` comes from a 128-entry table
(correctly rounded, with its rounding error kept as a relative "tail" that is added to the
polynomial), ``2^k`` is added to the table value's exponent bits, and ``e^r − 1`` is
musl's degree-5 minimax polynomial. The roundings use explicit fused multiply-adds
(:func:`fma`, one rounding each, so the bits do not depend on the code around a call).
Scales outside the normal exponent range (results below 2^-1021 or above 2^1023) are
built in two steps, exactly as musl's special case, and chosen by a select.

Accuracy: within 1 ulp of ``np.exp`` on the normal range, within one subnormal step below
it (tests/test_exp.py). Overflow gives ``inf``, deep underflow ``0``, ``exp(nan)`` is ``nan``.
"""
import math
from decimal import Decimal, localcontext

import numpy as np
from numba import types
from numba.extending import intrinsic

from .policy import jit, jit_inline


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


@intrinsic
def _float64_bits_as_int64(typingctx, x):
    """Reinterpret the bits of a float64 as an int64 (a bitcast, vectorizable)."""
    if not isinstance(x, types.Float):
        return None

    def codegen(context, builder, signature, args):
        (value,) = args
        value = context.cast(builder, value, signature.args[0], types.float64)
        return builder.bitcast(value, context.get_value_type(types.int64))

    return types.int64(x), codegen


@intrinsic
def fma(typingctx, a, b, c):
    """``a·b + c`` with one rounding (IEEE 754 fusedMultiplyAdd), in float64."""
    if not all(isinstance(arg, (types.Float, types.Integer)) for arg in (a, b, c)):
        return None

    def codegen(context, builder, signature, args):
        values = [context.cast(builder, value, kind, types.float64)
                  for value, kind in zip(args, signature.args)]
        return builder.fma(*values)

    return types.float64(a, b, c), codegen


TABLE_BITS = 7
N = 1 << TABLE_BITS


def _table():
    """``2^(j/N)`` rounded to float64 and the relative rounding error of each, j = 0 … N−1."""
    values = np.empty(N)
    tails = np.empty(N)
    with localcontext() as context:
        context.prec = 40
        ln2 = Decimal(2).ln()
        for j in range(N):
            exact = (ln2 * j / N).exp()
            values[j] = float(exact)
            tails[j] = float((exact - Decimal(values[j])) / Decimal(values[j]))
    return values.view(np.int64).copy(), tails


TABLE_BITS_OF, TABLE_TAIL = _table()
INV_LN2_N = 184.6649652337873  # N / ln 2 (only chooses k; its rounding does not matter)
NEG_LN2_HI_N = -float.fromhex("0x1.62e42fefa0000p-8")  # −ln2/N in two parts (musl)
NEG_LN2_LO_N = -float.fromhex("0x1.cf79abc9e3b3ap-47")
SHIFT = 6755399441055744.0  # 1.5·2^52: adding it rounds to an integer kept in the low bits
SHIFT_BITS = int(np.float64(SHIFT).view(np.int64))
C2 = float.fromhex("0x1.ffffffffffdbdp-2")  # e^r − 1 ≈ r + C2 r² + … + C5 r⁵ (musl, N = 128)
C3 = float.fromhex("0x1.555555555543cp-3")
C4 = float.fromhex("0x1.55555cf172b91p-5")
C5 = float.fromhex("0x1.1111167a4d017p-7")
TWO_TO_MINUS_1022 = 2.2250738585072014e-308
# Past these, exp(x) is inf / rounds to 0 in float64.
OVERFLOW = 709.782712893384
UNDERFLOW = -745.1332191019412


@jit_inline
def exp(x):
    """e^x for a float64 ``x``, branch-free (see the module docstring)."""
    shifted = fma(x, INV_LN2_N, SHIFT)
    kn = _float64_bits_as_int64(shifted) - SHIFT_BITS  # round(x N / ln2) = k N + j
    kd = shifted - SHIFT
    r = fma(kd, NEG_LN2_HI_N, x)
    r = fma(kd, NEG_LN2_LO_N, r)
    j = kn & (N - 1)  # always a valid index, even for inf or nan (their k is discarded)
    k = kn >> TABLE_BITS
    r2 = r * r
    tmp = fma(r2, fma(r, C3, C2), TABLE_TAIL[j] + r)
    tmp = fma(r2 * r2, fma(r, C5, C4), tmp)
    table = TABLE_BITS_OF[j]
    scale = _int64_bits_as_float64(table + (k << 52))
    y = fma(scale, tmp, scale)
    # 2^k outside the normal range: scale by 2^(k+1022) (or 2^(k−1)), then by 2^−1022 (or 2).
    k_in_range = k + 1022 if k < 0 else k - 1
    scale_in_range = _int64_bits_as_float64(table + (k_in_range << 52))
    y_outside = fma(scale_in_range, tmp, scale_in_range) * (TWO_TO_MINUS_1022 if k < 0 else 2.0)
    y = y_outside if (k < -1021 or k > 1023) else y
    y = math.inf if x > OVERFLOW else y
    y = 0.0 if x < UNDERFLOW else y
    return x if x != x else y


@jit
def exp_array(x, out):
    """``out[i] = exp(x[i])`` over 1-D arrays, in float64; for tests and benchmarks."""
    for i in range(x.size):
        out[i] = exp(np.float64(x[i]))


# --- log1p(u) for 0 <= u <= 1: the softplus of the log loss ---------------------------------------
# fdlibm's s_log1p.c (Sun Microsystems, 1993): log1p(u) = k ln2 + log(1 + f) + c, with
# 1 + f = (1 + u) / 2^k in [√2/2, √2], s = f / (2 + f) and log(1 + f) = f − s (f − R(s²)),
# R a degree-7 polynomial in s² (|error| < 2^−58.45 on that range); c corrects the rounding of
# 1 + u. Here u = e^(−|z|) lies in (0, 1], so k is 0 or 1, chosen by a select: branch-free.
LP1 = 6.666666666666735130e-01
LP2 = 3.999999999940941908e-01
LP3 = 2.857142874366239149e-01
LP4 = 2.222219843214978396e-01
LP5 = 1.818357216161805012e-01
LP6 = 1.531383769920937332e-01
LP7 = 1.479819860511658591e-01
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
SQRT2_MINUS_1 = 0.41421356237309503  # below it, k = 0 and f = u exactly


@jit_inline
def log1p_unit(u):
    """log(1 + u) for a float64 ``0 <= u <= 1``, within 1 ulp (fdlibm's log1p, branch-free)."""
    one_plus = 1.0 + u
    large = u >= SQRT2_MINUS_1
    k = 1.0 if large else 0.0
    # k = 1: 1 + f = (1 + u)/2 (exact halving, then exact by Sterbenz), c the rounding of 1 + u
    f = 0.5 * one_plus - 1.0 if large else u
    c = (u - (one_plus - 1.0)) / one_plus if large else 0.0
    half_square = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    r = z * (LP1 + z * (LP2 + z * (LP3 + z * (LP4 + z * (LP5 + z * (LP6 + z * LP7))))))
    return k * LN2_HI - ((half_square - (s * (half_square + r) + (k * LN2_LO + c))) - f)


@jit
def log1p_unit_array(u, out):
    """``out[i] = log1p_unit(u[i])`` over 1-D float64 arrays; for tests."""
    for i in range(u.size):
        out[i] = log1p_unit(u[i])
