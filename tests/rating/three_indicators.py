"""The small framework the data-resampling and experience tests share: one count per staff, one
share and one amount per budget under a single dimension, z-scored within peer group and year."""
from __future__ import annotations

from indicators.framework_load import parse_framework


def framework(methods: dict | None = None, uncertainty: dict | None = None, **tables):
    """The three-indicator framework with extra `[methods]` and `[uncertainty]` settings; `tables`
    replace whole top-level tables (e.g. `grade`)."""
    return parse_framework({
        "framework": {"code": "IDX", "name_zh": "指数", "name_en": "Index"},
        "methods": {"normalise": "zscore:50,10", "normalise_over": "year", "peer_group": "kind-level", **(methods or {})},
        "uncertainty": uncertainty or {},
        "grade": [{"code": "A", "min": 55}, {"code": "B", "min": 45}, {"code": "C", "min": 0}],
        "dimension": [{"code": "d", "parent": "IDX", "weight": 1, "name_zh": "维", "name_en": "D"}],
        "indicator": [
            {"code": "rate", "parent": "d", "name_zh": "率", "name_en": "Rate", "direction": -1, "weight": 1,
             "table": "failure_records", "measure": "count", "per": "staff", "scale": 100},
            {"code": "share", "parent": "d", "name_zh": "比", "name_en": "Share", "direction": 1, "weight": 1,
             "table": "complaints", "measure": "share", "numerator": [{"column": "repeat", "eq": False}]},
            {"code": "amount", "parent": "d", "name_zh": "额", "name_en": "Amount", "direction": -1, "weight": 1,
             "table": "failure_records", "measure": "sum", "column": "amount", "per": "budget"},
        ],
        **tables,
    })
