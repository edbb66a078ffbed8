"""The framework file: the shipped default loads, and every kind of mistake is reported with its
code and path, all at once."""
from __future__ import annotations

import copy
import tomllib

import pytest

from indicators.errors import FrameworkError
from indicators.framework_load import default_framework_path, load_framework, parse_framework

PINNED = {
    "complaints_per_10k": ("complaints", "count", -1),
    "complaint_ontime_rate": ("complaints", "share", 1),
    "satisfaction_rate": ("complaints", "share", 1),
    "failure_weighted_per_100_staff": ("failure_records", "weighted_count", -1),
    "debt_ratio": ("debt", "ratio", -1),
    "contract_ontime_rate": ("contracts", "share", 1),
}


@pytest.fixture(scope="module")
def doc() -> dict:
    return tomllib.loads(default_framework_path().read_text(encoding="utf-8"))


def problems(doc: dict) -> list[str]:
    with pytest.raises(FrameworkError) as e:
        parse_framework(doc, source="f.toml")
    return e.value.problems


def indicator(doc: dict, code: str) -> dict:
    return next(i for i in doc["indicator"] if i["code"] == code)


def test_default_framework_covers_the_plan():
    fw = load_framework()
    assert len(fw.indicators) >= 15 and len(fw.auxiliary) >= 10  # demoted indicators are still computed
    dims = fw.children(fw.code)
    assert len(dims) >= 4
    assert {n.definition.table for n in fw.indicators} == {"failure_records", "complaints", "debt", "contracts"}
    for n in fw.indicators:
        assert n.name_zh and n.name_en and n.source and n.direction in (1, -1)
    for code, (table, measure, direction) in PINNED.items():
        n = fw.node(code)
        assert (n.definition.table, n.definition.measure, n.direction) == (table, measure, direction)
    assert fw.node("debt_ratio").kinds == ("region",)
    assert [g.code for g in fw.grades] == ["A", "B", "C", "D"]


def test_breadth_first_order_and_depth():
    fw = load_framework()
    assert fw.nodes[0].code == "GDI"
    depths = [fw.depth(n.code) for n in fw.nodes]
    assert depths == sorted(depths)


def test_unknown_table(doc):
    d = copy.deepcopy(doc)
    indicator(d, "complaints_per_10k")["table"] = "complaint"
    assert "[unknown_table] indicator[13] (complaints_per_10k).table: unknown table 'complaint'; expected one of units, unit_stats, failure_records, complaints, debt, contracts (did you mean 'complaints'?)" in problems(d)


def test_unknown_column(doc):
    d = copy.deepcopy(doc)
    indicator(d, "satisfaction_rate")["where"] = [{"column": "satisfactoin", "is_null": False}]
    assert any(p.startswith("[unknown_column] indicator[15] (satisfaction_rate).where[0].column: table 'complaints' has no column 'satisfactoin'") and "did you mean 'satisfaction'" in p for p in problems(d))


def test_missing_parent(doc):
    d = copy.deepcopy(doc)
    indicator(d, "debt_ratio")["parent"] = "fiscl"
    assert "[missing_parent] debt_ratio.parent: parent 'fiscl' does not exist" in problems(d)


def test_cycle(doc):
    d = copy.deepcopy(doc)
    d["dimension"].append({"code": "a", "parent": "b", "name_zh": "甲", "name_en": "A"})
    d["dimension"].append({"code": "b", "parent": "a", "name_zh": "乙", "name_en": "B"})
    indicator(d, "debt_ratio")["parent"] = "a"
    assert "[cycle] a.parent: parents form a cycle: a -> b -> a" in problems(d)


def test_negative_weight(doc):
    d = copy.deepcopy(doc)
    d["dimension"][0]["weight"] = -0.3
    assert "[negative_weight] dimension[0] (commitment).weight: weight -0.3 is negative; weights must be >= 0" in problems(d)


def test_leaf_without_definition(doc):
    d = copy.deepcopy(doc)
    i = len(d["indicator"])
    d["indicator"].append({"code": "hand_waved", "parent": "lawful", "name_zh": "无定义", "name_en": "No definition"})
    assert f"[no_definition] indicator[{i}] (hand_waved): an indicator needs a definition (table and measure)" in problems(d)


def test_enumeration_typo(doc):
    d = copy.deepcopy(doc)
    indicator(d, "complaints_per_10k")["where"] = [{"column": "kind", "in": ["complaint", "reprot"]}]
    assert "[bad_value] indicator[13] (complaints_per_10k).where[0].in: 'reprot' is not allowed; expected one of complaint, report, consultation, suggestion (did you mean 'report'?)" in problems(d)


def test_measure_typo_and_direction(doc):
    d = copy.deepcopy(doc)
    indicator(d, "debt_ratio")["measure"] = "ration"
    indicator(d, "complaint_ontime_rate")["direction"] = 0
    ps = problems(d)
    assert any(p.startswith("[bad_value] indicator[20] (debt_ratio).measure: 'ration' is not allowed") and "did you mean 'ratio'" in p for p in ps)
    assert "[bad_value] indicator[14] (complaint_ontime_rate).direction: 0 is not allowed; expected 1 or -1" in ps


