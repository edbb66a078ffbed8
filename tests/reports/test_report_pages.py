"""The four pages: what is written, escaping, self-containment, language and audience."""
from __future__ import annotations

import re

import polars as pl
import pytest

from synthetic_run import HOSTILE
from htmlcheck import EXTERNAL


def read(paths) -> dict[str, str]:
    return {("units/" if p.parent.name == "units" else "") + p.name: p.read_text(encoding="utf-8") for p in paths}


def test_writes_every_page_and_returns_paths(rendered, run):
    out, paths = rendered
    names = read(paths)
    assert {"index.html", "alerts.html", "methodology.html"} <= set(names)
    ids = set(run["scores"]["unit_id"].to_list())
    assert {n for n in names if n.startswith("units/")} == {f"units/{u}.html" for u in ids}
    assert all(p.exists() and p.is_relative_to(out) for p in paths)


def test_markup_in_data_is_text(rendered):
    _, paths = rendered
    pages = read(paths)
    for name in ("index.html", "alerts.html", f"units/{HOSTILE}.html"):
        html = pages[name]
        assert "<script>alert(" not in html, name
        assert "<img src=x" not in html, name
        assert "&lt;script&gt;alert(" in html or "\\u003cscript\\u003e" in html, name
    unit = pages[f"units/{HOSTILE}.html"]
    assert "描述&lt;script&gt;" in unit  # a record description
    assert "&#34;&gt;&lt;img" in unit or "&quot;&gt;&lt;img" in unit  # the quote payload, escaped


def test_scripts_are_inline_and_json_cannot_break_out(rendered):
    _, paths = rendered
    html = read(paths)["index.html"]
    blocks = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
    assert len(blocks) >= 2
    for block in ("whatif-data", "ranking-years"):
        data = re.search(rf'<script type="application/json" id="{block}">(.*?)</script>', html, re.S).group(1)
        assert "<" not in data and ">" not in data and "&" not in data
    assert "\\u003cscript\\u003e" in html  # the hostile name, inside the earlier years' data


def test_css_and_js_are_inlined_verbatim(rendered):
    from reports.render import static

    _, paths = rendered
    pages = read(paths)
    for name in ("report.css", "table.js", "overview.js"):
        assert str(static(name)) in pages["index.html"], name
    assert str(static("report.css")) in pages[f"units/{HOSTILE}.html"]
    assert "@media print" in pages[f"units/{HOSTILE}.html"] and "size: A4" in pages[f"units/{HOSTILE}.html"]


@pytest.mark.parametrize("fixture", ["rendered", "rendered_public_en"])
def test_no_external_reference_and_csp(fixture, request):
    _, paths = request.getfixturevalue(fixture)
    for name, html in read(paths).items():
        for bad in EXTERNAL:
            assert bad not in html, (name, bad)
        assert "Content-Security-Policy" in html and "default-src 'none'" in html, name


def test_chinese_edition(rendered, framework):
    _, paths = rendered
    pages = read(paths)
    assert all('<html lang="zh' in html for html in pages.values())
    index = pages["index.html"]
    for label in ("等级分布", "单位排名", framework.nodes[1].name_zh, framework.grades[0].name_zh):
        assert label in index
    assert "指标体系" in pages["methodology.html"]


def test_english_public_edition(rendered_public_en, framework):
    _, paths = rendered_public_en
    pages = read(paths)
    assert all('<html lang="en"' in html for html in pages.values())
    assert framework.nodes[1].name_en in pages["index.html"]
    unit = pages[f"units/{HOSTILE}.html"]
    # no record-level evidence, no pending objections, no model internals
    assert "X1" not in unit and "X2" not in unit
    assert 'id="records"' not in unit and 'id="pending"' not in unit
    assert "Model alert" not in unit and "Model alert" not in pages["alerts.html"]
    assert "Probability of a serious event" not in unit
    assert "Evidence" not in pages["alerts.html"]
    assert 'id="model-card"' not in pages["methodology.html"]


def test_internal_unit_page_lists_records_and_pending(rendered):
    _, paths = rendered
    unit = read(paths)[f"units/{HOSTILE}.html"]
    records = unit.split('id="records"')[1].split('id="pending"')[0]
    pending = unit.split('id="pending"')[1]
    assert "X1" in records and "X2" not in records and "X3" not in records
    assert "X2" in pending and "X1" not in pending
    region = read(paths)["units/440100.html"]
    assert "X4" in region  # a department's record counts for its region


def test_invalid_unit_id_is_refused(framework, run, tmp_path):
    from indicators.errors import InputError
    from rating.publish import RunTables
    from reports.render import render

    bad = run["scores"].with_columns(
        pl.when(pl.col("unit_id") == HOSTILE).then(pl.lit("../../etc/x")).otherwise(pl.col("unit_id")).alias("unit_id"))
    with pytest.raises(InputError, match="unit id"):
        render(tmp_path / "out", RunTables(framework=framework, **{**run, "scores": bad}))
    assert not (tmp_path / "out").exists()


