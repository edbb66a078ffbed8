"""alerts.html as a working tool: one row per unit and year with reasons in words, the action,
owner and follow-up date, watch items shown but not counted, department alerts rolled up under
their region, filters and search in the browser (jsdom), escaping, no rule codes on the Chinese
page, no model alert in the public edition, and a page under 1 MB at demo scale."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest

from synthetic_run import HOSTILE, PAYLOAD

NODE = shutil.which("node")
COLS = ["unit_id", "year", "level", "source", "rule", "message", "message_en", "evidence", "status",
        "origin_unit_id", "evidence_text", "evidence_text_en", "action", "action_en", "owner", "owner_en",
        "follow_up", "held_until"]
ACTION = "约谈主要负责人，三十日内提交整改方案"


def _alert(uid, year, level, rule, msg, *, source="rule", evidence=None, status="alert", origin=None,
           ev_text=None, action=None, owner=None, follow_up=None):
    return (uid, year, level, source, rule, msg, f"EN {msg}", json.dumps(evidence or {}), status, origin,
            ev_text, f"EN {ev_text}" if ev_text else None, action, f"EN {action}" if action else None,
            owner, f"EN {owner}" if owner else None, follow_up, None)


@pytest.fixture(scope="module")
def alerts_run(run) -> dict:
    """`run` with a hand-made alerts frame in the early warning's full shape."""
    rows = [
        _alert("440100", 2023, "orange", "debt_band", "债务率为250%，达到200%预警线",
               evidence={"indicator": "debt_ratio", "value": 2.5, "threshold": 2.0},
               action=ACTION, owner="市财政局", follow_up="2024-03-31"),
        _alert("440100", 2023, "yellow", "complaint_ontime_low", "按时办结率78%（关注）", status="watch"),
        _alert("440100-D00", 2023, "red", "dishonest_debtor", "本年度新增失信被执行人记录1条",
               evidence={"records": ["FR-1"], "records_total": 1}),
        _alert("440100-D01", 2023, "red", "judgment_unperformed", "拒不履行判决1条"),
        _alert("440200-D00", 2023, "orange", "sme_arrears_overdue", "逾期账款占比60%",
               evidence={"amount_due": 12924114.06, "overdue_amount": 10159192.84, "records": ["CT-1"]}),
        _alert(HOSTILE, 2023, "red", "dishonest_debtor", f"消息{PAYLOAD}", origin="440101-D00",
               ev_text=f"依据{PAYLOAD}", owner=f"责任{PAYLOAD}"),
        _alert(HOSTILE, 2023, "orange", "risk_model", "模型预警：概率40%", source="model",
               evidence={"probability": 0.4}, ev_text="主要因素：规则预警：债务率（debt_band）、投诉量"),
        _alert("440101", 2022, "orange", "score_fall", "指数同比下降12"),
        _alert("440102", 2023, "yellow", "satisfaction_low", "满意率79%", status="watch"),
        _alert("440201", 2023, "yellow", "hold", "维持黄色预警",
               evidence={"rules": ["debt_band"], "held_from": 2022, "clean_periods": 1, "hold_periods": 1}),
        _alert("440202", 2023, "red", "risk_model", "仅模型红色预警", source="model"),
    ]
    return {**run, "alerts": pl.DataFrame(rows, schema=COLS, orient="row")}


def _render(tmp_path_factory, framework, tables, name, **options) -> Path:
    from rating.publish import RunTables
    from reports.render import render

    out = tmp_path_factory.mktemp(name)
    render(out, RunTables(framework=framework, **tables), **options)
    return out / "alerts.html"


@pytest.fixture(scope="module")
def zh_page(framework, alerts_run, tmp_path_factory) -> Path:
    return _render(tmp_path_factory, framework, alerts_run, "alerts_zh")


@pytest.fixture(scope="module")
def en_public_page(framework, alerts_run, tmp_path_factory) -> Path:
    return _render(tmp_path_factory, framework, alerts_run, "alerts_en", lang="en", audience="public")


def data(page: Path) -> dict:
    html = page.read_text(encoding="utf-8")
    return json.loads(re.search(r'<script type="application/json" id="alerts-data">(.*?)</script>', html, re.S)
                      .group(1))


def rows_by_unit(doc: dict) -> dict:
    """(unit_id, year) -> (level index, [(item level, rule name, message, action...)], roll-up)."""
    out = {}
    for u, year, lv, items, roll in doc["rows"]:
        s = doc["s"]
        out[(doc["units"][u][0], year)] = (lv, [(it[0], doc["rules"][it[1]], s[it[3]], s[it[4]], s[it[5]], s[it[6]],
                                                 s[it[7]]) for it in items], roll)
    return out


