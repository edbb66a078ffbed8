"""The candidate models and the naive baselines, as scikit-learn estimators.

- `logit`: median imputation, standardisation, L2-penalised logistic regression (models.risk gives
  it the composite and its context only, models.features.context_columns);
- `gbm`: median imputation, histogram gradient boosting (a fixed number of trees, each fitted on
  every training row, a share of the features tried at each split; seeded, run single-threaded by
  models.origins, so the bits do not depend on the cores);
- `naive_last_event`: P(event next year | event this year or not), training frequencies;
- `naive_last_score`: a logistic regression on the composite score alone.

Missing values are filled with medians of the rows a model is fitted on. Candidates are
calibrated (Platt scaling by default) on folds of whole training years, and a fold's model is
fitted once for every origin whose training years include the same years (see `fit`).
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from indicators.model_config import ModelConfig

BASELINES = ("naive_last_event", "naive_last_score")


class FlagRate(ClassifierMixin, BaseEstimator):
    """Event rate given whether the single feature is above zero (Laplace-smoothed with `prior`).

    Examples
    --------
    >>> m = FlagRate().fit(np.array([[0], [0], [2], [1]]), np.array([0, 0, 1, 0]))
    >>> m.predict_proba(np.array([[3.0], [0.0], [np.nan]]))[:, 1].round(3).tolist()
    [0.5, 0.25, 0.333]
    """

    def __init__(self, prior: float = 1.0):
        self.prior = prior

    def fit(self, X, y):
        x, y = np.asarray(X, dtype=float)[:, 0], np.asarray(y, dtype=int)
        on = np.nan_to_num(x) > 0
        a = self.prior
        self.classes_ = np.array([0, 1])
        self.rate_on_ = (y[on].sum() + a) / (on.sum() + 2 * a)
        self.rate_off_ = (y[~on].sum() + a) / ((~on).sum() + 2 * a)
        self.rate_ = (y.sum() + a) / (len(y) + 2 * a)
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        x = np.asarray(X, dtype=float)[:, 0]
        p = np.where(np.isnan(x), self.rate_, np.where(x > 0, self.rate_on_, self.rate_off_))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def medians(X: np.ndarray) -> np.ndarray:
    """Column medians ignoring NaN; 0 for a column without values.

    Examples
    --------
    >>> medians(np.array([[1.0, np.nan], [3.0, np.nan], [np.nan, np.nan]])).tolist()
    [2.0, 0.0]
    """
    out = np.zeros(X.shape[1])
    have = ~np.isnan(X).all(axis=0) if len(X) else out.astype(bool)
    if have.any():  # columns without values are left out: nanmedian would warn, and warnings are not thread-safe
        out[have] = np.nan_to_num(np.nanmedian(X[:, have], axis=0))
    return out


class MedianImputer(TransformerMixin, BaseEstimator):
    """Fills NaN with the column medians of the rows it was fitted on (0 for a column without
    values): what SimpleImputer(strategy="median", keep_empty_features=True) gives, to the bit,
    without its masked-array sort.

    Examples
    --------
    >>> MedianImputer().fit(np.array([[1.0], [3.0], [np.nan]])).transform(np.array([[np.nan], [5.0]])).tolist()
    [[2.0], [5.0]]
    """

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=float)
        self.statistics_ = medians(X)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = np.asarray(X, dtype=float)
        return np.where(np.isnan(X), self.statistics_, X)


class ColumnMajor(TransformerMixin, BaseEstimator):
    """The rows in column-major (Fortran) order, the same values: histogram boosting predicts tree
    by tree, reading one column at a time, several times faster from columns stored contiguously.

    Examples
    --------
    >>> ColumnMajor().fit_transform(np.ones((3, 2))).flags["F_CONTIGUOUS"]
    True
    """

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        check_is_fitted(self)
        return np.asfortranarray(X, dtype=float)


class FoldAverage(ClassifierMixin, BaseEstimator):
    """The mean probability of calibrated models fitted beforehand (one per fold)."""

    def __init__(self, members=()):
        self.members = members

    def fit(self, X=None, y=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        return np.mean([m.predict_proba(X) for m in self.members], axis=0)


class Columns(ClassifierMixin, BaseEstimator):
    """A fitted model of some columns of the feature matrix, predicting from the whole matrix:
    what `EarlyWarning.model` hands out, so that every model takes the card's `features`."""

    def __init__(self, model=None, columns=()):
        self.model, self.columns = model, columns

    def fit(self, X=None, y=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        return self.model.predict_proba(np.asarray(X, dtype=float)[:, list(self.columns)])


def base(name: str, cfg: ModelConfig, seed: int):
    """The uncalibrated estimator of a candidate or baseline, median imputation first."""
    if name == "logit":
        return Pipeline([("impute", MedianImputer()), ("scale", StandardScaler()),
                         ("model", LogisticRegression(C=cfg.logit_c, max_iter=5000))])
    if name == "gbm":
        # depth alone bounds a tree (no leaf cap), no early stopping: always gbm_trees trees
        return Pipeline([("impute", MedianImputer()), ("columns", ColumnMajor()), ("model", HistGradientBoostingClassifier(
            max_iter=cfg.gbm_trees, max_depth=cfg.gbm_depth, max_leaf_nodes=None, learning_rate=cfg.gbm_learning_rate,
            max_features=cfg.gbm_max_features, min_samples_leaf=20, early_stopping=False, random_state=seed))])
    if name == "naive_last_event":
        return FlagRate()
    if name == "naive_last_score":
        return Pipeline([("impute", MedianImputer()), ("scale", StandardScaler()), ("model", LogisticRegression())])
    raise ValueError(f"unknown model {name!r}; expected one of logit, gbm, {', '.join(BASELINES)}")


def layout(name: str) -> str:
    """The memory order of the rows a model predicts fastest from: "F" (column-major) for the
    boosting, which reads one column per tree, "C" for the others (whose products with the rows
    may differ in the last bit between the two orders).

    Examples
    --------
    >>> layout("gbm"), layout("logit")
    ('F', 'C')
    """
    return "F" if name == "gbm" else "C"


def fold_plan(name: str, y: np.ndarray, cfg: ModelConfig, years: np.ndarray) -> list[tuple[tuple, np.ndarray]]:
    """The calibration folds `fit` uses: [(key of the fold model: (name, years it fits), held-out
    rows)], empty when the model is fitted on every row (a baseline, or fewer than two usable
    folds). Known before fitting, so the fold models of several origins can be fitted at once.

    Examples
    --------
    >>> y, years = np.array([0, 1, 0, 1, 1, 0, 0, 1] * 3), np.repeat([2021, 2022, 2023], 8)
    >>> [key for key, _ in fold_plan("logit", y, ModelConfig(), years)]
    [('logit', (2021, 2023)), ('logit', (2022,))]
    """
    if name in BASELINES:
        return []
    k = cfg.calibration_folds
    folds = []
    for held in (years % k == f for f in range(k)):
        if all(2 <= y[rows].sum() <= rows.sum() - 2 for rows in (held, ~held)):
            folds.append(((name, tuple(int(v) for v in np.unique(years[~held]))), held))
    return folds if len(folds) >= 2 else []


def fit(name: str, X: np.ndarray, y: np.ndarray, cfg: ModelConfig, seed: int, years: np.ndarray,
        fitted: dict | None = None):
    """A fitted estimator of rows X (of `years`) and outcomes y.

    A baseline is fitted on every row. A candidate is calibrated on folds of whole years: fold k
    holds out the years with year mod `cfg.calibration_folds` == k, fits the model on the other
    years and calibrates it (`cfg.calibration`) on the held-out ones; the probability is the mean
    over the folds. A fold needs two rows of each outcome among the rows it fits and among those
    it holds out; with fewer than two such folds the model is fitted on every row, uncalibrated.

    `fitted` ({(name, years fitted): model}) keeps fold models between calls: at the next origin
    one fold fits the same years as before (the same rows, hence the same model) and is taken
    from there instead of being fitted again.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3)); y = (X[:, 0] + rng.normal(size=400) > 1).astype(int)
    >>> years, kept = np.repeat([2020, 2021, 2022, 2023], 100), {}
    >>> m = fit("logit", X, y, ModelConfig(), 0, years, kept)
    >>> sorted(kept), len(m.members)
    ([('logit', (2020, 2022)), ('logit', (2021, 2023))], 2)
    """
    folds = fold_plan(name, y, cfg, years)
    if not folds:
        return base(name, cfg, seed).fit(X, y)
    fitted = {} if fitted is None else fitted
    members = []
    for key, held in folds:
        if key not in fitted:
            fitted[key] = base(name, cfg, seed).fit(X[~held], y[~held])
        # a frozen model is calibrated on all the held-out rows (the 2 folds only split its predictions)
        cal = CalibratedClassifierCV(FrozenEstimator(fitted[key]), method=cfg.calibration, cv=2, ensemble=False)
        members.append(cal.fit(X[held], y[held]))
    return FoldAverage(members).fit()


def probability(est, X: np.ndarray) -> np.ndarray:
    return est.predict_proba(X)[:, 1]
