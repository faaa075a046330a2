"""Whole training runs: fastoptim.train against fastoptim.reference.train, the lecture's runs,
visiting modes, line search, schedules, divergence, resume and bad input."""
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import fastoptim as fo
from fastoptim import _checks, schedules
from tests.helpers import assert_relative
from tests.tolerances import TRAIN_FLOOR, TRAIN_RTOL

OPTIMIZERS = {
    "GD": fo.GD(lr=0.5), "Momentum": fo.Momentum(lr=0.2), "Nesterov": fo.Nesterov(lr=0.2),
    "AdaGrad": fo.AdaGrad(lr=0.1), "RMSProp": fo.RMSProp(lr=0.01), "AdaDelta": fo.AdaDelta(),
    "Adam": fo.Adam(lr=0.01), "AdaMax": fo.AdaMax(lr=0.01), "NAdam": fo.NAdam(lr=0.01),
    "NAdam-psi": fo.NAdam(lr=0.01, momentum_decay=4e-3), "AMSGrad": fo.AMSGrad(lr=0.01),
    "AMSGrad-bc": fo.AMSGrad(lr=0.01, bias_correction=True), "RAdam": fo.RAdam(lr=0.01),
    "AdamP": fo.AdamP(lr=0.01), "AdamW": fo.AdamW(lr=0.01, weight_decay=0.1),
    "Momentum-L2": fo.Momentum(lr=0.2, weight_decay=0.01), "NAdamW": fo.NAdamW(lr=0.01),
    "RMSPropW": fo.RMSPropW(lr=0.01), "AdaGradW": fo.AdaGradW(lr=0.1),
}
# (batch_size, epochs): batch GD, stochastic, mini-batches of 25 with a remainder (N = 1010), and
# large batches of 400 (two of 400 and one of 210 an epoch, each over its blocks of 512)
MODES = {"batch": (None, 200), "stochastic": (1, 1), "minibatch": (25, 5), "large-batch": (400, 70)}
N_POINTS = 1010
# Every mode ordered and shuffled, except the full batch shuffled: that only reorders one sum
# over every point (each step sees the same points), so it shuffles nothing that matters; the
# large batches shuffled change which points each step sees, as the mini-batches do.
VISITS = [pytest.param(mode, shuffle, id=f"{mode}-{'shuffled' if shuffle else 'ordered'}")
          for mode in MODES for shuffle in (False, True) if not (mode == "batch" and shuffle)]


def data_for(dtype):
    return fo.data.synthetic(N_POINTS, w=1.5, b=-0.5, noise=0.1, seed=3, dtype=dtype)


