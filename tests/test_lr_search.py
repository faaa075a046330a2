"""fastoptim.lr_search (SPEC §5, the lecture's learning-rate search) and the learning-rate range
test: the search against a dense grid, the ranking, divergence, the range test's record and
suggestion, bad input."""
import dataclasses

import numpy as np
import pytest

import fastoptim as fo
from fastoptim.search import RangeTestResult, lr_range_test, suggest_lr

# mini-batch SGD on the synthetic data: the validation loss after 3 epochs has a clear best η
OPTIONS = dict(batch_size=32, shuffle=True)


@pytest.fixture(scope="module")
def data():
    return fo.data.synthetic(2000, w=2.0, b=-1.0, noise=0.05, seed=1)


def test_lr_search_is_within_a_factor_3_of_a_dense_grid(data):
    found = fo.lr_search(data, fo.GD(), **OPTIONS)
    dense = np.logspace(-4, 2, 61)
    grid = fo.sweep(data, [fo.GD(lr=lr) for lr in dense], epochs=3, init=(0.0, 0.0), validation=0.2, **OPTIONS)
    score = np.where(grid.diverged, np.inf, grid.final_validation_loss)
    best = dense[int(np.argmin(score))]
    assert best / 3 <= found.best_lr <= best * 3, (found.best_lr, best)
    assert found.validation_loss[0] <= 1.05 * score.min()


def test_candidates_are_ranked_and_each_equals_its_train_run(data):
    found = fo.lr_search(data, fo.Momentum(beta=0.5), lrs=(1e-3, 1e-2, 1e-1, 1), refine=(0.5, 2), epochs=2,
                         seed=4, **OPTIONS)
    coarse = [c for c in found.candidates if c["stage"] == "coarse"]
    fine = [c for c in found.candidates if c["stage"] == "fine"]
    assert sorted(c["lr"] for c in coarse) == [1e-3, 1e-2, 1e-1, 1]
    best_coarse = min(coarse, key=lambda c: c["validation_loss"])["lr"]
    assert sorted(c["lr"] for c in fine) == [best_coarse * 0.5, best_coarse * 2]
    scores = [c["validation_loss"] for c in found.candidates]
    assert scores == sorted(scores) and found.best_lr == found.candidates[0]["lr"]
    assert found.lrs.tolist() == [c["lr"] for c in found.candidates]
    for candidate in found.candidates:
        run = fo.train(data, fo.Momentum(lr=candidate["lr"], beta=0.5), epochs=2, init=(0.0, 0.0),
                       validation=0.2, seed=4, **OPTIONS)
        assert candidate["validation_loss"] == run.validation_loss[-1] and candidate["loss"] == run.loss[-1]
    assert len(found.coarse) == 4 and len(found.fine) == 2


def test_optimizer_class_and_instance_keep_their_other_settings(data):
    found = fo.lr_search(data, fo.Adam, lrs=(1e-2, 1e-1), refine=(), epochs=1)
    assert found.fine is None and len(found.candidates) == 2
    assert all(config.betas == (0.9, 0.999) for config in found.coarse.configs)
    base = fo.Adam(eps=1e-3, betas=(0.8, 0.9))
    found = fo.lr_search(data, base, lrs=(1e-2,), refine=(), epochs=1)
    assert found.coarse.configs == [dataclasses.replace(base, lr=1e-2)]


def test_diverging_candidates_rank_last_without_a_warning(data):
    # θ ← θ (1 − η λ): with λ = 1000 the large η blow θ up; the search says so and warns nothing
    found = fo.lr_search(data, fo.GD(weight_decay=1000.0), epochs=3, **OPTIONS)
    last = found.candidates[-1]
    assert last["lr"] == 1.0 and last["diverged"] and last["validation_loss"] == np.inf
    assert all(not c["diverged"] for c in found.candidates[:-1]) and found.best_lr < 1.0


def test_every_candidate_diverging_is_an_error():
    with pytest.raises(FloatingPointError, match="every learning rate diverged"):
        fo.lr_search(fo.data.synthetic(2000, seed=1), fo.GD(weight_decay=1e4), lrs=(1.0, 2.0), epochs=3,
                     **OPTIONS)


