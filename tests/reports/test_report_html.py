"""Every page is well-formed HTML5 with semantic tables and accessible charts, and the overview
has the stable hooks the browser test relies on."""
from __future__ import annotations

import polars as pl
import pytest

from htmlcheck import check


@pytest.mark.parametrize("fixture", ["rendered", "rendered_public_en"])
def test_pages_are_well_formed(fixture, request):
    _, paths = request.getfixturevalue(fixture)
    for p in paths:
        _, problems = check(p.read_text(encoding="utf-8"))
        assert problems == [], (p.name, problems[:5])


def test_overview_hooks(rendered, framework, run):
    out, _ = rendered
    c, problems = check((out / "index.html").read_text(encoding="utf-8"))
    assert problems == []
    ids = c.ids
    assert {"ranking", "reset-weights", "whatif-data", "filter-level", "filter-kind", "filter-city",
            "filter-grade"} <= ids
    sortable = [a for t, a in c.elements if t == "th" and "data-sort" in a]
    assert len(sortable) >= 10
    weights = {a["data-weight"] for t, a in c.elements if t == "input" and "data-weight" in a}
    assert weights == {n.code for n in framework.children(framework.nodes[0].code)}
    rows = [a for t, a in c.elements if t == "tr" and "data-unit" in a]
    assert all({"data-level", "data-kind", "data-city", "data-grade"} <= set(a) for a in rows)
    latest = run["scores"].filter(pl.col("year") == run["scores"]["year"].max())
    assert sorted(a["data-unit"] for a in rows) == sorted(latest["unit_id"])  # one row per unit


def test_charts_have_text_alternatives(rendered):
    """Every chart is an image with a label, a title and a description (check() reports any
    that is not), on the overview and on every unit page."""
    out, _ = rendered
    pages = [out / "index.html", *sorted((out / "units").glob("*.html"))]
    assert len(pages) > 2
    for page in pages:
        c, problems = check(page.read_text(encoding="utf-8"))
        assert problems == [], (page.name, problems[:5])
        assert len(c.svgs) >= 2, page.name
        assert all(s["label"].strip() for s in c.svgs if not s["hidden"]), page.name
