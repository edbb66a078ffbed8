"""The badges and links the pages write many times, as escaped text for the table rows written in
Python (the unit pages' tables, the overview's ranking): the same markup as reports.render's
`grade`, `alert`, `unit_link` and `evidence`, which the templates call (a test keeps them equal).
"""
from __future__ import annotations

from reports.fmt import DASH, escape_output as _e


def grade_html(code, idx) -> str:
    """A grade as a badge of its colour (`idx`: its place among the framework's grades; "" for none).

    >>> grade_html("A", 0), grade_html("<", "")
    ('<span class="grade g0">A</span>', '&lt;')
    """
    if idx != "":
        return f'<span class="grade g{_e(idx)}">{_e(code)}</span>'
    return _e(code)


def alert_html(level, label) -> str:
    """An alert level as a badge of its colour; the dash for none.

    >>> alert_html("red", "红色"), alert_html("", "x")
    ('<span class="alert al-red">红色</span>', '—')
    """
    if level:
        return f'<span class="alert al-{_e(level)}">{_e(label)}</span>'
    return DASH


def link_html(label, href) -> str:
    """A unit's name, linked to its page when it has one.

    >>> link_html("A&B", "440300.html"), link_html("A&B", None)
    ('<a href="440300.html">A&amp;B</a>', 'A&amp;B')
    """
    if href:
        return f'<a href="{_e(href)}">{_e(label)}</a>'
    return _e(label)


def evidence_html(pairs) -> str:
    """An alert's evidence ((key, value) pairs, `fmt.evidence`) as a list of terms; the dash for none.

    >>> evidence_html([("n", "<3>"), ("", "x")]), evidence_html([])
    ('<dl class="evidence"><dt>n</dt><dd>&lt;3&gt;</dd><dd>x</dd></dl>', '—')
    """
    if not pairs:
        return DASH
    return '<dl class="evidence">' + "".join(
        (f"<dt>{_e(k)}</dt>" if k else "") + f"<dd>{_e(v)}</dd>" for k, v in pairs) + "</dl>"
