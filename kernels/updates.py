"""Fused update kernels: one pass over the parameters per step, in place, no temporaries.

Every rule of SPEC §3 is here twice over: a public kernel with a readable argument order
(``adam_update(params, grads, m, v, step, lr, beta1, beta2, eps, weight_decay, decoupled)``)
that users may call from their own ``@njit`` code, and the generic dispatchers
:func:`update` (serial) and :func:`update_parallel` (``prange``) that the Python API and the
compiled training loops call with an integer ``kind``. The numpy reference of each rule is
``fastoptim/reference/updates.py`` (same function names without ``_update``).

Conventions shared by every kernel
----------------------------------
- ``params``, ``grads`` and the state slots are 1-D C-contiguous arrays of one float dtype
  (float32 or float64) and the same size; the kernels do not check this (the Python API does).
- Arithmetic runs in the arrays' dtype: the scalars that depend only on the step (bias
  corrections, step sizes, decay factors) are computed once per step in float64, outside the
  element loop, then cast to the dtype. Only AdamP's cosines and projections (sums over the
  data) accumulate in float64.
- ``step`` is the 1-based count ``t`` of *this* update (the caller increments before calling;
  ``step >= 1``); ``lr`` is the learning rate ``η_t`` of this step (a float).
- Weight decay (SPEC §3.2): ``decoupled=False`` adds ``λ θ`` to the gradient (L2); ``True``
  multiplies ``θ`` by ``1 - η_t λ`` before the update. ``λ = 0`` leaves both exact no-ops.
- NaN and inf are not filtered: an element whose gradient is NaN becomes NaN in ``params``
  and in its slots (an inf gradient gives NaN through ``inf/inf`` in the adaptive rules, and
  ``-inf``/``inf`` in GD and Momentum); other elements are untouched, except in AdamP, where
  a NaN gradient poisons the cosine of its row (see :func:`adamp_update`).

The generic dispatcher
----------------------
``update(kind, params, grads, slots, scalars, hyper, step, lr)`` and
``update_parallel(...)`` (same signature), arrays first, then scalars:

- ``kind``: one of the constants :data:`GD` ... :data:`ADAMP` below.
- ``slots``: 2-D C-contiguous array of the params' dtype, shape ``(k, params.size)`` with
  ``k >= N_SLOTS[kind]`` (rows past ``N_SLOTS[kind]`` are ignored; GD may pass ``k = 0``).
  Row order per kind is :data:`SLOT_NAMES`.
- ``scalars``: float64, length :data:`N_SCALARS`, per-run state that is not per element:
  ``scalars[S_MU_PRODUCT]`` is NAdam's running product ``Π_{t-1}`` (start at 1.0; used only
  with ``momentum_decay > 0``, updated in place); ``scalars[S_ROWS]`` is AdamP's row count:
  the parameters are viewed as ``(rows, params.size // rows)``; 0 means a 1-D array, which
  AdamP updates as Adam (SPEC §3.4). Set both with :func:`initial_scalars`.
- ``hyper``: float64, length :data:`N_HYPER`, the configuration, indexed by the ``H_*``
  constants. One-β rules (Momentum, Nesterov, RMSProp, AdaDelta) keep β in ``H_BETA1``;
  booleans are 0.0/1.0; ``H_MOMENTUM_DECAY = 0`` is NAdam's lecture form.

``update`` allocates nothing and computes the step's scalars once, so it is cheap for the
2-parameter neuron; ``update_parallel`` splits the elements into chunks of :data:`CHUNK`
run by ``prange`` and gives results bit-for-bit equal to ``update``. AdamP on a 2-D view
(``rows > 0``) needs reductions over rows and always runs serially. Use ``update_parallel``
from :data:`PARALLEL_THRESHOLD` elements up.
"""
import math

import numba
import numpy as np

from .policy import jit, jit_parallel

# --- kinds (the contract with the compiled training loops) ---------------------------------
GD = 0
MOMENTUM = 1
NESTEROV = 2
ADAGRAD = 3
RMSPROP = 4
ADADELTA = 5
ADAM = 6
ADAMAX = 7
NADAM = 8
AMSGRAD = 9
RADAM = 10
ADAMP = 11

