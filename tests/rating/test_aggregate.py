"""Aggregation methods and ranks against hand-computed values, plus property tests."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from indicators.errors import MethodError
from rating.aggregate import AGGREGATORS, WHOLE_TABLE, aggregate, availability
from rating.ranks import rank, rank_series

nan = np.nan


def agg(X, w, method="arithmetic", params=(), **kw):
    return aggregate(np.array(X, dtype=float), np.array(w, dtype=float), method, params, **kw)


def test_arithmetic_renormalises_over_available_children():
    assert_allclose(agg([[1, 3], [2, nan], [nan, nan]], [1, 3]), [2.5, 2, nan])
    assert_allclose(agg([[-4, 2]], [1, 1]), [-1])


def test_geometric():
    assert_allclose(agg([[1, 100], [4, nan]], [1, 1], "geometric"), [10, 4])
    assert_allclose(agg([[2, 16]], [3, 1], "geometric"), [2 ** 0.75 * 16 ** 0.25])
    for bad in ([[0, 1]], [[-1, 4]]):
        with pytest.raises(MethodError, match="geometric mean needs positive values.*minmax:1,100"):
            agg(bad, [1, 1], "geometric")


def test_harmonic():
    assert_allclose(agg([[1, 4]], [1, 1], "harmonic"), [1.6])
    assert_allclose(agg([[1, 4], [nan, 5]], [1, 3], "harmonic"), [4 / (1 + 3 / 4), 5])
    with pytest.raises(MethodError, match="harmonic mean needs positive"):
        agg([[0, 4]], [1, 1], "harmonic")
    with pytest.raises(MethodError, match="harmonic"):
        agg([[-2, 4]], [1, 1], "harmonic")


def test_generalised():
    X = [[1, 7], [2, nan]]
    assert_allclose(agg(X, [1, 1], "generalised", (2,)), [5, 2])
    assert_allclose(agg([[1, 7]], [1, 3], "generalised", (2,)), [math.sqrt((1 + 3 * 49) / 4)])
    assert_allclose(agg(X, [1, 2], "generalised", (1,)), agg(X, [1, 2]))
    assert_allclose(agg([[1, 4]], [1, 1], "generalised", (-1,)), [1.6])
    assert_allclose(agg([[1, 100]], [1, 1], "generalised", (0,)), [10])
    with pytest.raises(MethodError):
        agg([[0, 4]], [1, 1], "generalised", (-1,))
    with pytest.raises(MethodError, match="non-integer"):
        agg([[-1, 4]], [1, 1], "generalised", (0.5,))
    with pytest.raises(MethodError, match="unsuitable parameters"):
        agg([[1, 4]], [1, 1], "generalised", (1, 2))


def test_median():
    X = [[1, 2, 9, 10], [1, 2, 9, nan], [nan, nan, nan, nan], [-3, -1, 0, 8]]
    assert_allclose(agg(X, [1, 1, 1, 1], "median"), [5.5, 2, nan, -0.5])
    assert_allclose(agg([[1, 2, 9]], [1, 1, 3], "median"), [9])
    assert_allclose(agg([[5, 5, 1]], [1, 1, 1], "median"), [5])  # ties


def test_copeland_as_coinr_tests():
    # COINr tests/testthat/test-aggregate.R: x1 = 1:4, x2 = c(3,2,1,5), x3 = c(2,3,1,4)
    X = np.array([[1, 3, 2], [2, 2, 3], [3, 1, 1], [4, 5, 4]], float)
    assert_array_equal(agg(X, [1, 1, 1], "copeland"), [-1, 1, -3, 3])
    assert_array_equal(agg([[1, 2], [2, 1]], [1, 1], "copeland"), [0, 0])  # equal units
    # weights: the first child decides when it carries more than half
    assert_array_equal(agg([[1, 9], [2, 0]], [3, 1], "copeland"), [-1, 1])
    # a unit without data gets NaN and does not count for the others
    with_empty = np.vstack([X, [nan, nan, nan]])
    assert_array_equal(agg(with_empty, [1, 1, 1], "copeland"), [-1, 1, -3, 3, nan])


def test_mpi_by_hand():
    X = np.array([[1.0, 1.0], [2.0, 3.0], [3.0, 2.0]])
    sd = math.sqrt(2 / 3)  # population sd of (1, 2, 3)
    z = [[100 + 10 * (v - 2) / sd for v in row] for row in X]
    want = []
    for row in z:
        m = sum(row) / 2
        s = math.sqrt(sum((v - m) ** 2 for v in row) / 2)
        want.append(m - s * (s / m))
    assert_allclose(agg(X, [1, 1], "mpi"), want)
    plus = agg(X, [1, 1], "mpi", (1.0,))
    assert plus[1] > want[1] and plus[0] == pytest.approx(want[0])  # balanced unit: no penalty


def test_topsis_by_hand():
    assert_allclose(agg([[1, 1], [2, 2], [3, 3]], [1, 1], "topsis"), [0, 0.5, 1])
    X = np.array([[3.0, 4.0], [4.0, 3.0], [0.0, 0.0]])
    norm = 5.0  # both columns have Euclidean norm 5
    R = X / norm
    best, worst = R.max(axis=0), R.min(axis=0)
    w = np.array([0.75, 0.25])
    dp = np.sqrt(((w * (R - best)) ** 2).sum(axis=1))
    dm = np.sqrt(((w * (R - worst)) ** 2).sum(axis=1))
    assert_allclose(agg(X, [3, 1], "topsis"), dm / (dp + dm))


def test_data_threshold_by_children_and_weight():
    X = [[50, nan, nan], [20, 40, 60], [10, 20, nan]]
    assert_allclose(agg(X, [1, 1, 1]), [50, 40, 15])
    assert_allclose(agg(X, [1, 1, 1], data_threshold=0.5), [nan, 40, 15])
    assert_allclose(agg(X, [2, 1, 1], data_threshold=0.5, threshold_by="weight"), [50, 35, 40 / 3])
    assert_allclose(agg(X, [1, 1, 1], data_threshold=1.0), [nan, 40, nan])
    observed = np.array([[True, False, False], [True, False, True], [True, True, False]])
    assert_allclose(agg(X, [1, 1, 1], data_threshold=0.6, available=observed), [nan, 40, 15])
    assert_allclose(availability(observed), [1 / 3, 2 / 3, 2 / 3])
    with pytest.raises(MethodError):
        availability(observed, by="magic")


def test_aggregate_errors():
    with pytest.raises(MethodError, match="unknown aggregation"):
        agg([[1]], [1], "magic")
    with pytest.raises(MethodError, match="one weight per child"):
        agg([[1, 2]], [1])
    with pytest.raises(MethodError, match="weights"):
        agg([[1, 2]], [nan, 1])


# ---------------------------------------------------------------- ranks

def test_rank_best_first_ties_min_nan_kept():
    assert_array_equal(rank(np.array([0.5, 0.9, 0.5, nan, 0.1])), [2, 1, 2, nan, 4])
    assert_array_equal(rank(np.array([-1.0, -1.0, -1.0])), [1, 1, 1])
    assert_array_equal(rank(np.array([3.0, 1.0, 2.0]), descending=False), [3, 1, 2])
    assert rank_series(np.array([2.0, nan, 5.0])).to_list() == [2, None, 1]


# ---------------------------------------------------------------- properties

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
matrix = hnp.arrays(float, st.tuples(st.integers(2, 8), st.integers(1, 5)),
                    elements=st.one_of(finite, st.just(nan)))


@settings(max_examples=60, deadline=None)
@given(X=matrix, data=st.data())
def test_improving_one_child_never_lowers_arithmetic(X, data):
    w = np.array(data.draw(st.lists(st.floats(0.1, 10), min_size=X.shape[1], max_size=X.shape[1])))
    i = data.draw(st.integers(0, X.shape[0] - 1))
    j = data.draw(st.integers(0, X.shape[1] - 1))
    if np.isnan(X[i, j]):
        return
    better = X.copy()
    better[i, j] += data.draw(st.floats(0, 1e6))
    before, after = aggregate(X, w), aggregate(better, w)
    assert after[i] >= before[i] - 1e-9 * (1 + abs(before[i]))
    others = np.arange(X.shape[0]) != i
    assert_array_equal(after[others], before[others])


@settings(max_examples=60, deadline=None)
@given(x=hnp.arrays(float, st.integers(1, 30), elements=st.one_of(finite, st.just(nan))))
def test_ranks_are_a_competition_permutation(x):
    r = rank(x)
    ok = ~np.isnan(x)
    assert_array_equal(np.isnan(r), ~ok)
    got = np.sort(r[ok])
    # competition ranking: each rank equals 1 + number of strictly better scores
    assert_array_equal(r[ok], [1 + (x[ok] > v).sum() for v in x[ok]])
    if len(set(x[ok].tolist())) == ok.sum():
        assert_array_equal(got, np.arange(1, ok.sum() + 1))


@settings(max_examples=40, deadline=None)
@given(X=hnp.arrays(float, st.tuples(st.integers(3, 7), st.integers(2, 4)),
                    elements=st.one_of(st.floats(1, 100), st.just(nan))),
       c=st.floats(0.01, 1000), data=st.data())
def test_scaling_weights_changes_nothing(X, c, data):
    w = np.array(data.draw(st.lists(st.floats(0.1, 10), min_size=X.shape[1], max_size=X.shape[1])))
    for method in AGGREGATORS:
        params = (2.0,) if method == "generalised" else ()
        a, b = aggregate(X, w, method, params), aggregate(X, w * c, method, params)
        assert_allclose(a, b, rtol=1e-9, atol=1e-9, err_msg=method)


def test_whole_table_registry():
    assert WHOLE_TABLE <= set(AGGREGATORS)
