"""The optional inputs of a run: explanations, alert levels, overrides, outlook and grade
probabilities on the unit pages and the overview; alert rules, the model card, backtest, ROC and
calibration, and sensitivity on the methodology page. Internal edition only for model internals."""
from __future__ import annotations

import re

import polars as pl
import pytest
from markupsafe import escape

from htmlcheck import EXTERNAL, check
from synthetic_run import HOSTILE


def page(result, name: str) -> str:
    out, _ = result
    return (out / name).read_text(encoding="utf-8")


def section(html: str, sid: str) -> str:
    """The text of `<section id=sid>` (up to its end)."""
    start = html.index(f'id="{sid}"')
    return html[start:html.index("</section>", start)]


@pytest.mark.parametrize("fixture", ["rendered_full", "rendered_full_public_en"])
def test_pages_are_valid_and_self_contained(fixture, request):
    _, paths = request.getfixturevalue(fixture)
    for p in paths:
        html = p.read_text(encoding="utf-8")
        _, problems = check(html)
        assert problems == [], (p.name, problems[:5])
        for bad in EXTERNAL:
            assert bad not in html, (p.name, bad)
        assert "<script>alert(" not in html and "<img src=x" not in html, p.name


def test_unit_page_explanations_and_alert_level(rendered_full, full_run):
    unit = page(rendered_full, f"units/{HOSTILE}.html")
    latest = full_run["scores"]["year"].max()
    expl = full_run["explanations"].filter((pl.col("unit_id") == HOSTILE) & (pl.col("year") == latest))
    table = unit.split('id="explanations"')[1].split("</table>")[0]
    assert table.count("<tr>") == expl.height + 1
    for label in expl["label_zh"].to_list():
        assert str(escape(label)) in table
    assert "+1.000" in table  # the first feature's contribution
    detail = unit.split("预警等级构成")[1].split("</dl>")[0]
    lv = full_run["alert_levels"].filter((pl.col("unit_id") == HOSTILE) & (pl.col("year") == latest)).row(0, named=True)
    assert lv["held"] and "维持此前等级" in detail
    assert "规则预警等级" in detail and "模型预警等级" in detail


def test_override_is_apart_from_vetoes_and_escaped(rendered_full):
    unit = page(rendered_full, f"units/{HOSTILE}.html")
    vetoes = unit.split("<h3>一票否决</h3>")[1].split("<h3>")[0]
    override = unit.split('id="override"')[1].split("</dl>")[0]
    assert "已整改" not in vetoes
    assert "C → B" in override and "已整改&lt;script&gt;" in override and "分析员&lt;script&gt;" in override
    other = page(rendered_full, "units/440100.html")
    assert "无人工调整" in other


def test_outlook_and_grade_probabilities(rendered_full, full_run):
    row = full_run["scores"].filter((pl.col("unit_id") == "440100") & (pl.col("year") == 2023)).row(0, named=True)
    unit = page(rendered_full, "units/440100.html")
    word = {"positive": "正面", "stable": "稳定", "negative": "负面"}[row["outlook"]]
    assert f"<dt>展望</dt><dd>{word}</dd>" in unit
    probs = unit.split('id="grade-probabilities"')[1].split("</table>")[0]
    for g in ("A", "B", "C", "D"):
        assert f"{round(100 * row[f'p_grade_{g}'])}%" in probs
    assert ("处于等级临界" if row["borderline"] else "等级稳定") in unit
    index = page(rendered_full, "index.html")
    assert word in index and '"negative"' not in index  # labels, in the table and the earlier years' data
    certainty = section(index, "certainty")
    latest = full_run["scores"].filter(pl.col("year") == 2023)
    assert certainty.count("<tr><th scope=\"row\"><a") == latest["borderline"].sum()


def test_public_edition_keeps_model_internals_out(rendered_full_public_en, full_run):
    unit = page(rendered_full_public_en, f"units/{HOSTILE}.html")
    assert 'id="explanations"' not in unit and "Model alert level" not in unit and "log-odds" not in unit
    assert "分析员" not in unit and "<dt>Analyst</dt>" not in unit  # no analyst name in the public edition
    assert "已整改" in unit  # the reason for the override is public
    assert 'id="grade-probabilities"' in unit  # the uncertainty analysis is not a model internal
    method = page(rendered_full_public_en, "methodology.html")
    assert 'id="model-card"' not in method and "AUROC" not in method and "ROC" not in method
    assert 'id="sensitivity"' in method


def test_every_alert_rule_is_described(rendered_full, rendered_full_public_en, framework):
    """In words, in the page's language: no rule codes, no pseudo-code conditions."""
    from reports.wording import alert_rule

    for result, lang in ((rendered_full, "zh"), (rendered_full_public_en, "en")):
        table = page(result, "methodology.html").split('id="alert-rules"')[1].split("</table>")[0]
        for rule in framework.alerts:
            assert str(escape(alert_rule(rule, framework, lang))) in table, rule["code"]
            assert f"<code>{rule['code']}</code>" not in table


