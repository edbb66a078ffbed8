"""Every rule kind on small hand-made frames, each with cases that must not alert."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

import polars as pl
import pytest

from indicators.framework import Condition
from indicators.framework_load import load_framework
from models import rules
from models.dynamics import robust_z


def fw_with(*alerts):
    """The default framework with only the given alert rules (defaults of their kind filled in)."""
    from indicators.framework import ALERT_KEYS

    full = [{**{k: v for k, v in ALERT_KEYS[a["kind"]]["optional"].items() if v is not None}, **a} for a in alerts]
    return dataclasses.replace(load_framework(), alerts=tuple(full))


def values(rows):
    return pl.DataFrame(rows, schema={"unit_id": pl.String, "year": pl.Int64, "indicator": pl.String,
                                      "value": pl.Float64}, orient="row")


def scores(rows, kind="region", level="county"):
    return pl.DataFrame(rows, schema={"unit_id": pl.String, "year": pl.Int64, "score": pl.Float64, "grade": pl.String},
                        orient="row").with_columns(kind=pl.lit(kind), level=pl.lit(level))


def evidence(df, unit, year=None):
    row = df.filter(pl.col("unit_id") == unit, *([pl.col("year") == year] if year else [])).row(0, named=True)
    return json.loads(row["evidence"])


# -- threshold ------------------------------------------------------------------------------------
def test_threshold_fires_below_the_line_only():
    fw = fw_with({"code": "ontime", "kind": "threshold", "indicator": "complaint_ontime_rate", "op": "lt",
                  "value": 0.8, "level": "yellow"})
    v = values([("a", 2024, "complaint_ontime_rate", 0.79), ("b", 2024, "complaint_ontime_rate", 0.8),
                ("c", 2024, "complaint_ontime_rate", None), ("d", 2024, "satisfaction_rate", 0.1)])
    a = rules.evaluate(v, fw)
    assert a["unit_id"].to_list() == ["a"] and a["level"].to_list() == ["yellow"]
    assert a["message_en"][0] == "12345 tickets handled on time 0.79, below 0.8"
    assert evidence(a, "a") == {"indicator": "complaint_ontime_rate", "value": 0.79, "threshold": 0.8}


def test_shipped_ontime_rule_message():
    v = values([("a", 2024, "complaint_ontime_rate", 0.75)]).with_columns(denominator=pl.lit(40.0))
    a = rules.evaluate(v, load_framework()).filter(pl.col("rule") == "complaint_ontime_low")
    assert a["message"].to_list() == ["12345工单按时办结率为75.0%，低于80%"]


def test_threshold_needs_enough_cases_when_asked():
    """The shipped on-time and satisfaction rules ignore shares of fewer than 30 tickets."""
    v = pl.DataFrame({"unit_id": ["few", "enough", "many", "none"], "year": [2024] * 4,
                      "indicator": ["complaint_ontime_rate"] * 4, "value": [0.5, 0.75, 0.79, 0.1],
                      "denominator": [29.0, 30.0, 400.0, None]})
    a = rules.evaluate(v, load_framework()).filter(pl.col("rule") == "complaint_ontime_low")
    assert a["unit_id"].to_list() == ["enough", "many"]
    assert evidence(a, "enough") == {"indicator": "complaint_ontime_rate", "value": 0.75, "threshold": 0.8,
                                      "denominator": 30.0}
    rule = next(r for r in load_framework().alerts if r["code"] == "complaint_ontime_low")
    assert rules.describe(rule)[1] == "complaint_ontime_rate (denominator >= 30) below 0.8 -> yellow"
    with pytest.raises(ValueError, match="needs the values' denominators"):
        rules.evaluate(v.drop("denominator"), load_framework())


# -- events -----------------------------------------------------------------------------------------
RECORDS = pl.DataFrame({
    "record_id": ["R1", "R2", "R3", "R4", "R5", "R6"],
    "unit_id": ["440100-FINANCE", "440100", "440200", "440200", "440300", "440100"],
    "category": ["judgment_unperformed", "judgment_unperformed", "judgment_unperformed", "dishonest_debtor",
                 "judgment_unperformed", "judgment_unperformed"],
    "severity": [3, 3, 2, 3, 3, 3],
    "occurred_on": [dt.date(2024, 3, 1), dt.date(2024, 5, 1), dt.date(2024, 6, 1), dt.date(2024, 6, 1),
                    dt.date(2024, 7, 1), dt.date(2023, 7, 1)],
    "counting": [True, True, True, True, False, True],
})
UNPERFORMED = {"code": "unperformed", "kind": "event", "level": "red",
               "where": (Condition("category", "eq", "judgment_unperformed"), Condition("severity", "ge", 3))}


def test_one_record_one_alert():
    """An event is alerted at the unit whose record it is, once: a department's record does not
    alert its region as well (unless the rule is declared with scope = "region")."""
    a = rules.evaluate(values([]), fw_with(UNPERFORMED), records=RECORDS)
    got = {(r["unit_id"], r["year"]): json.loads(r["evidence"])["records"] for r in a.iter_rows(named=True)}
    # severity 2 and non-counting records never alert
    assert got == {("440100", 2023): ["R6"], ("440100", 2024): ["R2"], ("440100-FINANCE", 2024): ["R1"]}
    ids = [i for e in a["evidence"] for i in json.loads(e)["records"]]
    assert len(ids) == len(set(ids))
    assert (a["origin_unit_id"] == a["unit_id"]).all()
    # the shipped rules too: every counting record in at most one alert of each rule
    shipped = rules.evaluate(values([]), load_framework(), records=RECORDS)
    for _, g in shipped.group_by("rule"):
        ids = [i for e in g["evidence"] for i in json.loads(e).get("records", [])]
        assert len(ids) == len(set(ids))


def test_event_region_scope_when_declared():
    a = rules.evaluate(values([]), fw_with({**UNPERFORMED, "scope": "region"}), records=RECORDS)
    got = {(r["unit_id"], r["year"]): json.loads(r["evidence"])["records"] for r in a.iter_rows(named=True)}
    assert got == {("440100", 2023): ["R6"], ("440100", 2024): ["R1", "R2"], ("440100-FINANCE", 2024): ["R1"]}
    assert evidence(a, "440100", 2024)["count"] == 2
    assert rules.evaluate(values([]), fw_with(UNPERFORMED)).height == 0  # records not given
    assert rules.evaluate(values([]), fw_with(UNPERFORMED), records=RECORDS.clear()).height == 0


def test_event_on_an_indicator_lists_the_records_behind_it():
    fw = fw_with({"code": "listing", "kind": "event", "indicator": "dishonest_debtor_listings", "level": "orange",
                  "scope": "unit"})
    v = values([("440200", 2024, "dishonest_debtor_listings", 1.0), ("440300", 2024, "dishonest_debtor_listings", 0.0)])
    a = rules.evaluate(v, fw, records=RECORDS)
    assert a["unit_id"].to_list() == ["440200"]
    assert evidence(a, "440200") == {"indicator": "dishonest_debtor_listings", "value": 1.0, "threshold": 0, "count": 1,
                                     "records": ["R4"], "records_total": 1, "rectified": 0, "repaired": 0}
    assert a["evidence_text_en"][0] == "record(s) R4 (1 in all)"


def test_no_message_states_a_count_that_differs_from_its_evidence():
    """A rectified listing counts 0.5 in the indicator: the alert still says one listing, and says
    it was rectified (never "0 listings")."""
    import re

    rec = pl.DataFrame({"record_id": ["L1", "L2", "L3"], "unit_id": ["440200", "440300", "440300"],
                        "category": ["dishonest_debtor"] * 3, "severity": [3, 3, 3],
                        "occurred_on": [dt.date(2024, 6, 1)] * 3, "status": ["rectified", "active", "rectified"],
                        "counting": [True, True, True]})
    v = values([("440200", 2024, "dishonest_debtor_listings", 0.5), ("440300", 2024, "dishonest_debtor_listings", 1.5)])
    shipped = rules.evaluate(v, load_framework(), records=rec)
    indicator = rules.evaluate(v, fw_with({"code": "listing", "kind": "event", "indicator": "dishonest_debtor_listings",
                                           "level": "orange"}), records=rec)
    for a in (shipped.filter(pl.col("rule") == "dishonest_debtor"), indicator):
        assert sorted(a["unit_id"].to_list()) == ["440200", "440300"]
        for r in a.iter_rows(named=True):
            ev = json.loads(r["evidence"])
            stated = [int(n) for n in re.findall(r"(\d+)条", r["message"])]
            stated_en = [int(n) for n in re.findall(r"\b(\d+)\b", r["message_en"])]
            assert stated == [ev["records_total"]] and stated_en == [ev["records_total"]], r
            assert f"共{ev['records_total']}条" in r["evidence_text"]
        assert "其中已整改1条" in a.filter(pl.col("unit_id") == "440200")["evidence_text"][0]


# -- trends -----------------------------------------------------------------------------------------
def test_trend_fall_in_points_and_grade_notches():
    fw = fw_with({"code": "drop", "kind": "trend", "target": "score", "fall": 10, "level": "orange"},
                 {"code": "notch", "kind": "trend", "target": "grade", "notches": 2, "level": "orange"})
    s = scores([("a", 2022, 92.0, "A"), ("a", 2023, 81.0, "B"), ("a", 2024, 70.0, "C"),  # -11, -11 (one notch each)
                ("b", 2023, 91.0, "A"), ("b", 2024, 59.0, "D"),  # -32, three notches
                ("c", 2022, 50.0, "D"), ("c", 2024, 90.0, "A"),  # a rise, and a gap year
                ("d", 2023, 80.0, "B"), ("d", 2024, 71.0, "C")])  # -9: below the limit
    a = rules.evaluate(values([]), fw, scores=s)
    got = sorted((r["rule"], r["unit_id"], r["year"]) for r in a.iter_rows(named=True))
    assert got == [("drop", "a", 2023), ("drop", "a", 2024), ("drop", "b", 2024), ("notch", "b", 2024)]
    n = a.filter(pl.col("rule") == "notch").row(0, named=True)
    assert n["message_en"] == "Grade fell from A to D, 3 notch(es) year on year"
    assert json.loads(n["evidence"])["previous"] == "A"


def test_trend_in_standard_deviations_of_peer_changes():
    fw = fw_with({"code": "sd", "kind": "trend", "target": "score", "fall_sd": 1.5, "level": "orange"})
    rows = [(f"u{i}", y, 80.0 + (i % 3) * (y - 2023), "B") for i in range(12) for y in (2023, 2024)]
    rows += [("x", 2023, 85.0, "B"), ("x", 2024, 60.0, "C")]
    a = rules.evaluate(values([]), fw, scores=scores(rows))
    assert a["unit_id"].to_list() == ["x"]
    ev = evidence(a, "x")
    assert ev["fall"] == 25.0 and ev["limit"] == pytest.approx(1.5 * ev["sd"])
    # without any movement among peers there is no spread to compare with: no alert
    flat = [(f"u{i}", y, 80.0, "B") for i in range(12) for y in (2023, 2024)]
    assert rules.evaluate(values([]), fw, scores=scores(flat)).height == 0


def test_peer_bottom_decile_two_periods_running():
    fw = fw_with({"code": "bottom", "kind": "peer", "target": "score", "quantile": 0.1, "periods": 2, "level": "blue"})
    rows = [(f"u{i:02d}", y, 50.0 + i, "D") for i in range(20) for y in (2023, 2024)]
    rows = [r if not (r[0] == "u01" and r[1] == 2023) else ("u01", 2023, 99.0, "A") for r in rows]
    a = rules.evaluate(values([]), fw, scores=scores(rows))
    # u00 and u01 are the worst two of 20 in 2024; only u00 was also there in 2023
    assert a.select("unit_id", "year").rows() == [("u00", 2024)]
    assert evidence(a, "u00")["years"] == [2023, 2024] and evidence(a, "u00")["rank_from_bottom"] == 1
    # peers are kind x level: two groups of ten units, each with its own bottom decile
    mixed = scores(rows[:20]).vstack(scores(rows[20:], level="city"))
    assert rules.evaluate(values([]), fw, scores=mixed).select("unit_id", "year").rows() == [("u00", 2024), ("u10", 2024)]
    # groups smaller than min_peers raise nothing
    small = fw_with({"code": "bottom", "kind": "peer", "target": "score", "quantile": 0.1, "periods": 2,
                     "min_peers": 30, "level": "blue"})
    assert rules.evaluate(values([]), small, scores=scores(rows)).height == 0


def test_peer_on_an_indicator_follows_its_direction():
    fw = fw_with({"code": "debt", "kind": "peer", "target": "debt_ratio", "quantile": 0.1, "periods": 1,
                  "min_peers": 10, "level": "blue"})
    v = values([(f"u{i:02d}", 2024, "debt_ratio", 1.0 + i / 10) for i in range(10)])
    a = rules.evaluate(v, fw)  # without scores all units are one peer group
    assert a["unit_id"].to_list() == ["u09"]  # the highest debt ratio is the worst


# -- spikes -----------------------------------------------------------------------------------------
def monthly(counts: dict):
    rows = [(u, dt.date(2022 + m // 12, m % 12 + 1, 1), c) for u, cs in counts.items() for m, c in enumerate(cs)]
    return pl.DataFrame(rows, schema={"unit_id": pl.String, "month": pl.Date, "tickets": pl.Int64}, orient="row")


def test_spike_against_the_units_own_history():
    fw = fw_with({"code": "spike", "kind": "spike", "level": "yellow", "history": 12, "min_history": 12, "min_tickets": 10})
    base = [20, 22, 19, 21, 20, 23, 18, 20, 21, 22, 19, 20]
    m = monthly({
        "big": base + [21, 60, 20],  # Feb of year two: far above
        "busy": [200, 210, 190, 205, 195, 200, 210, 190, 205, 195, 200, 210] + [230, 220, 215],  # within its noise
        "quiet": [0] * 12 + [0, 6, 0],  # a jump of six is below min_tickets
        "young": [50, 200],  # too little history
    })
    a = rules.evaluate(values([]), fw, monthly=m)
    assert a.select("unit_id", "year").rows() == [("big", 2023)]
    ev = evidence(a, "big")
    assert [x["month"] for x in ev["months"]] == ["2023-02"] and ev["months"][0]["median"] == 20.5
    assert "2023-02" in a["message"][0]
    assert rules.evaluate(values([]), fw, monthly=m.clear()).height == 0


def test_robust_z_floor_keeps_quiet_units_calm():
    import numpy as np

    z, med, mad = robust_z(np.array([[0.0] * 12 + [3.0]]), history=12, min_history=12)
    assert med[0, -1] == 0 and z[0, -1] == 3.0  # scale floored at 1, not MAD 0


def test_robust_z_of_some_months_is_the_full_computation_there():
    import numpy as np

    rng = np.random.default_rng(3)
    counts = rng.poisson(rng.uniform(0, 30, size=(40, 1)), size=(40, 60)).astype(float)
    counts[rng.random(counts.shape) < 0.1] = np.nan
    at = np.nan_to_num(counts) >= 20
    full, some = robust_z(counts, 24, 12), robust_z(counts, 24, 12, at=at)
    for f, s in zip(full, some):
        assert np.array_equal(np.where(at, f, np.nan), s, equal_nan=True)
    assert np.isfinite(some[0][at]).sum() > 100


def test_windowed_median_is_numpys_nanmedian_to_the_bit():
    import warnings

    import numpy as np

    from models.dynamics import nanmedian

    rng = np.random.default_rng(2)
    for _ in range(50):
        a = rng.poisson(rng.uniform(0, 40), size=(20, 15, int(rng.integers(1, 25)))).astype(float)
        a[rng.random(a.shape) < rng.uniform(0, 1)] = np.nan
        for x in (a, a + rng.normal(size=a.shape)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                assert np.array_equal(nanmedian(x), np.nanmedian(x, axis=-1), equal_nan=True)


# -- overdue obligations ----------------------------------------------------------------------------
def test_overdue_sme_arrears_share():
    fw = fw_with({"code": "sme", "kind": "overdue", "share": 0.1, "days": 90, "level": "orange",
                  "where": (Condition("counterparty_sme", "eq", True),)})
    c = pl.DataFrame({
        "contract_id": ["C1", "C2", "C3", "C4", "C5", "C6"],
        "unit_id": ["440100-FINANCE", "440100", "440200", "440200", "440300", "440300"],
        "due_on": [dt.date(2024, 2, 1), dt.date(2024, 4, 1), dt.date(2024, 12, 1), dt.date(2024, 1, 5),
                   dt.date(2024, 3, 1), dt.date(2024, 3, 1)],
        "amount": [100.0, 100.0, 100.0, 100.0, 100.0, 1000.0],
        "arrears_amount": [50.0, 0.0, 90.0, 0.0, 50.0, 0.0],
        "counterparty_sme": [True, True, True, True, False, True],
    })
    a = rules.evaluate(values([]), fw, contracts=c)
    # the department's own arrears (50 of 100) alert the department only; 440200's arrears are not
    # yet 90 days overdue; 440300's arrears are owed to a large firm
    assert sorted(a.select("unit_id", "year").rows()) == [("440100-FINANCE", 2024)]
    assert a["evidence_text"][0] == "逾期超过90天的拖欠0.01万元，占本年到期应付0.01万元的50.0%（预警线10%）；合同 C1"
    # declared region-scoped, the region adds its department's arrears (50 of 200)
    fw = fw_with({"code": "sme", "kind": "overdue", "share": 0.1, "days": 90, "level": "orange", "scope": "region",
                  "where": (Condition("counterparty_sme", "eq", True),)})
    a = rules.evaluate(values([]), fw, contracts=c)
    assert sorted(a.select("unit_id", "year").rows()) == [("440100", 2024), ("440100-FINANCE", 2024)]
    ev = evidence(a, "440100")
    assert ev["share"] == 0.25 and ev["records"] == ["C1"] and ev["amount_due"] == 200.0
    assert a.filter(pl.col("unit_id") == "440100")["origin_unit_id"][0] == "440100"
    assert rules.evaluate(values([]), fw).height == 0  # contracts not given


# -- all together -----------------------------------------------------------------------------------
def test_alerts_frame_schema_and_order():
    v = values([("b", 2024, "debt_ratio", 1.3), ("a", 2024, "debt_ratio", 3.5), ("a", 2023, "debt_ratio", 2.1)])
    a = rules.evaluate(v, load_framework())
    assert a.schema == pl.Schema(rules.ALERT_SCHEMA)
    assert a.select("unit_id", "year", "level").rows() == [("a", 2023, "orange"), ("a", 2024, "red"), ("b", 2024, "yellow")]


@pytest.mark.parametrize("rule", load_framework().alerts, ids=lambda r: r["code"])
def test_every_shipped_rule_describes_itself(rule):
    zh, en = rules.describe(rule)
    assert zh and en and rule["kind"] != zh


def test_a_score_fall_where_a_table_starts_is_not_alerted():
    """Failure records that start in 2023 change what the index rests on; the score's move from
    2022 to 2023 is an artefact of the data, not a fall in integrity."""
    from indicators.framework_load import load_framework
    from models.kinds.trend import alerts as trend_alerts

    fw = load_framework()
    code = next(n.code for n in fw.indicators if n.definition is not None and n.definition.table == "failure_records")
    s = pl.DataFrame({"unit_id": ["a", "a", "b", "b"], "year": [2022, 2023] * 2, "score": [90.0, 70.0, 90.0, 70.0]})
    v = pl.DataFrame({"unit_id": ["a", "a", "b", "b"], "year": [2022, 2023] * 2,
                      "indicator": [code] * 4, "value": [None, 1.0, 0.0, 1.0],
                      "outside_coverage": [True, False, False, False]})
    rule = {"code": "drop", "kind": "trend", "target": "score", "fall": 10, "level": "orange"}
    assert [(a["unit_id"], a["year"]) for a in trend_alerts(v, s, rule, fw)] == [("b", 2023)]
