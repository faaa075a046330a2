"""The numpy reference's engine for a run plan: what ``kernels/epochs.run_steps`` must compute,
step by step, with the numpy model (``reference/model.py``) and update rules
(``reference/updates.py``).

It reads the plan's interface only (``fastoptim.plan.RunPlan``: the data, the rule's record,
the loss, the batch size …) and has the compiled engine's two methods, so
``fastoptim.training.run_plan`` can run a plan with either.
"""
import numpy as np

from ..kernels.layout import S_MU_PRODUCT
from . import model, updates


class Batch:
    """The points of one step (what ``reference.model`` needs of a data set)."""

    def __init__(self, X, y, weights):
        self.X, self.y, self.weights = X, y, weights


class ReferenceEngine:
    """A plan's steps and losses in plain numpy (one Python iteration per step)."""

    def __init__(self, plan):
        self.plan = plan
        self.reduction = plan.reduction

    def prepare(self, theta, state, order, records, announce=False):
        """Nothing to compile: nothing compiled."""
        return ()

    def loss(self, data, theta):
        """``J`` over ``data`` at ``theta``."""
        with np.errstate(over="ignore", invalid="ignore"):  # a non-finite loss is divergence, found by value
            return float(model.loss(data, theta, self.reduction, self.plan.loss))

    def steps(self, theta, state, order, first_batch, n_steps, step0, lrs, betas, records):
        """``n_steps`` steps in place (lecture 5.3-5.8); returns the number completed."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # divergence: found by value below
            return self._steps(theta, state, order, first_batch, n_steps, step0, lrs, betas, records)

    def _batch(self, order, start, stop):
        data = self.plan.data
        positions = np.arange(start, stop) if order is None else order[start:stop].astype(np.int64)
        weights = None if data.weights is None else data.weights[positions]
        return Batch(data.X[positions], data.y[positions], weights)

    def _steps(self, theta, state, order, first_batch, n_steps, step0, lrs, betas, records):
        plan = self.plan
        step_loss, step_lr, step_beta, trajectory = records
        hyper = plan.hyper
        n = plan.data.n
        default_beta = plan.rates.beta if plan.rates.beta is not None else 0.0
        candidates = plan.rates.candidates
        for k in range(n_steps):
            start = (first_batch + k) * plan.batch_size
            batch = self._batch(order, start, min(n, start + plan.batch_size))
            step = step0 + k + 1
            beta = float(betas[k]) if betas.size else default_beta
            point = theta
            if plan.lookahead:  # lecture 5.5: the gradient at θ̃ = θ − β u (in float64, rounded once)
                point = (theta.astype(np.float64) - beta * state.slots[0].astype(np.float64)).astype(theta.dtype)
            g = model.gradient(batch, point, self.reduction, plan.loss).astype(theta.dtype)
            if step_loss is not None:
                step_loss[k] = model.loss(batch, point, self.reduction, plan.loss)
            if not np.all(np.isfinite(g)):  # divergence: stop before the update
                return k
            mu_product = float(state.scalars[S_MU_PRODUCT])
            if candidates is not None:  # lecture 5.8: keep the candidate η with the lowest batch loss
                best = (np.inf, float(candidates[0]), None)
                for lr in candidates:
                    trial = updates.apply(hyper, theta, g, list(state.slots), step, float(lr), beta, mu_product)
                    value = model.loss(batch, trial[0], self.reduction, plan.loss)
                    if value < best[0]:
                        best = (value, float(lr), trial)
                _, lr, trial = best
                if trial is None:  # no finite candidate: the first, and the run diverges below
                    trial = updates.apply(hyper, theta, g, list(state.slots), step, lr, beta, mu_product)
            else:
                lr = float(lrs[k])
                trial = updates.apply(hyper, theta, g, list(state.slots), step, lr, beta, mu_product)
            new_theta, new_slots, new_mu = trial
            new_slots = np.array(new_slots, dtype=theta.dtype).reshape(state.slots.shape)
            if not (np.all(np.isfinite(new_theta)) and np.all(np.isfinite(new_slots))):
                return k  # divergence: θ and the state stay as they were before the step
            theta[:], state.slots[:] = new_theta, new_slots
            state.scalars[S_MU_PRODUCT] = new_mu
            if step_lr is not None:
                step_lr[k] = lr
            if step_beta is not None:
                step_beta[k] = beta
            if trajectory is not None:
                trajectory[k] = theta
        return n_steps
