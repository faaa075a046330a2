"""Peers of fastoptim's training engine (issue 16): what the same work costs done another way.

Three kinds, each computing what ``fastoptim.train(data, opt, epochs=E, batch_size=B,
init=..., reduction="mean")`` computes (the squared error ½(σ(z) − y)² or the log loss,
the mean over each batch, the last short batch kept, the points in order or in the
permutation ``numpy.random.default_rng(seed).permutation(n)`` drawn per epoch):

- **hand-written ``@numba.njit`` loops** (:func:`hand_epoch`, :func:`hand_train`): the
  "limit" a training engine can reach, one loop per training mode, written as a user who
  knows numba would write them (no checks, no record, no loss pass):
  batch 1 with ``θ`` and the optimizer's state held in registers (1-D data), mini-batch and
  full batch with the batch's sums vectorized (8 partial sums per quantity, lane ``l``
  taking the batch's points ``l, l + 8, …``, combined in a fixed tree ``((s0+s1)+(s2+s3)) +
  ((s4+s5)+(s6+s7))``: the same bits on any machine and thread count), and for (N, d) data
  the sums over a batch vectorized across the features (each feature's sum in row order).
  Rules: GD, Momentum and Adam, exactly as ``kernels/updates.py`` writes them (so that the
  hand loop and ``train`` agree to rounding; Adam's ``1 − β^t`` skips ``pow`` once it is
  1.0, as fastoptim does). ``exp`` is the project's vectorizable ``fastoptim.kernels.exp.exp``
  (what a user's own loop would import: numba's ``math.exp`` is a scalar libm call here). The
  full-batch 1-D loop also has a parallel form (fixed chunks, combined in chunk order).
  ``loss="log"``: the log loss, whose gradient with respect to z is ``f − y`` (SPEC §9).
  :func:`hand_loss_and_gradient` is the full-batch loss and gradient (sums), one thread.
- **scikit-learn** (:func:`sklearn_regressor`, :func:`sklearn_classifier`): ``SGDRegressor``
  (batch 1, constant η, no penalty, in order) is *linear* regression — no sigmoid, no exp —
  so it is only a speed bar for plain SGD, not the same algorithm; ``SGDClassifier(loss=
  "log_loss", penalty=None, learning_rate="constant", shuffle=False, tol=None)`` is exactly
  batch-1 GD on the log loss (``θ ← θ − η (f − y) [x, 1]``).
- **JAX + optax** (:func:`jax_trainer`, :func:`jax_sweep`, :func:`jax_loss_and_gradient`): a
  jitted ``lax.scan`` over the batches of every epoch (``optax.sgd``, ``optax.sgd(momentum=β)``,
  ``optax.adam``; float64; the gradient by ``jax.grad`` of the same mean loss), a ``jax.vmap``
  of that trainer over learning rates (the sweep), and ``jax.value_and_grad`` of the summed
  loss (the full-batch gradient). XLA runs on one thread (``XLA_FLAGS`` set on first use,
  unless the caller set them; the machine line of the report says which): the full-batch
  gradient row is a one-thread comparison by definition, and in a side-by-side measurement
  here (two fresh processes each way, a loaded machine) XLA's default thread pool made neither
  the sweep nor the full-batch epoch nor the gradient consistently faster.

The optional packages are imported on first use; :func:`have` says whether one is installed.
"""
import importlib
import math
import os

import numba
import numpy as np
from numba import uint64

from fastoptim.kernels.exp import exp

#: Rules of the hand loops (their own numbering; not fastoptim's kinds).
GD, MOMENTUM, ADAM = 0, 1, 2
RULES = {"GD": GD, "Momentum": MOMENTUM, "Adam": ADAM}
#: Losses.
SQUARED, LOG = 0, 1
LOSSES = {"squared": SQUARED, "log": LOG}
#: Points per block of the batch sums (a multiple of the 8 lanes; the lanes, not the blocks,
#: define the order of the sums).
BLOCK = 512
LANES = 8
#: Points per task of the parallel full-batch loop (the chunks' sums are added in order).
CHUNK = 16 * BLOCK

_OPTIONS = dict(error_model="numpy", fastmath={"nsz"}, nogil=True)


