"""Variance-based sensitivity: the Saltelli design, the estimators on functions with a known
answer, the indices of assumptions on the ranks, and the ranking and quantile helpers."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from polars.testing import assert_frame_equal
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rating.coinr import read_idata, read_imeta
from rating.ranks import rank, rank_rows
from rating.sensitivity import (_round40, bootstrap, design, estimate, evaluate, factor_columns, quantiles, rank_matrix,
                                saltelli, sensitivity)
from rating.uncertainty import Assumptions, experiment_from_tables

ASEM = Path(__file__).resolve().parents[1] / "data" / "external" / "asem"


def run(f, d: int, base: int, seed: int = 0, ci: float = 0.99):
    rng = np.random.default_rng(seed)
    U = saltelli(base, [slice(i, i + 1) for i in range(d)], rng)
    y = f(U)
    s1, st_ = estimate(y, base)
    return s1, st_, bootstrap(y, base, 300, ci, rng)


def inside(value, low, high, slack=0.0):
    return bool(np.all((low - slack <= value) & (value <= high + slack)))


def test_saltelli_design_blocks():
    U = saltelli(5, [slice(0, 2), slice(2, 3), slice(3, 4)], np.random.default_rng(1))
    A, B, AB = U[:5], U[5:10], U[10:].reshape(3, 5, 4)
    assert U.shape == (25, 4)
    np.testing.assert_array_equal(AB[0][:, :2], B[:, :2])
    np.testing.assert_array_equal(AB[0][:, 2:], A[:, 2:])
    np.testing.assert_array_equal(AB[2][:, 3], B[:, 3])
    np.testing.assert_array_equal(AB[2][:, :3], A[:, :3])


def test_additive_function_indices_equal_the_variance_shares():
    a = np.array([1.0, 2.0, 0.0, 3.0])
    s1, st_, ci = run(lambda U: (U - 0.5) @ a, 4, 4096)
    truth = a ** 2 / (a ** 2).sum()
    assert inside(truth, ci[0, 0], ci[1, 0]) and inside(truth, ci[0, 1], ci[1, 1])
    np.testing.assert_allclose(s1, truth, atol=0.05)
    np.testing.assert_allclose(st_, truth, atol=0.02)
    assert st_[2] == 0.0  # a factor without effect has exactly zero total effect


def test_ishigami_indices():
    def ishigami(U, a=7.0, b=0.1):
        x = (U * 2 - 1) * np.pi
        return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])
    s1, st_, ci = run(ishigami, 3, 8192, seed=2)
    S1 = np.array([0.3139, 0.4424, 0.0])
    ST = np.array([0.5576, 0.4424, 0.2437])
    assert inside(S1, ci[0, 0], ci[1, 0], slack=0.01) and inside(ST, ci[0, 1], ci[1, 1], slack=0.01)
    np.testing.assert_allclose(st_, ST, atol=0.03)


def asem_experiment(**kw):
    return experiment_from_tables(read_idata(ASEM / "iData.csv"), read_imeta(ASEM / "iMeta.csv"), Assumptions(**kw))


def test_only_the_weights_matter_when_the_other_assumptions_cannot_change_the_ranks():
    # min-max to [0, 100] or [1, 100] with an arithmetic mean gives the same ranks; imputation is off
    exp = asem_experiment(weight_noise=0.25, impute=(), normalise=("minmax:0,100", "minmax:1,100"))
    sa = sensitivity(exp, base=256, seed=2, resamples=300, ci=0.99)
    ind = {r["factor"]: r for r in sa.indices.iter_rows(named=True)}
    assert list(ind) == ["weights", "normalise"] and sa.runs == 256 * 4
    w, nz = ind["weights"], ind["normalise"]
    assert w["S1_low"] <= 1.0 <= w["S1_high"] and w["ST_low"] <= 1.0 <= w["ST_high"]
    assert abs(nz["ST"]) < 1e-12 and abs(nz["S1"]) < 1e-12
    assert sa.variance > 0


def test_only_the_normalisation_matters_without_weight_noise():
    exp = asem_experiment(weight_noise=0.0, impute=(), normalise=("minmax:0,100", "rank"),
                          treat=("none", "none"), aggregate=("arithmetic",))
    assert [f for f, _ in factor_columns(exp)] == ["normalise"]
    sa = sensitivity(exp, base=64, seed=1, resamples=100)
    r = sa.indices.row(0, named=True)
    assert r["factor"] == "normalise" and r["S1_low"] <= 1.0 <= r["S1_high"]
    assert r["ST"] == pytest.approx(1.0, abs=0.15)


def test_sensitivity_frames_and_reproducibility():
    exp = asem_experiment(weight_noise=0.25, impute=("none", "mean"), normalise=("minmax:1,100", "zscore:10,2"),
                          aggregate=("arithmetic", "geometric"))
    a = sensitivity(exp, base=32, seed=3, resamples=50)
    b = sensitivity(exp, base=32, seed=3, resamples=50)
    assert_frame_equal(a.indices, b.indices, check_exact=True)
    assert a.indices.columns == ["factor", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high", "S1_unit", "ST_unit",
                                 "year"]
    assert a.indices["year"].null_count() == a.indices.height  # every unit-year (one table, no year)
    assert a.indices["factor"].to_list() == ["weights", "impute", "normalise", "aggregate"]
    none = sensitivity(asem_experiment(weight_noise=0.0, impute=()), base=8)
    assert none.indices.is_empty() and none.runs == 0


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 12)),
              elements=st.one_of(st.sampled_from([0.0, 1.0, 2.5, np.nan]), st.floats(-5, 5))),
       st.integers(1, 3))
def test_rank_matrix_equals_ranking_each_row_within_its_groups(scores, n_groups):
    groups = np.arange(scores.shape[1]) % n_groups
    got = rank_matrix(scores, groups)
    for r in range(scores.shape[0]):
        for g in range(n_groups):
            cols = groups == g
            np.testing.assert_array_equal(got[r, cols], rank(scores[r, cols]))


def _want_ranks(scores, groups, ties):
    """Competition ranks row by row and group by group (the last tied position for "max")."""
    out = np.full(scores.shape, np.nan)
    for r in range(scores.shape[0]):
        for g in np.unique(groups[groups >= 0]):
            cols = np.flatnonzero(groups == g)
            x = scores[r, cols]
            lo = rank(x)
            out[r, cols] = lo if ties == "min" else lo + np.array([(x == v).sum() - 1 for v in x])
    return out


@pytest.mark.parametrize("ties", ["min", "max"])
@pytest.mark.parametrize("rounded", [True, False])
def test_rank_matrix_of_evaluated_scores_ranks_ties_nan_signs_and_unranked_columns(ties, rounded):
    # evaluated scores keep 40 significant bits (packed integer keys); others take the argsort
    rng = np.random.default_rng(4)
    scores = rng.normal(40, 60, (9, 700))
    scores[:, :40] = scores[:, 40:80]  # ties
    scores[rng.random(scores.shape) < 0.1] = np.nan
    scores[:, 100:110] = np.nan  # never scored
    scores[:, 110], scores[:, 111], scores[:, 112] = 0.0, -0.0, -3.0  # -0.0 ties 0.0
    scores[3] = np.nan  # a replication that scores nobody
    if rounded:
        scores = _round40(scores)
    groups = rng.integers(0, 4, scores.shape[1])
    groups[120:125] = -1  # not ranked
    got = rank_matrix(scores, groups, ties=ties, dtype=np.float32)
    np.testing.assert_array_equal(got, _want_ranks(scores, groups, ties))
    assert got.dtype == np.float32 and np.isnan(got[:, 120:125]).all()
    both = rank_matrix(scores, groups, ties="both")
    np.testing.assert_array_equal(both[0 if ties == "min" else 1], got)


def test_rows_ranked_into_a_larger_result_equal_rank_matrix_and_leave_other_rows_alone():
    rng = np.random.default_rng(7)
    scores = _round40(rng.normal(50, 10, (6, 300)))
    groups = rng.integers(-1, 3, 300)
    out = {"min": np.full((10, 300), -7.0, np.float32), "max": np.full((10, 300), -7.0, np.float32)}
    rows = np.array([9, 0, 4, 5, 2, 7])
    rank_rows(out, rows, scores, groups, serial=True)
    low, high = rank_matrix(scores, groups, ties="both", dtype=np.float32)
    np.testing.assert_array_equal(out["min"][rows][:, groups >= 0], low[:, groups >= 0])
    np.testing.assert_array_equal(out["max"][rows][:, groups >= 0], high[:, groups >= 0])
    assert (out["min"][[1, 3, 6, 8]] == -7).all() and (out["min"][rows][:, groups < 0] == -7).all()
    with pytest.raises(ValueError):
        rank_rows({"min": np.zeros((10, 300)).T}, rows, scores, groups)


def test_rows_ranked_from_a_kept_matrix_equal_rows_ranked_from_their_copy():
    """`gather`: the rows `rows` of a matrix as tall as the result are ranked in place of a
    stacked copy of them (the Monte Carlo keeps its scores and ranks them from there)."""
    rng = np.random.default_rng(9)
    kept = _round40(np.round(rng.normal(50, 10, (10, 300)), 1))  # ties too
    kept[rng.random(kept.shape) < 0.05] = np.nan
    groups = rng.integers(-1, 3, 300)
    rows = np.array([9, 0, 4, 5, 2, 7])
    copied = {"min": np.full((10, 300), -7.0, np.float32)}
    gathered = {"min": np.full((10, 300), -7.0, np.float32)}
    ties_c, ties_g = [], []
    rank_rows(copied, rows, kept[rows], groups, serial=True, ties=ties_c)
    rank_rows(gathered, rows, kept, groups, serial=True, ties=ties_g, gather=True)
    np.testing.assert_array_equal(gathered["min"], copied["min"])
    assert (gathered["min"][[1, 3, 6, 8]] == -7).all()
    for (a, x), (b, y) in zip(ties_c, ties_g, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(x, y)


def test_logged_tie_ends_equal_the_last_ranks_where_a_band_is_wider_than_one():
    from rating.ranks import tie_ends

    rng = np.random.default_rng(8)
    scores = _round40(np.round(rng.normal(50, 10, (40, 500))))  # many ties
    scores[rng.random(scores.shape) < 0.05] = np.nan
    groups = rng.integers(-1, 4, 500)
    low, high = rank_matrix(scores, groups, ties="both", dtype=np.float32)
    R, ties = np.full((50, 500), np.nan, np.float32), []
    rows = rng.permutation(50)[:40]
    rank_rows({"min": R}, rows, scores, groups, serial=True, ties=ties)
    np.testing.assert_array_equal(R[rows], low)
    cols, last = tie_ends(R[rows], [])
    assert cols.size == 0 and last.shape == (40, 0)
    cols, last = tie_ends(R, ties)
    wider = np.flatnonzero((high > low).any(axis=0))
    assert cols.tolist() == wider.tolist() and wider.size > 100
    np.testing.assert_array_equal(last[rows], high[:, wider])


def test_evaluate_hands_each_block_to_a_sink_with_the_scores_it_returns():
    exp = asem_experiment(weight_noise=0.25, impute=("none", "mean"), normalise=("minmax:0,100", "zscore:10,2"))
    d = design(exp, np.random.default_rng(1).random((300, max(sl.stop for _, sl in factor_columns(exp)))))
    got, seen = np.full((300, exp.keys.height), -1.0), []

    def sink(rows, scores):
        seen.extend(rows.tolist())
        got[rows] = scores

    assert evaluate(exp, d, sink=sink) is None
    assert sorted(seen) == list(range(300))
    np.testing.assert_array_equal(got, evaluate(exp, d))


def test_rank_matrix_of_a_wide_group_with_far_apart_scores_equals_ranking_each_row():
    # 5,000 columns with scores from 1e-300 to 1e300: the packed key does not fit, the argsort ranks
    rng = np.random.default_rng(5)
    scores = _round40(rng.choice([-1.0, 1.0], (3, 5000)) * 10.0 ** rng.uniform(-300, 300, (3, 5000)))
    scores[:, :10] = scores[:, 10:20]
    groups = np.zeros(5000, int)
    np.testing.assert_array_equal(rank_matrix(scores, groups), _want_ranks(scores, groups, "min"))


def _gappy(seed: int) -> np.ndarray:
    """101 replications x 200 columns, a fifth of the cells missing and column 7 all missing."""
    rng = np.random.default_rng(seed)
    M = rng.normal(0, 1, (101, 200))
    M[rng.random(M.shape) < 0.2] = np.nan
    M[:, 7] = np.nan
    return M


@pytest.mark.parametrize("block", [1, 3, 64])
def test_quantiles_sorted_in_blocks_of_columns_equal_numpy(block):
    M = _gappy(6)
    got = quantiles(M, [0.05, 0.5, 0.95], block=block)
    for j in range(M.shape[1]):
        col = M[~np.isnan(M[:, j]), j]
        want = np.percentile(col, [5, 50, 95], method="inverted_cdf") if col.size else np.full(3, np.nan)
        np.testing.assert_array_equal(got[:, j], want)


@pytest.mark.parametrize("block", [1, 3, 64])
def test_quantiles_count_the_values_at_least_each_threshold(block):
    M = _gappy(7)
    q, counts = quantiles(M, [0.05, 0.5, 0.95], block=block, at_least=[-np.inf, -0.5, 0.0, 1.0])
    np.testing.assert_array_equal(q, quantiles(M, [0.05, 0.5, 0.95]))
    want = [(~np.isnan(M)).sum(axis=0)] + [(M >= t).sum(axis=0) for t in (-0.5, 0.0, 1.0)]
    np.testing.assert_array_equal(counts, want)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 4)),
              elements=st.one_of(st.just(np.nan), st.floats(-100, 100))))
def test_quantiles_are_inverted_cdf_order_statistics(M):
    got = quantiles(M, [0.05, 0.5, 0.95])
    for j in range(M.shape[1]):
        col = M[~np.isnan(M[:, j]), j]
        want = np.percentile(col, [5, 50, 95], method="inverted_cdf") if col.size else np.full(3, np.nan)
        np.testing.assert_array_equal(got[:, j], want)


def test_ranks_kept_as_small_integers_equal_the_float_ones_and_their_quantiles_too():
    """The Monte Carlo keeps its ranks as int16 (`rank_dtype`): the same ranks, tie ends and
    quantiles as float ranks, with `missing` where a float matrix has NaN."""
    from rating.ranks import missing, quantiles, rank_dtype, tie_ends, unranked

    rng = np.random.default_rng(12)
    scores = _round40(np.round(rng.normal(50, 10, (60, 400))))  # ties too
    scores[rng.random(scores.shape) < 0.05] = np.nan
    groups = rng.integers(-1, 4, 400)
    assert rank_dtype(groups) is np.int16 and rank_dtype(np.zeros(40_000, int)) is np.int32
    floats, whole = {"min": np.full((60, 400), np.nan, np.float32)}, []
    ints, small = {"min": np.full((60, 400), missing(np.int16), np.int16)}, []
    rank_rows(floats, np.arange(60), scores, groups, serial=True, ties=whole)
    rank_rows(ints, np.arange(60), scores, groups, serial=True, ties=small)
    F, I = floats["min"], ints["min"]
    assert (unranked(I) == np.isnan(F)).all() and unranked(I).any()
    np.testing.assert_array_equal(I[~unranked(I)], F[~np.isnan(F)])
    np.testing.assert_array_equal(rank_matrix(scores, groups, dtype=np.int16), I)
    qs = [0.05, 0.5, 0.95]
    np.testing.assert_array_equal(quantiles(I, qs), quantiles(F, qs))
    (fc, fl), (ic, il) = tie_ends(F, whole), tie_ends(I, small)
    np.testing.assert_array_equal(fc, ic)
    np.testing.assert_array_equal(quantiles(il, [0.95]), quantiles(fl, [0.95]))
