"""Rule alerts declared in the framework (`[[alert]]` entries), evaluated over the run's frames.

`evaluate` is the one entry point. Each kind is a small function from the frames it reads to
alert rows; a kind whose input frame is not given (or is empty) raises no alert, since missing
data is not evidence. Kinds over levels (band, threshold, event) live here; kinds over records
(event with `where`, overdue) in models/evidence.py; kinds over time and peers (trend, peer,
spike) in models/dynamics.py. docs/early-warning.md documents every kind and key.

The alerts frame (ALERT_SCHEMA) is the same for rule and model alerts: unit_id, year, level
(red|orange|yellow|blue), source (rule|model), rule (the alert's code), message (zh),
message_en, evidence (JSON text: the values compared and the ids of the records behind them).
"""
from __future__ import annotations

import polars as pl

from indicators.framework import ALERT_ORDER, Framework
from models import dynamics, evidence
from models.alert import MAX_IDS, OP_TEXT, alert

LEVEL_ZH = {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}
ALERT_SCHEMA = {
    "unit_id": pl.String, "year": pl.Int64, "level": pl.String, "source": pl.String, "rule": pl.String,
    "message": pl.String, "message_en": pl.String, "evidence": pl.String,
}
CMP = {"gt": "__gt__", "ge": "__ge__", "lt": "__lt__", "le": "__le__", "eq": "__eq__"}


def _indicator(values: pl.DataFrame, code: str, min_denominator: float = 0) -> pl.DataFrame:
    """The indicator's present values; with `min_denominator`, only those resting on at least
    that many cases (a share of 20 tickets swings by 10 points on two of them: not evidence)."""
    v = values.filter(pl.col("indicator") == code, pl.col("value").is_not_null(), ~pl.col("value").is_nan())
    if min_denominator and v.height:
        if "denominator" not in values.columns:
            raise ValueError(f"indicator {code}: a rule with min_denominator needs the values' denominators")
        v = v.filter(pl.col("denominator") >= min_denominator)
    return v


def _value_rows(hits: pl.DataFrame, rule: dict, level: str, threshold: float, framework: Framework,
                ids: dict | None = None) -> list[dict]:
    out = []
    for r in hits.sort("unit_id", "year").iter_rows(named=True):
        ev = {"indicator": rule["indicator"], "value": r["value"], "threshold": threshold}
        if rule.get("min_denominator"):
            ev["denominator"] = r["denominator"]
        if ids is not None:
            found = ids.get((r["unit_id"], r["year"]), [])
            ev.update(records=found[:MAX_IDS], records_total=len(found))
        out.append(alert(rule, r["unit_id"], r["year"], level, ev, framework=framework, value=r["value"], threshold=threshold))
    return out


def band_alerts(values: pl.DataFrame, rule: dict, framework: Framework) -> list[dict]:
    """The highest band whose lower bound the value reaches (e.g. debt ratio 120/200/300%).

    Examples
    --------
    >>> from indicators.framework_load import load_framework
    >>> v = pl.DataFrame({"unit_id": ["440100"], "year": [2024], "indicator": ["debt_ratio"], "value": [2.5]})
    >>> fw = load_framework()
    >>> [a["level"] for a in band_alerts(v, fw.alerts[0], fw)]
    ['orange']
    """
    v = _indicator(values, rule["indicator"], rule["min_denominator"])
    out, done = [], pl.DataFrame(schema={"unit_id": pl.String, "year": pl.Int64})
    for band in sorted(rule["bands"], key=lambda b: -b["min"]):
        hits = v.filter(pl.col("value") >= band["min"]).join(done, on=["unit_id", "year"], how="anti")
        out += _value_rows(hits, rule, band["level"], band["min"], framework)
        done = pl.concat([done, hits.select("unit_id", "year")])
    return out


def threshold_alerts(values: pl.DataFrame, rule: dict, framework: Framework) -> list[dict]:
    """Values beyond a fixed threshold (`op` gt, ge, lt, le or eq)."""
    v = _indicator(values, rule["indicator"], rule["min_denominator"])
    hits = v.filter(getattr(pl.col("value"), CMP[rule["op"]])(rule["value"]))
    return _value_rows(hits, rule, rule["level"], rule["value"], framework)


