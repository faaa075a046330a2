"""The numpy reference of every update rule of SPEC §3: each formula written plainly.

One function per rule, named as the rule (``adam``; the kernel is
``fastoptim.kernels.updates.adam_update``). Every function is pure: it takes the parameters,
the gradient, the state arrays and the step's hyperparameters, and returns *new* arrays
``(params, *state)`` without touching its inputs (NAdam also returns its running product).
``step`` is the 1-based count ``t`` of this update; ``lr`` is ``η_t``.

The arithmetic runs in the arrays' dtype: hyperparameters are Python floats, which numpy
(NEP 50) casts to the arrays' dtype, so float32 arrays are computed in float32. Only AdamP's
cosines and projection (sums over the data) are computed in float64.

This module shares no code with the kernels: it is what the kernels are tested against.
"""
import math

import numpy as np


def _decayed(params, grads, lr, weight_decay, decoupled):
    """SPEC §3.2: decoupled ``θ ← θ(1 − ηλ)``, or coupled ``g ← g + λθ``."""
    if weight_decay == 0:
        return params, grads
    if decoupled:
        return params * (1 - lr * weight_decay), grads
    return params, grads + weight_decay * params


def gd(params, grads, lr=0.01, weight_decay=0.0, decoupled=False):
    """``θ ← θ − η g``."""
    lr = float(lr)
    params, g = _decayed(params, grads, lr, float(weight_decay), decoupled)
    return (params - lr * g,)


def momentum(params, grads, velocity, lr=0.01, beta=0.9, weight_decay=0.0, decoupled=False):
    """``u ← β u + η g``;  ``θ ← θ − u``."""
    lr, beta = float(lr), float(beta)
    params, g = _decayed(params, grads, lr, float(weight_decay), decoupled)
    velocity = beta * velocity + lr * g
    return params - velocity, velocity


def nesterov(params, grads, velocity, lr=0.01, beta=0.9, weight_decay=0.0, decoupled=False):
    """Stored look-ahead form: ``u ← β u + η g``;  ``φ ← φ − β u − η g`` (SPEC §3.1)."""
    lr, beta = float(lr), float(beta)
    params, g = _decayed(params, grads, lr, float(weight_decay), decoupled)
    velocity = beta * velocity + lr * g
    return params - beta * velocity - lr * g, velocity


def nesterov_lookahead(params, velocity, gradient, lr=0.01, beta=0.9):
    """The lecture's look-ahead form (SPEC §3.1), with ``gradient`` a function of θ.

    ``θ̃ = θ − β u``;  ``g = ∇J(θ̃)``;  ``u ← β u + η g``;  ``θ ← θ − u``.
    """
    lookahead = params - beta * velocity
    velocity = beta * velocity + lr * gradient(lookahead)
    return params - velocity, velocity


def adagrad(params, grads, v, lr=0.01, eps=1e-8, weight_decay=0.0, decoupled=False):
    """``v ← v + g²``;  ``θ ← θ − η g / (√v + ε)``."""
    lr, eps = float(lr), float(eps)
    params, g = _decayed(params, grads, lr, float(weight_decay), decoupled)
    v = v + g * g
    return params - lr * g / (np.sqrt(v) + eps), v


def rmsprop(params, grads, v, lr=0.01, beta=0.9, eps=1e-8, weight_decay=0.0, decoupled=False):
    """``v ← β v + (1−β) g²``;  ``θ ← θ − η g / (√v + ε)``."""
    lr, beta, eps = float(lr), float(beta), float(eps)
    params, g = _decayed(params, grads, lr, float(weight_decay), decoupled)
    v = beta * v + (1 - beta) * g * g
    return params - lr * g / (np.sqrt(v) + eps), v


def adadelta(params, grads, v, u, lr=1.0, beta=0.95, eps=1e-6, weight_decay=0.0,
             decoupled=False):
    """``v ← β v + (1−β) g²``;  ``Δ = g √(u + ε) / √(v + ε)``;  ``u ← β u + (1−β) Δ²``;
    ``θ ← θ − η Δ``."""
    lr, beta, eps = float(lr), float(beta), float(eps)
    params, g = _decayed(params, grads, lr, float(weight_decay), decoupled)
    v = beta * v + (1 - beta) * g * g
    delta = g * np.sqrt(u + eps) / np.sqrt(v + eps)
    u = beta * u + (1 - beta) * delta * delta
    return params - lr * delta, v, u


