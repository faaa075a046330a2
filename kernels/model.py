"""The sigmoid neuron: per-point terms, and their sums over a batch or a data set (SPEC §1, §9).

Model ``f(x) = σ(z)``, ``z = w·x + b``, ``theta = [w_1 … w_d, b]``. The loss is chosen by the
type of ``loss`` (``kernels/layout.py``), at compile time:

- ``SquaredError()``: ``ℓ = ½ (f − y)²``, ``∂ℓ/∂z = (f − y) f (1 − f)`` (lecture 5.2, ``grad_w``
  and ``grad_b``);
- ``LogLoss()``: ``ℓ = −y log f − (1 − y) log(1 − f) = (max(z, 0) − y z) + log1p(e^−|z|)``
  (softplus form, finite for every finite z), ``∂ℓ/∂z = f − y``.

So ``∂ℓ/∂w_k = r x_k``, ``∂ℓ/∂b = r`` with ``r = ∂ℓ/∂z``: :func:`point_terms` is the only place
that computes a point's ``(ℓ, r)``. Optional per-point weights ``s`` (None: all 1) multiply every
term; the sums also return ``Σ s`` (the count without weights), the divisor of
``reduction="mean"`` (SPEC §9: the mean over a batch divides by its total weight). An optional
``order`` (None: the data's own order) maps positions to points: a batch is the positions
``[start, stop)`` of an epoch's visiting order, so shuffling copies no data.

Arithmetic and accumulation are float64 whatever the data dtype: each float32 value is widened
once when read.

The order of every sum (it defines the bits, on any number of threads): the positions of a
batch (or of the data set) are cut into blocks of ``BLOCK`` from its first position; within a
block, position ``i`` (counted from the block's start) is added into lane ``i mod LANES`` in
increasing order, and the ``LANES = 8`` lanes are combined by the fixed tree
``((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))``; the blocks' sums are added in block
order. Each block's per-point terms are first computed into small buffers by a loop that LLVM
vectorizes (exp, division), then added lane by lane (also vectorized). The serial and the
parallel kernels run exactly this arithmetic (the parallel one spreads the blocks over threads
and adds their sums in order afterwards), so both give the same bits for any thread count.
"""
from typing import NamedTuple

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .arrays import fill, fill_columns
from .exp import exp, log1p_unit
from .layout import LogLoss, SquaredError
from .policy import jit, jit_inline, jit_parallel, overload, vectorize

#: Points per block of a sum (a multiple of LANES; it defines the order of the sum).
BLOCK = 512
#: Partial sums per block (the order of a block's sum: see the module docstring).
LANES = 8
#: Blocks per task of a parallel sum (``prange`` iterates over groups of blocks, so the work
#: buffers are allocated once per group). Does not change the result, only scheduling.
GROUP = 32
#: From this many points the Python layer (and the epoch loop, for big batches) calls the
#: parallel kernels: two tasks of ``GROUP`` blocks (below that the parallel kernel has one task
#: and only adds its ~2 µs start).
PARALLEL_THRESHOLD = 32_768
#: Rows of ``buffers`` (the per-point work arrays of one block): ℓ, r, r·x (1-D data).
N_BUFFERS = 3


@jit_inline
def sigmoid(z):
    """σ(z) in the two-branch stable form: ``1/(1+e^−z)`` for z ≥ 0, ``e^z/(1+e^z)`` else."""
    e = exp(-abs(z))
    return 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)


@vectorize
def sigmoid_ufunc(z):
    """σ(z) element-wise on users' arrays (a numpy ufunc, compiled per dtype on first use),
    the same stable form as ``sigmoid``, in float64."""
    if z != z:  # NaN in, NaN out, without the ordered comparisons below raising "invalid"
        return numba.float64(z)
    # exp(−inf) would compute inf − inf inside exp's reduction, which raises numpy's "invalid"
    # warning from a ufunc (not from @jit code, which ignores the flag); e^−746 is 0 as well.
    e = exp(max(-abs(numba.float64(z)), -746.0))
    return 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)


# --- one point ------------------------------------------------------------------------------------

