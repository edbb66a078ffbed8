"""The backtest measures the product: its early warning is the one a run publishes."""
from __future__ import annotations

import datetime as dt

import polars as pl
from polars.testing import assert_frame_equal

from models.evaluate import rate_world, run_date


def test_the_backtest_rates_a_world_as_a_run_does(small_world, small_run):
    """Same data, framework, seed and run date as a finished run: the same published grades
    (vetoes and outlook included), rule and model alerts and probabilities."""
    as_of = dt.date.fromisoformat(small_run.manifest["parameters"]["as_of"])
    tables, ew = rate_world(small_world, small_run.framework, as_of=as_of, model_seed=small_run.manifest["seed"])
    assert_frame_equal(ew.risk, small_run.risk)
    assert_frame_equal(tables["alerts"], small_run.alerts)
    published = ["unit_id", "year", "score", "rank", "grade", "grade_uncapped", "veto", "honours_eligible",
                 "override", "outlook"]
    assert_frame_equal(tables["scores"].select(published), small_run.scores.select(published))
    assert small_run.scores.filter(pl.col("grade") != pl.col("grade_uncapped")).height > 0  # vetoes bite here


def test_the_run_date_follows_the_data():
    assert run_date(2025) == dt.date(2026, 6, 30)
