"""Alert levels: the model's levels by lift and share, the level shares, and the merge of rule and
model alerts with a hold for rule conditions only."""
from __future__ import annotations

import json

import numpy as np
import polars as pl

from models.alert import ALERT_SCHEMA, frame
from models.levels import merge, model_alerts, model_levels, within_shares


def alerts(rows, evidence="{}"):
    return frame([{"unit_id": u, "year": y, "level": lv, "source": src, "rule": rule, "status": "alert",
                   "origin_unit_id": u, "message": "", "message_en": "", "evidence": evidence,
                   "evidence_text": f"{rule} {y}", "evidence_text_en": f"{rule} {y}"}
                  for u, y, lv, src, rule in rows])


def grid(units, years):
    return pl.DataFrame({"unit_id": [u for u in units for _ in years], "year": [y for _ in units for y in years]})


def levels(a, g, **kw):
    _, lv = merge(a, g, **kw)
    return {(r["unit_id"], r["year"]): r["level"] for r in lv.iter_rows(named=True)}


def test_model_levels_mean_a_multiple_of_the_base_rate_within_a_share():
    p = np.array([0.9, 0.8, 0.5, 0.3, 0.2, 0.15, 0.05, 0.01, 0.01, 0.01])
    lift, share = {"red": 4.0, "orange": 2.5, "yellow": 1.5}, {"red": 0.1, "orange": 0.2, "yellow": 0.5}
    got = model_levels(p, 0.1, lift, share)
    # red needs >= 0.4 and takes one unit (10% of 10): the next red candidates fall to orange
    assert got == ["red", "orange", "orange", "yellow", "yellow", "yellow", None, None, None, None]
    # never below the lowest lift, however much share is left
    assert model_levels(np.array([0.14]), 0.1, lift, {"yellow": 1.0}) == [None]


def test_higher_level_wins_and_escalation_is_immediate():
    a = alerts([("u", 2022, "yellow", "rule", "x"), ("u", 2022, "orange", "model", "risk_model"),
                ("u", 2023, "red", "rule", "y")])
    got, lv = merge(a, grid(["u"], [2022, 2023]))
    assert levels(a, grid(["u"], [2022, 2023])) == {("u", 2022): "orange", ("u", 2023): "red"}
    row = lv.filter(pl.col("year") == 2022).row(0, named=True)
    assert (row["rule_level"], row["model_level"], row["held"]) == ("yellow", "orange", False)
    assert got.filter(pl.col("rule") == "hold").height == 0


def test_a_rule_condition_is_held_and_says_what_when_and_until_when():
    a = alerts([("u", 2021, "red", "rule", "x"), ("u", 2023, "yellow", "rule", "z")])
    g = grid(["u", "v"], [2021, 2022, 2023, 2024])
    got, lv = merge(a, g, hold_periods=1)
    assert levels(a, g) == {("u", 2021): "red", ("u", 2022): "red", ("u", 2023): "yellow", ("u", 2024): "yellow",
                            ("v", 2021): None, ("v", 2022): None, ("v", 2023): None, ("v", 2024): None}
    hold = got.filter(pl.col("rule") == "hold")
    assert hold.select("unit_id", "year", "level", "source", "status").rows() == [
        ("u", 2022, "red", "rule", "alert"), ("u", 2024, "yellow", "rule", "alert")]
    assert hold["held_until"].to_list() == ["2022-12-31", "2024-12-31"]
    assert json.loads(hold["evidence"][0])["held_from"] == 2021
    # the message names the trigger, its year and the end of the hold, under the level it shows
    assert hold["message_en"][0].startswith("Red level held until the end of 2022: triggered in 2021 by x")
    assert "2021年因x触发" in hold["message"][0] and hold["message"][0].startswith("维持红色预警至2022年底")
    assert hold["evidence_text_en"][0] == "triggered in 2021: x 2021"
    assert lv.filter(pl.col("held"))["year"].to_list() == [2022, 2024]
    # rows not held carry no end date
    assert got.filter(pl.col("rule") != "hold")["held_until"].null_count() == 2


