"""Outlier treatment against hand-computed values and COINr's rules."""
from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from indicators.errors import MethodError
from rating.treat import boxcox, check_skew_kurt, kurt, log_ct, skew, treat, treat_matrix, winsorise

nan = np.nan


def test_skew_and_kurtosis_by_hand():
    # x = 1, 2, 3, 10: mean 4, deviations -3 -2 -1 6, sums of powers 50, 180, 1394
    x = np.array([1.0, 2.0, nan, 3.0, 10.0])
    assert skew(x) == pytest.approx(2 * 180 / 50 ** 1.5 * math.sqrt(12) / 2)
    assert kurt(x) == pytest.approx((5 * (4 * 1394 / 50 ** 2 - 3) + 6) * 3 / 2)
    assert np.isnan(skew(np.array([1.0, 2.0]))) and np.isnan(kurt(np.array([1.0, 2.0, 3.0])))
    assert np.isnan(skew(np.ones(6))) and np.isnan(kurt(np.ones(6)))
    assert skew(-x) == pytest.approx(-skew(x))


def test_pass_rule_is_skew_or_kurtosis():
    x = np.r_[np.arange(1.0, 21.0), 200.0, 300.0]
    ok, s, k = check_skew_kurt(x)
    assert not ok and s >= 2 and k >= 3.5
    assert check_skew_kurt(x, skew_thresh=s + 0.1)[0]  # skew under its threshold is enough
    assert check_skew_kurt(x, kurt_thresh=k + 0.1)[0]  # so is kurtosis
    assert check_skew_kurt(np.ones(5))[0] is None


def test_winsorise_high_side_one_point_at_a_time():
    x = np.r_[np.arange(1.0, 21.0), 200.0, 300.0, nan]
    y, flags, nwin = winsorise(x)
    assert nwin == 2
    assert_array_equal(y[:-1], np.r_[np.arange(1.0, 21.0), 20.0, 20.0]) and np.isnan(y[-1])
    assert flags.tolist() == [""] * 20 + ["winhi", "winhi", ""]


def test_winsorise_low_side_and_ties_together():
    y, flags, nwin = winsorise(-np.r_[np.arange(1.0, 21.0), 200.0, 300.0])
    assert nwin == 2 and (flags == "winlo").sum() == 2 and y.min() == -20
    # two tied maxima move in one step
    y, flags, nwin = winsorise(np.r_[np.arange(1.0, 21.0), 300.0, 300.0])
    assert nwin == 2 and (y == 20).sum() == 3
    # the limit: ties can take the count past winmax in the last step
    y, flags, nwin = winsorise(np.r_[np.arange(1.0, 21.0), 300.0, 300.0, 300.0], winmax=2)
    assert nwin == 3


def test_treat_falls_back_to_log_of_original_values():
    x = np.r_[np.arange(1.0, 61.0), 1000.0 * np.arange(1, 11)]
    t = treat(x)
    assert t.details["treatment"] == "log_CT" and t.details["n_winsorised"] == 0
    assert t.details["passes_treated"]
    assert_allclose(t.x, np.log(x - 1 + 0.01 * (10000 - 1)))
    assert (t.flags == "log_CT").all()


def test_treat_box_cox_second_step():
    x = np.r_[np.arange(1.0, 61.0), 1000.0 * np.arange(1, 11)]
    t = treat(x, f2="boxcox", lam=0.0)
    assert t.details["treatment"] == "boxcox"
    assert_allclose(t.x, np.log(x - 1 + 1))
    with pytest.raises(MethodError, match="lambda"):
        treat(x, f2="boxcox")


def test_treat_leaves_passing_or_undefined_indicators_alone():
    t = treat(np.arange(10.0))
    assert t.details["treatment"] == "none" and (t.flags == "").all()
    t = treat(np.array([1.0, 1, 1, 1, 1, 1, 1, 1, 10]))  # winsorising makes it constant: undefined
    assert t.details["treatment"] == "none"
    assert_array_equal(t.x, [1, 1, 1, 1, 1, 1, 1, 1, 10])


def test_log_ct_and_boxcox_by_hand():
    assert_allclose(log_ct(np.array([0.0, 1.0, 100.0, nan])), [math.log(1), math.log(2), math.log(101), nan])
    assert_allclose(boxcox(np.array([0.0, 3.0, 8.0]), 0.5), [0, 2, 4])
    assert_allclose(boxcox(np.array([1.0, 2.0]), 2, makepos=False), [0, 1.5])
    assert_allclose(boxcox(np.array([-1.0, 1.0]), 0), [0, math.log(3)])


def test_treat_matrix_records_every_point():
    X = np.c_[np.r_[np.arange(1.0, 21.0), 200.0, 300.0], np.arange(22.0), np.r_[np.arange(1.0, 21.0), -200.0, nan]]
    units = [f"u{i}" for i in range(22)]
    Xt, points, details = treat_matrix(X, ["a", "b", "c"], units)
    assert points.rows() == [("a", "u20", "winhi", 200.0, 20.0), ("a", "u21", "winhi", 300.0, 20.0),
                             ("c", "u20", "winlo", -200.0, 1.0)]
    assert details["treatment"].to_list() == ["winsorise", "none", "winsorise"]
    assert np.isnan(Xt[21, 2])
    Xn, none_points, _ = treat_matrix(X, ["a", "b", "c"], units, "none")
    assert none_points.height == 0 and np.array_equal(Xn, X, equal_nan=True)
    _, _, d = treat_matrix(X, ["a", "b", "c"], units, "winsorise", (1.0,))  # winmax 1: not enough
    assert d["treatment"].to_list()[0] == "log_CT"
    with pytest.raises(MethodError, match="unknown treatment"):
        treat_matrix(X, ["a", "b", "c"], units, "magic")
