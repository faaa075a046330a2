"""fastoptim.sweep: every (configuration, seed) pair equals its fastoptim.train run bit for bit,
the table and its CSV export, divergence, the grid helper, bad input, and the Dask path on a
LocalCluster of 2 worker processes (also with one worker killed mid-sweep).

All sweeps here use 1-D float64 data, so the compiled sweep kernel is specialised once, except
the AdamP test with d = 3 features (its own specialisation).
"""
import csv
import io
import os
import signal
import threading
import time
import warnings

import numpy as np
import pytest

import fastoptim as fo
from fastoptim import schedules
from tests.helpers import require_test_extra

N_POINTS = 1000
OPTIONS = dict(epochs=3, batch_size=25, init=(-1.0, 1.0), shuffle=True)
# one configuration of every optimizer kind (and the decoupled variants): 16 configurations
CONFIGS = [
    fo.GD(lr=0.5), fo.Momentum(lr=0.2), fo.Nesterov(lr=0.2), fo.AdaGrad(lr=0.1), fo.RMSProp(lr=0.01),
    fo.AdaDelta(), fo.Adam(lr=0.01), fo.AdaMax(lr=0.01), fo.NAdam(lr=0.01, momentum_decay=4e-3),
    fo.AMSGrad(lr=0.01), fo.RAdam(lr=0.01), fo.AdamP(lr=0.01), fo.AdamW(lr=0.01, weight_decay=0.1),
    fo.NAdamW(lr=0.01), fo.RMSPropW(lr=0.01), fo.AdaGradW(lr=0.1),
]
SEEDS = (0, 7)


@pytest.fixture(scope="module")
def data():
    return fo.data.synthetic(N_POINTS, w=1.5, b=-0.5, noise=0.1, seed=3)


def assert_row_equals_run(result, row, run):
    """Row ``row`` of a sweep against ``run = fastoptim.train(...)``: bit for bit."""
    epochs = result.loss.shape[1]
    assert np.array_equal(result.theta[row], run.theta)
    assert result.theta.dtype == run.theta.dtype
    padded = np.full(epochs, np.nan)
    padded[:run.loss.size] = run.loss
    assert np.array_equal(result.loss[row], padded, equal_nan=True)
    if run.validation_loss is not None:
        padded = np.full(epochs, np.nan)
        padded[:run.validation_loss.size] = run.validation_loss
        assert np.array_equal(result.validation_loss[row], padded, equal_nan=True)
        assert result.final_validation_loss[row] == run.validation_loss[-1]
    assert result.steps[row] == run.steps
    if run.loss.size:
        assert result.final_loss[row] == run.loss[-1]
    else:
        assert np.isnan(result.final_loss[row])
    assert bool(result.diverged[row]) == (run.diverged is not None)
    if run.diverged is not None:
        assert (result.diverged_epoch[row], result.diverged_step[row]) == (run.diverged["epoch"], run.diverged["step"])


def test_sweep_of_16_configs_and_2_seeds_equals_32_train_runs(data):
    result = fo.sweep(data, CONFIGS, seeds=SEEDS, **OPTIONS)
    assert len(result) == 32 and result.loss.shape == (32, 3) and result.theta.shape == (32, 2)
    for index, (config, seed) in enumerate((c, s) for c in CONFIGS for s in SEEDS):
        assert result.optimizer[index] == config.name and result.seed[index] == seed
        assert result.lr[index] == config.lr
        run = fo.train(data, config, seed=seed, **OPTIONS)
        assert_row_equals_run(result, index, run)
        assert result.best_epoch[index] == int(np.argmin(run.loss))
        assert result.best_loss[index] == run.loss.min()
    assert not result.diverged.any() and np.all(result.seconds > 0)


def test_a_sweep_of_zero_epochs_is_its_starting_points(data):
    # train(epochs=0) is allowed (the run's start); so is the sweep's, row for row
    result = fo.sweep(data, CONFIGS[:3], seeds=SEEDS, epochs=0, batch_size=10, init=(0.5, -0.5))
    assert len(result) == 6 and result.loss.shape == (6, 0)
    assert np.array_equal(result.theta, np.tile([0.5, -0.5], (6, 1)))
    assert np.all(result.best_epoch == -1) and np.all(np.isnan(result.best_loss))
    assert np.all(np.isnan(result.final_loss)) and not result.diverged.any() and np.all(result.steps == 0)
    run = fo.train(data, CONFIGS[0], epochs=0, batch_size=10, init=(0.5, -0.5))
    assert np.array_equal(run.theta, result.theta[0]) and run.loss.size == 0


