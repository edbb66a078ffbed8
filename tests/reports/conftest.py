"""Fixtures of the report tests: small run tables built here (no pipeline), including a unit
whose name and records carry markup and quote payloads."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import polars as pl
import pytest

# The suite imports test modules by path (importlib mode): make this folder's helper modules
# (synthetic_run, htmlcheck) importable by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_run import HOSTILE, PAYLOAD, make_run, make_units  # noqa: E402


@pytest.fixture(scope="session")
def framework():
    from indicators.framework_load import load_framework

    return load_framework()


@pytest.fixture(scope="session")
def run(framework) -> dict:
    """Two cities with two counties each, two departments per region, two years; plus a hostile
    county of city 1 and records exercising every status."""
    units = make_units(2, 2, 2)
    units = pl.concat([units, pl.DataFrame([{
        "unit_id": HOSTILE, "name": f"恶意{PAYLOAD}", "name_en": f"Evil {PAYLOAD}", "kind": "region",
        "level": "county", "parent_id": "440100", "region_id": HOSTILE}])])
    tables = make_run(framework, units)
    d = dt.date
    extra = pl.DataFrame([
        ("X1", HOSTILE, "judgment_lost", 2, d(2023, 3, 1), 1000.0, "active", None, f"描述{PAYLOAD}", True, False, 1.0),
        ("X2", HOSTILE, "dishonest_debtor", 3, d(2023, 4, 1), None, "under_objection", None,
         f"异议{PAYLOAD}", False, True, 0.0),
        ("X3", HOSTILE, "administrative_penalty", 1, d(2023, 5, 1), 5.0, "revoked", d(2023, 6, 1), "撤销", False,
         False, 0.0),
        ("X4", "440100-D00", "judgment_lost", 2, d(2023, 2, 1), None, "rectified", d(2023, 3, 1), "部门记录", True,
         False, 0.5),
    ], schema=tables["records"].schema, orient="row")
    tables["records"] = pl.concat([tables["records"], extra])
    alerts = tables["alerts"]
    tables["alerts"] = pl.concat([alerts, pl.DataFrame([
        (HOSTILE, 2023, "red", "rule", "dishonest_debtor", f"消息{PAYLOAD}", f"Message {PAYLOAD}",
         '{"indicator": "dishonest_debtor_listings", "value": 1, "note": "</script><b>"}'),
        (HOSTILE, 2023, "orange", "model", "risk_model", "模型预警", "Model alert", '{"probability": 0.4}'),
    ], schema=alerts.schema, orient="row")])
    return tables


def _render(tmp_path_factory, name: str, framework, tables: dict, **options):
    """The report of `tables` (RunTables fields by name) in a new folder `name`, with render's
    `options` (lang, audience): (folder, what render returned)."""
    from rating.publish import RunTables
    from reports.render import render

    out = tmp_path_factory.mktemp(name)
    return out, render(out, RunTables(framework=framework, **tables), **options)


@pytest.fixture(scope="session")
def rendered(framework, run, tmp_path_factory):
    """The internal Chinese edition."""
    return _render(tmp_path_factory, "report_zh", framework, run)


@pytest.fixture(scope="session")
def rendered_public_en(framework, run, tmp_path_factory):
    """The public English edition."""
    return _render(tmp_path_factory, "report_en", framework, run, lang="en", audience="public")


@pytest.fixture(scope="session")
def model():
    """The early-warning outcome on a small random panel (a real card, backtest, predictions)."""
    from synthetic_run import make_model

    return make_model()


@pytest.fixture(scope="session")
def full_run(framework, run, model) -> dict:
    """`run` plus every optional input: grade probabilities, outlook and an override (with
    markup payloads) in the scores, alert levels, explanations, the model's card, backtest and
    predictions, and sensitivity indices."""
    from synthetic_run import make_extras

    sensitivity = pl.DataFrame({"factor": ["weights", "normalise", f"假设{PAYLOAD}"], "S1": [0.42, 0.18, None],
                                "S1_low": [0.3, 0.05, None], "S1_high": [0.55, 0.3, None], "ST": [0.6, 0.3, 0.1],
                                "ST_low": [0.45, 0.2, 0.0], "ST_high": [0.75, 0.4, 0.2]})
    return {**run, **make_extras(framework, run), "model_card": model.card, "backtest": model.backtest,
            "predictions": model.predictions, "sensitivity": sensitivity}


@pytest.fixture(scope="session")
def rendered_full(framework, full_run, tmp_path_factory):
    return _render(tmp_path_factory, "report_full_zh", framework, full_run)


@pytest.fixture(scope="session")
def rendered_full_public_en(framework, full_run, tmp_path_factory):
    return _render(tmp_path_factory, "report_full_en", framework, full_run, lang="en", audience="public")