def test_one_row_per_unit_and_year_with_reasons_action_owner(zh_page):
    doc = rows_by_unit(data(zh_page))
    lv, items, roll = doc[("440100", 2023)]
    assert lv == 1  # orange: its own debt alert; the departments' red does not make the region red
    assert roll == [[0, 2]]  # two departments on red, rolled up under it
    debt = [i for i in items if i[2].startswith("债务率")][0]
    assert debt[1] == "债务率预警" and debt[4] == ACTION and debt[5] == "市财政局" and debt[6] == "2024-03-31"
    watch = [i for i in items if i[0] == 4]
    assert len(watch) == 1 and "关注" in watch[0][2]
    assert doc[("440102", 2023)][0] == 4  # watch only: a watch row, not an alert level
    assert doc[("440200", 2023)][0] == -1 and doc[("440200", 2023)][2] == [[1, 1]]  # no alert of its own
    arrears = doc[("440200-D00", 2023)][1][0]
    assert "应付金额1,292.4万元" in arrears[3] and "逾期金额1,015.9万元" in arrears[3]  # amounts with units
    hold = doc[("440201", 2023)][1][0]
    assert hold[1] == "预警等级维持（观察期）" and "债务率预警" in hold[3]


def test_summary_counts_alerts_not_watch(zh_page):
    html = zh_page.read_text(encoding="utf-8")
    row = re.search(r"<tr><th scope=\"row\">2023</th>(.*?)</tr>", html).group(1)
    cells = [int(c) for c in re.findall(r"<td[^>]*>(\d+)</td>", row)]
    # units red, orange, yellow, blue | watch-only units | alerts (watch items not counted)
    assert cells == [4, 2, 1, 0, 1, 8]


def test_printed_list_is_latest_red_and_orange(zh_page):
    html = zh_page.read_text(encoding="utf-8")
    printed = re.search(r'<section id="print-list".*?</section>', html, re.S).group(0)
    assert "2023年红色和橙色预警清单" in printed
    assert "第1市第0局" in printed and "第2市第0局" in printed  # red and orange departments
    assert "满意率79%" not in printed and "维持黄色预警" not in printed  # watch and yellow items are not printed
    assert ACTION in printed and "2024-03-31" in printed
    assert "@media print" in html and ".ap-print" in html


def test_no_rule_codes_on_the_chinese_page(zh_page, alerts_run):
    html = zh_page.read_text(encoding="utf-8")
    shown = re.sub(r"<style>.*?</style>|<script>.*?</script>", "", html, flags=re.S)  # page text and data only
    codes = set(alerts_run["alerts"]["rule"].to_list())
    found = {c for c in codes if re.search(rf"\b{c}\b", shown)}
    assert found == set()
    assert "规则预警：债务率、投诉量" in html  # a code in brackets after a name is dropped


def test_names_and_messages_are_escaped(zh_page):
    html = zh_page.read_text(encoding="utf-8")
    assert "<script>alert(" not in html and "<img src=x" not in html
    assert "\\u003cscript\\u003e" in html  # in the JSON block
    assert "消息&lt;script&gt;alert(" in html  # in the printed list


def test_public_edition_has_no_model_alerts_nor_evidence(en_public_page):
    html = en_public_page.read_text(encoding="utf-8")
    doc = data(en_public_page)
    assert all(it[2] == 0 and it[4] == 0 for r in doc["rows"] for it in r[3])
    assert "Model" not in html and "Risk model" not in html and "Evidence" not in html
    units = {doc["units"][r[0]][0] for r in doc["rows"]}
    assert "440202" not in units  # its only alert was the model's
    assert "Debt ratio warning" in doc["rules"]


