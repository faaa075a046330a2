"""Training steps in one compiled call (SPEC §2-§4): batch, stochastic and mini-batch visiting,
every optimizer through ``updates.update_views`` (the bits of ``updates.update``), Nesterov's
look-ahead, line search, recording.

``run_steps`` runs the batches ``first_batch … first_batch + n_steps − 1`` of an epoch: batch
``q`` is the positions ``[q B, min(N, (q+1) B))`` of the epoch's visiting order (``order``, or
the data's own order when ``order`` is None), so one epoch may be cut into several calls (the
Python layer hands it the learning rates of a chunk of steps at a time). At the call's step
``k`` (global step ``t = step0 + k + 1``):

1. the point where the gradient is taken: ``θ``, or ``θ̃ = θ − β u`` (rounded to θ's dtype) for
   Nesterov's look-ahead form (lecture 5.5, SPEC §3.1; ``hyper`` is then Momentum's record);
2. the batch gradient there, float64, in the order of ``model`` (a scalar path for one point
   of 1-D data; the parallel kernel for batches of ``model.PARALLEL_THRESHOLD`` points or more
   when ``parallel``), divided by the batch's total weight for the mean; the batch loss too,
   when it is recorded or a line search needs it;
3. line search (SPEC §4), if candidates are given: each candidate ``η`` is tried on a copy of
   ``θ`` and the state, the batch loss at the result is compared, the first lowest wins;
4. the update ``updates.update_views(hyper, …, t, η_k, β_k)`` in place;
5. divergence: if the gradient is not finite (for the squared error: exactly when the batch
   loss is not), or ``θ`` or a state slot is not finite after the update, the call stops at that
   step with ``θ``, the slots and the scalars as they were before it (it rewinds to its start
   and runs the steps before that one again: the same bits, and no per-step copy);
6. recording (each record array is either empty, or one entry per step): the batch loss (at
   the point of step 1), the ``η`` and ``β`` used, and ``θ`` after the step.

``θ`` and the optimizer's slots have one dtype (that of the data: float32 data trains in
float32); gradients are accumulated in float64 and rounded to that dtype for the update.
"""
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from . import updates
from .arrays import assign, fill
from .layout import LookaheadHyper, Parallel
from .model import (BLOCK, PARALLEL_THRESHOLD, GradientSum, LossAndGradientSum, LossSum, _is_none,
                    _work_arrays, block, block_values_1d, gather, gather_row, gather_weight, point_terms, prefetch_points,
                    range_sums_parallel,
                    segment, window)
from .policy import jit, jit_inline, overload

#: One-point steps prefetch the point this many positions ahead of the one they read (under a
#: shuffled order; ``model.prefetch_points``): far enough that its cache miss is over when the
#: step reaches it (~20 ns a step against ~100 ns a miss), near enough that it stays cached.
PREFETCH_AHEAD = 16


@intrinsic
def _borrowed(typingctx, array):
    """The same array (data, shape, strides) without its owner: no reference counting.

    Numba counts references to an array's memory with atomic increments and decrements around
    calls, slices and branches; in the per-step loop of a 2-parameter model these cost more
    than the step itself. A borrowed view (and every slice of it) must not outlive its owner:
    ``run_steps`` borrows only its arguments and its own locals, keeps those locals alive to its
    returns (``_keep_alive``: numba frees a local after its last use, and a borrowed view does
    not count as a use), and stores the views nowhere.
    """
    if not isinstance(array, types.Array):
        return None

    def codegen(context, builder, signature, args):
        (value,) = args
        source = context.make_array(signature.args[0])(context, builder, value=value)
        view = context.make_array(signature.return_type)(context, builder)
        view.meminfo = cgutils.get_null_value(view.meminfo.type)
        view.parent = cgutils.get_null_value(view.parent.type)
        view.nitems = source.nitems
        view.itemsize = source.itemsize
        view.data = source.data
        view.shape = source.shape
        view.strides = source.strides
        return view._getvalue()

    return array(array), codegen


