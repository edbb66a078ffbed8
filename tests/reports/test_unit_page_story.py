"""Unit pages tell the story: losses ordered by points lost against the maximum, the counts
behind every rate, values on too few cases flagged, each failure record shown once with the
indicators it counts in, and the veto with whose record it was."""
from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from synthetic_run import HOSTILE


def contexts(framework, tables, **options) -> dict:
    from reports.tables import prepare
    from reports.unit import unit_contexts

    inp = prepare(framework, **{k: tables.get(k) for k in ("units", "scores", "indicators", "alerts", "risk",
                                                           "records", "manifest")},
                  **{"lang": "zh", "audience": "internal", **options})
    return dict(unit_contexts(inp, {}))


def render_units(framework, tables, tmp_path, **options) -> dict[str, str]:
    from rating.publish import RunTables
    from reports.render import render

    paths = render(tmp_path, RunTables(framework=framework, **tables), **options)
    return {p.stem: p.read_text(encoding="utf-8") for p in paths if p.parent.name == "units"}


def test_losses_are_ordered_by_points_lost_against_the_peer_mean(framework, run):
    ctx = contexts(framework, run)
    scores, ind = run["scores"], run["indicators"]
    latest = scores.group_by("unit_id").agg(pl.col("year").max())
    groups = scores.select("unit_id", "year").join(run["units"].select("unit_id", "kind", "level"), on="unit_id")
    norm = ind.join(groups, on=["unit_id", "year"]).filter(pl.col("normalised").is_not_null())
    means = norm.group_by("year", "kind", "level", "indicator").agg(pl.col("normalised").mean().alias("m"))
    peers = {(r["unit_id"], r["indicator"]): r["m"] for r in
             norm.join(latest, on=["unit_id", "year"], how="semi").join(means, on=["year", "kind", "level", "indicator"])
             .iter_rows(named=True)}
    checked = 0
    for uid, c in ctx.items():
        rows = c["losses"]["rows"]
        lost = [r["_lost"] for r in rows]
        assert lost == sorted(lost, reverse=True), uid
        for r in rows:  # points lost = effective weight x (peer mean - normalised), below the mean only
            x = float(r["normalised"].replace(",", ""))
            eff = float(r["eff"].rstrip("%")) / 100
            assert r["_lost"] == pytest.approx(eff * (peers[(uid, r["code"])] - x), abs=0.06 + 0.001 * r["_lost"])
            assert peers[(uid, r["code"])] > x
        checked += bool(rows)
    assert checked > 5
    # the largest loss is not necessarily the lowest peer percentile: the page lists losses, not percentiles
    some = next(c for c in ctx.values() if len(c["losses"]["rows"]) > 3)
    assert some["losses"]["text"] and "同类单位平均" in some["losses"]["text"]


def test_counts_behind_a_rate_and_the_few_cases_flag(framework, run, tmp_path):
    code = "contract_ontime_rate"
    ind = run["indicators"]
    cell = (pl.col("unit_id") == "440100") & (pl.col("indicator") == code)
    ind = ind.with_columns(pl.when(cell).then(0.5).otherwise(pl.col("value")).alias("value"),
                           pl.when(cell).then(2.0).otherwise(pl.col("numerator")).alias("numerator"),
                           pl.when(cell).then(4.0).otherwise(pl.col("denominator")).alias("denominator"))
    zh = render_units(framework, {**run, "indicators": ind}, tmp_path / "zh")["440100"]
    en = render_units(framework, {**run, "indicators": ind}, tmp_path / "en", lang="en", audience="public")["440100"]
    row = next(r for r in zh.split("<tr") if framework.node(code).name_zh in r and "2/4" in r)
    assert "2/4份合同" in row and 'class="thin"' in row and "样本" in row
    assert "2 of 4 contracts" in en and "few cases" in en
    # a rate on plenty of cases is not flagged
    many = ind.with_columns(pl.when(cell).then(400.0).otherwise(pl.col("denominator")).alias("denominator"),
                            pl.when(cell).then(200.0).otherwise(pl.col("numerator")).alias("numerator"))
    page = render_units(framework, {**run, "indicators": many}, tmp_path / "many")["440100"]
    row = next(r for r in page.split("<tr") if "200/400份合同" in r)
    assert 'class="thin"' not in row and "样本" not in row


def test_each_record_is_shown_once_with_the_indicators_it_counts_in(framework, run, rendered):
    _, paths = rendered
    page = next(p for p in paths if p.name == f"{HOSTILE}.html").read_text(encoding="utf-8")
    evidence = page.split('id="records"')[1].split('id="pending"')[0]
    ids = re.findall(r'<tr><th scope="row">([^<]+)</th>', evidence)
    assert ids and len(ids) == len(set(ids))
    # X1, a lost lawsuit, counts in several indicators and is listed once, naming them
    x1 = next(r for r in evidence.split("<tr>") if ">X1<" in r)
    assert framework.node("judgment_lost_per_100_staff").name_zh in x1
    assert framework.node("failure_weighted_per_100_staff").name_zh in x1
    region = next(p for p in paths if p.name == "440100.html").read_text(encoding="utf-8")
    ev = region.split('id="records"')[1].split('id="pending"')[0]
    ids = re.findall(r'<tr><th scope="row">([^<]+)</th>', ev)
    assert "X4" in ids and len(ids) == len(set(ids))


