"""Context of alerts.html: every alert, grouped by level (red, orange, yellow, blue), with its
rule or model, message, evidence (internal edition) and a link to the unit's page."""
from __future__ import annotations

import polars as pl

from reports import fmt
from reports.i18n import alert_label, source_label
from reports.scope import about_capacity, capacity_rules, fiscal_note
from reports.tables import ALERT_ORDER, Inputs


def alerts_context(inp: Inputs, colours: dict) -> dict:
    t = inp.t
    units = inp.units.select("unit_id", "label")
    labels = dict(zip(units["unit_id"].to_list(), units["label"].to_list()))
    df = inp.alerts.sort(pl.col("year"), "unit_id", "rule", descending=[True, False, False])
    en = inp.lang == "en"
    known = list(ALERT_ORDER)
    debt_rules, note = capacity_rules(inp.framework), fiscal_note(inp)
    levels = []
    for level in known + sorted({lv for lv in df["level"].to_list() if lv not in ALERT_ORDER and lv}):
        sub = df.filter(pl.col("level") == level)
        if sub.is_empty():
            continue
        rows = []
        for r in sub.iter_rows(named=True):
            uid = r["unit_id"]
            msg = (r["message_en"] or r["message"]) if en else (r["message"] or r["message_en"])
            rows.append({
                "year": r["year"], "unit": labels.get(uid, uid), "unit_id": uid,
                "href": f"units/{uid}.html" if uid in inp.paged else None,
                "source": source_label(r["source"], inp.lang), "rule": fmt.text(r["rule"]),
                "message": fmt.text(msg), "evidence": fmt.evidence(r["evidence"]) if inp.internal else [],
                "note": note if note and about_capacity(r["rule"], r["evidence"], debt_rules) else "",
            })
        levels.append({"level": level, "label": alert_label(level, inp.lang), "rows": rows, "count": len(rows)})
    counts = (inp.alerts.group_by("year", "level").len().sort("year", descending=True))
    years = sorted(set(counts["year"].drop_nulls().to_list()), reverse=True)
    c = {(r["year"], r["level"]): r["len"] for r in counts.iter_rows(named=True)}
    summary = [{"year": y, "counts": [c.get((y, lv), 0) for lv in known]} for y in years]
    return {
        "levels": levels, "total": inp.alerts.height,
        "summary": summary, "summary_levels": [{"level": lv, "label": alert_label(lv, inp.lang)} for lv in known],
        "evidence": inp.internal, "empty": t["no_alerts"],
    }