def event_alerts(values: pl.DataFrame, rule: dict, framework: Framework, records: pl.DataFrame | None = None) -> list[dict]:
    """An occurrence in the year: an indicator count above `value` (default 0), or, with `where`,
    counting failure records matching the conditions. Evidence lists the record ids when the
    failure records are given and the indicator is defined over them."""
    if "where" in rule:
        return evidence.record_event_alerts(records, rule, framework)
    ids = evidence.indicator_record_ids(records, framework, rule["indicator"])
    v = _indicator(values, rule["indicator"])
    hits = v.filter(pl.col("value") > rule["value"])
    return _value_rows(hits, rule, rule["level"], rule["value"], framework, ids)


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
    rows: list[dict] = []
    for rule in framework.alerts:
        kind = rule["kind"]
        if kind == "band":
            rows += band_alerts(values, rule, framework)
        elif kind == "threshold":
            rows += threshold_alerts(values, rule, framework)
        elif kind == "event":
            rows += event_alerts(values, rule, framework, records)
        elif kind == "trend":
            rows += dynamics.trend_alerts(values, scores, rule, framework)
        elif kind == "peer":
            rows += dynamics.peer_alerts(values, scores, rule, framework)
        elif kind == "spike":
            rows += dynamics.spike_alerts(monthly, rule, framework)
        elif kind == "overdue":
            rows += evidence.overdue_alerts(contracts, rule, framework)
    return sort_alerts(pl.DataFrame(rows, schema=ALERT_SCHEMA))


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
    k, lv = rule["kind"], rule.get("level", "")
    arrow_zh, arrow_en = f" → {LEVEL_ZH.get(lv, lv)}", f" -> {lv}"
    what = rule.get("indicator") or rule.get("target") or ""
    n = rule.get("min_denominator") or 0
    base_zh, base_en = (f"（分母≥{n:g}）", f" (denominator >= {n:g})") if n else ("", "")
    if k == "band":
        zh = "；".join(f"≥ {b['min']:g} → {LEVEL_ZH[b['level']]}" for b in rule["bands"])
        en = "; ".join(f">= {b['min']:g} -> {b['level']}" for b in rule["bands"])
        return f"{what}{base_zh} {zh}", f"{what}{base_en} {en}"
    if k == "threshold":
        zh, en = OP_TEXT[rule["op"]]
        return (f"{what}{base_zh} {zh} {rule['value']:g}{arrow_zh}",
                f"{what}{base_en} {en} {rule['value']:g}{arrow_en}")
    if k == "event":
        src = what or "failure_records: " + " AND ".join(f"{c.column} {c.op} {c.value}" for c in rule["where"])
        return f"{src} > {rule['value']:g}{arrow_zh}", f"{src} > {rule['value']:g}{arrow_en}"
    if k == "trend":
        if "notches" in rule:
            return f"等级同比下降≥{rule['notches']}级{arrow_zh}", f"grade falls by at least {rule['notches']} notch(es) year on year{arrow_en}"
        if "fall_sd" in rule:
            return (f"{what} 同比下降≥同类单位变化标准差的{rule['fall_sd']:g}倍{arrow_zh}",
                    f"{what} falls year on year by at least {rule['fall_sd']:g} SD of peers' changes{arrow_en}")
        return f"{what} 同比下降≥{rule['fall']:g}{arrow_zh}", f"{what} falls by at least {rule['fall']:g} year on year{arrow_en}"
    if k == "peer":
        return (f"{what} 连续{rule['periods']}期处于同类最差{rule['quantile']:.0%}{arrow_zh}",
                f"{what} in the worst {rule['quantile']:.0%} of peers {rule['periods']} periods running{arrow_en}")
    if k == "spike":
        return (f"月投诉量稳健z值≥{rule['z']:g}（此前{rule['history']}个月）且≥{rule['min_tickets']:g}件{arrow_zh}",
                f"monthly complaints robust z >= {rule['z']:g} over the previous {rule['history']} months, "
                f"and >= {rule['min_tickets']:g}{arrow_en}")
    if k == "overdue":
        return (f"逾期超过{rule['days']}天的欠款占应付金额 > {rule['share']:.0%}{arrow_zh}",
                f"arrears overdue by more than {rule['days']} days > {rule['share']:.0%} of the amount due{arrow_en}")
    return k, k
