"""A grade capped by a veto is marked wherever it is shown: the label, and the Excel scores sheet."""
from __future__ import annotations

import polars as pl

from reports.excel import sheets
from reports.labels import grade_label, grade_label_expr

SCORES = pl.DataFrame({"unit_id": ["440100", "440300", "440400"], "year": [2024] * 3, "score": [85.0, 70.0, 92.0],
                       "rank": [2, 3, 1], "grade": ["C", "C", "B"], "grade_uncapped": ["B", "C", "A"],
                       "veto": ["V1", "V1", None], "override": [None, None, "A -> B: appeal (Li)"]})


def test_the_label_names_the_grade_the_score_earns_only_when_a_veto_capped_it():
    rows = list(SCORES.iter_rows(named=True))
    assert [grade_label(r, "zh") for r in rows] == ["C (否决; 得分对应 B)", "C", "B"]
    assert [grade_label(r, "en") for r in rows] == ["C (veto; score earns B)", "C", "B"]
    assert SCORES.select(grade_label_expr(SCORES.columns, "en"))["grade"].to_list() == [grade_label(r, "en") for r in rows]
    assert grade_label({"grade": None}, "zh") == ""


def test_the_workbook_marks_capped_grades_and_keeps_codes_in_the_migration():
    out = sheets({"scores": SCORES}, None, "zh")
    assert out["scores"]["grade"].to_list() == ["C (否决; 得分对应 B)", "C", "B"]
    assert "否决" not in " ".join(str(v) for row in out["migration"].rows() for v in row)
