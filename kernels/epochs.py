"""Whole epochs in one compiled call (SPEC §2-§4): batch, stochastic and mini-batch visiting,
every optimizer through ``updates.update_views`` (the bits of ``updates.update``), Nesterov's
look-ahead, line search, recording.

``run_epoch`` walks the batches ``[k B, min(N, (k+1) B))`` of the (already permuted) data for
``k = 0 … n_steps − 1``. At step ``k`` (global step ``t = step0 + k + 1``):

1. the point where the gradient is taken: ``θ``, or ``θ̃ = θ − β u`` for Nesterov's look-ahead
   form (lecture 5.5, SPEC §3.1);
2. the batch loss and gradient there, float64, summed point by point in index order (a plain
   loop below ``SMALL_BATCH`` points, else block by block as ``model.loss_and_gradient_sum``,
   whose parallel kernel takes batches from ``model.PARALLEL_THRESHOLD`` points), divided by
   the batch size for the mean;
3. line search (SPEC §4), if candidates are given: each candidate ``η`` is tried on a copy of
   ``θ`` and the state, the batch loss at the result is compared, the first lowest wins;
4. the update ``updates.update_views(kind, …, t, η_k)`` in place (Nesterov's look-ahead form is the
   Momentum rule applied with the look-ahead gradient);
5. divergence: if the batch loss of step 2 is not finite, or ``θ`` or a state slot is not
   finite after the update, the epoch stops at that step with ``θ``, the slots and the per-run
   scalars as they were before it (the epoch rewinds to its start and runs the steps before
   that one again: the same bits, and no per-step copy);
6. recording: the step's batch loss (at the point of step 1), ``η`` used, and, if asked, ``θ``.

``θ`` and the optimizer's slots have one dtype (that of the data: float32 data trains in
float32); gradients are accumulated in float64 and rounded to that dtype for the update.
"""
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from . import updates
from .model import BLOCK, PARALLEL_THRESHOLD, _block, _block_loss, loss_and_gradient_sum_parallel, sigmoid
from .policy import jit


