"""Every page is well-formed HTML5 with semantic tables and accessible charts, and the overview
has the stable hooks the browser test relies on."""
from __future__ import annotations

import pytest

from htmlcheck import check


@pytest.mark.parametrize("fixture", ["rendered", "rendered_public_en"])
def test_pages_are_well_formed(fixture, request):
    _, paths = request.getfixturevalue(fixture)
    for p in paths:
        _, problems = check(p.read_text(encoding="utf-8"))
        assert problems == [], (p.name, problems[:5])


def test_overview_hooks(rendered, framework):
    out, _ = rendered
    c, _ = check((out / "index.html").read_text(encoding="utf-8"))
    ids = c.ids
    assert {"ranking", "reset-weights", "whatif-data", "filter-level", "filter-kind", "filter-city",
            "filter-grade"} <= ids
    sortable = [a for t, a in c.elements if t == "th" and "data-sort" in a]
    assert len(sortable) >= 10
    weights = {a["data-weight"] for t, a in c.elements if t == "input" and "data-weight" in a}
    assert weights == {n.code for n in framework.children(framework.nodes[0].code)}
    rows = [a for t, a in c.elements if t == "tr" and "data-unit" in a]
    assert rows and all({"data-level", "data-kind", "data-city", "data-grade"} <= set(a) for a in rows)


def test_charts_have_text_alternatives(rendered):
    out, _ = rendered
    c, _ = check((out / "index.html").read_text(encoding="utf-8"))
    assert len(c.svgs) >= 2
    unit = next((out / "units").glob("*.html"))
    c, _ = check(unit.read_text(encoding="utf-8"))
    assert len(c.svgs) >= 2
