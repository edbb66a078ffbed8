"""The contracts and 12345 tickets behind a unit's rate indicators: for a share, the rows that
count against the unit (a contract not fulfilled on time, a ticket resolved late, a dissatisfied
rating); for a ratio of amounts, the rows carrying the numerator (e.g. contracts with arrears).

The selection is the framework's own definition (its `where` and `numerator` conditions,
evaluated by reports.records), in the year the unit is shown for, and for indicators scoped to
the region also the rows of the region's departments. Only the first LIMIT rows of each
indicator are kept; how many there are in all comes from the published counts of a share.
"""
from __future__ import annotations

from functools import lru_cache

import polars as pl

from indicators.contract import TABLES
from indicators.mask import mask
from reports import fmt
from reports.fmt import escape_text
from reports.records import conditions

LIMIT = 10
EVIDENCE_TABLES = ("contracts", "complaints")


def selection(node, columns) -> pl.Expr | None:
    """The rows of an indicator's table that count against the unit, or None (no row-level reading)."""
    d = node.definition
    if d is None or d.table not in EVIDENCE_TABLES:
        return None
    where = conditions(d.where, columns)
    if where is None:
        return None
    if d.measure == "share":
        num = conditions(d.numerator, columns)
        if num is None:
            return None
        return where & (num if node.direction < 0 else ~num)
    if d.measure == "ratio" and node.direction < 0 and d.column in columns:
        return where & (pl.col(d.column).fill_null(0) > 0)
    return None


def scoped(rows: pl.DataFrame, units: pl.DataFrame, region_scope: bool) -> pl.DataFrame:
    """`rows` with a `target`: the unit itself, plus the department's region in region scope
    (the rows' own columns, e.g. a contract's `kind`, are kept as they are)."""
    own = rows.with_columns(pl.col("unit_id").alias("target"))
    if not region_scope:
        return own
    regions = (units.filter((pl.col("kind") == "department") & pl.col("region_id").is_not_null()
                            & (pl.col("region_id") != pl.col("unit_id")))
               .select("unit_id", pl.col("region_id").alias("target")))
    return pl.concat([own, rows.join(regions, on="unit_id", how="inner")], how="vertical_relaxed")


def behind(tables: dict, units: pl.DataFrame, framework, wanted: pl.DataFrame) -> pl.DataFrame:
    """target, indicator, table, n (rows in all), rank (0..LIMIT-1) and the row's columns as a
    struct (`row_<table>`),
    for the (unit_id, year) pairs of `wanted`."""
    want = wanted.select(pl.col("unit_id").alias("target"), "year")
    parts = []
    for node in framework.computed:
        d = node.definition
        df = (tables or {}).get(d.table) if d is not None else None
        if df is None or df.is_empty():
            continue
        # a frame with an `indicator` column holds rows already selected per indicator (the
        # run keeps only the first tickets of each unit: see rating.pipeline.tickets_behind)
        expr = (pl.col("indicator") == node.code) if "indicator" in df.columns else selection(node, set(df.columns))
        date = d.date or TABLES[d.table].date_column
        if expr is None or date not in df.columns:
            continue
        try:
            hit = df.filter(expr)
        except pl.exceptions.PolarsError:
            continue  # a condition the table's types cannot evaluate: no rows listed for it
        hit = hit.with_columns(pl.col(date).dt.year().cast(pl.Int64).alias("year"), pl.col(date).alias("_date"))
        hit = scoped(hit, units, d.scope != "unit").join(want, on=["target", "year"], how="semi")
        if hit.is_empty():
            continue
        key = TABLES[d.table].key[0]
        hit = (hit.sort("target", "_date", key)
               .with_columns(pl.len().over("target").alias("n"), pl.int_range(pl.len()).over("target").alias("rank"))
               .filter(pl.col("rank") < LIMIT))
        cols = [c for c in df.columns if c not in ("year", "indicator")]
        parts.append(hit.select("target", pl.lit(node.code).alias("indicator"), pl.lit(d.table).alias("table"),
                                "n", "rank", pl.struct(cols).alias(f"row_{d.table}")))
    if not parts:
        return pl.DataFrame(schema={"target": pl.String, "indicator": pl.String, "table": pl.String,
                                    "n": pl.UInt32, "rank": pl.Int64})
    return pl.concat(parts, how="diagonal_relaxed")


