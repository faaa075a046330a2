"""One epoch as a plain numpy per-step loop: what ``kernels/epochs.py`` must compute.

Same arguments and results as ``fastoptim.kernels.epochs.run_epoch`` (see there), written
step by step with the numpy reference of the model (``reference/model.py``) and of the update
rules (``reference/updates.py``). Only the optimizer kind numbers are shared with the kernels
(the contract of the ``kind`` argument).
"""
import numpy as np

from ..kernels.updates import (ADADELTA, ADAGRAD, ADAM, ADAMAX, ADAMP, AMSGRAD, GD, H_BETA1, H_BETA2,
                               H_BIAS_CORRECTION, H_DECOUPLED, H_DELTA, H_EPS, H_MOMENTUM_DECAY,
                               H_NESTEROV, H_WD_RATIO, H_WEIGHT_DECAY, MOMENTUM, NADAM, NESTEROV,
                               RADAM, RMSPROP, S_MU_PRODUCT)
from . import model, updates


class Batch:
    """The points of one step (what ``reference.model`` needs of a data set: ``X`` and ``y``)."""

    def __init__(self, X, y):
        self.X, self.y = X, y


def apply_rule(kind, theta, g, slots, scalars, hyper, step, lr):
    """One step of rule ``kind`` with the reference formulas; returns new ``(θ, slots, scalars)``."""
    common = dict(weight_decay=float(hyper[H_WEIGHT_DECAY]), decoupled=bool(hyper[H_DECOUPLED]))
    beta, beta2, eps = float(hyper[H_BETA1]), float(hyper[H_BETA2]), float(hyper[H_EPS])
    slots = slots.copy()
    scalars = scalars.copy()
    if kind == GD:
        (theta,) = updates.gd(theta, g, lr, **common)
    elif kind == MOMENTUM:
        theta, slots[0] = updates.momentum(theta, g, slots[0], lr, beta, **common)
    elif kind == NESTEROV:
        theta, slots[0] = updates.nesterov(theta, g, slots[0], lr, beta, **common)
    elif kind == ADAGRAD:
        theta, slots[0] = updates.adagrad(theta, g, slots[0], lr, eps, **common)
    elif kind == RMSPROP:
        theta, slots[0] = updates.rmsprop(theta, g, slots[0], lr, beta, eps, **common)
    elif kind == ADADELTA:
        theta, slots[0], slots[1] = updates.adadelta(theta, g, slots[0], slots[1], lr, beta, eps, **common)
    elif kind == ADAM:
        theta, slots[0], slots[1] = updates.adam(theta, g, slots[0], slots[1], step, lr, beta, beta2, eps, **common)
    elif kind == ADAMAX:
        theta, slots[0], slots[1] = updates.adamax(theta, g, slots[0], slots[1], step, lr, beta, beta2, eps, **common)
    elif kind == NADAM:
        decay = float(hyper[H_MOMENTUM_DECAY])
        theta, slots[0], slots[1], scalars[S_MU_PRODUCT] = updates.nadam(
            theta, g, slots[0], slots[1], step, lr, beta, beta2, eps, **common,
            momentum_decay=decay if decay > 0 else None, mu_product=scalars[S_MU_PRODUCT])
    elif kind == AMSGRAD:
        theta, slots[0], slots[1], slots[2] = updates.amsgrad(
            theta, g, slots[0], slots[1], slots[2], step, lr, beta, beta2, eps, **common,
            bias_correction=bool(hyper[H_BIAS_CORRECTION]))
    elif kind == RADAM:
        theta, slots[0], slots[1] = updates.radam(theta, g, slots[0], slots[1], step, lr, beta, beta2, eps, **common)
    elif kind == ADAMP:
        theta, slots[0], slots[1] = updates.adamp(
            theta, g, slots[0], slots[1], step, lr, beta, beta2, eps, **common,
            delta=float(hyper[H_DELTA]), wd_ratio=float(hyper[H_WD_RATIO]), nesterov=bool(hyper[H_NESTEROV]))
    else:
        raise ValueError(f"unknown optimizer kind {kind}")
    return theta, slots, scalars


def run_epoch(kind, X, y, batch_size, n_steps, mean, lookahead,
              theta, slots, scalars, hyper, step0,
              lrs, betas, candidates,
              step_loss, lr_used, trajectory, record_trajectory):
    """One epoch, step by step (lecture 5.3-5.8); returns the number of steps completed."""
    reduction = "mean" if mean else "sum"
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected below, by value
        return _steps(kind, X, y, batch_size, n_steps, reduction, lookahead, theta, slots, scalars, hyper,
                      step0, lrs, betas, candidates, step_loss, lr_used, trajectory, record_trajectory)


def _steps(kind, X, y, batch_size, n_steps, reduction, lookahead, theta, slots, scalars, hyper, step0,
           lrs, betas, candidates, step_loss, lr_used, trajectory, record_trajectory):
    for k in range(n_steps):
        batch = Batch(X[k * batch_size:(k + 1) * batch_size], y[k * batch_size:(k + 1) * batch_size])
        step = step0 + k + 1
        if betas.size > 0:
            hyper[H_BETA1] = betas[k]
        rule = kind
        point = theta
        if lookahead:  # lecture 5.5: the gradient at θ̃ = θ − β u, then the momentum step
            point = (theta - float(hyper[H_BETA1]) * slots[0]).astype(theta.dtype)
            rule = MOMENTUM
        batch_loss = model.loss(batch, point, reduction)
        step_loss[k] = batch_loss
        if not np.isfinite(batch_loss):  # divergence: stop before the update
            return k
        g = model.gradient(batch, point, reduction).astype(theta.dtype)
        if candidates.size > 0:  # lecture 5.8: keep the candidate η with the lowest batch loss
            # (if no candidate gives a finite loss, the first is taken and the run diverges)
            best = (np.inf, float(candidates[0]), None)
            for lr in candidates:
                trial = apply_rule(rule, theta, g, slots, scalars, hyper, step, float(lr))
                value = model.loss(batch, trial[0], reduction)
                if value < best[0]:
                    best = (value, float(lr), trial)
            _, lr, trial = best
            if trial is None:
                trial = apply_rule(rule, theta, g, slots, scalars, hyper, step, lr)
            new_theta, new_slots, new_scalars = trial
        else:
            lr = float(lrs[k])
            new_theta, new_slots, new_scalars = apply_rule(rule, theta, g, slots, scalars, hyper, step, lr)
        lr_used[k] = lr
        if not (np.all(np.isfinite(new_theta)) and np.all(np.isfinite(new_slots))):
            return k  # divergence: θ and the state stay as they were before the step
        theta[:], slots[:], scalars[:] = new_theta, new_slots, new_scalars
        if record_trajectory:
            trajectory[k] = theta
    return n_steps
