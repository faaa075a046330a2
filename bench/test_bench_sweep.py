"""Family "sweep": a hyperparameter sweep as one ``fastoptim.sweep`` call (every pair inside one
compiled call per epoch, in parallel over pairs) against the same runs as sequential
``fastoptim.train`` calls, measured side by side in one run.

The ``reference`` row of this family is that loop of ``train`` calls (what the sweep replaces;
each sweep row equals its ``train`` run bit for bit, tests/test_sweep.py), the ``kernel`` row is
the sweep: the report's speed-up is sequential time / sweep time.

Workload: mini-batch SGD (batch 32, in order, and shuffled each epoch) with 4 optimizer kinds (GD, Momentum,
RMSProp, Adam) × a log grid of learning rates, one seed. Full profile: the issue's 64
configurations on 10^5 points for 5 epochs (target: the sweep ≥ 1.7x faster on 2 cores);
quick profile: 16 configurations on 10^4 points.
"""
import numpy as np
import pytest

import fastoptim as fo
from bench.conftest import run, sizes

CONFIGS_PER_KIND = sizes(quick=4, full=16)
N = sizes(quick=10**4, full=10**5)
EPOCHS = 5
DTYPE = "float64"
SETTINGS = dict(epochs=EPOCHS, batch_size=32, init=(0.0, 0.0))


def configurations():
    lrs = np.logspace(-3, -0.5, CONFIGS_PER_KIND).tolist()
    return [config for kind in (fo.GD, fo.Momentum, fo.RMSProp, fo.Adam) for config in fo.grid(kind, lr=lrs)]


@pytest.fixture(scope="module")
def data():
    return fo.data.synthetic(N, dtype=DTYPE, seed=0)


@pytest.mark.parametrize("shuffle", [False, True], ids=["ordered", "shuffled"])
@pytest.mark.parametrize("impl", ["reference", "kernel"])
def test_sweep(benchmark, data, impl, shuffle):
    configs = configurations()
    settings = dict(SETTINGS, shuffle=shuffle)

    if impl == "reference":
        def work():
            return [fo.train(data, config, **settings) for config in configs]
    else:
        def work():
            return fo.sweep(data, configs, **settings)

    result = run(benchmark, work, family="sweep", kernel=f"{len(configs)}-configs/batch-32/epochs-{EPOCHS}/{'shuffled' if shuffle else 'ordered'}",
                 impl=impl, size=N, dtype=DTYPE, rounds=3, unit="runs", configs=len(configs),
                 baseline="sequential fastoptim.train calls" if impl == "reference" else "fastoptim.sweep")
    diverged = [r.diverged is not None for r in result] if impl == "reference" else result.diverged.tolist()
    assert not any(diverged)
