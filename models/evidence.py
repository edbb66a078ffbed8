"""Alert rules over records: events with record conditions, overdue obligations, and the record
ids that back an indicator-based alert.

Conditions are the framework's (`Condition`: column, op, value), compiled here to polars
expressions with the SQL semantics of indicators/compute.py (a null compares as false). A
region's scope includes its departments, whose ids are `<region id>-<dept code>` by the input
contract; the `unit` scope keeps a unit's own rows.
"""
from __future__ import annotations

import datetime as dt

import polars as pl

from indicators.framework import Condition, Framework
from models.alert import MAX_IDS, alert

_SYM = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__", "ge": "__ge__"}


def condition_expr(c: Condition) -> pl.Expr:
    """A framework condition as a boolean polars expression (null counts as false).

    Examples
    --------
    >>> df = pl.DataFrame({"severity": [1, 3, None]})
    >>> df.filter(condition_expr(Condition("severity", "ge", 3))).height
    1
    """
    col = pl.col(c.column)
    if c.op == "is_null":
        e = col.is_null() if c.value else col.is_not_null()
    elif c.op in ("in", "not_in"):
        e = col.is_in(list(c.value))
        e = ~e if c.op == "not_in" else e
    elif c.op.endswith("_column"):
        e = getattr(col, _SYM[c.op.removesuffix("_column")])(pl.col(c.value))
    else:
        e = getattr(col, _SYM[c.op])(pl.lit(c.value))
    return e.fill_null(False)


def matching(frame: pl.DataFrame, conditions) -> pl.DataFrame:
    """Rows of `frame` meeting every condition."""
    return frame.filter(pl.all_horizontal([condition_expr(c) for c in conditions] or [pl.lit(True)]))


def scoped(frame: pl.DataFrame, scope: str) -> pl.DataFrame:
    """`frame` with a column `target`: the unit itself and, in the region scope, a department's region."""
    own = frame.with_columns(pl.col("unit_id").alias("target"))
    if scope != "region":
        return own
    dept = frame.filter(pl.col("unit_id").str.contains("-", literal=True)).with_columns(
        pl.col("unit_id").str.split("-").list.first().alias("target"))
    return pl.concat([own, dept])


def _record_hits(records: pl.DataFrame, conditions, scope: str, date: str = "occurred_on") -> pl.DataFrame:
    """target, year, n, ids: counting records matching the conditions, per scope unit and year."""
    r = records.filter(pl.col("counting")) if "counting" in records.columns else records
    r = matching(r, conditions).with_columns(pl.col(date).dt.year().cast(pl.Int64).alias("year"))
    return (scoped(r, scope).group_by("target", "year")
            .agg(pl.len().alias("n"), pl.col("record_id").sort().alias("ids")).sort("target", "year"))


def indicator_record_ids(records: pl.DataFrame | None, framework: Framework, code: str) -> dict | None:
    """{(unit_id, year): [record ids]} behind a count indicator over failure records, or None
    when the records are not given or the indicator is not defined over them."""
    if records is None or records.is_empty():
        return None
    try:
        d = framework.node(code).definition
    except KeyError:
        return None
    if d is None or d.table != "failure_records" or d.date not in records.columns:
        return None
    hits = _record_hits(records, d.where, d.scope, d.date)
    return {(t, y): ids for t, y, ids in hits.select("target", "year", "ids").iter_rows()}


def record_event_alerts(records: pl.DataFrame | None, rule: dict, framework: Framework) -> list[dict]:
    """Event rule with `where`: more than `value` counting failure records matching it in the year."""
    if records is None or records.is_empty():
        return []
    hits = _record_hits(records, rule["where"], rule["scope"])
    hits = hits.filter(pl.col("n") > rule["value"])
    out = []
    for t, y, n, ids in hits.select("target", "year", "n", "ids").iter_rows():
        ev = {"count": n, "threshold": rule["value"], "records": ids[:MAX_IDS], "records_total": len(ids)}
        out.append(alert(rule, t, y, rule["level"], ev, framework=framework, value=float(n), threshold=rule["value"]))
    return out


def overdue_alerts(contracts: pl.DataFrame | None, rule: dict, framework: Framework) -> list[dict]:
    """Arrears past due above a share of the amount due.

    Among the contracts matching `where` that fall due in the year (with an amount), the arrears
    of those more than `days` past due at the end of the year, divided by the amount due; the
    alert fires when that share exceeds `share`. Evidence: both sums and the overdue contract ids.

    Examples
    --------
    >>> from indicators.framework_load import load_framework
    >>> c = pl.DataFrame({"contract_id": ["c1", "c2"], "unit_id": ["440100", "440100"],
    ...     "due_on": [dt.date(2024, 3, 1), dt.date(2024, 5, 1)], "amount": [100.0, 100.0],
    ...     "arrears_amount": [30.0, 0.0], "counterparty_sme": [True, True]})
    >>> rule = {"code": "sme", "kind": "overdue", "share": 0.1, "days": 90, "level": "orange", "scope": "unit"}
    >>> [(a["unit_id"], a["level"]) for a in overdue_alerts(c, rule, load_framework())]
    [('440100', 'orange')]
    """
    if contracts is None or contracts.is_empty():
        return []
    days = int(rule["days"])
    c = matching(contracts, rule.get("where", ())).filter(
        pl.col("due_on").is_not_null(), pl.col("amount").is_not_null())
    year = pl.col("due_on").dt.year().cast(pl.Int64)
    late = (pl.col("arrears_amount").fill_null(0) > 0) & (
        pl.col("due_on") <= pl.date(year, 12, 31) - pl.duration(days=days))
    c = c.with_columns(year.alias("year"), late.alias("late"))
    agg = (scoped(c, rule["scope"]).group_by("target", "year").agg(
        pl.col("amount").sum().alias("due"),
        pl.col("arrears_amount").filter(pl.col("late")).sum().alias("overdue"),
        pl.col("contract_id").filter(pl.col("late")).sort().alias("ids"),
    ).filter(pl.col("due") > 0).with_columns((pl.col("overdue") / pl.col("due")).alias("share")))
    hits = agg.filter(pl.col("share") > rule["share"]).sort("target", "year")
    out = []
    for r in hits.iter_rows(named=True):
        ev = {"share": r["share"], "threshold": rule["share"], "overdue_amount": r["overdue"], "amount_due": r["due"],
              "days": days, "records": r["ids"][:MAX_IDS], "records_total": len(r["ids"])}
        out.append(alert(rule, r["target"], r["year"], rule["level"], ev, framework=framework,
                         value=r["share"], threshold=rule["share"], days=days))
    return out
