"""The report of a COINr-format scoring (`reports.coinr.render_coinr`) on the ASEM data: the
ranking with every aggregate, the methodology (hierarchy, weights, settings, treatment), the
same safety as the run's report."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import polars as pl
import pytest

from htmlcheck import EXTERNAL, check
from synthetic_run import PAYLOAD

ASEM = Path(__file__).resolve().parents[1] / "data" / "external" / "asem"


@pytest.fixture(scope="module")
def asem():
    from rating.coinr import read_idata, read_imeta, score_tables

    idata, imeta = read_idata(ASEM / "iData.csv"), read_imeta(ASEM / "iMeta.csv")
    # a hostile unit name and element name: both must stay text
    idata = idata.with_columns(pl.when(pl.col("uCode") == "AUT").then(pl.lit(f"Austria{PAYLOAD}"))
                               .otherwise(pl.col("uName")).alias("uName"))
    imeta = imeta.with_columns(pl.when(pl.col("iCode") == "LPI").then(pl.lit(f"LPI{PAYLOAD}"))
                               .otherwise(pl.col("iName")).alias("iName"))
    return idata, imeta, score_tables(idata, imeta, treat="winsorise")


@pytest.fixture(scope="module")
def pages(asem, tmp_path_factory):
    from reports.coinr import render_coinr

    idata, imeta, result = asem
    out = tmp_path_factory.mktemp("coinr")
    paths = render_coinr(out, result, lang="en", idata=idata, imeta=imeta)
    return {p.name: p.read_text(encoding="utf-8") for p in paths}, paths


def test_writes_two_valid_self_contained_pages(pages):
    html, paths = pages
    assert [p.name for p in paths] == ["index.html", "methodology.html"]
    for name, text in html.items():
        _, problems = check(text)
        assert problems == [], (name, problems[:5])
        assert "Content-Security-Policy" in text and "default-src 'none'" in text
        for bad in EXTERNAL:
            assert bad not in text, (name, bad)
        assert '<html lang="en"' in text
        assert "<script>alert(" not in text and "<img src=x" not in text


def test_ranking_has_every_unit_aggregate_and_rank(pages, asem):
    _, imeta, result = asem
    html = pages[0]["index.html"]
    table = html.split('id="ranking"')[1].split("</table>")[0]
    rows = re.findall(r'<tr data-unit="([A-Z]+)">', table)
    assert len(rows) == result.scores.height == 51
    ranked = result.scores.sort("rank", "uCode")["uCode"].to_list()
    assert rows == ranked  # best first
    aggs = imeta.filter(pl.col("Type") == "Aggregate")
    for name in aggs["iName"].to_list():
        assert name in table.split("</thead>")[0], name
    assert table.count('data-sort="num"') == aggs.height + 1  # every aggregate, the index and the rank
    assert "Austria&lt;script&gt;" in table
    deu = table.split('data-unit="DEU"')[1].split("</tr>")[0]
    index = result.scores.filter(pl.col("uCode") == "DEU")["Index"][0]
    assert f"{index:.2f}" in deu and 'class="num c-rank" data-value="1"' in deu
    assert "<svg" in html and "<title>" in html and "table.js" not in html  # the chart; the script inlined


def test_rank_interval_columns_when_present(asem, tmp_path):
    from reports.coinr import render_coinr

    idata, imeta, result = asem
    s = result.scores.with_columns((pl.col("rank") - 1).clip(1).alias("rank_low"), pl.col("rank").alias("rank_median"),
                                   (pl.col("rank") + 2).alias("rank_high"))
    html = render_coinr(tmp_path, dataclasses.replace(result, scores=s), lang="zh")[0].read_text(encoding="utf-8")
    head = html.split('id="ranking"')[1].split("</thead>")[0]
    assert "排名区间" in head and "排名中位数" in head
    assert ">1–3<" in html  # the best unit's interval
    assert check(html)[1] == []


def test_methodology_lists_hierarchy_weights_and_settings(pages, asem):
    _, imeta, result = asem
    html = pages[0]["methodology.html"]
    for code in result.structure["iCode"].to_list():
        assert f"<code>{code}</code>" in html, code
    assert "LPI&lt;script&gt;" in html
    eff = result.effective_weights.filter(pl.col("iCode") == "Conn")["effective_weight"][0]
    assert f"{100 * eff:.1f}%" in html
    for value in ("minmax:0,100", "arithmetic", "winsorise", "imeta"):
        assert f"<code>{value}</code>" in html
    treated = result.treated_points.height
    assert re.search(rf"<dt>Treated points</dt><dd>{treated}</dd>", html)
    table = html.split('id="treatment"')[1]
    assert table.count("<tr>") - 1 == result.treatment.filter(pl.col("treatment") != "none").height


def test_codes_without_names_and_panel_data(asem, tmp_path):
    from rating.coinr import score_tables
    from reports.coinr import render_coinr

    idata, imeta, _ = asem
    later = idata.with_columns(pl.lit(2019).alias("Time"), pl.col("LPI") * 1.05)
    result = score_tables(pl.concat([idata, later], how="vertical_relaxed"), imeta)
    html = render_coinr(tmp_path, result, lang="zh")[0].read_text(encoding="utf-8")
    assert check(html)[1] == []
    table = html.split('id="ranking"')[1].split("</table>")[0]
    assert "时间" in table.split("</thead>")[0] and table.count("<tr data-unit=") == 102
    assert re.findall(r'<tr data-unit="([A-Z]+)">\n<th scope="row">([^<]+)</th>', table)[0][1].isupper()  # codes


def test_same_input_same_bytes(asem, tmp_path):
    from reports.coinr import render_coinr

    idata, imeta, result = asem
    a = render_coinr(tmp_path / "a", result, idata=idata, imeta=imeta)
    b = render_coinr(tmp_path / "b", result, idata=idata, imeta=imeta)
    assert [x.read_bytes() for x in a] == [y.read_bytes() for y in b]


def test_language_is_checked(asem, tmp_path):
    from reports.coinr import render_coinr

    with pytest.raises(ValueError, match="lang"):
        render_coinr(tmp_path, asem[2], lang="fr")


def test_sensitivity_section(asem, tmp_path):
    from reports.coinr import render_coinr

    sa = pl.DataFrame({"factor": ["weights", "impute"], "S1": [0.7, 0.1], "S1_low": [0.6, 0.0], "S1_high": [0.8, 0.2],
                       "ST": [0.85, 0.2], "ST_low": [0.7, 0.1], "ST_high": [0.95, 0.3]})
    html = render_coinr(tmp_path, asem[2], lang="en", sensitivity=sa)[1].read_text(encoding="utf-8")
    assert 'id="sensitivity-table"' in html and "Imputation" in html and "0.600–0.800" in html
    assert check(html)[1] == []
    plain = render_coinr(tmp_path / "b", asem[2])[1].read_text(encoding="utf-8")
    assert 'id="sensitivity"' not in plain


def test_sensitivity_notes_follow_the_explanation_as_prose(asem, tmp_path):
    """The run count and the year the indices cover follow the explanation: run on in Chinese
    (no space after '。'), one space apart in English."""
    from reports.coinr import render_coinr

    sa = pl.DataFrame({"factor": ["weights"], "S1": [0.7], "S1_low": [0.6], "S1_high": [0.8],
                       "ST": [0.85], "ST_low": [0.7], "ST_high": [0.95], "year": [2025]})
    for lang, bad, good in (("zh", "。 ", "2025年"), ("en", ".T", "2025")):
        html = render_coinr(tmp_path / lang, asem[2], lang=lang, sensitivity={"indices": sa, "runs": 1500})[1] \
            .read_text(encoding="utf-8")
        note = html.split('id="h-sensitivity"', 1)[1].split("<p>", 1)[1].split("</p>", 1)[0]
        assert good in note and bad not in note, note
