"""Data uncertainty (rating.resample), the composite bootstrap, tied rank bands and the grade
probabilities of the published grade (after vetoes and overrides)."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from indicators.errors import FrameworkError
from indicators.framework_load import load_framework
from rating.grade import published_probabilities, veto_sources
from rating.resample import COUNT, SHARE
from rating.score import score
from rating.sensitivity import design, evaluate, factor_columns, rank_matrix
from tests.rating import three_indicators
from rating.uncertainty import Assumptions, demo_experiment, experiment_from_scored, uncertainty


def framework(**unc):
    return three_indicators.framework(uncertainty=unc)


def world(units=30, seed=0):
    """Units with records counted over staff, tickets over cases and amounts over budget: the
    first ten small (a few staff and cases), the rest large."""
    rng = np.random.default_rng(seed)
    ids = [f"{440100 + i:06d}" for i in range(units)]
    staff = np.where(np.arange(units) < 10, 20.0, 2000.0)
    cases = np.where(np.arange(units) < 10, 8.0, 4000.0)
    k = rng.poisson(staff * 0.02 * np.exp(rng.normal(0, 0.5, units)))  # rates differ between units
    s = rng.binomial(cases.astype(int), rng.beta(8, 2, units))
    amt = rng.gamma(2.0, 1000.0, units)
    rows = []
    for i, u in enumerate(ids):
        rows += [(u, 2024, "rate", k[i] / staff[i] * 100, float(k[i]), staff[i]),
                 (u, 2024, "share", s[i] / cases[i], float(s[i]), cases[i]),
                 (u, 2024, "amount", amt[i] / 1e6, amt[i], 1e6)]
    ind = pl.DataFrame(rows, schema={"unit_id": pl.String, "year": pl.Int64, "indicator": pl.String, "value": pl.Float64,
                                     "numerator": pl.Float64, "denominator": pl.Float64}, orient="row")
    units_frame = pl.DataFrame({"unit_id": ids, "kind": ["region"] * units, "level": ["city"] * units})
    return ind, units_frame


@pytest.fixture(scope="module")
def scored():
    ind, units = world()
    fw = framework(data="posterior", data_draws=50)
    return score(ind, units, fw), fw, ind


# ---------------------------------------------------------------- data draws


def test_draws_centre_on_the_published_estimate_and_spread_with_thin_evidence(scored):
    sc, fw, ind = scored
    exp = experiment_from_scored(sc, fw, indicators=ind, seed=3)
    m = exp.draws
    assert set(m.family.tolist()) == {COUNT, SHARE}  # the amount keeps its value
    draws = np.stack([m.draw(d) for d in range(1, 401)])
    X = sc.inputs
    np.testing.assert_allclose(draws.mean(axis=0)[:, :2], X[:, :2], rtol=0.05, atol=0.02)
    assert (draws[:, :, 2] == X[:, 2]).all()
    sd = draws.std(axis=0)
    assert (sd[:10, :2].mean(axis=0) > 3 * sd[10:, :2].mean(axis=0)).all()  # small units: far less certain
    assert (sd[:, 0] > 0).all()  # a unit without records still has an uncertain rate


def test_draws_are_reproducible_and_independent_of_what_else_is_drawn(scored):
    sc, fw, ind = scored
    a = experiment_from_scored(sc, fw, indicators=ind, seed=5).draws
    b = experiment_from_scored(sc, fw, indicators=ind, seed=5).draws
    assert np.array_equal(a.draw(7), b.draw(7)) and not np.array_equal(a.draw(7), a.draw(8))
    assert np.array_equal(a.draw(0), sc.inputs)


def test_without_evidence_or_with_data_off_nothing_is_redrawn(scored):
    sc, fw, ind = scored
    assert experiment_from_scored(sc, fw, indicators=ind.drop("numerator", "denominator")).draws is None
    off = experiment_from_scored(sc, framework(data="none"), indicators=ind)
    assert off.draws is None and off.sampled["data"] == (0,)


def test_data_uncertainty_widens_rank_intervals_most_where_evidence_is_thin(scored):
    sc, fw, ind = scored
    base = Assumptions(weight_noise=0.0)
    fixed = uncertainty(experiment_from_scored(sc, fw, base, indicators=ind), 200, seed=1).summary
    data = uncertainty(experiment_from_scored(sc, fw, Assumptions(weight_noise=0.0, data="posterior", data_draws=100),
                                              indicators=ind), 200, seed=1).summary
    w = lambda s: (s["rank_high"] - s["rank_low"]).to_numpy()  # noqa: E731
    assert (w(fixed) == 0).all() and (w(data) > 0).mean() > 0.8
    assert w(data)[:10].mean() > w(data)[10:].mean()


def test_data_is_a_factor_of_the_sensitivity_analysis(scored):
    from rating.sensitivity import sensitivity

    sc, fw, ind = scored
    exp = experiment_from_scored(sc, fw, Assumptions(data="posterior", data_draws=20, composite_bootstrap="indicators"),
                                 indicators=ind)
    assert [f for f, _ in factor_columns(exp)] == ["weights", "composite", "data"]
    sa = sensitivity(exp, base=32, resamples=20).indices
    assert sa["factor"].to_list() == ["weights", "composite", "data"]
    data = sa.filter(pl.col("factor") == "data").row(0, named=True)
    assert data["ST"] > 0.02  # thin evidence moves the ranks
    assert data["ST_unit"] > 0.2  # and, unit by unit, a large share of each unit's rank uncertainty


def test_sensitivity_evaluated_with_the_replications_gives_the_same_figures(scored):
    """A run evaluates the Saltelli design together with the Monte Carlo replications (each data set
    and imputation prepared once): the summary and the indices are those of the two analyses apart."""
    from polars.testing import assert_frame_equal

    from rating.sensitivity import sensitivity

    sc, fw, ind = scored
    exp = experiment_from_scored(sc, fw, Assumptions(data="posterior", data_draws=20, composite_bootstrap="indicators",
                                                     impute=True), indicators=ind, seed=3)
    both = uncertainty(exp, 300, 5, sensitivity_base=48, resamples=40)
    assert_frame_equal(both.summary, uncertainty(exp, 300, 5).summary)
    assert_frame_equal(both.sensitivity.indices, sensitivity(exp, base=48, seed=5, resamples=40).indices)
    assert both.sensitivity.runs == 48 * 6 and both.scores.shape[0] == 300
    assert uncertainty(exp, 300, 5).sensitivity is None and uncertainty(exp, 0, 5, sensitivity_base=48).sensitivity is None


def test_the_analysis_gives_the_same_bytes_on_one_thread_as_on_two(scored, monkeypatch):
    """The threads take the data sets in turn, each ranking its own blocks: how the work falls
    between them (and whether there are two) changes no score, rank, interval or index."""
    from polars.testing import assert_frame_equal

    import rating.ranks as rr
    import rating.sensitivity as rs

    sc, fw, ind = scored
    exp = experiment_from_scored(sc, fw, Assumptions(data="posterior", data_draws=20, impute=True), indicators=ind, seed=2)
    runs = []
    for threads in (2, 1):
        monkeypatch.setattr(rr, "THREADS", threads)
        monkeypatch.setattr(rs, "THREADS", threads)
        runs.append(uncertainty(exp, 200, 4, sensitivity_base=16, resamples=20))
    two, one = runs
    assert_frame_equal(two.summary, one.summary, check_exact=True)
    assert_frame_equal(two.sensitivity.indices, one.sensitivity.indices, check_exact=True)
    assert two.scores.tobytes() == one.scores.tobytes() and two.ranks.tobytes() == one.ranks.tobytes()
    monkeypatch.setattr(rs, "THREADS", 2)  # a run per data set, taken in turn
    combos = np.array([[d, 0, 0, 0, 0] for d in (1, 1, 2, 3, 3)])
    assert [r.tolist() for r, in rs._shares(combos)] == [[0, 1], [2], [3, 4]]


def test_bad_settings_are_refused():
    with pytest.raises(FrameworkError):
        Assumptions(data="bootstrap")
    with pytest.raises(FrameworkError):
        Assumptions(data_draws=0)
    with pytest.raises(FrameworkError):
        Assumptions(composite_bootstrap="yes")


# ---------------------------------------------------------------- composite bootstrap and ties


def test_composite_bootstrap_resamples_each_aggregates_indicators():
    exp = demo_experiment(Assumptions(weight_noise=0.0, composite_bootstrap="indicators"))
    cols = factor_columns(exp)
    assert cols == [("composite", slice(0, 2))]
    d = design(exp, np.array([[0.1, 0.2], [0.9, 0.6], [0.2, 0.7]]))
    # two slots over two indicators: (a, a), (b, b), (a, b)
    assert d.multipliers[:, :2].tolist() == [[2.0, 0.0], [0.0, 2.0], [1.0, 1.0]]
    S = evaluate(exp, d)
    assert S[0].tolist() == [0.0, 50.0, 100.0]  # only `a` (minmax 0-100 of 1, 2, 3)


def test_tied_scores_share_a_band_of_ranks():
    S = np.array([[5.0, 5.0, 5.0, 1.0]] * 10)
    low, high = rank_matrix(S, np.zeros(4, int), ties="both")
    assert low[0].tolist() == [1, 1, 1, 4] and high[0].tolist() == [3, 3, 3, 4]
    from rating.uncertainty import experiment_from_tables

    imeta = pl.DataFrame({"iCode": ["a", "Idx"], "Level": [1, 2], "Parent": ["Idx", None], "Weight": [1.0, 1.0],
                          "Direction": [1, 1], "Type": ["Indicator", "Aggregate"]})
    idata = pl.DataFrame({"uCode": ["W", "X", "Y", "Z"], "a": [1.0, 3.0, 3.0, 3.0]})
    u = uncertainty(experiment_from_tables(idata, imeta, Assumptions(weight_noise=0.1)), 20, seed=0).summary
    assert u.select("rank_low", "rank_high").rows() == [(4, 4), (1, 3), (1, 3), (1, 3)]


# ---------------------------------------------------------------- the published grade


def test_probabilities_are_those_of_the_published_grade_after_a_veto_and_an_override():
    fw = load_framework()
    s = pl.DataFrame({"unit_id": ["a", "b", "c"], "grade": ["C", "B", "A"], "veto": ["V1", None, None],
                      "override": [None, None, "B -> A: appeal (Li)"],
                      "p_grade_A": [0.5, 0.05, 0.0], "p_grade_B": [0.3, 0.95, 1.0], "p_grade_C": [0.2, 0.0, 0.0],
                      "p_grade_D": [0.0, 0.0, 0.0]})
    out = published_probabilities(s, fw, 0.9)
    a, b, c = out.iter_rows(named=True)
    assert (a["p_grade_A"], a["p_grade_B"], a["p_grade_C"], a["borderline"]) == (0.0, 0.0, 1.0, False)
    assert (b["p_grade_B"], b["borderline"]) == (0.95, False)
    assert c["p_grade_A"] is None and c["borderline"] is None  # an analyst's grade is no outcome of the analysis


def test_veto_sources_name_the_department_whose_record_capped_a_region():
    fw = load_framework()
    scores = pl.DataFrame({"unit_id": ["440100", "440100-DRC", "440300"], "year": [2024] * 3,
                           "veto": ["V1", "V1", "V4"]})
    records = pl.DataFrame({"record_id": ["F1", "F2", "F3"], "unit_id": ["440100-DRC", "440100-DRC", "440100-HR"],
                            "category": ["dishonest_debtor", "penalty", "dishonest_debtor"],
                            "occurred_on": pl.Series(["2024-03-01", "2024-04-01", "2023-05-01"]).str.to_date(),
                            "counting": [True, True, True]})
    out = {r["unit_id"]: (r["veto_unit_id"], r["veto_record_id"]) for r in veto_sources(scores, records, fw).iter_rows(named=True)}
    assert out["440100"] == ("440100-DRC", "F1")  # the region is capped by its department's listing
    assert out["440100-DRC"] == ("440100-DRC", "F1")
    assert out["440300"] == ("440300", None)  # the debt ratio is the region's own figure, no record


@pytest.mark.integration
def test_no_published_grade_shows_a_probability_that_disagrees_with_it(small_run):
    """Over a demo-like run: the probability shown for each unit-year's published grade is
    positive, and the borderline flag (and so the "grade is stable" sentence) follows it."""
    s = small_run.scores.filter(pl.col("score").is_not_null() & pl.col("override").is_null())
    codes = [c.removeprefix("p_grade_") for c in s.columns if c.startswith("p_grade_")]
    own = s.select(pl.coalesce([pl.when(pl.col("grade") == c).then(pl.col(f"p_grade_{c}")) for c in codes]).alias("p"),
                   "borderline", "veto", "grade", "grade_uncapped")
    # a unit-year the replications never score (below the data threshold in every draw) shows
    # no probability and makes no claim of stability
    none = own.filter(pl.col("p").is_null())
    assert none["borderline"].null_count() == none.height and none.height <= 0.01 * own.height
    shown = own.filter(pl.col("p").is_not_null())
    assert (shown["p"] > 0).all()
    assert (shown["borderline"] == (shown["p"] < 0.9)).all()
    capped = shown.filter(pl.col("veto").is_not_null() & (pl.col("grade") != pl.col("grade_uncapped")))
    assert capped.height == 0 or (capped["p"] >= 0.5).all()


# ---------------------------------------------------------------- group-wise normalisation


def _column(x, g, method, params, direction):
    """One column normalised within groups on its own (rating.groupwise.normalise_matrix)."""
    from rating.groupwise import normalise_matrix

    return normalise_matrix(np.asarray(x, dtype=float)[:, None], g, [(method, params)], [direction])[:, 0]


@pytest.mark.parametrize("method, params", [("zscore", (50, 10)), ("minmax", (0, 100)), ("goalposts", (0.0, 5.0, 100)),
                                            ("rank", ()), ("zscore", ())])
def test_groupwise_normalisation_equals_the_per_group_functions(method, params):
    from rating.groupwise import impute_groups
    from rating.impute import impute
    from rating.normalise import normalise

    rng = np.random.default_rng(4)
    x = rng.gamma(2.0, 2.0, 300)
    x[rng.random(300) < 0.2] = np.nan
    g = rng.integers(0, 7, 300)
    x[g == 6] = np.nan  # a group without values
    x[np.flatnonzero(g == 5)[1:]] = 3.0  # a group without spread
    want = np.full(300, np.nan)
    for k in range(7):
        want[g == k] = normalise(x[g == k], method, params, -1)
    np.testing.assert_allclose(_column(x, g, method, params, -1), want, rtol=1e-12, atol=1e-12)
    X = np.column_stack([x, x[::-1]])
    app = np.ones(X.shape, bool)
    app[:10, 1] = False
    filled = impute_groups(X, g, "mean", app)
    for k in range(7):
        rows = g == k
        np.testing.assert_allclose(filled[rows], np.where(app[rows], impute(X[rows], "mean")[0], X[rows]))


def test_a_matrix_is_normalised_column_by_column_to_the_bit():
    """Normalising all columns of a configuration at once gives each column exactly what it gets
    alone (sums in the same order), whatever the methods, directions and memory layout."""
    from rating.groupwise import Groups, impute_groups, normalise_matrix

    rng = np.random.default_rng(9)
    X = rng.gamma(2.0, 2.0, (400, 6)) * 1e3
    X[rng.random(X.shape) < 0.15] = np.nan
    g = rng.integers(0, 9, 400)
    X[g == 8, 2] = np.nan  # a group without values in one column
    specs = [("zscore", (50, 10)), ("minmax", (0, 100)), ("zscore", ()), ("goalposts", (0.0, 5e3, 100)),
             ("rank", ()), ("minmax", (1, 100))]
    direction = [1, -1, -1, 1, -1, 1]
    want = np.column_stack([_column(X[:, j], g, m, p, d) for j, ((m, p), d) in
                            enumerate(zip(specs, direction))])
    for layout in (np.ascontiguousarray, np.asfortranarray):
        got = normalise_matrix(layout(X), Groups(g), specs, direction)
        assert got.tobytes(order="F") == want.tobytes(order="F")
    one = [specs[0]] * 6
    alone = np.column_stack([_column(X[:, j], g, *one[j], 1) for j in range(6)])
    assert normalise_matrix(X, g, one, [1] * 6).tobytes(order="F") == alone.tobytes(order="F")
    app = rng.random(X.shape) < 0.9
    filled = impute_groups(X, Groups(g), "mean", app)
    for j in range(6):
        assert filled[:, j].tobytes() == impute_groups(X[:, [j]], g, "mean", app[:, [j]])[:, 0].tobytes()



def test_one_groups_normalises_many_data_sets_each_as_if_alone():
    """A `Groups` shared by every configuration of a Monte Carlo remembers the counts of the
    masks it saw: data sets with the same missing cells reuse them, and a data set with other
    missing cells gets its own, exactly as a fresh `Groups` gives."""
    from rating.groupwise import COUNTS_KEPT, Groups, normalise_matrix

    rng = np.random.default_rng(11)
    g = rng.integers(0, 7, 300)
    shared = Groups(g)
    specs, direction = [("zscore", (50, 10))] * 4, [1, -1, 1, 1]
    holes = [rng.random((300, 4)) < p for p in (0.1, 0.3, 0.0)]
    for k in range(3 * (COUNTS_KEPT + 2)):  # masks return after others pushed them out too
        X = rng.normal(100, 20, (300, 4))
        X[holes[k % 3] | (rng.random((300, 4)) < (0.05 if k % 4 == 3 else 0.0))] = np.nan
        assert normalise_matrix(X, shared, specs, direction).tobytes() == \
            normalise_matrix(X, Groups(g), specs, direction).tobytes()


def test_a_runs_sensitivity_evaluates_only_the_latest_year_and_leaves_the_intervals_unchanged(monkeypatch):
    """Published years keep the sensitivity published with them: a run evaluates the Saltelli
    design on the latest year's unit-years only, and the Monte Carlo intervals of every year are
    those of the analysis without it, to the bit."""
    from polars.testing import assert_frame_equal

    import rating.sensitivity as rs
    from rating.uncertainty import latest_year

    old, units = world(seed=1)
    new, _ = world(seed=0)
    ind = pl.concat([old.with_columns(pl.lit(2023, pl.Int64).alias("year")), new])
    fw = framework(data="posterior", data_draws=20)
    exp = experiment_from_scored(score(ind, units, fw), fw, Assumptions(data="posterior", data_draws=20,
                                 composite_bootstrap="indicators", impute=True), indicators=ind, seed=3)
    assert latest_year(exp) == 2024
    cols = np.flatnonzero(exp.keys["year"].to_numpy() == 2024)
    widths, tree = [], rs._tree

    def spy(*args, **kw):
        out = tree(*args, **kw)
        widths.extend(o.shape for o in (out if isinstance(out, tuple) else (out,)))
        return out

    monkeypatch.setattr(rs, "_tree", spy)
    last = uncertainty(exp, 200, 5, sensitivity_base=32, resamples=20, sensitivity_year=2024)
    monkeypatch.setattr(rs, "_tree", tree)
    scored_at = {}
    for r, n in widths[1:]:  # after the nominal evaluation: scores of every row or of the latest year's
        scored_at[n] = scored_at.get(n, 0) + r
    assert scored_at == {exp.keys.height: 200, cols.size: last.sensitivity.runs} and cols.size < exp.keys.height

    every = uncertainty(exp, 200, 5, sensitivity_base=32, resamples=20)
    alone = uncertainty(exp, 200, 5)
    for u in (every, alone):
        assert_frame_equal(last.summary, u.summary, check_exact=True)
        assert last.scores.tobytes() == u.scores.tobytes() and last.ranks.tobytes() == u.ranks.tobytes()
    ind_last = last.sensitivity.indices
    assert ind_last["year"].to_list() == [2024] * ind_last.height
    assert every.sensitivity.indices["year"].null_count() == ind_last.height
    # the indices are those of the latest year's columns of the full evaluation
    plan = rs.saltelli_plan(exp, 32, 5)
    R = rank_matrix(evaluate(exp, design(exp, plan.U))[:, cols], exp.rank_groups[cols], dtype=np.float32)
    r0 = rank_matrix(evaluate(exp, design(exp)), exp.rank_groups)[0][cols]
    assert_frame_equal(ind_last, rs.indices(plan, R, r0, 20, year=2024).indices, check_exact=True)
    assert_frame_equal(ind_last, rs.sensitivity(exp, base=32, seed=5, resamples=20, year=2024).indices)
    assert not ind_last.drop("year").equals(every.sensitivity.indices.drop("year"))


def test_with_one_year_the_latest_years_sensitivity_is_the_whole_one(scored):
    sc, fw, ind = scored
    exp = experiment_from_scored(sc, fw, Assumptions(data="posterior", data_draws=20, impute=True), indicators=ind)
    a = uncertainty(exp, 100, 2, sensitivity_base=16, resamples=10, sensitivity_year=2024).sensitivity.indices
    b = uncertainty(exp, 100, 2, sensitivity_base=16, resamples=10).sensitivity.indices
    assert a["year"].to_list() == [2024] * a.height
    assert a.drop("year").equals(b.drop("year"))
    with pytest.raises(ValueError, match="no unit-year of that year"):
        uncertainty(exp, 10, 2, sensitivity_base=4, sensitivity_year=1999)
