"""index.html's headline, multi-year view and data-file links, and the comparison page's data,
checked against the scores of a synthetic run (tests/reports/synthetic_run.py)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest


def page(out: Path, name: str) -> str:
    return (out / name).read_text(encoding="utf-8")


def section(html: str, sid: str) -> str:
    start = html.index(f'<section id="{sid}"')
    return html[start:html.index("</section>", start)]


def latest_with_groups(run: dict) -> pl.DataFrame:
    scores = run["scores"]
    year = scores["year"].max()
    units = run["units"].select("unit_id", "kind", "level")
    prev = scores.filter(pl.col("year") == year - 1).select("unit_id", pl.col("score").alias("prev"))
    return (scores.filter(pl.col("year") == year).join(units, on="unit_id")
            .join(prev, on="unit_id", how="left").with_columns((pl.col("score") - pl.col("prev")).alias("yoy")))


def linked_id(cell: str) -> str:
    m = re.search(r'href="units/([^"]+)\.html"', cell)
    assert m, cell
    return m.group(1)


def test_headline_names_best_worst_and_largest_moves_of_each_peer_group(rendered, run):
    out, _ = rendered
    html = page(out, "index.html")
    head = section(html, "headline")
    latest = latest_with_groups(run).filter(pl.col("score").is_not_null())
    rows = dict(re.findall(r'<tr data-group="([\w-]+)">(.*?)</tr>', head, re.S))
    expected_groups = [f"{k}-{lv}" for (k, lv), sub in latest.group_by("kind", "level") if sub.height > 1]
    assert set(rows) == set(expected_groups)
    # regions before departments, cities before counties: the city governments lead
    assert list(rows)[0] == "region-city"
    for key, row in rows.items():
        kind, level = key.split("-")
        sub = latest.filter((pl.col("kind") == kind) & (pl.col("level") == level))
        cells = dict(re.findall(r'<td class="c-(\w+)">(.*?)</td>', row, re.S))
        best = sub.sort(["score", "unit_id"], descending=[True, False])["unit_id"][0]
        worst = sub.sort(["score", "unit_id"])["unit_id"][0]
        assert linked_id(cells["best"]) == best and linked_id(cells["worst"]) == worst, key
        up = sub.filter(pl.col("yoy") > 0).sort(["yoy", "unit_id"], descending=[True, False])
        down = sub.filter(pl.col("yoy") < 0).sort(["yoy", "unit_id"])
        if up.height:
            assert linked_id(cells["up"]) == up["unit_id"][0], key
        if down.height:
            assert linked_id(cells["down"]) == down["unit_id"][0], key
    # the province, a group of its own, is stated in a line of its own
    assert 'href="units/440000.html"' in head.split("<table")[0]


def test_headline_counts_by_grade_and_alert_level(rendered, run, framework):
    out, _ = rendered
    head = section(page(out, "index.html"), "headline")
    scores = run["scores"]
    year = scores["year"].max()
    latest = scores.filter(pl.col("year") == year)
    shown = dict(re.findall(r'<td class="num" data-grade="(\w*)">(\d+)</td>', head))
    for g in framework.grades:
        assert int(shown[g.code]) == latest.filter(pl.col("grade") == g.code).height, g.code
    order = {"red": 0, "orange": 1, "yellow": 2, "blue": 3}
    worst = (run["alerts"].filter(pl.col("year") == year)
             .with_columns(pl.col("level").replace_strict(order, return_dtype=pl.Int64).alias("o"))
             .group_by("unit_id").agg(pl.col("o").min()))
    counts = dict(re.findall(r'<td class="num" data-alert="(\w+)">(\d+)</td>', head))
    for level, o in order.items():
        assert int(counts[level]) == worst.filter(pl.col("o") == o).height, level


def test_city_ranking_comes_before_the_long_ranking(rendered, run):
    out, _ = rendered
    html = page(out, "index.html")
    assert html.index('id="headline"') < html.index('id="cities"') < html.index('id="ranking"')
    cities = section(html, "cities")
    year = run["scores"]["year"].max()
    city_ids = run["units"].filter((pl.col("kind") == "region") & (pl.col("level") == "city"))["unit_id"]
    ranked = (run["scores"].filter((pl.col("year") == year) & pl.col("unit_id").is_in(city_ids.implode()))
              .sort(["score", "unit_id"], descending=[True, False])["unit_id"].to_list())
    assert re.findall(r'href="units/(\d+)\.html"', cities) == ranked


def test_department_comparison_stays_within_a_peer_group(rendered, run):
    out, _ = rendered
    dept = section(page(out, "index.html"), "departments")
    options = re.findall(r'<option value="([A-Z0-9_]+)\|(\w+)">([^<]+)</option>', dept)
    assert options
    for code, level, label in options:
        assert code not in label  # a readable name in the page's language, not the code
        assert re.search(r"^第\d局 · (市直部门|县直部门|省直部门)（\d+个）$", label), label
    level_of = dict(run["units"].select("unit_id", "level").iter_rows())
    rows = re.findall(r'<tr data-dept="([A-Z0-9_]+)\|(\w+)"[^>]*><th scope="row"><a href="units/([^"]+)\.html"', dept)
    assert rows and {(c, lv) for c, lv, _ in rows} == {(c, lv) for c, lv, _ in options}
    # a city bureau is never listed (nor ranked) with the county bureaus of its kind
    assert all(level_of[uid] == lv and uid.endswith(f"-{c}") for c, lv, uid in rows)


def test_migration_matrix_on_the_page_matches_rating_migration(rendered, run, framework):
    from rating.migration import migration

    out, _ = rendered
    view = section(page(out, "index.html"), "multiyear")
    codes = [g.code for g in framework.grades]
    m = migration(run["scores"], codes)
    years = sorted(run["scores"]["year"].unique().to_list())
    key = f"{years[-2]}-{years[-1]}"
    table = re.search(rf'<table class="counts migration-matrix" data-view="all" data-pair="{key}">(.*?)</table>',
                      view, re.S).group(1)
    body = table.split("<tbody>")[1]
    got = [[int(x) for x in re.findall(r"<td[^>]*>(?:<strong>)?(\d+)", tr)] for tr in body.split("</tr>")[:-1]]
    want = m.filter(pl.col("from_year") == years[-2]).drop("from_year", "to_year", "grade").rows()
    assert got == [list(r) for r in want]
    # the latest pair is shown first; every peer group has its own matrices
    assert f'data-pair="{key}"' in view and 'data-view="region-county"' in view
    assert re.search(r'<div class="migration" data-pair="' + key + '">', view)


def test_data_files_are_linked(framework, run, tmp_path):
    from rating.publish import RunTables
    from reports.render import render

    tables = RunTables(framework=framework, **run)
    out = tmp_path / "given"
    render(out, tables, files=["scores.csv", "rating.xlsx", "audit/cronbach.csv", "results.duckdb"])
    files = section(page(out, "index.html"), "files")
    assert re.findall(r'<a href="([^"]+)">', files) == ["rating.xlsx", "scores.csv", "results.duckdb",
                                                        "audit/cronbach.csv"]
    # by default: the files found beside the pages, never the pages themselves
    out = tmp_path / "found"
    (out / "audit").mkdir(parents=True)
    (out / "scores.csv").write_text("unit_id\n", encoding="utf-8")
    (out / "audit" / "pca variance.csv").write_text("x\n", encoding="utf-8")
    render(out, tables, lang="en")
    files = section(page(out, "index.html"), "files")
    assert re.findall(r'<a href="([^"]+)">', files) == ["scores.csv", "audit/pca%20variance.csv"]
    assert "Scores, ranks" in files and ".html" not in files


def compare_json(out: Path) -> dict:
    html = page(out, "compare.html")
    m = re.search(r'<script type="application/json" id="compare-data">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def test_compare_data_holds_every_unit_with_its_result_dimensions_indicators_and_trend(rendered, run, framework):
    out, _ = rendered
    d = compare_json(out)
    scores = run["scores"]
    year = scores["year"].max()
    ids = [u[0] for u in d["units"]]
    assert sorted(ids) == sorted(scores["unit_id"].unique().to_list())
    assert d["years"] == sorted(scores["year"].unique().to_list()) and d["latest"] == year
    # units are listed by peer group (regions first) and rank within it
    assert d["groups"][d["units"][0][2]] == "省" and d["groups"][d["units"][1][2]] == "地级市"
    latest = scores.filter(pl.col("year") == year)
    dims = [a.code for a in framework.aggregates if a.parent == framework.nodes[0].code]
    ind = run["indicators"].filter(pl.col("year") == year)
    codes = [n.code for n in framework.indicators if n.code in set(ind["indicator"].to_list())]
    for uid in ids[:6]:
        i = ids.index(uid)
        row = latest.filter(pl.col("unit_id") == uid).row(0, named=True)
        assert d["now"][i][0] == pytest.approx(row["score"], abs=0.006)
        assert d["now"][i][4] == row["grade"]
        assert d["dimv"][i] == pytest.approx([row[c] for c in dims], abs=0.006)
        trend = scores.filter(pl.col("unit_id") == uid).sort("year")["score"].to_list()
        assert d["trend"][i] == pytest.approx(trend, abs=0.006)
        norm = dict(ind.filter(pl.col("unit_id") == uid).select("indicator", "normalised").iter_rows())
        assert d["norm"][i] == pytest.approx([norm.get(c) for c in codes], abs=0.051, nan_ok=True)
    # by default two units of one peer group: the best and the worst city
    a, b = d["default"]
    assert d["units"][a][2] == d["units"][b][2] and d["groups"][d["units"][a][2]] == "地级市"


@pytest.mark.integration
def test_compare_page_script_draws_the_picked_units(rendered, tmp_path):
    node = shutil.which("node")
    assert node is not None, "node is not installed"
    out, _ = rendered
    d = compare_json(out)
    picked = [d["units"][1][0], d["units"][2][0], d["units"][-1][0]]
    script = tmp_path / "drive.js"
    script.write_text(
        "const fs = require('fs'); const { JSDOM, VirtualConsole } = require('jsdom');\n"
        "const errors = []; const vc = new VirtualConsole();\n"
        "vc.on('jsdomError', (e) => errors.push(String(e.message || e)));\n"
        "const dom = new JSDOM(fs.readFileSync(process.argv[2], 'utf8'), { runScripts: 'dangerously',\n"
        "  virtualConsole: vc, url: 'file:///report/compare.html#u=' + process.argv[3] });\n"
        "const d = dom.window.document;\n"
        "const heads = Array.from(d.querySelectorAll('#cmp-table thead th')).map((h) => h.textContent);\n"
        "const mixed = !d.getElementById('cmp-status').hidden;\n"
        "const marks = d.querySelectorAll('#cmp-svg circle, #cmp-svg rect, #cmp-svg polygon').length;\n"
        "const trendRows = d.querySelectorAll('#cmp-trend-table tbody tr').length;\n"
        "const p = d.getElementById('pick-2'); p.value = ''; p.dispatchEvent(new dom.window.Event('change'));\n"
        "const after = d.querySelectorAll('#cmp-table thead th').length;\n"
        "const mixedAfter = !d.getElementById('cmp-status').hidden;\n"
        "process.stdout.write(JSON.stringify({ errors, heads, mixed, mixedAfter, marks, trendRows, after,\n"
        "  hash: dom.window.location.hash }));\n", encoding="utf-8")
    res = subprocess.run([node, str(script), str(out / "compare.html"), ",".join(picked)], capture_output=True,
                         text=True, check=True)
    got = json.loads(res.stdout)
    labels = {u[0]: u[1] for u in d["units"]}
    assert got["errors"] == []
    assert [h[2:] for h in got["heads"][1:]] == [labels[u] for u in picked]
    assert got["mixed"]  # a county is not in the cities' peer group: the page says so
    assert got["trendRows"] == len(d["years"]) and got["marks"] >= 2 * len(d["years"])
    assert got["after"] == 3 and not got["mixedAfter"] and got["hash"] == "#u=" + ",".join(picked[:2])


def test_map_links_each_region_to_its_page_and_degrades_to_nothing(rendered, framework, run):
    from reports.charts import grade_colours
    from reports.overview import region_map
    from reports.tables import prepare

    out, _ = rendered
    html = page(out, "index.html")
    assert html.index('id="headline"') < html.index('id="map"') < html.index('id="cities"')
    drawn = section(html, "map")
    assert '<a href="units/440100.html"' in drawn and "http:" not in drawn
    # regions whose codes have no shape: no map at all, the city ranking stands alone
    nowhere = {k: v for k, v in run.items()}
    swap = {u: "99" + u[2:] for u in run["units"]["unit_id"].to_list() if "-" not in u}

    def recode(df, cols):
        return df.with_columns([pl.col(c).replace(swap) for c in cols if c in df.columns])

    nowhere["units"] = recode(run["units"], ["unit_id", "parent_id", "region_id"])
    nowhere["scores"] = recode(run["scores"], ["unit_id"])
    inp = prepare(framework, units=nowhere["units"], scores=nowhere["scores"], indicators=None, alerts=None,
                  risk=None, records=None, manifest={}, lang="zh", audience="public")
    latest = inp.scores.filter(pl.col("year") == inp.year)
    assert region_map(latest, inp, grade_colours(framework)) is None


def test_watch_list_items_are_not_counted_as_alerts():
    """A watch-list item is shown on the alerts page but never raises a unit's alert level in the
    headline counts or the ranking's alert column."""
    from reports.tables import max_alert

    alerts = pl.DataFrame({"unit_id": ["a", "a", "b"], "year": [2023] * 3, "level": ["yellow", "red", "orange"],
                           "status": ["alert", "watch", "watch"]})
    got = dict(max_alert(alerts).select("unit_id", "alert").iter_rows())
    assert got == {"a": "yellow"}
    assert dict(max_alert(alerts.drop("status")).select("unit_id", "alert").iter_rows()) == {"a": "red", "b": "orange"}