def borrowed(value):
    """``_borrowed(value)`` for an array, None for None."""


@overload(borrowed)
def _borrowed_or_none(value):
    if _is_none(value):
        return lambda value: None
    return lambda value: _borrowed(value)


@jit_inline
def _keep_alive(first, second, third, fourth):
    """Use four arrays. Numba frees a local array after its last use; calling this at every
    return keeps the owners of borrowed views alive through the loop that uses the views."""
    return first.size + second.size + third.size + fourth.size


def batch_sums(X, y, weights, order, loss, theta, start, stop, step_loss, parallel, buffers, lanes,
               out):
    """``out = [Σ s ℓ, Σ s ∂ℓ/∂θ …, Σ s]`` over the batch ``[start, stop)``, block by block in
    order; ``Σ s ℓ`` is computed only when the loss is recorded (``step_loss`` not None), and
    batches of ``PARALLEL_THRESHOLD`` points or more go to the parallel kernel only when
    ``parallel`` is ``Parallel()`` (both chosen at compile time)."""


@overload(batch_sums)
def _batch_sums(X, y, weights, order, loss, theta, start, stop, step_loss, parallel, buffers, lanes,
                out):
    Sums = GradientSum if _is_none(step_loss) else LossAndGradientSum  # (a class: built inside, compile time)

    def serial(X, y, weights, order, loss, theta, start, stop, step_loss, parallel, buffers, lanes,
               out):
        fill(out, 0.0)
        for first in range(start, stop, BLOCK):
            last = min(stop, first + BLOCK)
            prefetch_points(X, y, weights, order, last, 2 * last - first)  # the next block's points
            block(Sums(), loss, X, y, weights, order, theta, first, last, buffers, lanes, out)

    if parallel.instance_class is not Parallel:
        return serial

    def serial_or_parallel(X, y, weights, order, loss, theta, start, stop, step_loss, parallel,
                           buffers, lanes, out):
        if stop - start >= PARALLEL_THRESHOLD:
            range_sums_parallel(Sums(), loss, X, y, weights, order, theta, start, stop, out)
        else:
            fill(out, 0.0)
            for first in range(start, stop, BLOCK):
                last = min(stop, first + BLOCK)
                prefetch_points(X, y, weights, order, last, 2 * last - first)
                block(Sums(), loss, X, y, weights, order, theta, first, last, buffers, lanes, out)
    return serial_or_parallel


def positions(y, order):
    """Positions in the visiting order: the data's size, or the order's."""


@overload(positions)
def _positions(y, order):
    if _is_none(order):
        return lambda y, order: y.size
    return lambda y, order: order.size


@jit
def batch_loss(X, y, weights, order, loss, theta, start, stop, mean, buffers, lanes, out):
    """``J_S`` over the batch ``[start, stop)`` at ``theta`` (sum, or over the batch's weight)."""
    fill(out, 0.0)
    for first in range(start, stop, BLOCK):
        block(LossSum(), loss, X, y, weights, order, theta, first, min(stop, first + BLOCK), buffers, lanes,
              out)
    return out[0] / out[out.size - 1] if _divides(mean, out[out.size - 1]) else out[0]


@jit_inline
def _divides(mean, weight):
    """Whether a batch's sums are divided by its weight: under ``mean``, unless the weight is
    1 (x / 1 is x: skipped, it would lengthen SGD's chain) or 0 (a batch of zero-weight points
    contributes nothing: its sums, 0, stand)."""
    return mean and weight != 1.0 and weight != 0.0


@jit_inline
def _all_finite(values):
    """Every element of a 1-D array is finite."""
    for k in range(values.size):
        if not np.isfinite(values[k]):
            return False
    return True


@jit_inline
def _all_rows_finite(rows):
    """Every element of a 2-D array is finite."""
    for r in range(rows.shape[0]):
        for i in range(rows.shape[1]):
            if not np.isfinite(rows[r, i]):
                return False
    return True


