"""Family "training": one epoch over 10^6 points of ``synthetic`` (float64), ``fastoptim.train``
(compiled epoch) against ``fastoptim.reference.train`` (numpy per-step loop), by batch size.

Each call is a whole ``train(..., epochs=1)``: argument checks, the learning rate of every
step, the epoch, and the full-set loss after it, from the same starting point every round (so
the parameters stay finite however many rounds run).

The reference costs ~40 µs per step: at batch sizes 1 and 25 it is timed on the first
:data:`REFERENCE_SAMPLE` points only (at 100 on the first ``10 * REFERENCE_SAMPLE``), and the row
records ``scaled_from`` (the points actually run); the report scales its time by
``size / scaled_from`` and says so. Its cost is linear in the points (one step per batch, then
one loss over the points), so the scaling is fair to within its fixed per-call overhead.

Peers at batch size 1 (GD): the lecture's own code (module 5.6, ``do_stochastic_gradient_descent``
with the update inside the loop, as SPEC §2 defines stochastic GD, and its ``error`` after the
epoch), ``lecture-loop``; and the same in the fastest plain Python (``math.exp``, σ computed once
per point), ``python-loop``. Both are timed on ``REFERENCE_SAMPLE`` points and scaled. The
numpy reference pays ~70 µs a step for its generality (arrays, the rule dispatch, copies);
these show what a hand-written Python loop costs (~1-3 µs a step).

Rows ``kernel`` (``train``'s default record, the loss after the epoch) and
``kernel-record-none`` (``record="none"``: the same work as the peers of bench/test_bench_peers.py,
which compute no loss). Family ``record``: the per-epoch loss alone (``fastoptim.model.total_loss``,
what ``train`` calls after each epoch, on the threads it uses) against the yardstick of a
batch-1 GD epoch without it: the engine issue's "at most 5% of a batch-1 epoch".

Targets (the training issue): speed-up ≥ 30 at batch size 1, ≥ 100 at 25, ≥ 4 at full batch,
and < 40 ns per update at batch size 1 for GD and Momentum (``bench/report.py`` lists them and
says why Adam's own arithmetic puts it past that).
"""
import math

import numpy as np
import pytest

import fastoptim as fo
from bench.conftest import run, sizes

N = 10**6
DTYPE = "float64"
#: Points the reference runs at small batch sizes (its time is scaled to ``N``).
REFERENCE_SAMPLE = 10**4
INIT = (0.0, 0.0)

OPTIMIZERS = {
    "gd": fo.GD(lr=0.1),
    "momentum": fo.Momentum(lr=0.01, beta=0.9),
    "adam": fo.Adam(lr=0.01),
}
OPTIMIZER_NAMES = sizes(quick=["gd", "adam"], full=["gd", "momentum", "adam"])
BATCH_SIZES = sizes(quick=[1, 25, 100, None], full=[1, 25, 100, 1000, None])
#: ``kernel``: ``train`` as a user calls it (``record="epoch"``, the default: the full-set loss
#: after the epoch); ``kernel-record-none``: ``record="none"``, the peers' work (no loss pass)
IMPLS = ["reference", "kernel", "kernel-record-none"]


def batch_id(batch_size):
    return "full" if batch_size is None else str(batch_size)


def reference_points(batch_size):
    """Points the reference is timed on at this batch size (``N`` = no scaling)."""
    if batch_size is not None and batch_size <= 25:
        return REFERENCE_SAMPLE
    if batch_size is not None and batch_size <= 100:
        return 10 * REFERENCE_SAMPLE
    return N


@pytest.fixture(scope="module")
def data():
    return fo.data.synthetic(N, dtype=DTYPE, seed=0)