#: Number of state slots (per-element arrays) of each kind, indexed by kind.
N_SLOTS = (0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 2, 2)
#: The slots' names, in row order of ``slots``, indexed by kind.
SLOT_NAMES = (
    (),
    ("velocity",),
    ("velocity",),
    ("v",),
    ("v",),
    ("v", "u"),
    ("m", "v"),
    ("m", "u"),
    ("m", "v"),
    ("m", "v", "v_max"),
    ("m", "v"),
    ("m", "v"),
)
MAX_SLOTS = max(N_SLOTS)

# --- the hyperparameter vector ----------------------------------------------------------------
H_BETA1 = 0  # β1, or β for Momentum, Nesterov, RMSProp, AdaDelta
H_BETA2 = 1
H_EPS = 2
H_WEIGHT_DECAY = 3
H_DECOUPLED = 4  # 0.0 coupled (L2), 1.0 decoupled
H_MOMENTUM_DECAY = 5  # NAdam's ψ; 0.0 = the lecture's form
H_BIAS_CORRECTION = 6  # AMSGrad: 1.0 = PyTorch's Adam(amsgrad=True)
H_DELTA = 7  # AdamP
H_WD_RATIO = 8  # AdamP
H_NESTEROV = 9  # AdamP: 1.0 = Nesterov direction
N_HYPER = 10

# --- the per-run scalar state -----------------------------------------------------------------
S_MU_PRODUCT = 0  # NAdam with momentum_decay: Π_{t-1}, starts at 1.0
S_ROWS = 1  # AdamP: rows of the 2-D view, 0 for a 1-D array
N_SCALARS = 2


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

#: Number of coefficients a rule's per-step function returns (padded with zeros).
N_COEFFICIENTS = 10


# --- helpers -------------------------------------------------------------------------------------
@jit
def _maximum(a, b):
    """``np.maximum`` for two scalars: the larger, or NaN if either is NaN."""
    return a if (a > b or a != a) else b


@jit
def _decay(lr, weight_decay, decoupled):
    """(factor on θ, coefficient of θ added to g) for decoupled or coupled weight decay."""
    if decoupled:
        return 1.0 - lr * weight_decay, 0.0
    return 1.0, weight_decay * 1.0


#: ``e(1 − b) >= POWER_NEGLIGIBLE`` proves ``b^e <= 2^−60`` for ``0 <= b < 1`` (below).
POWER_NEGLIGIBLE = 42.0


@jit
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


@jit
def _bias_corrections(step, beta1, beta2):
    """``1 - β1^t``, ``1 - β2^t``.

    The exponent is passed as a float so that numba calls libm's ``pow`` (as Python and numpy
    do); with an integer exponent it multiplies repeatedly, which was off by ~1e-13 relative
    at t ~ 10, an error RAdam's ρ_t amplifies 1e4-fold when β2 is near 1."""
    return _one_minus_power(beta1, float(step), 1.0), _one_minus_power(beta2, float(step), 1.0)


