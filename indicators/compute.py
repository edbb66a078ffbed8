"""Compile the framework's indicator definitions to DuckDB SQL and compute them.

One aggregate query per source table (per date column, window and scope): every indicator of
that table becomes a pair of FILTERed aggregates (numerator, denominator), so the table is
scanned once. Results come back long: unit_id, year, indicator, value, numerator, denominator.
A missing source table gives missing values, never zeros; a zero or small denominator gives a
missing value (or a shrunk one, if the framework says so), never a division by zero.

The SQL is DuckDB's dialect, kept to constructs whose meaning other engines share (no decimal
literal divides, no table functions), so that `indicators.engines` can transpile the same
queries for Spark; `compute_with` runs them on any engine that returns polars frames.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import duckdb
import polars as pl

from indicators.contract import RECORD_TABLES, TABLES
from indicators.coverage import covered, table_coverage
from indicators.delivery import Delivery
from indicators.framework import Condition, Definition, Framework, Node

INDICATOR_SCHEMA = {
    "unit_id": pl.String, "year": pl.Int64, "indicator": pl.String,
    "value": pl.Float64, "numerator": pl.Float64, "denominator": pl.Float64, "outside_coverage": pl.Boolean,
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


#: Sums of doubles are taken over DECIMAL(38, 4): exact, so that neither the order of additions
#: (threads, spilling, partitions, engine) nor anything else changes their last bit. Every
#: double column of the contract is money, so values are rounded to 0.0001 (of a yuan) first;
#: the scale is small enough that value x 10^4 is exact in a double, so DuckDB and Spark round
#: each value alike. Sums may reach 10^34.
EXACT = "DECIMAL(38, 4)"


def exact_sum(expr: str, where: str) -> str:
    """The sum of `expr` over the rows where `where` holds, exact and independent of order.
    The decimal becomes a double through its text, which every engine rounds correctly (a
    direct cast may round twice, differently on DuckDB and on Spark)."""
    return f"CAST(CAST(sum(CAST({expr} AS {EXACT})) FILTER (WHERE {where}) AS VARCHAR) AS DOUBLE)"


def measure_sql(node: Node) -> tuple[str, str]:
    """SQL aggregates for the numerator and the denominator of one indicator."""
    d = node.definition
    where = conditions_sql(d.where)
    lifecycle = d.table == "failure_records"
    counting = "r.counting AND " if lifecycle else ""
    if d.measure == "count":
        if lifecycle:  # weighted by the lifecycle (e.g. a rectified record counts half)
            return f"coalesce({exact_sum('r.weight', counting + where)}, 0)", "NULL"
        return f"count(*) FILTER (WHERE {where})", "NULL"
    weight = "r.weight * " if lifecycle else ""
    column = f'r."{d.column}"'
    if d.measure == "weighted_count":
        cases = " ".join(f"WHEN CAST(r.\"{d.weight_column}\" AS VARCHAR) = {literal(k)} THEN {v!r}" for k, v in d.weights)
        return f"coalesce({exact_sum(weight + f'CASE {cases} ELSE 0 END', counting + where)}, 0)", "NULL"
    if d.measure == "sum":
        return f"coalesce({exact_sum(weight + column, counting + where)}, 0)", "NULL"
    if d.measure == "share":
        num = conditions_sql(d.numerator)
        base = f"{counting}{where}"
        if d.column:
            return exact_sum(column, f"{base} AND {num}"), exact_sum(column, base)
        return f"count(*) FILTER (WHERE {base} AND ({num}) IS TRUE)", f"count(*) FILTER (WHERE {base})"
    if d.measure == "ratio":
        both = f'{counting}{where} AND r."{d.column}" IS NOT NULL AND r."{d.denominator_column}" IS NOT NULL'
        return exact_sum(column, both), exact_sum(f'r."{d.denominator_column}"', both)
    if d.measure == "mean":
        cond = f"{counting}{where}"
        return f"{exact_sum(column, cond)} / NULLIF(count({column}) FILTER (WHERE {cond}), 0)", "NULL"
    if d.measure == "median_days":
        # a double divisor: a decimal literal would make Spark divide in DECIMAL and round
        span = f'date_diff(\'second\', CAST(r."{d.start}" AS TIMESTAMP), CAST(r."{d.end}" AS TIMESTAMP)) / CAST(86400 AS DOUBLE)'
        return f'median({span}) FILTER (WHERE {counting}{where} AND r."{d.end}" IS NOT NULL)', "NULL"
    if d.measure == "value":
        return exact_sum(column, f"{counting}{where}"), "NULL"
    raise ValueError(d.measure)  # unreachable: measures are validated when the framework loads


def year_sql(d: Definition) -> str:
    col = f'r."{d.date}"'
    return col if TABLES[d.table].year_column == d.date else f"year({col})"


def group_query(nodes: list[Node], present: set[str], part: tuple[int, int] | None = None) -> str:
    """One scan of one table computing every indicator in `nodes` (same table, date, window,
    scope); with `part` = (i, k), only for the units whose hash falls in bucket i of k."""
    d = nodes[0].definition
    src = source_sql(d, present)
    scope = "scope_unit" if d.scope == "unit" else "scope_region"
    shift = f" + w.k" if d.window > 1 else ""
    # the years a row counts for, as inline VALUES: table functions differ between engines
    window = f", (VALUES {', '.join(f'({k})' for k in range(d.window))}) AS w(k)" if d.window > 1 else ""
    repaired = ""
    if src == "stg_failure_records" and d.window > 1:
        # a repaired record counts for its own year, and for later windows only until its repair date
        repaired = f" AND (w.k = 0 OR r.counts_until IS NULL OR r.counts_until > make_date({year_sql(d)}{shift}, 12, 31))"
    bucket = f" AND hash(s.target) % {part[1]} = {part[0]}" if part else ""
    cols = []
    for n in nodes:
        num, den = measure_sql(n)
        cols.append(f'{num} AS "{n.code}__num", {den} AS "{n.code}__den"')
    return (
        f"SELECT s.target AS unit_id, {year_sql(d)}{shift} AS year, {', '.join(cols)}\n"
        f"FROM {src} AS r JOIN {scope} AS s ON r.unit_id = s.source{window}\n"
        f"WHERE {year_sql(d)}{shift} IN (SELECT year FROM rated_years){repaired}{bucket}\n"
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


def table_groups(framework: Framework, present: set[str]) -> list[list[Node]]:
    """The computed indicators grouped by one scan each (same table, date, window and scope),
    for the tables in `present` only: a missing table's indicators stay missing."""
    groups: dict[tuple, list[Node]] = defaultdict(list)
    for n in framework.computed:
        d = n.definition
        groups[(d.table, d.date, d.window, d.scope)].append(n)
    return [nodes for (table, *_), nodes in groups.items() if table in present]