VARIANTS = {
    # validation split per seed (each seed's own training set), per-epoch schedule, sum reduction
    "validation-schedule": dict(epochs=3, batch_size=40, init=(0.5, -0.5), shuffle=True, validation=0.25,
                                schedule=schedules.step_decay(0.2, factor=0.5, every=1), per="epoch",
                                reduction="sum"),
    # the data's own order (shared, no copies), momentum schedule, drop_last, a step schedule
    "ordered-momentum": dict(epochs=2, batch_size=64, init=(0.0, 0.0), drop_last=True,
                             schedule=schedules.cosine(0.1, 0.001, period=20),
                             momentum_schedule=schedules.sutskever_momentum(0.99, every=5)),
    # batch gradient descent and line search
    "batch-line-search": dict(epochs=4, batch_size=None, init=(-2.0, 2.0), line_search=[0.1, 0.5, 1, 2, 10]),
    # an explicit validation set
    "validation-set": dict(epochs=2, batch_size=100, init=(0.0, 0.0), shuffle=True,
                           validation=fo.data.synthetic(300, w=1.5, b=-0.5, noise=0.1, seed=9)),
}
VARIANT_CONFIGS = [fo.Momentum(lr=0.1, beta=0.8), fo.Nesterov(lr=0.1), fo.Adam(lr=0.05), fo.NAdam(lr=0.02)]


def test_a_sweep_of_zero_epochs_is_its_starting_point_as_train_is(data):
    """Found by tests/test_fuzz.py: ``sweep(epochs=0)`` (allowed, as ``train(epochs=0)`` is, issue 12
    item 13) raised "attempt to get argmin of an empty sequence", and with that fixed, returned the
    uninitialised memory of its θ array (6.9e-310 …) instead of ``init``."""
    configs = [fo.GD(), fo.Adam(), fo.Nesterov()]
    result = fo.sweep(data, configs, seeds=(0, 1), epochs=0, init=(0.5, -1.5), shuffle=True)
    assert result.loss.shape == (6, 0) and np.all(result.steps == 0) and not result.diverged.any()
    assert np.all(np.isnan(result.final_loss)) and np.all(np.isnan(result.best_loss)) and np.all(result.best_epoch == -1)
    for index, (config, seed) in enumerate((c, s) for c in configs for s in (0, 1)):
        run = fo.train(data, config, seed=seed, epochs=0, init=(0.5, -1.5), shuffle=True)
        assert np.array_equal(result.theta[index], run.theta) and run.theta.tolist() == [0.5, -1.5]


@pytest.mark.parametrize("variant", VARIANTS)
def test_sweep_options_equal_train(data, variant):
    options = VARIANTS[variant]
    result = fo.sweep(data, VARIANT_CONFIGS, seeds=(1, 2), **options)
    for index, (config, seed) in enumerate((c, s) for c in VARIANT_CONFIGS for s in (1, 2)):
        assert_row_equals_run(result, index, fo.train(data, config, seed=seed, **options))
    assert (result.validation_loss is None) == ("validation" not in options)


def test_sweep_results_do_not_depend_on_the_number_of_threads(data):
    import numba

    configs = fo.grid(fo.Adam, lr=[0.001, 0.01, 0.1])
    want = fo.sweep(data, configs, seeds=(0, 1), **OPTIONS)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        got = fo.sweep(data, configs, seeds=(0, 1), **OPTIONS)
    finally:
        numba.set_num_threads(threads)
    assert np.array_equal(got.theta, want.theta) and np.array_equal(got.loss, want.loss)


