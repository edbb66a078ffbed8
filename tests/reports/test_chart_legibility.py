"""Charts a reader can read without colour and without guessing: the grade written beside the
score, threshold labels clear of the points, legends not cut at the figure's edge, whole-number
rank axes, and badge colours that meet WCAG AA contrast with white text."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from reports import charts, svg

CSS = Path(__file__).resolve().parents[2] / "reports" / "static" / "report.css"


def _luminance(hex_colour: str) -> float:
    c = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_badges_meet_wcag_aa_with_white_text():
    """Grade and alert badges carry white text (yellow carries dark text) at body size: 4.5:1."""
    css = CSS.read_text("utf-8")
    var = dict(re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6})", css))
    for name in ("g0", "g1", "g2", "g3", "g4", "g5", "red", "orange", "blue"):
        assert contrast(var[name], "#ffffff") >= 4.5, (name, var[name], round(contrast(var[name], "#ffffff"), 2))
    assert contrast(var["yellow"], var["ink"]) >= 4.5
    # the charts use the pages' colours
    assert [c.lower() for c in charts.GRADE_PALETTE] == [var[f"g{i}"].lower() for i in range(6)]
    assert charts.ALERT_COLOURS["orange"].lower() == var["orange"].lower()


def _trend(points):
    return svg.trend(points, grades=[{"code": "A", "min": 90}, {"code": "B", "min": 80}, {"code": "C", "min": 60},
                                     {"code": "D", "min": 0}], title="t", desc="d")


def test_trend_writes_the_grade_at_each_point_and_labels_thresholds_outside_the_plot():
    pts = [{"year": y, "score": s, "low": s - 2, "high": s + 2, "colour": "#000000", "grade": g}
           for y, s, g in ((2023, 70.0, "C"), (2024, 78.0, "C"), (2025, 80.5, "B"))]
    ch = _trend(pts)
    assert [d["grade"] for d in ch["dots"]] == ["C", "C", "B"]
    last_x = float(ch["dots"][-1]["cx"])
    assert float(ch["tlx"]) > last_x + 4  # the "B 80" label starts right of the last year's point
    assert float(ch["tlx"]) < ch["width"] - 20  # and fits in the margin
    assert {k["label"] for k in ch["ticks"]} == {"A 90", "B 80", "C 60"}


def test_unit_charts_are_well_formed_svg_with_every_text_escaped():
    """The per-unit charts are written as markup in Python: hostile labels stay text, each scored
    year is a point with its grade written above it, and each dimension with a value a bar."""
    import xml.etree.ElementTree as ET

    hostile = '</svg><script>alert("x")</script>&'
    pts = [{"year": y, "score": s, "low": None if s is None else s - 2, "high": None if s is None else s + 2,
            "colour": "#000000", "grade": g}
           for y, s, g in ((2023, 70.0, "C"), (2024, None, None), (2025, 80.5, hostile))]
    trend = svg.trend_svg(svg.trend(pts, grades=[{"code": hostile, "min": 75}], title=hostile, desc=hostile))
    bars = svg.bars_svg(svg.dimension_bars([{"label": hostile, "value": 60.0, "median": 50.0},
                                            {"label": "b", "value": None, "median": None}],
                                           colour="#123456", title=hostile, desc=hostile,
                                           legend={"unit": hostile, "median": "m"}))
    for markup in (trend, bars):
        assert "<script>" not in markup and "&lt;script&gt;" in markup
        root = ET.fromstring(str(markup))  # one figure, well formed
        chart = root.find("svg")
        assert root.tag == "figure" and chart.get("aria-label") == hostile and chart.find("title").text == hostile
    chart = ET.fromstring(str(trend)).find("svg")
    assert [c.find("title").text for c in chart.iter("circle")] == ["2023: 70.0 C", f"2025: 80.5 {hostile}"]
    assert [x.text for x in chart.iter("text") if x.get("font-weight") == "700"] == ["C", hostile]
    assert f"{hostile} 75" in [x.text for x in chart.iter("text")]
    chart = ET.fromstring(str(bars)).find("svg")
    assert len(chart.findall("rect")) == 1
    assert [x.text for x in chart.iter("text")][-4:] == [hostile, "60.0", "b", "—"]


def _bbox_inside(fig, artist) -> bool:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    box, page = artist.get_window_extent(canvas.get_renderer()), fig.bbox
    return box.x0 >= page.x0 - 0.5 and box.x1 <= page.x1 + 0.5


@pytest.mark.filterwarnings("ignore:Glyph")  # Agg measures CJK with a stand-in glyph of the same width
@pytest.mark.parametrize("labels", [
    ["A Trustworthy", "B Fairly trustworthy", "C Basically trustworthy", "D Untrustworthy"],
    ["A 诚信", "B 较诚信", "C 基本诚信", "D 失信"]])
def test_grade_distribution_legend_is_not_clipped(labels):
    grades = [{"code": lb[0], "label": lb, "colour": c} for lb, c in zip(labels, charts.GRADE_PALETTE)]
    groups = [{"label": "City", "counts": {"A": 3, "B": 5, "C": 2, "D": 1}, "missing": 1}]
    fig = charts.grade_distribution(groups, grades, missing_label="Insufficient data: not scored", xlabel="%")
    legend = fig.axes[0].get_legend()
    assert _bbox_inside(fig, legend)
    assert [t.get_text() for t in legend.get_texts()] == labels + ["Insufficient data: not scored"]


def test_score_chart_ranks_are_whole_numbers_and_grades_not_by_colour_alone():
    """A peer group of one (the province) has rank 1 on its axis, not 0.6-1.4; grade bounds are
    drawn and named, and the series are in a legend by grade."""
    one = {"title": "Province", "n": 1, "series": [{"colour": charts.GRADE_PALETTE[1], "label": "B", "score": [82.0],
                                                    "rank": [1], "low": [1], "high": [1]}]}
    fig = charts.score_rank_intervals([one], xlabel="Score", ylabel="Rank",
                                      bands=[{"code": "A", "min": 90}, {"code": "B", "min": 80}, {"code": "D", "min": 0}])
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    lo, hi = sorted(ax.get_ylim())
    ticks = [v for v in ax.get_yticks() if lo <= v <= hi]
    assert ticks == [1.0]
    texts = {t.get_text().strip() for t in ax.texts}
    assert {"A", "B"} <= texts  # the bounds inside the axis are named
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["B"]
