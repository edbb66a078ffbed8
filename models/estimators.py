"""The candidate models and the naive baselines, as scikit-learn estimators.

- `logit`: median imputation, standardisation, L2-penalised logistic regression;
- `gbm`: median imputation, gradient boosting (exact trees, single-threaded, seeded);
- `naive_last_event`: P(event next year | event this year or not), training frequencies;
- `naive_last_score`: a logistic regression on the composite score alone.

Candidates are calibrated by cross-validation inside their training years (Platt scaling by
default); missing values are filled with medians of the training years only.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from models.config import ModelConfig

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


def _impute() -> SimpleImputer:
    return SimpleImputer(strategy="median", keep_empty_features=True)


def base(name: str, cfg: ModelConfig, seed: int):
    """The uncalibrated estimator of a candidate or baseline."""
    if name == "logit":
        return Pipeline([("impute", _impute()), ("scale", StandardScaler()),
                         ("model", LogisticRegression(C=cfg.logit_c, max_iter=5000))])
    if name == "gbm":
        return Pipeline([("impute", _impute()), ("model", GradientBoostingClassifier(
            n_estimators=cfg.gbm_trees, max_depth=cfg.gbm_depth, learning_rate=cfg.gbm_learning_rate,
            subsample=cfg.gbm_subsample, max_features=cfg.gbm_max_features, min_samples_leaf=20,
            random_state=seed))])
    if name == "naive_last_event":
        return FlagRate()
    if name == "naive_last_score":
        return Pipeline([("impute", _impute()), ("scale", StandardScaler()), ("model", LogisticRegression())])
    raise ValueError(f"unknown model {name!r}; expected one of logit, gbm, {', '.join(BASELINES)}")


def fit(name: str, X: np.ndarray, y: np.ndarray, cfg: ModelConfig, seed: int):
    """A fitted estimator; candidates are calibrated with `cfg.calibration_folds` stratified folds
    in row order (fewer when there are fewer events; none below two)."""
    est = base(name, cfg, seed)
    folds = min(cfg.calibration_folds, int(y.sum()), int(len(y) - y.sum()))
    if name in BASELINES or folds < 2:
        return est.fit(X, y)
    cal = CalibratedClassifierCV(est, method=cfg.calibration, cv=StratifiedKFold(n_splits=folds))
    return cal.fit(X, y)


def probability(est, X: np.ndarray) -> np.ndarray:
    return est.predict_proba(X)[:, 1]