def point_terms(loss, z, y):
    """``(ℓ, ∂ℓ/∂z)`` of one point with pre-activation ``z`` and target ``y`` (float64)."""


@overload(point_terms)
def _point_terms(loss, z, y):
    if loss.instance_class is SquaredError:
        def squared(loss, z, y):
            f = sigmoid(z)
            e = f - y
            return 0.5 * e * e, e * f * (1.0 - f)
        return squared
    if loss.instance_class is LogLoss:
        def log(loss, z, y):
            e = exp(-abs(z))
            f = 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)
            return ((z if z > 0.0 else 0.0) - y * z) + log1p_unit(e), f - y
        return log
    return None


def _is_none(value):
    return value is None or isinstance(value, types.NoneType)


def window(values, order, start, stop):
    """What the block reads ``values`` through: ``values[start:stop]`` in the data's order, the
    whole array under a visiting order (``values`` None: None)."""


@overload(window)
def _window(values, order, start, stop):
    if _is_none(values):
        return lambda values, order, start, stop: None
    if _is_none(order):
        return lambda values, order, start, stop: values[start:stop]
    return lambda values, order, start, stop: values


def segment(order, start, stop):
    """The block's part of the visiting order, ``order[start:stop]`` (None: None)."""


@overload(segment)
def _segment(order, start, stop):
    if _is_none(order):
        return lambda order, start, stop: None
    return lambda order, start, stop: order[start:stop]


def gather(values, index, i):
    """The ``i``-th value of the block: ``values[i]`` (``index`` None) or ``values[index[i]]``.
    Indices count up from 0 (or are unsigned): LLVM sees no negative index, so the loops over a
    block are vectorized (numba's wraparound of negative indices would stop it)."""


@overload(gather)
def _gather(values, index, i):
    if _is_none(index):
        return lambda values, index, i: values[i]
    return lambda values, index, i: values[index[i]]


def gather_weight(weights, index, i):
    """The ``i``-th weight of the block as a float64 (``weights`` None: 1.0)."""


@overload(gather_weight)
def _gather_weight(weights, index, i):
    if _is_none(weights):
        return lambda weights, index, i: 1.0
    return lambda weights, index, i: numba.float64(gather(weights, index, i))


@intrinsic
def _prefetch(typingctx, array, index):
    """Ask the processor to bring the cache line of ``array[index]`` (for a 2-D array, the
    lines of row ``index``'s first and last elements) into its caches (LLVM's
    ``llvm.prefetch``: read, keep, data). Only a hint: it cannot fault, and ``index`` must be in
    bounds only for the address to mean something."""
    if not isinstance(array, types.Array) or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        first = context.cast(builder, args[1], signature.args[1], types.intp)
        zero = context.get_constant(types.intp, 0)
        shape = cgutils.unpack_tuple(builder, view.shape)
        strides = cgutils.unpack_tuple(builder, view.strides)
        byte_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]), "llvm.prefetch.p0")
        rows = [[first] + [zero] * (array_type.ndim - 1)]
        if array_type.ndim == 2:  # a row can straddle two cache lines
            rows.append([first, builder.sub(shape[1], context.get_constant(types.intp, 1))])
        for indices in rows:
            pointer = cgutils.get_item_pointer2(context, builder, data=view.data, shape=shape, strides=strides,
                                                layout=array_type.layout, inds=indices, wraparound=False)
            builder.call(function, [builder.bitcast(pointer, byte_pointer), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()
    return types.none(array, index), codegen


@jit_inline
def prefetch_slot(values, index):
    """Prefetch ``values[index]`` (a hint: see ``_prefetch``)."""
    _prefetch(values, index)


def prefetch_points(X, y, weights, order, first, last):
    """Prefetch the points at positions ``[first, last)`` of the visiting order (clipped to
    it), for a loop about to read them: under a shuffled order each point is a cache miss the
    processor cannot foresee (its address comes from ``order``), and fetched ahead of its use it
    costs nothing (1-D SGD on 10^6 shuffled points: 61 → 38 ms an epoch, the ordered epoch's
    time). Nothing without an order (``order`` None: the data's order, which the processor's
    own prefetcher follows)."""


@overload(prefetch_points)
def _prefetch_points(X, y, weights, order, first, last):
    if _is_none(order):
        return lambda X, y, weights, order, first, last: None
    if _is_none(weights):
        def points(X, y, weights, order, first, last):
            for i in range(first, min(last, order.size)):
                point = order[i]
                _prefetch(X, point)
                _prefetch(y, point)
        return points

    def weighted_points(X, y, weights, order, first, last):
        for i in range(first, min(last, order.size)):
            point = order[i]
            _prefetch(X, point)
            _prefetch(y, point)
            _prefetch(weights, point)
    return weighted_points


def gather_row(X, index, i, k):
    """Feature ``k`` of the block's ``i``-th row, as a float64."""


@overload(gather_row)
def _gather_row(X, index, i, k):
    if _is_none(index):
        return lambda X, index, i, k: numba.float64(X[i, k])
    return lambda X, index, i, k: numba.float64(X[index[i], k])


@jit_inline
def lanes_sum(values, n):
    """The sum of ``values[0:n]`` (``n <= BLOCK``) in the lane order of the module docstring."""
    l0 = l1 = l2 = l3 = l4 = l5 = l6 = l7 = 0.0
    full = n - n % LANES
    for i in range(0, full, LANES):
        l0 += values[i]
        l1 += values[i + 1]
        l2 += values[i + 2]
        l3 += values[i + 3]
        l4 += values[i + 4]
        l5 += values[i + 5]
        l6 += values[i + 6]
        l7 += values[i + 7]
    rest = n - full
    if rest > 0:
        l0 += values[full]
    if rest > 1:
        l1 += values[full + 1]
    if rest > 2:
        l2 += values[full + 2]
    if rest > 3:
        l3 += values[full + 3]
    if rest > 4:
        l4 += values[full + 4]
    if rest > 5:
        l5 += values[full + 5]
    if rest > 6:
        l6 += values[full + 6]
    return ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))


