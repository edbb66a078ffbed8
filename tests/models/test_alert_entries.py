"""`[[alert]]` entries in the framework file: the shipped ones load with their defaults, and every
mistake is reported with its code and path, all at once."""
from __future__ import annotations

import copy
import tomllib

import pytest

from indicators.errors import FrameworkError
from indicators.framework import ALERT_KINDS, Condition
from indicators.framework_load import default_framework_path, load_framework, parse_framework


@pytest.fixture(scope="module")
def doc() -> dict:
    return tomllib.loads(default_framework_path().read_text(encoding="utf-8"))


def problems(doc: dict, *alerts) -> list[str]:
    d = copy.deepcopy(doc)
    d["alert"] = list(alerts)
    with pytest.raises(FrameworkError) as e:
        parse_framework(d, source="f.toml")
    return e.value.problems


def test_shipped_alerts_cover_every_kind_and_get_defaults():
    fw = load_framework()
    assert {a["kind"] for a in fw.alerts} == set(ALERT_KINDS)
    spike = next(a for a in fw.alerts if a["kind"] == "spike")
    assert (spike["z"], spike["history"], spike["min_history"], spike["min_tickets"]) == (3.5, 24, 12, 10)
    event = next(a for a in fw.alerts if a["code"] == "judgment_unperformed")
    assert event["where"] == (Condition("category", "eq", "judgment_unperformed"), Condition("severity", "ge", 3))
    assert event["scope"] == "unit"  # one record, one alert: at the unit whose record it is
    # every shipped rule says what to do, who does it and when to follow up
    for a in fw.alerts:
        assert a["action_zh"] and a["action_en"] and a["owner_zh"] and a["owner_en"] and a["follow_up_days"] > 0, a["code"]
        assert a.get("status", "alert") in ("alert", "watch")
    band = next(a for a in fw.alerts if a["code"] == "debt_band")
    assert [b["min"] for b in band["bands"]] == [1.2, 2.0, 3.0]


def test_defaults_can_be_overridden(doc):
    d = copy.deepcopy(doc)
    d["alert"] = [{"code": "s", "kind": "spike", "level": "orange", "z": 5, "history": 36}]
    a = parse_framework(d).alerts[0]
    assert (a["z"], a["history"], a["min_history"]) == (5, 36, 12)


def test_every_alert_problem_is_reported_with_code_and_path(doc):
    found = problems(
        doc,
        {"code": "a", "kind": "trend", "target": "scoer", "fall": 5, "level": "orange"},
        {"code": "a", "kind": "spike", "level": "purple", "z": -1, "history": 12, "min_history": 24},
        {"code": "c", "kind": "peer", "target": "grade", "quantile": 0.9, "level": "blue"},
        {"code": "d", "kind": "event", "level": "red"},
        {"code": "e", "kind": "overdue", "level": "red", "share": 2,
         "where": [{"column": "counterparty_smee", "eq": True}]},
        {"code": "f", "kind": "trend", "target": "score", "fall": 5, "notches": 1, "level": "red"},
        {"code": "g", "kind": "threshold", "indicator": "debt_ratio", "op": "above", "value": "x", "level": "red", "colour": 1},
        {"code": "h", "kind": "pattern", "level": "red"},
        {"code": "i", "kind": "band", "indicator": "debt_ratio", "bands": [{"level": "red"}]},
        {"code": "j", "kind": "trend", "target": "score", "level": "red"},
        {"code": "k", "kind": "event", "level": "red", "where": [{"column": "category", "eq": "judgement_lost"}]},
    )
    expected = [
        "[unknown_column] alert[0] (a).target:",
        "[duplicate_code] alert[1] (a).code:",
        "[bad_value] alert[1] (a).level:",
        "[bad_value] alert[1] (a).z:",
        "[bad_value] alert[1] (a).min_history:",
        "[bad_value] alert[2] (c).target:",
        "[bad_value] alert[2] (c).quantile:",
        "[missing_key] alert[3] (d): an event alert needs either 'indicator' or 'where'",
        "[bad_value] alert[4] (e).share:",
        "[unknown_column] alert[4] (e).where[0].column:",
        "[missing_key] alert[5] (f): a trend alert needs exactly one of",
        "[bad_value] alert[5] (f).target:",
        "[unknown_key] alert[6] (g).colour:",
        "[bad_value] alert[6] (g).op:",
        "[bad_value] alert[6] (g).value:",
        "[bad_value] alert[7] (h).kind:",
        "[missing_key] alert[8] (i).bands[0].min:",
        "[missing_key] alert[9] (j): a trend alert needs exactly one of",
        "[bad_value] alert[10] (k).where[0].eq:",
    ]
    for e in expected:
        assert any(p.startswith(e) for p in found), (e, found)
    assert len(found) == len(expected), found


def test_action_keys_are_checked(doc):
    found = problems(doc, {"code": "s", "kind": "spike", "level": "yellow", "status": "maybe", "owner_zh": 3,
                           "follow_up_days": -1})
    assert found == ["[bad_value] alert[0] (s).status: 'maybe' is not allowed; expected alert or watch",
                     "[bad_value] alert[0] (s).owner_zh: expected a text",
                     "[bad_value] alert[0] (s).follow_up_days: -1 is not a whole number >= 0"]


def test_event_rules_default_to_the_unit_scope(doc):
    d = copy.deepcopy(doc)
    d["alert"] = [{"code": "e", "kind": "event", "level": "red", "where": [{"column": "category", "eq": "dishonest_debtor"}]}]
    assert parse_framework(d).alerts[0]["scope"] == "unit"


def test_model_alert_codes_are_reserved(doc):
    found = problems(doc, {"code": "hold", "kind": "spike", "level": "yellow"})
    assert found == ["[bad_value] alert[0] (hold).code: 'hold' is reserved for model alerts; choose another code"]


def test_missing_required_keys(doc):
    found = problems(doc, {"kind": "overdue", "level": "red"}, {"code": "x", "kind": "peer", "level": "blue"})
    assert "[missing_key] alert[0].code: required key is missing" in found
    assert "[missing_key] alert[0].share: required key is missing" in found
    assert "[missing_key] alert[1] (x).target: required key is missing" in found
