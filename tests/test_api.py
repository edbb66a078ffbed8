"""The Python API: tables as polars frames, SQL over a run, reopening it, and re-running from
the stage a change affects."""
from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal, assert_series_equal, assert_series_not_equal

import rating
from indicators.framework_load import load_framework


def test_tables_and_sql(small_run):
    """Every table is a polars frame, and SQL sees each one as it is, rows and types."""
    assert {"scores", "indicators", "alerts", "risk", "units"} <= set(small_run.tables)
    for name, df in small_run.tables.items():
        assert isinstance(df, pl.DataFrame), name
        if df.columns:
            assert_frame_equal(small_run.sql(f'SELECT * FROM "{name}"'), df, check_exact=True)
    by_grade = small_run.sql("SELECT grade, count(*) AS n FROM scores WHERE score IS NOT NULL GROUP BY grade ORDER BY grade")
    counted = small_run.scores.drop_nulls("score").group_by("grade").agg(n=pl.len().cast(pl.Int64)).sort("grade")
    assert_frame_equal(by_grade, counted)
    assert by_grade["grade"].to_list() == [g.code for g in small_run.framework.grades]
    cities = small_run.sql("SELECT s.unit_id, s.rank FROM scores s JOIN units u USING (unit_id) "
                           "WHERE s.year = 2024 AND u.kind = 'region' AND u.level = 'city' ORDER BY s.rank, s.unit_id")
    assert cities.height == 21 and cities["rank"].min() == 1


def test_load_reopens_a_finished_run(small_run):
    again = rating.Result.load(small_run.out)
    assert_frame_equal(again.scores, small_run.scores, check_exact=True)
    assert again.manifest["seed"] == small_run.manifest["seed"]


def test_rerun_with_new_weights_reuses_indicators(small_run):
    fw = small_run.framework.with_weights({"fiscal": 0.6, "commitment": 0.1})
    new = small_run.rerun(fw)
    assert "load" not in new.timings and "indicators" not in new.timings  # nothing recomputed below rating
    assert_series_equal(new.indicators["value"], small_run.indicators["value"], check_exact=True)
    assert_series_not_equal(new.scores["score"], small_run.scores["score"])
    # the same framework again gives the same scores
    same = small_run.rerun()
    assert_frame_equal(same.scores, small_run.scores, check_exact=True)


def test_rerun_with_new_definition_recomputes(small_run):
    fw = small_run.framework
    from dataclasses import replace

    lc = replace(fw.lifecycle, rectified_weight=1.0)
    new = small_run.rerun(replace(fw, lifecycle=lc))
    assert "load" in new.timings and "indicators" in new.timings
    old = small_run.indicators.filter(pl.col("indicator") == "failure_weighted_per_100_staff")["value"].sum()
    assert new.indicators.filter(pl.col("indicator") == "failure_weighted_per_100_staff")["value"].sum() > old


def test_with_weights_refuses_unknown_codes():
    with pytest.raises(ValueError, match="unknown node"):
        load_framework().with_weights({"fiscl": 1})


def test_a_result_is_frozen_and_hands_its_report_tables(small_run):
    import dataclasses
    from pathlib import Path

    with pytest.raises(dataclasses.FrozenInstanceError):
        small_run.out = Path("elsewhere")
    moved = dataclasses.replace(small_run, out=Path("elsewhere"))
    assert moved.out == Path("elsewhere") and moved.scores is small_run.scores and small_run.out != moved.out
    run = small_run.run_tables()
    assert run.framework is small_run.rated and run.scores is small_run.scores
    assert run.records is small_run.staged.records and run.model_card == small_run.model.card
    assert set(run.audit) == {k.removeprefix("audit_") for k in small_run.tables if k.startswith("audit_")}
    with pytest.raises(ValueError, match="loaded from disk"):
        rating.Result.load(small_run.out).run_tables()
    assert rating.Result.load(small_run.out).run_tables(small_run.rated).records is None