# --- GD ------------------------------------------------------------------------------------------
@jit
def _gd_coefficients(lr, weight_decay, decoupled):
    decay, l2 = _decay(lr, weight_decay, decoupled)
    return (lr * 1.0, decay, l2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@jit
def _gd_loop(params, grads, coefficients):
    to = params.dtype.type
    lr, decay, l2 = to(coefficients[0]), to(coefficients[1]), to(coefficients[2])
    for i in range(params.size):
        g = grads[i] if l2 == 0 else grads[i] + l2 * params[i]
        params[i] = params[i] * decay - lr * g


@jit
def gd_update(params, grads, lr, weight_decay, decoupled):
    """Gradient descent: ``θ ← θ − η g`` (lecture 5.2; SPEC §3).

    Arguments: ``params`` (updated in place), ``grads``; ``lr`` η; ``weight_decay`` λ;
    ``decoupled`` (bool). Coupled and decoupled decay coincide for GD (SPEC §3.2).
    """
    _gd_loop(params, grads, _gd_coefficients(lr, weight_decay, decoupled))


# --- Momentum and Nesterov ---------------------------------------------------------------------
@jit
def _momentum_coefficients(lr, beta, weight_decay, decoupled):
    decay, l2 = _decay(lr, weight_decay, decoupled)
    return (lr * 1.0, beta * 1.0, decay, l2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@jit
def _momentum_loop(params, grads, velocity, coefficients):
    to = params.dtype.type
    lr, beta = to(coefficients[0]), to(coefficients[1])
    decay, l2 = to(coefficients[2]), to(coefficients[3])
    for i in range(params.size):
        g = grads[i] if l2 == 0 else grads[i] + l2 * params[i]
        u = beta * velocity[i] + lr * g
        velocity[i] = u
        params[i] = params[i] * decay - u


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


@jit
def _nesterov_loop(params, grads, velocity, coefficients):
    to = params.dtype.type
    lr, beta = to(coefficients[0]), to(coefficients[1])
    decay, l2 = to(coefficients[2]), to(coefficients[3])
    for i in range(params.size):
        g = grads[i] if l2 == 0 else grads[i] + l2 * params[i]
        u = beta * velocity[i] + lr * g
        velocity[i] = u
        params[i] = params[i] * decay - (beta * u + lr * g)


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
@jit
def _adagrad_coefficients(lr, eps, weight_decay, decoupled):
    decay, l2 = _decay(lr, weight_decay, decoupled)
    return (lr * 1.0, eps * 1.0, decay, l2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@jit
def _adagrad_loop(params, grads, v, coefficients):
    to = params.dtype.type
    lr, eps = to(coefficients[0]), to(coefficients[1])
    decay, l2 = to(coefficients[2]), to(coefficients[3])
    for i in range(params.size):
        g = grads[i] if l2 == 0 else grads[i] + l2 * params[i]
        vi = v[i] + g * g
        v[i] = vi
        params[i] = params[i] * decay - lr * g / (math.sqrt(vi) + eps)


@jit
def adagrad_update(params, grads, v, lr, eps, weight_decay, decoupled):
    """AdaGrad (Duchi et al. 2011; lecture 5.9): ``v ← v + g²``;  ``θ ← θ − η g / (√v + ε)``.

    Arguments: ``params``, ``grads``, ``v`` (updated in place); ``lr``, ``eps``,
    ``weight_decay``, ``decoupled``. PyTorch's default ε is 1e-10 (ours 1e-8, SPEC §3.5).
    """
    coefficients = _adagrad_coefficients(lr, eps, weight_decay, decoupled)
    _adagrad_loop(params, grads, v, coefficients)


@jit
def _rmsprop_coefficients(lr, beta, eps, weight_decay, decoupled):
    decay, l2 = _decay(lr, weight_decay, decoupled)
    return (lr * 1.0, beta * 1.0, 1.0 - beta, eps * 1.0, decay, l2, 0.0, 0.0, 0.0, 0.0)


@jit
def _rmsprop_loop(params, grads, v, coefficients):
    to = params.dtype.type
    lr, beta, one_minus_beta = to(coefficients[0]), to(coefficients[1]), to(coefficients[2])
    eps, decay, l2 = to(coefficients[3]), to(coefficients[4]), to(coefficients[5])
    for i in range(params.size):
        g = grads[i] if l2 == 0 else grads[i] + l2 * params[i]
        vi = beta * v[i] + one_minus_beta * g * g
        v[i] = vi
        params[i] = params[i] * decay - lr * g / (math.sqrt(vi) + eps)


@jit
def rmsprop_update(params, grads, v, lr, beta, eps, weight_decay, decoupled):
    """RMSProp (Hinton, Coursera lecture 6e; lecture 5.9).

    ``v ← β v + (1−β) g²``;  ``θ ← θ − η g / (√v + ε)``. Arguments: ``params``, ``grads``,
    ``v``; ``lr``, ``beta``, ``eps``, ``weight_decay``, ``decoupled``. PyTorch calls β
    ``alpha`` and defaults it to 0.99 (ours 0.9, SPEC §3.5).
    """
    coefficients = _rmsprop_coefficients(lr, beta, eps, weight_decay, decoupled)
    _rmsprop_loop(params, grads, v, coefficients)


@jit
def _adadelta_loop(params, grads, v, u, coefficients):
    to = params.dtype.type
    lr, beta, one_minus_beta = to(coefficients[0]), to(coefficients[1]), to(coefficients[2])
    eps, decay, l2 = to(coefficients[3]), to(coefficients[4]), to(coefficients[5])
    for i in range(params.size):
        g = grads[i] if l2 == 0 else grads[i] + l2 * params[i]
        vi = beta * v[i] + one_minus_beta * g * g
        delta = g * math.sqrt(u[i] + eps) / math.sqrt(vi + eps)
        v[i] = vi
        u[i] = beta * u[i] + one_minus_beta * delta * delta
        params[i] = params[i] * decay - lr * delta


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
@jit
def _adam_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled):
    bias_correction1, bias_correction2 = _bias_corrections(step, beta1, beta2)
    decay, l2 = _decay(lr, weight_decay, decoupled)
    return (beta1 * 1.0, 1.0 - beta1, beta2 * 1.0, 1.0 - beta2, lr / bias_correction1,
            1.0 / math.sqrt(bias_correction2), eps * 1.0, decay, l2, 0.0)


@jit
def _adam_loop(params, grads, m, v, coefficients):
    to = params.dtype.type
    beta1, one_minus_beta1 = to(coefficients[0]), to(coefficients[1])
    beta2, one_minus_beta2 = to(coefficients[2]), to(coefficients[3])
    step_size, inverse_root_bias2 = to(coefficients[4]), to(coefficients[5])
    eps, decay, l2 = to(coefficients[6]), to(coefficients[7]), to(coefficients[8])
    for i in range(params.size):
        g = grads[i] if l2 == 0 else grads[i] + l2 * params[i]
        mi = beta1 * m[i] + one_minus_beta1 * g
        vi = beta2 * v[i] + one_minus_beta2 * g * g
        m[i] = mi
        v[i] = vi
        params[i] = params[i] * decay - step_size * mi / (math.sqrt(vi) * inverse_root_bias2 + eps)


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


@jit
def _adamax_loop(params, grads, m, u, coefficients):
    to = params.dtype.type
    beta1, one_minus_beta1 = to(coefficients[0]), to(coefficients[1])
    beta2, step_size = to(coefficients[2]), to(coefficients[4])
    eps, decay, l2 = to(coefficients[6]), to(coefficients[7]), to(coefficients[8])
    for i in range(params.size):
        g = grads[i] if l2 == 0 else grads[i] + l2 * params[i]
        mi = beta1 * m[i] + one_minus_beta1 * g
        ui = _maximum(beta2 * u[i], abs(g))
        m[i] = mi
        u[i] = ui
        params[i] = params[i] * decay - step_size * mi / (ui + eps)


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
@jit
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
    coefficients = (beta1 * 1.0, 1.0 - beta1, beta2 * 1.0, 1.0 - beta2, coefficient_g,
                    coefficient_m, 1.0 / math.sqrt(bias_correction2), eps * 1.0, decay, l2)
    return coefficients, mu_product


@jit
def _nadam_loop(params, grads, m, v, coefficients):
    to = params.dtype.type
    beta1, one_minus_beta1 = to(coefficients[0]), to(coefficients[1])
    beta2, one_minus_beta2 = to(coefficients[2]), to(coefficients[3])
    coefficient_g, coefficient_m = to(coefficients[4]), to(coefficients[5])
    inverse_root_bias2, eps = to(coefficients[6]), to(coefficients[7])
    decay, l2 = to(coefficients[8]), to(coefficients[9])
    for i in range(params.size):
        g = grads[i] if l2 == 0 else grads[i] + l2 * params[i]
        mi = beta1 * m[i] + one_minus_beta1 * g
        vi = beta2 * v[i] + one_minus_beta2 * g * g
        m[i] = mi
        v[i] = vi
        denominator = math.sqrt(vi) * inverse_root_bias2 + eps
        params[i] = params[i] * decay - (coefficient_g * g + coefficient_m * mi) / denominator


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
@jit
def _amsgrad_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled, bias_correction):
    decay, l2 = _decay(lr, weight_decay, decoupled)
    if bias_correction:
        bias_correction1, bias_correction2 = _bias_corrections(step, beta1, beta2)
        step_size = lr / bias_correction1
        inverse_root_bias2 = 1.0 / math.sqrt(bias_correction2)
    else:
        step_size = lr * 1.0
        inverse_root_bias2 = 1.0
    return (beta1 * 1.0, 1.0 - beta1, beta2 * 1.0, 1.0 - beta2, step_size, inverse_root_bias2,
            eps * 1.0, decay, l2, 0.0)


@jit
def _amsgrad_loop(params, grads, m, v, v_max, coefficients):
    to = params.dtype.type
    beta1, one_minus_beta1 = to(coefficients[0]), to(coefficients[1])
    beta2, one_minus_beta2 = to(coefficients[2]), to(coefficients[3])
    step_size, inverse_root_bias2 = to(coefficients[4]), to(coefficients[5])
    eps, decay, l2 = to(coefficients[6]), to(coefficients[7]), to(coefficients[8])
    for i in range(params.size):
        g = grads[i] if l2 == 0 else grads[i] + l2 * params[i]
        mi = beta1 * m[i] + one_minus_beta1 * g
        vi = beta2 * v[i] + one_minus_beta2 * g * g
        vm = _maximum(v_max[i], vi)
        m[i] = mi
        v[i] = vi
        v_max[i] = vm
        params[i] = params[i] * decay - step_size * mi / (math.sqrt(vm) * inverse_root_bias2 + eps)


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


@jit
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
    return (beta1 * 1.0, 1.0 - beta1, beta2 * 1.0, 1.0 - beta2, step_size, rectified,
            eps * 1.0, decay, l2, 0.0)


@jit
def _radam_loop(params, grads, m, v, coefficients):
    to = params.dtype.type
    beta1, one_minus_beta1 = to(coefficients[0]), to(coefficients[1])
    beta2, one_minus_beta2 = to(coefficients[2]), to(coefficients[3])
    step_size, rectified = to(coefficients[4]), coefficients[5] != 0.0
    eps, decay, l2 = to(coefficients[6]), to(coefficients[7]), to(coefficients[8])
    if rectified:
        for i in range(params.size):
            g = grads[i] if l2 == 0 else grads[i] + l2 * params[i]
            mi = beta1 * m[i] + one_minus_beta1 * g
            vi = beta2 * v[i] + one_minus_beta2 * g * g
            m[i] = mi
            v[i] = vi
            params[i] = params[i] * decay - step_size * mi / (math.sqrt(vi) + eps)
    else:
        for i in range(params.size):
            g = grads[i] if l2 == 0 else grads[i] + l2 * params[i]
            mi = beta1 * m[i] + one_minus_beta1 * g
            m[i] = mi
            v[i] = beta2 * v[i] + one_minus_beta2 * g * g
            params[i] = params[i] * decay - step_size * mi


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
@jit
def _adamp_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled, nesterov):
    bias_correction1, bias_correction2 = _bias_corrections(step, beta1, beta2)
    decay, l2 = _decay(lr, weight_decay, decoupled)
    return (beta1 * 1.0, 1.0 - beta1, beta2 * 1.0, 1.0 - beta2, lr / bias_correction1,
            1.0 / math.sqrt(bias_correction2), eps * 1.0, decay, l2, 1.0 if nesterov else 0.0)


