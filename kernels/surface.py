"""The loss on a grid of ``(w, b)``, for error-surface plots and brute-force search (SPEC §6)."""
import numba
import numpy as np

from .arrays import fill
from .layout import SquaredError
from .model import BLOCK, LossSum, _work_arrays, block
from .policy import jit_parallel


@jit_parallel
def loss_grid(x, y, ws, bs, out, loss=SquaredError(), weights=None):
    """``out[i, j] = Σ_k s_k ℓ(ws[j] x_k + bs[i], y_k)`` (the sum over the points), in parallel
    over grid points.

    ``x``, ``y``: (N,) float32/float64; ``ws``, ``bs``: float64 grids; ``out``: (len(bs),
    len(ws)) float64; ``loss``, ``weights`` as in ``model.loss_sum``. Each grid point sums its
    blocks in the order of ``model.loss_sum``, so ``out[i, j]`` has the same bits as
    ``loss_sum(x, y, [ws[j], bs[i]])[0]``.
    """
    n = y.size
    n_w = ws.size
    for cell in numba.prange(bs.size * n_w):
        i = cell // n_w
        j = cell - i * n_w
        theta = np.empty(2)
        theta[0] = ws[j]
        theta[1] = bs[i]
        buffers, lanes = _work_arrays(1)
        partial = np.empty(4)
        total = 0.0
        for first in range(0, n, BLOCK):
            fill(partial, 0.0)
            block(LossSum(), loss, x, y, weights, None, theta, first, min(n, first + BLOCK), buffers, lanes,
                  partial)
            total += partial[0]
        out[i, j] = total
