"""scikit-learn estimators of the sigmoid neuron: :class:`SigmoidClassifier` (the log loss,
SPEC §9) and :class:`SigmoidRegressor` (the lecture's squared error, SPEC §1), trained by
``fastoptim.train``.

They are ordinary scikit-learn estimators — ``fit(X, y, sample_weight=None)`` returns the
estimator, ``get_params``/``set_params``, ``clone``, pipelines, grid searches, pickling — and pass
scikit-learn's own ``check_estimator`` suite (``tests/test_estimators.py``). The parameters
carry ``SGDClassifier``'s names where they mean the same thing (``max_iter``, ``tol``,
``shuffle``, ``random_state``, ``early_stopping``, ``validation_fraction``,
``n_iter_no_change``) and fastoptim's where they do not (``optimizer``, ``lr``, ``schedule``,
``per``, ``batch_size``); each class docstring says where the meaning or the default differs.

scikit-learn is optional (``pip install "fastoptim[sklearn]"``): this module imports without it,
and making an estimator then raises an ``ImportError`` that names the extra. ``import
fastoptim`` never imports scikit-learn; ``fastoptim.SigmoidClassifier`` imports this module.

**What a fit is.** ``fit`` is one ``fastoptim.train`` run from θ = 0 (or ``coef_init``,
``intercept_init``) of at most ``max_iter`` epochs, kept in ``run_`` (a ``fastoptim.Run``: the
record, the optimizer's state, why it stopped). ``partial_fit`` runs one more epoch of that run
with ``train(..., resume=run_)``: the optimizer's state, the schedule's counter, the shuffle
generator and the early-stopping tracker continue, so ``k`` calls of ``partial_fit`` on the same
data are ``fit`` with ``max_iter=k``, bit for bit. Each call may bring new data (the streaming
use of ``partial_fit``), converted to the run's dtype.

**Each step** is the batch's weighted mean gradient ``Σ s_i ∇ℓ_i / Σ s_i`` (SPEC §9,
``reduction="mean"``): the learning rate does not depend on the batch size, and in full-batch
mode (``batch_size=None``, or larger than the data) a sample weight of 2 is exactly the point
written twice. At ``batch_size=1`` the mean over one point would cancel its weight, so there the
step is ``s_i ∇ℓ_i`` (``reduction="sum"``; without weights the two are the same bits): the
update of ``SGDClassifier``, whose ``sample_weight`` multiplies each point's step. Points of
weight 0 are left out of the data (a weight of 0 is the point removed). With mini-batches, as
with ``SGDClassifier``, a weight equals repeating the point only on average.
"""
from __future__ import annotations

import dataclasses
import numbers
import warnings

import numpy as np

from . import _checks

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
except ImportError as error:  # scikit-learn is optional: the estimators say what is missing
    _SKLEARN_MISSING = error

    class BaseEstimator:
        """Stands in for scikit-learn's ``BaseEstimator`` when it is not installed: making an
        estimator raises an ImportError naming the extra."""

        def __new__(cls, *args, **kwargs):
            raise ImportError(f"fastoptim.{cls.__name__} needs scikit-learn, which is not installed: "
                              f"pip install 'fastoptim[sklearn]'") from _SKLEARN_MISSING

    class ClassifierMixin:  # noqa: D101 - placeholders, never instantiated
        pass

    class RegressorMixin:  # noqa: D101
        pass
else:
    _SKLEARN_MISSING = None

__all__ = ["SigmoidClassifier", "SigmoidRegressor", "OPTIMIZER_NAMES", "optimizer_from"]


def _optimizer_names():
    from .optimizers import GD, OPTIMIZERS

    return {"sgd": GD, **{name.lower(): cls for name, cls in OPTIMIZERS.items()}}


#: The ``optimizer`` names an estimator takes (any case): fastoptim's optimizer classes by their
#: names in lower case (``"gd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``, ``"rmsprop"``,
#: ``"adadelta"``, ``"adam"``, ``"adamax"``, ``"nadam"``, ``"amsgrad"``, ``"radam"``, ``"adamp"``,
#: ``"adamw"``, ``"nadamw"``, ``"rmspropw"``, ``"adagradw"``), and ``"sgd"`` for ``GD`` (the step
#: rule of stochastic GD; the batch size says which points each step sees).
OPTIMIZER_NAMES = ("sgd", "gd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamax",
                   "nadam", "amsgrad", "radam", "adamp", "adamw", "nadamw", "rmspropw", "adagradw")


