"""Rule alerts declared in the framework, evaluated as polars expressions over indicator values.

Each alert row: unit_id, year, level (red|orange|yellow|blue), source ("rule"), rule (the
framework code), message (zh), message_en, and evidence (the value and threshold as JSON).
"""
from __future__ import annotations

import json

import polars as pl

from indicators.framework import Framework

LEVEL_ORDER = {"red": 0, "orange": 1, "yellow": 2, "blue": 3}
ALERT_SCHEMA = {
    "unit_id": pl.String, "year": pl.Int64, "level": pl.String, "source": pl.String, "rule": pl.String,
    "message": pl.String, "message_en": pl.String, "evidence": pl.String,
}
CMP = {"gt": "__gt__", "ge": "__ge__", "lt": "__lt__", "le": "__le__", "eq": "__eq__"}


def _fmt(template: str, **values) -> str:
    try:
        return template.format(**values)
    except (KeyError, ValueError, IndexError):
        return template


def _rows(hits: pl.DataFrame, rule: dict, level: str, threshold: float) -> list[dict]:
    out = []
    for r in hits.iter_rows(named=True):
        v = r["value"]
        out.append({
            "unit_id": r["unit_id"], "year": r["year"], "level": level, "source": "rule", "rule": rule["code"],
            "message": _fmt(rule.get("message_zh", rule["code"]), value=v, threshold=threshold),
            "message_en": _fmt(rule.get("message_en", rule["code"]), value=v, threshold=threshold),
            "evidence": json.dumps({"indicator": rule.get("indicator"), "value": v, "threshold": threshold},
                                   ensure_ascii=False, sort_keys=True),
        })
    return out


def band_alerts(values: pl.DataFrame, rule: dict) -> list[dict]:
    """The highest band whose lower bound the value reaches (e.g. debt ratio 120/200/300%)."""
    v = values.filter(pl.col("indicator") == rule["indicator"], pl.col("value").is_not_null())
    out, done = [], pl.DataFrame(schema={"unit_id": pl.String, "year": pl.Int64})
    for band in sorted(rule["bands"], key=lambda b: -b["min"]):
        hits = v.filter(pl.col("value") >= band["min"]).join(done, on=["unit_id", "year"], how="anti")
        out += _rows(hits, rule, band["level"], band["min"])
        done = pl.concat([done, hits.select("unit_id", "year")])
    return out


def threshold_alerts(values: pl.DataFrame, rule: dict) -> list[dict]:
    v = values.filter(pl.col("indicator") == rule["indicator"], pl.col("value").is_not_null())
    hits = v.filter(getattr(pl.col("value"), CMP[rule["op"]])(rule["value"]))
    return _rows(hits, rule, rule["level"], rule["value"])


def event_alerts(values: pl.DataFrame, rule: dict) -> list[dict]:
    """Any occurrence in the year (a count above zero) raises the alert."""
    return threshold_alerts(values, {**rule, "op": "gt", "value": rule.get("value", 0)})


RULES = {"band": band_alerts, "threshold": threshold_alerts, "event": event_alerts}


def evaluate(values: pl.DataFrame, framework: Framework) -> pl.DataFrame:
    """All rule alerts of the framework over the long indicator table (index and auxiliary)."""
    rows = []
    for rule in framework.alerts:
        f = RULES.get(rule["kind"])
        if f is not None:
            rows += f(values, rule)
    df = pl.DataFrame(rows, schema=ALERT_SCHEMA)
    return sort_alerts(df)


def sort_alerts(df: pl.DataFrame) -> pl.DataFrame:
    return (df.with_columns(pl.col("level").replace_strict(LEVEL_ORDER, default=9).alias("_o"))
            .sort("year", "_o", "unit_id", "rule").drop("_o"))
