"""A naive training loop written from SPEC §2-§7 alone: the independent judge of the orchestration.

``fastoptim.reference.train`` runs ``fastoptim.train``'s own orchestration (its counters, its
per-step η and β arrays, its permutation, its divergence and resume rules) with a numpy epoch
engine, so ``train == reference.train`` cannot see a bug in that orchestration. This module
can: it shares none of it. It imports nothing from ``fastoptim`` except the numpy reference of
the model (``fastoptim.reference.model``: the loss and gradient of SPEC §1) and of the update
rules (``fastoptim.reference.updates``: SPEC §3, pure functions). Everything else is written
here again, as plainly as possible: one function, a loop per epoch and a loop per step, every
schedule of SPEC §5 in plain Python ``math``, and no attempt at speed.

How :func:`train` maps to ``fastoptim.train(data, optimizer, **options)``:

==========================  =====================================================================
naive                       fastoptim
==========================  =====================================================================
``X, y``                    ``data = Dataset(X, y)`` (float32 data trains in float32)
``rule``                    the optimizer's class name: ``"GD"``, ``"Momentum"``, ``"Nesterov"``,
                            ``"AdaGrad"``, ``"RMSProp"``, ``"AdaDelta"``, ``"Adam"``, ``"AdaMax"``,
                            ``"NAdam"``, ``"AMSGrad"``, ``"RAdam"``, ``"AdamP"`` (AdamW & co are
                            these rules with ``weight_decay``/``decoupled`` in ``hyper``)
``lr``                      the optimizer's ``lr``: a number, or a plain function of the counter
                            (one of this module's schedules, e.g. ``naive.cosine(...)``)
``hyper``                   the optimizer's other arguments, under the keyword names of
                            ``fastoptim.reference.updates`` (``beta``; ``beta1``, ``beta2``
                            for ``betas=(β1, β2)``; ``eps``, ``weight_decay``, ``decoupled``,
                            ``momentum_decay``, ``bias_correction``, ``delta``, ``wd_ratio``,
                            ``nesterov``); missing ones take the reference's defaults, which are
                            SPEC §3's
``schedule``, ``momentum_schedule``
                            the same arguments, as this module's schedules (plain functions)
``validation``              None, a fraction (split as ``Dataset.split`` does), or ``(Xv, yv)``
                            for a ``Dataset``
``on_plateau``              ``halve_on_increase(lr=None)`` / ``reduce_on_plateau(...)`` of this
                            module: plain dicts, not objects
``resume``                  a :class:`NaiveRun` returned by this function (continue it)
``epochs, init, batch_size, reduction, per, shuffle, seed, drop_last, line_search``
                            the same arguments, the same meaning
``record``                  ignored (the naive loop records every step)
==========================  =====================================================================

The result, a :class:`NaiveRun`, has the fields of ``fastoptim.Run`` that the tests compare:
``theta``, ``loss``, ``validation_loss``, ``lr`` (η of every step), ``beta`` (the momentum β or
β1 of every step, scheduled or constant; None for rules without one), ``step_loss`` and ``trajectory`` (always kept),
``epochs``, ``steps``, ``diverged``, ``slots`` (by name), ``mu_product``, and ``controller``.

Rules taken from SPEC.md, with the section; where the SPEC is silent, from ``fastoptim``'s
documented semantics (named as such; they are documents, not code):

- §2 the batches of an epoch are ``[kB, min(N, (k+1)B))`` of the epoch's order, ``⌈N/B⌉`` of them
  (``⌊N/B⌋`` with ``drop_last``); ``batch_size=None`` is one batch of all N points. (``train``'s
  docstring: a ``batch_size`` above N is one batch of N points, with or without ``drop_last``.)
- §2 shuffling: epoch ``e`` (counted over the whole run, resumed parts included) visits the
  training part in the ``e``-th ``permutation(n)`` drawn from one ``default_rng(seed)``.
- §3 ``t = 1, 2, …`` counts the updates (the bias corrections' ``t``); §5 a schedule sees the
  counter ``t − 1`` (``per="step"``: the number of steps before this one, from 0) or the epoch
  number (``per="epoch"``, from 0), over the whole run.
- §3.1 Nesterov in the look-ahead form: ``θ̃ = θ − βu`` (rounded to θ's dtype), ``g = ∇J(θ̃)``,
  then Momentum's update ``u ← βu + ηg``, ``θ ← θ − u``.
- §4 line search: ``g`` at θ; each candidate η is applied (the optimizer's rule, on copies) and
  ``J`` of the same batch evaluated at the result; the lowest wins, the first on a tie (a
  candidate whose loss is not finite never wins; if none is finite, the first is taken).
- §5 η of a step: the line search's choice; else the plateau controller's current rate (for
  the whole epoch); else ``schedule(counter)``; else the optimizer's ``lr`` (a number, or a
  schedule evaluated at the counter). A momentum schedule writes β (Momentum, Nesterov) or β1
  (the Adam family) of every step, at the same counter.
- §5 plateau controllers, fed the validation loss after every epoch: halve η after an epoch
  whose loss is higher than the previous epoch's; reduce-on-plateau with PyTorch's ``"rel"``
  semantics as ``fastoptim.schedules.ReduceOnPlateau`` documents them. A controller without a
  rate of its own starts at the optimizer's.
- §1 the epoch's loss: ``J`` over the whole training part with the run's reduction, at θ after
  the epoch; the validation loss likewise on the validation part.
- Divergence (``fastoptim.Run``'s docstring): a step whose gradient (rounded to θ's dtype) is
  not finite stops the run before its update; a step whose update makes θ or a state slot
  non-finite stops it with θ and the state from before that step; ``diverged = {"epoch": e, "step": k}``. An epoch whose
  training (or validation) loss is not finite stops the run after it, with
  ``step = steps per epoch``, that loss recorded and the epoch counted.
- float32 data trains in float32: θ and the slots in the data's dtype, the gradient computed in
  float64 and rounded to that dtype before the update; losses are float64.
- The validation split (``Dataset.split``): ``round(f·N)`` points, the first of
  ``default_rng(seed).permutation(N)``, are the validation part; both parts sorted.
"""
import copy
import math