def assert_runs_equal(run, want, dtype):
    rtol = TRAIN_RTOL[dtype]
    assert run.steps == want.steps and run.epochs == want.epochs
    assert_relative(run.trajectory, want.trajectory, rtol, scale=TRAIN_FLOOR)
    assert_relative(run.theta, want.theta, rtol, scale=TRAIN_FLOOR)
    assert_relative(run.loss, want.loss, rtol, scale=1e-3)
    assert_relative(run.state.slots, want.state.slots, rtol, scale=TRAIN_FLOOR)
    assert np.array_equal(run.lr, want.lr) and np.array_equal(run.step_lr, want.step_lr)
    assert (run.beta is None) == (want.beta is None)
    if run.beta is not None:
        assert np.array_equal(run.beta, want.beta) and np.array_equal(run.step_beta, want.step_beta)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode, shuffle", VISITS)
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_train_equals_reference(name, mode, shuffle, dtype):
    batch_size, epochs = MODES[mode]
    data = data_for(dtype)
    options = dict(epochs=epochs, batch_size=batch_size, init=(-1.0, 1.0), shuffle=shuffle, seed=11,
                   record="step")
    run = fo.train(data, OPTIMIZERS[name], **options)
    want = fo.reference.train(data, OPTIMIZERS[name], **options)
    assert run.steps >= 200 and run.theta.dtype == dtype
    assert_runs_equal(run, want, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_train_equals_reference_with_schedules_and_line_search(dtype):
    data = data_for(dtype)
    cases = [
        (fo.Nesterov(lr=0.1), dict(schedule=schedules.cosine(0.5, 0.01, 100), momentum_schedule=schedules.sutskever_momentum(0.99, every=20))),
        (fo.Adam(), dict(schedule=schedules.step_decay(0.05, every=2), per="epoch", momentum_schedule=schedules.constant(0.8))),
        (fo.GD(), dict(line_search=[0.1, 0.5, 1, 2, 10])),
        (fo.Momentum(lr=0.1), dict(line_search=[0.01, 0.1, 1.0])),
        (fo.GD(lr=schedules.inverse_time(1.0, 0.01)), dict(reduction="sum")),
    ]
    for optimizer, extra in cases:
        options = dict(epochs=5, batch_size=50, init=(0.3, -0.2), shuffle=True, seed=2, record="step", **extra)
        assert_runs_equal(fo.train(data, optimizer, **options), fo.reference.train(data, optimizer, **options), dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_shuffled_large_batches_see_other_points_than_ordered_ones(dtype):
    """The shuffled large-batch case shuffles something: its steps differ from the ordered run's."""
    data = data_for(dtype)
    options = dict(epochs=2, batch_size=400, init=(-1.0, 1.0), seed=11, record="step")
    ordered = fo.train(data, fo.GD(lr=0.5), shuffle=False, **options)
    shuffled = fo.train(data, fo.GD(lr=0.5), shuffle=True, **options)
    assert not np.allclose(ordered.step_loss, shuffled.step_loss, rtol=1e-6, atol=0)


# AdamP with d = 3 features: θ = [w1, w2, w3, b] is a 1-D array, and SPEC §3.4 updates 1-D arrays as
# Adam (its projection needs an array of 2 or more dimensions: it applies in opt.step on matrices,
# tests/test_optimizers.py, never to the neuron's θ). So in training it must be Adam (AdamW with a
# decoupled decay: wd_ratio only scales a projected step) bit for bit, and its Nesterov direction
# must still be AdamP's own, as the reference engine computes it.
ADAMP_CASES = {
    "AdamP = Adam": (fo.AdamP(lr=0.05), fo.Adam(lr=0.05)),
    "AdamP(weight_decay) = AdamW": (fo.AdamP(lr=0.05, weight_decay=0.1, delta=1.0, wd_ratio=0.5),
                                    fo.AdamW(lr=0.05, weight_decay=0.1)),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", ADAMP_CASES)
def test_adamp_trains_the_1d_theta_of_d_features_as_adam(case, dtype):
    adamp, adam = ADAMP_CASES[case]
    data = fo.data.synthetic(300, w=[1.0, -2.0, 0.5], b=0.3, d=3, noise=0.1, seed=8, dtype=dtype)
    options = dict(epochs=3, batch_size=16, init=(0.2, -0.1, 0.4, 0.0), shuffle=True, seed=4, record="step")
    run = fo.train(data, adamp, **options)
    want = fo.train(data, adam, **options)
    assert np.array_equal(run.trajectory, want.trajectory) and np.array_equal(run.state.slots, want.state.slots)
    assert_runs_equal(run, fo.reference.train(data, adamp, **options), dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_adamp_nesterov_with_d_features_equals_reference(dtype):
    data = fo.data.synthetic(300, w=[1.0, -2.0, 0.5], b=0.3, d=3, noise=0.1, seed=8, dtype=dtype)
    options = dict(epochs=3, batch_size=16, init=(0.2, -0.1, 0.4, 0.0), shuffle=True, seed=4, record="step")
    run = fo.train(data, fo.AdamP(lr=0.05, nesterov=True, weight_decay=0.1), **options)
    assert_runs_equal(run, fo.reference.train(data, fo.AdamP(lr=0.05, nesterov=True, weight_decay=0.1), **options),
                      dtype)
    assert not np.array_equal(run.theta, fo.train(data, fo.AdamP(lr=0.05, weight_decay=0.1), **options).theta)


def test_lecture_batch_gradient_descent():
    # SPEC §8 / lecture 5.2: w = b = −2, η = 1, J = ½ Σ (f − y)², 1000 epochs on the two points.
    run = fo.train(fo.data.two_points(), fo.GD(lr=1.0), epochs=1000, init=(-2.0, -2.0), reduction="sum")
    assert abs(run.theta[0] - 1.79) < 0.01 and abs(run.theta[1] + 2.28) < 0.01
    assert run.loss[-1] < 1e-10 and run.steps == 1000


def test_lecture_momentum_and_nesterov_beat_gradient_descent_in_100_epochs():
    # Lecture 5.4 / 5.5 (do_mgd, do_nag): w = b = −2, η = 1, β = 0.9.
    data = fo.data.two_points()
    losses = {name: fo.train(data, optimizer, epochs=100, init=(-2.0, -2.0), reduction="sum").loss[-1]
              for name, optimizer in [("gd", fo.GD(lr=1.0)), ("momentum", fo.Momentum(lr=1.0, beta=0.9)),
                                      ("nesterov", fo.Nesterov(lr=1.0, beta=0.9))]}
    assert losses["momentum"] < losses["gd"] and losses["nesterov"] < losses["gd"], losses


def test_nesterov_is_trained_in_look_ahead_form_and_records_theta():
    data = fo.data.two_points()
    run = fo.train(data, fo.Nesterov(lr=1.0, beta=0.9), epochs=3, init=(-2.0, -2.0), reduction="sum", record="step")
    theta, u = np.array([-2.0, -2.0]), np.zeros(2)
    for step in range(3):  # the lecture's do_nag, written out
        ahead = theta - 0.9 * u
        u = 0.9 * u + 1.0 * fo.reference.model.gradient(data, ahead, "sum")
        theta = theta - u
        assert_relative(run.trajectory[step + 1], theta, 1e-13, scale=1.0)


def test_line_search_never_ends_above_the_best_candidate():
    data = fo.data.synthetic(300, seed=1)
    candidates = [0.1, 0.5, 1, 2, 10]
    run = fo.train(data, fo.GD(), epochs=2, batch_size=30, init=(-2.0, 2.0), line_search=candidates, record="step")
    assert set(run.step_lr) <= set(candidates) and run.lr.tolist() == [run.step_lr[9], run.step_lr[19]]
    for k in range(run.steps):
        start = (k % 10) * 30
        batch = fo.Dataset(data.X[start:start + 30], data.y[start:start + 30])
        before, after = run.trajectory[k], run.trajectory[k + 1]
        g = fo.reference.model.gradient(batch, before)
        best = min(fo.reference.model.loss(batch, before - eta * g) for eta in candidates)
        assert fo.reference.model.loss(batch, after) <= best * (1 + 1e-12)


@pytest.mark.parametrize("batch_size, drop_last, steps", [
    (None, False, 1), (1, False, 103), (10, False, 11), (10, True, 10), (103, False, 1), (500, True, 1), (25, True, 4),
])
def test_steps_per_epoch(batch_size, drop_last, steps):
    run = fo.train(fo.data.synthetic(103), fo.GD(), epochs=2, batch_size=batch_size, drop_last=drop_last, init=(0, 0))
    assert run.steps == 2 * steps and run.lr.size == 2 and run.loss.size == 2


def test_same_seed_same_run_and_shuffle_changes_the_order():
    data = fo.data.synthetic(200, seed=4)
    options = dict(epochs=3, batch_size=7, init=(0.0, 0.0), shuffle=True, record="step")
    a = fo.train(data, fo.Adam(lr=0.05), seed=5, **options)
    b = fo.train(data, fo.Adam(lr=0.05), seed=5, **options)
    c = fo.train(data, fo.Adam(lr=0.05), seed=6, **options)
    assert np.array_equal(a.trajectory, b.trajectory) and not np.array_equal(a.trajectory, c.trajectory)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 1000, 1 << 16, (1 << 16) + 1])
@pytest.mark.parametrize("dtype", [np.uint32, np.uint64])
def test_permutation_into_draws_numpys_permutation(n, dtype):
    """The epoch's visiting order, written in place (no temporary): default_rng(seed).permutation(n)'s
    values, twice in a row from one generator (epochs 0 and 1)."""
    from fastoptim.training import permutation_into

    order, rng, expected = np.empty(n, dtype=dtype), np.random.default_rng(n), np.random.default_rng(n)
    for _ in range(2):
        assert np.array_equal(permutation_into(order, rng), expected.permutation(n))


def test_schedule_per_step_and_per_epoch_record_the_rates():
    data = fo.data.synthetic(100)
    run = fo.train(data, fo.GD(), epochs=3, batch_size=40, init=(0, 0), schedule=schedules.step_decay(1.0, 0.5, every=2),
                   record="step")
    assert run.step_lr.tolist() == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.0625]
    assert run.lr.tolist() == [0.5, 0.25, 0.0625]  # each epoch's last step (steps 2, 5, 8)
    run = fo.train(data, fo.GD(), epochs=3, batch_size=40, init=(0, 0), schedule=schedules.step_decay(1.0, 0.5, every=2),
                   per="epoch", record="step")
    assert run.step_lr.tolist() == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5]
    assert run.lr.tolist() == [1.0, 1.0, 0.5] and run.beta is None and run.step_beta is None


