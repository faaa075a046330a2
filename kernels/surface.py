"""The loss on a grid of ``(w, b)``, for error-surface plots and brute-force search (SPEC §6)."""
import numba
import numpy as np

from .model import BLOCK, _block_loss
from .policy import jit_parallel


@jit_parallel
def loss_grid(x, y, ws, bs, out):
    """``out[i, j] = Σ_k ½ (σ(ws[j] x_k + bs[i]) − y_k)²`` (sum over the points), in parallel
    over grid points.

    ``x``, ``y``: (N,) float32/float64; ``ws``, ``bs``: float64 grids; ``out``: (len(bs),
    len(ws)) float64. Each grid point sums its blocks in the order of ``model.loss_sum``, so
    ``out[i, j]`` has the same bits as ``loss_sum(x, y, [ws[j], bs[i]])``.
    """
    n = y.size
    n_blocks = (n + BLOCK - 1) // BLOCK
    n_w = ws.size
    for cell in numba.prange(bs.size * n_w):
        i = cell // n_w
        j = cell - i * n_w
        theta = np.empty(2)
        theta[0] = ws[j]
        theta[1] = bs[i]
        buf = np.empty(BLOCK)
        total = 0.0
        for c in range(n_blocks):
            total += _block_loss(x, y, theta, c * BLOCK, min(n, (c + 1) * BLOCK), buf)
        out[i, j] = total
