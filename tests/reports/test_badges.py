"""The badges and links of the pages (reports.badges, which the templates' own functions in
reports.render wrap): every text from the data is escaped, wherever it lands."""
from __future__ import annotations

from reports import badges, render

HOSTILE = '<b onclick="x()">\'A\' & B</b>'
ESCAPED = "&lt;b onclick=&#34;x()&#34;&gt;&#39;A&#39; &amp; B&lt;/b&gt;"


def test_text_and_attributes_from_the_data_are_escaped():
    assert badges.grade_html(HOSTILE, HOSTILE) == f'<span class="grade g{ESCAPED}">{ESCAPED}</span>'
    assert badges.alert_html(HOSTILE, HOSTILE) == f'<span class="alert al-{ESCAPED}">{ESCAPED}</span>'
    assert badges.link_html(HOSTILE, HOSTILE) == f'<a href="{ESCAPED}">{ESCAPED}</a>'
    assert badges.evidence_html([(HOSTILE, HOSTILE)]) == f'<dl class="evidence"><dt>{ESCAPED}</dt><dd>{ESCAPED}</dd></dl>'


def test_missing_parts_write_plain_text_or_the_dash():
    assert badges.grade_html(HOSTILE, "") == ESCAPED  # no grade scale: the code as text
    assert badges.link_html(HOSTILE, None) == ESCAPED  # no page: the name only
    assert badges.alert_html("", "x") == badges.alert_html(None, "x") == "—"
    assert badges.evidence_html([]) == "—"


def test_the_templates_functions_write_the_same_markup():
    assert str(render.grade("A", 0)) == badges.grade_html("A", 0) == '<span class="grade g0">A</span>'
    assert str(render.unit_link(HOSTILE, "440300.html")) == badges.link_html(HOSTILE, "440300.html")