def test_validation_and_halve_on_increase():
    data = fo.data.synthetic(500, noise=0.3, seed=9)
    controller = schedules.halve_on_increase(50.0)
    run = fo.train(data, fo.GD(lr=50.0), epochs=30, batch_size=10, init=(3.0, 3.0), validation=0.2,
                   on_plateau=controller, shuffle=True)
    assert run.validation_loss.shape == (30,) and run.loss.shape == (30,)
    rose = np.flatnonzero(np.diff(run.validation_loss) > 0)
    epoch_lr = run.lr
    assert rose.size > 0
    for epoch in range(1, 30):  # the rate of epoch e is halved once per rise seen before it
        halvings = np.sum(rose < epoch - 1)  # a rise at diff index i is seen after epoch i + 1
        assert epoch_lr[epoch] == 50.0 / 2 ** halvings
    train_part, validation_part = data.split(0.2, seed=0)
    explicit = fo.train(train_part, fo.Adam(), epochs=2, init=(0, 0), validation=validation_part)
    assert explicit.validation_loss[-1] == fo.model.loss(validation_part, explicit.theta)


def test_on_plateau_without_lr_starts_at_the_optimizers_rate():
    data = fo.data.synthetic(300, noise=0.3, seed=9)
    controller = schedules.ReduceOnPlateau(0.5, 0)  # the signature: no lr of its own
    run = fo.train(data, fo.GD(lr=20.0), epochs=12, batch_size=10, init=(0.0, 0.0), validation=0.2,
                   on_plateau=controller)
    epoch_lr = run.lr
    assert epoch_lr[0] == 20.0 and np.all(np.diff(epoch_lr) <= 0) and epoch_lr[-1] < 20.0
    assert run.controller_state["epochs"] == 12 and run.controller_state["lr"] <= epoch_lr[-1]
    assert controller.lr is None and controller.state_dict()["epochs"] == 0  # the run worked on its own copy


def test_divergence_stops_and_keeps_finite_parameters():
    with pytest.warns(RuntimeWarning, match="diverged"):
        run = fo.train(fo.data.two_points(), fo.GD(lr=1e6, weight_decay=0.01), epochs=1000, init=(1.0, 1.0),
                       reduction="sum", record="step")
    assert run.diverged is not None and run.epochs == run.diverged["epoch"] < 1000
    assert np.all(np.isfinite(run.theta)) and np.all(np.isfinite(run.trajectory))
    assert np.array_equal(run.theta, run.trajectory[-1])
    with pytest.warns(RuntimeWarning, match="diverged"):
        want = fo.reference.train(fo.data.two_points(), fo.GD(lr=1e6, weight_decay=0.01), epochs=1000,
                                  init=(1.0, 1.0), reduction="sum")
    assert want.diverged == run.diverged