def compute_indicators(con: duckdb.DuckDBPyConnection, framework: Framework, present: set[str],
                       years: list[int] | None = None, coverage: dict | None = None) -> pl.DataFrame:
    """All computed indicators (index and auxiliary), long, one row per applicable unit-year;
    missing outside each record table's `coverage` (indicators.coverage; default: inferred)."""
    prepare(con, years)
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    present = set(present) | ({"stg_failure_records"} & views)
    groups = {group_query(nodes, present): nodes for nodes in table_groups(framework, present)}

    def run(queries: list[str]) -> list[pl.DataFrame]:
        return [run_group(con, groups[q], present) if q in groups else con.sql(q).pl() for q in queries]

    return compute_with(run, con, framework, present, coverage)


#: Bytes a median holds per value while it aggregates (measured: 10^7 complaints with their
#: region copies, 1.6e7 values, need 200-300 MB), and the share of DuckDB's memory limit a
#: median query may plan to fill.
MEDIAN_BYTES_PER_VALUE = 16
MEDIAN_SHARE_OF_LIMIT = 0.4


def median_parts(con: duckdb.DuckDBPyConnection, nodes: list[Node]) -> int:
    """In how many passes over disjoint sets of units the medians of a group must run to fit
    the memory limit: a median keeps every value until the end (it cannot spill like a sum),
    so at 10^8 complaints one pass would need gigabytes. 1 for a group without a median."""
    medians = [n for n in nodes if n.definition.measure == "median_days"]
    if not medians:
        return 1
    d = medians[0].definition
    rows = con.sql(f'SELECT count(*) FROM "{d.table}"').fetchall()[0][0]
    values = rows * (2 if d.scope == "region" else 1) * d.window * len(medians)  # an upper bound
    limit = size_bytes(con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0])
    return max(1, -(-values * MEDIAN_BYTES_PER_VALUE // max(1, int(limit * MEDIAN_SHARE_OF_LIMIT))))


def run_group(con: duckdb.DuckDBPyConnection, nodes: list[Node], present: set[str]) -> pl.DataFrame:
    """One group's numerators and denominators, wide. When its medians would not fit the memory
    limit, they run apart from the other measures, in passes over disjoint sets of units: each
    unit's values all fall in one pass, so the medians are the same to the bit."""
    k = median_parts(con, nodes)
    if k == 1:
        return con.sql(group_query(nodes, present)).pl()
    medians = [n for n in nodes if n.definition.measure == "median_days"]
    others = [n for n in nodes if n.definition.measure != "median_days"]
    keys = ["unit_id", "year"]
    wide = pl.concat([con.sql(group_query(medians, present, (i, k))).pl() for i in range(k)])
    if others:  # the same rows and groups: every group of one query is a group of the other
        wide = con.sql(group_query(others, present)).pl().join(wide, on=keys, how="full", coalesce=True)
    return wide


def size_bytes(text: str) -> int:
    """DuckDB's way of writing a size ('953.6 MiB', '8.0 GiB', '1GB', '512 bytes') in bytes.

    >>> size_bytes("953.6 MiB"), size_bytes("1GB"), size_bytes("512 bytes")
    (999922073, 1000000000, 512)
    """
    number = text.strip().rstrip("BbYTESytes ").rstrip()
    units = {"": 1, "K": 1000, "M": 1000 ** 2, "G": 1000 ** 3, "T": 1000 ** 4,
             "Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3, "Ti": 1024 ** 4}
    digits = number.rstrip("KMGTi ")
    return int(float(digits) * units[number[len(digits):].strip()])


def compute_with(run: Callable[[list[str]], list[pl.DataFrame]], con: duckdb.DuckDBPyConnection,
                 framework: Framework, present: set[str], coverage: dict | None = None) -> pl.DataFrame:
    """Indicators from the group queries, run by `run` (DuckDB SQL in, one polars frame per query
    out) on whichever engine holds the tables; `con` holds units, unit_stats and the relations of
    `prepare`, from which the grid of applicable unit-years and the denominators come. Outside a
    record table's coverage (`coverage`, else inferred from the rows) its indicators are missing."""
    if coverage is None:
        coverage = table_coverage(run, present, Delivery())
    groups = table_groups(framework, present)
    wides = run([group_query(nodes, present) for nodes in groups])
    # One row per unit and rated year (a few thousand rows) holds the unit's kind and level, its
    # denominators from unit_stats and every group's numerators and denominators side by side;
    # each indicator is then a slice of it, already in (unit_id, year) order, so that no long
    # frame is joined or sorted.
    keys = ["unit_id", "year"]
    years = con.sql("SELECT year FROM rated_years ORDER BY year").pl().cast({"year": pl.Int64})
    stats = con.sql("SELECT unit_id, year, population, staff, budget FROM unit_stats").pl().with_columns(
        pl.col("year").cast(pl.Int64))
    # exposure that matches scope: a region's records include its departments', so a count per
    # staff divides by the staff of everything its records cover (missing if any of them is)
    scope_staff = con.sql(
        "SELECT s.target AS unit_id, st.year, CASE WHEN count(*) = count(st.staff) THEN sum(st.staff) END "
        "AS staff__region FROM unit_stats AS st JOIN scope_region AS s ON st.unit_id = s.source GROUP BY ALL"
    ).pl().with_columns(pl.col("year").cast(pl.Int64), pl.col("staff__region").cast(pl.Float64))
    stats = stats.join(scope_staff, on=keys, how="left")
    base = con.sql("SELECT unit_id, kind, level FROM units").pl().join(years, how="cross").join(stats, on=keys, how="left")
    for nodes, wide in zip(groups, wides, strict=True):
        cols = [pl.col(f"{n.code}__{part}").cast(pl.Float64) for n in nodes for part in ("num", "den")]
        base = base.join(wide.select("unit_id", pl.col("year").cast(pl.Int64), *cols), on=keys, how="left")
    computed = {n.code for nodes in groups for n in nodes}
    base = base.with_columns(covered(coverage[t]).alias(f"covered__{t}") for t in RECORD_TABLES if t in coverage)
    base = base.sort(keys).lazy()
    parts = [finish(base, n, n.code in computed) for n in sorted(framework.computed, key=lambda n: n.code)]
    if not parts:
        return pl.DataFrame(schema=INDICATOR_SCHEMA)
    return pl.concat(parts).cast(INDICATOR_SCHEMA).collect()


#: The unit_stats column a count per exposure divides by, for (per, scope) pairs that differ from
#: `per`: a region in region scope counts its departments' records, so it divides by their staff
#: too. Population and budget are the region's own: its residents are the ones its departments
#: serve, and its budget includes their appropriations (docs/framework.md, "Exposure").
EXPOSURE = {("staff", "region"): "staff__region"}


def finish(base: pl.LazyFrame, node: Node, computed: bool) -> pl.LazyFrame:
    """One indicator's rows (the unit-years it applies to, in `base`'s order): the numerator, a
    real zero for a count or sum whose table exists but had no rows for the unit in the year; the
    denominator, a stat from unit_stats where `per` is set; the value, numerator / denominator,
    scaled, missing for a zero or small denominator (or shrunk, if the framework says so)."""
    d = node.definition
    rows = base.filter(pl.col("kind").is_in(list(node.kinds)) & pl.col("level").is_in(list(node.levels)))
    num = pl.col(f"{node.code}__num") if computed else pl.lit(None, pl.Float64)
    den = pl.col(f"{node.code}__den") if computed else pl.lit(None, pl.Float64)
    if computed and d.measure in ("count", "weighted_count", "sum"):
        num = num.fill_null(0.0)
    if d.per:
        den = pl.col(EXPOSURE.get((d.per, d.scope), d.per)).cast(pl.Float64)
    inside = pl.col(f"covered__{d.table}") if d.table in RECORD_TABLES else pl.lit(True)
    num = pl.when(inside).then(num)  # outside coverage nothing is known: not zero
    rows = rows.select("unit_id", "year", num.alias("numerator"), den.alias("denominator"),
                       (~inside).alias("outside_coverage"))
    numerator, denominator = pl.col("numerator"), pl.col("denominator")
    divides = denominator.is_not_null()
    ok = divides & (denominator > 0) & (denominator >= d.min_denominator)
    value = pl.when(ok).then(numerator / denominator).when(divides).then(None).otherwise(numerator) * d.scale
    if d.small_denominator == "shrink":
        value = shrink(value, d)
    return rows.select("unit_id", "year", pl.lit(node.code).alias("indicator"), value.fill_nan(None).alias("value"),
                       "numerator", "denominator", "outside_coverage")


def shrink(value: pl.Expr, d: Definition) -> pl.Expr:
    """Shrink small-denominator shares toward the pooled rate of the year (empirical Bayes,
    prior strength = min_denominator)."""
    numerator, denominator = pl.col("numerator"), pl.col("denominator")
    small = (denominator > 0) & (denominator < d.min_denominator)
    pooled = (numerator.sum() / denominator.sum()).over("year")
    est = (numerator + d.min_denominator * pooled) / (denominator + d.min_denominator) * d.scale
    return pl.when(small).then(est).otherwise(value)
