"""The sigmoid neuron of the lecture: sigmoid, loss and gradient over a batch (SPEC §1).

Model ``f(x) = σ(w·x + b)``, per-point loss ``ℓ_i = ½ (f_i − y_i)²``, per-point gradient
``∂ℓ_i/∂w = (f_i − y_i) f_i (1 − f_i) x_i``, ``∂ℓ_i/∂b = (f_i − y_i) f_i (1 − f_i)``
(lecture module 5.2, ``grad_w`` and ``grad_b``). ``theta = [w_1 … w_d, b]``.

Arithmetic and accumulation are float64 whatever the data dtype: each float32 value is widened
once when read.

Determinism: a reduction walks the points in fixed blocks of ``BLOCK`` points; each block's
per-point terms are computed by a vectorized loop into a small buffer and then added in index
order; the blocks' partial sums are combined in block order. The serial and the parallel kernels
run exactly this arithmetic (the parallel one only spreads the blocks over threads), so the
result has the same bits for any number of threads, and for either kernel.

The ``*_sum`` kernels return sums; the Python layer divides by ``N`` for ``reduction="mean"``.
"""
import numba
import numpy as np
from numba.extending import overload

from .exp import exp
from .policy import jit, jit_parallel, vectorize

#: Points per block of a reduction (fixed: it defines the order of the sum).
BLOCK = 512
#: Blocks per task of a parallel reduction (``prange`` iterates over groups of blocks, so the
#: block buffers are allocated once per group). Does not change the result, only scheduling.
GROUP = 32
#: From this many points the Python layer calls the parallel kernels: two tasks of ``GROUP``
#: blocks (below that the parallel kernel has one task and only adds its ~2 µs start). Measured
#: (bench/test_bench_model.py, full profile, float64, 2 threads, serial / parallel): 1e3 2.99 /
#: 4.48 µs, 1e4 24.8 / 25.9 µs, 1e5 253 / 158 µs, 1e6 2.59 / 1.22 ms.
PARALLEL_THRESHOLD = 32_768


@jit(inline="always")
def sigmoid(z):
    """σ(z) in the two-branch stable form: ``1/(1+e^−z)`` for z ≥ 0, ``e^z/(1+e^z)`` else."""
    e = exp(-abs(z))
    return 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)


@vectorize
def sigmoid_ufunc(z):
    """σ(z) element-wise on users' arrays (a numpy ufunc), same stable form as ``sigmoid``."""
    if z != z:  # NaN in, NaN out, without the ordered comparisons below raising "invalid"
        return z
    # exp(−inf) would compute inf − inf inside exp's reduction, which raises numpy's "invalid"
    # warning from a ufunc (not from @jit code, which ignores the flag); e^−746 is 0 as well.
    e = exp(max(-abs(numba.float64(z)), -746.0))
    return 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)


# --- one block: terms into a buffer (vectorized), then added in order ------------------------

@jit(inline="always")
def _block_1d(x, y, w, b, start, stop, buf_loss, buf_r, out):
    """Add the block's loss, Σ r x and Σ r (r = (f−y) f (1−f)) to ``out[0:3]``, in order."""
    xs = x[start:stop]
    ys = y[start:stop]
    n = xs.size
    for i in range(n):
        xi = numba.float64(xs[i])
        f = sigmoid(w * xi + b)
        e = f - numba.float64(ys[i])
        buf_loss[i] = 0.5 * e * e
        buf_r[i] = e * f * (1.0 - f)
    loss = 0.0
    gw = 0.0
    gb = 0.0
    for i in range(n):
        r = buf_r[i]
        loss += buf_loss[i]
        gw += r * numba.float64(xs[i])
        gb += r
    out[0] = loss
    out[1] = gw
    out[2] = gb


@jit(inline="always")
def _block_nd(X, y, theta, start, stop, buf_loss, buf_r, out):
    """As ``_block_1d`` for ``X`` of shape (N, d): ``out = [loss, Σ r x_1 … Σ r x_d, Σ r]``."""
    d = X.shape[1]
    b = theta[d]
    for i in range(stop - start):
        row = X[start + i]
        z = b
        for k in range(d):
            z += theta[k] * numba.float64(row[k])
        f = sigmoid(z)
        e = f - numba.float64(y[start + i])
        buf_loss[i] = 0.5 * e * e
        buf_r[i] = e * f * (1.0 - f)
    for k in range(d + 2):
        out[k] = 0.0
    for i in range(stop - start):
        row = X[start + i]
        r = buf_r[i]
        out[0] += buf_loss[i]
        for k in range(d):
            out[1 + k] += r * numba.float64(row[k])
        out[d + 1] += r


def _block(X, y, theta, start, stop, buf_loss, buf_r, out):
    """One block of ``loss_and_gradient_sum``; chooses the 1-D or (N, d) form at compile time."""


@overload(_block, inline="always")
def _block_overload(X, y, theta, start, stop, buf_loss, buf_r, out):
    if X.ndim == 1:
        return lambda X, y, theta, start, stop, buf_loss, buf_r, out: _block_1d(
            X, y, theta[0], theta[1], start, stop, buf_loss, buf_r, out)
    return lambda X, y, theta, start, stop, buf_loss, buf_r, out: _block_nd(
        X, y, theta, start, stop, buf_loss, buf_r, out)


