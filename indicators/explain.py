"""Traceability: the records behind one indicator value of one unit and year.

Uses the same compiled conditions as the indicator computation, so the listed records
reproduce the value: their count (or weighted count, or sums) is the numerator, and the
denominator comes from the same place as in the computation.
"""
from __future__ import annotations

import duckdb
import polars as pl

from indicators.compute import conditions_sql, source_sql, year_sql
from indicators.contract import TABLES
from indicators.framework import Framework


def records_behind(con: duckdb.DuckDBPyConnection, framework: Framework, present: set[str],
                   unit_id: str, indicator: str, year: int) -> pl.DataFrame:
    """Rows of the indicator's table that entered its value: key, unit, date, the measured
    columns, `in_numerator` (for shares) and `weight` (lifecycle weight for failure records)."""
    node = framework.node(indicator)
    d = node.definition
    if d is None or d.table not in present:
        return pl.DataFrame()
    t = TABLES[d.table]
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    src = source_sql(d, set(present) | ({"stg_failure_records"} & views))
    lifecycle = src == "stg_failure_records"
    scope = "scope_unit" if d.scope == "unit" else "scope_region"
    keep = [c for c in t.column_names if c != "description"]
    cols = ", ".join(f'r."{c}"' for c in keep)
    extra = ", r.weight, r.counting" if lifecycle else ", 1.0 AS weight, TRUE AS counting"
    numerator = f", ({conditions_sql(d.numerator)}) IS TRUE AS in_numerator" if d.numerator else ""
    yr = year_sql(d)
    window = f"{yr} BETWEEN {int(year) - d.window + 1} AND {int(year)}"
    q = (f"SELECT {cols}{extra}{numerator} FROM {src} AS r JOIN {scope} AS s ON r.unit_id = s.source "
         f"WHERE s.target = ? AND {window} AND ({conditions_sql(d.where)}) "
         f"{'AND r.counting ' if lifecycle else ''}ORDER BY 1")
    return con.sql(q, params=[unit_id]).pl()