def test_hold_never_applies_to_a_model_forecast():
    """A forecast covers one year: the year after, with no forecast, the unit has no model level."""
    a = alerts([("u", 2021, "red", "model", "risk_model"), ("u", 2022, "yellow", "model", "risk_model")])
    g = grid(["u"], [2021, 2022, 2023])
    for hold in (0, 1, 2):
        got, lv = merge(a, g, hold_periods=hold)
        assert [r["level"] for r in lv.sort("year").iter_rows(named=True)] == ["red", "yellow", None]
        assert got.filter(pl.col("rule") == "hold").is_empty()
        assert not lv["held"].any()


def test_a_model_alert_does_not_end_or_extend_a_rule_hold():
    a = alerts([("u", 2021, "orange", "rule", "x"), ("u", 2022, "red", "model", "risk_model")])
    got, lv = merge(a, grid(["u"], [2021, 2022, 2023]), hold_periods=1)
    assert [r["level"] for r in lv.sort("year").iter_rows(named=True)] == ["orange", "red", None]
    assert got.filter(pl.col("rule") == "hold").is_empty()  # 2022 is red anyway: nothing to say


def test_no_hold_after_a_credit_repair():
    ev = json.dumps({"records": ["r1"], "records_total": 1, "repaired": 1})
    a = alerts([("u", 2021, "red", "rule", "x")], evidence=ev)
    assert levels(a, grid(["u"], [2021, 2022]), hold_periods=1) == {("u", 2021): "red", ("u", 2022): None}


def test_hold_periods_zero_and_two():
    a = alerts([("u", 2021, "orange", "rule", "x")])
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


def test_watch_rows_are_shown_but_make_no_level():
    a = alerts([("u", 2021, "red", "rule", "x")]).with_columns(status=pl.lit("watch"))
    got, lv = merge(a, grid(["u"], [2021, 2022]), hold_periods=1)
    assert lv["level"].to_list() == [None, None]
    assert got.height == 1 and got["status"][0] == "watch"


def test_a_level_never_holds_more_than_its_share_except_by_law_or_model():
    units = [f"u{i}" for i in range(20)]
    rows = [(u, 2024, "red", "rule", "r") for u in units[:6]]
    legal = json.dumps({"legal_basis": "law"})
    a = pl.concat([alerts(rows), alerts([("u9", 2024, "red", "rule", "debt")], evidence=legal),
                   alerts([("u8", 2024, "red", "model", "risk_model")])])
    prio = pl.DataFrame({"unit_id": units, "year": [2024] * 20, "priority": [i / 100 for i in range(20)]})
    got, lv = merge(a, grid(units, [2024]), hold_periods=0, share={"red": 0.15}, priority=prio)
    red = sorted(lv.filter(pl.col("level") == "red")["unit_id"].to_list())
    # 3 places: the model's and the legal alert's units keep theirs, and one rule alert fills the
    # last (the highest priority of u0-u5); the others are on the watch list, with a note
    assert red == ["u5", "u8", "u9"]
    moved = got.filter(pl.col("status") == "watch")
    assert sorted(moved["unit_id"].to_list()) == ["u0", "u1", "u2", "u3", "u4"]
    assert moved["message_en"][0].endswith("(this level is full this year: on the watch list)")
    assert within_shares(a, grid(units, [2024]), {}, prio).equals(a)


def test_model_alert_rows():
    risk = pl.DataFrame({"unit_id": ["a", "b"], "year": [2024, 2024], "probability": [0.42, 0.01],
                         "level": ["orange", None], "base_rate": [0.1, 0.1], "lift": [2.5, None], "model": ["gbm", "gbm"],
                         "top": [["value:debt_ratio"], None], "top_zh": [["债务率"], None], "top_en": [["Debt ratio"], None]})
    m = model_alerts(risk)
    assert m.schema == pl.Schema(ALERT_SCHEMA)
    assert m.select("unit_id", "level", "source", "rule", "status", "origin_unit_id").rows() == [
        ("a", "orange", "model", "risk_model", "alert", "a")]
    assert m["message_en"][0] == ("Model probability of a serious integrity event in 2025: 42%, 4.2 times the "
                                  "base rate 10.0% (orange level: at least 2.5 times)")
    assert m["evidence_text_en"][0] == "probability 42.0%; base rate 10.0%; main factors: Debt ratio"
    assert json.loads(m["evidence"][0])["top_features"] == ["value:debt_ratio"]
    assert m["held_until"][0] is None and m["follow_up"][0] == "2025-08-29"
