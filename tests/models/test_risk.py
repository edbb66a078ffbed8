"""The learned early warning on a small generated world: outputs, skill, determinism and leakage."""
from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal, assert_frame_not_equal

from models.risk import EXPLAIN_SCHEMA, RISK_SCHEMA
from models.rules import ALERT_SCHEMA


def subset(frames: dict) -> dict:
    """Regions and one department per region: fewer rows, same structure."""
    keep = pl.col("unit_id").str.contains("-", literal=True).not_() | pl.col("unit_id").str.ends_with("-FINANCE")
    return {k: v.filter(keep) for k, v in frames.items()}


def drop_year(frames: dict, year: int) -> dict:
    """The frames as they were before `year` happened."""
    out = dict(frames)
    for k in ("values", "scores", "events"):
        out[k] = frames[k].filter(pl.col("year") < year)
    out["monthly"] = frames["monthly"].filter(pl.col("month").dt.year() < year)
    out["records"] = frames["records"].filter(pl.col("occurred_on").dt.year() < year)
    out["contracts"] = frames["contracts"].filter(pl.col("due_on").is_null() | (pl.col("due_on").dt.year() < year))
    return out


def permute_year(frames: dict, year: int) -> dict:
    """Year `year` scrambled: every unit gets another unit's values, scores and events."""
    out = dict(frames)
    units = frames["scores"].filter(pl.col("year") == year)["unit_id"].unique().sort()
    shuffled = dict(zip(units.to_list(), units.shuffle(seed=3).to_list()))
    swap = pl.when(pl.col("year") == year).then(pl.col("unit_id").replace(shuffled)).otherwise(pl.col("unit_id"))
    for k in ("values", "events"):
        out[k] = frames[k].with_columns(swap)
    s = frames["scores"]
    out["scores"] = s.filter(pl.col("year") != year).vstack(
        s.filter(pl.col("year") == year).with_columns(pl.col("unit_id").replace(shuffled)).select(s.columns)
        .drop("kind", "level").join(s.filter(pl.col("year") == year).select("unit_id", "kind", "level"), on="unit_id")
        .select(s.columns))
    return out


@pytest.fixture(scope="module")
def small(ew_frames):
    return subset(ew_frames)


@pytest.fixture(scope="module")
def result(small, make_framework, run_chain):
    return run_chain(small, make_framework(), seed=1)


def test_outputs_have_their_schemas(result, small):
    assert result.risk.schema == pl.Schema(RISK_SCHEMA)
    assert result.alerts.schema == pl.Schema(ALERT_SCHEMA)
    assert result.explanations.schema == pl.Schema(EXPLAIN_SCHEMA)
    years = sorted(small["scores"]["year"].unique())
    # predictions start once two labelled years exist, and run to the last year (for the year after)
    assert result.risk["year"].unique().sort().to_list() == years[2:]
    assert result.risk["probability"].is_between(0, 1).all()
    assert result.risk.select("unit_id", "year").is_duplicated().sum() == 0
    assert set(result.alerts["source"]) <= {"rule", "model"}
    model = result.alerts.filter(pl.col("source") == "model", pl.col("rule") == "risk_model")
    assert model.height > 0 and all("probability" in json.loads(e) for e in model["evidence"])


def test_explanations_are_positive_and_ranked(result):
    e = result.explanations
    assert (e["contribution"] > 0).all()
    assert e.group_by("unit_id", "year").agg(pl.col("rank").max())["rank"].max() <= 3
    first = e.filter(pl.col("rank") == 1).join(e.filter(pl.col("rank") == 2), on=["unit_id", "year"], suffix="_2")
    assert (first["contribution"] >= first["contribution_2"]).all()
    assert e["label_en"].null_count() == 0


def test_card_and_backtest(result):
    card = result.card
    json.dumps(card)  # plain data
    assert card["chosen_model"] in ("logit", "gbm")
    assert card["level_lift"] == {"red": 4.0, "orange": 2.5, "yellow": 1.5}
    # the tables of what reaches the user: per level and year, per rule, per peer group, and value added
    levels = {(r["year"], r["level"]) for r in card["level_backtest"]}
    assert {(None, lv) for lv in ("red", "orange", "yellow", "blue", "none")} <= levels
    pooled_units = sum(r["units"] for r in card["level_backtest"] if r["year"] is None)
    assert pooled_units > 0
    assert {r["rule"] for r in card["rule_backtest"]} >= {"risk_model"}
    assert any(r["group"] == "all" for r in card["calibration_by_group"])
    assert {"auroc_rules", "auroc_rules_plus_model", "events_caught_rules"} <= set(card["value_added"])
    assert card["target"]["event_severity"] == 3 and card["n_features"] == len(card["features"])
    bt = result.backtest
    assert {"logit", "gbm", "selected", "naive_last_event", "naive_last_score"} <= set(bt["model"])
    pooled = {r["model"]: r for r in bt.filter(pl.col("year").is_null()).iter_rows(named=True)}
    assert pooled["selected"]["auroc"] > 0.6  # skill on a small noisy world
    assert card["metrics"]["selected"]["auroc"] == pytest.approx(pooled["selected"]["auroc"], abs=1e-6)


