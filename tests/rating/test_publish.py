"""What a run publishes, on hand-made frames: the scope step, rounded scores with ranks and
grades, vetoes, honours and overrides, the indicator table, the outlook and the report's tables."""
from __future__ import annotations

import dataclasses

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from indicators.errors import InputError
from indicators.framework_load import parse_framework
from rating.publish import (RunTables, build_scores, graded, indicator_rows, publish, rated_framework,
                            with_outlook, with_uncertainty)
from rating.score import score

UNITS = pl.DataFrame({"unit_id": ["100000", "200000", "300000", "400000"], "kind": ["region"] * 4,
                      "level": ["city"] * 4})
COVERAGE = {"complaints": {"present": True}, "debt": {"present": True}, "failure_records": {"present": True}}


def framework():
    """Two dimensions (index weights 1 and 3), grades A >= 80 > B >= 50 > C; an auxiliary `flag`
    caps the grade at B (veto V1) and makes a unit ineligible for honours."""
    return parse_framework({
        "framework": {"code": "IDX", "name_zh": "指数", "name_en": "Index"},
        "methods": {"normalise": "minmax:0,100", "data_threshold": 0.5, "outlook_change": 5.0},
        "grade": [{"code": "A", "min": 80}, {"code": "B", "min": 50}, {"code": "C", "min": 0}],
        "dimension": [{"code": "d1", "parent": "IDX", "weight": 1, "name_zh": "一", "name_en": "One"},
                      {"code": "d2", "parent": "IDX", "weight": 3, "name_zh": "二", "name_en": "Two"}],
        "indicator": [
            {"code": "good", "parent": "d1", "name_zh": "好", "name_en": "Good", "direction": 1,
             "table": "complaints", "measure": "count"},
            {"code": "debt", "parent": "d2", "name_zh": "债", "name_en": "Debt", "direction": -1,
             "table": "debt", "measure": "ratio", "column": "debt_balance", "denominator_column": "fiscal_capacity"},
            {"code": "flag", "name_zh": "标", "name_en": "Flag", "table": "failure_records", "measure": "count"},
        ],
        "veto": [{"code": "V1", "indicator": "flag", "op": "gt", "value": 0, "cap": "B",
                  "reason_zh": "有标记", "reason_en": "flagged"}],
        "honours": {"indicator": "flag", "reason_zh": "有记录", "reason_en": "has records"},
    })


def values(rows):
    """The long indicator table of the record stage, with numerators and coverage flags."""
    df = pl.DataFrame(rows, schema={"unit_id": pl.String, "year": pl.Int64, "indicator": pl.String,
                                    "value": pl.Float64}, orient="row")
    return df.with_columns(pl.col("value").alias("numerator"), pl.lit(None, pl.Float64).alias("denominator"),
                           pl.lit(False).alias("outside_coverage"))


@pytest.fixture
def ind():
    # good: minmax (10, 5, 0, 10) -> (100, 50, 0, 100); debt reversed (1, 2, 3, 3) -> (100, 50, 0, 0)
    # IDX = (d1 + 3 d2) / 4: 100, 50, 0, 25
    return values([
        ("100000", 2024, "good", 10.0), ("100000", 2024, "debt", 1.0), ("100000", 2024, "flag", 2.0),
        ("200000", 2024, "good", 5.0), ("200000", 2024, "debt", 2.0), ("200000", 2024, "flag", 0.0),
        ("300000", 2024, "good", 0.0), ("300000", 2024, "debt", 3.0),
        ("400000", 2024, "good", 10.0), ("400000", 2024, "debt", 3.0), ("400000", 2024, "flag", 0.0),
    ])


def by_unit(df: pl.DataFrame, column: str) -> dict:
    return dict(zip(df["unit_id"].to_list(), df[column].to_list()))