@pytest.mark.parametrize("batch_size", BATCH_SIZES, ids=lambda b: f"batch-{batch_id(b)}")
@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
@pytest.mark.parametrize("impl", IMPLS)
def test_epoch(benchmark, data, impl, optimizer, batch_size):
    points = reference_points(batch_size) if impl == "reference" else N
    sample = data if points == N else fo.data.Dataset(data.X[:points], data.y[:points])
    train = fo.reference.train if impl == "reference" else fo.train
    settings = dict(epochs=1, batch_size=batch_size, init=INIT)
    if impl == "kernel-record-none":
        settings["record"] = "none"

    def epoch():
        return train(sample, OPTIMIZERS[optimizer], **settings)

    batch = N if batch_size is None else batch_size
    extra = dict(unit="points", optimizer=optimizer, batch_size=batch,
                 steps=-(-points // batch) if batch_size is not None else 1)
    if points != N:
        extra["scaled_from"] = points
    slow = impl == "reference" and batch < 1000
    # a slow reference call takes 0.1-0.5 s: three rounds are enough for its median
    result = run(benchmark, epoch, family="training", kernel=f"{optimizer}/batch-{batch_id(batch_size)}",
                 impl=impl, size=N, dtype=DTYPE, rounds=3 if slow else None, **extra)
    assert result.diverged is None and result.epochs == 1


def lecture_sgd_epoch(X, Y, w, b, eta):
    """The lecture's code (module 5.6), indentation restored, the update inside the loop."""
    def f(x, w, b):
        return 1 / (1 + np.exp(-(w * x + b)))

    def error(w, b):
        err = 0.0
        for x, y in zip(X, Y):
            fx = f(x, w, b)
            err += (fx - y) ** 2
        return 0.5 * err

    def grad_b(x, w, b, y):
        fx = f(x, w, b)
        return (fx - y) * fx * (1 - fx)

    def grad_w(x, w, b, y):
        fx = f(x, w, b)
        return (fx - y) * fx * (1 - fx) * x

    for x, y in zip(X, Y):
        dw, db = grad_w(x, w, b, y), grad_b(x, w, b, y)
        w, b = w - eta * dw, b - eta * db
    return w, b, error(w, b)


def python_sgd_epoch(X, Y, w, b, eta):
    """The same epoch in the fastest plain Python: ``math.exp``, σ once per point."""
    for x, y in zip(X, Y):
        fx = 1.0 / (1.0 + math.exp(-(w * x + b)))
        r = (fx - y) * fx * (1.0 - fx)
        w, b = w - eta * r * x, b - eta * r
    err = 0.0
    for x, y in zip(X, Y):
        fx = 1.0 / (1.0 + math.exp(-(w * x + b)))
        err += (fx - y) * (fx - y)
    return w, b, 0.5 * err


@pytest.mark.parametrize("impl", ["lecture-loop", "python-loop"])
def test_python_sgd_epoch(benchmark, data, impl):
    X, Y = data.X[:REFERENCE_SAMPLE].tolist(), data.y[:REFERENCE_SAMPLE].tolist()
    epoch = lecture_sgd_epoch if impl == "lecture-loop" else python_sgd_epoch
    w, b, loss = run(benchmark, lambda: epoch(X, Y, INIT[0], INIT[1], OPTIMIZERS["gd"].lr),
                     family="training", kernel="gd/batch-1", impl=impl, size=N, dtype=DTYPE,
                     rounds=3, unit="points", optimizer="gd", batch_size=1, steps=REFERENCE_SAMPLE,
                     scaled_from=REFERENCE_SAMPLE)
    assert math.isfinite(w) and math.isfinite(b) and math.isfinite(loss)


@pytest.mark.parametrize("impl", ["yardstick", "kernel"])
def test_per_epoch_loss(benchmark, data, impl):
    """The cost of the default record: the full-set loss after an epoch, beside a batch-1 GD
    epoch without it (the yardstick, the cheapest epoch of 10^6 steps)."""
    from fastoptim.kernels import layout
    from fastoptim.model import total_loss

    theta = np.array([0.5, -0.2])
    if impl == "yardstick":
        def work():
            return fo.train(data, OPTIMIZERS["gd"], epochs=1, batch_size=1, init=INIT, record="none").theta
        kernel = "gd/batch-1 epoch, record none"
    else:
        def work():
            return total_loss(data, theta, layout.SquaredError(), True)
        kernel = "per-epoch-loss"
    result = run(benchmark, work, family="record", kernel=kernel, impl=impl, size=N, dtype=DTYPE, unit="points")
    assert np.all(np.isfinite(result))
