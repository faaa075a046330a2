"""Fused update kernels: one pass over the parameters per step, in place, no temporaries.

Every rule of SPEC §3 is here twice over: a public kernel with a readable argument order
(``adam_update(params, grads, m, v, step, lr, beta1, beta2, eps, weight_decay, decoupled)``)
that users may call from their own ``@njit`` code, and the generic dispatchers
:func:`update` (serial) and :func:`update_parallel` (``prange``) that the Python API and the
compiled training loops call with a rule's hyperparameter record (``kernels/layout.py``:
``AdamHyper(beta1, beta2, eps, weight_decay, decoupled)`` …). The numpy reference of each rule
is ``fastoptim/reference/updates.py`` (same function names without ``_update``).

Dispatch is by the record's type, at compile time: ``update(AdamHyper(...), ...)`` compiles
Adam's code only. Two switches do it, :func:`coefficients_of` (the step's scalars) and
:func:`apply_rule` (the element loop); every rule's coefficients are a ``NamedTuple`` whose
fields say what each number is (``AdamStep.step_size`` = η/(1−β1^t)).

Conventions shared by every kernel
----------------------------------
- ``params``, ``grads`` and the state slots are 1-D C-contiguous arrays of one float dtype
  (float32 or float64) and the same size; the kernels do not check this (the Python API does).
- Arithmetic runs in the arrays' dtype: the scalars that depend only on the step (bias
  corrections, step sizes, decay factors) are computed once per step in float64, outside the
  element loop, then cast to the dtype. Only AdamP's cosines and projections (sums over the
  data) accumulate in float64.
- ``step`` is the 1-based count ``t`` of *this* update (the caller increments before calling;
  ``step >= 1``); ``lr`` is the learning rate ``η_t`` of this step (a float); ``beta`` (in the
  dispatchers) is the step's momentum β or β1 (:func:`momentum_of` for the record's own, or a
  momentum schedule's value; ignored by rules without a momentum).
- Weight decay (SPEC §3.2): ``decoupled=False`` adds ``λ θ`` to the gradient (L2); ``True``
  multiplies ``θ`` by ``1 - η_t λ`` before the update. ``λ = 0`` leaves both exact no-ops.
- NaN and inf are not filtered: an element whose gradient is NaN becomes NaN in ``params``
  and in its slots (an inf gradient gives NaN through ``inf/inf`` in the adaptive rules, and
  ``-inf``/``inf`` in GD and Momentum); other elements are untouched, except in AdamP, where
  a NaN gradient poisons the cosine of its row (see :func:`adamp_update`).

The generic dispatchers
-----------------------
``update(hyper, params, grads, slots, scalars, step, lr)`` and ``update_parallel(...)`` (same
signature): ``slots`` is a 2-D C-contiguous array of the params' dtype, shape
``(k, params.size)`` with ``k >= len(SLOT_NAMES[type(hyper)])`` (rows past those are ignored);
``scalars`` is the float64 per-run state of ``layout.py`` (:func:`initial_scalars`).
``update`` allocates nothing and computes the step's scalars once, so it is cheap for the
2-parameter neuron; ``update_parallel`` splits the elements into chunks of :data:`CHUNK`
run by ``prange`` and gives results bit-for-bit equal to ``update``. AdamP on a 2-D view
(``scalars[S_ROWS] > 0``) needs reductions over rows and always runs serially. Use
``update_parallel`` from :data:`PARALLEL_THRESHOLD` elements up.
"""
import math
from typing import NamedTuple

import numba
import numpy as np
from numba import types

from .layout import (MAX_SLOTS, N_SCALARS, S_MU_PRODUCT, S_ROWS, AdaDeltaHyper, AdaGradHyper,
                     AdaMaxHyper, AdamHyper, AdamPHyper, AMSGradHyper, GDHyper, LookaheadHyper,
                     MomentumHyper, NAdamHyper, NesterovHyper, RAdamHyper, RMSPropHyper)
from .policy import jit, jit_inline, jit_parallel, overload

__all__ = ["MAX_SLOTS", "N_SCALARS", "S_MU_PRODUCT", "S_ROWS"]  # (and the kernels below)


@jit
def initial_scalars(rows):
    """The ``scalars`` of a fresh run: ``Π_0 = 1`` and AdamP's ``rows`` (0 for 1-D arrays)."""
    scalars = np.zeros(N_SCALARS)
    scalars[S_MU_PRODUCT] = 1.0
    scalars[S_ROWS] = rows
    return scalars


#: Elements per ``prange`` chunk of :func:`update_parallel` (64 KiB of float64 per array).
CHUNK = 8192

#: Size from which the Python API calls :func:`update_parallel`. Measured on this machine
#: (2 threads, OpenMP layer; median µs per step, serial/parallel) at 1e3, 1e4, 2e4, 3e4, 1e5, 1e6:
#:   float64 Adam      1.7/3.0  12.6/11.9  24.8/21.7  36.9/21.8  125/73  1248/639
#:   float64 AMSGrad   1.8/3.1  12.9/12.3  24.8/22.3  37.6/23.0  133/74  1355/701
#:   float64 Momentum  0.6/2.2   3.1/4.3    6.2/6.5    8.9/6.5    44/18   812/423
#:   float32 Adam      0.9/2.2   3.9/4.9    7.4/7.7   10.7/7.8    35/22   537/285
#:   float32 Momentum  0.6/2.0   1.8/2.9    3.3/4.4    4.7/4.5    15/10   401/212
#: Parallel wins for each of these from 3e4 elements; below 2e4 the ~2 µs start of the
#: ``prange`` region costs more than it saves. When another process holds a core, a parallel
#: step can wait for a scheduler slice (measured 4-16 ms): the threshold assumes a free machine.
PARALLEL_THRESHOLD = 32768


# --- the coefficients of one step, by rule (named positions) -----------------------------------
class GDStep(NamedTuple):
    lr: float
    shrink: float  # the factor on θ, 1 − ηλ (coupled and decoupled decay coincide for GD)


class MomentumStep(NamedTuple):
    lr: float
    beta: float
    decay: float
    l2: float


class AdaGradStep(NamedTuple):
    lr: float
    eps: float
    decay: float
    l2: float


class RMSPropStep(NamedTuple):  # RMSProp and AdaDelta
    lr: float
    beta: float
    one_minus_beta: float
    eps: float
    decay: float
    l2: float


class AdamStep(NamedTuple):  # Adam, AdaMax, AMSGrad
    beta1: float
    one_minus_beta1: float
    beta2: float
    one_minus_beta2: float
    step_size: float  # η / (1 − β1^t) (AMSGrad without bias correction: η)
    inverse_root_bias2: float  # 1 / √(1 − β2^t) (AMSGrad without bias correction: 1)
    eps: float
    decay: float
    l2: float