def optimizer_from(optimizer, lr=None):
    """The fastoptim optimizer an estimator's ``optimizer`` and ``lr`` describe: a name of
    :data:`OPTIMIZER_NAMES` (its class with ``lr``, or its own default ``lr`` when ``lr`` is None),
    or an optimizer instance (as it is, or with ``lr`` in place of its own)."""
    from .optimizers import Optimizer

    if lr is not None and not (_checks.is_real(lr) or callable(lr)):
        raise _checks.wrong_type("lr", lr, "must be None (the optimizer's default), a number >= 0 or a schedule")
    if isinstance(optimizer, Optimizer):
        return optimizer if lr is None else dataclasses.replace(optimizer, lr=lr)
    if isinstance(optimizer, str):
        names = _optimizer_names()
        cls = names.get(optimizer.lower())
        if cls is not None:
            return cls() if lr is None else cls(lr=lr)
    raise _checks.invalid("optimizer", optimizer, f"must be a fastoptim optimizer such as fastoptim.Adam(), or one of "
                                                  f"{', '.join(map(repr, OPTIMIZER_NAMES))}")


def _seed(random_state):
    """The seed of ``fastoptim.train`` for ``random_state``: an int ``>= 0`` as it is; None or a
    ``numpy.random.RandomState`` draws one (scikit-learn's rule: None is fresh randomness)."""
    from sklearn.utils import check_random_state

    if _checks.is_integer(random_state):
        return _checks.positive_int("random_state", random_state, minimum=0)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