def test_missing_columns_and_null_scores_show_the_dash(framework, run, tmp_path):
    from rating.publish import RunTables
    from reports.render import render

    scores = run["scores"].drop("rank_low", "rank_high", "honours_eligible").with_columns(
        pl.when(pl.col("unit_id") == HOSTILE).then(None).otherwise(pl.col("score")).alias("score"))
    paths = render(tmp_path, RunTables(framework=framework, **{**run, "scores": scores, "risk": pl.DataFrame(),
                                                                 "records": None, "alerts": pl.DataFrame()}))
    pages = read(paths)
    unit = pages[f"units/{HOSTILE}.html"]
    assert "数据不足" in unit
    assert "排名区间 —" in unit


@pytest.mark.slow
def test_rendering_is_deterministic(framework, run, tmp_path):
    from rating.publish import RunTables
    from reports.render import render

    a = read(render(tmp_path / "a", RunTables(framework=framework, **run)))
    b = read(render(tmp_path / "b", RunTables(framework=framework, **run)))
    assert a == b


def test_options_are_checked(framework, run, tmp_path):
    from rating.publish import RunTables
    from reports.render import render

    with pytest.raises(ValueError, match="lang"):
        render(tmp_path, RunTables(framework=framework, **run), lang="fr")
    with pytest.raises(ValueError, match="audience"):
        render(tmp_path, RunTables(framework=framework, **run), audience="press")


def test_only_units_and_scores_are_needed(framework, run, tmp_path):
    from rating.publish import RunTables
    from reports.render import render

    paths = render(tmp_path / "a", RunTables(framework=framework, units=run["units"], scores=run["scores"]))
    assert len(paths) == 4 + run["scores"]["unit_id"].n_unique()
    paths = render(tmp_path / "b", RunTables(framework=framework, units=run["units"], scores=run["scores"].head(0)))
    assert [p.name for p in paths] == ["index.html", "alerts.html", "methodology.html", "compare.html"]


def test_optional_methodology_sections(framework, run, rendered, tmp_path):
    from htmlcheck import check
    from rating.publish import RunTables
    from reports.render import render

    out, _ = rendered
    plain = (out / "methodology.html").read_text(encoding="utf-8")
    assert 'id="audit"' not in plain and 'id="sensitivity"' not in plain  # no empty placeholders
    codes = [n.code for n in framework.indicators][:4]
    pairs = [(a, b, 1, 1, "same_group", 0.5, 10) for i, a in enumerate(codes) for b in codes[i + 1:]]
    audit = {
        "correlations": pl.DataFrame(pairs, orient="row",
                                     schema=["a", "b", "level_a", "level_b", "relation", "r", "n"]),
        "cronbach": pl.DataFrame({"group": ["commitment"], "level": [2], "k": [7], "alpha": [0.81]}),
    }
    paths = render(tmp_path, RunTables(framework=framework, audit=audit,
                                       sensitivity=pl.DataFrame({"setting": ["weights ±25%"], "median rank shift": [1.5]}),
                                       model_card={"estimator": "logistic regression"}, **run))
    html = next(p for p in paths if p.name == "methodology.html").read_text(encoding="utf-8")
    assert 'id="audit"' in html and 'id="sensitivity"' in html and "logistic regression" in html
    audit_html = html.split('id="audit"')[1].split("</section>")[0]
    assert "内部一致性（Cronbach α系数）" in audit_html and "weights ±25%" in html
    assert "cronbach" not in audit_html and framework.node("commitment").name_zh in audit_html  # names, not codes
    _, problems = check(html)
    assert problems == []


def test_audit_without_a_pair_of_indicators_has_no_heatmap(framework, run, tmp_path):
    """One computable indicator: correlations only with its aggregates, so nothing to draw."""
    from rating.publish import RunTables
    from reports.render import render

    code, parent = framework.indicators[0].code, framework.indicators[0].parent
    audit = {"correlations": pl.DataFrame([(code, parent, 1, 2, "parent", 1.0, 4)], orient="row",
                                          schema=["a", "b", "level_a", "level_b", "relation", "r", "n"]),
             "correlation_flags": pl.DataFrame({"flag": ["negative_with_parent"], "group": [parent], "a": [code],
                                                "b": [parent], "r": [-0.5], "n": [4]})}
    paths = render(tmp_path, RunTables(framework=framework, audit=audit, **run))
    html = next(p for p in paths if p.name == "methodology.html").read_text(encoding="utf-8")
    audit_html = html.split('id="audit"')[1].split("</section>")[0]
    assert "与所属上级负相关" in audit_html and "negative_with_parent" not in audit_html and "<svg" not in audit_html


@pytest.mark.parametrize("attr", ["name_en", "name_zh"])
def test_a_heatmap_of_few_indicators_has_room_for_their_names(framework, attr):
    """Two indicators with the longest names: every name lies inside the chart."""
    import xml.etree.ElementTree as ET

    from reports.plots import correlation_heatmap, text_width

    labels = sorted((getattr(n, attr) for n in framework.indicators), key=len)[-2:]
    root = ET.fromstring(str(correlation_heatmap(labels, [[1.0, 0.3], [0.3, 1.0]], title="audit", desc="",
                                                 prefix="t")))
    width, height = float(root.get("width")), float(root.get("height"))
    names = [t for t in root.iter("text") if t.text in labels]
    assert len(names) == 4  # each name beside its row and under its column
    for t in names:
        x, y, w = float(t.get("x")), float(t.get("y")), text_width(t.text, float(t.get("font-size")))
        if t.get("transform"):  # turned a quarter: it runs down from its anchor point
            assert y + w <= height
        else:  # written leftwards from its anchor point
            assert x - w >= 0 and x <= width