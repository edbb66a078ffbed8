"""The Python API: tables as polars frames, SQL over a run, reopening it, and re-running from
the stage a change affects."""
from __future__ import annotations

import polars as pl
import pytest

import rating
from indicators.framework import load_framework


def test_tables_and_sql(small_run):
    assert isinstance(small_run.scores, pl.DataFrame)
    by_grade = small_run.sql("SELECT grade, count(*) AS n FROM scores WHERE score IS NOT NULL GROUP BY grade ORDER BY grade")
    assert by_grade["n"].sum() == small_run.scores["score"].drop_nulls().len()


def test_load_reopens_a_finished_run(small_run):
    again = rating.Result.load(small_run.out)
    assert again.scores.equals(small_run.scores)
    assert again.manifest["seed"] == small_run.manifest["seed"]


def test_rerun_with_new_weights_reuses_indicators(small_run):
    fw = small_run.framework.with_weights({"fiscal": 0.6, "commitment": 0.1})
    new = small_run.rerun(fw)
    assert "load" not in new.timings and "indicators" not in new.timings  # nothing recomputed below rating
    assert new.indicators["value"].equals(small_run.indicators["value"])
    assert not new.scores["score"].equals(small_run.scores["score"])
    # the same framework again gives the same scores
    same = small_run.rerun()
    assert same.scores.equals(small_run.scores)


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