class NAdamStep(NamedTuple):
    beta1: float
    one_minus_beta1: float
    beta2: float
    one_minus_beta2: float
    coefficient_g: float  # of g / d in the update
    coefficient_m: float  # of m / d in the update
    inverse_root_bias2: float
    eps: float
    decay: float
    l2: float


class RAdamStep(NamedTuple):
    beta1: float
    one_minus_beta1: float
    beta2: float
    one_minus_beta2: float
    step_size: float  # η r_t √(1−β2^t) / (1−β1^t) if rectified, else η / (1−β1^t)
    rectified: float  # 1.0 when ρ_t > 5
    eps: float
    decay: float
    l2: float


class AdamPStep(NamedTuple):
    beta1: float
    one_minus_beta1: float
    beta2: float
    one_minus_beta2: float
    step_size: float
    inverse_root_bias2: float
    eps: float
    decay: float
    l2: float
    nesterov: bool


# --- helpers -------------------------------------------------------------------------------------
@jit_inline
def _maximum(a, b):
    """``np.maximum`` for two scalars: the larger, or NaN if either is NaN."""
    return a if (a > b or a != a) else b


def like(p, x):
    """``x`` in the dtype of the parameter value ``p`` (float32 or float64)."""


@overload(like)
def _like(p, x):
    if p == types.float32:
        return lambda p, x: np.float32(x)
    return lambda p, x: np.float64(x)


@jit_inline
def _decay(lr, weight_decay, decoupled):
    """(factor on θ, coefficient of θ added to g) for decoupled or coupled weight decay."""
    if decoupled:
        return 1.0 - lr * weight_decay, 0.0
    return 1.0, weight_decay * 1.0


#: ``e(1 − b) >= POWER_NEGLIGIBLE`` proves ``b^e <= 2^−60`` for ``0 <= b < 1`` (below).
POWER_NEGLIGIBLE = 42.0


@jit_inline
def _one_minus_power(base, exponent, scale):
    """``1 − scale · base^exponent`` for ``0 <= base < 1``, ``exponent >= 0``, ``0 < scale <= 1``,
    with libm's ``pow`` (as Python and numpy), skipped where its result cannot matter.

    ``ln b <= b − 1`` gives ``b^e <= e^(−e(1−b))``: once ``e(1 − b) >= 42``, ``b^e < 2^−60``, and
    ``1 − scale·b^e`` rounds to 1.0 exactly (anything below ``2^−54`` does). So 1.0 is returned
    without the call, the same bits (a ``pow`` costs 15-20 ns here, the slowest part of an
    Adam step on two parameters; with β2 = 0.999 it is skipped from step 42 000 on). NaN
    fails the comparison and takes the ``pow``.
    """
    if exponent * (1.0 - base) >= POWER_NEGLIGIBLE:
        return 1.0
    return 1.0 - scale * math.pow(base, exponent)


@jit_inline
def _bias_corrections(step, beta1, beta2):
    """``1 - β1^t``, ``1 - β2^t``.

    The exponent is passed as a float so that numba calls libm's ``pow`` (as Python and numpy
    do); with an integer exponent it multiplies repeatedly, which was off by ~1e-13 relative
    at t ~ 10, an error RAdam's ρ_t amplifies 1e4-fold when β2 is near 1."""
    return _one_minus_power(beta1, float(step), 1.0), _one_minus_power(beta2, float(step), 1.0)


# --- GD ------------------------------------------------------------------------------------------
@jit_inline
def _gd_coefficients(lr, weight_decay, decoupled):
    return GDStep(lr * 1.0, 1.0 - lr * weight_decay)


@jit_inline
def _gd_element(c, p, g):
    """One parameter's GD step, the new θ: ``θ(1 − ηλ) − η g``, which is ``θ − η(g + λθ)``
    (SPEC §3.2). Written so, the θ term is off the chain of dependent operations from g to
    the new θ (a stochastic step waits on that chain; λ = 0: ``θ·1 − η g``, exactly ``θ − η g``)."""
    return p * like(p, c.shrink) - like(p, c.lr) * g


@jit_inline
def _gd_loop(params, grads, coefficients):
    for i in range(params.size):
        params[i] = _gd_element(coefficients, params[i], grads[i])


@jit
def gd_update(params, grads, lr, weight_decay, decoupled):
    """Gradient descent: ``θ ← θ − η g`` (lecture 5.2; SPEC §3).

    Arguments: ``params`` (updated in place), ``grads``; ``lr`` η; ``weight_decay`` λ;
    ``decoupled`` (bool). Coupled and decoupled decay coincide for GD (SPEC §3.2).
    """
    _gd_loop(params, grads, _gd_coefficients(lr, weight_decay, decoupled))


# --- Momentum and Nesterov ---------------------------------------------------------------------
@jit_inline
def _momentum_coefficients(lr, beta, weight_decay, decoupled):
    decay, l2 = _decay(lr, weight_decay, decoupled)
    return MomentumStep(lr * 1.0, beta * 1.0, decay, l2)


@jit_inline
def _momentum_element(c, p, g, velocity):
    """One parameter's Momentum step: (θ, u) with ``u = β u + η(g + λθ)`` (coupled decay λ),
    computed as ``(β u + ηλθ) + η g``: the θ term off the chain of dependent operations from g
    to the new θ (without coupled decay the term is 0 and skipped: ``β u + η g``)."""
    lr = like(p, c.lr)
    lr_l2 = lr * like(p, c.l2)
    carried = like(p, c.beta) * velocity
    carried = carried if lr_l2 == 0 else carried + lr_l2 * p
    u = carried + lr * g
    return p * like(p, c.decay) - u, u


@jit_inline
def _momentum_loop(params, grads, velocity, coefficients):
    for i in range(params.size):
        params[i], velocity[i] = _momentum_element(coefficients, params[i], grads[i], velocity[i])


@jit
def momentum_update(params, grads, velocity, lr, beta, weight_decay, decoupled):
    """Momentum (lecture 5.4): ``u ← β u + η g``;  ``θ ← θ − u``.

    Arguments: ``params``, ``grads``, ``velocity`` (``u``, updated in place); ``lr`` η;
    ``beta`` β; ``weight_decay`` λ; ``decoupled``. PyTorch's ``SGD(momentum=β)``
    accumulates ``g`` and multiplies by the current η: the same under a constant η
    (SPEC §3.5).
    """
    coefficients = _momentum_coefficients(lr, beta, weight_decay, decoupled)
    _momentum_loop(params, grads, velocity, coefficients)


@jit_inline
def _nesterov_element(c, p, g, velocity):
    """One parameter's Nesterov step (stored form): (φ, u)."""
    l2 = like(p, c.l2)
    g = g if l2 == 0 else g + l2 * p
    lr, beta = like(p, c.lr), like(p, c.beta)
    u = beta * velocity + lr * g
    return p * like(p, c.decay) - (beta * u + lr * g), u


