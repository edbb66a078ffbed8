"""Normalisation methods against hand-computed values (NA, ties, constant and negative inputs)."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from indicators.errors import MethodError
from rating.normalise import NORMALISERS, normalise
from indicators.spec import format_spec, parse_spec

nan = np.nan


def n(x, method, params=(), direction=1):
    return normalise(np.array(x, dtype=float), method, params, direction)


def test_minmax():
    assert_allclose(n([1, 2, nan, 5], "minmax"), [0, 25, nan, 100])
    assert_allclose(n([1, 2, nan, 5], "minmax", (1, 100)), [1, 25.75, nan, 100])
    assert_allclose(n([-2, 0, 2], "minmax", (0, 1)), [0, 0.5, 1])
    assert_allclose(n([1, 3, 2], "minmax", direction=-1), [100, 0, 50])
    assert np.isnan(n([4, 4, nan], "minmax")).all()  # constant: NaN, as COINr
    assert np.isnan(n([nan, nan], "minmax")).all()


def test_zscore_uses_sample_sd():
    assert_allclose(n([1, 2, 3], "zscore"), [-1, 0, 1])
    assert_allclose(n([1, 2, 3], "zscore", (10, 2)), [8, 10, 12])
    assert_allclose(n([2, nan, 4, 6], "zscore"), [-1, nan, 0, 1])
    assert_allclose(n([2, 4, 6], "zscore", direction=-1), [1, 0, -1])
    assert np.isnan(n([5, 5, 5], "zscore")).all()
    assert np.isnan(n([5, nan], "zscore")).all()


def test_rank_borda_prank_ties_min():
    x = [3, 1, 3, nan, 2]
    assert_array_equal(n(x, "rank"), [3, 1, 3, nan, 2])
    assert_array_equal(n(x, "borda"), [2, 0, 2, nan, 1])
    assert_allclose(n(x, "prank"), [2 / 3, 0, 2 / 3, nan, 1 / 3])
    assert_array_equal(n(x, "rank", direction=-1), [1, 4, 1, nan, 3])
    assert_array_equal(n([7, 7, 7], "rank"), [1, 1, 1])
    assert_array_equal(n([-5, -1, -3], "rank"), [1, 3, 2])
    assert np.isnan(n([4, nan], "prank")).all()


def test_fracmax_and_dist2max():
    assert_allclose(n([1, 2, 4, nan], "fracmax"), [0.25, 0.5, 1, nan])
    assert_allclose(n([-2, 4], "fracmax"), [-0.5, 1])
    assert np.isnan(n([0, -1], "fracmax")).all()
    assert_allclose(n([0, 5, nan, 10], "dist2max"), [0, 0.5, nan, 1])
    assert_allclose(n([0, 5, 10], "dist2max", direction=-1), [1, 0.5, 0])
    assert np.isnan(n([3, 3], "dist2max")).all()


def test_dist2ref():
    assert_allclose(n([0, 5, 10], "dist2ref", (1,)), [0, 1, 2])
    assert_allclose(n([0, 5, 10], "dist2ref", (1, True)), [0, 1, 1])
    assert np.isnan(n([0, nan, 10], "dist2ref", (1,))).all()
    with pytest.raises(MethodError, match="reference position"):
        n([0, 5], "dist2ref", (5,))


def test_dist2targ_both_directions():
    assert_allclose(n([0, 5, 10], "dist2targ", (5,)), [0, 1, 2])
    assert_allclose(n([0, 5, 10], "dist2targ", (5, True)), [0, 1, 1])
    # reversed indicator, raw target 2: (max - x) / (max - target); the target is passed times -1
    assert_allclose(n([0, 5, 10], "dist2targ", (-2.0,), direction=-1), [1.25, 0.625, 0])
    with pytest.raises(MethodError, match="target is missing"):
        n([0, 1], "dist2targ", (nan,))


def test_goalposts():
    le = [10, 20, 52.5, 85, 90, nan]
    assert_allclose(n(le, "goalposts", (20, 85)), [0, 0, 0.5, 1, 1, nan])
    assert_allclose(n(le, "goalposts", (20, 85, 100, False)), [-10 / 65 * 100, 0, 50, 100, 70 / 65 * 100, nan])
    # reversed: lower raw value is better; posts (lower=0 best, upper=10 worst) passed as (-10, -0)
    assert_allclose(n([0, 5, 10, 12], "goalposts", (-10, 0, 1, True), direction=-1), [1, 0.5, 0, 0])
    with pytest.raises(MethodError, match="equal"):
        n([1, 2], "goalposts", (3, 3))


def test_scaled_and_none():
    assert_allclose(n([0, 5, 10], "scaled", (0, 10)), [0, 50, 100])
    assert_allclose(n([0, 5, 10], "scaled", (0, 10, 1)), [0, 0.5, 1])
    assert_allclose(n([-1, nan, 3], "none"), [-1, nan, 3])
    assert_allclose(n([-1, nan, 3], "none", direction=-1), [1, nan, -3])


def test_errors():
    with pytest.raises(MethodError, match="unknown normalisation"):
        n([1, 2], "magic")
    with pytest.raises(MethodError, match="direction"):
        n([1, 2], "minmax", direction=2)
    with pytest.raises(MethodError, match="unsuitable parameters"):
        n([1, 2], "fracmax", (1, 2))


def test_every_method_keeps_nan_and_length():
    x = np.array([3.0, nan, -1.0, 2.0, 2.0])
    params = {"dist2ref": (0,), "dist2targ": (5.0,), "goalposts": (-1.0, 3.0)}
    for name in NORMALISERS:
        y = normalise(x, name, params.get(name, ()))
        assert y.shape == x.shape and np.isnan(y[1]), name


def test_parse_spec():
    assert parse_spec("minmax:0,100") == ("minmax", (0.0, 100.0))
    assert parse_spec("zscore:10,2") == ("zscore", (10.0, 2.0))
    assert parse_spec("generalised:-1.5") == ("generalised", (-1.5,))
    assert parse_spec("goalposts:1,2,3,false") == ("goalposts", (1.0, 2.0, 3.0, False))
    assert parse_spec("group-median:Region") == ("group-median", ("Region",))
    assert parse_spec("ahp:C:/w.csv") == ("ahp", ("C:/w.csv",))
    assert parse_spec("RANK") == ("rank", ())
    assert parse_spec("minmax:") == ("minmax", ())
    for bad in ("", "  ", ":1", "minmax:0,,1", None):
        with pytest.raises(MethodError):
            parse_spec(bad)
    assert format_spec(*parse_spec("minmax:1,100")) == "minmax:1,100"