def adam(params, grads, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
         weight_decay=0.0, decoupled=False):
    """``m ← β1 m + (1−β1) g``;  ``v ← β2 v + (1−β2) g²``;  ``m̂ = m/(1−β1^t)``,
    ``v̂ = v/(1−β2^t)``;  ``θ ← θ − η m̂ / (√v̂ + ε)``."""
    lr, beta1, beta2, eps = float(lr), float(beta1), float(beta2), float(eps)
    params, g = _decayed(params, grads, lr, float(weight_decay), decoupled)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**step)
    v_hat = v / (1 - beta2**step)
    return params - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adamax(params, grads, m, u, step, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8,
           weight_decay=0.0, decoupled=False):
    """``m`` as Adam;  ``u ← max(β2 u, |g|)``;  ``θ ← θ − η m̂ / (u + ε)``."""
    lr, beta1, beta2, eps = float(lr), float(beta1), float(beta2), float(eps)
    params, g = _decayed(params, grads, lr, float(weight_decay), decoupled)
    m = beta1 * m + (1 - beta1) * g
    u = np.maximum(beta2 * u, np.abs(g))
    m_hat = m / (1 - beta1**step)
    return params - lr * m_hat / (u + eps), m, u


def nadam(params, grads, m, v, step, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8,
          weight_decay=0.0, decoupled=False, momentum_decay=None, mu_product=1.0):
    """Returns ``(params, m, v, mu_product)``.

    Lecture form (``momentum_decay=None``): ``m, v, m̂, v̂`` as Adam;
    ``θ ← θ − η (β1 m̂ + (1−β1) g/(1−β1^t)) / (√v̂ + ε)``.
    ``momentum_decay = ψ`` (PyTorch): ``μ_t = β1 (1 − ½·0.96^(tψ))``, ``Π_t = Π_{t−1} μ_t``,
    ``θ ← θ − η (1−μ_t)/(1−Π_t) · g/d − η μ_{t+1}/(1−Π_t μ_{t+1}) · m/d``,
    ``d = √(v/(1−β2^t)) + ε``; ``mu_product`` is ``Π_{t−1}``.
    """
    lr, beta1, beta2, eps = float(lr), float(beta1), float(beta2), float(eps)
    params, g = _decayed(params, grads, lr, float(weight_decay), decoupled)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    if momentum_decay is None:
        m_hat = m / (1 - beta1**step)
        v_hat = v / (1 - beta2**step)
        nesterov_m = beta1 * m_hat + (1 - beta1) * g / (1 - beta1**step)
        return params - lr * nesterov_m / (np.sqrt(v_hat) + eps), m, v, mu_product
    momentum_decay, mu_product = float(momentum_decay), float(mu_product)
    mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentum_decay))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
    mu_product = mu_product * mu
    d = np.sqrt(v / (1 - beta2**step)) + eps
    params = (params - lr * (1 - mu) / (1 - mu_product) * g / d
              - lr * mu_next / (1 - mu_product * mu_next) * m / d)
    return params, m, v, mu_product


def amsgrad(params, grads, m, v, v_max, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
            weight_decay=0.0, decoupled=False, bias_correction=False):
    """``m, v`` as Adam;  ``v̂max ← max(v̂max, v)``;  ``θ ← θ − η m / (√v̂max + ε)``;
    ``bias_correction=True``: ``θ ← θ − η/(1−β1^t) · m / (√v̂max/√(1−β2^t) + ε)``."""
    lr, beta1, beta2, eps = float(lr), float(beta1), float(beta2), float(eps)
    params, g = _decayed(params, grads, lr, float(weight_decay), decoupled)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    v_max = np.maximum(v_max, v)
    if bias_correction:
        denominator = np.sqrt(v_max) / math.sqrt(1 - beta2**step) + eps
        return params - lr / (1 - beta1**step) * m / denominator, m, v, v_max
    return params - lr * m / (np.sqrt(v_max) + eps), m, v, v_max


def radam_rho(step, beta2):
    """``ρ_t = ρ∞ − 2 t β2^t / (1 − β2^t)``, ``ρ∞ = 2/(1−β2) − 1``."""
    rho_infinity = 2 / (1 - beta2) - 1
    return rho_infinity - 2 * step * beta2**step / (1 - beta2**step)


def radam(params, grads, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
          weight_decay=0.0, decoupled=False):
    """SPEC §3.3: if ``ρ_t > 5``, ``θ ← θ − η r_t m̂ √(1−β2^t) / (√v + ε)``, else
    ``θ ← θ − η m̂``."""
    lr, beta1, beta2, eps = float(lr), float(beta1), float(beta2), float(eps)
    params, g = _decayed(params, grads, lr, float(weight_decay), decoupled)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**step)
    rho_infinity = 2 / (1 - beta2) - 1
    rho = radam_rho(step, beta2)
    if rho > 5:
        r = math.sqrt((rho - 4) * (rho - 2) * rho_infinity
                      / ((rho_infinity - 4) * (rho_infinity - 2) * rho))
        return params - lr * r * m_hat * math.sqrt(1 - beta2**step) / (np.sqrt(v) + eps), m, v
    return params - lr * m_hat, m, v


