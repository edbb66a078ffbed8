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


def test_the_truth_ceiling_counts_a_regions_departments_in_the_region_scope(tmp_path):
    """Two regions of equal integrity, one with a failing department: in the region scope the
    truth ranks that region first, in the unit scope it cannot tell them apart."""
    from models.evaluate import ceiling_by_kind

    (tmp_path / "_truth").mkdir()
    ids = ["440100", "440100-FINANCE", "440200", "440200-FINANCE"]
    pl.DataFrame({"unit_id": ids, "year": [2023] * 4, "latent": [0.5, -2.0, 0.5, 0.5]}).write_csv(tmp_path / "_truth" / "latent.csv")
    units = pl.DataFrame({"unit_id": ids, "kind": ["region", "department"] * 2, "level": ["city"] * 4,
                          "region_id": ["440100", "440100", "440200", "440200"]})
    pred = pl.DataFrame({"model": ["selected"] * 4, "unit_id": ids, "year": [2023] * 4, "target": [1, 1, 0, 0]},
                        schema_overrides={"target": pl.Int8})
    assert ceiling_by_kind(tmp_path, pred, units, "region") == {"department": 1.0, "region": 1.0}
    assert ceiling_by_kind(tmp_path, pred, units, "unit") == {"department": 1.0, "region": 0.5}