def test_diverged_pair_is_marked_and_the_others_go_on(data):
    configs = [fo.GD(lr=0.5), fo.GD(lr=1e6, weight_decay=0.01), fo.Adam(lr=0.01)]
    with pytest.warns(RuntimeWarning, match=r"2 of 6 runs of the sweep diverged \(rows 2, 3\)"):
        result = fo.sweep(data, configs, seeds=(0, 1), **OPTIONS)
    assert result.diverged.tolist() == [False, False, True, True, False, False]
    for index, (config, seed) in enumerate((c, s) for c in configs for s in (0, 1)):
        if index in (2, 3):
            with pytest.warns(RuntimeWarning, match="diverged"):
                run = fo.train(data, config, seed=seed, **OPTIONS)
            assert np.all(np.isfinite(result.theta[index]))
            assert result.best_epoch[index] == (int(np.argmin(run.loss)) if run.loss.size else -1)
        else:
            run = fo.train(data, config, seed=seed, **OPTIONS)
        assert_row_equals_run(result, index, run)


def test_grid_order_and_base_instance():
    configs = fo.grid(fo.Adam, lr=[0.001, 0.01], betas=[(0.9, 0.999), (0.8, 0.99)])
    assert [(c.lr, c.betas) for c in configs] == [(0.001, (0.9, 0.999)), (0.001, (0.8, 0.99)),
                                                 (0.01, (0.9, 0.999)), (0.01, (0.8, 0.99))]
    assert all(type(c) is fo.Adam for c in configs)
    base = fo.AdamW(lr=0.1, weight_decay=0.05)
    configs = fo.grid(base, lr=np.array([0.1, 0.2, 0.3]))
    assert [c.lr for c in configs] == [0.1, 0.2, 0.3] and all(c.weight_decay == 0.05 for c in configs)


def test_table_columns_csv_and_loss_matrix(data, tmp_path):
    configs = fo.grid(fo.Momentum, lr=[0.05, 0.1], beta=[0.5, 0.9]) + [fo.GD(lr=0.3)]
    result = fo.sweep(data, configs, seeds=(3, 4), validation=0.2, **OPTIONS)
    assert list(result.columns)[:6] == ["optimizer", "lr", "beta", "weight_decay", "decoupled", "seed"]
    assert result.beta[-1] is None and result.beta[0] == 0.5  # GD has no β: None in a mixed sweep
    assert result["final_loss"] is result.final_loss and result[0]["optimizer"] == "Momentum"
    assert np.all(result.best_epoch == np.argmin(result.validation_loss, axis=1))
    path = tmp_path / "sweep.csv"
    result.to_csv(path)
    with open(path, encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 10 and list(rows[0]) == list(result.columns)
    for index, row in enumerate(rows):
        assert float(row["final_loss"]) == result.final_loss[index]  # written to round-trip
        assert int(row["seed"]) == result.seed[index] and row["diverged"] == "False"
    text = result.loss_to_csv()
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][-3:] == ["epoch_0", "epoch_1", "epoch_2"] and "final_loss" not in table[0]
    assert np.array_equal(np.array([[float(v) for v in row[-3:]] for row in table[1:]]), result.loss)
    validation_table = list(csv.reader(io.StringIO(result.loss_to_csv(validation=True))))
    assert float(validation_table[1][-1]) == result.validation_loss[0, -1]
    assert "SweepResult(10 runs, 3 epochs" in repr(result)


def test_progress_bar_goes_to_stderr(data, capsys):
    fo.sweep(data, CONFIGS[:3], seeds=(0,), progress=True, **OPTIONS)
    captured = capsys.readouterr()
    assert "sweep" in captured.err and "9/9" in captured.err and captured.out == ""