@jit
def line_search_step(hyper, X, y, weights, order, loss, start, stop, mean, theta, grads, slots,
                     scalars, step, beta, candidates, buffers, lanes, out):
    """SPEC §4 on the batch ``[start, stop)``: try every candidate η on a copy of ``θ`` and the
    state, keep the first with the lowest batch loss, apply it in place; return that η. (If no
    candidate gives a finite loss the first is applied, and the caller sees a non-finite θ.)"""
    trial = np.empty_like(theta)
    trial64 = np.empty(theta.size)
    trial_slots = np.empty_like(slots)
    trial_scalars = np.empty_like(scalars)
    best_theta = theta.copy()
    best_slots = slots.copy()
    best_scalars = scalars.copy()
    n_slots = slots.shape[0]
    best = np.inf
    lr = candidates[0]
    for c in range(candidates.size):
        assign(trial, theta)
        assign(trial_slots, slots)
        assign(trial_scalars, scalars)
        updates.update_views(hyper, trial, grads, trial_slots[0] if n_slots > 0 else grads,
                             trial_slots[1] if n_slots > 1 else grads,
                             trial_slots[2] if n_slots > 2 else grads, trial_scalars, step,
                             candidates[c], beta)
        for i in range(theta.size):
            trial64[i] = trial[i]
        value = batch_loss(X, y, weights, order, loss, trial64, start, stop, mean, buffers, lanes,
                           out)
        if value < best:
            best = value
            lr = candidates[c]
            assign(best_theta, trial)
            assign(best_slots, trial_slots)
            assign(best_scalars, trial_scalars)
    if best == np.inf:
        updates.update_views(hyper, theta, grads, slots[0] if n_slots > 0 else grads,
                             slots[1] if n_slots > 1 else grads, slots[2] if n_slots > 2 else grads,
                             scalars, step, lr, beta)
    else:
        assign(theta, best_theta)
        assign(slots, best_slots)
        assign(scalars, best_scalars)
    return lr


def _one_point(hyper, X, y, weights, order, loss, theta, beta, velocity, start, stop, mean,
               step_loss, grads):
    """The gradient of a one-point batch into ``grads``: returns ``(True, batch loss)`` (NaN
    when not recorded); ``(False, NaN)`` (nothing done) for other batches. The block path's
    arithmetic for a block of one (its lane sums of one term are that term), without its
    buffers, and for 1-D data in registers: no store and reload on SGD's chain of dependent
    operations (each costs a store-to-load forwarding delay)."""


@overload(_one_point)
def _one_point_overload(hyper, X, y, weights, order, loss, theta, beta, velocity, start, stop,
                        mean, step_loss, grads):
    with_loss = not _is_none(step_loss)
    if X.ndim != 1:
        def one_row(hyper, X, y, weights, order, loss, theta, beta, velocity, start, stop, mean,
                    step_loss, grads):
            if stop - start != 1:
                return False, np.nan
            prefetch_points(X, y, weights, order, start + PREFETCH_AHEAD, start + PREFETCH_AHEAD + 1)
            d = X.shape[1]
            index = segment(order, start, stop)
            xs, ys, ss = window(X, order, start, stop), window(y, order, start, stop), window(
                weights, order, start, stop)
            z = np.float64(_point_value(hyper, theta, velocity, beta, d))  # b, then the features in order
            for k in range(d):
                z += np.float64(_point_value(hyper, theta, velocity, beta, k)) * gather_row(xs, index, 0, k)
            value, r = point_terms(loss, z, np.float64(gather(ys, index, 0)))
            s = gather_weight(ss, index, 0)
            sr = s * r
            divide = _divides(mean, s)
            for k in range(d):
                g = sr * gather_row(xs, index, 0, k)
                grads[k] = g / s if divide else g
            grads[d] = sr / s if divide else sr
            if not with_loss:
                return True, np.nan
            value = s * value
            return True, value / s if divide else value
        return one_row

    def one_point(hyper, X, y, weights, order, loss, theta, beta, velocity, start, stop, mean,
                  step_loss, grads):
        if stop - start != 1:
            return False, np.nan
        prefetch_points(X, y, weights, order, start + PREFETCH_AHEAD, start + PREFETCH_AHEAD + 1)
        w, b = _point_value(hyper, theta, velocity, beta, 0), _point_value(hyper, theta, velocity, beta, 1)
        index = segment(order, start, stop)
        xs, ys, ss = window(X, order, start, stop), window(y, order, start, stop), window(
            weights, order, start, stop)
        x = np.float64(gather(xs, index, 0))
        value, r = point_terms(loss, np.float64(w) * x + np.float64(b), np.float64(gather(ys, index, 0)))
        s = gather_weight(ss, index, 0)
        gw, gb = s * r * x, s * r
        divide = _divides(mean, s)
        grads[0] = gw / s if divide else gw
        grads[1] = gb / s if divide else gb
        if not with_loss:
            return True, np.nan
        value = s * value
        return True, value / s if divide else value
    return one_point


