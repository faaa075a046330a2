"""The peers of issue 16 beside fastoptim's rows (bench/peers.py says what each computes).

Each peer row has the ``family``, ``kernel``, ``dtype`` and ``size`` of the fastoptim row it
stands beside, so the report pairs them (``bench/report.py``): a ``hand-loop*`` row is the
"limit" (the report's "of limit" = hand-loop median / fastoptim median), the ``jax-*`` and
``sklearn-*`` rows are peer columns (peer median / fastoptim median). Peers whose package is
not installed are skipped, row by row; the hand loops always run.

- **training** (the rows of bench/test_bench_training.py: one epoch over 10^6 points of
  ``synthetic``, from ``INIT``, its optimizers): ``hand-loop`` at every batch size
  (``hand-loop-parallel`` too at full batch, where ``train`` runs its parallel gradient),
  ``jax-scan`` (``lax.scan`` + optax, jitted), and at batch 1 with GD
  ``sklearn-sgdregressor`` (linear regression, no exp: the speed bar of plain SGD). The
  peers compute no loss after the epoch; ``train`` records one (its cost is in its row).
- **model**, ``gradient-d10/1-thread``: the full-batch loss and gradient (sums) of 10^6 × 10
  points on one thread (``numba.set_num_threads(1)`` around every row; XLA on one thread):
  fastoptim's serial kernel ``loss_and_gradient_sum`` (``kernel``), the numpy reference, the
  hand loop, ``jax-jit`` (``value_and_grad``).
- **sweep**, ``64-adam/batch-100/epochs-5/{ordered,shuffled}``: 64 Adam runs (learning rates
  ``ADAM_LRS``) on 10^5 points (quick profile: 10^4), batch 100, 5 epochs, one seed:
  ``fastoptim.sweep`` (``kernel``; ``kernel-record-none``: ``record="none"``, no loss after
  each epoch, the work of ``jax-vmap``) against 64 ``fastoptim.train`` calls (``reference``) and
  ``jax-vmap`` (the JAX trainer mapped over the 64 rates, the epochs' permutations drawn once
  for all of them, in the timed call; no per-epoch loss, which the sweep computes for every
  run).
- **logloss**, ``gd/batch-{1,25,100}``: GD on the log loss, one epoch over 10^6 × 5 points
  with 0/1 labels (:func:`bench.peers.log_loss_data`), η = ``LOG_LR``: the hand loop and
  ``sklearn-sgdclassifier`` (batch 1 — the same algorithm as batch-1 GD on the log loss; at
  batch 25 and 100 the same epochs, as the data-and-loss issue compares them), against the
  ``kernel`` rows (``fastoptim.train(..., loss="log")``, one epoch from θ = 0).
"""
import numba
import numpy as np
import pytest

import fastoptim as fo
from bench import peers
from bench.conftest import run, sizes
from bench.test_bench_training import DTYPE, INIT, N, OPTIMIZER_NAMES, OPTIMIZERS, batch_id

BATCH_SIZES = sizes(quick=[1, 25, 100, None], full=[1, 25, 100, 1000, None])


def _skip_without(package):
    if not peers.have(package):
        pytest.skip(f"{package} is not installed (optional peer: pip install 'fastoptim[peers]')")


@pytest.fixture(scope="module")
def data():
    return fo.data.synthetic(N, dtype=DTYPE, seed=0)