@pytest.mark.parametrize("call, error, match", [  # one message shape: "Invalid {name}: {value} ({requirement})"
    (lambda d: fo.sweep(d, [], **OPTIONS), ValueError, r"^Invalid configs: \[\] \(is empty"),
    (lambda d: fo.sweep(d, fo.Adam(), **OPTIONS), TypeError, r"^Invalid configs: .* \(must be a list of optimizer"),
    (lambda d: fo.sweep(d, [fo.Adam(), "sgd"], **OPTIONS), TypeError, r"^Invalid configs\[1\]: 'sgd' \(must be a fastoptim optimizer"),
    (lambda d: fo.sweep(d, [fo.Adam()], **{**OPTIONS, "epochs": -2}), ValueError, r"^Invalid epochs: -2 \(must be an integer >= 0\)$"),
    (lambda d: fo.sweep(d, [fo.Adam()], seeds=(), **OPTIONS), ValueError, r"^Invalid seeds: \(\) \(is empty"),
    (lambda d: fo.sweep(d, [fo.Adam()], seeds=(-1,), **OPTIONS), ValueError, r"^Invalid seeds: \(-1,\) \(must be a list of integers >= 0 and < 2\*\*63; holds -1\)$"),
    # found by the fuzz suite: the result's int64 seed column overflowed after the runs
    (lambda d: fo.sweep(d, [fo.Adam()], seeds=(2**64,), **OPTIONS), ValueError, r"^Invalid seeds: \(18446744073709551616,\) \(must be a list of integers >= 0 and < 2\*\*63"),
    (lambda d: fo.sweep(d, [fo.Adam()], seeds=(1.5,), **OPTIONS), TypeError, r"^Invalid seeds: \(1\.5,\)"),
    (lambda d: fo.sweep(d, [fo.Adam()], executor=object(), **OPTIONS), TypeError,
     r"^Invalid executor: .* \(must be a dask\.distributed\.Client"),
    (lambda d: fo.sweep((d.X, d.y), [fo.Adam()], **OPTIONS), TypeError, r"^Invalid data: .* \(must be a fastoptim\.data\.Dataset\)$"),
    (lambda d: fo.sweep(d, [fo.GD()], momentum_schedule=schedules.sutskever_momentum(0.9), **OPTIONS),
     ValueError, r"^Invalid momentum_schedule: .* \(GD has no momentum"),
    (lambda d: fo.sweep(d, [fo.Adam()], chunk_size=0, **OPTIONS), ValueError, r"^Invalid chunk_size: 0"),
    (lambda d: fo.sweep(d, [fo.Adam()], progress=np.True_, record="step", **OPTIONS), ValueError,
     r"^Invalid record: 'step' \(must be one of 'epoch', 'none'\)$"),
    (lambda d: fo.sweep(d, [fo.Adam()], callbacks=[3], **OPTIONS), TypeError, r"^Invalid callbacks: \[3\]"),
    (lambda d: fo.grid([fo.Adam, fo.GD], lr=[0.1]), TypeError, r"^Invalid optimizer: .* \(grid needs one optimizer class"),
    (lambda d: fo.grid(fo.Adam, lr=[]), ValueError, r"^Invalid lr: \[\] \(has no values"),
    (lambda d: fo.grid(fo.Adam, beta=[0.9]), TypeError, r"^Invalid beta: \[0\.9\] \(Adam has no hyperparameter 'beta'"),
    (lambda d: fo.grid(fo.Adam, lr=0.1), TypeError, r"^Invalid lr: 0\.1 \(must be a list of values\)$"),
    (lambda d: fo.grid("Adam", lr=[0.1]), TypeError, r"^Invalid optimizer: 'Adam' \(must be an optimizer class"),
])
def test_bad_input(data, call, error, match):
    with pytest.raises(error, match=match):
        call(data)


def test_executor_that_is_not_a_dask_client_is_refused_before_any_work(data):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        with pytest.raises(TypeError, match=r"^Invalid executor: .* \(must be a dask\.distributed\.Client"):
            fo.sweep(data, [fo.Adam()], executor=pool, **OPTIONS)


def test_adamp_with_d_features_in_a_sweep_equals_train():
    """AdamP with d = 3 features (a 1-D θ: Adam's update by SPEC §3.4, tests/test_training.py), with
    Nesterov's direction and a decoupled decay, in a sweep beside Adam: each row equals its train
    run bit for bit, and the AdamP row is Adam's where it must be."""
    data = fo.data.synthetic(300, w=[1.0, -2.0, 0.5], b=0.3, d=3, noise=0.1, seed=8)
    configs = [fo.AdamP(lr=0.05), fo.AdamP(lr=0.05, nesterov=True, weight_decay=0.1), fo.Adam(lr=0.05)]
    options = dict(epochs=3, batch_size=16, init=(0.2, -0.1, 0.4, 0.0), shuffle=True)
    result = fo.sweep(data, configs, seeds=(4,), **options)
    for row, config in enumerate(configs):
        assert_row_equals_run(result, row, fo.train(data, config, seed=4, **options))
    assert np.array_equal(result.theta[0], result.theta[2]) and not np.array_equal(result.theta[1], result.theta[2])


# --- Dask -----------------------------------------------------------------------------------------