def jsdom(page: Path, steps: list) -> dict:
    assert NODE is not None, "node is not installed: `make test` and .ci/run install Node.js and jsdom"
    script = Path(__file__).with_name("alerts_smoke.js")
    res = subprocess.run([NODE, str(script), str(page), json.dumps(steps)], capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


def option(page: Path, select: str, label: str) -> str:
    html = page.read_text(encoding="utf-8")
    sel = re.search(rf'<select id="{select}">(.*?)</select>', html, re.S).group(1)
    return re.search(rf'<option value="([^"]*)">{re.escape(label)}</option>', sel).group(1)


@pytest.mark.integration
def test_filters_and_search_in_jsdom(zh_page):
    steps = [
        {"name": "red", "set": {"ap-level": "0"}},
        {"name": "city2", "set": {"ap-city": option(zh_page, "ap-city", "第2市")}},
        {"name": "rule", "set": {"ap-rule": option(zh_page, "ap-rule", "债务率预警")}},
        {"name": "peer", "set": {"ap-peer": option(zh_page, "ap-peer", "地市级部门")}},
        {"name": "search", "set": {"ap-search": "恶意"}},
        {"name": "all", "set": {"ap-year": ""}},
        {"name": "depts", "set": {"ap-city": option(zh_page, "ap-city", "第1市")}, "region": True},
    ]
    got = jsdom(zh_page, steps)
    assert got["errors"] == [] and got["tool"] and got["defaultYear"] == "2023"
    s = got["steps"]
    first = {r.split("|")[0] for r in s["initial"]["rows"]}
    assert "440101" not in first  # its alert is from 2022: not in the default year
    assert all(r.split("|")[1] == "2023" for r in s["initial"]["rows"])
    assert {r.split("|")[0] for r in s["red"]["rows"]} == {"440100-D00", "440100-D01", HOSTILE, "440202"}
    assert {r.split("|")[0] for r in s["city2"]["rows"]} == {"440200", "440200-D00", "440201", "440202"}
    assert {r.split("|")[0] for r in s["rule"]["rows"]} == {"440100"}  # the hold names debt_band in evidence only
    assert {r.split("|")[0] for r in s["peer"]["rows"]} == {"440100-D00", "440100-D01", "440200-D00"}
    assert [r.split("|")[0] for r in s["search"]["rows"]] == [HOSTILE]
    assert s["search"]["markup"] == 0 and PAYLOAD in s["search"]["texts"][0]  # text, never markup
    assert "触发记录所属单位：第1市第1县第0局" in s["search"]["texts"][0]
    assert "440101|2022|orange" in s["all"]["rows"]
    assert s["depts:region"] == "440100"
    assert {r.split("|")[0] for r in s["depts"]["rows"]} == {"440100-D00", "440100-D01"}
    assert "关注1" in s["initial"]["counts"].replace(" ", "")  # the watch-only row, counted apart


@pytest.mark.integration
def test_demo_scale_page_is_light_and_paged(framework, tmp_path):
    """About 800 units over seven years with ~5,000 alerts carrying every optional column: the page
    stays under 1 MB, holds no table row per alert, and the script pages through every row."""
    from rating.publish import RunTables
    from reports.render import CSP, HTML_LANG, environment, static
    from reports.alerts_page import alerts_context
    from reports.tables import prepare
    from markupsafe import Markup
    from synthetic_run import make_units

    units = make_units(21, 6, 5)  # 148 regions, 740 departments
    ids = units["unit_id"].to_list()
    rules = ["debt_band", "dishonest_debtor", "complaint_ontime_low", "satisfaction_low", "score_fall", "hold"]
    levels = ["red", "orange", "yellow", "blue"]
    rows = []
    for year in range(2019, 2026):
        for k, uid in enumerate(ids):
            for j in range((k * 7 + year) % 3 if (k + year) % 4 else 0):
                rule = rules[(k + j + year) % len(rules)]
                rows.append(_alert(uid, year, levels[(k + j) % 4], rule,
                                   f"12345工单按时办结率为7{k % 10}.{j}%，低于80%",
                                   evidence={"denominator": 1000 + k, "records": [f"FR-{k:08d}"]},
                                   status="watch" if (k + j) % 11 == 0 else "alert",
                                   ev_text=f"依据{1000 + k}件工单；相关记录：FR-{k:08d}、FR-{k + 1:08d}",
                                   action="约谈单位主要负责人，限期三十日内整改并报送整改报告",
                                   owner="市政务服务数据管理局", follow_up=f"{year + 1}-03-31"))
    alerts = pl.DataFrame(rows, schema=COLS, orient="row")
    assert alerts.height > 4500
    scores = pl.DataFrame({"unit_id": ids * 7, "year": [y for y in range(2019, 2026) for _ in ids]})
    inp = prepare(framework, units=units, scores=scores, indicators=None, alerts=alerts, risk=None, records=None,
                  manifest={}, lang="zh", audience="internal")
    site = {"framework": "x", "framework_version": "", "year": 2025, "edition": "", "software": "", "version": "",
            "note": "", "scope": None}
    html = environment().get_template("alerts.html").render(
        t=inp.t, lang="zh", html_lang=HTML_LANG["zh"], csp=Markup(CSP), css=static("report.css"), site=site,
        internal=True, nav=(("alerts", "alerts"),), root="", page="alerts", a=alerts_context(inp, {}),
        js_alerts=static("alerts.js"))
    size = len(html.encode("utf-8"))
    assert size < 1_000_000, size
    assert html.count("<tr") < alerts.height / 5
    page = tmp_path / "alerts.html"
    page.write_text(html, encoding="utf-8")
    got = jsdom(page, [])
    latest = alerts.filter(pl.col("year") == 2025)
    assert got["errors"] == []
    counted = latest.filter(pl.col("status") == "alert", pl.col("unit_id").str.contains("-"))
    regions_by_rollup = set(counted["unit_id"].str.slice(0, 6).to_list()) - set(latest["unit_id"].to_list())
    assert len(got["steps"]["initial"]["rows"]) == latest["unit_id"].n_unique() + len(regions_by_rollup)
    assert got["steps"]["initial"]["pages"] > 1 and got["steps"]["initial"]["domRows"] <= 50


@pytest.mark.integration
def test_alerts_script_parses_and_inlines(tmp_path):
    from importlib import resources

    src = (resources.files("reports") / "static" / "alerts.js").read_text(encoding="utf-8")
    assert "//" not in src and "</" not in src  # block comments only; nothing that ends the element
    path = tmp_path / "alerts.js"
    path.write_text(src, encoding="utf-8")
    assert NODE is not None
    subprocess.run([NODE, "--check", str(path)], check=True, capture_output=True)