def test_veto_names_whose_record_it_was(framework, run, tmp_path):
    v = next(v for v in framework.vetoes if v.indicator == "dishonest_debtor_listings")
    dept = "440100-D00"
    rec = run["records"]
    extra = pl.DataFrame([("X9", dept, "dishonest_debtor", 3, dt.date(2023, 5, 1), None, "active", None, "名单",
                           True, False, 1.0)], schema=rec.schema, orient="row")
    scores = run["scores"].with_columns(
        pl.when((pl.col("unit_id") == "440100") & (pl.col("year") == 2023)).then(pl.lit(v.code))
        .otherwise(pl.col("veto")).alias("veto"))
    pages = render_units(framework, {**run, "records": pl.concat([rec, extra]), "scores": scores}, tmp_path)
    vetoes = pages["440100"].split('id="vetoes"')[1].split("</ul>")[0]
    dept_name = run["units"].filter(pl.col("unit_id") == dept)["name"][0]
    assert v.code in vetoes and "X9" in vetoes and dept_name in vetoes
    assert f'href="{dept}.html"' in vetoes


def test_contracts_behind_a_rate_are_listed(framework, run, tmp_path):
    d = dt.date
    rows = [("C1", "440100", "procurement", d(2023, 1, 5), d(2023, 6, 1), 100.0, d(2023, 7, 1), "late", 0.0, False),
            ("C2", "440100", "procurement", d(2023, 1, 5), d(2023, 6, 1), 100.0, d(2023, 5, 1), "fulfilled", 0.0, False),
            ("C3", "440100", "ppp", d(2023, 1, 5), d(2023, 8, 1), 100.0, None, "ongoing", 0.0, False),
            ("C4", "440100-D00", "procurement", d(2023, 2, 5), d(2023, 9, 1), 50.0, None, "breached", 0.0, False),
            ("C5", "440100", "procurement", d(2022, 1, 5), d(2022, 6, 1), 100.0, None, "breached", 0.0, False)]
    contracts = pl.DataFrame(rows, schema={"contract_id": pl.String, "unit_id": pl.String, "kind": pl.String,
                                           "signed_on": pl.Date, "due_on": pl.Date, "amount": pl.Float64,
                                           "fulfilled_on": pl.Date, "status": pl.String, "arrears_amount": pl.Float64,
                                           "counterparty_sme": pl.Boolean}, orient="row")
    pages = render_units(framework, {**run, "evidence": {"contracts": contracts}}, tmp_path)
    sec = pages["440100"].split('id="evidence-rows"')[1].split("</section>")[0]
    ontime = next(g for g in sec.split("<details>") if framework.node("contract_ontime_rate").name_zh in g)
    listed = re.findall(r'<th scope="row">(C\d)</th>', ontime)
    # late, unfulfilled and the department's contract count against the region; on time and 2022 do not
    assert sorted(listed) == ["C1", "C3", "C4"]
    assert "逾期履行" in ontime and "政府采购" in ontime  # the contract's own kind and status, in words
    assert 'href="440100-D00.html"' in ontime
    public = render_units(framework, {**run, "evidence": {"contracts": contracts}}, tmp_path / "pub",
                          lang="en", audience="public")
    assert 'id="evidence-rows"' not in public["440100"] and "C1" not in public["440100"]


def test_the_run_keeps_only_the_first_tickets_against_each_unit(framework):
    """rating.pipeline.tickets_behind: per unit and ticket indicator, the first tickets that count
    against the unit in the last rated year, at most TICKETS_PER_UNIT (a small frame at any scale)."""
    import duckdb

    from rating.pipeline import TICKETS_PER_UNIT, tickets_behind

    t0 = dt.datetime(2023, 1, 1)
    late = [(f"L{i:03d}", "440100", t0 + dt.timedelta(days=i), "complaint", None, t0 + dt.timedelta(days=i + 1),
             t0 + dt.timedelta(days=i + 5), "satisfied", False) for i in range(TICKETS_PER_UNIT + 5)]
    ok = [("OK1", "440100", t0, "complaint", None, t0 + dt.timedelta(days=3), t0 + dt.timedelta(days=1), "satisfied",
           False), ("OLD", "440100", dt.datetime(2022, 5, 1), "complaint", None, dt.datetime(2022, 5, 2),
                    dt.datetime(2022, 5, 9), "satisfied", False)]
    tickets = pl.DataFrame(late + ok, orient="row", schema={
        "ticket_id": pl.String, "unit_id": pl.String, "received_at": pl.Datetime, "kind": pl.String,
        "topic": pl.String, "due_at": pl.Datetime, "resolved_at": pl.Datetime, "satisfaction": pl.String,
        "repeat": pl.Boolean})
    con = duckdb.connect()
    con.register("complaints", tickets)
    got = tickets_behind(con, framework, [2022, 2023])
    code = next(n.code for n in framework.computed if n.definition is not None and n.definition.table == "complaints"
                and n.definition.measure == "share" and any(c.op == "le_column" for c in n.definition.numerator))
    ontime = got.filter(pl.col("indicator") == code)["ticket_id"].to_list()
    assert ontime == [f"L{i:03d}" for i in range(TICKETS_PER_UNIT)]  # late ones, first by date, capped
    assert "OK1" not in got["ticket_id"].to_list() and "OLD" not in got["ticket_id"].to_list()