@jit
def _adamp_loop(params, grads, m, v, coefficients):
    """One fused pass without projection: Adam, or Adam with the Nesterov direction."""
    to = params.dtype.type
    beta1, one_minus_beta1 = to(coefficients[0]), to(coefficients[1])
    beta2, one_minus_beta2 = to(coefficients[2]), to(coefficients[3])
    step_size, inverse_root_bias2 = to(coefficients[4]), to(coefficients[5])
    eps, decay, l2 = to(coefficients[6]), to(coefficients[7]), to(coefficients[8])
    if coefficients[9] == 0.0:
        _adam_loop(params, grads, m, v, coefficients)
        return
    for i in range(params.size):
        g = grads[i] if l2 == 0 else grads[i] + l2 * params[i]
        mi = beta1 * m[i] + one_minus_beta1 * g
        vi = beta2 * v[i] + one_minus_beta2 * g * g
        m[i] = mi
        v[i] = vi
        direction = beta1 * mi + one_minus_beta1 * g
        params[i] = params[i] * decay - step_size * direction / (math.sqrt(vi) * inverse_root_bias2
                                                                 + eps)


@jit
def _adamp_moments(params, grads, m, v, rows, coefficients):
    """Update m, v; return (largest per-row |cos(g, θ)|, |cos| over the whole array)."""
    to = params.dtype.type
    beta1, one_minus_beta1 = to(coefficients[0]), to(coefficients[1])
    beta2, one_minus_beta2 = to(coefficients[2]), to(coefficients[3])
    eps, l2 = coefficients[6], to(coefficients[8])
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
    beta1, one_minus_beta1 = to(coefficients[0]), to(coefficients[1])
    step_size, inverse_root_bias2 = to(coefficients[4]), to(coefficients[5])
    eps, l2, theta_factor = to(coefficients[6]), to(coefficients[8]), to(decay)
    nesterov = coefficients[9] != 0.0
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
    eps = coefficients[6]
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
    _adamp_directions(params, grads, m, v, coefficients, True, 0.0, coefficients[7])


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