def test_every_problem_reported_at_once(doc):
    d = copy.deepcopy(doc)
    indicator(d, "debt_ratio")["parent"] = "nowhere"
    d["dimension"][1]["weight"] = -1
    indicator(d, "complaints_per_10k")["table"] = "nope"
    with pytest.raises(FrameworkError) as e:
        parse_framework(d, source="f.toml")
    assert len(e.value.problems) == 3
    assert str(e.value).startswith("f.toml: 3 problem(s) in the framework\n")


def test_unknown_key_and_veto_grade(doc):
    d = copy.deepcopy(doc)
    indicator(d, "debt_ratio")["goalpost"] = [3, 0.5]
    d["veto"][0]["cap"] = "E"
    ps = problems(d)
    assert any(p.startswith("[unknown_key] indicator[20] (debt_ratio).goalpost: unknown key") and "did you mean 'goalposts'" in p for p in ps)
    assert "[bad_value] veto[0].cap: 'E' is not allowed; expected one of A, B, C, D" in ps


def test_unreadable_and_invalid_toml(tmp_path):
    with pytest.raises(FrameworkError, match="cannot read framework file"):
        load_framework(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[framework\ncode = 1", encoding="utf-8")
    with pytest.raises(FrameworkError, match="not a valid TOML file"):
        load_framework(bad)


def test_alert_min_denominator_is_a_count(doc):
    d = copy.deepcopy(doc)
    rule = next(a for a in d["alert"] if a["code"] == "satisfaction_low")
    rule["min_denominator"] = -5
    band = next(a for a in d["alert"] if a["code"] == "debt_band")
    band["min_denominator"] = "many"
    ps = problems(d)
    assert any(p.startswith("[bad_value] alert[") and "(satisfaction_low).min_denominator" in p for p in ps), ps
    assert any("(debt_band).min_denominator" in p for p in ps), ps


def test_model_table_is_checked_at_load_with_the_rest(doc):
    d = copy.deepcopy(doc)
    d["model"].update(event_severity=5, candidates=["svm"], hold_period=2)
    indicator(d, "debt_ratio")["parent"] = "nowhere"
    ps = problems(d)
    assert "[bad_value] model.event_severity: 5 is not allowed; expected a whole number >= 1 and <= 3" in ps
    assert "[bad_value] model.candidates: ('svm',) is not allowed; expected a non-empty list of logit, gbm" in ps
    assert any(p.startswith("[unknown_key] model.hold_period: unknown key") and "did you mean 'hold_periods'" in p for p in ps)
    assert any(p.startswith("[missing_parent]") for p in ps) and len(ps) == 4


def test_model_defaults_are_filled_once():
    from indicators.model_config import ModelConfig

    fw = load_framework()
    assert ModelConfig.from_framework(fw) == ModelConfig()  # the shipped file states the defaults it keeps
    assert fw.model == ModelConfig().as_dict()


def test_the_framework_says_which_method_applies(doc):
    d = copy.deepcopy(doc)
    d["methods"].update(aggregate="arithmetic", levels={"1": "generalised:2"})
    dim = next(x for x in d["dimension"] if x["code"] == "fiscal")
    dim["aggregate"] = "geometric"
    indicator(d, "debt_ratio").update(normalise="goalposts", goalposts=[3.0, 0.5])  # direction -1
    indicator(d, "complaints_per_10k")["normalise"] = "goalposts"  # no goalposts: the default applies
    fw = parse_framework(d)
    assert fw.aggregation_of("fiscal") == ("geometric", ())  # its own
    assert fw.aggregation_of("lawful") == ("generalised", (2.0,))  # its depth's
    assert fw.aggregation_of(fw.code) == ("arithmetic", ())  # the default
    assert fw.with_methods(aggregate="median").aggregation_of(fw.code) == ("median", ())
    assert fw.normalisation_of("debt_ratio") == ("goalposts", (-3.0, -0.5, 100.0))
    assert fw.normalisation_of("complaints_per_10k") == ("zscore", (50.0, 10.0))


def test_effective_weights_of_a_group_without_weight_are_zero(doc):
    d = copy.deepcopy(doc)
    for i in d["indicator"]:
        if i.get("parent") == "fiscal":
            i["weight"] = 0
    fw = parse_framework(d)
    eff, share = fw.effective_weights(), fw.weight_shares()
    assert {eff[n.code] for n in fw.children("fiscal")} == {0.0}
    assert {share[n.code] for n in fw.children("fiscal")} == {0.0}
    assert eff["fiscal"] == pytest.approx(0.1) and eff[fw.code] == 1.0


def test_vetoes_are_named_by_code(doc):
    d = copy.deepcopy(doc)
    d["veto"][0]["code"] = "V 1, V2"
    assert any(p.startswith("[bad_value] veto[0].code: 'V 1, V2' is not a code") for p in problems(d))
    fw = load_framework()
    v = fw.vetoes[0]
    assert fw.veto(v.code) == v and fw.vetoes_in(f"{v.code},nope") == (v,) and fw.vetoes_in("") == ()
    assert v.reason("zh") == v.reason_zh and v.reason("en") == v.reason_en