def _njit(function=None, **extra):
    """``numba.njit`` as fastoptim compiles its kernels (no division checks, only ``nsz``:
    sums in the order written, so the results are comparable bit for bit), not cached: the
    loops are built per rule and loss by the factories below."""
    options = {**_OPTIONS, **extra}
    return numba.njit(**options) if function is None else numba.njit(**options)(function)


# --- the model, point by point -----------------------------------------------------------------------

@_njit(inline="always")
def _sigmoid(z):
    """σ(z), the two-branch stable form of ``kernels/model.py`` (the same bits)."""
    e = exp(-abs(z))
    return 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)


@_njit(inline="always")
def _residual(loss, f, y):
    """∂ℓ/∂z: ``(f − y) f (1 − f)`` for the squared error, ``f − y`` for the log loss."""
    e = f - y
    return e if loss == LOG else e * f * (1.0 - f)


# --- the update rules, as kernels/updates.py writes them (scalars) -----------------------------------

@_njit(inline="always")
def _one_minus_power(base, step):
    """``1 − base^t`` with libm's ``pow``, 1.0 once ``t (1 − base) >= 42`` proves
    ``base^t < 2^−60`` (the same bits, as ``kernels/updates.py``)."""
    exponent = float(step)
    if exponent * (1.0 - base) >= 42.0:
        return 1.0
    return 1.0 - math.pow(base, exponent)


@_njit(inline="always")
def _coefficients(rule, step, lr, beta1, beta2):
    """Per-step coefficients: Adam's ``η / (1 − β1^t)`` and ``1 / √(1 − β2^t)``."""
    if rule == ADAM:
        return lr / _one_minus_power(beta1, step), 1.0 / math.sqrt(_one_minus_power(beta2, step))
    return lr, 1.0


@_njit(inline="always")
def _update(rule, p, g, s1, s2, lr, beta1, beta2, eps, step_size, inverse_root_bias2):
    """One parameter: ``(θ, slot 1, slot 2)`` after the step."""
    if rule == GD:
        return p - lr * g, s1, s2
    if rule == MOMENTUM:
        u = beta1 * s1 + lr * g
        return p - u, u, s2
    m = beta1 * s1 + (1.0 - beta1) * g
    v = beta2 * s2 + (1.0 - beta2) * g * g
    return p - step_size * m / (math.sqrt(v) * inverse_root_bias2 + eps), m, v


# --- batch sums, vectorized ---------------------------------------------------------------------------

@_njit(inline="always")
def _terms_1d(loss, X, y, w, b, start, count, rx, rb):
    """``rb[i] = r_i``, ``rx[i] = r_i x_i`` for the points ``start … start + count − 1``
    (a vectorized loop: unsigned indices carry no negative-index check)."""
    first = uint64(start)
    for i in range(uint64(count)):
        j = first + i
        x = X[j]
        r = _residual(loss, _sigmoid(w * x + b), y[j])
        rb[i] = r
        rx[i] = r * x


@_njit(inline="always")
def _tree(a0, a1, a2, a3, a4, a5, a6, a7):
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))


@_njit(inline="always")
def _sums_1d(loss, X, y, w, b, start, stop, rx, rb):
    """``(Σ r x, Σ r)`` over ``[start, stop)`` in 8 lanes (lane ``l``: points ``start + l + 8j``),
    block by block; ``rx``, ``rb`` hold ``BLOCK`` values."""
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = 0.0
    for block in range(start, stop, BLOCK):
        count = min(stop, block + BLOCK) - block
        _terms_1d(loss, X, y, w, b, block, count, rx, rb)
        padded = (count + LANES - 1) // LANES * LANES
        for i in range(count, padded):
            rx[i] = 0.0
            rb[i] = 0.0
        for i in range(0, padded, LANES):
            a0 += rx[i]
            a1 += rx[i + 1]
            a2 += rx[i + 2]
            a3 += rx[i + 3]
            a4 += rx[i + 4]
            a5 += rx[i + 5]
            a6 += rx[i + 6]
            a7 += rx[i + 7]
            c0 += rb[i]
            c1 += rb[i + 1]
            c2 += rb[i + 2]
            c3 += rb[i + 3]
            c4 += rb[i + 4]
            c5 += rb[i + 5]
            c6 += rb[i + 6]
            c7 += rb[i + 7]
    return _tree(a0, a1, a2, a3, a4, a5, a6, a7), _tree(c0, c1, c2, c3, c4, c5, c6, c7)


