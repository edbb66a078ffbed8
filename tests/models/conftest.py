"""A small generated world staged the way the pipeline stages it, and the early-warning chain
on it, with a model configuration small enough for fast tests."""
from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import numpy as np
import polars as pl
import pytest

from indicators.framework_load import load_framework

FAST_MODEL = {"gbm_trees": 30, "gbm_depth": 2, "calibration_folds": 2, "explain_top": 3}


def fast_framework(**model):
    fw = load_framework()
    return dataclasses.replace(fw, model={**fw.model, **FAST_MODEL, **model})


def stage(data) -> dict:
    """The frames the early-warning stage receives, computed as the pipeline computes them."""
    from indicators.compute import compute_indicators
    from indicators.load import load
    from indicators.monthly import monthly_tickets
    from models.risk import serious_events
    from rating.grade import grade_of
    from rating.score import score

    fw = load_framework()
    con = duckdb.connect()
    loaded = load(data, con, as_of=dt.date(2026, 6, 30), lifecycle=fw.lifecycle)
    ind = compute_indicators(con, fw, set(loaded.present))
    units = con.sql("SELECT * FROM units ORDER BY unit_id").pl()
    scored = score(ind, units, fw)
    aggs = dict(zip(scored.aggregate_codes, scored.aggregates.T))
    scores = scored.keys.with_columns(pl.Series("score", aggs[fw.code]).fill_nan(None))
    scores = scores.with_columns(grade_of(scores["score"].fill_null(np.nan).to_numpy(), fw))
    scores = scores.with_columns([pl.Series(c, aggs[c]).fill_nan(None) for c in scored.aggregate_codes if c != fw.code])
    frames = {
        "values": ind, "scores": scores, "events": serious_events(con, fw), "monthly": monthly_tickets(con),
        "records": con.sql("SELECT record_id, unit_id, category, severity, occurred_on, status, counting "
                           "FROM stg_failure_records").pl(),
        "contracts": con.sql("SELECT * FROM contracts").pl(),
    }
    con.close()
    return frames


def chain(frames: dict, framework, seed: int = 0):
    """rules -> features -> early warning, as the pipeline wires them."""
    from models import features, risk, rules

    alerts = rules.evaluate(frames["values"], framework, scores=frames["scores"], monthly=frames["monthly"],
                            records=frames["records"], contracts=frames["contracts"])
    feat = features.build_features(frames["values"], framework, scores=frames["scores"], alerts=alerts)
    return risk.early_warning(feat, frames["events"], framework, seed=seed, alerts=alerts)


@pytest.fixture(scope="session")
def ew_frames(tmp_path_factory) -> dict:
    """Six years of a small synthetic world (few complaints), staged."""
    from indicators.synth import generate

    data = tmp_path_factory.mktemp("ew_world") / "data"
    generate(data, seed=5, years=(2019, 2024), scale="demo", complaints=30_000)
    return stage(data)


@pytest.fixture(scope="session")
def make_framework():
    """fast_framework(**model overrides): the default framework with a small, fast model."""
    return fast_framework


@pytest.fixture(scope="session")
def run_chain():
    """chain(frames, framework, seed): rules -> features -> early warning."""
    return chain