@jit_inline
def _nesterov_loop(params, grads, velocity, coefficients):
    for i in range(params.size):
        params[i], velocity[i] = _nesterov_element(coefficients, params[i], grads[i], velocity[i])


@jit
def nesterov_update(params, grads, velocity, lr, beta, weight_decay, decoupled):
    """Nesterov accelerated gradient, stored-look-ahead form (lecture 5.5; SPEC §3.1).

    ``u ← β u + η g``;  ``φ ← φ − β u − η g``, where ``params`` holds the look-ahead point
    ``φ = θ − β u`` and ``grads`` is the gradient at ``φ``. Same iterates as the lecture's
    look-ahead form. PyTorch's ``SGD(nesterov=True)`` is this form with ``u = η·buf``.
    Arguments as :func:`momentum_update`.
    """
    coefficients = _momentum_coefficients(lr, beta, weight_decay, decoupled)
    _nesterov_loop(params, grads, velocity, coefficients)


# --- AdaGrad, RMSProp, AdaDelta ---------------------------------------------------------------
@jit_inline
def _adagrad_coefficients(lr, eps, weight_decay, decoupled):
    decay, l2 = _decay(lr, weight_decay, decoupled)
    return AdaGradStep(lr * 1.0, eps * 1.0, decay, l2)


@jit_inline
def _adagrad_element(c, p, g, v):
    """One parameter's AdaGrad step: (θ, v)."""
    l2 = like(p, c.l2)
    g = g if l2 == 0 else g + l2 * p
    v = v + g * g
    return p * like(p, c.decay) - like(p, c.lr) * g / (math.sqrt(v) + like(p, c.eps)), v


@jit_inline
def _adagrad_loop(params, grads, v, coefficients):
    for i in range(params.size):
        params[i], v[i] = _adagrad_element(coefficients, params[i], grads[i], v[i])


@jit
def adagrad_update(params, grads, v, lr, eps, weight_decay, decoupled):
    """AdaGrad (Duchi et al. 2011; lecture 5.9): ``v ← v + g²``;  ``θ ← θ − η g / (√v + ε)``.

    Arguments: ``params``, ``grads``, ``v`` (updated in place); ``lr``, ``eps``,
    ``weight_decay``, ``decoupled``. PyTorch's default ε is 1e-10 (ours 1e-8, SPEC §3.5).
    """
    coefficients = _adagrad_coefficients(lr, eps, weight_decay, decoupled)
    _adagrad_loop(params, grads, v, coefficients)


@jit_inline
def _rmsprop_coefficients(lr, beta, eps, weight_decay, decoupled):
    decay, l2 = _decay(lr, weight_decay, decoupled)
    return RMSPropStep(lr * 1.0, beta * 1.0, 1.0 - beta, eps * 1.0, decay, l2)


@jit_inline
def _rmsprop_element(c, p, g, v):
    """One parameter's RMSProp step: (θ, v)."""
    l2 = like(p, c.l2)
    g = g if l2 == 0 else g + l2 * p
    v = like(p, c.beta) * v + like(p, c.one_minus_beta) * g * g
    return p * like(p, c.decay) - like(p, c.lr) * g / (math.sqrt(v) + like(p, c.eps)), v


@jit_inline
def _rmsprop_loop(params, grads, v, coefficients):
    for i in range(params.size):
        params[i], v[i] = _rmsprop_element(coefficients, params[i], grads[i], v[i])


@jit
def rmsprop_update(params, grads, v, lr, beta, eps, weight_decay, decoupled):
    """RMSProp (Hinton, Coursera lecture 6e; lecture 5.9).

    ``v ← β v + (1−β) g²``;  ``θ ← θ − η g / (√v + ε)``. Arguments: ``params``, ``grads``,
    ``v``; ``lr``, ``beta``, ``eps``, ``weight_decay``, ``decoupled``. PyTorch calls β
    ``alpha`` and defaults it to 0.99 (ours 0.9, SPEC §3.5).
    """
    coefficients = _rmsprop_coefficients(lr, beta, eps, weight_decay, decoupled)
    _rmsprop_loop(params, grads, v, coefficients)


@jit_inline
def _adadelta_element(c, p, g, v, u):
    """One parameter's AdaDelta step: (θ, v, u)."""
    l2 = like(p, c.l2)
    g = g if l2 == 0 else g + l2 * p
    beta, one_minus_beta, eps = like(p, c.beta), like(p, c.one_minus_beta), like(p, c.eps)
    v = beta * v + one_minus_beta * g * g
    delta = g * math.sqrt(u + eps) / math.sqrt(v + eps)
    u = beta * u + one_minus_beta * delta * delta
    return p * like(p, c.decay) - like(p, c.lr) * delta, v, u


@jit_inline
def _adadelta_loop(params, grads, v, u, coefficients):
    for i in range(params.size):
        params[i], v[i], u[i] = _adadelta_element(coefficients, params[i], grads[i], v[i], u[i])


@jit
def adadelta_update(params, grads, v, u, lr, beta, eps, weight_decay, decoupled):
    """AdaDelta (Zeiler 2012; lecture 5.9).

    ``v ← β v + (1−β) g²``;  ``Δ = g √(u + ε) / √(v + ε)``;  ``u ← β u + (1−β) Δ²``;
    ``θ ← θ − η Δ``. Arguments: ``params``, ``grads``, ``v`` (squared gradients), ``u``
    (squared updates); ``lr``, ``beta``, ``eps``, ``weight_decay``, ``decoupled``. PyTorch
    calls β ``rho`` (default 0.9; ours 0.95).
    """
    coefficients = _rmsprop_coefficients(lr, beta, eps, weight_decay, decoupled)
    _adadelta_loop(params, grads, v, u, coefficients)


# --- Adam, AdaMax ----------------------------------------------------------------------------
@jit_inline
def _adam_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled):
    bias_correction1, bias_correction2 = _bias_corrections(step, beta1, beta2)
    decay, l2 = _decay(lr, weight_decay, decoupled)
    return AdamStep(beta1 * 1.0, 1.0 - beta1, beta2 * 1.0, 1.0 - beta2, lr / bias_correction1,
                    1.0 / math.sqrt(bias_correction2), eps * 1.0, decay, l2)


@jit_inline
def _adam_element(c, p, g, m, v):
    """One parameter's Adam step: (θ, m, v)."""
    l2 = like(p, c.l2)
    g = g if l2 == 0 else g + l2 * p
    m = like(p, c.beta1) * m + like(p, c.one_minus_beta1) * g
    v = like(p, c.beta2) * v + like(p, c.one_minus_beta2) * g * g
    denominator = math.sqrt(v) * like(p, c.inverse_root_bias2) + like(p, c.eps)
    return p * like(p, c.decay) - like(p, c.step_size) * m / denominator, m, v


