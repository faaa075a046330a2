"""The numpy reference: every formula of SPEC.md written plainly, sharing no code with the
kernels. Tests compare each kernel with it; ``bench/`` uses it as the speed baseline.

``reference.train`` is ``fastoptim.train`` with each epoch run by the per-step numpy loop of
``reference/epochs.py`` instead of the compiled one.
"""
from . import epochs, model, updates
from .surface import surface


def train(data, optimizer, **options):
    """``fastoptim.train`` with the numpy per-step loop of ``reference/epochs.py``."""
    from ..training import reference_train

    return reference_train(data, optimizer, **options)


__all__ = ["epochs", "model", "surface", "train", "updates"]
