"""The composite's context in the features (three-year mean, the region's and its departments'
scores) and the logistic candidate that reads it: what each unit's row says, that it uses no later
year, and that the model and its explanations stay on those columns."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from indicators.framework_load import load_framework
from models.features import CONTEXT, build_features, context_columns

UNITS = ["440100", "440100-A", "440100-B", "440103", "440103-A"]
KIND = ["region", "department", "department", "region", "department"]
LEVEL = ["city", "city", "city", "county", "county"]


def scores(years=(2022, 2023, 2024), shift: float = 0.0, **cols) -> pl.DataFrame:
    rows = []
    for k, y in enumerate(years):
        for i, u in enumerate(UNITS):
            rows.append({"unit_id": u, "year": y, "score": 40.0 + 5 * i + k + (shift if y == years[-1] else 0.0),
                         "kind": KIND[i], "level": LEVEL[i]})
    return pl.DataFrame(rows).with_columns(**cols)


def values() -> pl.DataFrame:
    return pl.DataFrame({"unit_id": ["440100"], "year": [2022], "indicator": ["debt_ratio"], "value": [1.0]})


def row(frame: pl.DataFrame, unit: str, year: int) -> dict:
    return frame.filter(pl.col("unit_id") == unit, pl.col("year") == year).row(0, named=True)


def test_each_unit_reads_its_own_region_and_the_regions_departments():
    fw = load_framework()
    f = build_features(values(), fw, scores=scores())
    code = fw.code
    city, dept, county = row(f, "440100", 2024), row(f, "440100-B", 2024), row(f, "440103-A", 2024)
    # 2024 scores: 440100 42, -A 47, -B 52, 440103 57, 440103-A 62
    assert city["family:score"] == dept["family:score"] == pytest.approx(49.5)
    assert city["region:score"] == dept["region:score"] == 42.0
    assert county["region:score"] == 57.0 and county["family:score"] == 62.0
    assert city[f"score_3y:{code}"] == pytest.approx(41.0) and city["region:score_3y"] == pytest.approx(41.0)
    assert dept["family:score_3y"] == pytest.approx(48.5)


def test_a_declared_region_id_wins_over_the_code_in_the_unit_id():
    fw = load_framework()
    moved = scores().with_columns(region_id=pl.when(pl.col("unit_id") == "440103-A").then(pl.lit("440100"))
                                  .otherwise(pl.col("unit_id").str.split("-").list.first()))
    f = build_features(values(), fw, scores=moved)
    assert row(f, "440103-A", 2024)["region:score"] == 42.0
    assert row(f, "440100", 2024)["family:score"] == pytest.approx((47 + 52 + 62) / 3)
    assert row(f, "440103", 2024)["family:score"] is None


def test_context_uses_no_later_year_and_is_null_without_kinds():
    fw = load_framework()
    a = build_features(values(), fw, scores=scores())
    b = build_features(values(), fw, scores=scores(shift=30.0))  # only 2024 changes
    cols = [f"score_3y:{fw.code}", *CONTEXT]
    early = pl.col("year") < 2024
    assert a.filter(early).select(cols).equals(b.filter(early).select(cols))
    assert not a.filter(~early).select(cols).equals(b.filter(~early).select(cols))
    bare = build_features(values(), fw, scores=scores().drop("kind", "level"))
    assert bare.select(CONTEXT).null_count().row(0) == (bare.height,) * len(CONTEXT)
    assert bare[f"score_3y:{fw.code}"].null_count() == 0


def test_the_logistic_candidate_reads_the_composite_its_context_kind_and_level(ew_frames):
    from tests.models.conftest import chain, fast_framework

    fw = fast_framework(candidates=["logit"])
    ew = chain(ew_frames, fw)
    cols = ew.card["features"]
    own = set(context_columns(cols, fw.code))
    assert f"score:{fw.code}" in own and set(CONTEXT) <= own and len(own) < len(cols) // 4
    # its explanations name only what it reads (the kind and level move together as `unit_type`)
    named = set(ew.explanations["feature"].unique().to_list())
    assert named and named <= own | {"unit_type"}
    # the last model takes the whole feature matrix, as the card lists it, and ignores the other columns
    X = np.random.default_rng(0).normal(size=(4, len(cols)))
    Y = X.copy()
    others = [j for j, c in enumerate(cols) if c not in own]
    Y[:, others] += 100.0
    assert np.array_equal(ew.model.predict_proba(X), ew.model.predict_proba(Y))