# --- one block: terms into buffers (vectorized), then lane sums ----------------------------------

class LossSum(NamedTuple):
    """Sum the loss only (the per-epoch record, line search)."""


class GradientSum(NamedTuple):
    """Sum the gradient (and the weights) only (a training step)."""


class LossAndGradientSum(NamedTuple):
    """Sum both (a training step whose batch loss is recorded; ``model.loss_and_gradient``)."""


#: What each marker sums: (the loss, the gradient).
_SUMS = {LossSum: (True, False), GradientSum: (False, True), LossAndGradientSum: (True, True)}


def block(sums, loss, X, y, weights, order, theta, start, stop, buffers, lanes, out):
    """Add the block's ``Σ s ℓ`` and/or gradient sums (as ``sums`` says: :class:`LossSum`,
    :class:`GradientSum` or :class:`LossAndGradientSum`, chosen at compile time) and ``Σ s`` to
    ``out = [Σ s ℓ, Σ s r x_1 … Σ s r x_d, Σ s r, Σ s]`` over the positions ``[start, stop)`` (at
    most ``BLOCK``). ``buffers``: (N_BUFFERS, BLOCK) float64; ``lanes``: (LANES, d) float64 (work
    arrays)."""


def block_values_1d(sums, loss, X, y, weights, order, w, b, start, stop, buffers):
    """The sums of one block of 1-D data at ``(w, b)`` as values: ``(Σ s ℓ, Σ s r x, Σ s r,
    Σ s)``, each in lane order (0.0 for what ``sums`` does not ask): :func:`block` for one
    feature, and the training loop that keeps ``w`` and ``b`` in registers."""


@overload(block_values_1d)
def _block_values_1d(sums, loss, X, y, weights, order, w, b, start, stop, buffers):
    with_loss, with_gradient = _SUMS[sums.instance_class]

    def values_1d(sums, loss, X, y, weights, order, w, b, start, stop, buffers):
        n = stop - start
        index = segment(order, start, stop)
        xs, ys, ss = window(X, order, start, stop), window(y, order, start, stop), window(
            weights, order, start, stop)
        values, residuals, products = buffers[0], buffers[1], buffers[2]
        for i in range(n):
            x = numba.float64(gather(xs, index, i))
            value, r = point_terms(loss, w * x + b, numba.float64(gather(ys, index, i)))
            s = gather_weight(ss, index, i)
            if with_loss:
                values[i] = s * value
            if with_gradient:
                residuals[i] = s * r
                products[i] = s * r * x
        total = lanes_sum(values, n) if with_loss else 0.0
        gw = lanes_sum(products, n) if with_gradient else 0.0
        gb = lanes_sum(residuals, n) if with_gradient else 0.0
        return total, gw, gb, block_weight(ss, index, n, values)
    return values_1d