@jit_inline
def step_gradient(hyper, X, y, weights, order, loss, theta, beta, velocity, start, stop, mean,
                  step_loss, parallel, point, buffers, lanes, out, grads):
    """The batch gradient of one step into ``grads`` (θ's dtype), at θ or (``LookaheadHyper``)
    the look-ahead point ``θ − β·velocity``; returns the batch loss (unspecified when ``step_loss`` is None: not
    computed)."""
    done, value = _one_point(hyper, X, y, weights, order, loss, theta, beta, velocity, start,
                             stop, mean, step_loss, grads)
    if done:
        return value
    for i in range(theta.size):  # the gradient's point θ or θ − β u, rounded to θ's dtype
        point[i] = _point_value(hyper, theta, velocity, beta, i)
    batch_sums(X, y, weights, order, loss, point, start, stop, step_loss, parallel, buffers, lanes,
               out)
    total = out[out.size - 1]
    divide = _divides(mean, total)
    for i in range(grads.size):
        grads[i] = out[i + 1] / total if divide else out[i + 1]
    return out[0] / total if divide else out[0]


def _update(hyper, X, y, weights, order, loss, start, stop, mean, theta, grads, slots, first, second,
            third, scalars, step, lr, beta, candidates, buffers, lanes, out):
    """The step's update at rate ``lr``, or (``candidates`` not None) the line search's; returns
    the η applied. Line search is compiled only into runs that use it."""


@overload(_update)
def _update_overload(hyper, X, y, weights, order, loss, start, stop, mean, theta, grads, slots,
                     first, second, third, scalars, step, lr, beta, candidates, buffers, lanes, out):
    if _is_none(candidates):
        def at_rate(hyper, X, y, weights, order, loss, start, stop, mean, theta, grads, slots, first,
                    second, third, scalars, step, lr, beta, candidates, buffers, lanes, out):
            updates.update_views(hyper, theta, grads, first, second, third, scalars, step, lr, beta)
            return lr
        return at_rate

    def searched(hyper, X, y, weights, order, loss, start, stop, mean, theta, grads, slots, first,
                 second, third, scalars, step, lr, beta, candidates, buffers, lanes, out):
        return line_search_step(hyper, X, y, weights, order, loss, start, stop, mean, theta, grads,
                                slots, scalars, step, beta, candidates, buffers, lanes, out)
    return searched


def _record(records, k, value):
    """``records[k] = value`` unless ``records`` is None (not recorded)."""


@overload(_record)
def _record_overload(records, k, value):
    if _is_none(records):
        return lambda records, k, value: None

    def record(records, k, value):
        records[k] = value
    return record


def _record_theta(trajectory, k, theta):
    """``trajectory[k] = θ`` unless ``trajectory`` is None."""


@overload(_record_theta)
def _record_theta_overload(trajectory, k, theta):
    if _is_none(trajectory):
        return lambda trajectory, k, theta: None

    def record(trajectory, k, theta):
        for i in range(theta.size):
            trajectory[k, i] = theta[i]
    return record


