"""Which failure records lie behind each deduction of a unit's score.

An indicator over failure records deducts for the counting records its definition selects:
all of them for counts and sums where fewer is better, the records in the numerator of a share
where a smaller share is better, and the records outside the numerator where a larger share is
better (e.g. records not yet rectified). A record counts for the unit it is against and, for
indicators scoped to the region, also for that unit's region; and for `window` years from the
year it occurred. The conditions are the framework's own, evaluated here as polars expressions.
"""
from __future__ import annotations

import polars as pl

TABLE = "failure_records"
RECORD_COLUMNS = ("record_id", "unit_id", "category", "severity", "occurred_on", "amount", "status",
                  "status_changed_on", "description", "weight")
_CMP = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__", "ge": "__ge__"}


def condition(c, columns) -> pl.Expr | None:
    """One framework condition as an expression; None when it reads a column the records lack."""
    if c.column not in columns:
        return None
    col = pl.col(c.column)
    if c.op == "is_null":
        return col.is_null() if c.value else col.is_not_null()
    if c.op in ("in", "not_in"):
        e = col.is_in(list(c.value))
        return e if c.op == "in" else ~e
    if c.op.endswith("_column"):
        if c.value not in columns:
            return None
        return getattr(col, _CMP[c.op.removesuffix("_column")])(pl.col(c.value))
    return getattr(col, _CMP[c.op])(pl.lit(c.value))


def conditions(conds, columns) -> pl.Expr | None:
    expr = pl.lit(True)
    for c in conds:
        e = condition(c, columns)
        if e is None:
            return None
        expr = expr & e.fill_null(False)
    return expr


def deduction(node, columns) -> pl.Expr | None:
    """The records an indicator deducts for, or None when it does not deduct record by record."""
    d = node.definition
    if d is None or d.table != TABLE:
        return None
    where = conditions(d.where, columns)
    if where is None:
        return None
    if d.measure in ("count", "weighted_count", "sum"):
        return where if node.direction < 0 else None
    if d.measure == "share":
        num = conditions(d.numerator, columns)
        if num is None:
            return None
        return where & (num if node.direction < 0 else ~num)
    return None


def record_years(records: pl.DataFrame) -> pl.Expr:
    return pl.col("occurred_on").dt.year().cast(pl.Int64)


def scoped(records: pl.DataFrame, units: pl.DataFrame, region_scope: bool) -> pl.DataFrame:
    """Records with a `target` column: the unit itself, plus its region when in region scope."""
    own = records.with_columns(pl.col("unit_id").alias("target"))
    if not region_scope:
        return own
    up = (records.join(units.select("unit_id", "kind", "region_id"), on="unit_id", how="inner")
          .filter((pl.col("kind") == "department") & pl.col("region_id").is_not_null()
                  & (pl.col("region_id") != pl.col("unit_id")))
          .with_columns(pl.col("region_id").alias("target")).drop("kind", "region_id"))
    return pl.concat([own, up], how="vertical_relaxed")


def behind_deductions(records: pl.DataFrame, units: pl.DataFrame, framework, wanted: pl.DataFrame) -> pl.DataFrame:
    """target, year, indicator, and the record columns, for the (target, year) pairs in `wanted`
    (columns unit_id, year). Only counting records are included."""
    cols = set(records.columns)
    base = records.filter(pl.col("counting").fill_null(False)).with_columns(record_years(records).alias("ryear"))
    want = wanted.select(pl.col("unit_id").alias("target"), "year")
    parts = []
    for node in framework.computed:
        expr = deduction(node, cols)
        if expr is None:
            continue
        d = node.definition
        try:
            hit = base.filter(expr)
        except pl.exceptions.PolarsError:
            continue  # a condition the records' types cannot evaluate: no record list for it
        hit = scoped(hit, units, d.scope != "unit")
        shifted = []
        for k in range(max(int(d.window), 1)):
            part = hit.with_columns((pl.col("ryear") + k).alias("year"))
            if k > 0:
                # a repaired record stops counting after its repair date
                part = part.filter((pl.col("status") != "repaired") | pl.col("status_changed_on").is_null()
                                   | (pl.col("status_changed_on").dt.year() > pl.col("year")))
            shifted.append(part)
        hit = pl.concat(shifted).join(want, on=["target", "year"], how="semi")
        parts.append(hit.with_columns(pl.lit(node.code).alias("indicator")))
    schema_cols = ["target", "year", "indicator", *RECORD_COLUMNS]
    if not parts:
        return pl.DataFrame(schema={c: (base.schema.get(c) or pl.String) for c in schema_cols})
    order = {n.code: i for i, n in enumerate(framework.computed)}
    out = pl.concat(parts, how="vertical_relaxed").select(schema_cols)
    return (out.with_columns(pl.col("indicator").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
            .sort("target", "_o", "occurred_on", "record_id").drop("_o"))


def pending(records: pl.DataFrame, units: pl.DataFrame) -> pl.DataFrame:
    """target and the record columns for records pending objection (异议), in region scope."""
    flag = pl.col("pending").fill_null(pl.col("status") == "under_objection").fill_null(False)
    rows = scoped(records.filter(flag), units, True)
    return rows.select("target", *RECORD_COLUMNS).sort("target", "occurred_on", "record_id")