def _training_labels(optimizer, batch_size, points=N):
    batch = points if batch_size is None else batch_size
    return dict(unit="points", optimizer=optimizer, batch_size=batch,
                steps=-(-points // batch) if batch_size is not None else 1)


# --- training ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("batch_size", BATCH_SIZES, ids=lambda b: f"batch-{batch_id(b)}")
@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
@pytest.mark.parametrize("impl", ["hand-loop", "hand-loop-parallel", "jax-scan", "sklearn-sgdregressor"])
def test_training_peer(benchmark, data, impl, optimizer, batch_size):
    opt = OPTIMIZERS[optimizer]
    rule, lr, beta1, beta2, eps = peers.rule_of(opt)
    batch = N if batch_size is None else batch_size
    labels = dict(family="training", kernel=f"{optimizer}/batch-{batch_id(batch_size)}", impl=impl, size=N,
                  dtype=DTYPE, **_training_labels(optimizer, batch_size))
    if impl.startswith("hand-loop"):
        parallel = impl == "hand-loop-parallel"
        if parallel and batch_size is not None:
            pytest.skip("the parallel hand loop is the full batch's")
        epoch = peers.hand_epoch(rule, batch_size=batch, n=N, parallel=parallel)
        X, y = np.asarray(data.X), np.asarray(data.y)

        def work():
            theta, state = np.array(INIT, dtype=np.float64), np.zeros((2, 2))
            epoch(X, y, theta, state, 0, lr, beta1, beta2, eps, batch)
            return theta

        theta = run(benchmark, work, threads=numba.get_num_threads() if parallel else 1, **labels)
    elif impl == "jax-scan":
        _skip_without("jax")
        train = peers.jax_trainer(opt, n=N, epochs=1, batch_size=batch_size)
        inputs = peers.jax_inputs(data, INIT, epochs=1)
        slow = batch_size is not None and batch_size < 100  # 10-50 ms a call
        theta = run(benchmark, lambda: peers.block(train(*inputs, lr)), rounds=5 if slow else None,
                    threads=peers.jax_threads(), **labels)
    else:
        if optimizer != "gd" or batch_size != 1:
            pytest.skip("SGDRegressor is plain SGD: batch 1, GD")
        _skip_without("sklearn")
        X, y = peers.as_2d(np.asarray(data.X)), np.asarray(data.y)
        estimator = run(benchmark, lambda: peers.sklearn_regressor(lr, 1).fit(X, y), rounds=5,
                        note="linear regression (no sigmoid, no exp): a speed bar, not the same algorithm", **labels)
        theta = peers.sklearn_theta(estimator)
    assert np.all(np.isfinite(np.asarray(theta)))


# --- the full-batch gradient of (N, 10) data, one thread ------------------------------------------------

GRADIENT_N = 10**6
GRADIENT_D = 10


@pytest.fixture(scope="module")
def data_d10():
    return fo.data.synthetic(GRADIENT_N, d=GRADIENT_D, dtype=DTYPE, seed=0)


@pytest.fixture
def one_thread():
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(threads)


@pytest.mark.parametrize("impl", ["reference", "kernel", "hand-loop", "jax-jit"])
def test_gradient_d10_one_thread(benchmark, data_d10, one_thread, impl):
    from fastoptim.kernels import model as kernels

    X, y = np.asarray(data_d10.X), np.asarray(data_d10.y)
    theta = np.full(GRADIENT_D + 1, 0.1)
    out = np.empty(GRADIENT_D + 2)
    if impl == "reference":
        work = lambda: fo.reference.model.gradient(data_d10, theta, "sum")  # noqa: E731
    elif impl == "kernel":
        work = lambda: kernels.loss_and_gradient_sum(X, y, theta, out)  # noqa: E731
    elif impl == "hand-loop":
        work = lambda: peers.hand_loss_and_gradient(X, y, theta, out)  # noqa: E731
    else:
        _skip_without("jax")
        _, jnp, _ = peers._jax()
        gradient = peers.jax_loss_and_gradient()
        arguments = (jnp.asarray(theta), jnp.asarray(X), jnp.asarray(y))
        work = lambda: peers.block(gradient(*arguments))  # noqa: E731
    run(benchmark, work, family="model", kernel=f"gradient-d{GRADIENT_D}/1-thread", impl=impl, size=GRADIENT_N,
        dtype=DTYPE, unit="points", d=GRADIENT_D, threads=1)


# --- the sweep of 64 Adam runs ----------------------------------------------------------------------------

SWEEP_N = sizes(quick=10**4, full=10**5)
SWEEP_EPOCHS = 5
SWEEP_BATCH = 100
ADAM_LRS = np.logspace(-3, -0.5, 64)


@pytest.fixture(scope="module")
def sweep_data():
    return fo.data.synthetic(SWEEP_N, dtype=DTYPE, seed=0)


@pytest.mark.parametrize("shuffle", [False, True], ids=["ordered", "shuffled"])
@pytest.mark.parametrize("impl", ["reference", "kernel", "kernel-record-none", "jax-vmap"])
def test_sweep_64_adam(benchmark, sweep_data, impl, shuffle):
    configs = fo.grid(fo.Adam, lr=ADAM_LRS.tolist())
    settings = dict(epochs=SWEEP_EPOCHS, batch_size=SWEEP_BATCH, init=INIT, shuffle=shuffle)
    if impl == "reference":
        work = lambda: [fo.train(sweep_data, config, **settings).theta for config in configs]  # noqa: E731
    elif impl == "kernel":
        work = lambda: fo.sweep(sweep_data, configs, **settings).theta  # noqa: E731
    elif impl == "kernel-record-none":  # no loss after each epoch: the work of jax-vmap
        work = lambda: fo.sweep(sweep_data, configs, record="none", **settings).theta  # noqa: E731
    else:
        _skip_without("jax")
        sweep = peers.jax_sweep(fo.Adam(), n=SWEEP_N, epochs=SWEEP_EPOCHS, batch_size=SWEEP_BATCH, shuffle=shuffle)
        lrs = np.asarray(ADAM_LRS)

        def work():  # the permutations are drawn in the timed call, as the sweep draws its own
            return peers.block(sweep(*peers.jax_inputs(sweep_data, INIT, epochs=SWEEP_EPOCHS, shuffle=shuffle, seed=0),
                                     lrs))
    order = "shuffled" if shuffle else "ordered"
    thetas = run(benchmark, work, family="sweep", kernel=f"{len(configs)}-adam/batch-{SWEEP_BATCH}/epochs-{SWEEP_EPOCHS}/{order}",
                 impl=impl, size=SWEEP_N, dtype=DTYPE, rounds=3, unit="runs", count=len(configs), configs=len(configs))
    assert np.all(np.isfinite(np.asarray(thetas)))


# --- the log loss against SGDClassifier -------------------------------------------------------------------

LOG_N = 10**6
LOG_D = 5
LOG_LR = 0.01
LOG_BATCH_SIZES = [1, 25, 100]


@pytest.fixture(scope="module")
def log_data():
    return peers.log_loss_data(LOG_N, LOG_D, seed=0)


@pytest.mark.parametrize("batch_size", LOG_BATCH_SIZES, ids=lambda b: f"batch-{b}")
@pytest.mark.parametrize("impl", ["kernel", "hand-loop", "sklearn-sgdclassifier"])
def test_log_loss_peer(benchmark, log_data, impl, batch_size):
    labels = dict(family="logloss", kernel=f"gd/batch-{batch_size}", impl=impl, size=LOG_N, dtype=DTYPE, d=LOG_D,
                  **_training_labels("gd", batch_size, LOG_N))
    X, y = np.asarray(log_data.X), np.asarray(log_data.y)
    if impl == "kernel":
        theta = run(benchmark, lambda: fo.train(log_data, fo.GD(lr=LOG_LR), epochs=1, batch_size=batch_size,
                                                init=np.zeros(LOG_D + 1), loss="log").theta, **labels)
    elif impl == "hand-loop":
        epoch = peers.hand_epoch(peers.GD, "log", batch_size=batch_size, n=LOG_N, ndim=2)

        def work():
            theta, state = np.zeros(LOG_D + 1), np.zeros((2, LOG_D + 1))
            epoch(X, y, theta, state, 0, LOG_LR, 0.0, 0.0, 0.0, batch_size)
            return theta

        theta = run(benchmark, work, **labels)
    else:
        _skip_without("sklearn")
        estimator = run(benchmark, lambda: peers.sklearn_classifier(LOG_LR, 1).fit(X, y), rounds=5,
                        note="plain SGD (batch 1) on the log loss, the same epochs", **labels)
        theta = peers.sklearn_theta(estimator)
    assert np.all(np.isfinite(theta))
