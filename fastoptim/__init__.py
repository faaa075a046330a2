"""fastoptim: gradient-descent optimizers for the sigmoid neuron, compiled with Numba and
checked against a plain numpy reference (``fastoptim.reference``)."""
from . import data, model, reference
from .data import Dataset
from .error_surface import Surface, surface

__version__ = "0.1.0"

__all__ = ["Dataset", "Surface", "data", "model", "reference", "surface"]
