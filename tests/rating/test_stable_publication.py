"""Stable publication: rating one more year leaves the scores already published for the earlier
years byte-identical (a year reads only itself and earlier years: shrinkage priors, treatment,
imputation and normalisation are per peer group and year, and a unit's experience over years
looks back, never forward)."""
from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

#: The published rating of a unit-year: the index and dimension scores, rank, grade, vetoes and
#: honours. Monte Carlo intervals and the model's outlook are re-estimated with every run.
PUBLISHED = ["unit_id", "year", "score", "rank", "grade", "grade_uncapped", "veto", "honours_eligible",
             "commitment", "lawful", "responsiveness", "fiscal"]


@pytest.fixture(scope="module")
def seven_years(tmp_path_factory):
    from indicators.synth import generate

    data = tmp_path_factory.mktemp("stable") / "data"
    generate(data, seed=19, years=(2019, 2025), scale="demo", complaints=15_000)
    return data


@pytest.mark.integration
def test_adding_a_year_leaves_earlier_scores_byte_identical(seven_years):
    import rating

    as_of = dt.date(2026, 6, 30)
    before = rating.run(seven_years, seed=1, as_of=as_of, replications=5, years=range(2019, 2025)).scores
    after = rating.run(seven_years, seed=1, as_of=as_of, replications=5, years=range(2019, 2026)).scores
    assert after["year"].max() == 2025 and before["year"].max() == 2024
    old = before.select(PUBLISHED).sort("unit_id", "year")
    new = after.filter(pl.col("year") <= 2024).select(PUBLISHED).sort("unit_id", "year")
    assert old.height > 0 and old["score"].null_count() < old.height
    assert old.write_csv() == new.write_csv()


@pytest.mark.integration
def test_pooled_normalisation_would_move_them(seven_years):
    """The check above can fail: min-max pooled over years revises 2019-2024 when 2025 arrives."""
    import rating
    from indicators.framework_load import load_framework

    fw = load_framework(None).with_methods(normalise_over="pooled")
    as_of = dt.date(2026, 6, 30)
    before = rating.run(seven_years, fw, seed=1, as_of=as_of, replications=5, years=range(2019, 2025)).scores
    after = rating.run(seven_years, fw, seed=1, as_of=as_of, replications=5, years=range(2019, 2026)).scores
    old = before.select("unit_id", "year", "score").sort("unit_id", "year")
    new = after.filter(pl.col("year") <= 2024).select("unit_id", "year", "score").sort("unit_id", "year")
    assert old.write_csv() != new.write_csv()