def _cosines(a, b, eps):
    """|cos| between the rows of two 2-D arrays: ``|a·b| / max(‖a‖ ‖b‖, ε)``, in float64."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    dot = np.sum(a * b, axis=1)
    norms = np.sqrt(np.sum(a * a, axis=1)) * np.sqrt(np.sum(b * b, axis=1))
    return np.abs(dot) / np.maximum(norms, eps)


def adamp(params, grads, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
          weight_decay=0.0, decoupled=True, delta=0.1, wd_ratio=0.1, nesterov=False):
    """SPEC §3.4 (Heo et al. 2021). ``params`` of any shape; 2 or more dimensions are viewed
    as ``(shape[0], -1)`` (per row), then as ``(1, -1)`` (the whole array)."""
    lr, beta1, beta2, eps = float(lr), float(beta1), float(beta2), float(eps)
    weight_decay = float(weight_decay)
    g = grads if decoupled or weight_decay == 0 else grads + weight_decay * params
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    numerator = beta1 * m + (1 - beta1) * g if nesterov else m
    p = numerator / (1 - beta1**step) / (np.sqrt(v / (1 - beta2**step)) + eps)
    ratio = 1.0
    if params.ndim >= 2 and params.size > 0:
        for rows in (params.shape[0], 1):
            theta = params.reshape(rows, -1)
            if _cosines(g.reshape(rows, -1), theta, eps).max() < delta / math.sqrt(theta.shape[1]):
                theta = theta.astype(np.float64)
                unit = theta / (np.sqrt(np.sum(theta * theta, axis=1, keepdims=True)) + eps)
                p_rows = p.reshape(rows, -1).astype(np.float64)
                p_rows = p_rows - unit * np.sum(unit * p_rows, axis=1, keepdims=True)
                p = p_rows.reshape(params.shape).astype(params.dtype)
                ratio = wd_ratio
                break
    if decoupled and weight_decay != 0:
        params = params * (1 - lr * weight_decay * ratio)
    return params - lr * p, m, v


def apply(hyper, params, grads, slots, step, lr, beta=None, mu_product=1.0):
    """One step of the rule whose hyperparameters are ``hyper`` (a record of
    ``fastoptim.kernels.layout``, e.g. ``AdamHyper``: only its type and fields are read) with
    the functions above. ``slots``: the state arrays in the rule's order; ``beta``: the step's
    momentum β (or β1) if a momentum schedule sets it, else the record's; ``mu_product``:
    NAdam's Π_{t−1}. Returns ``(params, [slots...], mu_product)``, new arrays."""
    rule = type(hyper).__name__
    fields = hyper._asdict()
    common = dict(weight_decay=fields["weight_decay"], decoupled=bool(fields["decoupled"]))
    if rule == "GDHyper":
        (params,) = gd(params, grads, lr, **common)
        return params, [], mu_product
    if rule in ("MomentumHyper", "NesterovHyper", "LookaheadHyper"):
        function = nesterov if rule == "NesterovHyper" else momentum
        params, velocity = function(params, grads, slots[0], lr, fields["beta"] if beta is None else beta,
                                    **common)
        return params, [velocity], mu_product
    if rule == "AdaGradHyper":
        params, v = adagrad(params, grads, slots[0], lr, fields["eps"], **common)
        return params, [v], mu_product
    if rule == "RMSPropHyper":
        params, v = rmsprop(params, grads, slots[0], lr, fields["beta"], fields["eps"], **common)
        return params, [v], mu_product
    if rule == "AdaDeltaHyper":
        params, v, u = adadelta(params, grads, slots[0], slots[1], lr, fields["beta"], fields["eps"],
                                **common)
        return params, [v, u], mu_product
    adam_like = dict(lr=lr, beta1=fields["beta1"] if beta is None else beta, beta2=fields["beta2"],
                     eps=fields["eps"], **common)
    if rule == "NAdamHyper":
        decay = fields["momentum_decay"]
        params, m, v, mu_product = nadam(params, grads, slots[0], slots[1], step, **adam_like,
                                         momentum_decay=decay if decay > 0 else None,
                                         mu_product=mu_product)
        return params, [m, v], mu_product
    if rule == "AMSGradHyper":
        params, *state = amsgrad(params, grads, *slots[:3], step, **adam_like,
                                 bias_correction=bool(fields["bias_correction"]))
        return params, state, mu_product
    if rule == "AdamPHyper":
        params, *state = adamp(params, grads, *slots[:2], step, **adam_like, delta=fields["delta"],
                               wd_ratio=fields["wd_ratio"], nesterov=bool(fields["nesterov"]))
        return params, state, mu_product
    function = {"AdamHyper": adam, "AdaMaxHyper": adamax, "RAdamHyper": radam}[rule]
    params, *state = function(params, grads, *slots[:2], step, **adam_like)
    return params, state, mu_product
