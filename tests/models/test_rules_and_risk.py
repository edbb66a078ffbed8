"""Rule alerts on small hand-made values (including no-alert cases) and the out-of-time risk model."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import polars as pl

from indicators.framework_load import load_framework
from models.risk import early_warning
from models.rules import evaluate


def values(rows):
    return pl.DataFrame(rows, schema={"unit_id": pl.String, "year": pl.Int64, "indicator": pl.String, "value": pl.Float64},
                        orient="row")


def test_debt_bands_highest_band_wins_and_no_alert_below():
    fw = load_framework()
    v = values([("440100", 2024, "debt_ratio", 1.19), ("440200", 2024, "debt_ratio", 1.2),
                ("440300", 2024, "debt_ratio", 2.5), ("440400", 2024, "debt_ratio", 3.0),
                ("440500", 2024, "debt_ratio", None)])
    a = evaluate(v, fw).filter(pl.col("rule") == "debt_band")
    got = dict(zip(a["unit_id"], a["level"]))
    assert got == {"440200": "yellow", "440300": "orange", "440400": "red"}
    red = a.filter(pl.col("unit_id") == "440400").row(0, named=True)
    assert red["message"] == "债务率为300%，达到300%预警线"
    assert red["message_en"] == "Debt ratio 300% reached the 300% warning line"
    assert json.loads(red["evidence"]) == {"indicator": "debt_ratio", "value": 3.0, "threshold": 3.0,
                                           "legal_basis": next(r for r in fw.alerts if r["code"] == "debt_band")["legal_basis"]}
    assert red["evidence_text"] == "债务率 300.0%，不低于预警线300.0%"
    assert red["owner"] == "省财政厅" and red["follow_up"] == "2025-09-28" and red["status"] == "alert"
    assert a["source"].unique().to_list() == ["rule"]


def test_event_rule_fires_on_any_listing_only():
    import datetime as dt

    fw = load_framework()
    rec = pl.DataFrame({"record_id": ["L1", "L2", "L3"], "unit_id": ["440200", "440200", "440100"],
                        "category": ["dishonest_debtor", "dishonest_debtor", "judgment_lost"], "severity": [3, 2, 3],
                        "occurred_on": [dt.date(2024, 1, 2), dt.date(2024, 3, 4), dt.date(2024, 5, 6)],
                        "status": ["active", "active", "active"], "counting": [True, True, True]})
    a = evaluate(values([]), fw, records=rec).filter(pl.col("rule") == "dishonest_debtor")
    assert a["unit_id"].to_list() == ["440200"]
    assert a["message_en"].to_list() == ["2 new dishonest-debtor listing(s) in the year"]
    assert a["evidence_text_en"].to_list() == ["record(s) L1, L2 (2 in all)"]


def test_no_values_no_alerts():
    assert evaluate(values([]), load_framework()).height == 0


def panel(seed=0, units=80, years=range(2019, 2025)):
    rng = np.random.default_rng(seed)
    rows, events = [], []
    for u in range(units):
        base = rng.normal(60, 10)
        for y in years:
            s = base + rng.normal(0, 5)
            rows.append((f"{440000 + u:06d}", y, s, s + rng.normal(0, 3)))
            events.append((f"{440000 + u:06d}", y, int(rng.random() < 1 / (1 + np.exp((s - 45) / 5)))))
    scores = pl.DataFrame(rows, schema={"unit_id": pl.String, "year": pl.Int64, "score": pl.Float64, "d1": pl.Float64}, orient="row")
    ev = pl.DataFrame(events, schema={"unit_id": pl.String, "year": pl.Int64, "events": pl.Int64}, orient="row")
    return scores, ev


def logit_risk(scores, events):
    """risk.csv of the shipped early-warning chain, logistic model only, on the given features."""
    fw = load_framework()
    fw = dataclasses.replace(fw, model={**fw.model, "candidates": ["logit"], "explain_top": 1}, alerts=())
    return early_warning(scores, events, fw).risk


def test_risk_has_skill_and_no_leakage():
    scores, events = panel()
    risk = logit_risk(scores, events)
    assert risk["year"].min() > 2019
    # skill: units with lower scores get higher probabilities
    j = risk.join(scores, on=["unit_id", "year"])
    assert np.corrcoef(j["probability"], j["score"])[0, 1] < -0.5
    # leakage: changing the data of the last year does not change predictions for earlier years
    last = scores["year"].max()
    shuffled = scores.with_columns(pl.when(pl.col("year") == last).then(pl.col("score").shuffle(seed=1)).otherwise(pl.col("score")))
    ev2 = events.with_columns(pl.when(pl.col("year") == last).then(1 - pl.col("events")).otherwise(pl.col("events")))
    r2 = logit_risk(shuffled, ev2)
    before = risk.filter(pl.col("year") < last - 0).join(r2, on=["unit_id", "year"], suffix="_2")
    before = before.filter(pl.col("year") < last)
    assert before.height > 0
    assert np.allclose(before["probability"], before["probability_2"])