def against_count(node, numerator, denominator):
    """How many rows count against the unit on a share, from the published counts (the rows
    listed may be only the first few): the numerator where more is worse, the rest otherwise."""
    d = node.definition
    if d is None or d.measure != "share" or fmt.missing(numerator) or fmt.missing(denominator):
        return None
    return numerator if node.direction < 0 else denominator - numerator


@lru_cache(maxsize=4096)
def _topic(text) -> str:
    """A ticket's topic as a cell shows it: personal data masked, clipped (the same topics recur
    on thousands of pages: each is masked once)."""
    return fmt.clip(mask(text))


def _yes(v, t) -> str:
    return fmt.DASH if v is None else (t["yes"] if v else t["no"])


def rows_html(rows: pl.DataFrame, against, t: dict, words) -> list[str]:
    """Each contract or ticket of `rows` (`behind`) as a row of its table (codes in words, dates,
    amounts in yuan), every text escaped: `against(unit_id, target)` is the cell of the unit the
    row counts against (HTML), and `words(v)` a coded value in words, escaped. Made column by
    column before any page is written, each distinct value of a column written once."""
    e = escape_text  # every value escaped here is a str
    out: list = [None] * rows.height
    tables, targets = rows.get_column("table").to_list(), rows.get_column("target").to_list()
    for table, ident, cells in _CELLS:
        at = [i for i, name in enumerate(tables) if name == table]
        if not at or f"row_{table}" not in rows.columns:
            continue
        items = rows.get_column(f"row_{table}").gather(at)
        names = {f.name for f in items.dtype.fields}

        def column(name: str, write) -> list:
            values = items.struct.field(name).to_list() if name in names else [None] * len(at)
            seen: dict = {}
            return [seen[v] if v in seen else seen.setdefault(v, write(v)) for v in values]

        other = column("unit_id", lambda v: v)
        lines = zip(column(ident, lambda v: e(fmt.text(v))),
                    [against(u, targets[i]) for u, i in zip(other, at)],
                    *[column(name, {"words": words, "date": lambda v: e(fmt.date(v)),
                                    "amount": lambda v: fmt.num(v, 0), "topic": lambda v: e(_topic(v)),
                                    "yes": lambda v: e(_yes(v, t))}[kind]) for name, kind in cells])
        for i, (key, unit, *values) in zip(at, lines):
            out[i] = f'<tr><th scope="row">{key}</th><td>{unit}</td><td>{"</td><td>".join(values)}</td></tr>\n'
    return out


#: Per table: its rows' id column, and the columns of its cells (`HEADERS` order) with how each is
#: written.
_CELLS = (
    ("contracts", "contract_id", (("kind", "words"), ("due_on", "date"), ("fulfilled_on", "date"),
                                  ("status", "words"), ("amount", "amount"), ("arrears_amount", "amount"))),
    ("complaints", "ticket_id", (("received_at", "date"), ("kind", "words"), ("topic", "topic"), ("due_at", "date"),
                                 ("resolved_at", "date"), ("satisfaction", "words"), ("repeat", "yes"))),
)


#: Message keys of the columns of each table's rows (reports.labels).
HEADERS = {
    "contracts": ("ev_kind", "ev_due_on", "ev_fulfilled_on", "ev_status", "ev_amount", "ev_arrears"),
    "complaints": ("ev_received_at", "ev_kind", "ev_topic", "ev_due_at", "ev_resolved_at", "ev_satisfaction",
                   "ev_repeat"),
}