class _SigmoidNeuron(BaseEstimator):
    """What both estimators share: parameters, the run, fit and partial_fit."""

    #: fastoptim's loss of the estimator ("log" or "squared").
    _loss = None

    def __init__(self, optimizer="adam", *, lr=None, schedule=None, per="step", batch_size=200, max_iter=1000,
                 tol=1e-4, shuffle=True, random_state=None, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5):
        self.optimizer = optimizer
        self.lr = lr
        self.schedule = schedule
        self.per = per
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change

    # --- scikit-learn's protocol -------------------------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False  # refused with scikit-learn's own TypeError ("Sparse data was passed")
        return tags

    # --- fit -----------------------------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None, coef_init=None, intercept_init=None):
        """Train from θ = 0 (or ``coef_init``, ``intercept_init``) for at most ``max_iter`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Dense (sparse matrices are refused).
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Weights ``>= 0``, not all zero (see the module docstring for how a step uses them).
        coef_init : array-like of shape (n_features,) or (1, n_features), optional
        intercept_init : float or array-like of shape (1,), optional

        Returns
        -------
        self
        """
        X, y = self._validate(X, y, reset=True)
        y01 = self._targets(y, fitting=True)
        init = self._init(coef_init, intercept_init, X.shape[1])
        run, epochs, totals = self._train(X, y01, sample_weight, self.max_iter, init=init, previous=None, seed=None)
        self._keep(run, epochs, totals)
        if self._stops() and run.stopped is None and epochs == self.max_iter:
            from sklearn.exceptions import ConvergenceWarning

            warnings.warn(f"{type(self).__name__} ran all max_iter={self.max_iter} epochs without meeting its "
                          f"stopping criterion (tol={self.tol}); raise max_iter or tol, or change the learning rate",
                          ConvergenceWarning, stacklevel=2)
        return self

    def _partial_fit(self, X, y, sample_weight, classes=None):
        first = not hasattr(self, "run_")
        X, y = self._validate(X, y, reset=first)
        if self._loss == "log":
            self._partial_classes(classes, y, first)
        y01 = self._targets(y, fitting=False)
        if first:
            run, epochs, totals = self._train(X, y01, sample_weight, 1, init=np.zeros(X.shape[1] + 1),
                                              previous=None, seed=None)
            self._keep(run, epochs, totals)
        else:
            run, epochs, totals = self._train(X, y01, sample_weight, 1, init=None, previous=self.run_,
                                              seed=self.run_.settings["seed"])
            self._keep(run, epochs, totals, self._totals)
        return self

    def _stops(self):
        return self.tol is not None or self.early_stopping

    def _validate(self, X, y, reset):
        from sklearn.utils.validation import validate_data

        if self._loss == "log":
            X, y = validate_data(self, X, y, reset=reset, accept_sparse=False, dtype="numeric")
        else:
            X, y = validate_data(self, X, y, reset=reset, accept_sparse=False, dtype="numeric", y_numeric=True)
        if not reset and hasattr(self, "run_"):
            X = X.astype(self.run_.theta.dtype, copy=False)  # the run's dtype (decided by its first data)
        return X, y

    def _init(self, coef_init, intercept_init, d):
        init = np.zeros(d + 1)
        if coef_init is not None:
            coef = np.asarray(coef_init, dtype=np.float64).reshape(-1)
            if coef.size != d:
                raise _checks.invalid("coef_init", coef_init, f"must hold n_features = {d} numbers")
            init[:-1] = coef
        if intercept_init is not None:
            intercept = np.asarray(intercept_init, dtype=np.float64).reshape(-1)
            if intercept.size != 1:
                raise _checks.invalid("intercept_init", intercept_init, "must be one number")
            init[-1] = intercept[0]
        return init

    def _check_parameters(self):
        """The parameters that ``fastoptim.train`` does not check itself, checked at fit time
        (scikit-learn's rule: ``__init__`` only stores them)."""
        max_iter = _checks.positive_int("max_iter", self.max_iter, minimum=1)
        if self.batch_size is not None:
            _checks.positive_int("batch_size", self.batch_size, minimum=1)
        tol = None
        if self.tol is not None:
            tol = _checks.real("tol", self.tol)
            if tol < 0:
                raise _checks.invalid("tol", self.tol, "must be None or a number >= 0")
        early = _checks.flag("early_stopping", self.early_stopping)
        patience = _checks.positive_int("n_iter_no_change", self.n_iter_no_change, minimum=1)
        fraction = None
        if early:
            fraction = _checks.real("validation_fraction", self.validation_fraction)
            if not 0.0 < fraction < 1.0:
                raise _checks.invalid("validation_fraction", self.validation_fraction, "must be in (0, 1)")
        return max_iter, tol, early, patience, fraction

    def _datasets(self, X, y01, sample_weight, seed, early, fraction):
        """The training and validation ``Dataset`` (zero weights left out; the split as
        ``Dataset.split`` draws it from ``seed``)."""
        from sklearn.utils.validation import _check_sample_weight

        from .data import Dataset

        weights = None
        if sample_weight is not None:
            weights = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
            kept = weights > 0
            if not kept.all():
                X, y01, weights = X[kept], y01[kept], weights[kept]
        names = getattr(self, "feature_names_in_", None)
        data = Dataset(X, y01, weights, feature_names=None if names is None else [str(n) for n in names])
        if not early:
            return data, None
        return data.split(fraction, seed)

    def _train(self, X, y01, sample_weight, epochs, *, init, previous, seed):
        """One ``fastoptim.train`` call: a new run from ``init``, or ``previous`` continued (on
        this call's data); returns the run, the epochs this call ran (those after a restored best
        epoch included) and the totals ``(training, validation)`` that turn the run's losses into
        means (1 for the mean reduction)."""
        from .callbacks import EarlyStopping
        from .plan import describe_data
        from .training import train

        max_iter, tol, early, patience, fraction = self._check_parameters()
        optimizer = optimizer_from(self.optimizer, self.lr)
        seed = _seed(self.random_state) if seed is None else seed
        data, validation = self._datasets(X, y01, sample_weight, seed, early, fraction)
        summed = self.batch_size == 1  # each step s_i ∇ℓ_i (the module docstring)
        totals = (1.0, 1.0)
        if summed:
            totals = tuple(1.0 if part is None else float(part.n) if part.weights is None else
                           float(np.sum(part.weights, dtype=np.float64)) for part in (data, validation))
        stopping = None
        if early or tol is not None:
            # tol is in units of the mean loss: with the sum, of the monitored Σ s ℓ over its total weight
            stopping = EarlyStopping(patience=patience, min_delta=(tol or 0.0) * totals[1 if early else 0],
                                     monitor="validation" if early else "loss", restore_best=early)
        resume = None
        if previous is not None:
            resume = self._continued(previous, data, validation, stopping, summed)
            init = np.zeros(data.d + 1)
        before = 0 if previous is None else previous.epochs
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="the run diverged", category=RuntimeWarning)
            try:
                run = train(data, optimizer, epochs=epochs, batch_size=self.batch_size, init=init, loss=self._loss,
                            reduction="sum" if summed else "mean", schedule=self.schedule, per=self.per,
                            shuffle=self.shuffle, seed=seed, validation=validation, early_stopping=stopping,
                            resume=resume)
            except _checks.InvalidValue as error:
                if error.argument != "resume":
                    raise
                raise ValueError(f"partial_fit continues the run of the previous fit or partial_fit call, whose "
                                 f"settings it must repeat (call fit to start again with new parameters): "
                                 f"{error}") from error
        if run.diverged is not None:
            raise ValueError(f"{type(self).__name__}: the run diverged at epoch {run.diverged['epoch']} (the gradient, "
                             f"the parameters or the optimizer's state became non-finite); scale the inputs "
                             f"(e.g. with StandardScaler) or lower the learning rate")
        ran = run.epochs - before
        if run.stopped is not None and run.stopped.get("restored"):
            ran = run.stopped["epoch"] + 1 - before
        return run, ran, totals

    def _continued(self, previous, data, validation, stopping, summed):
        """``previous`` as ``train(resume=)`` continues it on this call's data: the data's
        description (and, with the sum, the early-stopping threshold scaled by the data's total
        weight) replaced; every other setting must match, as ``resume=`` checks."""
        from .plan import describe_data

        settings = dict(previous.settings)
        settings["data"] = describe_data(data)
        settings["validation"] = None if validation is None else describe_data(validation)
        if summed and stopping is not None and settings.get("early_stopping") is not None:
            settings["early_stopping"] = stopping.configuration()
        return dataclasses.replace(previous, settings=settings)

    def _keep(self, run, ran, totals, previous_totals=None):
        """The fitted attributes of ``run``; ``totals`` of this call's epochs, after those of the
        epochs before (``previous_totals``, one row an epoch)."""
        rows = np.tile(np.asarray(totals, dtype=np.float64), (max(ran, 0), 1))
        if previous_totals is not None:
            rows = np.concatenate([previous_totals, rows])
        rows = rows[:run.epochs]
        theta = run.theta
        self.run_ = run
        self.coef_ = self._coef(theta[:-1].copy())
        self.intercept_ = theta[-1:].copy()
        self.n_iter_ = int(ran)
        self.loss_curve_ = np.asarray(run.loss, dtype=np.float64) / rows[:, 0]
        self.validation_loss_curve_ = (None if run.validation_loss is None else
                                       np.asarray(run.validation_loss, dtype=np.float64) / rows[:, 1])
        self.stopped_ = run.stopped
        self._totals = rows

    # --- predictions -----------------------------------------------------------------------------------

    def _decision(self, X):
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse=False, dtype="numeric")
        theta = self.run_.theta.astype(np.float64)
        return np.asarray(X, dtype=np.float64) @ theta[:-1] + theta[-1]


