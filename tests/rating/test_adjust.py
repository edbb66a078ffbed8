"""Analyst overrides (validated, logged, never touching the score) and the outlook."""
from __future__ import annotations

import polars as pl
from polars.testing import assert_series_equal
import pytest

from indicators.errors import InputError
from indicators.framework_load import load_framework
from rating.adjust import apply_overrides, outlook, read_overrides

SCORES = pl.DataFrame({"unit_id": ["440100", "440100", "440200", "440200"], "year": [2023, 2024, 2023, 2024],
                       "score": [80.0, 70.0, 60.0, 66.0], "grade": ["B", "C", "C", "C"]})


def test_override_replaces_grade_and_logs_it(tmp_path):
    (tmp_path / "overrides.csv").write_text(
        "unit_id,year,grade,reason,analyst\n440200,2024,B,整改已完成，经复核上调,张三\n", encoding="utf-8")
    o = read_overrides(tmp_path, load_framework(), SCORES)
    out = apply_overrides(SCORES, o)
    assert out["grade"].to_list() == ["B", "C", "C", "B"]
    assert_series_equal(out["score"], SCORES["score"], check_exact=True)
    assert out["override"].to_list() == [None, None, None, "C -> B: 整改已完成，经复核上调 (张三)"]


def test_no_overrides_file_changes_nothing(tmp_path):
    out = apply_overrides(SCORES, read_overrides(tmp_path, load_framework(), SCORES))
    assert_series_equal(out["grade"], SCORES["grade"])
    assert out["override"].null_count() == 4


def test_bad_overrides_are_refused_with_every_problem(tmp_path):
    (tmp_path / "overrides.csv").write_text(
        "unit_id,year,grade,reason,analyst\n440200,2024,E,,张三\n449999,2024,A,x,y\n440100,20x4,A,x,y\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_overrides(tmp_path, load_framework(), SCORES)
    text = str(e.value)
    assert "row 2, column grade: 'E' is not a grade" in text
    assert "row 2, column reason: empty" in text
    assert "row 3: unit '449999' is not rated in 2024" in text
    assert "row 4, column year: '20x4' is not a year" in text


def test_outlook_from_trend_and_alerts():
    alerts = pl.DataFrame({"unit_id": ["440200"], "year": [2023], "level": ["red"]})
    got = outlook(SCORES, alerts, change=3.0).to_list()
    assert got == ["stable", "negative", "negative", "positive"]


def test_no_outlook_without_a_score():
    """A unit-year the data cannot rate gets no outlook, even under an alert."""
    scores = SCORES.with_columns(pl.when(pl.col("year") == 2024).then(None).otherwise(pl.col("score")).alias("score"))
    alerts = pl.DataFrame({"unit_id": ["440100"], "year": [2024], "level": ["red"]})
    assert outlook(scores, alerts).to_list() == ["stable", None, "stable", None]
