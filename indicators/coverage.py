"""Coverage: the years and units each record table reports on.

Inside a table's coverage, no record means zero records; outside it, the table's indicators are
missing, never zero. By default a table covers the years in which it has at least one accepted
row, for every unit; `delivery.toml` may declare first and last years and a list of units
(indicators.delivery). An absent table covers nothing.
"""
from __future__ import annotations

from collections.abc import Callable

import polars as pl

from indicators.contract import RECORD_TABLES, TABLES
from indicators.delivery import Delivery

def year_expr(table: str) -> str:
    """SQL for the year a row of a record table reports on (its date's year, or its year column)."""
    t = TABLES[table]
    return f'r."{t.year_column}"' if t.year_column else f'year(r."{t.date_column}")'


def coverage_queries(table: str) -> list[str]:
    """Rows per year of one record table, and its number of units with rows: plain SQL that
    Spark runs too."""
    return [f"SELECT {year_expr(table)} AS year, count(*) AS n FROM {table} AS r GROUP BY {year_expr(table)}",
            f"SELECT count(DISTINCT unit_id) AS n FROM {table}"]


def table_coverage(run: Callable[[list[str]], list[pl.DataFrame]], present: set[str] | list[str],
                   delivery: Delivery) -> dict[str, dict]:
    """Per record table: whether it is present, whether its coverage was declared, the years it
    covers, its first and last year, the units it covers ("all" or a list) and how many units
    have rows. `run` takes SQL and returns one polars frame per query, on the engine that holds
    the tables (indicators.compute.compute_with)."""
    tables = [t for t in RECORD_TABLES if t in present]
    results = run([q for t in tables for q in coverage_queries(t)])
    frames = {t: (results[2 * i], results[2 * i + 1]) for i, t in enumerate(tables)}
    out = {}
    for t in RECORD_TABLES:
        declared = delivery.coverage.get(t)
        entry = {"present": t in present, "declared": declared is not None, "years": [],
                 "first_year": None, "last_year": None, "units": "all", "units_with_rows": 0}
        if t in frames:
            f, units = frames[t]
            seen = sorted(int(y) for y in f["year"].drop_nulls().to_list())
            first = declared.first_year if declared and declared.first_year is not None else (seen[0] if seen else None)
            last = declared.last_year if declared and declared.last_year is not None else (seen[-1] if seen else None)
            entry["first_year"], entry["last_year"] = first, last
            if declared is not None and (declared.first_year is not None or declared.last_year is not None):
                entry["years"] = list(range(first, last + 1)) if first is not None and last is not None else []
            else:
                entry["years"] = seen  # inferred: the years with rows (gaps stay gaps)
            if declared is not None and declared.units is not None:
                entry["units"] = list(declared.units)
            entry["units_with_rows"] = int(units["n"][0]) if units.height else 0
        out[t] = entry
    return out


def covered(entry: dict) -> pl.Expr:
    """True for the unit-years (columns unit_id, year) that a table's coverage entry covers."""
    inside = pl.col("year").is_in(entry["years"]) if entry["present"] else pl.lit(False)
    if entry["units"] != "all":
        inside = inside & pl.col("unit_id").is_in(entry["units"])
    return inside


def coverage_text(entry: dict, lang: str = "zh") -> str:
    """'2023–2025' (with gaps: '2019–2020, 2023'), or 'no data' / '无数据'.

    >>> coverage_text({"present": True, "years": [2019, 2020, 2023]})
    '2019–2020, 2023'
    >>> coverage_text({"present": False, "years": []}, "en")
    'no data'
    """
    years = entry.get("years") or []
    if not entry.get("present") or not years:
        return "无数据" if lang == "zh" else "no data"
    runs, start = [], years[0]
    for a, b in zip(years, years[1:] + [None]):
        if b != a + 1:
            runs.append(f"{start}" if start == a else f"{start}–{a}")
            start = b
    return ", ".join(runs)