import numpy as np

from fastoptim.reference import model, updates

# --- SPEC §5: the schedules, each a plain function of an integer counter t = 0, 1, ... -----------


def constant(lr):
    return lambda t: float(lr)


def step_decay(lr, factor=0.5, every=5):
    return lambda t: lr * factor ** (t // every)


def exponential(lr, k):
    return lambda t: lr * math.exp(-k * t)


def inverse_time(lr, k):
    return lambda t: lr / (1 + k * t)


def cyclic(base_lr, max_lr, step_size, mode="triangular", gamma=1.0):
    """Smith 2017 as SPEC §5 writes it, ``c = ⌊1 + t/(2s)⌋``, ``x = |t/s − 2c + 1|``, with the
    cycle found by integer arithmetic and ``x = |t − (2c − 1)s| / s`` (an exact integer over s,
    one rounding)."""
    s = step_size

    def value(t):
        c = 1 + t // (2 * s)
        x = abs(t - (2 * c - 1) * s) / s
        if mode == "triangular":
            scale = 1.0
        elif mode == "triangular2":
            scale = 1 / 2 ** (c - 1)
        else:  # "exp_range"
            scale = gamma ** t
        return base_lr + (max_lr - base_lr) * max(0.0, 1 - x) * scale

    return value


def cosine(max_lr, min_lr, period):
    return lambda t: min_lr + 0.5 * (max_lr - min_lr) * (1 + math.cos(math.pi * min(t, period) / period))


def warm_restarts(max_lr, min_lr, T0, T_mult=1):
    def value(t):
        start, length = 0, T0  # the period holding t: [start, start + length)
        while t >= start + length:
            start, length = start + length, length * T_mult
        return min_lr + 0.5 * (max_lr - min_lr) * (1 + math.cos(math.pi * (t - start) / length))

    return value


def linear_warmup(lr, warmup, start_lr=0.0):
    return lambda t: start_lr + (lr - start_lr) * t / warmup if t < warmup else lr


def transformer_warmup(d_model, warmup=4000, scale=1.0):
    return lambda t: scale * d_model ** -0.5 * min((t + 1) ** -0.5, (t + 1) * warmup ** -1.5)


def join(schedules, boundaries):
    def value(t):
        start = 0
        chosen = schedules[0]
        for schedule, boundary in zip(schedules[1:], boundaries):
            if t >= boundary:
                start, chosen = boundary, schedule
        return chosen(t - start)

    return value


def sutskever_momentum(beta_max, every=250):
    """SPEC §5, as written: ``β_t = min(1 − 2^(−1 − log2(⌊t/250⌋ + 1)), β_max)``."""
    return lambda t: min(1 - 2 ** (-1 - math.log2(t // every + 1)), beta_max)


# --- SPEC §5: the validation-based controllers, as plain dicts -----------------------------------


def halve_on_increase(lr=None):
    return {"rule": "halve", "lr": lr, "previous": None}


def reduce_on_plateau(factor=0.1, patience=10, threshold=1e-4, min_lr=0.0, lr=None):
    return {"rule": "reduce", "lr": lr, "factor": factor, "patience": patience,
            "threshold": threshold, "min_lr": min_lr, "best": None, "bad_epochs": 0}


def _controller_update(controller, validation_loss):
    """Feed one epoch's validation loss; the controller's ``lr`` is then the next epoch's η."""
    if controller["rule"] == "halve":
        if controller["previous"] is not None and validation_loss > controller["previous"]:
            controller["lr"] = controller["lr"] * 0.5
        controller["previous"] = validation_loss
    else:
        # PyTorch ReduceLROnPlateau(mode="min", threshold_mode="rel", cooldown=0): the first
        # epoch is an improvement; an improvement is loss < best (1 − threshold); after more
        # than `patience` epochs without one, lr ← max(lr · factor, min_lr), and count again.
        best = controller["best"]
        if best is None or validation_loss < best * (1 - controller["threshold"]):
            controller["best"] = validation_loss
            controller["bad_epochs"] = 0
        else:
            controller["bad_epochs"] += 1
        if controller["bad_epochs"] > controller["patience"]:
            controller["lr"] = max(controller["lr"] * controller["factor"], controller["min_lr"])
            controller["bad_epochs"] = 0


# --- SPEC §3: one update of a rule, from the numpy reference -------------------------------------

SLOTS = {
    "GD": (), "Momentum": ("velocity",), "Nesterov": ("velocity",), "AdaGrad": ("v",),
    "RMSProp": ("v",), "AdaDelta": ("v", "u"), "Adam": ("m", "v"), "AdaMax": ("m", "u"),
    "NAdam": ("m", "v"), "AMSGrad": ("m", "v", "v_max"), "RAdam": ("m", "v"), "AdamP": ("m", "v"),
}


#: The rules whose β (or β1) is a momentum, and its keyword: where a momentum schedule applies
#: (SPEC §5 "usable wherever an optimizer has a β/β1"; issue 13 narrows it to the momentum β,
#: not RMSProp's or AdaDelta's squared-gradient average).
MOMENTUM_BETA = {"Momentum": "beta", "Nesterov": "beta", "Adam": "beta1", "AdaMax": "beta1", "NAdam": "beta1",
                 "AMSGrad": "beta1", "RAdam": "beta1", "AdamP": "beta1"}


def _update(rule, theta, g, slots, mu_product, t, lr, hyper):
    """One update by the reference's pure functions; returns new ``(θ, slots, mu_product)``.
    Nesterov here is the look-ahead form: ``g`` is the gradient at ``θ − βu``, and the update
    is Momentum's (SPEC §3.1)."""
    if rule == "GD":
        (theta,) = updates.gd(theta, g, lr, **hyper)
        return theta, {}, mu_product
    if rule in ("Momentum", "Nesterov"):
        theta, u = updates.momentum(theta, g, slots["velocity"], lr, **hyper)
        return theta, {"velocity": u}, mu_product
    if rule == "AdaGrad":
        theta, v = updates.adagrad(theta, g, slots["v"], lr, **hyper)
        return theta, {"v": v}, mu_product
    if rule == "RMSProp":
        theta, v = updates.rmsprop(theta, g, slots["v"], lr, **hyper)
        return theta, {"v": v}, mu_product
    if rule == "AdaDelta":
        theta, v, u = updates.adadelta(theta, g, slots["v"], slots["u"], lr, **hyper)
        return theta, {"v": v, "u": u}, mu_product
    if rule == "Adam":
        theta, m, v = updates.adam(theta, g, slots["m"], slots["v"], t, lr, **hyper)
        return theta, {"m": m, "v": v}, mu_product
    if rule == "AdaMax":
        theta, m, u = updates.adamax(theta, g, slots["m"], slots["u"], t, lr, **hyper)
        return theta, {"m": m, "u": u}, mu_product
    if rule == "NAdam":
        theta, m, v, mu_product = updates.nadam(theta, g, slots["m"], slots["v"], t, lr, **hyper,
                                                mu_product=mu_product)
        return theta, {"m": m, "v": v}, mu_product
    if rule == "AMSGrad":
        theta, m, v, v_max = updates.amsgrad(theta, g, slots["m"], slots["v"], slots["v_max"], t, lr, **hyper)
        return theta, {"m": m, "v": v, "v_max": v_max}, mu_product
    if rule == "RAdam":
        theta, m, v = updates.radam(theta, g, slots["m"], slots["v"], t, lr, **hyper)
        return theta, {"m": m, "v": v}, mu_product
    if rule == "AdamP":
        theta, m, v = updates.adamp(theta, g, slots["m"], slots["v"], t, lr, **hyper)
        return theta, {"m": m, "v": v}, mu_product
    raise ValueError(f"unknown rule {rule!r}")


class _Points:
    """What ``reference.model`` reads of a data set: ``X`` and ``y``."""

    def __init__(self, X, y):
        self.X, self.y = X, y


class NaiveRun:
    """The record of a naive run (the fields of ``fastoptim.Run`` the tests compare)."""

    def __repr__(self):
        return (f"NaiveRun(epochs={self.epochs}, steps={self.steps}, theta={self.theta}, "
                f"diverged={self.diverged})")


# --- the loop ------------------------------------------------------------------------------------


@np.errstate(over="ignore", invalid="ignore")  # overflow is divergence, found by value below
def train(X, y, rule, *, epochs, init, lr=None, hyper=None, batch_size=None, reduction="mean",
          schedule=None, per="step", momentum_schedule=None, shuffle=False, seed=0, drop_last=False,
          line_search=None, validation=None, on_plateau=None, resume=None, record=None):
    """Train σ(w·x + b) on ``(X, y)`` with ``rule`` for ``epochs`` epochs (or ``epochs`` more,
    continuing ``resume``); see the module's docstring for the arguments. ``record`` is accepted
    and ignored: every step is always recorded."""
    hyper = dict(hyper or {})
    if momentum_schedule is not None and rule not in MOMENTUM_BETA:
        raise ValueError(f"{rule} has no momentum β for momentum_schedule")
    X = np.asarray(X)
    y = np.asarray(y)
    dtype = X.dtype

    # the training and validation parts
    if validation is None:
        X_train, y_train, X_valid, y_valid = X, y, None, None
    elif isinstance(validation, float):
        n_valid = int(round(validation * len(y)))
        order = np.random.default_rng(seed).permutation(len(y))
        train_points, valid_points = np.sort(order[n_valid:]), np.sort(order[:n_valid])
        X_train, y_train = X[train_points], y[train_points]
        X_valid, y_valid = X[valid_points], y[valid_points]
    else:
        X_train, y_train = X, y
        X_valid, y_valid = np.asarray(validation[0]), np.asarray(validation[1])
    n = len(y_train)
    size = n if batch_size is None else min(batch_size, n)
    if drop_last:
        steps_per_epoch = n // size
    else:
        steps_per_epoch = math.ceil(n / size)

    # where the run starts: from init, or where `resume` stopped
    if resume is None:
        theta = np.array(init, dtype=np.float64).astype(dtype)
        slots = {name: np.zeros_like(theta) for name in SLOTS[rule]}
        mu_product = 1.0
        steps_done = 0
        epochs_done = 0
        rng = np.random.default_rng(seed)
        controller = copy.deepcopy(on_plateau)
        if controller is not None and controller["lr"] is None:
            controller["lr"] = lr  # a controller without a rate starts at the optimizer's
        history = dict(loss=[], validation_loss=[], lr=[], beta=[], step_loss=[], trajectory=[theta.copy()])
    else:
        theta = resume.theta.copy()
        slots = {name: value.copy() for name, value in resume.slots.items()}
        mu_product = resume.mu_product
        steps_done = resume.steps
        epochs_done = resume.epochs
        rng = copy.deepcopy(resume.rng)
        controller = copy.deepcopy(resume.controller)
        history = copy.deepcopy(resume.history)
    diverged = None

    for _ in range(epochs):
        epoch = epochs_done  # this epoch's number, from 0 over the whole run
        if shuffle:
            order = rng.permutation(n)
        else:
            order = np.arange(n)
        X_epoch, y_epoch = X_train[order], y_train[order]

        for k in range(steps_per_epoch):
            batch = _Points(X_epoch[k * size:min(n, (k + 1) * size)], y_epoch[k * size:min(n, (k + 1) * size)])
            t = steps_done + 1  # this update's t (SPEC §3)
            counter = steps_done if per == "step" else epoch  # what a schedule sees (SPEC §5)

            step_hyper = dict(hyper)
            beta = None  # the step's momentum β (or β1), recorded; None for rules without one
            if momentum_schedule is not None:
                step_hyper[MOMENTUM_BETA[rule]] = momentum_schedule(counter)
            if rule in MOMENTUM_BETA:
                beta = step_hyper.get(MOMENTUM_BETA[rule], 0.9)  # (0.9: SPEC §3's default, the reference's)

            # the point where the gradient is taken (SPEC §3.1 for Nesterov)
            if rule == "Nesterov":
                point = (theta.astype(np.float64) - beta * slots["velocity"].astype(np.float64)).astype(dtype)
            else:
                point = theta
            batch_loss = model.loss(batch, point, reduction)
            g = model.gradient(batch, point, reduction).astype(dtype)
            if not np.all(np.isfinite(g)):
                diverged = {"epoch": epoch, "step": k}  # stop before the update
                break

            if line_search is not None:  # SPEC §4
                lr_now = line_search[0]
                best_loss = math.inf
                new = None
                for candidate in line_search:
                    trial = _update(rule, theta, g, slots, mu_product, t, candidate, step_hyper)
                    trial_loss = model.loss(batch, trial[0], reduction)
                    if trial_loss < best_loss:
                        best_loss, lr_now, new = trial_loss, candidate, trial
                if new is None:  # no candidate gave a finite loss: the first (the run diverges)
                    new = _update(rule, theta, g, slots, mu_product, t, lr_now, step_hyper)
            else:
                if controller is not None:
                    lr_now = controller["lr"]
                elif schedule is not None:
                    lr_now = schedule(counter)
                elif callable(lr):
                    lr_now = lr(counter)
                else:
                    lr_now = lr
                new = _update(rule, theta, g, slots, mu_product, t, lr_now, step_hyper)
            new_theta, new_slots, new_mu_product = new

            finite = np.all(np.isfinite(new_theta))
            for value in new_slots.values():
                finite = finite and np.all(np.isfinite(value))
            if not finite:
                diverged = {"epoch": epoch, "step": k}  # θ and the state stay as before the step
                break

            theta, slots, mu_product = new_theta, new_slots, new_mu_product
            steps_done += 1
            history["lr"].append(float(lr_now))
            history["beta"].append(beta)
            history["step_loss"].append(float(batch_loss))
            history["trajectory"].append(theta.copy())
        if diverged is not None:
            break

        # after the epoch: the losses, divergence, the controller
        loss = model.loss(_Points(X_train, y_train), theta, reduction)
        history["loss"].append(float(loss))
        finite = np.isfinite(loss)
        if X_valid is not None:
            validation_loss = model.loss(_Points(X_valid, y_valid), theta, reduction)
            history["validation_loss"].append(float(validation_loss))
            finite = finite and np.isfinite(validation_loss)
        epochs_done += 1
        if not finite:
            diverged = {"epoch": epoch, "step": steps_per_epoch}
            break
        if controller is not None:
            _controller_update(controller, float(validation_loss))

    result = NaiveRun()
    result.rule = rule
    result.momentum_scheduled = momentum_schedule is not None
    result.theta = theta
    result.slots = slots
    result.mu_product = mu_product
    result.steps = steps_done
    result.epochs = epochs_done
    result.diverged = diverged
    result.rng = rng
    result.controller = controller
    result.history = history
    result.loss = np.array(history["loss"], dtype=np.float64)
    result.validation_loss = np.array(history["validation_loss"], dtype=np.float64) if X_valid is not None else None
    result.lr = np.array(history["lr"], dtype=np.float64)
    result.beta = np.array(history["beta"], dtype=np.float64) if rule in MOMENTUM_BETA else None
    result.step_loss = np.array(history["step_loss"], dtype=np.float64)
    result.trajectory = np.array(history["trajectory"])
    result.steps_per_epoch = steps_per_epoch
    return result
