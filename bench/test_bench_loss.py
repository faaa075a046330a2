"""Family "loss": one epoch of the log loss against one of the squared error, side by side, on
10^6 points (d = 1, float64, 0/1 labels drawn from σ(2x − 1)), by batch size (1, 25, full).

Both rows are whole ``fastoptim.train(..., epochs=1)`` calls from θ = 0 on the same data, the
rule and batch size alike; only ``loss`` differs. The squared-error epoch is the log-loss row's
paired ``yardstick`` (``bench/report.py``): the report's "of squared error" column is
log-loss median / squared-error median; the data-and-loss issue's target is at most 100%.

Where the time goes (measured with one thread, NUMBA_NUM_THREADS=1, 10^6 points): a training
step's gradient sum is no slower for the log loss (∂ℓ/∂z = f − y: 1.23 ms a pass against the
squared error's 1.38), but the full-data loss after the epoch is (its log1p: 1.96 ms against
1.15), and ``train`` checks the labels are in [0, 1] (~0.2 ms). At batch size 1 the steps
dominate (~24 ms either way); at 25 and full batch the loss pass is a third of the epoch.
On two threads the parallel sums stall whenever another process holds a core: compare runs
made on a quiet machine.
"""
import numpy as np
import pytest

import fastoptim as fo
from bench.conftest import run, sizes

N = 10**6
DTYPE = "float64"
INIT = (0.0, 0.0)
OPTIMIZERS = {"gd": fo.GD(lr=0.1), "adam": fo.Adam(lr=0.01)}
OPTIMIZER_NAMES = sizes(quick=["gd"], full=["gd", "adam"])
BATCH_SIZES = [1, 25, None]


def batch_id(batch_size):
    return "full" if batch_size is None else str(batch_size)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(N)
    y = (rng.random(N) < 1.0 / (1.0 + np.exp(-(2.0 * x - 1.0)))).astype(np.float64)
    return fo.Dataset(x, y)


@pytest.mark.parametrize("batch_size", BATCH_SIZES, ids=lambda b: f"batch-{batch_id(b)}")
@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
@pytest.mark.parametrize("loss", ["log", "squared"])
def test_epoch(benchmark, data, loss, optimizer, batch_size):
    settings = dict(epochs=1, batch_size=batch_size, init=INIT, loss=loss)

    def epoch():
        return fo.train(data, OPTIMIZERS[optimizer], **settings)

    batch = N if batch_size is None else batch_size
    extra = dict(unit="points", optimizer=optimizer, batch_size=batch, steps=-(-N // batch), loss=loss)
    if loss == "squared":
        extra.update(paired=True, label="squared error")
    result = run(benchmark, epoch, family="loss", kernel=f"{optimizer}/batch-{batch_id(batch_size)}",
                 impl="kernel" if loss == "log" else "yardstick", size=N, dtype=DTYPE, **extra)
    assert result.diverged is None and result.epochs == 1 and np.isfinite(result.loss[-1])
