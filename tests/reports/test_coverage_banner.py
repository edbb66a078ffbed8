"""What a rating covers: the banner of every page, the data sources of the methodology page, the
years of data and values outside them on the unit pages, the fiscal capacity note beside
debt-ratio alerts, and runs without any score."""
from __future__ import annotations

import json
import re

import polars as pl
import pytest

from conftest import _render
from htmlcheck import check
from synthetic_run import HOSTILE, PAYLOAD

PAYLOAD_ESCAPED = "&lt;script&gt;alert("
FULL_DIMS = ["commitment", "lawful", "responsiveness", "fiscal"]


def _table(present, declared=False, years=(), units="all", with_rows=0):
    years = list(years)
    return {"present": present, "declared": declared, "years": years,
            "first_year": years[0] if years else None, "last_year": years[-1] if years else None,
            "units": units, "units_with_rows": with_rows}


def partial_manifest(base: dict) -> dict:
    """Debt and failure records only; not official, with markup in the texts of the manifest."""
    return {**base,
            "coverage": {
                "failure_records": _table(True, True, (2021, 2022, 2023), ["440100", "440101", HOSTILE], 3),
                "complaints": _table(False),
                "debt": _table(True, False, (2022, 2023), "all", 7),
                "contracts": _table(False)},
            "scope": {"covered": ["fiscal"], "not_covered": ["commitment", "lawful", "responsiveness"],
                      "indicators_out": ["complaints_per_10k"], "covered_weight": 0.2, "official": False,
                      "names": {"commitment": ["履约践诺", "Commitments and contracts"],
                                "lawful": ["依法行政", "Lawful administration"],
                                "responsiveness": ["政务服务与回应", "Service and responsiveness"],
                                "fiscal": ["财政与债务", "Fiscal and debt"]},
                      "reason_zh": f"仅覆盖财政维度{PAYLOAD}", "reason_en": f"Only the fiscal dimension {PAYLOAD}"},
            "fiscal_capacity": {"definition": "derived", "components": ["general_budget_revenue"],
                                "rows_given": 0, "rows_derived": 12, "rows_missing": 2,
                                "text_zh": f"一般公共预算收入与政府性基金收入之和{PAYLOAD}。未含转移支付。",
                                "text_en": f"General budget plus fund revenue {PAYLOAD}. Transfers left out."}}


def full_manifest(base: dict) -> dict:
    years = (2022, 2023)
    return {**base,
            "coverage": {t: _table(True, False, years, "all", 9)
                         for t in ("failure_records", "complaints", "debt", "contracts")},
            "scope": {"covered": FULL_DIMS, "not_covered": [], "indicators_out": [], "covered_weight": 1.0,
                      "official": True, "reason_zh": "", "reason_en": ""},
            "fiscal_capacity": {"definition": "given", "components": [], "rows_given": 14, "rows_derived": 0,
                                "rows_missing": 0, "text_zh": "数据提供的综合财力", "text_en": "As supplied"}}


def complaint_codes(framework) -> set[str]:
    return {n.code for n in framework.indicators if n.definition is not None and n.definition.table == "complaints"}


@pytest.fixture(scope="module")
def partial_run(framework, run) -> dict:
    """`run` with the partial manifest, the complaints indicators of 2023 outside coverage and a
    debt-band alert held over."""
    out = pl.col("indicator").is_in(list(complaint_codes(framework))) & (pl.col("year") == 2023)
    ind = run["indicators"].with_columns(out.alias("outside_coverage"),
                                         pl.when(out).then(None).otherwise(pl.col("value")).alias("value"))
    held = pl.DataFrame([("440102", 2023, "orange", "rule", "hold", "维持橙色预警", "Held over",
                          '{"rules": ["debt_band"], "held_from": 2022}')], schema=run["alerts"].schema, orient="row")
    return {**run, "indicators": ind, "alerts": pl.concat([run["alerts"], held]),
            "manifest": partial_manifest(run["manifest"])}


def pages(paths) -> dict[str, str]:
    return {("units/" if p.parent.name == "units" else "") + p.name: p.read_text(encoding="utf-8") for p in paths}


@pytest.fixture(scope="module")
def partial_zh(framework, partial_run, tmp_path_factory):
    return pages(_render(tmp_path_factory, "partial_zh", framework, partial_run)[1])


@pytest.fixture(scope="module")
def partial_en_public(framework, partial_run, tmp_path_factory):
    return pages(_render(tmp_path_factory, "partial_en", framework, partial_run, lang="en", audience="public")[1])


