"""The reports in a real browser (headless Chromium from Debian's `chromium` package): no console
errors, no network request, Chinese text rendered with a CJK font, the ranking table sorts, and
changing a weight changes the order. Screenshots are kept in test-artifacts/.

The test fails (never skips) when Chromium or the CJK fonts are missing: `.ci/run` installs them.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.integration  # Chromium
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Debian's chromium is not installed: run .ci/run or apt-get install chromium"
    return path


@pytest.fixture(scope="module")
def browser():
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    assert fonts.strip(), "no CJK font installed: apt-get install fonts-noto-cjk"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:", "about:")) else None)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, requests


def first_names(page, n=5):
    return page.eval_on_selector_all("#ranking tbody tr:not([hidden])", f"rows => rows.slice(0, {n}).map(r => r.innerText)")


def test_pages_render_offline_in_chinese(browser, small_run):
    ARTIFACTS.mkdir(exist_ok=True)
    out = small_run.out
    unit = sorted((out / "units").glob("*.html"))[0]
    for name, path in [("index", out / "index.html"), ("unit", unit), ("alerts", out / "alerts.html"),
                       ("methodology", out / "methodology.html")]:
        page, errors, requests = open_page(browser, path)
        assert errors == [], (name, errors)
        assert requests == [], (name, requests)
        text = page.inner_text("body")
        assert "政务诚信" in text or "诚信" in text, name
        # Chinese glyphs take the width of a CJK font, not of missing-glyph boxes
        width = page.evaluate("""() => { const s = document.createElement('span'); s.textContent = '政务诚信评价';
                                 document.body.appendChild(s); const w = s.getBoundingClientRect().width; s.remove(); return w; }""")
        assert width > 40, name
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)
        page.close()


def test_ranking_sorts_and_weights_change_the_order(browser, small_run):
    page, errors, _ = open_page(browser, small_run.out / "index.html")
    page.select_option("#filter-kind", "region") if page.query_selector("#filter-kind option[value=region]") else None
    before = first_names(page)
    header = page.query_selector_all("#ranking thead th[data-sort]")[0]
    header.click()
    after_sort = first_names(page)
    assert after_sort != before
    header.click()
    assert first_names(page) != after_sort  # the second click reverses
    # weights: put everything on one dimension and the order changes
    page.reload()
    before = first_names(page, 10)
    inputs = page.query_selector_all("input[data-weight]")
    assert len(inputs) >= 4
    for i, box in enumerate(inputs):
        box.fill("1" if i == len(inputs) - 1 else "0")
        box.dispatch_event("input")
        box.dispatch_event("change")
    changed = first_names(page, 10)
    assert changed != before
    page.screenshot(path=str(ARTIFACTS / "index-whatif.png"))
    page.click("#reset-weights")
    assert first_names(page, 10) == before
    assert errors == []