@jit_inline
def _adam_loop(params, grads, m, v, coefficients):
    for i in range(params.size):
        params[i], m[i], v[i] = _adam_element(coefficients, params[i], grads[i], m[i], v[i])


@jit
def adam_update(params, grads, m, v, step, lr, beta1, beta2, eps, weight_decay, decoupled):
    """Adam (Kingma & Ba 2015, Algorithm 1; lecture 5.9).

    ``m ← β1 m + (1−β1) g``;  ``v ← β2 v + (1−β2) g²``;  ``m̂ = m/(1−β1^t)``,
    ``v̂ = v/(1−β2^t)``;  ``θ ← θ − η m̂ / (√v̂ + ε)``, computed as
    ``θ − (η/(1−β1^t)) m / (√v/√(1−β2^t) + ε)`` like PyTorch. With ``decoupled=True`` this is
    AdamW (Loshchilov & Hutter 2019, PyTorch's scaling ``θ ← θ(1 − η λ)``).

    Arguments: ``params``, ``grads``, ``m``, ``v`` (updated in place); ``step`` t ≥ 1;
    ``lr``, ``beta1``, ``beta2``, ``eps``, ``weight_decay``, ``decoupled``.
    """
    coefficients = _adam_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled)
    _adam_loop(params, grads, m, v, coefficients)


@jit_inline
def _adamax_element(c, p, g, m, u):
    """One parameter's AdaMax step: (θ, m, u)."""
    l2 = like(p, c.l2)
    g = g if l2 == 0 else g + l2 * p
    m = like(p, c.beta1) * m + like(p, c.one_minus_beta1) * g
    u = _maximum(like(p, c.beta2) * u, abs(g))
    return p * like(p, c.decay) - like(p, c.step_size) * m / (u + like(p, c.eps)), m, u


@jit_inline
def _adamax_loop(params, grads, m, u, coefficients):
    for i in range(params.size):
        params[i], m[i], u[i] = _adamax_element(coefficients, params[i], grads[i], m[i], u[i])


@jit
def adamax_update(params, grads, m, u, step, lr, beta1, beta2, eps, weight_decay, decoupled):
    """AdaMax (Kingma & Ba 2015, §7.1).

    ``m`` as Adam;  ``u ← max(β2 u, |g|)``;  ``θ ← θ − η m̂ / (u + ε)``. ε is added after the
    max; PyTorch adds it inside (``max(β2 u, |g| + ε)``, SPEC §3.5). Arguments as
    :func:`adam_update` with ``u`` (the infinity norm) for ``v``.
    """
    coefficients = _adam_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled)
    _adamax_loop(params, grads, m, u, coefficients)


# --- NAdam ------------------------------------------------------------------------------------
@jit_inline
def _nadam_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled, momentum_decay,
                        mu_product):
    """The step's coefficients of g and m, and the new product Π_t."""
    bias_correction1, bias_correction2 = _bias_corrections(step, beta1, beta2)
    decay, l2 = _decay(lr, weight_decay, decoupled)
    if momentum_decay == 0.0:
        coefficient_g = lr * (1.0 - beta1) / bias_correction1
        coefficient_m = lr * beta1 / bias_correction1
    else:
        mu = beta1 * _one_minus_power(0.96, step * momentum_decay, 0.5)
        mu_next = beta1 * _one_minus_power(0.96, (step + 1) * momentum_decay, 0.5)
        mu_product = mu_product * mu
        coefficient_g = lr * (1.0 - mu) / (1.0 - mu_product)
        coefficient_m = lr * mu_next / (1.0 - mu_product * mu_next)
    coefficients = NAdamStep(beta1 * 1.0, 1.0 - beta1, beta2 * 1.0, 1.0 - beta2, coefficient_g,
                             coefficient_m, 1.0 / math.sqrt(bias_correction2), eps * 1.0, decay, l2)
    return coefficients, mu_product


@jit_inline
def _nadam_element(c, p, g, m, v):
    """One parameter's NAdam step: (θ, m, v)."""
    l2 = like(p, c.l2)
    g = g if l2 == 0 else g + l2 * p
    m = like(p, c.beta1) * m + like(p, c.one_minus_beta1) * g
    v = like(p, c.beta2) * v + like(p, c.one_minus_beta2) * g * g
    denominator = math.sqrt(v) * like(p, c.inverse_root_bias2) + like(p, c.eps)
    step = like(p, c.coefficient_g) * g + like(p, c.coefficient_m) * m
    return p * like(p, c.decay) - step / denominator, m, v


@jit_inline
def _nadam_loop(params, grads, m, v, coefficients):
    for i in range(params.size):
        params[i], m[i], v[i] = _nadam_element(coefficients, params[i], grads[i], m[i], v[i])


@jit
def nadam_update(params, grads, m, v, step, lr, beta1, beta2, eps, weight_decay, decoupled,
                 momentum_decay, mu_product):
    """NAdam (Dozat 2016; lecture 5.9). Returns the new μ-product ``Π_t`` (a float).

    Lecture form (``momentum_decay = 0``): ``m, v, m̂, v̂`` as Adam;
    ``θ ← θ − η (β1 m̂ + (1−β1) g/(1−β1^t)) / (√v̂ + ε)``; ``mu_product`` is returned as given.

    ``momentum_decay = ψ > 0`` (PyTorch's ``NAdam``, SPEC §3.5):
    ``μ_t = β1 (1 − ½·0.96^(tψ))``, ``Π_t = Π_{t−1} μ_t``,
    ``θ ← θ − η (1−μ_t)/(1−Π_t) · g/d − η μ_{t+1}/(1−Π_t μ_{t+1}) · m/d``,
    ``d = √(v/(1−β2^t)) + ε``; pass ``mu_product = Π_{t−1}`` (1.0 before the first step).

    Arguments: ``params``, ``grads``, ``m``, ``v``; ``step``, ``lr``, ``beta1``, ``beta2``,
    ``eps``, ``weight_decay``, ``decoupled``, ``momentum_decay``, ``mu_product``.
    """
    coefficients, mu_product = _nadam_coefficients(step, lr, beta1, beta2, eps, weight_decay,
                                                    decoupled, momentum_decay, mu_product)
    _nadam_loop(params, grads, m, v, coefficients)
    return mu_product


# --- AMSGrad ----------------------------------------------------------------------------------
@jit_inline
def _amsgrad_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled, bias_correction):
    decay, l2 = _decay(lr, weight_decay, decoupled)
    if bias_correction:
        bias_correction1, bias_correction2 = _bias_corrections(step, beta1, beta2)
        step_size = lr / bias_correction1
        inverse_root_bias2 = 1.0 / math.sqrt(bias_correction2)
    else:
        step_size = lr * 1.0
        inverse_root_bias2 = 1.0
    return AdamStep(beta1 * 1.0, 1.0 - beta1, beta2 * 1.0, 1.0 - beta2, step_size,
                    inverse_root_bias2, eps * 1.0, decay, l2)


