"""Element-wise fill and copy for the kernels' small work arrays.

``a[:] = b`` in numba checks the shapes for broadcasting and compiles the formatting of its
error message with it (numba 0.68: ~1 s of compile time per kernel that uses it, more than the
kernel itself); these plain loops assume what the kernels guarantee (same shapes) instead.
"""
from .policy import jit_inline, overload


def fill(array, value):
    """Every element of a 1-D or 2-D ``array`` set to ``value``."""


@overload(fill)
def _fill(array, value):
    if array.ndim == 1:
        def fill_1d(array, value):
            for i in range(array.shape[0]):
                array[i] = value
        return fill_1d
    if array.ndim == 2:
        def fill_2d(array, value):
            for i in range(array.shape[0]):
                for j in range(array.shape[1]):
                    array[i, j] = value
        return fill_2d
    return None


def assign(target, source):
    """``target`` ← ``source``, element by element (1-D or 2-D, the same shape)."""


@overload(assign)
def _assign(target, source):
    if target.ndim == 1:
        def assign_1d(target, source):
            for i in range(target.shape[0]):
                target[i] = source[i]
        return assign_1d
    if target.ndim == 2:
        def assign_2d(target, source):
            for i in range(target.shape[0]):
                for j in range(target.shape[1]):
                    target[i, j] = source[i, j]
        return assign_2d
    return None


@jit_inline
def fill_columns(array, columns, value):
    """``array[:, :columns] = value`` for a 2-D ``array``."""
    for i in range(array.shape[0]):
        for j in range(columns):
            array[i, j] = value