def _point_value(hyper, theta, velocity, beta, i):
    """``θ_i``, or for ``LookaheadHyper`` (chosen at compile time) Nesterov's look-ahead
    ``θ_i − β u_i`` rounded to θ's dtype (SPEC §3.1)."""


@overload(_point_value)
def _point_value_overload(hyper, theta, velocity, beta, i):
    if hyper.instance_class is LookaheadHyper:
        return lambda hyper, theta, velocity, beta, i: theta.dtype.type(theta[i] - beta * velocity[i])
    return lambda hyper, theta, velocity, beta, i: theta[i]


def _gradient_point(hyper, state, beta, to):
    """``(w, b)`` where the gradient is taken: θ, or for ``LookaheadHyper`` Nesterov's
    look-ahead ``θ − β u`` rounded to θ's dtype (``state``: the register state, u its first
    slot)."""


@overload(_gradient_point)
def _gradient_point_overload(hyper, state, beta, to):
    if hyper.instance_class is LookaheadHyper:
        def lookahead(hyper, state, beta, to):
            w, w0, _, _, b, b0, _, _ = state
            return to(w - beta * w0), to(b - beta * b0)
        return lookahead

    def at_theta(hyper, state, beta, to):
        return state[0], state[4]
    return at_theta


@jit_inline
def _register_step(hyper, state, total, gw, gb, weight_sum, mean, beta, step, lr, scalars, to):
    """The update of the register state from the batch sums: ``(applied, state)``; not applied
    (the state as it was, NAdam's product restored) if the gradient or a result is not finite."""
    divide = _divides(mean, weight_sum)
    grad_w = to(gw / weight_sum if divide else gw)
    grad_b = to(gb / weight_sum if divide else gb)
    if not (np.isfinite(grad_w) and np.isfinite(grad_b)):
        return False, state
    w, w0, w1, w2, b, b0, b1, b2 = state
    product = scalars[updates.S_MU_PRODUCT]  # (NAdam's running product: restored if the step is refused)
    coefficients = updates.coefficients_of(hyper, scalars, step, lr, beta)
    new_w, new_w0, new_w1, new_w2 = updates.rule_element(hyper, coefficients, w, grad_w, w0, w1, w2)
    new_b, new_b0, new_b1, new_b2 = updates.rule_element(hyper, coefficients, b, grad_b, b0, b1, b2)
    if not (np.isfinite(new_w) and np.isfinite(new_b) and np.isfinite(new_w0) and np.isfinite(new_b0)
            and np.isfinite(new_w1) and np.isfinite(new_b1) and np.isfinite(new_w2) and np.isfinite(new_b2)):
        scalars[updates.S_MU_PRODUCT] = product
        return False, state
    return True, (new_w, new_w0, new_w1, new_w2, new_b, new_b0, new_b1, new_b2)


@jit_inline
def _record_register_step(step_loss, step_lr, step_beta, trajectory, k, total, weight_sum, mean, lr, beta, state):
    """The records of step ``k`` (each None: not recorded)."""
    divide = _divides(mean, weight_sum)
    _record(step_loss, k, total / weight_sum if divide else total)
    _record(step_lr, k, lr)
    _record(step_beta, k, beta)
    _record_pair(trajectory, k, state[0], state[4])


def _record_pair(trajectory, k, w, b):
    """``trajectory[k] = (w, b)`` unless ``trajectory`` is None."""


@overload(_record_pair)
def _record_pair_overload(trajectory, k, w, b):
    if _is_none(trajectory):
        return lambda trajectory, k, w, b: None

    def record(trajectory, k, w, b):
        trajectory[k, 0] = w
        trajectory[k, 1] = b
    return record


