"""Imputation against hand-computed values; every imputed cell flagged."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from indicators.errors import MethodError
from rating.impute import impute, impute_column, impute_group, impute_panel

nan = np.nan
X = np.array([[1.0, nan, -2.0], [3.0, 4.0, nan], [nan, 6.0, nan], [8.0, nan, nan]])


def test_none_changes_nothing():
    Xi, flags = impute(X, "none")
    assert np.array_equal(Xi, X, equal_nan=True) and not flags.any()


def test_column_mean_and_median():
    Xi, flags = impute_column(X, "mean")
    assert_allclose(Xi, [[1, 5, -2], [3, 4, -2], [4, 6, -2], [8, 5, -2]])
    assert_array_equal(flags, np.isnan(X))
    Xi, _ = impute(X, "median")
    assert_allclose(Xi[2, 0], 3) and assert_allclose(Xi[0, 1], 5)
    Xi, flags = impute(np.array([[nan], [nan]]), "mean")  # nothing to fill from
    assert np.isnan(Xi).all() and not flags.any()


def test_group_mean_and_median():
    G = np.array([[1.0], [3.0], [nan], [10.0], [nan], [nan], [4.0], [8.0], [nan]])
    groups = ["a", "a", "a", "b", "b", None, "c", "c", "c"]
    Xi, flags = impute_group(G, groups, "mean")
    assert_allclose(Xi[:, 0], [1, 3, 2, 10, 10, nan, 4, 8, 6])
    assert flags[:, 0].tolist() == [False, False, True, False, True, False, False, False, True]
    Xi, _ = impute(np.array([[1.0], [2.0], [9.0], [nan]]), "group-median", groups=["a"] * 4)
    assert Xi[3, 0] == 2
    with pytest.raises(MethodError, match="unit-group column"):
        impute(G, "group-mean")
    with pytest.raises(MethodError, match="group labels"):
        impute_group(G, ["a"])


def test_panel_locf_and_linear():
    P = np.array([[1.0, nan], [nan, 2.0], [3.0, nan], [nan, nan], [nan, 1.0], [5.0, nan]])
    units = ["a", "a", "a", "a", "b", "b"]
    times = [2019, 2020, 2022, 2023, 2019, 2020]
    Xi, flags = impute_panel(P, units, times, "locf")
    assert_allclose(Xi, [[1, nan], [1, 2], [3, 2], [3, 2], [nan, 1], [5, 1]])
    assert flags.sum() == 5
    Xi, flags = impute_panel(P, units, times, "linear")
    assert_allclose(Xi, [[1, nan], [1 + 2 / 3, 2], [3, nan], [nan, nan], [nan, 1], [5, nan]])
    assert flags.sum() == 1
    # rows need not be sorted by time
    order = [5, 2, 0, 4, 3, 1]
    Xs, _ = impute_panel(P[order], [units[i] for i in order], [times[i] for i in order], "locf")
    assert_allclose(Xs, impute_panel(P, units, times, "locf")[0][order])
    with pytest.raises(MethodError, match="units and time points"):
        impute(P, "locf")


def test_unknown_method():
    with pytest.raises(MethodError, match="unknown imputation"):
        impute(X, "magic")
