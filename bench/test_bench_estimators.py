"""The scikit-learn estimators against scikit-learn's own (issue 15, "Benchmarks"):
``SigmoidClassifier.fit`` beside ``SGDClassifier(loss="log_loss").fit`` on 10^6 × 5 points with
0/1 labels (:func:`bench.peers.log_loss_data`, the data of the ``logloss`` rows), the same
epochs, η = ``LOG_LR``, in order, from θ = 0, no stopping criterion.

The two share one batch size, 1 (``SGDClassifier`` has no other): the same algorithm, batch-1
GD on the log loss (``SigmoidClassifier``'s docstring shows it). Each row is the whole ``fit``
as a user calls it — input validation, the labels' classes, the run (and, for
``SigmoidClassifier``, the training loss after each epoch, which ``loss_curve_`` keeps) — so the
ratio is what a user of either estimator sees. Family ``estimators``, kernel
``sigmoidclassifier/batch-1/epochs-E``; impls ``estimator`` (ours) and ``sklearn-sgdclassifier``
(a peer column; bench/report.py's target: the peer's time / ours >= 1). Skipped without
scikit-learn. The quick profile runs one epoch (a few seconds with the warm-up calls), the full
profile one and five.
"""
import numpy as np
import pytest

from bench import peers
from bench.conftest import run, sizes
from bench.test_bench_peers import LOG_D, LOG_LR, LOG_N

DTYPE = "float64"
EPOCHS = sizes(quick=[1], full=[1, 5])


@pytest.fixture(scope="module")
def log_data():
    if not peers.have("sklearn"):
        pytest.skip("scikit-learn is not installed (the estimators need it: pip install 'fastoptim[sklearn]')")
    data = peers.log_loss_data(LOG_N, LOG_D, seed=0)
    return np.asarray(data.X), np.asarray(data.y)


@pytest.mark.parametrize("epochs", EPOCHS, ids=lambda e: f"epochs-{e}")
@pytest.mark.parametrize("impl", ["estimator", "sklearn-sgdclassifier"])
def test_classifier_fit(benchmark, log_data, impl, epochs):
    from sklearn.linear_model import SGDClassifier

    from fastoptim import SigmoidClassifier

    X, y = log_data
    labels = dict(family="estimators", kernel=f"sigmoidclassifier/batch-1/epochs-{epochs}", impl=impl, size=LOG_N,
                  dtype=DTYPE, unit="points", count=LOG_N * epochs, d=LOG_D, batch_size=1, optimizer="gd",
                  note="the whole fit: validation, classes, the run; SGDClassifier's only batch size")
    if impl == "estimator":
        def fit():
            return SigmoidClassifier("sgd", lr=LOG_LR, batch_size=1, shuffle=False, tol=None,
                                     max_iter=epochs).fit(X, y)
    else:
        def fit():
            return SGDClassifier(loss="log_loss", penalty=None, learning_rate="constant", eta0=LOG_LR,
                                 shuffle=False, tol=None, max_iter=epochs).fit(X, y)
    estimator = run(benchmark, fit, rounds=3, **labels)
    theta = np.concatenate([np.ravel(estimator.coef_), np.ravel(estimator.intercept_)])
    assert np.all(np.isfinite(theta))