def test_scores_are_ranked_and_graded_then_capped_by_vetoes(ind):
    fw = framework()
    scores, sa = build_scores(score(ind, UNITS, fw), fw, ind, seed=0, replications=0)
    assert by_unit(scores, "score") == {"100000": 100.0, "200000": 50.0, "300000": 0.0, "400000": 25.0}
    assert by_unit(scores, "rank") == {"100000": 1, "200000": 2, "300000": 4, "400000": 3}
    assert by_unit(scores, "grade_uncapped") == {"100000": "A", "200000": "B", "300000": "C", "400000": "C"}
    assert by_unit(scores, "grade") == {"100000": "B", "200000": "B", "300000": "C", "400000": "C"}
    assert by_unit(scores, "veto") == {"100000": "V1", "200000": None, "300000": None, "400000": None}
    assert by_unit(scores, "d2") == {"100000": 100.0, "200000": 50.0, "300000": 0.0, "400000": 0.0}
    # honours: a flag above zero makes a unit ineligible; no flag value, no answer
    assert by_unit(scores, "honours_eligible") == {"100000": False, "200000": True, "300000": None, "400000": True}
    assert by_unit(scores, "honours_reason")["100000"] == "有记录 / has records"
    assert scores.columns[:7] == ["unit_id", "year", "score", "rank", "rank_low", "rank_high", "grade"]
    assert scores.columns[-3:] == ["d1", "d2", "override"] and scores["override"].null_count() == scores.height
    assert scores["rank_low"].null_count() == scores.height  # no replications, no interval
    assert sa.width == 0


def test_overrides_replace_the_capped_grade_and_keep_the_score(ind):
    fw = framework()
    scored = score(ind, UNITS, fw)
    overrides = pl.DataFrame({"unit_id": ["100000"], "year": [2024], "grade": ["A"], "reason": ["appeal upheld"],
                              "analyst": ["Li"]})
    plain, _ = build_scores(scored, fw, ind, seed=0, replications=0)
    scores, _ = build_scores(scored, fw, ind, seed=0, replications=0, overrides=overrides)
    assert by_unit(scores, "grade")["100000"] == "A" and by_unit(scores, "veto")["100000"].startswith("V1")
    assert by_unit(scores, "override") == {"100000": "B -> A: appeal upheld (Li)", "200000": None, "300000": None,
                                           "400000": None}
    assert_frame_equal(scores.drop("grade", "override"), plain.drop("grade", "override"))


def test_float_noise_does_not_separate_equal_scores(ind):
    fw = framework()
    scored = score(ind, UNITS, fw)
    noisy = scored.aggregates.copy()
    noisy[:, 0] = [70.0, 70.0 + 1e-12, 70.0 - 1e-12, 80.0 - 1e-12]
    df = graded(dataclasses.replace(scored, aggregates=noisy), fw)
    assert df["score"].to_list() == [70.0, 70.0, 70.0, 80.0]
    assert df["rank"].to_list() == [2, 2, 2, 1] and df["grade"].to_list() == ["B", "B", "B", "A"]


def test_uncertainty_columns_and_intervals_around_the_score(ind):
    fw = framework()
    scored = score(ind, UNITS, fw)
    df, _ = with_uncertainty(graded(scored, fw), scored, fw, replications=50, seed=1)
    assert {"rank_low", "rank_median", "rank_high", "score_low", "score_high", "borderline",
            "p_grade_A", "p_grade_B", "p_grade_C"} <= set(df.columns)
    ok = df.filter(pl.col("score").is_not_null())
    assert (ok["rank_low"] <= ok["rank_high"]).all() and (ok["score_low"] <= ok["score_high"]).all()
    again, _ = with_uncertainty(graded(scored, fw), scored, fw, replications=50, seed=1)
    assert_frame_equal(df, again)


def test_indicator_rows_hold_index_and_auxiliary_indicators(ind):
    fw = framework()
    rows = indicator_rows(score(ind, UNITS, fw), ind, fw)
    assert rows.columns == ["unit_id", "year", "indicator", "value", "normalised", "imputed", "estimate", "thin",
                            "numerator", "denominator", "outside_coverage"]
    assert rows.height == 4 * 2 + 3  # every unit-year's index indicators, and the three flag values
    assert rows.select("unit_id", "year", "indicator").is_duplicated().sum() == 0
    assert_frame_equal(rows, rows.sort("unit_id", "year", "indicator"))
    flag = rows.filter(pl.col("indicator") == "flag")
    assert flag["normalised"].null_count() == 3 and flag["value"].to_list() == [2.0, 0.0, 0.0]
    debt = rows.filter(pl.col("indicator") == "debt")
    assert debt["normalised"].to_list() == [100.0, 50.0, 0.0, 0.0]
    assert debt["numerator"].to_list() == [1.0, 2.0, 3.0, 3.0]