@jit_inline
def _amsgrad_element(c, p, g, m, v, v_max):
    """One parameter's AMSGrad step: (θ, m, v, v̂max)."""
    l2 = like(p, c.l2)
    g = g if l2 == 0 else g + l2 * p
    m = like(p, c.beta1) * m + like(p, c.one_minus_beta1) * g
    v = like(p, c.beta2) * v + like(p, c.one_minus_beta2) * g * g
    v_max = _maximum(v_max, v)
    denominator = math.sqrt(v_max) * like(p, c.inverse_root_bias2) + like(p, c.eps)
    return p * like(p, c.decay) - like(p, c.step_size) * m / denominator, m, v, v_max


@jit_inline
def _amsgrad_loop(params, grads, m, v, v_max, coefficients):
    for i in range(params.size):
        params[i], m[i], v[i], v_max[i] = _amsgrad_element(coefficients, params[i], grads[i], m[i], v[i],
                                                           v_max[i])


@jit
def amsgrad_update(params, grads, m, v, v_max, step, lr, beta1, beta2, eps, weight_decay,
                   decoupled, bias_correction):
    """AMSGrad (Reddi et al. 2018, Algorithm 2; lecture 5.9).

    ``m, v`` as Adam;  ``v̂max ← max(v̂max, v)``;  ``θ ← θ − η m / (√v̂max + ε)`` (no bias
    correction). ``bias_correction=True`` is PyTorch's ``Adam(amsgrad=True)``:
    ``θ ← θ − η/(1−β1^t) · m / (√v̂max/√(1−β2^t) + ε)`` (SPEC §3.5).

    Arguments: ``params``, ``grads``, ``m``, ``v``, ``v_max``; ``step``, ``lr``, ``beta1``,
    ``beta2``, ``eps``, ``weight_decay``, ``decoupled``, ``bias_correction`` (bool).
    """
    coefficients = _amsgrad_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled,
                                         bias_correction)
    _amsgrad_loop(params, grads, m, v, v_max, coefficients)


# --- RAdam ------------------------------------------------------------------------------------
@jit
def radam_rectification(step, beta2):
    """RAdam's ``(ρ_t, r_t)``: ``r_t`` is 0.0 while ``ρ_t <= 5`` (the un-rectified branch)."""
    rho_infinity = 2.0 / (1.0 - beta2) - 1.0
    beta2_power = math.pow(beta2, float(step))
    rho = rho_infinity - 2.0 * step * beta2_power / (1.0 - beta2_power)
    if rho > 5.0:
        ratio = ((rho - 4.0) * (rho - 2.0) * rho_infinity
                 / ((rho_infinity - 4.0) * (rho_infinity - 2.0) * rho))
        return rho, math.sqrt(ratio)
    return rho, 0.0


@jit_inline
def _radam_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled):
    bias_correction1, bias_correction2 = _bias_corrections(step, beta1, beta2)
    decay, l2 = _decay(lr, weight_decay, decoupled)
    rho, rectification = radam_rectification(step, beta2)
    if rectification > 0.0:
        step_size = lr * rectification * math.sqrt(bias_correction2) / bias_correction1
        rectified = 1.0
    else:
        step_size = lr / bias_correction1
        rectified = 0.0
    return RAdamStep(beta1 * 1.0, 1.0 - beta1, beta2 * 1.0, 1.0 - beta2, step_size, rectified,
                     eps * 1.0, decay, l2)


@jit_inline
def _radam_element(c, p, g, m, v):
    """One parameter's RAdam step: (θ, m, v); the rectified or the plain branch (a select: the
    same for every element of a step)."""
    l2 = like(p, c.l2)
    g = g if l2 == 0 else g + l2 * p
    m = like(p, c.beta1) * m + like(p, c.one_minus_beta1) * g
    v = like(p, c.beta2) * v + like(p, c.one_minus_beta2) * g * g
    direction = m / (math.sqrt(v) + like(p, c.eps)) if c.rectified != 0.0 else m
    return p * like(p, c.decay) - like(p, c.step_size) * direction, m, v


@jit_inline
def _radam_loop(params, grads, m, v, coefficients):
    for i in range(params.size):
        params[i], m[i], v[i] = _radam_element(coefficients, params[i], grads[i], m[i], v[i])


@jit
def radam_update(params, grads, m, v, step, lr, beta1, beta2, eps, weight_decay, decoupled):
    """RAdam (Liu et al. 2020, Algorithm 2; threshold ρ_t > 5 as in PyTorch, SPEC §3.3).

    ``ρ∞ = 2/(1−β2) − 1``;  ``ρ_t = ρ∞ − 2 t β2^t / (1 − β2^t)``. If ``ρ_t > 5``:
    ``r_t = √((ρ_t−4)(ρ_t−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρ_t))``,
    ``θ ← θ − η r_t m̂ √(1−β2^t) / (√v + ε)``; else ``θ ← θ − η m̂``. The branch is chosen once
    per step. Arguments as :func:`adam_update`.
    """
    coefficients = _radam_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled)
    _radam_loop(params, grads, m, v, coefficients)


# --- AdamP ------------------------------------------------------------------------------------
@jit_inline
def _adamp_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled, nesterov):
    bias_correction1, bias_correction2 = _bias_corrections(step, beta1, beta2)
    decay, l2 = _decay(lr, weight_decay, decoupled)
    return AdamPStep(beta1 * 1.0, 1.0 - beta1, beta2 * 1.0, 1.0 - beta2, lr / bias_correction1,
                     1.0 / math.sqrt(bias_correction2), eps * 1.0, decay, l2, bool(nesterov))


@jit_inline
def _adamp_element(c, p, g, m, v):
    """One parameter's AdamP step without projection (its 1-D form): Adam, or Adam with the
    Nesterov direction: (θ, m, v)."""
    l2 = like(p, c.l2)
    g = g if l2 == 0 else g + l2 * p
    beta1, one_minus_beta1 = like(p, c.beta1), like(p, c.one_minus_beta1)
    m = beta1 * m + one_minus_beta1 * g
    v = like(p, c.beta2) * v + like(p, c.one_minus_beta2) * g * g
    direction = beta1 * m + one_minus_beta1 * g if c.nesterov else m
    denominator = math.sqrt(v) * like(p, c.inverse_root_bias2) + like(p, c.eps)
    return p * like(p, c.decay) - like(p, c.step_size) * direction / denominator, m, v


