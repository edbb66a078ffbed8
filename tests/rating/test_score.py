"""Scoring a framework: normalisation within peers, aggregation through the hierarchy with
applicability and the data threshold, ranks, grades, vetoes and honours."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from indicators.framework_load import parse_framework
from rating.grade import apply_vetoes, grade_of, honours, ranks
from rating.score import score


def framework(**methods):
    doc = {
        "framework": {"code": "IDX", "name_zh": "指数", "name_en": "Index"},
        "methods": {"normalise": "minmax:0,100", "data_threshold": 0.5, **methods},
        "grade": [{"code": "A", "min": 80}, {"code": "B", "min": 50}, {"code": "C", "min": 0}],
        "dimension": [
            {"code": "d1", "parent": "IDX", "weight": 1, "name_zh": "一", "name_en": "One"},
            {"code": "d2", "parent": "IDX", "weight": 3, "name_zh": "二", "name_en": "Two"},
        ],
        "indicator": [
            {"code": "good", "parent": "d1", "name_zh": "好", "name_en": "Good", "direction": 1,
             "table": "complaints", "measure": "count"},
            {"code": "bad", "parent": "d1", "name_zh": "坏", "name_en": "Bad", "direction": -1,
             "table": "complaints", "measure": "count"},
            {"code": "debt", "parent": "d2", "name_zh": "债", "name_en": "Debt", "direction": -1, "kinds": ["region"],
             "table": "debt", "measure": "ratio", "column": "debt_balance", "denominator_column": "fiscal_capacity"},
            {"code": "flag", "name_zh": "标", "name_en": "Flag", "table": "failure_records", "measure": "count"},
        ],
        "veto": [{"code": "V1", "indicator": "flag", "op": "gt", "value": 0, "cap": "B",
                  "reason_zh": "有标记", "reason_en": "flagged"}],
        "honours": {"indicator": "flag", "reason_zh": "有记录", "reason_en": "has records"},
    }
    return parse_framework(doc)


UNITS = pl.DataFrame({
    "unit_id": ["100000", "200000", "300000", "100000-X"],
    "kind": ["region", "region", "region", "department"],
    "level": ["city", "city", "city", "city"],
})


def long(rows):
    return pl.DataFrame(rows, schema={"unit_id": pl.String, "year": pl.Int64, "indicator": pl.String, "value": pl.Float64},
                        orient="row")


@pytest.fixture
def values():
    return long([
        ("100000", 2024, "good", 10.0), ("100000", 2024, "bad", 0.0), ("100000", 2024, "debt", 1.0),
        ("200000", 2024, "good", 5.0), ("200000", 2024, "bad", 5.0), ("200000", 2024, "debt", 3.0),
        ("300000", 2024, "good", 0.0), ("300000", 2024, "bad", 10.0), ("300000", 2024, "debt", None),
        ("100000-X", 2024, "good", 1.0), ("100000-X", 2024, "bad", 1.0),
    ])


def col(scored, code, unit):
    i = scored.keys["unit_id"].to_list().index(unit)
    return scored.aggregates[i, scored.aggregate_codes.index(code)]


def test_hand_computed_scores(values):
    s = score(values, UNITS, framework())
    # regions among regions: good minmax (10,5,0)->(100,50,0); bad reversed (0,5,10)->(100,50,0)
    assert col(s, "d1", "100000") == pytest.approx(100)
    assert col(s, "d1", "200000") == pytest.approx(50)
    # debt reversed (1,3)->(100,0); region 300000 misses debt: d2 missing, index = d1 alone
    assert col(s, "IDX", "100000") == pytest.approx((1 * 100 + 3 * 100) / 4)
    assert col(s, "IDX", "200000") == pytest.approx((1 * 50 + 3 * 0) / 4)
    assert np.isnan(col(s, "d2", "300000"))
    # data threshold 0.5: the region has 1/4 of the weight available -> missing
    assert np.isnan(col(s, "IDX", "300000"))


def test_not_applicable_is_not_missing(values):
    s = score(values, UNITS, framework())
    # the department has no debt indicator at all: its index is d1 alone, above the threshold;
    # alone in its peer group, its minmax is undefined (constant), so d1 is missing
    assert np.isnan(col(s, "d2", "100000-X"))
    dep = values.filter(pl.col("unit_id") == "100000-X")
    two = pl.concat([dep, dep.with_columns(pl.lit("100000-Y").alias("unit_id"), pl.col("value") * 2)])
    units = pl.concat([UNITS, pl.DataFrame({"unit_id": ["100000-Y"], "kind": ["department"], "level": ["city"]})])
    s = score(pl.concat([values, two.filter(pl.col("unit_id") == "100000-Y")]), units, framework())
    assert col(s, "IDX", "100000-X") == pytest.approx(col(s, "d1", "100000-X"))


def test_threshold_zero_keeps_partial_scores(values):
    s = score(values, UNITS, framework(data_threshold=0.0))
    assert col(s, "IDX", "300000") == pytest.approx(0.0)


def test_ranks_ties_share_lowest_and_grades():
    df = pl.DataFrame({"score": [90.0, 70.0, 90.0, None], "year": [1] * 4, "kind": ["r"] * 4, "level": ["c"] * 4})
    assert ranks(df).to_list() == [1, 3, 1, None]
    g = grade_of(np.array([90.0, 79.999, 50.0, np.nan]), framework())
    assert list(g) == ["A", "B", "B", None]


def test_grades_when_the_first_unit_year_has_no_score():
    """An evaluator's delivery where the first unit-year in (unit_id, year) order is not rated
    crashed the run (polars cannot cast an object array starting with None)."""
    g = grade_of(np.array([np.nan, 90.0, 50.0]), framework())
    assert g.dtype == pl.String and g.to_list() == [None, "A", "B"]


def test_veto_caps_grade_and_names_it():
    fw = framework()
    scores = pl.DataFrame({"unit_id": ["a", "b", "c"], "year": [2024] * 3, "grade": ["A", "C", "A"]})
    aux = long([("a", 2024, "flag", 2.0), ("b", 2024, "flag", 1.0), ("c", 2024, "flag", 0.0)])
    out = apply_vetoes(scores, aux, fw)
    assert out["grade"].to_list() == ["B", "C", "A"]
    assert out["grade_uncapped"].to_list() == ["A", "C", "A"]
    assert out["veto"].to_list() == ["V1", "V1", None]  # the code; its reason is the framework's
    assert [v.reason("en") for v in fw.vetoes_in(out["veto"][0])] == ["flagged"]
    assert fw.vetoes_in(None) == ()
    h = honours(scores, aux, fw)
    assert h["honours_eligible"].to_list() == [False, False, True]
    assert h["honours_reason"].to_list() == ["有记录 / has records", "有记录 / has records", None]


def test_framework_imputation_fills_applicable_cells_only(values):
    s = score(values, UNITS, framework(impute="mean"))
    i = s.keys["unit_id"].to_list().index("300000")
    j = s.codes.index("debt")
    assert s.imputed[i, j] and np.isnan(s.raw[i, j])  # raw keeps the missing value, flagged imputed
    # the region's debt is filled with the peer mean (1 + 3) / 2 = 2 -> normalised 50
    assert s.normalised[i, j] == pytest.approx(50)
    k = s.keys["unit_id"].to_list().index("100000-X")
    assert not s.imputed[k, j] and np.isnan(s.normalised[k, j])  # debt does not apply to a department


def test_framework_treatment_records_points():
    rows = [(f"{100000 + i}", 2024, "good", float(v)) for i, v in enumerate([1, 2, 3, 4, 5, 6, 7, 8, 9, 500])]
    rows += [(f"{100000 + i}", 2024, "bad", float(i)) for i in range(10)]
    units = pl.DataFrame({"unit_id": [r[0] for r in rows[:10]], "kind": ["region"] * 10, "level": ["city"] * 10})
    s = score(long(rows), units, framework(treat="winsorise", data_threshold=0.0))
    assert s.treated.height >= 1 and set(s.treated["iCode"]) == {"good"}
    j = s.codes.index("good")
    assert s.raw[:, j].max() == 500  # the raw value is kept; only the normalised one reflects treatment
    assert np.nanmax(s.normalised[:, j]) == 100 and np.sort(s.normalised[:, j])[-2] > 50
