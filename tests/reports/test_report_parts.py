"""The pieces behind the pages: safe embedding, weights and contributions, records behind
deductions, what-if data, formatting."""
from __future__ import annotations

import datetime as dt
import doctest
import json
import math

import polars as pl
import pytest

from synthetic_run import HOSTILE


def test_script_json_escapes_and_round_trips():
    from reports.embed import script_json

    obj = {"a": "</script><!-- & \u2028", "n": float("nan"), "x": [1.5, None]}
    text = str(script_json(obj))
    assert not any(ch in text for ch in "<>&\u2028")
    assert json.loads(text) == {"a": "</script><!-- & \u2028", "n": None, "x": [1.5, None]}


def test_effective_weights_sum_to_one(framework):
    eff = framework.effective_weights()
    assert math.isclose(sum(eff[n.code] for n in framework.indicators), 1.0)
    share = framework.weight_shares()
    for agg in framework.aggregates:
        assert math.isclose(sum(share[k.code] for k in framework.children(agg.code)), 1.0)


def test_contributions_add_up_to_the_score(framework, run):
    from reports.tables import prepare
    from reports.weights import carried

    inp = prepare(framework, **run, lang="zh", audience="internal")
    latest = inp.scores.filter(pl.col("year") == inp.year)
    c = carried(framework, inp.indicators.filter(pl.col("year") == inp.year), latest, inp.dims)
    codes = [n.code for n in framework.indicators]
    total = (c.filter(pl.col("code").is_in(codes)).group_by("unit_id").agg(pl.col("contribution").sum())
             .join(latest.select("unit_id", "score"), on="unit_id"))
    assert total.height > 0
    for got, want in total.select("contribution", "score").iter_rows():
        assert want is None or math.isclose(got, want, rel_tol=1e-9)


def test_percentiles_are_within_peer_groups(framework, run):
    from reports.tables import prepare
    from reports.weights import percentiles

    inp = prepare(framework, **run, lang="zh", audience="internal")
    p = percentiles(inp.indicators, inp.scores, [inp.year])
    assert p["percentile"].min() > 0 and p["percentile"].max() < 100


def _records(rows):
    schema = {"record_id": pl.String, "unit_id": pl.String, "category": pl.String, "severity": pl.Int64,
              "occurred_on": pl.Date, "amount": pl.Float64, "status": pl.String, "status_changed_on": pl.Date,
              "description": pl.String, "counting": pl.Boolean, "pending": pl.Boolean, "weight": pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row")


def test_records_behind_deductions(framework):
    from reports.records import behind_deductions, pending

    units = pl.DataFrame({"unit_id": ["440100", "440100-DRC"], "kind": ["region", "department"],
                          "region_id": ["440100", "440100"]})
    d = dt.date
    recs = _records([
        ("a", "440100-DRC", "judgment_lost", 3, d(2023, 1, 5), None, "active", None, "", True, False, 1.0),
        ("b", "440100", "administrative_penalty", 1, d(2022, 1, 5), None, "active", None, "", True, False, 1.0),
        ("c", "440100", "judgment_lost", 1, d(2023, 1, 5), None, "under_objection", None, "", False, True, 0.0),
        ("d", "440100", "disciplinary", 1, d(2023, 2, 5), None, "rectified", d(2023, 3, 1), "", True, False, 0.5),
    ])
    wanted = pl.DataFrame({"unit_id": ["440100", "440100-DRC"], "year": [2023, 2023]})
    got = behind_deductions(recs, units, framework, wanted)
    pairs = set(zip(got["target"], got["indicator"], got["record_id"]))
    assert ("440100", "judgment_lost_per_100_staff", "a") in pairs  # region scope includes departments
    assert ("440100-DRC", "judgment_lost_per_100_staff", "a") in pairs
    assert ("440100", "failure_weighted_per_100_staff", "a") in pairs
    assert ("440100", "rectification_rate", "a") in pairs  # not rectified: deducts from the rate
    assert ("440100", "rectification_rate", "d") not in pairs  # rectified: no deduction there
    assert not {r for _, _, r in pairs} & {"b", "c"}  # other year; not counting
    assert pending(recs, units)["record_id"].to_list() == ["c"]


def test_whatif_data_reproduces_published_scores(framework, run):
    from reports.tables import prepare
    from reports.whatif import caps, whatif_data

    inp = prepare(framework, **run, lang="en", audience="internal")
    latest = inp.scores.filter(pl.col("year") == inp.year)
    data = whatif_data(framework, latest, "en")
    assert [d["code"] for d in data["dims"]] == [k.code for k in framework.children(framework.nodes[0].code)]
    w = [d["weight"] for d in data["dims"]]
    published = dict(zip(latest["unit_id"], latest["score"]))
    for uid, g, x, _ in data["units"]:  # the formula overview.js applies
        app = data["groups"][g]["app"]
        pairs = [(wi, xi) for wi, xi, a in zip(w, x, app) if a and xi is not None]
        score = sum(wi * xi for wi, xi in pairs) / sum(wi for wi, _ in pairs) if pairs else None
        if published[uid] is None:
            assert score is None
        else:
            assert math.isclose(score, published[uid], rel_tol=1e-4)
    order = [g.code for g in framework.grades]
    v = framework.vetoes[0]
    assert caps(framework, v.code) == order.index(v.cap)
    both = ",".join(x.code for x in framework.vetoes)  # several vetoes: the worst cap counts
    assert caps(framework, both) == max(order.index(x.cap) for x in framework.vetoes)
    assert caps(framework, None) == -1


def test_public_edition_drops_model_and_records(framework, run):
    from reports.tables import prepare

    inp = prepare(framework, **run, lang="zh", audience="public")
    assert inp.records.is_empty() and inp.risk.is_empty()
    assert set(inp.alerts["source"].to_list()) <= {"rule"}
    assert inp.alerts["evidence"].null_count() == inp.alerts.height


def test_city_of_each_unit(framework, run):
    from reports.tables import city_ids

    cities = city_ids(run["units"])
    assert cities["440000"] is None and cities["440100"] == "440100"
    assert cities["440101"] == "440100" and cities["440101-D01"] == "440100" and cities[HOSTILE] == "440100"


@pytest.mark.parametrize("module", ["fmt", "embed", "i18n", "weights", "unit_risk", "model_card", "counts", "wording"])
def test_doctests(module):
    import importlib

    mod = importlib.import_module(f"reports.{module}")
    result = doctest.testmod(mod)
    assert result.failed == 0


def test_earlier_years_are_rounded_by_column_exactly_as_python_rounds_each_value():
    """The overview's earlier years round whole columns with numpy; every value, ties and
    near-ties included, is the float Python's `round` gives it."""
    import numpy as np
    import polars as pl

    from reports.overview import rounded

    rng = np.random.default_rng(3)
    ties = (np.arange(-20_000, 20_000) + 0.5) / 10_000  # x.xxxx5: exact ties in decimal, near ties in binary
    values = np.concatenate([rng.normal(60, 25, 50_000), rng.uniform(0, 1, 50_000), ties,
                             np.nextafter(ties, np.inf), np.nextafter(ties, -np.inf), [1e300, -0.0, 0.0]])
    series = pl.Series(values.tolist() + [None, float("nan")])
    assert rounded(series, 4) == [round(v, 4) for v in values.tolist()] + [None, None]
    assert rounded(series, 1) == [round(v, 1) for v in values.tolist()] + [None, None]