def _sigmoid(z):
    from .model import sigmoid

    return sigmoid(np.ascontiguousarray(z, dtype=np.float64))


_PARAMETERS = """
    Parameters
    ----------
    optimizer : str or fastoptim.Optimizer, default="adam"
        The update rule: a name of ``fastoptim.estimators.OPTIMIZER_NAMES`` (``"sgd"`` or
        ``"gd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``, ``"rmsprop"``, ``"adadelta"``,
        ``"adam"``, ``"adamax"``, ``"nadam"``, ``"amsgrad"``, ``"radam"``, ``"adamp"``,
        ``"adamw"`` …, any case) with its SPEC defaults, or an instance such as
        ``fastoptim.Adam(lr=0.01, betas=(0.9, 0.99))``. ``SGDClassifier`` has no such parameter:
        it is always plain SGD (``"sgd"`` with ``batch_size=1``).
    lr : float, schedule or None, default=None
        The optimizer's learning rate η; None keeps the optimizer's own (``"sgd"``: 0.01,
        ``"adam"``: 1e-3, ``"adadelta"``: 1, as SPEC §3 lists them; an instance's ``lr``). With
        ``optimizer="sgd"`` and no ``schedule`` it is ``SGDClassifier``'s ``eta0`` under
        ``learning_rate="constant"``; for other rules it is their step size (Adam's α).
    schedule : callable or None, default=None
        A learning-rate schedule (``fastoptim.schedules.cosine(...)``, any function of the
        counter) in place of ``lr``, counting steps or epochs as ``per`` says. It plays the part of
        ``SGDClassifier``'s ``learning_rate`` (a name there, a function here).
    per : {"step", "epoch"}, default="step"
        What ``schedule`` counts, from 0 (``fastoptim.train``'s ``per``).
    batch_size : int or None, default=200
        Points per step: 1 is stochastic GD (``SGDClassifier``'s only mode), ``B`` mini-batches
        of ``B`` (the last, shorter one kept), None (or ``B >= n_samples``) one full-batch step per
        epoch. The default is ``MLPClassifier``'s ``"auto"``, ``min(200, n_samples)``.
    max_iter : int, default=1000
        The maximum number of epochs (passes over the training data), as in ``SGDClassifier``:
        fewer when ``tol`` or ``early_stopping`` stop the run. Only ``fit`` uses it;
        ``partial_fit`` runs one epoch.
    tol : float or None, default=1e-4
        The stopping criterion, in units of the mean loss (``loss_curve_``): the run stops after
        ``n_iter_no_change`` epochs in a row without an improvement of the monitored loss by more
        than ``tol`` on the best so far (``fastoptim.EarlyStopping``'s rule, Keras'), which is the
        training loss, or with ``early_stopping`` the validation loss. None: no criterion on the
        training loss (all ``max_iter`` epochs), and a criterion of ``tol = 0`` with
        ``early_stopping``. ``SGDClassifier`` (default 1e-3) counts an epoch without improvement
        against the last best even when it improved by less than ``tol``, and with
        ``early_stopping`` watches the validation *score* (accuracy, R²); ``tol=None`` there
        never stops.
    shuffle : bool, default=True
        Visit the points in a new permutation every epoch (``numpy.random.default_rng(seed)``).
    random_state : int, RandomState instance or None, default=None
        The seed of the shuffles and of the validation split: an int ``>= 0`` is
        ``fastoptim.train``'s ``seed`` itself; None or a ``RandomState`` draw one per ``fit``
        (``partial_fit`` keeps the run's).
    early_stopping : bool, default=False
        Set ``validation_fraction`` of the training data aside (a random split, not stratified as
        ``SGDClassifier``'s) and stop when its loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs; the model is then the one after the best epoch
        (``fastoptim.EarlyStopping(restore_best=True)``, as ``MLPClassifier`` keeps its best
        validated coefficients; ``SGDClassifier`` keeps the last). Without it, ``tol`` stops on
        the training loss and the last epoch's model is kept.
    validation_fraction : float, default=0.1
        The fraction of the training data set aside with ``early_stopping``, in (0, 1).
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping (``fastoptim.EarlyStopping``'s ``patience``):
        the run stops exactly ``n_iter_no_change`` epochs after its best one.

    Attributes
    ----------
    coef_, intercept_ : ndarray
        ``w`` and ``b`` of ``f(x) = σ(w·x + b)``, in the data's dtype (float32 data trains in
        float32).
    n_iter_ : int
        Epochs run by the last ``fit`` (up to ``max_iter``) or ``partial_fit`` (1) call,
        counting those after a restored best epoch.
    loss_curve_ : ndarray
        The mean training loss (weighted) after each epoch of the run, including earlier
        ``partial_fit`` calls; with ``early_stopping``, up to the restored best epoch.
    validation_loss_curve_ : ndarray or None
        The mean validation loss after each epoch, with ``early_stopping``.
    stopped_ : dict or None
        Why the run stopped before ``max_iter`` (``fastoptim.Run.stopped``: ``"reason"``,
        ``"epoch"``, ``"best_epoch"``, ``"message"`` …), or None.
    run_ : fastoptim.Run
        The whole run: record, optimizer state, settings; ``partial_fit`` continues it.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When ``X`` has column names (a data frame).
"""


