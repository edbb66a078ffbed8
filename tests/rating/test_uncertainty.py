"""Monte Carlo uncertainty analysis: intervals, grade probabilities, the vectorised evaluation
against the scorers (framework and COINr tables), invalid combinations and the assumptions."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from polars.testing import assert_frame_equal
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.errors import FrameworkError, MethodError
from indicators.framework_load import parse_framework
from rating.coinr import read_idata, read_imeta, score_tables
from rating.ranks import rank, unranked
from rating.score import score
from rating.sensitivity import Design, FACTORS, design, evaluate, factor_columns, rank_matrix
from rating.uncertainty import Assumptions, demo_scored, experiment_from_scored, experiment_from_tables, uncertainty

ASEM = Path(__file__).resolve().parents[1] / "data" / "external" / "asem"
FIXED = Assumptions(weight_noise=0.0)
EVERYTHING = Assumptions(weight_noise=0.25, impute=("none", "mean"), treat=("none", "winsorise"),
                         normalise=("minmax:0,100", "zscore:50,10", "rank"), aggregate=("arithmetic", "geometric"),
                         leave_one_out=True, invalid="shift")


def framework(**methods):
    return parse_framework({
        "framework": {"code": "IDX", "name_zh": "指数", "name_en": "Index"},
        "methods": {"normalise": "minmax:0,100", "data_threshold": 0.5, **methods},
        "grade": [{"code": "A", "min": 80}, {"code": "B", "min": 50}, {"code": "C", "min": 0}],
        "dimension": [
            {"code": "d1", "parent": "IDX", "weight": 1, "name_zh": "一", "name_en": "One"},
            {"code": "d2", "parent": "IDX", "weight": 2, "name_zh": "二", "name_en": "Two"},
        ],
        "indicator": [
            {"code": f"i{j}", "parent": "d1" if j < 3 else "d2", "name_zh": f"指{j}", "name_en": f"I{j}",
             "direction": -1 if j % 2 else 1, "weight": 1 + j % 2, "table": "complaints", "measure": "count",
             **({"kinds": ["region"]} if j == 4 else {}), **({"goalposts": [0, 10]} if j == 3 else {}),
             **({"normalise": "goalposts"} if j == 3 else {})}
            for j in range(5)
        ],
    })


def world(seed=0, units=40, years=(2023, 2024), missing=0.1, **methods):
    rng = np.random.default_rng(seed)
    ids = [f"{440100 + i:06d}" for i in range(units)]
    unit_frame = pl.DataFrame({"unit_id": ids, "kind": ["region" if i % 3 else "department" for i in range(units)],
                               "level": ["city" if i % 2 else "county" for i in range(units)]})
    rows = [(u, y, f"i{j}", float(np.round(rng.gamma(2.0, 3.0), 1))) for u in ids for y in years for j in range(5)
            if rng.random() > missing]
    long = pl.DataFrame(rows, schema={"unit_id": pl.String, "year": pl.Int64, "indicator": pl.String,
                                      "value": pl.Float64}, orient="row")
    return score(long, unit_frame, framework(**methods)), framework(**methods)


def asem():
    return read_idata(ASEM / "iData.csv"), read_imeta(ASEM / "iMeta.csv")


def _round(x):
    m, e = np.frexp(x)
    return np.ldexp(np.round(m * 2.0 ** 40) / 2.0 ** 40, e)


# ---------------------------------------------------------------- the nominal run equals the scorers

@pytest.mark.parametrize("methods", [
    {},
    {"normalise_over": "year", "peer_group": "all", "data_threshold": 0.9},
    {"normalise": "minmax:1,100", "aggregate": "geometric", "levels": {"1": "generalised:2"}},
    {"normalise": "zscore:50,10", "data_threshold": 0.0},
])
def test_nominal_equals_the_framework_scorer(methods):
    scored, fw = world(**methods)
    exp = experiment_from_scored(scored, fw, FIXED)
    s0 = evaluate(exp, design(exp))[0]
    np.testing.assert_allclose(s0, scored.aggregates[:, 0], rtol=1e-12, atol=1e-9)
    keys = scored.keys
    for g in keys.group_by("year", "kind", "level").agg(pl.col("unit_id")).iter_rows():
        rows = np.flatnonzero(np.isin(keys["unit_id"], g[3]) & (keys["year"] == g[0]).to_numpy())
        mine = rank_matrix(s0[None], exp.rank_groups)[0][rows]
        np.testing.assert_array_equal(mine, rank(_round(scored.aggregates[rows, 0])))


@pytest.mark.parametrize("options", [
    {},
    {"normalise": "zscore:10,2", "aggregate": "arithmetic"},
    {"normalise": "minmax:1,100", "aggregate": "geometric", "treat": "winsorise", "impute": "mean"},
    {"normalise": "rank", "data_threshold": 0.9},
])
def test_nominal_equals_score_tables(options):
    idata, imeta = asem()
    exp = experiment_from_tables(idata, imeta, FIXED, **options)
    ref = score_tables(idata, imeta, **options).scores
    np.testing.assert_allclose(evaluate(exp, design(exp))[0], ref["Index"].fill_null(np.nan).to_numpy(),
                               rtol=1e-10)
    u = uncertainty(exp, replications=5, seed=0).summary
    assert u["rank_nominal"].to_list() == ref["rank"].to_list()


def test_a_replication_equals_scoring_with_its_weights_and_without_its_left_out_indicator():
    idata, imeta = asem()
    exp = experiment_from_tables(idata, imeta, Assumptions(leave_one_out=True, impute=()))
    rng = np.random.default_rng(3)
    mult = np.ones((1, len(exp.nodes)))
    mult[0, exp.noisy] = rng.uniform(0.75, 1.25, exp.noisy.sum())
    left = exp.nodes.index("Flights")
    choice = np.zeros((1, len(FACTORS)), dtype=np.int64)
    choice[0, FACTORS.index("leave_one_out")] = left + 1
    got = evaluate(exp, Design(mult, choice))[0]
    w = dict(zip(exp.nodes, exp.weight * mult[0]))
    meta = imeta.filter(pl.col("iCode") != "Flights").with_columns(
        pl.col("iCode").replace_strict(w, default=pl.col("Weight"), return_dtype=pl.Float64).alias("Weight"))
    ref = score_tables(idata, meta).scores["Index"].to_numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-10)


def test_grouped_vectorised_evaluation_equals_one_replication_at_a_time():
    scored, fw = world(seed=2)
    exp = experiment_from_scored(scored, fw, EVERYTHING)
    D = factor_columns(exp)[-1][1].stop
    d = design(exp, np.random.default_rng(5).random((40, D)))
    together = evaluate(exp, d)
    one_by_one = np.vstack([evaluate(exp, Design(d.multipliers[[r]], d.choice[[r]])) for r in range(40)])
    np.testing.assert_array_equal(together, one_by_one)
    assert len(np.unique(d.choice[:, :4], axis=0)) > 4  # several configurations were mixed


# ---------------------------------------------------------------- acceptance: intervals

@pytest.mark.parametrize("path", ["framework", "tables"])
def test_no_noise_and_one_method_collapse_every_interval_to_the_nominal_rank(path):
    if path == "framework":
        scored, fw = world(seed=1)
        u = uncertainty(experiment_from_scored(scored, fw, FIXED), replications=30, seed=4).summary
    else:
        u = uncertainty(experiment_from_tables(*asem(), FIXED), replications=30, seed=4).summary
    scored_rows = u.filter(pl.col("score_nominal").is_not_null())
    assert scored_rows.height > 0
    for c in ("rank_low", "rank_median", "rank_high"):
        assert scored_rows[c].to_list() == scored_rows["rank_nominal"].to_list()
    for c in ("score_low", "score_median", "score_high"):
        np.testing.assert_array_equal(scored_rows[c].to_numpy(), scored_rows["score_nominal"].to_numpy())
    assert u.filter(pl.col("score_nominal").is_null())["rank_low"].null_count() == u.filter(
        pl.col("score_nominal").is_null()).height


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), noise=st.floats(0.0, 0.9), loo=st.booleans(), treat=st.booleans())
def test_intervals_contain_the_median_and_the_same_seed_gives_the_same_intervals(seed, noise, loo, treat):
    scored, fw = world(seed=seed % 7, units=15)
    a = Assumptions(weight_noise=noise, leave_one_out=loo, treat=treat and ("none", "winsorise") or (),
                    normalise=("minmax:0,100", "rank"))
    exp = experiment_from_scored(scored, fw, a)
    u = uncertainty(exp, replications=40, seed=seed).summary.drop_nulls("rank_median")
    assert (u["rank_low"] <= u["rank_median"]).all() and (u["rank_median"] <= u["rank_high"]).all()
    assert (u["score_low"] <= u["score_median"]).all() and (u["score_median"] <= u["score_high"]).all()
    again = uncertainty(experiment_from_scored(scored, fw, a), replications=40, seed=seed).summary.drop_nulls("rank_median")
    assert_frame_equal(again, u, check_exact=True)


def test_another_seed_gives_another_sample():
    exp = experiment_from_tables(*asem())
    a, b = uncertainty(exp, 50, seed=1), uncertainty(exp, 50, seed=2)
    assert not np.array_equal(a.scores, b.scores)


def test_a_unit_dominating_all_others_on_every_indicator_ranks_first_in_every_replication():
    idata, imeta = asem()
    codes = imeta.filter(pl.col("Type") == "Indicator")["iCode"].to_list()
    dirs = dict(zip(codes, imeta.filter(pl.col("Type") == "Indicator")["Direction"].to_list()))
    best = {c: (idata[c].max() + 1.0) if dirs[c] > 0 else (idata[c].min() - 1.0) for c in codes}
    star = pl.DataFrame([{**{c: None for c in idata.columns}, "uCode": "STAR", "Time": 2018, **best}], schema=idata.schema)
    data = pl.concat([idata, star])
    u = uncertainty(experiment_from_tables(data, imeta, EVERYTHING), replications=200, seed=0)
    row = u.summary.filter(pl.col("uCode") == "STAR").row(0, named=True)
    assert (row["rank_nominal"], row["rank_low"], row["rank_median"], row["rank_high"]) == (1, 1, 1, 1)
    assert (u.ranks[:, -1] == 1).all()


# ---------------------------------------------------------------- invalid combinations

def test_geometric_mean_of_z_scores_is_refused_or_shifted_never_nan():
    idata, imeta = asem()
    a = Assumptions(weight_noise=0.0, impute=(), normalise=("zscore:0,1",), aggregate=("geometric",))
    with pytest.raises(MethodError, match="geometric"):
        uncertainty(experiment_from_tables(idata, imeta, a), replications=3, seed=0)
    shifted = Assumptions(**{**a.__dict__, "invalid": "shift"})
    u = uncertainty(experiment_from_tables(idata, imeta, shifted), replications=3, seed=0)
    assert not unranked(u.ranks).any() and u.summary["rank_low"].null_count() == 0


def test_shift_moves_each_non_positive_column_to_a_minimum_of_one():
    idata, imeta = asem()
    a = Assumptions(weight_noise=0.0, impute=(), aggregate=("geometric",), invalid="shift")
    exp = experiment_from_tables(idata, imeta, a)  # nominal min-max [0, 100]
    got = evaluate(exp, design(exp, np.zeros((1, 1))))[0]
    ref = score_tables(idata, imeta, normalise="minmax:1,101", aggregate="geometric").scores["Index"].to_numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-10)


# ---------------------------------------------------------------- grades and borderline

def test_grade_probabilities_and_borderline():
    scored, fw = world(seed=3)
    u = uncertainty(experiment_from_scored(scored, fw, Assumptions(weight_noise=0.5)), 300, seed=1).summary
    scored_rows = u.drop_nulls("score_nominal")
    total = scored_rows.select(pl.sum_horizontal("p_grade_A", "p_grade_B", "p_grade_C")).to_series()
    np.testing.assert_allclose(total.to_numpy(), 1.0)
    p_nominal = scored_rows.select(pl.when(pl.col("grade_nominal") == "A").then("p_grade_A")
                                   .when(pl.col("grade_nominal") == "B").then("p_grade_B").otherwise("p_grade_C")).to_series()
    assert (scored_rows["borderline"] == (p_nominal < 0.9)).all()
    crosses = ((scored_rows["score_low"] < 50) & (scored_rows["score_high"] >= 50)) | (
        (scored_rows["score_low"] < 80) & (scored_rows["score_high"] >= 80))
    assert (~scored_rows["borderline"] | crosses).all()  # borderline implies the 90% interval crosses a boundary
    assert scored_rows["borderline"].any() and not scored_rows["borderline"].all()
    assert u.filter(pl.col("score_nominal").is_null())["borderline"].null_count() == u["score_nominal"].null_count()


# ---------------------------------------------------------------- entries and assumptions

def test_summary_columns_and_no_noise():
    scored, fw = world()
    r = uncertainty(experiment_from_scored(scored, fw), replications=20, seed=1).summary
    assert r.columns[:4] == ["unit_id", "year", "kind", "level"]
    assert {"rank_nominal", "rank_low", "rank_high", "grade_nominal", "borderline", "p_grade_A"} <= set(r.columns)
    # without noise every replication is the nominal rating
    still = uncertainty(experiment_from_scored(*demo_scored(), FIXED), replications=5, seed=0).summary
    assert still["rank_low"].to_list() == still["rank_high"].to_list() == still["rank_nominal"].to_list() == [3, 1, 2]


def test_panel_tables_are_ranked_per_time():
    idata, imeta = asem()
    panel = pl.concat([idata.with_columns(pl.lit(2018).alias("Time")),
                       idata.with_columns(pl.lit(2019).alias("Time"), pl.col("LPI") * 1.1)])
    u = uncertainty(experiment_from_tables(panel, imeta, FIXED), replications=20, seed=0).summary
    assert u.columns[:2] == ["uCode", "Time"]
    ref = score_tables(panel, imeta).scores
    assert u.sort("Time", "uCode")["rank_low"].to_list() == ref.sort("Time", "uCode")["rank"].to_list()


def test_assumptions_from_config():
    a = Assumptions.from_config({"replications": 10, "weight_noise": 0.1, "impute": False, "treat": True,
                                 "normalise": ["minmax:0,100", "zscore:50,10"], "aggregate": "geometric",
                                 "leave_one_out": True})
    assert (a.impute, a.treat, a.aggregate, a.leave_one_out) == ((), ("none", "winsorise"), ("geometric",), True)
    assert Assumptions.from_config({"replications": 5, "weight_noise": 0.25}) == Assumptions()
    with pytest.raises(FrameworkError) as e:
        Assumptions.from_config({"weight_nosie": 0.2})
    assert "weight_nosie" in str(e.value)
    with pytest.raises(FrameworkError) as e:
        Assumptions(weight_noise=1.5, normalise=("minmaxx",), invalid="drop")
    assert len(e.value.problems) == 3


def test_leave_one_out_levels_and_zero_replications():
    exp = experiment_from_tables(*asem(), Assumptions(leave_one_out=True, impute=True))
    assert exp.levels["leave_one_out"][0] == "none" and len(exp.sampled["leave_one_out"]) == 50
    assert [f for f, _ in factor_columns(exp)] == ["weights", "impute", "leave_one_out"]
    u = uncertainty(exp, replications=0, seed=0).summary
    assert u["rank_low"].null_count() == u.height and u["rank_nominal"].null_count() == 0