@_njit(inline="always")
def _sums_nd(loss, X, y, theta, start, stop, rz, out):
    """``out = [Σ r x_1 … Σ r x_d, Σ r]`` over the rows ``[start, stop)`` of (N, d) data, each
    sum in row order, vectorized across the features; ``rz`` holds ``BLOCK`` values."""
    d = X.shape[1]
    du = uint64(d)
    for k in range(d + 1):
        out[k] = 0.0
    for block in range(start, stop, BLOCK):
        count = uint64(min(stop, block + BLOCK) - block)
        first = uint64(block)
        for i in range(count):  # z = b + Σ θ_k x_k (in feature order, as kernels/model.py)
            z = theta[du]
            for k in range(du):
                z += theta[k] * X[first + i, k]
            rz[i] = z
        for i in range(count):  # σ and the residual, vectorized across the rows
            rz[i] = _residual(loss, _sigmoid(rz[i]), y[first + i])
        for i in range(count):  # the sums, vectorized across the features
            r = rz[i]
            for k in range(du):
                out[k] += r * X[first + i, k]
            out[du] += r


# --- epochs -------------------------------------------------------------------------------------------

def _batch1_1d(rule, loss):
    """Batch 1, 1-D data: ``w``, ``b`` and the slots in registers."""

    @_njit
    def epoch(X, y, theta, state, step0, lr, beta1, beta2, eps, batch_size):
        w, b = theta[0], theta[1]
        s1w, s1b, s2w, s2b = state[0, 0], state[0, 1], state[1, 0], state[1, 1]
        n = X.size
        for i in range(n):
            x = X[i]
            r = _residual(loss, _sigmoid(w * x + b), y[i])
            step_size, inverse_root_bias2 = _coefficients(rule, step0 + i + 1, lr, beta1, beta2)
            w, s1w, s2w = _update(rule, w, r * x, s1w, s2w, lr, beta1, beta2, eps, step_size, inverse_root_bias2)
            b, s1b, s2b = _update(rule, b, r, s1b, s2b, lr, beta1, beta2, eps, step_size, inverse_root_bias2)
        theta[0], theta[1] = w, b
        state[0, 0], state[0, 1], state[1, 0], state[1, 1] = s1w, s1b, s2w, s2b
        return n

    return epoch


def _minibatch_1d(rule, loss):
    """Batches of ``batch_size`` points (any size up to N), 1-D data: 8-lane sums."""

    @_njit
    def epoch(X, y, theta, state, step0, lr, beta1, beta2, eps, batch_size):
        w, b = theta[0], theta[1]
        s1w, s1b, s2w, s2b = state[0, 0], state[0, 1], state[1, 0], state[1, 1]
        rx = np.empty(BLOCK)
        rb = np.empty(BLOCK)
        n = X.size
        steps = 0
        for start in range(0, n, batch_size):
            stop = min(n, start + batch_size)
            gw, gb = _sums_1d(loss, X, y, w, b, start, stop, rx, rb)
            count = stop - start
            if count > 1:  # (fastoptim skips the division by 1 too: the same bits either way)
                gw /= count
                gb /= count
            steps += 1
            step_size, inverse_root_bias2 = _coefficients(rule, step0 + steps, lr, beta1, beta2)
            w, s1w, s2w = _update(rule, w, gw, s1w, s2w, lr, beta1, beta2, eps, step_size, inverse_root_bias2)
            b, s1b, s2b = _update(rule, b, gb, s1b, s2b, lr, beta1, beta2, eps, step_size, inverse_root_bias2)
        theta[0], theta[1] = w, b
        state[0, 0], state[0, 1], state[1, 0], state[1, 1] = s1w, s1b, s2w, s2b
        return steps

    return epoch