def _steps_in_registers(hyper, loss, X, y, weights, order, batch_size, first_batch, n_steps, mean,
                        parallel, theta, slots, scalars, step0, lrs, betas, candidates, step_loss, step_lr,
                        step_beta, trajectory, buffers):
    """``run_steps`` for 1-D data (θ = [w, b]) without line search or parallel batches, with
    ``w``, ``b`` and their slots held in registers across steps (the rule's element function
    on each, ``updates.rule_element``): the same arithmetic as the array path, without a store
    and a reload of θ, the gradient and the slots on every step's chain of dependent
    operations. A step is applied only if its gradient and its results are finite, so a
    divergence needs no rewind. Returns the steps completed. Only where it applies
    (``_in_registers``): 1-D data, no line search, no batches for the parallel kernel."""


def _in_registers(X, candidates, parallel):
    """Whether ``run_steps`` takes the register path, from the argument types (compile time)."""
    return X.ndim == 1 and _is_none(candidates) and parallel.instance_class is not Parallel


@overload(_steps_in_registers)
def _steps_in_registers_overload(hyper, loss, X, y, weights, order, batch_size, first_batch, n_steps, mean,
                                 parallel, theta, slots, scalars, step0, lrs, betas, candidates,
                                 step_loss, step_lr, step_beta, trajectory, buffers):
    if not _in_registers(X, candidates, parallel):
        return None
    Sums = GradientSum if _is_none(step_loss) else LossAndGradientSum  # (a class: built inside, compile time)

    def in_registers(hyper, loss, X, y, weights, order, batch_size, first_batch, n_steps, mean,
                     parallel, theta, slots, scalars, step0, lrs, betas, candidates, step_loss, step_lr,
                     step_beta, trajectory, buffers):
        n = positions(y, order)
        to = theta.dtype.type
        zero = to(0.0)
        n_slots = slots.shape[0]
        # θ and the slot values of w and of b (unused slots: 0)
        state = (theta[0], slots[0, 0] if n_slots > 0 else zero, slots[1, 0] if n_slots > 1 else zero,
                 slots[2, 0] if n_slots > 2 else zero, theta[1], slots[0, 1] if n_slots > 0 else zero,
                 slots[1, 1] if n_slots > 1 else zero, slots[2, 1] if n_slots > 2 else zero)
        default_beta = updates.momentum_of(hyper)
        done = n_steps
        if batch_size == 1:  # (two loops: each body stays small enough to keep the state in registers)
            for k in range(n_steps):
                start = first_batch + k
                beta = betas[k] if betas.size > 0 else default_beta
                wp, bp = _gradient_point(hyper, state, beta, to)
                prefetch_points(X, y, weights, order, start + PREFETCH_AHEAD, start + PREFETCH_AHEAD + 1)
                index = segment(order, start, start + 1)
                xs, ys, ss = window(X, order, start, start + 1), window(y, order, start, start + 1), window(
                    weights, order, start, start + 1)
                x = np.float64(gather(xs, index, 0))
                value, r = point_terms(loss, np.float64(wp) * x + np.float64(bp), np.float64(gather(ys, index, 0)))
                s = gather_weight(ss, index, 0)  # (the block path's arithmetic for a block of one)
                ok, state = _register_step(hyper, state, s * value, s * r * x, s * r, s, mean, beta, step0 + k + 1,
                                           lrs[k], scalars, to)
                if not ok:
                    done = k
                    break
                _record_register_step(step_loss, step_lr, step_beta, trajectory, k, s * value, s, mean, lrs[k], beta,
                                      state)
        else:
            for k in range(n_steps):
                start = (first_batch + k) * batch_size
                stop = min(n, start + batch_size)
                beta = betas[k] if betas.size > 0 else default_beta
                wp, bp = _gradient_point(hyper, state, beta, to)
                total = gw = gb = weight_sum = 0.0
                for first in range(start, stop, BLOCK):
                    last = min(stop, first + BLOCK)
                    prefetch_points(X, y, weights, order, last, 2 * last - first)  # the next block's points
                    block_total, block_gw, block_gb, block_weight_sum = block_values_1d(
                        Sums(), loss, X, y, weights, order, np.float64(wp), np.float64(bp), first, last, buffers)
                    total += block_total
                    gw += block_gw
                    gb += block_gb
                    weight_sum += block_weight_sum
                ok, state = _register_step(hyper, state, total, gw, gb, weight_sum, mean, beta, step0 + k + 1, lrs[k],
                                           scalars, to)
                if not ok:
                    done = k
                    break
                _record_register_step(step_loss, step_lr, step_beta, trajectory, k, total, weight_sum, mean, lrs[k],
                                      beta, state)
        w, w0, w1, w2, b, b0, b1, b2 = state
        theta[0], theta[1] = w, b
        if n_slots > 0:
            slots[0, 0], slots[0, 1] = w0, b0
        if n_slots > 1:
            slots[1, 0], slots[1, 1] = w1, b1
        if n_slots > 2:
            slots[2, 0], slots[2, 1] = w2, b2
        return done
    return in_registers