def test_range_test_records_growing_rates_and_suggests_a_rate(data):
    test = lr_range_test(data, fo.GD(), min_lr=1e-4, max_lr=1e3, steps=200, batch_size=32)
    assert isinstance(test, RangeTestResult) and test.lrs.size == test.loss.size == 200
    assert test.lrs[0] == pytest.approx(1e-4) and test.lrs[-1] == pytest.approx(1e3)
    assert np.all(np.diff(np.log(test.lrs)) == pytest.approx(np.log(1e7) / 199))
    # the record is that of one train run with the same schedule
    run = fo.train(data, fo.GD(), epochs=4, batch_size=32, init=(0.0, 0.0), shuffle=True, record="step",
                   schedule=lambda t: 1e-4 * 1e7 ** (min(t, 199) / 199))
    assert np.allclose(test.loss, run.step_loss[:200], rtol=1e-9, atol=0)
    steepest = test.suggest()
    assert 0.3 <= steepest <= 30 and steepest == suggest_lr(test, "steepest")
    found = fo.lr_search(data, fo.GD(), **OPTIONS)
    assert found.best_lr / 10 <= steepest <= found.best_lr * 10
    assert 1e-4 <= suggest_lr(test, "minimum") <= 1e2


def test_range_test_stops_where_the_loss_blows_up():
    # Adam's steps move θ by about η: huge η throw the neuron into saturation on the wrong side
    data = fo.data.synthetic(2000, w=2.0, b=-1.0, noise=0.05, seed=1)
    test = lr_range_test(data, fo.Adam(), min_lr=1e-3, max_lr=1e4, steps=150, batch_size=64)
    assert 2 < test.stopped < 150
    lowest = np.minimum.accumulate(test.smoothed)
    assert np.all(test.smoothed[1:test.stopped] <= 4.0 * lowest[:test.stopped - 1])
    assert test.smoothed[test.stopped] > 4.0 * lowest[test.stopped - 1]
    assert test.suggest() <= test.lrs[test.stopped - 1]


@pytest.mark.parametrize("call, error, match", [
    (lambda d: fo.lr_search(d, fo.GD(), validation=None), ValueError, r"^Invalid validation: None"),
    (lambda d: fo.lr_search(d, fo.GD(), lrs=()), ValueError, r"^Invalid lrs: \(\) \(is empty"),
    (lambda d: fo.lr_search(d, fo.GD(), lrs=(0.1, -1)), ValueError, r"^Invalid lrs: \(0\.1, -1\) \(must hold positive"),
    (lambda d: fo.lr_search(d, fo.GD(), refine=2), TypeError, r"^Invalid refine: 2 \(must be a list of numbers\)$"),
    # found by the fuzz suite: "iteration over a 0-d array"
    (lambda d: fo.lr_search(d, fo.GD(), lrs=np.array(0.1)), TypeError, r"^Invalid lrs: array\(shape=\(\), dtype=float64\) \(must be a list of numbers\)$"),
    (lambda d: fo.lr_search(d, fo.GD(), refine=np.array(2.0)), TypeError, r"^Invalid refine: array\(shape=\(\), dtype=float64\) \(must be a list of numbers\)$"),
    # found by the fuzz suite: the result's int64 seed column overflowed after the runs
    (lambda d: fo.lr_search(d, fo.GD(), seed=2**64), ValueError, r"^Invalid seed: 18446744073709551616 \(must be an integer >= 0 and <= 9223372036854775807\)$"),
    (lambda d: fo.lr_search(d, "sgd"), TypeError, r"^Invalid optimizer: 'sgd' \(must be a fastoptim optimizer"),
    (lambda d: fo.lr_search(d, fo.GD(), epochs=0), ValueError, r"^Invalid epochs: 0 \(must be an integer >= 1\)$"),
    (lambda d: fo.lr_search(d, fo.GD(), validation=1.5), ValueError, "validation"),
    # found by tests/test_fuzz.py: the seed was checked by the sweep, whose message named its "seeds";
    # rates beyond float64 raised OverflowError
    (lambda d: fo.lr_search(d, fo.GD(), seed=float("nan")), TypeError, r"^Invalid seed: nan \(must be an integer >= 0 and <= 9223372036854775807\)$"),
    (lambda d: fo.lr_search(d, fo.GD(), seed=-1), ValueError, r"^Invalid seed: -1 \(must be an integer >= 0 and <= 9223372036854775807\)$"),
    (lambda d: fo.lr_search(d, fo.GD(), lrs=(0.1, 10**400)), ValueError, r"^Invalid lrs: .* \(must hold positive finite"),
    (lambda d: lr_range_test(d, fo.GD(), min_lr=1.0, max_lr=0.1), ValueError, "min_lr < max_lr"),
    (lambda d: lr_range_test(d, fo.GD(), steps=1), ValueError, "steps"),
    (lambda d: suggest_lr("curve"), TypeError, "lr_range_test"),
    (lambda d: lr_range_test(d, fo.GD(), steps=50).suggest("best"), ValueError, "method"),
])
def test_bad_input(data, call, error, match):
    with pytest.raises(error, match=match):
        call(data)
