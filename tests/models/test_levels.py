"""Alert levels: model cut-offs, and the merge of rule and model alerts with hysteresis."""
from __future__ import annotations

import json

import polars as pl

from models.levels import level_of, merge, model_alerts
from models.rules import ALERT_SCHEMA


def alerts(rows):
    return pl.DataFrame([(u, y, lv, src, rule, "", "", "{}") for u, y, lv, src, rule in rows], schema=ALERT_SCHEMA, orient="row")


def grid(units, years):
    return pl.DataFrame({"unit_id": [u for u in units for _ in years], "year": [y for _ in units for y in years]})


def levels(a, g, **kw):
    _, lv = merge(a, g, **kw)
    return {(r["unit_id"], r["year"]): r["level"] for r in lv.iter_rows(named=True)}


def test_level_of_takes_the_highest_level_reached():
    cuts = {"red": 0.5, "orange": 0.3, "yellow": None, "blue": 0.1}
    assert [level_of(p, cuts) for p in (0.05, 0.1, 0.2, 0.3, 0.9)] == [None, "blue", "blue", "orange", "red"]


def test_higher_level_wins_and_escalation_is_immediate():
    a = alerts([("u", 2022, "yellow", "rule", "x"), ("u", 2022, "orange", "model", "risk_model"),
                ("u", 2023, "red", "rule", "y")])
    got, lv = merge(a, grid(["u"], [2022, 2023]))
    assert levels(a, grid(["u"], [2022, 2023])) == {("u", 2022): "orange", ("u", 2023): "red"}
    row = lv.filter(pl.col("year") == 2022).row(0, named=True)
    assert (row["rule_level"], row["model_level"], row["held"]) == ("yellow", "orange", False)
    assert got.filter(pl.col("rule") == "hold").height == 0


def test_deescalation_only_after_a_clean_period():
    a = alerts([("u", 2021, "red", "rule", "x"), ("u", 2023, "yellow", "rule", "z")])
    g = grid(["u", "v"], [2021, 2022, 2023, 2024])
    got, lv = merge(a, g, hold_periods=1)
    assert levels(a, g) == {("u", 2021): "red", ("u", 2022): "red", ("u", 2023): "yellow", ("u", 2024): "yellow",
                            ("v", 2021): None, ("v", 2022): None, ("v", 2023): None, ("v", 2024): None}
    hold = got.filter(pl.col("rule") == "hold")
    assert hold.select("unit_id", "year", "level", "source").rows() == [("u", 2022, "red", "rule"), ("u", 2024, "yellow", "rule")]
    assert json.loads(hold["evidence"][0]) == {"held_from": 2021, "rules": ["x"], "clean_periods": 1, "hold_periods": 1}
    assert hold["message_en"][0] == "Red level held: the 2021 trigger has cleared (1 of 1 clean period(s) before it is lowered)"
    # the held rows say so
    assert lv.filter(pl.col("held"))["year"].to_list() == [2022, 2024]


def test_hold_periods_zero_and_two():
    a = alerts([("u", 2021, "orange", "model", "risk_model")])
    g = grid(["u"], [2021, 2022, 2023, 2024])
    assert [levels(a, g, hold_periods=0)[("u", y)] for y in (2021, 2022)] == ["orange", None]
    assert [levels(a, g, hold_periods=2)[("u", y)] for y in (2021, 2022, 2023, 2024)] == ["orange", "orange", "orange", None]


def test_a_new_trigger_during_a_hold_restarts_it():
    a = alerts([("u", 2021, "red", "rule", "x"), ("u", 2023, "red", "rule", "x")])
    g = grid(["u"], [2021, 2022, 2023, 2024, 2025])
    assert [levels(a, g)[("u", y)] for y in range(2021, 2026)] == ["red", "red", "red", "red", None]


def test_a_gap_in_years_carries_no_state():
    a = alerts([("u", 2021, "red", "rule", "x")])
    g = pl.DataFrame({"unit_id": ["u", "u"], "year": [2021, 2023]})
    assert levels(a, g) == {("u", 2021): "red", ("u", 2023): None}


def test_a_year_without_a_score_is_not_a_clean_period():
    """No data is never read as a clean record: a unit whose indicators cannot be computed in a
    year is not told that its trigger has cleared, and no level is held over it."""
    a = alerts([("u", 2021, "red", "rule", "x")])
    g = grid(["u"], [2021, 2022, 2023]).with_columns(rated=pl.Series([True, False, True]))
    got, _ = merge(a, g, hold_periods=1)
    assert levels(a, g) == {("u", 2021): "red", ("u", 2022): None, ("u", 2023): None}
    assert got.filter(pl.col("rule") == "hold").height == 0


def test_model_alert_rows():
    risk = pl.DataFrame({"unit_id": ["a", "b"], "year": [2024, 2024], "probability": [0.42, 0.01],
                         "level": ["orange", None], "cutoff": [0.3, None], "model": ["gbm", "gbm"],
                         "top": [["value:debt_ratio"], None]})
    m = model_alerts(risk)
    assert m.select("unit_id", "level", "source", "rule").rows() == [("a", "orange", "model", "risk_model")]
    assert m["message_en"][0] == ("Model probability of a serious integrity event in 2025: 42%, "
                                  "at or above the orange cut-off 30%")
    assert json.loads(m["evidence"][0])["top_features"] == ["value:debt_ratio"]
