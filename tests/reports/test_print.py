"""The reports printed as the annual report. For an evaluator the PDF is the deliverable: the
ranking prints with every column (score, rank and grade included) under real headers, without
the what-if panel, filters or sort arrows; no table of any page runs past the edge of an A4 page,
and a short word in a table cell keeps its line.

Printed with Debian's headless chromium (`--print-to-pdf`), read back with poppler's pdftotext;
both are installed by `.ci/system-deps`. The PDFs are kept in test-artifacts/.
"""
from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from pages_in_chromium import CHROMIUM_ARGS, chromium, launch, pages
from reports.i18n import catalogue

pytestmark = pytest.mark.integration
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: the printable width of an A4 page with the stylesheet's 12 mm side margins, in CSS pixels
A4_WIDTH = round((210 - 2 * 12) / 25.4 * 96)


def print_pdf(page: Path, pdf: Path) -> str:
    """Print `page` with headless chromium and return its text as pdftotext lays it out."""
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext is not installed: run .ci/run or apt-get install poppler-utils"
    subprocess.run([chromium(), "--headless", *CHROMIUM_ARGS, "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                    page.as_uri()], check=True, capture_output=True, timeout=600)
    assert pdf.is_file() and pdf.stat().st_size > 0
    return subprocess.run([pdftotext, "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


def ranking_rows(index_html: str, n: int) -> list[dict]:
    """The first `n` rated units of the ranking as the page states them: name, score, rank, grade."""
    table = re.search(r'<table id="ranking">.*?</table>', index_html, re.S).group(0)
    rows = []
    for tr in re.findall(r"<tr data-unit=.*?</tr>", table, re.S):
        def cell(cls):
            m = re.search(rf'<td class="[^"]*\b{cls}\b[^"]*"[^>]*>(.*?)</td>', tr, re.S)
            return html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip()
        name = html.unescape(re.sub(r"<[^>]+>", "", re.search(r'<th scope="row">(.*?)</th>', tr, re.S).group(1)))
        row = {"name": name.strip(), "score": cell("c-score"), "rank": cell("c-rank"), "grade": cell("c-grade")}
        if re.fullmatch(r"[0-9.]+", row["score"]):  # a rated unit
            rows.append(row)
    return rows[:n]


@pytest.fixture(scope="module")
def printed_index(small_run):
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "index-print.pdf"
    return print_pdf(small_run.out / "index.html", pdf)


def test_printed_ranking_has_its_headers_and_every_column(printed_index, small_run):
    t = catalogue("zh")
    text = printed_index
    lines = text.splitlines()
    # the ranking of all units (the cities' ranking above it has no level column)
    header = next((line for line in lines if t["name"] in line and t["score"] in line and t["level"] in line), None)
    assert header is not None, "the ranking's header row is not in the PDF (sort buttons hidden?)"
    for key in ("name", "kind", "level", "score", "rank", "rank_interval", "grade", "outlook"):
        assert t[key] in header, (key, header)
    rows = ranking_rows((small_run.out / "index.html").read_text("utf-8"), 8)
    assert len(rows) == 8
    for r in rows:
        line = next((line for line in lines if line.split() and line.split()[0] == r["name"]), None)
        assert line is not None, f"{r['name']}: no line of the printed ranking starts with it"
        cells = line.split()
        for key in ("score", "rank", "grade"):  # the what-if cells print with their published values
            assert r[key] in cells, (r, key, line)


def test_print_leaves_out_the_controls(printed_index):
    t = catalogue("zh")
    assert t["whatif"] not in printed_index  # the what-if panel's heading
    assert "↕" not in printed_index  # no sort arrows


def test_no_table_runs_past_the_printed_page(small_run):
    """Laid out for print at the width of A4, every page stays within it and a two-character
    word in a table cell is never broken over two lines."""
    with sync_playwright() as p:
        browser = launch(p)
        try:
            for name, path in pages(small_run).items():
                page = browser.new_page(viewport={"width": A4_WIDTH, "height": 1100})
                page.goto(path.as_uri())
                page.emulate_media(media="print")
                wide = page.evaluate("""(w) => [...document.querySelectorAll('table, figure, svg, pre, dl')]
                    .filter(e => e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().right > w + 1)
                    .map(e => e.tagName + '#' + (e.id || (e.caption && e.caption.textContent) || e.className))""", A4_WIDTH)
                assert wide == [], (name, wide)
                assert page.evaluate("document.documentElement.scrollWidth") <= A4_WIDTH, name
                # a cell of a one- or two-character word on one line (no "地/区" stacked)
                broken = page.evaluate("""() => [...document.querySelectorAll('td, th')].filter(c => {
                    const s = c.textContent.trim(); if (s.length !== 2 || c.getBoundingClientRect().width === 0) return false;
                    const walk = document.createTreeWalker(c, NodeFilter.SHOW_TEXT);
                    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
                      if (!n.textContent.trim()) continue;
                      const r = document.createRange(); r.selectNodeContents(n);
                      if (new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1) return true; }
                    return false; }).slice(0, 5).map(c => c.textContent.trim())""")
                assert broken == [], (name, broken)
                hidden = page.evaluate("""() => [...document.querySelectorAll('input, select')]
                    .filter(e => e.getBoundingClientRect().width > 0).length""")
                assert hidden == 0, (name, "an interactive control prints")
                page.close()
        finally:
            browser.close()
