"""The model card on the methodology page reads in the page's language: no English phrase and no
rule or setting code on the Chinese page, and English on the English page."""
from __future__ import annotations

import re

import pytest

from conftest import _render

#: Technical tokens a Chinese page may keep in Latin letters.
ALLOWED = re.compile(r"AUROC|Brier|PPP|sigmoid|Platt|L2|Alessi|Detken|Sarlin|\d+(?:\.\d+)?")
#: Two or more Latin words in a row (a word: two letters or more, so "t" and "s+1" stay allowed).
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[\s,;:()/+=.-]+[A-Za-z]{2,})+")
RULE_CODES = ("debt_band", "dishonest_debtor", "sme_arrears_overdue", "complaint_spike")


def _section(folder) -> str:
    html = (folder / "methodology.html").read_text(encoding="utf-8")
    assert 'id="model-card"' in html
    return "<section " + html.split('<section id="model-card"')[1].split("</section>")[0]


def _visible(section: str) -> str:
    """The section's text as a reader sees it, without the feature codes of the code column."""
    section = re.sub(r"<(style|script|code)\b.*?</\1>", " ", section, flags=re.S)
    return re.sub(r"<[^>]+>", " ", section)


@pytest.fixture(scope="module")
def rendered_full_en(framework, full_run, tmp_path_factory):
    """The internal English edition (the public one has no model card)."""
    return _render(tmp_path_factory, "report_full_internal_en", framework, full_run, lang="en")


def test_chinese_model_card_has_no_english_or_codes(rendered_full, full_run):
    section = _section(rendered_full[0])
    text = _visible(section)
    version = full_run["model_card"]["model_version"]  # an identifier ("early-warning/3"), not a phrase
    runs = ENGLISH_RUN.findall(ALLOWED.sub(" ", text.replace(version, " ")))
    assert runs == [], runs[:10]
    for code in RULE_CODES:
        assert code not in text, code
    config = section.split('<summary>模型配置</summary>')[1].split("</details>")[0]
    assert "<code>" not in config and "action_en" not in config and "calibration_folds" not in config
    cfg = full_run["model_card"]["config"]
    assert "梯度提升树" in text and f"{cfg['gbm_trees']} 棵树" in text
    assert f"分为 {cfg['calibration_folds']} 折" in text and "滚动起点" in text
    rules = section.split('id="model-rules"')[1].split("</table>")[0]
    assert "规则" in rules and not re.search(r"<th scope=\"row\">[a-z_]+</th>", rules)


def test_english_model_card_stays_english(rendered_full_en, full_run):
    text = _visible(_section(rendered_full_en[0]))
    assert not re.search(r"[\u4e00-\u9fff]", text), re.findall(r"\S*[\u4e00-\u9fff]+\S*", text)[:10]
    card = full_run["model_card"]
    assert card["estimators"]["logit"] in text and "rolling origin" in text
    assert "Calibration folds" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rule_features_are_named_not_coded(framework, lang):
    from types import SimpleNamespace

    from reports.model_card import features

    card = {"features": [f"rule:{c}" for c in RULE_CODES] + ["value:debt_ratio"]}
    rows = features(SimpleNamespace(framework=framework, lang=lang), card)
    assert [r["code"] for r in rows] == card["features"]  # the code column keeps the codes
    for r in rows[:-1]:
        assert r["label"].startswith("规则预警：" if lang == "zh" else "Rule alert: ")
        assert not any(code in r["label"] for code in RULE_CODES), r["label"]