@jit_inline
def _adamp_loop(params, grads, m, v, coefficients):
    """One fused pass without projection: Adam, or Adam with the Nesterov direction."""
    for i in range(params.size):
        params[i], m[i], v[i] = _adamp_element(coefficients, params[i], grads[i], m[i], v[i])


@jit
def _adamp_moments(params, grads, m, v, rows, coefficients):
    """Update m, v; return (largest per-row |cos(g, θ)|, |cos| over the whole array)."""
    to = params.dtype.type
    beta1, one_minus_beta1 = to(coefficients.beta1), to(coefficients.one_minus_beta1)
    beta2, one_minus_beta2 = to(coefficients.beta2), to(coefficients.one_minus_beta2)
    eps, l2 = coefficients.eps, to(coefficients.l2)
    columns = params.size // rows
    largest = 0.0
    total_dot, total_gg, total_tt = 0.0, 0.0, 0.0
    for row in range(rows):
        start, stop = row * columns, (row + 1) * columns
        p, g_row, m_row, v_row = params[start:stop], grads[start:stop], m[start:stop], v[start:stop]
        dot, gg, tt = 0.0, 0.0, 0.0
        for i in range(columns):
            theta = p[i]
            g = g_row[i] if l2 == 0 else g_row[i] + l2 * theta
            m_row[i] = beta1 * m_row[i] + one_minus_beta1 * g
            v_row[i] = beta2 * v_row[i] + one_minus_beta2 * g * g
            g64, theta64 = numba.float64(g), numba.float64(theta)
            dot += g64 * theta64
            gg += g64 * g64
            tt += theta64 * theta64
        cosine = abs(dot) / max(math.sqrt(gg) * math.sqrt(tt), eps)
        largest = _maximum(largest, cosine)
        total_dot += dot
        total_gg += gg
        total_tt += tt
    whole = abs(total_dot) / max(math.sqrt(total_gg) * math.sqrt(total_tt), eps)
    return largest, whole


@jit
def _adamp_directions(params, grads, m, v, coefficients, project, along, decay):
    """Over one row: ``(Σ θ_i², Σ θ_i p_i)`` in float64 (``project=False``), or the step
    ``θ ← θ·decay − η/(1−β1^t) · (p − along·θ)`` (``project=True``; ``along = 0``: no
    projection). ``p`` is AdamP's direction from the updated m, v (Nesterov's if asked); the
    loops are written out per case so that no call or branch stays inside them."""
    to = params.dtype.type
    beta1, one_minus_beta1 = to(coefficients.beta1), to(coefficients.one_minus_beta1)
    step_size, inverse_root_bias2 = to(coefficients.step_size), to(coefficients.inverse_root_bias2)
    eps, l2, theta_factor = to(coefficients.eps), to(coefficients.l2), to(decay)
    nesterov = coefficients.nesterov
    squares, total = 0.0, 0.0
    if not project:
        for i in range(params.size):
            numerator = m[i]
            if nesterov:
                g = grads[i] if l2 == 0 else grads[i] + l2 * params[i]
                numerator = beta1 * m[i] + one_minus_beta1 * g
            direction = numerator / (math.sqrt(v[i]) * inverse_root_bias2 + eps)
            theta64 = numba.float64(params[i])
            squares += theta64 * theta64
            total += theta64 * numba.float64(direction)
    elif along == 0.0:
        for i in range(params.size):
            numerator = m[i]
            if nesterov:
                g = grads[i] if l2 == 0 else grads[i] + l2 * params[i]
                numerator = beta1 * m[i] + one_minus_beta1 * g
            direction = numerator / (math.sqrt(v[i]) * inverse_root_bias2 + eps)
            params[i] = params[i] * theta_factor - step_size * direction
    else:
        for i in range(params.size):
            numerator = m[i]
            if nesterov:
                g = grads[i] if l2 == 0 else grads[i] + l2 * params[i]
                numerator = beta1 * m[i] + one_minus_beta1 * g
            direction = numerator / (math.sqrt(v[i]) * inverse_root_bias2 + eps)
            # the projection cancels most of p when g ⟂ θ: computed in float64
            projected = to(numba.float64(direction) - numba.float64(params[i]) * along)
            params[i] = params[i] * theta_factor - step_size * projected
    return squares, total


@jit
def _adamp_projected_step(params, grads, m, v, rows, coefficients, decay):
    """θ ← θ·decay − η/(1−β1^t) · (p − (p·θ̂) θ̂), θ̂ = θ/(‖θ‖+ε), per row of the (rows, ·) view."""
    eps = coefficients.eps
    columns = params.size // rows
    for row in range(rows):
        start, stop = row * columns, (row + 1) * columns
        p, g, m_row, v_row = params[start:stop], grads[start:stop], m[start:stop], v[start:stop]
        tt, tp = _adamp_directions(p, g, m_row, v_row, coefficients, False, 0.0, decay)
        scale = 1.0 / (math.sqrt(tt) + eps)
        along = scale * scale * tp  # (p·θ̂)/(‖θ‖+ε): the coefficient of θ in the projection
        _adamp_directions(p, g, m_row, v_row, coefficients, True, along, decay)


@jit
def _adamp_plain_step(params, grads, m, v, coefficients):
    _adamp_directions(params, grads, m, v, coefficients, True, 0.0, coefficients.decay)