RESUME_SCRIPT = textwrap.dedent("""
    import sys, numpy as np, fastoptim as fo
    from fastoptim import schedules
    data = fo.data.synthetic(1000, seed=1)
    options = dict(batch_size=32, shuffle=True, seed=7, record="step", init=(0.0, 0.0),
                   schedule=schedules.cosine(0.05, 0.001, 150), momentum_schedule=schedules.sutskever_momentum(0.99, every=40))
    if sys.argv[1] == "first":
        fo.train(data, fo.NAdam(momentum_decay=4e-3), epochs=2, **options).save(sys.argv[2])
    else:
        run = fo.train(data, fo.NAdam(momentum_decay=4e-3), epochs=3, resume=fo.load_run(sys.argv[2]), **options)
        run.save(sys.argv[3])
""")


def test_resume_in_a_new_process_continues_bit_for_bit(tmp_path):
    script = tmp_path / "resume.py"
    script.write_text(RESUME_SCRIPT)
    first, continued = tmp_path / "first.npz", tmp_path / "continued.npz"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    subprocess.run([sys.executable, str(script), "first", str(first)], check=True, env=env)
    subprocess.run([sys.executable, str(script), "second", str(first), str(continued)], check=True, env=env)
    resumed = fo.load_run(continued)
    data = fo.data.synthetic(1000, seed=1)
    whole = fo.train(data, fo.NAdam(momentum_decay=4e-3), epochs=5, batch_size=32, shuffle=True, seed=7, record="step",
                     init=(0.0, 0.0),
                     schedule=schedules.cosine(0.05, 0.001, 150),
                     momentum_schedule=schedules.sutskever_momentum(0.99, every=40))
    assert resumed.epochs == whole.epochs == 5 and resumed.steps == whole.steps
    for name in ("theta", "loss", "lr", "trajectory", "step_loss"):
        assert np.array_equal(getattr(resumed, name), getattr(whole, name)), name
    assert np.array_equal(resumed.state.slots, whole.state.slots)
    assert np.array_equal(resumed.state.scalars, whole.state.scalars) and resumed.state.step == whole.state.step


def test_non_finite_gradient_is_divergence():
    # weights of 1e300 on targets of 1e10: each weighted term s·r ≈ −2e309 overflows
    data = fo.data.Dataset(np.array([0.5, 2.5]), np.array([1e10, 1e10]), weights=np.array([1e300, 1e300]))
    for train in (fo.train, fo.reference.train):
        with pytest.warns(RuntimeWarning, match="diverged at epoch 0, step 0"):
            run = train(data, fo.GD(lr=1e-3), epochs=3, init=(0.5, 0.5), reduction="sum", record="step")
        assert run.diverged == {"epoch": 0, "step": 0} and run.epochs == 0 and run.steps == 0
        assert np.array_equal(run.theta, [0.5, 0.5]) and run.loss.size == 0


def test_non_finite_loss_after_an_epoch_is_divergence():
    # Every point's loss ½(f − y)² ≈ 7.2e307 is finite (each step is), their sum is not.
    data = fo.data.Dataset(np.array([0.5, 2.5, 1.0]), np.array([1.2e154, 1.2e154, 1.2e154]))
    runs = []
    for train in (fo.train, fo.reference.train):
        with pytest.warns(RuntimeWarning, match="after epoch 0: every step was finite"):
            runs.append(train(data, fo.GD(lr=1e-160), epochs=3, batch_size=1, init=(0.5, 0.5), reduction="sum"))
        run = runs[-1]
        assert run.diverged == {"epoch": 0, "step": 3} and run.epochs == 1 and run.steps == 3
        assert run.loss.tolist() == [np.inf] and np.all(np.isfinite(run.theta))
    assert np.array_equal(runs[0].theta, runs[1].theta)
    with pytest.warns(RuntimeWarning, match="2 of 2 runs of the sweep diverged"):
        result = fo.sweep(data, [fo.GD(lr=1e-160), fo.GD(lr=0.0)], epochs=3, batch_size=1, init=(0.5, 0.5),
                          reduction="sum")
    assert result.diverged.tolist() == [True, True] and result.diverged_step.tolist() == [3, 3]


@pytest.mark.parametrize("optimizer, batch_size, line_search, where", [
    (fo.Momentum(lr=1e6, weight_decay=1.0), None, None, {"epoch": 51, "step": 0}),
    (fo.Momentum(lr=1e6, weight_decay=0.01), 1, None, {"epoch": 1, "step": 36}),
    (fo.Nesterov(lr=1e3, weight_decay=0.1), 1, None, {"epoch": 3, "step": 34}),
    (fo.Momentum(weight_decay=0.01), 1, [1e10, 1e12], {"epoch": 0, "step": 38}),
    (fo.Adam(lr=1e300, weight_decay=1.0), 2, None, {"epoch": 0, "step": 1}),  # v = g² overflows
    (fo.NAdam(lr=1e300, weight_decay=1.0, momentum_decay=4e-3), 1, None, {"epoch": 0, "step": 1}),
])
def test_divergence_keeps_the_state_from_before_the_step(optimizer, batch_size, line_search, where):
    """θ, the slots and the per-run scalars of a diverged run are those before the failing step:
    the compiled run (which rewinds the epoch and runs it again up to that step) equals the
    reference (which never applies the step), mid-epoch, under line search and look-ahead."""
    data = fo.data.synthetic(40, seed=2)
    options = dict(epochs=100, batch_size=batch_size, init=(1.0, 1.0), line_search=line_search,
                   record="step")
    runs = []
    for train in (fo.train, fo.reference.train):
        with pytest.warns(RuntimeWarning, match="diverged"):
            runs.append(train(data, optimizer, **options))
    run, want = runs
    assert run.diverged == want.diverged == where and run.steps == want.steps
    assert np.all(np.isfinite(run.theta)) and np.all(np.isfinite(run.state.slots))
    assert_runs_equal(run, want, "float64")
    assert_relative(run.state.scalars, want.state.scalars, 1e-12, scale=1.0)
    assert run.state.step == want.state.step == run.steps


