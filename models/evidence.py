"""What the alert kinds over records share (models.kinds.event, overdue): framework conditions as
polars filters, the scope of a record (its unit, and its region only for scope = "region"), the
records behind an event and their evidence.

Conditions are the framework's (`Condition`: column, op, value), compiled here to polars
expressions with the SQL semantics of indicators/compute.py (a null compares as false). A
region's scope includes its departments, whose ids are `<region id>-<dept code>` by the input
contract; the `unit` scope keeps a unit's own rows.
"""
from __future__ import annotations

import polars as pl

from indicators.framework import Condition, Framework
from models.alert import MAX_IDS, alert, figure, id_text

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
    """`frame` with a column `target`: the unit itself and, in the region scope, a department's
    region too (one record, one alert: only a rule declared with scope = "region" does this)."""
    own = frame.with_columns(pl.col("unit_id").alias("target"))
    if scope != "region":
        return own
    dept = frame.filter(pl.col("unit_id").str.contains("-", literal=True)).with_columns(
        pl.col("unit_id").str.split("-").list.first().alias("target"))
    return pl.concat([own, dept])


def origin() -> pl.Expr:
    """The unit whose rows raised a scoped group: the target itself when it has rows of its own,
    else the first of its departments that has."""
    return (pl.when((pl.col("unit_id") == pl.col("target")).any()).then(pl.col("target").first())
            .otherwise(pl.col("unit_id").min())).alias("origin")


def _record_hits(records: pl.DataFrame, conditions, scope: str, date: str = "occurred_on") -> pl.DataFrame:
    """target, year, n, ids, origin, rectified, repaired, amount: counting records matching the
    conditions, per scope unit and year."""
    r = records.filter(pl.col("counting")) if "counting" in records.columns else records
    r = matching(r, conditions).with_columns(pl.col(date).dt.year().cast(pl.Int64).alias("year"))
    r = r.with_columns(
        (pl.col("status") if "status" in r.columns else pl.lit(None, pl.String)).alias("_status"),
        (pl.col("amount").cast(pl.Float64) if "amount" in r.columns else pl.lit(None, pl.Float64)).alias("_amount"))
    return (scoped(r, scope).group_by("target", "year")
            .agg(pl.len().alias("n"), pl.col("record_id").sort().alias("ids"), origin(),
                 (pl.col("_status") == "rectified").sum().alias("rectified"),
                 (pl.col("_status") == "repaired").sum().alias("repaired"),
                 pl.col("_amount").sum().alias("amount"), pl.col("_amount").is_not_null().any().alias("has_amount"))
            .sort("target", "year"))


def record_text(n: int, ids: list, rectified: int = 0, repaired: int = 0, amount: float | None = None) -> tuple[str, str]:
    """(zh, en) evidence of record-based alerts: the record ids, how many there are (counted
    whole: a rectified record is one record), how many were rectified or repaired, the amount.

    Examples
    --------
    >>> record_text(2, ["R1", "R2"], rectified=1, amount=250000.0)[0]
    '记录 R1, R2（共2条，其中已整改1条）；涉及金额25.00万元'
    """
    ids_zh, ids_en = id_text(ids, n)
    extra_zh = "、".join(t for t in (f"已整改{rectified}条" if rectified else "", f"已信用修复{repaired}条" if repaired else "") if t)
    extra_en = ", ".join(t for t in (f"{rectified} rectified" if rectified else "", f"{repaired} repaired" if repaired else "") if t)
    zh = f"记录 {ids_zh}（共{n}条{'，其中' + extra_zh if extra_zh else ''}）"
    en = f"record(s) {ids_en} ({n} in all{'; ' + extra_en if extra_en else ''})"
    if amount:
        a_zh, a_en = figure(amount, "yuan")
        zh, en = f"{zh}；涉及金额{a_zh}", f"{en}; amount involved {a_en}"
    return zh, en


def indicator_record_ids(records: pl.DataFrame | None, framework: Framework, code: str) -> dict | None:
    """{(unit_id, year): hit} behind a count indicator over failure records (hit: a row of
    _record_hits), or None when the records are not given or the indicator is not defined over them."""
    if records is None or records.is_empty():
        return None
    try:
        d = framework.node(code).definition
    except KeyError:
        return None
    if d is None or d.table != "failure_records" or d.date not in records.columns:
        return None
    hits = _record_hits(records, d.where, d.scope, d.date)
    return {(r["target"], r["year"]): r for r in hits.iter_rows(named=True)}


def record_event_alerts(records: pl.DataFrame | None, rule: dict, framework: Framework) -> list[dict]:
    """Event rule with `where`: more than `value` counting failure records matching it in the
    year, at the unit whose records they are (and at its region only for scope = "region")."""
    if records is None or records.is_empty():
        return []
    hits = _record_hits(records, rule["where"], rule["scope"])
    hits = hits.filter(pl.col("n") > rule["value"])
    out = []
    for r in hits.iter_rows(named=True):
        out.append(record_alert(rule, r["target"], r["year"], r, framework))
    return out


def record_alert(rule: dict, unit: str, year: int, hit: dict, framework: Framework, **extra) -> dict:
    """The alert of an event rule from one group of records (a row of _record_hits)."""
    n, ids = int(hit["n"]), list(hit["ids"])
    ev = {"count": n, "threshold": rule["value"], "records": ids[:MAX_IDS], "records_total": len(ids),
          "rectified": int(hit["rectified"]), "repaired": int(hit["repaired"]), **extra}
    text = record_text(n, ids, int(hit["rectified"]), int(hit["repaired"]), hit["amount"] if hit["has_amount"] else None)
    return alert(rule, unit, year, rule["level"], ev, framework=framework, text=text, origin=hit["origin"],
                 value=float(n), count=n, threshold=rule["value"])