# --- the generic dispatchers --------------------------------------------------------------------
@jit
def update(kind, params, grads, slots, scalars, hyper, step, lr):
    """One fused step of optimizer ``kind``, in place (layouts in the module docstring): AdamP
    on a matrix (``scalars[S_ROWS] > 0``) by :func:`adamp_update`, every other case by
    :func:`update_views` on the rows of ``slots``."""
    if kind == ADAMP and scalars[S_ROWS] != 0.0:
        adamp_update(params, grads, slots[0], slots[1], step, lr, hyper[H_BETA1], hyper[H_BETA2],
                     hyper[H_EPS], hyper[H_WEIGHT_DECAY], hyper[H_DECOUPLED] != 0.0, hyper[H_DELTA],
                     hyper[H_WD_RATIO], hyper[H_NESTEROV] != 0.0, int(scalars[S_ROWS]))
        return
    n_slots = slots.shape[0]
    first = slots[0] if n_slots > 0 else grads  # rows the rule does not have: any array
    second = slots[1] if n_slots > 1 else grads
    third = slots[2] if n_slots > 2 else grads
    update_views(kind, params, grads, first, second, third, scalars, hyper, step, lr)


@jit(inline="always")
def update_views(kind, params, grads, first, second, third, scalars, hyper, step, lr):
    """One fused step of optimizer ``kind`` with the slot rows passed as separate 1-D arrays
    (``first`` … ``third``; any array of the right dtype for rows the rule does not have): each
    rule's per-step coefficients and element loop, as in its public kernel (so the same bits).
    The compiled training loops make these views once per epoch: creating views at every step
    costs more than a 2-parameter update. AdamP here is its 1-D form (as Adam)."""
    beta1, beta2, eps = hyper[H_BETA1], hyper[H_BETA2], hyper[H_EPS]
    weight_decay, decoupled = hyper[H_WEIGHT_DECAY], hyper[H_DECOUPLED] != 0.0
    if kind == GD:
        _gd_loop(params, grads, _gd_coefficients(lr, weight_decay, decoupled))
    elif kind == MOMENTUM:
        _momentum_loop(params, grads, first, _momentum_coefficients(lr, beta1, weight_decay, decoupled))
    elif kind == NESTEROV:
        _nesterov_loop(params, grads, first, _momentum_coefficients(lr, beta1, weight_decay, decoupled))
    elif kind == ADAGRAD:
        _adagrad_loop(params, grads, first, _adagrad_coefficients(lr, eps, weight_decay, decoupled))
    elif kind == RMSPROP:
        _rmsprop_loop(params, grads, first, _rmsprop_coefficients(lr, beta1, eps, weight_decay, decoupled))
    elif kind == ADADELTA:
        _adadelta_loop(params, grads, first, second,
                       _rmsprop_coefficients(lr, beta1, eps, weight_decay, decoupled))
    elif kind == ADAM:
        _adam_loop(params, grads, first, second,
                   _adam_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled))
    elif kind == ADAMAX:
        _adamax_loop(params, grads, first, second,
                     _adam_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled))
    elif kind == NADAM:
        coefficients, mu_product = _nadam_coefficients(
            step, lr, beta1, beta2, eps, weight_decay, decoupled, hyper[H_MOMENTUM_DECAY],
            scalars[S_MU_PRODUCT])
        scalars[S_MU_PRODUCT] = mu_product
        _nadam_loop(params, grads, first, second, coefficients)
    elif kind == AMSGRAD:
        _amsgrad_loop(params, grads, first, second, third,
                      _amsgrad_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled,
                                            hyper[H_BIAS_CORRECTION] != 0.0))
    elif kind == RADAM:
        _radam_loop(params, grads, first, second,
                    _radam_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled))
    elif kind == ADAMP:
        _adamp_loop(params, grads, first, second,
                    _adamp_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled,
                                        hyper[H_NESTEROV] != 0.0))


