"""The numpy reference: every formula of SPEC.md written plainly, sharing no code with the
kernels. Tests compare each kernel with it; ``bench/`` uses it as the speed baseline.

``reference.train`` runs ``fastoptim.train``'s plan (``fastoptim.plan``: the same checks and
decisions) with this package's engine (``reference/engine.py``: one numpy step at a time)
instead of the compiled one. The orchestration around the engine is checked separately, against
a plain loop written from the SPEC (``tests/naive.py``).
"""
from . import model, updates
from .surface import surface


def train(data, optimizer, *, epochs, batch_size=None, init, loss="squared", reduction="mean",
          schedule=None, per="step", momentum_schedule=None, shuffle=False, seed=0, drop_last=False,
          line_search=None, record="epoch", validation=None, on_plateau=None, early_stopping=None,
          callbacks=(), resume=None, progress=False):
    """``fastoptim.train`` (the same arguments, checks and ``Run``) with every step run by the
    numpy engine of ``reference/engine.py`` instead of the compiled one."""
    from ..plan import plan_run
    from ..training import run_plan
    from .engine import ReferenceEngine

    plan = plan_run(data, optimizer, epochs=epochs, batch_size=batch_size, init=init, loss=loss,
                    reduction=reduction, schedule=schedule, per=per, momentum_schedule=momentum_schedule,
                    shuffle=shuffle, seed=seed, drop_last=drop_last, line_search=line_search, record=record,
                    validation=validation, on_plateau=on_plateau, early_stopping=early_stopping,
                    callbacks=callbacks, resume=resume, progress=progress)
    return run_plan(plan, ReferenceEngine)


__all__ = ["model", "surface", "train", "updates"]