def test_resume_rejects_changed_data_and_controller():
    data = fo.data.synthetic(200, seed=1)
    options = dict(batch_size=10, init=(0, 0), validation=0.2, seed=3)
    run = fo.train(data, fo.GD(), epochs=1, on_plateau=schedules.halve_on_increase(0.1), **options)
    with pytest.raises(ValueError, match=r"Invalid resume: .* \(its data differs"):
        fo.train(fo.data.synthetic(300, seed=1), fo.GD(), epochs=1, resume=run,
                 on_plateau=schedules.halve_on_increase(0.1), **options)
    y = data.y.copy()
    y[0] += 0.5  # the same size and dtype, another point 0 (always in the sample)
    other = fo.data.Dataset(data.X, y)
    with pytest.raises(ValueError, match="its data differs"):
        fo.train(other, fo.GD(), epochs=1, resume=run, on_plateau=schedules.halve_on_increase(0.1), **options)
    weighted = fo.data.Dataset(data.X, data.y, weights=np.full(data.n, 2.0))
    with pytest.raises(ValueError, match="its data differs"):
        fo.train(weighted, fo.GD(), epochs=1, resume=run, on_plateau=schedules.halve_on_increase(0.1), **options)
    with pytest.raises(ValueError, match="its on_plateau differs"):
        fo.train(data, fo.GD(), epochs=1, resume=run, **options)
    with pytest.raises(ValueError, match="its on_plateau differs"):
        fo.train(data, fo.GD(), epochs=1, resume=run, on_plateau=schedules.ReduceOnPlateau(0.1), **options)
    controller = schedules.halve_on_increase(0.1)  # the same kind of controller: the state is the run's
    continued = fo.train(data, fo.GD(), epochs=1, resume=run, on_plateau=controller, **options)
    assert continued.epochs == 2 and continued.controller_state["epochs"] == 2
    assert controller.state_dict()["epochs"] == 0  # (the controller passed is never changed)


def test_saved_settings_are_plain_and_stable(tmp_path):
    """A numpy batch size saves as JSON; a plain function is saved by name (its repr holds an
    address that another process would not repeat)."""
    def rate(t):
        return 0.1 / (1 + t)

    run = fo.train(fo.data.synthetic(30), fo.GD(), epochs=1, batch_size=np.int64(10), init=(0, 0), schedule=rate)
    run.save(tmp_path / "run.npz")
    assert fo.load_run(tmp_path / "run.npz").settings == run.settings
    assert run.settings["batch_size"] == 10 and type(run.settings["batch_size"]) is int
    assert run.settings["schedule"].endswith("test_saved_settings_are_plain_and_stable.<locals>.rate")


def test_reference_train_has_trains_signature():
    import inspect

    assert inspect.signature(fo.reference.train) == inspect.signature(fo.train)


def test_resume_rejects_changed_settings():
    data = fo.data.synthetic(100)
    run = fo.train(data, fo.Adam(), epochs=1, batch_size=10, init=(0, 0))
    with pytest.raises(ValueError, match="batch_size"):
        fo.train(data, fo.Adam(), epochs=1, batch_size=20, init=(0, 0), resume=run)
    with pytest.raises(ValueError, match="optimizer"):
        fo.train(data, fo.AdaMax(), epochs=1, batch_size=10, init=(0, 0), resume=run)
    continued = fo.train(data, fo.Adam(), epochs=2, batch_size=10, init=(0, 0), resume=run)
    assert continued.epochs == 3 and continued.loss.size == 3 and continued.steps == 30


def test_saved_run_has_no_pickle(tmp_path):
    run = fo.train(fo.data.two_points(), fo.AdamW(), epochs=3, init=(0, 0), record="step", validation=fo.data.two_points())
    run.save(tmp_path / "run.npz")
    with np.load(tmp_path / "run.npz", allow_pickle=False) as stored:
        assert all(stored[key].dtype != object for key in stored.files)
    loaded = fo.load_run(tmp_path / "run.npz")
    assert np.array_equal(loaded.trajectory, run.trajectory) and np.array_equal(loaded.validation_loss, run.validation_loss)


