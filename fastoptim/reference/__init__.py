"""The numpy reference: every formula of SPEC.md written plainly, sharing no code with the
kernels. Tests compare each kernel with it; ``bench/`` uses it as the speed baseline."""
from . import model
from .surface import surface

__all__ = ["model", "surface"]
