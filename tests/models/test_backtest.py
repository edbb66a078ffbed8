"""Out-of-time metrics, the model choice and the cut-offs on hand-computed cases."""
from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from models import backtest


def test_usefulness_measures_by_hand():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    flag = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0], dtype=bool)
    # T1 = 1/2 missed, T2 = 1/8 false alarms; P1 = 0.2
    mu = 0.7
    loss = mu * 0.2 * 0.5 + (1 - mu) * 0.8 * 0.125
    best = min(mu * 0.2, (1 - mu) * 0.8)
    assert backtest.sarlin_ur(y, flag, mu) == pytest.approx((best - loss) / best)
    # Alessi-Detken at mu = 0.5 with base rate 0.2: threshold 0.2 on these probabilities
    p = np.where(flag, 0.9, 0.1)
    assert backtest.usefulness_ad(y, p, 0.5, 0.2) == pytest.approx(0.5 - (0.5 * 0.5 + 0.5 * 0.125))
    # signalling nothing is exactly useless
    assert backtest.sarlin_ur(y, np.zeros(10, dtype=bool), mu) == 0.0


def test_metrics_and_precision_at_k():
    y = np.array([0, 1, 0, 1, 0])
    p = np.array([0.1, 0.9, 0.8, 0.2, 0.05])
    m = backtest.metrics(y, p, mu=0.7, k=2, base_rate=0.4)
    assert m["auroc"] == pytest.approx(5 / 6)
    assert m["precision_at_k"] == 0.5
    assert m["brier"] == pytest.approx(np.mean((p - y) ** 2))
    none = backtest.metrics(np.zeros(3, dtype=int), np.array([0.1, 0.2, 0.3]), mu=0.7, k=2, base_rate=0.1)
    assert math.isnan(none["auroc"]) and math.isnan(none["average_precision"])


def preds(model, year, y, p, base=0.3):
    return pl.DataFrame({"model": model, "unit_id": [f"u{i}" for i in range(len(y))], "year": year,
                         "probability": p, "target": y, "base_rate": base},
                        schema={"model": pl.String, "unit_id": pl.String, "year": pl.Int64, "probability": pl.Float64,
                                "target": pl.Int8, "base_rate": pl.Float64})


def test_table_has_rows_per_year_and_pooled():
    y = [1, 0, 0, 1]
    t = backtest.table(pl.concat([preds("a", 2022, y, [0.9, 0.1, 0.2, 0.8]), preds("a", 2023, y, [0.6, 0.4, 0.7, 0.3])]),
                       mu=0.7, k=2)
    assert t.select("model", "year", "n", "events").rows() == [("a", 2022, 4, 2), ("a", 2023, 4, 2), ("a", None, 8, 4)]
    assert t["auroc"].to_list()[:2] == [1.0, 0.25]


def test_choose_the_better_candidate_and_default_to_the_first():
    y = [1, 0, 0, 1]
    p = pl.concat([preds("logit", 2022, y, [0.6, 0.4, 0.7, 0.3]), preds("gbm", 2022, y, [0.9, 0.1, 0.2, 0.8])])
    assert backtest.choose(p, ("logit", "gbm"), "auroc") == "gbm"
    assert backtest.choose(p.clear(), ("logit", "gbm"), "auroc") == "logit"
    assert backtest.choose(p, ("logit", "gbm"), "brier") == "gbm"


def test_level_table_units_event_rate_lift_and_share_caught():
    t = pl.DataFrame({"unit_id": list("abcdefghij"), "year": [2024] * 10, "target": [1, 1, 0, 1, 0, 0, 0, 0, 0, 1]})
    lv = pl.DataFrame({"unit_id": list("abcd"), "year": [2024] * 4, "level": ["red", "red", "orange", "yellow"]})
    got = {r["level"]: r for r in backtest.level_table(lv, t).iter_rows(named=True) if r["year"] == 2024}
    assert (got["red"]["units"], got["red"]["events"], got["red"]["event_rate"]) == (2, 2, 1.0)
    assert got["red"]["lift"] == pytest.approx(1.0 / 0.4) and got["red"]["share_of_events"] == 0.5
    assert got["none"]["units"] == 6 and got["none"]["events"] == 1
    assert got["blue"]["units"] == 0 and got["blue"]["event_rate"] is None
    # pooled rows (year null) sum the years
    pooled = backtest.level_table(lv, t).filter(pl.col("year").is_null())
    assert pooled["units"].sum() == 10 and pooled["events"].sum() == 4


def test_rule_table_per_rule_and_band():
    from models.alert import frame

    t = pl.DataFrame({"unit_id": list("abcdefghij"), "year": [2024] * 10, "target": [1, 1, 0, 1, 0, 0, 0, 0, 0, 1]})
    rows = [("a", "debt", "red"), ("b", "debt", "orange"), ("e", "debt", "orange"), ("a", "spike", "yellow"),
            ("f", "spike", "yellow")]
    a = frame([{"unit_id": u, "year": 2024, "rule": r, "level": lv, "status": "watch" if r == "spike" else "alert"}
               for u, r, lv in rows])
    got = {(r["rule"], r["level"]): r for r in backtest.rule_table(a, t).iter_rows(named=True)}
    assert set(got) == {("debt", "all"), ("debt", "red"), ("debt", "orange"), ("spike", "all")}
    assert got["debt", "all"]["fires"] == 3 and got["debt", "all"]["event_rate"] == pytest.approx(2 / 3)
    assert got["spike", "all"]["lift"] == pytest.approx(0.5 / 0.4) and got["spike", "all"]["status"] == "watch"


def test_areas_and_brier_equal_sklearns_to_the_last_bit():
    """The backtest's own AUROC, average precision and Brier score give sklearn's floats exactly
    (the published backtest must not move by a bit), with ties, rounded and skewed probabilities."""
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
    rng = np.random.default_rng(7)
    for i in range(600):
        n = int(rng.integers(2, 2000))
        y = (rng.random(n) < rng.uniform(0.01, 0.6)).astype(int)
        p = (rng.random(n), np.round(rng.random(n), int(rng.integers(1, 4))), np.round(rng.beta(0.5, 3, n), 6))[i % 3]
        if 0 < y.sum() < n:
            assert backtest.auroc(y, p) == roc_auc_score(y, p)
        if y.sum() > 0:
            assert backtest.average_precision(y, p) == average_precision_score(y, p)
        assert backtest.brier(y, p) == brier_score_loss(y, p, labels=[0, 1])