@jit
def _coefficients(kind, scalars, hyper, step, lr):
    """The step's coefficients of ``kind`` (updates NAdam's Π in ``scalars``)."""
    beta1, beta2, eps = hyper[H_BETA1], hyper[H_BETA2], hyper[H_EPS]
    weight_decay, decoupled = hyper[H_WEIGHT_DECAY], hyper[H_DECOUPLED] != 0.0
    if kind == GD:
        return _gd_coefficients(lr, weight_decay, decoupled)
    if kind == MOMENTUM or kind == NESTEROV:
        return _momentum_coefficients(lr, beta1, weight_decay, decoupled)
    if kind == ADAGRAD:
        return _adagrad_coefficients(lr, eps, weight_decay, decoupled)
    if kind == RMSPROP or kind == ADADELTA:
        return _rmsprop_coefficients(lr, beta1, eps, weight_decay, decoupled)
    if kind == ADAM or kind == ADAMAX:
        return _adam_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled)
    if kind == NADAM:
        coefficients, mu_product = _nadam_coefficients(
            step, lr, beta1, beta2, eps, weight_decay, decoupled, hyper[H_MOMENTUM_DECAY],
            scalars[S_MU_PRODUCT])
        scalars[S_MU_PRODUCT] = mu_product
        return coefficients
    if kind == AMSGRAD:
        return _amsgrad_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled,
                                     hyper[H_BIAS_CORRECTION] != 0.0)
    if kind == RADAM:
        return _radam_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled)
    return _adamp_coefficients(step, lr, beta1, beta2, eps, weight_decay, decoupled,
                               hyper[H_NESTEROV] != 0.0)