@jit(inline="always")
def _combine(partials, out):
    """Add the blocks' partial sums in block order into ``out`` (fixed order)."""
    for k in range(out.size):
        out[k] = 0.0
    for c in range(partials.shape[0]):
        for k in range(out.size):
            out[k] += partials[c, k]


@jit
def loss_and_gradient_sum(X, y, theta, out):
    """Serial: ``out = [Σ ℓ_i, Σ ∂ℓ_i/∂w_1 … Σ ∂ℓ_i/∂w_d, Σ ∂ℓ_i/∂b]`` over all points.

    ``X``: (N,) or (N, d), float32 or float64; ``y``: (N,), same dtype; ``theta``: (d+1,)
    float64; ``out``: (d+2,) float64, overwritten.
    """
    n = y.size
    n_blocks = (n + BLOCK - 1) // BLOCK
    partials = np.empty((n_blocks, out.size))
    buf_loss = np.empty(BLOCK)
    buf_r = np.empty(BLOCK)
    for c in range(n_blocks):
        _block(X, y, theta, c * BLOCK, min(n, (c + 1) * BLOCK), buf_loss, buf_r, partials[c])
    _combine(partials, out)


@jit_parallel
def loss_and_gradient_sum_parallel(X, y, theta, out):
    """``loss_and_gradient_sum`` with the blocks spread over threads (``prange``); each thread
    writes only its blocks' rows of ``partials``; the same bits as the serial kernel."""
    n = y.size
    n_blocks = (n + BLOCK - 1) // BLOCK
    partials = np.empty((n_blocks, out.size))
    for group in numba.prange((n_blocks + GROUP - 1) // GROUP):
        buf_loss = np.empty(BLOCK)
        buf_r = np.empty(BLOCK)
        for c in range(group * GROUP, min(n_blocks, (group + 1) * GROUP)):
            _block(X, y, theta, c * BLOCK, min(n, (c + 1) * BLOCK), buf_loss, buf_r, partials[c])
    _combine(partials, out)


# --- loss only (no gradient): for the surface, line search and recording ------------------------

@jit(inline="always")
def _block_loss_1d(X, y, theta, start, stop, buf):
    """Σ ½ (f_i − y_i)² over one block of 1-D data, in index order."""
    w = theta[0]
    b = theta[1]
    xs = X[start:stop]
    ys = y[start:stop]
    for i in range(xs.size):
        e = sigmoid(w * numba.float64(xs[i]) + b) - numba.float64(ys[i])
        buf[i] = 0.5 * e * e
    s = 0.0
    for i in range(stop - start):
        s += buf[i]
    return s


@jit(inline="always")
def _block_loss_nd(X, y, theta, start, stop, buf):
    """Σ ½ (f_i − y_i)² over one block of (N, d) data, in index order."""
    d = X.shape[1]
    for i in range(stop - start):
        row = X[start + i]
        z = theta[d]
        for k in range(d):
            z += theta[k] * numba.float64(row[k])
        e = sigmoid(z) - numba.float64(y[start + i])
        buf[i] = 0.5 * e * e
    s = 0.0
    for i in range(stop - start):
        s += buf[i]
    return s


def _block_loss(X, y, theta, start, stop, buf):
    """One block of ``loss_sum``; chooses the 1-D or (N, d) form at compile time."""


@overload(_block_loss, inline="always")
def _block_loss_overload(X, y, theta, start, stop, buf):
    if X.ndim == 1:
        return lambda X, y, theta, start, stop, buf: _block_loss_1d(X, y, theta, start, stop, buf)
    return lambda X, y, theta, start, stop, buf: _block_loss_nd(X, y, theta, start, stop, buf)


@jit
def loss_sum(X, y, theta):
    """Serial ``Σ ½ (f_i − y_i)²`` over all points, summed block by block in a fixed order."""
    n = y.size
    buf = np.empty(BLOCK)
    total = 0.0
    for c in range((n + BLOCK - 1) // BLOCK):
        total += _block_loss(X, y, theta, c * BLOCK, min(n, (c + 1) * BLOCK), buf)
    return total


@jit_parallel
def loss_sum_parallel(X, y, theta):
    """``loss_sum`` with the blocks spread over threads; the same bits as the serial kernel."""
    n = y.size
    n_blocks = (n + BLOCK - 1) // BLOCK
    partials = np.empty(n_blocks)
    for group in numba.prange((n_blocks + GROUP - 1) // GROUP):
        buf = np.empty(BLOCK)
        for c in range(group * GROUP, min(n_blocks, (group + 1) * GROUP)):
            partials[c] = _block_loss(X, y, theta, c * BLOCK, min(n, (c + 1) * BLOCK), buf)
    total = 0.0
    for c in range(n_blocks):
        total += partials[c]
    return total


@jit
def loss_total(X, y, theta, mean, parallel):
    """``Σ ½ (f_i − y_i)²`` over all points, or its mean if ``mean``, at ``theta`` (any float
    dtype; evaluated in float64). With ``parallel``, the parallel kernel from
    ``PARALLEL_THRESHOLD`` points: the same bits either way. (``parallel=False`` inside a
    ``prange`` loop, where a nested parallel region must not start.)"""
    theta64 = theta.astype(np.float64)
    if parallel and y.size >= PARALLEL_THRESHOLD:
        total = loss_sum_parallel(X, y, theta64)
    else:
        total = loss_sum(X, y, theta64)
    return total / y.size if mean else total
