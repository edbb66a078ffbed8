"""The `event` alert kind: an occurrence in the year: failure records matching `where`, or an
indicator count, above `value`. docs/early-warning.md documents its keys."""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from indicators.framework import Framework
from models import evidence
from models.alert import Wording
from models.kinds import values as values_

KIND = "event"


@dataclass(frozen=True)
class Params:
    """The keys of a `event` alert entry besides code, kind, level, status, messages and actions, with
    the defaults the framework fills in (indicators.framework.ALERT_KEYS says the same)."""

    indicator: str | None = None
    where: tuple = ()
    value: float = 0.0
    scope: str = "unit"

    def check(self) -> list[str]:
        """Problems with the values (empty: none)."""
        out = [] if (self.indicator is None) != (not self.where) else ["one of indicator or where"]
        return out + ([] if self.scope in ("unit", "region") else ["scope: unit or region"])


def alerts(values: pl.DataFrame, rule: dict, framework: Framework, records: pl.DataFrame | None = None) -> list[dict]:
    """An occurrence in the year: an indicator count above `value` (default 0), or, with `where`,
    counting failure records matching the conditions. Evidence lists the record ids when the
    failure records are given and the indicator is defined over them."""
    if "where" in rule:
        return evidence.record_event_alerts(records, rule, framework)
    found = evidence.indicator_record_ids(records, framework, rule["indicator"])
    v = values_.present(values, rule["indicator"])
    hits = v.filter(pl.col("value") > rule["value"])
    if found is None:  # no records behind the count: the figure as it is, never rounded
        return values_.value_rows(hits, rule, rule["level"], rule["value"], framework)
    out = []
    for r in hits.sort("unit_id", "year").iter_rows(named=True):
        hit = found.get((r["unit_id"], r["year"]))
        if hit is not None:  # the count of records, with the indicator's (discounted) value beside it
            out.append(evidence.record_alert(rule, r["unit_id"], r["year"], hit, framework,
                                             indicator=rule["indicator"], value=r["value"]))
    return out


def evaluate(rule: dict, frames, framework: Framework) -> list[dict]:
    """The kind's alerts over the run's frames (models.kinds.Frames)."""
    return alerts(frames.values, rule, framework, frames.records)


def describe(rule: dict) -> tuple[str, str]:
    """(zh, en) one line on when the rule fires, for the methodology page."""
    w = Wording(rule)
    arrow_zh, arrow_en, what = w.arrow_zh, w.arrow_en, w.what
    src = what or "failure_records: " + " AND ".join(f"{c.column} {c.op} {c.value}" for c in rule["where"])
    return f"{src} > {rule['value']:g}{arrow_zh}", f"{src} > {rule['value']:g}{arrow_en}"