def _full_parallel_1d(rule, loss):
    """One step on all N points, 1-D data, the sums over threads: chunks of ``CHUNK`` points
    (8 lanes each) added in chunk order, so the bits do not depend on the thread count."""

    @_njit(parallel=True)
    def _sums(X, y, w, b, partials):
        n = X.size
        for c in numba.prange(partials.shape[0]):
            rx = np.empty(BLOCK)
            rb = np.empty(BLOCK)
            gw, gb = _sums_1d(loss, X, y, w, b, c * CHUNK, min(n, (c + 1) * CHUNK), rx, rb)
            partials[c, 0] = gw
            partials[c, 1] = gb

    @_njit
    def epoch(X, y, theta, state, step0, lr, beta1, beta2, eps, batch_size):
        n = X.size
        partials = np.empty(((n + CHUNK - 1) // CHUNK, 2))
        _sums(X, y, theta[0], theta[1], partials)
        gw = 0.0
        gb = 0.0
        for c in range(partials.shape[0]):
            gw += partials[c, 0]
            gb += partials[c, 1]
        if n > 1:
            gw /= n
            gb /= n
        step_size, inverse_root_bias2 = _coefficients(rule, step0 + 1, lr, beta1, beta2)
        theta[0], state[0, 0], state[1, 0] = _update(rule, theta[0], gw, state[0, 0], state[1, 0], lr, beta1, beta2,
                                                     eps, step_size, inverse_root_bias2)
        theta[1], state[0, 1], state[1, 1] = _update(rule, theta[1], gb, state[0, 1], state[1, 1], lr, beta1, beta2,
                                                     eps, step_size, inverse_root_bias2)
        return 1

    return epoch


def _minibatch_nd(rule, loss):
    """Batches of ``batch_size`` rows (1 included) of (N, d) data; θ and the slots in arrays."""

    @_njit
    def epoch(X, y, theta, state, step0, lr, beta1, beta2, eps, batch_size):
        n, d = X.shape
        rz = np.empty(BLOCK)
        g = np.empty(d + 1)
        steps = 0
        for start in range(0, n, batch_size):
            stop = min(n, start + batch_size)
            _sums_nd(loss, X, y, theta, start, stop, rz, g)
            count = stop - start
            steps += 1
            step_size, inverse_root_bias2 = _coefficients(rule, step0 + steps, lr, beta1, beta2)
            for k in range(d + 1):
                gk = g[k] / count if count > 1 else g[k]
                theta[k], state[0, k], state[1, k] = _update(rule, theta[k], gk, state[0, k], state[1, k], lr, beta1,
                                                             beta2, eps, step_size, inverse_root_bias2)
        return steps

    return epoch


_EPOCHS = {}


def hand_epoch(rule, loss="squared", *, batch_size, n, ndim=1, parallel=False):
    """The compiled epoch of the hand loop for this mode, built once per process:
    ``epoch(X, y, theta, state, step0, lr, beta1, beta2, eps, batch_size) -> steps``.

    ``X`` (N,) or (N, d), ``y`` (N,) float64, in visiting order; ``theta`` (d+1,) float64 and
    ``state`` (2, d+1) float64 (Momentum's ``u`` in row 0; Adam's ``m``, ``v``) are updated in
    place; ``step0`` is the number of steps taken before this epoch. ``parallel`` (1-D, full
    batch only): the sums over threads. ``rule`` is a name (``"GD"``, ``"Momentum"``,
    ``"Adam"``) or one of :data:`GD`, :data:`MOMENTUM`, :data:`ADAM`.
    """
    rule = RULES.get(rule, rule)
    loss = LOSSES.get(loss, loss)
    if rule not in (GD, MOMENTUM, ADAM) or loss not in (SQUARED, LOG):
        raise ValueError(f"no hand loop for rule {rule!r} and loss {loss!r}")
    full = batch_size is None or batch_size >= n
    if ndim != 1:
        if parallel:
            raise ValueError("the parallel hand loop is for 1-D data")
        mode = "nd"
    elif parallel:
        if not full:
            raise ValueError("the parallel hand loop is for full batches")
        mode = "full-parallel"
    else:
        mode = "batch-1" if batch_size == 1 and n > 1 else "mini-batch"
    key = (rule, loss, mode)
    if key not in _EPOCHS:
        factory = {"batch-1": _batch1_1d, "mini-batch": _minibatch_1d, "full-parallel": _full_parallel_1d,
                   "nd": _minibatch_nd}[mode]
        _EPOCHS[key] = factory(rule, loss)
    return _EPOCHS[key]


def rule_of(optimizer):
    """``(rule, lr, beta1, beta2, eps)`` of a fastoptim ``GD``, ``Momentum`` or ``Adam`` with a
    constant rate and no weight decay (what the hand loops and the JAX trainers implement)."""
    name = type(optimizer).__name__
    if name not in RULES or callable(optimizer.lr) or getattr(optimizer, "weight_decay", 0.0) != 0.0:
        raise ValueError(f"the peers implement GD, Momentum and Adam with a constant lr and no weight decay, "
                         f"got {optimizer!r}")
    if name == "GD":
        return GD, float(optimizer.lr), 0.0, 0.0, 0.0
    if name == "Momentum":
        return MOMENTUM, float(optimizer.lr), float(optimizer.beta), 0.0, 0.0
    beta1, beta2 = optimizer.betas
    return ADAM, float(optimizer.lr), float(beta1), float(beta2), float(optimizer.eps)


def orders(n, epochs, seed):
    """The visiting order of every epoch, as ``fastoptim.train(shuffle=True, seed=seed)`` draws
    it: ``rng.permutation(n)`` per epoch from one ``default_rng(seed)``; (epochs, n) int64."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(n) for _ in range(epochs)]) if epochs else np.empty((0, n), dtype=np.int64)


def hand_train(data, optimizer, *, epochs, batch_size=None, init, loss="squared", shuffle=False, seed=0,
               parallel=False):
    """θ after ``epochs`` epochs of the hand loop (what ``fastoptim.train`` with these
    arguments and ``reduction="mean"`` computes); a new float64 array."""
    rule, lr, beta1, beta2, eps = rule_of(optimizer)
    X = np.ascontiguousarray(data.X, dtype=np.float64)
    y = np.ascontiguousarray(data.y, dtype=np.float64)
    n = y.size
    theta = np.array(init, dtype=np.float64).reshape(-1)
    state = np.zeros((2, theta.size))
    batch = n if batch_size is None else min(int(batch_size), n)
    epoch = hand_epoch(rule, loss, batch_size=batch, n=n, ndim=X.ndim, parallel=parallel)
    visits = orders(n, epochs, seed) if shuffle else None
    steps = 0
    for e in range(epochs):
        X_epoch, y_epoch = (X[visits[e]], y[visits[e]]) if shuffle else (X, y)
        steps += epoch(X_epoch, y_epoch, theta, state, steps, lr, beta1, beta2, eps, batch)
    return theta


@_njit
def _loss_and_gradient_nd(X, y, theta, out):
    """``out = [Σ ½(f−y)², Σ r x_1 … Σ r x_d, Σ r]`` over (N, d) data, one thread, block by
    block: z by rows, σ and the terms vectorized across rows, the gradient's sums across the
    features (each in row order), the loss's in 8 lanes."""
    n, d = X.shape
    du = uint64(d)
    rz = np.empty(BLOCK)
    rl = np.empty(BLOCK)
    for k in range(d + 2):
        out[k] = 0.0
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    for block in range(0, n, BLOCK):
        count = uint64(min(n, block + BLOCK) - block)
        first = uint64(block)
        for i in range(count):
            z = theta[du]
            for k in range(du):
                z += theta[k] * X[first + i, k]
            rz[i] = z
        for i in range(count):
            f = _sigmoid(rz[i])
            e = f - y[first + i]
            rl[i] = 0.5 * e * e
            rz[i] = e * f * (1.0 - f)
        padded = (count + LANES - 1) // LANES * LANES
        for i in range(count, padded):
            rl[i] = 0.0
        for i in range(0, padded, LANES):
            a0 += rl[i]
            a1 += rl[i + 1]
            a2 += rl[i + 2]
            a3 += rl[i + 3]
            a4 += rl[i + 4]
            a5 += rl[i + 5]
            a6 += rl[i + 6]
            a7 += rl[i + 7]
        for i in range(count):
            r = rz[i]
            for k in range(du):
                out[1 + k] += r * X[first + i, k]
            out[1 + du] += r
    out[0] = _tree(a0, a1, a2, a3, a4, a5, a6, a7)


def hand_loss_and_gradient(X, y, theta, out):
    """The full-batch ``[Σ ℓ, ∇ Σ ℓ]`` of the squared error on (N, d) float64 data, one
    thread (what ``fastoptim.kernels.model.loss_and_gradient_sum`` computes)."""
    _loss_and_gradient_nd(X, y, theta, out)
    return out


def log_loss_data(n, d, seed=0, w=2.0, b=-1.0):
    """A data set for the log loss: ``X`` of ``fastoptim.data.synthetic(n, d=d, seed=seed)``
    and labels ``y_i ∈ {0, 1}`` drawn with probability ``σ(w·x_i + b)`` (not separable: the
    optimum is finite) from ``default_rng(seed + 1)``."""
    from fastoptim.data import Dataset, synthetic

    X = np.asarray(synthetic(n, d=d, seed=seed).X)
    z = (X if X.ndim == 1 else X.sum(axis=1)) * w + b
    probability = np.exp(-np.logaddexp(0.0, -z))  # σ(z), without overflow
    y = (np.random.default_rng(seed + 1).random(n) < probability).astype(np.float64)
    return Dataset(X, y)


# --- optional packages ------------------------------------------------------------------------------

def have(package):
    """Whether an optional peer package is installed and imports: ``"jax"`` (with optax; the
    first call also sets XLA's flags and float64, see :func:`_jax`) or ``"sklearn"``."""
    try:
        if package == "jax":
            _jax()
        else:
            importlib.import_module(package)
    except ImportError:
        return False
    return True


#: What XLA runs on: one thread (see the module docstring). Set before jax starts its backend.
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def _jax():
    """``(jax, jax.numpy, optax)`` with float64 enabled and XLA on one thread."""
    if "XLA_FLAGS" not in os.environ:
        os.environ["XLA_FLAGS"] = XLA_ONE_THREAD
    import jax
    import jax.numpy as jnp
    import optax

    jax.config.update("jax_enable_x64", True)
    return jax, jnp, optax


def jax_threads():
    """'1' when XLA runs on one thread (the flags above are in force), else 'default'."""
    flags = os.environ.get("XLA_FLAGS", "")
    return "1" if "intra_op_parallelism_threads=1" in flags else "default"


# --- scikit-learn -------------------------------------------------------------------------------------

def sklearn_regressor(lr, epochs):
    """``SGDRegressor``: plain SGD (batch 1, constant η, no penalty, in order) on the *linear*
    model's squared error ½(w·x + b − y)² — no sigmoid: a speed bar, not the same algorithm."""
    from sklearn.linear_model import SGDRegressor

    return SGDRegressor(loss="squared_error", penalty=None, learning_rate="constant", eta0=lr, max_iter=epochs,
                        tol=None, shuffle=False, fit_intercept=True, average=False)


def sklearn_classifier(lr, epochs):
    """``SGDClassifier`` on the log loss: batch-1 GD on the sigmoid neuron's log loss, in order
    (the same algorithm as the hand loop with ``loss="log"``, ``batch_size=1``); labels 0/1."""
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="log_loss", penalty=None, learning_rate="constant", eta0=lr, max_iter=epochs,
                         tol=None, shuffle=False, fit_intercept=True, average=False)


def sklearn_theta(estimator):
    """``[coef…, intercept]`` of a fitted linear estimator, float64."""
    return np.concatenate([np.ravel(estimator.coef_), np.ravel(estimator.intercept_)]).astype(np.float64)


def as_2d(X):
    """X as scikit-learn takes it: (N, d), a view for 1-D data."""
    return X.reshape(-1, 1) if X.ndim == 1 else X


# --- JAX + optax ----------------------------------------------------------------------------------------

def _optax(optax, rule, lr, beta1, beta2, eps):
    if rule == GD:
        return optax.sgd(lr)
    if rule == MOMENTUM:
        # optax accumulates g (buf ← β buf + g; θ ← θ − η buf): fastoptim's u = η buf under a
        # constant η (SPEC §3.5); equal up to rounding
        return optax.sgd(lr, momentum=beta1)
    return optax.adam(lr, b1=beta1, b2=beta2, eps=eps)


def _jax_loss(jnp, jax, loss, ndim, reduce):
    """The batch loss ``reduce(ℓ_i)`` at θ = [w…, b] as JAX writes it (the log loss stably, by
    softplus)."""

    def batch_loss(theta, X, y):
        z = X @ theta[:-1] + theta[-1] if ndim == 2 else X * theta[0] + theta[1]
        if loss == LOG:
            terms = jax.nn.softplus(z) - y * z  # −y log f − (1 − y) log(1 − f)
        else:
            terms = 0.5 * (jax.nn.sigmoid(z) - y) ** 2
        return reduce(terms)

    return batch_loss


def jax_trainer(optimizer, *, n, epochs, batch_size=None, ndim=1, loss="squared", shuffle=False):
    """A jitted ``train(X, y, theta0, visits, lr) -> theta``: ``epochs`` epochs of a ``lax.scan``
    over the batches (the full batches, then the short last one if any), optax's rule, the
    gradient by ``jax.grad`` of the batch's mean loss. ``visits``: (epochs, n) indices (see
    :func:`orders`) with ``shuffle``, else ignored (pass ``np.zeros((epochs, 0))``). ``lr`` is
    an argument (traced) so that :func:`jax_sweep` can map over it; the optimizer's own ``lr``
    is the default of :func:`jax_train`."""
    jax, jnp, optax = _jax()
    rule, _, beta1, beta2, eps = rule_of(optimizer)
    loss = LOSSES.get(loss, loss)
    batch = n if batch_size is None else min(int(batch_size), n)
    full, rest = divmod(n, batch)
    gradient = jax.grad(_jax_loss(jnp, jax, loss, ndim, jnp.mean))

    def train(X, y, theta0, visits, lr):
        transform = _optax(optax, rule, lr, beta1, beta2, eps)

        def step(carry, batch_data):
            theta, state = carry
            updates, state = transform.update(gradient(theta, *batch_data), state, theta)
            return (optax.apply_updates(theta, updates), state), None

        def epoch(carry, order):
            X_epoch, y_epoch = (X[order], y[order]) if shuffle else (X, y)
            head = full * batch
            batches = (X_epoch[:head].reshape((full, batch) + X.shape[1:]), y_epoch[:head].reshape(full, batch))
            carry, _ = jax.lax.scan(step, carry, batches)
            if rest:
                carry, _ = step(carry, (X_epoch[head:], y_epoch[head:]))
            return carry, None

        (theta, _), _ = jax.lax.scan(epoch, (theta0, transform.init(theta0)), visits)
        return theta

    return jax.jit(train)


def jax_inputs(data, init, *, epochs, shuffle=False, seed=0):
    """``(X, y, theta0, visits)`` on the JAX device for :func:`jax_trainer`'s function."""
    jax, jnp, _ = _jax()
    n = data.y.size
    visits = orders(n, epochs, seed) if shuffle else np.zeros((epochs, 0), dtype=np.int64)
    return (jnp.asarray(np.asarray(data.X, dtype=np.float64)), jnp.asarray(np.asarray(data.y, dtype=np.float64)),
            jnp.asarray(np.array(init, dtype=np.float64).reshape(-1)), jnp.asarray(visits))


def jax_train(data, optimizer, *, epochs, batch_size=None, init, loss="squared", shuffle=False, seed=0):
    """θ after the JAX trainer's epochs, as a numpy array (compiles on every call: for tests)."""
    train = jax_trainer(optimizer, n=data.y.size, epochs=epochs, batch_size=batch_size, ndim=np.ndim(data.X),
                        loss=loss, shuffle=shuffle)
    inputs = jax_inputs(data, init, epochs=epochs, shuffle=shuffle, seed=seed)
    return np.asarray(train(*inputs, rule_of(optimizer)[1]))


def jax_sweep(optimizer, *, n, epochs, batch_size=None, ndim=1, loss="squared", shuffle=False):
    """A jitted ``sweep(X, y, theta0, visits, lrs) -> thetas``: :func:`jax_trainer`'s function
    mapped (``jax.vmap``) over a vector of learning rates, the data and the order shared (one
    seed for every run, as ``fastoptim.sweep(configs, seeds=(seed,))``)."""
    jax, _, _ = _jax()
    train = jax_trainer(optimizer, n=n, epochs=epochs, batch_size=batch_size, ndim=ndim, loss=loss, shuffle=shuffle)
    return jax.jit(jax.vmap(train, in_axes=(None, None, None, None, 0)))


def jax_loss_and_gradient():
    """A jitted ``f(theta, X, y) -> (Σ ℓ, ∇ Σ ℓ)`` of the squared error (``jax.value_and_grad``)."""
    jax, jnp, _ = _jax()
    return jax.jit(jax.value_and_grad(_jax_loss(jnp, jax, SQUARED, 2, jnp.sum)))


def block(value):
    """Wait for a JAX result (timing)."""
    import jax

    return jax.block_until_ready(value)