def banner_text(html: str) -> str | None:
    m = re.search(r'<div id="scope-banner"[^>]*>(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", "", m.group(1)).strip() if m else None


def test_partial_banner_on_every_page_zh(partial_zh):
    covers = "本评价覆盖：财政与债务；未覆盖：履约践诺、依法行政、政务服务与回应（无数据）"
    assert len(partial_zh) > 4
    for name, html in partial_zh.items():
        text = banner_text(html)
        assert text is not None, name
        assert covers in text, name
        assert "非正式评价结果：仅覆盖财政维度" in text, name
        assert "<strong>非正式评价结果：仅覆盖财政维度&lt;script&gt;alert(" in html, name
        assert PAYLOAD not in html, name
        assert "为正式评价结果" not in html and "正式结果" not in html, name


def test_partial_banner_on_every_page_en_public(partial_en_public):
    covers = ("This rating covers: Fiscal and debt; not covered: Commitments and contracts, Lawful administration, "
              "Service and responsiveness (no data)")
    for name, html in partial_en_public.items():
        text = banner_text(html)
        assert text is not None and covers in text, name
        assert "Not an official rating: Only the fiscal dimension &lt;script&gt;" in html, name
        assert PAYLOAD not in html, name
        assert "the official" not in html and "official result" not in html, name


def test_partial_pages_are_well_formed(partial_zh, partial_en_public):
    for name, html in {**partial_zh, **{f"en/{k}": v for k, v in partial_en_public.items()}}.items():
        _, problems = check(html)
        assert problems == [], (name, problems[:5])


def test_methodology_data_sources(partial_zh, partial_en_public):
    html = partial_zh["methodology.html"]
    sec = re.search(r'<section id="data-sources".*?</section>', html, re.S).group(0)
    rows = {re.sub(r"<[^>]+>", "", r.split("</th>")[0]).split()[0]: re.findall(r"<td[^>]*>(.*?)</td>", r)
            for r in re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", sec)}
    assert rows["失信记录"] == ["已提供", "2021–2023", "数据方声明", "3个单位", "3"]
    assert rows["12345热线工单"] == ["未提供", "—", "—", "—", "—"]
    assert rows["政府债务"] == ["已提供", "2022–2023", "按数据推断", "全部单位", "7"]
    assert rows["合同与承诺"][0] == "未提供"
    assert "一般公共预算收入与政府性基金收入之和&lt;script&gt;" in sec
    assert "直接提供0行，由构成项推算12行，无法确定2行" in sec
    assert "20%" in sec
    en = re.search(r'<section id="data-sources".*?</section>', partial_en_public["methodology.html"], re.S).group(0)
    assert "failure records" in en and "present" in en and "absent" in en and "declared" in en
    assert "inferred from the rows" in en and "General budget plus fund revenue &lt;script&gt;" in en


def test_fiscal_note_beside_debt_ratio_alerts(partial_zh, partial_en_public, run):
    note = "综合财力口径：一般公共预算收入与政府性基金收入之和&lt;script&gt;"
    doc = json.loads(re.search(r'id="alerts-data">(.*?)</script>', partial_zh["alerts.html"], re.S).group(1))
    items = [(doc["rules"][it[1]], doc["s"][it[10]]) for r in doc["rows"] for it in r[3]]  # (rule name, note)
    debt = [n for rule, n in items if rule in ("债务率预警", "预警等级维持（观察期）")]
    other = [n for rule, n in items if rule not in ("债务率预警", "预警等级维持（观察期）")]
    assert len(debt) > 1 and other
    assert all(note.replace("&lt;", "<").replace("&gt;", ">") in n for n in debt) and not any(other)
    assert not any("未含转移支付" in n for n in debt)  # the note is the definition's first sentence
    assert "未含转移支付" in partial_zh["methodology.html"]
    uid = run["alerts"].filter(pl.col("rule") == "debt_band")["unit_id"][0]
    assert note in partial_zh[f"units/{uid}.html"]
    assert "Fiscal capacity: General budget plus fund revenue \\u003cscript\\u003e" in partial_en_public["alerts.html"]
    hostile = re.findall(r"<tr><td>\d{4}</td>.*?</tr>", partial_zh[f"units/{HOSTILE}.html"], re.S)
    from reports.alerts_page import rule_names  # the unit page names rules, never by code
    from indicators.framework_load import load_framework

    name = rule_names(load_framework(), ["dishonest_debtor"], "zh")["dishonest_debtor"]
    dishonest = [r for r in hostile if f"<td>{name}</td>" in r]
    assert not any("<td>dishonest_debtor</td>" in r for r in hostile)
    assert dishonest and not any("综合财力口径" in r for r in dishonest)


def test_unit_data_years_and_outside_coverage(partial_zh, partial_en_public, framework):
    html = partial_zh["units/440101.html"]
    years = re.search(r'<ul id="data-years">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", years) == ["失信记录：2021–2023", "12345热线工单：无数据",
                                                   "政府债务：2022–2023", "合同与承诺：无数据"]
    other = re.search(r'<ul id="data-years">(.*?)</ul>', partial_zh["units/440102.html"], re.S).group(1)
    assert "<li>失信记录：无数据</li>" in other  # not among the declared units
    code = sorted(complaint_codes(framework))[0]
    label = framework.node(code).name_zh
    assert re.search(rf'<th scope="row">{re.escape(label)}</th><td class="num">— '
                     r'<span class="muted outside">超出数据覆盖年度</span></td>', html)
    en = partial_en_public["units/440101.html"]
    assert "<li>failure records: 2021–2023</li>" in en and "<li>12345 hotline tickets: no data</li>" in en
    assert "outside the years the data covers" in en


def test_full_coverage_has_no_banner(framework, run, tmp_path_factory):
    tables = {**run, "manifest": full_manifest(run["manifest"])}
    for lang in ("zh", "en"):
        got = pages(_render(tmp_path_factory, f"full_{lang}", framework, tables, lang=lang)[1])
        for name, html in got.items():
            assert 'id="scope-banner"' not in html, name
        official = "正式评价结果" if lang == "zh" else "the official result"
        assert official in got["index.html"]
        assert 'id="data-sources"' in got["methodology.html"]


def test_manifest_without_coverage_keys(rendered):
    _, paths = rendered
    got = pages(paths)
    assert not any('id="scope-banner"' in html for html in got.values())
    assert 'id="data-sources"' not in got["methodology.html"] and 'id="data-years"' not in got["units/440101.html"]


@pytest.mark.parametrize("case", ["all_null", "no_rows", "no_grades"])
def test_run_without_scores(case, framework, run, tmp_path_factory):
    s = run["scores"]
    if case == "all_null":
        keep = ("unit_id", "year")
        s = s.with_columns([pl.lit(None, dtype=s.schema[c]).alias(c) for c in s.columns if c not in keep])
    elif case == "no_rows":
        s = s.clear()
    else:
        s = s.with_columns(pl.lit(None, dtype=pl.String).alias("grade"))
    for lang in ("zh", "en"):
        got = pages(_render(tmp_path_factory, f"{case}_{lang}", framework, {**run, "scores": s}, lang=lang)[1])
        want = {("zh", False): "本次评价没有任何单位获得得分", ("en", False): "No unit has a score in this run",
                ("zh", True): "本次评价没有任何单位获得等级", ("en", True): "No unit has a grade in this run"}
        for name, html in got.items():
            assert want[lang, case == "no_grades"] in (banner_text(html) or ""), name
            assert check(html)[1] == [], name


def test_rated_framework_without_the_dimensions_it_could_not_compute(framework, partial_run, tmp_path_factory):
    """The run renders with the framework as rated; the names of the dropped dimensions come from
    the manifest's scope."""
    rated = framework.without([n.code for n in framework.indicators if n.parent != "fiscal"])
    got = pages(_render(tmp_path_factory, "rated_zh", rated, partial_run)[1])
    want = "本评价覆盖：财政与债务；未覆盖：履约践诺、依法行政、政务服务与回应（无数据）"
    assert all(want in (banner_text(html) or "") for html in got.values())
    assert all(check(html)[1] == [] for html in got.values())


@pytest.mark.parametrize("lang, text, want", [
    ("zh", "综合财力 = 甲 + 乙（未含转移支付）。来源未提供丙。", "综合财力 = 甲 + 乙（未含转移支付）。"),
    ("zh", "甲与乙之和。", "综合财力口径：甲与乙之和。"),
    ("en", "Fiscal capacity = a + b. Transfers not supplied.", "Fiscal capacity = a + b."),
    ("en", "", "Fiscal capacity: the sum of its components"),  # no text: the definition's own label
])
def test_fiscal_note_is_short(lang, text, want):
    from types import SimpleNamespace

    from reports.i18n import catalogue
    from reports.scope import fiscal_note

    inp = SimpleNamespace(manifest={"fiscal_capacity": {"definition": "derived", f"text_{lang}": text}},
                          lang=lang, t=catalogue(lang))
    assert fiscal_note(inp) == want