@intrinsic
def _borrowed(typingctx, array):
    """The same array (data, shape, strides) without its owner: no reference counting.

    Numba counts references to an array's memory with atomic increments and decrements around
    calls and branches; in the per-step loop of a 2-parameter model these cost more than the
    step itself (GD at batch size 1: ~100 ns a step with the counting, ~50 ns without,
    measured). A borrowed view must not outlive its owner: ``run_epoch`` borrows only its
    arguments and its own locals, keeps those locals alive to its returns (``_keep_alive``: numba
    frees a local after its last use, and a borrowed view does not count as a use), and stores
    the views nowhere.
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


@jit
def _keep_alive(first, second, third):
    """Use three arrays. Numba frees a local array after its last use; calling this at every
    return keeps the owners of borrowed views alive through the loop that uses the views."""
    return first.size + second.size + third.size


#: Below this many points a batch of 1-D data is summed by a plain loop: the vectorized block
#: loop of ``model`` costs ~50 ns to set up, against ~8 ns for one point done directly.
SMALL_BATCH = 16


@jit(inline="always")
def _small_batch_1d(X, y, w, b, start, stop):
    """``(J_S, ∂J_S/∂w, ∂J_S/∂b)`` (sums) for a few points; the per-point arithmetic and the
    order of the sums are those of ``model._block_1d``. Returned as scalars, not stored: in
    stochastic GD every store and reload on the step's chain of dependent operations costs
    a store-to-load forwarding delay (~5 cycles)."""
    loss = 0.0
    gw = 0.0
    gb = 0.0
    for i in range(start, stop):
        xi = np.float64(X[i])
        f = sigmoid(w * xi + b)
        e = f - np.float64(y[i])
        r = e * f * (1.0 - f)
        loss += 0.5 * e * e
        gw += r * xi
        gb += r
    return loss, gw, gb


@jit
def _batch_parallel(X, y, theta, start, stop, out):
    """A batch of ``PARALLEL_THRESHOLD`` points or more: the parallel model kernel (same bits)."""
    loss_and_gradient_sum_parallel(X[start:stop], y[start:stop], theta, out)


@jit
def batch_loss_and_gradient(X, y, theta, start, stop, mean, out, buf_loss, buf_r, partial):
    """``out = [J_S, ∇J_S]`` over the batch ``S = [start, stop)``, float64.

    The same block order as ``model.loss_and_gradient_sum`` on ``X[start:stop]``; ``buf_loss``,
    ``buf_r`` (BLOCK,) and ``partial`` (d+2,) are float64 work arrays, so nothing is allocated
    for small batches (and no view is made here: see ``run_epoch``).
    """
    n = stop - start
    if n >= PARALLEL_THRESHOLD:
        _batch_parallel(X, y, theta, start, stop, out)
    else:
        for k in range(out.size):
            out[k] = 0.0
        for block_start in range(start, stop, BLOCK):
            _block(X, y, theta, block_start, min(stop, block_start + BLOCK), buf_loss, buf_r, partial)
            for k in range(out.size):
                out[k] += partial[k]
    if mean:
        for k in range(out.size):
            out[k] /= n


@jit
def batch_loss(X, y, theta, start, stop, mean, buffer):
    """``J_S`` over the batch ``[start, stop)`` (sum or mean), blocks added in order."""
    total = 0.0
    for block_start in range(start, stop, BLOCK):
        total += _block_loss(X, y, theta, block_start, min(stop, block_start + BLOCK), buffer)
    return total / (stop - start) if mean else total


@jit
def _all_finite(values):
    """Every element of a 1-D array is finite."""
    for k in range(values.size):
        if not np.isfinite(values[k]):
            return False
    return True


@jit
def _all_rows_finite(rows):
    """Every element of a 2-D array is finite."""
    for r in range(rows.shape[0]):
        for i in range(rows.shape[1]):
            if not np.isfinite(rows[r, i]):
                return False
    return True


@jit
def line_search_step(rule, X, y, start, stop, mean, theta, grads, slots, scalars, hyper, step, candidates,
                     buffer):
    """SPEC §4 on the batch ``[start, stop)``: try every candidate η on a copy of ``θ`` and the
    state, keep the first with the lowest batch loss, apply it in place; return that η. (If no
    candidate gives a finite loss the first is applied, and the caller sees a non-finite θ.)"""
    trial = np.empty_like(theta)
    trial_slots = np.empty_like(slots)
    trial_scalars = np.empty_like(scalars)
    best_theta = theta.copy()
    best_slots = slots.copy()
    best_scalars = scalars.copy()
    best = np.inf
    lr = candidates[0]
    for c in range(candidates.size):
        trial[:] = theta
        trial_slots[:] = slots
        trial_scalars[:] = scalars
        updates.update(rule, trial, grads, trial_slots, trial_scalars, hyper, step, candidates[c])
        value = batch_loss(X, y, trial, start, stop, mean, buffer)
        if value < best:
            best = value
            lr = candidates[c]
            best_theta[:] = trial
            best_slots[:] = trial_slots
            best_scalars[:] = trial_scalars
    if best == np.inf:
        updates.update(rule, theta, grads, slots, scalars, hyper, step, lr)
    else:
        theta[:] = best_theta
        slots[:] = best_slots
        scalars[:] = best_scalars
    return lr


@jit
def run_epoch(kind, X, y, batch_size, n_steps, mean, lookahead,
              theta, slots, scalars, hyper, step0,
              lrs, betas, candidates,
              step_loss, lr_used, trajectory, record_trajectory):
    """Run ``n_steps`` steps of one epoch in place; return the number of steps completed.

    Arguments (arrays first within each group):
    - ``kind``: optimizer kind (``updates.GD`` …); ``X`` (N,) or (N, d), ``y`` (N,): the data in
      this epoch's visiting order; ``batch_size``: points per step; ``n_steps``: steps to run;
      ``mean``: divide by the batch size; ``lookahead``: Nesterov's look-ahead form.
    - ``theta`` (d+1,), ``slots`` (k, d+1), both of the data's dtype; ``scalars``, ``hyper``:
      as in ``updates.update``; ``step0``: steps taken before this epoch.
    - ``lrs`` (n_steps,) float64: η per step (ignored under line search); ``betas``: β (or β1)
      per step, or an empty array to keep ``hyper``'s; ``candidates``: line-search η's, or empty.
    - outputs: ``step_loss``, ``lr_used`` (n_steps,) float64; ``trajectory`` (n_steps, d+1)
      written if ``record_trajectory``.

    A return value below ``n_steps`` means step ``k = returned value`` met a non-finite batch
    loss, or made ``θ`` or a slot non-finite: ``θ``, ``slots`` and ``scalars`` hold their values
    from before that step (the last finite ones).

    The loop body creates no array (no slicing, no views): with numba, every array value in a
    loop body costs reference counting at every iteration, even on branches not taken, which
    cost more than the whole 2-parameter step. Rare paths (line search, big batches) are calls.
    """
    n = y.size
    size = theta.size
    # Work arrays, then *borrowed* views of every array the loop touches (see _borrowed): the
    # owners (the arguments and these locals) live until the function returns.
    work = np.empty((4, size + 1))
    buffers = np.empty((2, BLOCK))
    state = np.empty((2, size), dtype=theta.dtype)
    # The state at the start of the epoch: a step that diverges rewinds to it (no per-step copy)
    start_theta, start_slots, start_scalars = theta.copy(), slots.copy(), scalars.copy()
    n_slots = slots.shape[0]
    X_, y_, theta_, slots_ = _borrowed(X), _borrowed(y), _borrowed(theta), _borrowed(slots)
    scalars_, hyper_, lrs_, betas_ = _borrowed(scalars), _borrowed(hyper), _borrowed(lrs), _borrowed(betas)
    out, partial = _borrowed(work[0]), _borrowed(work[1])
    buf_loss, buf_r = _borrowed(buffers[0]), _borrowed(buffers[1])
    grads, ahead = _borrowed(state[0]), _borrowed(state[1])
    first = _borrowed(slots[0]) if n_slots > 0 else grads  # slot rows (unused ones: any array)
    second = _borrowed(slots[1]) if n_slots > 1 else grads
    third = _borrowed(slots[2]) if n_slots > 2 else grads
    small = X.ndim == 1 and batch_size < SMALL_BATCH
    searching = candidates.size > 0
    rule = updates.MOMENTUM if lookahead else kind
    to = theta.dtype.type
    limit = n_steps
    while True:  # one pass; a second, up to the failing step, only after a divergence
        stopped = limit
        for k in range(limit):
            start = k * batch_size
            stop = min(n, start + batch_size)
            step = step0 + k + 1
            if betas_.size > 0:
                hyper_[updates.H_BETA1] = betas_[k]
            beta = hyper_[updates.H_BETA1] if lookahead else 0.0
            if small:  # the gradient's point θ or θ − β u (rounded to θ's dtype), in registers
                w = to(theta_[0] - beta * first[0]) if lookahead else theta_[0]
                b = to(theta_[1] - beta * first[1]) if lookahead else theta_[1]
                batch, grads[0], grads[1] = _small_batch_1d(X_, y_, w, b, start, stop)
                if mean and stop - start > 1:  # (x / 1 is x: skipped, it would lengthen SGD's chain)
                    batch /= stop - start
                    grads[0] /= stop - start
                    grads[1] /= stop - start
            else:
                for i in range(size):  # the same point, through memory
                    ahead[i] = theta_[i] - beta * first[i] if lookahead else theta_[i]
                batch_loss_and_gradient(X_, y_, ahead, start, stop, mean, out, buf_loss, buf_r, partial)
                batch = out[0]
                for i in range(size):
                    grads[i] = out[i + 1]
            step_loss[k] = batch
            if not np.isfinite(batch):
                stopped = k
                break
            if searching:
                lr = line_search_step(rule, X_, y_, start, stop, mean, theta_, grads, slots_, scalars_, hyper_,
                                      step, candidates, buf_loss)
            else:
                lr = lrs_[k]
                updates.update_views(rule, theta_, grads, first, second, third, scalars_, hyper_, step, lr)
            lr_used[k] = lr
            if not (_all_finite(theta_) and _all_rows_finite(slots_)):
                stopped = k
                break
            if record_trajectory:
                for i in range(size):
                    trajectory[k, i] = theta_[i]
        if stopped == limit:
            break
        # Step ``stopped`` diverged: rewind to the epoch's start and run the steps before it
        # again (the same arithmetic, so the same bits), which leaves θ, the slots and the
        # scalars as they were before that step. Divergence is rare; a per-step copy is not.
        theta[:] = start_theta
        slots[:] = start_slots
        scalars[:] = start_scalars
        limit = stopped
    _keep_alive(work, buffers, state)
    return limit