def test_model_card_metrics_backtest_and_charts(rendered_full, model):
    card = section(page(rendered_full, "methodology.html"), "model-card")
    metrics = card.split('id="model-metrics"')[1].split("</table>")[0]
    for name in ("逻辑回归", "梯度提升", "实际采用", "朴素基准：本年是否发生事件"):
        assert name in metrics
    assert f"{model.card['metrics']['selected']['auroc']:.3f}" in metrics
    by_year = card.split('id="model-by-year"')[1].split("</table>")[0]
    assert all(f">{y}<" in by_year for y in model.card["chosen_by_year"])
    backtest = card.split('id="model-backtest"')[1].split("</table>")[0]
    assert backtest.count("<tr") == model.backtest.height + 1
    c, _ = check(f"<!DOCTYPE html><html lang='zh'><body>{card}</section></body></html>")
    assert len(c.svgs) == 2  # ROC and calibration, each with title and description
    roc = card.split('id="model-roc"')[1].split("</table>")[0]
    assert f"{model.card['metrics']['logit']['auroc']:.3f}" in roc  # the curve's area is the backtest's AUROC
    cal = card.split('id="model-calibration"')[1].split("</table>")[0]
    assert cal.count("<tr>") == 11
    assert card.count("<code>x</code>") == 1  # the features


def test_model_card_shows_what_reaches_the_user(rendered_full, rendered_full_public_en, model):
    """Per level and per rule: units, next-year event rate, lift, events caught; calibration per
    peer group and the model's value added beyond the rules."""
    card = section(page(rendered_full, "methodology.html"), "model-card")
    levels = card.split('id="model-levels"')[1].split("</table>")[0]
    assert "次年事件率" in levels and "倍数" in levels and "捕获事件占比" in levels
    assert levels.count("<tr") == len(model.card["level_backtest"]) + 1
    pooled_red = next(r for r in model.card["level_backtest"] if r["year"] is None and r["level"] == "red")
    if pooled_red["lift"] is not None:
        assert f"{pooled_red['lift']:.2f}" in levels
    rules = card.split('id="model-rules"')[1].split("</table>")[0]
    assert rules.count("<tr") == len(model.card["rule_backtest"]) + 1
    assert "风险模型预测" in rules and "risk_model" not in rules  # the rule by name, not its code
    assert 'id="model-groups"' in card and 'id="model-value-added"' in card
    assert 'id="model-levels"' not in page(rendered_full_public_en, "methodology.html")


def test_roc_points():
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from reports.model_card import roc_points

    rng = np.random.default_rng(3)
    y = (rng.random(500) < 0.2).astype(int)
    p = np.round(rng.random(500) * 0.5 + 0.3 * y, 2)  # ties included
    f, t = roc_points(y, p)
    assert f[0] == t[0] == 0 and f[-1] == t[-1] == 1
    assert np.isclose(np.sum(np.diff(f) * (t[1:] + t[:-1]) / 2), roc_auc_score(y, p))


def test_model_card_needs_no_predictions(framework, run, model, tmp_path):
    from rating.publish import RunTables
    from reports.render import render

    paths = render(tmp_path, RunTables(framework=framework, model_card=model.card, **run))
    html = next(p for p in paths if p.name == "methodology.html").read_text(encoding="utf-8")
    assert 'id="model-metrics"' in html and 'id="model-roc"' not in html and 'id="model-backtest"' not in html
    assert check(html)[1] == []


def test_sensitivity_chart_and_table(rendered_full):
    sa = section(page(rendered_full, "methodology.html"), "sensitivity")
    table = sa.split('id="sensitivity-table"')[1].split("</table>")[0]
    assert "权重" in table and "标准化" in table and "0.420" in table and "0.300–0.550" in table
    assert "假设&lt;script&gt;" in table
    assert "<svg" in sa and "<title>" in sa


@pytest.mark.parametrize("variant", ["assumption", "object"])
def test_sensitivity_inputs_are_tolerated(variant, framework, run, tmp_path):
    from rating.publish import RunTables
    from reports.render import render

    df = pl.DataFrame({"Assumption": ["weights"], "s1": [0.5], "S1_lo": [0.4], "S1_hi": [0.6], "ST": [0.7],
                       "ST_lower": [0.6], "ST_upper": [0.8]})

    class Result:
        indices, runs = df, 1234

    paths = render(tmp_path, RunTables(framework=framework, sensitivity=df if variant == "assumption" else Result(), **run))
    html = next(p for p in paths if p.name == "methodology.html").read_text(encoding="utf-8")
    table = html.split('id="sensitivity-table"')[1].split("</table>")[0]
    assert "0.400–0.600" in table and "0.600–0.800" in table
    assert variant != "object" or "1,234" in html


@pytest.mark.slow
def test_full_render_is_deterministic(framework, full_run, tmp_path):
    from rating.publish import RunTables
    from reports.render import render

    a = render(tmp_path / "a", RunTables(framework=framework, **full_run))
    b = render(tmp_path / "b", RunTables(framework=framework, **full_run))
    for x, y in zip(a, b):
        assert x.read_bytes() == y.read_bytes(), x.name


def test_uncertainty_counts_borderline_units(rendered_full, full_run):
    unc = section(page(rendered_full, "methodology.html"), "uncertainty")
    assert "临界单位数" in unc
    n = int(full_run["scores"].filter(pl.col("year") == 2023)["borderline"].sum())
    cells = [int(x) for x in re.findall(r'<td class="num">(\d+)</td></tr>', unc)]
    assert sum(cells) == n