def _same_table(got, want):
    assert len(got) == len(want) and list(got.columns) == list(want.columns)
    for name in want.columns:
        if name == "seconds":
            continue
        a, b = got.columns[name], want.columns[name]
        assert a.dtype == b.dtype and (np.array_equal(a, b, equal_nan=True) if a.dtype.kind == "f"
                                       else a.tolist() == b.tolist()), name
    assert np.array_equal(got.theta, want.theta) and np.array_equal(got.loss, want.loss, equal_nan=True)


def test_a_module_of_the_installed_test_extra_that_does_not_import_fails_not_skips():
    with pytest.raises(pytest.fail.Exception, match="the test extra is installed but fastoptim_no_such_module"):
        require_test_extra("fastoptim_no_such_module")


@pytest.fixture(scope="module")
def cluster():
    distributed = require_test_extra("distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # start-up chatter (ports, deprecations in dependencies)
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                           dashboard_address=None, silence_logs=50, death_timeout=30)
        client = distributed.Client(cluster, timeout=30)
    try:
        client.wait_for_workers(2, timeout=30)
        yield cluster, client
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            client.close(timeout=10)
            cluster.close(timeout=10)


DASK_CONFIGS = CONFIGS[:12] + [fo.GD(lr=1e6, weight_decay=0.01)] + CONFIGS[12:]


def test_dask_sweep_gives_the_local_table(data, cluster):
    _, client = cluster
    with pytest.warns(RuntimeWarning, match="diverged"):
        want = fo.sweep(data, DASK_CONFIGS, seeds=SEEDS, validation=0.2, **OPTIONS)
    with pytest.warns(RuntimeWarning, match="diverged"):
        got = fo.sweep(data, DASK_CONFIGS, seeds=SEEDS, validation=0.2, executor=client, chunk_size=5, **OPTIONS)
    _same_table(got, want)
    assert np.array_equal(got.validation_loss, want.validation_loss, equal_nan=True)


def _sweep_transitions(dask_scheduler):
    """The scheduler's task transitions of sweep chunks: (key, from, to) (run on the scheduler)."""
    return [tuple(str(part) for part in event[:3]) for event in dask_scheduler.transition_log
            if str(event[0]).startswith("fastoptim-sweep-")]


def test_dask_sweep_survives_a_worker_killed_mid_sweep(cluster):
    """Chunks of ~0.5 s each; once a chunk is running on a worker, that worker process exits.
    Dask runs the lost chunk again (on the other worker, or the one the nanny restarts) and
    the table is complete and equal to the local one."""
    _, client = cluster
    big = fo.data.synthetic(200_000, w=1.5, b=-0.5, noise=0.1, seed=5)
    configs = fo.grid(fo.Adam, lr=[0.001, 0.003, 0.01, 0.03])
    options = dict(epochs=20, batch_size=8, init=(0.0, 0.0), seeds=(0, 1))
    want = fo.sweep(big, configs, **options)
    outcome = {}

    def run():
        try:
            outcome["result"] = fo.sweep(big, configs, executor=client, chunk_size=2, **options)
        except BaseException as error:  # handed to the test thread
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    victim = None
    while victim is None and time.monotonic() < deadline and thread.is_alive():
        busy = [worker for worker, keys in client.processing().items()
                if any(str(key).startswith("fastoptim-sweep-") for key in keys)]
        if busy:
            victim = busy[0]
        else:
            time.sleep(0.01)
    assert victim is not None, "no chunk was seen running"
    pid = client.run(os.getpid, workers=[victim])[victim]  # a worker process this test started
    os.kill(pid, signal.SIGKILL)
    while victim in client.nthreads() and time.monotonic() < deadline + 10:
        time.sleep(0.05)
    assert victim not in client.nthreads(), "the worker was not lost"
    thread.join(timeout=50)
    assert not thread.is_alive(), "the sweep did not finish within 50 s after the worker was killed"
    if "error" in outcome:
        raise outcome["error"]
    _same_table(outcome["result"], want)
    # the scheduler's record: a sweep task was taken off the killed worker and run again
    log = client.run_on_scheduler(_sweep_transitions)
    rerun = [event for event in log if event[1] == "processing" and event[2] in ("released", "waiting", "no-worker")]
    assert rerun, "no chunk of the sweep was running on the killed worker"