@overload(block)
def _block(sums, loss, X, y, weights, order, theta, start, stop, buffers, lanes, out):
    with_loss, with_gradient = _SUMS[sums.instance_class]
    if X.ndim == 1:
        def one_feature(sums, loss, X, y, weights, order, theta, start, stop, buffers, lanes, out):
            total, gw, gb, weight_sum = block_values_1d(sums, loss, X, y, weights, order, theta[0], theta[1],
                                                        start, stop, buffers)
            if with_loss:
                out[0] += total
            if with_gradient:
                out[1] += gw
                out[2] += gb
            out[3] += weight_sum
        return one_feature

    def features(sums, loss, X, y, weights, order, theta, start, stop, buffers, lanes, out):
        n = stop - start
        d = X.shape[1]
        index = segment(order, start, stop)
        xs, ys, ss = window(X, order, start, stop), window(y, order, start, stop), window(
            weights, order, start, stop)
        values, residuals, zs = buffers[0], buffers[1], buffers[2]
        b = theta[d]
        for i in range(n):  # z row by row (features in order) ...
            z = b
            for k in range(d):
                z += theta[k] * gather_row(xs, index, i, k)
            zs[i] = z
        for i in range(n):  # ... then the terms, vectorized across rows
            value, r = point_terms(loss, zs[i], numba.float64(gather(ys, index, i)))
            s = gather_weight(ss, index, i)
            if with_loss:
                values[i] = s * value
            if with_gradient:
                residuals[i] = s * r
        if with_loss:
            out[0] += lanes_sum(values, n)
        if with_gradient:
            fill_columns(lanes, d, 0.0)
            for i in range(n):  # lanes[l, k]: rows i = l (mod LANES) in order; vectorized over k
                lane = i % LANES
                r = residuals[i]
                for k in range(d):
                    lanes[lane, k] += r * gather_row(xs, index, i, k)
            for k in range(d):
                out[1 + k] += ((lanes[0, k] + lanes[1, k]) + (lanes[2, k] + lanes[3, k])) + (
                    (lanes[4, k] + lanes[5, k]) + (lanes[6, k] + lanes[7, k]))
            out[d + 1] += lanes_sum(residuals, n)
        out[d + 2] += block_weight(ss, index, n, values)
    return features


def block_weight(weights, index, n, buffer):
    """``Σ s`` over the block, in lane order (``n`` without weights); uses ``buffer``."""


@overload(block_weight)
def _block_weight(weights, index, n, buffer):
    if _is_none(weights):
        return lambda weights, index, n, buffer: numba.float64(n)

    def weighted(weights, index, n, buffer):
        for i in range(n):
            buffer[i] = gather_weight(weights, index, i)
        return lanes_sum(buffer, n)
    return weighted


@jit_inline
def _work_arrays(d):
    """``(buffers, lanes)`` for the block kernels: (N_BUFFERS, BLOCK) and (LANES, d) float64."""
    return np.empty((N_BUFFERS, BLOCK)), np.empty((LANES, max(d, 1)))


# --- sums over a range of positions, serial and parallel -----------------------------------------

@jit
def range_sums(sums, loss, X, y, weights, order, theta, start, stop, out):
    """``out`` ← the sums ``sums`` asks for (see :func:`block`) over the positions
    ``[start, stop)``, block by block in order (zeroed first)."""
    buffers, lanes = _work_arrays(theta.size - 1)
    fill(out, 0.0)
    partial = np.empty(out.size)
    for first in range(start, stop, BLOCK):
        fill(partial, 0.0)
        block(sums, loss, X, y, weights, order, theta, first, min(stop, first + BLOCK), buffers, lanes, partial)
        for k in range(out.size):
            out[k] += partial[k]