@jit
def adamp_update(params, grads, m, v, step, lr, beta1, beta2, eps, weight_decay, decoupled,
                 delta, wd_ratio, nesterov, rows):
    """AdamP (Heo et al. 2021, Algorithm 2; SPEC §3.4).

    Adam's direction ``p = m̂/(√v̂ + ε)`` (``nesterov=True``: ``(β1 m + (1−β1) g)/(1−β1^t)``
    for ``m̂``). With ``rows > 0`` the parameters are viewed as ``(rows, size // rows)``
    (a tensor of 2 or more dimensions, split along its first axis); if the largest
    ``|cos(g, θ)|`` over the rows is below ``δ/√(row size)``, each row's ``p`` loses its
    component along ``θ̂ = θ/(‖θ‖ + ε)``; failing that, the same test and projection over
    the whole array (``δ/√size``); a projection scales the decoupled weight decay by
    ``wd_ratio``. Then ``θ ← θ(1 − η λ r) − η p``. ``cos = g·θ / max(‖g‖‖θ‖, ε)``; the sums and the
    projection (which cancels most of ``p`` when ``g ⟂ θ``) are computed in float64, as in
    the authors' code (``F.cosine_similarity`` with ``eps``). ``rows = 0``
    (a 1-D array) updates as Adam in one pass. With ``decoupled=False`` λθ is added to g
    (the cosine then uses that g) and ``wd_ratio`` has no effect.

    This kernel makes one pass (m, v, cosines), then one more (no projection) or two more
    (norms and ``p·θ``, then the step) over each row, with float64 sums that do not
    vectorize: ~2x a fused Adam step without projection, ~5x with it. It is serial even
    under :func:`update_parallel`. A NaN gradient makes its row's cosine NaN,
    which fails the test (no projection, like ``torch.max`` of a NaN).

    Arguments: ``params``, ``grads``, ``m``, ``v``; ``step``, ``lr``, ``beta1``, ``beta2``,
    ``eps``, ``weight_decay``, ``decoupled``, ``delta``, ``wd_ratio``, ``nesterov`` (bool),
    ``rows`` (int).
    """
    coefficients = _adamp_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled,
                                       nesterov)
    size = params.size
    if rows == 0 or size == 0:
        _adamp_loop(params, grads, m, v, coefficients)
        return
    largest, whole = _adamp_moments(params, grads, m, v, rows, coefficients)
    projected_decay = 1.0 - lr * weight_decay * wd_ratio if decoupled else 1.0
    if largest < delta / math.sqrt(size // rows):
        _adamp_projected_step(params, grads, m, v, rows, coefficients, projected_decay)
    elif whole < delta / math.sqrt(size):
        _adamp_projected_step(params, grads, m, v, 1, coefficients, projected_decay)
    else:
        _adamp_plain_step(params, grads, m, v, coefficients)


# --- the two switches: a rule's coefficients and its element loop, by the record's type ------
def momentum_of(hyper):
    """The record's momentum: β of Momentum and Nesterov, β1 of the Adam family, 0 otherwise."""


@overload(momentum_of)
def _momentum_of(hyper):
    rule = hyper.instance_class
    if rule in (MomentumHyper, NesterovHyper, LookaheadHyper):
        return lambda hyper: hyper.beta * 1.0
    if rule in (AdamHyper, AdaMaxHyper, NAdamHyper, AMSGradHyper, RAdamHyper, AdamPHyper):
        return lambda hyper: hyper.beta1 * 1.0
    return lambda hyper: 0.0


def coefficients_of(hyper, scalars, step, lr, beta):
    """The coefficients of step ``step`` of the rule of ``hyper`` at rate ``lr`` and momentum
    ``beta`` (updates NAdam's product Π in ``scalars``)."""


@overload(coefficients_of)
def _coefficients_of(hyper, scalars, step, lr, beta):
    rule = hyper.instance_class
    if rule is GDHyper:
        return lambda hyper, scalars, step, lr, beta: _gd_coefficients(
            lr, hyper.weight_decay, hyper.decoupled != 0.0)
    if rule in (MomentumHyper, NesterovHyper, LookaheadHyper):
        return lambda hyper, scalars, step, lr, beta: _momentum_coefficients(
            lr, beta, hyper.weight_decay, hyper.decoupled != 0.0)
    if rule is AdaGradHyper:
        return lambda hyper, scalars, step, lr, beta: _adagrad_coefficients(
            lr, hyper.eps, hyper.weight_decay, hyper.decoupled != 0.0)
    if rule in (RMSPropHyper, AdaDeltaHyper):
        return lambda hyper, scalars, step, lr, beta: _rmsprop_coefficients(
            lr, hyper.beta, hyper.eps, hyper.weight_decay, hyper.decoupled != 0.0)
    if rule in (AdamHyper, AdaMaxHyper):
        return lambda hyper, scalars, step, lr, beta: _adam_coefficients(
            step, lr, beta, hyper.beta2, hyper.eps, hyper.weight_decay, hyper.decoupled != 0.0)
    if rule is NAdamHyper:
        def nadam(hyper, scalars, step, lr, beta):
            coefficients, mu_product = _nadam_coefficients(
                step, lr, beta, hyper.beta2, hyper.eps, hyper.weight_decay, hyper.decoupled != 0.0,
                hyper.momentum_decay, scalars[S_MU_PRODUCT])
            scalars[S_MU_PRODUCT] = mu_product
            return coefficients
        return nadam
    if rule is AMSGradHyper:
        return lambda hyper, scalars, step, lr, beta: _amsgrad_coefficients(
            step, lr, beta, hyper.beta2, hyper.eps, hyper.weight_decay, hyper.decoupled != 0.0,
            hyper.bias_correction != 0.0)
    if rule is RAdamHyper:
        return lambda hyper, scalars, step, lr, beta: _radam_coefficients(
            step, lr, beta, hyper.beta2, hyper.eps, hyper.weight_decay, hyper.decoupled != 0.0)
    if rule is AdamPHyper:
        return lambda hyper, scalars, step, lr, beta: _adamp_coefficients(
            step, lr, beta, hyper.beta2, hyper.eps, hyper.weight_decay, hyper.decoupled != 0.0,
            hyper.nesterov != 0.0)
    return None


def apply_rule(hyper, params, grads, first, second, third, coefficients):
    """One element loop of the rule of ``hyper`` over ``params`` with the step's
    ``coefficients``; ``first`` … ``third`` are the slot rows (any array of the dtype for rows
    the rule does not have). AdamP here is its 1-D form (as Adam)."""


@overload(apply_rule)
def _apply_rule(hyper, params, grads, first, second, third, coefficients):
    rule = hyper.instance_class
    loops = {MomentumHyper: _momentum_loop, LookaheadHyper: _momentum_loop, NesterovHyper: _nesterov_loop,
             AdaGradHyper: _adagrad_loop, RMSPropHyper: _rmsprop_loop}
    if rule is GDHyper:
        return lambda hyper, params, grads, first, second, third, coefficients: _gd_loop(
            params, grads, coefficients)
    if rule in loops:
        loop = loops[rule]
        return lambda hyper, params, grads, first, second, third, coefficients: loop(
            params, grads, first, coefficients)
    two_slots = {AdaDeltaHyper: _adadelta_loop, AdamHyper: _adam_loop, AdaMaxHyper: _adamax_loop,
                 NAdamHyper: _nadam_loop, RAdamHyper: _radam_loop, AdamPHyper: _adamp_loop}
    if rule in two_slots:
        loop = two_slots[rule]
        return lambda hyper, params, grads, first, second, third, coefficients: loop(
            params, grads, first, second, coefficients)
    if rule is AMSGradHyper:
        return lambda hyper, params, grads, first, second, third, coefficients: _amsgrad_loop(
            params, grads, first, second, third, coefficients)
    return None


def rule_element(hyper, coefficients, p, g, first, second, third):
    """One parameter of the rule of ``hyper``: ``(θ, first, second, third)`` after the step,
    the slot values the rule does not have passed through (the array loops' arithmetic, so the
    same bits): for the training loops that keep a few parameters in registers."""


@overload(rule_element)
def _rule_element(hyper, coefficients, p, g, first, second, third):
    rule = hyper.instance_class
    if rule is GDHyper:
        return lambda hyper, coefficients, p, g, first, second, third: (
            _gd_element(coefficients, p, g), first, second, third)
    one = {MomentumHyper: _momentum_element, LookaheadHyper: _momentum_element, NesterovHyper: _nesterov_element,
           AdaGradHyper: _adagrad_element, RMSPropHyper: _rmsprop_element}
    if rule in one:
        element = one[rule]

        def one_slot(hyper, coefficients, p, g, first, second, third):
            p, first = element(coefficients, p, g, first)
            return p, first, second, third
        return one_slot
    two = {AdaDeltaHyper: _adadelta_element, AdamHyper: _adam_element, AdaMaxHyper: _adamax_element,
           NAdamHyper: _nadam_element, RAdamHyper: _radam_element, AdamPHyper: _adamp_element}
    if rule in two:
        element = two[rule]

        def two_slots(hyper, coefficients, p, g, first, second, third):
            p, first, second = element(coefficients, p, g, first, second)
            return p, first, second, third
        return two_slots
    if rule is AMSGradHyper:
        return lambda hyper, coefficients, p, g, first, second, third: _amsgrad_element(
            coefficients, p, g, first, second, third)
    return None


@jit_inline
def update_views(hyper, params, grads, first, second, third, scalars, step, lr, beta):
    """One fused step with the slot rows passed as separate 1-D arrays (``first`` … ``third``;
    any array of the right dtype for rows the rule does not have) and the step's momentum
    ``beta``: the coefficients and element loop of the rule's public kernel (so the same bits).
    The compiled training loops make these views once per call: creating views at every step
    costs more than a 2-parameter update. AdamP here is its 1-D form (as Adam)."""
    coefficients = coefficients_of(hyper, scalars, step, lr, beta)
    apply_rule(hyper, params, grads, first, second, third, coefficients)


def _matrix_adamp(hyper, params, grads, slots, scalars, step, lr):
    """AdamP on a matrix (``scalars[S_ROWS] > 0``): True after doing the step; False (nothing
    done) for any other rule or a 1-D AdamP."""


@overload(_matrix_adamp)
def _matrix_adamp_overload(hyper, params, grads, slots, scalars, step, lr):
    if hyper.instance_class is not AdamPHyper:
        return lambda hyper, params, grads, slots, scalars, step, lr: False

    def matrix(hyper, params, grads, slots, scalars, step, lr):
        if scalars[S_ROWS] == 0.0:
            return False
        adamp_update(params, grads, slots[0], slots[1], step, lr, hyper.beta1, hyper.beta2,
                     hyper.eps, hyper.weight_decay, hyper.decoupled != 0.0, hyper.delta,
                     hyper.wd_ratio, hyper.nesterov != 0.0, int(scalars[S_ROWS]))
        return True
    return matrix


@jit
def update(hyper, params, grads, slots, scalars, step, lr):
    """One fused step of the rule of ``hyper``, in place (layouts in the module docstring):
    AdamP on a matrix by :func:`adamp_update`, every other case by :func:`update_views` on the
    rows of ``slots``."""
    if _matrix_adamp(hyper, params, grads, slots, scalars, step, lr):
        return
    n_slots = slots.shape[0]
    first = slots[0] if n_slots > 0 else grads  # rows the rule does not have: any array
    second = slots[1] if n_slots > 1 else grads
    third = slots[2] if n_slots > 2 else grads
    update_views(hyper, params, grads, first, second, third, scalars, step, lr, momentum_of(hyper))


@jit_parallel
def _update_chunks(hyper, params, grads, slots, coefficients):
    """The element loops of one step in ``prange`` chunks of :data:`CHUNK` (the step's
    coefficients an argument: a parallel region cannot take a local ``NamedTuple`` in, numba
    0.68). The loops run over slice views: indexing ``range(start, stop)`` directly stops LLVM
    from vectorizing (the index is not known to be non-negative)."""
    size = params.size
    n_slots = slots.shape[0]
    for chunk in numba.prange((size + CHUNK - 1) // CHUNK):
        start = chunk * CHUNK
        stop = min(start + CHUNK, size)
        g = grads[start:stop]
        first = slots[0][start:stop] if n_slots > 0 else g
        second = slots[1][start:stop] if n_slots > 1 else g
        third = slots[2][start:stop] if n_slots > 2 else g
        apply_rule(hyper, params[start:stop], g, first, second, third, coefficients)


@jit
def update_parallel(hyper, params, grads, slots, scalars, step, lr):
    """:func:`update` with the elements split into ``prange`` chunks; same results, bit for bit."""
    if _matrix_adamp(hyper, params, grads, slots, scalars, step, lr):
        return
    _update_chunks(hyper, params, grads, slots, coefficients_of(hyper, scalars, step, lr, momentum_of(hyper)))


# --- the memory limit ---------------------------------------------------------------------------
@jit_inline
def _memory_limit_loop(all_params, all_grads, slots, n_slots, start, stop):
    params, grads = all_params[start:stop], all_grads[start:stop]
    if n_slots == 0:
        for i in range(params.size):
            params[i] = params[i] + grads[i]
    elif n_slots == 1:
        first = slots[0][start:stop]
        for i in range(params.size):
            theta = params[i]
            params[i] = grads[i] + first[i]
            first[i] = theta
    elif n_slots == 2:
        first, second = slots[0][start:stop], slots[1][start:stop]
        for i in range(params.size):
            theta, previous = params[i], first[i]
            params[i] = grads[i] + second[i]
            first[i] = theta
            second[i] = previous
    else:
        first, second, third = (slots[0][start:stop], slots[1][start:stop],
                                 slots[2][start:stop])
        for i in range(params.size):
            theta, previous, before = params[i], first[i], second[i]
            params[i] = grads[i] + third[i]
            first[i] = theta
            second[i] = previous
            third[i] = before


@jit
def memory_limit_update(params, grads, slots, n_slots):
    """Move the bytes of a step and nothing else: the speed limit of a fused update.

    Reads ``params``, ``grads`` and ``n_slots`` rows of ``slots``, writes ``params`` and those
    rows (one addition, no division or square root): ``θ ← g + s_last``, and the slots rotate
    (``s_0 ← θ``, ``s_k ← s_{k−1}``); with ``n_slots = 0``, ``θ ← θ + g``. Adam's traffic is
    ``n_slots = 2`` (read 4 arrays, write 3). For benchmarks only.
    """
    _memory_limit_loop(params, grads, slots, n_slots, 0, params.size)


@jit_parallel
def memory_limit_update_parallel(params, grads, slots, n_slots):
    """:func:`memory_limit_update` in ``prange`` chunks of :data:`CHUNK`."""
    size = params.size
    n_chunks = (size + CHUNK - 1) // CHUNK
    for chunk in numba.prange(n_chunks):
        start = chunk * CHUNK
        _memory_limit_loop(params, grads, slots, n_slots, start, min(start + CHUNK, size))