GOOD = fo.data.synthetic(50)
BAD_INPUTS = [  # one message shape, "Invalid {name}: {value} ({requirement})" (fastoptim._checks)
    ("epochs negative", dict(epochs=-1), ValueError, r"^Invalid epochs: -1 \(must be an integer >= 0\)$"),
    ("epochs float", dict(epochs=2.5), TypeError, r"^Invalid epochs: 2\.5 \(must be an integer >= 0\)$"),
    ("epochs that cannot be recorded", dict(epochs=10**15), ValueError,
     r"^Invalid epochs: 1000000000000000 \(the record of .* epochs needs about .* more than the .* available\)$"),
    ("steps that cannot be recorded", dict(epochs=10**12, batch_size=1, record="step"), ValueError,
     r"^Invalid record: 'step' \(the record of .* steps needs about"),
    ("batch_size zero", dict(batch_size=0), ValueError, r"^Invalid batch_size: 0 \(must be an integer >= 1\)$"),
    ("batch_size float", dict(batch_size=2.0), TypeError, r"^Invalid batch_size: 2\.0"),
    ("batch_size bool", dict(batch_size=True), TypeError, r"^Invalid batch_size: True"),
    ("init too short", dict(init=(0.0,)), ValueError, r"^Invalid init: \(0\.0,\) \(must have length d \+ 1 = 2"),
    ("init NaN", dict(init=(np.nan, 0.0)), ValueError, r"^Invalid init: .* \(must be finite"),
    ("init 2-D", dict(init=[[0.0, 0.0]]), ValueError, r"^Invalid init: .* \(must have 1 dimension"),
    ("init strings", dict(init=["a", "b"]), TypeError, r"^Invalid init: \['a', 'b'\] \(must hold real numbers"),
    ("init overflows float32", dict(data=fo.data.synthetic(50, dtype="float32"), init=[1e39, 0.0]), ValueError,
     r"^Invalid init: \[1e\+39, 0\.0\] \(must fit in float32 like the data: 1e\+39 at index 0 overflows it\)$"),
    ("init checked on resume", dict(init=(0.0,), resume=fo.train(GOOD, fo.GD(), epochs=1, init=(0, 0))),
     ValueError, r"^Invalid init: .* \(must have length"),
    ("validation fraction 0", dict(validation=0.0), ValueError,
     r"^Invalid validation: 0\.0 \(must be a Dataset or a fraction in \(0, 1\)\)$"),
    ("validation fraction 1.5", dict(validation=1.5), ValueError, r"^Invalid validation: 1\.5"),
    ("validation string", dict(validation="20%"), TypeError, r"^Invalid validation: '20%' \(must be a Dataset"),
    ("validation leaves nothing", dict(validation=0.001), ValueError,
     r"^Invalid validation: 0\.001 \(leaves an empty part of a data set of 50 points\)$"),
    ("validation wrong d", dict(validation=fo.data.synthetic(10, d=2)), ValueError, r"^Invalid validation: .* \(must have d = 1"),
    ("line search empty", dict(line_search=[]), ValueError, r"^Invalid line_search: \[\] \(must hold at least one"),
    ("line search negative", dict(line_search=[0.1, -1.0]), ValueError, r"\(learning rates must be positive and finite\)$"),
    ("line search zero", dict(line_search=[0.0]), ValueError, r"\(learning rates must be positive and finite\)$"),
    ("line search strings", dict(line_search=["fast"]), TypeError, r"^Invalid line_search: \['fast'\] \(must be a list of numbers"),
    ("line search numeric strings", dict(line_search=["0.1", "1"]), TypeError, r"^Invalid line_search: \['0\.1', '1'\]"),
    ("line search bools", dict(line_search=[True, True]), TypeError, r"^Invalid line_search: \[True, True\]"),
    ("line search nested", dict(line_search=[[0.1, 1.0]]), TypeError, r"^Invalid line_search: \[\[0\.1, 1\.0\]\]"),
    ("line search scalar", dict(line_search=1.0), TypeError, r"^Invalid line_search: 1\.0 \(must be a list"),
    ("line search with schedule", dict(line_search=[1.0], schedule=schedules.constant(1.0)), ValueError,
     r"^Invalid line_search: \[1\.0\] \(chooses the learning rate of every step"),
    ("line search with an lr schedule", dict(optimizer=fo.GD(lr=schedules.constant(0.1)), line_search=[1.0]),
     ValueError, r"^Invalid line_search:"),
    ("two schedules", dict(optimizer=fo.GD(lr=schedules.constant(0.1)), schedule=schedules.constant(0.2)), ValueError,
     r"^Invalid schedule: .* \(the optimizer's lr is already a schedule"),
    ("schedule negative", dict(schedule=lambda t: 0.1 - 0.2 * t), ValueError,
     r"^Invalid schedule: <function .* gave -0\.1 at t = 1\)$"),
    ("schedule NaN", dict(schedule=lambda t: float("nan")), ValueError, r"^Invalid schedule: <function .* gave nan at t = 0\)$"),
    ("schedule returns text", dict(schedule=lambda t: "fast"), TypeError,
     r"^Invalid schedule: <function .* \(must return a real number, returned 'fast' at t = 0\)$"),
    ("momentum schedule returns None", dict(optimizer=fo.Momentum(), momentum_schedule=lambda t: None), TypeError,
     r"^Invalid momentum_schedule: <function .* returned None at t = 0\)$"),
    ("schedule not callable", dict(schedule=0.1), TypeError, r"^Invalid schedule: 0\.1 \(must be a function of the step"),
    ("momentum schedule on GD", dict(momentum_schedule=schedules.constant(0.9)), ValueError,
     r"^Invalid momentum_schedule: .* \(GD has no momentum"),
    ("momentum schedule on RMSProp", dict(optimizer=fo.RMSProp(), momentum_schedule=schedules.constant(0.9)),
     ValueError, r"^Invalid momentum_schedule: .* \(RMSProp has no momentum: its β, if any, averages squared gradients"),
    ("momentum schedule on AdaDelta", dict(optimizer=fo.AdaDelta(), momentum_schedule=schedules.constant(0.9)),
     ValueError, r"\(AdaDelta has no momentum"),
    ("momentum schedule >= 1", dict(optimizer=fo.Momentum(), momentum_schedule=lambda t: 1.0), ValueError,
     r"^Invalid momentum_schedule: <function .* \(must give a momentum in \[0, 1\) at every step of the run, gave 1\.0 at t = 0\)$"),
    ("per epoch without a schedule", dict(per="epoch"), ValueError, r"^Invalid per: 'epoch' \(counts the steps or epochs"),
    ("reduction unknown", dict(reduction="max"), ValueError, r"^Invalid reduction: 'max' \(must be one of 'sum', 'mean'\)$"),
    ("loss unknown", dict(loss="hinge"), ValueError, r"^Invalid loss: 'hinge' \(must be one of 'squared', 'log'\)$"),
    ("log loss of targets outside [0, 1]", dict(loss="log", data=fo.data.Dataset(np.ones(3), np.array([0.0, 1.0, 2.0]))),
     ValueError, r"^Invalid loss: 'log' \(the log loss needs targets in \[0, 1\]; data\.y\[2\] = 2\.0\)$"),
    ("per unknown", dict(per="batch"), ValueError, r"^Invalid per: 'batch' \(must be one of 'step', 'epoch'\)$"),
    ("record unknown", dict(record="all"), ValueError, r"^Invalid record: 'all' \(must be one of 'epoch', 'step', 'none'\)$"),
    ("shuffle not bool", dict(shuffle="yes"), TypeError, r"^Invalid shuffle: 'yes' \(must be True or False\)$"),
    ("progress not bool", dict(progress=1), TypeError, r"^Invalid progress: 1 \(must be True or False\)$"),
    ("seed negative", dict(seed=-3), ValueError, r"^Invalid seed: -3 \(must be an integer >= 0\)$"),
    ("seed float", dict(seed=1.5), TypeError, r"^Invalid seed: 1\.5 \(must be an integer >= 0\)$"),
    ("optimizer not one", dict(optimizer="adam"), TypeError, r"^Invalid optimizer: 'adam' \(must be a fastoptim optimizer"),
    ("data not a Dataset", dict(data=(np.ones(3), np.ones(3))), TypeError, r"^Invalid data: .* \(must be a fastoptim\.data\.Dataset\)$"),
    ("on_plateau without validation", dict(on_plateau=schedules.halve_on_increase(0.1)), ValueError,
     r"^Invalid on_plateau: .* \(needs a validation set"),
    ("on_plateau not a controller", dict(on_plateau=0.5, validation=0.2), TypeError, r"^Invalid on_plateau: 0\.5 \(must be a controller"),
    ("on_plateau a class", dict(on_plateau=schedules.ReduceOnPlateau, validation=0.2), TypeError,
     r"^Invalid on_plateau: .* \(must be a controller instance: call it, e\.g\. ReduceOnPlateau\(\.\.\.\)\)$"),
    ("on_plateau with an lr schedule", dict(optimizer=fo.GD(lr=schedules.constant(0.1)), validation=0.2,
                                            on_plateau=schedules.halve_on_increase()), ValueError,
     r"^Invalid on_plateau: .* \(sets the learning rate after each epoch"),
    ("on_plateau min_lr above the rate", dict(optimizer=fo.GD(lr=0.1), validation=0.2,
                                              on_plateau=schedules.ReduceOnPlateau(min_lr=0.5)), ValueError,
     r"^Invalid min_lr: 0\.5 \(must be <= lr=0\.1\)$"),
    ("early_stopping not one", dict(early_stopping=5), TypeError, r"^Invalid early_stopping: 5 \(must be a fastoptim\.EarlyStopping"),
    ("early_stopping on validation without it", dict(early_stopping=fo.EarlyStopping()), ValueError,
     r"^Invalid early_stopping: .* \(monitors the validation loss"),
    ("callbacks not callable", dict(callbacks=[print, 3]), TypeError, r"^Invalid callbacks: .* \(must be a list of functions; item 1 is 3\)$"),
    ("resume not a run", dict(resume={"theta": [0, 0]}), TypeError, r"^Invalid resume: \{'theta': \[0, 0\]\} \(must be a Run"),
    # found by tests/test_fuzz.py: a timedelta64 is a numpy integer (int() drops its unit or fails),
    # and an int beyond float64 overflowed in the memory estimate's message or the checks' float()
    ("epochs a timedelta64", dict(epochs=np.timedelta64(3, "s")), TypeError,
     r"^Invalid epochs: np\.timedelta64\(3,'s'\) \(must be an integer >= 0\)$"),
    ("seed a generic timedelta64", dict(seed=np.timedelta64(3)), TypeError, r"^Invalid seed: .* \(must be an integer >= 0\)$"),
    ("epochs beyond float64", dict(epochs=10**400), ValueError,
     r"^Invalid epochs: 1000.* \(the record of .* epochs needs about 10\^401 bytes, more than the .* available\)$"),
    ("validation beyond float64", dict(validation=10**400), ValueError,
     r"^Invalid validation: 1000.* \(must be a Dataset or a fraction in \(0, 1\)\)$"),
    ("line_search beyond float64", dict(line_search=[0.1, 10**400]), ValueError,
     r"^Invalid line_search: .* \(learning rates must be positive and finite\)$"),
]


