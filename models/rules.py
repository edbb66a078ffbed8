"""Rule alerts declared in the framework (`[[alert]]` entries), evaluated over the run's frames.

`evaluate` is the one entry point. Each kind is a module of models.kinds (its parameters, its
evaluation from the frames it reads to alert rows, its description), found in the registry
models.kinds.KINDS; a kind whose input frame is not given (or is empty) raises no alert, since
missing data is not evidence. docs/early-warning.md documents every kind and key.

The alerts frame (models.alert.ALERT_SCHEMA) is the same for rule, model and hold rows: unit_id,
year, level (red|orange|yellow|blue), source (rule|model), rule (the alert's code), status (alert
or watch), origin_unit_id, message (zh), message_en, evidence (JSON text: the values compared and
the ids of the records behind them), evidence_text(_en), action(_en), owner(_en), follow_up and
held_until (docs/early-warning.md).
"""
from __future__ import annotations

import polars as pl

from indicators.framework import ALERT_ORDER, Framework
from models import kinds
from models.alert import ALERT_SCHEMA, LEVEL_ZH, frame

__all__ = ["ALERT_SCHEMA", "LEVEL_ZH", "evaluate", "sort_alerts", "describe"]


def evaluate(values: pl.DataFrame, framework: Framework, *, scores: pl.DataFrame | None = None,
             monthly: pl.DataFrame | None = None, records: pl.DataFrame | None = None,
             contracts: pl.DataFrame | None = None) -> pl.DataFrame:
    """All rule alerts of the framework, one row per rule, unit and year that triggers.

    Parameters
    ----------
    values : long indicator values (unit_id, year, indicator, value), index and auxiliary.
    framework : the framework whose `[[alert]]` entries are evaluated, in file order.
    scores : unit_id, year, score, grade, the aggregate columns and, for peer groups, kind and
        level (trend and peer rules; without kind/level all units are one peer group).
    monthly : unit_id, month, tickets (indicators.monthly.monthly_tickets; spike rules).
    records : failure records with record_id, unit_id, category, severity, occurred_on and the
        lifecycle flag `counting` (event rules: record ids in the evidence, and `where` events).
    contracts : the contracts table (overdue rules).

    Returns
    -------
    pl.DataFrame
        ALERT_SCHEMA, sorted by year, level (red first), unit and rule.

    Notes
    -----
    Missing or NaN values never trigger. A rule whose input is not given raises nothing.

    Examples
    --------
    >>> from indicators.framework_load import load_framework
    >>> v = pl.DataFrame({"unit_id": ["440100", "440200"], "year": [2024, 2024],
    ...                   "indicator": ["debt_ratio", "debt_ratio"], "value": [3.1, 0.9]})
    >>> evaluate(v, load_framework()).select("unit_id", "level", "rule").rows()
    [('440100', 'red', 'debt_band')]
    """
    frames = kinds.Frames(values=values, scores=scores, monthly=monthly, records=records, contracts=contracts)
    rows: list[dict] = []
    for rule in framework.alerts:
        rows += kinds.evaluate(rule, frames, framework)
    return sort_alerts(frame(rows))


def sort_alerts(df: pl.DataFrame) -> pl.DataFrame:
    """Alerts in their published order: year, level (red first), unit, source, rule."""
    return (df.with_columns(pl.col("level").replace_strict(ALERT_ORDER, default=9).alias("_o"))
            .sort("year", "_o", "unit_id", "source", "rule").drop("_o"))


def describe(rule: dict) -> tuple[str, str]:
    """(zh, en) one-line statement of when a rule fires, for the methodology page.

    Examples
    --------
    >>> describe({"kind": "trend", "target": "grade", "notches": 2, "level": "orange"})[1]
    'grade falls by at least 2 notch(es) year on year -> orange'
    """
    kind = kinds.KINDS.get(rule["kind"])
    return kind.describe(rule) if kind else (rule["kind"], rule["kind"])
