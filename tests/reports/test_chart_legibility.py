"""Charts a reader can read without colour and without guessing: the grade written beside the
score, threshold labels clear of the points, legends not cut at the figure's edge, whole-number
rank axes, and badge colours that meet WCAG AA contrast with white text."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from reports import charts, plots, svg

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


def _texts(markup) -> tuple[float, list[dict]]:
    """The chart's width and each of its texts with its position, size and anchor."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(str(markup))
    return float(root.get("width")), [{"x": float(t.get("x")), "y": float(t.get("y")), "size": float(t.get("font-size")),
                                       "anchor": t.get("text-anchor"), "text": t.text or "",
                                       "rotated": t.get("transform") is not None} for t in root.iter("text")]


def _extent(t: dict) -> tuple[float, float]:
    """Where a horizontal text starts and ends, by the width the charts allow for it."""
    w = plots.text_width(t["text"], t["size"])
    start = t["x"] - {"start": 0, "middle": w / 2, "end": w}[t["anchor"]]
    return start, start + w


@pytest.mark.parametrize("labels", [
    ["A Trustworthy", "B Fairly trustworthy", "C Basically trustworthy", "D Untrustworthy"],
    ["A 诚信", "B 较诚信", "C 基本诚信", "D 失信"],
    [f"{c} {'一个很长很长的等级名称' * 2}" for c in "ABCDEF"]])
def test_grade_distribution_legend_is_not_clipped(labels):
    """Every legend entry lies inside the chart, on as many rows as the labels need."""
    grades = [{"code": lb[0], "label": lb, "colour": c} for lb, c in zip(labels, charts.GRADE_PALETTE)]
    groups = [{"label": "City", "counts": {"A": 3, "B": 5, "C": 2, "D": 1}, "missing": 1}]
    markup = plots.grade_distribution(groups, grades, missing_label="Insufficient data: not scored",
                                      missing_colour=charts.MISSING_COLOUR, xlabel="%", title="t", desc="d")
    width, texts = _texts(markup)
    legend = [t for t in texts if t["anchor"] == "start"]
    assert [t["text"] for t in legend] == labels + ["Insufficient data: not scored"]
    for t in legend:
        a, b = _extent(t)
        assert 0 <= a and b <= width, t
    assert len({t["y"] for t in legend}) > 1 if len(labels[0]) > 20 else True  # long labels wrap onto rows


def test_score_chart_ranks_are_whole_numbers_and_grades_not_by_colour_alone():
    """A peer group of one (the province) has rank 1 on its axis, not 0.6-1.4; grade bounds are
    drawn and named, and the series are in a legend by grade."""
    one = {"title": "Province", "n": 1, "series": [{"colour": charts.GRADE_PALETTE[1], "label": "B", "score": [82.0],
                                                    "rank": [1], "low": [1], "high": [1]}]}
    markup = plots.score_rank_intervals([one], xlabel="Score", ylabel="Rank", title="t", desc="d",
                                        bands=[{"code": "A", "min": 90}, {"code": "B", "min": 80}, {"code": "D", "min": 0}])
    _, texts = _texts(markup)
    assert [t["text"] for t in texts if t["anchor"] == "end"] == ["1"]  # the rank axis: 1 only
    bounds = [t["text"] for t in texts if t["anchor"] == "start" and t["size"] == 10]
    assert bounds == ["A", "B"]  # the bounds inside the axis are named (D's, at 0, is the axis itself)
    assert [t["text"] for t in texts if t["anchor"] == "start" and t["size"] == 11] == ["B"]  # the legend
    assert plots.int_ticks(3416) == [500, 1000, 1500, 2000, 2500, 3000]


def test_every_summary_chart_is_well_formed_svg_with_every_text_escaped():
    """The run pages' summary charts are markup written in Python: hostile labels stay text."""
    import xml.etree.ElementTree as ET

    bad = '</svg><script>alert("x")</script>&'
    grades = [{"code": "A", "label": bad, "colour": "#000000"}]
    made = [
        plots.grade_distribution([{"label": bad, "counts": {"A": 1}, "missing": 0}], grades, missing_label=bad,
                                 missing_colour="#ccc", xlabel=bad, title=bad, desc=bad),
        plots.score_rank_intervals([{"title": bad, "n": 2, "series": [
            {"colour": "#000", "label": bad, "score": [50.0, 60.0], "rank": [2, 1], "low": [1, 1], "high": [2, 2]}]}],
            xlabel=bad, ylabel=bad, title=bad, desc=bad, bands=[{"code": bad, "min": 55}]),
        plots.correlation_heatmap([bad, "b"], [[1.0, -0.4], [-0.4, None]], title=bad, desc=bad, prefix="p"),
        plots.roc_curves([{"label": bad, "fpr": [0.0, 0.5, 1.0], "tpr": [0.0, 0.8, 1.0], "colour": "#000"}],
                         xlabel=bad, ylabel=bad, title=bad, desc=bad),
        plots.calibration([{"predicted": 0.1, "observed": 0.2, "n": 5}], xlabel=bad, ylabel=bad, title=bad, desc=bad),
        plots.sensitivity_bars([{"label": bad, "s1": 0.5, "s1_low": 0.4, "s1_high": 0.6, "st": None, "st_low": None,
                                 "st_high": None}], s1_label="S1", st_label="ST", title=bad, desc=bad),
    ]
    for markup in made:
        assert "<script>" not in markup and "&lt;script&gt;" in markup
        root = ET.fromstring(str(markup))
        assert root.tag == "svg" and root.get("role") == "img" and root.get("aria-label") == bad
        assert root.find("title").text == bad and root.find("desc").text == bad
        assert bad in [t.text for t in root.iter("text")]  # a label, as text
