"""The result of a training run (``Run``), saved to and loaded from ``.npz`` files."""
import json
from dataclasses import dataclass, field

import numpy as np

from .optimizers import OPTIMIZERS, State


#: The record's arrays kept with every run (per epoch), and those kept only with
#: ``record="step"`` (per step) or only where they exist (``validation_loss``, ``beta``).
EPOCH_ARRAYS = ("loss", "lr")
OPTIONAL_ARRAYS = ("validation_loss", "beta", "step_loss", "step_lr", "step_beta", "trajectory")


@dataclass
class Run:
    """The result of ``train``: final parameters, the record, and what is needed to continue.

    - ``theta``: final ``[w…, b]`` (the data's dtype); never NaN: a diverged run keeps the
      last finite parameters.
    - ``loss``: full training-set loss after each epoch (NaN with ``record="none"``, which does
      not compute it); ``validation_loss`` likewise with validation data (else None).
    - ``lr``, ``beta``: η and β (or β1; None for rules without a momentum) of each epoch's last
      step (under line search, the η it chose).
    - with ``record="step"`` (else None), one entry per step: ``step_loss``, the batch loss at
      the point where the gradient was taken (``θ``, or Nesterov's look-ahead point);
      ``step_lr``, ``step_beta``: η and β used; ``trajectory``: ``θ`` before the first step and
      after every step (shape ``(steps + 1, d + 1)``).
    - ``epochs``, ``steps``: completed so far (over all resumed parts); ``seconds``: wall time.
    - ``diverged``: None, or ``{"epoch": e, "step": k}`` (0-based, ``k`` within the epoch) of
      the step whose gradient was not finite or that made ``θ`` or the optimizer's state
      non-finite: the run stopped there, with ``θ`` and the state from before that step. ``k``
      equal to the steps per epoch means every step was finite but the full-data (or
      validation) loss after the epoch was not; that loss is the last of ``loss``.
    - ``stopped``: None, or why the run ended early: ``{"epoch": e, "reason": "early_stopping" |
      "callback", "message": …}``, with early stopping also ``"best_epoch"``, ``"restored"`` and
      ``"discarded"`` (the monitored losses of the epochs after the best, when restored).
    - ``state``: the optimizer's ``State``; ``settings``, ``rng_state``, ``controller_state``,
      ``early_stopping_state``: what ``train(..., resume=run)`` needs to continue bit for bit.
    """

    theta: np.ndarray
    loss: np.ndarray
    validation_loss: np.ndarray | None
    lr: np.ndarray
    beta: np.ndarray | None
    step_loss: np.ndarray | None
    step_lr: np.ndarray | None
    step_beta: np.ndarray | None
    trajectory: np.ndarray | None
    epochs: int
    steps: int
    seconds: float
    diverged: dict | None
    state: State
    settings: dict = field(repr=False)
    stopped: dict | None = None
    rng_state: dict | None = field(repr=False, default=None)
    controller_state: dict | None = field(repr=False, default=None)
    early_stopping_state: dict | None = field(repr=False, default=None)

    def __repr__(self):
        final = self.loss[-1] if self.loss.size else float("nan")
        return (f"Run({self.settings['optimizer']}, epochs={self.epochs}, steps={self.steps}, "
                f"loss={final:.6g}, theta={np.array2string(self.theta, precision=6)}, "
                f"seconds={self.seconds:.3g}, diverged={self.diverged}"
                + (f", stopped={self.stopped['reason']} at epoch {self.stopped['epoch']}" if self.stopped else "")
                + ")")

    def predict(self, X):
        """σ(w·x + b) for every point of ``X`` ((N,) or (N, d)) at the run's θ
        (``fastoptim.model.predict``)."""
        from .model import predict

        return predict(self.theta, X)

    def evaluate(self, data):
        """The run's loss (its ``loss`` and ``reduction``) on ``data``, and for the log loss on
        0/1 labels the accuracy (threshold 0.5): a dict ``{"loss": …, "accuracy": …}``."""
        from .model import evaluate

        return evaluate(data, self.theta, loss=self.settings.get("loss", "squared"),
                        reduction=self.settings["reduction"])

    def save(self, path):
        """Write the run to ``path`` (``.npz``: arrays, and JSON text for the settings; no pickle)."""
        arrays = {"theta": self.theta, **{name: getattr(self, name) for name in EPOCH_ARRAYS},
                  "meta": np.array(json.dumps({
                      "epochs": self.epochs, "steps": self.steps, "seconds": self.seconds,
                      "diverged": self.diverged, "stopped": self.stopped, "settings": self.settings,
                      "rng_state": self.rng_state, "controller_state": self.controller_state,
                      "early_stopping_state": self.early_stopping_state,
                      "has": [name for name in OPTIONAL_ARRAYS if getattr(self, name) is not None]}))}
        for name in OPTIONAL_ARRAYS:
            if getattr(self, name) is not None:
                arrays[name] = getattr(self, name)
        for key, value in self.state.to_dict().items():
            arrays[f"state.{key}"] = value
        np.savez(path, **arrays)


def load_run(path):
    """Read a run written by ``Run.save`` (no pickle); continue it with ``train(..., resume=run)``."""
    with np.load(path, allow_pickle=False) as stored:
        meta = json.loads(str(stored["meta"]))
        settings = meta["settings"]
        optimizer = _optimizer_from_settings(settings)
        theta = stored["theta"].copy()
        state = State.from_dict({key[len("state."):]: stored[key] for key in stored.files
                                 if key.startswith("state.")}, optimizer, theta)
        optional = {name: stored[name].copy() if name in meta["has"] else None for name in OPTIONAL_ARRAYS}
        return Run(theta=theta, **{name: stored[name].copy() for name in EPOCH_ARRAYS}, epochs=meta["epochs"],
                   steps=meta["steps"], seconds=meta["seconds"], diverged=meta["diverged"],
                   stopped=meta["stopped"], state=state, settings=settings, rng_state=meta["rng_state"],
                   controller_state=meta["controller_state"],
                   early_stopping_state=meta["early_stopping_state"], **optional)


def _optimizer_from_settings(settings):
    """The optimizer a saved run was trained with. A learning-rate schedule cannot be rebuilt
    from its repr: such an optimizer gets its default ``lr`` (``train(..., resume=run)`` is then
    given the real optimizer, whose settings must match)."""
    arguments = dict(settings["optimizer_arguments"])
    if isinstance(arguments.get("lr"), str):
        del arguments["lr"]
    for name, value in arguments.items():
        if isinstance(value, list):
            arguments[name] = tuple(value)
    return OPTIMIZERS[settings["optimizer"]](**arguments)
