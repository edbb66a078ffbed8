"""Summary charts drawn with matplotlib, and the colours every chart and page shares.

Each chart function takes prepared plain data and returns a matplotlib `Figure`
(`reports.embed.figure_svg` turns it into inline SVG). Per-unit charts are small SVG templates
instead (`reports.svg`), which is much faster for thousands of pages.
"""
from __future__ import annotations

import matplotlib
from matplotlib.figure import Figure

GRADE_PALETTE = ("#1a7f37", "#2f6fb0", "#d98c00", "#c62828", "#6a1b9a", "#545454")
ALERT_COLOURS = {"red": "#c62828", "orange": "#ef6c00", "yellow": "#e0b000", "blue": "#1565c0"}
MISSING_COLOUR = "#bdbdbd"
# Text stays text in the SVG; these names let the browser pick a CJK font for Chinese labels.
FONT = {"font.family": "sans-serif", "font.size": 9,
        "font.sans-serif": ["DejaVu Sans", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC"],
        "axes.titlesize": 10, "axes.spines.top": False,
        "axes.spines.right": False}


def grade_colours(framework) -> dict[str, str]:
    """One colour per grade code, best first (green) to worst (red); same on every page."""
    n = len(GRADE_PALETTE)
    return {g.code: GRADE_PALETTE[min(i, n - 1)] for i, g in enumerate(framework.grades)}


def grade_distribution(groups: list[dict], grades: list[dict], *, missing_label: str, xlabel: str) -> Figure:
    """100% stacked horizontal bars: for each peer group, the share of its units in each grade
    (groups differ in size by orders of magnitude; the counts are in the table beside it).

    groups: [{label, counts: {grade_code: n}, missing: n}]; grades: [{code, label, colour}].
    """
    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(7.0, 0.45 * max(len(groups), 1) + 1.2), layout="constrained")
        ax = fig.add_subplot()
        y = list(range(len(groups)))
        totals = [max(sum(grp["counts"].values()), 1) for grp in groups]
        left = [0.0] * len(groups)
        for g in grades:
            vals = [100 * grp["counts"].get(g["code"], 0) / n for grp, n in zip(groups, totals)]
            ax.barh(y, vals, left=left, color=g["colour"], label=g["label"], height=0.6)
            left = [a + b for a, b in zip(left, vals)]
        miss = [100 * grp["missing"] / n for grp, n in zip(groups, totals)]
        if any(miss):
            ax.barh(y, miss, left=left, color=MISSING_COLOUR, label=missing_label, height=0.6)
        ax.set_xlim(0, 100)
        ax.set_yticks(y, [grp["label"] for grp in groups])
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(grades) + 1, frameon=False)
    return fig


def _segments(x0, x1, y0, y1) -> tuple[list, list]:
    """Many line segments as one path (NaN breaks): one SVG element however many units."""
    xs, ys = [], []
    for a, b, c, d in zip(x0, x1, y0, y1):
        xs += [a, b, float("nan")]
        ys += [c, d, float("nan")]
    return xs, ys


def score_rank_intervals(panels: list[dict], *, xlabel: str, ylabel: str) -> Figure:
    """Small multiples, one per peer group: score across, rank down; each unit a short tick at
    its rank and a vertical line over its rank interval, coloured by grade.

    panels: [{title, n, series: [{colour, score: [...], rank: [...], low: [...], high: [...]}]}]
    """
    n = max(len(panels), 1)
    cols = 2 if n > 1 else 1
    rows = (n + cols - 1) // cols
    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(7.0, 2.6 * rows + 0.4), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax, p in zip(axes.flat, panels):
            for s in p["series"]:
                ax.plot(*_segments(s["score"], s["score"], s["low"], s["high"]), color=s["colour"],
                        linewidth=0.8, alpha=0.6)
                ax.plot(*_segments([v - 0.6 for v in s["score"]], [v + 0.6 for v in s["score"]], s["rank"], s["rank"]),
                        color=s["colour"], linewidth=2.2, solid_capstyle="butt")
            ax.set_title(p["title"])
            ax.set_xlim(0, 100)
            ax.set_ylim(p["n"] + 0.5, 0.5)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
    return fig


def correlation_heatmap(labels: list[str], matrix: list[list[float | None]], *, title: str) -> Figure:
    """A correlation matrix as coloured cells (vector, not an image), values written in them."""
    import numpy as np

    m = np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float)
    k = len(labels)
    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(1.6 + 0.32 * k, 1.2 + 0.32 * k), layout="constrained")
        ax = fig.add_subplot()
        mesh = ax.pcolormesh(np.ma.masked_invalid(m), cmap="RdBu", vmin=-1, vmax=1)
        ax.set_xticks([i + 0.5 for i in range(k)], labels, rotation=90)
        ax.set_yticks([i + 0.5 for i in range(k)], labels)
        ax.invert_yaxis()
        ax.set_title(title)
        fig.colorbar(mesh, ax=ax, shrink=0.6)
    return fig