@jit
def block_sums(sums, loss, X, y, weights, order, theta, start, stop, first_block, last_block, partials):
    """The blocks ``first_block … last_block − 1`` of the positions ``[start, stop)``, each
    block's sums (see :func:`block`) into its own row of ``partials`` (zeroed first): one task of
    a sum spread over threads by the caller (``fastoptim.threads``); :func:`combine` then adds
    the rows in block order, which gives the bits of :func:`range_sums`."""
    buffers, lanes = _work_arrays(theta.size - 1)
    for c in range(first_block, last_block):
        row = partials[c]
        fill(row, 0.0)
        first = start + c * BLOCK
        block(sums, loss, X, y, weights, order, theta, first, min(stop, first + BLOCK), buffers, lanes, row)


@jit
def combine(partials, out):
    """``out`` ← the rows of ``partials`` added in order (from zero)."""
    fill(out, 0.0)
    for c in range(partials.shape[0]):
        for k in range(out.size):
            out[k] += partials[c, k]


@jit
def _group_sums(sums, loss, X, y, weights, order, theta, start, stop, group, partials):
    """The blocks of one group of :func:`range_sums_parallel`, each block's sums into its row
    of ``partials``."""
    buffers, lanes = _work_arrays(theta.size - 1)
    for c in range(group * GROUP, min(partials.shape[0], (group + 1) * GROUP)):
        first = start + c * BLOCK
        block(sums, loss, X, y, weights, order, theta, first, min(stop, first + BLOCK), buffers, lanes,
              partials[c])


@jit_parallel
def range_sums_parallel(sums, loss, X, y, weights, order, theta, start, stop, out):
    """:func:`range_sums` with the blocks spread over threads, each block's sums kept apart
    and added in order afterwards: the same bits."""
    n_blocks = (stop - start + BLOCK - 1) // BLOCK
    partials = np.zeros((n_blocks, out.size))
    for group in numba.prange((n_blocks + GROUP - 1) // GROUP):
        _group_sums(sums, loss, X, y, weights, order, theta, start, stop, group, partials)
    fill(out, 0.0)
    for c in range(n_blocks):
        for k in range(out.size):
            out[k] += partials[c, k]


# --- over a whole data set: the public kernels ----------------------------------------------------

@jit
def loss_and_gradient_sum(X, y, theta, out, loss=SquaredError(), weights=None):
    """Serial: ``out = [Σ s ℓ_i, Σ s ∂ℓ_i/∂w_1 … Σ s ∂ℓ_i/∂w_d, Σ s ∂ℓ_i/∂b, Σ s]`` over all points.

    ``X``: (N,) or (N, d), float32 or float64; ``y``: (N,), same dtype; ``theta``: (d+1,)
    float64; ``out``: (d+3,) float64, overwritten; ``loss``: ``SquaredError()`` (default) or
    ``LogLoss()``; ``weights``: (N,) of the data's dtype, or None.
    """
    range_sums(LossAndGradientSum(), loss, X, y, weights, None, theta, 0, y.size, out)


@jit
def loss_and_gradient_sum_parallel(X, y, theta, out, loss=SquaredError(), weights=None):
    """``loss_and_gradient_sum`` with the blocks spread over threads; the same bits."""
    range_sums_parallel(LossAndGradientSum(), loss, X, y, weights, None, theta, 0, y.size, out)


@jit
def loss_sum(X, y, theta, loss=SquaredError(), weights=None):
    """Serial ``(Σ s ℓ_i, Σ s)`` over all points, in the order of the module docstring."""
    out = np.empty(theta.size + 2)
    range_sums(LossSum(), loss, X, y, weights, None, theta, 0, y.size, out)
    return out[0], out[theta.size + 1]


@jit
def loss_sum_parallel(X, y, theta, loss=SquaredError(), weights=None):
    """``loss_sum`` with the blocks spread over threads; the same bits as the serial kernel."""
    out = np.empty(theta.size + 2)
    range_sums_parallel(LossSum(), loss, X, y, weights, None, theta, 0, y.size, out)
    return out[0], out[theta.size + 1]
