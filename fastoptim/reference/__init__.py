"""The numpy reference: every formula of SPEC.md written plainly, sharing no code with the
kernels. Tests compare each kernel with it; ``bench/`` uses it as the speed baseline.

``reference.train`` is ``fastoptim.train`` with each epoch run by the per-step numpy loop of
``reference/epochs.py`` instead of the compiled one.
"""
from . import epochs, model, updates
from .surface import surface


def train(data, optimizer, *, epochs, batch_size=None, init, reduction="mean", schedule=None,
          per="step", momentum_schedule=None, shuffle=False, seed=0, drop_last=False,
          line_search=None, record="epoch", validation=None, on_plateau=None, resume=None,
          progress=False):
    """``fastoptim.train`` (the same arguments, checks and ``Run``) with every epoch run by the
    numpy per-step loop of ``reference/epochs.py`` instead of the compiled one."""
    from .. import training

    return training.train(data, optimizer, epochs=epochs, batch_size=batch_size, init=init,
                          reduction=reduction, schedule=schedule, per=per,
                          momentum_schedule=momentum_schedule, shuffle=shuffle, seed=seed,
                          drop_last=drop_last, line_search=line_search, record=record,
                          validation=validation, on_plateau=on_plateau, resume=resume,
                          progress=progress, _engine=training.REFERENCE)


__all__ = ["epochs", "model", "surface", "train", "updates"]
