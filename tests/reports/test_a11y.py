"""Accessibility of the reports, checked in Chromium: axe-core (npm, installed into
.venv/node by `make test`) finds no serious or critical violation of WCAG 2.1 A and AA (colour
contrast included) on the index, the alerts page, the methodology and three unit pages; a sort
button shows where the keyboard is.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from pages_in_chromium import launch, pages

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def axe_script() -> Path:
    """axe.min.js from NODE_PATH (as `make test` sets it) or the project's .venv/node."""
    folders = [Path(p) for p in os.environ.get("NODE_PATH", "").split(os.pathsep) if p]
    folders.append(ROOT / ".venv" / "node" / "node_modules")
    for folder in folders:
        path = folder / "axe-core" / "axe.min.js"
        if path.is_file():
            return path
    raise AssertionError("axe-core is not installed: run `make test` (npm install --prefix .venv/node axe-core@4)")


@pytest.fixture(scope="module")
def axe_results(small_run):
    script = axe_script()
    found = {}
    with sync_playwright() as p:
        browser = launch(p)
        try:
            for name, path in pages(small_run).items():
                # the pages' content security policy allows no script but their own: axe comes in past it
                page = browser.new_page(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
                page.goto(path.as_uri())
                page.wait_for_load_state("load")
                page.add_script_tag(path=str(script))
                found[name] = page.evaluate("""async () => {
                    const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                                       resultTypes: ['violations']});
                    return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, n: v.nodes.length,
                                                   where: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').slice(0, 160))}));
                }""")
                page.close()
        finally:
            browser.close()
    return found


@pytest.mark.parametrize("name", ["index", "alerts", "methodology", "unit-province", "unit-city", "unit-department"])
def test_no_serious_or_critical_violation(axe_results, name):
    bad = [v for v in axe_results[name] if v["impact"] in ("serious", "critical")]
    assert bad == [], "\n".join(f"{v['id']} ({v['impact']}, {v['n']}x): {v['help']} {v['where']}" for v in bad)


def test_sort_buttons_show_keyboard_focus(small_run):
    """Tabbing onto a sort button draws a visible outline (at least 2 px, not `none`)."""
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto((small_run.out / "index.html").as_uri())
            page.wait_for_load_state("load")
            for _ in range(400):
                page.keyboard.press("Tab")
                if page.evaluate("() => !!document.activeElement.closest('th[data-sort]')"):
                    break
            else:
                raise AssertionError("no sort button is reachable with the keyboard")
            style = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
                                     return [s.outlineStyle, parseFloat(s.outlineWidth)]; }""")
            assert style[0] != "none" and style[1] >= 2, style
        finally:
            browser.close()
