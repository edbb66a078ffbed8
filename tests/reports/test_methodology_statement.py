"""methodology.html as a method statement: in the page's language throughout (no English
definitions, pseudo-code rules, method specifications or audit codes on the Chinese page), with
the legal basis, definitions in words, formulas, weights and their rationale, grades, vetoes,
alert rules, objection procedure, revision policy and limitations."""
from __future__ import annotations

import html
import re

import pytest


def text_of(page: str) -> str:
    body = page.split('id="main"', 1)[-1]
    body = re.sub(r"<(script|style|svg)[\s\S]*?</\1>", " ", body)
    return html.unescape(re.sub(r"<[^>]+>", "\n", body))


@pytest.fixture(scope="module")
def zh(rendered):
    _, paths = rendered
    return next(p for p in paths if p.name == "methodology.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def en(rendered_public_en):
    _, paths = rendered_public_en
    return next(p for p in paths if p.name == "methodology.html").read_text(encoding="utf-8")


def test_chinese_statement_has_every_part(zh, framework):
    for section in ("basis", "framework", "definitions", "scoring", "alert-rules-section", "objection",
                    "revision", "limitations"):
        assert f'id="{section}"' in zh, section
    text = text_of(zh)
    assert "粤府〔2017〕140号" in text
    for n in framework.indicators:  # every indicator defined in words
        dd = zh.split(f"<dt>{n.name_zh}", 1)[1].split("</dd>", 1)[0]
        assert len(re.sub(r"<[^>]+>", "", dd)) > 15, n.code
    assert "Σ" in text  # the aggregation formula
    for g in framework.grades:
        assert f"{g.min:g}" in text


def test_chinese_statement_is_in_chinese(zh, framework):
    text = text_of(zh.split('id="inputs"')[0])  # the technical appendix (files, hashes) may name files
    for n in framework.computed:
        if n.description:
            assert n.description not in text, n.code
        assert n.code not in text, n.code
    for a in framework.alerts:
        assert a["code"] not in text, a["code"]
    for bad in (" eq ", " AND ", " ge ", "minmax:", "zscore:", "goalposts (", "failure_records", "due_on"):
        assert bad not in text, bad
    audit = text_of(zh.split('id="audit"')[1].split("</section>")[0]) if 'id="audit"' in zh else ""
    for bad in ("cronbach", "pca_variance", "correlation_flags", "eigenvalue"):
        assert bad not in audit


def test_weight_table_is_not_in_a_scroll_box(zh):
    before = zh.split('id="weights"')[0]
    assert not before.rstrip().endswith('<div class="table-wrap">')


def test_english_statement_uses_the_framework_descriptions(en, framework):
    text = text_of(en)
    described = [n for n in framework.indicators if n.description and "_" not in n.description]
    assert described and all(n.description in text for n in described)
    assert "Objection" in text and "Revision policy" in text and "粤府〔2017〕140号" in text


def test_definitions_are_worded_from_the_structure(framework):
    from reports.wording import alert_rule, definition

    for n in framework.computed:
        zh = definition(n, "zh")
        assert zh.endswith("。") and "_" not in zh and not re.search(r"[A-Za-z]{4,}", zh), (n.code, zh)
    for a in framework.alerts:
        zh = alert_rule(a, framework, "zh")
        assert "_" not in zh and not re.search(r"\b(eq|ge|AND)\b", zh), (a["code"], zh)


def test_revision_policy_states_what_experience_over_years_revises(zh, en, framework):
    """A data correction revises the later years that pool it: the page says how many, and with
    what weights, exactly as the framework sets them; off, it says nothing of it."""
    import dataclasses

    from reports.statement import statement

    years, d = int(framework.methods["experience_years"]), float(framework.methods["experience_discount"])
    assert years > 1  # the shipped framework pools
    back = years - 1
    weights_zh = "、".join(f"{d ** k:g}" for k in range(years))
    revision_zh = text_of(zh.split('id="revision"', 1)[1].split("</section>", 1)[0])
    assert f"此前{back}年" in revision_zh and weights_zh in revision_zh and f"其后{back}年" in revision_zh
    revision_en = " ".join(text_of(en.split('id="revision"', 1)[1].split("</section>", 1)[0]).split())
    assert f"the {back} years after it" in revision_en
    off = dataclasses.replace(framework, methods={**framework.methods, "experience_years": 1})
    assert "此前" not in statement(off, "zh")["revision"]
    assert "years before it" not in statement(off, "en")["revision"]