def test_scope_step_takes_out_indicators_without_values(ind):
    fw = framework()
    no_debt = ind.filter(pl.col("indicator") != "debt")
    rated, scope = rated_framework(fw, no_debt, {**COVERAGE, "debt": {"present": False}}, "x")
    assert [n.code for n in rated.indicators] == ["good"] and scope["indicators_out"] == ["debt"]
    assert scope["not_covered"] == ["d2"] and not scope["official"]  # 1/4 of the index weight
    rated, scope = rated_framework(fw, ind, COVERAGE, "x")
    assert rated.indicators == fw.indicators and scope["official"]
    with pytest.raises(InputError, match="data folder x cannot be rated") as e:
        rated_framework(fw, ind.filter(pl.col("indicator") == "flag"), {"debt": {"present": False}}, "x")
    assert e.value.problems == ["debt: absent"]
    # a present table with nothing computable in the rated years says what it covers
    nothing = ind.with_columns(pl.lit(None, pl.Float64).alias("value"))
    covered = {"debt": {"present": True, "years": [2019, 2020]}, "complaints": {"present": False}}
    with pytest.raises(InputError) as e:
        rated_framework(fw, nothing, covered, "x")
    years = sorted(ind["year"].unique().to_list())
    assert e.value.problems[0].startswith(f"debt: no value in the rated years ({years[0]}") and \
        e.value.problems[0].endswith("it covers 2019–2020, see rating validate")
    assert e.value.problems[1] == "complaints: absent"


def test_outlook_uses_the_frameworks_change(ind):
    fw = framework()  # outlook_change = 5
    scores = pl.DataFrame({"unit_id": ["a", "a", "b", "b"], "year": [2023, 2024, 2023, 2024],
                           "score": [60.0, 64.0, 60.0, 54.0]})
    alerts = pl.DataFrame(schema={"unit_id": pl.String, "year": pl.Int64, "level": pl.String})
    got = with_outlook(scores, alerts, fw)
    assert got["outlook"].to_list() == ["stable", "stable", "stable", "negative"]


def test_publish_bundles_the_rating_tables(ind):
    fw = framework()
    scored = score(ind, UNITS, fw)
    pub = publish(scored, ind, fw, seed=0, replications=0)
    scores, _ = build_scores(scored, fw, ind, seed=0, replications=0)
    assert_frame_equal(pub.scores, scores)
    assert_frame_equal(pub.indicators, indicator_rows(scored, ind, fw))
    assert pub.audit and all(isinstance(v, pl.DataFrame) for v in pub.audit.values())
    with pytest.raises(dataclasses.FrozenInstanceError):
        pub.scores = scores


def test_run_tables_from_a_runs_tables(ind):
    fw = framework()
    units, scores = UNITS, pl.DataFrame({"unit_id": ["100000"], "year": [2024], "score": [1.0]})
    corr = pl.DataFrame({"a": ["good"], "b": ["debt"], "r": [0.5]})

    class Model:
        card, predictions = {"chosen_model": "logit"}, pl.DataFrame({"model": ["logit"]})

    run = RunTables.of({"units": units, "scores": scores, "audit_correlations": corr,
                        "model_backtest": pl.DataFrame({"n": [1]})}, framework=fw, manifest={"seed": 0}, model=Model())
    assert list(run.audit) == ["correlations"] and run.audit["correlations"] is corr
    assert run.backtest["n"].to_list() == [1]
    assert run.model_card == {"chosen_model": "logit"} and run.predictions is Model.predictions
    assert run.indicators is None and run.records is None and run.explanations is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.scores = scores
    bare = RunTables.of({"units": units, "scores": scores}, framework=fw, manifest={})
    assert bare.model_card is None and bare.audit == {}