#: Target types a classifier takes (``sklearn.utils.multiclass.check_classification_targets``'s).
_CLASSIFICATION_TARGETS = ("binary", "multiclass", "multiclass-multioutput", "multilabel-indicator",
                           "multilabel-sequences")


class SigmoidClassifier(ClassifierMixin, _SigmoidNeuron):
    __doc__ = ("""Binary classification by the sigmoid neuron ``f(x) = σ(w·x + b)`` trained on the log
    loss ``−y log f − (1 − y) log(1 − f)`` (SPEC §9): logistic regression without a penalty,
    by any fastoptim optimizer.

    Labels are any two values (numbers, strings, booleans): ``classes_`` holds them sorted, and
    the second is the positive class (``y = 1``, ``f`` its probability). More than two raise
    ``ValueError("Only binary classification is supported. …")``. ``predict`` returns labels
    (the positive one where ``w·x + b > 0``), ``predict_proba`` the columns ``[1 − f, f]``,
    ``decision_function`` ``z = w·x + b``.

    **The same algorithm as SGDClassifier.** ``SigmoidClassifier(optimizer="sgd", lr=η,
    batch_size=1, shuffle=False, tol=None, max_iter=E)`` and ``SGDClassifier(loss="log_loss",
    penalty=None, learning_rate="constant", eta0=η, shuffle=False, tol=None, max_iter=E)``
    (``C=np.inf`` has no SGD counterpart) make the same updates: for each point in order,
    ``θ ← θ − η s_i (f_i − y_i) [x_i, 1]`` with θ = 0 at the start. scikit-learn maps the labels
    to ``y± = ±1`` and computes ``dloss = −y± / (1 + e^{y± z})``, which is ``f − y`` for
    ``y = (1 + y±)/2`` (``σ(z) − 1`` for ``y± = 1``, ``σ(z)`` for ``y± = −1``); its update
    ``w += −η · dloss · s_i · x`` with no penalty leaves ``w``'s scale at 1, and the intercept
    takes ``−η · dloss · s_i`` times ``intercept_decay``, which is 1 for dense input (0.01 only
    for sparse input, refused here). ``learning_rate="constant"`` is ``η`` at every step. Here
    the step at ``batch_size=1`` is the one point's gradient times its weight (reduction
    ``"sum"``; without weights it is also the mean). What differs is rounding: libm's ``exp``
    against the kernels' own, another algebraic form of ``f − y``, and scikit-learn's shortcut
    ``dloss = −y±`` (or ``−y± e^{−y± z}``) where ``|z| > 18``: ``tests/test_estimators.py``
    measures the coefficients' agreement.
""" + _PARAMETERS + """
    classes_ : ndarray of shape (2,)
        The two labels, sorted; ``classes_[1]`` is the positive class.
    coef_ : ndarray of shape (1, n_features)
    intercept_ : ndarray of shape (1,)

    Examples
    --------
    >>> from fastoptim import SigmoidClassifier
    >>> model = SigmoidClassifier(optimizer="adam", lr=0.05, random_state=0).fit(X, y)   # doctest: +SKIP
    >>> model.predict_proba(X[:3]), model.score(X, y), model.n_iter_                    # doctest: +SKIP
    """)

    _loss = "log"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # binary only: multiclass y raises the error the checks expect
        return tags

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One more epoch of the run on ``X, y`` (the first call starts it from θ = 0).

        ``classes`` (the two labels) is required on the first call, as in scikit-learn, and may
        be repeated later. The run continues bit for bit (optimizer state, schedule counter,
        shuffle generator, early-stopping tracker): ``k`` calls on the same data are ``fit`` with
        ``max_iter=k``. ``max_iter`` is not used; ``tol`` and ``early_stopping`` are, as in a
        ``fit`` of that many epochs.

        Returns
        -------
        self
        """
        return self._partial_fit(X, y, sample_weight, classes=classes)

    def _targets(self, y, fitting):
        from sklearn.utils.multiclass import type_of_target

        kind = type_of_target(y, input_name="y", raise_unknown=True)
        if kind not in _CLASSIFICATION_TARGETS:  # check_classification_targets' test and message, one pass fewer
            raise ValueError(f"Unknown label type: {kind}. Maybe you are trying to fit a classifier, which expects "
                             f"discrete classes on a regression target with continuous values.")
        if fitting:
            if kind != "binary":
                raise ValueError(f"Only binary classification is supported. The type of the target is {kind}.")
            classes = np.unique(y)
            if classes.size < 2:
                raise ValueError(f"{type(self).__name__} needs samples of 2 classes, the data has one class only: "
                                 f"{classes[0]!r}")
            self.classes_ = classes
        else:
            known = np.isin(y, self.classes_)
            if not known.all():
                raise ValueError(f"y holds labels that are not in classes_ {self.classes_.tolist()}: "
                                 f"{np.unique(np.asarray(y)[~known]).tolist()}")
        return (y == self.classes_[1]).astype(np.float64)

    def _partial_classes(self, classes, y, first):
        if classes is None:
            if first:
                raise ValueError("classes must be passed on the first call to partial_fit (the two labels)")
            return
        classes = np.unique(np.asarray(classes))
        if not first:
            if not np.array_equal(classes, self.classes_):
                raise ValueError(f"classes={classes.tolist()} is not the same as on the first call to partial_fit, "
                                 f"was: {self.classes_.tolist()}")
            return
        if classes.size != 2:
            raise ValueError(f"Only binary classification is supported: classes must hold two labels, got "
                             f"{classes.tolist()}")
        self.classes_ = classes

    def _coef(self, w):
        return w.reshape(1, -1)

    def decision_function(self, X):
        """``z = w·x + b`` for every row of ``X`` (float64, shape (n_samples,)): the log-odds of
        ``classes_[1]``."""
        return self._decision(X)

    def predict_proba(self, X):
        """``[1 − f, f]`` for every row of ``X``, ``f = σ(z)`` the probability of ``classes_[1]``
        (float64, shape (n_samples, 2); ``1 − f`` computed as ``σ(−z)``, exact near 1)."""
        z = self._decision(X)
        return np.column_stack([_sigmoid(-z), _sigmoid(z)])

    def predict_log_proba(self, X):
        """``[log(1 − f), log f]``, computed stably from ``z`` (``log f = −softplus(−z)``, SPEC §9)."""
        z = self._decision(X)
        return np.column_stack([-np.logaddexp(0.0, z), -np.logaddexp(0.0, -z)])

    def predict(self, X):
        """The label of every row of ``X``: ``classes_[1]`` where ``z > 0`` (``f > 0.5``), else
        ``classes_[0]``."""
        positive = self._decision(X) > 0  # (first: an unfitted estimator raises NotFittedError)
        return self.classes_[positive.astype(np.intp)]


class SigmoidRegressor(RegressorMixin, _SigmoidNeuron):
    __doc__ = ("""Regression by the sigmoid neuron ``f(x) = σ(w·x + b)`` on the lecture's squared error
    ``½ (f − y)²`` (SPEC §1): targets in [0, 1] (proportions, probabilities, the lecture's
    ``y``); ``predict`` returns ``f``.

    Targets outside [0, 1] are accepted (the squared error is defined for any ``y``), but ``f``
    cannot reach them: the estimator declares scikit-learn's ``poor_score`` tag, since the
    check suite fits standardized targets. ``SGDRegressor`` fits the *linear* model ``w·x + b``
    instead; no scikit-learn estimator fits this one.
""" + _PARAMETERS + """
    coef_ : ndarray of shape (n_features,)
    intercept_ : ndarray of shape (1,)
    """)

    _loss = "squared"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True  # σ ∈ (0, 1): the checks' standardized targets are out of reach
        return tags

    def partial_fit(self, X, y, sample_weight=None):
        """One more epoch of the run on ``X, y`` (the first call starts it from θ = 0); the run
        continues bit for bit: ``k`` calls on the same data are ``fit`` with ``max_iter=k``.

        Returns
        -------
        self
        """
        return self._partial_fit(X, y, sample_weight)

    def _targets(self, y, fitting):
        return np.asarray(y, dtype=np.float64)

    def _coef(self, w):
        return w

    def predict(self, X):
        """``f = σ(w·x + b)`` for every row of ``X`` (float64, shape (n_samples,))."""
        return _sigmoid(self._decision(X))