@jit
def run_steps(hyper, loss, X, y, weights, order, batch_size, first_batch, n_steps, mean,
              parallel, theta, slots, scalars, step0, lrs, betas, candidates,
              step_loss, step_lr, step_beta, trajectory):
    """Run ``n_steps`` steps in place; return the number of steps completed.

    Arguments (arrays first within each group):
    - ``hyper``: the rule's record (``kernels/layout.py``; ``LookaheadHyper`` for Nesterov's
      look-ahead form: Momentum's rule at the gradient of ``θ − β u``); ``loss``: ``SquaredError()`` or ``LogLoss()``; ``X`` (N,) or (N, d), ``y`` (N,),
      ``weights`` (N,) or None; ``order``: the epoch's visiting order (uint32 or uint64
      positions → points, at least the batches' positions long) or None for the data's order.
    - ``batch_size`` B; ``first_batch``: the epoch's index of the first batch run here;
      ``n_steps``: steps to run; ``mean``: divide by the batch's total weight; ``parallel``: ``layout.Parallel()`` lets batches of
      ``model.PARALLEL_THRESHOLD`` points or more use the parallel kernel (``Serial()``: never;
      always inside a ``prange``).
    - ``theta`` (d+1,), ``slots`` (k, d+1), both of the data's dtype; ``scalars``: as in
      ``updates.update``; ``step0``: steps taken before this call.
    - ``lrs`` (n_steps,) float64: η per step (ignored under line search); ``betas``: β (or β1)
      per step, or empty to keep the record's; ``candidates``: line-search η's, or None.
    - records, each None (not recorded) or one entry per step: ``step_loss``, ``step_lr``,
      ``step_beta`` (float64), ``trajectory`` (n_steps, d+1) of θ's dtype.

    A return value below ``n_steps`` means step ``k = returned value`` had a non-finite
    gradient, or made ``θ`` or a slot non-finite: ``θ``, ``slots`` and ``scalars`` hold their
    values from before that step (the last finite ones).

    The loop body creates no reference-counted array: every array it touches is borrowed
    (``_borrowed``), so views and calls cost no atomic operations. Rare paths (line search, big
    batches) are calls.
    """
    return _steps(hyper, loss, X, y, weights, order, batch_size, first_batch, n_steps, mean, parallel, theta, slots,
                  scalars, step0, lrs, betas, candidates, step_loss, step_lr, step_beta, trajectory)


def _steps(hyper, loss, X, y, weights, order, batch_size, first_batch, n_steps, mean, parallel, theta, slots,
           scalars, step0, lrs, betas, candidates, step_loss, step_lr, step_beta, trajectory):
    """``run_steps`` by the one path its argument types choose, the only one compiled: the
    register path (``_in_registers``) or the array path."""


@overload(_steps)
def _steps_overload(hyper, loss, X, y, weights, order, batch_size, first_batch, n_steps, mean, parallel, theta,
                    slots, scalars, step0, lrs, betas, candidates, step_loss, step_lr, step_beta, trajectory):
    return _register_steps if _in_registers(X, candidates, parallel) else _array_steps


