"""The colours every chart and page shares.

The charts themselves are inline SVG written in Python: the run pages' summary charts by
`reports.plots`, the per-unit charts by `reports.svg`.
"""
from __future__ import annotations

# the page's badge colours (report.css): white text on each meets WCAG AA (4.5:1)
GRADE_PALETTE = ("#1a7f37", "#2f6fb0", "#9a6200", "#c62828", "#6a1b9a", "#545454")
ALERT_COLOURS = {"red": "#c62828", "orange": "#b54d00", "yellow": "#e0b000", "blue": "#1565c0"}
MISSING_COLOUR = "#bdbdbd"


def grade_colours(framework) -> dict[str, str]:
    """One colour per grade code, best first (green) to worst (red); same on every page."""
    n = len(GRADE_PALETTE)
    return {g.code: GRADE_PALETTE[min(i, n - 1)] for i, g in enumerate(framework.grades)}
