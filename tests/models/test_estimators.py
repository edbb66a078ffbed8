"""The estimators' building blocks: the median imputer against scikit-learn's, and occlusion
contributions that skip rows at the medians against predicting every row."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.impute import SimpleImputer

from indicators.errors import FrameworkError
from indicators.framework_load import load_framework
from indicators.model_config import ModelConfig
from models import estimators
from models.origins import contributions


def test_median_imputer_is_simple_imputer_to_the_bit():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(301, 6)).round(2)
    X[rng.random(X.shape) < 0.3] = np.nan
    X[:, 2] = np.nan  # a column without values
    X[:, 3] = np.floor(X[:, 3])  # ties
    T = rng.normal(size=(50, 6))
    T[rng.random(T.shape) < 0.3] = np.nan
    ours, theirs = estimators.MedianImputer().fit(X), SimpleImputer(strategy="median", keep_empty_features=True).fit(X)
    assert np.array_equal(ours.statistics_, theirs.statistics_)
    assert np.array_equal(ours.transform(T), theirs.transform(T))


def world(n_years=4, per_year=150, seed=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_years * per_year, 4))
    X[:, 3] = rng.integers(0, 2, len(X))  # mostly at its median
    X[rng.random(len(X)) < 0.1, 1] = np.nan
    y = (X[:, 0] + X[:, 3] + rng.normal(size=len(X)) > 1).astype(int)
    return X, y, np.repeat(np.arange(2020, 2020 + n_years), per_year)


CFG = ModelConfig(gbm_trees=20)


@pytest.mark.parametrize("name", ["logit", "gbm"])
def test_contributions_are_occlusions_but_skip_rows_at_the_medians_or_missing(name):
    X, y, years = world()
    est = estimators.fit(name, X, y, CFG, 0, years)
    ref = estimators.medians(X)
    T = world(1, 30, seed=6)[0]
    T[:3] = ref  # at the medians: nothing to explain
    groups = [("a", [0]), ("b", [1]), ("c", [2, 3])]
    got = contributions(est, T, ref, groups)

    def logodds(Z):
        p = np.clip(estimators.probability(est, Z), 1e-9, 1 - 1e-9)
        return np.log(p / (1 - p))

    missing = np.isnan(T).any(axis=0)
    assert missing[1] and not missing[[0, 2, 3]].any()
    for g, (_, js) in enumerate(groups):
        Z = T.copy()
        Z[:, js] = ref[js]
        gone = np.isnan(T[:, js]).all(axis=1)  # a missing value explains nothing
        np.testing.assert_allclose(got[:, g], np.where(gone, 0, logodds(T) - logodds(Z)), rtol=0, atol=1e-12)
    assert (got[:3] == 0).all()
    # small blocks, in the layout the model reads fastest: the same numbers to the bit
    assert np.array_equal(contributions(est, T, ref, groups, block_rows=7, order=estimators.layout(name)), got)


@pytest.mark.parametrize("name", ["logit", "gbm"])
def test_a_fold_fitted_at_an_earlier_origin_is_not_fitted_again_and_changes_nothing(name):
    X, y, years = world(5)
    kept = {}
    for t in (2023, 2024, 2025):
        rows = years < t
        shared = estimators.fit(name, X[rows], y[rows], CFG, 0, years[rows], kept)
        alone = estimators.fit(name, X[rows], y[rows], CFG, 0, years[rows])
        assert np.array_equal(shared.predict_proba(X), alone.predict_proba(X))
    # 2023: (2021), (2020, 2022); 2024: (2020, 2022) again and (2021, 2023); 2025: (2021, 2023) again ...
    assert sorted(kept) == [(name, (2020, 2022)), (name, (2020, 2022, 2024)), (name, (2021,)), (name, (2021, 2023))]


def test_too_few_outcomes_for_two_folds_fit_one_uncalibrated_model():
    X, y, years = world()
    y = np.zeros_like(y)
    y[:3] = 1  # three events, all in 2020: no fold holds out two of each outcome elsewhere
    est = estimators.fit("logit", X, y, CFG, 0, years)
    assert not isinstance(est, estimators.FoldAverage) and est.predict_proba(X).shape == (len(X), 2)


def test_gbm_is_histogram_boosting_with_exactly_the_trees_asked():
    X, y, _ = world(n_years=4, per_year=3000)  # 12,000 rows: above 10,000 scikit-learn would stop early by default
    est = estimators.base("gbm", ModelConfig(gbm_trees=7, gbm_depth=2), 0).fit(X, y)
    model = est.named_steps["model"]
    assert type(model).__name__ == "HistGradientBoostingClassifier" and model.n_iter_ == 7
    assert max(p.nodes["depth"].max() for (p,) in model._predictors) == 2


def test_the_boosting_predicts_the_same_from_rows_in_either_memory_order():
    X, y, years = world()
    est = estimators.fit("gbm", X, y, CFG, 0, years)
    T = world(1, 200, seed=7)[0]
    assert np.array_equal(est.predict_proba(T), est.predict_proba(np.asfortranarray(T)))


def test_a_framework_that_still_sets_gbm_subsample_is_told_to_remove_it(tmp_path):
    """Row subsampling went with the exact trees: the key is refused with why, not ignored."""
    src = Path(__file__).parents[2] / "indicators" / "default_framework.toml"
    text = src.read_text(encoding="utf-8")
    assert text.count("\nhold_periods = 0\n") == 1
    bad = tmp_path / "framework.toml"
    bad.write_text(text.replace("\nhold_periods = 0\n", "\nhold_periods = 0\ngbm_subsample = 0.5\n"), encoding="utf-8")
    with pytest.raises(FrameworkError) as err:
        load_framework(bad)
    assert err.value.problems == ["[removed_key] model.gbm_subsample: no longer used: the gradient boosting is "
                                  "histogram-based and fits every tree on all training rows; remove the key"]
