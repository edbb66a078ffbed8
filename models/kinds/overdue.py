"""The `overdue` alert kind: arrears more than `days` past due at year end above `share` of the
amount due in the year. docs/early-warning.md documents its keys."""
from __future__ import annotations

from dataclasses import dataclass

import datetime as dt

import polars as pl

from indicators.framework import Framework
from models import evidence
from models.alert import MAX_IDS, Wording, alert, figure, id_text

KIND = "overdue"


@dataclass(frozen=True)
class Params:
    """The keys of a `overdue` alert entry besides code, kind, level, status, messages and actions, with
    the defaults the framework fills in (indicators.framework.ALERT_KEYS says the same)."""

    share: float = 0.1
    days: int = 0
    where: tuple = ()
    scope: str = "unit"

    def check(self) -> list[str]:
        """Problems with the values (empty: none)."""
        return [] if 0 <= self.share <= 1 and self.days >= 0 else ["share in [0, 1] and days >= 0"]


def alerts(contracts: pl.DataFrame | None, rule: dict, framework: Framework) -> list[dict]:
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
    >>> [(a["unit_id"], a["level"]) for a in alerts(c, rule, load_framework())]
    [('440100', 'orange')]
    """
    if contracts is None or contracts.is_empty():
        return []
    days = int(rule["days"])
    c = evidence.matching(contracts, rule.get("where", ())).filter(
        pl.col("due_on").is_not_null(), pl.col("amount").is_not_null())
    year = pl.col("due_on").dt.year().cast(pl.Int64)
    late = (pl.col("arrears_amount").fill_null(0) > 0) & (
        pl.col("due_on") <= pl.date(year, 12, 31) - pl.duration(days=days))
    c = c.with_columns(year.alias("year"), late.alias("late"))
    agg = (evidence.scoped(c, rule["scope"]).group_by("target", "year").agg(evidence.origin(),
        pl.col("amount").sum().alias("due"),
        pl.col("arrears_amount").filter(pl.col("late")).sum().alias("overdue"),
        pl.col("contract_id").filter(pl.col("late")).sort().alias("ids"),
    ).filter(pl.col("due") > 0).with_columns((pl.col("overdue") / pl.col("due")).alias("share")))
    hits = agg.filter(pl.col("share") > rule["share"]).sort("target", "year")
    out = []
    for r in hits.iter_rows(named=True):
        ev = {"share": r["share"], "threshold": rule["share"], "overdue_amount": r["overdue"], "amount_due": r["due"],
              "days": days, "records": r["ids"][:MAX_IDS], "records_total": len(r["ids"])}
        (o_zh, o_en), (d_zh, d_en) = figure(r["overdue"], "yuan"), figure(r["due"], "yuan")
        ids_zh, ids_en = id_text(r["ids"], len(r["ids"]))
        text = (f"逾期超过{days}天的拖欠{o_zh}，占本年到期应付{d_zh}的{r['share']:.1%}（预警线{rule['share']:.0%}）；"
                f"合同 {ids_zh}",
                f"arrears overdue by more than {days} days {o_en}, {r['share']:.1%} of {d_en} due in the year "
                f"(limit {rule['share']:.0%}); contract(s) {ids_en}")
        out.append(alert(rule, r["target"], r["year"], rule["level"], ev, framework=framework, text=text, origin=r["origin"],
                         value=r["share"], threshold=rule["share"], days=days))
    return out


def evaluate(rule: dict, frames, framework: Framework) -> list[dict]:
    """The kind's alerts over the run's frames (models.kinds.Frames)."""
    return alerts(frames.contracts, rule, framework)


def describe(rule: dict) -> tuple[str, str]:
    """(zh, en) one line on when the rule fires, for the methodology page."""
    w = Wording(rule)
    arrow_zh, arrow_en = w.arrow_zh, w.arrow_en
    return (f"逾期超过{rule['days']}天的欠款占应付金额 > {rule['share']:.0%}{arrow_zh}",
            f"arrears overdue by more than {rule['days']} days > {rule['share']:.0%} of the amount due{arrow_en}")
