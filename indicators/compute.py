"""Compile the framework's indicator definitions to DuckDB SQL and compute them.

One aggregate query per source table (per date column, window and scope): every indicator of
that table becomes a pair of FILTERed aggregates (numerator, denominator), so the table is
scanned once. Results come back long: unit_id, year, indicator, value, numerator, denominator.
A missing source table gives missing values, never zeros; a zero or small denominator gives a
missing value (or a shrunk one, if the framework says so), never a division by zero.
"""
from __future__ import annotations

from collections import defaultdict

import duckdb
import polars as pl

from indicators.contract import TABLES
from indicators.framework import Condition, Definition, Framework, Node

INDICATOR_SCHEMA = {
    "unit_id": pl.String, "year": pl.Int64, "indicator": pl.String,
    "value": pl.Float64, "numerator": pl.Float64, "denominator": pl.Float64,
}


def literal(value) -> str:
    """An SQL literal for a framework value (validated types only: str, bool, int, float)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def condition_sql(c: Condition) -> str:
    col = f'r."{c.column}"'
    op = c.op
    if op == "is_null":
        return f"{col} IS NULL" if c.value else f"{col} IS NOT NULL"
    if op in ("in", "not_in"):
        items = ", ".join(literal(v) for v in c.value)
        return f"{col} {'IN' if op == 'in' else 'NOT IN'} ({items})"
    sym = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
    if op.endswith("_column"):
        return f'{col} {sym[op.removesuffix("_column")]} r."{c.value}"'
    return f"{col} {sym[op]} {literal(c.value)}"


def conditions_sql(conds) -> str:
    return " AND ".join(f"({condition_sql(c)})" for c in conds) or "TRUE"


def source_sql(d: Definition, present: set[str]) -> str:
    """The relation an indicator reads: the staged view for failure records (lifecycle applied)."""
    if d.table == "failure_records":
        return "stg_failure_records" if "stg_failure_records" in present else "failure_records"
    return d.table


def measure_sql(node: Node) -> tuple[str, str]:
    """SQL aggregates for the numerator and the denominator of one indicator."""
    d = node.definition
    where = conditions_sql(d.where)
    lifecycle = d.table == "failure_records"
    counting = "r.counting AND " if lifecycle else ""
    weight = "r.weight" if lifecycle else "1"
    if d.measure == "count":
        return f"coalesce(sum({weight}) FILTER (WHERE {counting}{where}), 0)", "NULL"
    if d.measure == "weighted_count":
        cases = " ".join(f"WHEN CAST(r.\"{d.weight_column}\" AS VARCHAR) = {literal(k)} THEN {v!r}" for k, v in d.weights)
        return f"coalesce(sum({weight} * CASE {cases} ELSE 0 END) FILTER (WHERE {counting}{where}), 0)", "NULL"
    if d.measure == "sum":
        return f'coalesce(sum({weight} * r."{d.column}") FILTER (WHERE {counting}{where}), 0)', "NULL"
    if d.measure == "share":
        num = conditions_sql(d.numerator)
        base = f"{counting}{where}"
        if d.column:
            return (f'sum(r."{d.column}") FILTER (WHERE {base} AND {num})',
                    f'sum(r."{d.column}") FILTER (WHERE {base})')
        return f"count(*) FILTER (WHERE {base} AND ({num}) IS TRUE)", f"count(*) FILTER (WHERE {base})"
    if d.measure == "ratio":
        both = f'{counting}{where} AND r."{d.column}" IS NOT NULL AND r."{d.denominator_column}" IS NOT NULL'
        return f'sum(r."{d.column}") FILTER (WHERE {both})', f'sum(r."{d.denominator_column}") FILTER (WHERE {both})'
    if d.measure == "mean":
        return f'avg(r."{d.column}") FILTER (WHERE {counting}{where})', "NULL"
    if d.measure == "median_days":
        span = f'date_diff(\'second\', CAST(r."{d.start}" AS TIMESTAMP), CAST(r."{d.end}" AS TIMESTAMP)) / 86400.0'
        return f'median({span}) FILTER (WHERE {counting}{where} AND r."{d.end}" IS NOT NULL)', "NULL"
    if d.measure == "value":
        return f'sum(r."{d.column}") FILTER (WHERE {counting}{where})', "NULL"
    raise ValueError(d.measure)  # unreachable: measures are validated when the framework loads


def year_sql(d: Definition) -> str:
    col = f'r."{d.date}"'
    return col if TABLES[d.table].year_column == d.date else f"year({col})"


def group_query(nodes: list[Node], present: set[str]) -> str:
    """One scan of one table computing every indicator in `nodes` (same table, date, window, scope)."""
    d = nodes[0].definition
    src = source_sql(d, present)
    scope = "scope_unit" if d.scope == "unit" else "scope_region"
    shift = f" + w.k" if d.window > 1 else ""
    window = f", range({d.window}) AS w(k)" if d.window > 1 else ""
    repaired = ""
    if src == "stg_failure_records" and d.window > 1:
        # a repaired record counts for its own year, and for later windows only until its repair date
        repaired = f" AND (w.k = 0 OR r.counts_until IS NULL OR r.counts_until > make_date({year_sql(d)}{shift}, 12, 31))"
    cols = []
    for n in nodes:
        num, den = measure_sql(n)
        cols.append(f'{num} AS "{n.code}__num", {den} AS "{n.code}__den"')
    return (
        f"SELECT s.target AS unit_id, {year_sql(d)}{shift} AS year, {', '.join(cols)}\n"
        f"FROM {src} AS r JOIN {scope} AS s ON r.unit_id = s.source{window}\n"
        f"WHERE {year_sql(d)}{shift} IN (SELECT year FROM rated_years){repaired}\n"
        f"GROUP BY ALL"
    )


def prepare(con: duckdb.DuckDBPyConnection, years: list[int] | None = None) -> None:
    """Helper relations: the rated years and the unit scopes (a region's scope includes its departments)."""
    con.execute("CREATE OR REPLACE TEMP TABLE rated_years AS " + (
        "SELECT DISTINCT year FROM unit_stats" if years is None
        else "SELECT unnest(?::BIGINT[]) AS year"), [] if years is None else [list(years)])
    con.execute("CREATE OR REPLACE TEMP VIEW scope_unit AS SELECT unit_id AS source, unit_id AS target FROM units")
    con.execute(
        "CREATE OR REPLACE TEMP VIEW scope_region AS "
        "SELECT unit_id AS source, unit_id AS target FROM units "
        "UNION ALL SELECT unit_id, region_id FROM units WHERE kind = 'department' AND region_id <> unit_id"
    )


def applicable_units(con: duckdb.DuckDBPyConnection, framework: Framework) -> pl.DataFrame:
    """Every (unit, year, indicator) the framework rates, whether or not data exist for it."""
    units = con.sql("SELECT unit_id, kind, level FROM units").pl()
    years = con.sql("SELECT year FROM rated_years ORDER BY year").pl()
    rules = pl.DataFrame(
        [(n.code, k, lv) for n in framework.computed for k in n.kinds for lv in n.levels],
        schema={"indicator": pl.String, "kind": pl.String, "level": pl.String}, orient="row",
    )
    return units.join(rules, on=["kind", "level"]).join(years, how="cross").select("unit_id", "year", "indicator")


def compute_indicators(con: duckdb.DuckDBPyConnection, framework: Framework, present: set[str],
                       years: list[int] | None = None) -> pl.DataFrame:
    """All computed indicators (index and auxiliary), long, one row per applicable unit-year."""
    prepare(con, years)
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    present = set(present) | ({"stg_failure_records"} & views)
    groups: dict[tuple, list[Node]] = defaultdict(list)
    for n in framework.computed:
        d = n.definition
        groups[(d.table, d.date, d.window, d.scope)].append(n)
    parts = []
    for (table, *_), nodes in groups.items():
        if table not in present:
            continue  # missing table: its indicators stay missing
        wide = con.sql(group_query(nodes, present)).pl()
        for n in nodes:
            parts.append(wide.select(
                "unit_id", pl.col("year").cast(pl.Int64), pl.lit(n.code).alias("indicator"),
                pl.col(f"{n.code}__num").cast(pl.Float64).alias("numerator"),
                pl.col(f"{n.code}__den").cast(pl.Float64).alias("denominator"),
            ))
    raw = pl.concat(parts) if parts else pl.DataFrame(schema={k: v for k, v in INDICATOR_SCHEMA.items() if k != "value"})
    grid = applicable_units(con, framework)
    stats = con.sql("SELECT unit_id, year, population, staff, budget FROM unit_stats").pl().with_columns(pl.col("year").cast(pl.Int64))
    out = grid.join(raw, on=["unit_id", "year", "indicator"], how="left")
    # zero counts where the table exists but a unit had no rows in the year: a real zero
    zero_ok = [n.code for n in framework.computed
               if n.definition.table in present and n.definition.measure in ("count", "weighted_count", "sum")]
    out = out.with_columns(
        pl.when(pl.col("indicator").is_in(zero_ok) & pl.col("numerator").is_null())
        .then(0.0).otherwise(pl.col("numerator")).alias("numerator")
    ).join(stats, on=["unit_id", "year"], how="left")
    return finish(out, framework)


def finish(df: pl.DataFrame, framework: Framework) -> pl.DataFrame:
    """Divide numerators by their denominators (a stat from unit_stats where `per` is set), scale,
    and apply the small-denominator rule."""
    meta = pl.DataFrame(
        [(n.code, n.definition.per or "", n.definition.scale, n.definition.min_denominator,
          n.definition.small_denominator, n.definition.measure) for n in framework.computed],
        schema={"indicator": pl.String, "per": pl.String, "scale": pl.Float64, "min_den": pl.Float64,
                "small": pl.String, "measure": pl.String}, orient="row",
    )
    df = df.join(meta, on="indicator", how="left")
    per_value = pl.coalesce(
        [pl.when(pl.col("per") == s).then(pl.col(s)) for s in ("population", "staff", "budget")]
    )
    den = pl.when(pl.col("per") != "").then(per_value).otherwise(pl.col("denominator"))
    df = df.with_columns(den.alias("denominator"))
    divides = pl.col("denominator").is_not_null()
    ok = divides & (pl.col("denominator") > 0) & (pl.col("denominator") >= pl.col("min_den"))
    value = (pl.when(ok).then(pl.col("numerator") / pl.col("denominator"))
             .when(divides).then(None)
             .otherwise(pl.col("numerator"))) * pl.col("scale")
    df = df.with_columns(value.alias("value"))
    df = shrink(df)
    return (df.select(list(INDICATOR_SCHEMA))
            .with_columns(pl.col("value").fill_nan(None))
            .sort("indicator", "unit_id", "year"))


def shrink(df: pl.DataFrame) -> pl.DataFrame:
    """Shrink small-denominator shares toward the pooled rate of the year (empirical Bayes,
    prior strength = min_denominator), where the framework asks for it."""
    small = (pl.col("small") == "shrink") & (pl.col("denominator") > 0) & (pl.col("denominator") < pl.col("min_den"))
    pooled = (pl.col("numerator").sum() / pl.col("denominator").sum()).over("indicator", "year")
    est = (pl.col("numerator") + pl.col("min_den") * pooled) / (pl.col("denominator") + pl.col("min_den")) * pl.col("scale")
    return df.with_columns(pl.when(small).then(est).otherwise(pl.col("value")).alias("value"))