@pytest.mark.parametrize("changes, error, message", [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_raises_before_training(changes, error, message):
    arguments = dict(data=GOOD, optimizer=fo.GD(), epochs=2, init=(0.0, 0.0))
    arguments.update(changes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error, match=message):
            fo.train(arguments.pop("data"), arguments.pop("optimizer"), **arguments)


#: Cases of BAD_INPUTS that only the data (or the run's evaluation of a schedule) can refuse.
NEEDS_THE_DATA = {"validation leaves nothing", "validation wrong d", "schedule negative", "schedule NaN",
                  "schedule returns text", "momentum schedule returns None", "momentum schedule >= 1"}


@pytest.mark.parametrize("changes, error, message", [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_check_train_arguments_refuses_what_train_refuses_without_data(changes, error, message, request):
    """``fastoptim.check_train_arguments`` (the train layer's check before there is data, which
    the command line calls before it reads a file): the same error as ``train`` for every
    argument that needs no data; no error for those that do (``init``, the split, the targets,
    ``resume``'s settings, a function's values)."""
    if "data" in changes or "init" in changes:
        return  # not its arguments
    arguments = dict(optimizer=fo.GD(), epochs=2)
    arguments.update(changes)
    case = request.node.callspec.id
    if case in NEEDS_THE_DATA:
        assert fo.check_train_arguments(arguments.pop("optimizer"), **arguments) is None
        return
    with pytest.raises(error, match=message) as raised:
        fo.check_train_arguments(arguments.pop("optimizer"), **arguments)
    assert isinstance(raised.value, (_checks.InvalidValue, _checks.InvalidType))


@pytest.mark.parametrize("fraction, error", [(0, ValueError), (0.0, ValueError), (1, ValueError), (1.5, ValueError),
                                             (-0.2, ValueError), (float("nan"), ValueError), (float("inf"), ValueError),
                                             (True, TypeError), (np.True_, TypeError), ("0.2", TypeError),
                                             (None, None), (0.2, None), (np.float32(0.5), None)])
def test_the_validation_fraction_is_checked_with_the_other_arguments(fraction, error):
    """Issue: the fraction's range was checked together with the split, after the data's own
    checks; now first, with the other arguments (and before there is data)."""
    if error is None:
        fo.check_train_arguments(fo.GD(), epochs=1, validation=fraction)
        return
    with pytest.raises(error, match=r"^Invalid validation: .* \(must be a Dataset or a fraction in \(0, 1\)\)$") as caught:
        fo.check_train_arguments(fo.GD(), epochs=1, validation=fraction)
    assert caught.value.argument == "validation"
    # train refuses it before it looks at the data: a data set whose log-loss targets are bad is not read
    bad_targets = fo.data.Dataset(np.ones(3), np.array([0.0, 1.0, 2.0]))
    with pytest.raises(error, match=r"^Invalid validation: "):
        fo.train(bad_targets, fo.GD(), epochs=1, init=(0, 0), loss="log", validation=fraction)


def test_check_train_arguments_takes_trains_arguments_but_data_and_init():
    import inspect

    train = inspect.signature(fo.train).parameters
    check = inspect.signature(fo.check_train_arguments).parameters
    assert [name for name in train if name not in ("data", "init")] == list(check)
    assert all(check[name].default == train[name].default for name in check)


def test_batch_size_above_n_means_one_batch():
    run = fo.train(GOOD, fo.GD(), epochs=3, batch_size=10**6, init=(0, 0))
    assert run.steps == 3
    full = fo.train(GOOD, fo.GD(), epochs=3, init=(0, 0))
    assert np.array_equal(run.theta, full.theta)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("ndim", [1, 2])
@pytest.mark.parametrize("batch_size", [1, 5])
@pytest.mark.parametrize("name", ["GD", "Adam", "Nesterov"])
def test_a_batch_of_zero_weights_takes_a_zero_gradient(name, batch_size, ndim, dtype):
    # SPEC §9's mean over a batch is defined where its weight is positive: a batch whose points
    # all weigh 0 contributes nothing (its sums, 0), it does not divide 0 by 0 and diverge
    X = np.linspace(-2.0, 2.0, 40)
    X = X if ndim == 1 else np.stack([X, X ** 2], axis=1)
    weights = np.ones(40)
    weights[:10] = 0.0
    data = fo.Dataset(X.astype(dtype), (np.linspace(-2.0, 2.0, 40) > 0).astype(dtype), weights)
    options = dict(epochs=2, batch_size=batch_size, init=np.full(ndim + 1, 0.5), record="step")
    run = fo.train(data, OPTIMIZERS[name], **options)
    want = fo.reference.train(data, OPTIMIZERS[name], **options)
    assert run.diverged is None and want.diverged is None
    assert np.all(run.step_loss[:10 // batch_size] == 0.0)
    assert_runs_equal(run, want, dtype)
    if name == "GD":  # a zero gradient: GD's first steps leave θ where it started
        assert np.array_equal(run.trajectory[:10 // batch_size], np.full((10 // batch_size, ndim + 1), 0.5, dtype))