@jit
def _update_slice(kind, params, grads, slots, start, stop, coefficients):
    """Elements ``start:stop`` of one step of ``kind`` (AdamP: its 1-D form).

    The loops run over slice views: indexing ``range(start, stop)`` directly stops LLVM
    from vectorizing (the index is not known to be non-negative).
    """
    p, g = params[start:stop], grads[start:stop]
    if kind == GD:
        _gd_loop(p, g, coefficients)
    elif kind == MOMENTUM:
        _momentum_loop(p, g, slots[0][start:stop], coefficients)
    elif kind == NESTEROV:
        _nesterov_loop(p, g, slots[0][start:stop], coefficients)
    elif kind == ADAGRAD:
        _adagrad_loop(p, g, slots[0][start:stop], coefficients)
    elif kind == RMSPROP:
        _rmsprop_loop(p, g, slots[0][start:stop], coefficients)
    elif kind == ADADELTA:
        _adadelta_loop(p, g, slots[0][start:stop], slots[1][start:stop], coefficients)
    elif kind == ADAM:
        _adam_loop(p, g, slots[0][start:stop], slots[1][start:stop], coefficients)
    elif kind == ADAMAX:
        _adamax_loop(p, g, slots[0][start:stop], slots[1][start:stop], coefficients)
    elif kind == NADAM:
        _nadam_loop(p, g, slots[0][start:stop], slots[1][start:stop], coefficients)
    elif kind == AMSGRAD:
        _amsgrad_loop(p, g, slots[0][start:stop], slots[1][start:stop], slots[2][start:stop],
                      coefficients)
    elif kind == RADAM:
        _radam_loop(p, g, slots[0][start:stop], slots[1][start:stop], coefficients)
    elif kind == ADAMP:
        _adamp_loop(p, g, slots[0][start:stop], slots[1][start:stop], coefficients)


@jit_parallel
def update_parallel(kind, params, grads, slots, scalars, hyper, step, lr):
    """:func:`update` with the elements split into ``prange`` chunks; same results, bit for bit."""
    size = params.size
    if kind == ADAMP and scalars[S_ROWS] != 0.0:
        update(kind, params, grads, slots, scalars, hyper, step, lr)
        return
    coefficients = _coefficients(kind, scalars, hyper, step, lr)
    n_chunks = (size + CHUNK - 1) // CHUNK
    for chunk in numba.prange(n_chunks):
        start = chunk * CHUNK
        stop = min(start + CHUNK, size)
        _update_slice(kind, params, grads, slots, start, stop, coefficients)


# --- the memory limit ---------------------------------------------------------------------------
@jit
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
