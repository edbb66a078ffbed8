"""The reports on a phone (a 390 px wide viewport, an iPhone's): no page is wider than the
screen, a wide table scrolls inside its own box, a unit's name keeps a readable width instead
of wrapping one character per line, and chart text stays readable. Screenshots are kept in
test-artifacts/.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from pages_in_chromium import launch, pages

pytestmark = pytest.mark.integration
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = 390
#: the smallest chart text, as drawn on the screen (the height of a text's box, in CSS pixels)
READABLE = 9.0


@pytest.fixture(scope="module")
def phone_pages(small_run):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            measured = {}
            for name, path in pages(small_run).items():
                page = browser.new_page(viewport={"width": PHONE, "height": 844}, device_scale_factor=1)
                page.goto(path.as_uri())
                page.wait_for_load_state("load")
                measured[name] = page.evaluate("""() => {
                    const inScroller = e => { for (let a = e.parentElement; a; a = a.parentElement) {
                        const o = getComputedStyle(a).overflowX; if (o === 'auto' || o === 'scroll') return true; } return false; };
                    const visible = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
                    const names = [...document.querySelectorAll('th[scope=row]')].filter(visible)
                        .filter(e => e.textContent.trim().length >= 4)
                        .map(e => [e.textContent.trim(), e.getBoundingClientRect().width,
                                   parseFloat(getComputedStyle(e).fontSize)]);
                    const texts = [...document.querySelectorAll('svg text')].filter(visible).filter(e => e.textContent.trim())
                        .map(e => [e.textContent.trim(), e.getBoundingClientRect().height]);
                    return {width: document.documentElement.scrollWidth,
                            outside: [...document.querySelectorAll('body *')].filter(visible)
                                .filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !inScroller(e))
                                .slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className),
                            names, texts};
                }""")
                page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"))
                page.close()
        finally:
            browser.close()
    return measured


def test_no_page_is_wider_than_the_phone(phone_pages):
    for name, m in phone_pages.items():
        assert m["width"] <= PHONE, (name, m["width"], m["outside"])
        assert m["outside"] == [], (name, m["outside"])


def test_names_do_not_wrap_one_character_per_line(phone_pages):
    """A unit's name (a row header of four or more characters) gets at least four characters'
    width: in a narrow column it would stand one character per line."""
    for name, m in phone_pages.items():
        narrow = [(text, round(w)) for text, w, size in m["names"] if w < 4 * size]
        assert narrow == [], (name, narrow[:5])


def test_chart_text_is_readable(phone_pages):
    """Charts keep a width at which their text can be read (they scroll sideways instead of
    shrinking to a 4 px type)."""
    checked = 0
    for name, m in phone_pages.items():
        small = [(text, round(h, 1)) for text, h in m["texts"] if h < READABLE]
        assert small == [], (name, small[:5])
        checked += len(m["texts"])
    assert checked > 50  # the pages do draw charts
