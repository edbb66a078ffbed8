"""Weighting methods against hand-computed values, and effective weights."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from indicators.errors import MethodError
from indicators.hierarchy import effective_weights
from rating.weights import ahp, critic, entropy, equal, group_weights, pca

nan = np.nan


def test_equal():
    assert_allclose(equal(3), [1 / 3] * 3)
    assert_allclose(group_weights(np.ones((2, 4)), "equal"), [0.25] * 4)


def test_ahp_consistent_and_inconsistent():
    # a perfectly consistent matrix: weights 4:2:1, lambda = n, CR = 0
    r = ahp(np.array([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]]))
    assert_allclose(r.weights, [4 / 7, 2 / 7, 1 / 7])
    assert r.lambda_max == pytest.approx(3) and r.cr == pytest.approx(0, abs=1e-12)
    # Saaty's textbook example
    r = ahp(np.array([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]))
    assert_allclose(r.weights, [0.637, 0.258, 0.105], atol=5e-4)
    assert r.cr == pytest.approx((r.lambda_max - 3) / 2 / 0.58)
    bad = np.array([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    with pytest.raises(MethodError, match="consistency ratio"):
        ahp(bad)
    assert ahp(bad, force=True).cr > 0.1
    assert ahp(np.array([[1, 3], [1 / 3, 1]])).weights.tolist() == pytest.approx([0.75, 0.25])
    with pytest.raises(MethodError, match="reciprocal"):
        ahp(np.array([[1, 2], [2, 1]]))
    with pytest.raises(MethodError, match="positive"):
        ahp(np.array([[1, 0], [0, 1]]))


def _entropy_by_hand(col):
    p = [v / sum(col) for v in col]
    return 1 + sum(q * math.log(q) for q in p if q > 0) / math.log(len(col))


def test_entropy_by_hand():
    X = np.array([[1.0, 1.0], [2.0, 1.0], [3.0, 4.0]])
    d = [_entropy_by_hand([1, 2, 3]), _entropy_by_hand([1, 1, 4])]
    assert_allclose(entropy(X), np.array(d) / sum(d))
    # missing values: the column uses its available values
    Xn = np.array([[1.0, 1.0], [2.0, 1.0], [3.0, 4.0], [nan, nan]])
    assert_allclose(entropy(Xn), entropy(X))
    assert_allclose(entropy(np.array([[1.0, 5.0], [1.0, 5.0]])), [0.5, 0.5])  # no information: equal
    with pytest.raises(MethodError, match="non-negative"):
        entropy(np.array([[-1.0, 1.0], [1.0, 2.0]]))


def test_critic_by_hand():
    X = np.array([[0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [2.0, 2.0, 2.0]])
    # scaled: a = b = (0, .5, 1), c = (.5, 0, 1); sd .5 each; r(a,b) = 1, r(a,c) = r(b,c) = .5
    c = np.array([0.5 * (0 + 0.5), 0.5 * (0 + 0.5), 0.5 * (0.5 + 0.5)])
    assert_allclose(critic(X), c / c.sum())
    assert_allclose(critic(np.array([[1.0], [2.0]])), [1.0])


def test_pca_first_component():
    X = np.array([[1.0, 2.0], [2.0, 4.1], [3.0, 5.9], [4.0, 8.0], [nan, 1.0]])
    assert_allclose(pca(X), [0.5, 0.5])  # two standardised variables: equal loadings
    with pytest.raises(MethodError, match="mixed signs"):
        pca(np.c_[X[:4, 0], -X[:4, 1], X[:4, 0] ** 2])
    with pytest.raises(MethodError, match="at least 3"):
        pca(np.array([[1.0, 2.0], [2.0, 1.0], [nan, 1.0]]))
    with pytest.raises(MethodError, match="unknown weighting"):
        group_weights(X, "magic")


def test_effective_weights():
    codes = ["i1", "i2", "i3", "P1", "P2", "Idx"]
    parents = ["P1", "P1", "P2", "Idx", "Idx", None]
    assert_allclose(effective_weights(codes, parents, [1, 3, 1, 1, 1, 1]), [0.125, 0.375, 0.5, 0.5, 0.5, 1])
    assert_allclose(effective_weights(codes, parents, [1, 3, 1, 2, 1, 7]), [1 / 6, 0.5, 1 / 3, 2 / 3, 1 / 3, 1])
    # a group whose weights are all zero carries none of the index: 0, never NaN
    assert effective_weights(codes, parents, [0, 0, 1, 1, 1, 1]) == [0.0, 0.0, 0.5, 0.5, 0.5, 1.0]


@settings(max_examples=50, deadline=None)
@given(w=st.lists(st.floats(0.01, 100), min_size=5, max_size=5), c=st.floats(0.001, 1000))
def test_scaled_weights_give_the_same_effective_weights(w, c):
    codes = ["i1", "i2", "i3", "P1", "P2", "Idx"]
    parents = ["P1", "P1", "P2", "Idx", "Idx", None]
    a = effective_weights(codes, parents, w + [1.0])
    assert_allclose(effective_weights(codes, parents, [v * c for v in w] + [1.0]), a, rtol=1e-9)
    assert sum(a[:3]) == pytest.approx(1.0)