def test_model_levels_mean_what_the_framework_says(result):
    """Every model alert's probability is at least its level's multiple of the base rate, and no
    level holds more than its share of a year's units."""
    m = result.alerts.filter(pl.col("source") == "model")
    ev = [json.loads(e) for e in m["evidence"]]
    assert m.height > 0
    assert all(e["probability"] >= e["level_lift"] * e["base_rate"] - 1e-6 for e in ev)
    assert all(e["level_lift"] == {"red": 4.0, "orange": 2.5, "yellow": 1.5}[lv] for e, lv in zip(ev, m["level"]))
    per_year = result.levels.group_by("year", "level").len()
    units = result.levels.group_by("year").agg(pl.len().alias("all"))
    share = {"red": 0.05, "orange": 0.10, "yellow": 0.12, "blue": 0.03}
    for r in per_year.join(units, on="year").filter(pl.col("level").is_not_null()).iter_rows(named=True):
        counted = result.alerts.filter(pl.col("year") == r["year"], pl.col("level") == r["level"],
                                       pl.col("status") == "alert")
        legal = sum("legal_basis" in json.loads(e) for e in counted["evidence"])
        assert r["len"] <= share[r["level"]] * r["all"] + legal + 1, r


def test_no_alert_of_a_run_states_a_count_other_than_its_evidence(result):
    """On a generated world (rectified listings included): every "N条" / "N new" of a record-based
    alert is the number of records in its evidence."""
    import re

    rec = result.alerts.filter(pl.col("evidence").str.contains('"records_total"'), pl.col("source") == "rule")
    checked = 0
    for r in rec.iter_rows(named=True):
        total = json.loads(r["evidence"])["records_total"]
        for n in re.findall(r"(\d+)条", r["message"]):
            assert int(n) == total, r
            checked += 1
    assert checked > 0


def test_same_seed_same_output(small, result, make_framework, run_chain):
    again = run_chain(small, make_framework(), seed=1)
    for name in ("risk", "alerts", "levels", "explanations", "backtest"):
        assert_frame_equal(getattr(result, name), getattr(again, name))
    assert json.dumps(result.card, sort_keys=True) == json.dumps(again.card, sort_keys=True)


def earlier(ew, year):
    return {n: getattr(ew, n).filter(pl.col("year") < year) for n in ("risk", "explanations")} | {
        "alerts": ew.alerts.filter(pl.col("year") < year, pl.col("source") == "model")}


@pytest.mark.parametrize("change", [drop_year, permute_year], ids=["delete", "permute"])
def test_next_year_data_cannot_change_this_years_predictions(small, result, make_framework, run_chain, change):
    last = int(small["scores"]["year"].max())
    other = run_chain(change(small, last), make_framework(), seed=1)
    a, b = earlier(result, last), earlier(other, last)
    assert a["risk"].height > 0
    for name in a:
        assert_frame_equal(a[name], b[name])
    # and the year itself did change
    assert_frame_not_equal(result.risk.filter(pl.col("year") == last), other.risk.filter(pl.col("year") == last))


def test_target_is_from_the_data(ew_frames):
    ev = ew_frames["events"]
    rec = ew_frames["records"].filter(pl.col("counting"), pl.col("severity") >= 3,
                                      pl.col("category").is_in(["dishonest_debtor", "judgment_unperformed"]))
    own = rec.group_by("unit_id", pl.col("occurred_on").dt.year().cast(pl.Int64).alias("year")).len()
    j = own.join(ev, on=["unit_id", "year"])
    assert j.height == own.height and (j["events"] >= j["len"]).all()  # a region adds its departments'
    assert ev["events"].null_count() == 0


def test_no_events_table_means_no_model(small, make_framework):
    from models import features, risk

    fw = make_framework()
    feat = features.build_features(small["values"], fw, scores=small["scores"])
    ev = small["events"].with_columns(pl.lit(None, pl.Int64).alias("events"))
    out = risk.early_warning(feat, ev, fw)
    assert out.risk.height == 0 and out.model is None and out.card["chosen_model"] is None


def test_features_use_no_later_year(small, make_framework):
    from models import features

    fw = make_framework()
    full = features.build_features(small["values"], fw, scores=small["scores"])
    cut = features.build_features(small["values"].filter(pl.col("year") < 2023), fw,
                                  scores=small["scores"].filter(pl.col("year") < 2023))
    assert_frame_equal(full.filter(pl.col("year") < 2023), cut)
    assert np.isfinite(full.select(pl.col("change:debt_ratio").drop_nulls()).to_numpy()).all()