def _register_steps(hyper, loss, X, y, weights, order, batch_size, first_batch, n_steps, mean, parallel, theta,
                    slots, scalars, step0, lrs, betas, candidates, step_loss, step_lr, step_beta, trajectory):
    """The register path with its buffers (``_steps_in_registers``)."""
    buffers, lanes = _work_arrays(theta.size - 1)
    done = _steps_in_registers(hyper, loss, borrowed(X), borrowed(y), borrowed(weights), borrowed(order),
                               batch_size, first_batch, n_steps, mean, parallel, theta, slots,
                               scalars, step0, _borrowed(lrs), _borrowed(betas), candidates, step_loss, step_lr,
                               step_beta, trajectory, _borrowed(buffers))
    _keep_alive(buffers, lanes, theta, slots)
    return done


def _array_steps(hyper, loss, X, y, weights, order, batch_size, first_batch, n_steps, mean, parallel, theta, slots,
                 scalars, step0, lrs, betas, candidates, step_loss, step_lr, step_beta, trajectory):
    """The array path: θ, the gradient and the slots in arrays, a step's sums block by block
    (``step_gradient``), line search and parallel batches as calls."""
    n = positions(y, order)
    size = theta.size
    work = np.empty((3, size + 2))
    buffers, lanes = _work_arrays(size - 1)
    state = np.empty((2, size), dtype=theta.dtype)
    # The state at the start of the call: a step that diverges rewinds to it (no per-step copy)
    start_theta, start_slots, start_scalars = theta.copy(), slots.copy(), scalars.copy()
    n_slots = slots.shape[0]
    X_, y_, weights_, order_ = borrowed(X), borrowed(y), borrowed(weights), borrowed(order)
    theta_, slots_, scalars_ = _borrowed(theta), _borrowed(slots), _borrowed(scalars)
    lrs_, betas_ = _borrowed(lrs), _borrowed(betas)
    out, point = _borrowed(work[0]), _borrowed(work[1])
    buffers_, lanes_ = _borrowed(buffers), _borrowed(lanes)
    grads = _borrowed(state[0])
    first = _borrowed(slots[0]) if n_slots > 0 else grads  # slot rows (unused ones: any array)
    second = _borrowed(slots[1]) if n_slots > 1 else grads
    third = _borrowed(slots[2]) if n_slots > 2 else grads
    default_beta = updates.momentum_of(hyper)
    limit = n_steps
    while True:  # one pass; a second, up to the failing step, only after a divergence
        stopped = limit
        for k in range(limit):
            start = (first_batch + k) * batch_size
            stop = min(n, start + batch_size)
            step = step0 + k + 1
            beta = betas_[k] if betas_.size > 0 else default_beta
            batch = step_gradient(hyper, X_, y_, weights_, order_, loss, theta_, beta, first,
                                   start, stop, mean, step_loss, parallel, point, buffers_, lanes_,
                                   out, grads)
            _record(step_loss, k, batch)
            if not _all_finite(grads):
                stopped = k
                break
            lr = _update(hyper, X_, y_, weights_, order_, loss, start, stop, mean, theta_, grads,
                         slots_, first, second, third, scalars_, step, lrs_[k], beta, candidates,
                         buffers_, lanes_, out)
            _record(step_lr, k, lr)
            _record(step_beta, k, beta)
            if not (_all_finite(theta_) and _all_rows_finite(slots_)):
                stopped = k
                break
            _record_theta(trajectory, k, theta_)
        if stopped == limit:
            break
        # Step ``stopped`` diverged: rewind to the call's start and run the steps before it
        # again (the same arithmetic, so the same bits), which leaves θ, the slots and the
        # scalars as they were before that step. Divergence is rare; a per-step copy is not.
        assign(theta, start_theta)
        assign(slots, start_slots)
        assign(scalars, start_scalars)
        limit = stopped
    _keep_alive(work, buffers, lanes, state)
    return limit
